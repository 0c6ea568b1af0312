"""The autograder on real submissions: reference, stubs, bugs, cheats and broken files."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import sandbox
from autograder.grading import GradingError, grade
from mlplab.tasks import TASKS
from submissions import make_submission, with_bug
from bugzoo import all_of

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
    verdict = grade(make_submission(tmp_path, lab, replace=with_bug(variant)), lab)
    assert failed(verdict) == [], verdict.to_json()


CHEAT = '''
import mlplab.checks.core as core
import mlplab.checks.compare as compare
core.judge = lambda *a, **k: core.Result("x", True, "ok", 99, 1)
compare.assert_close = lambda *a, **k: 0.0
compare.assert_ratio = lambda *a, **k: 1.0
def fanin_uniform(shape, rng):
    import numpy as np
    return np.zeros(shape)
'''


def test_monkeypatching_the_checks_from_student_code_changes_nothing(tmp_path):
    path = "mlplab/initialisers.py"
    text = (Path(__file__).parents[1] / "solutions" / path).read_text() + CHEAT
    verdict = grade(make_submission(tmp_path, replace={path: text}), "lab1", seed=SEED)
    assert failed(verdict) == ["lab1.fanin_uniform"]


def test_an_endless_loop_costs_only_its_task(tmp_path):
    path = "mlplab/layers/hidden_units.py"
    text = (Path(__file__).parents[1] / "solutions" / path).read_text()
    text += "\n_orig = ELULayer.fprop\nELULayer.fprop = lambda self, x: [0 for _ in iter(int, 1)]\n"
    verdict = grade(make_submission(tmp_path, replace={path: text}), "lab1", seed=SEED, timeout=20)
    assert failed(verdict) == ["lab1.elu"]
    assert "did not finish within its time limit" in verdict.result("lab1.elu").message


def test_a_crashing_import_fails_the_tasks_of_that_file_only(tmp_path):
    path = "mlplab/preprocessing.py"
    verdict = grade(make_submission(tmp_path, replace={path: "import os\nos._exit(3)\n"}), "lab1", seed=SEED)
    assert failed(verdict) == ["lab1.standardise", "lab1.pca_whiten"]
    assert "stopped with exit code 3" in verdict.result("lab1.standardise").message


def test_a_missing_exercise_file_fails_its_tasks_with_a_clear_message(tmp_path):
    folder = make_submission(tmp_path)
    (folder / "mlplab/initialisers.py").unlink()
    verdict = grade(folder, "lab1", seed=SEED)
    assert failed(verdict) == [t.id for t in TASKS if t.file == "mlplab/initialisers.py"]
    assert "initialisers.py, which does not exist" in verdict.result("lab1.he_normal").message
    assert any("missing from the submission: mlplab/initialisers.py" in n for n in verdict.notes)


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
    path = "mlplab/initialisers.py"
    text = (Path(__file__).parents[1] / "solutions" / path).read_text() + f'''
def he_normal(shape, rng):
    import socket
    open({str(victim)!r}, "w").write("overwritten")
'''
    verdict = grade(make_submission(folder, replace={path: text}), "lab1", seed=SEED)
    assert victim.read_text() == "precious"
    assert failed(verdict) == ["lab1.he_normal"]
    assert "No such file or directory" in verdict.result("lab1.he_normal").message  # not even visible


def test_the_comparing_process_never_imports_student_code(tmp_path):
    folder = make_submission(tmp_path)
    code = (
        "import sys, json\n"
        "from autograder.grading import grade\n"
        "from mlplab.tasks import exercise_modules\n"
        f"v = grade({str(folder)!r}, 'lab1', seed={SEED})\n"
        "print(json.dumps(sorted(m for m in exercise_modules() if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_cli_grade_prints_a_table_and_json(tmp_path):
    folder = make_submission(tmp_path, base="stubs")
    out = subprocess.run([sys.executable, "-m", "autograder", "grade", "lab1", str(folder), "--seed", "1"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert f"0/{len(LAB1)} tasks pass" in out.stdout and "FAIL" in out.stdout
    out = subprocess.run([sys.executable, "-m", "autograder", "grade", "lab1", str(folder), "--json"],
                         capture_output=True, text=True)
    assert json.loads(out.stdout)["score"] == 0
    out = subprocess.run([sys.executable, "-m", "autograder", "grade", "lab7", str(folder)],
                         capture_output=True, text=True)
    assert out.returncode == 2 and "unknown lab 'lab7'" in out.stderr


def test_hidden_checks_run_as_pytest_one_test_per_task(tmp_path):
    stubs = make_submission(tmp_path / "stubs", base="stubs")
    ref = make_submission(tmp_path / "ref")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
               str(Path(__file__).parents[1] / "autograder" / "test_submission.py"), "--lab", "lab1"]
    out = subprocess.run([*command, "--submission", str(stubs), "-n", "0"], capture_output=True, text=True)
    assert out.returncode == 1 and f"{len(LAB1)} failed" in out.stdout, out.stdout[-2000:]
    assert "not implemented yet: Lab 1, task 1.1" in out.stdout
    out = subprocess.run([*command, "--submission", str(ref), "-n", "0"], capture_output=True, text=True)
    assert out.returncode == 0 and f"{len(LAB1)} passed" in out.stdout, out.stdout[-2000:]
