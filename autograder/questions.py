"""The trusted side of the automatically graded questions (choice and numeric).

The expected answers live only in the notebook sources (``solutions/labs/<lab>.py``), in each
question's answer cell between solution markers (``answer = "b"``); this module reads them
there, never from anything a student receives. A submitted answer is read from the submitted
notebook's answer cell by parsing its source with ``ast``: the cell must be a single assignment
``answer = <literal>``. Nothing of it is executed, imported or evaluated beyond
``ast.literal_eval`` of that one literal; anything else scores 0 with a message saying so.

What a verdict says: right or wrong, and for a wrong number whether its sign or a power of ten
looks off. Never the expected answer.
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass
from pathlib import Path

from mlplab.course.questions import Question, automatic_questions_of

MAX_SOURCE = 2000  # characters of an answer cell; a longer one is not parsed
_UNANSWERED = object()


class AnswerError(ValueError):
    """The answer cell is not one assignment of a literal (the message says what to write)."""


@dataclass(frozen=True)
class QuestionResult:
    question_id: str
    points: float
    max_points: float
    message: str

    def as_dict(self) -> dict:
        return {
            "question_id": self.question_id,
            "points": self.points,
            "max_points": self.max_points,
            "message": self.message,
        }


def question_label(question: Question) -> str:
    return f"question {question.name} ({question.kind})"


def read_answer(source: str):
    """The value assigned to ``answer`` in ``source``, which must hold nothing but comments and one
    ``answer = <literal>``; ``None`` when it is still the blank ``answer = None``.

    Raises:
        AnswerError: anything else (a call, a name, an expression, two statements, bad syntax).
    """
    if len(source) > MAX_SOURCE:
        raise AnswerError(f"the answer cell is longer than {MAX_SOURCE} characters; it must be one line answer = ...")
    try:
        tree = ast.parse(source, mode="exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise AnswerError("the answer cell is not valid Python; write one line: answer = ...") from None
    body = tree.body
    if (
        len(body) != 1
        or not isinstance(body[0], ast.Assign)
        or len(body[0].targets) != 1
        or not isinstance(body[0].targets[0], ast.Name)
        or body[0].targets[0].id != "answer"
    ):
        raise AnswerError(
            "the answer cell must hold exactly one assignment, answer = ..., and nothing else but comments"
        )
    value = body[0].value
    try:
        return ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        raise AnswerError(
            "the answer must be written out as a literal (a string in quotes, or a number), not computed: "
            "the grader reads the cell, it does not run it"
        ) from None


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return float(value)
    except OverflowError:
        return math.inf


def check_format(question: Question, value) -> str | None:
    """What is wrong with the form of ``value`` (not None) for ``question``, or None: it can be judged."""
    if question.kind == "choice":
        if not isinstance(value, str):
            return f"the answer must be a string, {question.hint}; got a {type(value).__name__}"
        if value.strip().lower() not in question.keys:
            return f"the answer must be {question.hint}; got {value.strip()[:20]!r}"
        return None
    number = _number(value)
    if number is None:
        return f"the answer must be {question.hint}; got a {type(value).__name__}"
    if not math.isfinite(number):
        return "the answer must be a finite number"
    return None


def _numeric_hint(value: float, expected: float, tolerance: float) -> str:
    """What a wrong number looks like, when the evidence shows it: a sign, a power of ten, an inverse."""

    def close(x: float) -> bool:
        return abs(x - expected) <= tolerance * abs(expected)

    if expected != 0 and close(-value):
        return " Its sign looks wrong."
    for power in (1, 2, 3, 6, -1, -2, -3, -6):
        if expected != 0 and close(value * 10.0**power):
            factor = f"10^{-power}" if abs(power) > 1 else ("10" if power == -1 else "1/10")
            return f" It looks off by a factor of {factor} (units? a percentage?)."
    if value != 0 and expected != 0 and close(1.0 / value):
        return " It looks like the reciprocal of what is asked."
    return ""


def judge(question: Question, source: str | None, expected) -> QuestionResult:
    """The score of the answer cell ``source`` (None: the cell is missing) against ``expected``."""
    label = question_label(question)

    def result(points: float, text: str) -> QuestionResult:
        return QuestionResult(question.id, float(points), float(question.points), f"{label}: {text}")

    if source is None:
        return result(0, "no answer cell found in the notebook (was it deleted?)")
    try:
        value = read_answer(source)
    except AnswerError as exc:
        return result(0, f"not graded, 0 points: {exc}")
    if value is None:
        return result(0, f"unanswered (answer = None): write {question.hint}")
    problem = check_format(question, value)
    if problem:
        return result(0, f"not graded, 0 points: {problem}")
    if question.kind == "choice":
        right = value.strip().lower() == str(expected).strip().lower()
        return result(question.points if right else 0, "right" if right else "wrong")
    number, target = _number(value), float(expected)
    right = abs(number - target) <= question.tolerance * abs(target)
    if right:
        return result(question.points, "right")
    return result(0, "wrong." + _numeric_hint(number, target, question.tolerance))


def expected_answers(lab: str, solutions: Path | None = None) -> dict[str, object]:
    """question id -> expected answer of every choice and numeric question of ``lab``, read from the
    model answers in ``<solutions>/labs/<lab>.py`` (default: where the grader finds the reference,
    ``autograder.paths.solutions_folder()``).

    Raises:
        autograder.generate.SourceError: a question without a model answer, or one that is not
        a valid answer to it.
        FileNotFoundError: no notebook source of ``lab`` there.
    """
    from autograder.generate import SourceError, model_answer_source, parse_percent
    from autograder.paths import solutions_folder

    path = (solutions or solutions_folder()) / "labs" / f"{lab}.py"
    found: dict[str, object] = {}
    for cell in parse_percent(path.read_text(), str(path)):
        if cell.kind == "answer" and cell.question.automatic:
            found[cell.question.id] = expected_value(cell.question, model_answer_source(cell.lines), str(path))
    missing = [q.id for q in automatic_questions_of(lab) if q.id not in found]
    if missing:
        raise SourceError(f"{path}: no model answer for {', '.join(missing)}")
    return found


def expected_value(question: Question, source: str, where: str):
    """The literal of a model answer, checked to be a valid answer to ``question``."""
    from autograder.generate import SourceError

    try:
        value = read_answer(source)
    except AnswerError as exc:
        raise SourceError(f"{where}: the model answer of {question.id}: {exc}") from None
    problem = "it is None" if value is None else check_format(question, value)
    if problem:
        raise SourceError(f"{where}: the model answer of {question.id} is not a valid answer: {problem}")
    return value.strip().lower() if isinstance(value, str) else value


def answer_sources(nb, lab: str) -> dict[str, str]:
    """grade_id -> source of the first cell with each question's grade_id in the notebook ``nb``."""
    wanted = {q.cell_id for q in automatic_questions_of(lab)}
    sources: dict[str, str] = {}
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in wanted and grade_id not in sources:
            sources[grade_id] = str(cell.get("source", ""))
    return sources


