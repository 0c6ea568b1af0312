"""Generate everything students receive from the single source of truth in ``solutions/``.

* ``solutions/mlplab/<file>.py``  ->  ``mlplab/<file>.py``: every region between
  ``### BEGIN SOLUTION`` and ``### END SOLUTION`` becomes
  ``raise NotImplementedError("Lab N, task N.k: ...")`` (nbgrader's own ClearSolutions
  logic does the stripping; the message comes from ``mlplab.course.tasks``).
* ``solutions/labs/<lab>.py`` (percent format)  ->  the nbgrader source notebook
  (built on demand for a release) and ``labs/<lab>.ipynb`` (hidden tests removed, and the model
  answer of every written question, an ``[answer <id>]`` cell, replaced by an empty answer).
* ``mlplab/course/checks/<lab>_expected.npz``: the reference's outputs on fixed inputs, for
  the self-check.

``python -m autograder generate --check`` reports stale or leaking files and
changes nothing.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import nbformat
import numpy as np

from mlplab.course.questions import Question, get_question, questions_of
from mlplab.course.tasks import LABS, TASKS, Task, exercise_files, get_task

REPO = Path(__file__).resolve().parents[1]
SOLUTIONS = REPO / "solutions"
SELF_CHECK_SEED = 20261122
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
_PLACEHOLDER = "__MLPLAB_STUB__"
LINE_LENGTH = 120  # pyproject.toml [tool.ruff]


class SourceError(ValueError):
    """A file in solutions/ does not follow the course's conventions."""


# ---------------------------------------------------------------- stubs


def _clear_solutions(source: str, where: str) -> str:
    from nbgrader.preprocessors import ClearSolutions

    stripper = ClearSolutions(code_stub={"python": f'raise NotImplementedError("{_PLACEHOLDER}")'})
    cell = nbformat.v4.new_code_cell(source)
    try:
        stripper._replace_solution_region(cell, "python")
    except RuntimeError as exc:  # unmatched markers
        raise SourceError(f"{where}: {exc}") from None
    return cell.source


def _symbol_at(tree: ast.Module, lineno: int) -> str:
    """Qualified name (``ELULayer.fprop``) of the innermost function containing ``lineno``."""
    best = ""

    def visit(node, prefix):
        nonlocal best
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if child.lineno <= lineno <= child.end_lineno:
                    if isinstance(child, ast.FunctionDef):
                        best = name
                    visit(child, name + ".")

    visit(tree, "")
    return best


def make_stub(relpath: str) -> str:
    """The student version of one exercise file."""
    source_file = SOLUTIONS / relpath
    if not source_file.is_file():
        raise SourceError(f"{source_file} is missing (declared in mlplab/course/tasks.py)")
    text = source_file.read_text()
    stripped = _clear_solutions(text, str(source_file))
    tree = ast.parse(stripped)
    tasks = {symbol: task for task in TASKS if task.file == relpath for symbol in task.symbols}
    seen: set[str] = set()
    lines = stripped.split("\n")
    for i, line in enumerate(lines):
        if _PLACEHOLDER in line:
            symbol = _symbol_at(tree, i + 1)
            task = tasks.get(symbol)
            if task is None:
                raise SourceError(
                    f"{source_file}:{i + 1}: a solution region in {symbol or 'module level'}, "
                    "which no task in mlplab/course/tasks.py lists"
                )
            seen.add(symbol)
            lab_number = task.lab.removeprefix("lab")
            message = f"Lab {lab_number}, task {task.number}: implement {symbol} ({task.title})"
            lines[i] = line.replace(_PLACEHOLDER, message)
            if len(lines[i]) > LINE_LENGTH:  # as `ruff format` writes it, so that stubs are stable under it
                indent = line[: len(line) - len(line.lstrip())]
                lines[i] = f'{indent}raise NotImplementedError(\n{indent}    "{message}"\n{indent})'

    missing = sorted(set(tasks) - seen)
    if missing:
        raise SourceError(f"{source_file}: no solution region in {', '.join(missing)}")
    numbers = sorted({t.number for t in tasks.values()}, key=lambda n: [int(p) for p in n.split(".")])
    header = (
        f"# Your file for tasks {', '.join(numbers)}: replace each `raise NotImplementedError(...)`\n"
        f'# with your implementation. Check it with mlplab.check("{next(iter(tasks.values())).lab}").\n'
    )
    return header + "\n".join(lines)


# ---------------------------------------------------------------- notebooks


