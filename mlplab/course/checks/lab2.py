"""Checks of Lab 2: batch normalisation (and layer normalisation, tasks 2.9 and 2.10).

Every check compares your implementation with the reference implementation's
outputs on the same inputs (``expected``); nothing here computes the answers.
Inputs are float64 unless stated.

Batch statistics differ between implementations only by rounding, so arrays are
compared entry by entry against the size of what is expected *for the same unit*:
an entry is wrong when ``|yours - expected|`` exceeds the tolerance times the
largest ``|expected|`` of its unit (its column, or its channel for spatial
inputs). Tolerances:

* forward passes (2.1, 2.7), the mode logic (2.6), batch means and variances:
  ``1e-8`` (the variance computed as ``mean(x**2) - mean(x)**2`` is correct
  and within about ``1e-10``; every mistake below changes the outputs by far
  more). The inputs of task 2.1 include a unit whose batch variance is about
  ``eps``, where the place of ``eps`` matters;
* backward passes (2.2, 2.8): ``1e-8`` per unit; the reference agrees with
  central differences to better than ``1e-7`` (tests/labs/lab2/test_lab2_reference.py).
  Besides random ``grads_wrt_outputs`` they are probed with two special ones
  whose exact answer is known from the forward pass: gradients that are the
  same for every example of a unit (the outputs of a unit always sum to
  ``m * beta``, so ``dE/dx`` is 0) and gradients proportional to the centred
  inputs (``sum_i xhat_ij**2`` is ``m`` up to ``eps``, so ``dE/dx`` is nearly 0);
  a missing mean or variance path shows up there;
* population statistics, running averages and folding (2.3-2.5): ``1e-12``
  of the largest expected value;
* task 2.6 is probed with stand-ins for ``batchnorm_forward`` and
  ``update_running_statistics`` that return fixed arrays and record how they
  are called, so the mode logic is judged on its own; an implementation that
  does not call them passes if it agrees with the reference when run with its
  own functions.

Results must keep the dtype of float32 inputs (tasks 2.1 and 2.2), and no
function may modify its arguments in place.
"""

from __future__ import annotations

import inspect

import numpy as np

from mlplab.course.checks.compare import (
    as_array,
    assert_close_to_scale,
    assert_finite,
    assert_shape,
    assert_true,
    flag,
    unit_scale,
)
from mlplab.course.checks.core import CheckFailure, ProbeError, TaskCheck

FORWARD_TOL = 1e-8
BACKWARD_TOL = 1e-8
STATISTICS_TOL = 1e-12
EPS = 1e-5

# --------------------------------------------------------------------------- shared helpers


def _results(value, what: str, names: tuple[str, ...]) -> list[np.ndarray]:
    """A tuple of ``len(names)`` arrays returned by the implementation, or a ProbeError saying what is wrong."""
    expected = f"a tuple ({', '.join(names)})"
    if value is None:
        raise ProbeError(f"{what} returned None; it must return {expected} (did you forget `return`?)")
    if isinstance(value, np.ndarray) or not isinstance(value, (tuple, list)):
        raise ProbeError(f"{what} returned a single {type(value).__name__}; it must return {expected}")
    if len(value) != len(names):
        raise ProbeError(f"{what} returned {len(value)} values; it must return {expected}")
    # copies: a result may be (a view of) an argument that the probe restores afterwards
    return [np.array(as_array(v, f"{what} ({name})"), copy=True) for v, name in zip(value, names)]


def _unit_shape(
    name: str,
    actual,
    num_examples: int,
    num_units: int,
    *,
    what: str = "unit",
    reduce_text: str = "axis 0, the examples of the batch",
) -> None:
    """A per-unit result of shape ``(D,)``, with a message naming a sum or mean over the wrong axis."""
    shape = np.shape(actual)
    if shape == (num_examples,) and num_examples != num_units:
        raise CheckFailure(
            f"{name}: shape {shape}, one value per example, expected one per {what} "
            f"({num_units},). Likely mistake: reduced over the wrong axis (axis=1 instead of "
            f"{reduce_text})"
        )
    if shape == ():
        raise CheckFailure(
            f"{name}: a single number, expected one value per {what} ({num_units},). Likely "
            f"mistake: reduced over the whole array instead of over {reduce_text}"
        )
    if shape == (num_examples, num_units):
        raise CheckFailure(
            f"{name}: shape {shape}, expected ({num_units},): it must be reduced over "
            f"{reduce_text} (a sum or a mean is missing)"
        )
    assert_shape(name, np.asarray(actual), (num_units,))


def _column_factors(actual, expected, beta) -> np.ndarray | None:
    """Per unit, the factor ``c_j`` with ``actual - beta = c_j * (expected - beta)``, or None if no such factor fits."""
    a = np.asarray(actual, dtype=np.float64) - beta
    e = np.asarray(expected, dtype=np.float64) - beta
    if a.shape != e.shape or a.ndim != 2:
        return None
    factors = np.sum(a * e, axis=0) / np.maximum(np.sum(e * e, axis=0), 1e-300)
    if not np.allclose(a, factors * e, rtol=1e-6, atol=1e-9 * float(np.max(np.abs(e)))):
        return None
    return factors


# --------------------------------------------------------------------------- 2.1 forward pass


def _batch(rng: np.random.Generator, m: int, d: int) -> np.ndarray:
    """Units with different means (-5..5) and standard deviations (0.3..5)."""
    means = rng.uniform(-5, 5, d)
    stds = np.exp(rng.uniform(np.log(0.3), np.log(5.0), d))
    return means + stds * rng.standard_normal((m, d))


def _gamma(rng: np.random.Generator, d: int) -> np.ndarray:
    return rng.uniform(0.5, 2.0, d) * rng.choice([-1.0, 1.0], d)


def _forward_inputs(rng: np.random.Generator) -> dict:
    m, d = int(rng.integers(24, 41)), int(rng.integers(6, 13))
    x = _batch(rng, m, d)
    tiny = int(rng.integers(d))
    x[:, tiny] = rng.uniform(-2, 2) + rng.uniform(2e-3, 4e-3) * rng.standard_normal(m)  # variance about eps
    return {
        "x": x,
        "gamma": _gamma(rng, d),
        "beta": 2 * rng.standard_normal(d),
        "tiny": tiny,
        "eps2": float(rng.uniform(0.05, 0.2)),
    }


def _forward_probe(inputs: dict) -> dict:
    from mlplab.exercises import batch_norm

    x, gamma, beta = inputs["x"], inputs["gamma"], inputs["beta"]
    saved = [a.copy() for a in (x, gamma, beta)]
    names = ("outputs", "batch_mean", "batch_var")
    y, mean, var = _results(
        batch_norm.batchnorm_forward(x, gamma, beta, EPS), "batchnorm_forward(inputs, gamma, beta, eps=1e-5)", names
    )
    out = {
        "y": np.array(y, dtype=np.float64),
        "mean": mean,
        "var": var,
        "float64": np.array(y.dtype == np.float64),
        "leaves_inputs": np.array(all(np.array_equal(a, b) for a, b in zip((x, gamma, beta), saved))),
    }
    for a, b in zip((x, gamma, beta), saved):
        a[...] = b
    out["y_eps2"] = _results(
        batch_norm.batchnorm_forward(x.copy(), gamma.copy(), beta.copy(), inputs["eps2"]),
        f"batchnorm_forward(inputs, gamma, beta, eps={float(inputs['eps2']):.3g})",
        names,
    )[0]
    y32, mean32, var32 = _results(
        batch_norm.batchnorm_forward(x.astype(np.float32), gamma.astype(np.float32), beta.astype(np.float32), EPS),
        "batchnorm_forward (float32 arguments)",
        names,
    )
    out["float32"] = np.array(y32.dtype == mean32.dtype == var32.dtype == np.float32)
    return out


def _ddof_hint(m: int, beta, varying):
    def hint(actual, expected):
        factors = _column_factors(actual, expected, beta)
        if factors is not None and np.allclose(factors[varying], np.sqrt((m - 1) / m), rtol=1e-3):
            return (
                "every unit's outputs are too small by sqrt((m - 1) / m): the unbiased variance (ddof=1, "
                "divide by m - 1) was used; batch norm normalises with the biased batch variance (divide by m)"
            )
        return None

    return hint


