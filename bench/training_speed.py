"""Training speed: one epoch of the course's MLP code against PyTorch and against numpy's GEMM rate.

For each network in ``NETWORKS`` three peers are timed, interleaved in one
process with the same thread count (``bench.timing``):

* ``mlplab``: ``Trainer.train(1)`` on a model from ``mlplab`` (the course code
  students use, exercise modules taken from the reference solutions), with
  ``CrossEntropySoftmaxError`` and ``GradientDescentLearningRule``, fed by a
  ``MinibatchProvider`` (one-hot float32 targets, shuffled every epoch);
* ``torch``: the same network built from ``torch.nn`` with the same initial
  weights, ``CrossEntropyLoss`` and ``torch.optim.SGD``, float32, on the same
  float32 inputs (the very same memory) in the same shuffled order, written as
  a plain PyTorch loop (tensor indexing, integer labels, no DataLoader). Like the
  Trainer it adds up the batch error and accuracy;
* ``numpy GEMMs only``: just the matrix products of that epoch
  (``bench.gemm.GemmEpoch``), the limit for numpy code on this machine.

Two networks are timed: the plain MLP, and the same MLP with batch norm
(lab 2) and inverted dropout (lab 3) after every hidden affine layer. Another
network is added as a ``Network`` in ``NETWORKS``, and its layer types to
``TORCH_TWINS``. The FLOP count is that of the affine layers and the SGD
update (``bench.gemm.epoch_flops``) for both networks: the element-wise work of
batch norm and dropout is not counted, so the fraction of the GEMM rate is a
lower bound for the second network.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bench.gemm import FLOP_FORMULA, Gemm, GemmEpoch, epoch_flops, gemm_rate
from bench.timing import (
    QUIET_LOAD,
    Figure,
    default_threads,
    load_average,
    thread_limits,
    time_interleaved,
    try_import_torch,
)
from mlplab.data import DataError, MinibatchProvider, fit_normalisation, load_idx_dataset, load_mnist5k
from mlplab.errors import CrossEntropySoftmaxError
from mlplab.layers import AffineLayer, BatchNormLayer, ReluLayer
from mlplab.learning_rules import GradientDescentLearningRule
from mlplab.models import MultipleLayerModel, mlp
from mlplab.training import Trainer

BUDGET = 1.0
"""The course code's epoch may take at most this many times PyTorch's (issue 15)."""

GEMM_FRACTION_GOAL = 0.85
"""The plain MLP's epoch should reach at least this fraction of numpy's GEMM rate for its shapes (issue 15)."""

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def glorot_uniform(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Glorot/Xavier uniform weights for shape ``(fan_out, fan_in)`` (so the epoch trains sensibly)."""
    fan_out, fan_in = shape
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape)


@dataclass(frozen=True)
class Network:
    """A network to benchmark.

    Attributes:
        name: short name, used as the prefix of its figures.
        description: one line for the results.
        layer_sizes: ``[input_dim, hidden..., num_classes]`` of its affine layers.
        build: ``(layer_sizes, rng) -> MultipleLayerModel``, the course-code model.
    """

    name: str
    description: str
    layer_sizes: tuple[int, ...]
    build: Callable[[Sequence[int], np.random.Generator], MultipleLayerModel]


DROPOUT_INCL_PROB = 0.5
"""Inclusion probability of the hidden dropout layers of the ``bn_dropout`` network."""


