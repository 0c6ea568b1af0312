"""nbgrader preprocessors of ``generate_feedback``: a page a student can read, and that leaks nothing.

* ``LabelTasks`` names each graded cell by its task ("1.7 ELU layer"); the course's feedback
  template (``autograder/templates/mlplab_feedback``) shows that name and the points in the
  table of contents and above the cell. The cell's output is the trusted verdict's message
  (written at autograde by ``autograder.preprocessors.TrustedOutputs``); figures stay.
* ``GuardFeedback`` replaces the paths of the instructor's machine (course folder, repository,
  Python installation, home) by placeholders, caps the page's size with a visible note, and
  withholds the page (raises ``FeedbackWithheld``, so nbgrader writes nothing for that student
  and goes on with the others) when any text on it contains a line of a reference solution,
  of a hidden test, or of another student's submission. Lines are compared by content with all
  whitespace removed, anywhere in a line of the page and also reversed, so re-indenting,
  prefixing, reversing or replacing the solution markers does not hide them. A line the student's own submission already holds
  is not a leak.
"""

from __future__ import annotations

import functools
import html
import re
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_output
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import is_grade
from traitlets import Integer

from autograder import records
from autograder.generate import REPO, solution_lines, squeeze
from autograder.preprocessors import task_label
from autograder.questions import question_label
from mlplab.course.questions import QUESTIONS
from mlplab.course.tasks import TASKS

MIN_SECRET = 12  # characters of a line without whitespace; shorter lines are too generic to tell
TEXT_SUFFIXES = (".py", ".ipynb", ".md", ".txt", ".json", ".cfg", ".toml", ".csv")
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
_CELL_IDS = {t.cell_id: t.id for t in TASKS}
_ANSWER_IDS = {q.cell_id: q for q in QUESTIONS}


class FeedbackWithheld(RuntimeError):
    """The feedback page would show what a student must not see; the message says what (not the text)."""


_FILE_LINES: dict[str, tuple[tuple, set[str]]] = {}


def file_lines(folder: Path) -> set[str]:
    """Squeezed lines of the text files below ``folder`` (notebooks: their cells' sources).

    Kept per folder for as long as its files keep their number, sizes and times (a class's
    feedback run reads each submission once, not once per student).
    """
    files = sorted(
        p for p in Path(folder).rglob("*") if p.suffix in TEXT_SUFFIXES and p.is_file() and not p.is_symlink()
    )
    stats = [p.stat() for p in files]
    signature = (len(files), sum(s.st_size for s in stats), max((s.st_mtime_ns for s in stats), default=0))
    cached = _FILE_LINES.get(str(folder))
    if cached and cached[0] == signature:
        return cached[1]
    lines: set[str] = set()
    for path in files:
        text = path.read_text(errors="replace")
        if path.suffix == ".ipynb":
            try:
                text = "\n".join(c.source for c in nbformat.reads(text, as_version=4).cells)
            except Exception:
                pass  # an unreadable notebook: its raw lines
        lines.update(squeeze(line) for line in text.splitlines())
    _FILE_LINES[str(folder)] = (signature, lines)
    return lines


