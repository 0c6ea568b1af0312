"""Every claim of the Lab 1 notebook, asserted on the reference solutions.

Each test calls the experiment function the notebook calls (``mlplab.course.experiments.lab1``)
with the notebook's seed and, unless noted, its default sizes, and checks the statement
made under "What you should see" in ``solutions/labs/lab1.py`` with an explicit threshold.
Experiments that several tests read run once per module (fixtures).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from mlplab.course.experiments import as_generator, budget, grading_run, lab1

REPO = Path(__file__).resolve().parents[3]
NOTEBOOK = REPO / "solutions" / "labs" / "lab1.py"
SEED = 0  # the notebook's SEED (checked by test_notebook_seed_matches)


# ---------------------------------------------------------------- infrastructure


def test_budget_follows_the_grading_variable(monkeypatch):
    monkeypatch.delenv("MLPLAB_GRADING", raising=False)
    assert not grading_run() and budget(10, 2) == 10
    monkeypatch.setenv("MLPLAB_GRADING", "0")
    assert not grading_run() and budget(10, 2) == 10
    monkeypatch.setenv("MLPLAB_GRADING", "1")
    assert grading_run() and budget(10, 2) == 2


def test_seeds_are_ints_or_generators():
    rng = np.random.default_rng(3)
    assert as_generator(rng) is rng
    assert as_generator(5).integers(1000) == np.random.default_rng(5).integers(1000)
    for bad in (None, 1.5, True, "0"):
        with pytest.raises(TypeError):
            as_generator(bad)


def test_experiments_are_deterministic():
    kwargs = dict(hidden="tanh", inits=("Glorot normal",), num_layers=3, width=40, batch_size=30)
    first = lab1.activation_statistics(seed=7, **kwargs)["Glorot normal"]
    again = lab1.activation_statistics(seed=np.random.default_rng(7), **kwargs)["Glorot normal"]
    other = lab1.activation_statistics(seed=8, **kwargs)["Glorot normal"]
    np.testing.assert_array_equal(first["std"], again["std"])
    for a, b in zip(first["samples"], again["samples"]):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first["std"], other["std"])


# ---------------------------------------------------------------- the notebook itself


def _notebook_text() -> str:
    return NOTEBOOK.read_text()


def test_notebook_seed_matches():
    assert re.search(rf"^SEED = {SEED}\b", _notebook_text(), re.MULTILINE)
    assert re.search(r"^FULL_RUN = False\b", _notebook_text(), re.MULTILINE)


# ---------------------------------------------------------------- 1. deep linear chain


def test_deep_linear_chain_explodes_and_vanishes_as_powers():
    num_layers = 30
    chain = lab1.deep_linear_chain(scales=(0.5, 1.0, 2.0), num_layers=num_layers, seed=SEED)
    for scale, r in chain.items():
        forward = r["output_norm"][-1] / r["output_norm"][0]
        backward = r["grad_norm"][0] / r["grad_norm"][-1]
        assert forward == pytest.approx(scale**num_layers, rel=1e-9)
        assert backward == pytest.approx(scale**num_layers, rel=1e-9)
        # and layer by layer: straight lines on a log axis, the gradient largest where the signal is smallest
        layers = np.arange(num_layers + 1)
        np.testing.assert_allclose(r["output_norm"], scale**layers, rtol=1e-9)
        np.testing.assert_allclose(r["grad_norm"], scale ** (num_layers - layers), rtol=1e-9)
    assert chain[2.0]["output_norm"][-1] > 1e9 and chain[0.5]["output_norm"][-1] < 1e-9


# ---------------------------------------------------------------- 2. zero initialisation


def test_zero_initialisation_keeps_hidden_units_identical():
    result = lab1.zero_init_symmetry(
        inits=("zeros", "N(0, 0.01^2)"), hidden_dim=32, num_epochs=2, num_train=1000, seed=SEED
    )
    zeros, random = result["zeros"], result["N(0, 0.01^2)"]
    assert zeros["first_layer_change"] > 0.1  # the weights did learn ...
    assert zeros["distinct_units"] == 1  # ... but every hidden unit is still the same unit
    assert zeros["unit_spread"] < 1e-6
    assert random["distinct_units"] == 32
    assert zeros["valid_acc"] < random["valid_acc"] - 0.3


@pytest.mark.parametrize("hidden", ["tanh", "relu"])
def test_zero_initialisation_of_tanh_or_relu_units_only_trains_output_biases(hidden):
    zeros = lab1.zero_init_symmetry(
        inits=("zeros",), hidden=hidden, hidden_dim=32, num_epochs=2, num_train=1000, seed=SEED
    )["zeros"]
    assert zeros["first_layer_change"] == 0.0
    assert zeros["output_weight_change"] == 0.0
    assert zeros["output_bias_change"] > 0.01


# ---------------------------------------------------------------- 3. variance propagation


@pytest.fixture(scope="module")
def variance():
    return lab1.linear_unit_variance(
        inits=("N(0, 0.01^2)", "N(0, 1)", "fan-in uniform"), n_ins=(10, 100, 1000), input_std=2.0, seed=SEED
    )


def test_variance_of_a_linear_unit_matches_the_formula(variance):
    for name, r in variance.items():
        ratio = r["measured"] / r["predicted"]
        assert np.all(np.abs(ratio - 1) < 0.05), (name, ratio)


def test_fan_in_weights_keep_the_input_variance(variance):
    fanin = variance["fan-in uniform"]
    np.testing.assert_allclose(fanin["measured"], 4.0, rtol=0.05)
    unit = variance["N(0, 1)"]
    np.testing.assert_allclose(unit["measured"], 4.0 * unit["n_in"], rtol=0.1)
    small = variance["N(0, 0.01^2)"]
    np.testing.assert_allclose(small["measured"], 4e-4 * small["n_in"], rtol=0.1)
    assert np.all(small["measured"] < 0.5)


# ---------------------------------------------------------------- 3. ten tanh layers


@pytest.fixture(scope="module")
def tanh_stats():
    return lab1.activation_statistics(
        "tanh", inits=("N(0, 0.01^2)", "N(0, 1)", "Glorot normal"), num_layers=10, width=500, batch_size=500, seed=SEED
    )


def test_tanh_small_weights_collapse(tanh_stats):
    std = tanh_stats["N(0, 0.01^2)"]["std"]
    assert std[-1] < 1e-3 * std[0]
    assert std[-1] < 1e-5 * std[0]  # "about 1e-6 of it"
    assert lab1.per_layer_factor(std) == pytest.approx(0.01 * math.sqrt(500), rel=0.1)


def test_tanh_unit_weights_saturate(tanh_stats):
    saturated = tanh_stats["N(0, 1)"]["saturated"]
    assert np.all(saturated > 0.5)
    assert np.all((saturated > 0.85) & (saturated < 0.95))  # "about 90%"


def test_tanh_glorot_keeps_the_spread(tanh_stats):
    r = tanh_stats["Glorot normal"]
    assert 0.25 <= r["std"][-1] / r["std"][0] <= 1.0  # shrinks slowly, by less than a factor of 4
    assert np.all(r["saturated"] < 0.05)


# ---------------------------------------------------------------- 4. ReLU: Glorot vs He


@pytest.fixture(scope="module")
def relu_stats():
    return lab1.activation_statistics(
        "relu", inits=("Glorot normal", "He normal"), num_layers=10, width=500, batch_size=500, seed=SEED
    )


def test_relu_glorot_shrinks_by_one_over_root_two(relu_stats):
    std = relu_stats["Glorot normal"]["std"]
    assert 0.65 <= lab1.per_layer_factor(std) <= 0.77
    assert std[0] / std[-1] > 10


def test_relu_he_keeps_the_spread(relu_stats):
    std = relu_stats["He normal"]["std"]
    assert 0.9 <= lab1.per_layer_factor(std) <= 1.1
    assert std.max() / std.min() < 2


# ---------------------------------------------------------------- 5. orthogonal initialisation


def test_orthogonal_products_keep_every_norm():
    result = lab1.deep_linear_random(inits=("fan-in normal", "orthogonal"), num_layers=50, dim=64, seed=SEED)
    orthogonal, gaussian = result["orthogonal"], result["fan-in normal"]
    np.testing.assert_allclose(orthogonal["singular_values"], 1.0, atol=1e-6)
    np.testing.assert_allclose(orthogonal["norm_ratio"], 1.0, atol=1e-6)
    singular = gaussian["singular_values"]
    assert singular[0] / singular[-1] > 1e6
    final = gaussian["norm_ratio"][:, -1]
    assert final.max() / final.min() > 3


# ---------------------------------------------------------------- 6. learning speed


def test_gradient_norms_per_layer():
    norms = lab1.gradient_norms(num_hidden_layers=8, width=256, batch_size=500, seed=SEED)
    ratio = {label: r["delta_norm"][0] / r["delta_norm"][-2] for label, r in norms.items()}
    assert all(len(r["delta_norm"]) == 9 for r in norms.values())
    assert ratio["sigmoid, N(0, 0.01^2)"] < 1e-6
    assert 1e-11 < ratio["sigmoid, N(0, 0.01^2)"] < 1e-9  # "about 1e-10"
    assert ratio["sigmoid, Glorot"] < 1e-2
    assert 0.15 < ratio["sigmoid, Glorot"] ** (1 / 7) < 0.35  # "roughly a factor 4 lost per layer"
    for label in ("tanh, Glorot", "ReLU, He"):
        assert 0.1 <= ratio[label] <= 10, (label, ratio[label])


def test_error_signal_histograms_shift_per_layer_for_sigmoids_and_relu_zeroes_half():
    norms = lab1.gradient_norms(num_hidden_layers=8, width=256, batch_size=500, seed=SEED)
    zeros, drop = {}, {}
    for label, r in norms.items():
        hidden = r["delta_samples"][:-1]
        assert len(r["delta_samples"]) == 9 and all(len(d) == 5000 for d in r["delta_samples"])
        zeros[label] = [np.mean(d == 0) for d in hidden]
        medians = [np.median(np.log10(np.abs(d[d != 0]))) for d in hidden]
        drop[label] = medians[-1] - medians[0]  # decades between layer 8 and layer 1
        if label == "ReLU, He":
            assert np.ptp(medians) < math.log10(2)  # every hidden layer's histogram in the same place
    assert drop["sigmoid, N(0, 0.01^2)"] > 6 and drop["sigmoid, Glorot"] > 3
    assert 0 < drop["tanh, Glorot"] < 1
    assert abs(drop["ReLU, He"]) < math.log10(2)
    assert all(0.4 < z < 0.6 for z in zeros["ReLU, He"]), zeros["ReLU, He"]
    assert all(max(zeros[label]) == 0 for label in norms if label != "ReLU, He")


# ---------------------------------------------------------------- 7. log-prior output biases


def test_log_prior_biases_start_at_the_entropy():
    prior = lab1.log_prior_start(seed=SEED)
    assert prior["zero_bias_error"] == pytest.approx(math.log(10), abs=1e-9)
    assert prior["log_prior_error"] == pytest.approx(prior["entropy"], abs=1e-6)
    assert round(prior["entropy"], 2) == 1.96
    assert prior["log_prior_error"] < prior["zero_bias_error"] - 0.3
    np.testing.assert_allclose(np.exp(prior["biases"]), prior["priors"], rtol=1e-9)


# ---------------------------------------------------------------- 8. the linearity problem


def test_stacked_affine_layers_are_one_affine_layer():
    collapse = lab1.linear_stack_collapse(layer_sizes=(20, 50, 50, 50, 5), seed=SEED)
    assert collapse["max_abs_difference"] < 1e-10
    assert collapse["output_scale"] > 0.1


def test_small_weights_make_a_linear_network():
    linearity = lab1.network_linearity(num_samples=2000, seed=SEED)
    assert linearity["tanh, N(0, 0.01^2)"]["unexplained"] < 1e-3
    assert 0.02 < linearity["tanh, Glorot"]["unexplained"] < 0.1  # "about 5%"
    assert linearity["ReLU, He"]["unexplained"] > 0.3


@pytest.fixture(scope="module")
def unit_stats():
    return lab1.unit_statistics(
        units=("selu", "elu", "relu", "leaky_relu", "tanh"),
        init="fan-in normal",
        num_layers=30,
        width=500,
        batch_size=500,
        seed=SEED,
    )


def test_selu_keeps_mean_zero_and_std_one(unit_stats):
    selu = unit_stats["selu"]
    assert len(selu["mean"]) == 30
    assert abs(selu["mean"][-1]) < 0.1
    assert 0.8 <= selu["std"][-1] <= 1.2
    assert np.all(np.abs(selu["mean"]) < 0.1) and np.all((selu["std"] > 0.8) & (selu["std"] < 1.2))


@pytest.mark.parametrize("unit", ["relu", "leaky_relu"])
def test_relu_with_fan_in_weights_shrinks_and_shifts_the_mean(unit_stats, unit):
    r = unit_stats[unit]
    assert r["std"][-1] < 1e-3
    assert 0.65 <= lab1.per_layer_factor(r["std"]) <= 0.77
    assert np.all(r["mean"] > 0.5 * r["std"])


def test_elu_and_tanh_keep_the_mean_but_lose_the_spread(unit_stats):
    for unit in ("elu", "tanh"):
        r = unit_stats[unit]
        assert np.all(np.abs(r["mean"]) < r["std"] / 3), unit
        assert r["std"][-1] < 0.5 * r["std"][0], unit


# ---------------------------------------------------------------- 8. the bias problem


@pytest.fixture(scope="module", params=[SEED, 1])
def drift(request):
    """The notebook's run, and one with another seed: the claims are not luck of one seed."""
    return lab1.mean_drift(num_steps=200, num_train=2000, seed=request.param)


