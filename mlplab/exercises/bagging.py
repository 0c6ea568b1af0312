# Your file for tasks 4.1, 4.2, 4.3, 4.4, 4.5, 4.6, 4.7: replace each `raise NotImplementedError(...)`
# with your implementation. Check it with mlplab.check("lab4").
"""Bagging: bootstrap samples, ensembles and the bagging theorem (Lab 4, tasks 4.1-4.7).

Conventions shared by the functions here:

* Every random number is drawn from the generator ``rng`` (an
  ``np.random.Generator``) that is passed in, never from ``np.random.*``: the
  same seed always gives the same samples, and numpy's global random state is
  left alone.
* ``predictions`` of an ensemble have shape ``(K, P)``: row ``k`` holds the
  outputs ``y_k^mu`` of member ``k`` on the ``P`` data points, and ``targets``
  has shape ``(P,)``. The **signed mismatch** (error) of member ``k`` on point
  ``mu`` is ``delta_k^mu = t^mu - y_k^mu``.
* Every average is a plain mean (divide by the number of terms: ``P``, ``K``
  or ``K * P``), never an "unbiased" ``n - 1`` estimate.
* Numbers are returned as Python floats, arrays as new float64 arrays; the
  inputs are not modified.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def bootstrap_indices(num_examples: int, rng: np.random.Generator) -> np.ndarray:
    """The indices of one bootstrap sample: ``num_examples`` draws *with replacement*.

    Each of the ``n = num_examples`` indices is drawn independently and
    uniformly from ``{0, 1, ..., n - 1}``, so an example can be drawn several
    times and, on average, a fraction ``(1 - 1/n)^n ~ 1/e ~ 0.37`` of the
    examples is not drawn at all (those are *out of bag*).

    Args:
        num_examples: ``n``, the size of the data set (and of the sample), an int ``>= 1``.
        rng: the generator to draw from (e.g. ``rng.integers(0, n, size=n)``).

    Returns:
        int64 array of shape ``(n,)`` with entries in ``[0, n)``, in the order drawn.
    """
    raise NotImplementedError(
        "Lab 4, task 4.1: implement bootstrap_indices (Bootstrap samples and out-of-bag examples)"
    )


def out_of_bag_mask(indices: np.ndarray, num_examples: int) -> np.ndarray:
    """Which examples a bootstrap sample left out.

    Args:
        indices: the sample, an int array of shape ``(m,)`` with entries in ``[0, num_examples)``.
        num_examples: the size ``n`` of the data set.

    Returns:
        bool array of shape ``(num_examples,)``: True for every example whose
        index does **not** occur in ``indices`` (it is out of bag).
    """
    raise NotImplementedError("Lab 4, task 4.1: implement out_of_bag_mask (Bootstrap samples and out-of-bag examples)")


def tanh_perceptron(inputs: np.ndarray, weights: np.ndarray, theta: float) -> np.ndarray:
    """Outputs of the tanh perceptron ``y = 0.5 * [1 + tanh(a)]`` with ``a = w . x - theta``.

    The outputs lie in ``(0, 1)``; the decision boundary ``a = 0`` is the
    hyperplane ``w . x = theta`` (``theta`` is a threshold, subtracted).

    Args:
        inputs: ``x``, shape ``(P, D)``, one row per data point.
        weights: ``w``, shape ``(D,)``.
        theta: the threshold, a float.

    Returns:
        ``y``, float64 array of shape ``(P,)``.
    """
    raise NotImplementedError(
        "Lab 4, task 4.2: implement tanh_perceptron (Tanh perceptron and the gradient of its quadratic error)"
    )


def tanh_perceptron_grads(
    inputs: np.ndarray, targets: np.ndarray, weights: np.ndarray, theta: float
) -> tuple[np.ndarray, float]:
    """Gradient of the quadratic error of the tanh perceptron.

    The error is the mean over the ``P`` points of the squared mismatch,
    ``E = (1/P) sum_mu (t^mu - y^mu)^2``, with ``y = 0.5 * [1 + tanh(a)]`` and
    ``a = w . x - theta`` as in ``tanh_perceptron``. By the chain rule,
    ``dE/dw = (1/P) sum_mu dE^mu/dy * dy/da * da/dw``, where
    ``dy/da = 0.5 * (1 - tanh(a)^2)``, ``da/dw = x`` and ``da/dtheta = -1``.

    Args:
        inputs: ``x``, shape ``(P, D)``.
        targets: ``t``, shape ``(P,)``.
        weights: ``w``, shape ``(D,)``.
        theta: the threshold, a float.

    Returns:
        ``(dE/dw, dE/dtheta)``: a float64 array of shape ``(D,)`` and a float.
    """
    raise NotImplementedError(
        "Lab 4, task 4.2: implement tanh_perceptron_grads (Tanh perceptron and the gradient of its quadratic error)"
    )


def bag_models(
    train: Callable[[np.ndarray, np.ndarray, np.random.Generator], Callable],
    inputs: np.ndarray,
    targets: np.ndarray,
    num_models: int,
    rng: np.random.Generator,
) -> tuple[list, np.ndarray]:
    """Trains ``K = num_models`` models, each on its own bootstrap sample of the data (steps 1-3 of bagging).

    For ``k = 0, ..., K - 1``, in this order: draw a bootstrap sample of the
    ``n`` examples with your ``bootstrap_indices(n, rng)``, then call
    ``train(inputs[sample], targets[sample], rng)`` to get model ``k``. The
    same generator ``rng`` is used for the samples and is passed to ``train``
    (which may use it, e.g. for the initial weights), so the whole ensemble
    is reproducible from one seed.

    Args:
        train: a function ``(inputs, targets, rng) -> model``; a model is a
            callable ``model(inputs) -> outputs``.
        inputs: array of shape ``(n, ...)``, one example per row.
        targets: array of shape ``(n, ...)``.
        num_models: ``K >= 1``.
        rng: the generator every random number comes from.

    Returns:
        ``(models, samples)``: the list of the ``K`` trained models and an int64
        array of shape ``(K, n)`` whose row ``k`` is the bootstrap sample model ``k``
        was trained on.
    """
    raise NotImplementedError("Lab 4, task 4.3: implement bag_models (Training and running a bagged ensemble)")


def bagged_predictions(models: Sequence[Callable], inputs: np.ndarray) -> np.ndarray:
    """The outputs of every member of an ensemble on the same inputs (step 4 of bagging).

    The bagged output is then the mean over the first axis,
    ``bagged_predictions(models, x).mean(axis=0)`` (step 5).

    Args:
        models: ``K`` callables, ``model(inputs) -> outputs`` of shape ``(N, ...)``.
        inputs: array of shape ``(N, ...)``.

    Returns:
        float64 array of shape ``(K, N, ...)``: entry ``[k]`` is ``models[k](inputs)``.
    """
    raise NotImplementedError("Lab 4, task 4.3: implement bagged_predictions (Training and running a bagged ensemble)")


def bias_variance_decomposition(predictions: np.ndarray, targets: np.ndarray) -> tuple[float, float, float]:
    """The typical error of one member split into variance and squared bias: ``<E_k> = V + d^2``.

    With the signed mismatches ``delta_k^mu = t^mu - y_k^mu`` (shape ``(K, P)``):

    * ``E_k = (1/P) sum_mu (delta_k^mu)^2`` is the quadratic error of member
      ``k``, and ``<E_k> = (1/K) sum_k E_k`` the average over members;
    * ``d = (1/(K P)) sum_k sum_mu delta_k^mu`` is the average signed mismatch
      (the bias; the lecture assumes every member has the same average
      mismatch, and then ``d`` is that common value);
    * ``eps_k^mu = delta_k^mu - d`` are the mismatches shifted to mean zero, and
      ``V = (1/(K P)) sum_k sum_mu (eps_k^mu)^2`` is their variance.

    Then ``<E_k> = V + d^2`` holds exactly, whatever the predictions.

    Args:
        predictions: ``y_k^mu``, shape ``(K, P)``.
        targets: ``t^mu``, shape ``(P,)``.

    Returns:
        ``(mean_error, variance, bias_squared)`` = ``(<E_k>, V, d^2)``, three floats.
    """
    raise NotImplementedError(
        "Lab 4, task 4.4: implement bias_variance_decomposition (Average member error as variance plus squared bias)"
    )


def bagged_error_terms(predictions: np.ndarray, targets: np.ndarray) -> tuple[float, float, float, float]:
    """The error of the bagged output and its three parts: ``E_bag = V/K + d^2 + C``.

    The bagged output is the mean prediction ``y_bag^mu = (1/K) sum_k y_k^mu``
    and its error ``E_bag = (1/P) sum_mu (t^mu - y_bag^mu)^2``. With ``d``,
    ``eps_k^mu`` and ``V`` as in ``bias_variance_decomposition``, the cross
    term collects the products of *different* members' shifted mismatches,

        ``C = (1/P) sum_mu (1/K^2) sum_k sum_{m != k} eps_k^mu eps_m^mu``,

    and ``E_bag = V/K + d^2 + C`` holds exactly. For uncorrelated members
    ``C`` is about 0 and averaging divides the variance by ``K``.

    Args:
        predictions: ``y_k^mu``, shape ``(K, P)``.
        targets: ``t^mu``, shape ``(P,)``.

    Returns:
        ``(bagged_error, variance_term, bias_squared, cross_term)`` =
        ``(E_bag, V/K, d^2, C)``, four floats.
    """
    raise NotImplementedError(
        "Lab 4, task 4.5: implement bagged_error_terms (Bagged error: variance over K, squared bias, cross term)"
    )


def error_correlations(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """How alike the members' mistakes are: the correlations of their shifted mismatches.

    With ``eps_k^mu = delta_k^mu - d`` as in ``bias_variance_decomposition``
    (shifted by the *common* mean ``d``), let
    ``c_km = (1/P) sum_mu eps_k^mu eps_m^mu``. The correlation of members ``k``
    and ``m`` is ``rho_km = c_km / sqrt(c_kk c_mm)``: 1 on the diagonal,
    near 0 for members whose mistakes are unrelated, near 1 for members
    that make the same mistakes. If all members have the variance ``V`` and
    every pair the correlation ``rho``, then ``E_bag = d^2 + V (rho + (1 - rho) / K)``:
    the correlation limits what averaging can gain.

    Args:
        predictions: ``y_k^mu``, shape ``(K, P)``; no member's ``c_kk`` is 0.
        targets: ``t^mu``, shape ``(P,)``.

    Returns:
        float64 array of shape ``(K, K)``, symmetric, with ones on the diagonal.
    """
    raise NotImplementedError(
        "Lab 4, task 4.6: implement error_correlations (Correlations between the members' errors)"
    )


COMBINATION_RULES = ("mean", "geometric", "vote")


def combine_probabilities(probabilities: np.ndarray, rule: str) -> np.ndarray:
    """Combines the class probabilities of ``K`` classifiers into one distribution per example.

    ``probabilities[k, n]`` is member ``k``'s distribution over the ``C``
    classes for example ``n`` (non-negative, summing to 1). The rules:

    * ``"mean"``: the arithmetic mean ``(1/K) sum_k p_k`` (bagging's average);
    * ``"geometric"``: the geometric mean ``(prod_k p_k)^(1/K)``, renormalised
      so that every row sums to 1 (the average that weight scaling approximates
      for a dropout network's sub-networks); compute it through the mean of the
      logarithms; the probabilities given are all positive;
    * ``"vote"``: majority vote: each member votes for its most probable class
      (``argmax``; on ties, the first of them), and the result is the fraction
      of the ``K`` votes each class received.

    The predicted class is the ``argmax`` of the combined distribution.

    Args:
        probabilities: shape ``(K, N, C)``.
        rule: one of ``"mean"``, ``"geometric"``, ``"vote"``.

    Returns:
        float64 array of shape ``(N, C)`` whose rows sum to 1.

    Raises:
        ValueError: for any other ``rule``, naming the valid ones.
    """
    raise NotImplementedError(
        "Lab 4, task 4.7: implement combine_probabilities (Averaging, geometric mean and majority vote of classifiers)"
    )
