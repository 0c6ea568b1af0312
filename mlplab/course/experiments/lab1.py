"""Experiments of Lab 1: initialisation and hidden units.

Every function here is deterministic given its ``seed`` (an int or an
``np.random.Generator``) and returns plain data for the notebook to plot.
Functions that need your exercise code (``mlplab.exercises.initialisers``,
``mlplab.exercises.hidden_units``, ``mlplab.exercises.preprocessing``) import it when they
run, so a missing implementation only affects the experiments that use it.

Naming: initialisers and hidden units are referred to by the names in
``INITIALISERS`` and ``HIDDEN_UNITS`` (e.g. ``"He normal"``, ``"relu"``);
results are dicts keyed by those names or by the labels of ``CONFIGS``-style
tuples ``(label, hidden unit, initialiser)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from tqdm.auto import tqdm

from mlplab.course.experiments import as_generator
from mlplab.data import MinibatchProvider, fit_normalisation, load_mnist5k
from mlplab.errors import CrossEntropySoftmaxError
from mlplab.layers.activations import IdentityLayer, ReluLayer, SigmoidLayer, TanhLayer
from mlplab.layers.affine import AffineLayer
from mlplab.layers.base import Layer
from mlplab.learning_rules import GradientDescentLearningRule
from mlplab.models import MultipleLayerModel, mlp
from mlplab.training import Trainer

Seed = int | np.random.Generator

# ---------------------------------------------------------------- initialisers and units

SMALL = "N(0, 0.01^2)"
"""Weights drawn from a normal distribution with standard deviation 0.01, whatever the layer size."""
UNIT = "N(0, 1)"
"""Weights drawn from a standard normal distribution, whatever the layer size."""
LEGACY = "U(+-1/sqrt(n_in))"
"""Weights drawn from U(-1/sqrt(n_in), 1/sqrt(n_in)), variance 1/(3 n_in): the "standard" rule before
Glorot and Bengio (2010)."""

INITIALISERS = (
    "zeros",
    SMALL,
    UNIT,
    LEGACY,
    "fan-in uniform",
    "fan-in normal",
    "Glorot uniform",
    "Glorot normal",
    "He normal",
    "orthogonal",
)
"""Names accepted by :func:`get_initialiser`."""

HIDDEN_UNITS = ("identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "srelu")
"""Names accepted by :func:`get_hidden_unit`."""


def _zeros(shape, rng):
    return np.zeros(shape)


def _normal_with_std(std: float):
    def init(shape, rng):
        return rng.normal(0.0, std, size=shape)

    init.__name__ = f"normal_std_{std:g}"
    return init


def _fanin_normal(shape, rng):
    # Var(w) = 1 / n_in, drawn from a normal distribution (the SELU experiments use it).
    fan_in = shape[1]
    return rng.standard_normal(size=shape) / math.sqrt(fan_in)


def _legacy_uniform(shape, rng):
    limit = 1.0 / math.sqrt(shape[1])
    return rng.uniform(-limit, limit, size=shape)


def get_initialiser(name: str) -> Callable[[tuple[int, ...], np.random.Generator], np.ndarray]:
    """The weight initialiser called ``name``, a callable ``(shape, rng) -> array``.

    ``"fan-in uniform"``, ``"Glorot uniform"``, ``"Glorot normal"``, ``"He normal"``
    and ``"orthogonal"`` are your functions in ``mlplab/exercises/initialisers.py``
    (tasks 1.1-1.5); the others are fixed rules provided here.
    """
    fixed = {
        "zeros": _zeros,
        SMALL: _normal_with_std(0.01),
        UNIT: _normal_with_std(1.0),
        LEGACY: _legacy_uniform,
        "fan-in normal": _fanin_normal,
    }
    if name in fixed:
        return fixed[name]
    exercise = {
        "fan-in uniform": "fanin_uniform",
        "Glorot uniform": "glorot_uniform",
        "Glorot normal": "glorot_normal",
        "He normal": "he_normal",
        "orthogonal": "orthogonal",
    }
    if name not in exercise:
        raise ValueError(f"unknown initialiser {name!r}; choose one of {list(INITIALISERS)}")
    from mlplab.exercises import initialisers

    return getattr(initialisers, exercise[name])


def get_hidden_unit(name: str) -> Callable[[], Layer]:
    """A callable with no arguments that returns a new hidden-unit layer called ``name``.

    ``"elu"``, ``"selu"``, ``"leaky_relu"`` and ``"srelu"`` are your layers in
    ``mlplab/exercises/hidden_units.py`` (tasks 1.7-1.9 and 1.12).
    """
    provided = {"identity": IdentityLayer, "sigmoid": SigmoidLayer, "tanh": TanhLayer, "relu": ReluLayer}
    if name in provided:
        return provided[name]
    exercise = {"elu": "ELULayer", "selu": "SELULayer", "leaky_relu": "LeakyReLULayer", "srelu": "SReLULayer"}
    if name not in exercise:
        raise ValueError(f"unknown hidden unit {name!r}; choose one of {list(HIDDEN_UNITS)}")
    from mlplab.exercises import hidden_units

    return getattr(hidden_units, exercise[name])


def _seed_from(rng: np.random.Generator) -> int:
    """A fresh integer seed drawn from ``rng`` (to give several runs the same random numbers)."""
    return int(rng.integers(2**63))


def per_layer_factor(values: Sequence[float]) -> float:
    """Geometric mean of ``values[l + 1] / values[l]``: how much a quantity changes per layer."""
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        raise ValueError("per_layer_factor needs values of at least two layers")
    return float((values[-1] / values[0]) ** (1.0 / (len(values) - 1)))


# ---------------------------------------------------------------- (a) deep linear networks


def deep_linear_chain(
    scales: Sequence[float] = (0.5, 1.0, 2.0),
    num_layers: int = 30,
    dim: int = 2,
    batch_size: int = 16,
    seed: Seed = 0,
) -> dict[float, dict[str, np.ndarray]]:
    """A deep linear network whose every weight matrix is ``scale * I``.

    The forward pass is ``h(l) = W(l) h(l-1)`` with ``h(0) = x`` (no biases, no
    nonlinearity). A unit-norm gradient ``dE/dh(L)`` is then back-propagated:
    ``dE/dh(l-1) = W(l).T dE/dh(l)``.

    Args:
        scales: the values ``s`` of ``W = s I`` to compare.
        num_layers: depth ``L``.
        dim: width of every layer.
        batch_size: number of random unit-norm inputs.
        seed: int or Generator for the inputs and the output gradients.

    Returns:
        ``scale -> {"output_norm": (L + 1,), "grad_norm": (L + 1,), "weight_grad_norm": (L,)}``:
        the average over the batch of ``||h(l)||`` for ``l = 0..L``, of
        ``||dE/dh(l)||`` for ``l = 0..L`` and of ``||dE/dW(l)||`` for ``l = 1..L``.
    """
    rng = as_generator(seed)
    inputs = rng.standard_normal((batch_size, dim))
    inputs /= np.linalg.norm(inputs, axis=1, keepdims=True)
    grads_out = rng.standard_normal((batch_size, dim))
    grads_out /= np.linalg.norm(grads_out, axis=1, keepdims=True)
    results = {}
    for scale in scales:
        layers = [
            AffineLayer(
                dim,
                dim,
                weights_init=lambda shape, _, s=scale: s * np.eye(shape[0]),
                biases_init=_zeros,
                dtype=np.float64,
            )
            for _ in range(num_layers)
        ]
        model = MultipleLayerModel(layers)
        activations = model.fprop(inputs)
        grads = [grads_out]
        weight_grads = []
        for layer, layer_inputs, outputs in zip(layers[::-1], activations[-2::-1], activations[:0:-1]):
            weight_grads.append(layer.grads_wrt_params(layer_inputs, grads[-1])[0])
            grads.append(layer.bprop(layer_inputs, outputs, grads[-1]))
        grads.reverse()
        weight_grads.reverse()
        results[scale] = {
            "output_norm": np.array([np.linalg.norm(h, axis=1).mean() for h in activations]),
            "grad_norm": np.array([np.linalg.norm(g, axis=1).mean() for g in grads]),
            # dE/dW(l) summed over the batch; divide by the batch size for one example's share
            "weight_grad_norm": np.array([np.linalg.norm(g) / batch_size for g in weight_grads]),
        }
    return results


def deep_linear_random(
    inits: Sequence[str] = ("fan-in normal", "orthogonal"),
    num_layers: int = 50,
    dim: int = 64,
    num_inputs: int = 256,
    seed: Seed = 0,
) -> dict[str, dict[str, np.ndarray]]:
    """A deep linear network ``h(l) = W(l) h(l-1)`` with random square weight matrices.

    Compares initialisers that preserve the norm only on average (fan-in
    normal: ``Var(w) = 1/n``) with orthogonal matrices, which preserve every
    norm exactly.

    Args:
        inits: initialiser names (see :func:`get_initialiser`).
        num_layers: depth ``L``.
        dim: width ``n`` of every layer.
        num_inputs: number of random unit-norm inputs.
        seed: int or Generator; every initialiser gets the same inputs and random stream.

    Returns:
        ``init -> {"norm_ratio": (num_inputs, L + 1), "singular_values": (dim,)}``:
        ``||h(l)|| / ||h(0)||`` per input and layer, and the singular values of the
        end-to-end matrix ``W(L) ... W(1)``, largest first.
    """
    rng = as_generator(seed)
    inputs = rng.standard_normal((num_inputs, dim))
    inputs /= np.linalg.norm(inputs, axis=1, keepdims=True)
    weight_seed = _seed_from(rng)
    results = {}
    for name in inits:
        init = get_initialiser(name)
        init_rng = np.random.default_rng(weight_seed)
        product = np.eye(dim)
        h = inputs
        norms = [np.ones(num_inputs)]
        for _ in range(num_layers):
            weights = np.asarray(init((dim, dim), init_rng), dtype=np.float64)
            h = h @ weights.T
            product = weights @ product
            norms.append(np.linalg.norm(h, axis=1))
        results[name] = {
            "norm_ratio": np.stack(norms, axis=1),
            "singular_values": np.linalg.svd(product, compute_uv=False),
        }
    return results


# ---------------------------------------------------------------- (b, e, g) activation statistics


def _forward_statistics(
    hidden: str,
    init: str,
    num_layers: int,
    width: int,
    inputs: np.ndarray,
    weight_seed: int,
    sample_size: int,
    sample_rng_seed: int,
    saturation: float,
) -> dict:
    unit = get_hidden_unit(hidden)
    initialiser = get_initialiser(init)
    init_rng = np.random.default_rng(weight_seed)
    sample_rng = np.random.default_rng(sample_rng_seed)
    h = inputs
    stats = {key: [] for key in ("mean", "std", "pre_mean", "pre_std", "saturated")}
    samples = []
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(num_layers):
            affine = AffineLayer(
                h.shape[1], width, rng=init_rng, weights_init=initialiser, biases_init=_zeros, dtype=np.float64
            )
            pre = affine.fprop(h)
            h = unit().fprop(pre)
            stats["pre_mean"].append(pre.mean())
            stats["pre_std"].append(pre.std())
            stats["mean"].append(h.mean())
            stats["std"].append(h.std())
            stats["saturated"].append(np.mean(np.abs(h) > saturation))
            flat = h.ravel()
            pick = sample_rng.choice(flat.size, size=min(sample_size, flat.size), replace=False)
            samples.append(flat[pick])
    out = {key: np.array(values, dtype=float) for key, values in stats.items()}
    out["samples"] = samples
    return out


def activation_statistics(
    hidden: str = "tanh",
    inits: Sequence[str] = (SMALL, UNIT, "Glorot normal"),
    num_layers: int = 10,
    width: int = 500,
    batch_size: int = 500,
    sample_size: int = 5000,
    saturation: float = 0.99,
    seed: Seed = 0,
) -> dict[str, dict]:
    """Forward a batch of standard normal inputs through a deep MLP and describe every layer.

    The network has ``num_layers`` hidden layers of ``width`` units of one kind,
    zero biases, and weights from each initialiser in turn. Inputs have ``width``
    features drawn from N(0, 1). Nothing is trained.

    Args:
        hidden: hidden unit name (see :func:`get_hidden_unit`).
        inits: initialiser names to compare (see :func:`get_initialiser`).
        num_layers: number of hidden layers.
        width: units per hidden layer (and input features).
        batch_size: number of inputs.
        sample_size: how many values of each layer to keep for histograms.
        saturation: a unit counts as saturated when ``|h| > saturation``.
        seed: int or Generator; all initialisers see the same inputs and random stream.

    Returns:
        ``init -> stats`` where ``stats`` has arrays of one value per hidden layer
        (layer 1 first): ``"mean"`` and ``"std"`` of the activations ``h``,
        ``"pre_mean"`` and ``"pre_std"`` of the pre-activations ``a = W h + b``,
        ``"saturated"`` (fraction of ``|h| > saturation``), and ``"samples"``: a
        list with a random sample of each layer's activations.
    """
    return _compare(lambda name: (hidden, name), inits, num_layers, width, batch_size, sample_size, saturation, seed)


def relu_family(
    leaky_alpha: float = 0.1,
    shift: float = 1.0,
    num_points: int = 401,
    num_samples: int = 200_000,
    seed: Seed = 0,
) -> dict[str, dict[str, np.ndarray]]:
    """ReLU, leaky ReLU and the shifted ReLU (SReLU) side by side: their curves and their mean output.

    The curves are ``f(a)`` and ``f'(a)`` (``bprop`` with ``grads_wrt_outputs = 1``) on a grid of
    ``num_points`` inputs in ``[-3, 3]``; the mean is that of ``f(z)`` over ``num_samples``
    standard normal inputs ``z`` (the same ``z`` for every unit).

    Args:
        leaky_alpha: the leaky ReLU's slope for ``a <= 0`` (larger than the default 0.01 so that it shows).
        shift: the SReLU's ``shift``: ``f(a) = max(a, -shift)``.

    Returns:
        ``label -> {"a": (num_points,), "f": (num_points,), "df": (num_points,), "mean": ()}``.
    """
    from mlplab.exercises.hidden_units import LeakyReLULayer, SReLULayer

    rng = as_generator(seed)
    z = rng.standard_normal((1, num_samples))
    a = np.linspace(-3.0, 3.0, num_points)[None, :]
    layers = {
        "ReLU": ReluLayer(),
        f"leaky ReLU (alpha = {leaky_alpha:g})": LeakyReLULayer(leaky_alpha),
        f"SReLU (shift = {shift:g})": SReLULayer(shift),
    }
    results = {}
    for label, layer in layers.items():
        f = layer.fprop(a)
        df = layer.bprop(a, f, np.ones_like(a))
        results[label] = {"a": a[0], "f": f[0], "df": df[0], "mean": np.asarray(layer.fprop(z).mean())}
    return results


def unit_statistics(
    units: Sequence[str] = ("selu", "elu", "relu", "leaky_relu", "tanh"),
    init: str = "fan-in normal",
    num_layers: int = 30,
    width: int = 500,
    batch_size: int = 500,
    sample_size: int = 5000,
    saturation: float = 0.99,
    seed: Seed = 0,
) -> dict[str, dict]:
    """Like :func:`activation_statistics` but compares hidden units under one initialiser.

    Returns:
        ``unit -> stats`` with the keys described in :func:`activation_statistics`.
    """
    return _compare(lambda name: (name, init), units, num_layers, width, batch_size, sample_size, saturation, seed)


def _compare(config, names, num_layers, width, batch_size, sample_size, saturation, seed):
    rng = as_generator(seed)
    inputs = rng.standard_normal((batch_size, width))
    weight_seed, sample_seed = _seed_from(rng), _seed_from(rng)
    results = {}
    for name in names:
        hidden, init = config(name)
        results[name] = _forward_statistics(
            hidden, init, num_layers, width, inputs, weight_seed, sample_size, sample_seed, saturation
        )
    return results


# ---------------------------------------------------------------- (c) zero initialisation


def zero_init_symmetry(
    inits: Sequence[str] = ("zeros", SMALL),
    hidden: str = "sigmoid",
    hidden_dim: int = 32,
    num_epochs: int = 2,
    num_train: int = 1000,
    learning_rate: float = 0.5,
    batch_size: int = 50,
    seed: Seed = 0,
) -> dict[str, dict[str, float]]:
    """Trains a 784-``hidden_dim``-10 network on MNIST from different initialisations.

    Every hidden unit ``j`` is described by its incoming weights ``W1[j]``, its
    bias ``b1[j]`` and its outgoing weights ``W2[:, j]``. Two units are the same
    when these agree to a relative tolerance of 1e-6.

    Args:
        inits: initialiser names used for all weights (biases start at zero).
        hidden: the hidden unit (see :func:`get_hidden_unit`).
        hidden_dim: number of hidden units.
        num_epochs: training epochs.
        num_train: number of training examples (taken at random from the 3,000).
        learning_rate: gradient descent step size.
        batch_size: minibatch size.
        seed: int or Generator; all runs see the same data in the same order.

    Returns:
        ``init -> {"distinct_units", "unit_spread", "first_layer_change",
        "output_weight_change", "output_bias_change", "valid_acc"}``: the number of
        different hidden units after training, the largest difference between a
        unit's parameters and unit 0's (relative to the largest parameter), the
        norms of the changes of ``W1``, ``W2`` and ``b2`` during training, and the
        final validation accuracy.
    """

    rng = as_generator(seed)
    data_seed, weight_seed = _seed_from(rng), _seed_from(rng)
    data = _mnist_arrays(num_train, data_seed)
    results = {}
    for name in inits:
        train, valid = _providers(data, batch_size, data_seed)
        model = mlp(
            [784, hidden_dim, 10],
            hidden=get_hidden_unit(hidden),
            rng=np.random.default_rng(weight_seed),
            weights_init=get_initialiser(name),
            dtype=np.float64,
        )
        first, last = model.layers[0], model.layers[2]
        before = [param.copy() for param in (first.weights, last.weights, last.biases)]
        trainer = Trainer(model, CrossEntropySoftmaxError(), GradientDescentLearningRule(learning_rate), train, valid)
        history = trainer.train(num_epochs, progress=False)
        units = np.concatenate([first.weights, first.biases[:, None], last.weights.T], axis=1)
        scale = max(np.abs(units).max(), 1e-300)
        differences = np.abs(units - units[0]).max(axis=1) / scale
        distinct = _count_distinct_rows(units / scale, tol=1e-6)
        results[name] = {
            "distinct_units": distinct,
            "unit_spread": float(differences.max()),
            "first_layer_change": float(np.linalg.norm(first.weights - before[0])),
            "output_weight_change": float(np.linalg.norm(last.weights - before[1])),
            "output_bias_change": float(np.linalg.norm(last.biases - before[2])),
            "valid_acc": float(history.valid_acc[-1]),
        }
    return results


def _count_distinct_rows(rows: np.ndarray, tol: float) -> int:
    representatives: list[np.ndarray] = []
    for row in rows:
        if not any(np.abs(row - other).max() <= tol for other in representatives):
            representatives.append(row)
    return len(representatives)


# ---------------------------------------------------------------- (d) variance propagation


def linear_unit_variance(
    inits: Sequence[str] = (SMALL, UNIT, "fan-in uniform"),
    n_ins: Sequence[int] = (10, 100, 1000),
    input_std: float = 2.0,
    num_units: int = 200,
    batch_size: int = 1000,
    seed: Seed = 0,
) -> dict[str, dict[str, np.ndarray]]:
    """Measures ``Var(y)`` for linear units ``y = sum_i w_i x_i`` and compares it with theory.

    For each fan-in ``n_in`` we draw ``num_units`` independent weight vectors
    with the initialiser and ``batch_size`` inputs with i.i.d. N(0, input_std^2)
    features, and take the variance of all ``num_units * batch_size`` outputs.

    Returns:
        ``init -> {"n_in", "var_w", "var_x", "predicted", "measured"}``, arrays
        with one entry per fan-in: the sample variances of the weights and
        inputs, ``n_in * var_w * var_x`` and the measured ``Var(y)``.
    """
    rng = as_generator(seed)
    data_seed, weight_seed = _seed_from(rng), _seed_from(rng)
    results = {}
    for name in inits:
        init = get_initialiser(name)
        data_rng, init_rng = np.random.default_rng(data_seed), np.random.default_rng(weight_seed)
        rows = {key: [] for key in ("n_in", "var_w", "var_x", "predicted", "measured")}
        for n_in in n_ins:
            x = data_rng.normal(0.0, input_std, size=(batch_size, n_in))
            w = np.asarray(init((num_units, n_in), init_rng), dtype=np.float64)
            y = x @ w.T
            var_w, var_x = w.var(), x.var()
            rows["n_in"].append(n_in)
            rows["var_w"].append(var_w)
            rows["var_x"].append(var_x)
            rows["predicted"].append(n_in * var_w * var_x)
            rows["measured"].append(y.var())
        results[name] = {key: np.array(values) for key, values in rows.items()}
    return results


# ---------------------------------------------------------------- (f) gradient norms per layer

GRADIENT_CONFIGS = (
    ("sigmoid, N(0, 0.01^2)", "sigmoid", SMALL),
    ("sigmoid, Glorot", "sigmoid", "Glorot normal"),
    ("tanh, Glorot", "tanh", "Glorot normal"),
    ("ReLU, He", "relu", "He normal"),
)
"""``(label, hidden unit, initialiser)`` for :func:`gradient_norms`."""


def gradient_norms(
    configs: Sequence[tuple[str, str, str]] = GRADIENT_CONFIGS,
    num_hidden_layers: int = 8,
    width: int = 256,
    batch_size: int = 500,
    sample_size: int = 5000,
    seed: Seed = 0,
) -> dict[str, dict]:
    """Per-layer gradient norms ("learning speed") of untrained deep MLPs on a batch of MNIST.

    The network is 784-``width``-...-``width``-10 with ``num_hidden_layers`` hidden
    layers and a softmax cross-entropy error, on a batch of standardised training
    digits. For every affine layer ``l`` we report ``||dE/db(l)||``, the norm of the
    error signal ``delta(l)`` of its units averaged over the batch (how fast its
    biases learn), and ``||dE/dW(l)||``; and for the histograms, a random sample of the
    error signals of single examples, ``dE/da(l)`` per unit and example.

    Returns:
        ``label -> {"delta_norm": (num_hidden_layers + 1,), "weight_grad_norm": (...),
        "delta_samples": [one array of up to sample_size values per affine layer]}``,
        layer 1 (nearest the inputs) first and the output layer last.
    """

    rng = as_generator(seed)
    inputs, targets = _mnist_batch(batch_size, _seed_from(rng))
    weight_seed, sample_seed = _seed_from(rng), _seed_from(rng)
    error = CrossEntropySoftmaxError()
    results = {}
    for label, hidden, init in configs:
        model = mlp(
            [784] + [width] * num_hidden_layers + [10],
            hidden=get_hidden_unit(hidden),
            rng=np.random.default_rng(weight_seed),
            weights_init=get_initialiser(init),
            dtype=np.float64,
        )
        activations = model.fprop(inputs)
        grads = model.grads_wrt_params(activations, error.grad(activations[-1], targets))
        sample_rng = np.random.default_rng(sample_seed)
        results[label] = {
            "delta_norm": np.array([np.linalg.norm(g) for g in grads[1::2]]),
            "weight_grad_norm": np.array([np.linalg.norm(g) for g in grads[0::2]]),
            "delta_samples": [
                sample_rng.choice(d.ravel(), min(sample_size, d.size), replace=False)
                for d in _error_signals(model, activations, error.grad(activations[-1], targets))
            ],
        }
    return results


def _error_signals(model: MultipleLayerModel, activations: list[np.ndarray], grads_wrt_outputs: np.ndarray):
    """``dE/da`` of every affine layer's outputs, per example (layer 1 first), by back-propagation."""
    signals = []
    for i in range(len(model.layers) - 1, -1, -1):
        if isinstance(model.layers[i], AffineLayer):
            signals.append(grads_wrt_outputs)
        if i > 0:
            grads_wrt_outputs = model.layers[i].bprop(activations[i], activations[i + 1], grads_wrt_outputs)
    return signals[::-1]


