"""Experiments of Lab 3: dropout, DropConnect, maxout, data augmentation, weight decay and early stopping.

Every function here is deterministic given its ``seed`` (an int or an
``np.random.Generator``) and returns plain data for the notebook to plot.
Functions that need your exercise code (``mlplab.exercises.dropout``,
``mlplab.exercises.maxout``, ``mlplab.exercises.augmentation``, ``mlplab.exercises.weight_decay``) import it
when they run, so
a missing implementation only affects the experiments that use it.

All training runs use MNIST digits from ``load_mnist5k`` with pixels scaled to
``[0, 1]`` (so that augmented images keep a black background), ReLU networks
with He-initialised weights (drawn here, not with your Lab 1 code) and zero
biases, softmax cross-entropy and plain gradient descent. Runs that are
compared see the same examples in the same order and start from the same
weights.

Regularisers are named by the keys of ``REGULARISERS`` (e.g. ``"no dropout"``,
``"input 0.8 + hidden 0.5"``); results are dicts keyed by those names.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import partial

import numpy as np
from tqdm.auto import tqdm

from mlplab.course.experiments import as_generator
from mlplab.layers.activations import ReluLayer
from mlplab.layers.affine import AffineLayer
from mlplab.layers.base import Layer
from mlplab.models import MultipleLayerModel
from mlplab.training import History

Seed = int | np.random.Generator

REGULARISERS: dict[str, dict[str, float]] = {
    "no dropout": {},
    "hidden dropout 0.5": {"hidden_p": 0.5},
    "input 0.8 + hidden 0.5": {"input_p": 0.8, "hidden_p": 0.5},
    "annealed 0.8 / 0.5 -> 1": {"input_p": 0.8, "hidden_p": 0.5, "anneal": 1.0},
    "L2 weight decay": {"l2": 1e-2},
    "L1 weight decay": {"l1": 3e-4},
    "early stopping": {"patience": 6},
}
"""Regularisers for :func:`train_dropout_networks`: the inclusion probability ``p`` of the inputs
(``input_p``) and of every hidden layer (``hidden_p``), 1 (no dropout) when missing. With ``anneal``
the drop rates fall linearly to 0 over that fraction of the epochs (your ``annealed_incl_prob``).
``l2`` and ``l1`` are the coefficients ``lambda`` of weight decay (your ``L2Penalty`` and ``L1Penalty``,
on the weight matrices only); ``patience`` turns on early stopping (your ``EarlyStopping``), in epochs."""


def _seed_from(rng: np.random.Generator) -> int:
    return int(rng.integers(2**63))


def he_normal(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """He initialisation for ReLU units, ``N(0, 2 / n_in)`` (provided here, independent of Lab 1)."""
    return rng.normal(0.0, math.sqrt(2.0 / shape[1]), size=shape)


def _zeros(shape, rng):
    return np.zeros(shape)


def mnist_subset(num_train: int, seed: Seed = 0, num_valid: int = 1000) -> dict[str, np.ndarray]:
    """``num_train`` random training digits and the first ``num_valid`` validation digits, pixels in [0, 1].

    Returns:
        ``{"train_x": (num_train, 784) float32, "train_y": (num_train,) int64, "valid_x", "valid_y"}``.
    """
    from mlplab.data import load_mnist5k

    splits = load_mnist5k()
    train, valid = splits["train"], splits["valid"]
    if not 1 <= num_train <= len(train.targets):
        raise ValueError(f"num_train must be between 1 and {len(train.targets)}, got {num_train}")
    pick = as_generator(seed).permutation(len(train.targets))[:num_train]
    return {
        "train_x": train.inputs[pick].astype(np.float32) / 255.0,
        "train_y": train.targets[pick].astype(np.int64),
        "valid_x": valid.inputs[:num_valid].astype(np.float32) / 255.0,
        "valid_y": valid.targets[:num_valid].astype(np.int64),
    }


def validation_digits(num_valid: int = 1000) -> dict[str, np.ndarray]:
    """The first ``num_valid`` validation digits: ``{"inputs": (num_valid, 784) float32 in [0, 1], "labels": int64}``."""
    data = mnist_subset(1, 0, num_valid)
    return {"inputs": data["valid_x"], "labels": data["valid_y"]}


def dropout_mlp(
    layer_sizes: Sequence[int],
    input_p: float = 1.0,
    hidden_p: float = 1.0,
    weight_seed: int = 0,
    mask_seed: int = 0,
    inverted: bool = True,
) -> MultipleLayerModel:
    """A ReLU MLP with dropout layers: ``[Dropout(input_p)], Affine, ReLU, [Dropout(hidden_p)], ..., Affine``.

    A dropout layer is only inserted where its inclusion probability is below 1.
    All dropout layers draw their masks from one generator seeded with ``mask_seed``.
    """
    from mlplab.exercises.dropout import DropoutLayer

    weights_rng, masks_rng = np.random.default_rng(weight_seed), np.random.default_rng(mask_seed)
    layers: list[Layer] = []
    if input_p < 1:
        layers.append(DropoutLayer(masks_rng, input_p, inverted=inverted))
    for i, (n_in, n_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:])):
        if i > 0:
            layers.append(ReluLayer())
            if hidden_p < 1:
                layers.append(DropoutLayer(masks_rng, hidden_p, inverted=inverted))
        layers.append(AffineLayer(n_in, n_out, rng=weights_rng, weights_init=he_normal, biases_init=_zeros))
    return MultipleLayerModel(layers)


def _evaluate(model, inputs: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Cross-entropy and accuracy of ``model`` in evaluation mode (the model is put back in training mode)."""
    from mlplab.errors import CrossEntropySoftmaxError

    model.eval()
    try:
        outputs = model.predict(inputs)
    finally:
        model.train()
    targets = np.eye(10, dtype=outputs.dtype)[labels]
    return float(CrossEntropySoftmaxError()(outputs, targets)), float(np.mean(outputs.argmax(axis=1) == labels))


