"""Tests of mlplab.data: the shipped MNIST subset, IDX files, data set search and providers."""

from __future__ import annotations

import gzip
import hashlib
import re
import struct
from pathlib import Path

import numpy as np
import pytest

import mlplab.data.sources as sources
from mlplab.data import (
    DataError,
    MinibatchProvider,
    Split,
    find_idx_dataset,
    fit_normalisation,
    idx_providers,
    load_idx_dataset,
    load_mnist5k,
    mnist5k_providers,
    providers_from_splits,
    read_idx,
    take_subset,
)

DATA_DIR = Path(sources.__file__).parent
DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")


# ---------------------------------------------------------------- helpers


def idx_bytes(array: np.ndarray, magic: int | None = None) -> bytes:
    """The IDX encoding of a uint8 array (magic 0x00000800 + ndim unless given)."""
    array = np.asarray(array, dtype=np.uint8)
    magic = 0x800 | array.ndim if magic is None else magic
    return struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def write_idx(path: Path, array: np.ndarray, magic: int | None = None) -> Path:
    data = idx_bytes(array, magic)
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


def write_fake_dataset(
    directory: Path, rng: np.random.Generator, num_train: int = 30, num_test: int = 10, gz: bool = True
) -> dict[str, np.ndarray]:
    """Writes the four standard IDX files of a tiny random 28x28 data set."""
    directory.mkdir(parents=True, exist_ok=True)
    suffix = ".gz" if gz else ""
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, size=(num_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, size=num_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, size=(num_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, size=num_test, dtype=np.uint8),
    }
    for stem, array in arrays.items():
        write_idx(directory / f"{stem}{suffix}", array)
    return arrays


@pytest.fixture
def no_env(monkeypatch):
    """No MLPLAB_DATA_DIR and no system directories: only what a test passes is searched."""
    monkeypatch.delenv(sources.ENV_VAR, raising=False)
    monkeypatch.setattr(sources, "SYSTEM_DIRS", {})


# ---------------------------------------------------------------- shipped subset


def test_mnist5k_shapes_dtypes_and_classes():
    splits = load_mnist5k()
    assert set(splits) == {"train", "valid", "test"}
    for name, size in {"train": 3000, "valid": 1000, "test": 1000}.items():
        inputs, targets = splits[name]
        assert inputs.shape == (size, 784) and inputs.dtype == np.uint8
        assert targets.shape == (size,) and targets.dtype == np.uint8
        assert targets.min() == 0 and targets.max() == 9
        assert set(np.unique(targets).tolist()) == set(range(10)), name
        assert inputs.max() == 255 and inputs.min() == 0
    # The three splits hold different images.
    rows = np.concatenate([splits[name].inputs for name in ("train", "valid", "test")])
    assert np.unique(rows, axis=0).shape[0] == 5000


def test_mnist5k_returns_fresh_arrays():
    first = load_mnist5k()
    first["train"].inputs[:] = 0
    assert load_mnist5k()["train"].inputs.any()


def test_mnist5k_sha256_matches_readme():
    readme = (DATA_DIR / "README.md").read_text(encoding="utf-8")
    match = re.search(r"sha256 of `mnist5k\.npz`: `([0-9a-f]{64})`", readme)
    assert match, "mlplab/data/README.md must record the sha256 of mnist5k.npz"
    digest = hashlib.sha256((DATA_DIR / "mnist5k.npz").read_bytes()).hexdigest()
    assert digest == match.group(1), "mnist5k.npz changed: rebuild it or update the README"


# ---------------------------------------------------------------- IDX files


@pytest.mark.parametrize("name", ["images-idx3-ubyte", "images-idx3-ubyte.gz"])
def test_read_idx_round_trip_images(tmp_path, name):
    images = np.random.default_rng(0).integers(0, 256, size=(7, 5, 3), dtype=np.uint8)
    result = read_idx(write_idx(tmp_path / name, images))
    assert result.dtype == np.uint8 and result.shape == (7, 5, 3)
    np.testing.assert_array_equal(result, images)
    assert result.flags.writeable


