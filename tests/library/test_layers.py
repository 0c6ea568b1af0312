"""Tests of the provided layers: affine and activations (mlplab.layers)."""

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import mlplab.layers
from mlplab.gradcheck import check_layer_bprop, check_layer_param_grads
from mlplab.layers import (
    AffineLayer,
    IdentityLayer,
    Layer,
    LayerWithParameters,
    ReluLayer,
    SigmoidLayer,
    StochasticLayer,
    TanhLayer,
)

ACTIVATIONS = [SigmoidLayer, TanhLayer, ReluLayer, IdentityLayer]


def standard_normal_init(shape, rng):
    return rng.standard_normal(shape)


def inputs_away_from_zero(rng, shape):
    """Standard normal values with |x| >= 0.05, so ReLU's kink is far from every input."""
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < 0.05, np.sign(x + 1e-12) * 0.05, x)


# --- AffineLayer --------------------------------------------------------------------------------


def test_affine_shapes_and_default_init():
    layer = AffineLayer(784, 100, rng=np.random.default_rng(0))
    assert layer.weights.shape == (100, 784)
    assert layer.biases.shape == (100,)
    assert layer.weights.dtype == np.float32 and layer.biases.dtype == np.float32
    assert np.all(layer.biases == 0)
    assert abs(layer.weights.std() - 0.01) < 0.001
    assert isinstance(layer, LayerWithParameters)


def test_affine_fprop_is_inputs_times_weights_transposed_plus_biases():
    rng = np.random.default_rng(1)
    layer = AffineLayer(
        5, 3, rng=rng, weights_init=standard_normal_init, biases_init=standard_normal_init, dtype=np.float64
    )
    x = rng.standard_normal((4, 5))
    expected = np.array(
        [[sum(x[n, i] * layer.weights[k, i] for i in range(5)) + layer.biases[k] for k in range(3)] for n in range(4)]
    )
    np.testing.assert_allclose(layer.fprop(x), expected, rtol=1e-12)


def test_affine_gradients_by_hand():
    rng = np.random.default_rng(2)
    layer = AffineLayer(5, 3, rng=rng, weights_init=standard_normal_init, dtype=np.float64)
    x, g = rng.standard_normal((4, 5)), rng.standard_normal((4, 3))
    np.testing.assert_allclose(layer.bprop(x, layer.fprop(x), g), g @ layer.weights)
    grad_w, grad_b = layer.grads_wrt_params(x, g)
    np.testing.assert_allclose(grad_w, g.T @ x)
    np.testing.assert_allclose(grad_b, g.sum(axis=0))


def test_affine_custom_initialisers_get_shape_and_rng():
    rng = np.random.default_rng(3)
    calls = []

    def init(shape, given_rng):
        calls.append((shape, given_rng))
        return np.full(shape, 0.5)

    layer = AffineLayer(4, 2, rng=rng, weights_init=init, biases_init=init, dtype=np.float64)
    assert calls == [((2, 4), rng), ((2,), rng)]
    assert np.all(layer.weights == 0.5) and np.all(layer.biases == 0.5)


def test_affine_copies_what_the_initialiser_returns():
    weights = np.ones((2, 3))
    layer = AffineLayer(3, 2, weights_init=lambda shape, rng: weights, dtype=np.float64)
    layer.weights -= 1
    assert np.all(weights == 1)


def test_affine_without_rng_raises_a_clear_type_error():
    with pytest.raises(TypeError, match="np.random.Generator"):
        AffineLayer(3, 2)
    with pytest.raises(TypeError, match="np.random.Generator"):
        AffineLayer(3, 2, rng=np.random.RandomState(0))


def test_affine_initialiser_of_wrong_shape_is_rejected():
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        AffineLayer(3, 2, weights_init=lambda shape, rng: np.zeros((3, 2)))


def test_affine_rejects_inputs_of_the_wrong_width_with_a_clear_message():
    layer = AffineLayer(784, 10, rng=np.random.default_rng(0))
    message = "AffineLayer expects inputs of shape (batch_size, 784), got (32, 100)"
    with pytest.raises(ValueError) as info:
        layer.fprop(np.zeros((32, 100), dtype=np.float32))
    assert str(info.value) == message


def test_affine_params_are_the_layers_own_arrays():
    layer = AffineLayer(3, 2, rng=np.random.default_rng(0))
    weights, biases = layer.params
    assert weights is layer.weights and biases is layer.biases
    weights -= 1.0
    biases += 2.0
    assert np.all(layer.biases == 2.0)
    x = np.ones((1, 3), dtype=np.float32)
    np.testing.assert_allclose(layer.fprop(x), x @ weights.T + 2.0)


def test_affine_params_can_be_assigned():
    layer = AffineLayer(3, 2, rng=np.random.default_rng(0))
    new_weights, new_biases = np.ones((2, 3), np.float32), np.zeros(2, np.float32)
    layer.params = [new_weights, new_biases]
    assert layer.weights is new_weights and layer.biases is new_biases
    with pytest.raises(ValueError, match="shapes"):
        layer.params = [np.ones((3, 2)), np.zeros(2)]


