"""The hardware limit an MLP epoch is measured against: numpy's float32 GEMM rate here.

An MLP epoch is almost all matrix products (GEMMs). This module counts an
epoch's floating-point operations and measures how fast numpy's BLAS does
float32 GEMMs of the very shapes an epoch uses, and of a large square one.

FLOP count of one epoch of minibatch SGD for an MLP with layer sizes
``d_0, ..., d_L`` (``L`` affine layers), ``N`` examples, batch size ``B``,
``S = ceil(N / B)`` updates and ``P = sum_l (d_{l-1} d_l + d_l)`` parameters::

    forward   sum_l 2 N d_{l-1} d_l        (X @ W.T)      + sum_l N d_l   (+ b)
    backward  sum_l 2 N d_{l-1} d_l        (G.T @ X = dW) + sum_l N d_l   (dB = column sums of G)
              sum_{l>=2} 2 N d_{l-1} d_l   (G @ W = dX; not needed for the first layer)
    update    2 P S                        (param -= lr * grad)

Elementwise work (ReLU, softmax, cross-entropy: O(N sum_l d_l)) is not
counted; for 784-512-512-10 it is under 0.1% of the total.

``run()`` is the ``gemm`` benchmark: GFLOP/s for each GEMM shape of a
784-512-512-10 epoch at batch size 100, for all of them together, and for a
large square GEMM.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bench.timing import QUIET_LOAD, Figure, default_threads, median_time, thread_limits

FLOP_FORMULA = (
    "6 N sum_l d_{l-1} d_l - 2 N d_0 d_1 (matmuls) + 2 N sum_l d_l (bias add, bias grad) "
    "+ 2 P ceil(N/B) (SGD update), P = number of parameters"
)


def epoch_flops(layer_sizes: Sequence[int], num_examples: int, batch_size: int) -> dict[str, int]:
    """FLOPs of one epoch (see the module docstring), split into parts, with their ``"total"``."""
    pairs = list(zip(layer_sizes[:-1], layer_sizes[1:]))
    n = num_examples
    steps = math.ceil(num_examples / batch_size)
    num_params = sum(d_in * d_out + d_out for d_in, d_out in pairs)
    parts = {
        "forward matmul": sum(2 * n * d_in * d_out for d_in, d_out in pairs),
        "backward matmul": sum(2 * n * d_in * d_out for d_in, d_out in pairs)
        + sum(2 * n * d_in * d_out for d_in, d_out in pairs[1:]),
        "bias": sum(2 * n * d_out for _, d_out in pairs),
        "update": 2 * num_params * steps,
    }
    parts["matmul"] = parts["forward matmul"] + parts["backward matmul"]
    parts["total"] = parts["matmul"] + parts["bias"] + parts["update"]
    return parts


@dataclass(frozen=True)
class Gemm:
    """One matrix product of a training step, in the layout the course code uses.

    ``a`` is ``(m, k)`` and ``b`` is ``(k, n)``, each a transposed view when
    its flag is set (``W.T`` in ``fprop``, ``G.T`` in the weight gradient).
    """

    name: str
    m: int
    k: int
    n: int
    a_transposed: bool = False
    b_transposed: bool = False

    @property
    def flops(self) -> int:
        return 2 * self.m * self.k * self.n

    def operands(self, rng: np.random.Generator, dtype=np.float32) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Random ``a``, ``b`` (views as in training) and a C-contiguous ``out`` for ``a @ b``."""
        a = rng.standard_normal((self.k, self.m) if self.a_transposed else (self.m, self.k), dtype=dtype)
        b = rng.standard_normal((self.n, self.k) if self.b_transposed else (self.k, self.n), dtype=dtype)
        out = np.empty((self.m, self.n), dtype=dtype)
        return (a.T if self.a_transposed else a), (b.T if self.b_transposed else b), out


def step_gemms(layer_sizes: Sequence[int], batch_size: int) -> list[Gemm]:
    """The GEMMs of one training step of an MLP, in the course code's layouts.

    For affine layer ``l`` (``d_in -> d_out``): ``fprop`` ``X @ W.T``, the weight
    gradient ``G.T @ X`` and, except for the first layer, ``bprop`` ``G @ W``.
    """
    gemms = []
    for index, (d_in, d_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:]), start=1):
        gemms.append(
            Gemm(
                f"fprop{index} X@W.T ({batch_size}x{d_in} @ {d_in}x{d_out})", batch_size, d_in, d_out, b_transposed=True
            )
        )
        gemms.append(
            Gemm(
                f"dW{index} G.T@X ({d_out}x{batch_size} @ {batch_size}x{d_in})",
                d_out,
                batch_size,
                d_in,
                a_transposed=True,
            )
        )
        if index > 1:
            gemms.append(Gemm(f"bprop{index} G@W ({batch_size}x{d_out} @ {d_out}x{d_in})", batch_size, d_out, d_in))
    return gemms


