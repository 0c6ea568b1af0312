# Your file for tasks 6.8, 6.9, 6.10, 6.11: replace each `raise NotImplementedError(...)`
# with your implementation. Check it with mlplab.check("lab6").
"""Adam's relatives: AdaMax, Nadam, AMSGrad and AdamW (Lab 6, tasks 6.8-6.11).

Each rule follows the contract of ``mlplab/exercises/optimisers.py`` (read its module
docstring): ``reset()`` allocates the state afresh, one array of zeros per parameter
(``np.zeros_like(param)``) and the step count ``t = 0``; ``update_params(grads)`` starts with
``self._check_grads(grads_wrt_params)``, counts the step (``t = 1`` in the first update),
updates every parameter **in place** and leaves the gradients alone. All operations are
element-wise. They all keep Adam's first moment,

    m <- beta1 * m + (1 - beta1) * g,        m_hat = m / (1 - beta1**t),

and differ in what they divide it by, or in what they add to the step.
"""

from __future__ import annotations

import math

import numpy as np

from mlplab.learning_rules import StatefulLearningRule
from mlplab.validation import check_hyperparameter


class _AdamLike(StatefulLearningRule):
    """The hyper-parameters every rule here shares (provided)."""

    def __init__(self, learning_rate: float, beta1: float, beta2: float, eps: float):
        super().__init__(learning_rate)
        self.beta1 = check_hyperparameter("beta1", beta1, 0.0, 1.0)
        self.beta2 = check_hyperparameter("beta2", beta2, 0.0, 1.0)
        self.eps = check_hyperparameter("eps", eps, 0.0, math.inf, low_open=True)
        self.step_count = 0

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(learning_rate={self.learning_rate}, beta1={self.beta1}, "
            f"beta2={self.beta2}, eps={self.eps})"
        )


# --------------------------------------------------------------------------- 6.8 AdaMax


