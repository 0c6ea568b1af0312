"""The Lab 1 reference solutions: gradients, properties from the lecture, conventions of the docstrings.

The test process runs on the reference (conftest.py points MLPLAB_EXERCISES at solutions/).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlplab.exercises.hidden_units import ELULayer, LeakyReLULayer, SELULayer, SReLULayer
from mlplab.exercises.initialisers import (
    check_rng,
    check_shape,
    fanin_uniform,
    glorot_normal,
    glorot_uniform,
    he_normal,
    log_prior_biases,
    orthogonal,
)
from mlplab.exercises.preprocessing import PCAWhitener, Standardiser
from mlplab.gradcheck import check_layer_bprop

LAYERS = [
    ELULayer(),
    ELULayer(0.3),
    ELULayer(2.5),
    SELULayer(),
    LeakyReLULayer(),
    LeakyReLULayer(0.2),
    SReLULayer(),
    SReLULayer(0.4),
]
FAST = settings(max_examples=30, deadline=None)


def away_from_zero(rng, shape, low=0.05, high=4.0):
    return rng.uniform(low, high, shape) * rng.choice([-1.0, 1.0], shape)


# ----------------------------------------------------------------------------- hidden units


@pytest.mark.parametrize("layer", LAYERS, ids=repr)
def test_bprop_agrees_with_the_numerical_gradient(layer):
    rng = np.random.default_rng(0)
    inputs = away_from_zero(rng, (7, 9))
    grads = rng.standard_normal(inputs.shape)
    assert check_layer_bprop(layer, inputs, grads) < 1e-7


@pytest.mark.parametrize("layer", LAYERS, ids=repr)
def test_dtype_is_kept_and_arguments_are_not_modified(layer):
    rng = np.random.default_rng(1)
    for dtype in (np.float32, np.float64):
        x = rng.standard_normal((5, 4)).astype(dtype)
        x[0, 0] = 0
        g = rng.standard_normal((5, 4)).astype(dtype)
        x0, g0 = x.copy(), g.copy()
        y = layer.fprop(x)
        y0 = y.copy()
        d = layer.bprop(x, y, g)
        assert y.dtype == dtype and d.dtype == dtype
        assert y.shape == d.shape == x.shape
        np.testing.assert_array_equal(x, x0)
        np.testing.assert_array_equal(g, g0)
        np.testing.assert_array_equal(y, y0)


@pytest.mark.parametrize("layer", LAYERS, ids=repr)
def test_large_inputs_give_no_overflow_and_exact_limits(layer):
    x = np.array([[-1e300, -1e4, -800.0, 0.0, 800.0, 1e4, 1e300]])
    with np.errstate(all="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        y = layer.fprop(x)
        d = layer.bprop(x, y, np.ones_like(x))
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(d))
    slope = layer.SCALE if isinstance(layer, SELULayer) else 1.0
    np.testing.assert_allclose(y[0, 4:], slope * x[0, 4:], rtol=1e-15)
    np.testing.assert_allclose(d[0, 4:], slope)
    assert y[0, 3] == 0


@given(x=st.floats(min_value=1e-300, max_value=1e300), alpha=st.floats(min_value=0.01, max_value=10))
@FAST
def test_elu_is_the_identity_for_positive_inputs(x, alpha):
    layer = ELULayer(alpha)
    y = layer.fprop(np.array([[x]]))
    assert y[0, 0] == x
    assert layer.bprop(np.array([[x]]), y, np.array([[1.0]]))[0, 0] == 1.0


@given(x=st.floats(min_value=-700, max_value=0), alpha=st.floats(min_value=0.01, max_value=10))
@FAST
def test_elu_negative_branch_is_bounded_and_its_derivative_is_output_plus_alpha(x, alpha):
    layer = ELULayer(alpha)
    y = layer.fprop(np.array([[x]]))[0, 0]
    assert -alpha <= y <= 0
    assert y == pytest.approx(alpha * math.expm1(x), rel=1e-12, abs=1e-300)
    d = layer.bprop(np.array([[x]]), np.array([[y]]), np.array([[1.0]]))[0, 0]
    # f(x) + alpha loses the digits of alpha * exp(x) below alpha * 2.2e-16 (cancellation)
    assert d == pytest.approx(alpha * math.exp(x), rel=1e-9, abs=4 * alpha * np.finfo(float).eps)


@given(delta=st.floats(min_value=1e-12, max_value=1e-4), alpha=st.floats(min_value=0.01, max_value=10))
@FAST
def test_elu_is_continuous_at_zero(delta, alpha):
    layer = ELULayer(alpha)
    y = layer.fprop(np.array([[-delta, 0.0, delta]]))[0]
    assert y[1] == 0
    # |f(d) - f(-d)| <= (1 + alpha) d, and both sides tend to f(0) = 0
    assert abs(y[2] - y[0]) <= (1 + alpha) * delta * (1 + 1e-9)
    assert abs(y[0]) <= alpha * delta and abs(y[2]) <= delta


@given(
    x=st.floats(min_value=-1e6, max_value=1e6).filter(lambda v: v != 0), alpha=st.floats(min_value=0.001, max_value=0.9)
)
@FAST
def test_leaky_relu_slope_is_1_or_alpha(x, alpha):
    layer = LeakyReLULayer(alpha)
    y = layer.fprop(np.array([[x]]))[0, 0]
    d = layer.bprop(np.array([[x]]), np.array([[y]]), np.array([[1.0]]))[0, 0]
    expected_slope = 1.0 if x > 0 else alpha
    assert y == pytest.approx(expected_slope * x, rel=1e-15)
    assert d == expected_slope


def test_leaky_relu_default_slope_and_zero_convention():
    layer = LeakyReLULayer()
    assert layer.alpha == 0.01
    x = np.array([[-2.0, 0.0, 3.0]])
    np.testing.assert_array_equal(layer.fprop(x), [[-0.02, 0.0, 3.0]])
    np.testing.assert_array_equal(layer.bprop(x, layer.fprop(x), np.ones_like(x)), [[0.01, 0.01, 1.0]])
    elu = ELULayer(2.0)
    assert elu.bprop(np.zeros((1, 1)), np.zeros((1, 1)), np.ones((1, 1)))[0, 0] == 2.0  # 0 is negative


@given(
    x=st.floats(min_value=-1e6, max_value=1e6),
    shift=st.floats(min_value=0.01, max_value=10),
)
@FAST
def test_srelu_is_max_of_the_input_and_minus_shift(x, shift):
    layer = SReLULayer(shift)
    y = layer.fprop(np.array([[x]]))[0, 0]
    d = layer.bprop(np.array([[x]]), np.array([[y]]), np.array([[1.0]]))[0, 0]
    assert y == max(x, -shift)
    assert d == (1.0 if x > -shift else 0.0)


@given(delta=st.floats(min_value=1e-12, max_value=1e-4), shift=st.floats(min_value=0.01, max_value=10))
@FAST
def test_srelu_is_continuous_at_the_kink_and_bounded_below(delta, shift):
    layer = SReLULayer(shift)
    y = layer.fprop(np.array([[-shift - delta, -shift, -shift + delta, -1e300]]))[0]
    assert y[0] == y[1] == y[3] == -shift
    assert abs(y[2] - y[1]) <= delta + 4 * np.finfo(float).eps * shift  # rounding of -shift + delta


def test_srelu_default_shift_and_kink_convention():
    layer = SReLULayer()
    assert layer.shift == 1.0
    x = np.array([[-3.0, -1.0, -0.5, 0.0, 2.0]])
    y = layer.fprop(x)
    np.testing.assert_array_equal(y, [[-1.0, -1.0, -0.5, 0.0, 2.0]])
    # the kink -1 belongs to the constant branch: derivative 0 there, as the ReLU's at 0
    np.testing.assert_array_equal(layer.bprop(x, y, np.full_like(x, 3.0)), [[0.0, 0.0, 3.0, 3.0, 3.0]])


@pytest.mark.parametrize("shift", [1.0, 0.3, 2.5])
def test_srelu_bprop_agrees_with_the_numerical_gradient_on_both_sides_of_the_kink(shift):
    rng = np.random.default_rng(12)
    inputs = -shift + away_from_zero(rng, (6, 8))
    grads = rng.standard_normal(inputs.shape)
    assert check_layer_bprop(SReLULayer(shift), inputs, grads) < 1e-7
    assert np.any(inputs < -shift) and np.any((inputs > -shift) & (inputs < 0)) and np.any(inputs > 0)


def test_selu_keeps_zero_mean_and_unit_variance():
    z = np.random.default_rng(2026).standard_normal(2_000_000)
    y = SELULayer().fprop(z[None, :])[0]
    # standard errors: 1/sqrt(n) = 7e-4 for the mean, about 1.4e-3 for the variance
    assert abs(y.mean()) < 5e-3
    assert abs(y.var() - 1) < 1e-2
    # and a layer of N(0, 1/n_in) weights keeps it there
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2000, 400))
    for _ in range(10):
        w = rng.standard_normal((400, 400)) / math.sqrt(400)
        x = SELULayer().fprop(x @ w.T)
    assert abs(x.mean()) < 0.05 and abs(x.std() - 1) < 0.05


def test_selu_constants_and_branches():
    assert SELULayer.ALPHA == 1.6732632423543772 and SELULayer.SCALE == 1.0507009873554805
    x = np.array([[-1.0, 2.0]])
    y = SELULayer().fprop(x)
    np.testing.assert_allclose(
        y, [[SELULayer.SCALE * SELULayer.ALPHA * math.expm1(-1.0), SELULayer.SCALE * 2]], rtol=1e-15
    )
    assert SELULayer().fprop(np.array([[-1e3]]))[0, 0] == pytest.approx(-SELULayer.SCALE * SELULayer.ALPHA)


# ----------------------------------------------------------------------------- initialisers


def pooled(init, shape, rng, draws=100_000, **kwargs):
    """About ``draws`` weights from repeated calls (at most 300 calls)."""
    calls = min(300, -(-draws // (shape[0] * shape[1])))
    return np.concatenate([init(shape, rng, **kwargs).ravel() for _ in range(calls)])


shapes = st.tuples(st.integers(1, 300), st.integers(1, 300))


@given(shape=shapes, seed=st.integers(0, 2**32 - 1), gain=st.floats(0.1, 5.0))
@settings(max_examples=15, deadline=None)
def test_initialiser_variances_match_the_formulas(shape, seed, gain):
    n_out, n_in = shape
    rng = np.random.default_rng(seed)
    cases = [
        (fanin_uniform, {}, 1 / n_in, -1.2, math.sqrt(3 / n_in)),
        (glorot_uniform, {"gain": gain}, gain**2 * 2 / (n_in + n_out), -1.2, gain * math.sqrt(6 / (n_in + n_out))),
        (glorot_normal, {"gain": gain}, gain**2 * 2 / (n_in + n_out), 0.0, None),
        (he_normal, {}, 2 / n_in, 0.0, None),
    ]
    for init, kwargs, variance, kurtosis, limit in cases:
        w = pooled(init, shape, rng, **kwargs)
        # relative standard error of the sample variance: sqrt((2 + kurtosis) / n); 7 of them
        tolerance = 7 * math.sqrt((2 + kurtosis) / w.size)
        assert abs(w.var() / variance - 1) < tolerance, (init.__name__, shape)
        assert abs(w.mean()) < 7 * math.sqrt(variance / w.size)
        if limit is not None:
            assert np.abs(w).max() <= limit
            # P(max |w| < limit * (1 - t)) = (1 - t)**n < exp(-30) for t = 30 / n
            assert np.abs(w).max() > limit * (1 - min(1.0, 30 / w.size))


@pytest.mark.parametrize("init", [fanin_uniform, glorot_uniform, glorot_normal, he_normal, orthogonal])
def test_initialisers_use_only_their_generator(init):
    state = np.random.get_state()
    a = init((7, 5), np.random.default_rng(3))
    b = init((7, 5), np.random.default_rng(3))
    c = init((7, 5), np.random.default_rng(4))
    after = np.random.get_state()
    assert state[0] == after[0] and np.array_equal(state[1], after[1]) and state[2:] == after[2:]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.shape == (7, 5) and a.dtype == np.float64
    assert init([7, 5], np.random.default_rng(3)).shape == (7, 5)
    assert init((np.int64(7), np.int32(5)), np.random.default_rng(3)).shape == (7, 5)


@pytest.mark.parametrize("bad", [(3,), (2, 3, 4), (0, 3), (3, -1), (2.0, 3), (True, 3), 5, "ab", None])
def test_bad_shapes_raise_value_error(bad):
    with pytest.raises(ValueError, match="shape"):
        check_shape(bad)
    with pytest.raises(ValueError, match="shape"):
        he_normal(bad, np.random.default_rng(0))


@pytest.mark.parametrize("bad", [0, None, np.random.RandomState(0)])
def test_a_non_generator_rng_raises_type_error(bad):
    with pytest.raises(TypeError, match="default_rng"):
        check_rng(bad)
    with pytest.raises(TypeError, match="default_rng"):
        glorot_uniform((3, 4), bad)


@given(
    shape=st.tuples(st.integers(1, 60), st.integers(1, 60)), seed=st.integers(0, 2**32 - 1), gain=st.floats(0.1, 5.0)
)
@FAST
def test_orthogonal_rows_or_columns_are_orthonormal(shape, seed, gain):
    n_out, n_in = shape
    w = orthogonal(shape, np.random.default_rng(seed), gain=gain)
    assert w.shape == shape and w.dtype == np.float64
    if n_out <= n_in:
        np.testing.assert_allclose(w @ w.T, gain**2 * np.eye(n_out), atol=1e-12 * gain**2)
    if n_out >= n_in:
        np.testing.assert_allclose(w.T @ w, gain**2 * np.eye(n_in), atol=1e-12 * gain**2)
    np.testing.assert_allclose(np.linalg.svd(w, compute_uv=False), gain, rtol=1e-12)


def test_orthogonal_keeps_norms_through_many_layers():
    rng = np.random.default_rng(5)
    x = rng.standard_normal(32)
    y = x.copy()
    for _ in range(30):
        y = orthogonal((32, 32), rng) @ y
    assert np.linalg.norm(y) == pytest.approx(np.linalg.norm(x), rel=1e-10)


@given(labels=st.lists(st.integers(0, 6), min_size=1, max_size=200))
@FAST
def test_log_prior_softmax_equals_the_class_frequencies(labels):
    labels = np.array(labels)
    num_classes = int(labels.max()) + 1
    counts = np.bincount(labels, minlength=num_classes)
    if np.any(counts == 0):
        with pytest.raises(ValueError, match=rf"class(es)? .*\b{np.flatnonzero(counts == 0)[0]}\b"):
            log_prior_biases(labels)
        return
    frequencies = counts / len(labels)
    for targets in (labels, np.eye(num_classes)[labels], np.eye(num_classes, dtype=np.int8)[labels]):
        b = log_prior_biases(targets)
        assert b.shape == (num_classes,) and b.dtype == np.float64
        softmax = np.exp(b - b.max()) / np.exp(b - b.max()).sum()
        np.testing.assert_allclose(softmax, frequencies, rtol=1e-12)
        np.testing.assert_allclose(b, np.log(frequencies), rtol=1e-12)


def test_log_prior_errors_name_the_problem():
    with pytest.raises(ValueError, match="class 1 has no examples"):
        log_prior_biases(np.array([0, 2, 2]))
    with pytest.raises(ValueError, match="class 3 has no examples"):
        log_prior_biases(np.array([0, 1, 2]), num_classes=4)
    with pytest.raises(ValueError, match="classes 1, 2 have no examples"):
        log_prior_biases(np.eye(3)[[0, 0]])
    with pytest.raises(ValueError, match="num_classes=4"):
        log_prior_biases(np.eye(3)[[0, 1, 2]], num_classes=4)
    with pytest.raises(ValueError, match="out of range"):
        log_prior_biases(np.array([0, 1, 5]), num_classes=3)
    np.testing.assert_allclose(log_prior_biases([0, 1, 1, 1]), np.log([0.25, 0.75]))


# ----------------------------------------------------------------------------- preprocessing


def correlated_data(seed: int, n: int, d: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mixing = rng.standard_normal((d, d)) * rng.uniform(0.1, 5, d)
    return rng.uniform(-10, 10, d) + rng.standard_normal((n, d)) @ mixing


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 80), d=st.integers(1, 10))
@FAST
def test_standardised_training_data_has_mean_0_and_std_1(seed, n, d):
    x = correlated_data(seed, n, d)
    x[:, 0] = 0.1  # a constant feature
    x_saved = x.copy()
    s = Standardiser()
    assert s.fit(x) is s
    z = s.transform(x)
    np.testing.assert_array_equal(x, x_saved)
    assert s.mean_.shape == s.std_.shape == (d,)
    np.testing.assert_allclose(z.mean(axis=0), 0, atol=1e-9)
    assert s.std_[0] == 1.0
    np.testing.assert_allclose(z[:, 1:].std(axis=0)[x[:, 1:].std(axis=0) >= 1e-8], 1, rtol=1e-9)


def test_standardiser_applies_training_statistics_to_held_out_data():
    rng = np.random.default_rng(0)
    train = rng.normal(5.0, 2.0, (1000, 3))
    test = rng.normal(9.0, 4.0, (50, 3))
    s = Standardiser().fit(train)
    np.testing.assert_allclose(s.transform(test), (test - train.mean(0)) / train.std(0))
    assert abs(s.transform(test).mean() - 2.0) < 0.5  # not re-centred with the test data's own mean


@given(
    seed=st.integers(0, 2**32 - 1),
    d=st.integers(1, 8),
    extra=st.integers(1, 200),
    k=st.integers(1, 8),
    eps=st.sampled_from([0.0, 1e-5, 0.1]),
)
@FAST
def test_whitened_training_data_has_identity_covariance(seed, d, extra, k, eps):
    k = min(k, d)
    n = d + extra
    x = correlated_data(seed, n, d)
    w = PCAWhitener(num_components=k, eps=eps)
    assert w.fit(x) is w
    assert w.components_.shape == (d, k) and w.eigenvalues_.shape == (k,) and w.mean_.shape == (d,)
    assert np.all(np.diff(w.eigenvalues_) <= 0)
    np.testing.assert_allclose(w.components_.T @ w.components_, np.eye(k), atol=1e-10)
    z = w.transform(x)
    assert z.shape == (n, k)
    cov = np.cov(z, rowvar=False, bias=True).reshape(k, k)
    # Var of component j is lambda_j / (lambda_j + eps): the identity up to eps / lambda_j.
    expected = np.diag(w.eigenvalues_ / (w.eigenvalues_ + eps))
    # rounding: about 1e-16 * condition number of the covariance (eps = 0 divides by tiny eigenvalues)
    full_spectrum = np.linalg.eigvalsh(np.cov(x, rowvar=False, bias=True).reshape(d, d))
    np.testing.assert_allclose(cov, expected, atol=1e-8 + 1e-13 * full_spectrum[-1] / w.eigenvalues_[-1])
    if eps <= 1e-5 and w.eigenvalues_[-1] > 1e-3:
        np.testing.assert_allclose(cov, np.eye(k), atol=1e-2)


def test_pca_whitener_defaults_uses_training_statistics_and_checks_k():
    x = correlated_data(3, 500, 5)
    w = PCAWhitener().fit(x)
    assert w.components_.shape == (5, 5) and w.eps == 1e-5
    held_out = correlated_data(4, 30, 5)
    expected = (held_out - x.mean(0)) @ w.components_ / np.sqrt(w.eigenvalues_ + 1e-5)
    np.testing.assert_allclose(w.transform(held_out), expected)
    # the leading component is the direction of largest variance
    top = np.linalg.eigh(np.cov(x, rowvar=False, bias=True))[1][:, -1]
    assert abs(top @ w.components_[:, 0]) == pytest.approx(1, rel=1e-9)
    with pytest.raises(ValueError, match="num_components"):
        PCAWhitener(num_components=6).fit(x)
    with pytest.raises(ValueError, match="num_components"):
        PCAWhitener(num_components=0)
    with pytest.raises(ValueError, match="shape"):
        PCAWhitener().fit(x[0])
