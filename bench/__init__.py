"""Benchmarks of mlplab: training speed against PyTorch and against numpy's GEMM rate.

Run them all with ``.venv/bin/python -m bench.run`` (see ``bench/README.md``);
the figures are printed and written to ``bench/RESULTS.md``. ``bench.run`` takes the
exercise modules from the reference solutions; importing ``bench`` changes nothing.
"""
