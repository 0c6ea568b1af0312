"""Turning raw uint8 splits into minibatches for training: normalisation, one-hot targets, shuffling.

Typical use::

    rng = np.random.default_rng(42)
    train, valid, test = mnist5k_providers(batch_size=50, rng=rng, normalise="standardise")
    for epoch in range(10):
        for inputs, targets in train:      # inputs (50, 784) float32, targets (50, 10) one-hot
            ...

All randomness (the order of each training epoch, subsets) comes from an
injected ``np.random.Generator``; nothing here touches numpy's global random state.
"""

from __future__ import annotations

import math
import operator
import os
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mlplab.data.sources import Split, load_idx_dataset, load_mnist5k

NORMALISATIONS = ("scale", "standardise", None)

_CHUNK_ROWS = 8192


def _check_generator(rng: object, what: str) -> None:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{what} must be a numpy Generator, e.g. rng=np.random.default_rng(0), got {type(rng).__name__}"
        )


class MinibatchProvider:
    """Iterates over a data set in minibatches; each ``for`` loop over it is one epoch.

    Every epoch visits each example exactly once (unless ``max_batches`` cuts
    it short), in a fresh random order drawn from ``rng`` when ``shuffle`` is
    True and in the stored order otherwise. The last batch of an epoch is
    KEPT even if it is partial: with 3,000 examples and ``batch_size=128`` an
    epoch is 23 batches of 128 and one of 56. Code that averages over a batch
    must therefore use the batch's own size, not ``batch_size``.

    Each batch is a fresh array, so changing it in place does not change the data set.

    Args:
        inputs: array of shape ``(N, ...)``, e.g. ``(N, 784)``; converted once to ``dtype``
            (no copy if it already has that dtype).
        targets: integer class labels of shape ``(N,)`` with values in ``[0, num_classes)``.
        batch_size: examples per batch, at least 1.
        rng: the Generator that shuffles each epoch; required if ``shuffle`` is True.
        shuffle: draw a new order every epoch.
        num_classes: number of classes, the width of one-hot targets.
        one_hot: yield targets as one-hot rows of ``dtype``, shape ``(B, num_classes)``;
            if False, as int64 labels of shape ``(B,)``.
        dtype: floating dtype of the yielded inputs (and one-hot targets).
        max_batches: stop each epoch after this many batches (None: the whole epoch).

    Raises:
        TypeError: if ``shuffle`` is True and ``rng`` is not a ``np.random.Generator``,
            or ``dtype`` is not a floating type.
        ValueError: if shapes disagree, labels are out of range, or a size is not positive.
    """

    def __init__(
        self,
        inputs: np.ndarray,
        targets: np.ndarray,
        batch_size: int,
        rng: np.random.Generator | None = None,
        shuffle: bool = True,
        num_classes: int = 10,
        one_hot: bool = True,
        dtype: npt.DTypeLike = np.float32,
        max_batches: int | None = None,
    ) -> None:
        self.dtype = np.dtype(dtype)
        if self.dtype.kind != "f":
            raise TypeError(f"dtype must be a floating type such as np.float32, got {self.dtype}")
        if shuffle:
            _check_generator(rng, "rng (needed because shuffle=True)")
        elif rng is not None:
            _check_generator(rng, "rng")
        self.batch_size = _positive_int(batch_size, "batch_size")
        self.num_classes = _positive_int(num_classes, "num_classes")
        self.max_batches = None if max_batches is None else _positive_int(max_batches, "max_batches")
        self.rng, self.shuffle, self.one_hot = rng, bool(shuffle), bool(one_hot)

        self.inputs = np.asarray(inputs, dtype=self.dtype)
        targets = np.asarray(targets)
        if self.inputs.ndim < 1 or self.inputs.shape[0] == 0:
            raise ValueError(f"inputs must have shape (N, ...) with N >= 1, got {self.inputs.shape}")
        if targets.shape != self.inputs.shape[:1]:
            raise ValueError(
                f"targets must be class labels of shape ({self.inputs.shape[0]},) to match "
                f"inputs of shape {self.inputs.shape}, got shape {targets.shape}"
            )
        if targets.dtype.kind not in "iu":
            raise ValueError(f"targets must be integer class labels, got dtype {targets.dtype}")
        if targets.min() < 0 or targets.max() >= self.num_classes:
            raise ValueError(
                f"targets must lie in [0, {self.num_classes}) for num_classes={self.num_classes}, "
                f"found {int(targets.min())}..{int(targets.max())}"
            )
        self.targets = targets.astype(np.int64)
        self._eye = np.eye(self.num_classes, dtype=self.dtype)

    @property
    def num_examples(self) -> int:
        """Number of examples ``N`` in the data set."""
        return self.inputs.shape[0]

    @property
    def num_batches(self) -> int:
        """Batches per epoch: ``ceil(N / batch_size)``, capped at ``max_batches``."""
        full = math.ceil(self.num_examples / self.batch_size)
        return full if self.max_batches is None else min(full, self.max_batches)

    def __len__(self) -> int:
        return self.num_batches

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """One epoch of ``(inputs_batch, targets_batch)`` pairs.

        Yields:
            inputs_batch: ``(B, ...)`` of ``dtype``.
            targets_batch: ``(B, num_classes)`` of ``dtype`` if ``one_hot``, else int64 ``(B,)``.
        """
        order = self.rng.permutation(self.num_examples) if self.shuffle else None
        for start in range(0, self.num_batches * self.batch_size, self.batch_size):
            if order is None:
                index = slice(start, start + self.batch_size)
                inputs, labels = self.inputs[index].copy(), self.targets[index].copy()
            else:
                index = order[start : start + self.batch_size]
                inputs, labels = self.inputs[index], self.targets[index]
            yield inputs, (self._eye[labels] if self.one_hot else labels)

    def __repr__(self) -> str:
        return (
            f"MinibatchProvider(num_examples={self.num_examples}, batch_size={self.batch_size}, "
            f"num_batches={self.num_batches}, shuffle={self.shuffle}, one_hot={self.one_hot}, "
            f"dtype={self.dtype})"
        )


