# Your file for tasks 3.10, 3.11, 3.12: replace each `raise NotImplementedError(...)`
# with your implementation. Check it with mlplab.check("lab3").
"""Weight decay (L2 and L1 penalties) and early stopping (Lab 3, tasks 3.10-3.12).

**Penalties.** Weight decay adds a penalty on the size of the weights to the data error that
training minimises, ``E_total = E_data + Omega(W)``. A penalty here is an object with two methods,
called like the error functions of ``mlplab.errors``:

* ``penalty(params)``: the value ``Omega``, one Python float;
* ``penalty.grad(params)``: ``dOmega/dparam``, a list with one new array per array of ``params``,
  in the same order and of the same shape and dtype.

``params`` is the list ``model.params`` (for an MLP ``[W1, b1, W2, b2, ...]``). **Only the weight
matrices are penalised**: the arrays of ``params`` with two or more dimensions (an affine layer's
weights have shape ``(output_dim, input_dim)``). The biases, and every other one-dimensional
parameter (batch norm's ``gamma`` and ``beta``), are left alone: they add nothing to the penalty
and their penalty gradient is an array of zeros. A bias only shifts a unit's input; keeping it
small does not make the function the network computes any smoother, and penalising it can keep
a unit from reaching the working point it needs.

Training with a penalty: ``Trainer(model, error, rule, train_data, valid_data, penalty=L2Penalty(1e-3))``
adds ``penalty.grad(model.params)`` to the gradient of the data error in every step (the errors the
trainer reports stay those of the data alone). In a loop of your own::

    grads = model.grads_wrt_params(activations, error.grad(outputs, targets))
    grads = [g + d for g, d in zip(grads, penalty.grad(model.params))]
    rule.update_params(grads)

**Early stopping.** ``EarlyStopping(patience)`` watches the validation error, epoch after epoch,
keeps a copy of the parameters of the best epoch so far and says when ``patience`` epochs have
passed without an improvement; the trainer uses it when given ``early_stopping_patience``.

Nothing here modifies its arguments, except ``EarlyStopping.restore``, whose job it is.
"""

from __future__ import annotations

import math

import numpy as np

from mlplab.validation import check_hyperparameter, check_patience


class L2Penalty:
    """L2 weight decay: ``Omega(W) = (lambda / 2) * sum of the squares of every weight``.

    The sum runs over every entry of every weight matrix (every array of ``params`` with two or
    more dimensions); biases are not penalised. The factor 1/2 makes the gradient simply
    ``lambda * W``: with plain gradient descent each step then multiplies the weights by
    ``(1 - learning_rate * lambda)`` before the data gradient acts, hence the name *weight decay*.

    Args:
        coefficient: ``lambda >= 0``; 0 turns the penalty off.
    """

    def __init__(self, coefficient: float):
        self.coefficient = check_hyperparameter("coefficient", coefficient, 0.0, math.inf)

    def __call__(self, params: list[np.ndarray]) -> float:
        """The penalty ``(lambda / 2) * sum over the weight matrices W of sum(W**2)``.

        Args:
            params: the model's parameter arrays (``model.params``); the arrays with fewer
                than two dimensions (biases) are not penalised.

        Returns:
            One Python float (0.0 when ``params`` holds no weight matrix).
        """
        raise NotImplementedError("Lab 3, task 3.10: implement L2Penalty.__call__ (L2 weight decay)")

    def grad(self, params: list[np.ndarray]) -> list[np.ndarray]:
        """The gradient of the penalty: ``lambda * W`` for a weight matrix, zeros for a bias.

        Args:
            params: the model's parameter arrays (not modified).

        Returns:
            One new array per array of ``params``, of its shape and dtype.
        """
        raise NotImplementedError("Lab 3, task 3.10: implement L2Penalty.grad (L2 weight decay)")

    def __repr__(self) -> str:
        return f"L2Penalty(coefficient={self.coefficient})"


