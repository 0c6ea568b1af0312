"""Experiments of Lab 2: batch normalisation.

Every function here is deterministic given its ``seed`` (an int or an
``np.random.Generator``) and returns plain data for the notebook to plot.
The batch norm layers call your functions in ``mlplab/exercises/batch_norm.py``
(through ``mlplab.layers.normalisation.BatchNormLayer``); they are imported
when an experiment runs, never when this module is imported.

Networks: ``784 - hidden_dim x num_hidden_layers - 10`` MLPs trained on the
MNIST digits shipped with mlplab (standardised with training statistics),
softmax cross-entropy, plain gradient descent. The "batch norm" version of a
network inserts a ``BatchNormLayer`` between every hidden affine layer and its
nonlinearity; otherwise the two versions have the same weights, see the same
minibatches in the same order and use the same learning rate. Results of
paired runs are dicts keyed by ``"plain"`` and ``"batch norm"``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from tqdm.auto import tqdm

from mlplab.course.experiments import as_generator
from mlplab.layers.activations import ReluLayer, SigmoidLayer, TanhLayer
from mlplab.layers.affine import AffineLayer
from mlplab.layers.base import Layer

Seed = int | np.random.Generator

VERSIONS = ("plain", "batch norm")
"""The two versions of every network compared here."""

HIDDEN_UNITS = {"relu": ReluLayer, "sigmoid": SigmoidLayer, "tanh": TanhLayer}

DTYPE = np.float64
"""Data and parameters of every network here. In float64 the results hardly depend on how the
matrix products are split among processor threads, so your numbers match the notebook's text."""


def _seed_from(rng: np.random.Generator) -> int:
    return int(rng.integers(2**63))