def bn_dropout_mlp(
    sizes: Sequence[int],
    rng: np.random.Generator,
    *,
    incl_prob: float = DROPOUT_INCL_PROB,
    input_incl_prob: float = 1.0,
    weights_init=glorot_uniform,
) -> MultipleLayerModel:
    """``[Dropout,] (Affine, BatchNorm, ReLU, Dropout) per hidden layer, Affine``; inverted dropout, float32.

    The input dropout layer is there only when ``input_incl_prob < 1``.
    """
    from mlplab.exercises.dropout import DropoutLayer  # an exercise (lab 3): imported when used

    layers = []
    if input_incl_prob < 1:
        layers.append(DropoutLayer(rng, incl_prob=input_incl_prob))
    pairs = list(zip(sizes[:-1], sizes[1:]))
    for i, (input_dim, output_dim) in enumerate(pairs):
        layers.append(AffineLayer(input_dim, output_dim, rng=rng, weights_init=weights_init, dtype=np.float32))
        if i < len(pairs) - 1:
            layers += [
                BatchNormLayer(output_dim, dtype=np.float32),
                ReluLayer(),
                DropoutLayer(rng, incl_prob=incl_prob, inverted=True),
            ]
    return MultipleLayerModel(layers)


NETWORKS: dict[str, Network] = {
    "mlp": Network(
        "mlp",
        "MLP: affine layers with ReLU between them, softmax cross-entropy, plain SGD",
        (784, 512, 512, 10),
        lambda sizes, rng: mlp(sizes, ReluLayer, rng=rng, weights_init=glorot_uniform, dtype=np.float32),
    ),
    "bn_dropout": Network(
        "bn_dropout",
        f"the MLP with batch norm, ReLU and inverted dropout (inclusion probability {DROPOUT_INCL_PROB}) "
        "after every hidden affine layer, softmax cross-entropy, plain SGD",
        (784, 512, 512, 10),
        bn_dropout_mlp,
    ),
}


def _affine_twin(torch, layer: AffineLayer):
    linear = torch.nn.Linear(layer.input_dim, layer.output_dim, dtype=torch.float32)
    with torch.no_grad():
        linear.weight.copy_(torch.from_numpy(layer.weights))  # both (output_dim, input_dim)
        linear.bias.copy_(torch.from_numpy(layer.biases))
    return linear


def _batch_norm_twin(torch, layer: BatchNormLayer):
    # mlplab's momentum weighs the old running value, torch's weighs the new batch statistic.
    norm = torch.nn.BatchNorm1d(layer.num_units, eps=layer.eps, momentum=1.0 - layer.momentum, dtype=torch.float32)
    with torch.no_grad():
        norm.weight.copy_(torch.from_numpy(layer.gamma))
        norm.bias.copy_(torch.from_numpy(layer.beta))
    return norm


def _dropout_twin(torch, layer):
    if not layer.inverted:
        raise NotImplementedError("torch.nn.Dropout is inverted dropout; weight-scaled dropout has no twin")
    return torch.nn.Dropout(p=1.0 - layer.incl_prob)  # torch's p is the drop probability


TORCH_TWINS: dict[str, Callable] = {
    "AffineLayer": _affine_twin,
    "ReluLayer": lambda torch, layer: torch.nn.ReLU(),
    "BatchNormLayer": _batch_norm_twin,
    "DropoutLayer": _dropout_twin,
}
"""Layer class name -> ``(torch, layer) -> torch.nn.Module`` doing the same, with the same parameter values.

By name because exercise classes (``DropoutLayer``) are imported only when first used.
"""


def torch_twin(torch, model: MultipleLayerModel):
    """A ``torch.nn.Sequential`` computing what ``model`` computes, starting from its parameters."""
    modules = []
    for layer in model.layers:
        make = TORCH_TWINS.get(type(layer).__name__)
        if make is None:
            raise NotImplementedError(f"no PyTorch twin for {type(layer).__name__}: add one to TORCH_TWINS")
        modules.append(make(torch, layer))
    return torch.nn.Sequential(*modules)


