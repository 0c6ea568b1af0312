"""Optimisers: momentum, Nesterov, AdaGrad, RMSProp, Adam, AdaDelta and learning-rate schedules (Lab 6).

Every rule here is an ``mlplab.learning_rules.StatefulLearningRule`` (provided) and follows its contract:

* ``initialise(params)`` receives the model's parameter arrays once (it is
  provided: it stores them in ``self.params`` and calls ``reset()``);
* ``reset()`` (you write it) allocates the rule's state **afresh**: one array
  of zeros per parameter, of that parameter's shape and dtype
  (``np.zeros_like(param)``), in a list in the order of ``self.params``, plus
  any counter. Every parameter has its *own* state arrays: never share one
  array between parameters;
* ``update_params(grads_wrt_params)`` (you write it) takes one step. It
  updates every parameter **in place** (``param -= ...``, ``param += ...``):
  the arrays belong to the model's layers, which must see the change, and
  in-place arithmetic keeps their dtype. It must not modify the gradients
  (they belong to the caller). Start it with the provided
  ``self._check_grads(grads_wrt_params)``, which raises a clear error if
  ``initialise`` was not called or the number of gradients is wrong.

All operations are element-wise: ``g**2`` is the square of every entry,
``sqrt`` and ``/`` act entry by entry. ``g`` is a parameter's gradient in the
current step; the state names used below (``self.velocities``, ...) are the
attribute names to use: the notebook's experiments read some of them.

The hyper-parameters are checked by the provided ``__init__`` methods, so you
can rely on them (e.g. ``0 <= mom_coeff < 1``). The schedules (task 6.7) start
by calling ``check_schedule_arguments(...)`` and
``check_epoch(epoch)``, which raise a ValueError for arguments out of range.
"""

from __future__ import annotations

import math

import numpy as np

from mlplab.learning_rules import StatefulLearningRule
from mlplab.validation import check_epoch, check_hyperparameter, check_schedule_arguments

# --------------------------------------------------------------------------- 6.1 momentum


class MomentumLearningRule(StatefulLearningRule):
    """Gradient descent with (classical, "heavy ball") momentum.

    Each parameter ``p`` has a velocity ``v`` (zero after ``reset``); a step is::

        v <- alpha * v - learning_rate * g
        p <- p + v

    The velocity is a running, exponentially decaying sum of past steps: along
    directions where the gradient keeps its sign the steps build up (up to
    ``1 / (1 - alpha)`` times the plain step), where it flips they cancel.
    ``alpha = 0`` is plain gradient descent.

    (The lecture writes the same rule as ``z <- alpha z + g``, ``p <- p - eta z``;
    with a constant learning rate ``v = -eta z``, so both take the same steps.)

    Args:
        learning_rate: ``eta > 0``.
        mom_coeff: ``alpha`` in ``[0, 1)``; about 0.9 is typical.

    Attributes:
        velocities: one array per parameter, its shape and dtype.
    """

    def __init__(self, learning_rate: float = 1e-3, mom_coeff: float = 0.9):
        super().__init__(learning_rate)
        self.mom_coeff = check_hyperparameter("mom_coeff", mom_coeff, 0.0, 1.0)
        self.velocities: list[np.ndarray] = []

    def reset(self) -> None:
        """Sets every velocity to zero (new arrays of zeros, one per parameter)."""
        ### BEGIN SOLUTION
        self.velocities = [np.zeros_like(param) for param in self.params]
        ### END SOLUTION

    def update_params(self, grads_wrt_params: list[np.ndarray]) -> None:
        """One momentum step for every parameter, in place."""
        ### BEGIN SOLUTION
        self._check_grads(grads_wrt_params)
        for param, velocity, grad in zip(self.params, self.velocities, grads_wrt_params):
            velocity *= self.mom_coeff
            velocity -= self.learning_rate * grad
            param += velocity
        ### END SOLUTION

    def __repr__(self) -> str:
        return f"MomentumLearningRule(learning_rate={self.learning_rate}, mom_coeff={self.mom_coeff})"


# --------------------------------------------------------------------------- 6.2 Nesterov


