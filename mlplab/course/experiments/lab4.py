"""Experiments of Lab 4: bootstrap samples, bagged tanh perceptrons, correlated ensembles, bagged MLPs.

Every function here is deterministic given its ``seed`` (an int or an
``np.random.Generator``) and returns plain data for the notebook to plot.
The functions call your code in ``mlplab.exercises.bagging`` and import it when they
run, so importing this module never runs your code.

Conventions: ensembles' predictions have shape ``(K, P)`` (members by data
points) or ``(K, N, C)`` (members by examples by classes), as in
``mlplab.exercises.bagging``; "error rate" is the fraction of misclassified examples.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from tqdm.auto import tqdm

from mlplab.course.experiments import as_generator
from mlplab.data import MinibatchProvider, load_mnist5k
from mlplab.errors import CrossEntropySoftmaxError, softmax
from mlplab.learning_rules import GradientDescentLearningRule
from mlplab.models import mlp
from mlplab.training import Trainer

Seed = int | np.random.Generator


def _seed_from(rng: np.random.Generator) -> int:
    return int(rng.integers(2**63))


# ---------------------------------------------------------------- bootstrap samples


def bootstrap_statistics(sizes: Sequence[int] = (5, 20, 100, 1000), num_samples: int = 500, seed: Seed = 0) -> dict:
    """How much of the data a bootstrap sample contains, for data sets of several sizes.

    Returns:
        ``{"sizes": (S,), "distinct": (S,) mean fraction of distinct examples in a sample,
        "theory": (S,) 1 - (1 - 1/n)^n, "multiplicities": (8,) fraction of the examples of the
        largest data set drawn 0, 1, ..., 6 and 7 or more times, "poisson": (8,) the Poisson(1)
        probabilities of the same counts}``.
    """
    from mlplab.exercises.bagging import bootstrap_indices, out_of_bag_mask

    rng = as_generator(seed)
    distinct = []
    for n in sizes:
        fractions = [1.0 - out_of_bag_mask(bootstrap_indices(n, rng), n).mean() for _ in range(num_samples)]
        distinct.append(float(np.mean(fractions)))
    n = int(sizes[-1])
    counts = np.concatenate([np.bincount(bootstrap_indices(n, rng), minlength=n) for _ in range(20)])
    multiplicities = np.array([np.mean(counts == c) for c in range(7)] + [np.mean(counts >= 7)])
    poisson = np.array([math.exp(-1) / math.factorial(c) for c in range(7)])
    return {
        "sizes": np.asarray(sizes),
        "distinct": np.array(distinct),
        "theory": np.array([1 - (1 - 1 / n) ** n for n in sizes]),
        "multiplicities": multiplicities,
        "poisson": np.append(poisson, 1 - poisson.sum()),
    }


# ---------------------------------------------------------------- bagged tanh perceptrons


def noisy_linear_data(num_points: int, rng: np.random.Generator, label_noise: float = 0.6) -> dict:
    """Two inputs, a linear boundary ``x1 + x2 = 0.3`` and labels flipped near it.

    The label is 1 when ``x1 + x2 - 0.3 + label_noise * z > 0`` with ``z`` standard normal, so
    no line separates the data perfectly. Returns ``{"x": (P, 2), "t": (P,) in {0, 1}}``.
    """
    x = rng.normal(0.0, 1.0, (num_points, 2))
    t = (x.sum(axis=1) - 0.3 + label_noise * rng.normal(0.0, 1.0, num_points) > 0).astype(np.float64)
    return {"x": x, "t": t}


def train_tanh_perceptron(
    x: np.ndarray, t: np.ndarray, rng: np.random.Generator, num_steps: int = 300, learning_rate: float = 0.5
) -> tuple[np.ndarray, float]:
    """Gradient descent on your ``tanh_perceptron_grads`` from small random weights; returns ``(w, theta)``."""
    from mlplab.exercises.bagging import tanh_perceptron_grads

    weights, theta = rng.normal(0.0, 0.1, x.shape[1]), 0.0
    for _ in range(num_steps):
        grad_w, grad_theta = tanh_perceptron_grads(x, t, weights, theta)
        weights = weights - learning_rate * np.asarray(grad_w)
        theta = theta - learning_rate * float(grad_theta)
    return weights, theta


def bagged_perceptrons(
    num_models: int = 25,
    num_train: int = 30,
    num_test: int = 2000,
    num_steps: int = 300,
    grid_size: int = 60,
    seed: Seed = 0,
) -> dict:
    """Bags tanh perceptrons trained on a small noisy data set and measures the terms of the bagging theorem.

    Each member is a tanh perceptron trained by gradient descent (your ``tanh_perceptron`` and
    ``tanh_perceptron_grads``) on its own bootstrap sample (your ``bag_models``) of the same
    ``num_train`` points. Errors are quadratic, on ``num_test`` fresh points.

    Returns:
        ``{"train": data, "test": data, "predictions": (K, num_test), "members": [(w, theta)],
        "mean_error", "variance", "bias_squared" (your bias_variance_decomposition),
        "bagged_error", "variance_term", "cross_term" (your bagged_error_terms),
        "num_models": (K,) 1..K, "bagged_errors": (K,) E_bag of the first k members,
        "mean_errors": (K,) <E_k> of the first k members, "grid": (G, G, 2) inputs,
        "grid_members": (K, G, G) and "grid_bagged": (G, G) outputs on the grid, "angles": (K,)
        angles in degrees between each member's weights and their mean direction, "disagreement":
        fraction of the grid on which the members do not all predict the same class}``.
    """
    from mlplab.exercises.bagging import (
        bag_models,
        bagged_error_terms,
        bagged_predictions,
        bias_variance_decomposition,
        tanh_perceptron,
    )

    rng = as_generator(seed)
    data_rng, bag_rng = np.random.default_rng(_seed_from(rng)), np.random.default_rng(_seed_from(rng))
    train, test = noisy_linear_data(num_train, data_rng), noisy_linear_data(num_test, data_rng)
    members = []

    def fit(x, t, generator):
        weights, theta = train_tanh_perceptron(x, t, generator, num_steps=num_steps)
        members.append((weights, theta))
        return lambda inputs: tanh_perceptron(inputs, weights, theta)

    models, samples = bag_models(fit, train["x"], train["t"], num_models, bag_rng)
    predictions = bagged_predictions(models, test["x"])
    mean_error, variance, bias_squared = bias_variance_decomposition(predictions, test["t"])
    bagged_error, variance_term, _, cross_term = bagged_error_terms(predictions, test["t"])
    bagged_errors = [bagged_error_terms(predictions[:k], test["t"])[0] for k in range(1, num_models + 1)]
    mean_errors = [bias_variance_decomposition(predictions[:k], test["t"])[0] for k in range(1, num_models + 1)]
    axis = np.linspace(-3, 3, grid_size)
    grid = np.stack(np.meshgrid(axis, axis), axis=-1)
    grid_members = bagged_predictions(models, grid.reshape(-1, 2)).reshape(num_models, grid_size, grid_size)
    directions = np.array([w / np.linalg.norm(w) for w, _ in members])
    mean_direction = directions.mean(axis=0) / np.linalg.norm(directions.mean(axis=0))
    classes = grid_members > 0.5
    return {
        "angles": np.degrees(np.arccos(np.clip(directions @ mean_direction, -1.0, 1.0))),
        "disagreement": float(np.mean(classes.any(axis=0) & ~classes.all(axis=0))),
        "train": train,
        "test": test,
        "samples": samples,
        "predictions": predictions,
        "members": members,
        "mean_error": mean_error,
        "variance": variance,
        "bias_squared": bias_squared,
        "bagged_error": bagged_error,
        "variance_term": variance_term,
        "cross_term": cross_term,
        "num_models": np.arange(1, num_models + 1),
        "bagged_errors": np.array(bagged_errors),
        "mean_errors": np.array(mean_errors),
        "grid": grid,
        "grid_members": grid_members,
        "grid_bagged": grid_members.mean(axis=0),
    }


# ---------------------------------------------------------------- correlated members


def correlated_ensembles(
    correlations: Sequence[float] = (0.0, 0.5, 0.9),
    max_models: int = 50,
    num_points: int = 4000,
    bias: float = 0.1,
    spread: float = 0.3,
    seed: Seed = 0,
) -> dict:
    """Synthetic ensembles whose members' errors have a chosen correlation.

    Member ``k`` predicts ``t + bias + spread * (sqrt(rho) z + sqrt(1 - rho) z_k)``, with one
    standard normal ``z`` per point shared by all members and ``z_k`` its own. So every member
    has the variance ``spread^2`` and every pair the correlation ``rho``; by the theorem
    ``E_bag = d^2 + V (rho + (1 - rho) / K)``.

    Returns:
        ``rho -> {"num_models": (max_models,) 1..max_models, "bagged_errors", "variance_terms",
        "cross_terms", "theory": each (max_models,), "bias_squared", "variance",
        "mean_correlation": mean off-diagonal entry of your error_correlations}``.
    """
    from mlplab.exercises.bagging import bagged_error_terms, bias_variance_decomposition, error_correlations

    rng = as_generator(seed)
    targets = (rng.random(num_points) < 0.5).astype(np.float64)
    results = {}
    for rho in correlations:
        shared = rng.normal(0.0, 1.0, num_points)
        own = rng.normal(0.0, 1.0, (max_models, num_points))
        predictions = targets + bias + spread * (math.sqrt(rho) * shared + math.sqrt(1 - rho) * own)
        terms = np.array([bagged_error_terms(predictions[:k], targets) for k in range(1, max_models + 1)])
        _, variance, bias_squared = bias_variance_decomposition(predictions, targets)
        correlation = error_correlations(predictions, targets)
        off_diagonal = correlation[~np.eye(max_models, dtype=bool)]
        ks = np.arange(1, max_models + 1)
        results[float(rho)] = {
            "num_models": ks,
            "bagged_errors": terms[:, 0],
            "variance_terms": terms[:, 1],
            "cross_terms": terms[:, 3],
            "bias_squared": bias_squared,
            "variance": variance,
            "theory": bias_squared + variance * (rho + (1 - rho) / ks),
            "mean_correlation": float(off_diagonal.mean()),
        }
    return results


# ---------------------------------------------------------------- bagged MLPs on MNIST


def mnist_data(num_train: int, seed: Seed = 0) -> dict:
    """``num_train`` random training digits and the 1,000 test digits of the shipped subset, pixels in [0, 1]."""

    splits = load_mnist5k()
    train, test = splits["train"], splits["test"]
    pick = as_generator(seed).permutation(len(train.targets))[:num_train]
    return {
        "train_x": train.inputs[pick].astype(np.float32) / 255.0,
        "train_y": train.targets[pick].astype(np.int64),
        "test_x": test.inputs.astype(np.float32) / 255.0,
        "test_y": test.targets.astype(np.int64),
    }


def _he_normal(shape, rng):
    return rng.normal(0.0, math.sqrt(2.0 / shape[1]), size=shape)


def _zeros(shape, rng):
    return np.zeros(shape)


def train_mlp(
    inputs: np.ndarray,
    labels: np.ndarray,
    rng: np.random.Generator,
    hidden_dim: int = 64,
    num_epochs: int = 10,
    learning_rate: float = 0.1,
    batch_size: int = 50,
):
    """A 784-``hidden_dim``-10 ReLU network trained by minibatch gradient descent; returns a function
    ``inputs -> (N, 10)`` class probabilities (softmax of the outputs)."""

    model = mlp([inputs.shape[1], hidden_dim, 10], rng=rng, weights_init=_he_normal, biases_init=_zeros)
    provider = MinibatchProvider(inputs, labels, batch_size, rng=rng)
    Trainer(model, CrossEntropySoftmaxError(), GradientDescentLearningRule(learning_rate), provider).train(
        num_epochs, progress=False
    )
    model.eval()
    return lambda x: softmax(np.asarray(model.predict(np.asarray(x, dtype=np.float32)), dtype=np.float64))


def bagged_mlps(
    num_models: int = 10,
    num_train: int = 1000,
    hidden_dim: int = 100,
    num_epochs: int = 20,
    seed: Seed = 0,
    progress: bool = True,
) -> dict:
    """Bags small MLPs on MNIST digits: test errors of members and ensembles, and the out-of-bag estimate.

    Every member is trained (``train_mlp``) on its own bootstrap sample of the same ``num_train``
    digits with your ``bag_models``; their test probabilities come from your ``bagged_predictions``.

    Returns:
        ``{"member_errors": (K,) test error rates, "bagged_errors": (K,) test error rate of the
        mean of the first k members' probabilities, "rules": {rule: test error rate of
        combine_probabilities(all members, rule)}, "oob_error": error rate of the out-of-bag
        ensemble on the training digits, "oob_coverage": fraction of training digits left out by at
        least one member, "brier": {"mean_error", "variance", "bias_squared", "bagged_error",
        "variance_term", "cross_term"} for the class probabilities against one-hot targets,
        "mean_correlation": mean off-diagonal error correlation of the members}``.
    """
    from mlplab.exercises.bagging import (
        bag_models,
        bagged_error_terms,
        bagged_predictions,
        bias_variance_decomposition,
        combine_probabilities,
        error_correlations,
        out_of_bag_mask,
    )

    rng = as_generator(seed)
    data = mnist_data(num_train, _seed_from(rng))
    bag_rng = np.random.default_rng(_seed_from(rng))
    bar = tqdm(total=num_models, desc="training members", unit="network", disable=not progress)

    def fit(x, y, generator):
        model = train_mlp(x, y, generator, hidden_dim=hidden_dim, num_epochs=num_epochs)
        bar.update(1)
        return model

    try:
        models, samples = bag_models(fit, data["train_x"], data["train_y"], num_models, bag_rng)
    finally:
        bar.close()
    probabilities = bagged_predictions(models, data["test_x"])  # (K, N, 10)
    labels = data["test_y"]
    member_errors = np.mean(probabilities.argmax(axis=-1) != labels[None, :], axis=1)
    cumulative = np.cumsum(probabilities, axis=0) / np.arange(1, num_models + 1)[:, None, None]
    bagged_errors = np.mean(cumulative.argmax(axis=-1) != labels[None, :], axis=1)
    rules = {
        rule: float(np.mean(combine_probabilities(probabilities, rule).argmax(axis=-1) != labels))
        for rule in ("mean", "geometric", "vote")
    }

    # out of bag: each training digit is classified by the members that did not see it
    train_probabilities = bagged_predictions(models, data["train_x"])
    left_out = np.stack([out_of_bag_mask(sample, num_train) for sample in samples])  # (K, n)
    votes = np.einsum("kn,knc->nc", left_out.astype(np.float64), train_probabilities)
    covered = left_out.any(axis=0)
    oob_error = float(np.mean(votes[covered].argmax(axis=-1) != data["train_y"][covered]))

    one_hot = np.eye(10)[labels].ravel()
    flat = probabilities.reshape(num_models, -1)
    mean_error, variance, bias_squared = bias_variance_decomposition(flat, one_hot)
    bagged_error, variance_term, _, cross_term = bagged_error_terms(flat, one_hot)
    correlation = error_correlations(flat, one_hot)
    return {
        "member_errors": member_errors,
        "bagged_errors": bagged_errors,
        "rules": rules,
        "oob_error": oob_error,
        "oob_coverage": float(covered.mean()),
        "brier": {
            "mean_error": mean_error,
            "variance": variance,
            "bias_squared": bias_squared,
            "bagged_error": bagged_error,
            "variance_term": variance_term,
            "cross_term": cross_term,
        },
        "mean_correlation": float(correlation[~np.eye(num_models, dtype=bool)].mean()),
        "num_models": np.arange(1, num_models + 1),
    }
