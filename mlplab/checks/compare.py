"""Comparisons that explain themselves.

Each ``assert_*`` raises ``CheckFailure`` with a message a student can act on:
the shape, which entries are wrong (and in which region of the input), the
relative error against the tolerance and, where the pattern is recognisable,
the likely mistake. Messages describe *what* is wrong, never the solution.

Relative error is CS231n's: ``max |a - b| / max(1e-8, |a| + |b|)`` over entries.
"""
from __future__ import annotations

from typing import Callable, Mapping

import numpy as np

from mlplab.checks.core import CheckFailure, ProbeError

Hint = Callable[[np.ndarray, np.ndarray], "str | None"]


def as_array(value, what: str) -> np.ndarray:
    """Used inside probes: the implementation must return an array (not None, not a list of arrays)."""
    if value is None:
        raise ProbeError(f"{what} returned None; it must return a numpy array (did you forget `return`?)")
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise ProbeError(f"{what} returned {type(value).__name__} of dtype {array.dtype}, expected a numeric array")
    return array


def elementwise_rel_error(actual: np.ndarray, expected: np.ndarray) -> np.ndarray:
    a = np.asarray(actual, dtype=np.float64)
    b = np.asarray(expected, dtype=np.float64)
    return np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))


def _index(flat: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(i) for i in np.unravel_index(flat, shape))


def assert_shape(name: str, actual: np.ndarray, expected_shape: tuple[int, ...]) -> None:
    if tuple(actual.shape) != tuple(expected_shape):
        hint = ""
        if tuple(actual.shape) == tuple(reversed(expected_shape)) and len(expected_shape) == 2:
            hint = " (the dimensions are swapped: check the (output_dim, input_dim) convention or a transpose)"
        elif actual.size == int(np.prod(expected_shape)):
            hint = " (same number of entries: a reshape or a missing/extra axis?)"
        elif actual.ndim != len(expected_shape):
            hint = f" ({actual.ndim} axes instead of {len(expected_shape)}: did a sum or mean drop an axis, or keepdims keep one?)"
        raise CheckFailure(f"{name}: shape {tuple(actual.shape)}, expected {tuple(expected_shape)}{hint}")


def assert_finite(name: str, actual: np.ndarray) -> None:
    bad = ~np.isfinite(np.asarray(actual, dtype=np.float64))
    if bad.any():
        first = _index(int(np.flatnonzero(bad)[0]), actual.shape)
        kinds = "NaN" if np.isnan(actual).any() else "infinite"
        raise CheckFailure(
            f"{name}: {int(bad.sum())} of {actual.size} entries are {kinds}, first at index {first} "
            "(an overflow in exp, a division by zero, or a log of a non-positive number?)"
        )


def generic_hints(actual: np.ndarray, expected: np.ndarray) -> str | None:
    """Recognise mistakes that change the whole array in a simple way."""
    a = np.asarray(actual, dtype=np.float64).ravel()
    b = np.asarray(expected, dtype=np.float64).ravel()
    if not np.any(b):
        return None
    if np.allclose(a, -b, rtol=1e-6, atol=1e-12):
        return "the sign is flipped everywhere"
    if np.allclose(a, 0):
        return "the result is all zeros"
    denom = float(b @ b)
    scale = float(a @ b) / denom if denom else 0.0
    if scale and abs(scale - 1) > 1e-3 and np.allclose(a, scale * b, rtol=1e-5, atol=1e-10):
        return f"the result is off by a constant factor of about {scale:.4g}"
    shift = float(np.mean(a - b))
    if abs(shift) > 1e-9 and np.allclose(a, b + shift, rtol=1e-6, atol=1e-9):
        return f"the result is shifted by a constant of about {shift:.4g}"
    return None


def assert_close(
    name: str,
    actual: np.ndarray,
    expected: np.ndarray,
    *,
    tol: float,
    regions: Mapping[str, np.ndarray] | None = None,
    hints: tuple[Hint, ...] = (),
) -> float:
    """Entries of ``actual`` agree with ``expected`` up to a relative error ``tol``.

    Args:
        name: what is compared, as the student knows it (``"ELULayer.bprop output"``).
        regions: named boolean masks of ``expected``'s shape (``{"inputs < 0": x < 0}``);
            the message says how many wrong entries fall in each.
        hints: functions ``(actual, expected) -> str | None`` naming likely mistakes;
            the first that recognises the pattern is reported.

    Returns:
        The relative error, for the success note.
    """
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert_shape(name, actual, expected.shape)
    assert_finite(name, actual)
    errors = elementwise_rel_error(actual, expected)
    worst = float(errors.max()) if errors.size else 0.0
    if worst <= tol:
        return worst
    wrong = errors > tol
    flat = int(np.argmax(errors))
    where = _index(flat, expected.shape)
    parts = [
        f"{name}: relative error {worst:.2e} exceeds the tolerance {tol:.0e}; "
        f"{int(wrong.sum())} of {wrong.size} entries are wrong, worst at index {where}: "
        f"got {float(actual.flat[flat]):.6g}, expected {float(expected.flat[flat]):.6g}"
    ]
    if regions:
        counts = []
        for label, mask in regions.items():
            mask = np.broadcast_to(np.asarray(mask, dtype=bool), expected.shape)
            counts.append((label, int((wrong & mask).sum()), int(mask.sum())))
        inside = [label for label, n_wrong, _ in counts if n_wrong == int(wrong.sum()) and n_wrong]
        parts.append("; ".join(f"where {label}: {n_wrong} of {n} wrong" for label, n_wrong, n in counts))
        if inside and len(counts) > 1:
            parts.append(f"every wrong entry is where {inside[0]}")
    for hint in (*hints, generic_hints):
        text = hint(actual, expected)
        if text:
            parts.append(f"Likely mistake: {text}")
            break
    raise CheckFailure(". ".join(parts) + ".")


def assert_ratio(name: str, actual: float, expected: float, *, rel_tol: float, hints: Mapping[float, str] | None = None) -> float:
    """A scalar statistic (a variance, a norm) within ``rel_tol`` of the expected one.

    Args:
        hints: ``{ratio: text}``; if ``actual / expected`` is within ``rel_tol`` of a
            listed ratio, the text is reported as the likely mistake.
    """
    actual, expected = float(actual), float(expected)
    if not np.isfinite(actual):
        raise CheckFailure(f"{name} is {actual}")
    ratio = actual / expected if expected else np.inf
    if abs(ratio - 1) <= rel_tol:
        return ratio
    message = (f"{name} is {actual:.4g}, expected {expected:.4g} "
               f"(ratio {ratio:.3g}; tolerance ±{rel_tol:.0%})")
    for target, text in (hints or {}).items():
        if abs(ratio / target - 1) <= 2 * rel_tol:
            message += f". Likely mistake: {text}"
            break
    raise CheckFailure(message + ".")


def assert_true(condition: bool, message: str) -> None:
    if not bool(condition):
        raise CheckFailure(message)
