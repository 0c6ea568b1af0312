"""The Lab 2 reference solutions, the provided batch norm layer, and the Lab 2 checks themselves.

The test process runs on the reference (conftest.py points MLPLAB_EXERCISES at solutions/). Bugs and correct
variants of the bug zoo go through the real grader in tests/course/test_grading.py; here the zoo itself is
checked (each bug touches only its own task's function).
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlplab.exercises.batch_norm import (
    batchnorm_backward,
    batchnorm_forward,
    batchnorm_fprop,
    fold_batchnorm,
    population_statistics,
    spatial_batchnorm_backward,
    spatial_batchnorm_forward,
    update_running_statistics,
)
from mlplab.exercises.layer_norm import layernorm_backward, layernorm_forward
from mlplab.gradcheck import check_layer_bprop, check_layer_param_grads, numerical_vjp, rel_error
from mlplab.layers.normalisation import (
    BatchNormLayer,
    LayerNormLayer,
    batch_norm_mlp,
    collect_batch_statistics,
    estimate_population_statistics,
    get_inference_statistics,
    layer_norm_mlp,
    use_population_statistics,
)

REPO = Path(__file__).resolve().parents[3]
FAST = settings(max_examples=30, deadline=None)
H = 1e-5  # finite-difference step: the most accurate for these functions (truncation vs rounding)


def batch(rng, m, d):
    """Well-conditioned inputs: unit means in [-3, 3], standard deviations in [0.5, 2]."""
    return rng.uniform(-3, 3, d) + rng.uniform(0.5, 2.0, d) * rng.standard_normal((m, d))


# ----------------------------------------------------------------------------- forward and backward


@pytest.mark.parametrize("seed", range(5))
def test_backward_agrees_with_central_differences(seed):
    rng = np.random.default_rng(seed)
    m, d = 7, 9
    x, gamma, beta = batch(rng, m, d), rng.uniform(0.5, 2, d), rng.normal(size=d)
    grads = rng.standard_normal((m, d))
    dx, dgamma, dbeta = batchnorm_backward(x, gamma, grads, 1e-5)
    assert rel_error(dx, numerical_vjp(lambda a: batchnorm_forward(a, gamma, beta, 1e-5)[0], x.copy(), grads, H)) < 1e-7
    assert (
        rel_error(dgamma, numerical_vjp(lambda g: batchnorm_forward(x, g, beta, 1e-5)[0], gamma.copy(), grads, H))
        < 1e-7
    )
    assert (
        rel_error(dbeta, numerical_vjp(lambda b: batchnorm_forward(x, gamma, b, 1e-5)[0], beta.copy(), grads, H)) < 1e-7
    )


@pytest.mark.parametrize("seed", range(3))
def test_spatial_backward_agrees_with_central_differences(seed):
    rng = np.random.default_rng(seed)
    shape = (3, 2, 4, 3)
    x = rng.uniform(-2, 2, (1, 2, 1, 1)) + rng.uniform(0.5, 2, (1, 2, 1, 1)) * rng.standard_normal(shape)
    gamma, beta, grads = rng.uniform(0.5, 2, 2), rng.normal(size=2), rng.standard_normal(shape)
    dx, dgamma, dbeta = spatial_batchnorm_backward(x, gamma, grads, 1e-5)
    f = lambda a: spatial_batchnorm_forward(a, gamma, beta, 1e-5)[0]  # noqa: E731
    assert rel_error(dx, numerical_vjp(f, x.copy(), grads, H)) < 1e-7
    assert (
        rel_error(dgamma, numerical_vjp(lambda g: spatial_batchnorm_forward(x, g, beta)[0], gamma.copy(), grads, H))
        < 1e-7
    )
    assert (
        rel_error(dbeta, numerical_vjp(lambda b: spatial_batchnorm_forward(x, gamma, b)[0], beta.copy(), grads, H))
        < 1e-7
    )


def test_the_provided_layer_passes_the_gradient_checks():
    rng = np.random.default_rng(11)
    layer = BatchNormLayer(6, dtype=np.float64)
    layer.gamma[...] = rng.uniform(0.5, 2, 6)
    layer.beta[...] = rng.normal(size=6)
    x, grads = batch(rng, 10, 6), rng.standard_normal((10, 6))
    assert check_layer_bprop(layer, x, grads, h=H) < 1e-7
    assert max(check_layer_param_grads(layer, x, grads, h=H)) < 1e-7


# ----------------------------------------------------------------------------- layer norm


@pytest.mark.parametrize("seed", range(5))
def test_layer_norm_backward_agrees_with_central_differences(seed):
    rng = np.random.default_rng(seed)
    m, d = 6, 8
    x, gamma, beta = batch(rng, d, m).T, rng.uniform(0.5, 2, d), rng.normal(size=d)
    grads = rng.standard_normal((m, d))
    dx, dgamma, dbeta = layernorm_backward(x, gamma, grads, 1e-5)
    f = lambda a: layernorm_forward(a, gamma, beta, 1e-5)[0]  # noqa: E731
    assert rel_error(dx, numerical_vjp(f, x.copy(), grads, H)) < 1e-7
    assert rel_error(dgamma, numerical_vjp(lambda g: layernorm_forward(x, g, beta)[0], gamma.copy(), grads, H)) < 1e-7
    assert rel_error(dbeta, numerical_vjp(lambda b: layernorm_forward(x, gamma, b)[0], beta.copy(), grads, H)) < 1e-7


@given(seed=st.integers(0, 2**32 - 1), m=st.integers(1, 12), d=st.integers(2, 30))
@FAST
def test_layer_norm_is_batch_norm_of_each_example_and_needs_no_batch(seed, m, d):
    rng = np.random.default_rng(seed)
    x, gamma, beta = batch(rng, d, m).T, rng.uniform(0.5, 2, d), rng.normal(size=d)
    y, mean, var = layernorm_forward(x, gamma, beta, 1e-5)
    transposed, t_mean, t_var = batchnorm_forward(x.T, np.ones(m), np.zeros(m), 1e-5)
    np.testing.assert_allclose(y, gamma * transposed.T + beta, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(mean, t_mean, rtol=1e-12)
    np.testing.assert_allclose(var, t_var, rtol=1e-10)
    alone = np.concatenate([layernorm_forward(x[i : i + 1], gamma, beta, 1e-5)[0] for i in range(m)])
    np.testing.assert_allclose(alone, y, rtol=1e-12, atol=1e-12)
    grads = rng.standard_normal((m, d))
    dx = layernorm_backward(x, gamma, grads, 1e-5)[0]
    # each example's mean is removed: its gradients add up to 0, to rounding in terms of size |grads gamma| / std
    scale = np.abs(grads * gamma).max() / np.sqrt(var.min() + 1e-5)
    np.testing.assert_allclose(dx.sum(axis=1), 0.0, atol=1e-12 * d * scale)


def test_layer_norm_keeps_dtypes_and_arguments_and_the_provided_layer_passes_the_gradient_checks():
    rng = np.random.default_rng(5)
    x, gamma, beta, grads = batch(rng, 7, 5).T, rng.uniform(0.5, 2, 7), rng.normal(size=7), rng.normal(size=(5, 7))
    saved = [a.copy() for a in (x, gamma, beta, grads)]
    results = (
        *layernorm_forward(*(a.astype(np.float32) for a in (x, gamma, beta))),
        *layernorm_backward(*(a.astype(np.float32) for a in (x, gamma, grads))),
    )
    assert {r.dtype for r in results} == {np.dtype(np.float32)}
    layernorm_forward(x, gamma, beta)
    layernorm_backward(x, gamma, grads)
    assert all(np.array_equal(a, b) for a, b in zip((x, gamma, beta, grads), saved))
    layer = LayerNormLayer(7, dtype=np.float64)
    layer.gamma[...], layer.beta[...] = gamma, beta
    assert check_layer_bprop(layer, x, grads, h=H) < 1e-7
    assert max(check_layer_param_grads(layer, x, grads, h=H)) < 1e-7
    layer.eval()
    np.testing.assert_array_equal(layer.fprop(x), layernorm_forward(x, gamma, beta)[0])
    with pytest.raises(ValueError, match=r"shape \(batch_size, 7\)"):
        layer.fprop(x[:, :6])


def test_layer_norm_network_has_the_batch_norm_networks_weights():
    sizes = [12, 8, 8, 3]
    bn = batch_norm_mlp(sizes, rng=np.random.default_rng(4), dtype=np.float64)
    ln = layer_norm_mlp(sizes, rng=np.random.default_rng(4), dtype=np.float64)
    assert [type(layer).__name__ for layer in ln.layers] == [
        type(layer).__name__.replace("BatchNorm", "LayerNorm") for layer in bn.layers
    ]
    for a, b in zip(bn.params, ln.params):
        np.testing.assert_array_equal(a, b)


@given(
    seed=st.integers(0, 2**32 - 1), m=st.integers(2, 40), d=st.integers(1, 8), eps=st.sampled_from([1e-5, 1e-3, 0.1])
)
@FAST
def test_forward_standardises_and_backward_respects_the_invariances(seed, m, d, eps):
    rng = np.random.default_rng(seed)
    x, gamma, beta = batch(rng, m, d), rng.uniform(-2, 2, d), rng.normal(size=d)
    y, mean, var = batchnorm_forward(x, gamma, beta, eps)
    np.testing.assert_allclose(mean, x.mean(axis=0), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(var, x.var(axis=0), rtol=1e-12)
    np.testing.assert_allclose(y.mean(axis=0), beta, atol=1e-9)
    np.testing.assert_allclose(y.std(axis=0), np.abs(gamma) * np.sqrt(var / (var + eps)), rtol=1e-9, atol=1e-12)
    # a shift of a unit's inputs changes nothing; a rescaling changes only what eps does
    y_shifted = batchnorm_forward(x + rng.normal(size=d), gamma, beta, eps)[0]
    np.testing.assert_allclose(y_shifted, y, atol=1e-9)
    grads = rng.standard_normal((m, d))
    dx, dgamma, dbeta = batchnorm_backward(x, gamma, grads, eps)
    # rounding is relative to the largest term dx is summed from (the direct path, d_y gamma / sqrt(var + eps)),
    # which is much larger than dx itself when var is small next to eps
    scale = max(np.abs(dx).max(), np.abs(grads * gamma / np.sqrt(var + eps)).max()) + 1e-300
    assert np.all(np.abs(dx.sum(axis=0)) <= 1e-10 * m * scale)  # the mean path
    xhat = (x - mean) / np.sqrt(var + eps)
    # the variance path: sum_i dx_i xhat_i = gamma / sqrt(var + eps) * sum_i d_y_i xhat_i * eps / (var + eps)
    projection = gamma / np.sqrt(var + eps) * (grads * xhat).sum(axis=0) * eps / (var + eps)
    np.testing.assert_allclose((dx * xhat).sum(axis=0), projection, rtol=1e-6, atol=1e-10 * m * scale)
    np.testing.assert_allclose(dbeta, grads.sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(dgamma, (grads * xhat).sum(axis=0), rtol=1e-9, atol=1e-12)


def test_dtypes_are_kept_and_arguments_are_not_modified():
    rng = np.random.default_rng(3)
    for dtype in (np.float32, np.float64):
        x = batch(rng, 8, 4).astype(dtype)
        gamma, beta, grads = (
            rng.normal(size=4).astype(dtype),
            rng.normal(size=4).astype(dtype),
            rng.normal(size=(8, 4)).astype(dtype),
        )
        saved = [a.copy() for a in (x, gamma, beta, grads)]
        assert all(a.dtype == dtype for a in batchnorm_forward(x, gamma, beta))
        assert all(a.dtype == dtype for a in batchnorm_backward(x, gamma, grads))
        for a, b in zip((x, gamma, beta, grads), saved):
            np.testing.assert_array_equal(a, b)


def test_spatial_batch_norm_is_batch_norm_of_the_reshaped_inputs():
    rng = np.random.default_rng(5)
    n, c, h, w = 4, 3, 5, 6
    x = rng.uniform(-3, 3, (1, c, 1, 1)) + rng.standard_normal((n, c, h, w))
    gamma, beta, grads = rng.normal(size=c), rng.normal(size=c), rng.standard_normal((n, c, h, w))
    flat = lambda a: a.transpose(0, 2, 3, 1).reshape(-1, c)  # noqa: E731
    y, mean, var = spatial_batchnorm_forward(x, gamma, beta)
    y2, mean2, var2 = batchnorm_forward(flat(x), gamma, beta)
    np.testing.assert_allclose(flat(y), y2, atol=1e-12)
    np.testing.assert_allclose(mean, mean2, atol=1e-12)
    np.testing.assert_allclose(var, var2, rtol=1e-12)
    dx, dgamma, dbeta = spatial_batchnorm_backward(x, gamma, grads)
    dx2, dgamma2, dbeta2 = batchnorm_backward(flat(x), gamma, flat(grads))
    np.testing.assert_allclose(flat(dx), dx2, atol=1e-12)
    np.testing.assert_allclose(dgamma, dgamma2, rtol=1e-10)
    np.testing.assert_allclose(dbeta, dbeta2, rtol=1e-10)
    assert mean.shape == var.shape == dgamma.shape == dbeta.shape == (c,)


def test_path_form_and_compact_form_of_the_backward_pass_agree():
    rng = np.random.default_rng(8)
    x, gamma, grads = batch(rng, 12, 5), rng.normal(size=5), rng.standard_normal((12, 5))
    dx = batchnorm_backward(x, gamma, grads, 1e-5)[0]
    m, s = len(x), np.sqrt(x.var(axis=0) + 1e-5)
    xhat = (x - x.mean(axis=0)) / s
    g = grads * gamma
    compact = (m * g - g.sum(axis=0) - xhat * (g * xhat).sum(axis=0)) / (m * s)
    np.testing.assert_allclose(dx, compact, rtol=1e-9, atol=1e-12 * np.abs(compact).max())


# ----------------------------------------------------------------------------- inference statistics


def test_population_statistics_estimate_the_variance_without_bias():
    rng = np.random.default_rng(0)
    m, k, d = 4, 20000, 3
    data = rng.normal(2.0, 3.0, (k, m, d))
    mean, var = population_statistics(data.mean(axis=1), data.var(axis=1), m)
    np.testing.assert_allclose(mean, 2.0, atol=0.03)
    np.testing.assert_allclose(var, 9.0, rtol=0.02)  # the biased average would be 6.75
    np.testing.assert_allclose(data.var(axis=1).mean(axis=0), 6.75, rtol=0.02)


def test_running_statistics_follow_the_formula_and_forget_the_start():
    mean, var = np.zeros(3), np.ones(3)
    saved = (mean.copy(), var.copy())
    new_mean, new_var = update_running_statistics(mean, var, np.full(3, 2.0), np.full(3, 3.0), 4, 0.9)
    np.testing.assert_array_equal(mean, saved[0])
    np.testing.assert_array_equal(var, saved[1])
    np.testing.assert_allclose(new_mean, 0.2)
    np.testing.assert_allclose(new_var, 0.9 + 0.1 * 4.0)
    for _ in range(200):
        mean, var = update_running_statistics(mean, var, np.full(3, 5.0), np.full(3, 1.5), 4, 0.9)
    np.testing.assert_allclose(mean, 5.0, rtol=1e-8)
    np.testing.assert_allclose(var, 2.0, rtol=1e-8)


def test_fold_equals_normalising_with_fixed_statistics():
    rng = np.random.default_rng(2)
    gamma, beta, mean, var = rng.normal(size=5), rng.normal(size=5), rng.normal(size=5), rng.uniform(0.1, 2, 5)
    x = rng.normal(size=(7, 5))
    scale, shift = fold_batchnorm(gamma, beta, mean, var, 1e-3)
    np.testing.assert_allclose(x * scale + shift, gamma * (x - mean) / np.sqrt(var + 1e-3) + beta, atol=1e-12)
    y, _, _ = batchnorm_fprop(x, gamma, beta, mean, var, training=False, momentum=0.9, eps=1e-3)
    np.testing.assert_allclose(y, x * scale + shift, atol=1e-12)


def test_modes_of_the_reference():
    rng = np.random.default_rng(4)
    x, gamma, beta = batch(rng, 6, 3), rng.normal(size=3), rng.normal(size=3)
    rm, rv = rng.normal(size=3), rng.uniform(1, 2, 3)
    y, m2, v2 = batchnorm_fprop(x, gamma, beta, rm, rv, training=True, momentum=0.8, eps=1e-5)
    expected_y, bm, bv = batchnorm_forward(x, gamma, beta, 1e-5)
    np.testing.assert_array_equal(y, expected_y)
    for a, b in zip((m2, v2), update_running_statistics(rm, rv, bm, bv, 6, 0.8)):
        np.testing.assert_array_equal(a, b)
    y, m3, v3 = batchnorm_fprop(x[:1], gamma, beta, rm, rv, training=False, momentum=0.8, eps=1e-5)
    assert y.shape == (1, 3) and m3 is rm and v3 is rv  # one example is fine in evaluation mode


# ----------------------------------------------------------------------------- the provided layer


def test_layer_modes_running_statistics_and_errors():
    rng = np.random.default_rng(6)
    layer = BatchNormLayer(4, momentum=0.5, dtype=np.float64)
    assert layer.training and repr(layer).startswith("BatchNormLayer(num_units=4")
    x = batch(rng, 20, 4)
    y = layer.fprop(x)
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(layer.running_mean, 0.5 * x.mean(axis=0))
    np.testing.assert_allclose(layer.running_var, 0.5 + 0.5 * x.var(axis=0) * 20 / 19)
    stored = (layer.running_mean.copy(), layer.running_var.copy())
    layer.eval()
    y_eval = layer.fprop(x[:3])
    np.testing.assert_allclose(y_eval, (x[:3] - stored[0]) / np.sqrt(stored[1] + 1e-5))
    np.testing.assert_array_equal(layer.running_mean, stored[0])  # not updated in evaluation mode
    np.testing.assert_allclose(layer.fprop(x[:1]), y_eval[:1])  # independent of the rest of the batch
    with pytest.raises(RuntimeError, match="training mode"):
        layer.bprop(x, y, np.ones_like(x))
    layer.train()
    with pytest.raises(ValueError, match="at least 2 examples"):
        layer.fprop(x[:1])
    with pytest.raises(ValueError, match=r"\(batch_size, 4\)"):
        layer.fprop(np.ones((3, 5)))
    with pytest.raises(ValueError, match="momentum"):
        BatchNormLayer(3, momentum=1.0)
    assert BatchNormLayer(3).gamma.dtype == np.float32


def test_the_layer_computes_the_backward_pass_once_per_step(monkeypatch):
    import mlplab.exercises.batch_norm as bn

    calls = []
    original = bn.batchnorm_backward
    monkeypatch.setattr(bn, "batchnorm_backward", lambda *a: calls.append(1) or original(*a))
    rng = np.random.default_rng(7)
    layer = BatchNormLayer(3, dtype=np.float64)
    x, g = batch(rng, 5, 3), rng.normal(size=(5, 3))
    layer.fprop(x)
    grads = layer.grads_wrt_params(x, g)
    dx = layer.bprop(x, None, g)
    assert len(calls) == 1
    np.testing.assert_array_equal(dx, original(x, layer.gamma, g, layer.eps)[0])
    layer.gamma *= 2  # a parameter update invalidates the cache
    layer.bprop(x, None, g)
    assert len(calls) == 2 and len(grads) == 2


def test_population_statistics_of_a_network_and_model_building():
    from mlplab.data import MinibatchProvider

    rng = np.random.default_rng(8)
    model = batch_norm_mlp([6, 5, 4, 3], rng=rng, weights_init=lambda s, r: r.normal(0, 0.5, s), dtype=np.float64)
    assert [type(layer).__name__ for layer in model.layers] == [
        "AffineLayer",
        "BatchNormLayer",
        "ReluLayer",
        "AffineLayer",
        "BatchNormLayer",
        "ReluLayer",
        "AffineLayer",
    ]
    plain = batch_norm_mlp(
        [6, 5, 4, 3],
        batch_norm=False,
        rng=np.random.default_rng(8),
        weights_init=lambda s, r: r.normal(0, 0.5, s),
        dtype=np.float64,
    )
    np.testing.assert_array_equal(plain.layers[0].weights, model.layers[0].weights)
    inputs = rng.normal(size=(40, 6))
    data = MinibatchProvider(inputs, rng.integers(0, 3, 40), 8, shuffle=False, num_classes=3, dtype=np.float64)
    before = get_inference_statistics(model)
    m, statistics = collect_batch_statistics(model, data)
    assert m == 8 and statistics[0][0].shape == (5, 5) and statistics[1][1].shape == (5, 4)
    for (mean, var), (mean0, var0) in zip(get_inference_statistics(model), before):  # nothing changed
        np.testing.assert_array_equal(mean, mean0)
        np.testing.assert_array_equal(var, var0)
    assert model.training
    first = inputs @ model.layers[0].weights.T + model.layers[0].biases
    population = estimate_population_statistics(model, data)
    np.testing.assert_allclose(population[0][0], first.mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(
        population[0][1], 8 / 7 * np.mean([first[i : i + 8].var(axis=0) for i in range(0, 40, 8)], axis=0)
    )
    use_population_statistics(model, data)
    np.testing.assert_allclose(model.layers[1].running_mean, population[0][0])
    with pytest.raises(ValueError, match="no BatchNormLayer"):
        collect_batch_statistics(plain, data)


# ----------------------------------------------------------------------------- the checks and the bug zoo


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_reference_passes_its_own_checks_on_fresh_inputs(seed):
    from autograder.grading import make_inputs
    from mlplab.course.checks import checks_of, judge, run_probe, unpack

    inputs = unpack(make_inputs("lab2", seed))
    for check in checks_of("lab2"):
        task_inputs = inputs[check.task_id]["inputs"]
        expected = run_probe(check, task_inputs)
        assert "outputs" in expected, expected
        result = judge(check, run_probe(check, task_inputs), expected, task_inputs)
        assert result.passed, f"{check.task_id}: {result.message}"


def test_the_mode_check_restores_the_functions_it_replaces():
    import mlplab.exercises.batch_norm as bn
    from autograder.grading import make_inputs
    from mlplab.course.checks import checks_of, run_probe, unpack

    originals = (bn.batchnorm_forward, bn.update_running_statistics, bn.fold_batchnorm)
    (check,) = checks_of("lab2.modes")
    run_probe(check, unpack(make_inputs("lab2", 9))["lab2.modes"]["inputs"])
    assert (bn.batchnorm_forward, bn.update_running_statistics, bn.fold_batchnorm) == originals


def test_every_bug_changes_only_its_own_task_and_every_task_has_bugs():
    from bugzoo.lab2 import BUGS, VARIANTS

    from mlplab.course.tasks import get_task, tasks_of

    names = [b.name for b in (*BUGS, *VARIANTS)]
    assert len(names) == len(set(names))
    assert len(BUGS) >= 10
    assert {b.task_id for b in BUGS} == {t.id for t in tasks_of("lab2")}
    for bug in (*BUGS, *VARIANTS):
        text = (REPO / "solutions" / bug.file).read_text()
        assert text.count(bug.old) == 1, bug.name
        start = text.index(bug.old)
        first, last = text[:start].count("\n") + 1, text[: start + len(bug.old.rstrip("\n"))].count("\n") + 1
        owners = {
            node.name
            for node in ast.parse(text).body
            if isinstance(node, ast.FunctionDef) and node.lineno <= first and last <= node.end_lineno
        }
        assert owners and owners <= set(get_task(bug.task_id).symbols), f"{bug.name} changes {owners}"
        ast.parse(text.replace(bug.old, bug.new))
        assert bool(bug.feedback) == (bug in BUGS)
