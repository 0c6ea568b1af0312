"""The linear autoencoder and its gradients, by hand (Lab 5, task 5.9).

A linear autoencoder has no activation functions: the encoder computes the
code ``h = x @ W.T + b`` and the decoder the reconstruction
``x_hat = h @ V.T + c``. Its error on a batch of ``N`` inputs is the library's
``SumOfSquaredDiffsError``: half the squared distance between reconstruction
and input, summed over the ``D`` entries of an input and averaged over the
``N`` inputs,

    E = (1 / N) * sum_n 0.5 * ||x_hat_n - x_n||**2.

The weights follow ``AffineLayer``'s convention (``(output_dim, input_dim)``):
``W`` has shape ``(k, D)``, ``b`` ``(k,)``, ``V`` ``(D, k)`` and ``c`` ``(D,)``,
with ``k`` the code size.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def linear_autoencoder_grads(inputs: np.ndarray, params: Sequence[np.ndarray]) -> tuple[float, list[np.ndarray]]:
    """The error ``E`` of a linear autoencoder on a batch, and its gradients.

    Back-propagate by hand, in matrix form: from ``dE/dx_hat`` to the
    decoder's parameters, then to the code and from there to the encoder's
    parameters. Every gradient has the shape of its parameter.

    Args:
        inputs: ``x``, shape ``(N, D)``.
        params: ``[W, b, V, c]`` of shapes ``(k, D)``, ``(k,)``, ``(D, k)`` and ``(D,)``; not modified.

    Returns:
        ``(E, [dE/dW, dE/db, dE/dV, dE/dc])``: ``E`` a Python float, the gradients arrays of the
        shapes of ``W``, ``b``, ``V`` and ``c``.
    """
    ### BEGIN SOLUTION
    encoder_weights, encoder_biases, decoder_weights, decoder_biases = params
    codes = inputs @ encoder_weights.T + encoder_biases
    residuals = codes @ decoder_weights.T + decoder_biases - inputs
    num_examples = inputs.shape[0]
    error = 0.5 * float(np.sum(residuals**2)) / num_examples
    grads_wrt_outputs = residuals / num_examples
    grads_wrt_codes = grads_wrt_outputs @ decoder_weights
    return error, [
        grads_wrt_codes.T @ inputs,
        grads_wrt_codes.sum(axis=0),
        grads_wrt_outputs.T @ codes,
        grads_wrt_outputs.sum(axis=0),
    ]
    ### END SOLUTION