def _train(
    model,
    data: dict,
    num_epochs: int,
    learning_rate: float,
    batch_size: int,
    data_seed: int,
    eval_every: int,
    before_epoch: Callable[[int], None] | None = None,
    train_provider=None,
    penalty=None,
    patience: int | None = None,
) -> History:
    """Trains epoch by epoch; every ``eval_every`` epochs records the training and validation error and accuracy,
    BOTH measured in evaluation mode (the error the Trainer reports is measured with dropout on).

    ``penalty`` is passed to the Trainer (weight decay). With ``patience``, your ``EarlyStopping`` is given
    every recorded validation error; training stops when it says so and the model gets the parameters
    it restores (``history.stopped_early`` tells)."""
    from mlplab.data import MinibatchProvider
    from mlplab.errors import CrossEntropySoftmaxError
    from mlplab.learning_rules import GradientDescentLearningRule
    from mlplab.training import Trainer

    if train_provider is None:
        train_provider = MinibatchProvider(
            data["train_x"], data["train_y"], batch_size, rng=np.random.default_rng(data_seed)
        )
    trainer = Trainer(
        model, CrossEntropySoftmaxError(), GradientDescentLearningRule(learning_rate), train_provider, penalty=penalty
    )
    stopper = None
    if patience is not None:
        from mlplab.exercises.weight_decay import EarlyStopping

        stopper = EarlyStopping(patience)
    history = History()
    for epoch in range(1, num_epochs + 1):
        if before_epoch is not None:
            before_epoch(epoch - 1)
        run = trainer.train(1, progress=False)
        if run.diverged:
            history.diverged = True
            break
        if epoch % eval_every == 0 or epoch == num_epochs:
            train_error, train_acc = _evaluate(model, data["train_x"], data["train_y"])
            valid_error, valid_acc = _evaluate(model, data["valid_x"], data["valid_y"])
            history.epoch.append(epoch)
            history.train_error.append(train_error)
            history.train_acc.append(train_acc)
            history.valid_error.append(valid_error)
            history.valid_acc.append(valid_acc)
            history.time.append(run.time[0] if run.time else math.nan)
            if stopper is not None and stopper.update(epoch, valid_error, model.params):
                history.stopped_early = True
                break
    if stopper is not None:
        stopper.restore(model.params)
    if history.valid_error:
        history.best_epoch = history.epoch[int(np.argmin(history.valid_error))]
    return history


# ---------------------------------------------------------------- (a, b, g) overfitting and dropout


