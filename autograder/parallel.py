"""Autograde many submissions at once: worker processes or a Dask cluster grade, one process writes.

``mlplab-course autograde LAB --jobs N`` (processes on this machine) or ``--scheduler ADDRESS``
(a ``dask scheduler`` with ``dask worker``s on any machines that see the course folder).

Each job grades one submission the serial way, with the course's own pipeline
(``Course.autograde``: trusted grader, sandboxed notebook), in a private scratch copy of the
course: the submission, the course's seed secret and its previous outcome record, and a
snapshot of the gradebook taken before the run. The job sends back what it produced: the
outcome record, the autograded folder and the submission's rows of its scratch gradebook.
This process alone writes them into the course, each submission in one transaction of the
gradebook, as results arrive. The seeds depend only on the course secret, the student and the
submission, so the gradebook equals a serial run's whatever the order, and a rerun of an
interrupted run, or a job repeated after a worker died (Dask reschedules its tasks), changes
nothing.
"""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import tempfile
import uuid
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

from autograder import records
from autograder.course import Course, CourseError, StudentOutcome, course_lock
from mlplab.course.tasks import LABS

SUBMISSION_FIELDS = ("timestamp", "extension")
NOTEBOOK_FIELDS = ("flagged", "late_submission_penalty")
GRADE_FIELDS = ("auto_score", "manual_score", "extra_credit", "needs_manual_grade")
COMMENT_FIELDS = ("auto_comment", "manual_comment")
DASK_ATTEMPTS = 3  # a job whose worker dies after finishing it (its result lost) is submitted again


# ------------------------------------------------------------------ the job (worker side)
def grade_job(root: str, lab: str, student: str, gradebook: bytes, allow_unsandboxed: bool, notebooks: bool) -> dict:
    """Grade ``student``'s ``lab`` in a scratch copy of the course at ``root``; return its products."""
    root = Path(root)
    with tempfile.TemporaryDirectory(prefix="mlplab-job-") as tmp:
        scratch = Path(tmp) / "course"
        (scratch / "submitted" / student).mkdir(parents=True)
        shutil.copytree(root / "submitted" / student / lab, scratch / "submitted" / student / lab, symlinks=True)
        for name in ("source", "release"):
            (scratch / name).symlink_to(root / name)
        shutil.copyfile(root / records.SECRET_FILE, scratch / records.SECRET_FILE)
        previous = records.read_outcome(root, lab, student)
        if previous is not None:
            records.write_outcome(scratch, lab, student, previous)
        (scratch / "gradebook.db").write_bytes(gradebook)
        course = Course(scratch, allow_unsandboxed=allow_unsandboxed, notebooks=notebooks)
        course.autograde(lab, [student])
        record = json.loads(
            json.dumps(records.read_outcome(scratch, lab, student)).replace(
                json.dumps(str(scratch))[1:-1], json.dumps(str(root))[1:-1]
            )
        )  # paths as in a serial run
        return {
            "student": student,
            "record": record,
            "rows": _submission_rows(course, lab, student),
            "autograded": _tar(scratch / "autograded" / student / lab),
        }


def _submission_rows(course: Course, lab: str, student: str) -> dict | None:
    from nbgrader.api import MissingEntry

    with course.gradebook() as gb:
        try:
            submission = gb.find_submission(lab, student)
        except MissingEntry:
            return None
        return {
            **{f: getattr(submission, f) for f in SUBMISSION_FIELDS},
            "notebooks": {
                nb.name: {
                    **{f: getattr(nb, f) for f in NOTEBOOK_FIELDS},
                    "grades": {g.name: {f: getattr(g, f) for f in GRADE_FIELDS} for g in nb.grades},
                    "comments": {c.name: {f: getattr(c, f) for f in COMMENT_FIELDS} for c in nb.comments},
                }
                for nb in submission.notebooks
            },
        }


def _tar(folder: Path) -> bytes | None:
    if not folder.is_dir():
        return None
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        tar.add(folder, arcname=".")
    return buffer.getvalue()


# ------------------------------------------------------------------ the writer (this process)
def _write_rows(course: Course, lab: str, student: str, rows: dict) -> None:
    """The submission's gradebook rows, created as nbgrader's add_submission would, in one transaction."""
    from nbgrader.api import Comment, Grade, MissingEntry, Student, SubmittedAssignment, SubmittedNotebook

    with course.gradebook() as gb:
        db = gb.db
        try:
            try:
                gb.find_student(student)
            except MissingEntry:
                db.add(Student(id=student))
            try:
                submission = gb.find_submission(lab, student)
            except MissingEntry:
                submission = SubmittedAssignment(assignment=gb.find_assignment(lab), student=gb.find_student(student))
                for notebook in submission.assignment.notebooks:
                    nb = SubmittedNotebook(notebook=notebook, assignment=submission)
                    for cell in notebook.grade_cells:
                        Grade(cell_id=cell.id, notebook=nb)
                    for cell in [*notebook.solution_cells, *notebook.task_cells]:
                        Comment(cell_id=cell.id, notebook=nb)
                    for cell in notebook.task_cells:
                        Grade(cell_id=cell.id, notebook=nb)
                db.add(submission)
                db.flush()
            for field in SUBMISSION_FIELDS:
                setattr(submission, field, rows[field])
            for nb in submission.notebooks:
                got = rows["notebooks"][nb.name]
                for field in NOTEBOOK_FIELDS:
                    setattr(nb, field, got[field])
                for grade in nb.grades:
                    for field in GRADE_FIELDS:
                        setattr(grade, field, got["grades"][grade.name][field])
                for comment in nb.comments:
                    for field in COMMENT_FIELDS:
                        setattr(comment, field, got["comments"][comment.name][field])
            db.commit()
        except Exception:
            db.rollback()
            raise