class NesterovMomentumLearningRule(StatefulLearningRule):
    """Nesterov's accelerated gradient, in the form that needs only the gradient at the parameters.

    Nesterov momentum measures the gradient at the *look-ahead* point
    ``p + alpha v``, where the momentum is about to carry the parameters,
    and corrects from there. Writing the rule for the look-ahead point itself
    (the reformulation of Bengio et al., 2013, used by most libraries), the
    gradient ``g`` needed is the one at the current parameters, which is what
    the trainer computes. With a velocity ``v`` per parameter (zero after
    ``reset``) a step is::

        v <- alpha * v - learning_rate * g          (the same velocity update as momentum)
        p <- p + alpha * v - learning_rate * g      (with the NEW v)

    Compared with classical momentum (``p <- p + v``), the step looks one
    velocity update ahead: ``alpha * v_new - eta g`` is what the next
    momentum step would add if the gradient stayed ``g``.

    Args:
        learning_rate: ``eta > 0``.
        mom_coeff: ``alpha`` in ``[0, 1)``.

    Attributes:
        velocities: one array per parameter, its shape and dtype.
    """

    def __init__(self, learning_rate: float = 1e-3, mom_coeff: float = 0.9):
        super().__init__(learning_rate)
        self.mom_coeff = check_hyperparameter("mom_coeff", mom_coeff, 0.0, 1.0)
        self.velocities: list[np.ndarray] = []

    def reset(self) -> None:
        """Sets every velocity to zero (new arrays of zeros, one per parameter)."""
        ### BEGIN SOLUTION
        self.velocities = [np.zeros_like(p) for p in self.params]
        ### END SOLUTION

    def update_params(self, grads_wrt_params: list[np.ndarray]) -> None:
        """One Nesterov step for every parameter, in place."""
        ### BEGIN SOLUTION
        self._check_grads(grads_wrt_params)
        for param, velocity, grad in zip(self.params, self.velocities, grads_wrt_params):
            velocity *= self.mom_coeff
            velocity -= self.learning_rate * grad
            param += self.mom_coeff * velocity - self.learning_rate * grad
        ### END SOLUTION

    def __repr__(self) -> str:
        return f"NesterovMomentumLearningRule(learning_rate={self.learning_rate}, mom_coeff={self.mom_coeff})"


# --------------------------------------------------------------------------- 6.3 AdaGrad


class AdaGradLearningRule(StatefulLearningRule):
    """AdaGrad: a learning rate per parameter entry, shrinking with the gradients it has seen.

    Each parameter has a running sum ``G`` of its squared gradients (zero
    after ``reset``); a step is::

        G <- G + g**2
        p <- p - learning_rate * g / sqrt(G + eps)        (eps INSIDE the square root)

    The effective learning rate of an entry, ``learning_rate / sqrt(G + eps)``,
    can only decrease: entries with large or frequent gradients slow down
    first, rarely active ones keep larger steps.

    Args:
        learning_rate: ``eta > 0``.
        eps: ``> 0``, keeps the division finite.

    Attributes:
        sums_sq_grads: ``G``, one array per parameter, its shape and dtype.
    """

    def __init__(self, learning_rate: float = 1e-2, eps: float = 1e-8):
        super().__init__(learning_rate)
        self.eps = check_hyperparameter("eps", eps, 0.0, math.inf, low_open=True)
        self.sums_sq_grads: list[np.ndarray] = []

    def reset(self) -> None:
        """Sets every sum of squared gradients to zero (new arrays, one per parameter)."""
        ### BEGIN SOLUTION
        self.sums_sq_grads = [np.zeros_like(param) for param in self.params]
        ### END SOLUTION

    def update_params(self, grads_wrt_params: list[np.ndarray]) -> None:
        """One AdaGrad step for every parameter, in place."""
        ### BEGIN SOLUTION
        self._check_grads(grads_wrt_params)
        for param, sum_sq, grad in zip(self.params, self.sums_sq_grads, grads_wrt_params):
            sum_sq += grad**2
            param -= self.learning_rate * grad / np.sqrt(sum_sq + self.eps)
        ### END SOLUTION

    def __repr__(self) -> str:
        return f"AdaGradLearningRule(learning_rate={self.learning_rate}, eps={self.eps})"


# --------------------------------------------------------------------------- 6.4 RMSProp


