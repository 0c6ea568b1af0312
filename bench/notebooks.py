"""Notebook wall time: every lab's notebook executed top to bottom on the reference solutions.

Each notebook in ``labs/`` is executed by ``autograder.notebooks.execute_notebook``
(as in ``tests/course/test_notebooks.py``): a fresh Jupyter kernel in a temporary
folder, with the reference solutions as the exercises, at two settings:

* ``default``: what a student gets when running every cell (budget: 90 s);
* ``grading``: with ``MLPLAB_GRADING=1``, as during ``nbgrader autograde``,
  where experiments use small budgets so that grading stays fast.

The time is the wall time of ``NotebookClient.execute()``: kernel start-up,
imports and every cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from autograder.notebooks import execute_notebook
from bench.timing import Figure

REPO = Path(__file__).resolve().parents[1]
BUDGET_SECONDS = 90.0
"""Every lab's notebook, at its default settings, must run in at most this many seconds."""


def available_labs() -> list[str]:
    from mlplab.course.tasks import LABS

    return [lab for lab in LABS if (REPO / "labs" / f"{lab}.ipynb").is_file()]


def run(
    *, labs: Sequence[str] | None = None, settings: Sequence[str] = ("default", "grading"), timeout: int = 600
) -> dict[str, Figure]:
    """The ``notebooks`` benchmark: wall time per lab and setting, and whether the budget is kept.

    Args:
        labs: which labs (default: every lab with a notebook in ``labs/``).
        settings: ``"default"`` and/or ``"grading"``.
        timeout: per-cell timeout in seconds.
    """
    figures: dict[str, Figure] = {"budget at default settings": Figure(BUDGET_SECONDS, "s")}
    worst = 0.0
    for lab in labs or available_labs():
        for setting in settings:
            seconds, images, _ = execute_notebook(lab, grading=setting == "grading", timeout=timeout)
            figures[f"{lab}: {setting} settings, wall time"] = Figure(seconds, "s")
            figures[f"{lab}: {setting} settings, figures shown"] = Figure(images)
            if setting == "default":
                worst = max(worst, seconds)
                figures[f"{lab}: within budget ({BUDGET_SECONDS:g} s)"] = Figure(
                    "yes" if seconds <= BUDGET_SECONDS else "NO"
                )
    if "default" in settings:
        figures["slowest notebook at default settings"] = Figure(worst, "s")
    return figures
