"""Maxout: a learned piecewise-linear unit (Lab 3, task 3.4).

A maxout unit takes the maximum of ``k`` linear functions of its input,
``h_j(x) = max_i (w_ji . x + b_ji)``. In a network it is an ``AffineLayer``
with ``k * num_units`` outputs followed by a ``MaxoutLayer(pool_size=k)``,
which max-pools over groups of ``k`` consecutive units. The maximum of
linear functions is a convex, piecewise-linear function whose pieces are
learned: with ``k = 2`` and one of the two linear functions fixed at 0 it is
a ReLU; in general it can approximate any convex function of its input.
"""

from __future__ import annotations

import numbers

import numpy as np

from mlplab.layers.base import Layer


class MaxoutLayer(Layer):
    """Max pooling over groups of ``pool_size`` consecutive units.

    For inputs ``x`` of shape ``(batch_size, num_units * pool_size)`` and
    ``k = pool_size`` the outputs have shape ``(batch_size, num_units)`` and

        ``y[n, j] = max(x[n, j*k], x[n, j*k + 1], ..., x[n, j*k + k - 1])``

    i.e. output ``j`` is the maximum of inputs ``j*k`` to ``j*k + k - 1``.

    Gradient: the maximum passes on the gradient of its output to the unit of
    the group that attained it, unchanged, and every other unit of the group
    gets 0. **Ties**: when several units of a group share the maximum, the
    whole gradient goes to the *first* of them (the lowest index), which is
    what ``np.argmax`` returns; the others get 0.

    Args:
        pool_size: ``k``, the number of units per group, an int ``>= 1``; default 2.
    """

    def __init__(self, pool_size: int = 2):
        if not isinstance(pool_size, numbers.Integral) or isinstance(pool_size, bool) or pool_size < 1:
            raise ValueError(f"pool_size must be a positive integer, got {pool_size!r}")
        self.pool_size = int(pool_size)

    def fprop(self, inputs: np.ndarray) -> np.ndarray:
        """Maximum of each group of ``pool_size`` consecutive units.

        Reshaping ``(batch_size, num_units * k)`` to ``(batch_size, num_units, k)``
        puts the units of a group along the last axis.

        Args:
            inputs: array of shape ``(batch_size, num_units * pool_size)``.

        Returns:
            outputs of shape ``(batch_size, num_units)``, dtype of ``inputs``.

        Raises:
            ValueError: if ``inputs`` is not 2-D or its number of units is not a
                multiple of ``pool_size``; the message names both numbers.
        """
        ### BEGIN SOLUTION
        if inputs.ndim != 2 or inputs.shape[1] % self.pool_size != 0:
            raise ValueError(
                f"MaxoutLayer(pool_size={self.pool_size}) needs inputs of shape (batch_size, num_units * "
                f"{self.pool_size}); got {inputs.shape}: {inputs.shape[-1]} units is not a multiple of "
                f"pool_size {self.pool_size}"
            )
        batch_size, dim = inputs.shape
        return inputs.reshape(batch_size, dim // self.pool_size, self.pool_size).max(axis=2)
        ### END SOLUTION

    def bprop(self, inputs: np.ndarray, outputs: np.ndarray, grads_wrt_outputs: np.ndarray) -> np.ndarray:
        """Routes each output's gradient to the (first) maximal unit of its group.

        ``np.argmax`` along the group axis finds the winner of every group;
        ``np.put_along_axis`` (or index arrays) writes the gradients there.

        Args:
            inputs: the inputs of ``fprop``, shape ``(batch_size, num_units * pool_size)``.
            outputs: what ``fprop`` returned, shape ``(batch_size, num_units)``.
            grads_wrt_outputs: ``dE/d(outputs)``, shape ``(batch_size, num_units)``.

        Returns:
            ``dE/d(inputs)``, shape ``(batch_size, num_units * pool_size)``, dtype of the gradients:
            in every group one entry equals the output's gradient, the others are 0.
        """
        ### BEGIN SOLUTION
        batch_size, dim = inputs.shape
        groups = inputs.reshape(batch_size, dim // self.pool_size, self.pool_size)
        winners = np.argmax(groups, axis=2)
        grads = np.zeros(groups.shape, dtype=grads_wrt_outputs.dtype)
        np.put_along_axis(grads, winners[:, :, None], grads_wrt_outputs[:, :, None], axis=2)
        return grads.reshape(batch_size, dim)
        ### END SOLUTION

    def __repr__(self) -> str:
        return f"MaxoutLayer(pool_size={self.pool_size})"