def train_dropout_networks(
    regularisers: Sequence[str] = ("no dropout", "hidden dropout 0.5", "input 0.8 + hidden 0.5"),
    num_train: int = 1000,
    hidden_dim: int = 256,
    num_hidden_layers: int = 2,
    num_epochs: int = 40,
    learning_rate: float = 0.1,
    batch_size: int = 50,
    eval_every: int = 2,
    seed: Seed = 0,
    progress: bool = True,
) -> dict[str, dict]:
    """Trains the same wide ReLU network on a small MNIST subset with and without a regulariser.

    Network: 784-``hidden_dim``-...-10 with ``num_hidden_layers`` hidden layers, inverted dropout
    (your ``DropoutLayer``) on the inputs and/or after every hidden ReLU as the regulariser says
    (see ``REGULARISERS``), plain gradient descent. Annealed runs set every dropout layer's
    ``incl_prob`` before each epoch with your ``annealed_incl_prob``. Weight decay adds your
    ``L2Penalty`` or ``L1Penalty``'s gradient to every step; early stopping asks your
    ``EarlyStopping`` after every recorded epoch and ends with the parameters it restores. Every run,
    whatever its regulariser, starts from the same weights and sees the same minibatches.

    Returns:
        ``regulariser -> {"history": History, "model": the trained model, "incl_probs":
        (num_epochs, 2) array of the input and hidden inclusion probabilities used in each epoch,
        "final": {"train_error", "train_acc", "valid_error", "valid_acc"} of the model returned}``.
        The history's errors and accuracies, on the training subset and on 1,000 validation
        digits, are all measured in evaluation mode, every ``eval_every`` epochs. ``final`` is the
        history's last entry, except after early stopping: then it is measured on the restored model.
    """
    from mlplab.exercises.dropout import DropoutLayer, annealed_incl_prob

    rng = as_generator(seed)
    data_seed, weight_seed, mask_seed = _seed_from(rng), _seed_from(rng), _seed_from(rng)
    data = mnist_subset(num_train, data_seed)
    sizes = [784] + [hidden_dim] * num_hidden_layers + [10]
    results = {}
    runs = tqdm(regularisers, desc="training runs", unit="run", disable=not progress)
    for name in runs:
        runs.set_postfix_str(name)
        if name not in REGULARISERS:
            raise ValueError(f"unknown regulariser {name!r}; choose from {list(REGULARISERS)}")
        setting = REGULARISERS[name]
        input_p, hidden_p = setting.get("input_p", 1.0), setting.get("hidden_p", 1.0)
        model = dropout_mlp(sizes, input_p, hidden_p, weight_seed, mask_seed)
        dropout_layers = [layer for layer in model.layers if isinstance(layer, DropoutLayer)]
        initial = [layer.incl_prob for layer in dropout_layers]
        used = np.ones((num_epochs, 2))

        def before_epoch(
            epoch,
            layers=dropout_layers,
            initial=initial,
            setting=setting,
            used=used,
            input_p=input_p,
            hidden_p=hidden_p,
        ):
            anneal_epochs = max(1, round(setting.get("anneal", 0.0) * num_epochs))
            for layer, p0 in zip(layers, initial):
                if "anneal" in setting:
                    layer.incl_prob = annealed_incl_prob(epoch, p0, anneal_epochs)
            if input_p < 1:
                used[epoch, 0] = layers[0].incl_prob
            if hidden_p < 1:
                used[epoch, 1] = layers[-1].incl_prob

        penalty = _penalty(setting)
        history = _train(
            model,
            data,
            num_epochs,
            learning_rate,
            batch_size,
            data_seed,
            eval_every,
            before_epoch,
            penalty=penalty,
            patience=setting.get("patience"),
        )
        final = dict(zip(("train_error", "train_acc"), _evaluate(model, data["train_x"], data["train_y"])))
        final.update(zip(("valid_error", "valid_acc"), _evaluate(model, data["valid_x"], data["valid_y"])))
        results[name] = {"history": history, "model": model, "incl_probs": used, "final": final}
    runs.close()
    return results


def _penalty(setting: dict):
    """Your ``L2Penalty`` or ``L1Penalty`` for a regulariser's ``l2`` or ``l1`` coefficient, else None."""
    if "l2" in setting:
        from mlplab.exercises.weight_decay import L2Penalty

        return L2Penalty(setting["l2"])
    if "l1" in setting:
        from mlplab.exercises.weight_decay import L1Penalty

        return L1Penalty(setting["l1"])
    return None


def train_valid_gap(history: History) -> float:
    """Validation error minus training error (both in evaluation mode) at the last recorded epoch."""
    return float(history.valid_error[-1] - history.train_error[-1])


# ---------------------------------------------------------------- (h) weight decay, early stopping, convergence


def epochs_to_reach(history: History, level: float) -> int | None:
    """The first recorded epoch whose training error (evaluation mode) is at most ``level``; None if none is."""
    for epoch, error in zip(history.epoch, history.train_error):
        if error <= level:
            return int(epoch)
    return None


def weight_statistics(model: MultipleLayerModel, small: float = 1e-3) -> dict[str, float]:
    """Sizes of the first layer's weights: ``{"rms": root mean square, "small_fraction": fraction with
    |w| < small, "tiny_fraction": fraction with |w| < small / 10, "max": largest |w|}`` (the first layer
    holds most of the weights: 784 x hidden)."""
    weights = next(layer.weights for layer in model.layers if isinstance(layer, AffineLayer))
    magnitude = np.abs(np.asarray(weights, dtype=np.float64))
    return {
        "rms": float(np.sqrt(np.mean(magnitude**2))),
        "small_fraction": float(np.mean(magnitude < small)),
        "tiny_fraction": float(np.mean(magnitude < small / 10)),
        "max": float(magnitude.max()),
    }


def regularisation_table(runs: dict[str, dict]) -> dict[str, dict[str, float]]:
    """For every run of :func:`train_dropout_networks`: the returned model's validation error and accuracy,
    its gap (validation minus training error), the epoch training ended and the best epoch."""
    table = {}
    for name, run in runs.items():
        final, history = run["final"], run["history"]
        table[name] = {
            "valid_error": final["valid_error"],
            "valid_acc": final["valid_acc"],
            "gap": final["valid_error"] - final["train_error"],
            "last_epoch": history.epoch[-1],
            "best_epoch": history.best_epoch,
        }
    return table


# ---------------------------------------------------------------- (c) inverted vs weight-scaled dropout


