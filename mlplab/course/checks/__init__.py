"""Checks of every exercise: shared by the self-check and the autograder.

``checks_of("lab1")`` lists a lab's ``TaskCheck``s; ``checks_of("lab1.elu")`` one task's.
"""

from __future__ import annotations

import importlib

from mlplab.course.checks.core import CheckFailure, Result, TaskCheck, judge, pack, run_probe, unpack
from mlplab.course.tasks import tasks_of


def checks_of(lab_or_task: str) -> list[TaskCheck]:
    """The checks of a lab or of one task, in the order of ``mlplab.course.tasks.TASKS``."""
    tasks = tasks_of(lab_or_task)
    module = importlib.import_module(f"mlplab.course.checks.{tasks[0].lab}")
    by_id = {check.task_id: check for check in module.CHECKS}
    missing = [t.id for t in tasks if t.id not in by_id]
    if missing:
        raise RuntimeError(f"no check defined for {', '.join(missing)} in {module.__name__}")
    return [by_id[t.id] for t in tasks]


__all__ = ["CheckFailure", "Result", "TaskCheck", "checks_of", "judge", "pack", "run_probe", "unpack"]
