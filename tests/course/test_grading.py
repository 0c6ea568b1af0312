"""The autograder on real submissions: reference, stubs, bugs, cheats and broken files."""

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from bugzoo import all_of
from submissions import make_submission, with_bug

from autograder import sandbox
from autograder.grading import GradingError, grade
from mlplab.course.tasks import TASKS

LAB1 = [t.id for t in TASKS if t.lab == "lab1"]
GRADED_LABS = sorted({t.lab for t in TASKS})
SEED = 12345


def failed(verdict):
    return [r.task_id for r in verdict.results if not r.passed]


@pytest.mark.parametrize("lab", GRADED_LABS)
def test_reference_scores_full_marks_on_fresh_inputs(tmp_path, lab):
    verdict = grade(make_submission(tmp_path, lab), lab)  # a fresh seed
    assert failed(verdict) == [], verdict.to_json()
    assert verdict.score == verdict.max_score == sum(t.points for t in TASKS if t.lab == lab)


@pytest.mark.parametrize("lab", GRADED_LABS)
def test_untouched_stubs_score_zero(tmp_path, lab):
    verdict = grade(make_submission(tmp_path, lab, base="stubs"), lab, seed=SEED)
    assert verdict.score == 0
    for r in verdict.results:
        task = next(t for t in TASKS if t.id == r.task_id)
        assert f"not implemented yet: Lab {lab[3:]}, task {task.number}:" in r.message


@pytest.mark.parametrize("bug", all_of("BUGS"), ids=lambda b: b.name)
def test_each_bug_loses_exactly_its_task_and_is_named(tmp_path, bug):
    lab = bug.task_id.split(".")[0]
    verdict = grade(make_submission(tmp_path, lab, replace=with_bug(bug)), lab, seed=SEED)
    assert failed(verdict) == [bug.task_id], verdict.to_json()
    message = verdict.result(bug.task_id).message.lower()
    assert bug.feedback.lower() in message, message


@pytest.mark.parametrize("variant", all_of("VARIANTS"), ids=lambda b: b.name)
def test_correct_variants_of_the_reference_pass(tmp_path, variant):
    lab = variant.task_id.split(".")[0]
    # the fixed seed: the reference's outcomes are computed once per lab (fresh seeds: test_zoo_guard.py)
    verdict = grade(make_submission(tmp_path, lab, replace=with_bug(variant)), lab, seed=SEED)
    assert failed(verdict) == [], verdict.to_json()


CHEAT = """
import mlplab.course.checks.core as core
import mlplab.course.checks.compare as compare
core.judge = lambda *a, **k: core.Result("x", True, "ok", 99, 1)
compare.assert_close = lambda *a, **k: 0.0
compare.assert_ratio = lambda *a, **k: 1.0
def fanin_uniform(shape, rng):
    import numpy as np
    return np.zeros(shape)
"""


def test_monkeypatching_the_checks_from_student_code_changes_nothing(tmp_path):
    path = "mlplab/exercises/initialisers.py"
    text = (Path(__file__).parents[2] / "solutions" / path).read_text() + CHEAT
    verdict = grade(make_submission(tmp_path, replace={path: text}), "lab1", seed=SEED)
    assert failed(verdict) == ["lab1.fanin_uniform"]


def test_an_endless_loop_costs_only_its_task(tmp_path):
    path = "mlplab/exercises/hidden_units.py"
    text = (Path(__file__).parents[2] / "solutions" / path).read_text()
    text += "\n_orig = ELULayer.fprop\nELULayer.fprop = lambda self, x: [0 for _ in iter(int, 1)]\n"
    verdict = grade(make_submission(tmp_path, replace={path: text}), "lab1", seed=SEED, timeout=20)
    assert failed(verdict) == ["lab1.elu"]
    assert "did not finish within its time limit" in verdict.result("lab1.elu").message


def test_a_crashing_import_fails_the_tasks_of_that_file_only(tmp_path):
    path = "mlplab/exercises/preprocessing.py"
    verdict = grade(make_submission(tmp_path, replace={path: "import os\nos._exit(3)\n"}), "lab1", seed=SEED)
    assert failed(verdict) == ["lab1.standardise", "lab1.pca_whiten"]
    assert "stopped with exit code 3" in verdict.result("lab1.standardise").message