def test_affine_keeps_float32():
    rng = np.random.default_rng(4)
    layer = AffineLayer(6, 4, rng=rng)
    x = rng.standard_normal((5, 6)).astype(np.float32)
    y = layer.fprop(x)
    g = np.ones_like(y)
    assert y.dtype == np.float32
    assert layer.bprop(x, y, g).dtype == np.float32
    assert all(grad.dtype == np.float32 for grad in layer.grads_wrt_params(x, g))


def test_affine_gradcheck_float64():
    rng = np.random.default_rng(5)
    layer = AffineLayer(
        6, 4, rng=rng, weights_init=standard_normal_init, biases_init=standard_normal_init, dtype=np.float64
    )
    x, g = rng.standard_normal((5, 6)), rng.standard_normal((5, 4))
    assert check_layer_bprop(layer, x, g) < 1e-7
    assert max(check_layer_param_grads(layer, x, g)) < 1e-7


def test_affine_repr():
    assert repr(AffineLayer(3, 2, rng=np.random.default_rng(0))) == "AffineLayer(input_dim=3, output_dim=2)"


# --- activations ----------------------------------------------------------------------------------


@pytest.mark.parametrize("layer_class", ACTIVATIONS)
def test_activation_gradcheck_float64(layer_class):
    rng = np.random.default_rng(6)
    x = inputs_away_from_zero(rng, (4, 7))
    assert check_layer_bprop(layer_class(), x, rng=rng) < 1e-7


@pytest.mark.parametrize("layer_class", ACTIVATIONS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activation_keeps_dtype_and_shape(layer_class, dtype):
    layer = layer_class()
    x = np.linspace(-3, 3, 12, dtype=dtype).reshape(3, 4)
    y = layer.fprop(x)
    g = layer.bprop(x, y, np.ones_like(y))
    assert y.dtype == dtype and g.dtype == dtype
    assert y.shape == x.shape and g.shape == x.shape


def test_activation_values():
    x = np.array([[-2.0, -0.5, 0.0, 0.5, 2.0]])
    np.testing.assert_allclose(SigmoidLayer().fprop(x), 1 / (1 + np.exp(-x)), rtol=1e-15)
    np.testing.assert_allclose(TanhLayer().fprop(x), np.tanh(x))
    np.testing.assert_array_equal(ReluLayer().fprop(x), [[0, 0, 0, 0.5, 2.0]])
    assert IdentityLayer().fprop(x) is x


def test_relu_bprop_passes_gradient_only_where_input_is_positive():
    x = np.array([[-1.0, 0.0, 2.0]])
    g = np.array([[5.0, 6.0, 7.0]])
    np.testing.assert_array_equal(ReluLayer().bprop(x, ReluLayer().fprop(x), g), [[0.0, 0.0, 7.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_is_stable_for_large_inputs(dtype):
    x = np.array([[-1e30, -1000.0, -100.0, 100.0, 1000.0, 1e30]], dtype=dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = SigmoidLayer().fprop(x)
    np.testing.assert_allclose(y, [[0, 0, 0, 1, 1, 1]], atol=1e-40)
    assert np.all(np.isfinite(y))


@given(hnp.arrays(np.float64, (3, 4), elements=st.floats(-30, 30)))
def test_sigmoid_in_open_unit_interval(x):
    y = SigmoidLayer().fprop(x)
    assert np.all((y > 0) & (y < 1))


@given(hnp.arrays(np.float64, (3, 4), elements=st.floats(allow_nan=False, allow_infinity=False)))
def test_sigmoid_in_closed_unit_interval_without_warnings_for_any_finite_input(x):
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = SigmoidLayer().fprop(x)
    assert np.all((y >= 0) & (y <= 1))


@given(hnp.arrays(np.float64, (3, 4), elements=st.floats(-20, 20)))
def test_sigmoid_and_tanh_bprop_match_derivative_formulas(x):
    g = np.ones_like(x)
    s = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(SigmoidLayer().bprop(x, SigmoidLayer().fprop(x), g), s * (1 - s), rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(TanhLayer().bprop(x, np.tanh(x), g), 1 - np.tanh(x) ** 2, rtol=1e-9, atol=1e-15)


# --- modes and the package ------------------------------------------------------------------------


@pytest.mark.parametrize("make_layer", [*ACTIVATIONS, lambda: AffineLayer(2, 2, rng=np.random.default_rng(0))])
def test_train_and_eval_switch_mode(make_layer):
    layer = make_layer()
    assert layer.training
    assert layer.eval() is layer and not layer.training
    assert layer.train() is layer and layer.training


def test_package_reexports_the_contract():
    assert issubclass(StochasticLayer, Layer) and issubclass(LayerWithParameters, Layer)
    for name in mlplab.layers.__all__:
        assert hasattr(mlplab.layers, name)


def test_importing_layers_does_not_import_the_exercise_file():
    code = (
        "import sys, mlplab.layers; assert 'mlplab.exercises.hidden_units' not in sys.modules, 'hidden_units imported'"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
