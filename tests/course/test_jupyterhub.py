"""The class round trip on a real JupyterHub (deploy/jupyterhub/), on 127.0.0.1 only.

Two students (Unix accounts made for the test) get servers from the hub, fetch lab 1 from
nbgrader's exchange through their servers' Assignments API, one writes the reference into
its exercise files and submits, the other submits the release untouched; the instructor
collects, autogrades with ``mlplab-course autograde`` and returns feedback; each student
fetches feedback whose score is the gradebook's. Needs root (the hub switches to the
students' accounts), JupyterHub and npm's configurable-http-proxy (``make test`` installs both).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from submissions import make_submission

from mlplab.course.questions import questions_of

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy" / "jupyterhub"
BIN = Path(sys.executable).parent
LAB = "lab1"
COURSE_ID = "mlplab"

pytestmark = pytest.mark.slow


def _proxy_command() -> str:
    found = shutil.which("configurable-http-proxy") or str(REPO / ".npm/node_modules/.bin/configurable-http-proxy")
    if not os.access(found, os.X_OK):
        pytest.skip("npm's configurable-http-proxy is not installed (make test installs it into .npm/)")
    return found


def _requirements() -> str:
    if os.geteuid() != 0:
        pytest.skip("the hub must run as root to start servers as the students' Unix accounts")
    if not (BIN / "jupyterhub").is_file():
        pytest.skip("JupyterHub is not installed (pip install -e '.[class]')")
    if not shutil.which("useradd"):
        pytest.skip("useradd is missing: cannot make the students' Unix accounts")
    return _proxy_command()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Hub:
    """HTTP calls to the hub and, through its proxy, to the students' servers."""

    def __init__(self, url: str, token: str):
        self.url, self.token = url, token

    def call(self, method: str, path: str, body: dict | bytes | None = None, timeout: float = 60):
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            text = response.read().decode()
        return json.loads(text) if text else None

    def wait_until_up(self, process: subprocess.Popen, log: Path, seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"jupyterhub exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                self.call("GET", "/hub/api/", timeout=5)
                return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
        raise AssertionError(f"jupyterhub did not answer within {seconds} s:\n{log.read_text()[-3000:]}")

    def start_server(self, user: str, seconds: float = 120) -> None:
        self.call("POST", f"/hub/api/users/{user}/server")
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.call("GET", f"/hub/api/users/{user}")["servers"].get("", {}).get("ready"):
                return
            time.sleep(0.5)
        raise AssertionError(f"the server of {user} was not ready within {seconds} s")

    def assignments(self, user: str, action: str) -> dict:
        """POST the Assignments tab's action (fetch, submit, fetch_feedback) in ``user``'s server."""
        body = f"course_id={COURSE_ID}&assignment_id={LAB}".encode()
        request = urllib.request.Request(
            f"{self.url}/user/{user}/assignments/{action}",
            data=body,
            method="POST",
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            answer = json.loads(response.read().decode())
        assert answer.get("success"), f"{action} as {user} failed: {answer.get('value', answer)}"
        return answer

    def write_file(self, user: str, relpath: str, text: str) -> None:
        self.call(
            "PUT", f"/user/{user}/api/contents/{quote(relpath)}", {"type": "file", "format": "text", "content": text}
        )

    def read_file(self, user: str, relpath: str) -> str:
        return self.call("GET", f"/user/{user}/api/contents/{quote(relpath)}?content=1")["content"]

    def listing(self, user: str, relpath: str) -> list[str]:
        return [
            item["path"]
            for item in self.call("GET", f"/user/{user}/api/contents/{quote(relpath)}?content=1")["content"]
        ]


def _run(cmd: list[str], *, env: dict, cwd: Path, timeout: float = 600) -> str:
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, (
        f"{' '.join(cmd)} exited with {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )
    return proc.stdout


@pytest.fixture(params=["system", "one"], ids=["student-accounts", "one-account"])
def class_machine(request):
    """A course folder, an exchange, two students and a running hub; all removed after.

    ``student-accounts``: each student a Unix account made for the test (the course set-up);
    ``one-account``: every server as root, each in its own home folder (MLPLAB_HUB_ACCOUNTS=one).
    """
    proxy = _requirements()
    accounts = request.param
    base = Path(tempfile.mkdtemp(prefix="mlplab-hub-"))
    base.chmod(0o755)  # the students' servers must reach the exchange inside
    tag = secrets.token_hex(3)
    students = [f"mlt{tag}a", f"mlt{tag}b"]
    made = []
    process = None
    try:
        if accounts == "system":
            for name in students:
                subprocess.run(
                    ["useradd", "--create-home", "--home-dir", str(base / "home" / name), "--shell", "/bin/bash", name],
                    check=True,
                    capture_output=True,
                )
                made.append(name)
            probe = subprocess.run(
                ["runuser", "-u", students[0], "--", sys.executable, "-c", "import nbgrader"],
                capture_output=True,
                text=True,
            )
            if probe.returncode != 0:
                pytest.skip(
                    f"a student account cannot run this environment's Python ({sys.prefix}): "
                    f"{probe.stderr.strip()[-300:]}"
                )
        etc = base / "etc-jupyter"
        etc.mkdir()
        shutil.copyfile(DEPLOY / "nbgrader_config.py", etc / "nbgrader_config.py")
        state = base / "hub-state"
        state.mkdir()
        (base / "roster.txt").write_text("\n".join(students) + "\n")
        token = secrets.token_hex(32)
        port, hub_port, api_port = _free_port(), _free_port(), _free_port()
        (state / "test_config.py").write_text(
            f"load_subconfig({str(DEPLOY / 'jupyterhub_config.py')!r})\n"
            f"c.JupyterHub.hub_ip = '127.0.0.1'\n"
            f"c.JupyterHub.hub_port = {hub_port}\n"
            f"c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:{api_port}'\n"
            f"c.ConfigurableHTTPProxy.command = [{proxy!r}]\n"
            f"c.JupyterHub.services = [{{'name': 'class-test', 'api_token': {token!r}}}]\n"
            "c.JupyterHub.load_roles.append({'name': 'class-test', 'services': ['class-test'],\n"
            "    'scopes': ['admin:users', 'admin:servers', 'access:servers']})\n"
        )
        env = {
            **os.environ,
            "MLPLAB_ROSTER": str(base / "roster.txt"),
            "MLPLAB_HUB_STATE": str(state),
            "MLPLAB_HUB_IP": "127.0.0.1",
            "MLPLAB_HUB_PORT": str(port),
            "MLPLAB_HUB_ACCOUNTS": accounts,
            "MLPLAB_HUB_HOMES": str(base / "home"),
            "MLPLAB_EXCHANGE": str(base / "exchange"),
            "JUPYTER_CONFIG_PATH": str(etc),
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        log = state / "hub.log"
        with log.open("w") as handle:
            process = subprocess.Popen(
                [str(BIN / "jupyterhub"), "-f", str(state / "test_config.py")],
                cwd=state,
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
            )
        hub = Hub(f"http://127.0.0.1:{port}", token)
        hub.wait_until_up(process, log)
        yield hub, students, base, env
    finally:
        if process is not None:
            process.terminate()  # the hub stops the students' servers and its proxy on the way out
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for name in made:
            for pid in subprocess.run(["pgrep", "-u", name], capture_output=True, text=True).stdout.split():
                os.kill(int(pid), 9)
            subprocess.run(["userdel", name], capture_output=True)
        shutil.rmtree(base)


SCORE = re.compile(r"\(Score: ([0-9.]+) / ([0-9.]+)\)")


def test_two_students_fetch_submit_and_get_feedback_with_their_scores(class_machine):
    hub, (good, blank), base, env = class_machine
    course = base / "course"
    course_cli = [str(BIN / "mlplab-course"), "--course", str(course)]
    nbgrader = [str(BIN / "nbgrader")]
    at_course = f"--CourseDirectory.root={course}"

    _run([*course_cli, "release", LAB], env=env, cwd=base)
    _run([*nbgrader, "release_assignment", LAB, at_course], env=env, cwd=course)

    for student in (good, blank):
        hub.start_server(student)
        hub.assignments(student, "fetch")
        assert f"{LAB}/{LAB}.ipynb" in hub.listing(student, LAB)
    reference = make_submission(base / "reference", LAB)
    for path in sorted((reference / "mlplab").rglob("*.py")):
        relpath = path.relative_to(reference).as_posix()
        hub.write_file(good, f"{LAB}/{relpath}", path.read_text())
    for student in (good, blank):
        hub.assignments(student, "submit")

    _run([*nbgrader, "collect", LAB, at_course], env=env, cwd=course)
    assert sorted(p.name for p in (course / "submitted").iterdir()) == sorted([good, blank])
    graded = _run([*course_cli, "autograde", LAB], env=env, cwd=base, timeout=900)
    scores = {}
    for line in graded.splitlines():
        name, _, rest = line.partition(" ")
        if name in (good, blank):
            got, total = rest.split()[0].split("/")
            scores[name] = (float(got), float(total))
    assert set(scores) == {good, blank}, graded
    # the reference's code with the release's notebook: every task's points, none of the blank questions'
    unanswered = sum(q.points for q in questions_of(LAB) if q.automatic)
    assert scores[good][0] == scores[good][1] - unanswered > 0, f"the reference lost points:\n{graded}"
    assert scores[blank][0] < scores[good][0], f"the blank release got the reference's score:\n{graded}"
    by_hand = sum(q.points for q in questions_of(LAB) if not q.automatic)
    assert by_hand > 0 and f"{by_hand:g} more points to grade by hand" in graded, graded
    verdicts = {s: json.loads((course / "grading" / LAB / f"{s}.json").read_text()) for s in (good, blank)}
    assert {s: (v["score"], v["max_score"]) for s, v in verdicts.items()} == scores

    _run([*course_cli, "feedback", LAB], env=env, cwd=base)
    _run([*nbgrader, "release_feedback", LAB, at_course], env=env, cwd=course)
    for student in (good, blank):
        hub.assignments(student, "fetch_feedback")
        folders = hub.listing(student, f"{LAB}/feedback")
        assert len(folders) == 1, f"{student}: feedback folders {folders}"
        html = hub.read_file(student, f"{folders[0]}/{LAB}.html")
        match = SCORE.search(html)
        assert match, f"{student}: no score in the feedback"
        # the page's total counts the written answers too, which nobody has graded yet
        got, automatic = scores[student]
        assert (float(match.group(1)), float(match.group(2))) == pytest.approx((got, automatic + by_hand))
        assert "BEGIN HIDDEN TESTS" not in html
