"""Layer normalisation: forward and backward passes (Lab 2, tasks 2.9-2.10).

Batch norm normalises each unit over the examples of the minibatch, so an
example's output depends on the rest of its batch, and the statistics of a
batch of 2 are noise. Layer normalisation normalises each *example* over its
own ``D`` units instead, the same way in training and at inference. For one
example ``n`` (one row of ``inputs``):

* mean ``mu_n = (1/D) sum_j x_nj``;
* variance ``var_n = (1/D) sum_j (x_nj - mu_n)**2`` (biased: divide by ``D``);
* normalised inputs ``xhat_nj = (x_nj - mu_n) / sqrt(var_n + eps)``;
* outputs ``y_nj = gamma_j * xhat_nj + beta_j``: the learned scale ``gamma``
  and shift ``beta`` are still one per *unit*, shape ``(D,)``.

The conventions of ``batch_norm.py`` hold here too: inputs of shape
``(m, D)``, no argument modified in place, results in the dtype of the
arguments. The layer that uses these functions, ``LayerNormLayer``, is
provided in ``mlplab/layers/normalisation.py``.
"""

from __future__ import annotations

import numpy as np


def layernorm_forward(
    inputs: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Forward pass of layer normalisation (the same in training and at inference).

    For every example ``n`` (row), over its ``D`` units (columns)::

        mu_n    = (1/D) sum_j x_nj
        var_n   = (1/D) sum_j (x_nj - mu_n)**2         (biased: divide by D)
        xhat_nj = (x_nj - mu_n) / sqrt(var_n + eps)    (eps inside the square root)
        y_nj    = gamma_j * xhat_nj + beta_j

    Args:
        inputs: ``x``, shape ``(m, D)``.
        gamma: the scale, shape ``(D,)``.
        beta: the shift, shape ``(D,)``.
        eps: small positive number added to the variance.

    Returns:
        ``(outputs, mean, var)``: ``y`` of shape ``(m, D)`` and ``mu`` and
        ``var``, each of shape ``(m,)``: one per example.
    """
    ### BEGIN SOLUTION
    mean = inputs.mean(axis=1)
    centred = inputs - mean[:, None]
    var = np.mean(centred * centred, axis=1)
    outputs = centred / np.sqrt(var + eps)[:, None] * gamma + beta
    return outputs, mean, var
    ### END SOLUTION


def layernorm_backward(
    inputs: np.ndarray, gamma: np.ndarray, grads_wrt_outputs: np.ndarray, eps: float = 1e-5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of layer normalisation.

    Batch norm's backward pass with the roles of the axes exchanged for the
    statistics: ``x_nj`` reaches the error directly through ``xhat_nj`` and
    through its example's ``mu_n`` and ``var_n``, which every unit of that
    example uses. With ``d_xhat_nj = d_y_nj * gamma_j`` and sums over the
    units ``j`` of one example::

        d_x_nj    = 1 / (D sqrt(var_n + eps))
                    * (D d_xhat_nj - sum_j d_xhat_nj - xhat_nj sum_j d_xhat_nj xhat_nj)
        d_gamma_j = sum_n d_y_nj * xhat_nj       (sums over the examples, as in batch norm)
        d_beta_j  = sum_n d_y_nj

    Args:
        inputs: ``x``, the inputs of the forward pass, shape ``(m, D)``.
        gamma: the scale, shape ``(D,)``.
        grads_wrt_outputs: ``dE/dy``, shape ``(m, D)``.
        eps: the ``eps`` of the forward pass.

    Returns:
        ``(grads_wrt_inputs, grads_wrt_gamma, grads_wrt_beta)``: ``dE/dx`` of
        shape ``(m, D)``, ``dE/dgamma`` and ``dE/dbeta`` of shape ``(D,)``.
    """
    ### BEGIN SOLUTION
    num_units = inputs.shape[1]
    centred = inputs - inputs.mean(axis=1, keepdims=True)
    inv_std = 1.0 / np.sqrt(np.mean(centred * centred, axis=1, keepdims=True) + eps)
    normalised = centred * inv_std
    grads_wrt_normalised = grads_wrt_outputs * gamma
    total = np.sum(grads_wrt_normalised, axis=1, keepdims=True)
    projection = np.sum(grads_wrt_normalised * normalised, axis=1, keepdims=True)
    grads_wrt_inputs = inv_std / num_units * (num_units * grads_wrt_normalised - total - normalised * projection)
    grads_wrt_gamma = np.sum(grads_wrt_outputs * normalised, axis=0)
    grads_wrt_beta = np.sum(grads_wrt_outputs, axis=0)
    return grads_wrt_inputs, grads_wrt_gamma, grads_wrt_beta
    ### END SOLUTION
