# Your file for tasks 1.1, 1.2, 1.3, 1.4, 1.5, 1.6: replace each `raise NotImplementedError(...)`
# with your implementation. Check it with mlplab.check("lab1").
"""Weight and bias initialisers (Lab 1, tasks 1.1-1.6).

Conventions used by every weight initialiser here:

* A weight matrix has shape ``(output_dim, input_dim)`` (``AffineLayer``
  computes ``inputs @ W.T``), so for ``shape = (n_out, n_in)`` the fan-in is
  ``n_in = shape[1]`` (the number of inputs feeding each unit) and the fan-out
  is ``n_out = shape[0]``.
* ``rng`` is an ``np.random.Generator`` (make one with
  ``np.random.default_rng(seed)``). Draw every random number from it, e.g.
  ``rng.uniform(low, high, size=shape)`` or ``rng.normal(loc, scale, size=shape)``,
  never from the ``np.random.*`` functions, so that the same seed always gives
  the same weights and numpy's global random state is left alone.
* The result is a float64 array of exactly ``shape``.
* ``check_shape`` and ``check_rng`` (provided below) turn bad arguments into
  clear errors; call them first.

For a zero-mean distribution the variance is the mean square: ``U(-a, a)``
has variance ``a**2 / 3`` and ``N(0, s**2)`` (``rng.normal(0, s)``, where ``s``
is the *standard deviation*) has variance ``s**2``.
"""

from __future__ import annotations

import numpy as np

from mlplab.validation import check_rng, check_shape


