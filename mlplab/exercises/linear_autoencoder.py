# Your file for tasks 5.9: replace each `raise NotImplementedError(...)`
# with your implementation. Check it with mlplab.check("lab5").
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
    raise NotImplementedError(
        "Lab 5, task 5.9: implement linear_autoencoder_grads (A linear autoencoder's gradients, by hand)"
    )
