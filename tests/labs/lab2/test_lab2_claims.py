"""Every claim of the Lab 2 notebook, asserted on the reference solutions.

Each test calls the experiment function the notebook calls (``mlplab.course.experiments.lab2``) with the
notebook's seed and default sizes, and checks the statement made under "What you should see" in
``solutions/labs/lab2.py`` with an explicit threshold. Experiments run in float64, where the
results do not depend on how many threads the matrix products use (the notebook uses one, like
the tests, see conftest.py).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from mlplab.course.experiments import lab2

REPO = Path(__file__).resolve().parents[3]
NOTEBOOK = REPO / "solutions" / "labs" / "lab2.py"
SEED = 0  # the notebook's SEED (checked by test_notebook_seed_matches)
EPOCHS, NUM_TRAIN = 3, 3000  # the notebook's defaults


# ---------------------------------------------------------------- the notebook itself


def _notebook_text() -> str:
    return NOTEBOOK.read_text()


def test_notebook_seed_and_switches():
    text = _notebook_text()
    assert re.search(rf"^SEED = {SEED}\b", text, re.MULTILINE)
    assert re.search(r"^FULL_RUN = False\b", text, re.MULTILINE)
    assert re.search(r"^EPOCHS = budget\(10 if FULL_RUN else 3, 1\)", text, re.MULTILINE)
    assert re.search(r"^NUM_TRAIN = budget\(3000, 500\)", text, re.MULTILINE)
    assert "%load_ext autoreload" in text and "%autoreload 2" in text


def test_experiments_are_deterministic():
    a = lab2.activation_distributions(num_steps=12, record_every=4, num_train=200, seed=3, progress=False)
    b = lab2.activation_distributions(
        num_steps=12, record_every=4, num_train=200, seed=np.random.default_rng(3), progress=False
    )
    c = lab2.activation_distributions(num_steps=12, record_every=4, num_train=200, seed=4, progress=False)
    for version in lab2.VERSIONS:
        np.testing.assert_array_equal(a[version]["drift"], b[version]["drift"])
    assert not np.array_equal(a["plain"]["std"], c["plain"]["std"])


# ---------------------------------------------------------------- 2. the transform


def test_forward_demo_standardises_every_unit():
    demo = lab2.forward_demo(seed=SEED)
    assert np.all(np.abs(demo["plain_mean"]) < 1e-10)
    np.testing.assert_allclose(demo["input_std"], 10.0 ** (np.arange(5) - 2), rtol=0.25)  # 0.01 ... 100
    np.testing.assert_allclose(demo["plain_std"][1:], 1.0, atol=1e-3)
    variance = demo["input_std"][0] ** 2
    assert 5e-5 < variance < 1e-4  # "only a few times eps"
    assert 0.9 < demo["plain_std"][0] < 0.97  # "about 0.93"
    assert demo["plain_std"][0] == pytest.approx(math.sqrt(variance / (variance + 1e-5)), rel=1e-9)
    np.testing.assert_allclose(demo["scaled_mean"], demo["beta"], atol=1e-10)
    np.testing.assert_allclose(demo["scaled_std"], np.abs(demo["gamma"]) * demo["plain_std"], rtol=1e-10)


# ---------------------------------------------------------------- 3. the backward pass


def test_gradient_check_of_the_layer():
    check = lab2.gradient_check(seed=SEED)
    assert check["inputs"] < 1e-7
    assert check["gamma"] < 1e-9 and check["beta"] < 1e-9
    assert check["sum_over_batch"] < 1e-12
    assert 1e-8 < check["correlation_with_xhat"] < 1e-3  # small, but not zero: eps


# ---------------------------------------------------------------- 4. training and inference


def test_folding_removes_the_batch_norm_layers_and_changes_nothing():
    folded = lab2.fold_into_affine_layers(num_epochs=EPOCHS, num_train=NUM_TRAIN, seed=SEED)
    assert (folded["layers_before"], folded["layers_after"]) == (16, 11)
    assert folded["max_layer_difference"] < 1e-12
    assert folded["max_difference"] < 1e-10
    assert 5 < folded["output_scale"] < 20  # "logits of size about 10"


@pytest.fixture(scope="module")
def gap():
    return lab2.train_eval_gap(num_epochs=EPOCHS, num_train=NUM_TRAIN, seed=SEED)


def test_the_train_eval_gap_shrinks_with_the_batch_size(gap):
    sizes, gaps = gap["batch_sizes"], gap["gap"]
    assert list(sizes) == [2, 4, 8, 16, 32, 64, 128, 500]
    assert np.all(np.diff(gaps) < 0)
    assert 5 < gaps[0] / gaps[list(sizes).index(128)] < 12  # "roughly like 1 / sqrt(m)"
    assert gaps[0] > 0.5 and gaps[-1] < 0.15


def test_small_batches_ruin_training_mode_but_not_evaluation_mode(gap):
    assert gap["train_mode_acc"][0] < 0.5
    assert gap["eval_changes"] < 1e-10
    assert np.all(gap["eval_mode_acc"] > 0.9)
    assert np.ptp(gap["eval_mode_acc"]) < 0.002  # the same predictions, up to the dropped partial batch


@pytest.fixture(scope="module")
def stats():
    return lab2.inference_statistics(num_epochs=EPOCHS, num_train=NUM_TRAIN, seed=SEED)


def test_running_averages_are_as_good_as_population_statistics(stats):
    acc = stats["valid_acc"]
    assert abs(acc["running averages"] - acc["population statistics"]) < 0.01
    assert acc["running averages"] > 0.9 and acc["population statistics"] > 0.9
    for name in ("running averages", "population statistics"):
        np.testing.assert_allclose(stats["var_ratio"][name], 1.0, atol=0.03)
    assert stats["mean_error"]["population statistics"][0] < 1e-10  # exact: the batches cover the data
    assert 0.01 < stats["mean_error"]["running averages"][0] < 0.03  # "about 2% of a standard deviation"


def test_the_correction_matters_for_small_batches(stats):
    m = stats["correction_batch_size"]
    assert m == 4
    corrected = stats["small_batch_var_ratio"]["with the correction"]
    uncorrected = stats["small_batch_var_ratio"]["without the correction"]
    assert uncorrected[0] == pytest.approx((m - 1) / m, abs=0.03)
    assert corrected[0] == pytest.approx(1.0, abs=0.03)
    assert np.all(np.asarray(corrected[1:]) > 1.05)


# ---------------------------------------------------------------- 5. learning rates and initialisation


@pytest.fixture(scope="module")
def sweep():
    return lab2.learning_rate_sweep(num_epochs=EPOCHS, num_train=NUM_TRAIN, seed=SEED, progress=False)


def test_plain_network_diverges_at_large_rates_where_batch_norm_trains(sweep):
    plain, bn = sweep["plain"], sweep["batch norm"]
    assert list(plain) == [0.01, 0.03, 0.1, 0.3, 1.0, 3.0]  # more than two orders of magnitude
    for rate in (1.0, 3.0):
        assert lab2.diverged(plain[rate]), rate
        assert lab2.final_accuracy(plain[rate]) < 0.15, rate  # "ends at chance"
        assert not lab2.diverged(bn[rate]) and lab2.final_accuracy(bn[rate]) > 0.85, rate
    assert not any(lab2.diverged(h) for h in bn.values())
    for rate in (0.01, 0.03, 0.1, 0.3):
        assert not lab2.diverged(plain[rate]), rate


def test_batch_norm_prefers_larger_rates_and_does_not_help_at_the_smallest(sweep):
    plain = {rate: lab2.final_accuracy(h) for rate, h in sweep["plain"].items()}
    bn = {rate: lab2.final_accuracy(h) for rate, h in sweep["batch norm"].items()}
    assert max(plain, key=plain.get) == 0.1
    assert bn[0.3] > 0.92 and bn[1.0] > 0.92
    assert max(bn.values()) > max(plain.values())
    assert bn[0.01] < plain[0.01]


@pytest.fixture(scope="module")
def scales():
    return lab2.initialisation_scales(num_epochs=EPOCHS, num_train=NUM_TRAIN, seed=SEED, progress=False)


def test_plain_network_needs_the_right_initial_scale(scales):
    plain = scales["plain"]
    assert list(plain) == [0.001, 0.01, 0.1, 1.0]
    for std in (0.001, 0.01):
        assert lab2.final_accuracy(plain[std]) < 0.15 and min(plain[std].train_error) > 2.2, std
    assert lab2.diverged(plain[1.0])
    assert not lab2.diverged(plain[0.1]) and lab2.final_accuracy(plain[0.1]) > 0.85


def test_batch_norm_trains_from_every_initial_scale(scales):
    bn = {std: lab2.final_accuracy(h) for std, h in scales["batch norm"].items()}
    for std in (0.001, 0.01, 0.1):
        assert bn[std] > 0.85, std
    assert 0.5 < bn[1.0] < bn[0.1] - 0.1
    assert not any(lab2.diverged(h) for h in scales["batch norm"].values())


@pytest.fixture(scope="module")
def distributions():
    return lab2.activation_distributions(num_steps=300, seed=SEED, progress=False)


def test_without_batch_norm_the_inputs_of_deeper_layers_drift_more(distributions):
    plain = distributions["plain"]
    assert plain["drift"].shape == (31, 3) and plain["steps"][-1] == 300
    final = plain["drift"][-1]
    assert final[2] > 3 and final[2] > final[1] > final[0]
    assert plain["std"][-1, 2] > 5 * plain["std"][0, 2]
    assert np.ptp(plain["percentiles"][:, 1]) > 0.5  # the unit's median wanders


def test_with_batch_norm_the_distributions_stay_put(distributions):
    bn = distributions["batch norm"]
    assert np.all(bn["drift"] < 0.1)
    assert np.all((bn["std"] > 0.9) & (bn["std"] < 1.5))
    assert np.all(np.abs(bn["mean"]) < 0.1)
    assert np.ptp(bn["percentiles"][:, 1]) < 0.5 * np.ptp(distributions["plain"]["percentiles"][:, 1])
    assert len(bn["samples_start"]) == len(bn["samples_end"]) == 3


@pytest.fixture(scope="module", params=[SEED, 1])
def relu_distributions(request):
    """Lab 1's bias problem: the notebook's run and one with another seed."""
    return lab2.activation_distributions(
        hidden="relu",
        num_hidden_layers=5,
        learning_rate=0.05,
        num_steps=200,
        num_train=3000,
        seed=request.param,
        progress=False,
    )


@pytest.mark.slow
def test_relu_means_drift_more_with_depth_without_batch_norm_and_not_with_it(relu_distributions):
    plain, bn = relu_distributions["plain"]["drift"][-1], relu_distributions["batch norm"]["drift"][-1]
    assert relu_distributions["plain"]["steps"][-1] == 200 and plain.shape == (5,)
    assert np.all(np.diff(plain) > 0) and plain[-1] > 1.0, plain
    assert np.all(bn < 0.05), bn


@pytest.mark.slow
@pytest.mark.parametrize("seed", [SEED, 1])
def test_noisy_batch_norm_trains_like_batch_norm_despite_unstable_inputs(seed):
    runs = lab2.noisy_batch_norm(num_epochs=3, num_train=3000, seed=seed, progress=False)
    plain, bn, noisy = (runs[v] for v in lab2.NOISY_VERSIONS)
    assert not np.all(np.isfinite(plain["train_error"])) and plain["valid_acc"] < 0.15
    assert bn["valid_acc"] > 0.88 and noisy["valid_acc"] > 0.88
    assert abs(bn["valid_acc"] - noisy["valid_acc"]) < 0.02
    assert noisy["step_change"].shape == (5,) and np.all(noisy["step_change"] > 10 * bn["step_change"])
    assert noisy["steps"][-1] == 180


@pytest.mark.slow
@pytest.mark.parametrize("seed", [SEED, 1])
def test_batch_norm_regularises_with_small_batches(seed):
    runs = lab2.small_training_set(num_epochs=30, seed=seed, progress=False)
    small, large = runs[10], runs[50]
    gain = {size: r["plain"].valid_error[-1] - r["batch norm"].valid_error[-1] for size, r in runs.items()}
    for r in (small, large):
        assert len(r["plain"].epoch) == 30 and r["plain"].train_error[-1] < 0.01
    assert small["batch norm"].train_error[-1] > 0.1
    assert gain[10] > 0.05
    assert abs(small["plain"].valid_acc[-1] - small["batch norm"].valid_acc[-1]) < 0.05
    assert large["batch norm"].train_error[-1] < small["batch norm"].train_error[-1]
    assert gain[50] < gain[10]


# ---------------------------------------------------------------- 6. the loss landscape


def test_batch_norm_smooths_the_loss_along_the_gradient():
    landscape = lab2.loss_landscape(num_steps=300, seed=SEED, progress=False)
    plain, bn = landscape["plain"], landscape["batch norm"]
    assert len(plain["steps"]) == len(bn["steps"]) == 12
    assert plain["loss_range"].mean() > 1.5 * bn["loss_range"].mean()
    assert plain["gradient_change"].mean() > 1.5 * bn["gradient_change"].mean()


# ---------------------------------------------------------------- 7. spatial batch norm


def test_spatial_batch_norm_is_per_channel_and_keeps_the_pattern():
    spatial = lab2.spatial_statistics(seed=SEED)
    assert spatial["num_statistics"] == {"per channel": 3, "per location": 192}
    assert np.all(np.abs(spatial["channel_mean"]) < 1e-12)
    np.testing.assert_allclose(spatial["channel_var"], 1.0, atol=1e-3)
    assert spatial["reshape_difference"] < 1e-12
    assert spatial["pattern_kept"] > 0.9 and abs(spatial["pattern_erased"]) < 0.05


# ---------------------------------------------------------------- 8. layer norm


@pytest.mark.parametrize("seed", [SEED, 1])
def test_layer_norm_trains_where_batches_are_too_small_for_batch_norm(seed):
    runs = lab2.layer_norm_small_batches(num_epochs=2, num_train=1000, seed=seed, progress=False)  # the notebook's
    assert list(runs["batch_sizes"]) == [2, 4, 8]
    bn, ln = runs["batch norm"], runs["layer norm"]
    assert bn[0] < 0.25 and ln[0] > 0.7
    assert ln[1] > bn[1] + 0.05
    assert abs(ln[2] - bn[2]) < 0.05
    assert runs["alone_vs_in_batch"] < 1e-12