def _store(course: Course, lab: str, result: dict) -> StudentOutcome:
    student = result["student"]
    target = course.root / "autograded" / student / lab
    if result["autograded"] is not None:
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        with tarfile.open(fileobj=io.BytesIO(result["autograded"])) as tar:
            tar.extractall(target, filter="data")
    if result["rows"] is not None:
        _write_rows(course, lab, student, result["rows"])
    records.write_outcome(course.root, lab, student, result["record"])
    return course.outcome(lab, student)


def _finish(course: Course, lab: str, student: str, future, report) -> StudentOutcome:
    """Store one job's products; a job that failed as a whole (not the submission) is recorded as such."""
    try:
        outcome = _store(course, lab, future.result())
    except Exception as exc:  # the job's process died, or its products could not be stored
        records.update_outcome(
            course.root,
            lab,
            student,
            status="not graded",
            notebook="not run",
            reason=f"the grading job failed: {type(exc).__name__}: {exc}",
        )
        outcome = course.outcome(lab, student)
    report(outcome)
    return outcome


def _result_arrives(future) -> bool:
    """Whether a Dask job's result can be fetched: a job can end "finished" on a worker that then dies
    before its result is gathered (the scheduler reschedules it, and the gather fails)."""
    try:
        future.result()
    except Exception:
        return False
    return True


def _snapshot(course: Course) -> bytes:
    """The course's gradebook (SQLite or any server nbgrader's db_url names) as an SQLite file's bytes."""
    from nbgrader.api import Base, Gradebook

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "gradebook.db"
        with Gradebook(f"sqlite:///{path}") as copy, course.gradebook() as master:
            for table in reversed(Base.metadata.sorted_tables):  # the row(s) a new gradebook starts with
                copy.db.execute(table.delete())
            for table in Base.metadata.sorted_tables:
                rows = [dict(row) for row in master.db.execute(table.select()).mappings()]
                if rows:
                    copy.db.execute(table.insert(), rows)
            copy.db.commit()
        return path.read_bytes()


def autograde(
    course: Course,
    lab: str,
    students: list[str] | None = None,
    *,
    jobs: int = 2,
    scheduler: str | None = None,
    report=lambda outcome: None,
) -> list[StudentOutcome]:
    """Like ``Course.autograde``, with ``jobs`` local processes or on the Dask cluster at ``scheduler``."""
    if lab not in LABS:
        raise CourseError(f"unknown lab {lab!r}; known labs: {', '.join(LABS)}")
    if not (course.root / "release" / lab).is_dir():
        raise CourseError(f"{lab} has not been released in {course.root} (run `mlplab-course release {lab}`)")
    if jobs < 1:
        raise CourseError(f"--jobs must be at least 1, not {jobs}")
    students = students or course.students(lab)
    if not students:
        raise CourseError(f"no submissions in {course.root / 'submitted'}/<student>/{lab}")
    outcomes = {}
    with course_lock(course.root, f"autograde {lab} in parallel"):
        records.course_secret(course.root)  # made once here, before the jobs copy it
        args = (str(course.root), lab)
        snapshot = _snapshot(course)
        if scheduler:
            from distributed import Client
            from distributed import as_completed as dask_completed

            with Client(scheduler, set_as_default=False) as client:
                shared = client.scatter(snapshot, broadcast=True)
                run = uuid.uuid4().hex[:8]

                def submit(student: str, attempt: int):
                    future = client.submit(
                        grade_job,
                        *args,
                        student,
                        shared,
                        course.allow_unsandboxed,
                        course.notebooks,
                        key=f"autograde-{lab}-{student}-{run}-{attempt}",
                        pure=False,
                    )
                    jobs_of[future] = (student, attempt)
                    return future

                jobs_of: dict = {}
                pending = dask_completed([submit(s, 1) for s in students], loop=client.loop)
                for future in pending:
                    student, attempt = jobs_of[future]
                    if attempt < DASK_ATTEMPTS and not _result_arrives(future):
                        # e.g. its worker died with the result. A worker that dies may take the scattered
                        # gradebook with it, and the scheduler then gives up on that copy: scatter it anew.
                        shared = client.scatter(snapshot, broadcast=True)
                        pending.add(submit(student, attempt + 1))
                        continue
                    outcomes[student] = _finish(course, lab, student, future, report)
        else:
            with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
                futures = {
                    pool.submit(grade_job, *args, s, snapshot, course.allow_unsandboxed, course.notebooks): s
                    for s in students
                }
                for future in as_completed(futures):
                    outcomes[futures[future]] = _finish(course, lab, futures[future], future, report)
    return [outcomes[s] for s in students]
