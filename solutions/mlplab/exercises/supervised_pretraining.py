"""Supervised layer-by-layer pretraining (Lab 5, task 5.10).

A deep classifier is built and trained one hidden layer at a time, with the labels:

1. train a network with one hidden layer (``input -> hidden -> output``);
2. remove its output layer (and so the weights leading to the output);
3. add a new hidden layer and a new output layer on top of the trained hidden
   layers and train **only the newly added weights**;
4. go back to 2 while the network is not deep enough; then **fine-tune**: train
   every weight of the whole network together.

A classifier is a ``mlplab.models.MultipleLayerModel`` whose layers are
``[AffineLayer, activation] * L + [AffineLayer]``: ``L`` hidden layers, each
an affine layer followed by its activation layer, and an output affine layer
whose outputs are the logits. Which parameters train is given as a list of
booleans, one for each array of ``model.params``, in that order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from mlplab.layers.activations import SigmoidLayer
from mlplab.layers.affine import AffineLayer, Initialiser
from mlplab.layers.base import Layer
from mlplab.models import MultipleLayerModel


def add_hidden_layer(
    model: MultipleLayerModel,
    hidden_dim: int,
    rng: np.random.Generator,
    *,
    weights_init: Initialiser | None = None,
) -> tuple[MultipleLayerModel, list[bool]]:
    """One step of supervised pretraining: the trained classifier, one hidden layer deeper.

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
    ### BEGIN SOLUTION
    old_output = model.layers[-1]
    dtype = old_output.weights.dtype
    last_hidden = model.layers[-3]
    new_hidden = AffineLayer(last_hidden.output_dim, hidden_dim, rng=rng, weights_init=weights_init, dtype=dtype)
    new_output = AffineLayer(hidden_dim, old_output.output_dim, rng=rng, weights_init=weights_init, dtype=dtype)
    kept = model.layers[:-1]
    new_model = MultipleLayerModel([*kept, new_hidden, type(model.layers[-2])(), new_output])
    num_old = len(MultipleLayerModel(kept).params)
    trainable = [False] * num_old + [True] * (len(new_model.params) - num_old)
    return new_model, trainable
    ### END SOLUTION


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
    """Builds a ``input_dim-hidden_dims-num_classes`` classifier by supervised layer-by-layer pretraining.

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
    ### BEGIN SOLUTION
    first = hidden_dims[0]
    model = MultipleLayerModel(
        [
            AffineLayer(input_dim, first, rng=rng, weights_init=weights_init, dtype=dtype),
            hidden(),
            AffineLayer(first, num_classes, rng=rng, weights_init=weights_init, dtype=dtype),
        ]
    )
    train(model, [True] * len(model.params))
    for width in hidden_dims[1:]:
        model, new_only = add_hidden_layer(model, width, rng, weights_init=weights_init)
        train(model, new_only)
    everything = [True] * len(model.params)
    train(model, everything)
    return model
    ### END SOLUTION
