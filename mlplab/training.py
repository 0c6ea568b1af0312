"""Training loop: minibatch gradient descent with monitoring, weight decay, early stopping and divergence detection.

Data providers are iterables: iterating over one gives the epoch's minibatches
as ``(inputs, targets)`` pairs, ``inputs`` of shape ``(batch_size, input_dim)``
and ``targets`` one-hot of shape ``(batch_size, num_classes)``. The trainer
iterates over each provider once per epoch (``for inputs, targets in data``),
so a provider that shuffles does so when a new iteration starts.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from mlplab.data import MinibatchProvider
from mlplab.errors import SumOfSquaredDiffsError
from mlplab.learning_rules import GradientDescentLearningRule


@dataclass
class History:
    """What happened during ``Trainer.train``: one entry per recorded epoch in each list.

    Attributes:
        epoch: the epoch numbers recorded (1 is the first epoch of this call).
        train_error: average error over the epoch's training minibatches, each
            measured just before its update (in training mode), weighted by
            batch size. The data error only: a weight penalty is not included.
        train_acc: classification accuracy measured the same way.
        valid_error: error on the whole validation provider after the epoch,
            in evaluation mode (NaN without validation data).
        valid_acc: accuracy measured the same way (NaN without validation data).
        time: seconds spent on the epoch's training pass (validation not included).
        diverged: the error became NaN or infinite, so training stopped.
        best_epoch: the recorded epoch with the lowest validation error (None
            without validation data).
        stopped_early: early stopping ended training before ``num_epochs``.
    """

    epoch: list[int] = field(default_factory=list)
    train_error: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    valid_error: list[float] = field(default_factory=list)
    valid_acc: list[float] = field(default_factory=list)
    time: list[float] = field(default_factory=list)
    diverged: bool = False
    best_epoch: int | None = None
    stopped_early: bool = False

    def as_dict(self) -> dict:
        """The history as a plain dict of lists and flags (e.g. to save as JSON)."""
        return dataclasses.asdict(self)


def accuracy(outputs: np.ndarray, targets: np.ndarray) -> float:
    """Fraction of rows whose largest output is at the one-hot target's class.

    Args:
        outputs: shape ``(batch_size, num_classes)``.
        targets: one-hot, shape ``(batch_size, num_classes)``.
    """
    return float(np.mean(outputs.argmax(axis=-1) == targets.argmax(axis=-1)))


def evaluate(model, error, data) -> tuple[float, float]:
    """Error and accuracy of ``model`` over every minibatch of ``data``, in evaluation mode.

    Both are averages over all examples (minibatch values weighted by batch
    size). The model is put back in the mode it was in before.

    Args:
        model: e.g. a ``MultipleLayerModel``.
        error: e.g. a ``CrossEntropySoftmaxError``.
        data: iterable of ``(inputs, targets)`` minibatches.

    Returns:
        ``(error, accuracy)``.
    """
    was_training = getattr(model, "training", True)
    model.eval()
    try:
        total_error, total_correct, num_examples = 0.0, 0.0, 0
        for inputs, targets in data:
            outputs = model.fprop(inputs)[-1]
            batch_size = len(inputs)
            total_error += error(outputs, targets) * batch_size
            total_correct += accuracy(outputs, targets) * batch_size
            num_examples += batch_size
    finally:
        if was_training:
            model.train()
    if num_examples == 0:
        raise ValueError("evaluate: the data provider yielded no minibatches")
    return total_error / num_examples, total_correct / num_examples


class Trainer:
    """Trains a model by minibatch gradient descent.

    The learning rule is initialised with ``model.params`` here, so do not
    replace the model's parameter arrays afterwards (update them in place).

    Args:
        model: e.g. a ``MultipleLayerModel``.
        error: e.g. a ``CrossEntropySoftmaxError``.
        learning_rule: e.g. a ``GradientDescentLearningRule``.
        train_data: iterable of ``(inputs, targets)`` training minibatches.
        valid_data: optional iterable of validation minibatches.
        penalty: optional weight penalty (weight decay), e.g. an ``L2Penalty`` or ``L1Penalty``
            of ``mlplab.exercises.weight_decay`` (Lab 3): any object whose ``grad(params)``
            returns one array per parameter. In every step ``penalty.grad(model.params)`` is
            added to the gradient of the error before the learning rule is applied; the errors
            in the history are those of the data alone.
    """

    def __init__(self, model, error, learning_rule, train_data, valid_data=None, penalty=None):
        self.model = model
        self.error = error
        self.learning_rule = learning_rule
        self.train_data = train_data
        self.valid_data = valid_data
        self.penalty = penalty
        learning_rule.initialise(model.params)

    def train(
        self,
        num_epochs: int,
        *,
        early_stopping_patience: int | None = None,
        progress: bool = True,
        stats_interval: int = 1,
    ) -> History:
        """Trains for up to ``num_epochs`` epochs and returns what happened.

        Every ``stats_interval`` epochs (and after the last epoch, or when the
        error diverges) an entry is added to the history and, if there is
        validation data, the validation error is computed. Each epoch's training pass runs in training mode.

        Training stops early when

        * the error becomes NaN or infinite: ``history.diverged`` is set (no
          floating-point warnings are printed: they are silenced while training);
        * early stopping is on and the validation error has not improved for
          ``early_stopping_patience`` epochs: ``history.stopped_early`` is set.

        With early stopping on, the model ends with the parameters of
        ``history.best_epoch`` (lowest validation error), whatever the reason
        training ended. Early stopping is an ``EarlyStopping(early_stopping_patience)``
        of ``mlplab.exercises.weight_decay`` (Lab 3, task 3.12): the trainer calls its
        ``update`` after every recorded epoch and its ``restore`` at the end.

        Args:
            num_epochs: the maximum number of passes over ``train_data``.
            early_stopping_patience: epochs without improvement of the
                validation error to wait before stopping; None turns early
                stopping off. Needs ``valid_data``.
            progress: show a tqdm progress bar over epochs with the latest errors.
            stats_interval: record statistics every this many epochs.

        Returns:
            The ``History`` of this call.
        """
        if early_stopping_patience is not None:
            if self.valid_data is None:
                raise ValueError("early stopping needs validation data: pass valid_data to Trainer")
            if early_stopping_patience < 1:
                raise ValueError(f"early_stopping_patience must be at least 1, got {early_stopping_patience}")
        if stats_interval < 1:
            raise ValueError(f"stats_interval must be at least 1, got {stats_interval}")

        stopper = None
        if early_stopping_patience is not None:
            from mlplab.exercises.weight_decay import EarlyStopping  # the student's (task 3.12)

            stopper = EarlyStopping(early_stopping_patience)
        history = History()
        best_valid_error = math.inf
        epochs = tqdm(range(1, num_epochs + 1), desc="training", unit="epoch", disable=not progress)
        try:
            with np.errstate(all="ignore"):
                for epoch in epochs:
                    start = time.perf_counter()
                    train_error, train_acc = self._train_one_epoch()
                    seconds = time.perf_counter() - start
                    diverged = not math.isfinite(train_error)
                    if not (diverged or epoch % stats_interval == 0 or epoch == num_epochs):
                        continue

                    valid_error, valid_acc = math.nan, math.nan
                    if self.valid_data is not None and not diverged:
                        valid_error, valid_acc = evaluate(self.model, self.error, self.valid_data)
                        diverged = not math.isfinite(valid_error)
                    history.epoch.append(epoch)
                    history.train_error.append(train_error)
                    history.train_acc.append(train_acc)
                    history.valid_error.append(valid_error)
                    history.valid_acc.append(valid_acc)
                    history.time.append(seconds)
                    epochs.set_postfix(train_error=f"{train_error:.4g}", valid_error=f"{valid_error:.4g}")
                    if diverged:
                        history.diverged = True
                        break

                    if valid_error < best_valid_error:
                        best_valid_error = valid_error
                        history.best_epoch = epoch
                    if stopper is not None and stopper.update(epoch, valid_error, self.model.params):
                        history.stopped_early = True
                        break
        finally:
            epochs.close()

        if stopper is not None:
            stopper.restore(self.model.params)
        return history

    def _train_one_epoch(self) -> tuple[float, float]:
        """One pass over ``train_data`` with an update per minibatch.

        Returns:
            ``(error, accuracy)`` averaged over the minibatches, each measured
            before its update. The pass stops at the first minibatch whose
            error is NaN or infinite, and the returned error is then not finite.
        """
        self.model.train()
        total_error, total_correct, num_examples = 0.0, 0.0, 0
        for inputs, targets in self.train_data:
            activations = self.model.fprop(inputs)
            outputs = activations[-1]
            batch_error = self.error(outputs, targets)
            batch_size = len(inputs)
            total_error += batch_error * batch_size
            total_correct += accuracy(outputs, targets) * batch_size
            num_examples += batch_size
            if not math.isfinite(batch_error):
                break
            grads_wrt_outputs = self.error.grad(outputs, targets)
            grads_wrt_params = self.model.grads_wrt_params(activations, grads_wrt_outputs)
            if self.penalty is not None:
                grads_wrt_params = self._add_penalty_grads(grads_wrt_params)
            self.learning_rule.update_params(grads_wrt_params)
        if num_examples == 0:
            raise ValueError("Trainer: train_data yielded no minibatches")
        return total_error / num_examples, total_correct / num_examples

    def _add_penalty_grads(self, grads_wrt_params: list[np.ndarray]) -> list[np.ndarray]:
        """``grads_wrt_params`` plus ``penalty.grad(model.params)``, parameter by parameter."""
        penalty_grads = self.penalty.grad(self.model.params)
        if penalty_grads is None or len(penalty_grads) != len(grads_wrt_params):
            count = "None" if penalty_grads is None else len(penalty_grads)
            raise ValueError(
                f"{type(self.penalty).__name__}.grad(model.params) returned {count} gradients for "
                f"{len(grads_wrt_params)} parameters: it must return one array per parameter"
            )
        return [grad + penalty_grad for grad, penalty_grad in zip(grads_wrt_params, penalty_grads)]


def train_autoencoder(
    model,
    inputs: np.ndarray,
    rng: np.random.Generator,
    *,
    num_epochs: int = 10,
    learning_rate: float = 0.5,
    batch_size: int = 50,
    corruption=None,
) -> list[float]:
    """Trains the autoencoder ``model`` to reconstruct ``inputs`` (Lab 5).

    Minibatch gradient descent on ``SumOfSquaredDiffsError`` with the
    examples in a new random order every epoch (drawn from ``rng``). With a
    ``corruption`` (``(inputs, rng) -> corrupted inputs``) the model sees corrupted
    inputs and is trained to reconstruct the clean ones, through the student's
    ``mlplab.exercises.autoencoders.DenoisingProvider``.

    Returns:
        The average training error of every epoch.
    """
    inputs = np.asarray(inputs)
    provider = MinibatchProvider(
        inputs,
        np.zeros(len(inputs), dtype=np.int64),
        batch_size,
        rng=rng,
        num_classes=1,
        one_hot=False,
        dtype=inputs.dtype,
    )
    if corruption is None:
        data = _CleanPairs(provider)
    else:
        from mlplab.exercises.autoencoders import DenoisingProvider  # the student's (task 5.5)

        data = DenoisingProvider(provider, corruption, rng)
    trainer = Trainer(model, SumOfSquaredDiffsError(), GradientDescentLearningRule(learning_rate), data)
    return trainer.train(num_epochs, progress=False).train_error


class _CleanPairs:
    """``(inputs, inputs)`` pairs of a provider: plain autoencoder training without corruption."""

    def __init__(self, provider):
        self.provider = provider

    def __iter__(self):
        for inputs, _ in self.provider:
            yield inputs, inputs


def encode(encoder_layers, inputs: np.ndarray) -> np.ndarray:
    """The codes of ``inputs``: ``inputs`` passed through ``encoder_layers`` in order."""
    codes = inputs
    for layer in encoder_layers:
        codes = layer.fprop(codes)
    return codes
