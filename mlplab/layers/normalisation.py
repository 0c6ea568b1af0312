"""The batch and layer normalisation layers and helpers around them (provided code, not an exercise).

``BatchNormLayer`` holds the parameters ``gamma`` and ``beta`` and the
statistics used at inference, and delegates the computations to your
functions in ``mlplab/exercises/batch_norm.py`` (Lab 2): ``fprop`` calls
``batchnorm_fprop`` (task 2.6), ``bprop`` and ``grads_wrt_params`` call
``batchnorm_backward`` (task 2.2). Those functions are imported when they are
first needed, never when this module is imported.

Typical use, a batch norm layer between each affine layer and its nonlinearity::

    model = batch_norm_mlp([784, 100, 100, 10], rng=rng)   # Affine, BN, ReLU, Affine, BN, ReLU, Affine
    Trainer(model, error, rule, train_data).train(5)        # training mode: batch statistics
    use_population_statistics(model, train_data)            # the lecture's inference statistics
    model.eval()                                            # evaluation mode: stored statistics
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np
import numpy.typing as npt

from mlplab.layers.activations import ReluLayer
from mlplab.layers.affine import AffineLayer, Initialiser
from mlplab.layers.base import Layer, LayerWithParameters


class BatchNormLayer(LayerWithParameters):
    """Batch normalisation of each of ``num_units`` units (columns) of its inputs.

    * Training mode (``layer.train()``, the default): each unit is normalised
      with the mean and variance of the current minibatch, then scaled by
      ``gamma`` and shifted by ``beta``; the running statistics are updated.
    * Evaluation mode (``layer.eval()``): each unit is normalised with the
      stored statistics ``running_mean`` and ``running_var``, so the output
      of an example does not depend on the rest of the batch.

    The stored statistics start at mean 0 and variance 1. During training
    they are exponential running averages of the batch statistics
    (``update_running_statistics``, task 2.4). After training they can be
    replaced by the lecture's population statistics with
    :func:`use_population_statistics`.

    Args:
        num_units: the number of units ``D``; inputs have shape ``(batch_size, D)``.
        eps: added to the variance inside the square root.
        momentum: weight of the old value in the running averages.
        dtype: dtype of the parameters and stored statistics.

    Attributes:
        gamma, beta: the parameters, shape ``(D,)``, initially ones and zeros.
        running_mean, running_var: the statistics used in evaluation mode, shape ``(D,)``.
    """

    def __init__(self, num_units: int, eps: float = 1e-5, momentum: float = 0.9, dtype: npt.DTypeLike = np.float32):
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum}")
        if not eps > 0:
            raise ValueError(f"eps must be positive, got {eps}")
        self.num_units = int(num_units)
        self.eps = float(eps)
        self.momentum = float(momentum)
        self.gamma = np.ones(self.num_units, dtype=dtype)
        self.beta = np.zeros(self.num_units, dtype=dtype)
        self.running_mean = np.zeros(self.num_units, dtype=dtype)
        self.running_var = np.ones(self.num_units, dtype=dtype)
        self._cache: tuple | None = None

    def _check(self, inputs: np.ndarray) -> None:
        if inputs.ndim != 2 or inputs.shape[1] != self.num_units:
            raise ValueError(
                f"BatchNormLayer expects inputs of shape (batch_size, {self.num_units}), got {inputs.shape}"
            )
        if self.training and inputs.shape[0] < 2:
            raise ValueError(
                "in training mode batch norm needs at least 2 examples per batch (the variance of one example is 0)"
            )

    def fprop(self, inputs: np.ndarray) -> np.ndarray:
        """Normalises the minibatch in the layer's mode (``batchnorm_fprop``, task 2.6).

        In training mode this also updates ``running_mean`` and ``running_var``.

        Args:
            inputs: shape ``(batch_size, num_units)``.

        Returns:
            outputs of the same shape.
        """
        from mlplab.exercises.batch_norm import batchnorm_fprop

        self._check(inputs)
        outputs, running_mean, running_var = batchnorm_fprop(
            inputs,
            self.gamma,
            self.beta,
            self.running_mean,
            self.running_var,
            training=self.training,
            momentum=self.momentum,
            eps=self.eps,
        )
        self.running_mean = np.asarray(running_mean, dtype=self.gamma.dtype)
        self.running_var = np.asarray(running_var, dtype=self.gamma.dtype)
        return outputs

    def _backward(self, inputs: np.ndarray, grads_wrt_outputs: np.ndarray):
        """``batchnorm_backward`` (task 2.2), computed once for ``grads_wrt_params`` and ``bprop``."""
        from mlplab.exercises.batch_norm import batchnorm_backward

        if not self.training:
            raise RuntimeError("BatchNormLayer: gradients are computed in training mode (call layer.train())")
        cache = self._cache
        if (
            cache is not None
            and cache[0] is inputs
            and cache[1] is grads_wrt_outputs
            and np.array_equal(cache[2], self.gamma)
        ):
            return cache[3]
        result = batchnorm_backward(inputs, self.gamma, grads_wrt_outputs, self.eps)
        self._cache = (inputs, grads_wrt_outputs, self.gamma.copy(), result)
        return result

    def bprop(self, inputs: np.ndarray, outputs: np.ndarray, grads_wrt_outputs: np.ndarray) -> np.ndarray:
        """``dE/d(inputs)`` through the batch statistics (training mode only).

        Args:
            inputs: the inputs given to ``fprop``, shape ``(batch_size, num_units)``.
            outputs: what ``fprop`` returned (not needed).
            grads_wrt_outputs: ``dE/d(outputs)``, same shape.

        Returns:
            ``dE/d(inputs)``, same shape.
        """
        return self._backward(inputs, grads_wrt_outputs)[0]

    def grads_wrt_params(self, inputs: np.ndarray, grads_wrt_outputs: np.ndarray) -> list[np.ndarray]:
        """``[dE/dgamma, dE/dbeta]``, each of shape ``(num_units,)`` (training mode only)."""
        _, grads_wrt_gamma, grads_wrt_beta = self._backward(inputs, grads_wrt_outputs)
        return [grads_wrt_gamma, grads_wrt_beta]

    @property
    def params(self) -> list[np.ndarray]:
        """``[gamma, beta]``: the layer's own arrays, so in-place updates change the layer."""
        return [self.gamma, self.beta]

    @params.setter
    def params(self, values: list[np.ndarray]) -> None:
        gamma, beta = values
        if gamma.shape != self.gamma.shape or beta.shape != self.beta.shape:
            raise ValueError(
                f"BatchNormLayer params must have shape {self.gamma.shape}, got {gamma.shape} and {beta.shape}"
            )
        self.gamma, self.beta = gamma, beta

    def __repr__(self) -> str:
        return f"BatchNormLayer(num_units={self.num_units}, eps={self.eps:g}, momentum={self.momentum:g})"


