"""Test-suite set-up.

Inside the test processes every exercise module is the reference solution
(``MLPLAB_EXERCISES`` names ``solutions/``, set before mlplab is imported), so the library and
the experiments can be tested in-process. Stubs and student submissions are
only ever exercised in subprocesses (the autograder's workers, nbgrader).
"""

import os
import sys
from pathlib import Path

import pytest

SOLUTIONS = str(Path(__file__).resolve().parents[1] / "solutions")
os.environ["MLPLAB_EXERCISES"] = SOLUTIONS  # the library's one switch
os.environ["MLPLAB_SOLUTIONS"] = SOLUTIONS  # where the grader finds the reference (autograder.paths)
# Two test workers share two cores: one BLAS thread each (set before numpy loads, and
# inherited by every kernel and worker the tests start).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import matplotlib  # noqa: E402

matplotlib.use("Agg")


def _printable(text: str) -> str:
    """Text that UTF-8 can carry: undecodable bytes (surrogates) written as backslash escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failure report that quotes a non-UTF-8 file name (the attack zoo has one) stays sendable:
    pytest-xdist ships reports to the controller as UTF-8, and one unencodable character used to
    end the whole run with an INTERNALERROR instead of one failed test."""
    outcome = yield
    report = outcome.get_result()
    if report.longrepr is not None:
        text = str(report.longrepr)
        if _printable(text) != text:
            report.longrepr = _printable(text)
    report.sections = [(name, _printable(content)) for name, content in report.sections]
