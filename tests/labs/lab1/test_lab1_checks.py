"""The Lab 1 checks accept independent random draws: a correct initialiser passes on any seed.

Stubs, every bug and every correct variant go through the real grader in ``tests/course/test_grading.py``
and ``tests/course/test_zoo_guard.py``; this file adds what only the random initialisers need: the
reference, drawing with another seed than the reference's own run, still passes.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.grading import make_inputs
from mlplab.course.checks import checks_of, judge, run_probe, unpack
from mlplab.course.tasks import get_task

RANDOM_INIT_TASKS = (
    "lab1.fanin_uniform",
    "lab1.glorot_uniform",
    "lab1.glorot_normal",
    "lab1.he_normal",
    "lab1.orthogonal",
)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reference_passes_against_itself_on_fresh_inputs(seed):
    """Also with independent random draws (another seed) for the random initialisers."""
    inputs = unpack(make_inputs("lab1", seed))
    for check in checks_of("lab1"):
        task_inputs = inputs[check.task_id]["inputs"]
        expected = run_probe(check, task_inputs)
        assert "outputs" in expected, expected
        student_inputs = dict(task_inputs)
        if check.task_id in RANDOM_INIT_TASKS:
            student_inputs["seed"] = np.asarray(int(task_inputs["seed"]) + 7919)
        result = judge(check, run_probe(check, student_inputs), expected, task_inputs)
        assert result.passed, f"{check.task_id}: {result.message}"
        assert result.points == get_task(check.task_id).points
