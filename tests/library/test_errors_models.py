"""Tests of the error functions, softmax (mlplab.errors) and the layered model (mlplab.models)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mlplab.errors import (
    CrossEntropySoftmaxError,
    MeanSquaredError,
    SumOfSquaredDiffsError,
    log_softmax,
    softmax,
)
from mlplab.gradcheck import numerical_gradient, rel_error
from mlplab.layers import AffineLayer, IdentityLayer, LayerWithParameters, ReluLayer, SigmoidLayer, TanhLayer
from mlplab.models import MultipleLayerModel, mlp

NO_WARNINGS = dict(over="raise", invalid="raise", divide="raise")  # underflow to 0 is fine

finite_floats = st.floats(allow_nan=False, allow_infinity=False)
logit_arrays = hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, max_side=6), elements=finite_floats)


def one_hot(labels, num_classes, dtype=np.float64):
    return np.eye(num_classes, dtype=dtype)[labels]


def random_logits_and_targets(rng, batch_size=5, num_classes=4):
    logits = rng.standard_normal((batch_size, num_classes)) * 3
    targets = one_hot(rng.integers(num_classes, size=batch_size), num_classes)
    return logits, targets


# --- softmax ---------------------------------------------------------------------------------------


@given(logit_arrays)
def test_softmax_rows_are_probabilities_for_any_finite_input(x):
    with np.errstate(**NO_WARNINGS):
        p = softmax(x)
    assert p.shape == x.shape
    assert np.all(np.isfinite(p)) and np.all(p >= 0)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-12)
    # The largest logit always gets a probability of at least 1 / num_classes.
    assert np.all(p[np.arange(len(x)), x.argmax(axis=-1)] >= 1 / x.shape[1] - 1e-12)


@given(hnp.arrays(np.float64, (3, 5), elements=st.floats(-1e6, 1e6)), st.floats(-1e300, 1e300))
def test_softmax_is_strictly_positive_when_logits_are_close(x, offset):
    # Within a row the logits differ by less than 700 here, so no probability underflows to 0,
    # however large they are.
    x = offset + x / 1e6 * 300
    with np.errstate(**NO_WARNINGS):
        p = softmax(x)
    assert np.all(p > 0)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-12)


@given(hnp.arrays(np.float64, (3, 4), elements=st.floats(-50, 50)))
def test_softmax_and_log_softmax_match_direct_formulas(x):
    direct = np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(softmax(x), direct, rtol=1e-10)
    np.testing.assert_allclose(log_softmax(x), np.log(direct), rtol=1e-9, atol=1e-12)


def test_softmax_other_axis_and_dtypes():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert softmax(x).dtype == np.float32
    np.testing.assert_allclose(softmax(x, axis=0).sum(axis=0), 1.0, rtol=1e-6)
    assert softmax(np.array([[1, 2, 3]])).dtype == np.float64


def test_softmax_does_not_modify_its_input():
    x = np.array([[1.0, 2.0, 3.0]])
    softmax(x)
    log_softmax(x)
    np.testing.assert_array_equal(x, [[1.0, 2.0, 3.0]])


# --- cross-entropy -----------------------------------------------------------------------------------


@given(hnp.arrays(np.float64, (4, 3), elements=st.floats(-30, 30)), hnp.arrays(np.int64, 4, elements=st.integers(0, 2)))
def test_cross_entropy_matches_direct_float64_formula(logits, labels):
    targets = one_hot(labels, 3)
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    direct = -np.mean(np.sum(targets * np.log(probs), axis=1))
    value = CrossEntropySoftmaxError()(logits, targets)
    assert isinstance(value, float)
    assert value == pytest.approx(direct, rel=1e-9, abs=1e-12)


def test_cross_entropy_is_finite_for_huge_logits():
    logits = np.array([[1e4, -1e4, 0.0], [-5e3, 5e3, 1.0]])
    targets = one_hot([1, 1], 3)
    with np.errstate(**NO_WARNINGS):
        value = CrossEntropySoftmaxError()(logits, targets)
        grad = CrossEntropySoftmaxError().grad(logits, targets)
    assert value == pytest.approx(2e4 / 2)
    assert np.all(np.isfinite(grad))


def test_cross_entropy_gradient_is_softmax_minus_targets_over_batch_size():
    rng = np.random.default_rng(0)
    logits, targets = random_logits_and_targets(rng)
    error = CrossEntropySoftmaxError()
    np.testing.assert_allclose(error.grad(logits, targets), (softmax(logits) - targets) / 5)
    numerical = numerical_gradient(lambda y: error(y, targets), logits.copy())
    assert rel_error(error.grad(logits, targets), numerical) < 1e-7


def test_cross_entropy_gradient_keeps_float32_even_with_float64_targets():
    outputs = np.zeros((2, 3), dtype=np.float32)
    assert CrossEntropySoftmaxError().grad(outputs, one_hot([0, 2], 3, np.float64)).dtype == np.float32


@pytest.mark.parametrize("error", [CrossEntropySoftmaxError(), SumOfSquaredDiffsError()])
def test_errors_reject_targets_of_another_shape(error):
    outputs = np.zeros((4, 3))
    for targets in (np.zeros(4), np.zeros((4, 2)), np.zeros((3, 3))):
        with pytest.raises(ValueError, match=r"\(4, 3\)"):
            error(outputs, targets)
        with pytest.raises(ValueError, match="same shape"):
            error.grad(outputs, targets)


# --- sum of squared differences -------------------------------------------------------------------------


def test_sum_of_squared_diffs_convention():
    outputs = np.array([[1.0, 2.0], [3.0, 4.0]])
    targets = np.array([[0.0, 0.0], [3.0, 2.0]])
    # 0.5 * per-example sum of squares, averaged over the 2 examples: 0.5 * (5 + 4) / 2
    assert SumOfSquaredDiffsError()(outputs, targets) == pytest.approx(2.25)
    np.testing.assert_allclose(SumOfSquaredDiffsError().grad(outputs, targets), (outputs - targets) / 2)
    assert MeanSquaredError is SumOfSquaredDiffsError


def test_sum_of_squared_diffs_gradcheck_and_dtype():
    rng = np.random.default_rng(1)
    outputs, targets = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    error = SumOfSquaredDiffsError()
    numerical = numerical_gradient(lambda y: error(y, targets), outputs.copy())
    assert rel_error(error.grad(outputs, targets), numerical) < 1e-7
    assert error.grad(outputs.astype(np.float32), targets).dtype == np.float32
    original = outputs.copy()
    error.grad(outputs, targets)
    np.testing.assert_array_equal(outputs, original)


# --- MultipleLayerModel and mlp ------------------------------------------------------------------

# The error of a whole model is a scalar with a few small gradient entries, whose relative
# accuracy is lower than that of a single layer's VJP; each layer is checked to 1e-7 in test_layers.
WHOLE_MODEL_TOLERANCE = 1e-5


def small_model(dtype=np.float64, hidden=TanhLayer, seed=0):
    return mlp(
        [4, 6, 5, 3],
        hidden=hidden,
        rng=np.random.default_rng(seed),
        weights_init=lambda shape, rng: rng.normal(0, 0.5, shape),
        biases_init=lambda shape, rng: rng.normal(0, 0.5, shape),
        dtype=dtype,
    )


def test_fprop_returns_inputs_then_every_layer_output():
    model = small_model()
    x = np.random.default_rng(1).standard_normal((7, 4))
    activations = model.fprop(x)
    assert len(activations) == len(model.layers) + 1
    assert activations[0] is x
    for i, layer in enumerate(model.layers):
        np.testing.assert_array_equal(activations[i + 1], layer.fprop(activations[i]))
    np.testing.assert_array_equal(model.predict(x), activations[-1])
    assert activations[-1].shape == (7, 3)


def test_params_are_the_layers_arrays_in_order():
    model = small_model()
    expected = [p for layer in model.layers if isinstance(layer, LayerWithParameters) for p in layer.params]
    assert len(model.params) == 6
    assert all(a is b for a, b in zip(model.params, expected))


@pytest.mark.parametrize("hidden", [TanhLayer, SigmoidLayer, IdentityLayer])
def test_model_gradients_match_numerical_gradients(hidden):
    rng = np.random.default_rng(2)
    model = small_model(hidden=hidden)
    x = rng.standard_normal((5, 4))
    targets = one_hot(rng.integers(3, size=5), 3)
    error = CrossEntropySoftmaxError()
    activations = model.fprop(x)
    grads = model.grads_wrt_params(activations, error.grad(activations[-1], targets))
    assert [g.shape for g in grads] == [p.shape for p in model.params]
    for param, grad in zip(model.params, grads):
        numerical = numerical_gradient(lambda _: error(model.predict(x), targets), param, h=1e-5)
        assert rel_error(grad, numerical) < WHOLE_MODEL_TOLERANCE


def test_model_gradients_through_relu():
    rng = np.random.default_rng(3)
    model = small_model(hidden=ReluLayer)
    x = rng.standard_normal((5, 4))
    targets = one_hot(rng.integers(3, size=5), 3)
    error = CrossEntropySoftmaxError()
    activations = model.fprop(x)
    assert all(np.min(np.abs(a)) > 1e-4 for a in activations[1::2])  # no pre-activation near the kink
    grads = model.grads_wrt_params(activations, error.grad(activations[-1], targets))
    for param, grad in zip(model.params, grads):
        numerical = numerical_gradient(lambda _: error(model.predict(x), targets), param, h=1e-5)
        assert rel_error(grad, numerical) < WHOLE_MODEL_TOLERANCE


def test_float32_model_stays_float32():
    model = small_model(dtype=np.float32, hidden=ReluLayer)
    x = np.random.default_rng(4).standard_normal((5, 4)).astype(np.float32)
    activations = model.fprop(x)
    assert all(a.dtype == np.float32 for a in activations)
    grads = model.grads_wrt_params(activations, CrossEntropySoftmaxError().grad(activations[-1], one_hot([0] * 5, 3)))
    assert all(g.dtype == np.float32 for g in grads)


def test_train_and_eval_set_every_layer():
    model = small_model()
    assert model.eval() is model and not model.training
    assert not any(layer.training for layer in model.layers)
    assert model.train() is model and model.training
    assert all(layer.training for layer in model.layers)


def test_mlp_structure_and_dtype():
    model = mlp([784, 512, 512, 10], rng=np.random.default_rng(0))
    kinds = [type(layer) for layer in model.layers]
    assert kinds == [AffineLayer, ReluLayer, AffineLayer, ReluLayer, AffineLayer]
    assert [(layer.input_dim, layer.output_dim) for layer in model.layers[::2]] == [(784, 512), (512, 512), (512, 10)]
    assert all(p.dtype == np.float32 for p in model.params)
    assert len(mlp([3, 2], rng=np.random.default_rng(0)).layers) == 1
    assert "AffineLayer(input_dim=784, output_dim=512)" in repr(model) and "ReluLayer()" in repr(model)


def test_mlp_accepts_a_factory_and_makes_a_new_hidden_layer_each_time():
    made = []

    def factory():
        made.append(TanhLayer())
        return made[-1]

    model = mlp([2, 3, 3, 1], hidden=factory, rng=np.random.default_rng(0), dtype=np.float64)
    assert model.layers[1] is made[0] and model.layers[3] is made[1] and made[0] is not made[1]


def test_mlp_needs_two_sizes_and_an_rng_for_the_default_init():
    with pytest.raises(ValueError):
        mlp([3], rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match="np.random.Generator"):
        mlp([3, 2])


def test_model_with_only_parameter_free_layers():
    model = MultipleLayerModel([IdentityLayer(), ReluLayer()])
    x = np.array([[-1.0, 2.0]])
    assert model.params == []
    assert model.grads_wrt_params(model.fprop(x), np.ones((1, 2))) == []
