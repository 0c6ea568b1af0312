"""A class through the autograder: serially, with ``--jobs 2``, and on a Dask LocalCluster of 2 workers.

One course folder has lab 1 released and a class of ``class_size`` submissions built from the
reference and the bug zoo (each bug and correct variant in turn, the reference between them);
each way of grading gets its own copy of it, so all three grade the same submissions. Figures:
wall time, submissions per minute, the speed-up over serial, whether the gradebook equals the
serial one score for score, and the cost of one submission against nbgrader alone (its own
preprocessors, no trusted grading, no sandbox) autograding the same notebook.

    .venv/bin/python -m bench.class_grading [CLASS_SIZE] [--no-notebooks]   (writes bench/RESULTS-class.md)
    .venv/bin/python -m bench.run --only class_grading [--quick]

``--no-notebooks`` grades the class scores only (``mlplab-course autograde --no-notebooks``: no
kernel, the same scores). ``main`` also writes the cost breakdown of one lab-1 submission
(``bench.submission_cost``), with and without the notebook stage, measured in the same run.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

from bench.timing import Figure

REPO = Path(__file__).resolve().parents[1]
LAB = "lab1"


def _class_changes(class_size: int) -> list[tuple[str, dict]]:
    sys.path.insert(0, str(REPO / "tests"))
    from bugzoo import lab1
    from submissions import with_bug

    pool = [(f"bug-{b.name}", with_bug(b)) for b in lab1.BUGS] + [
        (f"variant-{v.name}", with_bug(v)) for v in lab1.VARIANTS
    ]
    chosen, next_change = [], 0
    for number in range(class_size):
        if number % 4 == 0:  # every fourth student submits the reference
            name, replace = "reference", {}
        else:
            name, replace = pool[next_change % len(pool)]
            next_change += 1
        chosen.append((f"s{number:03d}-{name}"[:60], replace))
    return chosen


def _released_class(folder: Path, class_size: int):
    from autograder.course import Course

    course = Course(folder / "course")
    release = course.release(LAB)
    for student, replace in _class_changes(class_size):
        work = shutil.copytree(release, folder / "work" / student)
        for relpath, text in replace.items():
            (work / relpath).write_text(text)
        course.submit(LAB, student, work)
    return course


def _scores(course) -> dict:
    from mlplab.course.tasks import TASKS

    with course.gradebook() as gb:
        return {
            (s.student.id, t.id): gb.find_grade(t.cell_id, LAB, LAB, s.student.id).score
            for s in gb.assignment_submissions(LAB)
            for t in TASKS
            if t.lab == LAB
        }


def _nbgrader_alone(course, students: list[str]) -> float:
    """Median seconds of nbgrader's own autograde (default preprocessors) of these submissions."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    from mlplab.course.tasks import LABS, exercise_files

    c = Config()
    c.CourseDirectory.root = str(course.root)
    c.CourseDirectory.course_id = "mlplab"
    c.Autograde.exclude_overwriting = {lab: list(exercise_files()) for lab in LABS}
    c.Execute.timeout = 300
    (course.root / "nbgrader_config.py").unlink()  # nbgrader's defaults, not the course's pipeline
    api = NbGraderAPI(coursedir=CourseDirectory(config=c), config=c)
    seconds = []
    for student in students:
        start = time.perf_counter()
        api.autograde(LAB, student, force=True, create=True)
        seconds.append(time.perf_counter() - start)
    return sorted(seconds)[len(seconds) // 2]


def run(
    *, class_size: int = 100, workers: int = 2, nbgrader_sample: int = 3, notebooks: bool = True
) -> dict[str, Figure]:
    from distributed import LocalCluster

    from autograder import parallel
    from autograder.course import Course

    figures: dict[str, Figure] = {
        "class": Figure(f"{class_size} submissions of {LAB}: reference, bug zoo, correct variants"),
        "notebooks": Figure("executed" if notebooks else "not executed (scores only)"),
    }
    with tempfile.TemporaryDirectory(prefix="mlplab-class-bench-") as tmp, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*not in session.*")
        tmp = Path(tmp)
        released = _released_class(tmp / "released", class_size)
        copies = {
            mode: Course(shutil.copytree(released.root, tmp / mode / "course"), notebooks=notebooks)
            for mode in ("serial", "jobs", "dask", "nbgrader")
        }

        def timed(mode, grade):
            start = time.perf_counter()
            outcomes = grade(copies[mode])
            seconds = time.perf_counter() - start
            figures[f"{mode}: wall time"] = Figure(seconds, "s")
            figures[f"{mode}: submissions per minute"] = Figure(60 * class_size / seconds, "submissions/min")
            figures[f"{mode}: not graded"] = Figure(str(sum(not o.ok for o in outcomes)))
            return seconds

        serial = timed("serial", lambda c: c.autograde(LAB))
        figures["serial: seconds per submission"] = Figure(serial / class_size, "s")
        reference = _scores(copies["serial"])
        jobs = timed("jobs", lambda c: parallel.autograde(c, LAB, jobs=workers))
        with LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
        ) as cluster:
            dask = timed("dask", lambda c: parallel.autograde(c, LAB, scheduler=cluster.scheduler_address))
        for mode, seconds in (("jobs", jobs), ("dask", dask)):
            figures[f"{mode}: speed-up over serial ({workers} workers)"] = Figure(serial / seconds, "x")
            figures[f"{mode}: gradebook equals serial, score for score"] = Figure(
                "yes" if _scores(copies[mode]) == reference else "NO"
            )
        sample = copies["nbgrader"].students(LAB)[:nbgrader_sample]
        alone = _nbgrader_alone(copies["nbgrader"], sample)
        figures[f"nbgrader alone: seconds per submission (median of {len(sample)})"] = Figure(alone, "s")
        figures["serial per submission / nbgrader alone"] = Figure(serial / class_size / alone, "x")
    return figures


def main(argv: list[str] | None = None) -> Path:
    """``python -m bench.class_grading [CLASS_SIZE] [--no-notebooks]``: run, write ``bench/RESULTS-class.md``."""
    import datetime
    import os

    from bench import submission_cost

    args = sys.argv[1:] if argv is None else argv
    notebooks = "--no-notebooks" not in args
    sizes = [a for a in args if not a.startswith("--")]
    class_size = int(sizes[0]) if sizes else 100
    figures = run(class_size=class_size, notebooks=notebooks)
    cost = submission_cost.run(repeats=3)

    def table(found):
        return [f"| {name} | {round(f.value, 3) if f.is_number else f.value} | {f.unit} |" for name, f in found.items()]

    rows = table(figures)
    load = os.getloadavg()
    out = Path(__file__).resolve().parent / "RESULTS-class.md"
    out.write_text(
        "\n".join(
            [
                "# Class grading benchmark",
                "",
                f"Written by `python -m bench.class_grading {' '.join(args)}` on "
                f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
                f"load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min). Do not edit by hand.",
                "",
                "## The class",
                "",
                "| figure | value | unit |",
                "| --- | --- | --- |",
                *rows,
                "",
                "## One lab-1 submission: where the seconds go (`bench.submission_cost`)",
                "",
                "The same reference submission, changed before each run (a seed of its own each time): with the "
                "notebook executed (the default), and scores only (`--no-notebooks`).",
                "",
                "| figure | value | unit |",
                "| --- | --- | --- |",
                *table(cost),
                "",
            ]
        )
    )
    print("\n".join(rows + table(cost)))
    return out


if __name__ == "__main__":
    main()
