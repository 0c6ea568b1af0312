"""Elementwise activation layers: sigmoid, tanh, ReLU and identity.

Each maps ``(batch_size, dim)`` to ``(batch_size, dim)`` and keeps the input
dtype. Their ``bprop`` multiplies ``grads_wrt_outputs`` elementwise by the
derivative, written in terms of the outputs ``y`` where that is simpler.
"""

from __future__ import annotations

import numpy as np

from mlplab.layers.base import Layer


class SigmoidLayer(Layer):
    """Logistic sigmoid: ``y = 1 / (1 + exp(-x))``; derivative ``y * (1 - y)``."""

    def fprop(self, inputs: np.ndarray) -> np.ndarray:
        """Computes ``y = 1 / (1 + exp(-x))`` elementwise without overflow.

        ``exp`` is only ever taken of ``-|x|``, so it cannot overflow:
        for ``x >= 0`` we use ``1 / (1 + exp(-|x|))`` and for ``x < 0`` the
        equal ``exp(-|x|) / (1 + exp(-|x|))``.

        Args:
            inputs: array of shape ``(batch_size, dim)``.

        Returns:
            outputs in ``[0, 1]`` (exactly 0 or 1 only where the float type
            rounds), shape ``(batch_size, dim)``.
        """
        exp_minus_abs = np.exp(-np.abs(inputs))
        numerator = np.where(inputs >= 0, 1, exp_minus_abs)
        return numerator / (1 + exp_minus_abs)

    def bprop(self, inputs: np.ndarray, outputs: np.ndarray, grads_wrt_outputs: np.ndarray) -> np.ndarray:
        """``dE/dx = y * (1 - y) * dE/dy``, all shapes ``(batch_size, dim)``."""
        return grads_wrt_outputs * outputs * (1 - outputs)


class TanhLayer(Layer):
    """Hyperbolic tangent: ``y = tanh(x)``; derivative ``1 - y**2``."""

    def fprop(self, inputs: np.ndarray) -> np.ndarray:
        """Computes ``y = tanh(x)`` elementwise, shape ``(batch_size, dim)``."""
        return np.tanh(inputs)

    def bprop(self, inputs: np.ndarray, outputs: np.ndarray, grads_wrt_outputs: np.ndarray) -> np.ndarray:
        """``dE/dx = (1 - y**2) * dE/dy``, all shapes ``(batch_size, dim)``."""
        return grads_wrt_outputs * (1 - outputs**2)


class ReluLayer(Layer):
    """Rectified linear unit: ``y = max(x, 0)``; derivative ``1 if x > 0 else 0``."""

    def fprop(self, inputs: np.ndarray) -> np.ndarray:
        """Computes ``y = max(x, 0)`` elementwise, shape ``(batch_size, dim)``."""
        return np.maximum(inputs, 0)

    def bprop(self, inputs: np.ndarray, outputs: np.ndarray, grads_wrt_outputs: np.ndarray) -> np.ndarray:
        """``dE/dx = (x > 0) * dE/dy`` (the derivative at 0 is taken to be 0)."""
        return (inputs > 0) * grads_wrt_outputs


class IdentityLayer(Layer):
    """Identity: ``y = x``; derivative 1.

    Both methods return the very array they were given (no copy).
    """

    def fprop(self, inputs: np.ndarray) -> np.ndarray:
        """Returns ``inputs`` unchanged."""
        return inputs

    def bprop(self, inputs: np.ndarray, outputs: np.ndarray, grads_wrt_outputs: np.ndarray) -> np.ndarray:
        """Returns ``grads_wrt_outputs`` unchanged."""
        return grads_wrt_outputs
