"""Checks of Lab 1: initialisers, hidden units and input preprocessing.

Every check compares your implementation with the reference implementation's
outputs on the same inputs (``expected``); nothing here computes the answers.

* Random initialisers (tasks 1.1-1.4) are compared by *statistics*, since any
  way of sampling the right distribution is correct. For each of three shapes
  (wide, tall and nearly square) about two million weights are drawn, from
  repeated calls with one generator, and compared with the reference's:

  - shape ``(n_out, n_in)`` and dtype float64;
  - the same seed gives identical weights, different seeds different ones,
    and numpy's global random state (``np.random.get_state()``) is unchanged;
  - the mean: ``|mean - mean_ref| <= 6.5 * sqrt(var/n + var_ref/n)``
    (a false alarm has probability 8e-11);
  - the excess kurtosis (-1.2 for a uniform, 0 for a normal distribution)
    within 0.1 of the reference's (its standard error is below 0.0035 for
    n = 2e6, so 0.1 is more than 20 standard errors);
  - the variance within 1% of the reference's. For n >= 2e6 draws the sample
    variance has a relative standard error of sqrt((2 + kurtosis) / n) <= 1e-3,
    so the ratio of two independent sample variances has a relative standard
    error <= 1.42e-3 and 1% is more than 7 standard errors (probability of a
    false alarm 1.5e-12 per shape);
  - for uniform distributions the largest |w| within 0.1% of the reference's.
    The largest of n uniform draws falls short of the limit by more than a
    fraction t with probability (1 - t)**n, e.g. exp(-2000) for t = 1e-3.

* Orthogonal initialisation (task 1.5): shape, dtype, seeding as above;
  ``W @ W.T`` (rows, ``n_out <= n_in``) or ``W.T @ W`` (columns) equal to the
  reference's up to 1e-10 times ``gain**2``; the mean of ``W**2`` within 1e-8
  (relative); and the distribution, from 600 draws of each of the shapes
  3x3, 5x3 and 3x5 (``gain=1``): the fraction of 3x3 draws with a positive
  determinant, the mean over the draws of the sum of all entries and the mean
  of every entry, each within 6 standard errors of the reference's (false
  alarm below 1e-7 per statistic; a uniformly distributed orthogonal matrix
  has half its determinants positive and every mean 0).
* Log-prior biases (task 1.6): values within a relative error of 1e-10 for
  labels and one-hot targets; a class without examples (one in the middle,
  and the last one with ``num_classes`` given) raises ValueError whose
  message names the class.
* Hidden units (tasks 1.7-1.9), float64 inputs with exact zeros and values
  on both sides of 0: ``fprop`` within a relative error of 1e-10, ``bprop``
  within 1e-8 of the reference's, also for inputs as large as +-1e4 (no
  overflow warnings from ``fprop``), and ``bprop`` within 1e-7 of the
  numerical gradient (central differences, h = 1e-6) of *your* ``fprop``;
  float32 inputs give float32 outputs and gradients; no argument is modified
  in place.
* Preprocessing (tasks 1.10-1.11): attributes, transformed training and
  held-out inputs within 1e-9 (standardiser) or 1e-8 (PCA) of the largest
  expected value. PCA components and whitened columns are compared up to the
  sign of each component.
"""

from __future__ import annotations

import numpy as np

from mlplab.course.checks.compare import (
    as_array,
    assert_close,
    assert_close_to_scale,
    assert_finite,
    assert_ratio,
    assert_seeded,
    assert_shape,
    assert_true,
    elementwise_rel_error,
    flag,
    number,
    raises_value_error,
    same_global_state,
)
from mlplab.course.checks.core import CheckFailure, ProbeError, TaskCheck

# --------------------------------------------------------------------------- shared helpers

MIN_DRAWS = 2_000_000  # weights drawn per shape for the statistics of a random initialiser
VARIANCE_TOL = 0.01  # relative; see the module docstring for the false-alarm probability
KURTOSIS_TOL = 0.1  # absolute
MEAN_Z = 6.5  # standard errors
ORTHOGONAL_DRAWS = 600  # draws per shape for the distribution of orthogonal matrices
ORTHOGONAL_SHAPES = ((3, 3), (5, 3), (3, 5))
ORTHOGONAL_Z = 6.0  # standard errors
MAX_ABS_TOL = 1e-3  # relative, uniform distributions only
UNIFORM_KURTOSIS = -1.2

FPROP_TOL = 1e-10
BPROP_TOL = 1e-8
NUMERICAL_TOL = 1e-7
FD_STEP = 1e-6

# SELU's constants, as given to students in the SELULayer class.
_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805


def _shape_of(outputs: dict, key: str) -> tuple[int, ...]:
    return tuple(int(n) for n in np.asarray(outputs[key]).ravel())


# --------------------------------------------------------------------------- random initialisers


def _three_shapes(rng: np.random.Generator) -> np.ndarray:
    """A wide (n_out << n_in), a tall (n_out >> n_in) and a nearly square shape."""
    wide = (rng.integers(20, 41), rng.integers(400, 601))
    tall = (rng.integers(400, 601), rng.integers(20, 41))
    square = (rng.integers(150, 251), rng.integers(150, 251))
    return np.array([wide, tall, square], dtype=np.int64)


def _init_inputs(rng: np.random.Generator) -> dict:
    return {"shapes": _three_shapes(rng), "seed": int(rng.integers(2**31))}


def _init_inputs_with_gain(rng: np.random.Generator) -> dict:
    # gain 0 means "not passed": the default must be 1. Gains in [2.2, 2.8] keep the
    # ratios that hints look for (1/gain**2, 1/gain, 1/3, ...) apart.
    inputs = _init_inputs(rng)
    inputs["gains"] = np.array([0.0, 0.0, rng.uniform(2.2, 2.8)])
    return inputs


def _call_text(name: str, shape, gain: float) -> str:
    return f"{name}({tuple(int(n) for n in shape)}, rng{f', gain={gain:.3f}' if gain > 0 else ''})"


def _init_statistics(name: str, inputs: dict) -> dict:
    """Probe of a random initialiser: statistics of many draws for each shape, and seeding flags."""
    from mlplab.exercises import initialisers

    function = getattr(initialisers, name)
    shapes = np.asarray(inputs["shapes"])
    gains = np.asarray(inputs["gains"]) if "gains" in inputs else np.zeros(len(shapes))
    seed = int(inputs["seed"])
    out: dict[str, np.ndarray] = {}
    global_state = np.random.get_state()
    same, differ = True, True
    for i, (shape, gain) in enumerate(zip(shapes, gains)):
        shape = (int(shape[0]), int(shape[1]))
        kwargs = {"gain": float(gain)} if gain > 0 else {}
        what = _call_text(name, shape, float(gain))
        rng = np.random.default_rng([seed, i])
        first = as_array(function(shape, rng, **kwargs), what)
        out[f"shape{i}"] = np.array(first.shape, dtype=np.int64)
        out[f"float64_{i}"] = np.array(first.dtype == np.float64)
        draws = [np.asarray(first, dtype=np.float64).ravel()]
        total = draws[0].size
        while 0 < total < MIN_DRAWS:
            draws.append(np.asarray(as_array(function(shape, rng, **kwargs), what), dtype=np.float64).ravel())
            total += draws[-1].size
        w = np.concatenate(draws)
        out[f"maxabs{i}"] = np.array(float(np.max(np.abs(w))) if w.size else np.nan)
        mean = float(w.mean()) if w.size else np.nan
        w -= mean
        np.square(w, out=w)
        second = float(w.mean()) if w.size else np.nan
        fourth = float(np.dot(w, w) / w.size) if w.size else np.nan
        out[f"count{i}"] = np.array(w.size)
        out[f"mean{i}"] = np.array(mean)
        out[f"var{i}"] = np.array(second)
        out[f"kurtosis{i}"] = np.array(fourth / second**2 - 3 if second > 0 else np.nan)
        del w, draws
        a = np.asarray(function(shape, np.random.default_rng([seed, i, 1]), **kwargs))
        b = np.asarray(function(shape, np.random.default_rng([seed, i, 1]), **kwargs))
        c = np.asarray(function(shape, np.random.default_rng([seed, i, 2]), **kwargs))
        same = same and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
        differ = differ and not (a.shape == c.shape and np.array_equal(a, c, equal_nan=True))
    out["same_seed_same_weights"] = np.array(same)
    out["other_seed_other_weights"] = np.array(differ)
    out["global_state_untouched"] = np.array(same_global_state(global_state, np.random.get_state()))
    return out


