"""Smoke test of the benchmarks (bench/): tiny sizes, in-process, seconds.

Checks that every benchmark runs and gives finite positive figures, and that
the results file is written (to tmp_path, never bench/RESULTS.md). PyTorch is
optional: the benchmarks must complete without it.
"""

import math
import sys

import pytest

from bench import gemm, run, timing

POSITIVE_UNITS = {"s", "x", "GFLOP", "GFLOP/s", "nats", "threads", "examples"}


def _check_figures(figures):
    for name, figure in figures.items():
        if "waited" in name:  # seconds spent waiting for a quiet machine: may be 0
            assert figure.is_number and math.isfinite(figure.value) and figure.value >= 0, name
        elif figure.unit in POSITIVE_UNITS:
            assert figure.is_number, f"{name}: {figure.value!r}"
            assert math.isfinite(figure.value) and figure.value > 0, f"{name}: {figure.value!r}"
        elif figure.unit == "cores":  # other processes' load: may be 0
            assert math.isfinite(figure.value) and figure.value >= 0, f"{name}: {figure.value!r}"
        elif figure.unit == "":
            if figure.is_number:  # fractions
                assert math.isfinite(figure.value) and figure.value > 0, f"{name}: {figure.value!r}"
            else:
                assert str(figure.value), name


@pytest.fixture
def real_results_untouched():
    before = run.RESULTS.read_bytes() if run.RESULTS.exists() else None
    yield
    after = run.RESULTS.read_bytes() if run.RESULTS.exists() else None
    assert before == after, "the smoke test must not write bench/RESULTS.md"


def test_smoke_run_prints_figures_and_writes_results(tmp_path, capsys, real_results_untouched):
    output = tmp_path / "RESULTS.md"
    results = run.main(["--smoke", "--no-env-compare", "--output", str(output)])

    # notebooks and grading are not part of the smoke profile (the suite runs both for real)
    assert set(results) == {"training_speed", "epoch_profile", "gemm", "accuracy"}
    speed, rates, accuracy = results["training_speed"], results["gemm"], results["accuracy"]
    profile = results["epoch_profile"]
    _check_figures(speed)
    _check_figures(rates)
    _check_figures(accuracy)
    _check_figures(profile)
    for network in ("mlp", "bn_dropout"):
        for key in (
            "mlplab epoch, min",
            "epoch FLOPs (total)",
            "mlplab achieved rate",
            "numpy GEMM rate, epoch shapes",
            "fraction of the epoch-shape GEMM rate",
            "fraction of the square GEMM rate",
        ):
            assert speed[f"{network}: {key}"].is_number, f"{network}: {key}"
        peers = ("mlplab", "torch") if timing.try_import_torch() is not None else ("mlplab",)
        for peer in peers:
            peak = speed[f"{network}: {peer} peak resident memory of one epoch (fresh process)"].value
            before = speed[f"{network}: {peer} resident before the epoch (interpreter, imports, data, model)"].value
            assert 0 < before <= peak, (network, peer, before, peak)
        # the profile splits an epoch among the course's functions, the affine layer's among them
        assert profile[f"{network}: profiled epoch, CPU time (cProfile overhead included)"].value > 0
        assert f"{network}: affine.fprop" in profile
    assert 0 < accuracy["test accuracy"].value <= 1
    assert accuracy["within budget (test accuracy >= 0.9 in <= 300 s)"].value in {"yes", "NO"}
    if timing.try_import_torch() is not None:
        assert speed["mlp: ratio mlplab/torch (medians)"].is_number
        assert speed["bn_dropout: ratio mlplab/torch (medians)"].is_number
        # Same initial weights, data and order: both train alike.
        mine = speed["mlp: mlplab train error, last epoch"].value
        theirs = speed["mlp: torch train error, last epoch"].value
        assert mine == pytest.approx(theirs, rel=1e-3)
    assert "all step GEMMs above, flop-weighted" in rates
    assert speed["mlp: measurement quality"].value.startswith("not checked")  # smoke keeps every round

    printed = capsys.readouterr().out
    assert "mlp: mlplab epoch" in printed and "== gemm" in printed
    assert "skipped: not part of the smoke profile" in printed
    text = output.read_text()
    for expected in (
        "## Machine",
        "## training_speed",
        "## gemm",
        "## accuracy",
        "| figure | value | unit |",
        "CPU",
        "numpy",
        "OPENBLAS_CORETYPE",
        "OPENBLAS_L2_SIZE",
        "mlp: mlplab epoch",
    ):
        assert expected in text


