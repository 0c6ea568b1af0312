"""The files that make a folder of notebooks and ``mlplab/`` work on a student's own machine.

``add_student_files(folder, labs)`` writes, next to the notebooks:

* ``requirements.txt``: the course's pinned dependencies (the repository's ``requirements.txt``,
  kept equal to ``pyproject.toml`` by ``tests/course/test_environment.py``);
* ``README.md``: set-up in two commands, where to edit, how to self-check, what to submit;
* ``test_selfcheck.py`` and ``pytest.ini``: ``pytest`` runs the self-checks, one test per task.

Used for every release (``Course.release``) and for the student workspace (``autograder.workspace``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from mlplab.course.tasks import LABS, TASKS

REPO = Path(__file__).resolve().parents[1]
REQUIREMENTS = REPO / "requirements.txt"

_PYTEST_INI = """\
# Makes this folder pytest's root: `pytest` here runs test_selfcheck.py (the self-checks).
# No .pytest_cache folder is written, so nothing extra ends up in your submission.
[pytest]
addopts = -p no:cacheprovider
"""


_IN_THE_REPOSITORY = [
    "In the course repository, `make lab` made this folder and opens it in JupyterLab; there, use",
    "the repository's `.venv/bin/pytest` instead of `~/mlplab-env/bin/pytest`. On your own machine:",
    "",
]


def _selfcheck_tests(labs: list[str]) -> str:
    names = ", ".join(f'"{lab}"' for lab in labs)
    example = next(t.id for t in TASKS if t.lab == labs[0])
    return (
        f'"""Your self-checks as pytest tests, one per task: `pytest` runs them all,\n'
        f'`pytest -k {example}` one task. Same checks and messages as mlplab.check(...)."""\n'
        f"from mlplab.course.checks.as_pytest import task_tests\n\n"
        f"test_task = task_tests({names})\n"
    )


def _where_to_edit(labs: list[str]) -> list[str]:
    lines = []
    for lab in labs:
        by_file: dict[str, list[str]] = {}
        for task in (t for t in TASKS if t.lab == lab):
            by_file.setdefault(task.file, []).append(task.number)
        for file, numbers in by_file.items():
            span = numbers[0] if len(numbers) == 1 else f"{numbers[0]}–{numbers[-1]}"
            lines.append(f"- `{file}`: {'task' if len(numbers) == 1 else 'tasks'} {span}")
    return lines


def _questions(labs: list[str]) -> list[str]:
    """What the README says of the labs' questions and their points (mlplab.course.questions)."""
    from mlplab.course.questions import automatic_questions_of, written_questions_of

    lines = []
    for lab in labs:
        automatic = sum(q.points for q in automatic_questions_of(lab))
        written = sum(q.points for q in written_questions_of(lab))
        tasks = sum(t.points for t in TASKS if t.lab == lab)
        lines.append(
            f"- `{lab}.ipynb`: tasks {tasks:g} points; questions graded automatically {automatic:g} points; "
            f"written answers, graded by hand, {written:g} points."
        )
    return lines + [
        "",
        'A question "graded automatically" has an answer cell holding `answer = None`: replace `None` by your',
        "answer, written out (one of the listed keys in quotes for a choice, a number for a numeric",
        "question). The grader reads that one line from your notebook without running it: an answer",
        "computed by code scores 0.",
    ]


def student_readme(labs: list[str]) -> str:
    lab = labs[0]
    title = f"Lab {lab.removeprefix('lab')}: {LABS[lab]}" if len(labs) == 1 else "mlplab: your workspace"
    notebooks = ", ".join(f"`{name}.ipynb`" for name in labs)
    example = next(t.id for t in TASKS if t.lab == lab)
    return "\n".join(
        [
            f"# {title}",
            "",
            f"This folder is your assignment: the notebook{'s' if len(labs) > 1 else ''} {notebooks} and the "
            "package `mlplab/`, in which you implement the exercises.",
            "",
            "## Set up (once, with Python 3.11)",
            "",
            *(_IN_THE_REPOSITORY if len(labs) > 1 else []),
            "Make a virtual environment *outside* this folder (so it is not submitted) and install the",
            "pinned packages into it; one environment serves every lab:",
            "",
            "```bash",
            "python3.11 -m venv ~/mlplab-env && ~/mlplab-env/bin/pip install -r requirements.txt",
            f"~/mlplab-env/bin/jupyter lab {lab}.ipynb      # from this folder, every time you work",
            "```",
            "",
            "(Windows: `py -3.11 -m venv %USERPROFILE%\\mlplab-env`, then `%USERPROFILE%\\mlplab-env\\Scripts\\pip`",
            "and `...\\Scripts\\jupyter`.)",
            "",
            "## Where to edit",
            "",
            *_where_to_edit(labs),
            "",
            "Replace each `raise NotImplementedError(...)` with your code; the docstring gives the shapes,",
            "the formula and the conventions. Your files are all in `mlplab/exercises/`; the rest of `mlplab/` is provided.",
            "",
            "## Check yourself",
            "",
            f'- In the notebook: run the graded cell after each task, or `mlplab.check("{lab}")` for a table of',
            "  every task with PASS/FAIL and what is wrong. Run All stops at the first unfinished task.",
            "- In a terminal, from this folder: `~/mlplab-env/bin/pytest` runs the same checks, one test per",
            f"  task; `~/mlplab-env/bin/pytest -k {example}` runs one.",
            "",
            "A passing self-check is necessary, not sufficient: the grader runs the same checks on fresh",
            "random inputs against the reference.",
            "",
            "## Questions",
            "",
            *_questions(labs),
            "",
            "## Submit",
            "",
            f"The whole folder: {notebooks} and `mlplab/` with your files.",
            "",
        ]
    )


def add_student_files(folder: str | Path, labs: list[str]) -> None:
    """Write requirements.txt, README.md, test_selfcheck.py and pytest.ini into ``folder``."""
    folder = Path(folder)
    unknown = [lab for lab in labs if lab not in LABS]
    if unknown or not labs:
        raise ValueError(f"unknown labs {unknown or labs!r}; known labs: {', '.join(LABS)}")
    shutil.copyfile(REQUIREMENTS, folder / "requirements.txt")
    (folder / "README.md").write_text(student_readme(labs))
    (folder / "test_selfcheck.py").write_text(_selfcheck_tests(labs))
    (folder / "pytest.ini").write_text(_PYTEST_INI)