def _eps_hint(beta, varying):
    def hint(actual, expected):
        factors = _column_factors(actual, expected, beta)
        if (
            factors is not None
            and np.allclose(factors[varying], 1.0, rtol=1e-3)
            and np.any(np.abs(factors[~varying] - 1.0) > 1e-2)
        ):
            return (
                "only the unit whose batch variance is about eps is far off: eps is not where it belongs. "
                "It is added to the variance inside the square root, sqrt(var + eps), "
                "not to the standard deviation (sqrt(var) + eps), and it must not be left out"
            )
        return None

    return hint


def _swap_hint(gamma, beta):
    def hint(actual, expected):
        normalised = (np.asarray(expected) - beta) / gamma
        if np.shape(actual) == normalised.shape and np.allclose(
            actual, beta * normalised + gamma, rtol=1e-8, atol=1e-10
        ):
            return "gamma and beta are swapped (gamma scales the normalised inputs, beta shifts them)"
        return None

    return hint


def _forward_compare(student: dict, expected: dict, inputs: dict) -> str:
    x, beta, tiny = inputs["x"], inputs["beta"], int(inputs["tiny"])
    m, d = x.shape
    varying = np.ones(d, dtype=bool)
    varying[tiny] = False
    name = "batchnorm_forward(inputs, gamma, beta, eps=1e-5)"
    _unit_shape(f"{name}: batch_mean", student["mean"], m, d)
    _unit_shape(f"{name}: batch_var", student["var"], m, d)
    assert_close_to_scale(
        f"{name}: outputs",
        student["y"],
        expected["y"],
        tol=FORWARD_TOL,
        axes=0,
        regions={f"unit {tiny} (batch variance about eps)": np.arange(d) == tiny, "the other units": varying},
        hints=(_ddof_hint(m, beta, varying), _eps_hint(beta, varying), _swap_hint(inputs["gamma"], beta)),
    )
    assert_close_to_scale(f"{name}: batch_mean", student["mean"], expected["mean"], tol=FORWARD_TOL)

    def var_ddof(actual, expected):
        if np.allclose(np.asarray(actual) / np.asarray(expected), m / (m - 1), rtol=1e-8):
            return "the unbiased variance (ddof=1) was returned; batch_var is the biased one (divide by m)"
        if np.allclose(np.asarray(actual, dtype=np.float64) ** 2, expected, rtol=1e-8):
            return "this is the standard deviation; batch_var is the variance"
        return None

    assert_close_to_scale(f"{name}: batch_var", student["var"], expected["var"], tol=FORWARD_TOL, hints=(var_ddof,))
    assert_true(flag(student, "leaves_inputs"), f"{name} modified its arguments in place; compute new arrays")
    assert_true(flag(student, "float64"), f"{name} returned another dtype than float64 for float64 inputs")

    def eps_ignored(actual, expected_eps2):
        if np.allclose(actual, expected["y"], rtol=0, atol=1e-9) and not np.allclose(actual, expected_eps2):
            return "the eps argument is ignored (a fixed value is used instead)"
        return None

    assert_close_to_scale(
        f"batchnorm_forward(inputs, gamma, beta, eps={float(inputs['eps2']):.3g}): outputs",
        student["y_eps2"],
        expected["y_eps2"],
        tol=FORWARD_TOL,
        axes=0,
        hints=(eps_ignored,),
    )
    assert_true(
        flag(student, "float32"),
        "batchnorm_forward returned another dtype than float32 for float32 arguments: keep the dtype "
        "(a float64 array or np.float64 number in the computation promotes to float64)",
    )
    return "outputs and batch statistics agree with the reference to 1e-8"


# --------------------------------------------------------------------------- 2.2 backward pass


def _backward_inputs(rng: np.random.Generator) -> dict:
    m, d = int(rng.integers(16, 33)), int(rng.integers(5, 11))
    return {
        "x": _batch(rng, m, d),
        "gamma": _gamma(rng, d),
        "grads": rng.standard_normal((m, d)),
        "constant": rng.standard_normal(d),
        "factor": rng.uniform(0.5, 2.0, d),
    }


def _backward_probe(inputs: dict) -> dict:
    from mlplab.exercises import batch_norm

    x, gamma, grads = inputs["x"], inputs["gamma"], inputs["grads"]
    saved = [a.copy() for a in (x, gamma, grads)]
    names = ("grads_wrt_inputs", "grads_wrt_gamma", "grads_wrt_beta")
    call = "batchnorm_backward(inputs, gamma, grads_wrt_outputs, eps=1e-5)"
    dx, dgamma, dbeta = _results(batch_norm.batchnorm_backward(x, gamma, grads, EPS), call, names)
    out = {
        "dx": np.array(dx, dtype=np.float64),
        "dgamma": dgamma,
        "dbeta": dbeta,
        "float64": np.array(dx.dtype == np.float64),
        "leaves_inputs": np.array(all(np.array_equal(a, b) for a, b in zip((x, gamma, grads), saved))),
    }
    for a, b in zip((x, gamma, grads), saved):
        a[...] = b
    # The same gradient for every example of a unit, and gradients proportional to the centred inputs.
    constant = np.broadcast_to(inputs["constant"], x.shape).copy()
    centred = x - x.mean(axis=0)
    proportional = centred / centred.std(axis=0) * inputs["factor"]
    out["dx_constant"] = _results(
        batch_norm.batchnorm_backward(x.copy(), gamma.copy(), constant, EPS),
        f"{call} with grads the same for every example",
        names,
    )[0]
    out["dx_centred"] = _results(
        batch_norm.batchnorm_backward(x.copy(), gamma.copy(), proportional, EPS),
        f"{call} with grads proportional to the centred inputs",
        names,
    )[0]
    dx32, dgamma32, dbeta32 = _results(
        batch_norm.batchnorm_backward(x.astype(np.float32), gamma.astype(np.float32), grads.astype(np.float32), EPS),
        "batchnorm_backward (float32 arguments)",
        names,
    )
    out["float32"] = np.array(dx32.dtype == dgamma32.dtype == dbeta32.dtype == np.float32)
    return out


def _path_hint(student: dict, expected: dict, axes, *, spatial: bool = False):
    """Names the missing path from the special gradients (constant per unit, proportional to the centred inputs)."""
    per = "channel (over N, H and W)" if spatial else "unit (column)"

    def hint(actual, expected_dx):
        scale = unit_scale(np.asarray(expected["dx"], dtype=np.float64), axes)
        constant = np.asarray(student["dx_constant"], dtype=np.float64)
        mean_bad = constant.shape == np.shape(expected["dx_constant"]) and bool(
            np.max(np.abs(constant - expected["dx_constant"]) / scale) > 1e-6
        )
        var_bad = False
        if "dx_centred" in student:
            centred = np.asarray(student["dx_centred"], dtype=np.float64)
            var_bad = centred.shape == np.shape(expected["dx_centred"]) and bool(
                np.max(np.abs(centred - expected["dx_centred"]) / scale) > 1e-6
            )
        mean_text = (
            f"the mean path is missing or wrong: for grads_wrt_outputs that are the same for every value "
            f"of a {per}, dE/dx must be 0, since the outputs of a {per} always add up to the same "
            f"number (count times beta) whatever the inputs; yours is not 0"
        )
        if spatial:
            mean_text += (
                ". Also check that the count that divides is M = N * H * W, the number of values sharing one mean"
            )
        var_text = (
            f"the variance path is missing or wrong: for grads_wrt_outputs proportional to the centred "
            f"inputs of each {per}, dE/dx must be (nearly) 0, since sum xhat**2 is the count whatever "
            "the inputs (up to eps); yours is not"
        )
        if mean_bad and var_bad:
            return f"{mean_text}; and {var_text}"
        if mean_bad:
            return mean_text
        if var_bad:
            return var_text
        return None

    return hint


def _gamma_factor_hint(gamma):
    def hint(actual, expected):
        factors = _column_factors(actual, expected, 0.0)
        if factors is None:
            return None
        if np.allclose(factors, 1 / gamma, rtol=1e-6):
            return "gamma is missing: the gradient with respect to xhat is grads_wrt_outputs * gamma"
        if np.allclose(factors, gamma, rtol=1e-6):
            return "gamma is applied twice"
        return None

    return hint


def _special_gradient(name: str, student: dict, expected: dict, key: str, axes, *, spatial: bool = False) -> None:
    """grads_wrt_inputs for a special grads_wrt_outputs, measured against the scale of the random case's."""
    actual = np.asarray(student[key])
    assert_shape(f"{name}: grads_wrt_inputs", actual, np.shape(expected[key]))
    assert_finite(f"{name}: grads_wrt_inputs", actual)
    error = np.abs(actual.astype(np.float64) - expected[key]) / unit_scale(np.asarray(expected["dx"]), axes)
    if float(error.max()) > BACKWARD_TOL:
        hint = _path_hint(student, expected, axes, spatial=spatial)(None, None)
        raise CheckFailure(
            f"{name}: grads_wrt_inputs differs from the reference's by {float(error.max()):.2e} of "
            f"the scale of the gradients (tolerance {BACKWARD_TOL:.0e})" + (f". Likely mistake: {hint}" if hint else "")
        )


