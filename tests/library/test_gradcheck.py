"""Tests of the numerical gradient checks themselves (mlplab.gradcheck)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mlplab.gradcheck import (
    check_layer_bprop,
    check_layer_param_grads,
    numerical_gradient,
    numerical_vjp,
    rel_error,
)
from mlplab.layers import AffineLayer, Layer, SigmoidLayer


class SquareLayer(Layer):
    """y = x**2 with a correct bprop."""

    def fprop(self, inputs):
        return inputs**2

    def bprop(self, inputs, outputs, grads_wrt_outputs):
        return 2 * inputs * grads_wrt_outputs


class WrongSquareLayer(SquareLayer):
    """y = x**2 with a bprop that forgets the factor 2."""

    def bprop(self, inputs, outputs, grads_wrt_outputs):
        return inputs * grads_wrt_outputs


class Float32Layer(SquareLayer):
    """Breaks the layer contract: always returns float32."""

    def fprop(self, inputs):
        return (inputs**2).astype(np.float32)


class ReshapingLayer(SquareLayer):
    """A bprop that returns the wrong shape."""

    def bprop(self, inputs, outputs, grads_wrt_outputs):
        return (2 * inputs * grads_wrt_outputs)[:, :-1]


# --- rel_error -------------------------------------------------------------------------------------


def test_rel_error_formula():
    x = np.array([1.0, 2.0, 0.0])
    y = np.array([1.0, 2.2, 0.0])
    expected = np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y)))
    assert rel_error(x, y) == pytest.approx(0.2 / 4.2)
    assert rel_error(x, y) == expected
    assert rel_error(x, x) == 0.0
    assert rel_error(np.zeros(3), np.full(3, 1e-12)) == pytest.approx(1e-4)  # the 1e-8 floor


@given(
    hnp.arrays(np.float64, 5, elements=st.floats(-1e6, 1e6)), hnp.arrays(np.float64, 5, elements=st.floats(-1e6, 1e6))
)
def test_rel_error_is_symmetric_and_at_most_one(x, y):
    assert rel_error(x, y) == rel_error(y, x)
    assert 0.0 <= rel_error(x, y) <= 1.0


def test_rel_error_rejects_different_shapes():
    with pytest.raises(ValueError, match="same shape"):
        rel_error(np.zeros(3), np.zeros(4))


# --- numerical_gradient and numerical_vjp --------------------------------------------------------------------


def test_numerical_gradient_of_a_quadratic_and_x_is_restored():
    x = np.random.default_rng(0).standard_normal((3, 4))
    original = x.copy()
    grad = numerical_gradient(lambda v: np.sum(v**2), x)
    assert rel_error(grad, 2 * original) < 1e-8
    np.testing.assert_array_equal(x, original)


def test_numerical_vjp_of_a_linear_map():
    rng = np.random.default_rng(1)
    a, x, dout = rng.standard_normal((4, 3)), rng.standard_normal((2, 4)), rng.standard_normal((2, 3))
    original = x.copy()
    vjp = numerical_vjp(lambda v: v @ a, x, dout)
    assert rel_error(vjp, dout @ a.T) < 1e-8
    np.testing.assert_array_equal(x, original)


def test_numerical_vjp_copies_outputs_that_alias_the_input():
    x = np.array([[1.0, -2.0]])
    dout = np.array([[3.0, 4.0]])
    np.testing.assert_allclose(numerical_vjp(lambda v: v, x, dout), dout, rtol=1e-8)


@pytest.mark.parametrize("bad", [np.zeros(3, dtype=np.float32), [0.0, 1.0], np.zeros(3, dtype=int)])
def test_numerical_functions_need_float64_arrays(bad):
    with pytest.raises(ValueError, match="float64"):
        numerical_gradient(lambda v: 0.0, bad)
    with pytest.raises(ValueError, match="float64"):
        numerical_vjp(lambda v: v, bad, np.zeros(3))


def test_numerical_vjp_rejects_outputs_of_another_shape():
    with pytest.raises(ValueError, match="shape"):
        numerical_vjp(lambda v: v, np.zeros(3), np.zeros(4))


# --- layer checks --------------------------------------------------------------------------------------------


def test_check_layer_bprop_passes_a_correct_layer_and_fails_a_wrong_one():
    x = np.random.default_rng(2).standard_normal((3, 4))
    assert check_layer_bprop(SquareLayer(), x) < 1e-7
    assert check_layer_bprop(WrongSquareLayer(), x) > 0.1


def test_check_layer_bprop_converts_inputs_to_float64_and_defaults_are_reproducible():
    x32 = np.random.default_rng(3).standard_normal((3, 4)).astype(np.float32)
    error = check_layer_bprop(SigmoidLayer(), x32)
    assert error < 1e-7
    assert check_layer_bprop(SigmoidLayer(), x32) == error
    assert check_layer_bprop(SigmoidLayer(), x32.tolist(), rng=np.random.default_rng(5)) < 1e-7


def test_check_layer_bprop_reports_problems_clearly():
    x = np.zeros((2, 3))
    with pytest.raises(ValueError, match="float64"):
        check_layer_bprop(SquareLayer(), [["a", "b"]])
    with pytest.raises(ValueError, match="keep the input dtype"):
        check_layer_bprop(Float32Layer(), x)
    with pytest.raises(ValueError, match="grads_wrt_outputs"):
        check_layer_bprop(SquareLayer(), x, np.zeros((2, 4)))
    with pytest.raises(ValueError, match="bprop"):
        check_layer_bprop(ReshapingLayer(), x)


def test_check_layer_param_grads_on_a_float64_affine_layer():
    rng = np.random.default_rng(4)
    layer = AffineLayer(4, 3, rng=rng, weights_init=lambda shape, r: r.standard_normal(shape), dtype=np.float64)
    errors = check_layer_param_grads(layer, rng.standard_normal((5, 4)), rng.standard_normal((5, 3)))
    assert len(errors) == 2 and max(errors) < 1e-7


def test_check_layer_param_grads_uses_float64_copies_of_float32_params_and_puts_them_back():
    rng = np.random.default_rng(5)
    layer = AffineLayer(4, 3, rng=rng, weights_init=lambda shape, r: r.standard_normal(shape))
    weights, biases = layer.params
    weights_before = weights.copy()
    errors = check_layer_param_grads(layer, rng.standard_normal((5, 4)), rng.standard_normal((5, 3)))
    assert max(errors) < 1e-7
    assert layer.weights is weights and layer.biases is biases
    assert weights.dtype == np.float32
    np.testing.assert_array_equal(weights, weights_before)


def test_check_layer_param_grads_detects_a_wrong_gradient():
    class WrongBiasGrad(AffineLayer):
        def grads_wrt_params(self, inputs, grads_wrt_outputs):
            grad_w, grad_b = super().grads_wrt_params(inputs, grads_wrt_outputs)
            return [grad_w, grad_b / 2]

    rng = np.random.default_rng(6)
    layer = WrongBiasGrad(4, 3, rng=rng, dtype=np.float64)
    errors = check_layer_param_grads(layer, rng.standard_normal((5, 4)), rng.standard_normal((5, 3)))
    assert errors[0] < 1e-7 and errors[1] > 0.1


def test_check_layer_param_grads_without_a_setter_asks_for_float64():
    class FrozenAffine(AffineLayer):
        @property
        def params(self):
            return [self.weights, self.biases]

    rng = np.random.default_rng(7)
    layer = FrozenAffine(2, 2, rng=rng)
    with pytest.raises(ValueError, match="dtype=np.float64"):
        check_layer_param_grads(layer, np.zeros((1, 2)), np.zeros((1, 2)))
