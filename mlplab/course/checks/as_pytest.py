"""The self-checks as pytest tests, one test per task, for a student's terminal.

A release folder (and the workspace ``work/``) holds a ``test_selfcheck.py`` that says
``test_task = task_tests("lab1")``; then ``pytest`` runs every task of lab 1 and
``pytest -k lab1.elu`` one of them. Each test runs exactly what ``mlplab.check("lab1.elu")``
runs and fails with the same message, without any file of the grader or the solutions.
"""

from __future__ import annotations

import pytest

from mlplab.course.checks.selfcheck import failure_message, run_selfcheck
from mlplab.course.tasks import tasks_of


def task_tests(*labs: str):
    """A pytest test function parametrised by the task ids (``lab1.elu``, ...) of ``labs``."""
    task_ids = [task.id for lab in labs for task in tasks_of(lab)]

    @pytest.mark.parametrize("task_id", task_ids)
    def test_task(task_id: str) -> None:
        report = run_selfcheck(task_id, raise_on_failure=False)  # prints the task's line of the table
        if not report.passed:
            pytest.fail(failure_message(report.results), pytrace=False)

    return test_task