@pytest.mark.parametrize("name", ["labels-idx1-ubyte", "labels-idx1-ubyte.gz"])
def test_read_idx_round_trip_labels(tmp_path, name):
    labels = np.arange(13, dtype=np.uint8) % 10
    result = read_idx(write_idx(tmp_path / name, labels))
    assert result.shape == (13,) and result.dtype == np.uint8
    np.testing.assert_array_equal(result, labels)


def test_read_idx_empty_file_set(tmp_path):
    assert read_idx(write_idx(tmp_path / "empty", np.zeros((0, 28, 28)))).shape == (0, 28, 28)


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_read_idx_truncated(tmp_path, suffix):
    data = struct.pack(">IIII", 0x803, 60000, 28, 28) + bytes(984)
    path = tmp_path / f"train-images-idx3-ubyte{suffix}"
    path.write_bytes(gzip.compress(data) if suffix else data)
    with pytest.raises(DataError) as info:
        read_idx(path)
    message = str(info.value)
    assert str(path) in message
    assert "expected 47040016" in message and "60000 images of 28x28" in message
    assert "found 1000" in message and "0x00000803" in message


def test_read_idx_trailing_bytes(tmp_path):
    path = tmp_path / "labels"
    path.write_bytes(idx_bytes(np.zeros(4)) + b"extra")
    with pytest.raises(DataError, match=r"expected 12 bytes for 4 labels, found 17"):
        read_idx(path)


@pytest.mark.parametrize("data", [b"", b"\x00\x00", struct.pack(">II", 0x803, 5)])
def test_read_idx_short_header(tmp_path, data):
    path = tmp_path / "short-idx3-ubyte"
    path.write_bytes(data)
    with pytest.raises(DataError, match=re.escape(str(path))):
        read_idx(path)


def test_read_idx_wrong_magic(tmp_path):
    path = write_idx(tmp_path / "floats-idx1-ubyte", np.zeros(3), magic=0x0D01)
    with pytest.raises(DataError) as info:
        read_idx(path)
    assert str(path) in str(info.value) and "0x00000d01" in str(info.value)
    assert "0x00000803" in str(info.value) and "0x00000801" in str(info.value)


