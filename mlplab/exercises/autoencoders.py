# Your file for tasks 5.1, 5.2, 5.3, 5.4, 5.5, 5.6, 5.7, 5.8, 5.9, 5.10: replace each `raise NotImplementedError(...)`
# with your implementation. Check it with mlplab.check("lab5").
"""Autoencoders and pretraining (Lab 5, tasks 5.1-5.10).

Tasks 5.1-5.8: corruptions, denoising, greedy layer-wise pretraining of stacked
autoencoders and tied weights; task 5.9: the gradients of a linear
autoencoder, by hand; task 5.10: supervised layer-by-layer pretraining.

An autoencoder is a network trained to reproduce its input: an *encoder* maps
an input ``x`` to a code ``h = f(W1 x + b1)`` and a *decoder* maps the code
back to a reconstruction ``x_hat = g(W2 h + b2)``, and the error is the
squared difference between ``x_hat`` and ``x``. A *denoising* autoencoder gets
a corrupted input ``x_tilde`` and must reconstruct the clean ``x``.

Conventions shared by this file:

* Inputs are float arrays of shape ``(batch_size, dim)``; digits have pixels
  in ``[0, 1]``.
* The corruption functions (tasks 5.1-5.3) return a **new** array of the
  inputs' shape and dtype and never modify their argument. Every random
  number comes from the ``rng`` they are given (an ``np.random.Generator``),
  independently for every entry of every example; numpy's global random
  state is never used.
* A model is a ``mlplab.models.MultipleLayerModel``; its affine layers store
  ``weights`` of shape ``(output_dim, input_dim)`` and ``biases`` of shape
  ``(output_dim,)``.

``mlplab.training.train_autoencoder`` trains an autoencoder by minibatch gradient
descent on the sum-of-squared-differences error; ``mlplab.training.encode`` computes codes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

import numpy as np

from mlplab.layers.activations import SigmoidLayer
from mlplab.layers.affine import AffineLayer, Initialiser
from mlplab.layers.base import Layer, LayerWithParameters
from mlplab.models import MultipleLayerModel
from mlplab.training import encode, train_autoencoder

#: A corruption maps ``(inputs, rng)`` to corrupted inputs of the same shape and dtype.
Corruption = Callable[[np.ndarray, np.random.Generator], np.ndarray]


def gaussian_corruption(inputs: np.ndarray, rng: np.random.Generator, std: float = 0.3) -> np.ndarray:
    """Additive Gaussian noise: ``x_tilde = x + noise`` with ``noise ~ N(0, std**2)`` per entry.

    Every entry of every example gets its own independent noise value. The
    result is not clipped.

    Args:
        inputs: array of shape ``(batch_size, dim)``, any float dtype.
        rng: the generator every noise value is drawn from.
        std: the standard deviation of the noise (not its variance), ``>= 0``.

    Returns:
        A new array of the shape and dtype of ``inputs``.
    """
    raise NotImplementedError("Lab 5, task 5.1: implement gaussian_corruption (Additive Gaussian corruption)")


def masking_corruption(inputs: np.ndarray, rng: np.random.Generator, drop_prob: float = 0.25) -> np.ndarray:
    """Masking noise: each entry is set to 0 with probability ``q = drop_prob``, independently.

    The entries that are not dropped keep their value exactly: unlike dropout,
    nothing is rescaled (the autoencoder must learn to fill the gaps in, not
    to see an input of the same expected value).

    Args:
        inputs: array of shape ``(batch_size, dim)``, any float dtype.
        rng: the generator the mask is drawn from.
        drop_prob: ``q``, the probability of setting an entry to 0, in ``[0, 1]``.

    Returns:
        A new array of the shape and dtype of ``inputs``.
    """
    raise NotImplementedError("Lab 5, task 5.2: implement masking_corruption (Masking corruption)")


def salt_and_pepper_corruption(inputs: np.ndarray, rng: np.random.Generator, fraction: float = 0.2) -> np.ndarray:
    """Salt-and-pepper noise: a random fraction of the entries is set to 0 or to 1.

    Each entry is corrupted with probability ``q = fraction``, independently;
    a corrupted entry becomes 0 ("pepper") or 1 ("salt") with probability 1/2
    each, independently of the others. The other entries keep their value.

    Args:
        inputs: array of shape ``(batch_size, dim)``, values in ``[0, 1]``.
        rng: the generator every choice is drawn from.
        fraction: ``q``, the probability of corrupting an entry, in ``[0, 1]``.

    Returns:
        A new array of the shape and dtype of ``inputs``.
    """
    raise NotImplementedError("Lab 5, task 5.3: implement salt_and_pepper_corruption (Salt-and-pepper corruption)")


def autoencoder(
    input_dim: int,
    code_dim: int,
    rng: np.random.Generator,
    *,
    hidden: Callable[[], Layer] = SigmoidLayer,
    output: Callable[[], Layer] | None = SigmoidLayer,
    weights_init: Initialiser | None = None,
    dtype=np.float32,
) -> MultipleLayerModel:
    """A one-hidden-layer autoencoder ``input_dim -> code_dim -> input_dim``.

    The model's layers, in this order:

    1. the encoder's ``AffineLayer(input_dim, code_dim)``,
    2. ``hidden()``, the code's activation layer,
    3. the decoder's ``AffineLayer(code_dim, input_dim)``,
    4. ``output()``, the reconstruction's activation layer, left out when
       ``output`` is None (a linear decoder).

    So ``model.layers[:2]`` is the encoder and ``model.layers[2:]`` the decoder.
    Create the encoder's affine layer first and then the decoder's, both with
    ``rng=rng, weights_init=weights_init, dtype=dtype`` (and the default zero biases).

    Args:
        input_dim: the dimension of the inputs (and of the reconstructions).
        code_dim: the number of hidden units, the dimension of the code.
        rng: passed to both affine layers' initialisers.
        hidden: a layer class or callable with no arguments returning the code's activation.
        output: the same for the reconstruction's activation, or None for none.
        weights_init: the affine layers' weight initialiser (None: ``AffineLayer``'s default).
        dtype: the parameters' dtype.

    Returns:
        A ``MultipleLayerModel`` with 4 layers (3 when ``output`` is None).
    """
    raise NotImplementedError("Lab 5, task 5.4: implement autoencoder (An autoencoder: encoder and decoder)")


class DenoisingProvider:
    """Wraps a minibatch provider for training a denoising autoencoder.

    Iterating over it is one epoch of the wrapped provider: for each of its
    ``(inputs, targets)`` batches it yields the pair
    ``(corruption(inputs, self.rng), inputs)``: the **corrupted** inputs are
    what the autoencoder sees, the **clean** inputs are what it must
    reconstruct. The wrapped provider's targets (class labels) are not used.
    Each batch is corrupted anew, so every epoch sees new corruptions. With
    ``corruption=None`` the pairs are ``(inputs, inputs)``: a plain autoencoder.

    Args:
        provider: any iterable of ``(inputs, targets)`` batches, e.g. a ``MinibatchProvider``.
        corruption: a function ``(inputs, rng) -> corrupted inputs`` (use
            ``functools.partial`` to fix its other arguments), or None.
        rng: the generator passed to ``corruption``.
    """

    def __init__(
        self, provider: Iterable[tuple[np.ndarray, np.ndarray]], corruption: Corruption | None, rng: np.random.Generator
    ):
        if not isinstance(rng, np.random.Generator):
            raise TypeError(
                f"rng must be an np.random.Generator, got {type(rng).__name__}; "
                "make one with np.random.default_rng(seed)"
            )
        if corruption is not None and not callable(corruption):
            raise TypeError(f"corruption must be a callable (inputs, rng) -> inputs or None, got {corruption!r}")
        self.provider = provider
        self.corruption = corruption
        self.rng = rng

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """One epoch of ``(corrupted inputs, clean inputs)`` pairs, each of shape ``(batch_size, dim)``."""
        raise NotImplementedError(
            "Lab 5, task 5.5: implement DenoisingProvider.__iter__ (Corrupted inputs, clean targets)"
        )

    def __len__(self) -> int:
        return len(self.provider)


def pretrain_stack(
    inputs: np.ndarray,
    code_dims: Sequence[int],
    rng: np.random.Generator,
    *,
    build: Callable[..., MultipleLayerModel] = autoencoder,
    train: Callable[..., object] = train_autoencoder,
    **train_options,
) -> list[MultipleLayerModel]:
    """Greedy layer-wise pretraining of a stack of autoencoders.

    The first autoencoder learns to reconstruct the inputs; the second
    learns to reconstruct the *codes* of the first (its hidden layer's
    outputs on the inputs, computed after it was trained); the third the codes
    of the second, and so on. For ``k = 0, 1, ...``:

    1. ``model = build(dim, code_dims[k], rng)`` with ``dim`` the width of the
       current data (the inputs' for ``k = 0``, ``code_dims[k - 1]`` after);
    2. ``train(model, data, rng, **train_options)`` with the current data;
    3. the next data are the codes of the current data under the trained
       encoder, ``model.layers[:2]`` (``encode`` does this).

    Call ``build`` and ``train`` exactly as written (they may be replaced by
    other functions with the same arguments); the data of stage 0 are
    ``inputs`` themselves.

    Args:
        inputs: training inputs, shape ``(num_examples, input_dim)``.
        code_dims: the code sizes of the autoencoders, first to last.
        rng: passed to ``build`` and ``train``.
        build: makes an autoencoder ``(input_dim, code_dim, rng) -> model`` whose
            ``layers[:2]`` is the encoder (default: your ``autoencoder``).
        train: trains a model in place, ``(model, inputs, rng, **train_options)``
            (default: ``train_autoencoder``).
        **train_options: passed on to every call of ``train``.

    Returns:
        The trained autoencoders, first to last (``len(code_dims)`` models).
    """
    raise NotImplementedError(
        "Lab 5, task 5.6: implement pretrain_stack (Greedy layer-wise pretraining of stacked autoencoders)"
    )


def pretrained_classifier(
    autoencoders: Sequence[MultipleLayerModel],
    num_classes: int,
    rng: np.random.Generator,
    *,
    weights_init: Initialiser | None = None,
) -> MultipleLayerModel:
    """A classifier initialised from pretrained encoders, ready for fine-tuning.

    For every autoencoder, first to last, the classifier gets a **copy** of
    its encoder: a new ``AffineLayer`` with copies of the encoder's weights
    and biases (same dtype), followed by a new activation layer of the same
    class as the encoder's (``type(model.layers[1])()``). Last comes a new
    output ``AffineLayer(code_dim, num_classes, rng=rng,
    weights_init=weights_init, dtype=...)`` with the last code's size and
    the encoders' dtype, whose outputs are the logits. Fine-tuning the
    classifier must leave the autoencoders unchanged: no array may be shared.

    Args:
        autoencoders: pretrained autoencoders (``layers[0]`` an ``AffineLayer``,
            ``layers[1]`` an activation layer with a no-argument constructor).
        num_classes: the number of classes.
        rng: passed to the output layer's initialiser.
        weights_init: the output layer's weight initialiser (None: ``AffineLayer``'s default).

    Returns:
        A ``MultipleLayerModel`` with ``2 * len(autoencoders) + 1`` layers.
    """
    raise NotImplementedError(
        "Lab 5, task 5.7: implement pretrained_classifier (A classifier initialised from pretrained encoders)"
    )


class TiedDecoderLayer(LayerWithParameters):
    """A decoder that shares the encoder's weight matrix: ``outputs = inputs @ W + c``.

    ``W`` is the encoder ``AffineLayer``'s own ``weights`` array, of shape
    ``(code_dim, input_dim)`` (the encoder computes ``x @ W.T + b``), so the
    decoder uses ``W`` transposed compared with the encoder and maps codes of
    ``code_dim`` entries back to ``input_dim`` entries. Only the biases ``c``,
    of shape ``(input_dim,)``, belong to the decoder: ``params`` is ``[c]``
    and ``grads_wrt_params`` gives ``[dE/dc]``. The decoder's share of the
    gradient with respect to ``W`` is given by ``grads_wrt_weights``; the
    model (``TiedAutoencoder``) adds it to the encoder's share.

    Args:
        weights: the encoder's weight array itself (not a copy), shape ``(code_dim, input_dim)``.
        biases_init: callable ``(shape, rng) -> array`` for ``c`` (default: zeros); the
            biases get the dtype of ``weights``.
    """

    def __init__(self, weights: np.ndarray, biases_init: Initialiser | None = None):
        if not isinstance(weights, np.ndarray) or weights.ndim != 2:
            raise TypeError("TiedDecoderLayer needs the encoder's 2-D weight array (encoder.weights)")
        self.weights = weights
        self.input_dim, self.output_dim = weights.shape
        init = biases_init or (lambda shape, _rng: np.zeros(shape))
        self.biases = np.array(init((self.output_dim,), None), dtype=weights.dtype)

    def fprop(self, inputs: np.ndarray) -> np.ndarray:
        """``outputs = inputs @ W + c``.

        Args:
            inputs: codes, shape ``(batch_size, code_dim)``.

        Returns:
            outputs: shape ``(batch_size, input_dim)``.
        """
        raise NotImplementedError("Lab 5, task 5.8: implement TiedDecoderLayer.fprop (A tied-weights autoencoder)")

    def bprop(self, inputs: np.ndarray, outputs: np.ndarray, grads_wrt_outputs: np.ndarray) -> np.ndarray:
        """Back propagates through ``inputs @ W + c``.

        Args:
            inputs: codes, shape ``(batch_size, code_dim)``.
            outputs: what ``fprop`` returned, shape ``(batch_size, input_dim)`` (not used).
            grads_wrt_outputs: dE/d(outputs), shape ``(batch_size, input_dim)``.

        Returns:
            dE/d(inputs), shape ``(batch_size, code_dim)``.
        """
        raise NotImplementedError("Lab 5, task 5.8: implement TiedDecoderLayer.bprop (A tied-weights autoencoder)")

    def grads_wrt_params(self, inputs: np.ndarray, grads_wrt_outputs: np.ndarray) -> list[np.ndarray]:
        """``[dE/dc]``: the gradient with respect to the decoder's own biases, shape ``(input_dim,)``.

        Args:
            inputs: codes, shape ``(batch_size, code_dim)``.
            grads_wrt_outputs: shape ``(batch_size, input_dim)``.
        """
        raise NotImplementedError(
            "Lab 5, task 5.8: implement TiedDecoderLayer.grads_wrt_params (A tied-weights autoencoder)"
        )

    def grads_wrt_weights(self, inputs: np.ndarray, grads_wrt_outputs: np.ndarray) -> np.ndarray:
        """The decoder's share of ``dE/dW``: the gradient through this use of ``W`` only.

        Args:
            inputs: codes, shape ``(batch_size, code_dim)``.
            grads_wrt_outputs: shape ``(batch_size, input_dim)``.

        Returns:
            An array of the shape of ``W``, ``(code_dim, input_dim)``.
        """
        raise NotImplementedError(
            "Lab 5, task 5.8: implement TiedDecoderLayer.grads_wrt_weights (A tied-weights autoencoder)"
        )

    @property
    def params(self) -> list[np.ndarray]:
        """``[biases]``: the shared weights are the encoder's parameter, listed by the encoder only."""
        return [self.biases]

    def __repr__(self) -> str:
        return f"TiedDecoderLayer(input_dim={self.input_dim}, output_dim={self.output_dim})"