@pytest.mark.slow
def test_the_first_layer_hardly_drifts(drift):
    for label, r in drift.items():
        assert r["steps"][0] == 0 and r["steps"][-1] == 200 and np.all(r["drift"][0] == 0)
        assert r["drift"][-1][0] < 0.05, label


@pytest.mark.slow
def test_relu_layers_drift_more_with_depth_than_tanh_and_selu_layers(drift):
    relu = drift["ReLU, He"]["drift"][-1]
    assert np.all(np.diff(relu) > 0), relu
    assert relu[-1] > 1.0
    for label in ("tanh, Glorot", "SELU, fan-in normal"):
        other = drift[label]["drift"][-1]
        assert relu[-1] > 5 * other[-1], label
        assert other.max() < 0.3, label


# ---------------------------------------------------------------- 9. training curves


@pytest.fixture(scope="module")
def histories():
    return lab1.train_initialisations(num_epochs=8, num_train=2000, seed=SEED, progress=False)


@pytest.mark.slow
def test_sigmoid_networks_stay_at_chance(histories):
    for label in ("sigmoid, N(0, 0.01^2)", "sigmoid, Glorot"):
        h = histories[label]
        assert min(h.valid_error) > 2.2, label
        assert h.valid_acc[-1] < 0.2, label


@pytest.mark.slow
def test_good_initialisations_learn(histories):
    for label, h in histories.items():
        assert not h.diverged, label
        assert len(h.epoch) == 8
        if not label.startswith("sigmoid"):
            assert h.valid_error[-1] < 1.0, label
            assert h.valid_error[-1] < histories["sigmoid, N(0, 0.01^2)"].valid_error[-1] - 1.0, label