def test_hints_from_another_task_never_cost_a_task_its_points(tmp_path):
    """Nadam, AMSGrad and AdamW are compared with the student's own Adam for their hints, and Nesterov with
    their momentum: with those still stubs, the reference's rules pass all the same."""
    relpaths = ["mlplab/exercises/adam_variants.py", "mlplab/exercises/optimisers.py"]
    stub = (REPO / relpaths[1]).read_text()
    nesterov = (REPO / "solutions" / relpaths[1]).read_text()
    start, end = nesterov.index("class NesterovMomentumLearningRule"), nesterov.index("class AdaGradLearningRule")
    stub_start, stub_end = stub.index("class NesterovMomentumLearningRule"), stub.index("class AdaGradLearningRule")
    only_nesterov = stub[:stub_start] + nesterov[start:end] + stub[stub_end:]
    folder = make_submission(
        tmp_path,
        "lab6",
        base="stubs",
        replace={relpaths[0]: (REPO / "solutions" / relpaths[0]).read_text(), relpaths[1]: only_nesterov},
    )
    verdict = grade(folder, "lab6", seed=SEED)
    passed = sorted(r.task_id for r in verdict.results if r.passed)
    assert passed == sorted(["lab6.nesterov", "lab6.adamax", "lab6.nadam", "lab6.amsgrad", "lab6.adamw"]), (
        verdict.to_json()
    )


def test_a_missing_exercise_file_fails_its_tasks_with_a_clear_message(tmp_path):
    folder = make_submission(tmp_path)
    (folder / "mlplab/exercises/initialisers.py").unlink()
    verdict = grade(folder, "lab1", seed=SEED)
    assert failed(verdict) == [t.id for t in TASKS if t.file == "mlplab/exercises/initialisers.py"]
    assert "initialisers.py, which does not exist" in verdict.result("lab1.he_normal").message
    assert any("missing from the submission: mlplab/exercises/initialisers.py" in n for n in verdict.notes)


def test_bad_arguments_are_named(tmp_path):
    with pytest.raises(GradingError, match="unknown lab 'lab9'"):
        grade(tmp_path, "lab9")
    with pytest.raises(GradingError, match="does not exist"):
        grade(tmp_path / "nowhere", "lab1")


@pytest.mark.skipif(sandbox.status() != "bwrap", reason="bubblewrap is not usable here")
def test_student_code_cannot_write_files_or_reach_the_network(tmp_path):
    folder = tmp_path / "sub"
    victim = folder / "gradebook.db"
    folder.mkdir()
    victim.write_text("precious")
    path = "mlplab/exercises/initialisers.py"
    text = (
        (Path(__file__).parents[2] / "solutions" / path).read_text()
        + f"""
def he_normal(shape, rng):
    import socket
    open({str(victim)!r}, "w").write("overwritten")
"""
    )
    verdict = grade(make_submission(folder, replace={path: text}), "lab1", seed=SEED)
    assert victim.read_text() == "precious"
    assert failed(verdict) == ["lab1.he_normal"]
    assert "No such file or directory" in verdict.result("lab1.he_normal").message  # not even visible


def test_the_comparing_process_never_imports_student_code(tmp_path):
    folder = make_submission(tmp_path)
    code = (
        "import sys, json\n"
        "from autograder.grading import grade\n"
        "from mlplab.course.tasks import exercise_modules\n"
        f"v = grade({str(folder)!r}, 'lab1', seed={SEED})\n"
        "print(json.dumps(sorted(m for m in exercise_modules() if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_cli_grade_prints_a_table_and_json(tmp_path):
    folder = make_submission(tmp_path, base="stubs")
    out = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", "lab1", str(folder), "--seed", "1"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert f"0/{len(LAB1)} tasks pass" in out.stdout and "FAIL" in out.stdout
    out = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", "lab1", str(folder), "--json"], capture_output=True, text=True
    )
    assert json.loads(out.stdout)["score"] == 0
    out = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", "lab7", str(folder)], capture_output=True, text=True
    )
    assert out.returncode == 2 and "unknown lab 'lab7'" in out.stderr


def test_hidden_checks_run_as_pytest_one_test_per_task(tmp_path):
    stubs = make_submission(tmp_path / "stubs", base="stubs")
    ref = make_submission(tmp_path / "ref")
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        str(Path(__file__).parents[2] / "autograder" / "test_submission.py"),
        "--lab",
        "lab1",
    ]
    out = subprocess.run([*command, "--submission", str(stubs), "-n", "0"], capture_output=True, text=True)
    assert out.returncode == 1 and f"{len(LAB1)} failed" in out.stdout, out.stdout[-2000:]
    assert "not implemented yet: Lab 1, task 1.1" in out.stdout
    out = subprocess.run([*command, "--submission", str(ref), "-n", "0"], capture_output=True, text=True)
    assert out.returncode == 0 and f"{len(LAB1)} passed" in out.stdout, out.stdout[-2000:]


# --- attacks: blank (stub) submissions whose exercise files attack at import; each must score 0 ---

REPO = Path(__file__).resolve().parents[2]
ATTACK_SEED = 777


