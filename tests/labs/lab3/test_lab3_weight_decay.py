"""The Lab 3 reference solutions of weight decay and early stopping (tasks 3.10-3.12), and the trainer's use of them.

The penalties' gradients are checked against central differences in float64; the trainer's penalty hook
against a hand-written loop; early stopping against the trainer's own record of the validation errors.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlplab.data import MinibatchProvider
from mlplab.errors import CrossEntropySoftmaxError
from mlplab.exercises.weight_decay import EarlyStopping, L1Penalty, L2Penalty
from mlplab.gradcheck import numerical_gradient, rel_error
from mlplab.layers import AffineLayer, ReluLayer
from mlplab.learning_rules import GradientDescentLearningRule
from mlplab.models import MultipleLayerModel, mlp
from mlplab.training import Trainer, evaluate

FAST = settings(max_examples=25, deadline=None)


def model_params(rng, dtype=np.float64):
    """The parameters of a 5-7-3 MLP, ``[W1, b1, W2, b2]``, with some weights exactly 0."""
    params = mlp([5, 7, 3], rng=rng, dtype=dtype).params
    for param in params:
        param[...] = rng.uniform(0.05, 1.5, param.shape) * rng.choice([-1.0, 1.0], param.shape)
        if param.ndim == 2:
            param[rng.random(param.shape) < 0.2] = 0.0
    return params


@pytest.mark.parametrize("penalty_class", [L2Penalty, L1Penalty])
@FAST
@given(seed=st.integers(0, 2**31 - 1), coefficient=st.floats(1e-3, 1.0))
def test_the_penalty_gradient_agrees_with_central_differences_in_float64(penalty_class, seed, coefficient):
    penalty = penalty_class(coefficient)
    params = model_params(np.random.default_rng(seed))
    grads = penalty.grad(params)
    assert len(grads) == len(params)
    for param, grad in zip(params, grads):
        # h = 0.01 is exact for the quadratic L2 penalty and for |w| with |w| >= 0.05 (and 0 at w = 0)
        numerical = numerical_gradient(lambda _: penalty(params), param, h=1e-2)
        assert grad.shape == param.shape and grad.dtype == param.dtype
        assert rel_error(grad, numerical) < 1e-8


def test_only_the_weight_matrices_are_penalised():
    rng = np.random.default_rng(0)
    w, b = rng.standard_normal((4, 3)), rng.standard_normal(4)
    for penalty in (L2Penalty(0.3), L1Penalty(0.3)):
        assert penalty([b]) == 0.0
        assert penalty([w, b]) == penalty([w]) > 0
        grad_w, grad_b = penalty.grad([w, b])
        assert not np.any(grad_b) and grad_b.shape == b.shape
    assert L2Penalty(0.3)([w]) == pytest.approx(0.15 * np.sum(w**2), rel=1e-14)  # the 1/2
    assert L1Penalty(0.3)([w]) == pytest.approx(0.3 * np.sum(np.abs(w)), rel=1e-14)
    np.testing.assert_allclose(L2Penalty(0.3).grad([w])[0], 0.3 * w, rtol=1e-15)
    np.testing.assert_array_equal(L1Penalty(0.3).grad([np.array([[-2.0, 0.0, 3.0]])])[0], [[-0.3, 0.0, 0.3]])


def test_penalties_keep_dtype_return_floats_and_leave_their_arguments_alone():
    params = model_params(np.random.default_rng(1), dtype=np.float32)
    saved = [p.copy() for p in params]
    for penalty in (L2Penalty(0.1), L1Penalty(0.1)):
        assert isinstance(penalty(params), float)
        grads = penalty.grad(params)
        assert all(g.dtype == np.float32 and g is not p for g, p in zip(grads, params))
        assert all(np.array_equal(p, s) for p, s in zip(params, saved))
    assert L2Penalty(0.5)([]) == 0.0 and L1Penalty(0.0)(params) == 0.0
    for bad in (-0.1, float("nan"), "0.1"):
        with pytest.raises(ValueError, match="coefficient"):
            L2Penalty(bad)
    assert repr(L1Penalty(0.25)) == "L1Penalty(coefficient=0.25)"


def _blobs(rng, n=120):
    labels = rng.integers(0, 3, n)
    inputs = rng.standard_normal((n, 4)) + 2.0 * np.eye(3, 4)[labels]
    return inputs, labels


def test_the_trainer_adds_the_penalty_gradient_to_every_step():
    """One epoch with ``penalty=L2Penalty`` equals the hand-written loop of the module docstring."""
    inputs, labels = _blobs(np.random.default_rng(2))
    penalty, rate = L2Penalty(0.05), 0.2

    def fresh():
        model = mlp([4, 6, 3], rng=np.random.default_rng(3), dtype=np.float64)
        data = MinibatchProvider(inputs, labels, 20, rng=np.random.default_rng(4), num_classes=3, dtype=np.float64)
        return model, data

    model, data = fresh()
    history = Trainer(
        model, CrossEntropySoftmaxError(), GradientDescentLearningRule(rate), data, penalty=penalty
    ).train(1, progress=False)
    by_hand, data = fresh()
    error, rule = CrossEntropySoftmaxError(), GradientDescentLearningRule(rate)
    rule.initialise(by_hand.params)
    errors = []
    for x, t in data:
        activations = by_hand.fprop(x)
        errors.append(error(activations[-1], t))
        grads = by_hand.grads_wrt_params(activations, error.grad(activations[-1], t))
        rule.update_params([g + d for g, d in zip(grads, penalty.grad(by_hand.params))])
    for trained, expected in zip(model.params, by_hand.params):
        np.testing.assert_allclose(trained, expected, rtol=1e-12, atol=1e-15)
    assert history.train_error[0] == pytest.approx(np.mean(errors), rel=1e-12)  # the data error only


def test_weight_decay_alone_shrinks_the_weights_and_leaves_the_biases_to_the_data():
    """All-zero inputs give the weights no data gradient: L2 decay multiplies W by (1 - rate * lambda) per
    step, L1 moves every weight by rate * lambda towards 0 (and then about 0). The biases, which the
    outputs equal, follow the data gradient alone: the same with and without a penalty."""
    rng = np.random.default_rng(5)
    zeros, labels = np.zeros((40, 4)), rng.integers(0, 3, 40)

    def train(penalty):
        uniform = lambda shape, rng: rng.uniform(-1.0, 1.0, shape)  # noqa: E731
        model = MultipleLayerModel(
            [AffineLayer(4, 3, rng=np.random.default_rng(6), weights_init=uniform, dtype=np.float64)]
        )
        data = MinibatchProvider(zeros, labels, 10, rng=np.random.default_rng(7), num_classes=3, dtype=np.float64)
        Trainer(model, CrossEntropySoftmaxError(), GradientDescentLearningRule(0.5), data, penalty=penalty).train(
            2, progress=False
        )  # 8 steps
        return model.params

    weights, plain_biases = train(None)
    l2_weights, l2_biases = train(L2Penalty(0.1))
    np.testing.assert_allclose(l2_weights, weights * (1 - 0.5 * 0.1) ** 8, rtol=1e-12)
    l1_weights, l1_biases = train(L1Penalty(0.01))
    step = 0.5 * 0.01
    far = np.abs(weights) > 9 * step  # these never reach 0 in 8 steps
    assert far.sum() >= 6
    np.testing.assert_allclose(l1_weights[far], weights[far] - 8 * step * np.sign(weights[far]), rtol=1e-12)
    assert np.all(np.abs(l1_weights[~far]) <= np.abs(weights[~far]) + 1e-15)
    np.testing.assert_array_equal(l2_biases, plain_biases)
    np.testing.assert_array_equal(l1_biases, plain_biases)


def test_a_penalty_with_the_wrong_number_of_gradients_is_a_clear_error():
    class Broken:
        def grad(self, params):
            return params[:1]

    inputs, labels = _blobs(np.random.default_rng(8), 20)
    model = mlp([4, 3], rng=np.random.default_rng(9), dtype=np.float64)
    data = MinibatchProvider(inputs, labels, 10, rng=np.random.default_rng(10), num_classes=3, dtype=np.float64)
    trainer = Trainer(model, CrossEntropySoftmaxError(), GradientDescentLearningRule(0.1), data, penalty=Broken())
    with pytest.raises(ValueError, match="one array per parameter"):
        trainer.train(1, progress=False)


# ---------------------------------------------------------------- early stopping


def run_stopper(errors, patience, epochs=None):
    """Feeds ``errors`` to an EarlyStopping as a trainer would; returns it, the stop epoch (0: never)
    and the epoch whose parameters restore wrote back."""
    epochs = list(range(1, len(errors) + 1)) if epochs is None else list(epochs)
    stopper = EarlyStopping(patience)
    params = [np.zeros((2, 2)), np.zeros(2)]
    stop = 0
    for epoch, error in zip(epochs, errors):
        params[0][...], params[1][...] = epoch, -epoch
        if stopper.update(epoch, error, params):
            stop = epoch
            break
    params[0][...], params[1][...] = -1, -1
    stopper.restore(params)
    assert np.all(params[0] == params[0][0, 0]) and np.all(params[1] == -params[0][0, 0])
    return stopper, stop, int(params[0][0, 0])


def test_early_stopping_waits_patience_epochs_after_the_best_and_restores_it():
    stopper, stop, restored = run_stopper([0.9, 0.7, 0.5, 0.6, 0.55, 0.8, 0.4], patience=3)
    assert (stop, restored, stopper.best_epoch, stopper.best_error) == (6, 3, 3, 0.5)
    stopper, stop, restored = run_stopper([0.9, 0.7, 0.5, 0.6, 0.55, 0.8, 0.4], patience=4)
    assert (stop, restored) == (0, 7)  # the new best at epoch 7 came in time
    stopper, stop, restored = run_stopper([0.9, 0.5, 0.5, 0.5, 0.6], patience=3)  # a tie is no improvement
    assert (stop, restored) == (5, 2)
    stopper, stop, restored = run_stopper([0.5, 0.6], patience=1)
    assert (stop, restored) == (2, 1)


def test_early_stopping_counts_epochs_not_calls():
    stopper, stop, restored = run_stopper([0.9, 0.5, 0.6, 0.7, 0.8], patience=3, epochs=[2, 4, 6, 8, 10])
    assert (stop, restored) == (8, 4)


def test_early_stopping_copies_and_checks_its_patience():
    stopper = EarlyStopping(2)
    params = [np.ones(3)]
    stopper.restore(params)  # nothing saved yet: nothing happens
    assert stopper.best_epoch is None and stopper.best_error == math.inf and stopper.best_params is None
    assert stopper.update(1, 0.3, params) is False
    assert not np.shares_memory(stopper.best_params[0], params[0])
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="patience"):
            EarlyStopping(bad)
    assert repr(EarlyStopping(3)) == "EarlyStopping(patience=3)"


def test_the_trainer_stops_as_early_stopping_says():
    """The trainer's early stopping is the exercise's: same stop, same best epoch, same restored parameters,
    also when statistics are recorded every second epoch."""
    rng = np.random.default_rng(11)
    inputs, labels = _blobs(rng, 60)
    valid_inputs, valid_labels = _blobs(rng, 60)
    valid_labels = rng.integers(0, 3, 60)  # labels it cannot learn: the validation error soon rises
    for interval in (1, 2):
        model = MultipleLayerModel(
            [
                AffineLayer(4, 16, rng=np.random.default_rng(12), dtype=np.float64),
                ReluLayer(),
                AffineLayer(16, 3, rng=np.random.default_rng(13), dtype=np.float64),
            ]
        )
        train = MinibatchProvider(inputs, labels, 10, rng=np.random.default_rng(14), num_classes=3, dtype=np.float64)
        valid = MinibatchProvider(valid_inputs, valid_labels, 60, shuffle=False, num_classes=3, dtype=np.float64)
        trainer = Trainer(model, CrossEntropySoftmaxError(), GradientDescentLearningRule(0.5), train, valid)
        history = trainer.train(60, early_stopping_patience=4, stats_interval=interval, progress=False)
        replay, stop, _ = run_stopper(history.valid_error, 4, epochs=history.epoch)
        assert history.stopped_early and stop == history.epoch[-1]
        assert replay.best_epoch == history.best_epoch
        restored_error, _ = evaluate(model, trainer.error, valid)
        assert restored_error == pytest.approx(replay.best_error, rel=1e-12)
