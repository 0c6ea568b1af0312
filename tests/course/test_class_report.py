"""The class report counts what the verdicts say; the grade exports carry the gradebook's scores.

``mlplab-course report`` writes both; the counts are checked on a bug-zoo class graded by the
trusted grader, the exports on a small class through the whole nbgrader pipeline.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest
from bugzoo import lab1
from submissions import make_submission, submit_class, with_bug

from autograder import records
from autograder.cli import main
from autograder.course import Course
from autograder.grading import grade
from autograder.report import mask_numbers, write_report
from mlplab.course.questions import questions_of
from mlplab.course.tasks import get_task

LAB = "lab1"
TASKS = ("lab1.fanin_uniform", "lab1.glorot_normal", "lab1.elu")
BUGS = [b for b in lab1.BUGS if b.task_id in TASKS]
NOT_GRADED_REASON = "the submission is refused: mlplab/x.py is a symbolic link"


def _rows(path: Path) -> list[dict]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """A course folder whose grading records are the trusted verdicts of a bug-zoo class."""
    root = tmp_path_factory.mktemp("course")
    work = tmp_path_factory.mktemp("submissions")
    class_bugs = {f"bug{i:02d}_{bug.name}": bug for i, bug in enumerate(BUGS)}
    class_bugs["twice_" + BUGS[0].name] = BUGS[0]  # one mistake made by two students
    folders = {name: make_submission(work / name, LAB, replace=with_bug(bug)) for name, bug in class_bugs.items()}
    folders["ref1"] = make_submission(work / "ref1", LAB)
    folders["ref2"] = make_submission(work / "ref2", LAB)
    folders["blank"] = make_submission(work / "blank", LAB, base="stubs")
    verdicts = {}
    for student, folder in folders.items():
        verdict = grade(folder, LAB, seed=20261202)
        verdicts[student] = verdict
        records.write_outcome(
            root,
            LAB,
            student,
            {
                "student": student,
                "lab": LAB,
                "status": "graded",
                "reason": "",
                "score": verdict.score,
                "max_score": verdict.max_score,
                "sandbox": verdict.sandbox,
                "verdict": verdict.as_dict(),
            },
        )
    records.write_outcome(
        root,
        LAB,
        "refused",
        {"student": "refused", "lab": LAB, "status": "not graded", "reason": NOT_GRADED_REASON, "notebook": "not run"},
    )
    (root / "submitted" / "late" / LAB).mkdir(parents=True)
    page = write_report(root, LAB)
    return page, verdicts, class_bugs


def test_pass_rates_and_scores_are_the_verdicts(graded_class):
    page, verdicts, _ = graded_class
    tasks = {r["task"]: r for r in _rows(page.parent / "tasks.csv")}
    assert set(TASKS) <= set(tasks)
    for task_id, row in tasks.items():
        results = [v.result(task_id) for v in verdicts.values()]
        assert int(row["graded"]) == len(results)
        assert int(row["passed"]) == sum(r.passed for r in results)
    scores = {r["student"]: r for r in _rows(page.parent / "scores.csv")}
    for student, verdict in verdicts.items():
        assert float(scores[student]["score"]) == pytest.approx(verdict.score)
    assert float(scores["ref1"]["score"]) == float(scores["ref1"]["max_score"]) > float(scores["blank"]["score"])


def test_every_mistake_of_the_class_is_counted_under_its_task(graded_class):
    page, verdicts, class_bugs = graded_class
    mistakes = _rows(page.parent / "mistakes.csv")
    per_task = Counter()
    for row in mistakes:
        per_task[row["task"]] += int(row["count"])
    for task_id in TASKS:
        assert per_task[task_id] == sum(not v.result(task_id).passed for v in verdicts.values())
    made = Counter(bug.name for bug in class_bugs.values())
    for bug in BUGS:
        rows = [
            r
            for r in mistakes
            if r["task"] == bug.task_id and mask_numbers(bug.feedback).lower() in r["mistake"].lower()
        ]
        assert rows, f"{bug.name}: no mistake of {bug.task_id} names '{bug.feedback}'"
        assert sum(int(r["count"]) for r in rows) >= made[bug.name]
    not_implemented = [r for r in mistakes if r["task"] == TASKS[0] and r["mistake"] == "not implemented"]
    assert [int(r["count"]) for r in not_implemented] == [1]  # the blank submission


def test_the_page_shows_plots_mistakes_and_who_was_not_graded(graded_class):
    page, _, _ = graded_class
    text = page.read_text()
    assert text.count("<img ") == 2
    assert "Not graded (2)" in text
    assert NOT_GRADED_REASON in text and "submitted but never autograded" in text
    scores = {r["student"]: r for r in _rows(page.parent / "scores.csv")}
    assert scores["refused"]["status"] == scores["late"]["status"] == "not graded"


@pytest.mark.slow
def test_grade_exports_carry_the_gradebooks_scores_with_a_manual_one(tmp_path):
    course = Course(tmp_path / "course", notebooks=False)  # the exports need the scores only
    course.release(LAB)
    bug = BUGS[0]
    submit_class(course, LAB, tmp_path / "work", {"ref": {}, "buggy": with_bug(bug), "blank": None, "nonotebook": None})
    outcomes = {o.student: o for o in course.autograde(LAB)}
    assert [s for s, o in outcomes.items() if not o.ok] == ["nonotebook"]
    task = get_task(bug.task_id)
    with course.gradebook() as gb:  # the instructor gives the buggy task half its points by hand
        gb.find_grade(task.cell_id, LAB, LAB, "buggy").manual_score = task.points / 2
        gb.db.commit()
        expected = {s: gb.find_submission(LAB, s).score for s in ("ref", "buggy", "blank")}
    assert expected["buggy"] == pytest.approx(outcomes["buggy"].score + task.points / 2)

    out = tmp_path / "exports"
    assert main(["--course", str(course.root), "report", LAB, "--out", str(out)]) == 0
    assert {r["student"]: r["status"] for r in _rows(out / "scores.csv")}["nonotebook"] == "not graded"
    canvas = _rows(out / "canvas.csv")
    column = f"mlplab {LAB}"
    assert canvas[0]["Student"] == "Points Possible" and float(canvas[0][column]) == outcomes["ref"].max_score
    by_login = {r["SIS Login ID"]: r[column] for r in canvas[1:]}
    assert by_login.pop("nonotebook") == ""
    assert {s: float(v) for s, v in by_login.items()} == pytest.approx(expected)
    moodle = {r["Username"]: r for r in _rows(out / "moodle.csv")}
    assert {s: float(moodle[s][column]) for s in expected} == pytest.approx(expected)
    assert moodle["nonotebook"][column] == "" and "not graded" in moodle["nonotebook"][f"{column} feedback"]
    for student, score in expected.items():
        results = json.loads((out / "gradescope" / student / "results.json").read_text())
        assert results["score"] == pytest.approx(score)
        assert sum(t["score"] for t in results["tests"]) == pytest.approx(score)
    buggy = json.loads((out / "gradescope" / "buggy" / "results.json").read_text())
    # a test per task, then one per choice or numeric question (this class left them unanswered)
    automatic = [q for q in questions_of(LAB) if q.automatic]
    assert [t["name"] for t in buggy["tests"][-len(automatic) :]] == [f"question {q.id}" for q in automatic]
    assert all(t["status"] == "failed" and t["score"] == 0 for t in buggy["tests"][-len(automatic) :])
    failed = [t for t in buggy["tests"][: -len(automatic)] if t["status"] == "failed"]
    assert [t["number"] for t in failed] == [task.number]
    assert bug.feedback.lower() in failed[0]["output"].lower()
