"""``mlplab.check``: run the checks in this kernel against stored reference outputs.

The reference outputs for fixed inputs are stored in ``mlplab/checks/<lab>_expected.npz``
(generated from the reference solutions by ``make generate``). The autograder
runs the same checks on fresh inputs against the live reference, in separate
processes, so passing here is necessary but not sufficient.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from mlplab.checks import checks_of, judge, run_probe, unpack
from mlplab.checks.core import Result
from mlplab.checks.report import format_table
from mlplab.tasks import LABS, tasks_of


@dataclass
class Report:
    which: str
    results: list[Result]

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    def __str__(self) -> str:
        return format_table(f"Self-check of {self.which}", self.results)

    def __repr__(self) -> str:  # the table is printed already; keep a notebook's Out[] short
        passed = sum(r.passed for r in self.results)
        return f"<self-check of {self.which}: {passed}/{len(self.results)} tasks pass>"


def expected_outputs(lab: str) -> dict:
    path = resources.files("mlplab.checks") / f"{lab}_expected.npz"
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
    print(report)
    if raise_on_failure is None:
        raise_on_failure = which not in LABS
    if raise_on_failure and not report.passed:
        failed = [r for r in results if not r.passed]
        raise AssertionError("; ".join(f"{r.task_id}: {r.message}" for r in failed))
    return report