def _check_shapes_and_seeding(name: str, student: dict, inputs: dict) -> None:
    shapes = np.asarray(inputs["shapes"])
    gains = np.asarray(inputs["gains"]) if "gains" in inputs else np.zeros(len(shapes))
    for i, (shape, gain) in enumerate(zip(shapes, gains)):
        call = _call_text(name, shape, float(gain))
        got = _shape_of(student, f"shape{i}")
        assert_shape(f"{call} result", np.broadcast_to(0.0, got), tuple(int(n) for n in shape))
        assert_true(
            flag(student, f"float64_{i}"),
            f"{call} returned an array whose dtype is not float64 (e.g. float32 or int): return float64 weights",
        )
    assert_seeded(
        name, student, what="weights", same_key="same_seed_same_weights", other_key="other_seed_other_weights"
    )


def _variance_hints(name: str, shape, gain: float, expected_var: float) -> dict[float, str]:
    n_out, n_in = int(shape[0]), int(shape[1])
    hints: dict[float, str] = {}

    def add(ratio: float, text: str) -> None:
        # A hint is only useful if its ratio is not close to 1 or to another hint's ratio.
        if abs(ratio - 1) > 0.05 and all(abs(ratio / r - 1) > 0.05 for r in hints):
            hints[ratio] = text

    uniform = name in ("fanin_uniform", "glorot_uniform")
    if gain > 0:
        add(1 / gain**2, "the gain is ignored (the weights must be multiplied by gain)")
        add(1 / gain, "gain multiplies the variance instead of the weights (variance must grow as gain**2)")
        add(gain**2, "gain is applied twice")
    if name in ("fanin_uniform", "he_normal"):
        add(n_in / n_out, "fan-out used instead of fan-in: n_in is shape[1] (the input_dim), n_out is shape[0]")
    else:
        add((n_in + n_out) / (2 * n_in), "only the fan-in n_in = shape[1] was used; Glorot's rule uses both fans")
        add((n_in + n_out) / (2 * n_out), "only the fan-out n_out = shape[0] was used; Glorot's rule uses both fans")
    if name == "he_normal":
        add(0.5, "the factor 2 of He initialisation is missing")
        add(2.0, "the factor 2 multiplies the standard deviation instead of the variance")
    if name == "glorot_normal":
        add(0.5, "the factor 2 in the variance is missing")
    if uniform:
        add(
            1 / 3,
            "the uniform limit a gives variance a²/3, so a limit equal to the intended standard deviation is too small",
        )
        add(3.0, "the uniform limit a gives variance a²/3, not a²")
        add(3 * expected_var, "a square root is missing in the limit")
    else:
        add(
            3.0,
            "the standard deviation is sqrt(3) times too large: the limit of the *uniform* distribution "
            "was used as the standard deviation",
        )
        add(
            expected_var,
            "the variance was passed where rng.normal expects the standard deviation (scale), "
            "or a square root is missing",
        )
    return hints


def _compare_init(name: str, student: dict, expected: dict, inputs: dict) -> str:
    _check_shapes_and_seeding(name, student, inputs)
    uniform = name in ("fanin_uniform", "glorot_uniform")
    shapes = np.asarray(inputs["shapes"])
    gains = np.asarray(inputs["gains"]) if "gains" in inputs else np.zeros(len(shapes))
    notes = []
    for i, (shape, gain) in enumerate(zip(shapes, gains)):
        call = _call_text(name, shape, float(gain))
        var_s, var_e = float(student[f"var{i}"]), float(expected[f"var{i}"])
        n_s, n_e = float(student[f"count{i}"]), float(expected[f"count{i}"])
        assert_true(np.isfinite(var_s), f"{call}: the weights contain NaN or infinite values")
        assert_true(var_s > 0, f"{call}: all weights are equal (variance 0); they must be random")
        mean_s, mean_e = float(student[f"mean{i}"]), float(expected[f"mean{i}"])
        standard_error = np.sqrt(var_s / n_s + var_e / n_e)
        assert_true(
            abs(mean_s - mean_e) <= MEAN_Z * standard_error,
            f"{call}: the mean of the weights is {mean_s:.4g}, expected {mean_e:.2g} "
            f"(tolerance ±{MEAN_Z * standard_error:.2g}, {MEAN_Z} standard errors): the distribution is not "
            "centred at 0" + (" (U(0, a) instead of U(-a, a)?)" if uniform else ""),
        )
        kurt_s, kurt_e = float(student[f"kurtosis{i}"]), float(expected[f"kurtosis{i}"])
        if not abs(kurt_s - kurt_e) <= KURTOSIS_TOL:
            message = (
                f"{call}: the weights have excess kurtosis {kurt_s:.3f}, expected {kurt_e:.3f} "
                f"(tolerance ±{KURTOSIS_TOL}), so they do not have the right distribution"
            )
            if abs(kurt_s) <= KURTOSIS_TOL and abs(kurt_e - UNIFORM_KURTOSIS) <= KURTOSIS_TOL:
                message += ". Likely mistake: sampled from a normal distribution instead of a uniform one"
            elif abs(kurt_s - UNIFORM_KURTOSIS) <= KURTOSIS_TOL and abs(kurt_e) <= KURTOSIS_TOL:
                message += ". Likely mistake: sampled from a uniform distribution instead of a normal one"
            raise CheckFailure(message)
        ratio = assert_ratio(
            f"{call}: the variance of the weights",
            var_s,
            var_e,
            rel_tol=VARIANCE_TOL,
            hints=_variance_hints(name, shape, float(gain), var_e),
        )
        notes.append(f"{ratio:.4f}")
        if uniform:
            assert_ratio(
                f"{call}: the largest |weight|",
                float(student[f"maxabs{i}"]),
                float(expected[f"maxabs{i}"]),
                rel_tol=MAX_ABS_TOL,
                hints={
                    np.sqrt(1 / 3): "the limit was set to the intended standard deviation; U(-a, a) has variance a²/3"
                },
            )
    return f"variance ratios to the reference {', '.join(notes)} (tolerance ±{VARIANCE_TOL:.0%})"


def _init_check(task_id: str, name: str, with_gain: bool) -> TaskCheck:
    return TaskCheck(
        task_id,
        _init_inputs_with_gain if with_gain else _init_inputs,
        lambda inputs: _init_statistics(name, inputs),
        lambda student, expected, inputs: _compare_init(name, student, expected, inputs),
    )


# --------------------------------------------------------------------------- orthogonal


def _orthogonal_inputs(rng: np.random.Generator) -> dict:
    wide = (rng.integers(10, 31), rng.integers(50, 121))
    tall = (rng.integers(50, 121), rng.integers(10, 31))
    n = rng.integers(30, 81)
    return {
        "shapes": np.array([wide, tall, (n, n)], dtype=np.int64),
        "gains": np.array([0.0, rng.uniform(1.5, 3.0), rng.uniform(0.3, 0.7)]),
        "seed": int(rng.integers(2**31)),
    }