@pytest.mark.slow
def test_he_starts_faster_than_glorot_and_elu_selu_faster_still(histories):
    first = {label: h.valid_error[0] for label, h in histories.items()}
    assert first["ReLU, He"] < first["ReLU, Glorot"] - 0.2
    assert first["ELU, He"] < first["ReLU, He"]
    assert first["SELU, fan-in normal"] < first["ReLU, He"]


@pytest.fixture(scope="module", params=[SEED, 1])
def saturation(request):
    return lab1.top_layer_saturation(num_steps=2000, seed=request.param)


@pytest.mark.slow
def test_the_top_sigmoid_layer_saturates_with_standard_weights(saturation):
    r = saturation["sigmoid, U(+-1/sqrt(n_in))"]
    assert r["steps"][0] == 0 and r["steps"][-1] == 2000 and r["mean"].shape == (21, 4)
    top = r["mean"][:, -1]
    assert abs(top[0] - 0.5) < 0.03
    assert np.all(np.diff(top) < 0) and top[-1] < 0.2, top
    assert np.all((r["mean"][:, :-1] > 0.45) & (r["mean"][:, :-1] < 0.65))


@pytest.mark.slow
def test_with_glorot_weights_the_top_layer_recovers_and_tanh_stays_centred(saturation):
    top = saturation["sigmoid, Glorot"]["mean"][:, -1]
    assert top.min() < 0.35 and top[-1] > 0.38 and top[-1] > top.min() + 0.05, top
    assert np.all(np.abs(saturation["tanh, U(+-1/sqrt(n_in))"]["mean"]) < 0.05)