def attacked(tmp_path, attack: str, lab: str = "lab1") -> Path:
    """The stubs of ``lab`` with ``attack`` run at the import of every exercise file."""
    folder = make_submission(tmp_path / "submission", lab, base="stubs")
    for relpath in sorted({t.file for t in TASKS if t.lab == lab}):
        path = folder / relpath
        path.write_text(path.read_text() + "\n" + attack.replace("RELPATH", relpath))
    return folder


def digest(*folders: Path) -> list[str]:
    import hashlib

    out = []
    for folder in folders:
        h = hashlib.sha256()
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                h.update(str(path).encode() + path.read_bytes())
        out.append(h.hexdigest())
    return out


def messages(verdict) -> str:
    return "\n".join(r.message for r in verdict.results)


needs_sandbox = pytest.mark.skipif(sandbox.status() != "bwrap", reason="bubblewrap is not usable here")


@needs_sandbox
def test_attack_executing_the_reference_by_any_route_scores_zero(tmp_path):
    attack = f"""
import os as _os, sys as _sys
_seen = []
for _root in ({str(REPO / "solutions")!r}, {str(REPO / "course")!r}, _os.environ.get("MLPLAB_SOLUTIONS", "")):
    _file = _os.path.join(_root, "RELPATH")
    if _root and _os.path.exists(_file):
        exec(open(_file).read(), globals())
        _seen.append(_file)
for _top, _dirs, _files in _os.walk("/"):
    _dirs[:] = [d for d in _dirs if _os.path.join(_top, d) not in ("/proc", "/usr", "/sys", "/dev")]
    if "RELPATH".rsplit("/", 1)[-1] in _files and _top.endswith("solutions/mlplab/exercises"):
        _seen.append(_top)
import mlplab.course.exercise_folder as _overlay
try:
    _overlay.use_exercises({str(REPO / "solutions")!r})
except Exception as _e:
    _seen.append(type(_e).__name__)
_seen.append(str(hasattr(_overlay, "solutions_root")))
raise RuntimeError("attack saw " + repr(_seen))
"""
    verdict = grade(attacked(tmp_path, attack), "lab1", seed=ATTACK_SEED)
    assert verdict.score == 0 and verdict.sandbox == "bwrap"
    assert "attack saw ['FileNotFoundError', 'False']" in messages(verdict)


@needs_sandbox
def test_attack_forging_the_result_channel_scores_zero(tmp_path):
    import base64

    from autograder import grading
    from autograder.paths import solutions_folder
    from mlplab.course.checks import pack

    inputs = grading.make_inputs("lab1", ATTACK_SEED)
    forged = pack(grading.reference_outcomes("lab1", ATTACK_SEED, inputs, solutions_folder()))
    attack = f"""
import base64 as _b64, os as _os
_blob = _b64.b64decode({base64.b64encode(forged).decode()!r})
_tried = {{}}
for _pid in ("self", str(_os.getppid()), "1"):
    try:
        _fds = _os.listdir(f"/proc/{{_pid}}/fd")
    except OSError as _e:
        _tried[_pid] = type(_e).__name__
        continue
    for _fd in _fds:
        try:
            _w = _os.open(f"/proc/{{_pid}}/fd/{{_fd}}", _os.O_WRONLY)
            _os.write(_w, _blob)
            _tried[f"{{_pid}}/{{_fd}}"] = "written"
        except OSError as _e:
            _tried[f"{{_pid}}/{{_fd}}"] = type(_e).__name__
for _fd in range(3, 20):
    try:
        _os.write(_fd, _blob)
    except OSError:
        pass
raise RuntimeError("forgery: " + repr(_tried))
"""
    verdict = grade(attacked(tmp_path, attack), "lab1", seed=ATTACK_SEED)
    assert verdict.score == 0, verdict.to_json()
    text = messages(verdict)
    assert "'1': 'PermissionError'" in text or "'1/" not in text
    assert "PermissionError" in text  # the worker's parent is not dumpable: its fds are out of reach


