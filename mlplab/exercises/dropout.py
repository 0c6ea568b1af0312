# Your file for tasks 3.1, 3.2, 3.3: replace each `raise NotImplementedError(...)`
# with your implementation. Check it with mlplab.check("lab3").
"""Dropout, DropConnect and annealed dropout (Lab 3, tasks 3.1-3.3).

Conventions shared by the layers here:

* ``incl_prob`` is the **inclusion probability** ``p``: the probability that a
  unit (dropout) or a weight (DropConnect) is *kept* in a training step. The
  probability of dropping it is ``1 - p``. (The lecture uses ``p`` this way:
  ``p ~ 0.5`` for hidden units, ``p ~ 0.8`` for inputs.)
* Every random number is drawn from the layer's own generator ``self.rng`` (an
  ``np.random.Generator``), never from ``np.random.*``: the same seed always
  gives the same masks, and numpy's global random state is left alone.
* ``layer.training`` (switched by ``layer.train()`` and ``layer.eval()``)
  decides what ``fprop`` does: in training mode a fresh random mask is drawn
  for *every call* and for *every example* of the batch; in evaluation mode
  nothing is random and the output is the expected training output.
* ``fprop`` in training mode stores the mask it drew in ``self.mask``;
  ``bprop`` (and ``grads_wrt_params``) must use exactly that mask, the one the
  outputs were computed with, and must not draw a new one.
* Outputs and gradients keep the dtype of the inputs (a Python float such as
  ``self.incl_prob`` keeps an array's dtype; a float64 array does not).
* Nothing is modified in place: the methods return new arrays.
"""

from __future__ import annotations

import numpy as np

from mlplab.layers.affine import AffineLayer, Initialiser
from mlplab.layers.base import StochasticLayer
from mlplab.validation import check_incl_prob


class DropoutLayer(StochasticLayer):
    """Dropout: in training, each input unit is kept with probability ``p`` and set to 0 otherwise.

    With ``inputs`` ``x`` of shape ``(batch_size, dim)`` and a random 0/1 mask
    ``m`` of the same shape whose entries are 1 with probability
    ``p = incl_prob``, independently for every example and every unit:

    ===================  ==========================  ====================
    convention           training mode               evaluation mode
    ===================  ==========================  ====================
    ``inverted=True``    ``y = x * m / p``           ``y = x``
    ``inverted=False``   ``y = x * m``               ``y = p * x``
    ===================  ==========================  ====================

    Both conventions make the evaluation output equal to the *expected*
    training output, ``E[m] = p``. Weight scaling (``inverted=False``, the
    original formulation) scales the kept units' contribution by ``p`` at test
    time; inverted dropout divides by ``p`` during training instead, so the
    network is used unchanged at test time.

    Args:
        rng: the ``np.random.Generator`` every mask is drawn from.
        incl_prob: ``p``, the probability of keeping a unit, in ``(0, 1]``; default 0.5.
        inverted: which convention (see the table); default True.

    Attributes:
        mask: the boolean mask drawn by the last ``fprop`` in training mode
            (``True`` = kept), shape of its inputs; None before the first one.
    """

    def __init__(self, rng: np.random.Generator, incl_prob: float = 0.5, inverted: bool = True):
        super().__init__(rng)
        self.incl_prob = check_incl_prob(incl_prob)
        self.inverted = bool(inverted)
        self.mask: np.ndarray | None = None

    def fprop(self, inputs: np.ndarray) -> np.ndarray:
        """Forward propagates a minibatch (see the table in the class docstring).

        In training mode, draw a new boolean mask of the inputs' shape, each
        entry True with probability ``self.incl_prob`` independently (e.g.
        ``self.rng.random(inputs.shape) < self.incl_prob``), store it in
        ``self.mask`` and apply it. In evaluation mode draw nothing.

        Args:
            inputs: array of shape ``(batch_size, dim)``.

        Returns:
            outputs of shape ``(batch_size, dim)`` and the dtype of ``inputs``.
        """
        raise NotImplementedError(
            "Lab 3, task 3.1: implement DropoutLayer.fprop (Dropout layer (inverted and weight-scaled))"
        )

    def bprop(self, inputs: np.ndarray, outputs: np.ndarray, grads_wrt_outputs: np.ndarray) -> np.ndarray:
        """Back propagates through the *same* mask that the last ``fprop`` applied.

        The layer is linear in its inputs for a fixed mask, so the gradient is
        ``grads_wrt_outputs`` multiplied by what multiplied the inputs: in
        training mode ``self.mask / p`` (inverted) or ``self.mask``
        (weight scaling); in evaluation mode ``1`` (inverted) or ``p``.

        Args:
            inputs: the inputs of ``fprop``, shape ``(batch_size, dim)``.
            outputs: what ``fprop`` returned, same shape.
            grads_wrt_outputs: ``dE/d(outputs)``, same shape.

        Returns:
            ``dE/d(inputs)``, shape ``(batch_size, dim)``, dtype of the gradients.

        Raises:
            ValueError: in training mode, if ``grads_wrt_outputs`` does not have the
                shape of the stored mask (or no mask was drawn yet).
        """
        raise NotImplementedError(
            "Lab 3, task 3.1: implement DropoutLayer.bprop (Dropout layer (inverted and weight-scaled))"
        )

    def __repr__(self) -> str:
        return f"DropoutLayer(incl_prob={self.incl_prob}, inverted={self.inverted})"