def dropout_conventions(
    incl_prob: float = 0.5,
    num_masks: Sequence[int] = (1, 10, 100, 1000, 10000),
    dim: int = 50,
    seed: Seed = 0,
) -> dict:
    """Inverted dropout and weight scaling compute the same expected output.

    1. **One layer.** For a fixed input ``x`` (``dim`` features), averages the training-mode output of
       ``DropoutLayer(incl_prob, inverted=...)`` over ``K`` fresh masks and compares it with the layer's
       evaluation-mode output, for both conventions.
    2. **Two networks.** A 20-``dim``-10 ReLU network with dropout after the hidden layer, once with
       inverted dropout and output weights ``W``, once with weight scaling and output weights ``W / p``.
       With the same mask seed the two networks give the same outputs in training mode, and in
       evaluation mode.

    Returns:
        ``{"num_masks": (len,), "relative_error": {"inverted": (len,), "weight scaling": (len,)},
        "eval_output": {...: (dim,)}, "input": (dim,), "train_difference": float,
        "eval_difference": float, "output_scale": float}``: the root-mean-square difference between
        the average of ``K`` training outputs and the evaluation output, relative to the RMS of the
        evaluation output; the largest absolute differences between the two networks' outputs.
    """
    from mlplab.exercises.dropout import DropoutLayer

    rng = as_generator(seed)
    x = rng.uniform(0.5, 1.5, dim) * rng.choice([-1.0, 1.0], dim)
    mask_seed = _seed_from(rng)
    counts = np.asarray(num_masks, dtype=np.int64)
    relative, eval_outputs = {}, {}
    for label, inverted in (("inverted", True), ("weight scaling", False)):
        layer = DropoutLayer(np.random.default_rng(mask_seed), incl_prob, inverted=inverted)
        total, done, errors = np.zeros(dim), 0, []
        layer.eval()
        expected = np.asarray(layer.fprop(x[None, :]), dtype=np.float64)[0]
        layer.train()
        for k in counts:
            while done < k:
                batch = min(k - done, 1000)
                total += np.asarray(layer.fprop(np.repeat(x[None, :], batch, axis=0)), dtype=np.float64).sum(axis=0)
                done += batch
            average = total / done
            errors.append(np.sqrt(np.mean((average - expected) ** 2)) / np.sqrt(np.mean(expected**2)))
        relative[label], eval_outputs[label] = np.array(errors), expected

    weights_rng = np.random.default_rng(_seed_from(rng))
    first = AffineLayer(20, dim, rng=weights_rng, weights_init=he_normal, biases_init=_zeros, dtype=np.float64)
    out_w = he_normal((10, dim), weights_rng)
    inputs = rng.standard_normal((64, 20))
    nets = {}
    for label, inverted, scale in (("inverted", True, 1.0), ("weight scaling", False, 1.0 / incl_prob)):
        second = AffineLayer(
            dim, 10, weights_init=lambda s, r, w=out_w * scale: w, biases_init=_zeros, dtype=np.float64
        )
        nets[label] = MultipleLayerModel(
            [first, ReluLayer(), DropoutLayer(np.random.default_rng(mask_seed), incl_prob, inverted=inverted), second]
        )
    train_out = {label: net.predict(inputs) for label, net in nets.items()}
    eval_out = {label: net.eval().predict(inputs) for label, net in nets.items()}
    return {
        "num_masks": counts,
        "relative_error": relative,
        "eval_output": eval_outputs,
        "input": x,
        "train_difference": float(np.abs(train_out["inverted"] - train_out["weight scaling"]).max()),
        "eval_difference": float(np.abs(eval_out["inverted"] - eval_out["weight scaling"]).max()),
        "output_scale": float(np.abs(eval_out["inverted"]).max()),
    }


# ---------------------------------------------------------------- (d) averaging masks: approximate bagging


def mask_averaging(
    model: MultipleLayerModel,
    inputs: np.ndarray,
    labels: np.ndarray,
    num_masks: Sequence[int] = (1, 2, 5, 10, 20, 50),
    seed: Seed = 0,
) -> dict:
    """Compares a dropout network's deterministic (scaled) prediction with averages over random masks.

    Each random mask picks one of the exponentially many sub-networks that share the weights. The
    "ensemble" prediction averages the softmax outputs of ``K`` sub-networks (training-mode
    forward passes); the scaled network is one evaluation-mode pass.

    Args:
        model: a trained network with dropout layers (their masks are drawn from ``seed`` here;
            the layers get their own generators back afterwards).
        inputs, labels: data to predict, e.g. validation digits.
        num_masks: the ensemble sizes ``K`` to report.

    Returns:
        ``{"num_masks": (len,), "ensemble_acc": (len,), "ensemble_error": (len,),
        "distance": (len,), "single_acc": float, "scaled_acc": float, "scaled_error": float}``:
        accuracy and cross-entropy of the average of the first ``K`` sub-networks, the mean total
        variation distance between that average and the scaled network's softmax, the average
        accuracy of a single sub-network and the scaled network's accuracy and cross-entropy.
    """
    from mlplab.errors import softmax
    from mlplab.exercises.dropout import DropoutLayer

    rng = as_generator(seed)
    dropout_layers = [layer for layer in model.layers if isinstance(layer, DropoutLayer)]
    saved = [layer.rng for layer in dropout_layers]
    for layer in dropout_layers:
        layer.rng = np.random.default_rng(_seed_from(rng))
    counts = np.asarray(num_masks, dtype=np.int64)
    model.eval()
    scaled = softmax(np.asarray(model.predict(inputs), dtype=np.float64))
    model.train()
    total = np.zeros_like(scaled)
    single, ensemble_acc, ensemble_error, distance = [], [], [], []
    for k in range(1, int(counts.max()) + 1):
        probabilities = softmax(np.asarray(model.predict(inputs), dtype=np.float64))
        single.append(np.mean(probabilities.argmax(axis=1) == labels))
        total += probabilities
        if k in counts:
            average = total / k
            ensemble_acc.append(np.mean(average.argmax(axis=1) == labels))
            ensemble_error.append(-np.mean(np.log(average[np.arange(len(labels)), labels])))
            distance.append(0.5 * np.abs(average - scaled).sum(axis=1).mean())
    for layer, generator in zip(dropout_layers, saved):
        layer.rng = generator
    return {
        "num_masks": counts,
        "ensemble_acc": np.array(ensemble_acc),
        "ensemble_error": np.array(ensemble_error),
        "distance": np.array(distance),
        "single_acc": float(np.mean(single)),
        "scaled_acc": float(np.mean(scaled.argmax(axis=1) == labels)),
        "scaled_error": float(-np.mean(np.log(scaled[np.arange(len(labels)), labels]))),
    }