def hidden_test_lines(root: Path) -> set[str]:
    """Squeezed lines between the hidden-test markers of the course's source notebooks."""
    lines: set[str] = set()
    for path in (Path(root) / "source").glob("*/*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            for region in HIDDEN.findall(cell.source):
                lines.update(squeeze(line) for line in region.splitlines())
    return lines


class SecretIndex:
    """Lines no page may contain, each with where it comes from, found in one pass over a text."""

    def __init__(self, secrets: dict[str, str]):
        self.by_prefix: dict[str, list[tuple[str, str]]] = {}
        for line, origin in secrets.items():
            if len(line) >= MIN_SECRET:
                self.by_prefix.setdefault(line[:MIN_SECRET], []).append((line, origin))

    def find(self, text: str) -> str | None:
        """The origin of the first secret line found anywhere in ``text`` (or in it reversed), else None."""
        squeezed = squeeze(text)
        for candidate in (squeezed, squeezed[::-1]):
            for i in range(len(candidate) - MIN_SECRET + 1):
                for line, origin in self.by_prefix.get(candidate[i : i + MIN_SECRET], ()):
                    if candidate.startswith(line, i):
                        return origin
        return None


@functools.cache
def _solution_lines() -> frozenset[str]:
    return frozenset(squeeze(line) for line in solution_lines())


def secrets_for(root: Path, lab: str, student: str) -> SecretIndex:
    """Solution and hidden-test lines, and other students' lines, minus what is public or the student's."""
    coursedir = CourseDirectory(root=str(root))
    submitted = Path(coursedir.submitted_directory)
    if not submitted.is_absolute():
        submitted = Path(root) / submitted
    public = set()
    for release in (Path(root) / "release").glob("*"):
        public |= file_lines(release)
    own = file_lines(submitted / student / lab) if (submitted / student / lab).is_dir() else set()
    secrets: dict[str, str] = {}
    for folder in sorted(p for p in submitted.glob("*/*") if p.is_dir() and p.parent.name != student):
        for line in file_lines(folder) - public:
            secrets.setdefault(line, f"a line of {folder.parent.name}'s submission of {folder.name}")
    for line in hidden_test_lines(root):
        secrets[line] = "a line of a hidden test"
    for line in _solution_lines():
        secrets[line] = "a line of a reference solution"
    return SecretIndex({line: origin for line, origin in secrets.items() if line not in own})


def instructor_paths(root: Path, submission: Path) -> list[tuple[str, str]]:
    """(path, placeholder) pairs, longest path first, also in their resolved spelling."""
    pairs = {}
    for path, name in (
        (submission, "<your submission>"),
        (Path(root), "<course>"),
        (REPO, "<repo>"),
        (Path(sys.prefix), "<python>"),
        (Path(sys.base_prefix), "<python>"),
        (Path.home(), "~"),
    ):
        for spelling in {str(path), str(Path(path).resolve())}:
            if len(spelling) > 1:
                pairs.setdefault(spelling, name)
    return sorted(pairs.items(), key=lambda p: -len(p[0]))


BINARY_MIMES = ("image/png", "image/jpeg", "image/gif")


def _texts(cell):
    """(container, key) of every text on a cell: its source, its outputs' text, tracebacks and data."""
    yield cell, "source"
    for output in cell.get("outputs", []):
        for key in ("text", "evalue", "ename"):
            if key in output:
                yield output, key
        for i in range(len(output.get("traceback", []))):
            yield output["traceback"], i
        for mime in output.get("data", {}):
            if mime not in BINARY_MIMES:
                yield output["data"], mime


def _join(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _output_size(output) -> int:
    return (
        sum(len(_join(v)) for v in output.get("data", {}).values())
        + len(_join(output.get("text", "")))
        + sum(len(str(line)) for line in output.get("traceback", []))
    )


class LabelTasks(NbGraderPreprocessor):
    """``cell.metadata.mlplab_task``: the task name of each graded cell (or "written answer", or the
    question's name), for the feedback template."""

    def preprocess_cell(self, cell, resources, index):
        if is_grade(cell):
            grade_id = cell.metadata.nbgrader.get("grade_id")
            task_id = _CELL_IDS.get(grade_id)
            question = _ANSWER_IDS.get(grade_id)
            cell.metadata["mlplab_task"] = (
                task_label(task_id)
                if task_id
                else "written answer (graded by hand)"
                if question is not None and not question.automatic
                else f"{question_label(question)}, graded automatically"
                if question is not None
                else "not a task of this lab"
            )
        return cell, resources


class GuardFeedback(NbGraderPreprocessor):
    max_page_bytes = Integer(
        6 * 1024 * 1024, help="outputs beyond this many bytes are left off the feedback page, with a note"
    ).tag(config=True)

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        root = Path(CourseDirectory(config=self.config).root)
        lab, student = info["assignment"], info["student"]
        coursedir = CourseDirectory(config=self.config)
        autograded = Path(coursedir.format_path(coursedir.autograded_directory, student, lab))
        paths = instructor_paths(root, autograded)
        index = secrets_for(root, lab, student)
        budget = self.max_page_bytes
        for number, cell in enumerate(nb.cells, 1):
            kept = []
            for output in cell.get("outputs", []):
                budget -= _output_size(output)
                if budget >= 0:
                    kept.append(output)
                elif budget + _output_size(output) >= 0:
                    kept.append(
                        new_output(
                            "stream",
                            name="stderr",
                            text=(
                                f"[the rest of the outputs is left off this page: more than "
                                f"{self.max_page_bytes // 1024} KB]\n"
                            ),
                        )
                    )
            if "outputs" in cell:
                cell.outputs = kept
            for holder, key in _texts(cell):
                if not isinstance(holder[key], (str, list)):
                    continue  # e.g. application/json data, which the page does not show
                text = _join(holder[key])
                for path, name in paths:
                    text = text.replace(path, name)
                holder[key] = text
                origin = index.find(page_text(text) if key == "text/html" else text)
                if origin:
                    reason = (
                        f"cell {number} of the page ({'its code' if key == 'source' else 'its output'}) shows {origin}"
                    )
                    records.update_outcome(root, lab, student, feedback=f"withheld: {reason}")
                    raise FeedbackWithheld(f"feedback for {student} withheld: {reason}")
        records.update_outcome(root, lab, student, feedback="written")
        return nb, resources


def page_text(html_text: str) -> str:
    """The text a browser shows of an HTML page (tags removed, entities decoded)."""
    without = re.sub(r"<(script|style)\b.*?</\1>", " ", html_text, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", "", without))


# nbgrader's own bookkeeping, which `nbgrader release_feedback` needs next to the page
NBGRADER_FILES = ("timestamp.txt", "submission_secret.txt")
NBGRADER_FILE_MAX_BYTES = 256


def keep_only_pages(assignment: str, **_) -> None:
    """post_convert_hook of generate_feedback: a feedback folder holds the HTML pages only
    (and nbgrader's two small bookkeeping files).

    nbgrader copies every file of the autograded copy next to the page, including whatever the
    kernel wrote there. Runs with the course folder as the working directory.
    """
    for folder in Path("feedback").glob(f"*/{assignment}"):
        for path in sorted(folder.rglob("*"), reverse=True):
            bookkeeping = (
                path.parent == folder
                and path.name in NBGRADER_FILES
                and path.is_file()
                and not path.is_symlink()
                and path.stat().st_size <= NBGRADER_FILE_MAX_BYTES
            )
            if path.is_symlink() or (path.is_file() and path.suffix != ".html" and not bookkeeping):
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
