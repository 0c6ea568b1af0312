# Your file for tasks 2.1, 2.2, 2.3, 2.4, 2.5, 2.6, 2.7, 2.8: replace each `raise NotImplementedError(...)`
# with your implementation. Check it with mlplab.check("lab2").
"""Batch normalisation: forward and backward passes, inference statistics, spatial version (Lab 2, tasks 2.1-2.8).

Notation used in every docstring here, for a minibatch of ``m`` examples and
one unit ``j`` (one column of ``inputs``):

* batch mean ``mu_j = (1/m) sum_i x_ij``;
* batch variance ``var_j = (1/m) sum_i (x_ij - mu_j)**2``: the *biased*
  variance (divide by ``m``, ``ddof=0``, numpy's default for ``np.var``);
* normalised inputs ``xhat_ij = (x_ij - mu_j) / sqrt(var_j + eps)``: ``eps``
  is added to the variance, *inside* the square root;
* outputs ``y_ij = gamma_j * xhat_ij + beta_j`` with the learned scale
  ``gamma`` and shift ``beta``, both of shape ``(D,)``.

Conventions:

* Inputs of a fully connected layer have shape ``(m, D)`` (one example per
  row); spatial inputs (feature maps of a convolutional layer) have shape
  ``(N, C, H, W)``.
* Nothing here modifies its arguments in place: every function returns new arrays.
* With ``inputs``, ``gamma`` and ``beta`` of one floating dtype (float32 for
  training, float64 for gradient checks) the results have that dtype.

The layer that uses these functions, ``BatchNormLayer``, is provided in
``mlplab/layers/normalisation.py``.
"""

from __future__ import annotations

import numpy as np