def test_read_idx_corrupt_gzip(tmp_path):
    payload = np.random.default_rng(1).integers(0, 256, size=(50, 28, 28), dtype=np.uint8)
    compressed = gzip.compress(idx_bytes(payload))
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(compressed[: len(compressed) // 2])
    with pytest.raises(DataError, match=re.escape(str(path))):
        read_idx(path)
    path.write_bytes(b"\x1f\x8b" + bytes(30))
    with pytest.raises(DataError, match="gzip"):
        read_idx(path)


# ---------------------------------------------------------------- finding IDX data sets


def test_missing_directory_lists_places_and_fix(tmp_path, no_env):
    missing = tmp_path / "nowhere"
    with pytest.raises(DataError) as info:
        load_idx_dataset("mnist", data_dir=missing)
    message = str(info.value)
    assert str(missing) in message and str(missing / "mnist") in message
    assert "train-images-idx3-ubyte" in message and "t10k-labels-idx1-ubyte" in message
    assert "MLPLAB_DATA_DIR" in message


def test_missing_file_is_named(tmp_path, no_env):
    write_fake_dataset(tmp_path, np.random.default_rng(0))
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match=r"missing t10k-labels-idx1-ubyte\[\.gz\]"):
        load_idx_dataset("mnist", data_dir=tmp_path)


def test_missing_fashion_mnist_suggests_apt_and_lists_system_dir(tmp_path, monkeypatch):
    monkeypatch.delenv(sources.ENV_VAR, raising=False)
    monkeypatch.setattr(sources, "SYSTEM_DIRS", {"fashion-mnist": (tmp_path / "system",)})
    with pytest.raises(DataError) as info:
        load_idx_dataset("fashion-mnist")
    assert "apt-get install dataset-fashion-mnist" in str(info.value)
    assert str(tmp_path / "system") in str(info.value)


def test_unknown_name():
    with pytest.raises(ValueError, match="fashion-mnist"):
        load_idx_dataset("cifar10")


@pytest.mark.parametrize("gz", [True, False])
def test_load_from_data_dir_and_split(tmp_path, no_env, gz):
    arrays = write_fake_dataset(tmp_path, np.random.default_rng(0), num_train=30, num_test=10, gz=gz)
    splits = load_idx_dataset("mnist", data_dir=tmp_path, num_valid=8)
    train_images = arrays["train-images-idx3-ubyte"].reshape(30, 784)
    train_labels = arrays["train-labels-idx1-ubyte"]
    np.testing.assert_array_equal(splits["train"].inputs, train_images[:22])
    np.testing.assert_array_equal(splits["valid"].inputs, train_images[22:])
    np.testing.assert_array_equal(splits["valid"].targets, train_labels[22:])
    np.testing.assert_array_equal(splits["test"].targets, arrays["t10k-labels-idx1-ubyte"])
    assert splits["test"].inputs.shape == (10, 784) and splits["test"].inputs.dtype == np.uint8


@pytest.mark.parametrize("layout", ["itself", "subdirectory"])
def test_env_var(tmp_path, monkeypatch, no_env, layout):
    directory = tmp_path if layout == "itself" else tmp_path / "fashion-mnist"
    arrays = write_fake_dataset(directory, np.random.default_rng(3))
    monkeypatch.setenv("MLPLAB_DATA_DIR", str(tmp_path))
    assert find_idx_dataset("fashion-mnist") == directory
    splits = load_idx_dataset("fashion-mnist", num_valid=5)
    np.testing.assert_array_equal(splits["test"].targets, arrays["t10k-labels-idx1-ubyte"])


def test_data_dir_comes_before_env_var(tmp_path, monkeypatch, no_env):
    write_fake_dataset(tmp_path / "env", np.random.default_rng(1))
    write_fake_dataset(tmp_path / "explicit", np.random.default_rng(2))
    monkeypatch.setenv("MLPLAB_DATA_DIR", str(tmp_path / "env"))
    assert find_idx_dataset("mnist", tmp_path / "explicit") == tmp_path / "explicit"
    assert find_idx_dataset("mnist") == tmp_path / "env"


def test_label_count_mismatch(tmp_path, no_env):
    write_fake_dataset(tmp_path, np.random.default_rng(0))
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(29))
    with pytest.raises(DataError, match="expected 30 labels"):
        load_idx_dataset("mnist", data_dir=tmp_path)


# ---------------------------------------------------------------- providers


def make_provider(n=23, batch_size=5, seed=0, **kwargs):
    inputs = np.arange(n * 4, dtype=np.uint8).reshape(n, 4)
    targets = np.arange(n) % 10
    return MinibatchProvider(inputs, targets, batch_size, rng=np.random.default_rng(seed), **kwargs)


def epoch_order(provider):
    """Row ids of one epoch, in order (row i of make_provider's inputs starts with 4 * i)."""
    return np.concatenate([inputs[:, 0] / 4 for inputs, _ in provider]).astype(int)


def test_epoch_covers_every_example_once_with_partial_last_batch():
    provider = make_provider(n=23, batch_size=5)
    assert provider.num_examples == 23 and provider.num_batches == 5 == len(provider)
    for _ in range(3):
        sizes = [inputs.shape[0] for inputs, _ in provider]
        assert sizes == [5, 5, 5, 5, 3]
        order = epoch_order(provider)
        assert sorted(order) == list(range(23))


def test_unshuffled_provider_keeps_order():
    provider = MinibatchProvider(np.zeros((7, 2)), np.zeros(7, int), 3, shuffle=False)
    batches = list(provider)
    assert [inputs.shape for inputs, _ in batches] == [(3, 2), (3, 2), (1, 2)]