@dataclass(frozen=True, eq=False)
class Normaliser:
    """An affine input normalisation ``(inputs - mean) / std`` fitted on training data.

    Attributes:
        method: ``"scale"``, ``"standardise"`` or None (identity).
        mean: float64, shape ``()`` for ``"scale"`` and None (value 0) or the
            per-feature training mean of shape ``(D,)`` for ``"standardise"``.
        std: a positive float: 255 for ``"scale"``, 1 for None, the global
            standard deviation of the mean-centred training inputs for ``"standardise"``.
    """

    method: str | None
    mean: np.ndarray
    std: float

    def __call__(self, inputs: np.ndarray, dtype: npt.DTypeLike = np.float32) -> np.ndarray:
        """Normalises inputs (training, validation or test) with the fitted statistics.

        Args:
            inputs: array of shape ``(N, D)`` (any numeric dtype, e.g. uint8 pixels).
            dtype: floating dtype of the result.

        Returns:
            A new array of shape ``(N, D)`` and dtype ``dtype``.

        Raises:
            ValueError: if the feature shape differs from the training inputs'.
        """
        inputs = np.asarray(inputs)
        if self.mean.ndim and inputs.shape[1:] != self.mean.shape:
            raise ValueError(
                f"inputs must have shape (N, {', '.join(map(str, self.mean.shape))}) like the "
                f"training inputs the normaliser was fitted on, got {inputs.shape}"
            )
        out = inputs.astype(dtype)  # always a copy
        out -= self.mean.astype(dtype)
        out /= np.asarray(self.std, dtype=dtype)
        return out


