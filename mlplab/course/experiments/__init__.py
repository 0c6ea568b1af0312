"""Experiments behind the lab notebooks, one module per lab (``mlplab.course.experiments.lab1``, ...).

This is provided code, not an exercise. Each experiment is a function that
takes its sizes and a seed (an ``int`` or an ``np.random.Generator``) and
returns plain data: dicts of numbers and numpy arrays, or training
``History`` objects. The notebooks plot what the functions return with
``mlplab.plotting``, and ``tests/test_<lab>_claims.py`` asserts every claim a
notebook makes by calling the same functions.

Experiments import the exercise modules (the code you write) inside the
function that needs them, so importing this package never runs your code.

While a notebook is autograded the environment variable ``MLPLAB_GRADING=1``
is set; notebooks then pick small sizes with :func:`budget` so that the whole
notebook runs in a few seconds.
"""

from __future__ import annotations

import os
from typing import TypeVar

import numpy as np

GRADING_ENV = "MLPLAB_GRADING"
"""The environment variable the autograder sets while it executes a notebook."""

T = TypeVar("T")


def grading_run() -> bool:
    """True while the autograder executes the notebook (``MLPLAB_GRADING`` set, and not ``0``)."""
    return os.environ.get(GRADING_ENV, "").strip() not in ("", "0")


def budget(normal: T, grading: T) -> T:
    """``grading`` during an autograding run, ``normal`` otherwise.

    Example: ``num_epochs = budget(10, 2)``.
    """
    return grading if grading_run() else normal


def as_generator(seed: int | np.random.Generator | None) -> np.random.Generator:
    """A ``np.random.Generator`` from an int seed (or the generator itself, passed through).

    Raises:
        TypeError: for anything else (the experiments never use numpy's global random state).
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.default_rng(int(seed))
    raise TypeError(f"expected an int seed or an np.random.Generator, got {type(seed).__name__}")


__all__ = ["GRADING_ENV", "grading_run", "budget", "as_generator"]