class LayerNormLayer(LayerWithParameters):
    """Layer normalisation of each example over its ``num_units`` units.

    Each row of the inputs is normalised with its own mean and variance
    (``layernorm_forward``, task 2.9), then scaled by ``gamma`` and shifted by
    ``beta``, one of each per unit. No statistics are kept: training and
    evaluation mode compute the same thing, and an example's output does not
    depend on the rest of its batch, even in a batch of one.

    Args:
        num_units: the number of units ``D``; inputs have shape ``(batch_size, D)``.
        eps: added to the variance inside the square root.
        dtype: dtype of the parameters.

    Attributes:
        gamma, beta: the parameters, shape ``(D,)``, initially ones and zeros.
    """

    def __init__(self, num_units: int, eps: float = 1e-5, dtype: npt.DTypeLike = np.float32):
        if not eps > 0:
            raise ValueError(f"eps must be positive, got {eps}")
        self.num_units = int(num_units)
        self.eps = float(eps)
        self.gamma = np.ones(self.num_units, dtype=dtype)
        self.beta = np.zeros(self.num_units, dtype=dtype)

    def _check(self, inputs: np.ndarray) -> None:
        if inputs.ndim != 2 or inputs.shape[1] != self.num_units:
            raise ValueError(
                f"LayerNormLayer expects inputs of shape (batch_size, {self.num_units}), got {inputs.shape}"
            )

    def fprop(self, inputs: np.ndarray) -> np.ndarray:
        """``layernorm_forward`` (task 2.9) of ``inputs``, shape ``(batch_size, num_units)``; same shape out."""
        from mlplab.exercises.layer_norm import layernorm_forward

        self._check(inputs)
        return layernorm_forward(inputs, self.gamma, self.beta, self.eps)[0]

    def bprop(self, inputs: np.ndarray, outputs: np.ndarray, grads_wrt_outputs: np.ndarray) -> np.ndarray:
        """``dE/d(inputs)`` through each example's mean and variance (``layernorm_backward``, task 2.10)."""
        from mlplab.exercises.layer_norm import layernorm_backward

        return layernorm_backward(inputs, self.gamma, grads_wrt_outputs, self.eps)[0]

    def grads_wrt_params(self, inputs: np.ndarray, grads_wrt_outputs: np.ndarray) -> list[np.ndarray]:
        """``[dE/dgamma, dE/dbeta]``, each of shape ``(num_units,)``."""
        from mlplab.exercises.layer_norm import layernorm_backward

        _, grads_wrt_gamma, grads_wrt_beta = layernorm_backward(inputs, self.gamma, grads_wrt_outputs, self.eps)
        return [grads_wrt_gamma, grads_wrt_beta]

    @property
    def params(self) -> list[np.ndarray]:
        """``[gamma, beta]``: the layer's own arrays, so in-place updates change the layer."""
        return [self.gamma, self.beta]

    @params.setter
    def params(self, values: list[np.ndarray]) -> None:
        gamma, beta = values
        if gamma.shape != self.gamma.shape or beta.shape != self.beta.shape:
            raise ValueError(
                f"LayerNormLayer params must have shape {self.gamma.shape}, got {gamma.shape} and {beta.shape}"
            )
        self.gamma, self.beta = gamma, beta

    def __repr__(self) -> str:
        return f"LayerNormLayer(num_units={self.num_units}, eps={self.eps:g})"