def load_training_data(data: str, num_examples: int | None) -> tuple[np.ndarray, np.ndarray, str]:
    """The first ``num_examples`` training examples scaled to [0, 1], float32; and a description.

    ``data`` is ``"fashion-mnist"``/``"mnist"`` (the 50,000-image training split of
    ``load_idx_dataset``) or ``"mnist5k"`` (the 3,000 shipped digits). When an IDX data
    set is not installed, falls back to mnist5k and says so in the description.
    """
    note = ""
    try:
        split = load_mnist5k()["train"] if data == "mnist5k" else load_idx_dataset(data)["train"]
    except DataError as error:
        first_line = str(error).splitlines()[0]
        note = f" (fallback: {first_line})"
        data, split = "mnist5k", load_mnist5k()["train"]
    available = split.inputs.shape[0]
    n = available if num_examples is None else min(num_examples, available)
    inputs = fit_normalisation(split.inputs, "scale")(split.inputs[:n], np.float32)
    labels = split.targets[:n].astype(np.int64)
    return inputs, labels, f"{data} training split, first {n} of {available} examples{note}"


class TorchEpoch:
    """One epoch of plain PyTorch minibatch SGD, doing what ``Trainer.train(1)`` does."""

    def __init__(
        self, torch, net, inputs: np.ndarray, labels: np.ndarray, batch_size: int, learning_rate: float, seed: int
    ):
        self.torch, self.net, self.batch_size = torch, net, batch_size
        self.inputs = torch.from_numpy(inputs)  # shares memory with the numpy array
        self.labels = torch.from_numpy(labels)
        self.rng = np.random.default_rng(seed)  # draws the same orders as the provider's
        self.loss = torch.nn.CrossEntropyLoss()
        self.optimiser = torch.optim.SGD(net.parameters(), lr=learning_rate)
        self.train_error = math.nan

    def __call__(self) -> None:
        torch = self.torch
        self.net.train()
        order = torch.from_numpy(self.rng.permutation(len(self.labels)))
        total_error, total_correct = 0.0, 0
        for start in range(0, len(order), self.batch_size):
            index = order[start : start + self.batch_size]
            inputs, labels = self.inputs[index], self.labels[index]
            outputs = self.net(inputs)
            loss = self.loss(outputs, labels)
            total_error += loss.item() * len(index)
            total_correct += int((outputs.argmax(dim=1) == labels).sum())
            self.optimiser.zero_grad(set_to_none=True)
            loss.backward()
            self.optimiser.step()
        self.train_error = total_error / len(order)