# ---------------------------------------------------------------- (h) the linearity problem


def linear_stack_collapse(
    layer_sizes: Sequence[int] = (20, 50, 50, 50, 5),
    batch_size: int = 100,
    seed: Seed = 0,
) -> dict[str, np.ndarray | float]:
    """A stack of affine layers without nonlinearity equals ONE affine layer.

    Builds affine layers with random weights and biases, multiplies them into a
    single ``W = W(L) ... W(1)`` and ``b`` (``b = W(L) ... W(2) b(1) + ... + b(L)``)
    and compares outputs on random inputs.

    Returns:
        ``{"weights": W, "biases": b, "deep_outputs", "single_outputs",
        "max_abs_difference", "output_scale"}`` (the last is ``max |deep_outputs|``).
    """
    rng = as_generator(seed)
    layers = [
        AffineLayer(
            n_in,
            n_out,
            rng=rng,
            weights_init=_fanin_normal,
            biases_init=lambda shape, r: r.normal(0.0, 0.1, size=shape),
            dtype=np.float64,
        )
        for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:])
    ]
    weights, biases = np.eye(layer_sizes[0]), np.zeros(layer_sizes[0])
    for layer in layers:
        weights, biases = layer.weights @ weights, layer.weights @ biases + layer.biases
    inputs = rng.standard_normal((batch_size, layer_sizes[0]))
    deep = MultipleLayerModel(layers).fprop(inputs)[-1]
    single = inputs @ weights.T + biases
    return {
        "weights": weights,
        "biases": biases,
        "deep_outputs": deep,
        "single_outputs": single,
        "max_abs_difference": float(np.abs(deep - single).max()),
        "output_scale": float(np.abs(deep).max()),
    }