def batchnorm_forward(
    inputs: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Forward pass of batch normalisation in training mode (with the batch's own statistics).

    For every unit ``j`` (column), over the ``m`` examples of the batch (rows)::

        mu_j   = (1/m) sum_i x_ij
        var_j  = (1/m) sum_i (x_ij - mu_j)**2          (biased: divide by m)
        xhat_ij = (x_ij - mu_j) / sqrt(var_j + eps)     (eps inside the square root)
        y_ij   = gamma_j * xhat_ij + beta_j

    Args:
        inputs: ``x``, shape ``(m, D)``.
        gamma: the scale, shape ``(D,)``.
        beta: the shift, shape ``(D,)``.
        eps: small positive number added to the variance.

    Returns:
        ``(outputs, batch_mean, batch_var)``: ``y`` of shape ``(m, D)`` and
        ``mu`` and ``var``, each of shape ``(D,)``.
    """
    raise NotImplementedError("Lab 2, task 2.1: implement batchnorm_forward (Batch norm forward pass in training mode)")


def batchnorm_backward(
    inputs: np.ndarray, gamma: np.ndarray, grads_wrt_outputs: np.ndarray, eps: float = 1e-5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of batch normalisation in training mode.

    Each input ``x_ij`` reaches the error along three paths: directly through
    its own ``xhat_ij``, through the batch mean ``mu_j`` and through the batch
    variance ``var_j`` (both of which every ``xhat_kj`` of the column uses).
    With ``d_y = grads_wrt_outputs``, the chain rule gives, per unit ``j``::

        d_xhat_ij = d_y_ij * gamma_j
        d_var_j   = sum_i d_xhat_ij * (x_ij - mu_j) * (-1/2) * (var_j + eps)**(-3/2)
        d_mu_j    = sum_i d_xhat_ij * (-1 / sqrt(var_j + eps))
                    + d_var_j * (1/m) sum_i (-2) * (x_ij - mu_j)
        d_x_ij    = d_xhat_ij / sqrt(var_j + eps)            (direct path)
                    + d_var_j * 2 * (x_ij - mu_j) / m        (variance path)
                    + d_mu_j / m                             (mean path)
        d_gamma_j = sum_i d_y_ij * xhat_ij
        d_beta_j  = sum_i d_y_ij

    ``mu``, ``var`` and ``xhat`` are those of ``batchnorm_forward`` on the same
    inputs; recompute them here. (Any algebraically equal form is fine, e.g.
    the compact ``d_x = gamma / (m sqrt(var + eps)) * (m d_y - sum_i d_y - xhat sum_i d_y xhat)``.)

    Args:
        inputs: ``x``, the inputs of the forward pass, shape ``(m, D)``.
        gamma: the scale, shape ``(D,)``.
        grads_wrt_outputs: ``dE/dy``, shape ``(m, D)``.
        eps: the ``eps`` of the forward pass.

    Returns:
        ``(grads_wrt_inputs, grads_wrt_gamma, grads_wrt_beta)``: ``dE/dx`` of
        shape ``(m, D)``, ``dE/dgamma`` and ``dE/dbeta`` of shape ``(D,)``
        (sums over the batch, axis 0).
    """
    raise NotImplementedError("Lab 2, task 2.2: implement batchnorm_backward (Batch norm backward pass)")


def population_statistics(
    batch_means: np.ndarray, batch_vars: np.ndarray, batch_size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Inference statistics from the statistics of ``K`` training minibatches (the lecture's algorithm).

    After training, the network (parameters frozen) processes ``K`` training
    minibatches of ``m = batch_size`` examples each and records every batch
    mean ``mu_B`` and (biased) batch variance ``var_B`` of a unit. The
    population statistics are then::

        E[x]   = average over the batches of mu_B
        Var[x] = m / (m - 1) * (average over the batches of var_B)

    The factor ``m / (m - 1)`` turns the average biased batch variance into an
    unbiased estimate of the variance.

    Args:
        batch_means: shape ``(K, D)``, one row per minibatch.
        batch_vars: shape ``(K, D)``, the biased variances of the same minibatches.
        batch_size: ``m``, the number of examples in each minibatch (at least 2).

    Returns:
        ``(mean, var)``, each of shape ``(D,)``.
    """
    raise NotImplementedError(
        "Lab 2, task 2.3: implement population_statistics (Population statistics from training minibatches)"
    )


def update_running_statistics(
    running_mean: np.ndarray,
    running_var: np.ndarray,
    batch_mean: np.ndarray,
    batch_var: np.ndarray,
    batch_size: int,
    momentum: float,
) -> tuple[np.ndarray, np.ndarray]:
    """One step of the exponential running averages most libraries use instead of population statistics.

    After each training minibatch of ``m = batch_size`` examples::

        new_mean = momentum * running_mean + (1 - momentum) * batch_mean
        new_var  = momentum * running_var  + (1 - momentum) * m / (m - 1) * batch_var

    ``momentum`` (e.g. 0.9) is the weight of the *old* value. The batch
    variance is corrected by ``m / (m - 1)`` (as in the population statistics
    and in PyTorch), so that the average estimates the variance without bias.

    Args:
        running_mean: the current running mean, shape ``(D,)``.
        running_var: the current running variance, shape ``(D,)``.
        batch_mean: ``mu_B`` of this minibatch, shape ``(D,)``.
        batch_var: the biased ``var_B`` of this minibatch, shape ``(D,)``.
        batch_size: ``m`` (at least 2).
        momentum: the weight of the old value, between 0 and 1.

    Returns:
        ``(new_mean, new_var)``, new arrays of shape ``(D,)`` (the arguments are not modified).
    """
    raise NotImplementedError(
        "Lab 2, task 2.4: implement update_running_statistics (Running averages of the batch statistics)"
    )


def fold_batchnorm(
    gamma: np.ndarray, beta: np.ndarray, mean: np.ndarray, var: np.ndarray, eps: float = 1e-5
) -> tuple[np.ndarray, np.ndarray]:
    """Batch normalisation with fixed statistics as one affine transform ``y = scale * x + shift``.

    At inference the mean and variance are constants, so
    ``y = gamma * (x - E[x]) / sqrt(Var[x] + eps) + beta`` is linear in ``x``::

        scale = gamma / sqrt(Var[x] + eps)
        shift = beta - gamma * E[x] / sqrt(Var[x] + eps)

    Args:
        gamma: the scale, shape ``(D,)``.
        beta: the shift, shape ``(D,)``.
        mean: ``E[x]``, shape ``(D,)``.
        var: ``Var[x]``, shape ``(D,)``.
        eps: the layer's ``eps``.

    Returns:
        ``(scale, shift)``, each of shape ``(D,)``.
    """
    raise NotImplementedError(
        "Lab 2, task 2.5: implement fold_batchnorm (Batch norm at inference as one affine transform)"
    )


def batchnorm_fprop(
    inputs: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    running_mean: np.ndarray,
    running_var: np.ndarray,
    *,
    training: bool,
    momentum: float,
    eps: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The forward pass of a batch norm layer in its current mode (``BatchNormLayer.fprop`` calls it).

    * ``training=True``: normalise with the statistics of *this batch*, by
      calling ``batchnorm_forward(inputs, gamma, beta, eps)`` (task 2.1), and
      update the running statistics with that batch's mean and variance by
      calling ``update_running_statistics(running_mean, running_var,
      batch_mean, batch_var, m, momentum)`` (task 2.4), ``m`` being the
      number of examples in ``inputs``.
    * ``training=False``: normalise with the stored statistics,
      ``y = gamma * (x - running_mean) / sqrt(running_var + eps) + beta``
      (directly, or as ``scale * x + shift`` with ``fold_batchnorm``, task
      2.5), and leave them unchanged. The batch's own statistics play no
      part, so each example's output does not depend on the other examples.

    Call the functions of tasks 2.1, 2.4 (and 2.5) by name. To test this task
    on its own, the check replaces them by stand-ins, so a mistake in them
    does not cost you this task.

    Args:
        inputs: ``x``, shape ``(m, D)``.
        gamma: the scale, shape ``(D,)``.
        beta: the shift, shape ``(D,)``.
        running_mean: the stored mean, shape ``(D,)`` (running averages, or
            population statistics after training).
        running_var: the stored variance, shape ``(D,)``.
        training: the layer's mode.
        momentum: passed on to ``update_running_statistics``.
        eps: the layer's ``eps``.

    Returns:
        ``(outputs, running_mean, running_var)``: outputs of shape ``(m, D)``
        and the running statistics to store, the updated ones in training
        mode and the ones given (unchanged) in evaluation mode.
    """
    raise NotImplementedError(
        "Lab 2, task 2.6: implement batchnorm_fprop (Training and evaluation modes of the batch norm layer)"
    )


def spatial_batchnorm_forward(
    inputs: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Batch normalisation of convolutional feature maps, in training mode.

    A convolutional layer applies the same filter at every position, so all
    positions of one channel are treated as values of one unit: each channel
    ``c`` has ONE mean and ONE variance, over the batch AND all positions
    (axes 0, 2 and 3, ``M = N * H * W`` values), and one ``gamma_c`` and
    ``beta_c``::

        mu_c   = (1/M) sum_{n,h,w} x_nchw
        var_c  = (1/M) sum_{n,h,w} (x_nchw - mu_c)**2
        y_nchw = gamma_c * (x_nchw - mu_c) / sqrt(var_c + eps) + beta_c

    (Equivalently: move the channel axis last, reshape to ``(N * H * W, C)``
    and apply ``batchnorm_forward``.)

    Args:
        inputs: ``x``, shape ``(N, C, H, W)``.
        gamma: the scale, shape ``(C,)``.
        beta: the shift, shape ``(C,)``.
        eps: small positive number added to the variance.

    Returns:
        ``(outputs, mean, var)``: outputs of shape ``(N, C, H, W)``, the
        channel means and (biased) variances of shape ``(C,)``.
    """
    raise NotImplementedError("Lab 2, task 2.7: implement spatial_batchnorm_forward (Spatial batch norm forward pass)")


def spatial_batchnorm_backward(
    inputs: np.ndarray, gamma: np.ndarray, grads_wrt_outputs: np.ndarray, eps: float = 1e-5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of spatial batch normalisation (``spatial_batchnorm_forward``).

    The formulas of ``batchnorm_backward`` with a channel in place of a unit:
    every sum over the batch becomes a sum over axes 0, 2 and 3, and ``m``
    becomes ``M = N * H * W``, the number of values that share one mean and
    variance.

    Args:
        inputs: ``x``, shape ``(N, C, H, W)``.
        gamma: the scale, shape ``(C,)``.
        grads_wrt_outputs: ``dE/dy``, shape ``(N, C, H, W)``.
        eps: the ``eps`` of the forward pass.

    Returns:
        ``(grads_wrt_inputs, grads_wrt_gamma, grads_wrt_beta)`` of shapes
        ``(N, C, H, W)``, ``(C,)`` and ``(C,)``.
    """
    raise NotImplementedError(
        "Lab 2, task 2.8: implement spatial_batchnorm_backward (Spatial batch norm backward pass)"
    )
