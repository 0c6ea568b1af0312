"""The Lab 5 reference solutions: conventions of the docstrings, statistics of the corruptions, training.

The test process runs on the reference (conftest.py points MLPLAB_EXERCISES at solutions/). Statistical
assertions use fixed seeds, so they are deterministic; their thresholds are still many standard
errors wide, so that they describe the distribution rather than one draw.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlplab.course.checks import checks_of
from mlplab.data import MinibatchProvider
from mlplab.errors import SumOfSquaredDiffsError
from mlplab.exercises.autoencoders import (
    DenoisingProvider,
    TiedAutoencoder,
    TiedDecoderLayer,
    autoencoder,
    gaussian_corruption,
    masking_corruption,
    pretrain_stack,
    pretrained_classifier,
    salt_and_pepper_corruption,
    tied_autoencoder,
)
from mlplab.gradcheck import numerical_gradient, numerical_vjp, rel_error
from mlplab.layers import AffineLayer, ReluLayer, SigmoidLayer, TanhLayer
from mlplab.training import encode, train_autoencoder

FAST = settings(max_examples=25, deadline=None)
CORRUPTIONS = {
    "gaussian": partial(gaussian_corruption, std=0.3),
    "masking": partial(masking_corruption, drop_prob=0.3),
    "salt_and_pepper": partial(salt_and_pepper_corruption, fraction=0.3),
}


def same_global_state(a, b) -> bool:
    return a[0] == b[0] and np.array_equal(a[1], b[1]) and tuple(a[2:]) == tuple(b[2:])


# ----------------------------------------------------------------------------- corruptions


@pytest.mark.parametrize("name", CORRUPTIONS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@given(seed=st.integers(0, 2**32 - 1), rows=st.integers(1, 6), cols=st.integers(1, 9))
@FAST
def test_corruptions_keep_shape_dtype_and_inputs(name, dtype, seed, rows, cols):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.05, 0.95, (rows, cols)).astype(dtype)
    saved = x.copy()
    state = np.random.get_state()
    y = CORRUPTIONS[name](x, np.random.default_rng(seed))
    assert same_global_state(state, np.random.get_state())
    assert y.shape == x.shape and y.dtype == dtype and y is not x
    np.testing.assert_array_equal(x, saved)
    np.testing.assert_array_equal(y, CORRUPTIONS[name](x, np.random.default_rng(seed)))


def test_gaussian_noise_has_the_stated_spread():
    x = np.full((500, 400), 0.5)
    noise = gaussian_corruption(x, np.random.default_rng(0), std=0.2) - x
    assert abs(noise.mean()) < 0.002 and abs(noise.std() / 0.2 - 1) < 0.01
    assert abs(np.corrcoef(noise[:, 1:].ravel(), noise[:, :-1].ravel())[0, 1]) < 0.01
    np.testing.assert_array_equal(gaussian_corruption(x, np.random.default_rng(0), std=0.0), x)


def test_masking_drops_a_fraction_q_and_keeps_the_rest_exactly():
    x = np.random.default_rng(1).uniform(0.1, 1.0, (500, 400))
    y = masking_corruption(x, np.random.default_rng(2), drop_prob=0.3)
    zero = y == 0
    assert abs(zero.mean() - 0.3) < 0.005
    np.testing.assert_array_equal(y[~zero], x[~zero])
    np.testing.assert_array_equal(masking_corruption(x, np.random.default_rng(2), drop_prob=0.0), x)
    assert not masking_corruption(x, np.random.default_rng(2), drop_prob=1.0).any()


def test_salt_and_pepper_sets_a_fraction_q_to_zero_or_one_evenly():
    x = np.random.default_rng(1).uniform(0.05, 0.95, (500, 400))
    y = salt_and_pepper_corruption(x, np.random.default_rng(2), fraction=0.2)
    changed = y != x
    assert abs(changed.mean() - 0.2) < 0.005
    assert set(np.unique(y[changed])) == {0.0, 1.0}
    assert abs(np.mean(y[changed] == 1) - 0.5) < 0.02
    np.testing.assert_array_equal(salt_and_pepper_corruption(x, np.random.default_rng(2), fraction=0.0), x)
    assert set(np.unique(salt_and_pepper_corruption(x, np.random.default_rng(2), fraction=1.0))) == {0.0, 1.0}


# ----------------------------------------------------------------------------- the autoencoder


def test_autoencoder_layers_and_defaults():
    model = autoencoder(12, 5, np.random.default_rng(0))
    assert [type(layer) for layer in model.layers] == [AffineLayer, SigmoidLayer, AffineLayer, SigmoidLayer]
    assert (model.layers[0].input_dim, model.layers[0].output_dim) == (12, 5)
    assert (model.layers[2].input_dim, model.layers[2].output_dim) == (5, 12)
    assert all(p.dtype == np.float32 for p in model.params)
    linear = autoencoder(12, 5, np.random.default_rng(0), hidden=TanhLayer, output=None)
    assert [type(layer) for layer in linear.layers] == [AffineLayer, TanhLayer, AffineLayer]
    np.testing.assert_array_equal(linear.layers[0].weights, model.layers[0].weights)  # encoder drawn first


def test_autoencoder_gradients_agree_with_central_differences():
    rng = np.random.default_rng(3)
    model = autoencoder(7, 3, rng, hidden=TanhLayer, weights_init=lambda s, r: r.normal(0, 0.7, s), dtype=np.float64)
    x, error = rng.uniform(0, 1, (4, 7)), SumOfSquaredDiffsError()
    grads = model.grads_wrt_params(model.fprop(x), error.grad(model.fprop(x)[-1], x))
    for param, grad in zip(model.params, grads):

        def loss(values, param=param):
            saved = param.copy()
            param[...] = values
            value = error(model.fprop(x)[-1], x)
            param[...] = saved
            return value

        assert rel_error(grad, numerical_gradient(loss, param.copy())) < 1e-7


def test_denoising_provider_yields_corrupted_inputs_and_clean_targets():
    x = np.random.default_rng(0).uniform(0.1, 1, (23, 6)).astype(np.float32)
    base = MinibatchProvider(x, np.zeros(23, dtype=np.int64), 5, rng=np.random.default_rng(1), num_classes=1)
    provider = DenoisingProvider(base, partial(masking_corruption, drop_prob=0.5), np.random.default_rng(2))
    assert len(provider) == len(base) == 5
    seen = []
    for corrupted, clean in provider:
        assert corrupted.shape == clean.shape and clean.dtype == np.float32
        assert np.all((corrupted == 0) | (corrupted == clean)) and np.any(corrupted == 0)
        seen.extend(clean.tolist())
    assert sorted(map(tuple, seen)) == sorted(map(tuple, x.tolist()))
    for given_inputs, target in DenoisingProvider(base, None, np.random.default_rng(2)):
        np.testing.assert_array_equal(given_inputs, target)
    with pytest.raises(TypeError, match="Generator"):
        DenoisingProvider(base, None, 0)


def test_training_an_autoencoder_lowers_the_reconstruction_error():
    x = np.random.default_rng(0).uniform(0, 1, (60, 16)).astype(np.float32) ** 3
    model = autoencoder(16, 4, np.random.default_rng(1), weights_init=lambda s, r: r.normal(0, 0.3, s))
    errors = train_autoencoder(
        model,
        x,
        np.random.default_rng(2),
        num_epochs=30,
        learning_rate=1.0,
        batch_size=10,
        corruption=partial(masking_corruption, drop_prob=0.2),
    )
    assert len(errors) == 30 and errors[-1] < 0.7 * errors[0]


# ----------------------------------------------------------------------------- pretraining


def test_pretrain_stack_trains_each_autoencoder_on_the_codes_of_the_previous():
    x = np.random.default_rng(0).uniform(0, 1, (40, 10))
    seen = []

    def train(model, data, rng, **options):
        before = encode(model.layers[:2], data)
        train_autoencoder(model, data, rng, **options)
        seen.append((data.copy(), before))

    build = partial(autoencoder, weights_init=lambda s, r: r.normal(0, 0.5, s), dtype=np.float64)
    models = pretrain_stack(
        x, [6, 3], np.random.default_rng(1), build=build, train=train, num_epochs=3, learning_rate=1.0, batch_size=8
    )
    assert [(m.layers[0].input_dim, m.layers[0].output_dim) for m in models] == [(10, 6), (6, 3)]
    np.testing.assert_array_equal(seen[0][0], x)
    np.testing.assert_allclose(seen[1][0], encode(models[0].layers[:2], x), rtol=1e-12)
    assert not np.allclose(seen[1][0], seen[0][1])  # the codes come from the trained encoder


def test_pretrained_classifier_copies_the_encoders():
    rng = np.random.default_rng(0)
    aes = [autoencoder(9, 5, rng, hidden=ReluLayer), autoencoder(5, 3, rng)]
    saved = [p.copy() for m in aes for p in m.params]
    model = pretrained_classifier(aes, 4, np.random.default_rng(1))
    assert [type(layer) for layer in model.layers] == [AffineLayer, ReluLayer, AffineLayer, SigmoidLayer, AffineLayer]
    x = rng.uniform(0, 1, (6, 9)).astype(np.float32)
    codes = encode([*aes[0].layers[:2], *aes[1].layers[:2]], x)
    np.testing.assert_allclose(model.fprop(x)[-2], codes, rtol=1e-6)
    assert model.predict(x).shape == (6, 4) and all(p.dtype == np.float32 for p in model.params)
    for p in model.params:
        p += 1.0
    for p, q in zip([p for m in aes for p in m.params], saved):
        np.testing.assert_array_equal(p, q)


# ----------------------------------------------------------------------------- the checks themselves

STOCHASTIC = ("lab5.gaussian", "lab5.masking", "lab5.salt_and_pepper")


@pytest.mark.parametrize("check", [c for c in checks_of("lab5") if c.task_id in STOCHASTIC], ids=lambda c: c.task_id)
def test_the_reference_passes_its_own_check_for_independent_randomness(check):
    """The reference against itself with the probe's seed changed: only the statistics can differ."""
    for seed in range(20):
        inputs = check.make_inputs(np.random.default_rng(seed))
        expected = check.probe({k: np.array(v, copy=True) for k, v in inputs.items()})
        other = dict(inputs)
        other["seed"] = int(other["seed"]) + 1
        student = check.probe({k: np.array(v, copy=True) for k, v in other.items()})
        assert check.compare(student, expected, inputs)