LINEARITY_CONFIGS = (
    ("tanh, N(0, 0.01^2)", "tanh", SMALL),
    ("tanh, Glorot", "tanh", "Glorot normal"),
    ("ReLU, He", "relu", "He normal"),
)
"""``(label, hidden unit, initialiser)`` for :func:`network_linearity`."""


def network_linearity(
    configs: Sequence[tuple[str, str, str]] = LINEARITY_CONFIGS,
    layer_sizes: Sequence[int] = (20, 100, 100, 100, 10),
    num_samples: int = 2000,
    seed: Seed = 0,
) -> dict[str, dict[str, np.ndarray | float]]:
    """How linear is an untrained network? Fits the best affine function to its outputs.

    Random N(0, 1) inputs go through an MLP with the given hidden units and
    initialiser (zero biases); a least-squares affine fit ``y ~ x a + c`` is made
    to the outputs. A network whose units all stay in their linear regime is
    fitted perfectly.

    Returns:
        ``label -> {"unexplained", "outputs", "fitted"}``: the fraction of the
        output variance (summed over the outputs) that the best affine fit misses,
        ``1 - R^2``, and the network's and the fit's first output, shape ``(num_samples,)``.
    """
    rng = as_generator(seed)
    inputs = rng.standard_normal((num_samples, layer_sizes[0]))
    design = np.concatenate([inputs, np.ones((num_samples, 1))], axis=1)
    weight_seed = _seed_from(rng)
    results = {}
    for label, hidden, init in configs:
        model = mlp(
            layer_sizes,
            hidden=get_hidden_unit(hidden),
            rng=np.random.default_rng(weight_seed),
            weights_init=get_initialiser(init),
            dtype=np.float64,
        )
        outputs = model.fprop(inputs)[-1]
        coefficients, *_ = np.linalg.lstsq(design, outputs, rcond=None)
        fitted = design @ coefficients
        residual = ((outputs - fitted) ** 2).sum()
        total = ((outputs - outputs.mean(axis=0)) ** 2).sum()
        results[label] = {"unexplained": float(residual / total), "outputs": outputs[:, 0], "fitted": fitted[:, 0]}
    return results