def _orthogonal_probe(inputs: dict) -> dict:
    from mlplab.exercises.initialisers import orthogonal

    out: dict[str, np.ndarray] = {}
    seed = int(inputs["seed"])
    global_state = np.random.get_state()
    same, differ = True, True
    for i, (shape, gain) in enumerate(zip(inputs["shapes"], inputs["gains"])):
        shape = (int(shape[0]), int(shape[1]))
        kwargs = {"gain": float(gain)} if gain > 0 else {}
        what = _call_text("orthogonal", shape, float(gain))
        w = as_array(orthogonal(shape, np.random.default_rng([seed, i]), **kwargs), what)
        out[f"shape{i}"] = np.array(w.shape, dtype=np.int64)
        out[f"float64_{i}"] = np.array(w.dtype == np.float64)
        if w.shape == shape:
            w = w.astype(np.float64)
            out[f"gram{i}"] = w @ w.T if shape[0] <= shape[1] else w.T @ w
            out[f"mean_square{i}"] = np.array(np.mean(w**2))
        a = np.asarray(orthogonal(shape, np.random.default_rng([seed, i, 1]), **kwargs))
        b = np.asarray(orthogonal(shape, np.random.default_rng([seed, i, 1]), **kwargs))
        c = np.asarray(orthogonal(shape, np.random.default_rng([seed, i, 2]), **kwargs))
        same = same and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
        differ = differ and not (a.shape == c.shape and np.array_equal(a, c, equal_nan=True))
    for j, shape in enumerate(ORTHOGONAL_SHAPES):  # the distribution over many draws
        draws = [
            np.asarray(orthogonal(shape, np.random.default_rng([seed, 50 + j, k])), dtype=np.float64)
            for k in range(ORTHOGONAL_DRAWS)
        ]
        if all(w.shape == shape for w in draws):
            stack = np.stack(draws)
            out[f"dist_mean{j}"], out[f"dist_var{j}"] = stack.mean(axis=0), stack.var(axis=0)
            totals = stack.sum(axis=(1, 2))
            out[f"dist_total_mean{j}"], out[f"dist_total_var{j}"] = np.array(totals.mean()), np.array(totals.var())
            if shape[0] == shape[1]:
                out["dist_positive_det"] = np.array(np.mean(np.linalg.det(stack) > 0))
    out["same_seed_same_weights"] = np.array(same)
    out["other_seed_other_weights"] = np.array(differ)
    out["global_state_untouched"] = np.array(same_global_state(global_state, np.random.get_state()))
    return out


def _orthogonal_compare(student: dict, expected: dict, inputs: dict) -> str:
    for i, shape in enumerate(inputs["shapes"]):
        n_out, n_in = int(shape[0]), int(shape[1])
        got = _shape_of(student, f"shape{i}")
        if got != (n_out, n_in) and len(got) == 2 and got[0] == got[1] and n_out != n_in:
            raise CheckFailure(
                f"{_call_text('orthogonal', shape, float(inputs['gains'][i]))} returned shape {got}, expected "
                f"{(n_out, n_in)}. Likely mistake: the wrong factor of the SVD was kept (or full_matrices=True): "
                f"with full_matrices=False, U is {n_out}x{min(n_out, n_in)} and Vt is {min(n_out, n_in)}x{n_in}; "
                "only one of them has the requested shape"
            )
    _check_shapes_and_seeding("orthogonal", student, inputs)
    errors = []
    for i, (shape, gain) in enumerate(zip(inputs["shapes"], inputs["gains"])):
        n_out, n_in = int(shape[0]), int(shape[1])
        call = _call_text("orthogonal", shape, float(gain))
        product = "W @ W.T (its rows)" if n_out <= n_in else "W.T @ W (its columns)"
        g_s, g_e = np.asarray(student[f"gram{i}"]), np.asarray(expected[f"gram{i}"])
        assert_finite(f"{call}: {product}", g_s)
        scale = float(np.max(np.abs(g_e)))
        error = float(np.max(np.abs(g_s - g_e))) / scale
        if error > 1e-10:
            diagonal_s, diagonal_e = np.diag(g_s), np.diag(g_e)
            off_diagonal = float(np.max(np.abs(g_s - np.diag(diagonal_s))))
            factor = float(np.mean(diagonal_s) / np.mean(diagonal_e))
            message = f"{call}: {product} differs from the reference's by {error:.2e} of its scale (tolerance 1e-10)"
            if off_diagonal <= 1e-10 * scale and np.allclose(diagonal_s, factor * diagonal_e, rtol=1e-8):
                message += (
                    f": the rows/columns are orthogonal but their squared norms are {factor:.4g} times the expected"
                )
                if gain > 0 and abs(factor * gain**2 - 1) < 1e-6:
                    message += ". Likely mistake: the gain is missing"
                elif gain > 0 and abs(factor - gain**2) < 1e-6 * gain**2:
                    message += ". Likely mistake: the gain is applied twice"
                elif gain > 0 and abs(factor * gain - 1) < 1e-6:
                    message += ". Likely mistake: the result is multiplied by sqrt(gain) instead of gain"
            else:
                message += (
                    ". The rows (n_out <= n_in) or columns (n_out > n_in) of W are not orthonormal. "
                    "Likely mistake: the singular values were kept (U @ diag(s) @ Vt is the random matrix "
                    "itself) or the result is not a factor of the SVD"
                )
            raise CheckFailure(message)
        errors.append(error)
        assert_ratio(
            f"{call}: the mean of the squared weights",
            float(student[f"mean_square{i}"]),
            float(expected[f"mean_square{i}"]),
            rel_tol=1e-8,
        )
    _compare_orthogonal_distribution(student, expected)
    return f"orthonormal to {max(errors):.1e} (tolerance 1e-10), uniformly distributed over {ORTHOGONAL_DRAWS} draws"


def _compare_orthogonal_distribution(student: dict, expected: dict) -> None:
    """Half the square draws have a positive determinant; the entries and their sum have mean 0."""
    n = ORTHOGONAL_DRAWS
    uniform = "a uniformly distributed orthogonal matrix has every entry's mean 0"
    square = "orthogonal(3x3)"
    for j, shape in enumerate(ORTHOGONAL_SHAPES):
        what = f"orthogonal({shape[0]}x{shape[1]})"
        assert_true(f"dist_mean{j}" in student, f"{what} returned another shape in some of {n} draws")
    positive, positive_ref = number(student, "dist_positive_det"), number(expected, "dist_positive_det")
    if abs(positive - positive_ref) > ORTHOGONAL_Z * np.sqrt(0.5 / n):
        message = (
            f"over {n} draws, {positive:.0%} of the {square} matrices have determinant +1, expected about "
            f"{positive_ref:.0%} (half are rotations, half reflections)"
        )
        if positive in (0.0, 1.0):
            message += (
                ". Likely mistake: a factor whose signs the decomposition fixes by a convention (U "
                "of the SVD alone, or Q of a QR without the sign correction): return U @ Vt"
            )
        raise CheckFailure(message)
    for j, shape in enumerate(ORTHOGONAL_SHAPES):
        what = f"orthogonal({shape[0]}x{shape[1]})"
        total, total_ref = number(student, f"dist_total_mean{j}"), number(expected, f"dist_total_mean{j}")
        error = np.sqrt((number(student, f"dist_total_var{j}") + number(expected, f"dist_total_var{j}")) / n)
        if abs(total - total_ref) > ORTHOGONAL_Z * error:
            message = (
                f"over {n} draws of {what}, the sum of all entries averages {total:.3g}, expected "
                f"{total_ref:.2g} (tolerance ±{ORTHOGONAL_Z * error:.2g}; {uniform})"
            )
            if total > 0:
                message += (
                    ". Likely mistake: the random matrix is not centred (rng.random or uniform on [0, 1) "
                    "instead of standard normal entries), so one unit of W averages its inputs"
                )
            raise CheckFailure(message)
        mean, mean_ref = np.asarray(student[f"dist_mean{j}"]), np.asarray(expected[f"dist_mean{j}"])
        error = np.sqrt((np.asarray(student[f"dist_var{j}"]) + np.asarray(expected[f"dist_var{j}"])) / n)
        z = np.abs(mean - mean_ref) / np.maximum(error, 1e-12)
        if z.max() > ORTHOGONAL_Z:
            where = tuple(int(k) for k in np.unravel_index(int(np.argmax(z)), z.shape))
            raise CheckFailure(
                f"over {n} draws of {what}, entry {where} averages {float(mean[where]):.3g}, expected "
                f"{float(mean_ref[where]):.2g} ({z.max():.1f} standard errors; {uniform}), so the matrices are not "
                "uniformly distributed: are the signs of the factor fixed by the decomposition (U or Vt alone, a QR "
                "without the sign correction), or the random matrix not standard normal?"
            )


# --------------------------------------------------------------------------- log-prior biases


