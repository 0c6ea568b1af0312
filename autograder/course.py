"""nbgrader integration: release, submit, autograde, feedback and export for a course folder.

Layout of a course folder (default ``course/`` in the repository)::

    nbgrader_config.py    written here: nbgrader's own commands and the formgrader use it too
    source/<lab>/         assembled from solutions/: the source notebook and the library with stubs
    release/<lab>/        what students get (nbgrader generate_assignment)
    submitted/<student>/<lab>/   submissions (nbgrader collect, or `mlplab-course submit`)
    autograded/, feedback/, gradebook.db   nbgrader's
    grading/<lab>/<student>.json   each student's outcome (see autograder.records)
    .mlplab-secret, .lock          the seeds' secret; the lock of autograde and feedback

Autograde is nbgrader's own, with the preprocessors of ``autograder.preprocessors`` configured
by ``nbgrader_config.py`` (``autograder.course_config``): the trusted grader scores the submitted
folder, the kernel runs sandboxed, the graded cells show the verdict.
"""

from __future__ import annotations

import csv
import fcntl
import os
import re
import shutil
import sys
import weakref
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbconvert.exporters import NotebookExporter

from autograder import records
from autograder.course_config import load_config, write_config
from autograder.feedback import page_text, secrets_for
from autograder.generate import REPO, build_source_notebook, find_leaks, make_stub
from autograder.questions import answer_leaks
from autograder.release_files import add_student_files
from mlplab.course.questions import QUESTIONS, questions_of, written_questions_of
from mlplab.course.tasks import LABS, TASKS, exercise_files

LINE_MAX_CHARS = 400  # of what one student's outcome line says after the score
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "_build_*.py")


class CourseError(RuntimeError):
    """An instructor command cannot go ahead; the message says why and what to do."""


@dataclass
class StudentOutcome:
    student: str
    ok: bool
    message: str
    score: float = 0.0
    max_score: float = 0.0
    sandbox: str = ""
    notebook: str = ""
    overridden: list[str] = field(default_factory=list)
    cleared: list[str] = field(default_factory=list)
    by_hand: float = 0.0  # points of the written answers, beyond max_score, that the instructor grades

    def line(self) -> str:
        """One line for the terminal (whatever the kernel or nbgrader wrote into the reasons)."""
        points = f"{self.score:g}/{self.max_score:g}" if self.ok else "NOT GRADED"
        parts = [self.message]
        if self.ok:
            parts = [f"sandbox {self.sandbox}", f"notebook {self.notebook}"]
            if self.by_hand:
                parts.append(f"written answers: {self.by_hand:g} more points to grade by hand")
        if self.overridden:
            parts.append("manual scores kept: " + ", ".join(self.overridden))
        if self.cleared:
            parts.append("manual scores cleared (submission changed): " + ", ".join(self.cleared))
        return f"{self.student:20} {points:12} " + records.one_line("; ".join(parts))[:LINE_MAX_CHARS]


def finish_release(assignment: str, **_) -> None:
    """post_convert_hook of generate_assignment: exercise files of the release are the stubs.

    nbgrader copies .py files verbatim; this holds even if someone put solutions into source/.
    Runs with the course folder as the working directory.
    """
    release = Path("release") / assignment
    for relpath in exercise_files():
        (release / relpath).write_text(make_stub(relpath))


def _tools_on_path() -> None:
    """nbgrader runs the ``alembic`` executable installed next to this Python when it creates a
    gradebook: put that folder on PATH when it is not (e.g. ``.venv/bin/python`` run directly)."""
    bin_dir = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if bin_dir not in path.split(os.pathsep):
        os.environ["PATH"] = bin_dir + (os.pathsep + path if path else "")


_HELD: dict[Path, object] = {}  # course root -> its lock file, open, while this process holds the lock