# ---------------------------------------------------------------- output biases (task 1.6)


def log_prior_start(
    class_counts: Sequence[int] = (300, 200, 150, 100, 80, 60, 40, 30, 20, 20),
    hidden_dim: int = 100,
    seed: Seed = 0,
) -> dict[str, float | np.ndarray]:
    """The error before training of a network whose output biases are zero or log priors.

    Takes an imbalanced training set from MNIST (``class_counts[k]`` digits of
    class ``k``) and builds a 784-``hidden_dim``-10 ReLU network with fan-in normal
    weights in the hidden layer and ZERO output weights, so that its logits are exactly
    the output biases. Compares the cross-entropy on the training set for zero
    biases and for ``log_prior_biases`` (task 1.6).

    Returns:
        ``{"zero_bias_error", "log_prior_error", "entropy", "log_num_classes",
        "priors", "biases"}``: both errors, the entropy ``-sum_k p_k log p_k`` of
        the class frequencies ``p``, ``log K``, ``p`` and the log-prior biases.
    """
    from mlplab.exercises.initialisers import log_prior_biases

    rng = as_generator(seed)
    train = load_mnist5k()["train"]
    labels = train.targets.astype(np.int64)
    index = np.concatenate(
        [rng.permutation(np.flatnonzero(labels == k))[:count] for k, count in enumerate(class_counts)]
    )
    inputs = train.inputs[index].astype(np.float64) / 255.0
    labels = labels[index]
    num_classes = len(class_counts)
    targets = np.eye(num_classes)[labels]
    model = mlp(
        [784, hidden_dim, num_classes], rng=rng, weights_init=get_initialiser("fan-in normal"), dtype=np.float64
    )
    output_layer = model.layers[-1]
    output_layer.weights[...] = 0.0
    error = CrossEntropySoftmaxError()
    zero_error = error(model.predict(inputs), targets)
    biases = np.asarray(log_prior_biases(labels, num_classes), dtype=np.float64)
    output_layer.biases[...] = biases
    prior_error = error(model.predict(inputs), targets)
    priors = np.bincount(labels, minlength=num_classes) / len(labels)
    return {
        "zero_bias_error": float(zero_error),
        "log_prior_error": float(prior_error),
        "entropy": float(-(priors * np.log(priors)).sum()),
        "log_num_classes": math.log(num_classes),
        "priors": priors,
        "biases": biases,
    }


