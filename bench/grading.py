"""Grading: wall time to autograde one lab submission through nbgrader, and a class's throughput.

For each lab, a throw-away course folder is made with ``autograder.course.Course``
(the same code as ``mlplab-course``): the lab is released, then a class of
``class_size`` synthetic students submits. Student 0 submits the reference
solutions and the model answers (the slowest case: every check runs to the end
and every notebook cell runs); the others submit a random mix, per exercise file, of reference
files and untouched stubs, drawn from a seeded generator. Each submission is
graded by ``Course.autograde(lab, [student])`` one after the other (nbgrader
does not autograde in parallel) and timed: the sandboxed hidden checks,
nbgrader's execution of the notebook, and the gradebook update.

Budget: one submission graded in at most 15 s of wall time.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bench.timing import Figure

REPO = Path(__file__).resolve().parents[1]
BUDGET_SECONDS = 15.0
"""Grading one student's lab submission may take at most this many seconds."""


def _make_submission(lab: str, release: Path, folder: Path, files: Sequence[str], answers: bool) -> None:
    """A copy of the release with the reference version of ``files``, and the model answers to the
    choice and numeric questions if ``answers``."""
    from autograder.questions import write_answers

    shutil.copytree(release, folder)
    for relpath in files:
        shutil.copyfile(REPO / "solutions" / relpath, folder / relpath)
    if answers:
        write_answers(folder / f"{lab}.ipynb", lab)


def grade_class(lab: str, class_size: int, seed: int = 0) -> dict[str, Figure]:
    from autograder.course import Course
    from mlplab.course.tasks import exercise_files

    rng = np.random.default_rng(seed)
    files = exercise_files(lab)
    p = f"{lab}:"
    with tempfile.TemporaryDirectory() as tmp:
        course = Course(Path(tmp) / "course")
        start = time.perf_counter()
        release = course.release(lab)
        release_seconds = time.perf_counter() - start
        for number in range(class_size):
            chosen = files if number == 0 else [f for f in files if rng.random() < 0.5]
            folder = Path(tmp) / "work" / f"student{number:03d}"
            _make_submission(lab, release, folder, chosen, answers=number == 0)
            course.submit(lab, folder.name, folder)

        seconds, scores, failures = [], [], []
        start = time.perf_counter()
        for student in course.students(lab):
            begin = time.perf_counter()
            (outcome,) = course.autograde(lab, [student])
            seconds.append(time.perf_counter() - begin)
            if outcome.ok:
                scores.append(outcome.score / outcome.max_score)
            else:
                failures.append(f"{student}: {outcome.message}")
        total = time.perf_counter() - start

    figures = {
        f"{p} release": Figure(release_seconds, "s"),
        f"{p} reference submission, autograde wall time": Figure(seconds[0], "s"),
        f"{p} class of {class_size}, autograde wall time per submission, median": Figure(
            statistics.median(seconds), "s"
        ),
        f"{p} class of {class_size}, autograde wall time per submission, max": Figure(max(seconds), "s"),
        f"{p} class of {class_size}, total autograde wall time": Figure(total, "s"),
        f"{p} throughput": Figure(60.0 * class_size / total, "submissions/min"),
        f"{p} within budget ({BUDGET_SECONDS:g} s per submission, max)": Figure(
            "yes" if max(seconds) <= BUDGET_SECONDS else "NO"
        ),
        f"{p} scores (fraction of full marks), in student order": Figure(" ".join(f"{s:.2f}" for s in scores)),
    }
    if failures:
        figures[f"{p} FAILED to grade"] = Figure("; ".join(failures))
    return figures


def run(*, labs: Sequence[str] | None = None, class_size: int = 5, seed: int = 0) -> dict[str, Figure]:
    """The ``grading`` benchmark.

    Args:
        labs: which labs (default: every lab with a notebook in ``labs/``).
        class_size: synthetic submissions per lab.
        seed: seeds the synthetic submissions (the grader's inputs are seeded per submission from
            the course's secret, see autograder.records).
    """
    from mlplab.course.tasks import LABS

    labs = labs or [lab for lab in LABS if (REPO / "labs" / f"{lab}.ipynb").is_file()]
    figures: dict[str, Figure] = {"budget per submission": Figure(BUDGET_SECONDS, "s")}
    with warnings.catch_warnings():
        # nbgrader 0.9.6's gradebook triggers SQLAlchemy 2 "not in session" warnings: harmless noise
        warnings.filterwarnings("ignore", message=".*not in session.*")
        for lab in labs:
            figures.update(grade_class(lab, class_size, seed))
    return figures