# ---------------------------------------------------------------- 10. preprocessing


@pytest.fixture(scope="module")
def prep():
    return lab1.preprocessing_statistics(num_components=100)


def test_raw_pixels_are_correlated(prep):
    assert prep["neighbour_correlation"] > 0.5
    assert prep["cov_raw"].shape == (100, 100)


def test_standardised_training_pixels(prep):
    varying = prep["varying"]
    assert np.all(np.abs(prep["standardised_train_mean"]) < 1e-6)
    np.testing.assert_allclose(prep["standardised_train_std"][varying], 1.0, atol=1e-6)
    median_valid_mean = np.median(np.abs(prep["standardised_valid_mean"][varying]))
    assert 1e-3 < median_valid_mean < 0.1


def test_whitened_training_data_has_identity_covariance(prep):
    assert prep["cov_whitened"].shape == (100, 100)
    assert np.all((prep["whitened_diag"] >= 0.99) & (prep["whitened_diag"] <= 1.0 + 1e-6))
    assert prep["whitened_max_offdiag"] < 1e-3
    assert np.abs(prep["whitened_valid_diag"] - 1).max() > 0.01


def test_few_principal_components_carry_most_of_the_variance(prep):
    explained = prep["explained_variance"]
    assert explained.shape == (100,) and np.all(np.diff(explained) > 0)
    assert 0.55 < explained[15] < 0.65 and explained[99] > 0.9
    assert prep["components"].shape == (16, 784)
    np.testing.assert_allclose(np.linalg.norm(prep["components"], axis=1), 1.0)