# ---------------------------------------------------------------- (i) training curves

TRAINING_CONFIGS = (
    ("sigmoid, N(0, 0.01^2)", "sigmoid", SMALL),
    ("sigmoid, Glorot", "sigmoid", "Glorot uniform"),
    ("tanh, Glorot", "tanh", "Glorot uniform"),
    ("ReLU, Glorot", "relu", "Glorot uniform"),
    ("ReLU, He", "relu", "He normal"),
    ("ELU, He", "elu", "He normal"),
    ("SELU, fan-in normal", "selu", "fan-in normal"),
)
"""``(label, hidden unit, initialiser)`` for :func:`train_initialisations`."""


def train_initialisations(
    configs: Sequence[tuple[str, str, str]] = TRAINING_CONFIGS,
    num_epochs: int = 8,
    num_train: int = 2000,
    num_hidden_layers: int = 8,
    hidden_dim: int = 64,
    learning_rate: float = 0.05,
    batch_size: int = 50,
    seed: Seed = 0,
    progress: bool = True,
) -> dict:
    """Trains the same deep MLP on MNIST from several initialisations and hidden units.

    Network: 784-``hidden_dim``-...-10 with ``num_hidden_layers`` hidden layers,
    zero biases, softmax cross-entropy, plain gradient descent. Inputs are
    standardised with training statistics. Every run sees the same data in the
    same order.

    Args:
        configs: ``(label, hidden unit, initialiser)`` triples.
        num_epochs: epochs per run.
        num_train: training examples (at most 3,000).
        num_hidden_layers, hidden_dim: the network's shape.
        learning_rate, batch_size: gradient descent settings.
        seed: int or Generator.
        progress: show a progress bar over the runs.

    Returns:
        ``label -> History`` (see ``mlplab.training.History``).
    """

    rng = as_generator(seed)
    data_seed, weight_seed = _seed_from(rng), _seed_from(rng)
    data = _mnist_arrays(num_train, data_seed)
    histories = {}
    runs = tqdm(configs, desc="training runs", unit="run", disable=not progress)
    for label, hidden, init in runs:
        runs.set_postfix_str(label)
        train, valid = _providers(data, batch_size, data_seed)
        model = mlp(
            [784] + [hidden_dim] * num_hidden_layers + [10],
            hidden=get_hidden_unit(hidden),
            rng=np.random.default_rng(weight_seed),
            weights_init=get_initialiser(init),
        )
        trainer = Trainer(model, CrossEntropySoftmaxError(), GradientDescentLearningRule(learning_rate), train, valid)
        histories[label] = trainer.train(num_epochs, progress=False)
    runs.close()
    return histories