def run(
    *,
    networks: Sequence[str] | None = None,
    data: str = "fashion-mnist",
    num_examples: int | None = 50_000,
    batch_size: int = 100,
    learning_rate: float = 0.05,
    repeats: int = 7,
    warmup: int = 1,
    threads: int | None = None,
    layer_sizes: Sequence[int] | None = None,
    square: int = 2048,
    use_torch: bool = True,
    seed: int = 0,
    max_other_load: float | None = QUIET_LOAD,
    max_discarded: int | None = None,
    pause: float = 0.5,
    quiet_timeout: float = 900.0,
    memory: bool = True,
) -> dict[str, Figure]:
    """The ``training_speed`` benchmark. Returns its figures, those of network ``NAME`` prefixed ``NAME:``.

    Args:
        networks: names in ``NETWORKS`` (default: all).
        data: ``"fashion-mnist"``, ``"mnist"`` or ``"mnist5k"``; see ``load_training_data``.
        num_examples: examples per epoch (None: the whole training split).
        batch_size: examples per minibatch.
        learning_rate: SGD step size (the same for both).
        repeats: timed epochs of each peer (median and min reported).
        warmup: untimed epochs of each peer first.
        threads: threads for numpy's BLAS and PyTorch (default: the cores available).
        layer_sizes: override every network's layer sizes (small ones for smoke tests).
        square: size of the square GEMM given as the machine's best GEMM rate.
        use_torch: time PyTorch if it is installed.
        seed: seeds the weights and the shuffling.
        max_other_load: the machine may be shared: each round (one epoch of
            each peer) waits for other processes to keep at most this many cores
            busy, and a round during which they kept more busy is discarded and
            run again (None: keep all, never wait).
        max_discarded: at most this many rounds are discarded (default: ``2 * repeats``).
        pause: seconds of sleep before each timed epoch (see ``time_interleaved``).
        quiet_timeout: the most seconds to wait for quiet, per network.
        memory: also measure the peak resident memory of one epoch of each
            peer, each in a fresh process (``epoch_memory``).
    """
    max_discarded = 2 * repeats if max_discarded is None else max_discarded
    torch = try_import_torch() if use_torch else None
    threads = threads or default_threads()
    inputs, labels, data_description = load_training_data(data, num_examples)
    n = len(labels)
    figures: dict[str, Figure] = {
        "data": Figure(f"{data_description}, batch size {batch_size}, float32"),
        "threads": Figure(threads, "threads"),
    }
    with thread_limits(threads) as how:
        for name, value in how.items():
            figures[name] = Figure(value)
        for network_name in networks or list(NETWORKS):
            network = NETWORKS[network_name]
            sizes = tuple(layer_sizes or network.layer_sizes)
            figures.update(
                _run_network(
                    network,
                    sizes,
                    torch,
                    inputs,
                    labels,
                    batch_size,
                    learning_rate,
                    repeats,
                    warmup,
                    seed,
                    max_other_load,
                    max_discarded,
                    pause,
                    quiet_timeout,
                    memory,
                    data,
                    num_examples,
                    threads,
                )
            )
        square_gemm = Gemm(f"square {square}", square, square, square)
        square_rate, _ = gemm_rate(square_gemm, repeats=max(3, min(repeats, 7)), max_other_load=max_other_load)
        figures[f"numpy GEMM rate, square {square}x{square} float32"] = Figure(square_rate, "GFLOP/s")
    peak = figures[f"numpy GEMM rate, square {square}x{square} float32"].value
    for network_name in networks or list(NETWORKS):
        achieved = figures[f"{network_name}: mlplab achieved rate"].value
        figures[f"{network_name}: fraction of the square GEMM rate"] = Figure(achieved / peak, "")
    figures["FLOP count formula"] = Figure(FLOP_FORMULA)
    figures["examples per epoch"] = Figure(n, "examples")
    return figures


