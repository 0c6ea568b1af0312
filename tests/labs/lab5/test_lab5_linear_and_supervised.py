"""The reference of tasks 5.9 (linear autoencoder) and 5.10 (supervised layer-by-layer pretraining).

The test process runs on the reference (conftest.py points MLPLAB_EXERCISES at solutions/).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlplab.course.experiments.lab5 import _PartialGradientDescent
from mlplab.errors import CrossEntropySoftmaxError, SumOfSquaredDiffsError
from mlplab.exercises.autoencoders import add_hidden_layer, linear_autoencoder_grads, supervised_pretraining
from mlplab.gradcheck import numerical_gradient
from mlplab.layers import AffineLayer, ReluLayer, SigmoidLayer, TanhLayer
from mlplab.models import mlp
from mlplab.training import Trainer

FAST = settings(max_examples=25, deadline=None)


def _linear_params(rng, d, k):
    return [rng.normal(0, 0.5, (k, d)), rng.normal(0, 0.3, k), rng.normal(0, 0.5, (d, k)), rng.normal(0, 0.3, d)]


# ----------------------------------------------------------------------------- 5.9


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 7), d=st.integers(1, 6), k=st.integers(1, 4))
@FAST
def test_linear_gradients_match_central_differences(seed, n, d, k):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, (n, d))
    params = _linear_params(rng, d, k)
    saved = [p.copy() for p in params]
    error, grads = linear_autoencoder_grads(x, params)
    assert isinstance(error, float) and len(grads) == 4
    for p, q in zip(params, saved):
        np.testing.assert_array_equal(p, q)
    for j, (param, grad) in enumerate(zip(params, grads)):
        assert grad.shape == param.shape
        numerical = numerical_gradient(lambda _: linear_autoencoder_grads(x, params)[0], param)
        np.testing.assert_allclose(grad, numerical, rtol=1e-5, atol=1e-7, err_msg=f"gradient {j}")


def test_linear_autoencoder_agrees_with_the_library_layers():
    """The same network built from two AffineLayers: same error (SumOfSquaredDiffsError), same gradients."""
    rng = np.random.default_rng(3)
    x = rng.normal(0, 1, (9, 7))
    w, b, v, c = _linear_params(rng, 7, 3)
    model = mlp([7, 3, 7], rng=rng, dtype=np.float64)
    model.layers = model.layers[::2]  # no activation: two affine layers
    for param, value in zip(model.params, (w, b, v, c)):
        param[...] = value
    activations = model.fprop(x)
    loss = SumOfSquaredDiffsError()
    library = model.grads_wrt_params(activations, loss.grad(activations[-1], x))
    error, grads = linear_autoencoder_grads(x, [w, b, v, c])
    assert error == pytest.approx(loss(activations[-1], x), rel=1e-12)
    for ours, theirs in zip(grads, library):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_the_pca_solution_is_a_stationary_point():
    """Encoder U_k.T, decoder U_k on centred data: the gradient vanishes (the optimum the experiment approaches)."""
    rng = np.random.default_rng(5)
    x = rng.normal(0, 1, (200, 6)) @ rng.normal(0, 1, (6, 6))
    x -= x.mean(axis=0)
    eigenvalues, vectors = np.linalg.eigh(x.T @ x / len(x))
    top = vectors[:, ::-1][:, :2]
    error, grads = linear_autoencoder_grads(x, [top.T, np.zeros(2), top, np.zeros(6)])
    assert error == pytest.approx(0.5 * eigenvalues[:-2].sum(), rel=1e-10)
    for grad in grads:
        assert np.max(np.abs(grad)) < 1e-10


# ----------------------------------------------------------------------------- 5.10


def _classifier(widths, hidden=SigmoidLayer, dtype=np.float64, seed=0):
    return mlp(widths, hidden, rng=np.random.default_rng(seed), dtype=dtype)


@pytest.mark.parametrize("hidden", [SigmoidLayer, TanhLayer, ReluLayer])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_add_hidden_layer_removes_the_output_layer_and_marks_the_new_weights(hidden, dtype):
    old = _classifier([8, 6, 5, 3], hidden, dtype)
    old_layers = list(old.layers)
    new, trainable = add_hidden_layer(old, 4, np.random.default_rng(1))
    assert old.layers == old_layers
    assert len(new.layers) == len(old.layers) + 2
    assert all(a is b for a, b in zip(new.layers, old.layers[:-1]))
    assert all(layer is not old.layers[-1] for layer in new.layers)
    assert [type(layer) for layer in new.layers[-3:]] == [AffineLayer, hidden, AffineLayer]
    assert (new.layers[-3].input_dim, new.layers[-3].output_dim) == (5, 4)
    assert (new.layers[-1].input_dim, new.layers[-1].output_dim) == (4, 3)
    old_ids = {id(p) for p in old.params}
    assert trainable == [id(p) not in old_ids for p in new.params] and sum(trainable) == 4
    assert all(p.dtype == dtype for p in new.params)
    assert new.predict(np.ones((2, 8), dtype=dtype)).shape == (2, 3)
    again, _ = add_hidden_layer(old, 4, np.random.default_rng(1))
    for p, q in zip(new.params, again.params):
        np.testing.assert_array_equal(p, q)


def test_supervised_pretraining_trains_new_weights_only_then_everything():
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, (60, 10))
    y = np.eye(3)[rng.integers(0, 3, 60)]
    stages = []

    def train(model, trainable):
        before = [p.copy() for p in model.params]
        trainer = Trainer(model, CrossEntropySoftmaxError(), _PartialGradientDescent(0.1, trainable), [(x, y)] * 3)
        trainer.train(2, progress=False)
        moved = [not np.array_equal(p, q) for p, q in zip(model.params, before)]
        stages.append((len(model.layers), list(trainable), moved))

    model = supervised_pretraining(10, [8, 6, 4], 3, np.random.default_rng(1), train=train, dtype=np.float64)
    assert [s[0] for s in stages] == [3, 5, 7, 7]
    assert stages[0][1] == [True] * 4 and stages[-1][1] == [True] * 8
    assert stages[1][1] == [False] * 2 + [True] * 4 and stages[2][1] == [False] * 4 + [True] * 4
    for _, trainable, moved in stages:
        assert moved == trainable  # frozen arrays stay exactly as they were, the others change
    assert len(model.layers) == 7 and model.predict(x).shape == (60, 3)


def test_supervised_pretraining_with_one_hidden_layer_trains_and_fine_tunes():
    calls = []
    model = supervised_pretraining(5, [4], 2, np.random.default_rng(0), train=lambda m, t: calls.append(list(t)))
    assert calls == [[True] * 4, [True] * 4] and len(model.layers) == 3
    assert all(p.dtype == np.float32 for p in model.params)


def test_partial_gradient_descent_refuses_a_wrong_number_of_flags():
    rule = _PartialGradientDescent(0.1, [True, False])
    with pytest.raises(ValueError, match="trainable has 2 entries for 4"):
        rule.initialise(_classifier([3, 2, 2]).params)


def test_the_experiment_falls_back_to_eigh_when_lab_1_pca_is_a_stub(monkeypatch):
    from mlplab.course.experiments import lab5
    from mlplab.exercises import preprocessing

    sizes = dict(code_dim=4, num_train=300, num_epochs=2, seed=3, progress=False)
    ours = lab5.linear_autoencoder_vs_pca(**sizes)

    def stub(self, train_inputs):
        raise NotImplementedError("Lab 1, task 1.11: PCAWhitener.fit")

    monkeypatch.setattr(preprocessing.PCAWhitener, "fit", stub)
    fallback = lab5.linear_autoencoder_vs_pca(**sizes)
    assert ours["pca_source"].startswith("your PCAWhitener") and fallback["pca_source"].startswith("np.linalg.eigh")
    for name in ("decoder", "codes", "encoder"):
        np.testing.assert_allclose(fallback["angles"][name], ours["angles"][name], atol=1e-6)