class RMSPropLearningRule(StatefulLearningRule):
    """RMSProp: divide by a decaying average of the squared gradients.

    Each parameter has a running mean ``S`` of its squared gradients (zero
    after ``reset``); a step is::

        S <- decay * S + (1 - decay) * g**2
        p <- p - learning_rate * g / sqrt(S + eps)        (eps INSIDE the square root)

    Unlike AdaGrad's sum, the average forgets old gradients (over about
    ``1 / (1 - decay)`` steps), so the effective learning rate can grow again
    when the gradients become smaller.

    Args:
        learning_rate: ``eta > 0``.
        decay: ``gamma`` in ``[0, 1)``, the weight of the old average; about 0.9.
        eps: ``> 0``.

    Attributes:
        mean_sq_grads: ``S``, one array per parameter, its shape and dtype.
    """

    def __init__(self, learning_rate: float = 1e-3, decay: float = 0.9, eps: float = 1e-8):
        super().__init__(learning_rate)
        self.decay = check_hyperparameter("decay", decay, 0.0, 1.0)
        self.eps = check_hyperparameter("eps", eps, 0.0, math.inf, low_open=True)
        self.mean_sq_grads: list[np.ndarray] = []

    def reset(self) -> None:
        """Sets every running mean of squared gradients to zero (new arrays, one per parameter)."""
        ### BEGIN SOLUTION
        self.mean_sq_grads = [np.zeros_like(param) for param in self.params]
        ### END SOLUTION

    def update_params(self, grads_wrt_params: list[np.ndarray]) -> None:
        """One RMSProp step for every parameter, in place."""
        ### BEGIN SOLUTION
        self._check_grads(grads_wrt_params)
        for param, mean_sq, grad in zip(self.params, self.mean_sq_grads, grads_wrt_params):
            mean_sq *= self.decay
            mean_sq += (1.0 - self.decay) * grad**2
            param -= self.learning_rate * grad / np.sqrt(mean_sq + self.eps)
        ### END SOLUTION

    def __repr__(self) -> str:
        return f"RMSPropLearningRule(learning_rate={self.learning_rate}, decay={self.decay}, eps={self.eps})"


# --------------------------------------------------------------------------- 6.5 Adam