def fit_normalisation(train_inputs: np.ndarray, method: str | None = "standardise") -> Normaliser:
    """Fits an input normalisation on TRAINING inputs only; apply it to every split.

    Methods:
        ``"scale"``: divide by 255 (pixels to [0, 1]); uses no statistics.
        ``"standardise"``: subtract the per-pixel training mean and divide by ONE
            global standard deviation, that of all mean-centred training pixels
            (so the training inputs have mean 0 and overall variance 1). A pixel
            that is constant in training (MNIST's border pixels are always 0)
            becomes 0 after the subtraction and is never divided by its own zero
            spread, so rare non-zero values there in valid/test data stay small.
            If all training inputs are one constant, the std is taken as 1.
        None: the identity (mean 0, std 1).

    Args:
        train_inputs: array of shape ``(N, D)``, ``N >= 1``; only this is used.
        method: one of ``"scale"``, ``"standardise"``, None.

    Returns:
        The fitted ``Normaliser``; call it on inputs of any split.

    Raises:
        ValueError: for an unknown method or empty inputs.
    """
    if method not in NORMALISATIONS:
        raise ValueError(f"normalisation must be one of {list(NORMALISATIONS)}, got {method!r}")
    if method is None:
        return Normaliser(None, np.zeros(()), 1.0)
    if method == "scale":
        return Normaliser("scale", np.zeros(()), 255.0)
    train_inputs = np.asarray(train_inputs)
    if train_inputs.ndim != 2 or train_inputs.shape[0] == 0:
        raise ValueError(f"train_inputs must have shape (N, D) with N >= 1, got {train_inputs.shape}")
    num = train_inputs.shape[0]
    mean = np.sum(train_inputs, axis=0, dtype=np.float64) / num
    squares = 0.0
    for start in range(0, num, _CHUNK_ROWS):
        centred = train_inputs[start : start + _CHUNK_ROWS].astype(np.float64) - mean
        squares += float(np.einsum("ij,ij->", centred, centred))
    std = math.sqrt(squares / train_inputs.size)
    return Normaliser("standardise", mean, std if std > 0 else 1.0)


def take_subset(inputs: np.ndarray, targets: np.ndarray, n: int, rng: np.random.Generator) -> Split:
    """Draws ``n`` examples without replacement, e.g. a small training set to overfit.

    Args:
        inputs: array of shape ``(N, ...)``.
        targets: array of shape ``(N,)``.
        n: subset size, ``1 <= n <= N``.
        rng: the Generator that picks the examples.

    Returns:
        ``Split(inputs, targets)`` of shapes ``(n, ...)`` and ``(n,)``: copies, in random order.

    Raises:
        TypeError: if ``rng`` is not a ``np.random.Generator``.
        ValueError: if shapes disagree or ``n`` is out of range.
    """
    _check_generator(rng, "rng")
    inputs, targets = np.asarray(inputs), np.asarray(targets)
    if inputs.ndim < 1 or targets.shape != inputs.shape[:1]:
        raise ValueError(
            f"targets of shape (N,) must match inputs of shape (N, ...), "
            f"got inputs {inputs.shape} and targets {targets.shape}"
        )
    n = _positive_int(n, "n")
    if n > inputs.shape[0]:
        raise ValueError(f"n must be at most the {inputs.shape[0]} examples available, got {n}")
    index = rng.choice(inputs.shape[0], size=n, replace=False)
    return Split(inputs[index], targets[index])


