"""A lab's student notebook executed top to bottom on the reference solutions, in a fresh kernel.

``tests/course/test_notebooks.py`` runs every notebook this way; ``bench/notebooks.py`` times it.
"""

from __future__ import annotations

import os
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


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
