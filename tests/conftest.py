"""Test-suite set-up.

Inside the test processes every exercise module is the reference solution
(``MLPLAB_REFERENCE=1``, set before mlplab is imported), so the library and
the experiments can be tested in-process. Stubs and student submissions are
only ever exercised in subprocesses (the autograder's workers, nbgrader).
"""
import os
import sys
from pathlib import Path

os.environ["MLPLAB_REFERENCE"] = "1"
os.environ["MLPLAB_SOLUTIONS"] = str(Path(__file__).resolve().parents[1] / "solutions")
# Two test workers share two cores: one BLAS thread each (set before numpy loads, and
# inherited by every kernel and worker the tests start).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.pop("MLPLAB_EXERCISES", None)

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
