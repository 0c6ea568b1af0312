"""A model made of layers applied one after another, and a helper to build MLPs."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from mlplab.layers.activations import ReluLayer
from mlplab.layers.affine import AffineLayer, Initialiser
from mlplab.layers.base import Layer, LayerWithParameters


class MultipleLayerModel:
    """A stack of layers: the outputs of each layer are the inputs of the next.

    Args:
        layers: the layers, first (nearest the inputs) to last.
    """

    def __init__(self, layers: Sequence[Layer]):
        self.layers = list(layers)
        self.training = True

    @property
    def params(self) -> list[np.ndarray]:
        """The parameter arrays of every layer with parameters, first layer first.

        These are the layers' own arrays, so updating them in place changes the model.
        """
        params = []
        for layer in self.layers:
            if isinstance(layer, LayerWithParameters):
                params += layer.params
        return params

    def fprop(self, inputs: np.ndarray) -> list[np.ndarray]:
        """Forward propagates a minibatch through every layer.

        Args:
            inputs: shape ``(batch_size, input_dim)``.

        Returns:
            ``activations``: ``[inputs, outputs of layer 1, ..., outputs of the
            last layer]``, ``len(layers) + 1`` arrays. ``activations[-1]`` is
            the model's output, shape ``(batch_size, output_dim)``.
        """
        activations = [inputs]
        for layer in self.layers:
            activations.append(layer.fprop(activations[-1]))
        return activations

    def grads_wrt_params(self, activations: list[np.ndarray], grads_wrt_outputs: np.ndarray) -> list[np.ndarray]:
        """Back propagates through the layers, last to first, collecting parameter gradients.

        The gradient with respect to the model's inputs is not needed, so the
        first layer's ``bprop`` is not called.

        Args:
            activations: what ``fprop`` returned for this minibatch.
            grads_wrt_outputs: dE/d(model outputs), shape of ``activations[-1]``.

        Returns:
            One gradient per array of ``params``, in the same order and shapes.
        """
        grads_wrt_params: list[np.ndarray] = []
        for i in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[i]
            inputs, outputs = activations[i], activations[i + 1]
            if isinstance(layer, LayerWithParameters):
                grads_wrt_params = layer.grads_wrt_params(inputs, grads_wrt_outputs) + grads_wrt_params
            if i > 0:
                grads_wrt_outputs = layer.bprop(inputs, outputs, grads_wrt_outputs)
        return grads_wrt_params

    def predict(self, inputs: np.ndarray) -> np.ndarray:
        """The model's outputs ``fprop(inputs)[-1]``, in the current mode.

        Call ``model.eval()`` first for deterministic predictions.
        """
        return self.fprop(inputs)[-1]

    def train(self) -> MultipleLayerModel:
        """Puts every layer in training mode."""
        self.training = True
        for layer in self.layers:
            layer.train()
        return self

    def eval(self) -> MultipleLayerModel:
        """Puts every layer in evaluation mode."""
        self.training = False
        for layer in self.layers:
            layer.eval()
        return self

    def __repr__(self) -> str:
        lines = [f"    {layer!r}," for layer in self.layers]
        return "MultipleLayerModel([\n" + "\n".join(lines) + "\n])"


def mlp(
    layer_sizes: Sequence[int],
    hidden: Callable[[], Layer] = ReluLayer,
    *,
    rng: np.random.Generator | None = None,
    weights_init: Initialiser | None = None,
    biases_init: Initialiser | None = None,
    dtype: npt.DTypeLike = np.float32,
) -> MultipleLayerModel:
    """Builds ``Affine, hidden, Affine, hidden, ..., Affine`` (no activation after the last affine).

    Example: ``mlp([784, 512, 512, 10], rng=rng)`` is a 784-512-512-10 ReLU
    network that outputs logits.

    Args:
        layer_sizes: ``[input_dim, hidden_dim_1, ..., output_dim]``, at least two sizes.
        hidden: a layer class or any callable with no arguments returning a new
            activation layer, e.g. ``TanhLayer`` or ``lambda: LeakyReLULayer(0.1)``.
        rng: the ``np.random.Generator`` used by every affine layer's initialisers.
        weights_init: callable ``(shape, rng) -> array`` for every affine
            layer's weights (default: ``AffineLayer``'s default).
        biases_init: callable ``(shape, rng) -> array`` for the biases (default: zeros).
        dtype: dtype of all parameters.
    """
    if len(layer_sizes) < 2:
        raise ValueError(f"mlp needs at least an input and an output size, got {list(layer_sizes)}")
    layers: list[Layer] = []
    for i, (input_dim, output_dim) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:])):
        if i > 0:
            layers.append(hidden())
        layers.append(
            AffineLayer(input_dim, output_dim, rng=rng, weights_init=weights_init, biases_init=biases_init, dtype=dtype)
        )
    return MultipleLayerModel(layers)
