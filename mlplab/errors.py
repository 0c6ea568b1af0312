"""Error (loss) functions and the softmax.

An error object is called as ``error(outputs, targets) -> float`` to get the
error averaged over the batch, and ``error.grad(outputs, targets)`` gives
``dE/d(outputs)`` with the shape and dtype of ``outputs``.

``outputs`` and ``targets`` have the same shape ``(batch_size, output_dim)``;
for classification the targets are one-hot rows.
"""

from __future__ import annotations

import numpy as np


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis``: ``exp(x_k) / sum_j exp(x_j)``.

    Computed as ``exp(x - max(x))`` normalised, so ``exp`` never overflows.
    Float inputs keep their dtype; other inputs are converted to float64.

    Args:
        x: array, e.g. ``(batch_size, num_classes)`` logits.
        axis: the axis that sums to one.

    Returns:
        Probabilities of the shape of ``x``.
    """
    shifted = _minus_max(x, axis)
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=axis, keepdims=True)
    return shifted


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Logarithm of the softmax along ``axis``: ``x_k - log(sum_j exp(x_j))``.

    Computed as ``(x - m) - log(sum_j exp(x_j - m))`` with ``m = max(x)``,
    which neither overflows nor takes the log of zero.

    Args:
        x: array, e.g. ``(batch_size, num_classes)`` logits.
        axis: the axis of the classes.

    Returns:
        Log-probabilities of the shape of ``x``.
    """
    shifted = _minus_max(x, axis)
    shifted -= np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    return shifted


def _minus_max(x: np.ndarray, axis: int) -> np.ndarray:
    """A new float array ``x - max(x, axis)`` (its largest entry along ``axis`` is 0)."""
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    # For finite x, x - max(x) overflows only when the true difference is below
    # the most negative float; -inf is then the right answer (exp gives 0).
    with np.errstate(over="ignore"):
        return x - x.max(axis=axis, keepdims=True)


def _check_shapes(error: object, outputs: np.ndarray, targets: np.ndarray) -> None:
    if outputs.ndim != 2 or targets.shape != outputs.shape:
        raise ValueError(
            f"{type(error).__name__} expects outputs of shape (batch_size, output_dim) and "
            f"targets of the same shape (one-hot rows for classification), got outputs "
            f"{outputs.shape} and targets {targets.shape}"
        )


class CrossEntropySoftmaxError:
    """Cross-entropy of the softmax of the outputs, averaged over the batch.

    ``E = -(1/N) sum_n sum_k t_nk log softmax(y_n)_k`` for outputs (logits)
    ``y`` and one-hot targets ``t`` of shape ``(N, K)``. The softmax is part
    of the error, so the model's last layer should output raw logits.
    """

    def __call__(self, outputs: np.ndarray, targets: np.ndarray) -> float:
        """The error ``E`` (a Python float).

        Args:
            outputs: logits, shape ``(batch_size, num_classes)``.
            targets: one-hot targets, shape ``(batch_size, num_classes)``.
        """
        _check_shapes(self, outputs, targets)
        return float(-np.sum(targets * log_softmax(outputs)) / outputs.shape[0])

    def grad(self, outputs: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """``dE/d(outputs) = (softmax(y) - t) / N``, with the shape and dtype of ``outputs``.

        Args:
            outputs: logits, shape ``(batch_size, num_classes)``.
            targets: one-hot targets, shape ``(batch_size, num_classes)``.
        """
        _check_shapes(self, outputs, targets)
        grads = softmax(outputs)
        grads -= targets
        grads /= outputs.shape[0]
        return grads

    def __repr__(self) -> str:
        return "CrossEntropySoftmaxError()"


class SumOfSquaredDiffsError:
    """Half the sum of squared differences, averaged over the batch (mlpractical's convention).

    ``E = (1/N) sum_n 0.5 * sum_k (y_nk - t_nk)**2`` for outputs ``y`` and
    targets ``t`` of shape ``(N, K)``. Note: this is *not* the mean over all
    ``N * K`` elements; it is the per-example sum, halved, then averaged over
    the ``N`` examples, which makes the gradient simply ``(y - t) / N``.
    """

    def __call__(self, outputs: np.ndarray, targets: np.ndarray) -> float:
        """The error ``E`` (a Python float).

        Args:
            outputs: shape ``(batch_size, output_dim)``.
            targets: shape ``(batch_size, output_dim)``.
        """
        _check_shapes(self, outputs, targets)
        diffs = outputs - targets
        return float(0.5 * np.sum(diffs * diffs) / outputs.shape[0])

    def grad(self, outputs: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """``dE/d(outputs) = (y - t) / N``, with the shape and dtype of ``outputs``.

        Args:
            outputs: shape ``(batch_size, output_dim)``.
            targets: shape ``(batch_size, output_dim)``.
        """
        _check_shapes(self, outputs, targets)
        grads = outputs.copy()
        grads -= targets
        grads /= outputs.shape[0]
        return grads

    def __repr__(self) -> str:
        return "SumOfSquaredDiffsError()"


#: Another name for :class:`SumOfSquaredDiffsError`, with the same convention
#: ``E = (1/N) sum_n 0.5 * sum_k (y_nk - t_nk)**2`` (not the mean over all elements).
MeanSquaredError = SumOfSquaredDiffsError