def he_normal(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """``N(0, 2 / n_in)`` weights (He initialisation; provided here so that lab 2 does not need lab 1's)."""
    return rng.normal(0.0, math.sqrt(2.0 / shape[1]), size=shape)


def normal_with_std(std: float):
    """An initialiser drawing every weight from ``N(0, std**2)``, whatever the layer size."""

    def init(shape, rng):
        return rng.normal(0.0, std, size=shape)

    return init


def build_network(
    batch_norm: bool,
    num_hidden_layers: int = 5,
    hidden_dim: int = 100,
    hidden: str = "relu",
    weight_std: float | None = None,
    seed: Seed = 0,
    momentum: float = 0.9,
    dtype=DTYPE,
    layer_norm: bool = False,
):
    """The experiments' MLP, with or without batch norm layers (or, with ``layer_norm``, layer norm layers).

    Hidden weights are He normal (``weight_std=None``) or ``N(0, weight_std**2)``;
    the output layer's weights are always ``N(0, 1 / hidden_dim)``, so that only
    the hidden layers differ between initialisations. Biases start at zero. The
    same ``seed`` gives the same weights with and without batch norm.

    Returns:
        A ``MultipleLayerModel``.
    """
    from mlplab.layers.normalisation import batch_norm_mlp, layer_norm_mlp

    if batch_norm and layer_norm:
        raise ValueError("build_network: choose batch norm or layer norm, not both")
    init = he_normal if weight_std is None else normal_with_std(weight_std)
    sizes = [784] + [hidden_dim] * num_hidden_layers + [10]
    if layer_norm:
        model = layer_norm_mlp(sizes, HIDDEN_UNITS[hidden], rng=as_generator(seed), weights_init=init, dtype=dtype)
    else:
        model = batch_norm_mlp(
            sizes,
            HIDDEN_UNITS[hidden],
            batch_norm=batch_norm,
            rng=as_generator(seed),
            weights_init=init,
            momentum=momentum,
            dtype=dtype,
        )
    output = model.layers[-1]
    output.weights[...] = np.random.default_rng(_seed_from(as_generator(seed))).normal(
        0.0, 1 / math.sqrt(hidden_dim), output.weights.shape
    )
    return model


def mnist_providers(num_train: int = 3000, batch_size: int = 50, seed: Seed = 0, dtype=DTYPE):
    """Training provider over ``num_train`` random training digits (shuffled from ``seed``) and the validation one.

    Inputs are standardised with the training statistics. Validation batches hold 500 digits.
    """
    from mlplab.data import MinibatchProvider, fit_normalisation, load_mnist5k

    splits = load_mnist5k()
    rng = as_generator(seed)
    train, valid = splits["train"], splits["valid"]
    if not 2 <= num_train <= len(train.targets):
        raise ValueError(f"num_train must be between 2 and {len(train.targets)}, got {num_train}")
    pick = rng.permutation(len(train.targets))[:num_train]
    normaliser = fit_normalisation(train.inputs[pick], "standardise")
    train_provider = MinibatchProvider(
        normaliser(train.inputs[pick], dtype),
        train.targets[pick],
        batch_size,
        rng=np.random.default_rng(_seed_from(rng)),
        dtype=dtype,
    )
    valid_provider = MinibatchProvider(normaliser(valid.inputs, dtype), valid.targets, 500, shuffle=False, dtype=dtype)
    return train_provider, valid_provider


def _trainer(model, learning_rate, train, valid):
    from mlplab.errors import CrossEntropySoftmaxError
    from mlplab.learning_rules import GradientDescentLearningRule
    from mlplab.training import Trainer

    return Trainer(model, CrossEntropySoftmaxError(), GradientDescentLearningRule(learning_rate), train, valid)


def train_network(
    batch_norm: bool,
    learning_rate: float = 0.1,
    num_epochs: int = 3,
    num_train: int = 3000,
    batch_size: int = 50,
    seed: Seed = 0,
    **network,
):
    """Trains one network of :func:`build_network` and returns ``(model, history, train, valid)``."""
    rng = as_generator(seed)
    data_seed, weight_seed = _seed_from(rng), _seed_from(rng)
    train, valid = mnist_providers(num_train, batch_size, data_seed)
    model = build_network(batch_norm, seed=weight_seed, **network)
    history = _trainer(model, learning_rate, train, valid).train(num_epochs, progress=False)
    return model, history, train, valid


def _paired_runs(settings: Sequence, make_kwargs, num_epochs, num_train, batch_size, seed, progress, desc):
    rng = as_generator(seed)
    run_seed = _seed_from(rng)
    results: dict[str, dict] = {version: {} for version in VERSIONS}
    runs = [(version, setting) for setting in settings for version in VERSIONS]
    bar = tqdm(runs, desc=desc, unit="run", disable=not progress)
    for version, setting in bar:
        bar.set_postfix_str(f"{version}, {setting:g}")
        _, history, _, _ = train_network(
            version == "batch norm",
            num_epochs=num_epochs,
            num_train=num_train,
            batch_size=batch_size,
            seed=run_seed,
            **make_kwargs(setting),
        )
        results[version][setting] = history
    bar.close()
    return results


# ---------------------------------------------------------------- the transform and its gradient


def forward_demo(batch_size: int = 64, num_units: int = 5, seed: Seed = 0) -> dict[str, np.ndarray]:
    """A minibatch whose units have very different means and spreads, through ``batchnorm_forward``.

    Unit ``j`` of the inputs has mean about ``10 * (j - 2)`` and standard deviation
    about ``10**(j - 2)`` (from 0.01 to 100). The batch is normalised twice: with
    ``gamma = 1, beta = 0`` and with ``gamma = (0.5, 1, 2, 3, -1)``, ``beta = (-1, 0, 1, 2, 5)``.

    Returns:
        Per unit ``(num_units,)``: ``"input_mean"``, ``"input_std"``, ``"plain_mean"``, ``"plain_std"``
        (outputs with gamma 1 and beta 0), ``"scaled_mean"``, ``"scaled_std"`` (outputs
        with the gamma and beta above), and ``"gamma"``, ``"beta"``.
    """
    from mlplab.exercises.batch_norm import batchnorm_forward

    rng = as_generator(seed)
    units = np.arange(num_units) - 2
    inputs = 10.0 * units + 10.0**units * rng.standard_normal((batch_size, num_units))
    gamma = np.resize([0.5, 1.0, 2.0, 3.0, -1.0], num_units)
    beta = np.resize([-1.0, 0.0, 1.0, 2.0, 5.0], num_units)
    plain = np.asarray(batchnorm_forward(inputs, np.ones(num_units), np.zeros(num_units))[0])
    scaled = np.asarray(batchnorm_forward(inputs, gamma, beta)[0])
    return {
        "input_mean": inputs.mean(axis=0),
        "input_std": inputs.std(axis=0),
        "plain_mean": plain.mean(axis=0),
        "plain_std": plain.std(axis=0),
        "scaled_mean": scaled.mean(axis=0),
        "scaled_std": scaled.std(axis=0),
        "gamma": gamma,
        "beta": beta,
    }


def gradient_check(batch_size: int = 8, num_units: int = 5, seed: Seed = 0) -> dict[str, float]:
    """Checks the batch norm layer's gradients against central differences, and two properties of them.

    A float64 ``BatchNormLayer`` with random ``gamma`` and ``beta`` gets a batch of
    inputs (units with different means and spreads) and random ``grads_wrt_outputs``.

    Returns:
        ``{"inputs", "gamma", "beta"}``: relative errors (``mlplab.gradcheck``, step
        ``h = 1e-5``) of ``bprop`` and of both parameter gradients; ``"sum_over_batch"``:
        the largest ``|sum_i dE/dx_ij|`` over units, divided by the largest ``|dE/dx_ij|``;
        ``"correlation_with_xhat"``: the largest ``|sum_i dE/dx_ij * xhat_ij|`` over units,
        divided by the largest ``|dE/dx_ij| * sqrt(batch_size)``.
    """
    from mlplab.gradcheck import check_layer_bprop, check_layer_param_grads
    from mlplab.layers.normalisation import BatchNormLayer

    rng = as_generator(seed)
    layer = BatchNormLayer(num_units, dtype=np.float64)
    layer.gamma[...] = rng.uniform(0.5, 2.0, num_units)
    layer.beta[...] = rng.normal(0, 1, num_units)
    inputs = rng.uniform(-3, 3, num_units) + rng.uniform(0.5, 2.0, num_units) * rng.standard_normal(
        (batch_size, num_units)
    )
    grads = rng.standard_normal((batch_size, num_units))
    errors = {"inputs": check_layer_bprop(layer, inputs, grads, h=1e-5)}
    errors["gamma"], errors["beta"] = check_layer_param_grads(layer, inputs, grads, h=1e-5)
    layer.fprop(inputs)
    dx = np.asarray(layer.bprop(inputs, None, grads))
    xhat = (inputs - inputs.mean(axis=0)) / inputs.std(axis=0)
    largest = float(np.max(np.abs(dx)))
    errors["sum_over_batch"] = float(np.max(np.abs(dx.sum(axis=0)))) / largest
    errors["correlation_with_xhat"] = float(np.max(np.abs((dx * xhat).sum(axis=0)))) / (largest * math.sqrt(batch_size))
    return errors


# ---------------------------------------------------------------- learning rates and initialisation


def learning_rate_sweep(
    learning_rates: Sequence[float] = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0),
    num_epochs: int = 3,
    num_train: int = 3000,
    num_hidden_layers: int = 5,
    hidden_dim: int = 100,
    batch_size: int = 50,
    seed: Seed = 0,
    progress: bool = True,
) -> dict[str, dict[float, object]]:
    """The same deep ReLU network (He weights), with and without batch norm, at each learning rate.

    Returns:
        ``{"plain": {rate: History}, "batch norm": {rate: History}}``. A run whose
        error became NaN or infinite stopped early (``history.diverged``).
    """
    return _paired_runs(
        learning_rates,
        lambda rate: dict(learning_rate=rate, num_hidden_layers=num_hidden_layers, hidden_dim=hidden_dim),
        num_epochs,
        num_train,
        batch_size,
        seed,
        progress,
        "learning rates",
    )


