"""Hidden units beyond the ReLU: ELU, SELU, leaky ReLU (Lab 1, tasks 1.7-1.9) and shifted ReLU (task 1.12).

Every layer here is elementwise: ``fprop`` maps inputs of shape
``(batch_size, dim)`` to outputs of the same shape, and ``bprop`` returns
``grads_wrt_outputs * f'(inputs)``, elementwise, of the same shape.

Conventions shared by the layers:

* The positive branch is ``inputs > 0``; an input of exactly 0 belongs to the
  negative branch, for the value and for the derivative (as ``ReluLayer``,
  whose derivative at 0 is taken to be 0). ``SReLULayer``'s kink is at
  ``-shift`` instead of 0: an input of exactly ``-shift`` belongs to its
  constant branch.
* Outputs and gradients have the dtype of the inputs (float32 in, float32 out;
  float64 in, float64 out). Python floats such as ``self.alpha`` keep the
  array's dtype; multiplying by a float64 array does not.
* ``fprop`` and ``bprop`` never modify their arguments in place; they return new arrays.
* ``bprop`` may use ``outputs`` (what ``fprop`` returned for these inputs):
  for the exponential branch ``f'(a)`` is cheap to get from ``f(a)``.
"""

from __future__ import annotations

import numpy as np

from mlplab.layers.base import Layer


class ELULayer(Layer):
    """Exponential linear unit.

    ``f(a) = a`` for ``a > 0`` and ``f(a) = alpha * (exp(a) - 1)`` for ``a <= 0``.

    Its derivative is ``1`` for ``a > 0`` and ``alpha * exp(a) = f(a) + alpha``
    for ``a <= 0``. The outputs are bounded below by ``-alpha``; for
    ``alpha = 1`` the function is smooth at 0.

    Args:
        alpha: the scale of the negative branch (stored as ``self.alpha``); default 1.
    """

    def __init__(self, alpha: float = 1.0):
        self.alpha = float(alpha)

    def fprop(self, inputs: np.ndarray) -> np.ndarray:
        """Computes ``f(a)`` elementwise.

        Large positive inputs must not cause overflow warnings: ``np.where``
        evaluates both branches everywhere, so take the exponential only of
        ``min(a, 0)`` (``np.minimum``). ``np.expm1(a)`` computes ``exp(a) - 1``
        accurately for small ``a``.

        Args:
            inputs: array of shape ``(batch_size, dim)``.

        Returns:
            outputs of shape ``(batch_size, dim)`` and the dtype of ``inputs``.
        """
        ### BEGIN SOLUTION
        negative_part = self.alpha * np.expm1(np.minimum(inputs, 0))
        return np.where(inputs > 0, inputs, negative_part)
        ### END SOLUTION

    def bprop(self, inputs: np.ndarray, outputs: np.ndarray, grads_wrt_outputs: np.ndarray) -> np.ndarray:
        """Back propagates: ``dE/da = dE/df * f'(a)``.

        ``f'(a) = 1`` for ``a > 0`` and ``f(a) + alpha`` for ``a <= 0``.

        Args:
            inputs: the inputs ``a`` of ``fprop``, shape ``(batch_size, dim)``.
            outputs: ``fprop(inputs)``, same shape.
            grads_wrt_outputs: ``dE/df``, same shape.

        Returns:
            ``dE/da``, shape ``(batch_size, dim)``, dtype of the inputs.
        """
        ### BEGIN SOLUTION
        derivative = np.where(inputs > 0, 1, outputs + self.alpha)
        return grads_wrt_outputs * derivative
        ### END SOLUTION

    def __repr__(self) -> str:
        return f"ELULayer(alpha={self.alpha})"


class SELULayer(Layer):
    """Scaled exponential linear unit (Klambauer et al., 2017).

    ``f(a) = SCALE * a`` for ``a > 0`` and ``f(a) = SCALE * ALPHA * (exp(a) - 1)``
    for ``a <= 0``, with the constants ``ALPHA`` and ``SCALE`` below (in the
    lecture's notation, the slope ``beta = SCALE`` and the negative-branch
    factor ``gamma = SCALE * ALPHA``).

    Its derivative is ``SCALE`` for ``a > 0`` and
    ``SCALE * ALPHA * exp(a) = f(a) + SCALE * ALPHA`` for ``a <= 0``.

    With these constants, inputs of mean 0 and variance 1 give outputs of mean 0
    and variance 1 (a fixed point that layers with ``Var(w) = 1 / n_in`` keep).
    """

    ALPHA = 1.6732632423543772
    SCALE = 1.0507009873554805

    def fprop(self, inputs: np.ndarray) -> np.ndarray:
        """Computes ``f(a)`` elementwise (no overflow warnings for large inputs: see ``ELULayer.fprop``).

        Args:
            inputs: array of shape ``(batch_size, dim)``.

        Returns:
            outputs of shape ``(batch_size, dim)`` and the dtype of ``inputs``.
        """
        ### BEGIN SOLUTION
        exponential_part = self.SCALE * self.ALPHA * np.expm1(np.minimum(inputs, 0))
        return np.where(inputs > 0, self.SCALE * inputs, exponential_part)
        ### END SOLUTION

    def bprop(self, inputs: np.ndarray, outputs: np.ndarray, grads_wrt_outputs: np.ndarray) -> np.ndarray:
        """Back propagates: ``dE/da = dE/df * f'(a)``.

        ``f'(a) = SCALE`` for ``a > 0`` and ``f(a) + SCALE * ALPHA`` for ``a <= 0``.

        Args:
            inputs: the inputs ``a`` of ``fprop``, shape ``(batch_size, dim)``.
            outputs: ``fprop(inputs)``, same shape.
            grads_wrt_outputs: ``dE/df``, same shape.

        Returns:
            ``dE/da``, shape ``(batch_size, dim)``, dtype of the inputs.
        """
        ### BEGIN SOLUTION
        slope = np.where(inputs > 0, self.SCALE, outputs + self.SCALE * self.ALPHA)
        return grads_wrt_outputs * slope
        ### END SOLUTION