# ---------------------------------------------------------------- (e) forced feature sharing


def unit_removal(
    models: dict[str, MultipleLayerModel],
    inputs: np.ndarray,
    labels: np.ndarray,
    fractions: Sequence[float] = (0.0, 0.25, 0.5, 0.75),
    repeats: int = 5,
    seed: Seed = 0,
) -> dict[str, np.ndarray]:
    """Accuracy of trained networks when a random fraction of their hidden units is removed at test time.

    The networks run in evaluation mode; after every hidden ReLU a random ``fraction`` of the units
    (a new choice for every example and every repeat) is set to 0 and the others are divided by
    ``1 - fraction``, so that the next layer receives the same input on average.

    Returns:
        ``name -> (len(fractions),)`` accuracies, averaged over ``repeats``.
    """
    rng = as_generator(seed)
    results = {}
    for name, model in models.items():
        model.eval()
        accuracies = []
        for fraction in fractions:
            rep_rng = np.random.default_rng(_seed_from(rng))
            scores = []
            for _ in range(repeats if fraction > 0 else 1):
                h = inputs
                for layer in model.layers:
                    h = layer.fprop(h)
                    if isinstance(layer, ReluLayer) and fraction > 0:
                        keep = rep_rng.random(h.shape) >= fraction
                        h = h * keep / np.float32(1 - fraction)
                scores.append(np.mean(h.argmax(axis=1) == labels))
            accuracies.append(float(np.mean(scores)))
        model.train()
        results[name] = np.array(accuracies)
    return results


# ---------------------------------------------------------------- (f) input dropout on digits


def dropped_pixels(
    incl_probs: Sequence[float] = (0.8, 0.5),
    num_images: int = 8,
    seed: Seed = 0,
) -> dict:
    """What input dropout does to digits: one training-mode pass of ``DropoutLayer(p, inverted=False)``.

    Returns:
        ``{"original": (num_images, 784), "labels": (num_images,), p: {"images": (num_images, 784),
        "kept_ink": float}}`` where ``kept_ink`` is the fraction of the ink pixels (> 0.1) that were kept.
    """
    from mlplab.exercises.dropout import DropoutLayer

    rng = as_generator(seed)
    data = mnist_subset(num_images, _seed_from(rng))
    images = data["train_x"].astype(np.float64)
    out = {"original": images, "labels": data["train_y"]}
    ink = images > 0.1
    for p in incl_probs:
        dropped = np.asarray(DropoutLayer(np.random.default_rng(_seed_from(rng)), p, inverted=False).fprop(images))
        out[p] = {"images": dropped, "kept_ink": float(np.mean(dropped[ink] > 0))}
    return out


# ---------------------------------------------------------------- (h) DropConnect vs dropout


