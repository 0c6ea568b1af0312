"""`make lab` and `make instructor` open real JupyterLab servers: the student's workspace without
the instructor's tools, and the course folder with the formgrader."""
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TOKEN = "mlplabtest"
INSTRUCTOR_PLUGINS = ("@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                      "@jupyter/nbgrader:course-list")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"token {TOKEN}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def disabled_extensions(page: bytes) -> list[str]:
    """The lab extensions JupyterLab's page config disables (the page embeds it as JSON)."""
    match = re.search(rb'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S)
    assert match, "no page config in the JupyterLab page"
    return json.loads(match.group(1))["disabledExtensions"]


@contextmanager
def make_server(target: str, tmp_path: Path, **variables: str):
    """Runs `make <target>` with a JupyterLab on a free port; yields its base URL once it answers."""
    port = _free_port()
    args = f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token={TOKEN}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLPLAB_")}
    env.update(JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), JUPYTER_CONFIG_DIR=str(tmp_path / "cfg"))
    command = ["make", "-s", target, f"LAB_ARGS={args}"] + [f"{k}={v}" for k, v in variables.items()]
    server = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                status, _ = get(f"{base}/api/contents")
                if status == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None, f"make {target} exited"
            assert time.monotonic() < deadline, "JupyterLab did not answer within 90 s"
            time.sleep(0.5)
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


@pytest.mark.slow
def test_make_lab_opens_the_workspace_without_instructor_tools(tmp_path):
    work = tmp_path / "work"
    with make_server("lab", tmp_path, WORK=str(work)) as base:
        names = {item["name"] for item in json.loads(get(f"{base}/api/contents")[1])["content"]}
        assert {"lab1.ipynb", "lab6.ipynb", "mlplab", "README.md", "test_selfcheck.py"} <= names
        status, body = get(f"{base}/api/contents/mlplab/layers/hidden_units.py")
        assert status == 200 and b"NotImplementedError" in body, "the exercise files must be visible"
        status, page = get(f"{base}/lab")
        assert status == 200 and b"JupyterLab" in page
        assert set(INSTRUCTOR_PLUGINS) <= set(disabled_extensions(page))
        assert get(f"{base}/formgrader")[0] == 404
        assert get(f"{base}/assignments")[0] != 404, "the assignment list stays"
    assert (work / "lab1.ipynb").is_file()


@pytest.mark.slow
def test_make_instructor_opens_the_course_with_the_formgrader(tmp_path):
    course = tmp_path / "course"
    with make_server("instructor", tmp_path, COURSE=str(course)) as base:
        status, page = get(f"{base}/formgrader")
        assert status == 200 and b"formgrader" in page.lower()
        assert not set(INSTRUCTOR_PLUGINS) & set(disabled_extensions(get(f"{base}/lab")[1]))
    assert course.is_dir()