@needs_sandbox
def test_attack_writing_and_remounting_changes_nothing_outside(tmp_path):
    victim = tmp_path / "gradebook.db"
    victim.write_text("precious")
    folder = tmp_path / "submission"
    attack = f"""
import ctypes as _c, os as _os
_done = []
_libc = _c.CDLL(None, use_errno=True)
for _t in ("/", "/usr", "/submission", {str(REPO)!r}):
    if _libc.mount(None, _t.encode(), None, 32 | 4096, None) == 0:
        _done.append("remounted " + _t)
for _path in ({str(victim)!r}, {str(folder / "mlplab" / "exercises" / "initialisers.py")!r}, "/submission/mlplab/exercises/initialisers.py",
              {str(REPO / "solutions" / "mlplab" / "exercises" / "initialisers.py")!r}, "/opt/mlplab/python/mlplab/course/tasks.py",
              "/tmp/../etc/passwd"):
    try:
        open(_path, "w").write("0")
        _done.append("wrote " + _path)
    except OSError:
        pass
try:
    with open("/tmp/huge", "wb") as _f:
        for _ in range(1024):
            _f.write(bytes(1024**2))
except OSError as _e:
    _done.append("huge file stopped: " + type(_e).__name__)
raise RuntimeError("attack did " + repr(_done))
"""
    folder = attacked(tmp_path, attack)
    before = digest(folder, REPO / "solutions", REPO / "mlplab")
    verdict = grade(folder, "lab1", seed=ATTACK_SEED)
    assert verdict.score == 0
    assert victim.read_text() == "precious"
    assert digest(folder, REPO / "solutions", REPO / "mlplab") == before
    assert "attack did ['huge file stopped: OSError']" in messages(verdict)


@needs_sandbox
def test_attack_signalling_every_process_it_sees_hurts_only_itself(tmp_path):
    attack = f"""
import os as _os, signal as _s
for _pid in [int(p) for p in _os.listdir("/proc") if p.isdigit()] + [{os.getpid()}, {os.getppid()}]:
    if _pid != _os.getpid():
        try:
            _os.kill(_pid, _s.SIGKILL)
        except OSError:
            pass
"""
    verdict = grade(attacked(tmp_path, attack), "lab1", seed=ATTACK_SEED)
    assert verdict.score == 0  # it killed its own worker; this process and its parent live on
    assert "could not be graded" in messages(verdict)


@needs_sandbox
def test_attack_reading_passwd_and_environment_learns_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("MLPLAB_INSTRUCTOR_SECRET", "s3cret-token")
    attack = 'import os as _os\nraise RuntimeError(open("/etc/passwd").read() + repr(dict(_os.environ)))\n'
    verdict = grade(attacked(tmp_path, attack), "lab1", seed=ATTACK_SEED)
    text = messages(verdict)
    assert verdict.score == 0 and "nobody:x:65534" in text
    assert "s3cret" not in text and "root:" not in text and "MLPLAB_SOLUTIONS" not in text


@needs_sandbox
@pytest.mark.parametrize(
    "attack",
    [
        "import time as _t\n_t.sleep(10**6)\n",
        "while True:\n    pass\n",
        "import os as _os\nwhile True:\n    try:\n        _os.fork()\n    except OSError:\n        pass\n",
    ],
    ids=["sleep-at-import", "busy-loop", "fork-bomb"],
)
def test_attack_wasting_time_costs_at_most_the_budget(tmp_path, attack):
    start = time.monotonic()
    verdict = grade(attacked(tmp_path, attack), "lab1", seed=ATTACK_SEED, timeout=15)
    elapsed = time.monotonic() - start
    assert verdict.score == 0
    assert elapsed < 15 + 5, elapsed  # the budget, plus starting and judging
    # a fork bomb may end on the time budget or on the process limit (the worker cannot fork more)
    assert any(word in messages(verdict) for word in ("time limit", "time budget", "Errno 11"))


@needs_sandbox
def test_attack_with_memory_zip_bomb_and_daemon_scores_zero_and_leaves_nothing(tmp_path):
    marker = f"mlplab-daemon-{uuid.uuid4().hex}"
    attack = f"""
import io as _io, os as _os, subprocess as _sp, sys as _sys, zipfile as _z
_sp.Popen([_sys.executable, "-c", "import time; time.sleep(300)", {marker!r}], start_new_session=True,
          stdin=_sp.DEVNULL, stdout=_sp.DEVNULL, stderr=_sp.DEVNULL)
try:
    import numpy as _np
    _np.ones(10 * 1024**3, dtype=_np.uint8)
except MemoryError:
    pass
_bomb = _io.BytesIO()
with _z.ZipFile(_bomb, "w", _z.ZIP_DEFLATED) as _a:
    _a.writestr("__meta__.npy", bytes(64 * 1024**2))  # 8x the cap, deflated to ~64 KB
for _fd in _os.listdir("/proc/self/fd"):
    try:
        _os.write(int(_fd), _bomb.getvalue())
    except OSError:
        pass
_os._exit(0)
"""
    verdict = grade(attacked(tmp_path, attack), "lab1", seed=ATTACK_SEED)
    assert verdict.score == 0
    assert "no result" in messages(verdict)
    time.sleep(0.5)
    alive = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if marker.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                alive.append(pid)
        except OSError:
            pass
    assert alive == []
