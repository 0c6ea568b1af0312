"""Gradient clipping by the global norm (Lab 6, task 6.12).

Exploding gradients (Lab 1) can throw the parameters far away in a single step. Clipping bounds
the step: when the norm of *all* gradients together is larger than ``max_norm``, every gradient is
scaled by the same factor so that their joint norm is ``max_norm``. Their direction is kept. This is
what ``torch.nn.utils.clip_grad_norm_`` does (PyTorch modifies the gradients in place; here the
caller's arrays are left alone).
"""

from __future__ import annotations

import math

import numpy as np

from mlplab.validation import check_hyperparameter


def clip_by_global_norm(grads_wrt_params: list[np.ndarray], max_norm: float) -> tuple[list[np.ndarray], float]:
    """Scales all gradients by one factor so that their joint norm is at most ``max_norm``.

    The global norm is ``sqrt(sum over every array of sum(g**2))``: the norm of all the gradients
    concatenated into one vector. If it is at most ``max_norm`` the gradients are returned
    unchanged (as new arrays); otherwise every array is multiplied by ``max_norm / global_norm``.

    Args:
        grads_wrt_params: one gradient array per parameter (not modified).
        max_norm: the largest joint norm allowed, ``> 0``.

    Returns:
        ``(clipped, global_norm)``: new arrays of the same shapes and dtypes, and the joint norm
        *before* clipping (a float; training logs it to see how often clipping acts).

    Raises:
        ValueError: ``max_norm`` is not a positive number (start with the provided
            ``max_norm = check_hyperparameter("max_norm", max_norm, 0.0, math.inf, low_open=True)``).
    """
    ### BEGIN SOLUTION
    max_norm = check_hyperparameter("max_norm", max_norm, 0.0, math.inf, low_open=True)
    total = math.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in grads_wrt_params))
    factor = max_norm / total if total > max_norm else 1.0
    return [np.asarray(g * factor, dtype=g.dtype) for g in grads_wrt_params], total
    ### END SOLUTION
