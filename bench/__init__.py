"""Benchmarks of mlplab: training speed against PyTorch and against numpy's GEMM rate.

Run them all with ``.venv/bin/python -m bench.run`` (see ``bench/README.md``);
the figures are printed and written to ``bench/RESULTS.md``. Exercise modules
are taken from the reference solutions.
"""
from pathlib import Path

import mlplab

mlplab.use_reference(Path(__file__).resolve().parents[1] / "solutions")
