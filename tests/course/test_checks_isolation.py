"""Every lab's checks file ships to students and runs in the trusted grader, so for every lab:

* it contains no line of a solution;
* it does not import the lab's exercise modules at module level (probes import them inside);
* judging (comparing student outputs with reference outputs) in a fresh process imports no
  exercise module at all: the process that decides a grade never loads student code;
* an output missing from the student's run is named in the message, never a KeyError.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mlplab.course.checks import checks_of, judge
from mlplab.course.checks.selfcheck import expected_outputs
from mlplab.course.tasks import TASKS, exercise_files

REPO = Path(__file__).resolve().parents[2]
LABS = sorted({t.lab for t in TASKS})


@pytest.mark.parametrize("lab", LABS)
def test_checks_file_leaks_nothing_and_judging_imports_no_exercise_module(lab, tmp_path):
    from autograder.generate import solution_lines
    from autograder.grading import make_inputs
    from mlplab.course.checks import checks_of, pack, run_probe, unpack

    checks_file = REPO / "mlplab" / "course" / "checks" / f"{lab}.py"
    text = checks_file.read_text()
    secret = solution_lines()
    assert [line.strip() for line in text.splitlines() if line.strip() in secret] == []
    modules = [f[: -len(".py")].replace("/", r"\.") for f in exercise_files(lab)]
    assert not re.search(rf"^(from|import) ({'|'.join(modules)})\b", text, re.M)

    blob = make_inputs(lab, 17)
    inputs = unpack(blob)
    reference = {c.task_id: run_probe(c, inputs[c.task_id]["inputs"]) for c in checks_of(lab)}
    (tmp_path / "reference.npz").write_bytes(pack(reference))
    (tmp_path / "inputs.npz").write_bytes(blob)
    code = (
        "import sys\n"
        "from mlplab.course.checks import checks_of, judge, unpack\n"
        "from mlplab.course.tasks import exercise_modules\n"
        f"ref = unpack({str(tmp_path / 'reference.npz')!r}); inputs = unpack({str(tmp_path / 'inputs.npz')!r})\n"
        f"results = [judge(c, ref[c.task_id], ref[c.task_id], inputs[c.task_id]['inputs']) for c in checks_of({lab!r})]\n"
        "assert all(r.passed for r in results), [r.message for r in results if not r.passed]\n"
        "print(sorted(m for m in exercise_modules() if m in sys.modules))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLPLAB_")}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


@pytest.mark.parametrize("lab", LABS)
def test_an_output_missing_from_the_students_run_is_named_not_a_key_error(lab):
    stored = expected_outputs(lab)
    for check in checks_of(lab):
        expected = {"outputs": stored[check.task_id]["outputs"]}
        name = sorted(expected["outputs"])[0]
        student = {"outputs": {k: v for k, v in expected["outputs"].items() if k != name}}
        result = judge(check, student, expected, stored[check.task_id].get("inputs", {}))
        assert not result.passed and f"your code gave no {name}" in result.message, result.message
        assert judge(check, expected, expected, stored[check.task_id].get("inputs", {})).passed
