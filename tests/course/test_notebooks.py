"""Every lab's notebook, as students receive it, runs top to bottom on the reference solutions.

The notebooks are executed by ``autograder.notebooks.execute_notebook``, the code that
``bench/notebooks.py`` times for ``bench/RESULTS.md``.
"""

import os
import re
from pathlib import Path

import pytest

from autograder.notebooks import execute_notebook
from mlplab.course.tasks import LABS

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = list(LABS)
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("lab", NOTEBOOKS)
def test_solution_notebook_executes_without_error(lab):
    assert os.environ["MLPLAB_EXERCISES"].endswith("solutions")  # the kernel inherits it (tests/conftest.py)
    # raises CellExecutionError on the first failing cell
    seconds, images, results = execute_notebook(lab, grading=False, timeout=300)
    assert images >= 3, "the experiments should show plots"
    stray = [r for r in results if re.fullmatch(r"<.*>", r.strip(), re.S)]
    assert not stray, f"cells show object reprs as their result (end the line with ';'): {stray}"
    print(f"{lab}: executed in {seconds:.1f} s, {images} figures")