# ---------------------------------------------------------------- (j) input preprocessing


def preprocessing_statistics(
    num_components: int = 100,
    eps: float = 1e-5,
    num_pixels: int = 100,
) -> dict:
    """Statistics of MNIST pixels (scaled to [0, 1]) before and after preprocessing.

    Your ``Standardiser`` (task 1.10) and ``PCAWhitener(num_components, eps)``
    (task 1.11) are fitted on the 3,000 training digits and applied to the
    training and the 1,000 validation digits. Nothing here is random.

    Args:
        num_components: principal components kept by the whitener.
        eps: the whitener's regulariser.
        num_pixels: how many of the most variable pixels to include in the covariance plots.

    Returns:
        A dict with

        * ``"pixels"``: indices of the ``num_pixels`` pixels of largest training variance (sorted);
        * ``"cov_raw"``, ``"cov_standardised"``: covariance matrices of those pixels on the
          training set, ``(num_pixels, num_pixels)``;
        * ``"cov_whitened"``: covariance of the whitened training data, ``(k, k)``;
        * ``"varying"``: boolean mask of the pixels that are not constant in training, ``(784,)``;
        * ``"standardised_train_mean"``, ``"standardised_train_std"``,
          ``"standardised_valid_mean"``, ``"standardised_valid_std"``: per pixel, ``(784,)``;
        * ``"neighbour_correlation"``: the average correlation between horizontally
          adjacent pixels, over pairs where both pixels have a training std above 0.1;
        * ``"whitened_max_offdiag"``: the largest ``|cov|`` off the diagonal after whitening;
        * ``"whitened_diag"``: the diagonal of ``cov_whitened``;
        * ``"whitened_valid_diag"``: the variances of the whitened validation data;
        * ``"largest_eigenvalue"``: ``{"scaled to [0, 1]", "standardised", "PCA-whitened"}``
          -> the largest eigenvalue of the covariance of the training inputs so prepared
          (it limits the learning rate gradient descent can use);
        * ``"explained_variance"``: ``(k,)``, the fraction of the total pixel variance
          carried by the first 1, 2, ..., k principal components (from the whitener's
          ``eigenvalues_``);
        * ``"components"``: the first 16 principal directions as unit-norm rows,
          ``(16, 784)``, read off the whitener (whitening is affine, so whitening
          ``mean + e_i`` minus whitening ``mean`` gives row ``i`` of its matrix).
    """
    from mlplab.exercises.preprocessing import PCAWhitener, Standardiser

    data = load_mnist5k()
    train = data["train"].inputs.astype(np.float64) / 255.0
    valid = data["valid"].inputs.astype(np.float64) / 255.0
    stds = train.std(axis=0)
    pixels = np.sort(np.argsort(stds)[::-1][:num_pixels])

    standardiser = Standardiser().fit(train)
    train_std = np.asarray(standardiser.transform(train), dtype=np.float64)
    valid_std = np.asarray(standardiser.transform(valid), dtype=np.float64)
    whitener = PCAWhitener(num_components=num_components, eps=eps).fit(train)
    train_white = np.asarray(whitener.transform(train), dtype=np.float64)
    valid_white = np.asarray(whitener.transform(valid), dtype=np.float64)

    left = np.array([p for p in range(784) if p % 28 != 27 and stds[p] > 0.1 and stds[p + 1] > 0.1])
    centred = (train - train.mean(axis=0)) / np.where(stds > 0, stds, 1.0)
    neighbour_corr = float(np.mean(np.mean(centred[:, left] * centred[:, left + 1], axis=0)))

    explained = np.cumsum(np.asarray(whitener.eigenvalues_, dtype=np.float64)) / train.var(axis=0).sum()
    cov_white = np.cov(train_white, rowvar=False, bias=True)
    largest = {
        "scaled to [0, 1]": _largest_eigenvalue(np.cov(train, rowvar=False, bias=True)),
        "standardised": _largest_eigenvalue(np.cov(train_std, rowvar=False, bias=True)),
        "PCA-whitened": _largest_eigenvalue(cov_white),
    }
    offdiag = cov_white - np.diag(np.diag(cov_white))
    mean = train.mean(axis=0)
    basis = np.asarray(whitener.transform(mean + np.eye(784)), dtype=np.float64) - np.asarray(
        whitener.transform(mean[None, :]), dtype=np.float64
    )
    directions = basis[:, :16].T.copy()
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    return {
        "pixels": pixels,
        "cov_raw": np.cov(train[:, pixels], rowvar=False, bias=True),
        "cov_standardised": np.cov(train_std[:, pixels], rowvar=False, bias=True),
        "cov_whitened": cov_white,
        "varying": stds > 0,
        "standardised_train_mean": train_std.mean(axis=0),
        "standardised_train_std": train_std.std(axis=0),
        "standardised_valid_mean": valid_std.mean(axis=0),
        "standardised_valid_std": valid_std.std(axis=0),
        "neighbour_correlation": neighbour_corr,
        "whitened_max_offdiag": float(np.abs(offdiag).max()),
        "whitened_diag": np.diag(cov_white).copy(),
        "whitened_valid_diag": valid_white.var(axis=0),
        "largest_eigenvalue": largest,
        "explained_variance": explained,
        "components": directions,
    }