@pytest.mark.parametrize(
    "check", [c for c in checks_of("lab5") if c.task_id not in STOCHASTIC], ids=lambda c: c.task_id
)
def test_the_deterministic_checks_give_the_same_outputs_twice(check):
    for seed in (1, 2):
        inputs = check.make_inputs(np.random.default_rng(seed))
        first = check.probe({k: np.array(v, copy=True) for k, v in inputs.items()})
        second = check.probe({k: np.array(v, copy=True) for k, v in inputs.items()})
        assert first.keys() == second.keys()
        for key in first:
            np.testing.assert_array_equal(first[key], second[key])
        assert check.compare(second, first, inputs)


# ----------------------------------------------------------------------------- tied weights


def scaled_error(actual: np.ndarray, numerical: np.ndarray) -> float:
    """``max |actual - numerical|`` over ``max |numerical|``: entries near 0 do not blow it up (the check's measure)."""
    assert actual.shape == numerical.shape
    return float(np.max(np.abs(actual - numerical)) / max(1e-12, np.max(np.abs(numerical))))


@given(seed=st.integers(0, 2**32 - 1), batch=st.integers(1, 5), code_dim=st.integers(1, 4), input_dim=st.integers(1, 6))
@FAST
def test_tied_decoder_gradients_agree_with_central_differences(seed, batch, code_dim, input_dim):
    rng = np.random.default_rng(seed)
    layer = TiedDecoderLayer(rng.normal(0, 1, (code_dim, input_dim)))
    layer.biases = rng.normal(0, 1, input_dim)
    h, g = rng.normal(0, 1, (batch, code_dim)), rng.normal(0, 1, (batch, input_dim))
    y = layer.fprop(h)
    np.testing.assert_allclose(y, h @ layer.weights + layer.biases, rtol=1e-12)
    assert scaled_error(layer.bprop(h, y, g), numerical_vjp(layer.fprop, h.copy(), g)) < 1e-7
    (dc,) = layer.grads_wrt_params(h, g)
    assert (
        scaled_error(dc, numerical_vjp(lambda _: layer.fprop(h), layer.biases, g)) < 1e-6
    )  # a small sum: central-difference noise
    assert scaled_error(layer.grads_wrt_weights(h, g), numerical_vjp(lambda _: layer.fprop(h), layer.weights, g)) < 1e-7
    assert [p is layer.biases for p in layer.params] == [True]