def dropconnect_vs_dropout(
    incl_prob: float = 0.5,
    input_dim: int = 100,
    output_dim: int = 20,
    num_masks: int = 4000,
    seed: Seed = 0,
) -> dict:
    """One input pushed through an affine layer with dropout on its inputs, and with DropConnect.

    Both layers have the same weights ``W`` and inclusion probability ``p`` and use inverted scaling,
    so their outputs have the same expectation ``W x + b``. Each output unit sums independent
    masked terms in both cases, so it also has the same variance; but dropout removes an input
    unit for *all* output units at once, which makes the output units vary together, while
    DropConnect drops every connection independently.

    Returns:
        ``{name: {"mean_error": float, "variance": (output_dim,), "mean_abs_correlation": float,
        "samples": (200, 2)}}`` for ``"dropout"`` and ``"DropConnect"``: the RMS difference between
        the average output over ``num_masks`` masks and the evaluation output (relative to the
        evaluation output's RMS), each output unit's variance over the masks, the mean absolute
        correlation between pairs of output units, and 200 samples of the first two output units.
        ``"predicted_variance"``: ``(output_dim,)``, ``sum_i W_oi^2 x_i^2 (1 - p) / p``.
    """
    from mlplab.exercises.dropout import DropConnectLayer, DropoutLayer

    rng = as_generator(seed)
    weights = he_normal((output_dim, input_dim), rng)
    biases = rng.standard_normal(output_dim)
    x = rng.uniform(0.0, 1.0, input_dim)
    batch = np.repeat(x[None, :], num_masks, axis=0)
    affine = AffineLayer(
        input_dim, output_dim, weights_init=lambda s, r: weights, biases_init=lambda s, r: biases, dtype=np.float64
    )
    dropout = DropoutLayer(np.random.default_rng(_seed_from(rng)), incl_prob)
    connect = DropConnectLayer(
        input_dim,
        output_dim,
        np.random.default_rng(_seed_from(rng)),
        incl_prob,
        weights_init=lambda s, r: weights,
        biases_init=lambda s, r: biases,
        dtype=np.float64,
    )
    expected = affine.fprop(x[None, :])[0]
    outputs = {"dropout": affine.fprop(dropout.fprop(batch)), "DropConnect": connect.fprop(batch)}
    results = {}
    for name, y in outputs.items():
        y = np.asarray(y, dtype=np.float64)
        correlation = np.corrcoef(y, rowvar=False)
        off_diagonal = correlation[~np.eye(output_dim, dtype=bool)]
        results[name] = {
            "mean_error": float(np.sqrt(np.mean((y.mean(axis=0) - expected) ** 2) / np.mean(expected**2))),
            "variance": y.var(axis=0),
            "mean_abs_correlation": float(np.mean(np.abs(off_diagonal))),
            "samples": y[:200, :2].copy(),
        }
    results["predicted_variance"] = (weights**2 * x**2).sum(axis=1) * (1 - incl_prob) / incl_prob
    results["expected"] = expected
    return results


# ---------------------------------------------------------------- (i) maxout


def maxout_as_relu(x: np.ndarray | None = None) -> dict:
    """A maxout unit with two pieces, ``max(1 * x + 0, 0 * x + 0)``, is a ReLU; with ``max(x, -x)`` it is ``|x|``.

    Returns:
        ``{"x", "relu": maxout output with pieces (x, 0), "abs": with pieces (x, -x),
        "relu_difference", "abs_difference"}`` (largest differences from ``max(x, 0)`` and ``|x|``).
    """
    from mlplab.exercises.maxout import MaxoutLayer

    x = np.linspace(-2, 2, 9) if x is None else np.asarray(x, dtype=np.float64)
    layer = MaxoutLayer(pool_size=2)
    relu = layer.fprop(np.stack([x, np.zeros_like(x)], axis=1))[:, 0]
    absolute = layer.fprop(np.stack([x, -x], axis=1))[:, 0]
    return {
        "x": x,
        "relu": relu,
        "abs": absolute,
        "relu_difference": float(np.abs(relu - np.maximum(x, 0)).max()),
        "abs_difference": float(np.abs(absolute - np.abs(x)).max()),
    }


def maxout_fit(
    pool_sizes: Sequence[int] = (2, 3, 5),
    target: Callable[[np.ndarray], np.ndarray] = np.square,
    num_points: int = 81,
    num_steps: int = 3000,
    learning_rate: float = 0.1,
    seed: Seed = 0,
) -> dict:
    """Fits ONE maxout unit ``h(x) = max_i (w_i x + b_i)`` to a convex function of one input (default ``x**2``).

    The unit is ``AffineLayer(1, k)`` followed by your ``MaxoutLayer(k)``, trained by full-batch
    gradient descent on the half squared error over ``num_points`` points in [-2, 2]. Its pieces
    start on the tangents of the target at ``k`` random points, slightly perturbed.

    Returns:
        ``{"x": (num_points,), "target": (num_points,), k: {"fit": (num_points,), "pieces": (k, num_points),
        "error": float, "active_pieces": int}}``: the fitted function, each linear piece ``w_i x + b_i``,
        the final mean squared error and how many pieces are the maximum somewhere on the grid.
    """
    from mlplab.errors import SumOfSquaredDiffsError
    from mlplab.exercises.maxout import MaxoutLayer

    rng = as_generator(seed)
    x = np.linspace(-2.0, 2.0, num_points)[:, None]
    y = np.asarray(target(x), dtype=np.float64)
    error = SumOfSquaredDiffsError()
    results = {"x": x[:, 0], "target": y[:, 0]}
    for k in pool_sizes:
        points = np.sort(rng.uniform(-2.0, 2.0, k))
        slope = (target(points + 1e-4) - target(points - 1e-4)) / 2e-4
        w0 = slope[:, None] + 0.1 * rng.standard_normal((k, 1))
        b0 = target(points) - slope * points
        affine = AffineLayer(
            1, k, weights_init=lambda s, r, w=w0: w, biases_init=lambda s, r, b=b0: b, dtype=np.float64
        )
        maxout = MaxoutLayer(pool_size=k)
        for _ in range(num_steps):
            a = affine.fprop(x)
            h = maxout.fprop(a)
            grads_a = maxout.bprop(a, h, error.grad(h, y))
            d_w, d_b = affine.grads_wrt_params(x, grads_a)
            affine.weights -= learning_rate * d_w
            affine.biases -= learning_rate * d_b
        a = affine.fprop(x)
        h = maxout.fprop(a)[:, 0]
        results[k] = {
            "fit": h,
            "pieces": a.T.copy(),
            "error": float(np.mean((h - y[:, 0]) ** 2)),
            "active_pieces": int(len(np.unique(a.argmax(axis=1)))),
        }
    return results