def initialisation_scales(
    weight_stds: Sequence[float] = (0.001, 0.01, 0.1, 1.0),
    learning_rate: float = 0.1,
    num_epochs: int = 3,
    num_train: int = 3000,
    num_hidden_layers: int = 5,
    hidden_dim: int = 100,
    batch_size: int = 50,
    seed: Seed = 0,
    progress: bool = True,
) -> dict[str, dict[float, object]]:
    """The same deep ReLU network with hidden weights ``N(0, std**2)`` for each std, with and without batch norm.

    (He initialisation of these layers has std ``sqrt(2/100) = 0.14``, ``0.05`` for the first.)

    Returns:
        ``{"plain": {std: History}, "batch norm": {std: History}}``.
    """
    return _paired_runs(
        weight_stds,
        lambda std: dict(
            learning_rate=learning_rate, weight_std=std, num_hidden_layers=num_hidden_layers, hidden_dim=hidden_dim
        ),
        num_epochs,
        num_train,
        batch_size,
        seed,
        progress,
        "initial scales",
    )


def diverged(history, limit: float = 100.0) -> bool:
    """True if training blew up: the training error became NaN or infinite, or exceeded ``limit``.

    (Guessing has error ``log 10 = 2.3``; an error above 100 means the outputs exploded. A network
    that blows up in float64 often stays finite but dead: its error then sits at 2.3.)
    """
    errors = np.asarray(history.train_error, dtype=float)
    return bool(history.diverged or not np.all(np.isfinite(errors)) or np.any(errors > limit))


def final_accuracy(history) -> float:
    """The last validation accuracy of a run, or 0.1 (chance) for a run that diverged."""
    if history.diverged or not history.valid_acc or not math.isfinite(history.valid_acc[-1]):
        return 0.1
    return float(history.valid_acc[-1])


# ---------------------------------------------------------------- activations during training


def _normalised_inputs(model, inputs) -> list[np.ndarray]:
    """The input of every hidden nonlinearity (after the batch norm layer, if any), in the current mode."""
    activations = model.fprop(inputs)
    return [
        np.asarray(activations[i], dtype=np.float64)
        for i, layer in enumerate(model.layers)
        if type(layer) in HIDDEN_UNITS.values()
    ]


def _unit_moments(model, probe: np.ndarray) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """The inputs of every nonlinearity for ``probe``, and each unit's mean and std over the probe."""
    inputs = _normalised_inputs(model, probe)
    return inputs, np.stack([a.mean(axis=0) for a in inputs]), np.stack([a.std(axis=0) for a in inputs])


def _append_record(records: dict[str, list], step: int, inputs, means, stds, start_means, start_stds) -> None:
    records["steps"].append(step)
    records["mean"].append(means.mean(axis=1))
    records["std"].append(stds.mean(axis=1))
    records["drift"].append((np.abs(means - start_means) / np.maximum(start_stds, 1e-12)).mean(axis=1))
    records["percentiles"].append(np.percentile(inputs[-1][:, 0], [15, 50, 85]))