def _labels(rng: np.random.Generator, num_classes: int, size: int, missing: int | None = None) -> np.ndarray:
    weights = rng.uniform(0.2, 3.0, num_classes) ** 2
    classes = np.arange(num_classes)
    if missing is not None:
        weights[missing] = 0.0
        classes = classes[classes != missing]
    draws = rng.choice(num_classes, size=size - len(classes), p=weights / weights.sum())
    return rng.permutation(np.concatenate([classes, draws])).astype(np.int64)


def _log_prior_inputs(rng: np.random.Generator) -> dict:
    k1, k2, k3 = (int(rng.integers(3, 9)) for _ in range(3))
    missing = int(rng.integers(1, k3 - 1))  # not the last class, so num_classes matters
    onehot_labels = _labels(rng, k2, int(rng.integers(150, 300)))
    return {
        "labels": _labels(rng, k1, int(rng.integers(150, 300))),
        "onehot": np.eye(k2)[onehot_labels],
        "labels_missing": _labels(rng, k3, int(rng.integers(50, 100)), missing),
        "num_classes_missing": k3,
        "missing": missing,
    }


def _raises_for_empty_class(function, missing: int) -> tuple[int, int, int]:
    """(0: no exception, 1: ValueError, 2: another exception; 1 if the message names the class;
    the number of biases returned, -1 if it raised)."""
    returned = []
    raised, named = raises_value_error(lambda: returned.append(function()), missing)
    return raised, named, int(np.size(returned[0])) if returned else -1


def _log_prior_probe(inputs: dict) -> dict:
    from mlplab.exercises.initialisers import log_prior_biases

    labels, onehot = inputs["labels"], inputs["onehot"]
    missing_labels, k3, missing = inputs["labels_missing"], int(inputs["num_classes_missing"]), int(inputs["missing"])
    missing_onehot = np.eye(k3)[missing_labels]
    raised, named, _ = _raises_for_empty_class(lambda: log_prior_biases(missing_labels.copy(), k3), missing)
    raised_1h, named_1h, _ = _raises_for_empty_class(lambda: log_prior_biases(missing_onehot.copy()), missing)
    # the last class absent: counting only the labels present gives K - 1 biases and no empty class
    last = np.where(missing_labels == k3 - 1, missing, missing_labels)  # every class present but the last
    raised_last, named_last, size_last = _raises_for_empty_class(lambda: log_prior_biases(last.copy(), k3), k3 - 1)
    return {
        "raised_last": np.array(raised_last),
        "named_last": np.array(named_last),
        "size_last": np.array(size_last),
        "labels": as_array(log_prior_biases(labels.copy()), "log_prior_biases(labels)"),
        "labels_k": as_array(
            log_prior_biases(labels.copy(), int(labels.max()) + 1), "log_prior_biases(labels, num_classes)"
        ),
        "onehot": as_array(log_prior_biases(onehot.copy()), "log_prior_biases(one_hot_targets)"),
        "raised": np.array(raised),
        "named": np.array(named),
        "raised_onehot": np.array(raised_1h),
        "named_onehot": np.array(named_1h),
    }


def _log_prior_hints(num_examples: int):
    def fractions_not_logs(actual, expected):
        if np.allclose(actual, np.exp(expected), rtol=1e-8):
            return "these are the class fractions themselves; the biases are their logarithms"
        return None

    def counts_not_fractions(actual, expected):
        if np.allclose(actual - expected, np.log(num_examples), rtol=1e-8, atol=1e-8):
            return (
                "the logarithms of the class counts: the biases are logarithms of fractions "
                "(counts divided by the number of examples)"
            )
        if np.allclose(actual, num_examples * np.exp(expected), rtol=1e-8):
            return "these are the class counts; the biases are logarithms of the class fractions"
        return None

    return (fractions_not_logs, counts_not_fractions)


def _log_prior_compare(student: dict, expected: dict, inputs: dict) -> str:
    n_labels, n_onehot = len(inputs["labels"]), len(inputs["onehot"])
    assert_close(
        "log_prior_biases(labels)", student["labels"], expected["labels"], tol=1e-10, hints=_log_prior_hints(n_labels)
    )
    assert_close(
        "log_prior_biases(labels, num_classes)",
        student["labels_k"],
        expected["labels_k"],
        tol=1e-10,
        hints=_log_prior_hints(n_labels),
    )
    assert_close(
        "log_prior_biases(one_hot_targets)",
        student["onehot"],
        expected["onehot"],
        tol=1e-10,
        hints=_log_prior_hints(n_onehot),
    )
    missing, k3 = int(inputs["missing"]), int(inputs["num_classes_missing"])
    for form, raised, named in (
        ("labels, num_classes", "raised", "named"),
        ("one-hot targets", "raised_onehot", "named_onehot"),
    ):
        code = int(student[raised])
        call = f"log_prior_biases({form}) when class {missing} of {k3} has no examples"
        assert_true(code != 0, f"{call} returned instead of raising ValueError (its log prior would be -inf)")
        assert_true(code == 1, f"{call} raised an exception other than ValueError")
        assert_true(bool(student[named]), f"{call}: the ValueError's message does not name class {missing}")
    call = f"log_prior_biases(labels, num_classes={k3}) when the last class, {k3 - 1}, has no examples"
    code, size = int(student["raised_last"]), int(student["size_last"])
    if code == 0 and size == k3 - 1:
        raise CheckFailure(
            f"{call} returned {size} biases instead of raising ValueError. Likely mistake: the "
            "classes were counted up to the largest label present (np.bincount without "
            "minlength=num_classes), so the empty last class went unnoticed"
        )
    assert_true(code != 0, f"{call} returned instead of raising ValueError (its log prior would be -inf)")
    assert_true(code == 1, f"{call} raised an exception other than ValueError")
    assert_true(bool(student["named_last"]), f"{call}: the ValueError's message does not name class {k3 - 1}")
    return "log priors agree to 1e-10; empty classes raise ValueError"


# --------------------------------------------------------------------------- hidden units


def _layer_inputs(alpha_range: tuple[float, float] | None):
    def make(rng: np.random.Generator) -> dict:
        shape = (16, 12)
        x = np.exp(rng.uniform(np.log(1e-3), np.log(6.0), shape)) * rng.choice([-1.0, 1.0], shape)
        x.flat[rng.choice(x.size, 14, replace=False)] = 0.0
        x[0, :3] = (-1.5, 0.0, 1.5)  # every region is present
        # Away from the kink (|x| >= 0.05) and from exp's tiny values, where central differences are accurate.
        x_grad = rng.uniform(0.05, 3.0, (6, 5)) * rng.choice([-1.0, 1.0], (6, 5))
        x_grad[0, :2] = (-1.0, 1.0)
        inputs = {
            "x": x,
            "grads": rng.standard_normal(shape),
            "x_grad": x_grad,
            "grads_grad": rng.standard_normal(x_grad.shape),
            "x_large": np.array([[-1e4, -800.0, -50.0, 0.0, 50.0, 800.0, 1e4]]),
            "grads_large": rng.standard_normal((1, 7)),
        }
        if alpha_range is not None:
            inputs["alpha"] = float(rng.uniform(*alpha_range))
        return inputs

    return make


