"""Comparisons that explain themselves.

Each ``assert_*`` raises ``CheckFailure`` with a message a student can act on:
the shape, which entries are wrong (and in which region of the input), the
relative error against the tolerance and, where the pattern is recognisable,
the likely mistake. Messages describe *what* is wrong, never the solution.

Relative error is CS231n's: ``max |a - b| / max(1e-8, |a| + |b|)`` over entries.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Mapping

import numpy as np

from mlplab.course.checks.core import CheckFailure, ProbeError

Hint = Callable[[np.ndarray, np.ndarray], "str | None"]


def as_array(value, what: str) -> np.ndarray:
    """Used inside probes: the implementation must return an array (not None, not a list of arrays)."""
    if value is None:
        raise ProbeError(f"{what} returned None; it must return a numpy array (did you forget `return`?)")
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise ProbeError(f"{what} returned {type(value).__name__} of dtype {array.dtype}, expected a numeric array")
    return array


def stand_in(api: str, function: Callable) -> Callable:
    """``function`` (a probe's stand-in for a callable the docstring documents as ``api``), refusing calls that
    do not fit its signature with a message in terms of the documented API (not the probe's local names).

    The stand-in must take the documented parameter names, so calls by position and by keyword both work.
    """
    signature = inspect.signature(function)

    @functools.wraps(function)
    def checked(*args, **kwargs):
        try:
            signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise ProbeError(f"your code called {api} with arguments that do not fit it ({exc})") from None
        return function(*args, **kwargs)

    return checked


def elementwise_rel_error(actual: np.ndarray, expected: np.ndarray, floor: float = 1e-8) -> np.ndarray:
    """``|a - b| / max(floor, |a| + |b|)`` entry by entry (``mlplab.gradcheck.rel_error`` before its max)."""
    a = np.asarray(actual, dtype=np.float64)
    b = np.asarray(expected, dtype=np.float64)
    return np.abs(a - b) / np.maximum(floor, np.abs(a) + np.abs(b))


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
        return _factor_in_words(scale)
    shift = float(np.mean(a - b))
    if abs(shift) > 1e-9 and np.allclose(a, b + shift, rtol=1e-6, atol=1e-9):
        return f"the result is shifted by a constant of about {shift:.4g}"
    return None


def _factor_in_words(scale: float) -> str:
    """``scale`` (actual / expected) in words, naming the usual cause when it is a whole number or its inverse."""
    whole, inverse = round(scale), round(1 / scale)
    if abs(scale) >= 2 and abs(scale - whole) < 1e-6 * abs(scale):
        return (
            f"the result is {whole} times the expected: a sum where a mean is expected, or a count multiplied in twice?"
        )
    if abs(scale) <= 0.5 and abs(1 / scale - inverse) < 1e-6 * abs(1 / scale):
        return (
            f"the result is 1/{inverse} of the expected ({scale:.4g}): a mean where a sum is expected (over the "
            f"batch, or over the {inverse} values reduced), or an extra division by a count?"
        )
    if abs(scale * scale - round(scale * scale)) < 1e-6 and round(scale * scale) >= 2:
        return f"the result is sqrt({round(scale * scale)}) times the expected ({scale:.4g})"
    return f"the result is off by a constant factor of about {scale:.4g} (each entry {scale:.4g} times the expected)"


def assert_close(
    name: str,
    actual: np.ndarray,
    expected: np.ndarray,
    *,
    tol: float,
    regions: Mapping[str, np.ndarray] | None = None,
    hints: tuple[Hint, ...] = (),
    floor: float = 1e-8,
) -> float:
    """Entries of ``actual`` agree with ``expected`` up to a relative error ``tol``.

    Args:
        name: what is compared, as the student knows it (``"ELULayer.bprop output"``).
        floor: the smallest denominator of the relative error. Against a numerical gradient,
            pass a fraction of its largest entry: finite differences cannot resolve entries
            far below it (their rounding error is absolute, about 1e-16 |E| / h).
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
    errors = elementwise_rel_error(actual, expected, floor)
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
    parts += _explain(wrong, actual, expected, regions, hints)
    raise CheckFailure(". ".join(parts) + ".")


def _explain(
    wrong: np.ndarray,
    actual: np.ndarray,
    expected: np.ndarray,
    regions: Mapping[str, np.ndarray] | None,
    hints: tuple[Hint, ...],
) -> list[str]:
    """Where the wrong entries are (per region) and the first likely mistake a hint recognises."""
    parts = []
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
    return parts


def unit_scale(expected: np.ndarray, axes: int | tuple[int, ...] | None = None) -> np.ndarray:
    """Largest ``|expected|`` per unit (reduced over ``axes``, kept as size-1 axes), or over the
    whole array for ``axes=None``; zero scales become 1."""
    magnitude = np.abs(np.asarray(expected, dtype=np.float64))
    scale = np.max(magnitude, axis=axes, keepdims=True) if axes is not None else np.max(magnitude)
    return np.where(scale > 0, scale, 1.0)


def assert_close_to_scale(
    name: str,
    actual: np.ndarray,
    expected: np.ndarray,
    *,
    tol: float,
    axes: int | tuple[int, ...] | None = None,
    regions: Mapping[str, np.ndarray] | None = None,
    hints: tuple[Hint, ...] = (),
) -> float:
    """``actual`` agrees with ``expected`` up to ``tol`` times the largest ``|expected|`` of each unit.

    For results of linear algebra (centred, rotated or normalised arrays), whose
    entries near zero carry rounding errors that are tiny in absolute terms but
    not relative to the entry.

    Args:
        axes: the axes one unit's values lie along (``0`` for ``(m, D)`` arrays,
            ``(0, 2, 3)`` for ``(N, C, H, W)``); None: one scale for the whole array.
        regions, hints: as for ``assert_close``.

    Returns:
        The largest error relative to the scale.
    """
    actual = np.asarray(actual)
    expected = np.asarray(expected, dtype=np.float64)
    assert_shape(name, actual, expected.shape)
    assert_finite(name, actual)
    if expected.size == 0:
        return 0.0
    errors = np.abs(actual.astype(np.float64) - expected) / unit_scale(expected, axes)
    worst = float(errors.max())
    if worst <= tol:
        return worst
    wrong = errors > tol
    flat = int(np.argmax(errors))
    index = _index(flat, expected.shape)
    unit = {None: "", 0: " of its unit", 1: " of its example (row)"}.get(axes, " of its channel")
    parts = [
        f"{name}: {int(wrong.sum())} of {wrong.size} entries differ from the reference's by more than "
        f"{tol:.0e} of the largest expected magnitude{unit} (worst {worst:.2e}, at index {index}: "
        f"got {float(actual.flat[flat]):.6g}, expected {float(expected.flat[flat]):.6g})"
    ]
    parts += _explain(wrong, actual, expected, regions, hints)
    raise CheckFailure(". ".join(parts) + ".")


def assert_ratio(
    name: str, actual: float, expected: float, *, rel_tol: float, hints: Mapping[float, str] | None = None
) -> float:
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
    message = f"{name} is {actual:.4g}, expected {expected:.4g} (ratio {ratio:.3g}; tolerance ±{rel_tol:.0%})"
    for target, text in (hints or {}).items():
        if abs(ratio / target - 1) <= 2 * rel_tol:
            message += f". Likely mistake: {text}"
            break
    raise CheckFailure(message + ".")


def assert_true(condition: bool, message: str) -> None:
    if not bool(condition):
        raise CheckFailure(message)


# --- reading probe outputs (they travel as arrays) ---


def flag(outputs: Mapping[str, np.ndarray], key: str) -> bool:
    """A yes/no fact a probe recorded (stored as a 0-d array)."""
    return bool(np.asarray(outputs[key]).item())


def number(outputs: Mapping[str, np.ndarray], key: str) -> float:
    """A single number a probe recorded."""
    return float(np.asarray(outputs[key]).item())


def same_global_state(a, b) -> bool:
    """Whether two ``np.random.get_state()`` tuples are equal (probes check the global state is untouched)."""
    return a[0] == b[0] and np.array_equal(a[1], b[1]) and tuple(a[2:]) == tuple(b[2:])


def assert_seeded(
    name: str,
    student: Mapping[str, np.ndarray],
    *,
    what: str = "results",
    same_key: str = "same_seed_same_result",
    other_key: str = "other_seed_other_result",
    state_key: str = "global_state_untouched",
) -> None:
    """Asserts the three flags of a seeded function: global state untouched, same seed same ``what``, other seed other.

    The probe sets the flags: ``state_key`` (``same_global_state`` before and after),
    ``same_key`` (two generators with one seed gave equal results) and ``other_key``
    (generators with different seeds gave different results).
    """
    assert_true(
        flag(student, state_key),
        f"{name} changed numpy's global random state: it draws from np.random.* functions (or seeds "
        "them) instead of drawing every random number from the generator it is given (rng or self.rng)",
    )
    assert_true(
        flag(student, same_key),
        f"{name} gave different {what} for two generators made from the same seed: draw every random "
        "number from the generator it is given (no np.random.* functions, no new generators)",
    )
    assert_true(
        flag(student, other_key),
        f"{name} gave identical {what} for generators with different seeds: are the random numbers "
        "drawn from the generator it is given?",
    )


def seeding_flags(make_output, seed: int) -> dict[str, np.ndarray]:
    """The three flags ``assert_seeded`` reads, for ``make_output(rng) -> array`` (runs in a probe).

    Same seed -> same output, another seed -> another output, numpy's global random state untouched.
    """
    state = np.random.get_state()
    a = np.asarray(make_output(np.random.default_rng([seed, 101])))
    b = np.asarray(make_output(np.random.default_rng([seed, 101])))
    c = np.asarray(make_output(np.random.default_rng([seed, 202])))
    return {
        "same_seed_same_result": np.array(a.shape == b.shape and np.array_equal(a, b)),
        "other_seed_other_result": np.array(not (a.shape == c.shape and np.array_equal(a, c))),
        "global_state_untouched": np.array(same_global_state(state, np.random.get_state())),
    }


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of all entries of ``a`` and ``b`` (0 when either is constant)."""
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    a = a - a.mean()
    b = b - b.mean()
    denominator = float(np.sqrt(float(a @ a) * float(b @ b)))
    return float(a @ b / denominator) if denominator > 0 else 0.0


def raises_value_error(function: Callable[[], object], *numbers: int) -> tuple[int, int]:
    """How ``function()`` fails: ``(0, 0)`` no exception, ``(1, named)`` a ValueError, ``(2, 0)`` another
    exception; ``named`` is 1 if the ValueError's message names every one of ``numbers``.

    The one way the checks test "rejects bad input with a ValueError that says what is wrong".
    """
    try:
        function()
    except ValueError as error:
        text = str(error)
        return 1, int(all(re.search(rf"(?<![\d.]){n}(?![\d.])", text) for n in numbers))
    except Exception:  # noqa: BLE001 - the kind is what is reported
        return 2, 0
    return 0, 0
