"""Lab 1 through the real nbgrader pipeline: release, autograde, gradebook, feedback, export.

One course folder is built for the module: the blank release must score 0, the
reference 100%, a bug-zoo submission loses exactly its task, and broken
submissions are reported while the others are graded.
"""
import csv
import shutil
from pathlib import Path

import nbformat
import pytest

from autograder.course import Course, CourseError
from autograder.grading import LabVerdict
from bugzoo.lab1 import BUGS
from mlplab.checks.core import Result
from mlplab.tasks import TASKS, UnknownTaskError, exercise_files
from submissions import REPO, with_bug

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("nbgrader")]
LAB1 = [t for t in TASKS if t.lab == "lab1"]
MAX = sum(t.points for t in LAB1)
BUG = BUGS[0]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    course = Course(root, timeout=120)
    release = course.release("lab1")

    def submit(student, mutate=None):
        folder = root / "work" / student
        shutil.copytree(release, folder)
        if mutate:
            mutate(folder)
        course.submit("lab1", student, folder)

    def reference(folder):
        for relpath in exercise_files("lab1"):
            shutil.copyfile(REPO / "solutions" / relpath, folder / relpath)

    def buggy(folder):
        reference(folder)
        for relpath, text in with_bug(BUG).items():
            (folder / relpath).write_text(text)

    submit("blank")
    submit("ref", reference)
    submit("buggy", buggy)
    submit("notjson", lambda f: (f / "lab1.ipynb").write_text("this is not a notebook {"))
    submit("nonotebook", lambda f: (f / "lab1.ipynb").unlink())
    outcomes = {o.student: o for o in course.autograde("lab1")}
    return course, outcomes


def test_release_has_stubs_and_no_solutions_or_hidden_tests(course):
    course, _ = course
    release = course.root / "release" / "lab1"
    for relpath in exercise_files("lab1"):
        assert (release / relpath).read_text() == (REPO / relpath).read_text()
    nb = nbformat.read(release / "lab1.ipynb", as_version=4)
    assert not any("HIDDEN" in c.source or "assert_task" in c.source for c in nb.cells)
    assert (release / "mlplab" / "data" / "mnist5k.npz").is_file()


def test_scores_blank_zero_reference_full_bug_loses_its_task(course):
    _, outcomes = course
    assert outcomes["blank"].ok and outcomes["blank"].score == 0, outcomes["blank"]
    assert outcomes["ref"].ok and outcomes["ref"].score == MAX, outcomes["ref"]
    bug_points = next(t.points for t in LAB1 if t.id == BUG.task_id)
    assert outcomes["buggy"].ok and outcomes["buggy"].score == MAX - bug_points


def test_broken_submissions_are_reported_and_others_still_graded(course):
    _, outcomes = course
    assert not outcomes["notjson"].ok and "not a valid notebook" in outcomes["notjson"].message
    assert not outcomes["nonotebook"].ok and "lab1.ipynb is missing" in outcomes["nonotebook"].message


def test_gradebook_holds_per_task_points_equal_to_nbgraders_own_cell_scores(course):
    course, _ = course
    with course.gradebook() as gb:
        for student, expected in (("blank", 0), ("ref", None), ("buggy", None)):
            for task in LAB1:
                grade = gb.find_grade(task.cell_id, "lab1", "lab1", student)
                if student == "ref" or (student == "buggy" and task.id != BUG.task_id):
                    assert grade.score == task.points, (student, task.id)
                else:
                    assert grade.score == 0, (student, task.id)
        assert gb.find_submission("lab1", "ref").score == MAX
        assert [s.student.id for s in gb.assignment_submissions("lab1")].count("notjson") == 0


def test_feedback_is_html_only_and_names_the_mistake(course):
    course, _ = course
    paths = course.feedback("lab1", ["buggy", "blank"])
    assert len(paths) == 2
    for path in paths:
        folder = path.parent
        assert [p.name for p in folder.rglob("*") if p.is_file()] == ["lab1.html"]
        html = path.read_text()
        assert "BEGIN HIDDEN TESTS" not in html and "assert_task" not in html
    buggy_html = (course.root / "feedback" / "buggy" / "lab1" / "lab1.html").read_text().lower()
    assert BUG.feedback.lower() in buggy_html


def test_export_writes_one_row_per_submission_with_task_columns(course, tmp_path):
    course, _ = course
    path = course.export(tmp_path / "grades.csv")
    rows = {r["student"]: r for r in csv.DictReader(path.open())}
    assert set(rows) == {"blank", "ref", "buggy"}
    assert float(rows["ref"]["score"]) == MAX and float(rows["blank"]["score"]) == 0
    assert float(rows["buggy"][BUG.task_id]) == 0 and float(rows["ref"][BUG.task_id]) > 0


def test_recording_is_all_or_nothing(course):
    course, _ = course
    good = [Result(t.id, False, "x", 0, t.points) for t in LAB1]
    good[3] = Result("lab1.not_a_task", False, "x", 0, 1)
    with pytest.raises(UnknownTaskError, match="lab1.not_a_task"):
        course._record("lab1", "ref", LabVerdict("lab1", "x", 0, good))
    with course.gradebook() as gb:
        assert gb.find_submission("lab1", "ref").score == MAX


def test_unknown_lab_and_missing_release_are_clear_errors(tmp_path):
    course = Course(tmp_path)
    with pytest.raises(CourseError, match="unknown lab 'lab9'"):
        course.autograde("lab9")
    with pytest.raises(CourseError, match="has not been released"):
        course.autograde("lab1")