def _run_network(
    network,
    sizes,
    torch,
    inputs,
    labels,
    batch_size,
    learning_rate,
    repeats,
    warmup,
    seed,
    max_other_load,
    max_discarded,
    pause,
    quiet_timeout,
    memory,
    data,
    num_examples,
    threads,
):
    rng = np.random.default_rng(seed)
    model = network.build(sizes, rng)
    provider = MinibatchProvider(inputs, labels, batch_size, rng=np.random.default_rng(seed + 1))
    trainer = Trainer(model, CrossEntropySoftmaxError(), GradientDescentLearningRule(learning_rate), provider)
    history = []
    peers: dict[str, Callable[[], object]] = {
        "mlplab": lambda: history.append(trainer.train(1, progress=False).train_error[-1]),
    }
    torch_epoch = None
    if torch is not None:
        torch_epoch = TorchEpoch(torch, torch_twin(torch, model), inputs, labels, batch_size, learning_rate, seed + 1)
        peers["torch"] = torch_epoch
    gemm_epoch = GemmEpoch(sizes, len(labels), batch_size)
    peers["numpy GEMMs only"] = gemm_epoch

    start = time.perf_counter()
    measured = time_interleaved(
        peers,
        repeats=repeats,
        warmup=warmup,
        max_other_load=max_other_load,
        max_discarded=max_discarded,
        pause=pause,
        quiet_timeout=quiet_timeout,
    )
    wall = time.perf_counter() - start
    timings = measured.timings
    loads = [load for load in measured.loads if load is not None]

    flops = epoch_flops(sizes, len(labels), batch_size)
    p = f"{network.name}:"
    mine = timings["mlplab"]
    gemm_seconds = timings["numpy GEMMs only"].median
    busy = 0 if max_other_load is None else measured.busy_rounds(max_other_load)
    figures = {
        f"{p} network": Figure(f"{'-'.join(map(str, sizes))}; {network.description}"),
        f"{p} measurement quality": Figure(
            "not checked (max_other_load=None)"
            if max_other_load is None
            else "quiet"
            if busy == 0
            else f"NOISY: {busy} of {repeats} kept rounds had other processes busier than "
            f"{max_other_load} cores; rerun on a quiet machine"
        ),
        f"{p} mlplab epoch, median of {repeats}": Figure(mine.median, "s"),
        f"{p} mlplab epoch, min": Figure(mine.min, "s"),
    }
    if torch_epoch is not None:
        theirs = timings["torch"]
        figures.update(
            {
                f"{p} torch epoch, median of {repeats}": Figure(theirs.median, "s"),
                f"{p} torch epoch, min": Figure(theirs.min, "s"),
                f"{p} ratio mlplab/torch (medians)": Figure(mine.median / theirs.median, "x"),
                f"{p} ratio mlplab/torch (mins)": Figure(mine.min / theirs.min, "x"),
                f"{p} ratio mlplab/torch, median of the {repeats} rounds' ratios": Figure(
                    statistics.median(a / b for a, b in zip(mine.seconds, theirs.seconds)), "x"
                ),
                f"{p} within budget ({BUDGET}x torch, medians)": Figure(
                    "yes" if mine.median <= BUDGET * theirs.median else "NO"
                ),
            }
        )
    else:
        skipped = Figure("skipped: torch not installed")
        for key in ("torch epoch", "ratio mlplab/torch"):
            figures[f"{p} {key}"] = skipped
    figures.update(
        {
            f"{p} epoch FLOPs (total)": Figure(flops["total"] / 1e9, "GFLOP"),
            f"{p} epoch FLOPs (matmuls only)": Figure(flops["matmul"] / 1e9, "GFLOP"),
            f"{p} numpy GEMMs-only epoch, median": Figure(gemm_seconds, "s"),
            f"{p} numpy GEMM rate, epoch shapes": Figure(gemm_epoch.flops / gemm_seconds / 1e9, "GFLOP/s"),
            f"{p} mlplab achieved rate": Figure(flops["total"] / mine.median / 1e9, "GFLOP/s"),
            f"{p} fraction of the epoch-shape GEMM rate": Figure(
                (flops["total"] / mine.median) / (gemm_epoch.flops / gemm_seconds), ""
            ),
            f"{p} fraction of the epoch-shape GEMM rate, median of the {repeats} rounds' fractions": Figure(
                statistics.median(
                    flops["total"] / a / (gemm_epoch.flops / b)
                    for a, b in zip(mine.seconds, timings["numpy GEMMs only"].seconds)
                ),
                "",
            ),
        }
    )
    if network.name == "mlp":
        figures[f"{p} reaches the goal ({GEMM_FRACTION_GOAL} of the GEMM rate, medians)"] = Figure(
            "yes" if figures[f"{p} fraction of the epoch-shape GEMM rate"].value >= GEMM_FRACTION_GOAL else "NO"
        )
    if torch_epoch is not None:
        figures[f"{p} torch achieved rate"] = Figure(flops["total"] / timings["torch"].median / 1e9, "GFLOP/s")
    # A check that both peers did the same training (same weights, data and order).
    figures[f"{p} mlplab train error, last epoch"] = Figure(history[-1], "nats")
    if torch_epoch is not None:
        figures[f"{p} torch train error, last epoch"] = Figure(torch_epoch.train_error, "nats")
    for name, timing in timings.items():
        figures[f"{p} {name} epoch times in seconds, in round order"] = Figure(
            " ".join(f"{seconds:.3g}" for seconds in timing.seconds)
        )
    figures[f"{p} rounds kept / discarded (other processes busy)"] = Figure(
        f"{len(measured.loads)} / {measured.discarded}"
    )
    figures[f"{p} other processes' load in kept rounds, max"] = Figure(
        max(loads) if loads else "unknown", "cores" if loads else ""
    )
    figures[f"{p} waited for a quiet machine"] = Figure(measured.waited, "s")
    figures[f"{p} wall time of the interleaved timing"] = Figure(wall, "s")
    figures[f"{p} load average (1, 5, 15 min) after the timing"] = Figure(load_average())
    if memory:
        figures.update(
            _memory_figures(
                p,
                ["mlplab", "torch"] if torch_epoch is not None else ["mlplab"],
                network=network.name,
                sizes=list(sizes),
                data=data,
                num_examples=num_examples,
                batch_size=batch_size,
                learning_rate=learning_rate,
                seed=seed,
                threads=threads,
            )
        )
    return figures