def _backward_compare(student: dict, expected: dict, inputs: dict) -> str:
    x = inputs["x"]
    m, d = x.shape
    name = "batchnorm_backward(inputs, gamma, grads_wrt_outputs, eps=1e-5)"
    assert_shape(f"{name}: grads_wrt_inputs", np.asarray(student["dx"]), x.shape)
    _unit_shape(f"{name}: grads_wrt_gamma", student["dgamma"], m, d)
    _unit_shape(f"{name}: grads_wrt_beta", student["dbeta"], m, d)
    assert_close_to_scale(
        f"{name}: grads_wrt_inputs",
        student["dx"],
        expected["dx"],
        tol=BACKWARD_TOL,
        axes=0,
        hints=(_gamma_factor_hint(inputs["gamma"]), _path_hint(student, expected, 0)),
    )
    for key, what in (
        ("dx_constant", "the same for every example of a unit"),
        ("dx_centred", "proportional to the centred inputs"),
    ):
        _special_gradient(f"{name} with grads_wrt_outputs {what}", student, expected, key, 0)
    assert_close_to_scale(f"{name}: grads_wrt_gamma", student["dgamma"], expected["dgamma"], tol=BACKWARD_TOL)
    assert_close_to_scale(f"{name}: grads_wrt_beta", student["dbeta"], expected["dbeta"], tol=BACKWARD_TOL)
    assert_true(flag(student, "leaves_inputs"), f"{name} modified its arguments in place; compute new arrays")
    assert_true(flag(student, "float64"), f"{name} returned another dtype than float64 for float64 arguments")
    assert_true(
        flag(student, "float32"),
        "batchnorm_backward returned another dtype than float32 for float32 arguments: keep the dtype",
    )
    return "all three gradients agree with the reference to 1e-8 of each unit's scale"


# --------------------------------------------------------------------------- 2.3 population statistics


def _population_inputs(rng: np.random.Generator) -> dict:
    k, d = int(rng.integers(5, 12)), int(rng.integers(13, 21))
    m, m_large = int(rng.integers(2, 7)), int(rng.integers(20, 65))
    true_mean, true_std = rng.uniform(-3, 3, d), np.exp(rng.uniform(np.log(0.2), np.log(4.0), d))

    def batches(size):
        means = true_mean + true_std / np.sqrt(size) * rng.standard_normal((k, d))
        variances = true_std**2 * rng.chisquare(size - 1, (k, d)) / size
        return means, variances

    means, variances = batches(m)
    means_large, variances_large = batches(m_large)
    return {
        "means": means,
        "vars": variances,
        "m": m,
        "means_large": means_large,
        "vars_large": variances_large,
        "m_large": m_large,
    }


def _population_probe(inputs: dict) -> dict:
    from mlplab.exercises import batch_norm

    out = {}
    for suffix, m in (("", int(inputs["m"])), ("_large", int(inputs["m_large"]))):
        means, variances = inputs[f"means{suffix}"], inputs[f"vars{suffix}"]
        saved = (means.copy(), variances.copy())
        mean, var = _results(
            batch_norm.population_statistics(means, variances, m),
            f"population_statistics(batch_means, batch_vars, batch_size={m})",
            ("mean", "var"),
        )
        out[f"mean{suffix}"], out[f"var{suffix}"] = mean, var
        out[f"leaves_inputs{suffix}"] = np.array(
            np.array_equal(means, saved[0]) and np.array_equal(variances, saved[1])
        )
    return out


def _population_compare(student: dict, expected: dict, inputs: dict) -> str:
    for suffix in ("", "_large"):
        m = int(inputs[f"m{suffix}"])
        k, d = inputs[f"means{suffix}"].shape
        name = f"population_statistics(batch_means, batch_vars, batch_size={m})"
        reduce_text = "axis 0, the minibatches"
        for key in ("mean", "var"):
            shape = np.shape(student[f"{key}{suffix}"])
            if shape == (k,):
                raise CheckFailure(
                    f"{name}: {key} has shape {shape}, one value per minibatch, expected one per "
                    f"unit ({d},). Likely mistake: averaged over the wrong axis (axis=1 instead of "
                    f"{reduce_text})"
                )
            _unit_shape(f"{name}: {key}", student[f"{key}{suffix}"], k, d, reduce_text=reduce_text)
        assert_close_to_scale(f"{name}: mean", student[f"mean{suffix}"], expected[f"mean{suffix}"], tol=STATISTICS_TOL)
        spread = inputs[f"means{suffix}"].var(axis=0)

        def var_hints(actual, expected_var, m=m, spread=spread):
            ratio = np.asarray(actual, dtype=np.float64) / np.asarray(expected_var, dtype=np.float64)
            known = {
                (m - 1) / m: "the m / (m - 1) correction is missing (the average of the biased batch "
                "variances underestimates the variance)",
                m / (m - 1): "the m / (m - 1) correction is applied twice",
                ((m - 1) / m) ** 2: "the correction is inverted: multiply by m / (m - 1), not (m - 1) / m",
            }
            for target, text in known.items():
                if abs(target - 1) > 1e-9 and np.allclose(ratio, target, rtol=1e-9):
                    return text
            if np.allclose(actual, expected_var + spread, rtol=1e-9) or np.allclose(
                actual, expected_var + spread * m / (m - 1), rtol=1e-9
            ):
                return (
                    "the spread of the batch means was added; the lecture's estimate is m / (m - 1) times "
                    "the average of the batch variances only"
                )
            return None

        assert_close_to_scale(
            f"{name}: var", student[f"var{suffix}"], expected[f"var{suffix}"], tol=STATISTICS_TOL, hints=(var_hints,)
        )
        assert_true(flag(student, f"leaves_inputs{suffix}"), f"{name} modified its arguments in place")
    return "population mean and variance agree with the reference to 1e-12"


# --------------------------------------------------------------------------- 2.4 running averages


def _running_inputs(rng: np.random.Generator) -> dict:
    d, steps = int(rng.integers(5, 11)), int(rng.integers(10, 21))
    return {
        "running_mean": rng.normal(0, 2, d),
        "running_var": rng.uniform(0.5, 3, d),
        "batch_mean": rng.normal(0, 2, d),
        "batch_var": rng.uniform(0.2, 4, d),
        "m": int(rng.integers(3, 11)),
        "momentum": float(rng.uniform(0.8, 0.97)),
        "sequence_means": rng.normal(1, 2, (steps, d)),
        "sequence_vars": rng.uniform(0.5, 3, (steps, d)),
    }


def _running_probe(inputs: dict) -> dict:
    from mlplab.exercises import batch_norm

    m, momentum = int(inputs["m"]), float(inputs["momentum"])
    arrays = [inputs[k] for k in ("running_mean", "running_var", "batch_mean", "batch_var")]
    saved = [a.copy() for a in arrays]
    call = f"update_running_statistics(running_mean, running_var, batch_mean, batch_var, {m}, {momentum:.4f})"
    new_mean, new_var = _results(
        batch_norm.update_running_statistics(*arrays, m, momentum), call, ("new_mean", "new_var")
    )
    out = {
        "mean": new_mean,
        "var": new_var,
        "leaves_inputs": np.array(all(np.array_equal(a, b) for a, b in zip(arrays, saved))),
    }
    for a, b in zip(arrays, saved):
        a[...] = b
    zeros = np.zeros_like(inputs["batch_mean"])
    out["mean_from_zero"], out["var_from_zero"] = _results(
        batch_norm.update_running_statistics(
            zeros.copy(), zeros.copy(), inputs["batch_mean"].copy(), inputs["batch_var"].copy(), m, momentum
        ),
        call + " from zero running statistics",
        ("new_mean", "new_var"),
    )
    mean, var = np.zeros_like(zeros), np.ones_like(zeros)
    for batch_mean, batch_var in zip(inputs["sequence_means"], inputs["sequence_vars"]):
        mean, var = _results(
            batch_norm.update_running_statistics(mean, var, batch_mean.copy(), batch_var.copy(), m, momentum),
            call,
            ("new_mean", "new_var"),
        )
    out["sequence_mean"], out["sequence_var"] = mean, var
    return out