def _layer_probe(class_name: str, param: str = "alpha"):
    def probe(inputs: dict) -> dict:
        from mlplab.exercises import hidden_units
        from mlplab.gradcheck import numerical_vjp

        cls = getattr(hidden_units, class_name)
        layer = cls(float(inputs[param])) if param in inputs else cls()
        x, grads = inputs["x"], inputs["grads"]
        x_saved, grads_saved = x.copy(), grads.copy()
        out: dict[str, np.ndarray] = {}

        y = as_array(layer.fprop(x), f"{class_name}.fprop")
        out["fprop_keeps_float64"] = np.array(y.dtype == np.float64)
        y = np.array(y, copy=True)  # fprop may have returned (a view of) the inputs
        out["fprop_leaves_inputs"] = np.array(np.array_equal(x, x_saved))
        x[...] = x_saved
        y_saved = y.copy()
        out["y"] = y_saved
        out["d"] = as_array(layer.bprop(x, y, grads), f"{class_name}.bprop")
        out["bprop_leaves_arguments"] = np.array(
            np.array_equal(x, x_saved) and np.array_equal(y, y_saved) and np.array_equal(grads, grads_saved)
        )
        x[...], grads[...] = x_saved, grads_saved

        if param in inputs:
            default = cls()
            y_default = as_array(default.fprop(x.copy()), f"{class_name}().fprop")
            out["y_default"] = y_default
            out["d_default"] = as_array(
                default.bprop(x.copy(), y_default.copy(), grads.copy()), f"{class_name}().bprop"
            )

        x_large, grads_large = inputs["x_large"], inputs["grads_large"]
        try:
            with np.errstate(over="raise", invalid="raise", divide="raise"):
                layer.fprop(x_large.copy())
            out["fprop_no_overflow"] = np.array(True)
        except FloatingPointError:
            out["fprop_no_overflow"] = np.array(False)
        y_large = as_array(layer.fprop(x_large.copy()), f"{class_name}.fprop")
        out["y_large"] = y_large
        out["d_large"] = as_array(
            layer.bprop(x_large.copy(), y_large.copy(), grads_large.copy()), f"{class_name}.bprop"
        )

        x32 = x.astype(np.float32)
        y32 = as_array(layer.fprop(x32), f"{class_name}.fprop")
        d32 = as_array(layer.bprop(x32, y32, grads.astype(np.float32)), f"{class_name}.bprop")
        out["fprop_keeps_float32"] = np.array(y32.dtype == np.float32)
        out["bprop_keeps_float32"] = np.array(d32.dtype == np.float32)

        x_grad, grads_grad = inputs["x_grad"], inputs["grads_grad"]
        y_grad = as_array(layer.fprop(x_grad.copy()), f"{class_name}.fprop")
        out["d_grad"] = as_array(layer.bprop(x_grad.copy(), y_grad.copy(), grads_grad.copy()), f"{class_name}.bprop")
        if y_grad.shape == x_grad.shape:
            out["d_numerical"] = numerical_vjp(lambda a: layer.fprop(a), x_grad.copy(), grads_grad, h=FD_STEP)
        else:
            out["d_numerical"] = np.full(x_grad.shape, np.nan)
        return out

    return probe


def _branch_hint(x: np.ndarray, tol: float, known_factors: dict[float, str]):
    """Names the branch (inputs <= 0 or > 0) where all wrong entries are, and a constant factor there."""
    negative, zero, positive = x <= 0, x == 0, x > 0

    def factor(actual, expected, mask):
        a, e = actual[mask], expected[mask]
        if not np.any(e):
            return None
        c = float(a @ e / (e @ e))
        return c if np.allclose(a, c * e, rtol=1e-6, atol=1e-12) else None

    def describe(c):
        if c is None:
            return ""
        if abs(c) < 1e-12:
            return ": it is 0 there"
        text = f": off by a constant factor of about {c:.4g}"
        for target, why in known_factors.items():
            if abs(c / target - 1) < 1e-6:
                return f"{text} ({why})"
        return text

    def hint(actual, expected):
        actual = np.asarray(actual, dtype=np.float64)
        expected = np.asarray(expected, dtype=np.float64)
        if actual.shape != x.shape:
            return None
        wrong = elementwise_rel_error(actual, expected) > tol
        wrong_negative = bool((wrong & negative & ~zero).any())
        wrong_positive = bool((wrong & positive).any())
        if bool((wrong & zero).any()) and not wrong_negative and not wrong_positive:
            return (
                "only entries where the input is exactly 0 are wrong: an input of 0 belongs to the "
                "negative branch (the docstring's convention); compare with `> 0`, not `>= 0`"
            )
        c_negative = factor(actual, expected, negative)
        c_positive = factor(actual, expected, positive)
        if wrong_negative and not wrong_positive:
            return "the negative branch (inputs <= 0) is wrong" + describe(c_negative)
        if wrong_positive and not wrong_negative:
            return "the positive branch (inputs > 0) is wrong" + describe(c_positive)
        if c_negative and c_positive and abs(c_negative * c_positive - 1) < 1e-6:
            return (
                f"the two branches are swapped: where inputs > 0 the result is {c_positive:.4g} times the "
                f"expected and where inputs < 0 it is {c_negative:.4g} times the expected"
            )
        return None

    return hint


def _missing_grads_hint(grads: np.ndarray):
    def hint(actual, expected):
        actual = np.asarray(actual, dtype=np.float64)
        if actual.shape != grads.shape:
            return None
        derivative = np.asarray(expected, dtype=np.float64) / grads
        if np.allclose(actual, derivative, rtol=1e-6, atol=1e-12):
            return "bprop returns the derivative itself: it must be multiplied elementwise by grads_wrt_outputs"
        return None

    return hint


def _layer_compare(class_name: str, known_factors):
    def compare(student: dict, expected: dict, inputs: dict) -> str:
        x, grads = inputs["x"], inputs["grads"]
        alpha = float(inputs["alpha"]) if "alpha" in inputs else None
        factors = known_factors(alpha)
        name = f"{class_name}({'' if alpha is None else f'alpha={alpha:.4g}'})"
        regions = {"inputs < 0": x < 0, "inputs == 0": x == 0, "inputs > 0": x > 0}

        assert_true(
            flag(student, "fprop_keeps_float64"),
            f"{name}.fprop returned another dtype than float64 for float64 inputs: keep the input dtype",
        )
        assert_close(
            f"{name}.fprop output",
            student["y"],
            expected["y"],
            tol=FPROP_TOL,
            regions=regions,
            hints=(_branch_hint(x, FPROP_TOL, factors),),
        )
        if "y_default" in expected:
            assert_close(
                f"{class_name}().fprop output (default alpha)",
                student["y_default"],
                expected["y_default"],
                tol=FPROP_TOL,
                regions=regions,
                hints=(_branch_hint(x, FPROP_TOL, {}),),
            )
        assert_true(
            flag(student, "fprop_leaves_inputs"),
            f"{name}.fprop modified its inputs in place; compute a new array instead",
        )
        assert_true(
            flag(student, "fprop_no_overflow"),
            f"{name}.fprop overflows (a floating-point overflow warning) for large positive inputs such "
            "as 800: np.exp is evaluated on them even where its result is not used; take np.exp only "
            "of non-positive values (see the docstring)",
        )
        assert_close(
            f"{name}.fprop output for inputs {inputs['x_large'].ravel().tolist()}",
            student["y_large"],
            expected["y_large"],
            tol=FPROP_TOL,
        )

        numerical = np.asarray(student["d_numerical"])
        d_grad = np.asarray(student["d_grad"])
        numerical_error = (
            float(np.max(elementwise_rel_error(d_grad, numerical))) if d_grad.shape == numerical.shape else np.inf
        )
        try:
            assert_close(
                f"{name}.bprop output",
                student["d"],
                expected["d"],
                tol=BPROP_TOL,
                regions=regions,
                hints=(_missing_grads_hint(grads), _branch_hint(x, BPROP_TOL, factors)),
            )
            if "d_default" in expected:
                assert_close(
                    f"{class_name}().bprop output (default alpha)",
                    student["d_default"],
                    expected["d_default"],
                    tol=BPROP_TOL,
                    regions=regions,
                    hints=(_missing_grads_hint(grads), _branch_hint(x, BPROP_TOL, {})),
                )
            assert_close(
                f"{name}.bprop output for inputs {inputs['x_large'].ravel().tolist()}",
                student["d_large"],
                expected["d_large"],
                tol=BPROP_TOL,
            )
        except CheckFailure as failure:
            if numerical_error > NUMERICAL_TOL:
                raise CheckFailure(
                    f"{failure} Your bprop also disagrees with the numerical gradient of your fprop "
                    f"(rel. error {numerical_error:.2e} > {NUMERICAL_TOL:.0e})"
                ) from None
            raise
        assert_true(
            flag(student, "bprop_leaves_arguments"),
            f"{name}.bprop modified its inputs, outputs or grads_wrt_outputs in place; compute a new array instead",
        )
        assert_true(
            numerical_error <= NUMERICAL_TOL,
            f"{name}: your bprop disagrees with the numerical gradient of your fprop "
            f"(rel. error {numerical_error:.2e} > {NUMERICAL_TOL:.0e})",
        )
        assert_true(
            flag(student, "fprop_keeps_float32"),
            f"{name}.fprop returned another dtype than float32 for float32 inputs: keep the input dtype "
            "(a float64 array or np.float64 scalar in the computation promotes to float64)",
        )
        assert_true(
            flag(student, "bprop_keeps_float32"),
            f"{name}.bprop returned another dtype than float32 for float32 arguments: keep the input "
            "dtype (a float64 array or np.float64 scalar in the computation promotes to float64)",
        )
        return (
            f"fprop and bprop agree with the reference; bprop agrees with the numerical gradient "
            f"to {numerical_error:.1e}"
        )

    return compare