@dataclass
class _Cell:
    kind: str  # markdown | code | task | answer
    lines: list[str]
    task: Task | None = None
    question: Question | None = None


_HEADER = re.compile(r"^# %%(?:\s+\[(?P<tag>[^\]]*)\])?\s*$")
# IPython magics are written commented out in the source, as jupytext does, so that it stays Python
# that ruff can read: "# %matplotlib inline" becomes "%matplotlib inline" in the notebook.
_MAGIC = re.compile(r"^# (%(?:load_ext|autoreload|matplotlib)\b.*)$")


def _code(lines: list[str]) -> str:
    """A code cell's source: the lines, with the commented magics restored."""
    return "\n".join(_MAGIC.sub(r"\1", line) for line in lines).strip("\n")


def parse_percent(text: str, where: str) -> list[_Cell]:
    cells: list[_Cell] = []
    for number, line in enumerate(text.splitlines(), 1):
        match = _HEADER.match(line)
        if match:
            tag = (match.group("tag") or "").strip()
            if tag == "markdown":
                cells.append(_Cell("markdown", []))
            elif tag == "":
                cells.append(_Cell("code", []))
            elif tag.startswith("task "):
                try:
                    task = get_task(tag.split(None, 1)[1].strip())
                except KeyError as exc:
                    raise SourceError(f"{where}:{number}: {exc}") from None
                cells.append(_Cell("task", [], task))
            elif tag.startswith("answer "):
                try:
                    question = get_question(tag.split(None, 1)[1].strip())
                except KeyError as exc:
                    raise SourceError(f"{where}:{number}: {exc.args[0]}") from None
                cells.append(_Cell("answer", [], question=question))
            else:
                raise SourceError(
                    f"{where}:{number}: unknown cell tag [{tag}] (use [markdown], [task <id>], [answer <id>] or none)"
                )
        elif cells:
            cells[-1].lines.append(line)
        elif line.strip():
            raise SourceError(f"{where}:{number}: text before the first '# %%' cell marker")
    return cells


def _markdown(lines: list[str]) -> str:
    out = []
    for line in lines:
        if line.startswith("# "):
            out.append(line[2:])
        elif line.strip() in ("#", ""):
            out.append("")
        else:
            raise SourceError(f"markdown line does not start with '# ': {line!r}")
    return "\n".join(out).strip("\n")


def graded_cell_metadata(points: int, grade_id: str, *, solution: bool) -> dict:
    """nbgrader's metadata of a graded cell: an answer the student writes (``solution``, unlocked) or
    a locked task cell."""
    return {
        "grade": True,
        "solution": solution,
        "locked": not solution,
        "task": False,
        "points": points,
        "grade_id": grade_id,
        "schema_version": 3,
    }


def task_cell_source(task: Task) -> str:
    """The graded cell: the student's self-check. At autograde its output is replaced by the
    trusted grader's verdict (autograder.preprocessors.TrustedOutputs); nothing in it judges."""
    return f'import mlplab\nmlplab.check("{task.id}")'


ANSWER_STUB = "answer = None"  # what ClearSolutions leaves of a choice or numeric model answer


def model_answer_source(lines: list[str]) -> str:
    """The code between the solution markers of a choice or numeric answer cell's percent lines,
    or SourceError when the cell is anything but that region."""
    body = "\n".join(lines).strip("\n").split("\n")
    if (
        len(body) < 3
        or body[0].strip() != "### BEGIN SOLUTION"
        or body[-1].strip() != "### END SOLUTION"
        or any("SOLUTION" in line for line in body[1:-1])
    ):
        raise SourceError("must be '### BEGIN SOLUTION', answer = <literal>, '### END SOLUTION' and nothing else")
    return "\n".join(body[1:-1])


def prompt_text(question: Question) -> str:
    """The markdown above a choice or numeric answer cell: the declared prompt and options."""
    points = f"{question.points} point{'s' if question.points != 1 else ''}"
    lines = [f"**Question ({points}, graded automatically).** {question.prompt}", ""]
    if question.kind == "choice" and any(key != text for key, text in question.options):
        lines += [f"* **{key}**: {text}" for key, text in question.options] + [""]
    lines.append(
        f"Answer in the cell below with one line, `answer = ...`: {question.hint}. The grader reads that "
        "line without running it, so write the value itself, not code that computes it."
    )
    return "\n".join(lines)


