"""The student's self-check and the reference switch."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import mlplab
from mlplab.course.tasks import TASKS, UnknownTaskError

SOLUTIONS = str(Path(__file__).resolve().parents[2] / "solutions")

LAB1 = [t for t in TASKS if t.lab == "lab1"]
SOLUTIONS = os.environ["MLPLAB_SOLUTIONS"]  # tests/conftest.py; the library does not know it


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MLPLAB_")}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**clean, **env}, timeout=120
    )


def test_reference_passes_its_own_self_check(capsys):
    report = mlplab.check("lab1")
    assert report.passed
    out = capsys.readouterr().out
    assert f"{len(LAB1)}/{len(LAB1)} tasks pass" in out and "FAIL" not in out


def test_unknown_task_id_is_a_clear_error():
    with pytest.raises(UnknownTaskError, match=r"unknown exercise id 'lab1.nope'; known ids: lab1.fanin_uniform"):
        mlplab.check("lab1.nope")
    with pytest.raises(UnknownTaskError, match="unknown exercise id 'lab42'"):
        mlplab.check("lab42")


def test_stubs_fail_every_task_with_the_task_number():
    proc = run_python("import mlplab; r = mlplab.check('lab1'); print('PASSED' if r.passed else 'FAILED')")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("FAIL ") == len(LAB1) and proc.stdout.strip().endswith("FAILED")
    assert "not implemented yet: Lab 1, task 1.7: implement ELULayer.fprop" in proc.stdout.replace(
        "\n             ", " "
    )
    assert proc.stderr == ""


def test_a_single_task_check_raises_so_a_graded_cell_fails():
    proc = run_python("import mlplab; mlplab.check('lab1.elu')")
    assert proc.returncode != 0
    assert "SelfCheckFailed: lab1.elu: not implemented yet" in proc.stderr


def test_a_failed_check_shows_as_one_line_in_a_notebook():
    from mlplab.course.checks.selfcheck import SelfCheckFailed

    error = SelfCheckFailed("lab1.elu: not implemented yet: Lab 1, task 1.7")
    assert isinstance(error, AssertionError)  # nbgrader and Run All treat it as a failing cell
    shown = error._render_traceback_()  # what IPython prints instead of a traceback
    assert len(shown) == 1 and "lab1.elu: not implemented yet: Lab 1, task 1.7" in shown[0]


def test_reference_mode_is_announced(tmp_path):
    proc = run_python(
        "import mlplab; print(mlplab.exercise_source()); mlplab.check('lab1.elu')", MLPLAB_EXERCISES=SOLUTIONS
    )
    assert proc.stdout.count("REFERENCE MODE: the exercises are loaded from") == 2, proc.stdout + proc.stderr
    proc = run_python("import mlplab; print(mlplab.exercise_source())")
    assert proc.stdout.startswith("Exercises: your own files in") and "REFERENCE" not in proc.stdout


def test_use_exercises_switches_before_import_and_refuses_after():
    proc = run_python(
        "import numpy as np, mlplab\n"
        f"mlplab.use_exercises({SOLUTIONS!r})\n"
        "from mlplab.exercises import initialisers\n"
        "print(initialisers.__file__, initialisers.he_normal((3, 4), np.random.default_rng(0)).shape)\n"
    )
    assert proc.returncode == 0 and "(3, 4)" in proc.stdout, proc.stderr
    assert proc.stdout.startswith(str(Path(SOLUTIONS) / "mlplab" / "exercises")), proc.stdout
    proc = run_python(f"import mlplab.exercises.initialisers, mlplab; mlplab.use_exercises({SOLUTIONS!r})")
    assert "restart the kernel" in proc.stderr


def test_the_environment_variable_and_a_folder_without_exercises(tmp_path):
    proc = run_python("import mlplab; print(mlplab.check('lab1').passed)", MLPLAB_EXERCISES=SOLUTIONS)
    assert proc.stdout.strip().endswith("True"), proc.stderr
    proc = run_python("import mlplab", MLPLAB_EXERCISES=str(tmp_path))  # a wrong folder: a clear error
    assert f"no exercise files in {tmp_path}" in proc.stderr, proc.stderr
