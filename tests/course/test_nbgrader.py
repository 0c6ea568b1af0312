"""Every lab through the real nbgrader pipeline: release, autograde, gradebook, feedback, export.

One course folder per lab, one test per lab (the pipeline is expensive and its steps
depend on each other): the blank release must score 0, the reference 100% of the tasks (its
notebook executed in the sandbox; the others are graded scores only, ``--no-notebooks``), written
answers wait for a grader (blank ones score 0) and count once graded by hand, bug-zoo
submissions each lose exactly their task with feedback that names the mistake, and broken
submissions are reported while the others are graded. The other grading paths (nbgrader's own
command line, NbGraderAPI) and the class-run guarantees are in test_course_pipeline.py.
"""

import csv
import shutil

import nbformat
import pytest
from bugzoo import all_of
from submissions import REPO, with_bug

from autograder.course import Course, CourseError
from autograder.generate import find_leaks
from autograder.questions import answer_leaks, answer_sources, expected_answers, read_answer, write_answers
from mlplab.course.questions import automatic_questions_of, questions_of
from mlplab.course.tasks import TASKS, exercise_files

LABS = sorted({t.lab for t in TASKS})


# How many bug-zoo submissions go through nbgrader per lab (scores only: only the reference's notebook
# is executed). One shows that a task's loss reaches its own gradebook cell, the export's column and the
# feedback's words; every bug of the zoo goes through the real grader in test_grading.py.
NBGRADER_BUGS = 1


def _bugs(lab):
    """One bug per task, for as many different tasks as the budget allows."""
    chosen = {}
    for bug in all_of("BUGS"):
        if bug.task_id.startswith(lab + ".") and bug.task_id not in chosen:
            chosen[bug.task_id] = bug
    return list(chosen.values())[:NBGRADER_BUGS]


