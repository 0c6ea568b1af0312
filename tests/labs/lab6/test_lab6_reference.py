"""The Lab 6 reference solutions, the lazy exports of the rules, and the Lab 6 checks themselves.

The test process runs on the reference (conftest.py points MLPLAB_EXERCISES at solutions/). The formulas written
here are independent formulations (the lecture's, the original papers'), not copies of the reference.
Bugs and correct variants of the bug zoo go through the real grader in tests/course/test_grading.py; here the
zoo itself is checked (each bug touches only its own task's methods).
"""

from __future__ import annotations

import ast
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlplab.exercises.optimisers import (
    AdaDeltaLearningRule,
    AdaGradLearningRule,
    AdamLearningRule,
    MomentumLearningRule,
    NesterovMomentumLearningRule,
    RMSPropLearningRule,
    exponential_decay,
    step_decay,
    warmup_cosine,
)
from mlplab.learning_rules import GradientDescentLearningRule

REPO = Path(__file__).resolve().parents[3]
FAST = settings(max_examples=25, deadline=None)
RULES = {
    MomentumLearningRule: {"learning_rate": 0.1, "mom_coeff": 0.8},
    NesterovMomentumLearningRule: {"learning_rate": 0.1, "mom_coeff": 0.8},
    AdaGradLearningRule: {"learning_rate": 0.1, "eps": 1e-3},
    RMSPropLearningRule: {"learning_rate": 0.01, "decay": 0.9, "eps": 1e-3},
    AdamLearningRule: {"learning_rate": 0.01, "beta1": 0.9, "beta2": 0.99, "eps": 1e-3},
    AdaDeltaLearningRule: {"learning_rate": 1.0, "rho": 0.9, "eps": 1e-3},
}
rule_classes = pytest.mark.parametrize("cls", list(RULES), ids=lambda c: c.__name__)


# A step is measured as the difference of a parameter after and before it: parameters of order 1 leave
# an absolute rounding error of a few 1e-16 in it, which is far more than rtol allows for a tiny step
# (RMSProp failed at rtol=1e-10 on a step of 3.7e-7, off by 3.9e-17).
STEP_ROUNDING = 1e-14


def run(rule, params, grads):
    """Steps of ``rule`` on ``params`` (a list of arrays updated in place) for a list of gradient lists."""
    rule.initialise(params)
    steps = []
    for g in grads:
        before = [p.copy() for p in params]
        rule.update_params([x.copy() for x in g])
        steps.append([p - b for p, b in zip(params, before)])
    return steps


def random_problem(seed, num_steps=6, shapes=((3, 2), (4,))):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(s) for s in shapes]
    grads = [[rng.standard_normal(s) * 10 ** rng.uniform(-1, 0.5) for s in shapes] for _ in range(num_steps)]
    return params, grads


# ----------------------------------------------------------------------------- momentum and Nesterov


@given(seed=st.integers(0, 2**32 - 1), alpha=st.floats(0.0, 0.99), eta=st.floats(1e-3, 1.0))
@FAST
def test_momentum_is_the_lecture_rule(seed, alpha, eta):
    params, grads = random_problem(seed)
    steps = run(MomentumLearningRule(eta, alpha), params, grads)
    z = [np.zeros_like(p) for p in params]
    for g, step in zip(grads, steps):
        z = [alpha * zi + gi for zi, gi in zip(z, g)]  # z <- beta z + grad; W <- W - eta z
        for zi, s in zip(z, step):
            np.testing.assert_allclose(s, -eta * zi, rtol=1e-10, atol=1e-14)


def test_momentum_zero_is_gradient_descent():
    params, grads = random_problem(3)
    a = run(MomentumLearningRule(0.3, 0.0), [p.copy() for p in params], grads)
    b = run(GradientDescentLearningRule(0.3), [p.copy() for p in params], grads)
    for sa, sb in zip(a, b):
        for x, y in zip(sa, sb):
            np.testing.assert_allclose(x, y, rtol=1e-14)


@given(alpha=st.floats(0.1, 0.95), eta=st.floats(0.01, 0.5), start=st.tuples(st.floats(-2, 2), st.floats(-2, 2)))
@FAST
def test_nesterov_tracks_the_look_ahead_point_of_the_original_method(alpha, eta, start):
    """Original NAG on a quadratic: v <- alpha v - eta grad(x + alpha v), x <- x + v. The rule's
    parameters are the look-ahead points y = x + alpha v."""
    curvature = np.array([1.0, 0.05])
    x, v = np.array(start), np.zeros(2)
    y = np.array(start)
    rule = NesterovMomentumLearningRule(eta, alpha)
    rule.initialise([y])
    for _ in range(30):
        v = alpha * v - eta * curvature * (x + alpha * v)
        x = x + v
        rule.update_params([curvature * y])
        np.testing.assert_allclose(y, x + alpha * v, rtol=1e-9, atol=1e-12)


