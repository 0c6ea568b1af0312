"""Every lab's notebook, as students receive it, runs top to bottom on the reference solutions."""
import os
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from mlplab.tasks import LABS

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = [lab for lab in LABS if (REPO / "labs" / f"{lab}.ipynb").is_file()]
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("lab", NOTEBOOKS)
def test_solution_notebook_executes_without_error(lab, tmp_path):
    nb = nbformat.read(REPO / "labs" / f"{lab}.ipynb", as_version=4)
    assert os.environ["MLPLAB_REFERENCE"] == "1"  # the kernel inherits it (tests/conftest.py)
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError on the first failing cell
    elapsed = time.perf_counter() - start
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert errors == []
    images = sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code"
                 for o in c.get("outputs", []))
    assert images >= 3, "the experiments should show plots"
    print(f"{lab}: executed in {elapsed:.1f} s, {images} figures")