def test_shuffling_depends_only_on_the_injected_rng():
    np.random.seed(1)
    first = epoch_order(make_provider(seed=7))
    np.random.seed(2)
    same = epoch_order(make_provider(seed=7))
    other = epoch_order(make_provider(seed=8))
    np.testing.assert_array_equal(first, same)
    assert not np.array_equal(first, other)
    provider = make_provider(seed=7)
    assert not np.array_equal(epoch_order(provider), epoch_order(provider)), "each epoch reshuffles"


@pytest.mark.parametrize("rng", [None, 0, np.random.RandomState(0)])
def test_shuffle_needs_a_generator(rng):
    with pytest.raises(TypeError, match="Generator"):
        MinibatchProvider(np.zeros((4, 2)), np.zeros(4, int), 2, rng=rng)


def test_one_hot_targets_and_dtype():
    provider = make_provider(n=12, batch_size=4)
    for inputs, targets in provider:
        assert inputs.dtype == np.float32 and targets.dtype == np.float32
        assert targets.shape == (4, 10)
        labels = (inputs[:, 0] / 4).astype(int) % 10
        np.testing.assert_array_equal(targets, np.eye(10, dtype=np.float32)[labels])
    _, labels = next(iter(make_provider(one_hot=False)))
    assert labels.dtype == np.int64 and labels.shape == (5,)
    inputs, targets = next(iter(make_provider(dtype=np.float64)))
    assert inputs.dtype == targets.dtype == np.float64


def test_max_batches_and_batches_are_copies():
    provider = make_provider(n=23, batch_size=5, max_batches=2)
    assert len(provider) == 2 and len(list(provider)) == 2
    unshuffled = MinibatchProvider(np.ones((4, 2)), np.zeros(4, int), 2, shuffle=False)
    next(iter(unshuffled))[0][:] = 0
    assert unshuffled.inputs.all()


def test_provider_rejects_bad_arguments():
    with pytest.raises(ValueError, match="targets"):
        MinibatchProvider(np.zeros((4, 2)), np.zeros(3, int), 2, shuffle=False)
    with pytest.raises(ValueError, match=r"\[0, 10\)"):
        MinibatchProvider(np.zeros((4, 2)), np.array([0, 1, 2, 10]), 2, shuffle=False)
    with pytest.raises(ValueError, match="batch_size"):
        MinibatchProvider(np.zeros((4, 2)), np.zeros(4, int), 0, shuffle=False)


def test_mnist5k_providers_scale():
    train, valid, test = mnist5k_providers(batch_size=100, rng=np.random.default_rng(0))
    assert (train.num_examples, valid.num_examples, test.num_examples) == (3000, 1000, 1000)
    inputs, targets = next(iter(train))
    assert inputs.shape == (100, 784) and inputs.dtype == np.float32 and targets.shape == (100, 10)
    assert 0.0 <= inputs.min() and inputs.max() <= 1.0
    raw = load_mnist5k()
    np.testing.assert_allclose(next(iter(valid))[0], raw["valid"].inputs[:100] / 255.0, rtol=1e-6)
    assert not valid.shuffle and not test.shuffle


def test_standardisation_uses_training_statistics_only():
    splits = load_mnist5k()
    normaliser = fit_normalisation(splits["train"].inputs, "standardise")
    train_float = splits["train"].inputs.astype(np.float64)
    np.testing.assert_allclose(normaliser.mean, train_float.mean(axis=0))
    np.testing.assert_allclose(normaliser.std, (train_float - train_float.mean(axis=0)).std())
    standardised = normaliser(splits["train"].inputs, np.float64)
    assert abs(standardised.mean()) < 1e-9 and abs(standardised.std() - 1) < 1e-9
    # MNIST's corner pixel is 0 in every training image: it maps to 0, not nan or inf.
    assert np.all(standardised[:, 0] == 0)

    def first_train_batch(test_inputs):
        changed = dict(splits, test=Split(test_inputs, splits["test"].targets))
        train, _, test = providers_from_splits(changed, 50, np.random.default_rng(5), "standardise")
        return next(iter(train))[0], next(iter(test))[0]

    train_a, test_a = first_train_batch(splits["test"].inputs)
    train_b, test_b = first_train_batch(np.full_like(splits["test"].inputs, 255))
    np.testing.assert_array_equal(train_a, train_b)
    assert not np.allclose(test_a, test_b)
    expected = (255 - normaliser.mean) / normaliser.std
    np.testing.assert_allclose(test_b[0], expected.astype(np.float32), rtol=1e-5)