def _resident_megabytes(field: str) -> float:
    """``VmRSS`` (resident now) or ``VmHWM`` (peak resident) of this process from /proc, in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024  # the value is in kB
    raise RuntimeError(f"no {field} in /proc/self/status")


def epoch_memory(
    peer: str,
    network: str,
    sizes: Sequence[int],
    data: str,
    num_examples: int | None,
    batch_size: int,
    learning_rate: float,
    seed: int,
    threads: int,
) -> dict[str, float]:
    """Resident memory (MB) of one epoch of ``peer`` (``"mlplab"`` or ``"torch"``); run it in a fresh process.

    The process loads the data and builds the network as ``run`` does, then
    resets its peak resident size (``/proc/self/clear_refs``) and trains one
    epoch. Returns ``before`` (resident before the epoch: interpreter, imports,
    data, model) and ``peak`` (the peak resident size during the epoch).
    """
    inputs, labels, _ = load_training_data(data, num_examples)
    model = NETWORKS[network].build(sizes, np.random.default_rng(seed))
    if peer == "torch":
        torch = try_import_torch()
        epoch = TorchEpoch(torch, torch_twin(torch, model), inputs, labels, batch_size, learning_rate, seed + 1)
    else:
        provider = MinibatchProvider(inputs, labels, batch_size, rng=np.random.default_rng(seed + 1))
        trainer = Trainer(model, CrossEntropySoftmaxError(), GradientDescentLearningRule(learning_rate), provider)
        epoch = lambda: trainer.train(1, progress=False)  # noqa: E731
    with thread_limits(threads):
        before = _resident_megabytes("VmRSS")
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")  # Linux: the peak resident size starts again from the current one
        epoch()
        return {"before": before, "peak": _resident_megabytes("VmHWM")}


def _epoch_memory_in_child(**arguments) -> dict[str, float]:
    """``epoch_memory(**arguments)`` in a fresh Python process, so that neither peer counts the other's memory."""
    code = (
        "import json, sys; from bench.training_speed import epoch_memory; "
        "print(json.dumps(epoch_memory(**json.loads(sys.argv[1]))))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code, json.dumps(arguments)], cwd=REPO, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"the memory measurement of {arguments['peer']} failed:\n{completed.stderr}")
    return json.loads(completed.stdout.splitlines()[-1])


def _memory_figures(p: str, peers: Sequence[str], **arguments) -> dict[str, Figure]:
    memory = {peer: _epoch_memory_in_child(peer=peer, **arguments) for peer in peers}
    figures = {}
    for peer, measured in memory.items():
        figures[f"{p} {peer} peak resident memory of one epoch (fresh process)"] = Figure(measured["peak"], "MB")
        figures[f"{p} {peer} resident before the epoch (interpreter, imports, data, model)"] = Figure(
            measured["before"], "MB"
        )
        figures[f"{p} {peer} epoch's peak above that"] = Figure(measured["peak"] - measured["before"], "MB")
    if "torch" in memory:
        figures[f"{p} ratio mlplab/torch, peak resident memory"] = Figure(
            memory["mlplab"]["peak"] / memory["torch"]["peak"], "x"
        )
    return figures
