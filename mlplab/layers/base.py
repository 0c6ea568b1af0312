"""The layer contract every layer of mlplab follows.

A layer maps a minibatch of inputs to outputs (``fprop``) and a gradient with
respect to its outputs back to a gradient with respect to its inputs
(``bprop``). Layers with parameters also give the gradients with respect to
their parameters (``grads_wrt_params``) and expose the parameter arrays
(``params``) so that a learning rule can update them in place.

Shapes: ``inputs`` is ``(batch_size, input_dim)`` (or ``(N, C, H, W)`` for
spatial layers), ``outputs`` is ``(batch_size, output_dim)`` and
``grads_wrt_outputs`` has the shape of ``outputs``.

Every layer has an explicit mode: ``layer.training`` is ``True`` after
``layer.train()`` and ``False`` after ``layer.eval()``. Deterministic layers
ignore it; dropout and batch normalisation behave differently in the two modes.
Layers that draw random numbers take an injected ``np.random.Generator``.
"""

from __future__ import annotations

import numpy as np


class Layer:
    """A parameter-free transformation of a minibatch."""

    training: bool = True

    def fprop(self, inputs: np.ndarray) -> np.ndarray:
        """Forward propagates a minibatch.

        Args:
            inputs: array of shape ``(batch_size, input_dim)``.

        Returns:
            outputs: array of shape ``(batch_size, output_dim)``.
        """
        raise NotImplementedError(f"{type(self).__name__}.fprop")

    def bprop(self, inputs: np.ndarray, outputs: np.ndarray, grads_wrt_outputs: np.ndarray) -> np.ndarray:
        """Back propagates gradients through the layer.

        Args:
            inputs: the inputs given to ``fprop``, shape ``(batch_size, input_dim)``.
            outputs: what ``fprop`` returned for them, shape ``(batch_size, output_dim)``.
            grads_wrt_outputs: dE/d(outputs), shape ``(batch_size, output_dim)``.

        Returns:
            dE/d(inputs), shape ``(batch_size, input_dim)``.
        """
        raise NotImplementedError(f"{type(self).__name__}.bprop")

    def train(self) -> Layer:
        """Switches to training mode (stochastic layers draw masks, batch norm uses batch statistics)."""
        self.training = True
        return self

    def eval(self) -> Layer:
        """Switches to evaluation mode (deterministic outputs)."""
        self.training = False
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class LayerWithParameters(Layer):
    """A layer whose output depends on parameters that are learned."""

    def grads_wrt_params(self, inputs: np.ndarray, grads_wrt_outputs: np.ndarray) -> list[np.ndarray]:
        """Gradients of the error with respect to each array in ``params``, in the same order.

        Args:
            inputs: the inputs given to ``fprop``.
            grads_wrt_outputs: dE/d(outputs).

        Returns:
            A list with one array per parameter, each of that parameter's shape.
        """
        raise NotImplementedError(f"{type(self).__name__}.grads_wrt_params")

    @property
    def params(self) -> list[np.ndarray]:
        """The parameter arrays, updated in place by learning rules."""
        raise NotImplementedError(f"{type(self).__name__}.params")


class StochasticLayer(Layer):
    """A layer that draws random numbers from an injected generator in training mode.

    Args:
        rng: the ``np.random.Generator`` all randomness comes from. Global
            numpy random state is never used.
    """

    def __init__(self, rng: np.random.Generator):
        if not isinstance(rng, np.random.Generator):
            raise TypeError(
                f"{type(self).__name__} needs an np.random.Generator, got {type(rng).__name__}; "
                "make one with np.random.default_rng(seed)"
            )
        self.rng = rng
