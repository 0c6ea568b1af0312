"""Every claim of the Lab 6 notebook, asserted on the reference solutions.

Each test calls the experiment function the notebook calls (``mlplab.course.experiments.lab6``) with the
notebook's seed and default sizes, and checks the statement made under "What you should see" in
``solutions/labs/lab6.py`` with an explicit threshold.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from mlplab.course.experiments import lab6
from mlplab.exercises.optimisers import exponential_decay, step_decay, warmup_cosine

REPO = Path(__file__).resolve().parents[3]
NOTEBOOK = REPO / "solutions" / "labs" / "lab6.py"
SEED = 0  # the notebook's SEED (checked by test_notebook_seed_and_sizes_match)
NUM_EPOCHS = 15  # the notebook's NUM_EPOCHS when FULL_RUN is False
LEARNING_RATES = [0.5, 1.0, 1.5, 1.9, 1.99, 2.01, 2.1, 3.0, 3.5, 3.7, 3.9, 4.1]
pytestmark = pytest.mark.xdist_group("lab6-claims")


# ---------------------------------------------------------------- infrastructure


def _notebook_text() -> str:
    return NOTEBOOK.read_text()


def test_notebook_seed_and_sizes_match():
    text = _notebook_text()
    assert re.search(rf"^SEED = {SEED}\b", text, re.MULTILINE)
    assert re.search(r"^FULL_RUN = False\b", text, re.MULTILINE)
    assert f"NUM_EPOCHS = budget(40 if FULL_RUN else {NUM_EPOCHS}, 1)" in text
    assert "MAX_BATCHES = budget(None, 5)" in text
    assert f"LEARNING_RATES = {LEARNING_RATES}" in text


def test_experiments_are_deterministic_and_refuse_unknown_names():
    a = lab6.effective_learning_rates(num_steps=20, drop_at=10, seed=3)
    b = lab6.effective_learning_rates(num_steps=20, drop_at=10, seed=np.random.default_rng(3))
    c = lab6.effective_learning_rates(num_steps=20, drop_at=10, seed=4)
    np.testing.assert_array_equal(a["RMSProp"], b["RMSProp"])
    assert not np.array_equal(a["RMSProp"], c["RMSProp"])
    with pytest.raises(ValueError, match="unknown learning rule"):
        lab6.make_rule("LBFGS")
    with pytest.raises(ValueError, match="unknown rule"):
        lab6.optimiser_race(names=("AdaGrad",))
    with pytest.raises(ValueError, match="unknown optimiser setting"):
        lab6.train_with_optimisers(("Lion",), num_epochs=1, progress=False)


# ---------------------------------------------------------------- 1. the stability limit of SGD


def test_sgd_is_stable_exactly_below_two_over_lambda_max():
    limit = lab6.largest_stable_sgd_rate()
    assert limit == 2.0
    sweep = lab6.learning_rate_sweep(LEARNING_RATES, rule_names=("SGD",))
    rates, ratios = sweep["learning_rates"], sweep["SGD"]
    assert np.all(ratios[rates < limit] < 1)
    assert np.all(ratios[rates > limit] > 1)
    assert ratios[rates == 2.01][0] > 1
    assert ratios[rates == 1.99][0] > 0.01  # "still above 1% of the start"


# ---------------------------------------------------------------- 2. momentum


def test_momentum_and_nesterov_are_much_faster_than_sgd():
    race = lab6.optimiser_race(names=("SGD", "momentum", "Nesterov"))
    sgd, momentum, nesterov = (race[name]["steps"] for name in ("SGD", "momentum", "Nesterov"))
    assert 250 <= sgd <= 350  # "about 300 steps"
    assert momentum < 60 and momentum < sgd / 5
    assert nesterov < 30 and nesterov < momentum


def test_momentum_widens_the_range_of_stable_learning_rates():
    sweep = lab6.learning_rate_sweep(LEARNING_RATES, rule_names=("SGD", "momentum"))
    rates = sweep["learning_rates"]
    assert np.all(sweep["momentum"][rates <= 3.7] < 1e-7)
    assert np.all(sweep["SGD"][(rates > 2) & (rates < 3.8)] > 1)  # SGD diverges where momentum converges
    assert np.all(sweep["momentum"][rates > 3.8] > 1)
    assert math.isclose(2 * (1 + 0.9) / 1.0, 3.8)


def test_momentum_schedule_values():
    values = lab6.momentum_schedule(np.array([0, 250, 500, 12249, 12250, 20000]), 0.99)
    np.testing.assert_allclose(values[:3], [0.5, 0.75, 5 / 6])
    assert values[3] < 0.99 and values[4] == 0.99 and values[5] == 0.99
    assert lab6.momentum_schedule(np.array([4999]), 0.99)[0] < 0.99


@pytest.mark.slow
@pytest.mark.parametrize("seed", [SEED, 1])
def test_the_momentum_schedule_on_a_deep_net(seed):
    runs = lab6.momentum_on_a_deep_net(num_epochs=15, seed=seed, progress=False)
    error = {label: r["train_error"] for label, r in runs.items()}
    scheduled, half = error["schedule, max 0.99"], error["alpha = 0.5"]
    assert all(len(e) == 15 for e in error.values()) and len(runs["alpha = 0.5"]["mom_coeff"]) == 900
    np.testing.assert_allclose(runs["schedule, max 0.99"]["mom_coeff"][[0, 249, 250, 899]], [0.5, 0.5, 0.75, 0.875])
    np.testing.assert_array_equal(scheduled[:4], half[:4])  # 240 steps at alpha = 0.5
    assert scheduled[-1] < 0.7 * half[-1]
    assert int(np.sum(np.diff(error["alpha = 0.99"]) > 0)) >= 2  # erratic
    assert error["alpha = 0.99"][-1] > 2 * scheduled[-1]
    assert error["alpha = 0.9"][-1] == min(e[-1] for e in error.values())


# ---------------------------------------------------------------- 3. AdaGrad and RMSProp


def test_adagrad_rates_only_shrink_and_rmsprop_rates_recover():
    rates = lab6.effective_learning_rates(seed=SEED)
    ada, rms = rates["AdaGrad"], rates["RMSProp"]
    assert int(np.sum(np.diff(ada, axis=0) > 0)) == 0
    ada_ratio = ada[250:].mean() / ada[100:150].mean()
    assert 0.8 <= ada_ratio <= 1.0
    rms_ratio = rms[250:].mean() / rms[100:150].mean()
    assert rms_ratio > 5 and 8 < rms_ratio < 12  # "about 10 times (more than 5 times)"


# ---------------------------------------------------------------- 4. Adam


def test_adam_bias_correction():
    adam = lab6.adam_bias_correction(num_steps=40, seed=SEED)
    t = adam["t"]
    np.testing.assert_allclose(adam["m_ratio"], 1 - 0.9**t, rtol=1e-12)
    np.testing.assert_allclose(adam["v_ratio"], 1 - 0.999**t, rtol=1e-9)
    assert adam["m_ratio"][0] == pytest.approx(0.1) and adam["v_ratio"][0] == pytest.approx(0.001)
    assert np.all(np.abs(adam["step"] - 1) < 1e-3)  # "within 0.1%" from the first step
    assert adam["uncorrected_step"][0] == pytest.approx(0.1 / math.sqrt(0.001), rel=1e-3)  # about 3.16
    assert np.all(adam["uncorrected_step"] > 3)


def test_uncorrected_adam_steps_approach_the_right_size_only_after_thousands_of_steps():
    long = lab6.adam_bias_correction(num_steps=3000, seed=SEED)
    assert long["uncorrected_step"][999] > 1.2
    assert long["uncorrected_step"][2999] < 1.05


def test_adam_first_step_is_the_same_in_both_directions():
    race = lab6.optimiser_race(names=("momentum", "Nesterov", "Adam"))
    first = race["Adam"]["path"][1] - race["Adam"]["path"][0]
    np.testing.assert_allclose(first, [-0.05, -0.05], atol=5e-5)  # "-0.05 in both, to 4 decimals"
    assert race["Adam"]["steps"] < 100


# ---------------------------------------------------------------- 6. MNIST


@pytest.fixture(scope="module")
def histories():
    return lab6.train_with_optimisers(num_epochs=NUM_EPOCHS, seed=SEED, progress=False)


def test_every_rule_trains_faster_than_sgd(histories):
    sgd = histories["SGD"].train_error[-1]
    assert all(len(h.epoch) == NUM_EPOCHS and not h.diverged for h in histories.values())
    for name, h in histories.items():
        if name != "SGD":
            assert h.train_error[-1] < sgd / 2, name
    for name in ("momentum", "Nesterov"):
        assert histories[name].train_error[-1] < sgd / 10, name


def test_validation_errors_are_close_together(histories):
    final = [h.valid_error[-1] for h in histories.values()]
    assert all(0.25 < e < 0.4 for e in final)
    fastest = min(histories, key=lambda name: histories[name].train_error[-1])
    best = min(histories, key=lambda name: histories[name].valid_error[-1])
    assert fastest != best  # "the fastest optimiser is not the one that generalises best"


# ---------------------------------------------------------------- 7. schedules


def test_schedule_curves_have_their_documented_shape():
    curves = lab6.schedule_curves(num_epochs=40, initial_rate=0.1)
    step = curves["step decay (x0.5 every 10)"]
    np.testing.assert_allclose(step[[0, 9, 10, 20, 39]], [0.1, 0.1, 0.05, 0.025, 0.0125])
    warm = curves["warm-up 5 + cosine"]
    np.testing.assert_allclose(warm[:5], [0.02, 0.04, 0.06, 0.08, 0.1])
    assert warm[-1] == pytest.approx(0.0, abs=1e-15)


def test_decaying_schedules_beat_the_noise_floor_of_a_constant_rate():
    schedules = {
        "constant 0.5": lambda t: 0.5,
        "step decay": lambda t: step_decay(t, 0.5, 0.5, 10),
        "exponential": lambda t: exponential_decay(t, 0.5, 0.05),
        "warm-up + cosine": lambda t: warmup_cosine(t, 0.5, 39, 5, 0.005),
    }
    noisy = lab6.schedules_on_noisy_bowl(schedules, seed=SEED)
    constant = noisy["constant 0.5"]
    assert 0.018 < constant[9] < 0.035 and 0.018 < constant[-1] < 0.035  # "about 0.025"
    assert 0.7 < constant[-1] / constant[9] < 1.4  # "the same after 10 and after 40 epochs"
    for name in ("step decay", "exponential", "warm-up + cosine"):
        assert noisy[name][-1] < constant[-1] / 4, name
    text = _notebook_text()
    for snippet in (
        '"constant 0.5": lambda t: 0.5,',
        '"step decay": lambda t: step_decay(t, 0.5, 0.5, 10),',
        '"exponential": lambda t: exponential_decay(t, 0.5, 0.05),',
        '"warm-up + cosine": lambda t: warmup_cosine(t, 0.5, 39, 5, 0.005),',
    ):
        assert snippet in text  # the notebook runs these very schedules


# ---------------------------------------------------------------- 8. Adam's relatives


@pytest.mark.parametrize("seed", [SEED, 1])
def test_amsgrad_steps_stay_small_after_the_gradients_shrink(seed):
    drop = lab6.step_sizes_after_a_drop(seed=seed)
    before = {name: drop[name][100:150].mean() for name in ("Adam", "AMSGrad", "AdaMax", "Nadam")}
    late = {name: drop[name][300:400].mean() for name in before}
    assert all(drop[name][150:160].mean() < drop[name][140:150].mean() for name in before)  # all shrink at once
    assert late["Adam"] > 2 * late["AMSGrad"]
    assert late["AMSGrad"] < 0.2 * before["AMSGrad"]


@pytest.mark.parametrize("seed", [SEED, 1])
def test_adamw_decays_every_parameter_alike_and_adam_with_l2_does_not(seed):
    decay = lab6.decoupled_weight_decay(seed=seed)
    assert decay["pure decay"] == pytest.approx(0.999**1000)
    for group in ("large gradients", "small gradients"):
        assert abs(decay["AdamW"][group] - decay["pure decay"]) < 0.15, group
    coupled = decay["Adam + L2"]
    assert abs(coupled["large gradients"] - decay["AdamW"]["large gradients"]) < 0.1
    assert coupled["small gradients"] < 0.1 * coupled["large gradients"]


# ---------------------------------------------------------------- 9. gradient clipping


def test_clipping_bounds_the_loss_but_does_not_make_the_run_converge():
    clipping = lab6.clipping_on_the_bowl(learning_rate=2.2, max_norm=1.0, num_steps=200)
    assert len(clipping["plain"]) == len(clipping["clipped"]) == 201
    assert clipping["plain"][-1] > 1e12
    assert np.all(clipping["clipped"] < 1.5 * clipping["clipped"][0])
    assert clipping["clipped"][-1] > 0.4