def automatic_answer_cells(question: Question, lines: list[str], where: str) -> list[nbformat.NotebookNode]:
    """A choice or numeric question: its prompt (markdown) and its answer cell, a code cell whose
    model answer ``answer = <literal>`` lies between solution markers (the release holds
    ``answer = None``). The trusted grader scores it (autograder/questions.py)."""
    from autograder.questions import expected_value

    try:
        source = model_answer_source(lines)
    except SourceError as exc:
        raise SourceError(f"{where}: the answer cell of {question.id} {exc}") from None
    expected_value(question, source, where)
    prompt = nbformat.v4.new_markdown_cell(prompt_text(question))
    cell = nbformat.v4.new_code_cell(
        f"# {question.id}: {question.hint}\n### BEGIN SOLUTION\n{source}\n### END SOLUTION"
    )
    cell.metadata["nbgrader"] = graded_cell_metadata(question.points, question.cell_id, solution=True)
    return [prompt, cell]


def answer_cell(question: Question, lines: list[str], where: str) -> nbformat.NotebookNode:
    """A written answer, graded by hand: the model answer, which is all of the cell, lies between
    the solution markers (nbgrader's ClearSolutions leaves an empty answer in the release)."""
    text = _markdown(lines)
    body = text.split("\n")
    if (
        len(body) < 3
        or body[0] != "### BEGIN SOLUTION"
        or body[-1] != "### END SOLUTION"
        or any("SOLUTION" in line for line in body[1:-1])
        or not "".join(body[1:-1]).strip()
    ):
        raise SourceError(
            f"{where}: the answer cell of {question.id} must be a model answer between "
            "'# ### BEGIN SOLUTION' and '# ### END SOLUTION' and nothing else"
        )
    cell = nbformat.v4.new_markdown_cell(text)
    cell.metadata["nbgrader"] = graded_cell_metadata(question.points, question.cell_id, solution=True)
    return cell


def running_note(lab: str) -> str:
    """The note every notebook shows below its title: how graded cells stop Run All."""
    example = next(t.id for t in TASKS if t.lab == lab)
    return (
        f'> **Running this notebook.** Each graded cell (`mlplab.check("{example}")` and the like) '
        "stops with a one-line message while its task is unfinished, so *Run → Run All Cells* stops "
        "at the first unfinished task. To run the rest, click the cell below the one that stopped "
        "and choose *Run → Run Selected Cell and All Below*; experiments that use an unfinished task "
        f'fail until you implement it. `mlplab.check("{lab}")` lists every task; in a terminal, '
        f"`pytest -k {example}` in this folder runs the same check."
    )


def exercise_source_cell(lab: str) -> nbformat.NotebookNode:
    """A code cell printing where the exercises come from, so that reference mode is visible."""
    cell = nbformat.v4.new_code_cell(
        "import mlplab\n\nprint(mlplab.exercise_source())  "
        "# REFERENCE MODE when the reference solutions are used instead"
    )
    cell["id"] = f"{lab}-exercise-source"
    return cell


def build_source_notebook(lab: str) -> nbformat.NotebookNode:
    """The nbgrader source notebook of ``lab`` (with hidden tests), from solutions/labs/<lab>.py."""
    path = SOLUTIONS / "labs" / f"{lab}.py"
    if not path.is_file():
        raise SourceError(f"{path} is missing: no notebook source for {lab}")
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    graded: list[str] = []
    answered: list[str] = []
    announced = False
    for index, cell in enumerate(parse_percent(path.read_text(), str(path))):
        if cell.kind == "markdown":
            new = nbformat.v4.new_markdown_cell(_markdown(cell.lines))
        elif cell.kind == "code":
            new = nbformat.v4.new_code_cell(_code(cell.lines))
        elif cell.kind == "answer":
            question = cell.question
            if question.lab != lab or question.id in answered:
                raise SourceError(
                    f"{path}: an answer cell for {question.id} "
                    + ("twice" if question.id in answered else f"in the notebook of {lab}")
                )
            answered.append(question.id)
            if question.automatic:
                prompt, new = automatic_answer_cells(question, cell.lines, str(path))
                prompt["id"] = f"{lab}-{index:03d}-prompt"
                nb.cells.append(prompt)
            else:
                new = answer_cell(question, cell.lines, str(path))
        else:
            task = cell.task
            if task.lab != lab:
                raise SourceError(f"{path}: task cell for {task.id} in the notebook of {lab}")
            if task.id in graded:
                raise SourceError(f"{path}: two graded cells for {task.id}")
            graded.append(task.id)
            new = nbformat.v4.new_code_cell(task_cell_source(task))
            new.metadata["nbgrader"] = graded_cell_metadata(task.points, task.cell_id, solution=False)
        new["id"] = f"{lab}-{index:03d}"
        nb.cells.append(new)
        if index == 0:
            note = nbformat.v4.new_markdown_cell(running_note(lab))
            note["id"] = f"{lab}-running-note"
            nb.cells.append(note)
        if new.cell_type == "code" and not announced:
            nb.cells.append(exercise_source_cell(lab))  # right after the setup cell
            announced = True
    expected = [t.id for t in TASKS if t.lab == lab]
    missing = [t for t in expected if t not in graded]
    if missing:
        raise SourceError(f"{path}: no graded cell for {', '.join(missing)}")
    unanswered = [q.id for q in questions_of(lab) if q.id not in answered]
    if unanswered:
        raise SourceError(
            f"{path}: no answer cell for {', '.join(unanswered)} (declared in mlplab/course/questions.py)"
        )
    return nb


