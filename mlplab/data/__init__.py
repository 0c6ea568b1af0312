"""The data layer of mlplab: data sets, IDX files, minibatch providers and normalisation.

* ``load_mnist5k()``: 5,000 real MNIST digits shipped with mlplab (3,000 / 1,000 / 1,000).
* ``load_idx_dataset("mnist" | "fashion-mnist", data_dir=None)``: the full data sets
  from their IDX files (``$MLPLAB_DATA_DIR``, or Debian's ``dataset-fashion-mnist``).
* ``read_idx(path)``: one IDX file, plain or gzip-compressed.
* ``MinibatchProvider``: epochs of ``(inputs, one-hot targets)`` batches, shuffled by an
  injected ``np.random.Generator``.
* ``mnist5k_providers(...)`` / ``idx_providers(...)``: ``(train, valid, test)`` providers,
  normalised with training statistics only (``fit_normalisation``).
* ``take_subset(inputs, targets, n, rng)``: a random subset, e.g. to overfit on.

Loaders return raw uint8 pixels; conversion to floats happens in the providers.
Every error about missing or broken data is a ``DataError`` (a ``ValueError``).
"""

from mlplab.data.exceptions import DataError
from mlplab.data.idx import read_idx
from mlplab.data.providers import (
    MinibatchProvider,
    Normaliser,
    fit_normalisation,
    idx_providers,
    mnist5k_providers,
    providers_from_splits,
    take_subset,
)
from mlplab.data.sources import Split, find_idx_dataset, load_idx_dataset, load_mnist5k

__all__ = [
    "DataError",
    "read_idx",
    "Split",
    "load_mnist5k",
    "load_idx_dataset",
    "find_idx_dataset",
    "MinibatchProvider",
    "Normaliser",
    "fit_normalisation",
    "mnist5k_providers",
    "idx_providers",
    "providers_from_splits",
    "take_subset",
]
