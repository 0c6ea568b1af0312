"""Every claim of the Lab 4 notebook, asserted on the reference solutions.

Each test calls the experiment function the notebook calls (``mlplab.course.experiments.lab4``)
with the notebook's seed and default sizes, and checks the statement made under
"What you should see" in ``solutions/labs/lab4.py`` with an explicit threshold.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from mlplab.course.experiments import lab4

REPO = Path(__file__).resolve().parents[3]
NOTEBOOK = REPO / "solutions" / "labs" / "lab4.py"
SEED = 0  # the notebook's SEED (checked by test_notebook_seed_and_sizes_match)
NUM_PERCEPTRONS, NUM_NETWORKS, NUM_DIGITS, NUM_EPOCHS = 25, 10, 1000, 20  # defaults when FULL_RUN is False
pytestmark = pytest.mark.xdist_group("lab4-claims")


# ---------------------------------------------------------------- infrastructure


def _notebook_text() -> str:
    return NOTEBOOK.read_text()


def test_experiments_are_deterministic():
    first = lab4.bagged_perceptrons(num_models=4, num_train=20, num_test=50, num_steps=20, grid_size=5, seed=7)
    again = lab4.bagged_perceptrons(
        num_models=4, num_train=20, num_test=50, num_steps=20, grid_size=5, seed=np.random.default_rng(7)
    )
    other = lab4.bagged_perceptrons(num_models=4, num_train=20, num_test=50, num_steps=20, grid_size=5, seed=8)
    np.testing.assert_array_equal(first["predictions"], again["predictions"])
    assert not np.array_equal(first["predictions"], other["predictions"])


def test_notebook_seed_and_sizes_match():
    text = _notebook_text()
    assert re.search(rf"^SEED = {SEED}\b", text, re.MULTILINE)
    assert re.search(r"^FULL_RUN = False\b", text, re.MULTILINE)
    assert f"NUM_PERCEPTRONS = budget({NUM_PERCEPTRONS}, 5)" in text
    assert f"NUM_NETWORKS = budget(25 if FULL_RUN else {NUM_NETWORKS}, 3)" in text
    assert f"NUM_DIGITS = budget(3000 if FULL_RUN else {NUM_DIGITS}, 200)" in text
    assert f"NUM_EPOCHS = budget({NUM_EPOCHS}, 2)" in text


# ---------------------------------------------------------------- 1. bootstrap samples


def test_a_bootstrap_sample_contains_about_63_percent_of_the_data():
    boot = lab4.bootstrap_statistics(sizes=(5, 20, 100, 1000), num_samples=500, seed=SEED)
    assert np.all(np.abs(boot["distinct"] - boot["theory"]) < 0.01)
    assert abs(boot["distinct"][0] - 0.67) < 0.01  # "0.67 for 5 examples"
    assert abs(boot["distinct"][-1] - (1 - math.exp(-1))) < 0.005
    assert np.all(np.abs(boot["multiplicities"] - boot["poisson"]) < 0.01)
    left_out, once, twice, three = boot["multiplicities"][:4]
    assert abs(left_out - 0.37) < 0.01 and abs(once - 0.37) < 0.01  # "about 37% ... 37% drawn once"
    assert abs(twice - 0.18) < 0.01 and abs(three - 0.06) < 0.01  # "18% twice and 6% three times"


# ---------------------------------------------------------------- 3-4. bagged perceptrons and the theorem


@pytest.fixture(scope="module")
def perceptrons():
    return lab4.bagged_perceptrons(num_models=NUM_PERCEPTRONS, num_train=30, num_test=2000, num_steps=300, seed=SEED)


def test_the_perceptrons_boundaries_are_similar_but_not_identical(perceptrons):
    assert len(perceptrons["members"]) == NUM_PERCEPTRONS
    assert perceptrons["angles"].max() < 30
    assert perceptrons["angles"].max() > 3
    assert perceptrons["disagreement"] > 0.1
    bagged = perceptrons["grid_bagged"]
    assert bagged.min() < 0.05 and bagged.max() > 0.95  # from 0 to 1 across the grid


def test_the_bagging_identities_hold_to_rounding_error(perceptrons):
    p = perceptrons
    assert abs(p["mean_error"] - p["variance"] - p["bias_squared"]) < 1e-12
    assert abs(p["bagged_error"] - p["variance_term"] - p["bias_squared"] - p["cross_term"]) < 1e-12


def test_bagging_stable_perceptrons_gains_little(perceptrons):
    p = perceptrons
    assert p["bagged_error"] < p["mean_error"]
    assert p["bagged_error"] > 0.8 * p["mean_error"]  # "by less than 20%"
    assert p["bias_squared"] < 0.01
    assert p["cross_term"] > 10 * p["variance_term"]
    assert np.all(p["bagged_errors"] <= p["mean_errors"] + 1e-15)  # the theorem, for every K


# ---------------------------------------------------------------- 5. correlated members


@pytest.fixture(scope="module")
def correlated():
    return lab4.correlated_ensembles(correlations=(0.0, 0.5, 0.9), max_models=50, num_points=4000, seed=SEED)


def test_correlated_ensembles_follow_the_formula(correlated):
    for rho, r in correlated.items():
        assert abs(r["mean_correlation"] - rho) < 0.02
        assert np.all(np.abs(r["bagged_errors"] - r["theory"]) < 0.1 * r["variance"])


def test_only_uncorrelated_members_approach_the_bias_floor(correlated):
    uncorrelated, strongly = correlated[0.0], correlated[0.9]
    assert uncorrelated["bagged_errors"][-1] < uncorrelated["bias_squared"] + 0.05 * uncorrelated["variance"]
    assert strongly["bagged_errors"][-1] > strongly["bias_squared"] + 0.8 * strongly["variance"]


# ---------------------------------------------------------------- 6. bagged networks


@pytest.fixture(scope="module")
def nets():
    return lab4.bagged_mlps(
        num_models=NUM_NETWORKS, num_train=NUM_DIGITS, hidden_dim=100, num_epochs=NUM_EPOCHS, seed=SEED, progress=False
    )


def test_bagged_networks_beat_the_typical_and_the_best_member(nets):
    bagged = nets["bagged_errors"][-1]
    assert bagged < nets["member_errors"].mean() - 0.01
    assert bagged < nets["member_errors"].min()


def test_the_combination_rules_agree_and_the_out_of_bag_error_predicts_the_test_error(nets):
    rules = np.array(list(nets["rules"].values()))
    assert rules.max() - rules.min() <= 0.01
    assert abs(nets["oob_error"] - nets["bagged_errors"][-1]) < 0.03


def test_the_probabilities_have_no_bias_and_correlated_errors(nets):
    b = nets["brier"]
    assert b["bias_squared"] < 1e-20
    assert abs(b["mean_error"] - b["variance"] - b["bias_squared"]) < 1e-12
    assert nets["mean_correlation"] > 0.8
    assert b["cross_term"] > 5 * b["variance_term"]
