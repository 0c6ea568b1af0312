"""Notebook wall time: every lab's notebook executed top to bottom on the reference solutions.

Each notebook in ``labs/`` is executed by a fresh Jupyter kernel (``nbclient``,
as in ``tests/course/test_notebooks.py``) in a temporary folder, with
``MLPLAB_REFERENCE=1`` so the exercises are the reference solutions, at two
settings:

* ``default``: what a student gets when running every cell (budget: 90 s);
* ``grading``: with ``MLPLAB_GRADING=1``, as during ``nbgrader autograde``,
  where experiments use small budgets so that grading stays fast.

The time is the wall time of ``NotebookClient.execute()``: kernel start-up,
imports and every cell.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path

from bench.timing import Figure

REPO = Path(__file__).resolve().parents[1]
BUDGET_SECONDS = 90.0
"""Every lab's notebook, at its default settings, must run in at most this many seconds."""


@contextmanager
def _environment(**values: str | None):
    """Sets (or, for None, unsets) environment variables inside the block; the kernel inherits them."""
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


def available_labs() -> list[str]:
    from mlplab.course.tasks import LABS

    return [lab for lab in LABS if (REPO / "labs" / f"{lab}.ipynb").is_file()]


def execute_notebook(lab: str, *, grading: bool, timeout: int = 600) -> tuple[float, int, list[str]]:
    """Executes ``labs/<lab>.ipynb``; returns (wall seconds, number of figures, the plain text of every
    cell result the notebook shows as ``Out[...]``). Raises on a failing cell."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(REPO / "labs" / f"{lab}.ipynb", as_version=4)
    with (
        tempfile.TemporaryDirectory() as folder,
        _environment(MLPLAB_EXERCISES=str(REPO / "solutions"), MLPLAB_GRADING="1" if grading else None),
    ):
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": folder}})
        start = time.perf_counter()
        client.execute()
        seconds = time.perf_counter() - start
    figures = sum(
        "image/png" in output.get("data", {})
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )
    results = [
        output["data"].get("text/plain", "")
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.output_type == "execute_result"
    ]
    return seconds, figures, results


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