MAXOUT_CONFIGS = (
    ("ReLU, 256 units", "relu", 256),
    ("maxout, 128 units x 2 pieces", "maxout", 128),
    ("ReLU, 128 units", "relu", 128),
)
"""``(label, unit, number of hidden units)`` for :func:`train_maxout_networks`. A maxout layer of ``n``
units with ``k`` pieces needs an affine layer of ``n * k`` outputs: 128 maxout units x 2 have the
same first layer as 256 ReLUs."""


def train_maxout_networks(
    configs: Sequence[tuple[str, str, int]] = MAXOUT_CONFIGS,
    pool_size: int = 2,
    num_train: int = 1000,
    num_epochs: int = 20,
    learning_rate: float = 0.1,
    batch_size: int = 50,
    eval_every: int = 2,
    seed: Seed = 0,
    progress: bool = True,
) -> dict[str, dict]:
    """Trains one-hidden-layer networks of ReLU or maxout units on the same MNIST subset.

    ReLU: ``Affine(784, n), ReLU, Affine(n, 10)``; maxout: ``Affine(784, n * pool_size),
    MaxoutLayer(pool_size), Affine(n, 10)``. Same data order for every run; weights drawn from the
    same seed.

    Returns:
        ``label -> {"history": History (evaluation-mode errors, as in train_dropout_networks),
        "num_params": int}``.
    """
    from mlplab.exercises.maxout import MaxoutLayer

    rng = as_generator(seed)
    data_seed, weight_seed = _seed_from(rng), _seed_from(rng)
    data = mnist_subset(num_train, data_seed)
    results = {}
    runs = tqdm(configs, desc="training runs", unit="run", disable=not progress)
    for label, unit, units in runs:
        runs.set_postfix_str(label)
        weights_rng = np.random.default_rng(weight_seed)
        width = units * pool_size if unit == "maxout" else units
        hidden = MaxoutLayer(pool_size) if unit == "maxout" else ReluLayer()
        model = MultipleLayerModel(
            [
                AffineLayer(784, width, rng=weights_rng, weights_init=he_normal, biases_init=_zeros),
                hidden,
                AffineLayer(units, 10, rng=weights_rng, weights_init=he_normal, biases_init=_zeros),
            ]
        )
        history = _train(model, data, num_epochs, learning_rate, batch_size, data_seed, eval_every)
        results[label] = {"history": history, "num_params": int(sum(p.size for p in model.params))}
    runs.close()
    return results


# ---------------------------------------------------------------- (j) data augmentation


def training_augmentations(elastic: bool = False) -> list:
    """The augmentations :func:`train_with_augmentation` uses: your ``random_shift`` (up to 2 pixels) and
    ``random_rotation`` (up to 10 degrees), and with ``elastic`` also ``elastic_deformation(alpha=30, sigma=5)``
    (the slowest of them)."""
    from mlplab.exercises.augmentation import elastic_deformation, random_rotation, random_shift

    augmentations = [partial(random_shift, max_shift=2), partial(random_rotation, max_degrees=10.0)]
    if elastic:
        augmentations.append(partial(elastic_deformation, alpha=30.0, sigma=5.0))
    return augmentations


def augmentation_examples(num_images: int = 8, seed: Seed = 0) -> dict:
    """A few training digits and what each of your augmentations makes of them.

    Returns:
        ``{"labels": (n,), "original": (n, 28, 28), "shift" (up to 2 pixels), "rotation" (up to 12
        degrees), "noise" (std 0.15), "elastic" (alpha 30, sigma 5), "all": shift, rotation, elastic
        deformation and noise (std 0.1) one after the other, "flip": mirrored left-right, "upside down":
        turned by 180 degrees}``, images of shape ``(n, 28, 28)`` (the last two are NOT label-preserving
        for digits: they are shown as a warning).
    """
    from mlplab.exercises.augmentation import elastic_deformation, pixel_noise, random_rotation, random_shift

    rng = as_generator(seed)
    data = mnist_subset(num_images, _seed_from(rng))
    images = data["train_x"].reshape(-1, 28, 28)
    out = {"labels": data["train_y"], "original": images}
    out["shift"] = random_shift(images, np.random.default_rng(_seed_from(rng)), max_shift=2)
    out["rotation"] = random_rotation(images, np.random.default_rng(_seed_from(rng)), max_degrees=12.0)
    out["noise"] = pixel_noise(images, np.random.default_rng(_seed_from(rng)), std=0.15)
    out["elastic"] = elastic_deformation(images, np.random.default_rng(_seed_from(rng)), alpha=30.0, sigma=5.0)
    combined = images
    for augment in training_augmentations(elastic=True) + [partial(pixel_noise, std=0.1)]:
        combined = augment(combined, np.random.default_rng(_seed_from(rng)))
    out["all"] = combined
    out["flip"] = images[:, :, ::-1].copy()
    out["upside down"] = images[:, ::-1, ::-1].copy()
    return out