def _layer_check(task_id: str, class_name: str, alpha_range, known_factors) -> TaskCheck:
    return TaskCheck(
        task_id, _layer_inputs(alpha_range), _layer_probe(class_name), _layer_compare(class_name, known_factors)
    )


def _elu_factors(alpha):
    return {1 / alpha: "is self.alpha used?", alpha: "alpha applied twice?"}


def _selu_factors(alpha):
    return {
        1 / _SELU_SCALE: "SCALE is missing",
        1 / _SELU_ALPHA: "ALPHA is missing",
        1 / (_SELU_SCALE * _SELU_ALPHA): "SCALE * ALPHA is missing",
        _SELU_SCALE: "SCALE applied twice?",
        _SELU_ALPHA: "ALPHA applied where it does not belong?",
    }


def _leaky_factors(alpha):
    return {1 / alpha: "is self.alpha used?", alpha: "alpha applied twice?"}


# --------------------------------------------------------------------------- shifted ReLU


def _srelu_inputs(rng: np.random.Generator) -> dict:
    shift = float(rng.uniform(0.4, 2.5))
    shape = (16, 12)
    # Every region is well populated: below the kink, between the kink and 0, above 0.
    x = rng.uniform(-2.0 * shift - 1.0, 3.0, shape)
    x.flat[rng.choice(x.size, 10, replace=False)] = -shift  # exactly at the kink
    x.flat[rng.choice(x.size, 6, replace=False)] = 0.0
    x[0, :5] = (-shift - 1.0, -shift, -0.5 * shift, 0.0, 1.5)
    # Away from the kink (|x + shift| >= 0.05), where central differences are exact for a linear piece.
    x_grad = -shift + rng.uniform(0.05, 3.0, (6, 5)) * rng.choice([-1.0, 1.0], (6, 5))
    x_grad[0, :3] = (-shift - 0.5, -0.5 * shift, 1.0)
    return {
        "x": x,
        "grads": rng.standard_normal(shape),
        "x_grad": x_grad,
        "grads_grad": rng.standard_normal(x_grad.shape),
        "x_large": np.array([[-1e4, -800.0, -50.0, 0.0, 50.0, 800.0, 1e4]]),
        "grads_large": rng.standard_normal((1, 7)),
        "shift": shift,
    }


def _srelu_hint(x: np.ndarray, shift: float, tol: float, what: str):
    """Names the likely SReLU mistake from where the wrong entries are and what they hold there."""
    low, at, between, above = x <= -shift, x == -shift, (x > -shift) & (x <= 0), x > 0
    high = ~low

    def hint(actual, expected):
        actual = np.asarray(actual, dtype=np.float64)
        expected = np.asarray(expected, dtype=np.float64)
        if actual.shape != x.shape:
            return None
        wrong = elementwise_rel_error(actual, expected) > tol
        if not wrong.any():
            return None
        if not (wrong & ~at).any():
            return (
                f"only entries where the input is exactly -shift = {-shift:.4g} are wrong: an input at the "
                "kink belongs to the constant branch (the docstring's convention); compare with "
                "`> -shift`, not `>= -shift`"
            )
        if not (wrong & ~between).any():
            return (
                f"only entries with -shift < input <= 0 are wrong: the branch is chosen at 0 instead of at "
                f"-shift = {-shift:.4g} (the kink of the shifted ReLU is at -shift, not at 0)"
            )
        if what == "fprop":
            if shift != 1.0 and np.allclose(actual, np.maximum(x, -1.0), rtol=1e-12, atol=1e-12):
                return f"the outputs are those of shift = 1, not of shift = {shift:.4g}: is self.shift used?"
            if not (wrong & high).any():
                if np.allclose(actual[low], 0.0, atol=1e-12):
                    return (
                        "where input <= -shift the output is 0 instead of -shift: the offset -shift is "
                        "missing, so the function jumps at the kink (it must be continuous, f(-shift) = -shift)"
                    )
                return "only the constant branch (input <= -shift) is wrong: there the output is -shift"
            offset = actual[wrong & above] - expected[wrong & above]
            if offset.size and np.allclose(offset, offset[0], rtol=1e-6, atol=1e-12):
                return (
                    f"where input > 0 the output is offset by a constant {offset[0]:.4g}: above the kink "
                    "f(a) = a (max(a, -shift) moves the ReLU down and left, which leaves f(a) = a there)"
                )
            return None
        passes_low = bool(np.any(actual[low]))
        blocks_high = np.allclose(actual[high], 0.0, atol=1e-12)
        if blocks_high and passes_low:
            return (
                "the gradient is passed where input <= -shift and blocked where input > -shift: the slope 1 "
                "is applied to the wrong side of the kink"
            )
        if blocks_high and (wrong & high).any():
            return "the gradient is 0 where input > -shift: there f(a) = a, whose derivative is 1"
        if (wrong & low).any() and not (wrong & high).any():
            return (
                "the gradient is not 0 where input <= -shift: there f is the constant -shift, whose "
                "derivative is 0 (the derivative of the wrong piece was used)"
            )
        return None

    return hint


def _srelu_compare(student: dict, expected: dict, inputs: dict) -> str:
    x, grads, shift = inputs["x"], inputs["grads"], float(inputs["shift"])
    name = f"SReLULayer(shift={shift:.4g})"
    regions = {"inputs < -shift": x < -shift, "inputs == -shift": x == -shift, "inputs > -shift": x > -shift}

    assert_true(
        flag(student, "fprop_keeps_float64"),
        f"{name}.fprop returned another dtype than float64 for float64 inputs: keep the input dtype",
    )
    assert_close(
        f"{name}.fprop output",
        student["y"],
        expected["y"],
        tol=FPROP_TOL,
        regions=regions,
        hints=(_srelu_hint(x, shift, FPROP_TOL, "fprop"),),
    )
    assert_close(
        "SReLULayer().fprop output (default shift)",
        student["y_default"],
        expected["y_default"],
        tol=FPROP_TOL,
        regions={"inputs <= -1": x <= -1, "inputs > -1": x > -1},
        hints=(_srelu_hint(x, 1.0, FPROP_TOL, "fprop"),),
    )
    assert_true(
        flag(student, "fprop_leaves_inputs"),
        f"{name}.fprop modified its inputs in place; compute a new array instead",
    )
    assert_close(
        f"{name}.fprop output for inputs {inputs['x_large'].ravel().tolist()}",
        student["y_large"],
        expected["y_large"],
        tol=FPROP_TOL,
    )

    numerical = np.asarray(student["d_numerical"])
    d_grad = np.asarray(student["d_grad"])
    numerical_error = (
        float(np.max(elementwise_rel_error(d_grad, numerical))) if d_grad.shape == numerical.shape else np.inf
    )
    try:
        assert_close(
            f"{name}.bprop output",
            student["d"],
            expected["d"],
            tol=BPROP_TOL,
            regions=regions,
            hints=(_missing_grads_hint(grads), _srelu_hint(x, shift, BPROP_TOL, "bprop")),
        )
        assert_close(
            "SReLULayer().bprop output (default shift)",
            student["d_default"],
            expected["d_default"],
            tol=BPROP_TOL,
            regions={"inputs <= -1": x <= -1, "inputs > -1": x > -1},
            hints=(_missing_grads_hint(grads), _srelu_hint(x, 1.0, BPROP_TOL, "bprop")),
        )
        assert_close(
            f"{name}.bprop output for inputs {inputs['x_large'].ravel().tolist()}",
            student["d_large"],
            expected["d_large"],
            tol=BPROP_TOL,
        )
    except CheckFailure as failure:
        if numerical_error > NUMERICAL_TOL:
            raise CheckFailure(
                f"{failure} Your bprop also disagrees with the numerical gradient of your fprop "
                f"(rel. error {numerical_error:.2e} > {NUMERICAL_TOL:.0e})"
            ) from None
        raise
    assert_true(
        flag(student, "bprop_leaves_arguments"),
        f"{name}.bprop modified its inputs, outputs or grads_wrt_outputs in place; compute a new array instead",
    )
    assert_true(
        numerical_error <= NUMERICAL_TOL,
        f"{name}: your bprop disagrees with the numerical gradient of your fprop "
        f"(rel. error {numerical_error:.2e} > {NUMERICAL_TOL:.0e})",
    )
    assert_true(
        flag(student, "fprop_keeps_float32"),
        f"{name}.fprop returned another dtype than float32 for float32 inputs: keep the input dtype "
        "(a float64 array or np.float64 scalar in the computation promotes to float64)",
    )
    assert_true(
        flag(student, "bprop_keeps_float32"),
        f"{name}.bprop returned another dtype than float32 for float32 arguments: keep the input "
        "dtype (a float64 array or np.float64 scalar in the computation promotes to float64)",
    )
    return (
        f"fprop and bprop agree with the reference; bprop agrees with the numerical gradient to {numerical_error:.1e}"
    )