class TiedAutoencoder(MultipleLayerModel):
    """An autoencoder whose decoder (``layers[2]``, a ``TiedDecoderLayer``) shares the encoder's weights.

    The layers are those of ``autoencoder``: ``[encoder AffineLayer, code
    activation, TiedDecoderLayer, reconstruction activation (optional)]``.
    ``params`` is ``[W, b, c]``: the shared ``W`` is listed once (by the
    encoder), so a learning rule updates it once per step, with the one
    gradient ``grads_wrt_params`` gives for it.
    """

    def grads_wrt_params(self, activations: list[np.ndarray], grads_wrt_outputs: np.ndarray) -> list[np.ndarray]:
        """``[dE/dW, dE/db, dE/dc]``, in the order of ``params``.

        ``W`` is used twice, by the encoder and by the decoder, so ``dE/dW`` is
        the **sum** of the encoder's share (from the encoder's
        ``grads_wrt_params``) and the decoder's share (from the decoder's
        ``grads_wrt_weights``), each computed with the gradient with respect
        to that layer's own outputs during back-propagation.

        Args:
            activations: what ``fprop`` returned for this minibatch.
            grads_wrt_outputs: dE/d(model outputs), shape of ``activations[-1]``.

        Returns:
            Three arrays, of the shapes of ``W``, ``b`` and ``c``.
        """
        raise NotImplementedError(
            "Lab 5, task 5.8: implement TiedAutoencoder.grads_wrt_params (A tied-weights autoencoder)"
        )


