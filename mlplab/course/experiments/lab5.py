"""Experiments of Lab 5: autoencoders, denoising and pretraining.

Every function here is deterministic given its ``seed`` (an int or an
``np.random.Generator``) and returns plain data for the notebook to plot. The
functions that need your exercise code (``mlplab.exercises.autoencoders``) import it when
they run, so importing this module never runs your code.

All runs use the shipped MNIST digits (``load_mnist5k``) with pixels scaled to
``[0, 1]``, sigmoid units, Glorot-uniform weights (drawn here, not with your
Lab 1 code), zero biases and plain minibatch gradient descent. Autoencoders are
trained on the sum-of-squared-differences error by ``train_autoencoder``;
classifiers on softmax cross-entropy.

Corruptions are named by the keys of ``CORRUPTIONS`` (``"none"``,
``"gaussian 0.3"``, ``"masking 0.3"``, ``"salt and pepper 0.2"``).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial

import numpy as np

from mlplab.course.experiments import as_generator
from mlplab.course.experiments.lab3 import image_grid
from mlplab.data import MinibatchProvider, load_mnist5k
from mlplab.errors import CrossEntropySoftmaxError, SumOfSquaredDiffsError
from mlplab.layers.activations import SigmoidLayer
from mlplab.learning_rules import GradientDescentLearningRule
from mlplab.models import MultipleLayerModel, mlp
from mlplab.training import History, Trainer, train_autoencoder

Seed = int | np.random.Generator

CORRUPTIONS: dict[str, tuple[str, dict[str, float]]] = {
    "none": ("", {}),
    "gaussian 0.3": ("gaussian_corruption", {"std": 0.3}),
    "masking 0.3": ("masking_corruption", {"drop_prob": 0.3}),
    "salt and pepper 0.2": ("salt_and_pepper_corruption", {"fraction": 0.2}),
}
"""Corruption name -> (function of ``mlplab.exercises.autoencoders``, its keyword arguments)."""

__all__ = ["CORRUPTIONS", "image_grid", "glorot_uniform", "mnist_digits", "corruption", "corruption_examples",
           "train_autoencoders", "reconstruction_errors", "reconstructions", "filters", "filter_smoothness",
           "pretraining_vs_random", "tied_vs_untied"]


def glorot_uniform(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Glorot-uniform weights, ``U(-a, a)`` with ``a = sqrt(6 / (fan_in + fan_out))`` (provided here)."""
    limit = math.sqrt(6.0 / (shape[0] + shape[1]))
    return rng.uniform(-limit, limit, size=shape)


def _seed_from(rng: np.random.Generator) -> int:
    return int(rng.integers(2**63))


def mnist_digits(num_train: int = 3000, num_valid: int = 1000) -> dict[str, np.ndarray]:
    """The first ``num_train`` training and ``num_valid`` validation digits, pixels in [0, 1].

    Returns:
        ``{"train_x": (num_train, 784) float32, "train_y": int64, "valid_x", "valid_y"}``.
    """

    splits = load_mnist5k()
    train, valid = splits["train"], splits["valid"]
    if not 1 <= num_train <= len(train.targets) or not 1 <= num_valid <= len(valid.targets):
        raise ValueError(f"num_train must be in [1, {len(train.targets)}] and num_valid in [1, "
                         f"{len(valid.targets)}], got {num_train} and {num_valid}")
    return {"train_x": train.inputs[:num_train].astype(np.float32) / 255.0,
            "train_y": train.targets[:num_train].astype(np.int64),
            "valid_x": valid.inputs[:num_valid].astype(np.float32) / 255.0,
            "valid_y": valid.targets[:num_valid].astype(np.int64)}


def corruption(name: str):
    """The corruption function ``(inputs, rng) -> inputs`` called ``name`` (None for ``"none"``)."""
    if name not in CORRUPTIONS:
        raise ValueError(f"unknown corruption {name!r}; known: {list(CORRUPTIONS)}")
    function, options = CORRUPTIONS[name]
    if not function:
        return None
    import mlplab.exercises.autoencoders as exercises

    return partial(getattr(exercises, function), **options)


def corruption_examples(num_images: int = 100, seed: Seed = 0) -> dict:
    """Validation digits under every corruption, and what each corruption changed.

    Returns:
        ``{"clean": (num_images, 784), name: corrupted digits for every other corruption, "stats": {name:
        {"noise_std", "zeroed_ink", "set_to_one", "changed"}}}``: the standard deviation of the change,
        the fraction of ink pixels (> 0) set to 0, the fraction of pixels that became exactly 1 (and were
        below 1) and the fraction of pixels that changed.
    """
    rng = as_generator(seed)
    clean = mnist_digits(1, num_images)["valid_x"]
    out: dict = {"clean": clean, "stats": {}}
    ink = clean > 0
    for name in CORRUPTIONS:
        if name == "none":
            continue
        corrupted = np.asarray(corruption(name)(clean, np.random.default_rng(_seed_from(rng))))
        change = corrupted.astype(np.float64) - clean
        out[name] = corrupted
        out["stats"][name] = {
            "noise_std": float(change.std()),
            "zeroed_ink": float(np.mean(corrupted[ink] == 0)),
            "set_to_one": float(np.mean(corrupted[clean < 1] == 1)),
            "changed": float(np.mean(change != 0)),
        }
    return out


