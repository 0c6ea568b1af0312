"""Where the data comes from: the shipped MNIST subset and full IDX data sets on disk.

Both loaders return raw pixels: ``{"train": Split, "valid": Split, "test": Split}``
where each ``Split`` holds uint8 ``inputs`` of shape ``(N, 784)`` (28x28 images,
row-major) and uint8 ``targets`` of shape ``(N,)`` with class labels 0-9.
Conversion to floats, normalisation and one-hot targets happen in
``mlplab.data.providers``.

* ``load_mnist5k()``: 5,000 real MNIST digits shipped with mlplab, split
  3,000 / 1,000 / 1,000 (see ``mlplab/data/README.md``). Always available.
* ``load_idx_dataset("mnist" | "fashion-mnist")``: the full data sets, read
  from the standard IDX files. The validation split is the LAST ``num_valid``
  (default 10,000) images of the official training set, the training split the
  images before them (50,000 by default) and the test split the official
  10,000 test images.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import numpy as np

from mlplab.data.exceptions import DataError
from mlplab.data.idx import read_idx

SPLITS = ("train", "valid", "test")

MNIST5K_RESOURCE = "mnist5k.npz"

IDX_DATASETS = ("mnist", "fashion-mnist")

IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
"""Standard IDX file names; each may also be gzip-compressed with a ``.gz`` suffix."""

ENV_VAR = "MLPLAB_DATA_DIR"

SYSTEM_DIRS: dict[str, tuple[Path, ...]] = {
    "fashion-mnist": (Path("/usr/share/datasets/fashion-mnist"),),
}
"""Directories where operating-system packages install a data set (Debian's
``dataset-fashion-mnist`` puts the four ``.gz`` files in the one above)."""

_INSTALL_HINTS = {
    "fashion-mnist": "apt-get install dataset-fashion-mnist (installs the files in "
    "/usr/share/datasets/fashion-mnist), or ",
}

NUM_VALID = 10_000
"""Default number of images held out from the END of the official training set for validation."""


class Split(NamedTuple):
    """One split of a data set; unpacks as ``inputs, targets = split``.

    Attributes:
        inputs: uint8 array of shape ``(N, 784)``, pixel values 0-255.
        targets: uint8 array of shape ``(N,)``, class labels 0-9.
    """

    inputs: np.ndarray
    targets: np.ndarray


def load_mnist5k() -> dict[str, Split]:
    """Loads the 5,000 MNIST digits shipped with mlplab.

    Returns:
        ``{"train": Split, "valid": Split, "test": Split}`` with 3,000, 1,000 and
        1,000 examples; inputs uint8 ``(N, 784)``, targets uint8 ``(N,)``. Every
        class has 300 / 100 / 100 examples. The arrays are fresh copies on each call.

    Raises:
        DataError: if the shipped file is missing or incomplete (a broken install).
    """
    resource = resources.files(__package__).joinpath(MNIST5K_RESOURCE)
    try:
        with resource.open("rb") as f, np.load(f, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except FileNotFoundError as error:
        raise DataError(
            f"{resource}: the MNIST subset shipped with mlplab is missing; "
            "reinstall mlplab (pip install -e . in the course repository)"
        ) from error
    splits = {}
    for name in SPLITS:
        keys = (f"{name}_inputs", f"{name}_targets")
        missing = [key for key in keys if key not in arrays]
        if missing:
            raise DataError(
                f"{resource}: expected arrays {list(keys)}, missing {missing} "
                f"(found {sorted(arrays)}); reinstall mlplab"
            )
        splits[name] = Split(*(arrays[key] for key in keys))
    return splits


def find_idx_dataset(name: str, data_dir: str | os.PathLike | None = None) -> Path:
    """Finds the directory holding the four IDX files of a data set.

    Search order, first match wins:

    1. ``data_dir/name`` then ``data_dir`` itself, if ``data_dir`` is given;
    2. ``$MLPLAB_DATA_DIR/name`` then ``$MLPLAB_DATA_DIR`` itself, if set;
    3. the operating system's install directory (``SYSTEM_DIRS``), for
       Fashion-MNIST Debian's ``/usr/share/datasets/fashion-mnist``.

    A directory matches when it holds all four standard files
    (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``), each plain or
    with ``.gz``. MNIST and Fashion-MNIST use the same file names, so a
    directory holding the files directly is taken for whichever data set is
    asked for; keep both in subdirectories ``mnist/`` and ``fashion-mnist/``.

    Args:
        name: ``"mnist"`` or ``"fashion-mnist"``.
        data_dir: a directory to look in first.

    Returns:
        The directory.

    Raises:
        ValueError: if ``name`` is not a known data set.
        DataError: if no directory holds the data set; the message lists every
            place looked in, what was missing there, and how to fix it.
    """
    _check_name(name)
    looked: list[str] = []
    for directory, origin in _candidate_dirs(name, data_dir):
        missing = _missing_files(directory)
        if missing == []:
            return directory
        reason = "no such directory" if missing is None else "missing " + ", ".join(missing)
        looked.append(f"  - {directory} ({origin}): {reason}")
    if data_dir is None:
        looked.append("  - (no data_dir argument given)")
    if not os.environ.get(ENV_VAR):
        looked.append(f"  - (${ENV_VAR} is not set)")
    if name not in SYSTEM_DIRS:
        looked.append(f"  - ({name} has no system install directory)")
    wanted = ", ".join(f"{stem}[.gz]" for stem in IDX_FILES.values())
    raise DataError(
        f"data set {name!r} not found. Looked for {wanted} in:\n"
        + "\n".join(looked)
        + f"\nTo fix: {_INSTALL_HINTS.get(name, '')}put the four files of {name} in a directory "
        f"and pass data_dir=..., or set {ENV_VAR} to that directory "
        f"(or to a directory with a {name}/ subdirectory)."
    )


def load_idx_dataset(
    name: str, data_dir: str | os.PathLike | None = None, num_valid: int = NUM_VALID
) -> dict[str, Split]:
    """Loads MNIST or Fashion-MNIST from its standard IDX files.

    Args:
        name: ``"mnist"`` or ``"fashion-mnist"``.
        data_dir: a directory to look in first; see ``find_idx_dataset`` for
            the full search order (``$MLPLAB_DATA_DIR``, then system directories).
        num_valid: how many images at the END of the official training set
            form the validation split; the training split is the images before them.

    Returns:
        ``{"train": Split, "valid": Split, "test": Split}``; for the official
        files 50,000 / 10,000 / 10,000 examples with inputs uint8 ``(N, 784)``
        and targets uint8 ``(N,)``. ``train`` and ``valid`` are views of one array.

    Raises:
        ValueError: for an unknown ``name`` or a ``num_valid`` that leaves no
            training or no validation examples.
        DataError: if the data set is not found, a file is corrupt, image and
            label counts disagree, images are not 28x28, or labels are not 0-9.
    """
    directory = find_idx_dataset(name, data_dir)
    files = {key: _existing_file(directory, stem) for key, stem in IDX_FILES.items()}
    train = _read_pair(files["train_images"], files["train_labels"])
    test = _read_pair(files["test_images"], files["test_labels"])
    _check_identity(name, directory, train.targets)
    num_train = train.inputs.shape[0]
    if not 0 < num_valid < num_train:
        raise ValueError(
            f"num_valid must be between 1 and {num_train - 1} (the official training set of "
            f"{name} in {directory} has {num_train} images), got {num_valid}"
        )
    cut = num_train - num_valid
    return {
        "train": Split(train.inputs[:cut], train.targets[:cut]),
        "valid": Split(train.inputs[cut:], train.targets[cut:]),
        "test": test,
    }


def _check_name(name: str) -> None:
    if name not in IDX_DATASETS:
        raise ValueError(f"unknown IDX data set {name!r}: expected one of {list(IDX_DATASETS)}")


def _candidate_dirs(name: str, data_dir: str | os.PathLike | None) -> list[tuple[Path, str]]:
    candidates: list[tuple[Path, str]] = []
    if data_dir is not None:
        base = Path(data_dir).expanduser()
        candidates += [(base / name, "data_dir argument"), (base, "data_dir argument")]
    env = os.environ.get(ENV_VAR)
    if env:
        base = Path(env).expanduser()
        candidates += [(base / name, f"${ENV_VAR}/{name}"), (base, f"${ENV_VAR}")]
    for system_dir in SYSTEM_DIRS.get(name, ()):
        candidates.append((Path(system_dir), "system install directory"))
    return candidates


def _missing_files(directory: Path) -> list[str] | None:
    """Names of the standard files ``directory`` lacks; None if it is not a directory."""
    if not directory.is_dir():
        return None
    return [f"{stem}[.gz]" for stem in IDX_FILES.values() if _existing_file(directory, stem) is None]


def _existing_file(directory: Path, stem: str) -> Path | None:
    """``directory/stem`` if it is a file, else ``directory/stem.gz`` if that is, else None."""
    for candidate in (directory / stem, directory / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _read_pair(images_path: Path, labels_path: Path) -> Split:
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3:
        raise DataError(f"{images_path}: expected IDX images (N, rows, cols), found labels of shape {images.shape}")
    if labels.ndim != 1:
        raise DataError(f"{labels_path}: expected IDX labels (N,), found images of shape {labels.shape}")
    if images.shape[1:] != (28, 28):
        raise DataError(f"{images_path}: expected 28x28 images, found {images.shape[1]}x{images.shape[2]}")
    if images.shape[0] != labels.shape[0]:
        raise DataError(
            f"{labels_path}: expected {images.shape[0]} labels to match the images in "
            f"{images_path.name}, found {labels.shape[0]}"
        )
    if labels.size and labels.max() > 9:
        raise DataError(f"{labels_path}: expected labels 0-9, found {int(labels.max())}")
    return Split(images.reshape(images.shape[0], -1), labels)


def _check_identity(name: str, directory: Path, train_labels: np.ndarray) -> None:
    """Tells MNIST from Fashion-MNIST files, which share their names, by their label counts.

    Fashion-MNIST's 60,000 training images are exactly 6,000 per class; MNIST's
    are not. Files of other sizes (e.g. small test files) are not checked.
    """
    if train_labels.shape[0] != 60_000:
        return
    balanced = bool(np.all(np.bincount(train_labels, minlength=10) == 6_000))
    if balanced != (name == "fashion-mnist"):
        found = "fashion-mnist" if balanced else "mnist"
        counts = "are exactly" if balanced else "are not"
        raise DataError(
            f"{directory}: expected the files of {name}, but its 60,000 training labels "
            f"{counts} 6,000 per class, so they are {found} (the two share their file names); "
            "keep the two data sets in separate subdirectories named mnist/ and fashion-mnist/"
        )