class AdamLearningRule(StatefulLearningRule):
    """Adam: momentum on the gradient and RMSProp's scaling, with bias-corrected moment estimates.

    Each parameter has a first moment ``m`` and a second moment ``v`` (zero
    after ``reset``); the rule counts its steps in ``t`` (0 after ``reset``).
    A step is::

        t <- t + 1                                        (so t = 1 in the first step)
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)                        (bias correction)
        v_hat = v / (1 - beta2**t)
        p <- p - learning_rate * m_hat / (sqrt(v_hat) + eps)   (eps OUTSIDE the square root)

    ``t`` is counted once per ``update_params`` call, not once per parameter.
    Starting from zero, ``m`` and ``v`` are biased towards zero in the first
    steps (by the factors ``1 - beta**t``); the corrections remove that bias.

    Args:
        learning_rate: ``eta > 0``; 1e-3 is typical.
        beta1: in ``[0, 1)``; 0.9 is typical.
        beta2: in ``[0, 1)``; 0.999 is typical.
        eps: ``> 0``; 1e-8 is typical.

    Attributes:
        first_moments: ``m``, one array per parameter, its shape and dtype.
        second_moments: ``v``, likewise.
        step_count: ``t``, the number of steps since the last ``reset``.
    """

    def __init__(self, learning_rate: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        super().__init__(learning_rate)
        self.beta1 = check_hyperparameter("beta1", beta1, 0.0, 1.0)
        self.beta2 = check_hyperparameter("beta2", beta2, 0.0, 1.0)
        self.eps = check_hyperparameter("eps", eps, 0.0, math.inf, low_open=True)
        self.first_moments: list[np.ndarray] = []
        self.second_moments: list[np.ndarray] = []
        self.step_count = 0

    def reset(self) -> None:
        """Sets both moments of every parameter to zero (new arrays) and the step count to 0."""
        ### BEGIN SOLUTION
        self.first_moments = [np.zeros_like(param) for param in self.params]
        self.second_moments = [np.zeros_like(param) for param in self.params]
        self.step_count = 0
        ### END SOLUTION

    def update_params(self, grads_wrt_params: list[np.ndarray]) -> None:
        """One Adam step for every parameter, in place."""
        ### BEGIN SOLUTION
        self._check_grads(grads_wrt_params)
        self.step_count += 1
        correction1 = 1.0 - self.beta1**self.step_count
        correction2 = 1.0 - self.beta2**self.step_count
        for param, m, v, grad in zip(self.params, self.first_moments, self.second_moments, grads_wrt_params):
            m *= self.beta1
            m += (1.0 - self.beta1) * grad
            v *= self.beta2
            v += (1.0 - self.beta2) * grad**2
            m_hat = m / correction1
            v_hat = v / correction2
            param -= self.learning_rate * m_hat / (np.sqrt(v_hat) + self.eps)
        ### END SOLUTION

    def __repr__(self) -> str:
        return (
            f"AdamLearningRule(learning_rate={self.learning_rate}, beta1={self.beta1}, beta2={self.beta2}, "
            f"eps={self.eps})"
        )


# --------------------------------------------------------------------------- 6.6 AdaDelta


class AdaDeltaLearningRule(StatefulLearningRule):
    """AdaDelta: RMSProp whose step size comes from a running average of the past steps.

    Each parameter has a running mean ``S`` of its squared gradients and a
    running mean ``U`` of its squared steps (both zero after ``reset``). A step is::

        S <- rho * S + (1 - rho) * g**2
        delta = - learning_rate * sqrt(U + eps) / sqrt(S + eps) * g    (U from the PREVIOUS steps)
        U <- rho * U + (1 - rho) * delta**2
        p <- p + delta

    The ratio ``sqrt(U + eps) / sqrt(S + eps)`` has the units of the
    parameter over those of the gradient, so AdaDelta needs no learning rate
    (``learning_rate`` only scales the steps; leave it at 1). ``eps`` appears
    in both square roots: in the numerator it is what makes the first step,
    with ``U = 0``, different from zero.

    Args:
        learning_rate: a factor ``> 0`` on every step; default 1.
        rho: in ``[0, 1)``, the weight of the old averages; 0.95 is typical.
        eps: ``> 0``; 1e-6 is typical.

    Attributes:
        mean_sq_grads: ``S``, one array per parameter, its shape and dtype.
        mean_sq_updates: ``U``, likewise.
    """

    def __init__(self, learning_rate: float = 1.0, rho: float = 0.95, eps: float = 1e-6):
        super().__init__(learning_rate)
        self.rho = check_hyperparameter("rho", rho, 0.0, 1.0)
        self.eps = check_hyperparameter("eps", eps, 0.0, math.inf, low_open=True)
        self.mean_sq_grads: list[np.ndarray] = []
        self.mean_sq_updates: list[np.ndarray] = []

    def reset(self) -> None:
        """Sets both running means of every parameter to zero (new arrays, one per parameter)."""
        ### BEGIN SOLUTION
        self.mean_sq_grads = [np.zeros_like(param) for param in self.params]
        self.mean_sq_updates = [np.zeros_like(param) for param in self.params]
        ### END SOLUTION

    def update_params(self, grads_wrt_params: list[np.ndarray]) -> None:
        """One AdaDelta step for every parameter, in place."""
        ### BEGIN SOLUTION
        self._check_grads(grads_wrt_params)
        for param, mean_sq, mean_sq_up, grad in zip(
            self.params, self.mean_sq_grads, self.mean_sq_updates, grads_wrt_params
        ):
            mean_sq *= self.rho
            mean_sq += (1.0 - self.rho) * grad**2
            delta = -self.learning_rate * np.sqrt(mean_sq_up + self.eps) / np.sqrt(mean_sq + self.eps) * grad
            mean_sq_up *= self.rho
            mean_sq_up += (1.0 - self.rho) * delta**2
            param += delta
        ### END SOLUTION

    def __repr__(self) -> str:
        return f"AdaDeltaLearningRule(learning_rate={self.learning_rate}, rho={self.rho}, eps={self.eps})"


# --------------------------------------------------------------------------- 6.7 schedules


def step_decay(epoch: int, initial_rate: float, drop_factor: float = 0.5, epochs_per_drop: int = 10) -> float:
    """Step decay: the learning rate is multiplied by ``drop_factor`` every ``epochs_per_drop`` epochs.

    ::

        rate(t) = initial_rate * drop_factor ** floor(t / epochs_per_drop)

    Epochs count from 0: ``rate(t) = initial_rate`` for ``t = 0, ..., epochs_per_drop - 1``,
    and the first drop happens at the start of epoch ``epochs_per_drop``.

    Args:
        epoch: ``t``, an integer ``>= 0`` (a Python or numpy integer).
        initial_rate: ``> 0``.
        drop_factor: in ``(0, 1]``.
        epochs_per_drop: an integer ``>= 1``.

    Returns:
        ``rate(t)`` as a Python float.

    Raises:
        ValueError: for a negative epoch (use the provided ``check_epoch``) and for arguments
            out of range (``check_schedule_arguments(initial_rate=..., drop_factor=...,
            epochs_per_drop=...)``).
    """
    ### BEGIN SOLUTION
    check_schedule_arguments(initial_rate=initial_rate, drop_factor=drop_factor, epochs_per_drop=epochs_per_drop)
    epoch = check_epoch(epoch)
    return float(initial_rate * drop_factor ** (epoch // int(epochs_per_drop)))
    ### END SOLUTION


def exponential_decay(epoch: int, initial_rate: float, decay_rate: float = 0.1) -> float:
    """Exponential decay: ``rate(t) = initial_rate * exp(-decay_rate * t)``, so ``rate(0) = initial_rate``.

    Args:
        epoch: ``t``, an integer ``>= 0``.
        initial_rate: ``> 0``.
        decay_rate: ``k >= 0``; the rate falls by a factor ``e`` every ``1 / k`` epochs.

    Returns:
        ``rate(t)`` as a Python float.

    Raises:
        ValueError: for a negative epoch (``check_epoch``) and for arguments out of range
            (``check_schedule_arguments``).
    """
    ### BEGIN SOLUTION
    check_schedule_arguments(initial_rate=initial_rate, decay_rate=decay_rate)
    epoch = check_epoch(epoch)
    return float(initial_rate * math.exp(-decay_rate * epoch))
    ### END SOLUTION


def warmup_cosine(
    epoch: int, initial_rate: float, num_epochs: int, warmup_epochs: int = 0, final_rate: float = 0.0
) -> float:
    """Linear warm-up followed by cosine decay.

    With ``W = warmup_epochs`` and ``T = num_epochs``::

        rate(t) = initial_rate * (t + 1) / W                                    for t < W
        rate(t) = final_rate + (initial_rate - final_rate)
                               * (1 + cos(pi * (t - W) / (T - W))) / 2         for W <= t <= T
        rate(t) = final_rate                                                    for t > T

    The warm-up climbs in ``W`` equal steps from ``initial_rate / W`` (never 0)
    to ``initial_rate``; the cosine then falls from ``initial_rate`` at ``t = W``
    to ``final_rate`` at ``t = T``, slowly at first and at the end.

    Args:
        epoch: ``t``, an integer ``>= 0``.
        initial_rate: ``> 0``, the peak rate.
        num_epochs: ``T``, an integer ``> warmup_epochs``.
        warmup_epochs: ``W``, an integer ``>= 0`` (0: no warm-up).
        final_rate: in ``[0, initial_rate]``.

    Returns:
        ``rate(t)`` as a Python float.

    Raises:
        ValueError: for a negative epoch (``check_epoch``) and for arguments out of range
            (``check_schedule_arguments``).
    """
    ### BEGIN SOLUTION
    check_schedule_arguments(
        initial_rate=initial_rate, num_epochs=num_epochs, warmup_epochs=warmup_epochs, final_rate=final_rate
    )
    epoch = check_epoch(epoch)
    warmup, total = int(warmup_epochs), int(num_epochs)
    if epoch < warmup:
        return float(initial_rate * (epoch + 1) / warmup)
    if epoch > total:
        return float(final_rate)
    progress = (epoch - warmup) / (total - warmup)
    return float(final_rate + (initial_rate - final_rate) * 0.5 * (1.0 + math.cos(math.pi * progress)))
    ### END SOLUTION