def train_autoencoders(
    corruptions: Sequence[str] = ("none", "masking 0.3"),
    *,
    code_dim: int = 64,
    num_train: int = 3000,
    num_epochs: int = 20,
    learning_rate: float = 0.5,
    batch_size: int = 50,
    seed: Seed = 0,
    progress: bool = True,
) -> dict[str, dict]:
    """Trains one 784-``code_dim``-784 sigmoid autoencoder per corruption (``"none"``: a plain autoencoder).

    Every autoencoder starts from the same weights and sees the same examples in the same order.

    Returns:
        ``{name: {"model": the trained MultipleLayerModel (in evaluation mode), "train_errors": per epoch}}``.
    """
    from tqdm.auto import tqdm

    from mlplab.exercises.autoencoders import autoencoder

    for name in corruptions:
        corruption(name)  # refuses unknown names before any training
    rng = as_generator(seed)
    init_seed, data_seed = _seed_from(rng), _seed_from(rng)
    inputs = mnist_digits(num_train)["train_x"]
    runs = {}
    for name in tqdm(corruptions, desc="autoencoders", disable=not progress):
        model = autoencoder(784, code_dim, np.random.default_rng(init_seed), weights_init=glorot_uniform)
        errors = train_autoencoder(model, inputs, np.random.default_rng(data_seed), num_epochs=num_epochs,
                                   learning_rate=learning_rate, batch_size=batch_size, corruption=corruption(name))
        runs[name] = {"model": model.eval(), "train_errors": list(errors)}
    return runs


def reconstruction_errors(models: dict[str, MultipleLayerModel], inputs: np.ndarray, seed: Seed = 0) -> dict:
    """The error of every model's reconstructions of ``inputs``, clean and under every corruption.

    The error is ``SumOfSquaredDiffsError`` between the reconstruction of the (possibly corrupted)
    inputs and the **clean** inputs; every model sees the same corrupted inputs.

    Returns:
        ``{"mean image": error of reconstructing every digit as the mean digit, model name: {corruption
        name: error}}``.
    """
    rng = as_generator(seed)
    error = SumOfSquaredDiffsError()
    corrupted = {name: (inputs if name == "none" else corruption(name)(inputs, np.random.default_rng(_seed_from(rng))))
                 for name in CORRUPTIONS}
    out: dict = {"mean image": error(np.tile(inputs.mean(axis=0), (len(inputs), 1)), inputs)}
    for model_name, model in models.items():
        model.eval()
        out[model_name] = {name: error(model.predict(x), inputs) for name, x in corrupted.items()}
    return out


def reconstructions(model: MultipleLayerModel, inputs: np.ndarray) -> np.ndarray:
    """The model's reconstructions of ``inputs`` in evaluation mode, shape of ``inputs``."""
    return model.eval().predict(inputs)


def filters(model: MultipleLayerModel, num_filters: int = 32) -> np.ndarray:
    """The first ``num_filters`` rows of the first layer's weights as 28x28 images, each scaled to [0, 1]."""
    weights = np.asarray(model.layers[0].weights[:num_filters], dtype=np.float64)
    low = weights.min(axis=1, keepdims=True)
    span = np.maximum(weights.max(axis=1, keepdims=True) - low, 1e-12)
    return ((weights - low) / span).reshape(-1, 28, 28)


def filter_smoothness(weights: np.ndarray) -> float:
    """Mean correlation between the weights of horizontally neighbouring pixels, over the filters.

    Args:
        weights: first-layer weights, shape ``(num_filters, 784)``. Only pixels away from the image
            border (rows and columns 4 to 23) are used.
    """
    images = np.asarray(weights, dtype=np.float64).reshape(-1, 28, 28)[:, 4:24, 4:24]
    left, right = images[:, :, :-1].reshape(len(images), -1), images[:, :, 1:].reshape(len(images), -1)
    left = left - left.mean(axis=1, keepdims=True)
    right = right - right.mean(axis=1, keepdims=True)
    corr = (left * right).sum(axis=1) / np.sqrt((left**2).sum(axis=1) * (right**2).sum(axis=1))
    return float(np.mean(corr))