# --------------------------------------------------------------------------- preprocessing


def _missing_attribute(obj, name: str, cls: str):
    value = getattr(obj, name, None)
    if value is None:
        raise ProbeError(f"after fit, {cls}.{name} is None or missing: fit must set it (see the docstring)")
    return as_array(value, f"{cls}.{name}")


def _standardise_inputs(rng: np.random.Generator) -> dict:
    n, m, d = int(rng.integers(120, 201)), int(rng.integers(30, 61)), int(rng.integers(8, 13))
    means = rng.uniform(-5, 5, d)
    stds = np.exp(rng.uniform(np.log(0.2), np.log(5.0), d))
    train = means + stds * rng.standard_normal((n, d))
    constant = rng.choice(d, 2, replace=False)
    train[:, constant[0]] = 0.3  # exactly constant (its computed std is 0 or a rounding error)
    train[:, constant[1]] = -2.0 + 1e-10 * rng.standard_normal(n)  # std far below eps = 1e-8
    # Held-out data from a shifted, rescaled distribution, in which the constant features vary.
    shift = rng.uniform(0.5, 2.0, d) * rng.choice([-1.0, 1.0], d)
    test = means + stds * shift + stds * rng.uniform(0.5, 2.0, d) * rng.standard_normal((m, d))
    test[:, constant] = train[0, constant] + 0.5 * rng.standard_normal((m, 2))
    return {"train": train, "test": test, "constant": np.sort(constant)}


def _standardise_probe(inputs: dict) -> dict:
    from mlplab.exercises.preprocessing import Standardiser

    train, test = inputs["train"], inputs["test"]
    train_saved, test_saved = train.copy(), test.copy()
    standardiser = Standardiser()
    fitted = standardiser.fit(train)
    out = {
        "fit_returns_self": np.array(fitted is standardiser),
        "fit_leaves_inputs": np.array(np.array_equal(train, train_saved)),
    }
    train[...] = train_saved
    out["mean"] = _missing_attribute(standardiser, "mean_", "Standardiser")
    out["std"] = _missing_attribute(standardiser, "std_", "Standardiser")
    num_features = train.shape[1]
    if out["mean"].shape == (num_features,) and out["std"].shape == (num_features,):
        # Otherwise transform would fail for a reason the attributes already show.
        out["test"] = as_array(standardiser.transform(test), "Standardiser.transform(held_out_inputs)")
        out["transform_leaves_inputs"] = np.array(np.array_equal(test, test_saved))
        out["train"] = as_array(standardiser.transform(train.copy()), "Standardiser.transform(train_inputs)")
    return out


def _per_feature_shape(name: str, actual, num_examples: int, num_features: int) -> None:
    shape = np.shape(actual)
    if shape == (num_examples,) and num_examples != num_features:
        raise CheckFailure(
            f"{name}: shape {shape}, one value per example, expected one per feature "
            f"({num_features},). Likely mistake: reduced over the wrong axis (axis=1 instead "
            "of axis=0, the examples)"
        )
    if shape == ():
        raise CheckFailure(
            f"{name}: a single number, expected one value per feature ({num_features},). "
            "Likely mistake: reduced over the whole array instead of over axis 0 (the examples)"
        )
    assert_shape(name, np.asarray(actual), (num_features,))


def _ddof_hint(num_examples: int, constant: np.ndarray):
    def hint(actual, expected):
        varying = np.ones(np.shape(expected), dtype=bool)
        varying[constant] = False
        ratio = np.asarray(actual)[varying] / np.asarray(expected)[varying]
        if np.allclose(ratio, np.sqrt(num_examples / (num_examples - 1)), rtol=1e-8):
            return "the sample standard deviation (ddof=1) was used; use the population one (ddof=0)"
        return None

    return hint


def _constant_feature_hint(constant: np.ndarray):
    def hint(actual, expected):
        wrong = np.flatnonzero(elementwise_rel_error(actual, expected) > 1e-9)
        if wrong.size and set(wrong) <= set(constant.tolist()):
            return (
                "only features that are constant in the training inputs are wrong: where the training std "
                "is below eps, std_ must be 1 (otherwise transform divides by (nearly) zero)"
            )
        return None

    return hint


def _own_statistics_hint(what: str):
    def hint(actual, expected):
        a = np.asarray(actual, dtype=np.float64)
        e = np.asarray(expected, dtype=np.float64)
        if a.ndim != 2 or a.shape != e.shape:
            return None
        own_mean = np.allclose(a.mean(axis=0), 0, atol=1e-8) and not np.allclose(e.mean(axis=0), 0, atol=1e-3)
        if own_mean:
            return (
                f"the held-out inputs were {what} with their own statistics (their own mean has been "
                "removed); transform must use the statistics fitted on the training inputs"
            )
        return None

    return hint


def _standardise_compare(student: dict, expected: dict, inputs: dict) -> str:
    train, constant = inputs["train"], np.asarray(inputs["constant"], dtype=np.int64)
    num_examples, num_features = train.shape
    assert_true(
        flag(student, "fit_returns_self"),
        "Standardiser.fit must return self, so that Standardiser().fit(x) is the fitted standardiser",
    )
    assert_true(flag(student, "fit_leaves_inputs"), "Standardiser.fit modified the training inputs in place")
    _per_feature_shape("Standardiser.mean_", student["mean"], num_examples, num_features)
    assert_close_to_scale("Standardiser.mean_", student["mean"], expected["mean"], tol=1e-9)
    _per_feature_shape("Standardiser.std_", student["std"], num_examples, num_features)
    is_constant = np.zeros(num_features, dtype=bool)
    is_constant[constant] = True
    assert_close_to_scale(
        "Standardiser.std_",
        student["std"],
        expected["std"],
        tol=1e-9,
        regions={"the feature is constant in the training inputs": is_constant, "the feature varies": ~is_constant},
        hints=(_constant_feature_hint(constant), _ddof_hint(num_examples, constant)),
    )
    assert_close_to_scale(
        "Standardiser.transform(held_out_inputs)",
        student["test"],
        expected["test"],
        tol=1e-9,
        hints=(_own_statistics_hint("standardised"),),
    )
    assert_true(
        flag(student, "transform_leaves_inputs"),
        "Standardiser.transform modified its inputs in place (e.g. with -= or /=); compute a new array",
    )
    assert_close_to_scale("Standardiser.transform(train_inputs)", student["train"], expected["train"], tol=1e-9)
    return "statistics and standardised inputs agree to 1e-9"


