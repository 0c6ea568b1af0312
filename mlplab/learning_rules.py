"""Learning rules: how parameters change given their gradients.

Every learning rule follows the contract of :class:`GradientDescentLearningRule`:

* ``initialise(params)`` is given the list of parameter arrays once, before
  training (a rule with state, e.g. momentum or Adam, allocates it here:
  one array per parameter, of its shape and dtype);
* ``reset()`` clears that state (as if training started afresh) but keeps the
  parameters;
* ``update_params(grads_wrt_params)`` updates every parameter **in place**,
  given one gradient per parameter in the order of ``params``.

Updating in place (``param -= ...``) matters: the arrays belong to the layers,
and it keeps their dtype.
"""

from __future__ import annotations

import numpy as np


class GradientDescentLearningRule:
    """Plain gradient descent: ``param <- param - learning_rate * grad``.

    Args:
        learning_rate: the step size, a positive number.
    """

    def __init__(self, learning_rate: float = 1e-3):
        if not learning_rate > 0:
            raise ValueError(f"learning_rate must be positive, got {learning_rate}")
        self.learning_rate = learning_rate
        self.params: list[np.ndarray] | None = None

    def initialise(self, params: list[np.ndarray]) -> None:
        """Stores the parameter arrays to update (the arrays themselves, not copies).

        Subclasses with state call ``super().initialise(params)`` and then
        allocate their state.
        """
        self.params = list(params)

    def reset(self) -> None:
        """Clears the rule's state. Gradient descent has none, so this does nothing."""

    def update_params(self, grads_wrt_params: list[np.ndarray]) -> None:
        """Takes one step: ``param -= learning_rate * grad`` for each parameter, in place.

        Args:
            grads_wrt_params: one gradient per parameter, in the order given
                to ``initialise``, each of its parameter's shape.
        """
        if self.params is None:
            raise RuntimeError(f"{type(self).__name__}.initialise(model.params) must be called before update_params")
        if len(grads_wrt_params) != len(self.params):
            raise ValueError(f"got {len(grads_wrt_params)} gradients for {len(self.params)} parameters")
        for param, grad in zip(self.params, grads_wrt_params):
            param -= self.learning_rate * grad

    def __repr__(self) -> str:
        return f"{type(self).__name__}(learning_rate={self.learning_rate})"


class StatefulLearningRule(GradientDescentLearningRule):
    """The base of the rules with state (the Lab 6 exercises in ``mlplab.exercises.optimisers``).

    ``initialise`` stores the parameters and calls ``reset``, which a subclass writes to
    allocate its state; ``update_params`` starts with ``self._check_grads(grads_wrt_params)``.
    """

    def initialise(self, params: list[np.ndarray]) -> None:
        super().initialise(params)
        self.reset()

    def _check_grads(self, grads_wrt_params) -> None:
        """Raises a clear error if ``initialise`` was not called or the number of gradients is wrong."""
        if self.params is None:
            raise RuntimeError(f"{type(self).__name__}.initialise(model.params) must be called before update_params")
        if len(grads_wrt_params) != len(self.params):
            raise ValueError(f"got {len(grads_wrt_params)} gradients for {len(self.params)} parameters")