@pytest.mark.slow
@pytest.mark.parametrize("lab", LABS)
def test_lab_through_nbgrader(lab, tmp_path):
    tasks = [t for t in TASKS if t.lab == lab]
    full = sum(t.points for t in tasks)
    automatic = automatic_questions_of(lab)
    quiz_points = sum(q.points for q in automatic)
    expected = expected_answers(lab)
    bugs = _bugs(lab)
    course = Course(tmp_path / "course")

    # release: stubs, no solutions, no hidden tests
    release = course.release(lab)
    for relpath in exercise_files():
        assert (release / relpath).read_text() == (REPO / relpath).read_text(), relpath
    nb = nbformat.read(release / f"{lab}.ipynb", as_version=4)
    assert not any("HIDDEN" in c.source or "assert_task" in c.source for c in nb.cells)
    assert (release / "mlplab" / "data" / "mnist5k.npz").is_file()
    # every written question is an empty, manually graded answer cell (release() found no model answer);
    # every choice or numeric one an answer code cell holding answer = None
    answers = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    questions = questions_of(lab)
    assert [c.metadata.nbgrader.grade_id for c in answers] == [q.cell_id for q in questions]
    for cell, question in zip(answers, questions):
        if question.automatic:
            assert cell.cell_type == "code" and read_answer(cell.source) is None, cell.source
        else:
            assert cell.cell_type == "markdown" and cell.source == "YOUR ANSWER HERE"
    # no expected answer, looked for by content, in anything of the release
    assert not answer_leaks([release], LABS)
    # no solution of any lab in the course's source library either
    assert not find_leaks([course.root / "source" / "mlplab"])

    def submit(student, mutate=None):
        folder = tmp_path / "work" / student
        shutil.copytree(release, folder)
        if mutate:
            mutate(folder)
        course.submit(lab, student, folder)

    def reference(folder):
        for relpath in exercise_files(lab):
            shutil.copyfile(REPO / "solutions" / relpath, folder / relpath)

    def answer(folder, changes=None):
        """The model answers in the notebook's choice and numeric cells, then ``changes`` over them."""
        write_answers(folder / f"{lab}.ipynb", lab, {q.cell_id: text for q, text in (changes or {}).items()})

    def model(folder):
        reference(folder)
        answer(folder)

    # one wrong answer and one that is not a literal (which must not run on the trusted side)
    wrong, computed = automatic[0], automatic[-1]
    marker = tmp_path / "the-trusted-side-ran-an-answer"
    wrong_text = (
        f'answer = "{next(k for k in wrong.keys if k != expected[wrong.id])}"'
        if wrong.kind == "choice"
        else f"answer = {-expected[wrong.id]!r}"
    )
    computed_text = f"answer = open({str(marker)!r}, 'w').write('x')"

    def quizzer(folder):
        reference(folder)
        answer(folder, {wrong: wrong_text, computed: computed_text})

    def buggy(bug):
        def mutate(folder):
            reference(folder)
            for relpath, text in with_bug(bug).items():
                (folder / relpath).write_text(text)

        return mutate

    def written(folder):
        reference(folder)
        path = folder / f"{lab}.ipynb"
        answered = nbformat.read(path, as_version=4)
        for cell in answered.cells:
            if cell.metadata.get("nbgrader", {}).get("solution") and cell.cell_type == "markdown":
                cell.source = "My prediction, then what I saw and why."
        nbformat.write(answered, path)

    submit("blank")
    submit("ref", model)
    submit("quizzer", quizzer)
    submit("writer", written)
    for number, bug in enumerate(bugs):
        submit(f"bug{number}", buggy(bug))
    submit("notjson", lambda f: (f / f"{lab}.ipynb").write_text("this is not a notebook {"))
    submit("nonotebook", lambda f: (f / f"{lab}.ipynb").unlink())
    # the reference's notebook is executed in the sandbox; the others' scores only (the same scores
    # either way; the feedback's verdicts come from the grader, not from the kernel)
    scores_only = Course(course.root, notebooks=False)
    outcomes = {o.student: o for o in scores_only.autograde(lab, [s for s in course.students(lab) if s != "ref"])}
    (outcomes["ref"],) = course.autograde(lab, ["ref"])
    assert outcomes["ref"].notebook == "executed", outcomes["ref"]
    assert outcomes["blank"].notebook.startswith("not executed (scores only"), outcomes["blank"]

    # scores: blank 0, reference full (its tasks and its choice and numeric questions), the bug loses
    # exactly its task, a wrong or computed answer exactly its question
    assert outcomes["blank"].ok and outcomes["blank"].score == 0, outcomes["blank"]
    assert outcomes["ref"].ok and outcomes["ref"].score == outcomes["ref"].max_score == full + quiz_points, outcomes[
        "ref"
    ]
    assert outcomes["blank"].max_score == full + quiz_points
    assert outcomes["writer"].ok and outcomes["writer"].score == full, outcomes["writer"]
    quizzer_score = full + quiz_points - wrong.points - computed.points
    assert outcomes["quizzer"].ok and outcomes["quizzer"].score == quizzer_score, outcomes["quizzer"]
    assert not marker.exists(), "an answer cell was executed on the trusted side"
    assert f"{sum(q.points for q in questions if not q.automatic):g} more points to grade by hand" in (
        outcomes["ref"].line()
    )
    for number, bug in enumerate(bugs):
        outcome = outcomes[f"bug{number}"]
        bug_points = next(t.points for t in tasks if t.id == bug.task_id)
        assert outcome.ok and outcome.score == full - bug_points, (bug.name, outcome)
    # broken submissions are reported, the others were graded all the same
    assert not outcomes["notjson"].ok and "not a valid notebook" in outcomes["notjson"].message
    assert not outcomes["nonotebook"].ok and f"{lab}.ipynb is missing" in outcomes["nonotebook"].message

    # the gradebook holds per-task points
    with course.gradebook() as gb:
        for task in tasks:
            assert gb.find_grade(task.cell_id, lab, lab, "ref").score == task.points
            assert gb.find_grade(task.cell_id, lab, lab, "blank").score == 0
            for number, bug in enumerate(bugs):
                expected = 0 if task.id == bug.task_id else task.points
                assert gb.find_grade(task.cell_id, lab, lab, f"bug{number}").score == expected, bug.name
        assert gb.find_submission(lab, "ref").score == full + quiz_points
        assert gb.find_submission(lab, "quizzer").score == quizzer_score
        # choice and numeric answers: scored, never waiting for a grader
        for question in automatic:
            lost = question in (wrong, computed)
            for student, points in (
                ("blank", 0),
                ("ref", question.points),
                ("quizzer", 0 if lost else question.points),
            ):
                row = gb.find_grade(question.cell_id, lab, lab, student)
                assert row.score == points and not row.needs_manual_grade, (student, question.id)
        # written answers: blank ones score 0 and need no grader, the others wait for one
        questions = [q for q in questions if not q.automatic]
        for question in questions:
            for student in ("blank", "ref"):
                row = gb.find_grade(question.cell_id, lab, lab, student)
                assert row.score == 0 and not row.needs_manual_grade, (student, question.id)
            row = gb.find_grade(question.cell_id, lab, lab, "writer")
            assert row.auto_score is None and row.needs_manual_grade, question.id
        assert gb.find_submission(lab, "writer").needs_manual_grade
        assert not gb.find_submission(lab, "ref").needs_manual_grade
        assert gb.find_submission(lab, "writer").max_score == full + quiz_points + sum(q.points for q in questions)
        # a grader scores one answer in the formgrader: it counts, and the notebook needs no more grading
        # of that cell
        graded = gb.find_grade(questions[0].cell_id, lab, lab, "writer")
        graded.manual_score = questions[0].points
        graded.needs_manual_grade = False
        gb.db.commit()
        assert gb.find_submission(lab, "writer").score == full + questions[0].points
        assert "notjson" not in [s.student.id for s in gb.assignment_submissions(lab)]

    # the executed reference's answer cells show the trusted verdict
    autograded = nbformat.read(course.root / "autograded" / "ref" / lab / f"{lab}.ipynb", as_version=4)
    verdicts = answer_sources(autograded, lab)
    assert len(verdicts) == len(automatic)
    for cell in autograded.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") in {q.cell_id for q in automatic}:
            assert "".join(o.get("text", "") for o in cell.outputs).startswith("question "), cell.outputs

    # feedback: HTML only, no hidden tests, names the mistake
    students = ["blank", "quizzer"] + [f"bug{n}" for n in range(len(bugs))]
    paths, failures = course.feedback(lab, students)
    assert not failures, failures
    assert [p.parent.parent.name for p in paths] == students
    for path in paths:
        assert [p.name for p in path.parent.rglob("*") if p.is_file()] == [f"{lab}.html"]
        html = path.read_text()
        assert "BEGIN HIDDEN TESTS" not in html and "assert_task" not in html
        assert str(course.root) not in html
    quizzed = (course.root / "feedback" / "quizzer" / lab / f"{lab}.html").read_text()
    assert f"question {wrong.name} ({wrong.kind}): wrong" in quizzed
    assert f"question {computed.name} ({computed.kind}): not graded, 0 points" in quizzed
    for number, bug in enumerate(bugs):
        # without whitespace: the hint is wrapped to a width (textwrap, which also breaks after hyphens)
        html = "".join((course.root / "feedback" / f"bug{number}" / lab / f"{lab}.html").read_text().lower().split())
        assert "".join(bug.feedback.lower().split()) in html, bug.name

    # export: one row per graded submission, a column per task
    rows = {r["student"]: r for r in csv.DictReader(course.export(tmp_path / "grades.csv").open())}
    assert set(rows) == {
        "blank",
        "ref",
        "writer",
        "quizzer",
        "notjson",
        "nonotebook",
        *(f"bug{n}" for n in range(len(bugs))),
    }
    assert float(rows["ref"]["score"]) == full + quiz_points and float(rows["blank"]["score"]) == 0
    for question in automatic:
        assert float(rows["ref"][question.cell_id]) == question.points
        assert float(rows["quizzer"][question.cell_id]) == (0 if question in (wrong, computed) else question.points)
    assert rows["ref"]["status"] == "graded" and rows["ref"]["sandbox"] in ("bwrap", "none")
    assert rows["notjson"]["status"].startswith("not graded: ") and "not a valid notebook" in rows["notjson"]["status"]
    assert rows["notjson"]["score"] == ""
    for number, bug in enumerate(bugs):
        assert float(rows[f"bug{number}"][bug.task_id]) == 0 and float(rows["ref"][bug.task_id]) > 0
    assert float(rows["writer"][questions[0].cell_id]) == questions[0].points
    assert all(rows["writer"][q.cell_id] == "to grade" for q in questions[1:])
    assert all(float(rows["ref"][q.cell_id]) == 0 for q in questions)


def test_unknown_lab_and_missing_release_are_clear_errors(tmp_path):
    course = Course(tmp_path)
    with pytest.raises(CourseError, match="unknown lab 'lab9'"):
        course.autograde("lab9")
    with pytest.raises(CourseError, match="has not been released"):
        course.autograde("lab1")
    with pytest.raises(CourseError, match="unknown lab 'lab9'"):
        course.release("lab9")