def student_notebook(lab: str) -> nbformat.NotebookNode:
    """What students get: the source notebook with hidden tests (and any solution) removed."""
    from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

    nb = build_source_notebook(lab)
    nb, _ = ClearSolutions(code_stub={"python": ANSWER_STUB}).preprocess(nb, {})
    nb, _ = ClearHiddenTests().preprocess(nb, {})
    return nb


# ---------------------------------------------------------------- self-check data


def expected_blob(lab: str) -> bytes:
    """Inputs and reference outputs of every task of ``lab`` on the fixed self-check seed."""
    from autograder.grading import make_inputs, run_worker
    from autograder.paths import solutions_folder
    from mlplab.course.checks import pack, unpack

    inputs_blob = make_inputs(lab, SELF_CHECK_SEED)
    inputs = unpack(inputs_blob)
    task_ids = list(inputs)
    run = run_worker(solutions_folder(), task_ids, inputs_blob, timeout=300, sandboxed=False)
    if run.outcomes is None:
        raise SourceError(f"the reference of {lab} could not be run: {run.problem}")
    tree = {}
    for task_id in task_ids:
        outcome = run.outcomes[task_id]
        if "error" in outcome:
            raise SourceError(f"the reference fails {task_id}: {outcome['error']}")
        tree[task_id] = {"inputs": inputs[task_id]["inputs"], "outputs": outcome["outputs"]}
    return pack(tree)


def _same_tree(a: dict, b: dict) -> bool:
    if a.keys() != b.keys():
        return False
    for task in a:
        for section in ("inputs", "outputs"):
            x, y = a[task].get(section, {}), b[task].get(section, {})
            if x.keys() != y.keys():
                return False
            for name in x:
                if x[name].shape != y[name].shape or not np.allclose(x[name], y[name], rtol=1e-9, atol=1e-12):
                    return False
    return True


# ---------------------------------------------------------------- leak detection


def squeeze(text: str) -> str:
    """``text`` without any whitespace: how leak checks compare lines, whatever their wrapping."""
    return re.sub(r"\s+", "", text)


def solution_lines() -> set[str]:
    """Distinctive lines of every solution region: the text that must never reach students.

    A line counts only if it appears nowhere outside a solution region: not in the
    visible parts of any solution file, nor in the provided library, so that generic
    lines such as ``raise ValueError(`` are not taken for leaks. Nor does a line whose
    text (whitespace aside) occurs inside the visible text: prose that a model answer
    re-wraps from the question it answers.
    """
    inside: set[str] = set()
    public: set[str] = set()
    exercise = set(exercise_files())
    for path in SOLUTIONS.rglob("*.py"):
        active = False
        notebook = path.parent == SOLUTIONS / "labs"  # percent format: markdown lines start with '# '
        for line in path.read_text().splitlines():
            stripped = line.strip()
            if notebook:
                stripped = stripped.removeprefix("# ").strip()
            if "BEGIN SOLUTION" in stripped:
                active = True
            elif "END SOLUTION" in stripped:
                active = False
            else:
                (inside if active else public).add(stripped)
    for path in (REPO / "mlplab").rglob("*.py"):
        if path.relative_to(REPO).as_posix() not in exercise:
            public.update(line.strip() for line in path.read_text().splitlines())
    visible = squeeze("".join(public))
    return {s for s in inside - public if len(s) >= 16 and not s.startswith("#") and squeeze(s) not in visible}


