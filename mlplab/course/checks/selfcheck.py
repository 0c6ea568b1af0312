"""``mlplab.check``: run the checks in this kernel against stored reference outputs.

The reference outputs for fixed inputs are stored in ``mlplab/course/checks/<lab>_expected.npz``
(generated from the reference solutions by ``make generate``). The autograder
runs the same checks on fresh inputs against the live reference, in separate
processes, so passing here is necessary but not sufficient.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from mlplab.course.checks import checks_of, judge, run_probe, unpack
from mlplab.course.checks.core import Result
from mlplab.course.checks.report import format_table
from mlplab.course.exercise_folder import exercises_root
from mlplab.course.tasks import LABS, tasks_of


class SelfCheckFailed(AssertionError):
    """A checked task fails. In a notebook it shows as one line, not as a traceback through mlplab."""

    def _render_traceback_(self) -> list[str]:  # IPython's hook for how an exception is shown
        return [f"\x1b[0;31mSelf-check failed\x1b[0m: {self}"]


def failure_message(results: list[Result]) -> str:
    """What a failing check says: ``lab1.elu: <message>`` for every failed task."""
    return "; ".join(f"{r.task_id}: {r.message}" for r in results if not r.passed)


def exercise_source() -> str:
    """One line saying where the exercise modules come from: reference mode must be visible."""
    root = exercises_root()
    if root is not None:
        return (
            f"REFERENCE MODE: the exercises are loaded from {root / 'mlplab' / 'exercises'}, "
            "not from your own mlplab/ files."
        )
    package = Path(__file__).resolve().parents[2] / "exercises"
    try:
        shown = f"{package.relative_to(Path.cwd().resolve()).as_posix()}/ (next to this notebook)"
    except ValueError:
        shown = str(package)
    return f"Exercises: your own files in {shown}"


@dataclass
class Report:
    which: str
    results: list[Result]

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    def __str__(self) -> str:
        return format_table(f"Self-check of {self.which}", self.results)

    def __repr__(self) -> str:  # the table is printed already; keep a terminal's echo short
        passed = sum(r.passed for r in self.results)
        return f"<self-check of {self.which}: {passed}/{len(self.results)} tasks pass>"

    def _ipython_display_(self) -> None:
        """A notebook shows nothing as the cell's result: the table is printed already."""


def expected_outputs(lab: str) -> dict:
    path = resources.files("mlplab.course.checks") / f"{lab}_expected.npz"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: the course files are incomplete (run `make generate`)")
    with resources.as_file(path) as file:
        return unpack(str(file))


def run_selfcheck(which: str, *, raise_on_failure: bool | None = None) -> Report:
    tasks = tasks_of(which)  # UnknownTaskError names the valid ids
    stored = expected_outputs(tasks[0].lab)
    results = []
    for check in checks_of(which):
        entry = stored[check.task_id]
        inputs = entry.get("inputs", {})
        outcome = run_probe(check, inputs)
        results.append(judge(check, outcome, {"outputs": entry["outputs"]}, inputs))
    report = Report(which if which not in LABS else f"{which} ({LABS[which]})", results)
    if exercises_root() is not None:
        print(exercise_source())
    print(report)
    if raise_on_failure is None:
        raise_on_failure = which not in LABS
    if raise_on_failure and not report.passed:
        raise SelfCheckFailed(failure_message(results))
    return report