class DropConnectLayer(AffineLayer, StochasticLayer):
    """DropConnect (Wan et al., 2013): an affine layer whose *weights* are dropped at random.

    In training mode every example ``n`` of a batch gets its own random 0/1
    mask ``M[n]`` of the weights' shape ``(output_dim, input_dim)``, each entry
    1 with probability ``p = incl_prob``, and the layer computes (inverted
    scaling, as ``DropoutLayer(inverted=True)``)

        ``y[n] = (M[n] * W / p) @ x[n] + b``

    so that each example sees a different random sub-network of connections.
    Biases are never dropped. In evaluation mode the layer is the plain affine
    layer ``y = x @ W.T + b``: the expected training output.

    Dropout removes a unit together with *all* of its outgoing weights;
    DropConnect removes single connections, independently.

    Args:
        input_dim, output_dim: as for ``AffineLayer``.
        rng: the ``np.random.Generator`` used by the initialisers and for every mask.
        incl_prob: ``p``, the probability of keeping a weight, in ``(0, 1]``; default 0.5.
        weights_init, biases_init, dtype: as for ``AffineLayer``.

    Attributes:
        mask: the boolean masks drawn by the last ``fprop`` in training mode,
            shape ``(batch_size, output_dim, input_dim)``; None before the first one.
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        rng: np.random.Generator,
        incl_prob: float = 0.5,
        weights_init: Initialiser | None = None,
        biases_init: Initialiser | None = None,
        dtype=np.float32,
    ):
        StochasticLayer.__init__(self, rng)  # checks that rng is a Generator and stores it as self.rng
        super().__init__(
            input_dim, output_dim, rng=rng, weights_init=weights_init, biases_init=biases_init, dtype=dtype
        )
        self.incl_prob = check_incl_prob(incl_prob)
        self.mask: np.ndarray | None = None

    def fprop(self, inputs: np.ndarray) -> np.ndarray:
        """Forward propagates a minibatch.

        In training mode, draw a new boolean mask of shape
        ``(batch_size, output_dim, input_dim)`` (entries True with probability
        ``self.incl_prob``, independently), store it in ``self.mask`` and return
        ``y[n] = (M[n] * W / p) @ x[n] + b`` for every example ``n``.
        (``np.einsum("noi,ni->no", masked_weights, inputs)`` or a batched
        ``np.matmul`` computes all the matrix-vector products at once.)
        In evaluation mode return ``inputs @ W.T + b`` and draw nothing.

        Args:
            inputs: array of shape ``(batch_size, input_dim)``.

        Returns:
            outputs of shape ``(batch_size, output_dim)``.

        Raises:
            ValueError: if ``inputs`` does not have shape ``(batch_size, input_dim)``.
        """
        raise NotImplementedError("Lab 3, task 3.2: implement DropConnectLayer.fprop (DropConnect layer)")

    def bprop(self, inputs: np.ndarray, outputs: np.ndarray, grads_wrt_outputs: np.ndarray) -> np.ndarray:
        """Back propagates through the weights of the last ``fprop``, masks included.

        In training mode ``dE/dx[n] = (M[n] * W / p).T @ dE/dy[n]`` with the
        masks stored in ``self.mask``; in evaluation mode ``dE/dy @ W``.

        Args:
            inputs: shape ``(batch_size, input_dim)``.
            outputs: shape ``(batch_size, output_dim)`` (not needed).
            grads_wrt_outputs: shape ``(batch_size, output_dim)``.

        Returns:
            ``dE/d(inputs)``, shape ``(batch_size, input_dim)``.
        """
        raise NotImplementedError("Lab 3, task 3.2: implement DropConnectLayer.bprop (DropConnect layer)")

    def grads_wrt_params(self, inputs: np.ndarray, grads_wrt_outputs: np.ndarray) -> list[np.ndarray]:
        """Gradients with respect to the weights and biases, through the masks of the last ``fprop``.

        In training mode ``dE/dW = sum_n (dE/dy[n] outer x[n]) * M[n] / p``: a
        weight that was dropped for example ``n`` gets no gradient from it.
        ``dE/db = sum_n dE/dy[n]`` in both modes. In evaluation mode ``dE/dW``
        is the plain affine layer's ``dE/dy.T @ x``.

        Args:
            inputs: shape ``(batch_size, input_dim)``.
            grads_wrt_outputs: shape ``(batch_size, output_dim)``.

        Returns:
            ``[dE/dW, dE/db]`` with shapes ``(output_dim, input_dim)`` and ``(output_dim,)``.
        """
        raise NotImplementedError("Lab 3, task 3.2: implement DropConnectLayer.grads_wrt_params (DropConnect layer)")

    def __repr__(self) -> str:
        return f"DropConnectLayer(input_dim={self.input_dim}, output_dim={self.output_dim}, incl_prob={self.incl_prob})"


def annealed_incl_prob(epoch: int, initial_incl_prob: float, num_anneal_epochs: int) -> float:
    """The inclusion probability of annealed dropout at the start of ``epoch``.

    Annealed dropout starts with the drop rate ``1 - p0`` (``p0 =
    initial_incl_prob``) and lowers it *linearly* to 0 over
    ``num_anneal_epochs`` epochs; after that, nothing is dropped::

        drop_rate(t) = (1 - p0) * max(0, 1 - t / T)        (t = epoch, T = num_anneal_epochs)
        incl_prob(t) = 1 - drop_rate(t)

    so ``incl_prob(0) = p0``, ``incl_prob(T / 2) = (1 + p0) / 2`` and
    ``incl_prob(t) = 1`` for every ``t >= T``. Epochs are counted from 0.

    Args:
        epoch: the epoch ``t`` about to start, an int ``>= 0``.
        initial_incl_prob: ``p0`` in ``(0, 1]``.
        num_anneal_epochs: ``T``, an int ``>= 1``.

    Returns:
        ``incl_prob(t)`` as a Python float in ``[p0, 1]``.

    Raises:
        ValueError: if ``epoch < 0``, ``num_anneal_epochs < 1`` or ``p0`` is not in ``(0, 1]``.
    """
    raise NotImplementedError("Lab 3, task 3.3: implement annealed_incl_prob (Annealed dropout schedule)")
