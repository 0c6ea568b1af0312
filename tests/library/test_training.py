"""Tests of the learning rule, the training loop (mlplab.training) and the plotting helpers."""

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from mlplab.errors import CrossEntropySoftmaxError  # noqa: E402
from mlplab.learning_rules import GradientDescentLearningRule  # noqa: E402
from mlplab.models import mlp  # noqa: E402
from mlplab.plotting import plot_history, plot_layer_histograms, plot_per_layer, show_images  # noqa: E402
from mlplab.training import History, Trainer, accuracy, evaluate  # noqa: E402


class ArrayProvider:
    """Minibatches of fixed arrays, reshuffled at every epoch when given a generator."""

    def __init__(self, inputs, targets, batch_size, rng=None):
        self.inputs, self.targets, self.batch_size, self.rng = inputs, targets, batch_size, rng

    def __iter__(self):
        n = len(self.inputs)
        order = self.rng.permutation(n) if self.rng is not None else np.arange(n)
        for start in range(0, n, self.batch_size):
            batch = order[start : start + self.batch_size]
            yield self.inputs[batch], self.targets[batch]


class SnapshotProvider:
    """Wraps a provider and copies the model's parameters whenever an epoch starts."""

    def __init__(self, provider, model, snapshots):
        self.provider, self.model, self.snapshots = provider, model, snapshots

    def __iter__(self):
        self.snapshots.append([param.copy() for param in self.model.params])
        return iter(self.provider)


def blobs(rng, n_per_class=100, dtype=np.float32):
    """Three well separated Gaussian blobs in 2-D with one-hot targets."""
    centres = np.array([[0.0, 3.0], [3.0, -2.0], [-3.0, -2.0]])
    labels = np.repeat(np.arange(3), n_per_class)
    inputs = centres[labels] + 0.5 * rng.standard_normal((len(labels), 2))
    return inputs.astype(dtype), np.eye(3)[labels]


def normal_init(shape, rng):
    return rng.normal(0, 0.5, shape)