class L1Penalty:
    """L1 weight decay: ``Omega(W) = lambda * sum of the absolute values of every weight``.

    As for ``L2Penalty``, only the weight matrices are penalised, not the biases. ``|w|`` has no
    derivative at ``w = 0``; its *subgradient* ``sign(w)`` is used, with ``sign(0) = 0`` (what
    ``np.sign`` gives): a weight that is exactly zero is not pushed either way. Unlike the L2
    penalty, whose pull ``lambda * w`` fades as ``w`` gets small, the L1 pull has the same size
    ``lambda`` for every weight that is not zero, so it drives weights that the data do not need
    all the way to (about) zero: L1 weight decay gives *sparse* weights.

    Args:
        coefficient: ``lambda >= 0``; 0 turns the penalty off.
    """

    def __init__(self, coefficient: float):
        self.coefficient = check_hyperparameter("coefficient", coefficient, 0.0, math.inf)

    def __call__(self, params: list[np.ndarray]) -> float:
        """The penalty ``lambda * sum over the weight matrices W of sum(|W|)``.

        Args:
            params: the model's parameter arrays; biases (fewer than two dimensions) are not penalised.

        Returns:
            One Python float (0.0 when ``params`` holds no weight matrix).
        """
        raise NotImplementedError("Lab 3, task 3.11: implement L1Penalty.__call__ (L1 weight decay)")

    def grad(self, params: list[np.ndarray]) -> list[np.ndarray]:
        """The subgradient of the penalty: ``lambda * sign(W)`` (0 where ``W`` is 0), zeros for a bias.

        Args:
            params: the model's parameter arrays (not modified).

        Returns:
            One new array per array of ``params``, of its shape and dtype.
        """
        raise NotImplementedError("Lab 3, task 3.11: implement L1Penalty.grad (L1 weight decay)")

    def __repr__(self) -> str:
        return f"L1Penalty(coefficient={self.coefficient})"


class EarlyStopping:
    """Keeps the parameters of the epoch with the lowest validation error and says when to stop.

    Call ``update`` once after every epoch whose validation error was measured, then
    ``restore`` when training is over::

        stopper = EarlyStopping(patience=5)
        for epoch in range(1, num_epochs + 1):
            ...  # one epoch of training
            if stopper.update(epoch, valid_error, model.params):
                break
        stopper.restore(model.params)  # the model now has the parameters of stopper.best_epoch

    An epoch *improves* when its validation error is strictly lower than every earlier one
    (an equal error is no improvement). Training stops once ``patience`` epochs have passed
    since the best epoch without an improvement: with ``patience = 3`` and the best error at
    epoch 4, ``update`` returns True at epoch 7 (if epochs 5, 6 and 7 did not improve), and not
    before. Epochs are counted by their numbers, so the validation error need not be measured
    after every epoch (with measurements at epochs 2, 4, 6, ... and the best at 4, patience 3
    stops at epoch 8).

    Args:
        patience: the number of epochs without improvement to wait, an integer ``>= 1``.

    Attributes:
        best_error: the lowest validation error so far (``math.inf`` before the first update).
        best_epoch: the epoch it was measured at (None before the first update).
        best_params: *copies* of the parameter arrays at ``best_epoch`` (None before the first
            update). Copies, because training goes on changing the model's own arrays in place.
    """

    def __init__(self, patience: int):
        self.patience = check_patience(patience)
        self.best_error = math.inf
        self.best_epoch: int | None = None
        self.best_params: list[np.ndarray] | None = None

    def update(self, epoch: int, valid_error: float, params: list[np.ndarray]) -> bool:
        """Records the validation error of ``epoch`` and returns whether to stop training now.

        If ``valid_error`` is lower than ``best_error``, it becomes the best: ``best_error``,
        ``best_epoch`` and ``best_params`` (new copies of ``params``) are updated. Otherwise,
        training should stop if ``epoch - best_epoch`` has reached ``patience``.

        Args:
            epoch: the number of the epoch just finished (1 for the first), larger at every call.
            valid_error: its validation error, a finite number.
            params: the model's parameter arrays after that epoch (not modified).

        Returns:
            True when training should stop, False to go on (always False for an improvement).
        """
        raise NotImplementedError("Lab 3, task 3.12: implement EarlyStopping.update (Early stopping)")

    def restore(self, params: list[np.ndarray]) -> None:
        """Copies ``best_params`` into the arrays ``params`` **in place** (nothing before the first update).

        In place (``param[...] = best``), because the arrays belong to the model's layers and the
        learning rule holds them: rebinding a name to a new array would change neither.

        Args:
            params: the model's parameter arrays, in the order given to ``update``.
        """
        raise NotImplementedError("Lab 3, task 3.12: implement EarlyStopping.restore (Early stopping)")

    def __repr__(self) -> str:
        return f"EarlyStopping(patience={self.patience})"