class LeakyReLULayer(Layer):
    """Leaky rectified linear unit.

    ``f(a) = a`` for ``a > 0`` and ``f(a) = alpha * a`` for ``a <= 0``; the
    derivative is ``1`` for ``a > 0`` and ``alpha`` for ``a <= 0``.

    Args:
        alpha: the slope of the negative branch (stored as ``self.alpha``); default 0.01.
    """

    def __init__(self, alpha: float = 0.01):
        self.alpha = float(alpha)

    def fprop(self, inputs: np.ndarray) -> np.ndarray:
        """Computes ``f(a)`` elementwise.

        Args:
            inputs: array of shape ``(batch_size, dim)``.

        Returns:
            outputs of shape ``(batch_size, dim)`` and the dtype of ``inputs``.
        """
        ### BEGIN SOLUTION
        return np.where(inputs > 0, inputs, self.alpha * inputs)
        ### END SOLUTION

    def bprop(self, inputs: np.ndarray, outputs: np.ndarray, grads_wrt_outputs: np.ndarray) -> np.ndarray:
        """Back propagates: ``dE/da = dE/df`` where ``a > 0`` and ``alpha * dE/df`` where ``a <= 0``.

        Args:
            inputs: the inputs ``a`` of ``fprop``, shape ``(batch_size, dim)``.
            outputs: ``fprop(inputs)``, same shape (not needed).
            grads_wrt_outputs: ``dE/df``, same shape.

        Returns:
            ``dE/da``, shape ``(batch_size, dim)``, dtype of the inputs.
        """
        ### BEGIN SOLUTION
        return np.where(inputs > 0, grads_wrt_outputs, self.alpha * grads_wrt_outputs)
        ### END SOLUTION

    def __repr__(self) -> str:
        return f"LeakyReLULayer(alpha={self.alpha})"


class SReLULayer(Layer):
    """Shifted rectified linear unit (SReLU), the lecture's ReLU moved down and to the left.

    ``f(a) = max(a, -shift)``: ``f(a) = a`` for ``a > -shift`` and ``f(a) = -shift``
    for ``a <= -shift``. With the default ``shift = 1`` the outputs are bounded below
    by -1, like the ELU's, but the unit is piecewise linear: it is the ReLU
    ``max(a, 0)`` shifted by -1 along both axes, ``max(a + shift, 0) - shift``.
    It is continuous (both branches give ``-shift`` at ``a = -shift``).

    Its derivative is ``1`` for ``a > -shift`` and ``0`` for ``a <= -shift`` (at the
    kink, 0, as the ReLU's at 0).

    ``shift`` is a fixed constructor argument, not a learnable parameter: the layer
    has no parameters and no ``grads_wrt_params``.

    Args:
        shift: the distance the ReLU is moved down and left (stored as ``self.shift``),
            so that ``-shift`` is both the kink and the lower bound; default 1.
    """

    def __init__(self, shift: float = 1.0):
        self.shift = float(shift)

    def fprop(self, inputs: np.ndarray) -> np.ndarray:
        """Computes ``f(a) = max(a, -shift)`` elementwise.

        Args:
            inputs: array of shape ``(batch_size, dim)``.

        Returns:
            outputs of shape ``(batch_size, dim)`` and the dtype of ``inputs``.
        """
        ### BEGIN SOLUTION
        return np.where(inputs > -self.shift, inputs, -self.shift)
        ### END SOLUTION

    def bprop(self, inputs: np.ndarray, outputs: np.ndarray, grads_wrt_outputs: np.ndarray) -> np.ndarray:
        """Back propagates: ``dE/da = dE/df`` where ``a > -shift`` and ``0`` where ``a <= -shift``.

        Args:
            inputs: the inputs ``a`` of ``fprop``, shape ``(batch_size, dim)``.
            outputs: ``fprop(inputs)``, same shape (not needed).
            grads_wrt_outputs: ``dE/df``, same shape.

        Returns:
            ``dE/da``, shape ``(batch_size, dim)``, dtype of the inputs.
        """
        ### BEGIN SOLUTION
        return np.where(inputs > -self.shift, grads_wrt_outputs, 0.0)
        ### END SOLUTION

    def __repr__(self) -> str:
        return f"SReLULayer(shift={self.shift})"
