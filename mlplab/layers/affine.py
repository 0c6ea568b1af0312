"""The affine (fully connected) layer: ``outputs = inputs @ W.T + b``."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from mlplab.layers.base import LayerWithParameters

#: An initialiser maps ``(shape, rng)`` to an array of that shape.
Initialiser = Callable[[tuple[int, ...], np.random.Generator], np.ndarray]


def small_normal(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Small random normal values, std 0.01: ``rng.normal(0, 0.01, shape)``.

    This is the default weight initialiser. Lab 1 shows why better choices exist.
    """
    return rng.normal(0.0, 0.01, shape)


def zeros(shape: tuple[int, ...], rng: np.random.Generator | None) -> np.ndarray:
    """All zeros (the default bias initialiser; ``rng`` is not used)."""
    return np.zeros(shape)


class AffineLayer(LayerWithParameters):
    """Fully connected layer: ``outputs = inputs @ W.T + b``.

    Weights ``W`` have shape ``(output_dim, input_dim)`` and biases ``b`` have
    shape ``(output_dim,)``.

    The outputs have the dtype numpy gives ``inputs @ W.T``: the input dtype
    when inputs and parameters share it (build the layer with the dtype of your
    data), float64 when either of them is float64.

    Args:
        input_dim: number of input features.
        output_dim: number of output features.
        rng: the ``np.random.Generator`` passed to the initialisers. Required
            when ``weights_init`` is left at its default.
        weights_init: callable ``(shape, rng) -> array`` for the weights.
            Default: small random normal, std 0.01 (lab 1 shows why better
            choices exist).
        biases_init: callable ``(shape, rng) -> array`` for the biases.
            Default: zeros.
        dtype: dtype of the parameter arrays (float32 for training, float64
            for gradient checks).
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        rng: np.random.Generator | None = None,
        weights_init: Initialiser | None = None,
        biases_init: Initialiser | None = None,
        dtype: npt.DTypeLike = np.float32,
    ):
        if rng is not None and not isinstance(rng, np.random.Generator):
            raise TypeError(
                f"AffineLayer needs an np.random.Generator as rng, got {type(rng).__name__}; "
                "make one with np.random.default_rng(seed)"
            )
        if rng is None and weights_init is None:
            raise TypeError(
                "AffineLayer needs an np.random.Generator to initialise its weights: "
                "pass rng=np.random.default_rng(seed)"
            )
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.weights = _initialise(weights_init or small_normal, (output_dim, input_dim), rng, dtype)
        self.biases = _initialise(biases_init or zeros, (output_dim,), rng, dtype)

    def fprop(self, inputs: np.ndarray) -> np.ndarray:
        """Forward propagates a minibatch: ``outputs = inputs @ W.T + b``.

        Args:
            inputs: array of shape ``(batch_size, input_dim)``.

        Returns:
            outputs: array of shape ``(batch_size, output_dim)``.

        Raises:
            ValueError: if ``inputs`` does not have shape ``(batch_size, input_dim)``.
        """
        if inputs.ndim != 2 or inputs.shape[1] != self.input_dim:
            raise ValueError(f"AffineLayer expects inputs of shape (batch_size, {self.input_dim}), got {inputs.shape}")
        outputs = inputs @ self.weights.T
        outputs += self.biases
        return outputs

    def bprop(self, inputs: np.ndarray, outputs: np.ndarray, grads_wrt_outputs: np.ndarray) -> np.ndarray:
        """Back propagates: ``dE/d(inputs) = dE/d(outputs) @ W``.

        Args:
            inputs: shape ``(batch_size, input_dim)``.
            outputs: shape ``(batch_size, output_dim)`` (not used).
            grads_wrt_outputs: shape ``(batch_size, output_dim)``.

        Returns:
            dE/d(inputs), shape ``(batch_size, input_dim)``.
        """
        return grads_wrt_outputs @ self.weights

    def grads_wrt_params(self, inputs: np.ndarray, grads_wrt_outputs: np.ndarray) -> list[np.ndarray]:
        """Gradients with respect to the weights and biases.

        ``dE/dW = dE/d(outputs).T @ inputs`` and ``dE/db = sum over the batch of dE/d(outputs)``.

        Args:
            inputs: shape ``(batch_size, input_dim)``.
            grads_wrt_outputs: shape ``(batch_size, output_dim)``.

        Returns:
            ``[dE/dW, dE/db]`` with shapes ``(output_dim, input_dim)`` and ``(output_dim,)``.
        """
        grads_wrt_weights = grads_wrt_outputs.T @ inputs
        grads_wrt_biases = grads_wrt_outputs.sum(axis=0)
        return [grads_wrt_weights, grads_wrt_biases]

    @property
    def params(self) -> list[np.ndarray]:
        """``[weights, biases]``: the layer's own arrays, so in-place updates change the layer."""
        return [self.weights, self.biases]

    @params.setter
    def params(self, values: list[np.ndarray]) -> None:
        weights, biases = values
        if weights.shape != self.weights.shape or biases.shape != self.biases.shape:
            raise ValueError(
                f"AffineLayer params must have shapes {self.weights.shape} and {self.biases.shape}, "
                f"got {weights.shape} and {biases.shape}"
            )
        self.weights = weights
        self.biases = biases

    def __repr__(self) -> str:
        return f"AffineLayer(input_dim={self.input_dim}, output_dim={self.output_dim})"


def _initialise(init: Initialiser, shape: tuple[int, ...], rng, dtype) -> np.ndarray:
    """A fresh ``dtype`` copy of ``init(shape, rng)``, checked to have the requested shape."""
    values = np.array(init(shape, rng), dtype=dtype)
    if values.shape != shape:
        raise ValueError(f"initialiser {init!r} returned shape {values.shape}, expected {shape}")
    return values