def _running_compare(student: dict, expected: dict, inputs: dict) -> str:
    m, momentum = int(inputs["m"]), float(inputs["momentum"])
    d = len(inputs["batch_mean"])
    call = f"update_running_statistics(..., batch_size={m}, momentum={momentum:.4f})"
    for key in ("mean", "var", "mean_from_zero", "var_from_zero"):
        assert_shape(f"{call}: {key.split('_')[0]}", np.asarray(student[key]), (d,))

    def hints(kind):
        def hint(actual, _):
            ratio = np.asarray(student[f"{kind}_from_zero"]) / np.asarray(expected[f"{kind}_from_zero"])
            if np.allclose(ratio, momentum / (1 - momentum), rtol=1e-9):
                return (
                    "momentum weights the batch statistics instead of the old running value: "
                    "new = momentum * old + (1 - momentum) * batch"
                )
            if kind == "var" and np.allclose(ratio, (m - 1) / m, rtol=1e-9):
                return "the m / (m - 1) correction of the batch variance is missing"
            if kind == "var" and np.allclose(ratio, momentum / (1 - momentum) * (m - 1) / m, rtol=1e-9):
                return (
                    "momentum weights the batch statistics instead of the old running value, and the "
                    "m / (m - 1) correction is missing"
                )
            return None

        return hint

    assert_close_to_scale(
        f"{call}: new_mean", student["mean"], expected["mean"], tol=STATISTICS_TOL, hints=(hints("mean"),)
    )
    assert_close_to_scale(
        f"{call}: new_var", student["var"], expected["var"], tol=STATISTICS_TOL, hints=(hints("var"),)
    )
    assert_true(
        flag(student, "leaves_inputs"), f"{call} modified its arguments in place (e.g. with *=); return new arrays"
    )
    assert_close_to_scale(
        f"{call} applied {len(inputs['sequence_means'])} times from mean 0 and variance 1: mean",
        student["sequence_mean"],
        expected["sequence_mean"],
        tol=1e-10,
    )
    assert_close_to_scale(
        f"{call} applied {len(inputs['sequence_means'])} times from mean 0 and variance 1: var",
        student["sequence_var"],
        expected["sequence_var"],
        tol=1e-10,
    )
    return "running averages agree with the reference to 1e-12"


# --------------------------------------------------------------------------- 2.5 folding


def _fold_inputs(rng: np.random.Generator) -> dict:
    d = int(rng.integers(6, 13))
    var = np.exp(rng.uniform(np.log(0.05), np.log(20.0), d))
    small = rng.choice(d, 2, replace=False)
    var[small] = rng.uniform(1e-6, 1e-4, 2)  # where eps matters
    return {
        "gamma": _gamma(rng, d),
        "beta": rng.normal(0, 1, d),
        "mean": rng.uniform(-4, 4, d),
        "var": var,
        "eps": float(rng.uniform(1e-4, 1e-3)),
        "small": np.sort(small),
    }


def _fold_probe(inputs: dict) -> dict:
    from mlplab.exercises import batch_norm

    arrays = [inputs[k] for k in ("gamma", "beta", "mean", "var")]
    saved = [a.copy() for a in arrays]
    eps = float(inputs["eps"])
    scale, shift = _results(
        batch_norm.fold_batchnorm(*arrays, eps),
        f"fold_batchnorm(gamma, beta, mean, var, eps={eps:.3g})",
        ("scale", "shift"),
    )
    out = {
        "scale": scale,
        "shift": shift,
        "leaves_inputs": np.array(all(np.array_equal(a, b) for a, b in zip(arrays, saved))),
    }
    for a, b in zip(arrays, saved):
        a[...] = b
    out["scale_default"], out["shift_default"] = _results(
        batch_norm.fold_batchnorm(*[a.copy() for a in arrays]),
        "fold_batchnorm(gamma, beta, mean, var)",
        ("scale", "shift"),
    )
    return out


def _fold_compare(student: dict, expected: dict, inputs: dict) -> str:
    d = len(inputs["gamma"])
    small = np.zeros(d, dtype=bool)
    small[np.asarray(inputs["small"], dtype=np.int64)] = True
    regions = {"var is below eps": small, "var is above eps": ~small}
    name = f"fold_batchnorm(gamma, beta, mean, var, eps={float(inputs['eps']):.3g})"
    for key in ("scale", "shift"):
        assert_shape(f"{name}: {key}", np.asarray(student[key]), (d,))

    def shift_hint(actual, _):
        if np.allclose(actual, inputs["beta"], rtol=1e-12):
            return "shift equals beta: the mean must also be removed (scaled by scale)"
        if np.allclose(actual, inputs["beta"] - inputs["mean"], rtol=1e-9):
            return "the mean is subtracted without being scaled: shift = beta - scale * mean"
        return None

    def eps_hint(actual, expected_scale):
        ratio = np.asarray(actual, dtype=np.float64) / expected_scale
        if np.allclose(ratio * inputs["gamma"], 1.0, rtol=1e-6):
            return "scale is expected / gamma: gamma is missing, scale = gamma / sqrt(var + eps)"
        if np.allclose(ratio[~small], 1.0, rtol=1e-2) and np.any(np.abs(ratio[small] - 1) > 0.05):
            return (
                "only the entries whose variance is below eps are far off: eps is added to the variance "
                "inside the square root, sqrt(var + eps)"
            )
        return None

    assert_close_to_scale(
        f"{name}: scale", student["scale"], expected["scale"], tol=STATISTICS_TOL, regions=regions, hints=(eps_hint,)
    )
    assert_close_to_scale(
        f"{name}: shift", student["shift"], expected["shift"], tol=STATISTICS_TOL, regions=regions, hints=(shift_hint,)
    )
    assert_true(flag(student, "leaves_inputs"), f"{name} modified its arguments in place")
    assert_close_to_scale(
        "fold_batchnorm(gamma, beta, mean, var) (default eps=1e-5): scale",
        student["scale_default"],
        expected["scale_default"],
        tol=STATISTICS_TOL,
    )
    assert_close_to_scale(
        "fold_batchnorm(gamma, beta, mean, var) (default eps=1e-5): shift",
        student["shift_default"],
        expected["shift_default"],
        tol=STATISTICS_TOL,
    )
    return "scale and shift agree with the reference to 1e-12"


# --------------------------------------------------------------------------- 2.6 training and evaluation modes

_FORWARD_SIGNATURE = inspect.signature(lambda inputs, gamma, beta, eps=EPS: None)
_UPDATE_SIGNATURE = inspect.signature(
    lambda running_mean, running_var, batch_mean, batch_var, batch_size, momentum: None
)
_FOLD_SIGNATURE = inspect.signature(lambda gamma, beta, mean, var, eps=EPS: None)
_UPDATE_ARGS = ("running_mean", "running_var", "batch_mean", "batch_var", "batch_size", "momentum")
_FORWARD_ARGS = ("inputs", "gamma", "beta", "eps")
_FOLD_ARGS = ("gamma", "beta", "mean", "var", "eps")


def _modes_inputs(rng: np.random.Generator) -> dict:
    m, d = int(rng.integers(6, 13)), int(rng.integers(4, 9))
    x = _batch(rng, m, d)
    return {
        "x": x,
        "gamma": _gamma(rng, d),
        "beta": rng.normal(0, 1, d),
        # stored statistics far from this batch's own
        "running_mean": x.mean(axis=0) + rng.uniform(1, 3, d) * rng.choice([-1.0, 1.0], d),
        "running_var": x.var(axis=0) * rng.uniform(2, 5, d),
        "momentum": float(rng.uniform(0.8, 0.95)),
        "eps": float(rng.uniform(1e-4, 1e-2)),
        # what the stand-ins return
        "standin_outputs": rng.normal(5, 1, (m, d)),
        "standin_mean": rng.normal(0, 1, d),
        "standin_var": rng.uniform(1, 2, d),
        "standin_running_mean": rng.normal(0, 1, d),
        "standin_running_var": rng.uniform(1, 2, d),
        "standin_scale": rng.uniform(0.5, 2, d),
        "standin_shift": rng.normal(0, 1, d),
    }


def _same(a, b) -> bool:
    try:
        return bool(np.array_equal(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)))
    except (TypeError, ValueError):
        return False


