"""Every claim of the Lab 5 notebook, asserted on the reference solutions.

Each test calls the experiment function the notebook calls (``mlplab.course.experiments.lab5``)
with the notebook's seed and default sizes, and checks the statement made under
"What you should see" in ``solutions/labs/lab5.py`` with an explicit threshold.
Experiments that several tests read run once per module (fixtures).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from mlplab.course.experiments import lab5

REPO = Path(__file__).resolve().parents[3]
NOTEBOOK = REPO / "solutions" / "labs" / "lab5.py"
SEED = 0  # the notebook's SEED (checked by test_notebook_seed_and_sizes_match)
AE_EPOCHS, NUM_TRAIN = 20, 3000  # the notebook's sizes when FULL_RUN is False
pytestmark = pytest.mark.xdist_group("lab5-claims")  # one worker trains the shared runs once


# ---------------------------------------------------------------- infrastructure


def test_experiments_are_deterministic():
    first = lab5.corruption_examples(num_images=20, seed=7)
    again = lab5.corruption_examples(num_images=20, seed=np.random.default_rng(7))
    other = lab5.corruption_examples(num_images=20, seed=8)
    for name in first["stats"]:
        np.testing.assert_array_equal(first[name], again[name])
        assert not np.array_equal(first[name], other[name])
    a = lab5.train_autoencoders(("none",), code_dim=8, num_train=200, num_epochs=2, seed=3, progress=False)
    b = lab5.train_autoencoders(("none",), code_dim=8, num_train=200, num_epochs=2, seed=3, progress=False)
    np.testing.assert_array_equal(a["none"]["model"].layers[0].weights, b["none"]["model"].layers[0].weights)


def test_unknown_names_are_refused():
    with pytest.raises(ValueError, match="unknown corruption"):
        lab5.train_autoencoders(("dropout 0.5",), num_train=10, progress=False)
    with pytest.raises(ValueError, match="unknown corruption"):
        lab5.corruption("blur")


def _notebook_text() -> str:
    return NOTEBOOK.read_text()


def test_notebook_seed_and_sizes_match():
    text = _notebook_text()
    assert re.search(rf"^SEED = {SEED}\b", text, re.MULTILINE)
    assert re.search(r"^FULL_RUN = False\b", text, re.MULTILINE)
    assert f"AE_EPOCHS = budget(60 if FULL_RUN else {AE_EPOCHS}, 1)" in text
    assert f"NUM_TRAIN = budget({NUM_TRAIN}, 300)" in text
    assert "num_labelled=budget(200, 50)" in text and "pretrain_epochs=budget(5, 1)" in text
    assert "finetune_epochs=budget(100 if FULL_RUN else 50, 2)" in text


# ---------------------------------------------------------------- 1. corruptions


def test_corruptions_change_what_they_should():
    stats = lab5.corruption_examples(num_images=100, seed=SEED)["stats"]
    gaussian, masking, salt = stats["gaussian 0.3"], stats["masking 0.3"], stats["salt and pepper 0.2"]
    assert gaussian["changed"] == 1.0
    assert abs(gaussian["noise_std"] - 0.3) < 0.01
    assert abs(masking["zeroed_ink"] - 0.3) < 0.03
    assert masking["changed"] < 0.1
    assert abs(salt["set_to_one"] - 0.1) < 0.02
    assert salt["changed"] > masking["changed"]


# ---------------------------------------------------------------- 2. autoencoders


@pytest.fixture(scope="module")
def autoencoders():
    return lab5.train_autoencoders(
        ("none", "masking 0.3"), code_dim=64, num_train=NUM_TRAIN, num_epochs=AE_EPOCHS, seed=SEED, progress=False
    )


@pytest.fixture(scope="module")
def errors(autoencoders):
    valid = lab5.mnist_digits(1, 1000)["valid_x"]
    return lab5.reconstruction_errors({name: r["model"] for name, r in autoencoders.items()}, valid, seed=SEED)


def test_training_error_falls_fast_then_slowly(autoencoders):
    for r in autoencoders.values():
        e = r["train_errors"]
        assert len(e) == AE_EPOCHS and np.all(np.isfinite(e))
        assert e[2] < 0.7 * e[0]  # falls quickly in the first epochs
        assert e[-1] < e[-2] < e[-3]  # still falling after 20 epochs
        assert e[-2] - e[-1] < 0.05 * e[-1]  # but slowly


def test_autoencoders_beat_the_mean_digit(errors):
    for name in ("none", "masking 0.3"):
        assert errors[name]["none"] < 0.4 * errors["mean image"]


def test_plain_is_better_on_clean_and_denoising_on_masked_digits(errors):
    plain, denoising = errors["none"], errors["masking 0.3"]
    assert plain["none"] < denoising["none"]
    assert denoising["masking 0.3"] < 0.9 * plain["masking 0.3"]
    assert plain["masking 0.3"] > 1.1 * plain["none"]


@pytest.mark.parametrize("seed", [1, 2])
def test_denoising_advantage_holds_for_other_seeds(seed):
    runs = lab5.train_autoencoders(("none", "masking 0.3"), num_epochs=AE_EPOCHS, seed=seed, progress=False)
    valid = lab5.mnist_digits(1, 1000)["valid_x"]
    e = lab5.reconstruction_errors({name: r["model"] for name, r in runs.items()}, valid, seed=seed)
    assert e["masking 0.3"]["masking 0.3"] < 0.9 * e["none"]["masking 0.3"]
    assert e["none"]["none"] < e["masking 0.3"]["none"]


def test_filters_become_smooth_and_denoising_ones_smoother(autoencoders):
    initial = lab5.glorot_uniform((64, 784), np.random.default_rng(SEED))
    assert abs(lab5.filter_smoothness(initial)) < 0.05
    plain = lab5.filter_smoothness(autoencoders["none"]["model"].layers[0].weights)
    denoising = lab5.filter_smoothness(autoencoders["masking 0.3"]["model"].layers[0].weights)
    assert plain > 0.4 and denoising > 0.4
    assert denoising > plain + 0.05
    images = lab5.filters(autoencoders["none"]["model"], 16)
    assert images.shape == (16, 28, 28) and images.min() == 0.0 and images.max() == 1.0


# ---------------------------------------------------------------- 3. pretraining


def _pretraining(seed):
    return lab5.pretraining_vs_random(
        num_labelled=200, num_unlabelled=NUM_TRAIN, pretrain_epochs=5, finetune_epochs=50, seed=seed, progress=False
    )


@pytest.fixture(scope="module")
def pretraining():
    return _pretraining(SEED)


def test_pretrained_network_starts_ahead_and_stays_ahead(pretraining):
    pre, rand = pretraining["pretrained"]["history"], pretraining["random"]["history"]
    assert pre.epoch[-1] == rand.epoch[-1] == 50 and not pre.diverged and not rand.diverged
    assert np.all(np.array(pre.valid_error) < np.array(rand.valid_error))
    assert pre.valid_error[-1] < rand.valid_error[-1] - 0.15
    assert pre.valid_acc[-1] > rand.valid_acc[-1] + 0.03
    assert pre.train_error[-1] < rand.train_error[-1]


@pytest.mark.parametrize("seed", [1, 2])
def test_pretraining_advantage_holds_for_other_seeds(seed):
    r = _pretraining(seed)
    pre, rand = r["pretrained"]["history"], r["random"]["history"]
    assert pre.valid_error[-1] < rand.valid_error[-1] - 0.15
    assert pre.valid_acc[-1] > rand.valid_acc[-1] + 0.03
    assert pre.train_error[-1] < rand.train_error[-1]


# ---------------------------------------------------------------- 4. tied weights


def test_notebook_tied_run_uses_the_notebook_sizes():
    assert "lab5.tied_vs_untied(num_train=NUM_TRAIN, num_epochs=AE_EPOCHS, seed=SEED)" in _notebook_text()


@pytest.mark.parametrize("seed", [SEED, 1, 2])
def test_tied_autoencoder_learns_faster_and_generalises_as_well_with_half_the_weights(seed):
    runs = lab5.tied_vs_untied(num_train=NUM_TRAIN, num_epochs=AE_EPOCHS, seed=seed, progress=False)
    tied, untied = runs["tied"], runs["untied"]
    assert (tied["num_weights"], untied["num_weights"]) == (784 * 64, 2 * 784 * 64)
    assert tied["num_params"] == 784 * 64 + 64 + 784
    gap = np.array(untied["train_errors"]) - np.array(tied["train_errors"])
    assert len(gap) == AE_EPOCHS and np.all(np.isfinite(gap))
    assert np.all(gap[:10] > 1.0)  # lower in each of the first 10 epochs, by more than 1
    assert abs(gap[-1]) < 1.0 and gap[-1] < gap[1]  # the untied one catches up
    ratio = tied["valid_error"] / untied["valid_error"]
    assert 0.9 < ratio < 1.1  # validation reconstruction within 10% of each other


# ---------------------------------------------------------------- 5. the linear autoencoder and PCA


def test_notebook_linear_run_uses_the_tested_sizes():
    text = _notebook_text()
    assert (
        "lab5.linear_autoencoder_vs_pca(code_dim=10, num_train=NUM_TRAIN, num_epochs=budget(40, 2), seed=SEED)" in text
    )


@pytest.mark.parametrize("seed", [SEED, 1])
def test_linear_autoencoder_finds_the_principal_subspace(seed):
    r = lab5.linear_autoencoder_vs_pca(code_dim=10, num_train=NUM_TRAIN, num_epochs=40, seed=seed, progress=False)
    angles = r["angles"]
    assert r["epochs"][-1] == 40 and all(len(a) == 41 for a in angles.values())
    assert all(a[0] > 80 for a in angles.values())  # nearly orthogonal at the start
    assert angles["decoder"][-1] < 5.0  # the decoder's columns span the top-10 principal subspace
    assert angles["codes"][-1] < 5.0  # the codes span the digits' top-10 principal components
    assert r["errors"][-1] < 1.005 * r["pca_error"]  # within 0.5% of PCA's optimum
    assert r["errors"][-1] >= r["pca_error"] * (1 - 1e-9)  # (and never below it: it is the optimum)
    assert angles["encoder"][-1] > 45.0  # the encoder's rows do not
    assert r["blank_pixels"] == 130  # the question's number (pixels that are 0 in every training digit)
    assert r["blank_weights_moved"] == 0.0  # weights from blank pixels never move


# ---------------------------------------------------------------- 6. supervised layer-by-layer pretraining


def test_notebook_supervised_run_uses_the_tested_sizes():
    text = _notebook_text()
    assert 'methods=("supervised",), stage_epochs=budget(20, 1), seed=SEED)' in text


def _supervised(seed):
    return lab5.pretraining_vs_random(
        num_labelled=200,
        num_unlabelled=NUM_TRAIN,
        pretrain_epochs=5,
        finetune_epochs=50,
        methods=("supervised",),
        stage_epochs=20,
        seed=seed,
        progress=False,
    )


def test_a_method_gives_the_same_result_whichever_others_run_with_it():
    sizes = dict(
        num_labelled=40,
        num_unlabelled=100,
        pretrain_epochs=1,
        finetune_epochs=2,
        stage_epochs=1,
        seed=4,
        progress=False,
    )
    alone = lab5.pretraining_vs_random(methods=("supervised",), **sizes)
    together = lab5.pretraining_vs_random(methods=("pretrained", "random", "supervised"), **sizes)
    assert alone["supervised"]["history"].valid_error == together["supervised"]["history"].valid_error
    assert set(alone) == {"labelled", "supervised"}
    with pytest.raises(ValueError, match="unknown methods"):
        lab5.pretraining_vs_random(methods=("greedy",), **sizes)


@pytest.mark.parametrize("seed", [SEED, 1, 2])
def test_supervised_pretraining_beats_random_but_not_the_autoencoders(seed, pretraining):
    others = pretraining if seed == SEED else _pretraining(seed)
    r = _supervised(seed)["supervised"]
    sup, pre, rand = r["history"], others["pretrained"]["history"], others["random"]["history"]
    assert sup.epoch[-1] == 50 and not sup.diverged
    assert len(r["stages"]) == 2 and [sum(t) for t in r["trainable"]] == [4, 4]
    first, second = r["stages"]
    assert second.valid_error[-1] > first.valid_error[-1]  # training only the new weights: worse at first
    assert sup.valid_error[-1] < rand.valid_error[-1] - 0.15
    assert sup.valid_acc[-1] > rand.valid_acc[-1] + 0.03
    assert pre.valid_error[-1] < sup.valid_error[-1]  # the autoencoders, which saw 3,000 digits, do better


# ---------------------------------------------------------------- 7. fine-tuning on a second task


def test_notebook_transfer_run_uses_the_tested_sizes():
    text = _notebook_text()
    assert "lab5.transfer_vs_random(num_labelled=budget(100, 30), first_epochs=budget(20, 1)," in text
    assert "finetune_epochs=budget(50, 2), seed=SEED)" in text


@pytest.mark.parametrize("seed", [SEED, 1, 2])
def test_fine_tuning_a_network_of_another_task_beats_random_weights(seed):
    r = lab5.transfer_vs_random(num_labelled=100, first_epochs=20, finetune_epochs=50, seed=seed, progress=False)
    assert r["first"]["num_train"] == 1500  # the notebook's "1,500 of them"
    assert r["first"]["history"].valid_acc[-1] > 0.9  # the first task (digits 0-4) is learned
    tuned, rand = r["fine-tuned"]["history"], r["random"]["history"]
    assert tuned.epoch[-1] == rand.epoch[-1] == 50 and not tuned.diverged and not rand.diverged
    assert len(r["labelled"]) == 100
    assert tuned.valid_error[-1] < rand.valid_error[-1] - 0.1
    assert tuned.train_error[-1] < rand.train_error[-1]