def _largest_eigenvalue(matrix: np.ndarray, num_iterations: int = 100) -> float:
    """The largest eigenvalue of a symmetric positive semi-definite matrix, by power iteration."""
    vector = np.ones(matrix.shape[0]) / math.sqrt(matrix.shape[0])
    value = 0.0
    for _ in range(num_iterations):
        product = matrix @ vector
        value = float(np.linalg.norm(product))
        if value == 0.0:
            return 0.0
        vector = product / value
    return float(vector @ matrix @ vector)


PREPROCESSING_METHODS = ("scaled to [0, 1]", "standardised", "PCA-whitened")
"""Input preprocessing methods :func:`train_preprocessing` knows."""


def train_preprocessing(
    methods: Sequence[str] = ("scaled to [0, 1]", "standardised"),
    num_epochs: int = 5,
    num_train: int = 3000,
    hidden_dim: int = 100,
    learning_rate: float = 0.05,
    batch_size: int = 50,
    num_components: int = 100,
    seed: Seed = 0,
    progress: bool = True,
) -> dict:
    """Trains a one-hidden-layer ReLU network (He initialisation) on differently preprocessed MNIST.

    ``"scaled to [0, 1]"`` divides pixels by 255; ``"standardised"`` then applies
    your ``Standardiser``; ``"PCA-whitened"`` your ``PCAWhitener(num_components)``.
    Both are fitted on the training digits only. Every run has the same weights
    seed and sees the examples in the same order.

    Returns:
        ``method -> History``.
    """
    from mlplab.exercises.preprocessing import PCAWhitener, Standardiser

    rng = as_generator(seed)
    data_seed, weight_seed = _seed_from(rng), _seed_from(rng)
    data = load_mnist5k()
    pick = np.random.default_rng(data_seed).permutation(len(data["train"].targets))[:num_train]
    train_x = data["train"].inputs[pick].astype(np.float32) / 255.0
    valid_x = data["valid"].inputs.astype(np.float32) / 255.0
    train_t, valid_t = data["train"].targets[pick], data["valid"].targets
    histories = {}
    runs = tqdm(methods, desc="training runs", unit="run", disable=not progress)
    for method in runs:
        runs.set_postfix_str(method)
        if method == "scaled to [0, 1]":
            tx, vx = train_x, valid_x
        elif method == "standardised":
            standardiser = Standardiser().fit(train_x)
            tx, vx = standardiser.transform(train_x), standardiser.transform(valid_x)
        elif method == "PCA-whitened":
            whitener = PCAWhitener(num_components=num_components).fit(train_x)
            tx, vx = whitener.transform(train_x), whitener.transform(valid_x)
        else:
            raise ValueError(f"unknown method {method!r}; choose from {list(PREPROCESSING_METHODS)}")
        train = MinibatchProvider(tx, train_t, batch_size, rng=np.random.default_rng(data_seed))
        valid = MinibatchProvider(vx, valid_t, 500, shuffle=False)
        model = mlp(
            [train.inputs.shape[1], hidden_dim, 10],
            rng=np.random.default_rng(weight_seed),
            weights_init=get_initialiser("He normal"),
        )
        trainer = Trainer(model, CrossEntropySoftmaxError(), GradientDescentLearningRule(learning_rate), train, valid)
        histories[method] = trainer.train(num_epochs, progress=False)
    runs.close()
    return histories


# ---------------------------------------------------------------- data helpers


# ---------------------------------------------------------------- (k) the bias problem

BIAS_CONFIGS = (
    ("ReLU, He", "relu", "He normal"),
    ("tanh, Glorot", "tanh", "Glorot normal"),
    ("SELU, fan-in normal", "selu", "fan-in normal"),
)
"""``(label, hidden unit, initialiser)`` for :func:`mean_drift`."""


