"""A released assignment works on a student's own machine, from its own files alone.

The release is copied to a folder outside the repository; a fresh virtual environment is made
from the release's ``requirements.txt`` alone (nothing of the repository is installed); there the
notebook's first cells run in a Jupyter kernel, ``mlplab.check`` and ``pytest`` run the self-checks.
Python versions: ``python3.11`` (the course's version) by default; set ``MLPLAB_RELEASE_PYTHONS``
(e.g. ``"python3.11 python3.12 python3.13"``) to try others.
"""

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from autograder.course import Course
from mlplab.course.tasks import TASKS, exercise_files

REPO = Path(__file__).resolve().parents[2]
PYTHONS = os.environ.get("MLPLAB_RELEASE_PYTHONS", "python3.11").split()
pytestmark = pytest.mark.slow

# Runs the notebook's cells up to and including its first graded cell in a Jupyter kernel of this
# environment, and prints what the graded cell showed.
RUN_FIRST_CELLS = """
import json
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

nb = nbformat.read("lab1.ipynb", as_version=4)
first_graded = next(i for i, c in enumerate(nb.cells)
                    if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")
                    and not c.metadata["nbgrader"].get("solution"))
nb.cells = nb.cells[:first_graded + 1]
client = NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": "."}})
try:
    client.execute()
    print("GRADED CELL PASSED")
except CellExecutionError:
    outputs = nb.cells[first_graded].outputs
    error = [o for o in outputs if o.output_type == "error"][0]
    print("GRADED CELL FAILED:", json.dumps(error.traceback))
for cell in nb.cells[:first_graded]:
    for output in cell.get("outputs", []):
        assert output.output_type != "error", output
        print(output.get("text", ""), end="")
"""


def _clean_env() -> dict[str, str]:
    """The environment of a student's shell: nothing of the repository, its venv or the tests."""
    drop = ("MLPLAB_", "VIRTUAL_ENV", "PYTHONPATH", "JUPYTER_", "PYTEST_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if str(REPO) not in p)
    return env


def _run(argv, cwd, timings, label, timeout=900):
    start = time.monotonic()
    proc = subprocess.run(argv, cwd=cwd, env=_clean_env(), capture_output=True, text=True, timeout=timeout)
    timings.append((label, time.monotonic() - start))
    return proc


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    return Course(tmp_path_factory.mktemp("course")).release("lab1")


def test_the_released_exercises_folder_holds_exactly_the_student_files(release):
    folder = release / "mlplab" / "exercises"
    found = {p.relative_to(release).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert found == set(exercise_files())


@pytest.mark.parametrize("python", PYTHONS)
def test_a_release_works_in_a_fresh_environment_outside_the_repository(release, python, tmp_path):
    found = shutil.which(python)
    if found is None or subprocess.run([found, "--version"], capture_output=True).returncode != 0:
        pytest.skip(f"{python} is not installed here")
    folder = tmp_path / "lab1"
    shutil.copytree(release, folder)
    assert {"README.md", "requirements.txt", "test_selfcheck.py", "lab1.ipynb"} <= {p.name for p in folder.iterdir()}
    env, timings = tmp_path / "mlplab-env", []

    proc = _run([python, "-m", "venv", str(env)], folder, timings, "make the environment")
    assert proc.returncode == 0, proc.stderr
    # --no-compile: pip would otherwise byte-compile every module of every package it installs;
    # Python compiles the ones the student's code imports when it first imports them
    proc = _run(
        [env / "bin" / "pip", "install", "-q", "--no-compile", "-r", "requirements.txt"],
        folder,
        timings,
        "pip install -r requirements.txt",
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    proc = _run([env / "bin" / "python", "-c", "import autograder"], folder, timings, "no grader")
    assert proc.returncode != 0, "the grader must not be importable in a student's environment"

    proc = _run([env / "bin" / "python", "-c", RUN_FIRST_CELLS], folder, timings, "notebook's first cells")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "GRADED CELL FAILED" in proc.stdout and "not implemented yet: Lab 1, task 1.1" in proc.stdout
    failure = json.loads(proc.stdout.split("GRADED CELL FAILED:", 1)[1].splitlines()[0])
    assert len(failure) == 1 and "Traceback" not in proc.stdout, f"a one-line message, not {failure}"
    assert "Exercises: your own files in mlplab/exercises/ (next to this notebook)" in proc.stdout

    proc = _run(
        [env / "bin" / "python", "-c", "import mlplab; r = mlplab.check('lab1'); print(r.passed)"],
        folder,
        timings,
        "mlplab.check('lab1') on the stubs",
    )
    assert proc.returncode == 0 and f"0/{len([t for t in TASKS if t.lab == 'lab1'])} tasks pass" in proc.stdout, (
        proc.stdout + proc.stderr
    )

    solution = REPO / "solutions" / "mlplab" / "exercises" / "initialisers.py"  # the student implements tasks 1.1-1.6
    shutil.copyfile(solution, folder / "mlplab" / "exercises" / "initialisers.py")
    proc = _run(
        [env / "bin" / "pytest", "-v", "-k", "lab1.glorot_uniform or lab1.elu"],
        folder,
        timings,
        "pytest -k ... after implementing",
    )
    assert "test_selfcheck.py::test_task[lab1.glorot_uniform] PASSED" in proc.stdout, proc.stdout
    assert "lab1.elu: not implemented yet: Lab 1, task 1.7" in proc.stdout, proc.stdout
    proc = _run(
        [env / "bin" / "python", "-c", "import mlplab; mlplab.check('lab1.glorot_uniform')"],
        folder,
        timings,
        "mlplab.check('lab1.glorot_uniform')",
    )
    assert proc.returncode == 0 and "PASS  Glorot uniform" in proc.stdout, proc.stdout + proc.stderr
    print(f"\n{python}: " + "; ".join(f"{label} {seconds:.1f} s" for label, seconds in timings))