def test_nesterov_differs_from_classical_momentum():
    params, grads = random_problem(5)
    a = run(NesterovMomentumLearningRule(0.1, 0.9), [p.copy() for p in params], grads)
    b = run(MomentumLearningRule(0.1, 0.9), [p.copy() for p in params], grads)
    assert not np.allclose(a[0][0], b[0][0])
    np.testing.assert_allclose(a[0][0], 1.9 * b[0][0])  # first step: (1 + alpha) times the plain step


# ----------------------------------------------------------------------------- AdaGrad and RMSProp


@given(seed=st.integers(0, 2**32 - 1), eps=st.floats(1e-8, 1e-1))
@FAST
def test_adagrad_divides_by_the_root_of_the_sum_of_squares(seed, eps):
    params, grads = random_problem(seed)
    steps = run(AdaGradLearningRule(0.2, eps), params, grads)
    total = [np.zeros_like(p) for p in params]
    for g, step in zip(grads, steps):
        total = [t + gi * gi for t, gi in zip(total, g)]
        for t, gi, s in zip(total, g, step):
            np.testing.assert_allclose(s, -0.2 * gi / np.sqrt(t + eps), rtol=1e-10, atol=STEP_ROUNDING)


def test_adagrad_effective_rates_never_increase():
    params, grads = random_problem(7, num_steps=40)
    steps = run(AdaGradLearningRule(0.2), params, grads)
    rates = np.array(
        [np.concatenate([(-s / g).ravel() for s, g in zip(step, grad)]) for step, grad in zip(steps, grads)]
    )
    assert np.all(np.diff(rates, axis=0) <= 1e-15)


@given(seed=st.integers(0, 2**32 - 1), gamma=st.floats(0.0, 0.99))
@FAST
def test_rmsprop_uses_a_decaying_average(seed, gamma):
    params, grads = random_problem(seed)
    steps = run(RMSPropLearningRule(0.01, gamma, 1e-6), params, grads)
    mean = [np.zeros_like(p) for p in params]
    for g, step in zip(grads, steps):
        mean = [gamma * m + (1 - gamma) * gi**2 for m, gi in zip(mean, g)]
        for m, gi, s in zip(mean, g, step):
            np.testing.assert_allclose(s, -0.01 * gi / np.sqrt(m + 1e-6), rtol=1e-10, atol=STEP_ROUNDING)


# ----------------------------------------------------------------------------- Adam


@given(seed=st.integers(0, 2**32 - 1), beta1=st.floats(0.0, 0.99), beta2=st.floats(0.5, 0.9999))
@FAST
def test_adam_follows_kingma_and_ba(seed, beta1, beta2):
    params, grads = random_problem(seed)
    steps = run(AdamLearningRule(0.01, beta1, beta2, 1e-8), params, grads)
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    for t, (g, step) in enumerate(zip(grads, steps), start=1):
        m = [beta1 * a + (1 - beta1) * gi for a, gi in zip(m, g)]
        v = [beta2 * a + (1 - beta2) * gi**2 for a, gi in zip(v, g)]
        for mi, vi, s in zip(m, v, step):
            m_hat, v_hat = mi / (1 - beta1**t), vi / (1 - beta2**t)
            np.testing.assert_allclose(s, -0.01 * m_hat / (np.sqrt(v_hat) + 1e-8), rtol=1e-9)


def test_adam_counts_steps_once_per_update_and_reset_restarts():
    params, grads = random_problem(2)
    rule = AdamLearningRule(0.01)
    first = run(rule, params, grads)
    assert rule.step_count == len(grads)
    rule.reset()
    assert rule.step_count == 0 and all(not np.any(m) for m in rule.first_moments + rule.second_moments)
    again = run(rule, params, grads)
    for a, b in zip(first, again):
        for x, y in zip(a, b):
            np.testing.assert_allclose(x, y, rtol=1e-9)


@given(g=st.floats(0.01, 100.0), sign=st.sampled_from([-1.0, 1.0]))
@FAST
def test_adam_steps_have_the_size_of_the_learning_rate_for_a_constant_gradient(g, sign):
    x = np.zeros(1)
    rule = AdamLearningRule(0.05, eps=1e-12)
    rule.initialise([x])
    for _ in range(1, 6):
        before = x.copy()
        rule.update_params([np.array([sign * g])])
        np.testing.assert_allclose(x - before, -sign * 0.05, rtol=1e-9)


# ----------------------------------------------------------------------------- AdaDelta