def test_largest_eigenvalue_of_the_inputs(prep):
    largest = prep["largest_eigenvalue"]
    assert 3 < largest["scaled to [0, 1]"] < 8  # "about 5"
    assert largest["standardised"] > 20
    assert largest["PCA-whitened"] == pytest.approx(1.0, abs=1e-3)


def test_standardised_inputs_train_faster():
    result = lab1.train_preprocessing(
        methods=("scaled to [0, 1]", "standardised"), num_epochs=5, num_train=3000, seed=SEED, progress=False
    )
    scaled, standardised = result["scaled to [0, 1]"], result["standardised"]
    assert len(scaled.epoch) == len(standardised.epoch) == 5
    assert standardised.train_error[-1] < 0.75 * scaled.train_error[-1]
    assert 0.1 < standardised.train_error[-1] < 0.2 and 0.3 < scaled.train_error[-1] < 0.4


def test_whitened_inputs_tolerate_a_large_learning_rate():
    result = lab1.train_preprocessing(
        methods=("scaled to [0, 1]", "standardised", "PCA-whitened"),
        learning_rate=1.0,
        num_epochs=3,
        num_train=3000,
        seed=SEED,
        progress=False,
    )
    blown_up = result["standardised"].train_error[-1]
    assert not math.isfinite(blown_up) or blown_up > 10
    whitened, scaled = result["PCA-whitened"].train_error[-1], result["scaled to [0, 1]"].train_error[-1]
    assert whitened < 0.2 and whitened < scaled


# ---------------------------------------------------------------- 8. the shifted ReLU (task 1.12)


def test_srelu_mean_output_is_a_fraction_of_the_relus():
    family = lab1.relu_family(seed=SEED)
    relu, srelu = float(family["ReLU"]["mean"]), float(family["SReLU (shift = 1)"]["mean"])
    # exact values phi(0) = 0.399 and phi(1) - (1 - Phi(1)) = 0.083; standard error 0.002 with 200,000 samples
    assert abs(relu - 0.40) < 0.01 and abs(srelu - 0.08) < 0.01  # "about 0.08", "0.40"
    assert srelu < relu / 4  # "less than a quarter"
    srelu_curve = family["SReLU (shift = 1)"]
    assert srelu_curve["f"].min() == -1.0  # bounded below by -1, the table's claim


# ---------------------------------------------------------------- 8. epochs, batches, iterations


def test_iterations_per_epoch_of_the_labs_training_runs():
    """2,000 digits in batches of 50: 40 iterations per epoch; 200 steps are 5 epochs, 8 epochs 320 iterations."""
    import inspect

    data = lab1._mnist_arrays(2000, 0)
    assert len(data[0]) == 2000
    drift_defaults = inspect.signature(lab1.mean_drift).parameters
    train_defaults = inspect.signature(lab1.train_initialisations).parameters
    assert drift_defaults["batch_size"].default == train_defaults["batch_size"].default == 50
    assert drift_defaults["num_train"].default == train_defaults["num_train"].default == 2000
    train, _ = lab1._providers(data, 50, 0)
    assert len(train) == math.ceil(2000 / 50) == 40
    assert sum(1 for _ in train) == 40  # one epoch of the provider is 40 minibatches
    assert drift_defaults["num_steps"].default == 200 == 5 * len(train)
    assert train_defaults["num_epochs"].default * len(train) == 320
    source = NOTEBOOK.read_text()
    assert "lab1.mean_drift(num_steps=budget(200, 40), num_train=budget(2000, 500)" in source
    assert (
        "num_epochs=budget(30 if FULL_RUN else 8, 2)" in source and "budget(3000 if FULL_RUN else 2000, 500)" in source
    )