def find_leaks(paths: list[Path]) -> list[str]:
    """Markers anywhere, and solution lines in notebooks and exercise files, below ``paths``."""
    secret = solution_lines()
    exercise_paths = tuple(exercise_files())
    problems = []
    files = [f for p in paths for f in ([p] if p.is_file() else sorted(p.rglob("*"))) if f.is_file()]
    for file in files:
        if file.suffix not in (".py", ".ipynb", ".md", ".txt", ".html", ".json", ".cfg", ".toml"):
            continue
        text = file.read_text(errors="replace")
        for marker in MARKERS:
            if marker in text:
                problems.append(f"{file}: contains the marker {marker!r}")
        if file.suffix == ".ipynb":
            nb = nbformat.reads(text, as_version=4)
            text = "\n".join(c.source for c in nb.cells)
        elif not str(file).replace("\\", "/").endswith(exercise_paths):
            continue  # library files may share generic lines with a solution; markers suffice there
        for line in text.splitlines():
            if line.strip() in secret:
                problems.append(f"{file}: contains a solution line: {line.strip()[:60]!r}")
    return problems


# ---------------------------------------------------------------- driver


def planned_files(labs: list[str] | None = None) -> dict[Path, str | bytes]:
    """Every generated file (of ``labs``, default all) and its intended content."""
    labs = list(LABS) if labs is None else labs
    out: dict[Path, str | bytes] = {}
    for lab in labs:
        for relpath in exercise_files(lab):
            out[REPO / relpath] = make_stub(relpath)
    for lab in labs:
        out[REPO / "labs" / f"{lab}.ipynb"] = nbformat.writes(student_notebook(lab)) + "\n"
        out[REPO / "mlplab" / "course" / "checks" / f"{lab}_expected.npz"] = expected_blob(lab)
    return out


def stale_files(plan: dict[Path, str | bytes]) -> list[Path]:
    from mlplab.course.checks import unpack

    stale = []
    for path, content in plan.items():
        if not path.exists():
            stale.append(path)
        elif isinstance(content, bytes):
            if not _same_tree(unpack(path.read_bytes()), unpack(content)):
                stale.append(path)
        elif path.read_text() != content:
            stale.append(path)
    return stale


# sha256 of every text file `generate` wrote in this checkout (untracked, see .gitignore).
GENERATED_RECORD = REPO / ".generated.json"


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _committed(path: Path) -> str | None:
    """The version of ``path`` in git's HEAD, or None (not committed, or no git checkout)."""
    proc = subprocess.run(
        ["git", "-C", str(REPO), "show", f"HEAD:{path.relative_to(REPO).as_posix()}"],
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.stdout if proc.returncode == 0 else None


def hand_edited(path: Path, record: dict[str, str]) -> bool:
    """Whether ``path`` holds text that no generation wrote: neither the committed version nor one
    that ``generate`` wrote here. Such a file may be a student's work and is never overwritten."""
    if not path.exists():
        return False
    text = path.read_text()
    return record.get(path.relative_to(REPO).as_posix()) != _sha256(text) and text != _committed(path)


def generate(check_only: bool = False, labs: list[str] | None = None) -> list[str]:
    """Write (or with ``check_only`` just report) stale generated files; returns problems found.

    A stale text file that someone edited by hand (see ``hand_edited``) is not written: it is
    reported instead, so that ``make generate`` can never overwrite a student's code.
    """
    unknown = [lab for lab in labs or [] if lab not in LABS]
    if unknown:
        raise SourceError(f"unknown lab {unknown[0]!r}; known labs: {', '.join(LABS)}")
    plan = planned_files(labs)
    stale = stale_files(plan)
    problems = [f"stale: {p.relative_to(REPO)} (run `make generate`)" for p in stale] if check_only else []
    if not check_only:
        record = json.loads(GENERATED_RECORD.read_text()) if GENERATED_RECORD.is_file() else {}
        for path in stale:
            content = plan[path]
            relpath = path.relative_to(REPO).as_posix()
            if isinstance(content, str) and hand_edited(path, record):
                problems.append(
                    f"not overwritten: {relpath} has edits that `make generate` did not make "
                    "(your own code?). Work in your workspace work/ (`make lab`): copy your "
                    f"code there, then `git checkout -- {relpath}` and run `make generate` again"
                )
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)
                record[relpath] = _sha256(content)
            print(f"wrote {relpath}")
        GENERATED_RECORD.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    from autograder.questions import answer_leaks

    problems += find_leaks([REPO / "mlplab", REPO / "labs"])
    problems += answer_leaks([REPO / "mlplab", REPO / "labs"], list(LABS))
    return problems