def _pca_inputs(rng: np.random.Generator) -> dict:
    d = int(rng.integers(6, 10))
    n, m = int(rng.integers(250, 401)), int(rng.integers(40, 81))
    variances = 12.0 * 0.5 ** np.arange(d) * np.exp(rng.uniform(-0.1, 0.1, d))
    rotation, _ = np.linalg.qr(rng.standard_normal((d, d)))
    mean = rng.uniform(-3, 3, d)
    train = mean + (rng.standard_normal((n, d)) * np.sqrt(variances)) @ rotation.T
    test = mean + rng.uniform(0.5, 1.5, d) + (rng.standard_normal((m, d)) * np.sqrt(variances)) @ rotation.T
    return {
        "train": train,
        "test": test,
        "num_components": int(rng.integers(2, d - 1)),
        "eps": float(rng.uniform(0.01, 0.05)),
    }


def _pca_probe(inputs: dict) -> dict:
    from mlplab.exercises.preprocessing import PCAWhitener

    train, test = inputs["train"], inputs["test"]
    train_saved, test_saved = train.copy(), test.copy()
    k, eps = int(inputs["num_components"]), float(inputs["eps"])
    whitener = PCAWhitener(num_components=k, eps=eps)
    fitted = whitener.fit(train)
    out = {
        "fit_returns_self": np.array(fitted is whitener),
        "fit_leaves_inputs": np.array(np.array_equal(train, train_saved)),
    }
    train[...] = train_saved
    out["mean"] = _missing_attribute(whitener, "mean_", "PCAWhitener")
    out["eigenvalues"] = _missing_attribute(whitener, "eigenvalues_", "PCAWhitener")
    out["components"] = _missing_attribute(whitener, "components_", "PCAWhitener")
    d = train.shape[1]
    if (out["mean"].shape, out["eigenvalues"].shape, out["components"].shape) == ((d,), (k,), (d, k)):
        # Otherwise transform would fail for a reason the attributes already show.
        out["test"] = as_array(whitener.transform(test), "PCAWhitener.transform(held_out_inputs)")
        out["transform_leaves_inputs"] = np.array(np.array_equal(test, test_saved))
        white = as_array(whitener.transform(train.copy()), "PCAWhitener.transform(train_inputs)")
        out["train"] = white
        if white.ndim == 2:
            white = white.astype(np.float64) - white.mean(axis=0)
            out["train_covariance"] = white.T @ white / len(white)
        out["all_components"] = as_array(
            PCAWhitener().fit(train.copy()).transform(test.copy()),
            "PCAWhitener() (all components, default eps) .transform",
        )
    return out


def _align_signs(actual, expected) -> np.ndarray:
    """``actual`` with each column's sign flipped to match ``expected`` (eigenvector signs are arbitrary)."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape or actual.ndim != 2:
        return actual
    signs = np.sign(np.sum(actual * expected, axis=0))
    signs[signs == 0] = 1.0
    return actual * signs


def _pca_shift_hint(actual, expected):
    difference = np.asarray(actual, dtype=np.float64) - np.asarray(expected, dtype=np.float64)
    if difference.ndim == 2 and np.allclose(difference, difference.mean(axis=0), rtol=1e-6, atol=1e-8):
        return "every column is shifted by a constant: the training mean_ is not subtracted before projecting"
    return None


def _pca_eps_hint(actual, expected):
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if a.ndim == 2 and np.allclose(a.var(axis=0), 1, rtol=1e-9) and not np.allclose(e.var(axis=0), 1, rtol=1e-6):
        return "every column of your whitened training data has variance exactly 1: eps is missing from the scaling"
    return None


def _covariance_ddof_hint(num_examples: int):
    def hint(actual, expected):
        if np.allclose(np.asarray(actual) / np.asarray(expected), num_examples / (num_examples - 1), rtol=1e-8):
            return "the covariance was divided by N - 1 (ddof=1); use the population covariance (ddof=0, divide by N)"
        return None

    return hint


def _pca_compare(student: dict, expected: dict, inputs: dict) -> str:
    train = inputs["train"]
    num_examples, num_features = train.shape
    k = int(inputs["num_components"])
    assert_true(
        flag(student, "fit_returns_self"),
        "PCAWhitener.fit must return self, so that PCAWhitener(k).fit(x) is the fitted whitener",
    )
    assert_true(flag(student, "fit_leaves_inputs"), "PCAWhitener.fit modified the training inputs in place")
    _per_feature_shape("PCAWhitener.mean_", student["mean"], num_examples, num_features)
    assert_close_to_scale("PCAWhitener.mean_", student["mean"], expected["mean"], tol=1e-9)

    eigenvalues = np.asarray(student["eigenvalues"])
    name = f"PCAWhitener(num_components={k}).eigenvalues_"
    if eigenvalues.shape == (num_features,) and k != num_features:
        raise CheckFailure(
            f"{name}: shape {eigenvalues.shape}, expected ({k},): all eigenvalues were kept, "
            "keep only the num_components largest"
        )
    assert_shape(name, eigenvalues, (k,))
    if k > 1 and np.all(np.diff(eigenvalues) > 0):
        raise CheckFailure(
            f"{name} = {np.array2string(eigenvalues, precision=4)} is in increasing order. "
            "Likely mistake: np.linalg.eigh returns eigenvalues in increasing order; the "
            "components must be ordered by decreasing eigenvalue (variance)"
        )
    assert_close_to_scale(
        name, eigenvalues, expected["eigenvalues"], tol=1e-8, hints=(_covariance_ddof_hint(num_examples),)
    )

    components = np.asarray(student["components"])
    name = f"PCAWhitener(num_components={k}).components_"
    assert_shape(name, components, (num_features, k))
    assert_close_to_scale(
        f"{name} (each column's sign matched to the reference's)",
        _align_signs(components, expected["components"]),
        expected["components"],
        tol=1e-8,
    )

    assert_close_to_scale(
        "PCAWhitener.transform(train_inputs) (signs matched per column)",
        _align_signs(student["train"], expected["train"]),
        expected["train"],
        tol=1e-8,
        hints=(_pca_shift_hint, _pca_eps_hint),
    )
    assert_close_to_scale(
        "PCAWhitener.transform(held_out_inputs) (signs matched per column)",
        _align_signs(student["test"], expected["test"]),
        expected["test"],
        tol=1e-8,
        hints=(_own_statistics_hint("centred"), _pca_shift_hint),
    )
    assert_close_to_scale(
        "covariance of the whitened training inputs",
        student["train_covariance"],
        expected["train_covariance"],
        tol=1e-8,
    )
    assert_true(
        flag(student, "transform_leaves_inputs"),
        "PCAWhitener.transform modified its inputs in place (e.g. with -=); compute a new array",
    )
    assert_close_to_scale(
        "PCAWhitener() (all components, default eps) .transform(held_out_inputs) (signs matched per column)",
        _align_signs(student["all_components"], expected["all_components"]),
        expected["all_components"],
        tol=1e-8,
    )
    return "components (up to sign) and whitened inputs agree to 1e-8"


# --------------------------------------------------------------------------- the checks

CHECKS = [
    _init_check("lab1.fanin_uniform", "fanin_uniform", with_gain=False),
    _init_check("lab1.glorot_uniform", "glorot_uniform", with_gain=True),
    _init_check("lab1.glorot_normal", "glorot_normal", with_gain=True),
    _init_check("lab1.he_normal", "he_normal", with_gain=False),
    TaskCheck("lab1.orthogonal", _orthogonal_inputs, _orthogonal_probe, _orthogonal_compare),
    TaskCheck("lab1.log_prior_biases", _log_prior_inputs, _log_prior_probe, _log_prior_compare),
    _layer_check("lab1.elu", "ELULayer", (1.4, 2.5), _elu_factors),
    _layer_check("lab1.selu", "SELULayer", None, _selu_factors),
    _layer_check("lab1.leaky_relu", "LeakyReLULayer", (0.1, 0.4), _leaky_factors),
    TaskCheck("lab1.srelu", _srelu_inputs, _layer_probe("SReLULayer", param="shift"), _srelu_compare),
    TaskCheck("lab1.standardise", _standardise_inputs, _standardise_probe, _standardise_compare),
    TaskCheck("lab1.pca_whiten", _pca_inputs, _pca_probe, _pca_compare),
]