def _modes_probe(inputs: dict) -> dict:
    from mlplab.exercises import batch_norm

    x, gamma, beta = inputs["x"], inputs["gamma"], inputs["beta"]
    running_mean, running_var = inputs["running_mean"], inputs["running_var"]
    momentum, eps = float(inputs["momentum"]), float(inputs["eps"])
    arguments = (x, gamma, beta, running_mean, running_var)
    saved = [a.copy() for a in arguments]
    calls: list[tuple[str, dict | None]] = []

    def record(kind, signature, args, kwargs):
        try:
            calls.append((kind, dict(signature.bind(*args, **kwargs).arguments)))
        except TypeError:
            calls.append((kind, None))

    def forward_standin(*args, **kwargs):
        record("forward", _FORWARD_SIGNATURE, args, kwargs)
        return inputs["standin_outputs"].copy(), inputs["standin_mean"].copy(), inputs["standin_var"].copy()

    def update_standin(*args, **kwargs):
        record("update", _UPDATE_SIGNATURE, args, kwargs)
        return inputs["standin_running_mean"].copy(), inputs["standin_running_var"].copy()

    def fold_standin(*args, **kwargs):
        record("fold", _FOLD_SIGNATURE, args, kwargs)
        return inputs["standin_scale"].copy(), inputs["standin_shift"].copy()

    expected_forward = {"inputs": x, "gamma": gamma, "beta": beta, "eps": eps}
    expected_update = {
        "running_mean": running_mean,
        "running_var": running_var,
        "batch_mean": inputs["standin_mean"],
        "batch_var": inputs["standin_var"],
        "batch_size": len(x),
        "momentum": momentum,
    }
    expected_fold = {"gamma": gamma, "beta": beta, "mean": running_mean, "var": running_var, "eps": eps}

    def summarise(prefix: str) -> dict:
        """Calls per kind and, for the first call of each, the first argument that differs (-1: none)."""
        out = {}
        for kind, names, wanted in (
            ("forward", _FORWARD_ARGS, expected_forward),
            ("update", _UPDATE_ARGS, expected_update),
            ("fold", _FOLD_ARGS, expected_fold),
        ):
            made = [arguments for k, arguments in calls if k == kind]
            out[f"{prefix}_{kind}_calls"] = np.array(len(made))
            wrong = -1
            if made:
                got = made[0]
                if got is None:
                    wrong = len(names)  # could not be matched to the signature
                else:
                    got = {"eps": EPS, **got}
                    wrong = next((i for i, n in enumerate(names) if not _same(got[n], wanted[n])), -1)
            out[f"{prefix}_{kind}_wrong_argument"] = np.array(wrong)
        return out

    out: dict[str, np.ndarray] = {}
    patched = ("batchnorm_forward", "update_running_statistics", "fold_batchnorm")
    originals = {name: getattr(batch_norm, name, None) for name in patched}
    names = ("outputs", "running_mean", "running_var")
    try:
        for name, standin in zip(patched, (forward_standin, update_standin, fold_standin)):
            setattr(batch_norm, name, standin)
        for training in (True, False):
            prefix = "train" if training else "eval"
            calls.clear()
            call = f"batchnorm_fprop(..., training={training})"
            y, new_mean, new_var = _results(
                batch_norm.batchnorm_fprop(
                    x, gamma, beta, running_mean, running_var, training=training, momentum=momentum, eps=eps
                ),
                call,
                names,
            )
            out[f"{prefix}_y"] = np.array(y, dtype=np.float64)
            out[f"{prefix}_mean"], out[f"{prefix}_var"] = new_mean.copy(), new_var.copy()
            out.update(summarise(prefix))
            out[f"{prefix}_leaves_inputs"] = np.array(all(np.array_equal(a, b) for a, b in zip(arguments, saved)))
            for a, b in zip(arguments, saved):
                a[...] = b
    finally:
        for name, original in originals.items():
            setattr(batch_norm, name, original)
    # The same two calls with your own functions (for implementations that do not call them).
    try:
        for training in (True, False):
            prefix = "own_train" if training else "own_eval"
            y, new_mean, new_var = _results(
                batch_norm.batchnorm_fprop(
                    x.copy(),
                    gamma.copy(),
                    beta.copy(),
                    running_mean.copy(),
                    running_var.copy(),
                    training=training,
                    momentum=momentum,
                    eps=eps,
                ),
                "batchnorm_fprop",
                names,
            )
            out[f"{prefix}_y"], out[f"{prefix}_mean"], out[f"{prefix}_var"] = y, new_mean, new_var
        out["own_ran"] = np.array(True)
    except Exception:  # noqa: BLE001 - e.g. task 2.1 or 2.4 not done yet
        out["own_ran"] = np.array(False)
    return out


_STANDIN_NOTE = (
    ". (This task is checked with stand-ins for batchnorm_forward, update_running_statistics and "
    "fold_batchnorm that return fixed arrays, so that mistakes in tasks 2.1, 2.4 and 2.5 do not count "
    "here: call them by name, as the docstring says.)"
)


def _own_functions_agree(student: dict, expected: dict) -> bool:
    if not flag(student, "own_ran") or not flag(expected, "own_ran"):
        return False
    for prefix in ("own_train", "own_eval"):
        for key in ("y", "mean", "var"):
            a, e = np.asarray(student[f"{prefix}_{key}"]), np.asarray(expected[f"{prefix}_{key}"], dtype=np.float64)
            if a.shape != e.shape or not np.all(np.isfinite(a)):
                return False
            if np.max(np.abs(a - e) / unit_scale(e, 0 if e.ndim == 2 else None)) > FORWARD_TOL:
                return False
    return True


def _modes_with_standins(student: dict, expected: dict, inputs: dict) -> str:
    x = inputs["x"]
    m, d = x.shape
    for prefix, mode in (("train", "training"), ("eval", "evaluation")):
        assert_shape(f"batchnorm_fprop in {mode} mode: outputs", np.asarray(student[f"{prefix}_y"]), (m, d))
        for key in ("mean", "var"):
            assert_shape(f"batchnorm_fprop in {mode} mode: running_{key}", np.asarray(student[f"{prefix}_{key}"]), (d,))

    def close(a, b) -> bool:
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        return a.shape == b.shape and bool(np.all(np.abs(a - b) <= FORWARD_TOL * unit_scale(b, None)))

    # ---- training mode
    folded = x * inputs["standin_scale"] + inputs["standin_shift"]  # what the stand-in fold describes
    train_y = student["train_y"]
    if close(train_y, expected["eval_y"]) or close(train_y, folded):
        raise CheckFailure(
            "batchnorm_fprop in training mode: the outputs are normalised with the running "
            "statistics. Training mode must normalise with the statistics of the batch itself "
            "(call batchnorm_forward); the stored statistics are for evaluation mode" + _STANDIN_NOTE
        )
    if int(student["train_forward_calls"]) == 0:
        raise CheckFailure(
            "batchnorm_fprop in training mode did not call batchnorm_forward, and its outputs are "
            "not those of the reference" + _STANDIN_NOTE
        )
    wrong = int(student["train_forward_wrong_argument"])
    if wrong >= 0:
        what = _FORWARD_ARGS[wrong] if wrong < len(_FORWARD_ARGS) else "its arguments"
        raise CheckFailure(
            f"batchnorm_fprop in training mode called batchnorm_forward with the wrong {what}: "
            "pass the inputs, gamma, beta and eps given to batchnorm_fprop" + _STANDIN_NOTE
        )
    if not close(train_y, expected["train_y"]):
        raise CheckFailure(
            "batchnorm_fprop in training mode: the outputs are not the outputs returned by "
            "batchnorm_forward" + _STANDIN_NOTE
        )
    if int(student["train_update_calls"]) == 0:
        raise CheckFailure(
            "batchnorm_fprop in training mode did not update the running statistics: call "
            "update_running_statistics with the batch's mean and variance" + _STANDIN_NOTE
        )
    wrong = int(student["train_update_wrong_argument"])
    if wrong >= 0:
        what = _UPDATE_ARGS[wrong] if wrong < len(_UPDATE_ARGS) else "arguments"
        detail = {
            "batch_mean": " (the batch mean returned by batchnorm_forward)",
            "batch_var": " (the batch variance returned by batchnorm_forward)",
            "batch_size": f" (the number of examples in inputs, {m})",
        }.get(what, "")
        raise CheckFailure(
            f"batchnorm_fprop in training mode called update_running_statistics with the wrong "
            f"{what}{detail}" + _STANDIN_NOTE
        )
    if not (
        close(student["train_mean"], expected["train_mean"]) and close(student["train_var"], expected["train_var"])
    ):
        raise CheckFailure(
            "batchnorm_fprop in training mode must return the running statistics that "
            "update_running_statistics returned" + _STANDIN_NOTE
        )
    assert_true(
        flag(student, "train_leaves_inputs"),
        "batchnorm_fprop in training mode modified its arguments in place; return new arrays",
    )

    # ---- evaluation mode
    eval_y = student["eval_y"]
    if (
        int(student["eval_forward_calls"]) > 0
        or close(eval_y, expected["train_y"])
        or close(eval_y, expected.get("own_train_y", np.nan))
    ):
        raise CheckFailure(
            "batchnorm_fprop in evaluation mode normalises with the batch statistics (the "
            "inputs' own mean and variance). Evaluation mode must use the stored running_mean "
            "and running_var, so that an example's output does not depend on the rest of its batch" + _STANDIN_NOTE
        )
    if int(student["eval_update_calls"]) > 0 or not (
        close(student["eval_mean"], inputs["running_mean"]) and close(student["eval_var"], inputs["running_var"])
    ):
        raise CheckFailure(
            "batchnorm_fprop in evaluation mode changed the running statistics: in evaluation "
            "mode return them unchanged (and do not call update_running_statistics)"
        )
    assert_true(
        flag(student, "eval_leaves_inputs"),
        "batchnorm_fprop in evaluation mode modified its arguments in place; return new arrays",
    )
    if int(student["eval_fold_calls"]) > 0:
        wrong = int(student["eval_fold_wrong_argument"])
        if wrong >= 0:
            what = _FOLD_ARGS[wrong] if wrong < len(_FOLD_ARGS) else "arguments"
            raise CheckFailure(
                f"batchnorm_fprop in evaluation mode called fold_batchnorm with the wrong {what}: "
                "pass gamma, beta, the stored running_mean and running_var, and eps"
            )
        if close(eval_y, folded):
            return (
                "training mode uses the batch statistics and updates the running ones; evaluation mode "
                "applies fold_batchnorm to the stored ones"
            )

    assert_close_to_scale(
        "batchnorm_fprop in evaluation mode: outputs", eval_y, expected["eval_y"], tol=FORWARD_TOL, axes=0
    )
    return "training mode uses the batch statistics and updates the running ones; evaluation mode uses the stored ones"