def _take_lock(root: Path, what: str, *, wait: bool):
    """The open, exclusively locked ``root/.lock`` (its text names the holder). A lock held by
    another process: CourseError naming the holder, or, with ``wait``, wait until it is free."""
    handle = (root / ".lock").open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        if not wait:
            handle.close()
            raise CourseError(f"{root} is busy: {holder} holds its lock; try again when it has finished") from None
        print(f"{root} is busy: {holder} holds its lock; waiting until it has finished", file=sys.stderr, flush=True)
        fcntl.flock(handle, fcntl.LOCK_EX)
    handle.seek(0)
    handle.truncate()
    handle.write(f"{what} (pid {os.getpid()})")
    handle.flush()
    return handle


@contextmanager
def course_lock(root: Path, what: str):
    """Exclusive lock on the course folder for ``what``; a second run refuses at once.

    Re-entrant within one process: nbgrader's pipeline, run by ``Course.autograde``, takes it again.
    """
    root = Path(root).resolve()
    if root in _HELD:
        yield
        return
    _HELD[root] = _take_lock(root, what, wait=False)
    try:
        yield
    finally:
        _HELD.pop(root).close()


class CourseLockedExporter(NotebookExporter):
    """The exporter of nbgrader's Autograde (``Autograde.exporter_class``), made at the start of
    each run: it takes the course lock for the run, before nbgrader removes or copies anything,
    whatever started it (``nbgrader autograde``, the formgrader, NbGraderAPI; ``mlplab-course``
    holds the lock already). nbgrader offers no way to refuse from here, so it waits while another
    process holds the lock (saying so on stderr).

    Released after the run's last submission (``unlock_after_run``), or when the run's converter
    is gone (a failed last submission skips that hook), at the latest when the process exits.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        converter = self.parent
        root = Path(converter.coursedir.root).resolve()
        if root in _HELD or not converter.assignments:
            return
        pattern = converter._format_source("(?P<assignment_id>.*)", "(?P<student_id>.*)", escape=True)
        students = [re.match(pattern, path).group("student_id") for path in sorted(converter.assignments)]
        what = f"nbgrader autograde {converter.coursedir.assignment_id} {' '.join(sorted(set(students)))}"
        _HELD[root] = _take_lock(root, what[:300], wait=True)
        _RUN_ENDS[root] = students[-1]
        weakref.finalize(converter, _release_run, root)


_RUN_ENDS: dict[Path, str] = {}  # course root -> the last student of the nbgrader run holding its lock


def _release_run(root: Path) -> None:
    if _RUN_ENDS.pop(root, None) is not None:
        _HELD.pop(root).close()


def unlock_after_run(student: str, **_) -> None:
    """post_convert_hook of Autograde: the run's last submission is done; release its lock.
    Runs in the course folder."""
    root = Path.cwd().resolve()
    if _RUN_ENDS.get(root) == student:
        _release_run(root)


class Course:
    def __init__(
        self, root: str | os.PathLike = REPO / "course", *, allow_unsandboxed: bool = False, notebooks: bool = True
    ):
        """A course folder (made if missing), with its ``nbgrader_config.py`` written.

        Args:
            root: the nbgrader course folder.
            allow_unsandboxed: grade even where the sandbox is not usable (outcomes say so).
            notebooks: autograde executes each notebook (sandboxed) for the feedback's outputs;
                False: scores only, the feedback shows the code and the verdicts
                (``SandboxedExecute.execute``; the scores are the same either way).
        """
        _tools_on_path()
        self.root = Path(root).resolve()
        self.allow_unsandboxed = allow_unsandboxed
        self.notebooks = notebooks
        self.root.mkdir(parents=True, exist_ok=True)
        write_config(self.root)

    # ------------------------------------------------------------ nbgrader plumbing
    def config(self):
        """nbgrader's configuration of this course, as loaded from its nbgrader_config.py."""
        c = load_config(self.root)
        if self.allow_unsandboxed:
            c.SandboxPolicy.allow_unsandboxed = True
        if not self.notebooks:
            c.SandboxedExecute.execute = False
        return c

    def _api(self):
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory

        config = self.config()
        return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)

    @contextmanager
    def gradebook(self):
        from nbgrader.api import Gradebook
        from nbgrader.coursedir import CourseDirectory

        with Gradebook(CourseDirectory(config=self.config()).db_url, "mlplab") as gb:
            yield gb

    # ------------------------------------------------------------ release
    def assemble_source(self, lab: str) -> Path:
        """``source/<lab>/``: the source notebook and the library, every exercise file a stub."""
        if lab not in LABS:
            raise CourseError(f"unknown lab {lab!r}; known labs: {', '.join(LABS)}")
        source = self.root / "source" / lab
        notebook = build_source_notebook(lab)
        if source.exists():
            shutil.rmtree(source)
        shutil.copytree(REPO / "mlplab", source / "mlplab", ignore=IGNORE)
        for relpath in exercise_files():
            (source / relpath).write_text(make_stub(relpath))
        nbformat.write(notebook, source / f"{lab}.ipynb")
        return source

    def release(self, lab: str) -> Path:
        """Generate the student version of ``lab`` in ``release/<lab>/`` and prove nothing leaked."""
        self.assemble_source(lab)
        result = self._api().generate_assignment(lab, force=True, create=True)
        if not result["success"]:
            raise CourseError(f"nbgrader generate_assignment {lab} failed:\n{result.get('error') or result.get('log')}")
        release = self.root / "release" / lab
        add_student_files(release, [lab])
        leaks = find_leaks([release]) + answer_leaks([release], list(LABS))
        if leaks:
            shutil.rmtree(release)
            raise CourseError("the release leaked solutions and was deleted:\n" + "\n".join(leaks))
        return release

    def submit(self, lab: str, student: str, folder: str | os.PathLike) -> Path:
        """Copy a student's assignment folder to ``submitted/<student>/<lab>/`` (no exchange needed).

        A folder holding a symbolic link or any file that is not a regular file is refused.
        """
        folder = Path(folder)
        if not folder.is_dir() or folder.is_symlink():
            raise CourseError(f"{folder} is not a folder")
        refused = records.irregular_files(folder)
        if refused:
            raise CourseError(f"{folder} is refused: " + "; ".join(refused))
        target = self.root / "submitted" / student / lab
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(folder, target, ignore=IGNORE)
        return target

    # ------------------------------------------------------------ grading
    def students(self, lab: str) -> list[str]:
        submitted = self.root / "submitted"
        return sorted(p.parent.name for p in submitted.glob(f"*/{lab}") if p.is_dir())

    def _check_notebook(self, lab: str, folder: Path) -> None:
        path = folder / f"{lab}.ipynb"
        if not path.is_file():
            raise CourseError(f"{path} is missing: the submission has no {lab}.ipynb")
        try:
            nb = nbformat.read(path, as_version=4)
            nbformat.validate(nb)
        except Exception as exc:
            raise CourseError(
                f"{path} is not a valid notebook ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})"
            ) from None

    def autograde(
        self, lab: str, students: list[str] | None = None, *, report=lambda outcome: None
    ) -> list[StudentOutcome]:
        """Autograde every (or the named) submission of ``lab`` with nbgrader and the course's config.

        One bad submission never stops the rest; each outcome is persisted in
        ``grading/<lab>/<student>.json`` and passed to ``report`` as soon as it is known.
        """
        if lab not in LABS:
            raise CourseError(f"unknown lab {lab!r}; known labs: {', '.join(LABS)}")
        if not (self.root / "release" / lab).is_dir():
            raise CourseError(f"{lab} has not been released in {self.root} (run `mlplab-course release {lab}`)")
        students = students or self.students(lab)
        if not students:
            raise CourseError(f"no submissions in {self.root / 'submitted'}/<student>/{lab}")
        outcomes = []
        with course_lock(self.root, f"autograde {lab}"):
            api = self._api()
            for student in students:
                outcome = self._autograde_one(api, lab, student)
                report(outcome)
                outcomes.append(outcome)
        return outcomes

    def _autograde_one(self, api, lab: str, student: str) -> StudentOutcome:
        folder = self.root / "submitted" / student / lab
        try:
            if not folder.is_dir():
                raise CourseError(f"no submission at {folder}")
            self._check_notebook(lab, folder)
        except CourseError as exc:
            records.update_outcome(self.root, lab, student, status="not graded", reason=str(exc), notebook="not run")
            return self.outcome(lab, student)
        # Until the trusted grader says otherwise (the digest stays: it decides about manual scores).
        records.update_outcome(
            self.root,
            lab,
            student,
            status="not graded",
            notebook="not run",
            reason="nbgrader stopped before the trusted grader ran",
        )
        result = api.autograde(lab, student, force=True, create=True)
        if not result["success"]:
            cause = failure_cause(result)
            outcome = records.read_outcome(self.root, lab, student)
            if outcome["status"] != "graded" and outcome["reason"].startswith("nbgrader stopped"):
                self._grade_without_nbgrader(lab, student, cause)
            elif outcome["status"] == "graded" and outcome["notebook"].startswith("not run"):
                records.update_outcome(self.root, lab, student, notebook=f"failed: {cause}")
        return self.outcome(lab, student)

    def _grade_without_nbgrader(self, lab: str, student: str, cause: str) -> None:
        """nbgrader failed before its pipeline reached the trusted grader (e.g. while copying the
        files): the trusted scores are recorded all the same, and the failure beside them."""
        from autograder.grading import GradingError
        from autograder.preprocessors import grade_and_record
        from autograder.sandbox import SandboxUnavailable

        with self.gradebook() as gb:
            gb.update_or_create_student(student)
            gb.update_or_create_submission(lab, student)
        try:
            grade_and_record(self.config(), lab, student, allow_unsandboxed=self.allow_unsandboxed)
        except (GradingError, SandboxUnavailable):
            return  # the outcome says why
        records.update_outcome(self.root, lab, student, notebook=f"failed before it ran: {cause}")

    def outcome(self, lab: str, student: str) -> StudentOutcome:
        """The latest autograde outcome of ``student``'s ``lab`` (from grading/<lab>/<student>.json)."""
        record = records.read_outcome(self.root, lab, student)
        if record is None:
            return StudentOutcome(student, False, "never autograded")
        ok = record.get("status") == "graded"
        return StudentOutcome(
            student,
            ok,
            "graded" if ok else record.get("reason") or "never autograded",
            record.get("score", 0.0),
            record.get("max_score", 0.0),
            record.get("sandbox", ""),
            record.get("notebook", ""),
            record.get("overridden", []),
            [c["task"] for c in record.get("cleared_overrides", [])],
            sum(q.points for q in written_questions_of(lab)),
        )

    # ------------------------------------------------------------ feedback and export
    def feedback(
        self, lab: str, students: list[str] | None = None, *, report=lambda student, problem: None
    ) -> tuple[list[Path], dict[str, str]]:
        """HTML feedback per student: the notebook page only, checked before and after it is written.

        Returns the pages written and, per student whose page was not written, why. A failing
        student never stops the others; ``report(student, problem)`` hears of each at once
        (``problem`` is None when the page was written).
        """
        written: list[Path] = []
        failures: dict[str, str] = {}
        with course_lock(self.root, f"feedback {lab}"):
            api = self._api()
            for student in students or self.students(lab):
                try:
                    pages = self._feedback_one(api, lab, student)
                except CourseError as exc:
                    failures[student] = str(exc)
                    report(student, str(exc))
                else:
                    written.extend(pages)
                    report(student, None)
        return written, failures

    def _feedback_one(self, api, lab: str, student: str) -> list[Path]:
        records.update_outcome(self.root, lab, student, feedback="not written")
        result = api.generate_feedback(lab, student, force=True)
        record = records.read_outcome(self.root, lab, student)
        folder = self.root / "feedback" / student / lab
        if not result["success"]:
            if record.get("feedback", "").startswith("withheld"):
                raise CourseError(record["feedback"])
            raise CourseError(f"nbgrader generate_feedback failed: {failure_cause(result)}")
        pages = sorted(folder.glob("*.html"))
        index = secrets_for(self.root, lab, student)
        for page in pages:
            text = page_text(page.read_text(errors="replace"))
            problem = index.find(text)
            if problem is None and (str(self.root) in text or str(REPO) in text):
                problem = "a path of the instructor's machine"
            if problem:
                shutil.rmtree(folder)
                reason = f"withheld: the written page shows {problem}"
                records.update_outcome(self.root, lab, student, feedback=reason)
                raise CourseError(reason)
        if not pages:
            raise CourseError(f"nbgrader wrote no page in {folder}")
        records.update_outcome(self.root, lab, student, feedback="written")
        return pages

    def export(self, path: str | os.PathLike) -> Path:
        """A CSV with one row per student and lab: total, status, overrides, every task's points (column: the task id) and
        every question's (column: the answer cell's id, never a task id; a written answer's is "to
        grade" while it waits for a grader; a choice or numeric one's is its trusted score).

        ``status`` is "graded" or "not graded: why"; ``sandbox`` whether student code ran in the
        sandbox; ``notebook`` whether nbgrader's notebook stage finished; ``overridden`` the tasks
        whose score is a manual one.
        """
        path = Path(path)
        rows = {}
        with self.gradebook() as gb:
            for assignment in gb.assignments:
                lab = assignment.name
                for submission in gb.assignment_submissions(lab):
                    student = submission.student.id
                    row = {"student": student, "lab": lab, "score": submission.score, "max_score": submission.max_score}
                    overridden = []
                    for task in (t for t in TASKS if t.lab == lab):
                        grade_row = gb.find_grade(task.cell_id, lab, lab, student)
                        row[task.id] = grade_row.score
                        if grade_row.manual_score is not None:
                            overridden.append(task.id)
                    for question in questions_of(lab):
                        grade_row = gb.find_grade(question.cell_id, lab, lab, student)
                        row[question.cell_id] = "to grade" if grade_row.needs_manual_grade else grade_row.score
                    row["overridden"] = " ".join(overridden)
                    rows[(lab, student)] = row
        for outcome_file in sorted((self.root / "grading").glob("*/*.json")):
            lab, student = outcome_file.parent.name, outcome_file.stem
            record = records.read_outcome(self.root, lab, student)
            row = rows.setdefault((lab, student), {"student": student, "lab": lab})
            graded = record.get("status") == "graded"
            row["status"] = "graded" if graded else f"not graded: {record.get('reason') or 'never autograded'}"
            row["sandbox"] = record.get("sandbox", "") if graded else ""
            row["notebook"] = record.get("notebook", "")
            if not graded:
                row.update({k: "" for k in row if k not in ("student", "lab", "status", "notebook")})
        for row in rows.values():
            row.setdefault("status", "unknown: no outcome record (autograded outside this course's pipeline?)")
        columns = (
            ["student", "lab", "score", "max_score", "status", "sandbox", "notebook", "overridden"]
            + [t.id for t in TASKS if any(t.id in r for r in rows.values())]
            + [q.cell_id for q in QUESTIONS if any(q.cell_id in r for r in rows.values())]
        )
        tmp = path.with_suffix(path.suffix + ".tmp")
        with tmp.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, restval="")
            writer.writeheader()
            writer.writerows(sorted(rows.values(), key=lambda r: (r["lab"], r["student"])))
        tmp.replace(path)
        return path


_EXCEPTION_LINE = re.compile(
    r"^\s*(?:\[ERROR\]\s*)?([A-Za-z_][\w.]*(?:Error|Exception|Withheld|Refused|Interrupt|Exit))(?::\s*(.*))?$"
)


def failure_cause(result: dict) -> str:
    """The exception that made an nbgrader run fail, from its log (not "see the above traceback")."""
    text = (result.get("log", "") + "\n" + result.get("error", "")).splitlines()
    causes = [m for m in map(_EXCEPTION_LINE.match, text) if m and not m.group(1).endswith("NbGraderException")]
    if causes:
        name, message = causes[-1].group(1), causes[-1].group(2) or ""
        return f"{name.rsplit('.', 1)[-1]}: {message}".strip()[:500]
    errors = [line.removeprefix("[ERROR] ") for line in text if line.startswith("[ERROR]")]
    return (errors[0] if errors else "no details")[:500]