def make_trainer(learning_rate=0.1, valid="same", dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    inputs, targets = blobs(rng, dtype=dtype)
    train_data = ArrayProvider(inputs, targets, batch_size=30, rng=rng)
    if valid == "same":
        valid_data = ArrayProvider(*blobs(rng, n_per_class=30, dtype=dtype), batch_size=50)
    elif valid == "some wrong labels":  # the error falls, then rises as the model grows confident
        valid_inputs, valid_targets = blobs(rng, n_per_class=30, dtype=dtype)
        valid_targets[::20] = np.roll(valid_targets[::20], 1, axis=1)
        valid_data = ArrayProvider(valid_inputs, valid_targets, batch_size=50)
    else:
        valid_data = None
    model = mlp([2, 16, 3], rng=rng, weights_init=normal_init, dtype=dtype)
    rule = GradientDescentLearningRule(learning_rate)
    return Trainer(model, CrossEntropySoftmaxError(), rule, train_data, valid_data)


# --- learning rule -------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradient_descent_updates_in_place_and_keeps_dtype(dtype):
    param = np.ones(3, dtype=dtype)
    rule = GradientDescentLearningRule(learning_rate=0.5)
    rule.initialise([param])
    rule.update_params([np.array([2.0, 0.0, -2.0])])  # a float64 gradient
    np.testing.assert_array_equal(param, [0.0, 1.0, 2.0])
    assert param.dtype == dtype
    rule.reset()
    np.testing.assert_array_equal(param, [0.0, 1.0, 2.0])


def test_gradient_descent_checks_its_use():
    with pytest.raises(ValueError, match="positive"):
        GradientDescentLearningRule(0.0)
    rule = GradientDescentLearningRule()
    with pytest.raises(RuntimeError, match="initialise"):
        rule.update_params([np.zeros(2)])
    rule.initialise([np.zeros(2), np.zeros(3)])
    with pytest.raises(ValueError, match="1 gradients for 2 parameters"):
        rule.update_params([np.zeros(2)])
    assert repr(rule) == "GradientDescentLearningRule(learning_rate=0.001)"


# --- Trainer -----------------------------------------------------------------------------------------------


def test_training_reduces_the_error_and_separates_the_blobs():
    trainer = make_trainer()
    history = trainer.train(15, progress=False)
    assert history.epoch == list(range(1, 16))
    assert history.train_error[-1] < 0.3 * history.train_error[0]
    assert history.valid_error[-1] < history.valid_error[0]
    assert history.train_acc[-1] > 0.95 and history.valid_acc[-1] > 0.95
    assert not history.diverged and not history.stopped_early
    assert history.best_epoch == int(np.argmin(history.valid_error)) + 1
    assert all(t >= 0 for t in history.time)


def test_valid_statistics_are_evaluated_in_eval_mode_after_each_epoch():
    trainer = make_trainer()
    history = trainer.train(2, progress=False)
    assert trainer.model.training  # back in training mode after evaluation
    assert evaluate(trainer.model, trainer.error, trainer.valid_data) == pytest.approx(
        (history.valid_error[-1], history.valid_acc[-1])
    )


def test_early_stopping_restores_the_best_parameters():
    trainer = make_trainer(valid="some wrong labels")
    snapshots = []  # snapshots[e] = the parameters after epoch e (taken as epoch e + 1 starts)
    trainer.train_data = SnapshotProvider(trainer.train_data, trainer.model, snapshots)
    params_before = trainer.model.params
    history = trainer.train(50, early_stopping_patience=3, progress=False)
    assert history.stopped_early and not history.diverged
    assert history.best_epoch > 1
    assert len(history.epoch) == history.best_epoch + 3 < 50
    best = history.best_epoch - 1
    assert history.valid_error[best] == min(history.valid_error)
    assert history.valid_error[-1] > history.valid_error[best]
    for restored, saved in zip(trainer.model.params, snapshots[history.best_epoch]):
        np.testing.assert_array_equal(restored, saved)
    restored_error, restored_acc = evaluate(trainer.model, trainer.error, trainer.valid_data)
    assert restored_error == pytest.approx(history.valid_error[best], rel=1e-6)
    assert restored_acc == pytest.approx(history.valid_acc[best])
    assert all(a is b for a, b in zip(trainer.model.params, params_before))  # restored in place


def test_early_stopping_needs_validation_data_and_positive_patience():
    with pytest.raises(ValueError, match="valid_data"):
        make_trainer(valid=None).train(1, early_stopping_patience=2, progress=False)
    with pytest.raises(ValueError, match="at least 1"):
        make_trainer().train(1, early_stopping_patience=0, progress=False)


def test_float32_training_stays_float32():
    trainer = make_trainer(dtype=np.float32)
    params_before = trainer.model.params
    inputs, targets = next(iter(trainer.train_data))
    assert inputs.dtype == np.float32 and targets.dtype == np.float64
    activations = trainer.model.fprop(inputs)
    assert all(a.dtype == np.float32 for a in activations)
    grads = trainer.model.grads_wrt_params(activations, trainer.error.grad(activations[-1], targets))
    assert all(g.dtype == np.float32 for g in grads)
    trainer.train(2, progress=False)
    assert all(p.dtype == np.float32 for p in trainer.model.params)
    assert all(a is b for a, b in zip(trainer.model.params, params_before))


def test_divergence_stops_training_without_warnings(capsys, recwarn):
    trainer = make_trainer(learning_rate=1e30)
    history = trainer.train(20, progress=False)
    assert history.diverged
    assert len(history.epoch) < 20
    assert not math.isfinite(history.train_error[-1])
    assert len(recwarn) == 0, [str(w.message) for w in recwarn]
    assert capsys.readouterr().err == ""


def test_without_validation_data():
    history = make_trainer(valid=None).train(3, progress=False)
    assert len(history.valid_error) == 3 and all(math.isnan(e) for e in history.valid_error)
    assert history.best_epoch is None
    assert history.train_error[-1] < history.train_error[0]


def test_stats_interval_records_every_few_epochs_and_the_last():
    history = make_trainer().train(5, stats_interval=2, progress=False)
    assert history.epoch == [2, 4, 5]
    assert all(len(values) == 3 for values in (history.train_error, history.valid_acc, history.time))


def test_progress_bar_runs():
    history = make_trainer().train(2, progress=True)
    assert len(history.epoch) == 2


def test_history_as_dict():
    history = History(
        epoch=[1], train_error=[0.5], train_acc=[0.9], valid_error=[0.6], valid_acc=[0.8], time=[0.1], best_epoch=1
    )
    assert history.as_dict() == {
        "epoch": [1],
        "train_error": [0.5],
        "train_acc": [0.9],
        "valid_error": [0.6],
        "valid_acc": [0.8],
        "time": [0.1],
        "diverged": False,
        "best_epoch": 1,
        "stopped_early": False,
    }


def test_evaluate_averages_over_examples_and_restores_the_mode():
    trainer = make_trainer()
    model, data = trainer.model, trainer.valid_data
    inputs, targets = data.inputs, data.targets
    expected_error = trainer.error(model.predict(inputs), targets)
    expected_accuracy = accuracy(model.predict(inputs), targets)
    for mode in (model.train, model.eval):
        mode()
        was_training = model.training
        assert evaluate(model, trainer.error, data) == pytest.approx((expected_error, expected_accuracy))
        assert model.training == was_training


def test_accuracy():
    outputs = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    targets = np.array([[0, 1], [0, 1], [0, 1]])
    assert accuracy(outputs, targets) == pytest.approx(2 / 3)


# --- plotting ----------------------------------------------------------------------------------------------


def test_plotting_helpers_return_their_figures():
    history = make_trainer().train(2, progress=False)
    try:
        ax = plot_history({"sgd": history, "no valid": make_trainer(valid=None).train(2, progress=False)})
        assert isinstance(ax, Axes) and len(ax.lines) == 3  # the all-NaN valid curve is skipped

        fig = plot_layer_histograms(
            [np.random.default_rng(0).standard_normal((10, 5)), np.zeros(4), np.full(3, np.nan)], title="activations"
        )
        assert isinstance(fig, Figure) and len(fig.axes) == 3

        ax = plot_per_layer({"a": [1.0, 0.1, 0.01], "b": [1.0, 1.0, 1.0]}, ylabel="gradient norm", logy=True)
        assert isinstance(ax, Axes) and ax.get_yscale() == "log" and len(ax.lines) == 2

        fig = show_images(np.zeros((10, 784)), labels=list(range(10)), ncols=4)
        assert isinstance(fig, Figure) and len(fig.axes) == 12
        with pytest.raises(ValueError):
            show_images(np.zeros((2, 10)))
    finally:
        plt.close("all")
