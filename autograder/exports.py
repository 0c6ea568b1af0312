"""One lab's grades in the formats instructors upload: Gradescope results, Canvas and Moodle CSV.

Scores come from the gradebook (so a manual score an instructor gave counts), the words from
the trusted verdicts (``grading/<lab>/<student>.json``). A submission that was not graded has
no score in the LMS files (an empty cell, which Canvas and Moodle leave ungraded) and a
Gradescope file that says why.

Student ids are nbgrader's, which are the hub's user names (docs/jupyterhub.md); use the same
names as the LMS's login ids and the files import without a mapping.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from autograder.report import Entry
from mlplab.course.questions import questions_of
from mlplab.course.tasks import TASKS


@dataclass
class Grade:
    student: str
    score: float | None  # None: not graded
    max_score: float
    points: dict[str, float]  # task or question id -> points in the gradebook
    reason: str = ""


def automatic_items(lab: str) -> list:
    """What the grader scores in ``lab``: its tasks, then its choice and numeric questions. (Written
    answers are graded by hand in the formgrader, after the export of the automatic grades.)"""
    return [t for t in TASKS if t.lab == lab] + [q for q in questions_of(lab) if q.automatic]


def lab_grades(gradebook, lab: str, entries: list[Entry]) -> list[Grade]:
    """Every entry's grade of ``lab``: the gradebook's points for graded ones."""
    items = automatic_items(lab)
    max_score = float(sum(item.points for item in items))
    grades = []
    for entry in entries:
        if not entry.graded:
            grades.append(Grade(entry.student, None, max_score, {}, entry.reason))
            continue
        points = {i.id: float(gradebook.find_grade(i.cell_id, lab, lab, entry.student).score) for i in items}
        grades.append(Grade(entry.student, sum(points.values()), max_score, points))
    return grades


def write_gradescope(folder: Path, lab: str, grades: list[Grade], entries: list[Entry]) -> list[Path]:
    """``<folder>/<student>/results.json`` in Gradescope's autograder results format."""
    verdicts = {e.student: e.verdict for e in entries}
    written = []
    for grade in grades:
        if grade.score is None:
            results = {"score": 0.0, "output": f"{lab} was not graded: {grade.reason}", "tests": []}
        else:
            verdict = verdicts[grade.student]
            tests = []
            for task in (t for t in TASKS if t.lab == lab):
                result = verdict.result(task.id)
                tests.append(
                    {
                        "name": f"{task.number} {task.title}",
                        "number": task.number,
                        "score": grade.points[task.id],
                        "max_score": float(task.points),
                        "status": "passed" if grade.points[task.id] >= task.points else "failed",
                        "output": result.message,
                    }
                )
            for question in (q for q in questions_of(lab) if q.automatic):
                right = grade.points[question.id] >= question.points
                tests.append(
                    {
                        "name": f"question {question.id}",
                        "score": grade.points[question.id],
                        "max_score": float(question.points),
                        "status": "passed" if right else "failed",
                        "output": "right" if right else "wrong or not answered",
                    }
                )
            results = {
                "score": grade.score,
                "tests": tests,
                "output": f"{lab}: {grade.score:g} of {grade.max_score:g} points",
            }
        path = folder / grade.student / "results.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(results, indent=1))
        written.append(path)
    return written


def write_canvas(path: Path, lab: str, grades: list[Grade]) -> Path:
    """Canvas's gradebook import: identity columns, a "Points Possible" row, one assignment column."""
    column = f"mlplab {lab}"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", column])
        writer.writerow(["Points Possible", "", "", "", "", f"{grades[0].max_score:g}" if grades else ""])
        for grade in grades:
            writer.writerow(
                [grade.student, "", "", grade.student, "", "" if grade.score is None else f"{grade.score:g}"]
            )
    return path


def write_moodle(path: Path, lab: str, grades: list[Grade]) -> Path:
    """Moodle's "Import grades: CSV file": the username to match users, the grade, its feedback."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Username", f"mlplab {lab}", f"mlplab {lab} feedback"])
        for grade in grades:
            if grade.score is None:
                writer.writerow([grade.student, "", f"not graded: {grade.reason}"])
            else:
                writer.writerow([grade.student, f"{grade.score:g}", f"{grade.score:g}/{grade.max_score:g}"])
    return path


def write_exports(course, lab: str, out: Path) -> list[Path]:
    """Canvas and Moodle CSV files and the Gradescope results of ``lab`` in ``out``."""
    from nbgrader.api import MissingEntry

    from autograder.report import load_class

    entries = load_class(course.root, lab)
    with course.gradebook() as gradebook:
        try:
            grades = lab_grades(gradebook, lab, entries)
        except MissingEntry as exc:
            raise FileNotFoundError(
                f"the gradebook of {course.root} lacks scores the grading records "
                f"have ({exc}); run `mlplab-course autograde {lab}` again"
            ) from None
    out.mkdir(parents=True, exist_ok=True)
    return [
        write_canvas(out / "canvas.csv", lab, grades),
        write_moodle(out / "moodle.csv", lab, grades),
        *write_gradescope(out / "gradescope", lab, grades, entries),
    ]