def _modes_compare(student: dict, expected: dict, inputs: dict) -> str:
    try:
        return _modes_with_standins(student, expected, inputs)
    except CheckFailure:
        if _own_functions_agree(student, expected):
            return "agrees with the reference in both modes (with your own functions of tasks 2.1 and 2.4)"
        raise


# --------------------------------------------------------------------------- 2.7, 2.8 spatial batch norm

SPATIAL_AXES = (0, 2, 3)


def _spatial_inputs(rng: np.random.Generator) -> dict:
    n, c, h, w = (int(rng.integers(3, 7)) for _ in range(4))
    channel_means = rng.uniform(-3, 3, c)[None, :, None, None]
    channel_stds = np.exp(rng.uniform(np.log(0.3), np.log(4.0), c))[None, :, None, None]
    # positions of a channel differ systematically, so statistics per position are not per channel
    pattern = rng.uniform(-1.5, 1.5, (1, c, h, w)) * channel_stds
    x = channel_means + pattern + channel_stds * rng.standard_normal((n, c, h, w))
    return {
        "x": x,
        "gamma": _gamma(rng, c),
        "beta": rng.normal(0, 1, c),
        "grads": rng.standard_normal(x.shape),
        "constant": rng.standard_normal(c),
    }


def _spatial_forward_probe(inputs: dict) -> dict:
    from mlplab.exercises import batch_norm

    x, gamma, beta = inputs["x"], inputs["gamma"], inputs["beta"]
    saved = [a.copy() for a in (x, gamma, beta)]
    y, mean, var = _results(
        batch_norm.spatial_batchnorm_forward(x, gamma, beta, EPS),
        "spatial_batchnorm_forward(inputs, gamma, beta, eps=1e-5)",
        ("outputs", "mean", "var"),
    )
    return {
        "y": y,
        "mean": mean,
        "var": var,
        "leaves_inputs": np.array(all(np.array_equal(a, b) for a, b in zip((x, gamma, beta), saved))),
    }


def _which_statistics(y, gamma, beta) -> str | None:
    """Names the axes over which ``(y - beta) / gamma`` has mean 0 everywhere, if those are not (0, 2, 3)."""
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 4 or y.shape[1] != len(gamma):
        return None
    z = (y - beta[None, :, None, None]) / gamma[None, :, None, None]
    described = {
        (0,): "each position (c, h, w) was normalised with its own statistics over the batch only (per location): "
        "use one mean and one variance per channel, over N, H and W (axes 0, 2 and 3)",
        (2, 3): "each example's feature map was normalised on its own (over H and W only): batch norm uses one "
        "mean and variance per channel over the batch AND the positions, axes 0, 2 and 3",
        (1, 2, 3): "each example was normalised over its channels and positions: the statistics are per "
        "channel, over axes 0, 2 and 3",
        (0, 1, 2): "the statistics were taken per last axis: the channel axis of (N, C, H, W) is axis 1, so "
        "reduce over axes 0, 2 and 3",
        (0, 1): "the statistics were taken over axes 0 and 1; the channel axis is 1, reduce over axes 0, 2 and 3",
    }
    for axes, text in described.items():
        if np.all(np.abs(z.mean(axis=axes)) < 1e-8):
            return text
    return None


def _spatial_forward_compare(student: dict, expected: dict, inputs: dict) -> str:
    x, gamma, beta = inputs["x"], inputs["gamma"], inputs["beta"]
    n, c, h, w = x.shape
    name = "spatial_batchnorm_forward(inputs, gamma, beta, eps=1e-5)"

    def hint(actual, _):
        text = _which_statistics(actual, gamma, beta)
        y = np.asarray(actual, dtype=np.float64)
        if text is None and y.shape == x.shape:
            z = (y - beta[None, :, None, None]) / gamma[None, :, None, None]
            if np.allclose(z.var(axis=SPATIAL_AXES), 1.0, rtol=1e-10, atol=0):
                text = (
                    "the normalised values have variance exactly 1 in every channel: eps is missing, "
                    "divide by sqrt(var + eps)"
                )
        return text

    assert_close_to_scale(
        f"{name}: outputs", student["y"], expected["y"], tol=FORWARD_TOL, axes=SPATIAL_AXES, hints=(hint,)
    )
    for key in ("mean", "var"):
        shape = np.shape(student[key])
        if int(np.prod(shape)) == c * h * w and shape != (c,):
            raise CheckFailure(
                f"{name}: {key} has shape {shape}, one value per location (c, h, w), expected one "
                f"per channel ({c},): the statistics must be per channel, over N, H and W"
            )
        assert_shape(f"{name}: {key}", np.asarray(student[key]), (c,))
        assert_close_to_scale(f"{name}: {key}", student[key], expected[key], tol=FORWARD_TOL)
    assert_true(flag(student, "leaves_inputs"), f"{name} modified its arguments in place")
    return "outputs and channel statistics agree with the reference to 1e-8"


def _spatial_backward_probe(inputs: dict) -> dict:
    from mlplab.exercises import batch_norm

    x, gamma, grads = inputs["x"], inputs["gamma"], inputs["grads"]
    saved = [a.copy() for a in (x, gamma, grads)]
    names = ("grads_wrt_inputs", "grads_wrt_gamma", "grads_wrt_beta")
    call = "spatial_batchnorm_backward(inputs, gamma, grads_wrt_outputs, eps=1e-5)"
    dx, dgamma, dbeta = _results(batch_norm.spatial_batchnorm_backward(x, gamma, grads, EPS), call, names)
    out = {
        "dx": dx,
        "dgamma": dgamma,
        "dbeta": dbeta,
        "leaves_inputs": np.array(all(np.array_equal(a, b) for a, b in zip((x, gamma, grads), saved))),
    }
    constant = np.broadcast_to(inputs["constant"][None, :, None, None], x.shape).copy()
    out["dx_constant"] = _results(
        batch_norm.spatial_batchnorm_backward(x.copy(), gamma.copy(), constant, EPS),
        f"{call} with grads the same within each channel",
        names,
    )[0]
    return out


