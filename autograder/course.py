"""nbgrader integration: release, autograde, feedback and export for a course folder.

Layout of a course folder (default ``course/`` in the repository)::

    source/<lab>/         assembled here from solutions/ (notebook + whole mlplab package)
    release/<lab>/        what students get (nbgrader generate_assignment + stub stripping)
    submitted/<student>/<lab>/   submissions (nbgrader collect, or `mlplab-course submit`)
    autograded/, feedback/, gradebook.db   nbgrader's
    grading/<lab>/<student>.json           trusted verdicts of the autograder

Autograde is two-stage. First the trusted grader (``autograder.grading``) grades
the submission's exercise files in worker processes; then nbgrader executes the
notebook, whose hidden test cells read that verdict; finally the trusted scores
are written over the cells' scores in the gradebook in one transaction.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder import kernel_sandbox
from autograder.generate import REPO, SOLUTIONS, build_source_notebook, find_leaks, make_stub
from autograder.grading import GradingError, LabVerdict, grade
from mlplab.tasks import LABS, TASKS, exercise_files, get_task

# nbgrader's own files in feedback/<student>/<lab>/ that `nbgrader release_feedback` reads
RELEASE_FEEDBACK_FILES = ("timestamp.txt", "submission_secret.txt")
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


@contextmanager
def _environment(**values: str | None):
    saved = {k: os.environ.get(k) for k in values}
    try:
        for key, value in values.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _tools_on_path() -> None:
    """nbgrader runs the ``alembic`` executable installed next to this Python when it creates a
    gradebook: put that folder on PATH when it is not (e.g. ``.venv/bin/python`` run directly)."""
    bin_dir = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if bin_dir not in path.split(os.pathsep):
        os.environ["PATH"] = bin_dir + (os.pathsep + path if path else "")


class Course:
    def __init__(self, root: str | os.PathLike = REPO / "course", *, timeout: int = 300,
                 sandbox_kernel: bool | None = None):
        """A course folder.

        Args:
            root: the nbgrader course folder (made if missing).
            timeout: nbgrader's per-cell timeout during autograde, seconds.
            sandbox_kernel: execute submitted notebooks in the sandboxed kernel of
                ``autograder.kernel_sandbox`` (default: whenever bwrap works here).
        """
        _tools_on_path()
        self.root = Path(root).resolve()
        self.timeout = timeout
        self.sandbox_kernel = kernel_sandbox.available() if sandbox_kernel is None else sandbox_kernel
        self.root.mkdir(parents=True, exist_ok=True)

    # ------------------------------------------------------------ nbgrader plumbing
    def _config(self):
        from traitlets.config import Config

        c = Config()
        c.CourseDirectory.root = str(self.root)
        c.CourseDirectory.course_id = "mlplab"
        c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]
        c.Autograde.exclude_overwriting = {lab: exercise_files(lab) for lab in LABS}
        c.GenerateAssignment.post_convert_hook = self._strip_release
        c.Execute.timeout = self.timeout
        c.Execute.interrupt_on_timeout = True
        c.GenerateFeedback.preprocessors = [
            "nbgrader.preprocessors.GetGrades",
            "nbgrader.preprocessors.ClearHiddenTests",
            "autograder.feedback.SummariseGradedErrors",
            "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
        ]
        return c

    def _api(self, config=None):
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory

        config = config or self._config()
        return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)

    @contextmanager
    def gradebook(self):
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{self.root / 'gradebook.db'}", "mlplab") as gb:
            yield gb

    def _strip_release(self, assignment: str, **_) -> None:
        """post_convert_hook of generate_assignment: nbgrader copies .py files verbatim."""
        release = self.root / "release" / assignment
        for relpath in exercise_files():
            target = release / relpath
            if target.is_file():
                target.write_text(make_stub(relpath))

    # ------------------------------------------------------------ release
    def assemble_source(self, lab: str) -> Path:
        """``source/<lab>/``: the source notebook and the mlplab package with the reference exercises."""
        if lab not in LABS:
            raise CourseError(f"unknown lab {lab!r}; known labs: {', '.join(LABS)}")
        source = self.root / "source" / lab
        notebook = build_source_notebook(lab)
        if source.exists():
            shutil.rmtree(source)
        shutil.copytree(REPO / "mlplab", source / "mlplab", ignore=IGNORE)
        for relpath in exercise_files():
            if (SOLUTIONS / relpath).is_file():
                shutil.copyfile(SOLUTIONS / relpath, source / relpath)
        nbformat.write(notebook, source / f"{lab}.ipynb")
        return source

    def release(self, lab: str) -> Path:
        """Generate the student version of ``lab`` in ``release/<lab>/`` and prove nothing leaked."""
        self.assemble_source(lab)
        result = self._api().generate_assignment(lab, force=True, create=True)
        if not result["success"]:
            raise CourseError(f"nbgrader generate_assignment {lab} failed:\n{result.get('error') or result.get('log')}")
        release = self.root / "release" / lab
        leaks = find_leaks([release])
        if leaks:
            shutil.rmtree(release)
            raise CourseError("the release leaked solutions and was deleted:\n" + "\n".join(leaks))
        return release

    def submit(self, lab: str, student: str, folder: str | os.PathLike) -> Path:
        """Copy a student's assignment folder to ``submitted/<student>/<lab>/`` (no exchange needed)."""
        folder = Path(folder)
        if not folder.is_dir():
            raise CourseError(f"{folder} is not a folder")
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
            raise CourseError(f"{path} is not a valid notebook ({type(exc).__name__}: "
                              f"{str(exc).splitlines()[0] if str(exc) else ''})") from None

    def autograde(self, lab: str, students: list[str] | None = None, *, seed: int | None = None) -> list[StudentOutcome]:
        """Autograde every (or the named) submission of ``lab``; one bad submission never stops the rest."""
        if lab not in LABS:
            raise CourseError(f"unknown lab {lab!r}; known labs: {', '.join(LABS)}")
        if not (self.root / "release" / lab).is_dir():
            raise CourseError(f"{lab} has not been released in {self.root} (run `mlplab-course release {lab}`)")
        students = students or self.students(lab)
        if not students:
            raise CourseError(f"no submissions in {self.root / 'submitted'}/<student>/{lab}")
        return [self._autograde_one(lab, student, seed) for student in students]

    def _autograde_one(self, lab: str, student: str, seed: int | None) -> StudentOutcome:
        folder = self.root / "submitted" / student / lab
        try:
            if not folder.is_dir():
                raise CourseError(f"no submission at {folder}")
            self._check_notebook(lab, folder)
            verdict = grade(folder, lab, seed=seed)
        except (CourseError, GradingError) as exc:
            return StudentOutcome(student, False, str(exc))
        verdict_path = self.root / "grading" / lab / f"{student}.json"
        verdict_path.parent.mkdir(parents=True, exist_ok=True)
        verdict_path.write_text(verdict.to_json())
        config = self._config()
        with tempfile.TemporaryDirectory(prefix="mlplab-kernel-") as state:  # short: socket paths
            kernel_env = {}
            if self.sandbox_kernel:
                kernel_env = kernel_sandbox.kernel_config(
                    config, state_dir=Path(state), workdir=self.root / "autograded" / student / lab,
                    readable=[verdict_path, folder])
            with _environment(MLPLAB_VERDICT=str(verdict_path), MLPLAB_GRADING="1",
                              MLPLAB_REFERENCE=None, MLPLAB_EXERCISES=None, PYTHONWARNINGS="ignore",
                              OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", **kernel_env):
                result = self._api(config).autograde(lab, student, force=True, create=True)
        if not result["success"]:
            return StudentOutcome(student, False, f"nbgrader autograde failed: {_last_error(result)}")
        try:
            self._record(lab, student, verdict)
        except Exception as exc:
            return StudentOutcome(student, False, f"could not record the grades: {exc}")
        return StudentOutcome(student, True, "graded", verdict.score, verdict.max_score)

    def _record(self, lab: str, student: str, verdict: LabVerdict) -> None:
        """Write the trusted per-task scores into the gradebook, all or nothing."""
        with self.gradebook() as gb:
            try:
                for result in verdict.results:
                    task = get_task(result.task_id)
                    grade_row = gb.find_grade(task.cell_id, lab, lab, student)
                    grade_row.auto_score = float(result.points)
                gb.db.commit()
            except Exception:
                gb.db.rollback()
                raise

    # ------------------------------------------------------------ feedback and export
    def feedback(self, lab: str, students: list[str] | None = None) -> list[Path]:
        """HTML feedback per student, without hidden tests and without any other file but
        the two by which ``nbgrader release_feedback`` matches it to the student's submission."""
        api = self._api()
        written = []
        for student in students or self.students(lab):
            result = api.generate_feedback(lab, student, force=True)
            if not result["success"]:
                raise CourseError(f"feedback for {student} failed: {_last_error(result)}")
            folder = self.root / "feedback" / student / lab
            for path in sorted(folder.rglob("*"), reverse=True):
                if path.is_file() and path.suffix != ".html" and path.name not in RELEASE_FEEDBACK_FILES:
                    path.unlink()
                elif path.is_dir() and not any(path.iterdir()):
                    path.rmdir()
            leaks = [p for p in find_leaks([folder])]
            if leaks:
                shutil.rmtree(folder)
                raise CourseError("feedback leaked hidden tests and was deleted:\n" + "\n".join(leaks))
            written.extend(sorted(folder.glob("*.html")))
        return written

    def export(self, path: str | os.PathLike) -> Path:
        """A CSV with one row per student and lab: total and every task's points."""
        path = Path(path)
        rows = []
        with self.gradebook() as gb:
            for assignment in gb.assignments:
                lab = assignment.name
                tasks = [t for t in TASKS if t.lab == lab]
                for submission in gb.assignment_submissions(lab):
                    row = {"student": submission.student.id, "lab": lab,
                           "score": submission.score, "max_score": submission.max_score}
                    for task in tasks:
                        row[task.id] = gb.find_grade(task.cell_id, lab, lab, submission.student.id).score
                    rows.append(row)
        columns = ["student", "lab", "score", "max_score"] + [t.id for t in TASKS
                                                              if any(t.id in r for r in rows)]
        tmp = path.with_suffix(path.suffix + ".tmp")
        with tmp.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, restval="")
            writer.writeheader()
            writer.writerows(sorted(rows, key=lambda r: (r["lab"], r["student"])))
        tmp.replace(path)
        return path


def _last_error(result: dict) -> str:
    text = (result.get("error") or result.get("log") or "").strip().splitlines()
    return text[-1] if text else "no details"


def load_verdict(path: str | os.PathLike) -> LabVerdict:
    return LabVerdict.from_dict(json.loads(Path(path).read_text()))