class GemmEpoch:
    """Exactly the matrix products of one epoch, and nothing else: numpy's GEMM time for it.

    Calling the object runs, for every minibatch of the epoch, each GEMM of
    ``step_gemms`` on preallocated float32 operands with ``out=`` (no
    allocation). ``flops`` is their count, the ``"matmul"`` part of ``epoch_flops``.
    """

    def __init__(self, layer_sizes: Sequence[int], num_examples: int, batch_size: int, seed: int = 0):
        rng = np.random.default_rng(seed)
        full, rest = divmod(num_examples, batch_size)
        self.steps = []  # (operand triples of one step, how many steps have that batch size)
        for size, count in ((batch_size, full), (rest, 1)):
            if size and count:
                self.steps.append(([g.operands(rng) for g in step_gemms(layer_sizes, size)], count))
        self.flops = sum(
            g.flops * count
            for size, count in ((batch_size, full), (rest, 1))
            if size and count
            for g in step_gemms(layer_sizes, size)
        )

    def __call__(self) -> None:
        for operands, count in self.steps:
            for _ in range(count):
                for a, b, out in operands:
                    np.matmul(a, b, out=out)


def gemm_rate(
    gemm: Gemm,
    repeats: int,
    seed: int = 0,
    min_seconds: float = 0.05,
    max_other_load: float | None = QUIET_LOAD,
    quiet_timeout: float = 60.0,
) -> tuple[float, int]:
    """numpy's rate for ``gemm`` in GFLOP/s (median of ``repeats``, each at least ``min_seconds``).

    The measurement waits up to ``quiet_timeout`` seconds for other processes
    to keep at most ``max_other_load`` cores busy, and measures a busier
    repeat again (up to ``3 * repeats`` times; see ``median_time``).

    Returns:
        ``(rate, busy)``: busy is the number of kept repeats that were busier all the same.
    """
    a, b, out = gemm.operands(np.random.default_rng(seed))
    measured = median_time(
        lambda: np.matmul(a, b, out=out),
        repeats,
        warmup=1,
        min_seconds=min_seconds,
        max_other_load=max_other_load,
        max_discarded=3 * repeats,
        quiet_timeout=quiet_timeout,
    )
    return gemm.flops / measured.seconds / 1e9, measured.busy_kept


def run(
    layer_sizes: Sequence[int] = (784, 512, 512, 10),
    batch_size: int = 100,
    square: int = 2048,
    repeats: int = 7,
    min_seconds: float = 0.1,
    threads: int | None = None,
    max_other_load: float | None = QUIET_LOAD,
) -> dict[str, Figure]:
    """The ``gemm`` benchmark: numpy float32 GEMM rates with ``threads`` BLAS threads.

    Args:
        layer_sizes: the MLP whose step GEMMs are measured.
        batch_size: their batch size.
        square: size ``n`` of the square ``n x n @ n x n`` GEMM (near the machine's best rate).
        repeats: median over this many repeats.
        min_seconds: each repeat calls the GEMM until it has run this long.
        threads: BLAS threads (default: the cores available).
        max_other_load: repeats during which other processes kept more cores
            than this busy are measured again (None: keep all).
    """
    threads = threads or default_threads()
    figures: dict[str, Figure] = {"threads": Figure(threads, "threads")}
    rates: dict[str, Figure] = {}
    total_flops, total_seconds, busy = 0, 0.0, 0
    big = Gemm(f"square {square}x{square} @ {square}x{square}", square, square, square)
    with thread_limits(threads) as how:
        figures["numpy BLAS threads"] = Figure(how["numpy BLAS threads"])
        for gemm in [*step_gemms(layer_sizes, batch_size), big]:
            rate, busy_kept = gemm_rate(gemm, repeats, min_seconds=min_seconds, max_other_load=max_other_load)
            rates[gemm.name] = Figure(rate, "GFLOP/s")
            busy += busy_kept
            if gemm is not big:
                total_flops += gemm.flops
                total_seconds += gemm.flops / (rate * 1e9)
    figures["measurement quality"] = Figure(
        "not checked (max_other_load=None)"
        if max_other_load is None
        else "quiet"
        if busy == 0
        else f"NOISY: {busy} kept repeats had other processes busier than {max_other_load} cores; "
        "rerun on a quiet machine"
    )
    square_rate = rates.pop(big.name)
    figures.update(rates)
    figures["all step GEMMs above, flop-weighted"] = Figure(total_flops / total_seconds / 1e9, "GFLOP/s")
    figures[big.name] = square_rate
    return figures