def _spatial_backward_compare(student: dict, expected: dict, inputs: dict) -> str:
    x = inputs["x"]
    n, c, h, w = x.shape
    name = "spatial_batchnorm_backward(inputs, gamma, grads_wrt_outputs, eps=1e-5)"
    for key, what in (("dgamma", "grads_wrt_gamma"), ("dbeta", "grads_wrt_beta")):
        shape = np.shape(student[key])
        if shape in ((c, h, w), (1, c, h, w)):
            raise CheckFailure(
                f"{name}: {what} has shape {shape}, expected ({c},). Likely mistake: summed only "
                "over the batch axis; gamma and beta are shared by every position of a channel, so "
                "sum over axes 0, 2 and 3 (N, H and W)"
            )
        if shape in ((c, 1, 1), (1, c, 1, 1)):
            raise CheckFailure(
                f"{name}: {what} has shape {shape}, expected ({c},): drop the kept axes (keepdims) or reshape"
            )
        if shape == (n, c) and n != c:
            raise CheckFailure(
                f"{name}: {what} has shape {shape}, expected ({c},). Likely mistake: summed over "
                "the positions only; sum over axes 0, 2 and 3 (N, H and W)"
            )
        assert_shape(f"{name}: {what}", np.asarray(student[key]), (c,))
    assert_close_to_scale(
        f"{name}: grads_wrt_inputs",
        student["dx"],
        expected["dx"],
        tol=BACKWARD_TOL,
        axes=SPATIAL_AXES,
        hints=(_path_hint(student, expected, SPATIAL_AXES, spatial=True),),
    )
    _special_gradient(
        f"{name} with grads_wrt_outputs the same within each channel",
        student,
        expected,
        "dx_constant",
        SPATIAL_AXES,
        spatial=True,
    )
    assert_close_to_scale(f"{name}: grads_wrt_gamma", student["dgamma"], expected["dgamma"], tol=BACKWARD_TOL)
    assert_close_to_scale(f"{name}: grads_wrt_beta", student["dbeta"], expected["dbeta"], tol=BACKWARD_TOL)
    assert_true(flag(student, "leaves_inputs"), f"{name} modified its arguments in place")
    return "all three gradients agree with the reference to 1e-8 of each channel's scale"


# --------------------------------------------------------------------------- the checks

# --------------------------------------------------------------------------- 2.9, 2.10 layer norm
# Statistics per example (row, axis 1); gamma and beta per unit. Outputs and input gradients are
# compared against the scale of each example's row.


def _rows(rng: np.random.Generator, m: int, d: int) -> np.ndarray:
    """Examples with different means (-5..5) and standard deviations (0.3..5) over their units."""
    return _batch(rng, d, m).T


def _layernorm_forward_inputs(rng: np.random.Generator) -> dict:
    m, d = int(rng.integers(6, 13)), int(rng.integers(14, 25))
    x = _rows(rng, m, d)
    tiny = int(rng.integers(m))
    x[tiny] = rng.uniform(-2, 2) + rng.uniform(2e-3, 4e-3) * rng.standard_normal(d)  # variance about eps
    return {
        "x": x,
        "gamma": _gamma(rng, d),
        "beta": 2 * rng.standard_normal(d),
        "tiny": tiny,
        "eps2": float(rng.uniform(0.05, 0.2)),
    }


def _layernorm_forward_probe(inputs: dict) -> dict:
    from mlplab.exercises import layer_norm

    x, gamma, beta = inputs["x"], inputs["gamma"], inputs["beta"]
    saved = [a.copy() for a in (x, gamma, beta)]
    names = ("outputs", "mean", "var")
    y, mean, var = _results(
        layer_norm.layernorm_forward(x, gamma, beta, EPS), "layernorm_forward(inputs, gamma, beta, eps=1e-5)", names
    )
    out = {
        "y": np.array(y, dtype=np.float64),
        "mean": mean,
        "var": var,
        "float64": np.array(y.dtype == np.float64),
        "leaves_inputs": np.array(all(np.array_equal(a, b) for a, b in zip((x, gamma, beta), saved))),
    }
    for a, b in zip((x, gamma, beta), saved):
        a[...] = b
    out["y_eps2"] = _results(
        layer_norm.layernorm_forward(x.copy(), gamma.copy(), beta.copy(), inputs["eps2"]),
        f"layernorm_forward(inputs, gamma, beta, eps={float(inputs['eps2']):.3g})",
        names,
    )[0]
    out["y_alone"] = _results(
        layer_norm.layernorm_forward(x[-1:].copy(), gamma.copy(), beta.copy(), EPS),
        "layernorm_forward on a batch of one example",
        names,
    )[0]
    y32, mean32, var32 = _results(
        layer_norm.layernorm_forward(x.astype(np.float32), gamma.astype(np.float32), beta.astype(np.float32), EPS),
        "layernorm_forward (float32 arguments)",
        names,
    )
    out["float32"] = np.array(y32.dtype == mean32.dtype == var32.dtype == np.float32)
    return out


def _example_shape(name: str, actual, num_examples: int, num_units: int) -> None:
    """A per-example statistic of shape ``(m,)``, with a message naming batch norm's axis."""
    shape = np.shape(actual)
    if shape == (num_units,) and num_examples != num_units:
        raise CheckFailure(
            f"{name}: shape {shape}, one value per unit, expected one per example ({num_examples},). "
            "Likely mistake: the statistics were taken over the batch (axis 0), as batch norm "
            "does; layer norm takes them over the units of each example (axis 1)"
        )
    if shape == ():
        raise CheckFailure(
            f"{name}: a single number, expected one value per example ({num_examples},). Likely "
            "mistake: reduced over the whole array instead of over axis 1, the units of an example"
        )
    assert_shape(name, np.asarray(actual), (num_examples,))


def _row_factors(actual, expected, beta) -> np.ndarray | None:
    """Per example, the factor ``c_n`` with ``actual - beta = c_n * (expected - beta)``, or None if none fits."""
    factors = _column_factors(np.asarray(actual).T, np.asarray(expected).T, np.asarray(beta)[:, None])
    return factors


def _layernorm_hints(x, gamma, beta, tiny: int):
    d = x.shape[1]
    varying = np.ones(x.shape[0], dtype=bool)
    varying[tiny] = False

    def over_the_batch(actual, expected):
        centred = x - x.mean(axis=0)
        batch_normed = gamma * centred / np.sqrt(centred.var(axis=0) + EPS) + beta
        if np.shape(actual) == x.shape and np.allclose(actual, batch_normed, rtol=1e-6, atol=1e-8):
            return (
                "these are batch norm's outputs: each unit was normalised over the examples (axis 0); layer "
                "norm normalises each example over its units (axis 1)"
            )
        return None

    def ddof(actual, expected):
        factors = _row_factors(actual, expected, beta)
        if factors is not None and np.allclose(factors[varying], np.sqrt((d - 1) / d), rtol=1e-3):
            return (
                "every example's outputs are too small by sqrt((D - 1) / D): the unbiased variance (ddof=1) "
                "was used; layer norm divides by D, the number of units"
            )
        return None

    def eps_place(actual, expected):
        factors = _row_factors(actual, expected, beta)
        if factors is not None and np.allclose(factors[varying], 1.0, rtol=1e-3) and abs(factors[tiny] - 1.0) > 1e-2:
            return (
                "only the example whose variance is about eps is far off: eps belongs inside the square "
                "root, sqrt(var + eps), not added to the standard deviation, and must not be left out"
            )
        return None

    return (over_the_batch, ddof, eps_place, _swap_hint(gamma, beta))


def _layernorm_forward_compare(student: dict, expected: dict, inputs: dict) -> str:
    x, gamma, beta, tiny = inputs["x"], inputs["gamma"], inputs["beta"], int(inputs["tiny"])
    m, d = x.shape
    name = "layernorm_forward(inputs, gamma, beta, eps=1e-5)"
    _example_shape(f"{name}: mean", student["mean"], m, d)
    _example_shape(f"{name}: var", student["var"], m, d)
    rows = np.arange(m)[:, None] * np.ones(d, dtype=int)
    assert_close_to_scale(
        f"{name}: outputs",
        student["y"],
        expected["y"],
        tol=FORWARD_TOL,
        axes=1,
        regions={f"example {tiny} (variance about eps)": rows == tiny, "the other examples": rows != tiny},
        hints=_layernorm_hints(x, gamma, beta, tiny),
    )
    assert_close_to_scale(f"{name}: mean", student["mean"], expected["mean"], tol=FORWARD_TOL)

    def var_ddof(actual, wanted):
        if np.allclose(np.asarray(actual) / np.asarray(wanted), d / (d - 1), rtol=1e-8):
            return "the unbiased variance (ddof=1) was returned; var is the biased one (divide by D)"
        if np.allclose(np.asarray(actual, dtype=np.float64) ** 2, wanted, rtol=1e-8):
            return "this is the standard deviation; var is the variance"
        return None

    assert_close_to_scale(f"{name}: var", student["var"], expected["var"], tol=FORWARD_TOL, hints=(var_ddof,))
    assert_true(flag(student, "leaves_inputs"), f"{name} modified its arguments in place; compute new arrays")
    assert_true(flag(student, "float64"), f"{name} returned another dtype than float64 for float64 inputs")
    assert_close_to_scale(
        f"layernorm_forward(inputs, gamma, beta, eps={float(inputs['eps2']):.3g}): outputs",
        student["y_eps2"],
        expected["y_eps2"],
        tol=FORWARD_TOL,
        axes=1,
    )

    def alone_gives_beta(actual, wanted):
        if np.allclose(actual, beta):
            return (
                "alone, the example's outputs are beta: its statistics were taken over the batch (axis 0); "
                "an example's outputs must not depend on the rest of its batch"
            )
        return None

    assert_close_to_scale(
        "layernorm_forward on a batch of one example: outputs",
        student["y_alone"],
        expected["y_alone"],
        tol=FORWARD_TOL,
        axes=1,
        hints=(alone_gives_beta,),
    )
    assert_true(
        flag(student, "float32"),
        "layernorm_forward returned another dtype than float32 for float32 arguments: keep the dtype",
    )
    return "outputs and per-example statistics agree with the reference to 1e-8"