def providers_from_splits(
    splits: dict[str, Split],
    batch_size: int,
    rng: np.random.Generator | None,
    normalise: str | None = "scale",
    dtype: npt.DTypeLike = np.float32,
    *,
    shuffle: bool = True,
    one_hot: bool = True,
    num_classes: int = 10,
    max_batches: int | None = None,
) -> tuple[MinibatchProvider, MinibatchProvider, MinibatchProvider]:
    """Builds train/valid/test providers, normalised with statistics of ``splits["train"]`` only.

    Args:
        splits: ``{"train": Split, "valid": Split, "test": Split}`` of raw inputs ``(N, D)``
            and labels ``(N,)``, as returned by the loaders in ``mlplab.data.sources``.
        batch_size: examples per batch, for all three providers.
        rng: shuffles the training provider each epoch (required if ``shuffle``).
        normalise: ``"scale"``, ``"standardise"`` or None; see ``fit_normalisation``.
        dtype: floating dtype of inputs and one-hot targets.
        shuffle: shuffle the training provider; valid and test are never shuffled.
        one_hot: one-hot targets (else int64 labels).
        num_classes: number of classes.
        max_batches: cap on batches per epoch of the TRAINING provider only.

    Returns:
        ``(train, valid, test)`` providers.
    """
    missing = [name for name in ("train", "valid", "test") if name not in splits]
    if missing:
        raise ValueError(f"splits must have keys 'train', 'valid', 'test', missing {missing}")
    normaliser = fit_normalisation(splits["train"].inputs, normalise)
    common = dict(batch_size=batch_size, num_classes=num_classes, one_hot=one_hot, dtype=dtype)
    train = MinibatchProvider(
        normaliser(splits["train"].inputs, dtype),
        splits["train"].targets,
        rng=rng,
        shuffle=shuffle,
        max_batches=max_batches,
        **common,
    )
    valid, test = (
        MinibatchProvider(normaliser(splits[name].inputs, dtype), splits[name].targets, shuffle=False, **common)
        for name in ("valid", "test")
    )
    return train, valid, test


def mnist5k_providers(
    batch_size: int = 50,
    rng: np.random.Generator | None = None,
    normalise: str | None = "scale",
    dtype: npt.DTypeLike = np.float32,
    **options,
) -> tuple[MinibatchProvider, MinibatchProvider, MinibatchProvider]:
    """Providers over the shipped 5,000 MNIST digits: 3,000 train, 1,000 valid, 1,000 test.

    Args:
        batch_size: examples per batch.
        rng: shuffles the training provider; required unless ``shuffle=False`` is passed.
        normalise: ``"scale"`` (divide by 255), ``"standardise"`` (training statistics) or None.
        dtype: floating dtype of inputs and one-hot targets.
        **options: ``shuffle``, ``one_hot``, ``num_classes``, ``max_batches``;
            see ``providers_from_splits``.

    Returns:
        ``(train, valid, test)`` providers yielding inputs ``(B, 784)``.
    """
    return providers_from_splits(load_mnist5k(), batch_size, rng, normalise, dtype, **options)


def idx_providers(
    name: str,
    batch_size: int,
    rng: np.random.Generator | None,
    data_dir: str | os.PathLike | None = None,
    normalise: str | None = "scale",
    dtype: npt.DTypeLike = np.float32,
    num_valid: int = 10_000,
    **options,
) -> tuple[MinibatchProvider, MinibatchProvider, MinibatchProvider]:
    """Providers over full MNIST or Fashion-MNIST: 50,000 train, 10,000 valid, 10,000 test.

    Args:
        name: ``"mnist"`` or ``"fashion-mnist"``.
        batch_size: examples per batch.
        rng: shuffles the training provider; may be None only with ``shuffle=False``.
        data_dir: a directory to look in first; see ``mlplab.data.sources.find_idx_dataset``.
        normalise: ``"scale"``, ``"standardise"`` or None; see ``fit_normalisation``.
        dtype: floating dtype of inputs and one-hot targets.
        num_valid: images held out from the END of the official training set.
        **options: ``shuffle``, ``one_hot``, ``num_classes``, ``max_batches``;
            see ``providers_from_splits``.

    Returns:
        ``(train, valid, test)`` providers yielding inputs ``(B, 784)``.

    Raises:
        DataError: if the data set is not found or its files are corrupt.
    """
    splits = load_idx_dataset(name, data_dir, num_valid=num_valid)
    return providers_from_splits(splits, batch_size, rng, normalise, dtype, **options)


def _positive_int(value: object, what: str) -> int:
    if isinstance(value, bool):
        raise TypeError(f"{what} must be a positive integer, got {value!r}")
    try:
        number = operator.index(value)
    except TypeError:
        raise TypeError(f"{what} must be a positive integer, got {value!r}") from None
    if number < 1:
        raise ValueError(f"{what} must be a positive integer, got {number}")
    return number