def grade_questions(notebook: Path, lab: str) -> list[QuestionResult]:
    """Every choice and numeric question of ``lab`` judged on the notebook file ``notebook``
    (which is read, never executed); an unreadable or missing notebook answers none."""
    import nbformat

    try:
        nb = nbformat.read(notebook, as_version=4)
        sources = answer_sources(nb, lab)
    except Exception:
        sources = {}
    expected = expected_answers(lab)
    return [judge(q, sources.get(q.cell_id), expected[q.id]) for q in automatic_questions_of(lab)]


def write_answers(notebook: Path, lab: str, sources: dict[str, str] | None = None) -> None:
    """Write answers into the choice and numeric answer cells of the notebook file ``notebook``: the
    model answers, then ``sources`` (grade_id -> cell source) over them. For the reference student
    of the tests and benchmarks."""
    import nbformat

    expected = expected_answers(lab)
    texts = {q.cell_id: f"answer = {expected[q.id]!r}" for q in automatic_questions_of(lab)}
    texts.update(sources or {})
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in texts:
            cell.source = texts.pop(grade_id)
    nbformat.write(nb, notebook)


# ---------------------------------------------------------------- leak detection

_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w.])")
TEXT_SUFFIXES = (".py", ".ipynb", ".md", ".txt", ".html", ".json", ".cfg", ".toml", ".ini")


def significant_digits(token: str) -> int:
    """How many significant digits a number token is written with (``0.0457`` -> 3, ``2`` -> 1)."""
    mantissa = re.split("[eE]", token.lstrip("+-"))[0].replace(".", "").lstrip("0")
    return len(mantissa)


def _texts(paths: list[Path]):
    """(file, text) of every text file below ``paths``; a notebook's text is its cells' sources and outputs."""
    import nbformat

    files = [f for p in paths for f in ([p] if p.is_file() else sorted(p.rglob("*"))) if f.is_file()]
    for file in files:
        if file.suffix not in TEXT_SUFFIXES:
            continue
        text = file.read_text(errors="replace")
        if file.suffix == ".ipynb":
            try:
                nb = nbformat.reads(text, as_version=4)
                text = "\n".join(
                    [c.source for c in nb.cells]
                    + [str(o.get("text", "")) + str(o.get("data", "")) for c in nb.cells for o in c.get("outputs", [])]
                )
            except Exception:
                pass  # its raw text
        yield file, text


def answer_leaks(paths: list[Path], labs: list[str]) -> list[str]:
    """Every expected answer of ``labs`` found by content below ``paths`` (what students receive).

    * a choice or numeric model answer's assignment, ``answer = "b"`` or ``answer = 0.0457``,
      however spaced or quoted, anywhere;
    * a numeric answer's value: in a lab's own notebook or a README, any number written with at
      least two significant digits that would be graded right (within the tolerance); in any other
      file, that number exactly.
    """
    expected = {q: expected_answers(q.lab)[q.id] for lab in labs for q in automatic_questions_of(lab)}
    problems = []
    for file, text in _texts(paths):
        squeezed = re.sub(r"\s+", "", text).replace("'", '"').lower()
        numbers = [(t, float(t)) for t in _NUMBER.findall(text) if significant_digits(t) >= 2]
        own_text = file.suffix == ".md" or file.suffix == ".ipynb"
        for question, value in expected.items():
            written = f'"{value}"' if isinstance(value, str) else repr(value)
            if f"answer={written}".lower() in squeezed:
                problems.append(f"{file}: holds the model answer of {question.id}")
            if isinstance(value, str):
                continue
            notebook = own_text and (file.suffix == ".md" or file.stem == question.lab)
            for token, number in numbers:
                right = abs(number - value) <= question.tolerance * abs(value)
                if (notebook and right) or number == value:
                    problems.append(f"{file}: the number {token} would answer {question.id}")
                    break
    return problems