def test_benchmarks_complete_without_torch(tmp_path, monkeypatch, real_results_untouched):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError
    output = tmp_path / "RESULTS.md"
    results = run.main(["--smoke", "--only", "training_speed", "--no-env-compare", "--output", str(output)])

    speed = results["training_speed"]
    assert speed["mlp: torch epoch"].value == "skipped: torch not installed"
    assert speed["mlp: ratio mlplab/torch"].value == "skipped: torch not installed"
    _check_figures(speed)
    text = output.read_text()
    assert "skipped: torch not installed" in text
    assert "| torch | not installed |" in text


def test_epoch_flop_count_formula():
    n, b = 50_000, 100
    flops = gemm.epoch_flops([784, 512, 512, 10], n, b)
    products = 784 * 512 + 512 * 512 + 512 * 10
    assert flops["matmul"] == 6 * n * products - 2 * n * 784 * 512
    assert flops["bias"] == 2 * n * (512 + 512 + 10)
    assert flops["update"] == 2 * (products + 512 + 512 + 10) * (n // b)
    assert flops["total"] == flops["matmul"] + flops["bias"] + flops["update"]
    # The GEMMs-only epoch does exactly the counted matrix products, partial batch included.
    assert gemm.GemmEpoch([20, 8, 3], 25, 10).flops == gemm.epoch_flops([20, 8, 3], 25, 10)["matmul"]


def test_time_interleaved_alternates_and_discards_busy_rounds(monkeypatch):
    calls = []
    peers = {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}
    measured = timing.time_interleaved(peers, repeats=2, warmup=1)
    assert calls == ["a", "b", "a", "b", "b", "a"]
    assert [len(t.seconds) for t in measured.timings.values()] == [2, 2]

    loads = iter([5.0, 0.0, 5.0, 5.0])
    monkeypatch.setattr(timing.OtherLoad, "stop", lambda self: next(loads))
    measured = timing.time_interleaved(peers, repeats=2, warmup=0, max_other_load=1.0, max_discarded=2)
    assert measured.discarded == 2 and measured.loads == [0.0, 5.0]
    assert len(measured.timings["a"].seconds) == 2


@pytest.mark.slow
def test_grading_benchmark_grades_a_small_class():
    """The grading benchmark's class goes through the real pipeline: the reference scores full marks."""
    from bench import grading

    figures = grading.grade_class("lab1", class_size=2, seed=3)
    assert "lab1: FAILED to grade" not in figures
    scores = [float(s) for s in figures["lab1: scores (fraction of full marks), in student order"].value.split()]
    assert len(scores) == 2 and scores[0] == 1.0 and 0 <= scores[1] <= 1
    seconds = figures["lab1: reference submission, autograde wall time"].value
    assert math.isfinite(seconds) and seconds > 0
    assert figures["lab1: throughput"].value > 0


def test_a_partial_run_keeps_the_other_benchmarks_figures_under_their_own_run():
    first = run.render_results(
        [
            (
                "",
                {"date": "day 1"},
                {"gemm": {"rate": timing.Figure(2.0, "GFLOP/s")}, "accuracy": {"acc": timing.Figure(0.9, "")}},
            )
        ],
        "python -m bench.run",
    )
    kept = run.previous_sections(first, {"gemm"})
    assert [(heading, list(sections)) for heading, _, sections in kept] == [
        ("Kept from an earlier run: `python -m bench.run`", ["accuracy"])
    ]
    second = run.render_results(
        [("", {"date": "day 2"}, {"gemm": {"rate": timing.Figure(3.0, "GFLOP/s")}})],
        "python -m bench.run --only gemm",
        kept,
    )
    new_part, old_part = second.split("# Kept from an earlier run")
    assert "| rate | 3 | GFLOP/s |" in new_part and "day 2" in new_part and "accuracy" not in new_part
    assert "| acc | 0.9 |  |" in old_part and "day 1" in old_part and "rate" not in old_part