def _hidden_affine_moments(model, probe: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each hidden unit's mean and std over ``probe`` of its affine output, ``(L, units)`` each."""
    pre = model.fprop(probe)[1:-1:2]  # the affine outputs of the hidden layers
    return np.stack([a.mean(axis=0) for a in pre]), np.stack([a.std(axis=0) for a in pre])


def mean_drift(
    configs: Sequence[tuple[str, str, str]] = BIAS_CONFIGS,
    num_hidden_layers: int = 5,
    hidden_dim: int = 100,
    num_steps: int = 200,
    record_every: int = 10,
    learning_rate: float = 0.05,
    batch_size: int = 50,
    num_train: int = 2000,
    seed: Seed = 0,
) -> dict[str, dict[str, np.ndarray]]:
    """The bias problem: how far the mean of each hidden layer's input moves while the network trains.

    Every update of the weights onto a unit ``i`` is ``-eta * delta_i * x_j`` with one ``delta_i`` for
    all its inputs ``x_j``. When the ``x_j`` are all non-negative (the outputs of a ReLU layer), the
    update changes the unit's pre-activation ``a_i = sum_j w_ij x_j + b_i`` in the same direction for
    almost every input, so its mean over the data moves. Units with outputs of both signs (tanh,
    SELU) make the changes cancel on average.

    Each configuration trains ``784 - hidden_dim x num_hidden_layers - 10`` with plain gradient
    descent from the same data in the same order (standardised inputs, zero biases). Every
    ``record_every`` steps the 500 digits of a fixed validation batch give each unit's mean of its
    pre-activation ``a``.

    Returns:
        ``label -> {"steps": (T,), "drift": (T, L)}``: per hidden layer (layer 1, whose inputs are
        the standardised pixels, first), the average over its units of ``|mean of a now - mean of a
        at step 0|`` divided by the unit's standard deviation of ``a`` at step 0.
    """
    from mlplab.errors import CrossEntropySoftmaxError
    from mlplab.learning_rules import GradientDescentLearningRule

    rng = as_generator(seed)
    data_seed, weight_seed = _seed_from(rng), _seed_from(rng)
    data = _mnist_arrays(num_train, data_seed, dtype=np.float64)
    probe = data[2][:500]
    error = CrossEntropySoftmaxError()
    results = {}
    for label, hidden, init in configs:
        train, _ = _providers(data, batch_size, data_seed)
        model = mlp(
            [784] + [hidden_dim] * num_hidden_layers + [10],
            hidden=get_hidden_unit(hidden),
            rng=np.random.default_rng(weight_seed),
            weights_init=get_initialiser(init),
            dtype=np.float64,
        )
        rule = GradientDescentLearningRule(learning_rate)
        rule.initialise(model.params)

        start_mean, start_std = _hidden_affine_moments(model, probe)
        steps, drift = [0], [np.zeros(num_hidden_layers)]
        step = 0
        while step < num_steps:
            for inputs, targets in train:
                activations = model.fprop(inputs)
                rule.update_params(model.grads_wrt_params(activations, error.grad(activations[-1], targets)))
                step += 1
                if step % record_every == 0 or step == num_steps:
                    mean, _ = _hidden_affine_moments(model, probe)
                    steps.append(step)
                    drift.append((np.abs(mean - start_mean) / start_std).mean(axis=1))
                if step == num_steps:
                    break
        results[label] = {"steps": np.array(steps), "drift": np.array(drift)}
    return results


# ---------------------------------------------------------------- (l) the top sigmoid layer saturates

SATURATION_CONFIGS = (
    ("sigmoid, U(+-1/sqrt(n_in))", "sigmoid", LEGACY),
    ("sigmoid, Glorot", "sigmoid", "Glorot uniform"),
    ("tanh, U(+-1/sqrt(n_in))", "tanh", LEGACY),
)
"""``(label, hidden unit, initialiser)`` for :func:`top_layer_saturation`."""


def top_layer_saturation(
    configs: Sequence[tuple[str, str, str]] = SATURATION_CONFIGS,
    num_hidden_layers: int = 4,
    hidden_dim: int = 100,
    num_steps: int = 2000,
    record_every: int = 100,
    learning_rate: float = 0.1,
    batch_size: int = 10,
    num_train: int = 3000,
    seed: Seed = 0,
) -> dict[str, dict[str, np.ndarray]]:
    """The mean activation of every hidden layer during training (Glorot and Bengio's experiment).

    Each configuration trains ``784 - hidden_dim x num_hidden_layers - 10`` with plain gradient
    descent from the same data in the same order (standardised inputs, zero biases). Every
    ``record_every`` steps, the 500 digits of a fixed validation batch give the mean activation of
    every hidden layer.

    Returns:
        ``label -> {"steps": (T,), "mean": (T, L)}``, layer 1 first.
    """
    from mlplab.errors import CrossEntropySoftmaxError
    from mlplab.learning_rules import GradientDescentLearningRule

    rng = as_generator(seed)
    data_seed, weight_seed = _seed_from(rng), _seed_from(rng)
    data = _mnist_arrays(num_train, data_seed, dtype=np.float64)
    probe = data[2][:500]
    error = CrossEntropySoftmaxError()
    results = {}
    for label, hidden, init in configs:
        train, _ = _providers(data, batch_size, data_seed)
        model = mlp(
            [784] + [hidden_dim] * num_hidden_layers + [10],
            hidden=get_hidden_unit(hidden),
            rng=np.random.default_rng(weight_seed),
            weights_init=get_initialiser(init),
            dtype=np.float64,
        )
        rule = GradientDescentLearningRule(learning_rate)
        rule.initialise(model.params)
        steps, means = [0], [[h.mean() for h in model.fprop(probe)[2:-1:2]]]  # the hidden units' outputs
        step = 0
        while step < num_steps:
            for inputs, targets in train:
                activations = model.fprop(inputs)
                rule.update_params(model.grads_wrt_params(activations, error.grad(activations[-1], targets)))
                step += 1
                if step % record_every == 0 or step == num_steps:
                    steps.append(step)
                    means.append([h.mean() for h in model.fprop(probe)[2:-1:2]])
                if step == num_steps:
                    break
        results[label] = {"steps": np.array(steps), "mean": np.array(means)}
    return results


def _mnist_arrays(
    num_train: int, data_seed: int, normalise: str = "standardise", dtype=np.float32
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``num_train`` random training digits and all validation digits, normalised with training statistics.

    Returns:
        ``(train_inputs, train_labels, valid_inputs, valid_labels)``.
    """

    splits = load_mnist5k()
    train, valid = splits["train"], splits["valid"]
    if not 1 <= num_train <= len(train.targets):
        raise ValueError(f"num_train must be between 1 and {len(train.targets)}, got {num_train}")
    pick = np.random.default_rng(data_seed).permutation(len(train.targets))[:num_train]
    normaliser = fit_normalisation(train.inputs[pick], normalise)
    return (normaliser(train.inputs[pick], dtype), train.targets[pick], normaliser(valid.inputs, dtype), valid.targets)


def _providers(data: tuple, batch_size: int, data_seed: int):
    """Training provider (shuffled by a generator made from ``data_seed``) and validation provider."""

    train_inputs, train_labels, valid_inputs, valid_labels = data
    train = MinibatchProvider(train_inputs, train_labels, batch_size, rng=np.random.default_rng([data_seed, 1]))
    valid = MinibatchProvider(valid_inputs, valid_labels, 500, shuffle=False)
    return train, valid


def _mnist_batch(batch_size: int, data_seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A batch of standardised training digits (float64) and their one-hot targets."""

    train = load_mnist5k()["train"]
    pick = np.random.default_rng(data_seed).permutation(len(train.targets))[:batch_size]
    inputs = fit_normalisation(train.inputs, "standardise")(train.inputs[pick], np.float64)
    return inputs, np.eye(10)[train.targets[pick]]