def batch_norm_mlp(
    layer_sizes: Sequence[int],
    hidden: Callable[[], Layer] = ReluLayer,
    *,
    batch_norm: bool = True,
    rng: np.random.Generator | None = None,
    weights_init: Initialiser | None = None,
    momentum: float = 0.9,
    eps: float = 1e-5,
    dtype: npt.DTypeLike = np.float32,
):
    """An MLP with a batch norm layer between every hidden affine layer and its nonlinearity.

    ``Affine, BatchNorm, hidden, ..., Affine, BatchNorm, hidden, Affine``; the
    output layer is not normalised. With ``batch_norm=False`` the same network
    without batch norm layers (``mlplab.models.mlp``), with the same weights for
    the same ``rng``.

    Args:
        layer_sizes: ``[input_dim, hidden_dim_1, ..., output_dim]``.
        hidden: callable returning a new activation layer.
        batch_norm: insert the batch norm layers.
        rng: generator for the weight initialiser.
        weights_init: callable ``(shape, rng) -> array`` (default: ``AffineLayer``'s).
        momentum, eps: passed to every ``BatchNormLayer``.
        dtype: dtype of all parameters.

    Returns:
        A ``MultipleLayerModel``.
    """
    from mlplab.models import MultipleLayerModel

    if len(layer_sizes) < 2:
        raise ValueError(f"batch_norm_mlp needs at least an input and an output size, got {list(layer_sizes)}")
    layers: list[Layer] = []
    pairs = list(zip(layer_sizes[:-1], layer_sizes[1:]))
    for i, (input_dim, output_dim) in enumerate(pairs):
        layers.append(AffineLayer(input_dim, output_dim, rng=rng, weights_init=weights_init, dtype=dtype))
        if i < len(pairs) - 1:
            if batch_norm:
                layers.append(BatchNormLayer(output_dim, eps=eps, momentum=momentum, dtype=dtype))
            layers.append(hidden())
    return MultipleLayerModel(layers)


def layer_norm_mlp(
    layer_sizes: Sequence[int],
    hidden: Callable[[], Layer] = ReluLayer,
    *,
    rng: np.random.Generator | None = None,
    weights_init: Initialiser | None = None,
    eps: float = 1e-5,
    dtype: npt.DTypeLike = np.float32,
):
    """:func:`batch_norm_mlp` with a ``LayerNormLayer`` in place of every batch norm layer.

    The same weights as ``batch_norm_mlp`` for the same ``rng`` (normalisation layers draw nothing).
    """
    from mlplab.models import MultipleLayerModel

    plain = batch_norm_mlp(layer_sizes, hidden, batch_norm=False, rng=rng, weights_init=weights_init, dtype=dtype)
    *hidden_layers, output = plain.layers
    layers: list[Layer] = []
    for layer in hidden_layers:
        layers.append(layer)
        if isinstance(layer, AffineLayer):
            layers.append(LayerNormLayer(layer.output_dim, eps=eps, dtype=dtype))
    return MultipleLayerModel([*layers, output])