@given(seed=st.integers(0, 2**32 - 1), rho=st.floats(0.0, 0.99), eps=st.floats(1e-8, 1e-2))
@FAST
def test_adadelta_follows_zeiler(seed, rho, eps):
    params, grads = random_problem(seed)
    steps = run(AdaDeltaLearningRule(1.0, rho, eps), params, grads)
    eg = [np.zeros_like(p) for p in params]
    ex = [np.zeros_like(p) for p in params]
    for g, step in zip(grads, steps):
        eg = [rho * a + (1 - rho) * gi**2 for a, gi in zip(eg, g)]
        dx = [-np.sqrt(b + eps) / np.sqrt(a + eps) * gi for a, b, gi in zip(eg, ex, g)]
        ex = [rho * b + (1 - rho) * d**2 for b, d in zip(ex, dx)]
        for d, s in zip(dx, step):
            np.testing.assert_allclose(s, d, rtol=1e-9, atol=1e-13)


def test_adadelta_learning_rate_scales_the_steps():
    params, grads = random_problem(4)
    a = run(AdaDeltaLearningRule(1.0), [p.copy() for p in params], grads)
    b = run(AdaDeltaLearningRule(1.0, eps=1e-6), [p.copy() for p in params], grads)
    np.testing.assert_allclose(a[0][0], b[0][0])
    c = run(AdaDeltaLearningRule(2.0), [p.copy() for p in params], grads[:1])
    np.testing.assert_allclose(c[0][0], 2 * a[0][0])


# ----------------------------------------------------------------------------- the contract, for every rule


@rule_classes
def test_rules_update_in_place_keep_dtype_and_leave_the_gradients(cls):
    params, grads = random_problem(11)
    params32 = [p.astype(np.float32) for p in params]
    rule = cls(**RULES[cls])
    rule.initialise(params32)
    ids = [id(p) for p in params32]
    before = [p.copy() for p in params32]
    given_grads = [g.astype(np.float32) for g in grads[0]]
    saved = [g.copy() for g in given_grads]
    rule.update_params(given_grads)
    assert [id(p) for p in rule.params] == ids
    assert all(p.dtype == np.float32 for p in params32)
    assert all(not np.array_equal(p, b) for p, b in zip(params32, before))
    assert all(np.array_equal(g, s) for g, s in zip(given_grads, saved))


@rule_classes
def test_rules_keep_state_per_parameter_and_reset_clears_it(cls):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((2, 3, 3))
    grads = rng.standard_normal((5, 2, 3, 3))
    joint = [a.copy(), b.copy()]
    run(cls(**RULES[cls]), joint, [[ga, gb] for ga, gb in grads])
    for k, start in enumerate((a, b)):
        alone = [start.copy()]
        run(cls(**RULES[cls]), alone, [[g[k]] for g in grads])
        np.testing.assert_allclose(joint[k], alone[0], rtol=1e-12)
    params, grad_seq = random_problem(12)
    rule = cls(**RULES[cls])
    fresh = run(rule, [p.copy() for p in params], grad_seq)
    rule.update_params(grad_seq[0])
    rule.reset()
    restarted = [p.copy() for p in params]
    rule.params = restarted  # the same rule, state reset, on fresh copies of the parameters
    for g, steps in zip(grad_seq, fresh):
        before = [p.copy() for p in restarted]
        rule.update_params([x.copy() for x in g])
        for p, bf, s in zip(restarted, before, steps):
            np.testing.assert_allclose(p - bf, s, rtol=1e-12, atol=1e-15)


@rule_classes
def test_rules_need_initialise_and_one_gradient_per_parameter(cls):
    rule = cls(**RULES[cls])
    with pytest.raises(RuntimeError, match="initialise"):
        rule.update_params([np.zeros(2)])
    rule.initialise([np.zeros(2), np.zeros(3)])
    with pytest.raises(ValueError, match="1 gradients for 2 parameters"):
        rule.update_params([np.zeros(2)])
    assert cls.__name__ in repr(rule)


@pytest.mark.parametrize(
    "cls, name, value",
    [
        (MomentumLearningRule, "mom_coeff", 1.0),
        (MomentumLearningRule, "mom_coeff", -0.1),
        (NesterovMomentumLearningRule, "mom_coeff", 1.5),
        (AdaGradLearningRule, "eps", 0.0),
        (RMSPropLearningRule, "decay", 1.0),
        (RMSPropLearningRule, "eps", -1e-8),
        (AdamLearningRule, "beta1", 1.0),
        (AdamLearningRule, "beta2", float("nan")),
        (AdaDeltaLearningRule, "rho", -0.5),
        (AdamLearningRule, "learning_rate", 0.0),
    ],
)
def test_hyperparameters_out_of_range_are_named(cls, name, value):
    with pytest.raises(ValueError, match=name):
        cls(**{name: value})


# ----------------------------------------------------------------------------- schedules