def fanin_uniform(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Fan-in uniform initialisation: variance ``1 / n_in``.

    Each entry is drawn independently from the uniform distribution
    ``U(-sqrt(3 / n_in), sqrt(3 / n_in))``, whose variance is ``1 / n_in``, so
    that a linear unit keeps the variance of its inputs:
    ``Var(y) = n_in * Var(w) * Var(x) = Var(x)``.

    Args:
        shape: ``(n_out, n_in)`` = ``(output_dim, input_dim)``; the fan-in is ``shape[1]``.
        rng: the ``np.random.Generator`` every random number is drawn from.

    Returns:
        float64 array of shape ``shape``.

    Raises:
        ValueError: if ``shape`` is not a pair of positive ints (``check_shape``).
        TypeError: if ``rng`` is not an ``np.random.Generator`` (``check_rng``).
    """
    raise NotImplementedError("Lab 1, task 1.1: implement fanin_uniform (Fan-in uniform initialisation)")


def glorot_uniform(shape: tuple[int, int], rng: np.random.Generator, gain: float = 1.0) -> np.ndarray:
    """Glorot (Xavier) uniform initialisation: variance ``gain**2 * 2 / (n_in + n_out)``.

    Each entry is drawn independently from ``U(-a, a)`` with
    ``a = gain * sqrt(6 / (n_in + n_out))``. Since ``U(-a, a)`` has variance
    ``a**2 / 3``, the variance is ``gain**2 * 2 / (n_in + n_out)``: Glorot and
    Bengio's compromise between ``1 / n_in`` (keeps the forward signal) and
    ``1 / n_out`` (keeps the backward gradients).

    Args:
        shape: ``(n_out, n_in)`` = ``(output_dim, input_dim)``.
        rng: the ``np.random.Generator`` every random number is drawn from.
        gain: multiplies the weights (so the variance by ``gain**2``); default 1.

    Returns:
        float64 array of shape ``shape``.

    Raises:
        ValueError: if ``shape`` is not a pair of positive ints (``check_shape``).
        TypeError: if ``rng`` is not an ``np.random.Generator`` (``check_rng``).
    """
    raise NotImplementedError("Lab 1, task 1.2: implement glorot_uniform (Glorot uniform initialisation)")


def glorot_normal(shape: tuple[int, int], rng: np.random.Generator, gain: float = 1.0) -> np.ndarray:
    """Glorot (Xavier) normal initialisation: variance ``gain**2 * 2 / (n_in + n_out)``.

    Each entry is drawn independently from the normal distribution with mean 0
    and *standard deviation* ``gain * sqrt(2 / (n_in + n_out))``, i.e.
    ``N(0, gain**2 * 2 / (n_in + n_out))``. (``rng.normal(loc, scale)`` takes
    the standard deviation as ``scale``, not the variance.)

    Args:
        shape: ``(n_out, n_in)`` = ``(output_dim, input_dim)``.
        rng: the ``np.random.Generator`` every random number is drawn from.
        gain: multiplies the weights (so the variance by ``gain**2``); default 1.

    Returns:
        float64 array of shape ``shape``.

    Raises:
        ValueError: if ``shape`` is not a pair of positive ints (``check_shape``).
        TypeError: if ``rng`` is not an ``np.random.Generator`` (``check_rng``).
    """
    raise NotImplementedError("Lab 1, task 1.3: implement glorot_normal (Glorot normal initialisation)")


def he_normal(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """He (Kaiming) normal initialisation for ReLU units: variance ``2 / n_in``.

    Each entry is drawn independently from the normal distribution with mean 0
    and standard deviation ``sqrt(2 / n_in)``, i.e. ``N(0, 2 / n_in)``. A ReLU
    zeroes about half of its inputs, which halves the variance of what it
    passes on; the factor 2 makes up for that.

    Args:
        shape: ``(n_out, n_in)`` = ``(output_dim, input_dim)``; the fan-in is ``shape[1]``.
        rng: the ``np.random.Generator`` every random number is drawn from.

    Returns:
        float64 array of shape ``shape``.

    Raises:
        ValueError: if ``shape`` is not a pair of positive ints (``check_shape``).
        TypeError: if ``rng`` is not an ``np.random.Generator`` (``check_rng``).
    """
    raise NotImplementedError("Lab 1, task 1.4: implement he_normal (He normal initialisation)")


def orthogonal(shape: tuple[int, int], rng: np.random.Generator, gain: float = 1.0) -> np.ndarray:
    """Orthogonal initialisation via the singular value decomposition, uniformly distributed.

    1. Draw a matrix ``A`` of shape ``shape`` with independent standard normal
       entries from ``rng``.
    2. Take its reduced SVD, ``A = U @ diag(s) @ Vt`` with
       ``np.linalg.svd(A, full_matrices=False)``: for ``shape = (n_out, n_in)``
       and ``k = min(n_out, n_in)``, ``U`` has shape ``(n_out, k)`` with
       orthonormal columns and ``Vt`` has shape ``(k, n_in)`` with orthonormal rows.
    3. Return ``gain * (U @ Vt)``, of shape ``shape`` (the *polar factor* of
       ``A``, the orthogonal matrix nearest to it): ``W @ W.T = gain**2 * I``
       when ``n_out <= n_in``, ``W.T @ W = gain**2 * I`` when ``n_out >= n_in``.

    Why not ``U`` or ``Vt`` alone, when one of them has the right shape? LAPACK
    fixes the signs of the singular vectors by a convention, so ``U`` alone is
    not *uniformly* distributed over the orthogonal matrices: every 2x2 ``U``
    is a reflection (determinant -1), and its entries' means are not 0.
    ``U @ Vt`` does not depend on those signs (flipping a column of ``U`` flips
    the same row of ``Vt``), and since ``A``'s distribution is unchanged by
    rotations, so is ``U @ Vt``'s: it is uniformly distributed (the same
    distribution as ``torch.nn.init.orthogonal_``, which uses a QR
    decomposition with a sign correction).

    The singular values ``s`` are discarded: every singular value of the result is ``gain``.

    Args:
        shape: ``(n_out, n_in)`` = ``(output_dim, input_dim)``.
        rng: the ``np.random.Generator`` every random number is drawn from.
        gain: multiplies the orthogonal matrix; default 1.

    Returns:
        float64 array of shape ``shape`` whose rows (if ``n_out <= n_in``) or
        columns (if ``n_out >= n_in``) are orthogonal with norm ``gain``.

    Raises:
        ValueError: if ``shape`` is not a pair of positive ints (``check_shape``).
        TypeError: if ``rng`` is not an ``np.random.Generator`` (``check_rng``).
    """
    raise NotImplementedError("Lab 1, task 1.5: implement orthogonal (Orthogonal initialisation via the SVD)")


def log_prior_biases(targets: np.ndarray, num_classes: int | None = None) -> np.ndarray:
    """Output biases equal to the log prior probabilities of the classes.

    With these biases (and zero output weights) a softmax output layer predicts
    the class frequencies of the training set, ``softmax(b)_k = p_k``, instead
    of the uniform ``1 / K``. The bias of class ``k`` is

        ``b_k = log(p_k)``,  ``p_k = (number of examples of class k) / N``.

    Args:
        targets: the training targets, either integer class labels of shape
            ``(N,)`` with values in ``0 .. K-1``, or one-hot vectors of shape
            ``(N, K)`` (one row per example, a single 1 per row; any numeric dtype).
        num_classes: ``K``. If None: ``targets.shape[1]`` for one-hot targets and
            ``max(label) + 1`` for labels. For one-hot targets it must equal
            ``targets.shape[1]`` if given.

    Returns:
        float64 array of shape ``(K,)``: ``log`` of the fraction of examples in each class.

    Raises:
        ValueError: if a class has no examples (its log prior would be ``-inf``);
            the message names the class, e.g. ``"class 3 has no examples"``.
            Also if ``targets`` is not 1-D or 2-D, or ``num_classes`` does not fit.
    """
    raise NotImplementedError("Lab 1, task 1.6: implement log_prior_biases (Output biases as log class priors)")