def activation_distributions(
    hidden: str = "sigmoid",
    num_hidden_layers: int = 3,
    hidden_dim: int = 100,
    learning_rate: float = 0.5,
    num_steps: int = 300,
    record_every: int = 10,
    batch_size: int = 50,
    num_train: int = 3000,
    sample_size: int = 2000,
    seed: Seed = 0,
    progress: bool = True,
) -> dict[str, dict]:
    """How the inputs of each hidden nonlinearity are distributed as training goes on.

    Both versions of a ``hidden`` network are trained with the same weights,
    minibatches and learning rate for ``num_steps`` steps. Every
    ``record_every`` steps, the 500 validation digits of a fixed batch are
    passed through the network *in training mode* (so batch norm uses that
    batch's statistics) and the input of every nonlinearity is recorded: for a
    plain network the affine outputs ``a = W h + b``, for the batch norm
    network the batch norm layer's outputs ``gamma * xhat + beta``.

    Returns:
        ``version -> dict`` with

        * ``"steps"``: ``(T,)`` the step of each record (0: before training);
        * ``"mean"``, ``"std"``: ``(T, L)`` per layer, the mean over the layer's
          units of each unit's mean and standard deviation over the 500 digits;
        * ``"drift"``: ``(T, L)`` per layer, the average over units of
          ``|unit mean - its mean at step 0|`` divided by the unit's standard deviation at step 0;
        * ``"percentiles"``: ``(T, 3)`` the 15th, 50th and 85th percentiles of the first
          unit of the last hidden layer;
        * ``"samples_start"``, ``"samples_end"``: per layer, a random sample of the
          inputs of its nonlinearity before and after training.
    """
    rng = as_generator(seed)
    data_seed, weight_seed, sample_seed = _seed_from(rng), _seed_from(rng), _seed_from(rng)
    results = {}
    for version in tqdm(VERSIONS, desc="recording activations", unit="run", disable=not progress):
        from mlplab.errors import CrossEntropySoftmaxError
        from mlplab.learning_rules import GradientDescentLearningRule

        train, valid = mnist_providers(num_train, batch_size, data_seed)
        probe = next(iter(valid))[0]
        model = build_network(version == "batch norm", num_hidden_layers, hidden_dim, hidden, seed=weight_seed)
        error, rule = CrossEntropySoftmaxError(), GradientDescentLearningRule(learning_rate)
        rule.initialise(model.params)
        sample_rng = np.random.default_rng(sample_seed)
        records: dict[str, list] = {"steps": [], "mean": [], "std": [], "drift": [], "percentiles": []}
        model.train()
        last, start_means, start_stds = _unit_moments(model, probe)
        samples_start = [sample_rng.choice(a.ravel(), sample_size, replace=False) for a in last]
        _append_record(records, 0, last, start_means, start_stds, start_means, start_stds)
        step = 0
        with np.errstate(all="ignore"):
            while step < num_steps:
                for inputs, targets in train:
                    activations = model.fprop(inputs)
                    grads = model.grads_wrt_params(activations, error.grad(activations[-1], targets))
                    rule.update_params(grads)
                    step += 1
                    if step % record_every == 0 or step == num_steps:
                        last, means, stds = _unit_moments(model, probe)
                        _append_record(records, step, last, means, stds, start_means, start_stds)
                    if step == num_steps:
                        break
        samples_end = [sample_rng.choice(a.ravel(), sample_size, replace=False) for a in last]
        results[version] = {key: np.array(values) for key, values in records.items()}
        results[version]["samples_start"] = samples_start
        results[version]["samples_end"] = samples_end
    return results


# ---------------------------------------------------------------- batch norm as a regulariser


def small_training_set(
    batch_sizes: Sequence[int] = (10, 50),
    num_train: int = 500,
    num_epochs: int = 30,
    learning_rate: float = 0.05,
    seed: Seed = 0,
    progress: bool = True,
) -> dict[int, dict[str, object]]:
    """Both versions of the ReLU network trained on only ``num_train`` digits, for each batch size.

    Every run starts from the same weights and sees the same digits (in an order that depends on
    the batch size only through the batching).

    Returns:
        ``{batch_size: {"plain": History, "batch norm": History}}``.
    """
    run_seed = _seed_from(as_generator(seed))
    results: dict[int, dict[str, object]] = {}
    runs = [(size, version) for size in batch_sizes for version in VERSIONS]
    for size, version in tqdm(runs, desc="small training set", unit="run", disable=not progress):
        _, history, _, _ = train_network(
            version == "batch norm",
            learning_rate=learning_rate,
            num_epochs=num_epochs,
            num_train=num_train,
            batch_size=size,
            seed=run_seed,
        )
        results.setdefault(size, {})[version] = history
    return results


# ---------------------------------------------------------------- Santurkar et al.'s noisy batch norm


class DistributionNoise(Layer):
    """Santurkar et al.'s noise after a batch norm layer: in training mode every unit's outputs are
    multiplied by a random factor from ``U(1 / max_scale, max_scale)`` and shifted by a random offset
    from ``U(-max_shift, max_shift)``, both drawn anew for every minibatch. Evaluation mode adds nothing.
    """

    def __init__(self, rng: np.random.Generator, max_shift: float, max_scale: float):
        self.rng, self.max_shift, self.max_scale = rng, max_shift, max_scale
        self.scale = None

    def fprop(self, inputs: np.ndarray) -> np.ndarray:
        if not self.training:
            return inputs
        self.scale = self.rng.uniform(1 / self.max_scale, self.max_scale, size=inputs.shape[1])
        return inputs * self.scale + self.rng.uniform(-self.max_shift, self.max_shift, size=inputs.shape[1])

    def bprop(self, inputs, outputs, grads_wrt_outputs):
        return grads_wrt_outputs * self.scale if self.training else grads_wrt_outputs


NOISY_VERSIONS = ("plain", "batch norm", "batch norm + noise")
"""The three versions of the network in :func:`noisy_batch_norm`."""