def tied_autoencoder(
    input_dim: int,
    code_dim: int,
    rng: np.random.Generator,
    *,
    hidden: Callable[[], Layer] = SigmoidLayer,
    output: Callable[[], Layer] | None = SigmoidLayer,
    weights_init: Initialiser | None = None,
    dtype=np.float32,
) -> TiedAutoencoder:
    """A tied-weights autoencoder ``input_dim -> code_dim -> input_dim``: half the weights of ``autoencoder``.

    The layers, in this order: the encoder's ``AffineLayer(input_dim,
    code_dim, rng=rng, weights_init=weights_init, dtype=dtype)``,
    ``hidden()``, a ``TiedDecoderLayer`` given the encoder's ``weights``
    array itself (not a copy: both layers must see every update of ``W``),
    and ``output()`` unless ``output`` is None. Arguments as for ``autoencoder``.

    Returns:
        A ``TiedAutoencoder`` with 4 layers (3 when ``output`` is None).
    """
    raise NotImplementedError("Lab 5, task 5.8: implement tied_autoencoder (A tied-weights autoencoder)")


def linear_autoencoder_grads(inputs: np.ndarray, params: Sequence[np.ndarray]) -> tuple[float, list[np.ndarray]]:
    """The error ``E`` of a linear autoencoder on a batch, and its gradients (task 5.9).

    A linear autoencoder has no activation functions: the encoder computes the
    code ``h = x @ W.T + b`` and the decoder the reconstruction
    ``x_hat = h @ V.T + c``. Its error on a batch of ``N`` inputs is the library's
    ``SumOfSquaredDiffsError``: half the squared distance between reconstruction
    and input, summed over the ``D`` entries of an input and averaged over the
    ``N`` inputs, ``E = (1 / N) * sum_n 0.5 * ||x_hat_n - x_n||**2``. The weights
    follow ``AffineLayer``'s convention (``(output_dim, input_dim)``), with ``k``
    the code size.

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


def add_hidden_layer(
    model: MultipleLayerModel,
    hidden_dim: int,
    rng: np.random.Generator,
    *,
    weights_init: Initialiser | None = None,
) -> tuple[MultipleLayerModel, list[bool]]:
    """One step of supervised pretraining: the trained classifier, one hidden layer deeper (task 5.10).

    A classifier here is a ``MultipleLayerModel`` whose layers are
    ``[AffineLayer, activation] * L + [AffineLayer]``: ``L`` hidden layers, each
    an affine layer followed by its activation layer, and an output affine layer
    whose outputs are the logits. Which parameters train is a list of booleans,
    one for each array of ``model.params``, in that order.

    The new model's layers are, in this order:

    1. the layers of ``model`` except its output layer (``model.layers[:-1]``):
       the trained hidden layers themselves, not copies;
    2. a new ``AffineLayer(d, hidden_dim, rng=rng, weights_init=weights_init,
       dtype=...)`` with ``d`` the width of the last trained hidden layer;
    3. a new activation layer of the class of the last trained one
       (``type(model.layers[-2])()``);
    4. a new output ``AffineLayer(hidden_dim, num_classes, rng=rng,
       weights_init=weights_init, dtype=...)`` with as many outputs as the old
       output layer.

    Create the new hidden affine layer before the new output layer, both with
    the dtype of the old output layer's weights (and the default zero biases).

    Args:
        model: a trained classifier, layers ``[AffineLayer, activation] * L + [AffineLayer]`` with ``L >= 1``.
        hidden_dim: the width of the new hidden layer.
        rng: passed to both new affine layers' initialisers.
        weights_init: the new layers' weight initialiser (None: ``AffineLayer``'s default).

    Returns:
        ``(new_model, trainable)``: the deeper ``MultipleLayerModel`` (two layers more than
        ``model``) and one boolean per array of ``new_model.params``, True exactly for the
        arrays of the new layers.
    """
    raise NotImplementedError("Lab 5, task 5.10: implement add_hidden_layer (Supervised layer-by-layer pretraining)")


def supervised_pretraining(
    input_dim: int,
    hidden_dims: Sequence[int],
    num_classes: int,
    rng: np.random.Generator,
    *,
    train: Callable[[MultipleLayerModel, list[bool]], object],
    hidden: Callable[[], Layer] = SigmoidLayer,
    weights_init: Initialiser | None = None,
    dtype=np.float32,
) -> MultipleLayerModel:
    """Builds a ``input_dim-hidden_dims-num_classes`` classifier by supervised layer-by-layer pretraining (task 5.10).

    Supervised pretraining grows the classifier one hidden layer at a time, with
    the labels: train a network with one hidden layer; remove its output layer
    (and so the weights leading to the output); add a new hidden layer and a new
    output layer and train **only the newly added weights**; repeat while the
    network is not deep enough; then **fine-tune**: train every weight of the
    whole network together. In steps:

    1. Build the network with one hidden layer: ``AffineLayer(input_dim,
       hidden_dims[0], rng=rng, weights_init=weights_init, dtype=dtype)``,
       ``hidden()``, ``AffineLayer(hidden_dims[0], num_classes, rng=rng,
       weights_init=weights_init, dtype=dtype)``, and train all of it:
       ``train(model, [True] * len(model.params))``.
    2. For every further width in ``hidden_dims[1:]``: ``model, trainable =
       add_hidden_layer(model, width, rng, weights_init=weights_init)``, then
       ``train(model, trainable)`` (the new weights only).
    3. Fine-tune: ``train(model, [True] * len(model.params))`` on the final network.

    So ``train`` is called ``len(hidden_dims) + 1`` times. It trains the model
    in place (the arrays marked False must not change); its result is not used.

    Args:
        input_dim: the inputs' dimension.
        hidden_dims: the widths of the hidden layers, first to last (at least one).
        num_classes: the number of outputs.
        rng: passed to every new affine layer.
        train: ``(model, trainable) -> anything``, trains ``model`` in place.
        hidden: a layer class or callable with no arguments returning the hidden activation.
        weights_init: every new affine layer's weight initialiser (None: ``AffineLayer``'s default).
        dtype: the parameters' dtype.

    Returns:
        The pretrained and fine-tuned classifier, ``2 * len(hidden_dims) + 1`` layers.
    """
    raise NotImplementedError(
        "Lab 5, task 5.10: implement supervised_pretraining (Supervised layer-by-layer pretraining)"
    )
