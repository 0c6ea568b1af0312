"""Argument checks shared by the exercises: each turns a bad argument into an error naming it.

The exercise functions call these first (``n_out, n_in = check_shape(shape)``), so that a
wrong argument fails with the same clear message in a student's code and in the reference.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def check_shape(shape) -> tuple[int, int]:
    """The weight shape as a tuple of two Python ints ``(n_out, n_in)``.

    Raises:
        ValueError: if ``shape`` is not a pair of positive integers.
    """
    try:
        dims = tuple(shape)
    except TypeError:
        raise ValueError(f"shape must be a pair (output_dim, input_dim), got {shape!r}") from None
    if len(dims) != 2 or not all(isinstance(d, numbers.Integral) and not isinstance(d, bool) and d > 0 for d in dims):
        raise ValueError(f"shape must be a pair of positive integers (output_dim, input_dim), got {shape!r}")
    return int(dims[0]), int(dims[1])


def check_rng(rng) -> np.random.Generator:
    """``rng`` itself, if it is an ``np.random.Generator``.

    Raises:
        TypeError: for anything else (e.g. an int seed or the legacy ``np.random.RandomState``).
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be an np.random.Generator, got {type(rng).__name__}; make one with np.random.default_rng(seed)"
        )
    return rng


def check_incl_prob(incl_prob) -> float:
    """``incl_prob`` as a float, if it is a probability in ``(0, 1]``.

    Raises:
        ValueError: for 0, negative numbers, numbers above 1, NaN and non-numbers.
    """
    if not isinstance(incl_prob, numbers.Real) or isinstance(incl_prob, bool) or not 0 < incl_prob <= 1:
        raise ValueError(f"incl_prob is the probability of KEEPING a unit and must be in (0, 1], got {incl_prob!r}")
    return float(incl_prob)


def check_images(images, what: str = "images") -> np.ndarray:
    """``images`` as an array, if it has shape ``(batch_size, height, width)``.

    Raises:
        ValueError: for any other number of axes (e.g. flattened images of shape ``(batch_size, 784)``).
    """
    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(
            f"{what} must have shape (batch_size, height, width), got {images.shape}; "
            "reshape flattened images first, e.g. images.reshape(-1, 28, 28)"
        )
    return images


def as_matrix(inputs, what: str) -> np.ndarray:
    """``inputs`` as a float64 array of shape ``(N, D)``, or a ValueError saying what is wrong."""
    array = np.asarray(inputs, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"{what} must have shape (num_examples, num_features), got shape {array.shape}")
    return array


def check_hyperparameter(
    name: str, value, low: float, high: float, *, low_open: bool = False, high_open: bool = True
) -> float:
    """``value`` as a float if it lies in the interval from ``low`` to ``high``.

    Args:
        low_open, high_open: whether the interval excludes ``low`` (``high``).

    Raises:
        ValueError: naming the hyper-parameter, its allowed range and the value given.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
        raise ValueError(f"{name} must be a number, got {value!r}")
    value = float(value)
    above = value > low if low_open else value >= low
    below = value < high if high_open else value <= high
    if not (above and below):
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValueError(f"{name} must be in {interval}, got {value!r}")
    return value


def check_epoch(epoch) -> int:
    """``epoch`` as an int, or a ValueError unless it is an integer ``>= 0``."""
    if isinstance(epoch, bool) or not isinstance(epoch, numbers.Integral) or epoch < 0:
        raise ValueError(f"epoch must be an integer >= 0 (epochs count from 0), got {epoch!r}")
    return int(epoch)


def check_patience(patience) -> int:
    """``patience`` as an int, or a ValueError unless it is an integer ``>= 1`` (early stopping, Lab 3)."""
    if isinstance(patience, bool) or not isinstance(patience, numbers.Integral) or patience < 1:
        raise ValueError(f"patience must be an integer >= 1 (epochs without improvement), got {patience!r}")
    return int(patience)


def check_schedule_arguments(
    *,
    initial_rate: float,
    drop_factor: float | None = None,
    epochs_per_drop: int | None = None,
    decay_rate: float | None = None,
    num_epochs: int | None = None,
    warmup_epochs: int | None = None,
    final_rate: float | None = None,
) -> None:
    """raises a ValueError naming the first schedule argument out of its range."""
    check_hyperparameter("initial_rate", initial_rate, 0.0, math.inf, low_open=True)
    if drop_factor is not None:
        check_hyperparameter("drop_factor", drop_factor, 0.0, 1.0, low_open=True, high_open=False)
    if decay_rate is not None:
        check_hyperparameter("decay_rate", decay_rate, 0.0, math.inf)
    if final_rate is not None:
        check_hyperparameter("final_rate", final_rate, 0.0, float(initial_rate), high_open=False)
    for name, value, low in (
        ("epochs_per_drop", epochs_per_drop, 1),
        ("warmup_epochs", warmup_epochs, 0),
        ("num_epochs", num_epochs, (warmup_epochs or 0) + 1),
    ):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