def _layernorm_backward_inputs(rng: np.random.Generator) -> dict:
    m, d = int(rng.integers(6, 13)), int(rng.integers(14, 25))
    return {
        "x": _rows(rng, m, d),
        "gamma": _gamma(rng, d),
        "grads": rng.standard_normal((m, d)),
        "constant": rng.standard_normal(m),
        "factor": rng.uniform(0.5, 2.0, m),
    }


def _layernorm_backward_probe(inputs: dict) -> dict:
    from mlplab.exercises import layer_norm

    x, gamma, grads = inputs["x"], inputs["gamma"], inputs["grads"]
    saved = [a.copy() for a in (x, gamma, grads)]
    names = ("grads_wrt_inputs", "grads_wrt_gamma", "grads_wrt_beta")
    call = "layernorm_backward(inputs, gamma, grads_wrt_outputs, eps=1e-5)"
    dx, dgamma, dbeta = _results(layer_norm.layernorm_backward(x, gamma, grads, EPS), call, names)
    out = {
        "dx": np.array(dx, dtype=np.float64),
        "dgamma": dgamma,
        "dbeta": dbeta,
        "float64": np.array(dx.dtype == np.float64),
        "leaves_inputs": np.array(all(np.array_equal(a, b) for a, b in zip((x, gamma, grads), saved))),
    }
    for a, b in zip((x, gamma, grads), saved):
        a[...] = b
    # d_xhat the same for every unit of an example, and d_xhat proportional to the example's centred inputs.
    constant = inputs["constant"][:, None] / gamma
    centred = x - x.mean(axis=1, keepdims=True)
    proportional = centred / centred.std(axis=1, keepdims=True) * inputs["factor"][:, None] / gamma
    out["dx_constant"] = _results(
        layer_norm.layernorm_backward(x.copy(), gamma.copy(), constant, EPS),
        f"{call} with grads * gamma the same for every unit of an example",
        names,
    )[0]
    out["dx_centred"] = _results(
        layer_norm.layernorm_backward(x.copy(), gamma.copy(), proportional, EPS),
        f"{call} with grads * gamma proportional to the centred inputs",
        names,
    )[0]
    dx32, dgamma32, dbeta32 = _results(
        layer_norm.layernorm_backward(x.astype(np.float32), gamma.astype(np.float32), grads.astype(np.float32), EPS),
        "layernorm_backward (float32 arguments)",
        names,
    )
    out["float32"] = np.array(dx32.dtype == dgamma32.dtype == dbeta32.dtype == np.float32)
    return out


LAYERNORM_PATHS = {
    "dx_constant": (
        "grads * gamma the same for every unit of an example",
        "the mean path is missing or wrong: the normalised inputs of an example always add up to 0, so "
        "a gradient the same for all its units must give dE/dx = 0 (sums over axis 1, the units)",
    ),
    "dx_centred": (
        "grads * gamma proportional to the centred inputs",
        "the variance path is missing or wrong: sum_j xhat_nj**2 is D whatever the inputs (up to eps), "
        "so a gradient proportional to xhat must give dE/dx nearly 0 (sums over axis 1, the units)",
    ),
}


def _layernorm_path_errors(student: dict, expected: dict) -> dict[str, float]:
    """For each special gradient, the error of grads_wrt_inputs against the random case's scale, per example."""
    scale = unit_scale(np.asarray(expected["dx"]), 1)
    errors = {}
    for key in LAYERNORM_PATHS:
        actual = np.asarray(student[key], dtype=np.float64)
        if actual.shape == np.shape(expected[key]):
            errors[key] = float(np.max(np.abs(actual - expected[key]) / scale))
    return errors


def _layernorm_path_hint(student: dict, expected: dict):
    def hint(actual, wanted):
        wrong = [
            LAYERNORM_PATHS[key][1] for key, error in _layernorm_path_errors(student, expected).items() if error > 1e-6
        ]
        return "; and ".join(wrong) or None

    return hint


def _layernorm_backward_compare(student: dict, expected: dict, inputs: dict) -> str:
    x = inputs["x"]
    m, d = x.shape
    name = "layernorm_backward(inputs, gamma, grads_wrt_outputs, eps=1e-5)"
    assert_shape(f"{name}: grads_wrt_inputs", np.asarray(student["dx"]), x.shape)
    _unit_shape(f"{name}: grads_wrt_gamma", student["dgamma"], m, d)
    _unit_shape(f"{name}: grads_wrt_beta", student["dbeta"], m, d)
    assert_close_to_scale(
        f"{name}: grads_wrt_inputs",
        student["dx"],
        expected["dx"],
        tol=BACKWARD_TOL,
        axes=1,
        hints=(_layernorm_path_hint(student, expected),),
    )
    for key, (what, text) in LAYERNORM_PATHS.items():
        actual = np.asarray(student[key])
        assert_shape(f"{name} with {what}: grads_wrt_inputs", actual, np.shape(expected[key]))
        assert_finite(f"{name} with {what}: grads_wrt_inputs", actual)
        error = _layernorm_path_errors(student, expected)[key]
        if error > BACKWARD_TOL:
            raise CheckFailure(
                f"{name} with {what}: grads_wrt_inputs differs from the reference's by {error:.2e} "
                f"of the scale of the gradients (tolerance {BACKWARD_TOL:.0e}). Likely mistake: {text}"
            )
    assert_close_to_scale(f"{name}: grads_wrt_gamma", student["dgamma"], expected["dgamma"], tol=BACKWARD_TOL)
    assert_close_to_scale(f"{name}: grads_wrt_beta", student["dbeta"], expected["dbeta"], tol=BACKWARD_TOL)
    assert_true(flag(student, "leaves_inputs"), f"{name} modified its arguments in place; compute new arrays")
    assert_true(flag(student, "float64"), f"{name} returned another dtype than float64 for float64 arguments")
    assert_true(
        flag(student, "float32"),
        "layernorm_backward returned another dtype than float32 for float32 arguments: keep the dtype",
    )
    return "all three gradients agree with the reference to 1e-8 of each example's scale"


CHECKS = [
    TaskCheck("lab2.batchnorm_forward", _forward_inputs, _forward_probe, _forward_compare),
    TaskCheck("lab2.batchnorm_backward", _backward_inputs, _backward_probe, _backward_compare),
    TaskCheck("lab2.population_statistics", _population_inputs, _population_probe, _population_compare),
    TaskCheck("lab2.running_statistics", _running_inputs, _running_probe, _running_compare),
    TaskCheck("lab2.fold", _fold_inputs, _fold_probe, _fold_compare),
    TaskCheck("lab2.modes", _modes_inputs, _modes_probe, _modes_compare),
    TaskCheck("lab2.spatial_forward", _spatial_inputs, _spatial_forward_probe, _spatial_forward_compare),
    TaskCheck("lab2.spatial_backward", _spatial_inputs, _spatial_backward_probe, _spatial_backward_compare),
    TaskCheck(
        "lab2.layernorm_forward", _layernorm_forward_inputs, _layernorm_forward_probe, _layernorm_forward_compare
    ),
    TaskCheck(
        "lab2.layernorm_backward", _layernorm_backward_inputs, _layernorm_backward_probe, _layernorm_backward_compare
    ),
]