def test_step_decay_drops_at_the_start_of_every_kth_epoch():
    values = [step_decay(t, 0.4, 0.5, 3) for t in range(10)]
    assert values == [0.4, 0.4, 0.4, 0.2, 0.2, 0.2, 0.1, 0.1, 0.1, 0.05]
    assert step_decay(np.int64(4), 0.4, 0.5, 3) == 0.2 and isinstance(step_decay(1, 0.4), float)


@given(rate=st.floats(1e-4, 1.0), k=st.floats(0.0, 1.0), t=st.integers(0, 200))
@FAST
def test_exponential_decay(rate, k, t):
    assert math.isclose(exponential_decay(t, rate, k), rate * math.exp(-k * t), rel_tol=1e-12)


@given(rate=st.floats(1e-4, 1.0), warmup=st.integers(0, 10), extra=st.integers(1, 40), final=st.floats(0.0, 1.0))
@FAST
def test_warmup_cosine_climbs_then_falls_to_the_final_rate(rate, warmup, extra, final):
    total, final = warmup + extra, final * rate
    values = np.array([warmup_cosine(t, rate, total, warmup, final) for t in range(total + 5)])
    if warmup:
        np.testing.assert_allclose(values[:warmup], rate * np.arange(1, warmup + 1) / warmup, rtol=1e-12)
    assert math.isclose(values[warmup], rate, rel_tol=1e-12)
    assert np.all(np.diff(values[warmup:]) <= 1e-15)
    np.testing.assert_allclose(values[total:], final, rtol=1e-12, atol=1e-18)
    middle = warmup + extra / 2
    if middle == int(middle):
        assert math.isclose(values[int(middle)], (rate + final) / 2, rel_tol=1e-9)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: step_decay(-1, 0.1), "epoch"),
        (lambda: exponential_decay(-2, 0.1), "epoch"),
        (lambda: warmup_cosine(-1, 0.1, 10), "epoch"),
        (lambda: step_decay(1, 0.0), "initial_rate"),
        (lambda: step_decay(1, 0.1, 1.5), "drop_factor"),
        (lambda: step_decay(1, 0.1, 0.5, 0), "epochs_per_drop"),
        (lambda: exponential_decay(1, 0.1, -0.1), "decay_rate"),
        (lambda: warmup_cosine(1, 0.1, 5, 5), "num_epochs"),
        (lambda: warmup_cosine(1, 0.1, 10, 2, 0.2), "final_rate"),
        (lambda: step_decay(1.5, 0.1), "epoch"),
    ],
)
def test_schedule_arguments_are_checked(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ----------------------------------------------------------------------------- the checks and the bug zoo


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_reference_passes_its_own_checks_on_fresh_inputs(seed):
    from autograder.grading import make_inputs
    from mlplab.course.checks import checks_of, judge, run_probe, unpack

    inputs = unpack(make_inputs("lab6", seed))
    for check in checks_of("lab6"):
        task_inputs = inputs[check.task_id]["inputs"]
        expected = run_probe(check, task_inputs)
        assert "outputs" in expected, expected
        result = judge(check, run_probe(check, task_inputs), expected, task_inputs)
        assert result.passed, f"{check.task_id}: {result.message}"


def _owners(tree: ast.Module, first: int, last: int) -> set[str]:
    """Names (``Class.method`` or ``function``) of the functions that contain lines first..last."""
    found = set()
    for node in tree.body:
        children = [(f"{node.name}.", c) for c in node.body] if isinstance(node, ast.ClassDef) else [("", node)]
        for prefix, child in children:
            if isinstance(child, ast.FunctionDef) and child.lineno <= first and last <= child.end_lineno:
                found.add(prefix + child.name)
    return found


def test_every_bug_changes_only_its_own_task_and_every_task_has_bugs():
    from bugzoo.lab6 import BUGS, VARIANTS

    from mlplab.course.tasks import get_task, tasks_of

    names = [b.name for b in (*BUGS, *VARIANTS)]
    assert len(names) == len(set(names))
    assert len(BUGS) >= 10
    assert {b.task_id for b in BUGS} == {t.id for t in tasks_of("lab6")}
    for bug in (*BUGS, *VARIANTS):
        text = (REPO / "solutions" / bug.file).read_text()
        assert text.count(bug.old) == 1, bug.name
        start = text.index(bug.old)
        first, last = text[:start].count("\n") + 1, text[: start + len(bug.old.rstrip("\n"))].count("\n") + 1
        owners = _owners(ast.parse(text), first, last)
        assert owners and owners <= set(get_task(bug.task_id).symbols), f"{bug.name} changes {owners}"
        ast.parse(text.replace(bug.old, bug.new))
        assert bool(bug.feedback) == (bug in BUGS)