def pretraining_vs_random(
    *,
    num_labelled: int = 200,
    code_dims: Sequence[int] = (256, 64),
    num_unlabelled: int = 3000,
    pretrain_epochs: int = 5,
    finetune_epochs: int = 50,
    learning_rate: float = 0.1,
    pretrain_corruption: str = "masking 0.3",
    seed: Seed = 0,
    progress: bool = True,
) -> dict:
    """Pretrained versus randomly initialised classifiers, trained on few labelled digits.

    A stack of (denoising) autoencoders is pretrained by your ``pretrain_stack`` on ``num_unlabelled``
    training digits *without* their labels; your ``pretrained_classifier`` turns the encoders into a
    ``784-code_dims-10`` sigmoid classifier. A network of the same shape with Glorot-uniform weights is
    the baseline. Both are then trained on the same ``num_labelled`` labelled digits (batches of 20, same
    order, same output-layer initialisation seed), for the same number of epochs, and validated on 1,000
    validation digits.

    Returns:
        ``{"pretrained": {"history": History, "model": ...}, "random": {...}, "labelled": indices}``.
    """
    from mlplab.exercises.autoencoders import autoencoder, pretrain_stack, pretrained_classifier

    rng = as_generator(seed)
    pretrain_seed, label_seed, init_seed, data_seed = (_seed_from(rng) for _ in range(4))
    digits = mnist_digits(max(num_unlabelled, num_labelled))
    unlabelled = digits["train_x"][:num_unlabelled]
    pretrained = pretrain_stack(unlabelled, list(code_dims), np.random.default_rng(pretrain_seed),
                                build=partial(autoencoder, weights_init=glorot_uniform),
                                num_epochs=pretrain_epochs, learning_rate=0.5,
                                corruption=corruption(pretrain_corruption))
    labelled = np.random.default_rng(label_seed).permutation(len(digits["train_y"]))[:num_labelled]
    valid = MinibatchProvider(digits["valid_x"], digits["valid_y"], 500, shuffle=False)
    models = {
        "pretrained": pretrained_classifier(pretrained, 10, np.random.default_rng(init_seed),
                                            weights_init=glorot_uniform),
        "random": mlp([784, *code_dims, 10], SigmoidLayer, rng=np.random.default_rng(init_seed),
                      weights_init=glorot_uniform),
    }
    out: dict = {"labelled": labelled}
    for name, model in models.items():
        train = MinibatchProvider(digits["train_x"][labelled], digits["train_y"][labelled], 20,
                                  rng=np.random.default_rng(data_seed))
        trainer = Trainer(model, CrossEntropySoftmaxError(), GradientDescentLearningRule(learning_rate), train, valid)
        history: History = trainer.train(finetune_epochs, progress=progress)
        out[name] = {"history": history, "model": model}
    return out


def tied_vs_untied(
    *,
    code_dim: int = 64,
    num_train: int = 3000,
    num_epochs: int = 20,
    learning_rate: float = 0.5,
    batch_size: int = 50,
    seed: Seed = 0,
    progress: bool = True,
) -> dict:
    """A tied-weights and an untied 784-``code_dim``-784 sigmoid autoencoder, trained alike.

    The untied one is your ``autoencoder``, the tied one your ``tied_autoencoder``: both start
    from the same Glorot-uniform encoder weights (the untied decoder gets its own), see the same
    examples in the same order and are trained for the same number of epochs. Their reconstruction
    error (``SumOfSquaredDiffsError``) is measured on 1,000 validation digits they never saw.

    Returns:
        ``{"untied": run, "tied": run}`` with ``run = {"model": trained model (evaluation mode),
        "num_weights": number of entries of its weight matrices, "num_params": all parameters,
        "train_errors": per epoch, "valid_error": float}``.
    """
    from tqdm.auto import tqdm

    from mlplab.exercises.autoencoders import autoencoder, tied_autoencoder

    rng = as_generator(seed)
    init_seed, data_seed = _seed_from(rng), _seed_from(rng)
    digits = mnist_digits(num_train)
    error = SumOfSquaredDiffsError()
    out: dict = {}
    for name, build in tqdm((("untied", autoencoder), ("tied", tied_autoencoder)), desc="tied vs untied",
                            disable=not progress):
        model = build(784, code_dim, np.random.default_rng(init_seed), weights_init=glorot_uniform)
        errors = train_autoencoder(model, digits["train_x"], np.random.default_rng(data_seed), num_epochs=num_epochs,
                                   learning_rate=learning_rate, batch_size=batch_size)
        model.eval()
        weights = {id(p): p.size for p in model.params if np.ndim(p) == 2}
        out[name] = {"model": model, "num_weights": int(sum(weights.values())),
                     "num_params": int(sum(np.size(p) for p in model.params)),
                     "train_errors": list(errors), "valid_error": float(error(model.predict(digits["valid_x"]),
                                                                             digits["valid_x"]))}
    return out
