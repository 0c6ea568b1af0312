"""Input preprocessing fitted on training data: standardisation and PCA whitening (Lab 1, tasks 1.10-1.11).

Both classes follow the same pattern:

* ``fit(train_inputs)`` computes statistics of the *training* inputs only,
  stores them as attributes whose names end in ``_`` and returns ``self``
  (so that ``Standardiser().fit(x)`` is the fitted object);
* ``transform(inputs)`` applies those stored statistics to any inputs with
  the same number of features: the training inputs themselves, or validation
  and test inputs. It never recomputes statistics from the inputs it is given.

Inputs have one example per row: shape ``(N, D)`` for ``N`` examples of ``D``
features. Neither method modifies its argument in place. Statistics are
population statistics (divide by ``N``, i.e. ``ddof=0``, numpy's default for
``np.std`` and ``np.var``).
"""

from __future__ import annotations

import numpy as np

from mlplab.validation import as_matrix


class Standardiser:
    """Per-feature standardisation with training statistics.

    ``transform(x) = (x - mean_) / std_``, where ``mean_`` and ``std_`` are the
    mean and (population) standard deviation of each feature over the training
    examples.

    A feature that (nearly) never changes in the training inputs has a standard
    deviation of (nearly) 0 and dividing by it would blow it up or give NaN.
    Convention: wherever the training standard deviation is below ``eps``,
    ``std_`` is set to 1, so such a feature is only centred.

    Args:
        eps: standard deviations below this are replaced by 1.

    Attributes (set by ``fit``):
        mean_: float64 array ``(D,)``, the training mean of each feature.
        std_: float64 array ``(D,)``, the training standard deviation of each
            feature (``ddof=0``), with values below ``eps`` replaced by 1.
            This is exactly what ``transform`` divides by.
    """

    def __init__(self, eps: float = 1e-8):
        self.eps = float(eps)
        self.mean_: np.ndarray | None = None
        self.std_: np.ndarray | None = None

    def fit(self, train_inputs: np.ndarray) -> Standardiser:
        """Computes ``mean_`` and ``std_`` over the training examples (axis 0).

        Args:
            train_inputs: array of shape ``(N, D)``; not modified.

        Returns:
            ``self``.
        """
        ### BEGIN SOLUTION
        train_inputs = as_matrix(train_inputs, "train_inputs")
        self.mean_ = train_inputs.mean(axis=0)
        std = train_inputs.std(axis=0)
        self.std_ = np.where(std < self.eps, 1.0, std)
        return self
        ### END SOLUTION

    def transform(self, inputs: np.ndarray) -> np.ndarray:
        """Standardises ``inputs`` with the fitted training statistics.

        Args:
            inputs: array of shape ``(M, D)`` (any number of examples, the
                training set's features); not modified.

        Returns:
            float64 array ``(M, D)``: ``(inputs - mean_) / std_``, row by row.
        """
        ### BEGIN SOLUTION
        centred = as_matrix(inputs, "inputs") - self.mean_
        return centred / self.std_
        ### END SOLUTION

    def __repr__(self) -> str:
        return f"Standardiser(eps={self.eps:g})"


class PCAWhitener:
    """PCA whitening with training statistics.

    ``fit`` computes, from the training inputs ``X`` of shape ``(N, D)``:

    1. the mean ``mean_`` of each feature and the centred data ``Xc = X - mean_``;
    2. the covariance matrix ``C = Xc.T @ Xc / N`` (``(D, D)``, ``ddof=0``);
    3. its eigendecomposition ``C = U diag(lambda) U.T`` (``C`` is symmetric:
       use ``np.linalg.eigh``, which returns the eigenvalues in *increasing*
       order and the eigenvectors as the *columns* of ``U``);
    4. the ``k = num_components`` eigenvectors of largest eigenvalue, ordered
       by decreasing eigenvalue: ``components_`` (``(D, k)``, one per column)
       and ``eigenvalues_`` (``(k,)``, decreasing).

    ``transform(x) = (x - mean_) @ components_ / sqrt(eigenvalues_ + eps)``:
    column ``j`` is the projection on the ``j``-th principal direction divided by
    ``sqrt(lambda_j + eps)``. Whitened training data is uncorrelated with
    variances ``lambda_j / (lambda_j + eps)``, i.e. covariance nearly ``I``;
    ``eps`` stops directions of tiny variance from being blown up.

    The sign of each eigenvector is arbitrary (``-u`` is an eigenvector as well
    as ``u``), so a column of ``components_``, and the matching column of the
    whitened data, may come out with either sign. Any sign is accepted.

    Args:
        num_components: ``k``, how many principal components to keep (at most
            ``D``); None keeps all ``D``.
        eps: added to each eigenvalue before the square root.

    Attributes (set by ``fit``):
        mean_: float64 array ``(D,)``.
        components_: float64 array ``(D, k)``, orthonormal columns.
        eigenvalues_: float64 array ``(k,)``, in decreasing order.
    """

    def __init__(self, num_components: int | None = None, eps: float = 1e-5):
        if num_components is not None and int(num_components) < 1:
            raise ValueError(f"num_components must be positive or None, got {num_components}")
        self.num_components = None if num_components is None else int(num_components)
        self.eps = float(eps)
        self.mean_: np.ndarray | None = None
        self.components_: np.ndarray | None = None
        self.eigenvalues_: np.ndarray | None = None

    def fit(self, train_inputs: np.ndarray) -> PCAWhitener:
        """Computes ``mean_``, ``components_`` and ``eigenvalues_`` from the training inputs.

        Args:
            train_inputs: array of shape ``(N, D)``; not modified.

        Returns:
            ``self``.

        Raises:
            ValueError: if ``num_components`` is larger than ``D``.
        """
        ### BEGIN SOLUTION
        train_inputs = as_matrix(train_inputs, "train_inputs")
        num_features = train_inputs.shape[1]
        k = num_features if self.num_components is None else self.num_components
        if k > num_features:
            raise ValueError(f"num_components={k} but the inputs have only {num_features} features")
        self.mean_ = train_inputs.mean(axis=0)
        centred = train_inputs - self.mean_
        covariance = centred.T @ centred / train_inputs.shape[0]
        eigenvalues, eigenvectors = np.linalg.eigh(covariance)
        order = np.argsort(eigenvalues)[::-1][:k]
        self.eigenvalues_ = eigenvalues[order]
        self.components_ = eigenvectors[:, order]
        return self
        ### END SOLUTION

    def transform(self, inputs: np.ndarray) -> np.ndarray:
        """Whitens ``inputs`` with the fitted training statistics.

        Args:
            inputs: array of shape ``(M, D)``; not modified.

        Returns:
            float64 array ``(M, k)``: ``(inputs - mean_) @ components_ / sqrt(eigenvalues_ + eps)``.
        """
        ### BEGIN SOLUTION
        projected = (as_matrix(inputs, "inputs") - self.mean_) @ self.components_
        return projected / np.sqrt(self.eigenvalues_ + self.eps)
        ### END SOLUTION

    def __repr__(self) -> str:
        return f"PCAWhitener(num_components={self.num_components}, eps={self.eps:g})"