def noisy_batch_norm(
    max_shift: float = 0.5,
    max_scale: float = 1.5,
    learning_rate: float = 1.0,
    num_epochs: int = 3,
    num_hidden_layers: int = 5,
    hidden_dim: int = 100,
    record_every: int = 20,
    batch_size: int = 50,
    num_train: int = 3000,
    seed: Seed = 0,
    progress: bool = True,
) -> dict[str, dict]:
    """Santurkar et al.'s experiment: batch norm with noise that makes every layer's inputs unstable.

    The ReLU network of the other experiments is trained plain, with batch norm, and with batch norm
    followed by :class:`DistributionNoise` before every ReLU (same weights, minibatches and learning
    rate). Every ``record_every`` steps the 500 digits of a fixed validation batch are passed through
    it in training mode, noise included, and the input of every ReLU is recorded.

    Returns:
        ``version -> {"steps": (T,), "drift": (T, L)`` as in :func:`activation_distributions`,
        ``"step_change": (L,)`` the average over records of ``|unit mean - its mean at the previous
        record|`` in initial standard deviations, ``"valid_acc": float`` (evaluation mode, after
        training), ``"train_error": (num_epochs,)``}.
    """
    from mlplab.errors import CrossEntropySoftmaxError
    from mlplab.layers.normalisation import BatchNormLayer
    from mlplab.learning_rules import GradientDescentLearningRule
    from mlplab.models import MultipleLayerModel

    rng = as_generator(seed)
    data_seed, weight_seed, noise_seed = _seed_from(rng), _seed_from(rng), _seed_from(rng)
    results = {}
    for version in tqdm(NOISY_VERSIONS, desc="noisy batch norm", unit="run", disable=not progress):
        train, valid = mnist_providers(num_train, batch_size, data_seed)
        probe = next(iter(valid))[0]
        model = build_network(version != "plain", num_hidden_layers, hidden_dim, seed=weight_seed)
        if version == "batch norm + noise":
            noise_rng = np.random.default_rng(noise_seed)
            layers = []
            for layer in model.layers:
                layers.append(layer)
                if isinstance(layer, BatchNormLayer):
                    layers.append(DistributionNoise(noise_rng, max_shift, max_scale))
            model = MultipleLayerModel(layers)
        error, rule = CrossEntropySoftmaxError(), GradientDescentLearningRule(learning_rate)
        rule.initialise(model.params)
        model.train()
        means = [np.stack([a.mean(axis=0) for a in _normalised_inputs(model, probe)])]
        start_std = np.stack([a.std(axis=0) for a in _normalised_inputs(model, probe)])
        steps, train_error, step = [0], [], 0
        with np.errstate(all="ignore"):
            for _ in range(num_epochs):
                total = 0.0
                for inputs, targets in train:
                    activations = model.fprop(inputs)
                    total += float(error(activations[-1], targets))
                    rule.update_params(model.grads_wrt_params(activations, error.grad(activations[-1], targets)))
                    step += 1
                    if step % record_every == 0:
                        steps.append(step)
                        means.append(np.stack([a.mean(axis=0) for a in _normalised_inputs(model, probe)]))
                train_error.append(total / train.num_batches)
        means = np.array(means)  # (T, L, units)
        drift = (np.abs(means - means[0]) / np.maximum(start_std, 1e-12)).mean(axis=2)
        step_change = (np.abs(np.diff(means, axis=0)) / np.maximum(start_std, 1e-12)).mean(axis=(0, 2))
        model.eval()
        accuracy = float(np.mean(np.argmax(model.fprop(valid.inputs)[-1], axis=1) == valid.targets))
        model.train()
        results[version] = {
            "steps": np.array(steps),
            "drift": drift,
            "step_change": step_change,
            "valid_acc": accuracy,
            "train_error": np.array(train_error),
        }
    return results


# ---------------------------------------------------------------- inference statistics


def _logits(model, inputs, training: bool) -> np.ndarray:
    model.train() if training else model.eval()
    try:
        return np.asarray(model.fprop(inputs)[-1], dtype=np.float64)
    finally:
        model.train()


def _frozen_running_statistics(model):
    from mlplab.layers.normalisation import get_inference_statistics

    return get_inference_statistics(model)


