"""Where the seconds of one lab-1 autograde go, through the whole course pipeline.

One course folder, lab 1 released, a reference submission autograded by ``Course.autograde``
(what ``mlplab-course autograde`` runs: nbgrader's own Autograde with the course's
preprocessors), with a comment added before each run (so each has a seed of its own, as every
student of a class has, and the reference's outcomes are computed again). The first autograde of
the process pays once-per-process costs (the sandbox's self-test, the clean library copy) and is
reported alone; then ``repeats`` autogrades with the notebook executed (the default) and
``repeats`` with ``--no-notebooks`` (scores only). Each stage is timed by wrapping the function
that does it, in this process:

* trusted grading (``TrustedGrade``), of which: the sandboxed worker (sandbox start, Python,
  the student's probes), the reference worker (it runs beside the student's, so the two overlap),
  the gradebook transaction;
* the notebook stage (``SandboxedExecute``), of which: the kernel's start until it answers, and
  the cells;
* the rest: nbgrader's conversion (reading, copying, the other preprocessors, writing the
  notebook) and its gradebook work;
* beside the runs: the sandbox's start alone (a sandboxed ``true``).

Figures are medians, and shares of the median total.

    .venv/bin/python -m bench.submission_cost [REPEATS]     (prints; class_grading records it)
"""

from __future__ import annotations

import contextlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections import defaultdict
from pathlib import Path

from bench.timing import Figure

REPO = Path(__file__).resolve().parents[1]
LAB = "lab1"


class Stopwatch:
    """Seconds spent in wrapped functions, per label, for the current autograde."""

    def __init__(self):
        self.spent: dict[str, float] = defaultdict(float)

    def wrap(self, owner, name: str, label: str, *, sandboxed=None):
        original = getattr(owner, name)
        watch = self

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                key = label if sandboxed is None else label[kwargs.get("sandboxed", False)]
                watch.spent[key] += time.perf_counter() - start

        setattr(owner, name, timed)
        return original


@contextlib.contextmanager
def watched(watch: Stopwatch):
    """Wrap the pipeline's stages (restored afterwards)."""
    from nbclient.client import NotebookClient

    from autograder import grading, preprocessors

    wraps = [
        (preprocessors.TrustedGrade, "preprocess", "trusted grading"),
        (preprocessors, "_record_scores", "trusted grading: gradebook transaction"),
        (preprocessors.SandboxedExecute, "preprocess", "notebook stage"),
        (NotebookClient, "start_new_kernel_client", "notebook stage: kernel start"),
        (NotebookClient, "execute_cell", "notebook stage: cells"),
    ]
    saved = [(owner, name, watch.wrap(owner, name, label)) for owner, name, label in wraps]
    saved.append(
        (
            grading,
            "run_worker",
            watch.wrap(
                grading,
                "run_worker",
                {True: "trusted grading: sandboxed worker", False: "trusted grading: reference worker"},
                sandboxed=True,
            ),
        )
    )
    try:
        yield
    finally:
        for owner, name, original in reversed(saved):
            setattr(owner, name, original)


def sandbox_start_seconds(repeats: int = 5) -> float:
    """Median wall time of ``true`` in the sandbox (launcher, user namespace, bwrap, setpriv)."""
    from autograder import sandbox

    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(sandbox.launcher_argv(["/bin/true"]), check=True)
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


STAGES = (
    "trusted grading",
    "trusted grading: sandboxed worker",
    "trusted grading: reference worker",
    "trusted grading: gradebook transaction",
    "notebook stage",
    "notebook stage: kernel start",
    "notebook stage: cells",
    "nbgrader conversion and gradebook (the rest)",
)


def _autograde_runs(course, work: Path, repeats: int) -> list[dict[str, float]]:
    from mlplab.course.tasks import exercise_files

    runs = []
    for _ in range(repeats):
        # a changed submission each time: a seed of its own, as each student of a class has
        with (work / exercise_files(LAB)[0]).open("a") as handle:
            handle.write(f"\n# change {len(runs)}\n")
        course.submit(LAB, "ref", work)
        watch = Stopwatch()
        with watched(watch):
            start = time.perf_counter()
            (outcome,) = course.autograde(LAB, ["ref"])
            watch.spent["total"] = time.perf_counter() - start
        wanted = "executed" if course.notebooks else "not executed"
        if not outcome.ok or not outcome.notebook.startswith(wanted):
            raise RuntimeError(f"the reference was not graded cleanly: {outcome.line()}")
        runs.append(dict(watch.spent))
    return runs


def _breakdown(prefix: str, runs: list[dict[str, float]]) -> dict[str, Figure]:
    median = {label: statistics.median(r.get(label, 0.0) for r in runs) for label in {*STAGES, "total"}}
    median[STAGES[-1]] = median["total"] - median["trusted grading"] - median["notebook stage"]
    figures = {f"{prefix}: one submission, median of {len(runs)}": Figure(median["total"], "s")}
    for label in STAGES:
        figures[f"{prefix}: {label}"] = Figure(median[label], "s")
        figures[f"{prefix}: {label}, share"] = Figure(median[label] / median["total"], "of the total")
    return figures


def run(*, repeats: int = 5) -> dict[str, Figure]:
    from autograder import sandbox
    from autograder.course import Course
    from mlplab.course.tasks import exercise_files

    with tempfile.TemporaryDirectory(prefix="mlplab-cost-bench-") as tmp, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*not in session.*")
        course = Course(Path(tmp) / "course")
        release = course.release(LAB)
        work = shutil.copytree(release, Path(tmp) / "work" / "ref")
        for relpath in exercise_files(LAB):
            shutil.copyfile(REPO / "solutions" / relpath, work / relpath)
        first = _autograde_runs(course, work, 1)[0]["total"]
        executed = _autograde_runs(course, work, repeats)
        course.notebooks = False
        scores_only = _autograde_runs(course, work, repeats)
        start_alone = sandbox_start_seconds()
    figures = {"first autograde of the process (self-test, library copy)": Figure(first, "s")}
    figures.update(_breakdown("notebook executed", executed))
    figures.update(_breakdown("scores only (--no-notebooks)", scores_only))
    figures["sandbox start alone (sandboxed true), median of 5"] = Figure(start_alone, "s")
    figures["sandbox"] = Figure(sandbox.status())
    return figures


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    for name, figure in run(repeats=int(args[0]) if args else 5).items():
        value = round(figure.value, 3) if figure.is_number else figure.value
        print(f"| {name} | {value} | {figure.unit} |")


if __name__ == "__main__":
    main()