class AdaMaxLearningRule(_AdamLike):
    """AdaMax (Kingma and Ba, 2015): Adam with the infinity norm in place of the squared gradients.

    Besides ``m``, each parameter keeps ``u``, an exponentially weighted *maximum* of the gradient
    sizes (zero after ``reset``)::

        m <- beta1 * m + (1 - beta1) * g
        u <- maximum(beta2 * u, |g|)
        p <- p - learning_rate / (1 - beta1**t) * m / (u + eps)

    ``u`` needs no bias correction: it is not an average that starts at zero but a maximum,
    already the size of the first gradient after one step.

    Args:
        learning_rate: ``eta > 0``; 2e-3 is typical.
        beta1, beta2: in ``[0, 1)``; 0.9 and 0.999 are typical.
        eps: ``> 0``; keeps ``u + eps`` away from zero where every gradient so far was 0.

    Attributes:
        first_moments: ``m``, one array per parameter.
        max_abs_grads: ``u``, one array per parameter.
        step_count: ``t``.
    """

    def __init__(self, learning_rate: float = 2e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        super().__init__(learning_rate, beta1, beta2, eps)
        self.first_moments: list[np.ndarray] = []
        self.max_abs_grads: list[np.ndarray] = []

    def reset(self) -> None:
        """Zero state for every parameter, step count 0."""
        raise NotImplementedError("Lab 6, task 6.8: implement AdaMaxLearningRule.reset (AdaMax)")

    def update_params(self, grads_wrt_params: list[np.ndarray]) -> None:
        """One AdaMax step for every parameter, in place."""
        raise NotImplementedError("Lab 6, task 6.8: implement AdaMaxLearningRule.update_params (AdaMax)")


# --------------------------------------------------------------------------- 6.9 Nadam


class NadamLearningRule(_AdamLike):
    """Nadam (Dozat, 2016): Adam with Nesterov's look-ahead in the first moment.

    ``m`` and ``v`` are Adam's (zero after ``reset``)::

        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t),   v_hat = v / (1 - beta2**t)
        p <- p - learning_rate * (beta1 * m_hat + (1 - beta1) * g / (1 - beta1**t)) / (sqrt(v_hat) + eps)

    The numerator applies the momentum once more, as Nesterov momentum does: it is where the
    next ``m_hat`` would head if the gradient stayed ``g``.

    Args:
        learning_rate: ``eta > 0``; 2e-3 is typical.
        beta1, beta2: in ``[0, 1)``.
        eps: ``> 0``, added outside the square root.

    Attributes:
        first_moments, second_moments: ``m`` and ``v``, one array per parameter each.
        step_count: ``t``.
    """

    def __init__(self, learning_rate: float = 2e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        super().__init__(learning_rate, beta1, beta2, eps)
        self.first_moments: list[np.ndarray] = []
        self.second_moments: list[np.ndarray] = []

    def reset(self) -> None:
        """Zero moments for every parameter, step count 0."""
        raise NotImplementedError("Lab 6, task 6.9: implement NadamLearningRule.reset (Nadam)")

    def update_params(self, grads_wrt_params: list[np.ndarray]) -> None:
        """One Nadam step for every parameter, in place."""
        raise NotImplementedError("Lab 6, task 6.9: implement NadamLearningRule.update_params (Nadam)")


# --------------------------------------------------------------------------- 6.10 AMSGrad


class AMSGradLearningRule(_AdamLike):
    """AMSGrad (Reddi et al., 2018): Adam whose denominator never shrinks.

    Adam's ``v`` forgets large old gradients, so its effective learning rate can grow again, which
    can keep it from converging. AMSGrad divides by the largest ``v`` seen so far (bias-corrected
    as in PyTorch). With ``m``, ``v`` and ``v_max`` per parameter (zero after ``reset``)::

        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g**2
        v_max <- maximum(v_max, v)
        p <- p - learning_rate * (m / (1 - beta1**t)) / (sqrt(v_max / (1 - beta2**t)) + eps)

    Args:
        learning_rate: ``eta > 0``; 1e-3 is typical.
        beta1, beta2: in ``[0, 1)``.
        eps: ``> 0``, added outside the square root.

    Attributes:
        first_moments, second_moments, max_second_moments: ``m``, ``v``, ``v_max``, one array per
            parameter each.
        step_count: ``t``.
    """

    def __init__(self, learning_rate: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        super().__init__(learning_rate, beta1, beta2, eps)
        self.first_moments: list[np.ndarray] = []
        self.second_moments: list[np.ndarray] = []
        self.max_second_moments: list[np.ndarray] = []

    def reset(self) -> None:
        """Zero state for every parameter, step count 0."""
        raise NotImplementedError("Lab 6, task 6.10: implement AMSGradLearningRule.reset (AMSGrad)")

    def update_params(self, grads_wrt_params: list[np.ndarray]) -> None:
        """One AMSGrad step for every parameter, in place."""
        raise NotImplementedError("Lab 6, task 6.10: implement AMSGradLearningRule.update_params (AMSGrad)")


# --------------------------------------------------------------------------- 6.11 AdamW


class AdamWLearningRule(_AdamLike):
    """AdamW (Loshchilov and Hutter, 2019): Adam with *decoupled* weight decay.

    Adding ``weight_decay * p`` to the gradient (L2 regularisation) does not work as intended with
    Adam: the decay is divided by ``sqrt(v_hat)`` like the gradient, so parameters with large
    gradients are hardly decayed. AdamW keeps the decay out of the moments and subtracts it from
    the parameter directly, at the parameter's value *before* the step::

        m <- beta1 * m + (1 - beta1) * g            (g alone: no decay term in the moments)
        v <- beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t),   v_hat = v / (1 - beta2**t)
        p <- p - learning_rate * (m_hat / (sqrt(v_hat) + eps) + weight_decay * p)

    Args:
        learning_rate: ``eta > 0``; 1e-3 is typical.
        beta1, beta2: in ``[0, 1)``.
        eps: ``> 0``, added outside the square root.
        weight_decay: ``lambda >= 0``; 0 is Adam.

    Attributes:
        first_moments, second_moments: ``m`` and ``v``, one array per parameter each.
        step_count: ``t``.
    """

    def __init__(
        self,
        learning_rate: float = 1e-3,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ):
        super().__init__(learning_rate, beta1, beta2, eps)
        self.weight_decay = check_hyperparameter("weight_decay", weight_decay, 0.0, math.inf)
        self.first_moments: list[np.ndarray] = []
        self.second_moments: list[np.ndarray] = []

    def reset(self) -> None:
        """Zero moments for every parameter, step count 0."""
        raise NotImplementedError("Lab 6, task 6.11: implement AdamWLearningRule.reset (AdamW: decoupled weight decay)")

    def update_params(self, grads_wrt_params: list[np.ndarray]) -> None:
        """One AdamW step for every parameter, in place."""
        raise NotImplementedError(
            "Lab 6, task 6.11: implement AdamWLearningRule.update_params (AdamW: decoupled weight decay)"
        )

    def __repr__(self) -> str:
        return super().__repr__()[:-1] + f", weight_decay={self.weight_decay})"