def train_eval_gap(
    batch_sizes: Sequence[int] = (2, 4, 8, 16, 32, 64, 128, 500),
    num_epochs: int = 3,
    num_train: int = 3000,
    learning_rate: float = 0.1,
    seed: Seed = 0,
) -> dict[str, np.ndarray]:
    """Training-mode against evaluation-mode outputs of a trained batch norm network, by batch size.

    A ReLU network with batch norm (5 hidden layers of 100) is trained with
    minibatches of 50, and its batch norm layers get population statistics
    (``use_population_statistics`` over the training set). The validation
    digits are then passed through it in batches of each size (the last
    partial batch dropped), once in training mode (each batch normalised with its
    own statistics) and once in evaluation mode. The running statistics are put
    back after every training-mode pass, so the evaluation results never change.

    Returns:
        A dict of arrays, one entry per batch size:

        * ``"batch_sizes"``;
        * ``"gap"``: the average of ``|train-mode logit - eval-mode logit|`` over
          all logits, divided by the average ``|eval-mode logit|``;
        * ``"train_mode_acc"``: validation accuracy with batch statistics;
        * ``"eval_mode_acc"``: validation accuracy with the stored statistics;

        and ``"eval_changes"``: the largest difference between the eval-mode logits of a
        digit computed in different batch sizes (0 up to rounding).
    """
    from mlplab.layers.normalisation import set_inference_statistics, use_population_statistics

    model, _, train, valid = train_network(
        True, learning_rate=learning_rate, num_epochs=num_epochs, num_train=num_train, seed=seed
    )
    use_population_statistics(model, train)
    stored = _frozen_running_statistics(model)
    inputs, targets = valid.inputs, valid.targets
    reference = _logits(model, inputs, training=False)
    gaps, train_acc, eval_acc, changes = [], [], [], 0.0
    for size in batch_sizes:
        count = (len(inputs) // size) * size
        train_logits, eval_logits = [], []
        for start in range(0, count, size):
            batch = inputs[start : start + size]
            train_logits.append(_logits(model, batch, training=True))
            set_inference_statistics(model, stored)  # training mode moved the running statistics
            eval_logits.append(_logits(model, batch, training=False))
        train_logits, eval_logits = np.concatenate(train_logits), np.concatenate(eval_logits)
        gaps.append(np.mean(np.abs(train_logits - eval_logits)) / np.mean(np.abs(eval_logits)))
        train_acc.append(np.mean(train_logits.argmax(axis=1) == targets[:count]))
        eval_acc.append(np.mean(eval_logits.argmax(axis=1) == targets[:count]))
        changes = max(changes, float(np.max(np.abs(eval_logits - reference[:count]))))
    return {
        "batch_sizes": np.array(batch_sizes),
        "gap": np.array(gaps),
        "train_mode_acc": np.array(train_acc),
        "eval_mode_acc": np.array(eval_acc),
        "eval_changes": changes,
    }


def inference_statistics(
    num_epochs: int = 3,
    num_train: int = 3000,
    learning_rate: float = 0.1,
    batch_size: int = 50,
    correction_batch_size: int = 4,
    seed: Seed = 0,
) -> dict:
    """Running averages against the lecture's population statistics, and the ``m / (m - 1)`` correction.

    The batch norm network of :func:`train_eval_gap` is trained with
    minibatches of ``batch_size``; its batch norm layers then hold running
    averages (``update_running_statistics``, momentum 0.9). Population
    statistics are computed from the training minibatches
    (``estimate_population_statistics``). Both are compared with the exact
    mean and variance of every batch norm layer's inputs over all training
    digits at once (what the population statistics estimate). Finally the
    population statistics are estimated from minibatches of only
    ``correction_batch_size`` digits, with and without the correction.

    Returns:
        A dict with

        * ``"valid_acc"``: ``{"running averages", "population statistics", "batch statistics"}``
          -> validation accuracy in evaluation mode with those statistics (the last: in
          training mode, batches of 500);
        * ``"mean_error"``, ``"var_ratio"``: ``{"running averages", "population statistics"}``
          -> per batch norm layer, the average over units of
          ``|estimated mean - exact mean| / exact std`` and of ``estimated var / exact var``;
        * ``"small_batch_var_ratio"``: ``{"with the correction", "without the correction"}``
          -> per layer, the average over units of ``estimated var / exact var`` when the
          minibatches hold ``correction_batch_size`` digits;
        * ``"correction_batch_size"``.
    """
    from mlplab.data import MinibatchProvider
    from mlplab.layers.normalisation import (
        collect_batch_statistics,
        estimate_population_statistics,
        set_inference_statistics,
    )

    model, _, train, valid = train_network(
        True, learning_rate=learning_rate, num_epochs=num_epochs, num_train=num_train, batch_size=batch_size, seed=seed
    )
    running = _frozen_running_statistics(model)
    population = estimate_population_statistics(model, train)
    exact = [
        (m[0], v[0]) for m, v in collect_batch_statistics(model, [(train.inputs, None)])[1]
    ]  # one "batch" of every training digit

    def accuracy(statistics):
        set_inference_statistics(model, statistics)
        return float(np.mean(_logits(model, valid.inputs, training=False).argmax(axis=1) == valid.targets))

    def errors(statistics):
        return (
            [float(np.mean(np.abs(m - em) / np.sqrt(ev))) for (m, _), (em, ev) in zip(statistics, exact)],
            [float(np.mean(v / ev)) for (_, v), (_, ev) in zip(statistics, exact)],
        )

    valid_acc = {"running averages": accuracy(running), "population statistics": accuracy(population)}
    batch_logits = np.concatenate([_logits(model, x, training=True) for x, _ in valid])
    valid_acc["batch statistics"] = float(np.mean(batch_logits.argmax(axis=1) == valid.targets))
    set_inference_statistics(model, population)
    mean_error, var_ratio = {}, {}
    for name, statistics in (("running averages", running), ("population statistics", population)):
        mean_error[name], var_ratio[name] = errors(statistics)

    small = MinibatchProvider(
        train.inputs, train.targets, correction_batch_size, shuffle=False, dtype=train.inputs.dtype
    )
    m, batch_statistics = collect_batch_statistics(model, small)
    corrected = estimate_population_statistics(model, small)
    uncorrected = [(means.mean(axis=0), variances.mean(axis=0)) for means, variances in batch_statistics]
    small_ratio = {"with the correction": errors(corrected)[1], "without the correction": errors(uncorrected)[1]}
    return {
        "valid_acc": valid_acc,
        "mean_error": mean_error,
        "var_ratio": var_ratio,
        "small_batch_var_ratio": small_ratio,
        "correction_batch_size": m,
    }


def fold_into_affine_layers(
    num_epochs: int = 3, num_train: int = 3000, learning_rate: float = 0.1, seed: Seed = 0
) -> dict:
    """Folds every batch norm layer of a trained network into the affine layer before it.

    The trained network of :func:`train_eval_gap` (population statistics) is copied
    to float64. For every batch norm layer ``fold_batchnorm`` (task 2.5) gives
    ``(scale, shift)``; the affine layer ``W h + b`` before it becomes
    ``(scale[:, None] * W) h + (scale * b + shift)`` and the batch norm layer is
    removed. The folded network is an ordinary MLP.

    Returns:
        ``{"layers_before", "layers_after", "max_layer_difference", "max_difference",
        "output_scale"}``: the number of layers of each network; the largest
        difference between a batch norm layer in evaluation mode and ``scale * x + shift``
        on the validation digits reaching it; the largest difference between the
        logits of the two networks; the largest absolute logit.
    """
    from mlplab.exercises.batch_norm import fold_batchnorm
    from mlplab.layers.normalisation import BatchNormLayer, use_population_statistics
    from mlplab.models import MultipleLayerModel

    model, _, train, valid = train_network(
        True, learning_rate=learning_rate, num_epochs=num_epochs, num_train=num_train, seed=seed
    )
    use_population_statistics(model, train)
    copy = build_network(True, dtype=np.float64)
    for source, target in zip(model.layers, copy.layers):
        for name in ("weights", "biases", "gamma", "beta", "running_mean", "running_var"):
            if hasattr(source, name):
                setattr(target, name, np.asarray(getattr(source, name), dtype=np.float64).copy())
    copy.eval()
    inputs = valid.inputs.astype(np.float64)
    activations = copy.fprop(inputs)
    folded, layer_difference = [], 0.0
    for i, layer in enumerate(copy.layers):
        if isinstance(layer, BatchNormLayer):
            scale, shift = (
                np.asarray(a, dtype=np.float64)
                for a in fold_batchnorm(layer.gamma, layer.beta, layer.running_mean, layer.running_var, layer.eps)
            )
            layer_difference = max(
                layer_difference, float(np.max(np.abs(activations[i + 1] - (activations[i] * scale + shift))))
            )
            affine = folded[-1]
            merged = AffineLayer(
                affine.input_dim, affine.output_dim, weights_init=lambda s, r: np.zeros(s), dtype=np.float64
            )
            merged.weights[...] = scale[:, None] * affine.weights
            merged.biases[...] = scale * affine.biases + shift
            folded[-1] = merged
        else:
            folded.append(layer)
    plain = MultipleLayerModel(folded).eval()
    logits, folded_logits = copy.predict(inputs), plain.predict(inputs)
    return {
        "layers_before": len(copy.layers),
        "layers_after": len(plain.layers),
        "max_layer_difference": layer_difference,
        "max_difference": float(np.max(np.abs(logits - folded_logits))),
        "output_scale": float(np.max(np.abs(logits))),
    }


# ---------------------------------------------------------------- spatial batch norm


def spatial_statistics(
    num_examples: int = 16, num_channels: int = 3, height: int = 8, width: int = 8, seed: Seed = 0
) -> dict:
    """Spatial batch norm of random feature maps, against per-location normalisation and a reshape.

    Feature maps ``(N, C, H, W)`` get a different offset and scale per channel
    and a fixed spatial pattern within each channel (e.g. an edge detector
    responds more in some places than others). ``gamma = 1``, ``beta = 0``.

    Returns:
        A dict with ``"inputs"`` and ``"outputs"`` (of ``spatial_batchnorm_forward``),
        ``"channel_mean"``, ``"channel_var"``: ``(C,)`` of the outputs over N, H, W;
        ``"num_statistics"``: ``{"per channel": C, "per location": C * H * W}``;
        ``"reshape_difference"``: the largest difference from ``batchnorm_forward``
        applied to the inputs reshaped to ``(N * H * W, C)``; ``"pattern_kept"``: the
        correlation between the mean output map of a channel and its input pattern
        (per-channel normalisation keeps the pattern; per-location would erase it);
        ``"pattern_erased"``: the same for per-location normalisation.
    """
    from mlplab.exercises.batch_norm import batchnorm_forward, spatial_batchnorm_forward

    rng = as_generator(seed)
    shape = (num_examples, num_channels, height, width)
    offsets = rng.uniform(-3, 3, num_channels)[None, :, None, None]
    scales = rng.uniform(0.5, 3, num_channels)[None, :, None, None]
    pattern = rng.uniform(-1, 1, (1, num_channels, height, width))
    inputs = offsets + scales * (pattern + 0.5 * rng.standard_normal(shape))
    gamma, beta = np.ones(num_channels), np.zeros(num_channels)
    outputs, _, _ = spatial_batchnorm_forward(inputs, gamma, beta)
    outputs = np.asarray(outputs, dtype=np.float64)
    flat = inputs.transpose(0, 2, 3, 1).reshape(-1, num_channels)
    reshaped = (
        np.asarray(batchnorm_forward(flat, gamma, beta)[0])
        .reshape(num_examples, height, width, num_channels)
        .transpose(0, 3, 1, 2)
    )
    per_location = (inputs - inputs.mean(axis=0)) / np.sqrt(inputs.var(axis=0) + 1e-5)

    def pattern_correlation(maps):
        mean_maps = maps.mean(axis=0).reshape(num_channels, -1)
        return float(
            np.mean(
                [
                    np.corrcoef(m, p)[0, 1] if np.std(m) > 1e-12 else 0.0
                    for m, p in zip(mean_maps, pattern.reshape(num_channels, -1))
                ]
            )
        )

    return {
        "inputs": inputs,
        "outputs": outputs,
        "channel_mean": outputs.mean(axis=(0, 2, 3)),
        "channel_var": outputs.var(axis=(0, 2, 3)),
        "num_statistics": {"per channel": num_channels, "per location": num_channels * height * width},
        "reshape_difference": float(np.max(np.abs(outputs - reshaped))),
        "pattern_kept": pattern_correlation(outputs),
        "pattern_erased": pattern_correlation(per_location),
    }


# ---------------------------------------------------------------- why it works: the loss landscape


def _loss_and_grads(model, error, inputs: np.ndarray, targets: np.ndarray) -> tuple[float, list[np.ndarray]]:
    """The loss and its gradients on one batch, in training mode, leaving the running statistics as they were."""
    saved = [
        (layer, layer.running_mean.copy(), layer.running_var.copy())
        for layer in model.layers
        if hasattr(layer, "running_mean")
    ]
    activations = model.fprop(inputs)
    for layer, mean, var in saved:  # probing must not move the running statistics
        layer.running_mean, layer.running_var = mean, var
    loss = float(error(activations[-1], targets))
    return loss, model.grads_wrt_params(activations, error.grad(activations[-1], targets))


def loss_landscape(
    learning_rate: float = 0.1,
    step_multiples: Sequence[float] = (0.5, 1.0, 2.0, 4.0),
    num_steps: int = 300,
    record_every: int = 25,
    num_hidden_layers: int = 5,
    hidden_dim: int = 100,
    batch_size: int = 50,
    num_train: int = 3000,
    seed: Seed = 0,
    progress: bool = True,
) -> dict[str, dict[str, np.ndarray]]:
    """How smooth the loss is along the gradient, during training, with and without batch norm.

    Both versions of a ReLU network are trained with ``learning_rate``. Every
    ``record_every`` steps, on the current minibatch ``B`` with gradient ``g``,
    the loss is evaluated after steps of ``k * learning_rate`` along ``-g`` for
    every ``k`` in ``step_multiples`` (parameters restored afterwards), and the
    gradient is recomputed at the farthest point (Santurkar et al., 2018).

    Returns:
        ``version -> {"steps": (T,), "loss": (T,), "loss_range": (T,), "gradient_change": (T,)}``:
        the loss on ``B`` before the step, the largest minus the smallest loss over
        the step sizes, and ``||g(after the largest step) - g|| / ||g||``.
    """
    from mlplab.errors import CrossEntropySoftmaxError
    from mlplab.learning_rules import GradientDescentLearningRule

    rng = as_generator(seed)
    data_seed, weight_seed = _seed_from(rng), _seed_from(rng)
    error = CrossEntropySoftmaxError()
    results = {}
    for version in tqdm(VERSIONS, desc="probing the loss", unit="run", disable=not progress):
        train, _ = mnist_providers(num_train, batch_size, data_seed)
        model = build_network(version == "batch norm", num_hidden_layers, hidden_dim, seed=weight_seed)
        rule = GradientDescentLearningRule(learning_rate)
        rule.initialise(model.params)
        records: dict[str, list] = {"steps": [], "loss": [], "loss_range": [], "gradient_change": []}

        step = 0
        model.train()
        with np.errstate(all="ignore"):
            while step < num_steps:
                for inputs, targets in train:
                    loss, grads = _loss_and_grads(model, error, inputs, targets)
                    if step % record_every == 0:
                        params = [p.copy() for p in model.params]
                        losses, far_grads = [], None
                        for k in step_multiples:
                            for p, p0, g in zip(model.params, params, grads):
                                p[...] = p0 - k * learning_rate * g
                            value, far_grads = _loss_and_grads(model, error, inputs, targets)
                            losses.append(value)
                        for p, p0 in zip(model.params, params):
                            p[...] = p0
                        norm = math.sqrt(sum(float(np.sum(g.astype(np.float64) ** 2)) for g in grads))
                        change = math.sqrt(
                            sum(float(np.sum((a.astype(np.float64) - b) ** 2)) for a, b in zip(far_grads, grads))
                        )
                        records["steps"].append(step)
                        records["loss"].append(loss)
                        records["loss_range"].append(max(losses + [loss]) - min(losses + [loss]))
                        records["gradient_change"].append(change / norm)
                    rule.update_params(grads)
                    step += 1
                    if step == num_steps:
                        break
        results[version] = {key: np.array(values) for key, values in records.items()}
    return results


# ---------------------------------------------------------------- layer norm against batch norm


def layer_norm_small_batches(
    batch_sizes: Sequence[int] = (2, 4, 8),
    num_epochs: int = 2,
    num_train: int = 1000,
    learning_rate: float = 0.05,
    seed: Seed = 0,
    progress: bool = True,
) -> dict[str, np.ndarray]:
    """The ReLU network with batch norm and with layer norm, trained with minibatches of each size.

    Every run starts from the same weights and sees the same digits; validation uses evaluation
    mode (batch norm: its running statistics; layer norm computes the same in both modes). A batch
    of one example is also run through a trained layer norm network, alone and inside a batch.

    Returns:
        ``{"batch_sizes", "batch norm", "layer norm"}``: the sizes and, per size, the final
        validation accuracy of each version; ``"alone_vs_in_batch"``: the largest difference of
        an example's logits between the two ways of running it.
    """
    run_seed = _seed_from(as_generator(seed))
    accuracy: dict[str, list[float]] = {"batch norm": [], "layer norm": []}
    runs = [(size, version) for size in batch_sizes for version in accuracy]
    model = valid = None
    for size, version in tqdm(runs, desc="layer norm vs batch norm", unit="run", disable=not progress):
        model, history, _, valid = train_network(
            version == "batch norm",
            learning_rate=learning_rate,
            num_epochs=num_epochs,
            num_train=num_train,
            batch_size=size,
            seed=run_seed,
            layer_norm=version == "layer norm",
        )
        accuracy[version].append(final_accuracy(history))
    inputs = next(iter(valid))[0][:8]
    model.eval()
    alone = np.concatenate([model.fprop(inputs[i : i + 1])[-1] for i in range(len(inputs))])
    together = model.fprop(inputs)[-1]
    return {
        "batch_sizes": np.array(batch_sizes),
        **{k: np.array(v) for k, v in accuracy.items()},
        "alone_vs_in_batch": float(np.max(np.abs(alone - together))),
    }