def batch_norm_layers(model) -> list[BatchNormLayer]:
    """The ``BatchNormLayer``s of a ``MultipleLayerModel``, first to last."""
    return [layer for layer in model.layers if isinstance(layer, BatchNormLayer)]


def collect_batch_statistics(model, data: Iterable) -> tuple[int, list[tuple[np.ndarray, np.ndarray]]]:
    """The mean and variance of every batch norm layer's inputs on each minibatch of ``data``.

    Runs the network forward as in training (each batch norm layer normalises
    with its batch statistics, computed by ``batchnorm_forward``, task 2.1) but
    changes nothing: no parameter and no running statistic is updated. Other
    layers are run in evaluation mode. Minibatches whose size differs from
    the first one's (a partial last batch) are skipped, so that every batch
    has the same size ``m``.

    Args:
        model: a ``MultipleLayerModel`` with batch norm layers.
        data: iterable of ``(inputs, targets)`` minibatches (e.g. the training provider).

    Returns:
        ``(m, statistics)``: the batch size and, per batch norm layer,
        ``(batch_means, batch_vars)`` of shape ``(K, D)`` for ``K`` minibatches.
    """
    from mlplab.exercises.batch_norm import batchnorm_forward

    layers = batch_norm_layers(model)
    if not layers:
        raise ValueError("the model has no BatchNormLayer")
    means: list[list[np.ndarray]] = [[] for _ in layers]
    variances: list[list[np.ndarray]] = [[] for _ in layers]
    modes = [layer.training for layer in model.layers]
    batch_size = None
    try:
        for layer in model.layers:
            layer.eval()
        for inputs, _ in data:
            if batch_size is None:
                batch_size = len(inputs)
            if len(inputs) != batch_size:
                continue
            h, k = inputs, 0
            for layer in model.layers:
                if isinstance(layer, BatchNormLayer):
                    h, mean, var = batchnorm_forward(h, layer.gamma, layer.beta, layer.eps)
                    means[k].append(np.asarray(mean, dtype=np.float64))
                    variances[k].append(np.asarray(var, dtype=np.float64))
                    k += 1
                else:
                    h = layer.fprop(h)
    finally:
        for layer, mode in zip(model.layers, modes):
            layer.train() if mode else layer.eval()
    if batch_size is None:
        raise ValueError("the data provider yielded no minibatches")
    if batch_size < 2:
        raise ValueError("batch statistics need minibatches of at least 2 examples")
    return batch_size, [(np.stack(m), np.stack(v)) for m, v in zip(means, variances)]


def estimate_population_statistics(model, data: Iterable) -> list[tuple[np.ndarray, np.ndarray]]:
    """The lecture's inference statistics ``(E[x], Var[x])`` of every batch norm layer.

    The batch statistics of :func:`collect_batch_statistics` are combined by
    ``population_statistics`` (task 2.3). Nothing in the model is changed.

    Returns:
        Per batch norm layer, ``(mean, var)`` of shape ``(D,)``.
    """
    from mlplab.exercises.batch_norm import population_statistics

    batch_size, statistics = collect_batch_statistics(model, data)
    return [
        tuple(np.asarray(s, dtype=np.float64) for s in population_statistics(means, variances, batch_size))
        for means, variances in statistics
    ]


def set_inference_statistics(model, statistics: Sequence[tuple[np.ndarray, np.ndarray]]) -> None:
    """Stores ``(mean, var)`` per batch norm layer as the statistics used in evaluation mode."""
    layers = batch_norm_layers(model)
    if len(statistics) != len(layers):
        raise ValueError(f"got statistics for {len(statistics)} layers, the model has {len(layers)}")
    for layer, (mean, var) in zip(layers, statistics):
        layer.running_mean = np.array(mean, dtype=layer.gamma.dtype)
        layer.running_var = np.array(var, dtype=layer.gamma.dtype)


def get_inference_statistics(model) -> list[tuple[np.ndarray, np.ndarray]]:
    """Copies of ``(running_mean, running_var)`` of every batch norm layer."""
    return [(layer.running_mean.copy(), layer.running_var.copy()) for layer in batch_norm_layers(model)]


def use_population_statistics(model, data: Iterable) -> list[tuple[np.ndarray, np.ndarray]]:
    """Replaces the running averages of every batch norm layer by population statistics.

    Call it after training, with the training data (``estimate_population_statistics``).

    Returns:
        The statistics stored, per batch norm layer ``(mean, var)``.
    """
    statistics = estimate_population_statistics(model, data)
    set_inference_statistics(model, statistics)
    return statistics