def test_standardise_constant_training_data_does_not_divide_by_zero():
    normaliser = fit_normalisation(np.full((5, 3), 7, dtype=np.uint8), "standardise")
    assert normaliser.std == 1.0
    np.testing.assert_array_equal(normaliser(np.array([[7, 8, 9]])), [[0, 1, 2]])


def test_normalisation_none_and_unknown():
    train, _, _ = mnist5k_providers(10, rng=np.random.default_rng(0), normalise=None)
    assert next(iter(train))[0].max() > 1
    with pytest.raises(ValueError, match="standardise"):
        fit_normalisation(np.zeros((2, 2)), "whiten")


def test_take_subset():
    inputs, targets = np.arange(40).reshape(20, 2), np.arange(20)
    subset = take_subset(inputs, targets, 6, np.random.default_rng(0))
    assert subset.inputs.shape == (6, 2) and subset.targets.shape == (6,)
    np.testing.assert_array_equal(subset.inputs[:, 0] // 2, subset.targets)
    assert len(set(subset.targets.tolist())) == 6
    again = take_subset(inputs, targets, 6, np.random.default_rng(0))
    np.testing.assert_array_equal(subset.targets, again.targets)
    with pytest.raises(ValueError, match="at most the 20"):
        take_subset(inputs, targets, 21, np.random.default_rng(0))
    with pytest.raises(TypeError, match="Generator"):
        take_subset(inputs, targets, 2, 0)


def test_idx_providers_on_fake_files(tmp_path, no_env):
    write_fake_dataset(tmp_path, np.random.default_rng(0), num_train=30, num_test=10)
    train, valid, test = idx_providers("mnist", 4, np.random.default_rng(0), data_dir=tmp_path, num_valid=10)
    assert (train.num_examples, valid.num_examples, test.num_examples) == (20, 10, 10)
    assert next(iter(train))[0].shape == (4, 784)


# ---------------------------------------------------------------- the real Fashion-MNIST


def test_debian_fashion_mnist(monkeypatch):
    if not DEBIAN_FASHION.is_dir():
        pytest.skip(f"{DEBIAN_FASHION} not found: apt-get install dataset-fashion-mnist to run this test")
    monkeypatch.delenv(sources.ENV_VAR, raising=False)
    splits = load_idx_dataset("fashion-mnist")
    sizes = {name: split.inputs.shape[0] for name, split in splits.items()}
    assert sizes == {"train": 50_000, "valid": 10_000, "test": 10_000}
    for split in splits.values():
        assert split.inputs.shape[1:] == (784,) and split.inputs.dtype == np.uint8
        assert split.targets.dtype == np.uint8 and set(np.unique(split.targets)) == set(range(10))
    official = read_idx(DEBIAN_FASHION / "train-labels-idx1-ubyte.gz")
    assert official.shape == (60_000,)
    assert read_idx(DEBIAN_FASHION / "t10k-labels-idx1-ubyte.gz").shape == (10_000,)
    np.testing.assert_array_equal(splits["valid"].targets, official[50_000:])
    # MNIST and Fashion-MNIST share file names; the label counts tell them apart.
    with pytest.raises(DataError, match="fashion-mnist"):
        load_idx_dataset("mnist", data_dir=DEBIAN_FASHION)