def image_grid(rows: Sequence[np.ndarray], pad: int = 2, separator: float = 0.25) -> np.ndarray:
    """One image made of rows of images (each row an array ``(n, 28, 28)`` or ``(n, 784)``), separated by
    ``pad`` pixels of the value ``separator``, for a single fast ``plt.imshow`` instead of one subplot per image."""
    blocks = []
    for row in rows:
        row = np.asarray(row, dtype=np.float64)
        row = row.reshape(len(row), 28, 28) if row.ndim == 2 else row
        padded = np.pad(row, ((0, 0), (pad, pad), (pad, pad)), constant_values=separator)
        blocks.append(np.concatenate(list(padded), axis=1))
    return np.concatenate(blocks, axis=0)


def transformed_accuracy(model: MultipleLayerModel, inputs: np.ndarray, labels: np.ndarray, seed: Seed = 0) -> dict:
    """Accuracy of a trained network on validation digits transformed by each augmentation (evaluation mode).

    Returns:
        ``{"original", "shift", "rotation", "noise", "elastic", "flip", "upside down"}`` -> accuracy,
        with the settings of :func:`augmentation_examples`.
    """
    from mlplab.exercises.augmentation import elastic_deformation, pixel_noise, random_rotation, random_shift

    rng = as_generator(seed)
    images = np.asarray(inputs).reshape(-1, 28, 28)
    versions = {
        "original": images,
        "shift": random_shift(images, np.random.default_rng(_seed_from(rng)), max_shift=2),
        "rotation": random_rotation(images, np.random.default_rng(_seed_from(rng)), max_degrees=12.0),
        "noise": pixel_noise(images, np.random.default_rng(_seed_from(rng)), std=0.15),
        "elastic": elastic_deformation(images, np.random.default_rng(_seed_from(rng)), alpha=30.0, sigma=5.0),
        "flip": images[:, :, ::-1],
        "upside down": images[:, ::-1, ::-1],
    }
    model.eval()
    try:
        return {
            name: float(np.mean(model.predict(np.ascontiguousarray(v).reshape(len(v), -1)).argmax(axis=1) == labels))
            for name, v in versions.items()
        }
    finally:
        model.train()


def train_with_augmentation(
    settings: Sequence[str] = ("no augmentation", "augmented"),
    num_train: int = 500,
    hidden_dim: int = 256,
    num_epochs: int = 50,
    learning_rate: float = 0.1,
    batch_size: int = 50,
    eval_every: int = 5,
    elastic: bool = False,
    seed: Seed = 0,
    progress: bool = True,
) -> dict[str, dict]:
    """Trains the same network on a small MNIST subset with and without data augmentation.

    Network: 784-``hidden_dim``-``hidden_dim``-10 ReLU, no dropout. ``"augmented"`` wraps the
    training provider in your ``AugmentedProvider`` with ``training_augmentations(elastic)``
    (random shifts and rotations, and elastic deformations if ``elastic``), so every epoch sees
    new versions of the same ``num_train`` digits; validation digits are never augmented.

    Returns:
        ``setting -> {"history": History (evaluation-mode errors on the original training digits
        and on the validation digits), "model"}``.
    """
    from mlplab.data import MinibatchProvider
    from mlplab.exercises.augmentation import AugmentedProvider

    rng = as_generator(seed)
    data_seed, weight_seed, augment_seed = _seed_from(rng), _seed_from(rng), _seed_from(rng)
    data = mnist_subset(num_train, data_seed)
    results = {}
    runs = tqdm(settings, desc="training runs", unit="run", disable=not progress)
    for setting in runs:
        runs.set_postfix_str(setting)
        if setting not in ("no augmentation", "augmented"):
            raise ValueError(f"unknown setting {setting!r}; choose 'no augmentation' or 'augmented'")
        model = dropout_mlp([784, hidden_dim, hidden_dim, 10], weight_seed=weight_seed)
        provider = MinibatchProvider(data["train_x"], data["train_y"], batch_size, rng=np.random.default_rng(data_seed))
        if setting == "augmented":
            provider = AugmentedProvider(provider, training_augmentations(elastic), np.random.default_rng(augment_seed))
        history = _train(
            model, data, num_epochs, learning_rate, batch_size, data_seed, eval_every, train_provider=provider
        )
        results[setting] = {"history": history, "model": model}
    runs.close()
    return results