def test_tied_autoencoder_shares_w_and_lists_it_once():
    rng = np.random.default_rng(0)
    model = tied_autoencoder(12, 5, rng)
    assert isinstance(model, TiedAutoencoder)
    assert [type(layer) for layer in model.layers] == [AffineLayer, SigmoidLayer, TiedDecoderLayer, SigmoidLayer]
    assert model.layers[2].weights is model.layers[0].weights
    assert [p.shape for p in model.params] == [(5, 12), (5,), (12,)]
    assert all(p.dtype == np.float32 for p in model.params)
    untied = autoencoder(12, 5, np.random.default_rng(0))
    np.testing.assert_array_equal(model.params[0], untied.params[0])  # the same encoder weights are drawn
    linear = tied_autoencoder(12, 5, rng, hidden=TanhLayer, output=None)
    assert [type(layer) for layer in linear.layers] == [AffineLayer, TanhLayer, TiedDecoderLayer]


@pytest.mark.parametrize("output", [SigmoidLayer, None])
def test_tied_autoencoder_gradients_sum_both_uses_of_w(output):
    rng = np.random.default_rng(5)
    model = tied_autoencoder(
        7, 3, rng, hidden=TanhLayer, output=output, weights_init=lambda s, r: r.normal(0, 0.7, s), dtype=np.float64
    )
    model.params[1][...] = rng.normal(0, 0.3, 3)
    model.params[2][...] = rng.normal(0, 0.3, 7)
    x, error = rng.uniform(0, 1, (4, 7)), SumOfSquaredDiffsError()
    activations = model.fprop(x)
    grads = model.grads_wrt_params(activations, error.grad(activations[-1], x))
    assert len(grads) == len(model.params) == 3
    for param, grad in zip(model.params, grads):
        assert rel_error(grad, numerical_gradient(lambda _: error(model.fprop(x)[-1], x), param)) < 1e-7
    # the encoder's share alone (what an untied model would give its encoder) is not the gradient
    encoder_only = super(TiedAutoencoder, model).grads_wrt_params(activations, error.grad(activations[-1], x))[0]
    assert rel_error(encoder_only, grads[0]) > 1e-3


def test_training_a_tied_autoencoder_updates_both_uses_of_w():
    rng = np.random.default_rng(2)
    x = (1 / (1 + np.exp(-rng.normal(0, 1, (200, 3)) @ rng.normal(0, 2, (3, 16))))).astype(
        np.float32
    )  # rank-3 structure
    model = tied_autoencoder(16, 4, rng)
    errors = train_autoencoder(model, x, rng, num_epochs=15, learning_rate=0.5, batch_size=20)
    assert errors[-1] < 0.9 * errors[0]
    assert model.layers[2].weights is model.layers[0].weights
