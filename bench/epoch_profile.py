"""Where an epoch's time goes: a cProfile of ``Trainer.train(1)`` for each network of ``training_speed``.

Each network is built and fed exactly as in ``training_speed`` (same data,
batch size, learning rule), trained for one untimed epoch, then for ``epochs``
epochs under cProfile. The time is split by the course's own functions
(``mlplab/`` and the reference solutions): each gets its *own* time, that is
the time spent in it and in the numpy and Python code it calls, without the
time of the other course functions it calls. So ``AffineLayer.fprop`` includes
its matrix product and bias add, and ``MultipleLayerModel.fprop`` only its
loop over the layers.

The profile counts CPU time (``time.process_time``), with one BLAS thread by
default: on a shared machine wall time mostly measures the other processes
(multithreaded BLAS slows down many times over when it does not get its
cores), CPU time of one thread much less so. The profiler adds a cost to every
Python call, so code that makes many small calls looks slower here than it
is; the shares show where to look, the ``training_speed`` epoch times what it costs.
"""

from __future__ import annotations

import cProfile
import pstats
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bench.timing import Figure, thread_limits
from bench.training_speed import NETWORKS, load_training_data
from mlplab.data import MinibatchProvider
from mlplab.errors import CrossEntropySoftmaxError
from mlplab.learning_rules import GradientDescentLearningRule
from mlplab.training import Trainer

REPO = Path(__file__).resolve().parents[1]
COURSE_CODE = (REPO / "mlplab", REPO / "solutions")


def _is_course_code(function: tuple[str, int, str]) -> bool:
    filename = function[0]
    return any(filename.startswith(str(folder)) for folder in COURSE_CODE)


def _name(function: tuple[str, int, str]) -> str:
    filename, _, name = function
    return f"{Path(filename).stem}.{name}"


def own_times(stats: pstats.Stats) -> dict[str, float]:
    """Seconds of each course function, its callees included except other course functions."""
    own: dict[tuple, float] = {}
    for function, (_, _, _, cumulative, _) in stats.stats.items():
        if _is_course_code(function):
            own[function] = own.get(function, 0.0) + cumulative
    for function, (_, _, _, _, callers) in stats.stats.items():
        if not _is_course_code(function):
            continue
        for caller, (_, _, _, cumulative) in callers.items():
            if caller in own and caller != function:
                own[caller] -= cumulative
    totals: dict[str, float] = {}
    for function, seconds in own.items():
        totals[_name(function)] = totals.get(_name(function), 0.0) + seconds
    return totals


def run(
    *,
    networks: Sequence[str] | None = None,
    data: str = "fashion-mnist",
    num_examples: int | None = 50_000,
    batch_size: int = 100,
    learning_rate: float = 0.05,
    epochs: int = 2,
    threads: int = 1,
    layer_sizes: Sequence[int] | None = None,
    top: int = 14,
    seed: int = 0,
) -> dict[str, Figure]:
    """The ``epoch_profile`` benchmark: per network, the ``top`` course functions by own CPU time per epoch."""
    inputs, labels, description = load_training_data(data, num_examples)
    figures = {
        "data": Figure(f"{description}, batch size {batch_size}, float32"),
        "threads": Figure(threads, "threads"),
        "profiled epochs per network": Figure(epochs, ""),
        "clock": Figure("CPU time of this process (time.process_time)"),
    }
    with thread_limits(threads):
        for network_name in networks or list(NETWORKS):
            network = NETWORKS[network_name]
            sizes = tuple(layer_sizes or network.layer_sizes)
            model = network.build(sizes, np.random.default_rng(seed))
            provider = MinibatchProvider(inputs, labels, batch_size, rng=np.random.default_rng(seed + 1))
            trainer = Trainer(model, CrossEntropySoftmaxError(), GradientDescentLearningRule(learning_rate), provider)
            trainer.train(1, progress=False)  # warm-up: caches, thread pools, lazy imports
            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
            for _ in range(epochs):
                trainer.train(1, progress=False)
            profiler.disable()
            times = own_times(pstats.Stats(profiler))
            total = sum(times.values())
            p = f"{network_name}:"
            figures[f"{p} profiled epoch, CPU time (cProfile overhead included)"] = Figure(total / epochs, "s")
            ranked = sorted(times.items(), key=lambda item: -item[1])
            for name, seconds in ranked[:top]:
                figures[f"{p} {name}"] = Figure(f"{seconds / epochs:.4f} s, {seconds / total:.1%}")
            rest = sum(seconds for _, seconds in ranked[top:])
            figures[f"{p} the other {max(0, len(ranked) - top)} functions"] = Figure(
                f"{rest / epochs:.4f} s, {rest / total:.1%}"
            )
    return figures
