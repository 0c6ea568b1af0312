"""The reference ``orthogonal`` is uniformly distributed over the orthogonal matrices (as torch's is).

A uniformly (Haar) distributed orthogonal matrix is a rotation or a reflection with probability 1/2
each, and every entry has mean 0 (its distribution is unchanged by flipping the sign of a row).
The SVD's ``U`` alone fails both: LAPACK fixes the signs of the singular vectors.
"""

from __future__ import annotations

import numpy as np
import pytest

from mlplab.exercises.initialisers import orthogonal

DRAWS = 4000
Z = 5.0  # standard errors: a false alarm has probability below 1e-6 per statistic


def draws(make, shape, seed):
    return np.stack([make(shape, np.random.default_rng([seed, k])) for k in range(DRAWS)])


def lapack_u(shape, rng):
    u, _, vt = np.linalg.svd(rng.standard_normal(shape), full_matrices=False)
    return u if u.shape == shape else vt


def positive_determinants_far_from_half(sample) -> bool:
    fraction = float(np.mean(np.linalg.det(sample) > 0))
    return abs(fraction - 0.5) > Z * np.sqrt(0.25 / len(sample))


def entry_means_far_from_zero(sample) -> bool:
    z = sample.mean(axis=0) / (sample.std(axis=0) / np.sqrt(len(sample)))
    return bool(np.abs(z).max() > Z)


@pytest.mark.parametrize("n", [2, 3, 4, 7])
def test_half_of_the_square_draws_are_reflections(n):
    assert not positive_determinants_far_from_half(draws(orthogonal, (n, n), seed=n))


@pytest.mark.parametrize("shape", [(2, 2), (4, 4), (6, 3), (3, 6)])
def test_every_entry_has_mean_zero(shape):
    assert not entry_means_far_from_zero(draws(orthogonal, shape, seed=sum(shape)))


def test_the_statistics_see_the_svd_factor_alone():
    assert positive_determinants_far_from_half(draws(lapack_u, (2, 2), seed=1))
    assert entry_means_far_from_zero(draws(lapack_u, (4, 4), seed=2))
    assert entry_means_far_from_zero(draws(lapack_u, (6, 3), seed=3))


def test_draws_are_orthogonal_with_the_gain():
    w = orthogonal((5, 5), np.random.default_rng(0), gain=2.0)
    np.testing.assert_allclose(w @ w.T, 4.0 * np.eye(5), atol=1e-12)
