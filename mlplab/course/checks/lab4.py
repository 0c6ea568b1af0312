"""Checks of Lab 4: bootstrap samples, the tanh perceptron, bagged ensembles and the bagging theorem.

Every check compares your implementation with the reference implementation's
outputs on the same inputs (``expected``); nothing here computes the answers.

* **Bootstrap** (task 4.1): one sample has shape ``(n,)``, integer entries in
  ``[0, n)``. Over 4,000 samples of ``n`` in [15, 25] (at least 60,000 draws)
  the frequency of every index is within 0.01 of the reference's: each is a
  binomial proportion near ``1/n`` with standard error at most 1.02e-3, so the
  difference of two runs has a standard error below 1.45e-3 and 0.01 is more
  than 6.9 of them (below 1e-11 per index). The mean fraction of distinct examples in a sample (about
  0.64; its standard deviation over one sample is below 0.09, so the mean over
  4,000 samples has a standard error below 1.5e-3) is within 0.02 of the
  reference's (more than 9 standard errors of the difference). With these
  margins a correct implementation fails with probability below 1e-9 (300
  runs of every check with independent randomness found no false alarm). The
  same seed must give the same sample, and numpy's global random state must
  not be used. ``out_of_bag_mask`` is deterministic and must equal the
  reference's exactly.

* **Tanh perceptron** (task 4.2): outputs within 1e-10 of the reference's;
  the gradient must agree with central differences (h = 1e-6) of the
  quadratic error computed from *your* ``tanh_perceptron`` to a relative 1e-6,
  and with the reference's gradient to 1e-9.

* **Bagged ensemble** (task 4.3): ``bag_models`` runs with a recording
  training function and with ``bootstrap_indices`` replaced by a recording
  stand-in (so that this task does not depend on task 4.1): it must draw one
  sample per model, train each model on exactly its own sample with the
  generator it was given, and return the models and samples in order.
  ``bagged_predictions`` must equal the reference's (1e-12) for members
  returning vectors and matrices.

* **Decompositions** (tasks 4.4-4.6) are deterministic: every returned number
  is compared with the reference's to a relative 1e-9 on random ensembles,
  one of which has a large bias.

* **Combination rules** (task 4.7): every rule's result within 1e-10 of the
  reference's, on random probabilities with exact ties in some members;
  a ValueError naming the valid rules for an unknown rule.
"""

from __future__ import annotations

import numpy as np

from mlplab.course.checks.compare import (
    as_array,
    assert_close,
    assert_seeded,
    assert_shape,
    assert_true,
    flag,
    number,
    raises_value_error,
    seeding_flags,
    stand_in,
)
from mlplab.course.checks.core import CheckFailure, ProbeError, TaskCheck

EXACT_TOL = 1e-10
DECOMPOSITION_TOL = 1e-9
NUMERICAL_TOL = 1e-6
# Entries under 1/100 of the numerical gradient's largest are compared on that scale: their central
# difference has an absolute rounding error that, relative to a tiny entry, failed 1 reference in 3,000.
NUMERICAL_FLOOR = 1e-2
FD_STEP = 1e-6


# --------------------------------------------------------------------------- shared helpers


def _numbers(value, count: int, what: str) -> np.ndarray:
    """A tuple of ``count`` numbers returned by a student function, as a float64 array."""
    if not isinstance(value, (tuple, list)) or len(value) != count:
        raise ProbeError(
            f"{what} must return a tuple of {count} numbers, got {type(value).__name__}"
            + (f" of length {len(value)}" if isinstance(value, (tuple, list)) else "")
        )
    out = []
    for item in value:
        array = as_array(item, what)
        if array.size != 1:
            raise ProbeError(f"{what} must return {count} single numbers, got an array of shape {array.shape}")
        out.append(float(array.ravel()[0]))
    return np.array(out)


def _close(a: float, b: float, tol: float = 1e-9) -> bool:
    return abs(a - b) <= tol * max(1e-12, abs(a) + abs(b))


def _random_ensemble(rng: np.random.Generator, bias: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    num_models, num_points = int(rng.integers(3, 8)), int(rng.integers(20, 60))
    targets = (rng.random(num_points) < 0.5).astype(np.float64)
    common = rng.normal(0.0, 0.2, num_points)
    predictions = 0.5 + bias + 0.4 * (targets - 0.5) + common + rng.normal(0.0, 0.25, (num_models, num_points))
    return predictions, targets


# --------------------------------------------------------------------------- 4.1 bootstrap

_STAT_SAMPLES = 4000
FREQUENCY_TOL = 0.01
DISTINCT_TOL = 0.02


def _bootstrap_inputs(rng: np.random.Generator) -> dict:
    num_examples = int(rng.integers(25, 40))
    return {
        "n": np.array(int(rng.integers(15, 26))),
        "seed": np.array(int(rng.integers(2**31))),
        "oob_n": np.array(num_examples),
        "oob_indices": rng.integers(0, num_examples, size=int(rng.integers(10, 40))),
    }


def _bootstrap_probe(inputs: dict) -> dict:
    from mlplab.exercises.bagging import bootstrap_indices, out_of_bag_mask

    n, seed = int(inputs["n"]), int(inputs["seed"])
    out: dict[str, np.ndarray] = {}
    one = as_array(bootstrap_indices(n, np.random.default_rng([seed, 1])), f"bootstrap_indices({n}, rng)")
    out["shape"] = np.array(one.shape)
    out["integer"] = np.array(one.dtype.kind in "iu")
    if one.shape != (n,) or one.dtype.kind not in "iu":
        return out
    out["min"], out["max"] = np.array(int(one.min())), np.array(int(one.max()))
    rng = np.random.default_rng([seed, 2])
    counts = np.zeros(n)
    distinct = np.zeros(_STAT_SAMPLES)
    for s in range(_STAT_SAMPLES):
        sample = np.asarray(bootstrap_indices(n, rng))
        if sample.shape != (n,) or sample.min() < 0 or sample.max() >= n:
            raise ProbeError(
                f"bootstrap_indices({n}, rng) returned a sample of shape {sample.shape} or with "
                f"entries outside [0, {n}) on call {s + 1}"
            )
        counts += np.bincount(sample, minlength=n)
        distinct[s] = len(np.unique(sample)) / n
    out["frequencies"] = counts / counts.sum()
    out["distinct"] = np.array(distinct.mean())
    out.update(seeding_flags(lambda r: bootstrap_indices(n, r), seed))

    indices, num = inputs["oob_indices"].astype(np.int64), int(inputs["oob_n"])
    saved = indices.copy()
    mask = as_array(out_of_bag_mask(indices, num), "out_of_bag_mask")
    out["oob_leaves_inputs"] = np.array(np.array_equal(indices, saved))
    out["oob_bool"] = np.array(mask.dtype == bool)
    out["oob"] = mask.astype(np.float64)
    out["oob_all_drawn"] = as_array(out_of_bag_mask(np.arange(num), num), "out_of_bag_mask").astype(np.float64)
    return out


def _bootstrap_compare(student: dict, expected: dict, inputs: dict) -> str:
    n = int(inputs["n"])
    what = f"bootstrap_indices({n}, rng)"
    shape = tuple(int(k) for k in np.asarray(student["shape"]).ravel())
    if shape != (n,):
        raise CheckFailure(
            f"{what} returned shape {shape}, expected ({n},): a bootstrap sample has as many "
            f"draws as the data set has examples (n = {n})"
        )
    assert_true(flag(student, "integer"), f"{what} must return integer indices (e.g. int64), usable as array indices")
    low, high = int(student["min"]), int(student["max"])
    assert_true(low >= 0 and high < n, f"{what} returned indices from {low} to {high}; they must lie in [0, {n})")
    assert_seeded("bootstrap_indices", student, what="samples")
    distinct, distinct_ref = number(student, "distinct"), number(expected, "distinct")
    if abs(distinct - distinct_ref) > DISTINCT_TOL:
        message = (
            f"{what}: on average a fraction {distinct:.3f} of the examples occurs in a sample, expected "
            f"{distinct_ref:.3f} (tolerance {DISTINCT_TOL}; over {_STAT_SAMPLES} samples)"
        )
        if distinct > 1 - 1e-9:
            message += (
                ". Likely mistake: every example occurs exactly once, so the sample is drawn without "
                "replacement (a permutation); a bootstrap sample draws with replacement"
            )
        raise CheckFailure(message + ".")
    freq, freq_ref = np.asarray(student["frequencies"]), np.asarray(expected["frequencies"])
    worst = int(np.argmax(np.abs(freq - freq_ref)))
    if abs(freq[worst] - freq_ref[worst]) > FREQUENCY_TOL:
        message = (
            f"{what}: index {worst} was drawn with frequency {freq[worst]:.4f} over {_STAT_SAMPLES} samples, "
            f"expected {freq_ref[worst]:.4f} (tolerance {FREQUENCY_TOL}): the indices must be uniform on "
            f"0..{n - 1}"
        )
        if freq[n - 1] == 0:
            message += f". Likely mistake: the last index {n - 1} is never drawn (the upper bound is exclusive)"
        elif freq[0] == 0:
            message += ". Likely mistake: index 0 is never drawn (indices start at 0)"
        raise CheckFailure(message + ".")

    num = int(inputs["oob_n"])
    name = f"out_of_bag_mask(indices, {num})"
    assert_true(flag(student, "oob_leaves_inputs"), f"{name} modified the indices it was given")
    got, want = np.asarray(student["oob"]), np.asarray(expected["oob"])
    assert_shape(name, got, want.shape)
    if not np.array_equal(got, want):
        message = f"{name}: {int(np.sum(got != want))} of {num} entries are wrong"
        if np.array_equal(got, 1 - want):
            message += (
                ". Likely mistake: the mask is inverted; True marks the examples that do NOT occur in the "
                "sample (out of bag)"
            )
        raise CheckFailure(message + ".")
    assert_true(flag(student, "oob_bool"), f"{name} must return a boolean array (dtype bool)")
    assert_true(
        not np.any(student["oob_all_drawn"]),
        f"out_of_bag_mask(np.arange({num}), {num}) must be all False: every example was drawn",
    )
    return (
        f"samples of the right size, distinct fraction {distinct:.3f} (reference {distinct_ref:.3f}); "
        "out-of-bag mask exact"
    )


# --------------------------------------------------------------------------- 4.2 tanh perceptron


def _perceptron_inputs(rng: np.random.Generator) -> dict:
    num_points, dim = int(rng.integers(30, 50)), int(rng.integers(2, 5))
    return {
        "x": rng.normal(0.0, 1.0, (num_points, dim)),
        "t": (rng.random(num_points) < 0.5).astype(np.float64),
        "w": rng.normal(0.0, 0.8, dim),
        "theta": np.array(float(rng.uniform(0.3, 1.0) * rng.choice([-1.0, 1.0]))),
    }


def _grads_array(value, what: str, dim: int) -> np.ndarray:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ProbeError(f"{what} must return a tuple (dE/dw, dE/dtheta)")
    grad_w = as_array(value[0], f"{what}[0] (dE/dw)")
    grad_theta = as_array(value[1], f"{what}[1] (dE/dtheta)")
    if grad_w.shape != (dim,):
        raise ProbeError(f"{what}[0] (dE/dw) has shape {grad_w.shape}, expected ({dim},), the shape of the weights")
    if grad_theta.size != 1:
        raise ProbeError(f"{what}[1] (dE/dtheta) must be one number, got shape {grad_theta.shape}")
    return np.concatenate([grad_w.astype(np.float64), grad_theta.astype(np.float64).ravel()])


def _perceptron_probe(inputs: dict) -> dict:
    from mlplab.exercises.bagging import tanh_perceptron, tanh_perceptron_grads
    from mlplab.gradcheck import numerical_gradient

    x, t, w, theta = inputs["x"], inputs["t"], inputs["w"], float(inputs["theta"])
    dim = len(w)
    saved = (x.copy(), t.copy(), w.copy())
    out = {
        "y": as_array(tanh_perceptron(x, w, theta), "tanh_perceptron(x, w, theta)"),
        "y_other_theta": as_array(tanh_perceptron(x, w, -theta), "tanh_perceptron(x, w, -theta)"),
        "grads": _grads_array(tanh_perceptron_grads(x, t, w, theta), "tanh_perceptron_grads", dim),
        "grads_at_zero": _grads_array(tanh_perceptron_grads(x, t, np.zeros(dim), 0.0), "tanh_perceptron_grads", dim),
    }
    out["leaves_inputs"] = np.array(all(np.array_equal(a, b) for a, b in zip((x, t, w), saved)))

    def error(params: np.ndarray) -> float:
        y = np.asarray(tanh_perceptron(x, params[:dim].copy(), float(params[dim])), dtype=np.float64)
        return float(np.mean((t - y) ** 2))

    out["numerical"] = numerical_gradient(error, np.concatenate([w, [theta]]).astype(np.float64), h=FD_STEP)
    return out


def _gradient_hints(expected_at_zero: np.ndarray, student_at_zero: np.ndarray, dim: int):
    def missing_half(actual, wanted):
        a, b = np.asarray(actual, dtype=np.float64), np.asarray(wanted, dtype=np.float64)
        if np.allclose(a, 2 * b, rtol=1e-6, atol=1e-12):
            return (
                "the gradient is twice as large: the factor 0.5 of y = 0.5 [1 + tanh(a)] is missing from "
                "dy/da = 0.5 (1 - tanh(a)^2)"
            )
        if np.allclose(a, 0.5 * b, rtol=1e-6, atol=1e-12):
            return "the gradient is half as large: dE/dy = -2 (t - y) / P (the square's factor 2)"
        return None

    def theta_sign(actual, wanted):
        a, b = np.asarray(actual, dtype=np.float64), np.asarray(wanted, dtype=np.float64)
        if np.allclose(a[:dim], b[:dim], rtol=1e-6, atol=1e-12) and np.allclose(a[dim], -b[dim], rtol=1e-6):
            return "dE/dtheta has the wrong sign: a = w . x - theta, so da/dtheta = -1"
        return None

    def missing_tanh_derivative(actual, wanted):
        if np.allclose(student_at_zero, expected_at_zero, rtol=1e-6, atol=1e-12):
            return (
                "the gradient is right where a = 0 (w = 0, theta = 0) but wrong elsewhere: the derivative "
                "of tanh, 1 - tanh(a)^2, is missing or wrong"
            )
        return None

    return (missing_half, theta_sign, missing_tanh_derivative)


def _perceptron_compare(student: dict, expected: dict, inputs: dict) -> str:
    dim = len(inputs["w"])
    x = inputs["x"]

    def theta_hint(actual, wanted):
        if np.allclose(np.asarray(actual, dtype=np.float64), expected["y_other_theta"], rtol=1e-9):
            return "theta enters with the wrong sign: a = w . x - theta (theta is subtracted)"
        return None

    assert_close("tanh_perceptron(x, w, theta)", student["y"], expected["y"], tol=EXACT_TOL, hints=(theta_hint,))
    assert_true(flag(student, "leaves_inputs"), "tanh_perceptron or tanh_perceptron_grads modified its inputs")
    hints = _gradient_hints(expected["grads_at_zero"], student["grads_at_zero"], dim)
    name = f"tanh_perceptron_grads on {x.shape[0]} points: (dE/dw, dE/dtheta) stacked"
    regions = {"dE/dw": np.arange(dim + 1) < dim, "dE/dtheta": np.arange(dim + 1) == dim}
    try:
        error = assert_close(
            name + " vs the numerical gradient of your tanh_perceptron's error",
            student["grads"],
            student["numerical"],
            tol=NUMERICAL_TOL,
            regions=regions,
            hints=hints,
            floor=max(1e-8, NUMERICAL_FLOOR * float(np.max(np.abs(student["numerical"])))),
        )
    except CheckFailure as failure:
        raise CheckFailure(f"{failure} The error is E = (1/P) sum (t - y)^2.") from None
    assert_close(name, student["grads"], expected["grads"], tol=1e-9, regions=regions, hints=hints)
    return f"outputs and gradient agree with the reference; numerical gradient check {error:.1e}"


# --------------------------------------------------------------------------- 4.3 bagged ensemble


def _bag_inputs(rng: np.random.Generator) -> dict:
    num_examples = int(rng.integers(12, 20))
    return {
        "num_models": np.array(int(rng.integers(3, 7))),
        "features": rng.normal(0.0, 1.0, num_examples),
        "targets": rng.normal(0.0, 1.0, num_examples),
        "seed": np.array(int(rng.integers(2**31))),
        "weights": rng.normal(0.0, 1.0, (4, 3)),
        "weight_matrices": rng.normal(0.0, 1.0, (3, 3, 5)),
        "test_inputs": rng.normal(0.0, 1.0, (7, 3)),
    }


def _bag_probe(inputs: dict) -> dict:
    import mlplab.exercises.bagging as bagging

    num_models, seed = int(inputs["num_models"]), int(inputs["seed"])
    n_data = len(inputs["targets"])
    # Example i is recognisable from its first column.
    data = np.stack([np.arange(n_data, dtype=np.float64), inputs["features"]], axis=1)
    targets = inputs["targets"].copy()
    given = np.random.default_rng([seed, 7])
    drawn: list[np.ndarray] = []
    calls: list[dict] = []
    problems = {"bootstrap_rng": 0, "bootstrap_n": 0}

    def recording_bootstrap(num_examples, rng):  # easy to recognise (not a bootstrap sample)
        if rng is not given:
            problems["bootstrap_rng"] += 1
        if int(num_examples) != n_data:
            problems["bootstrap_n"] += 1
        sample = rng.permutation(n_data)[::-1].copy()
        drawn.append(sample)
        return sample

    def train(inputs, targets, rng):  # the documented signature of train
        x, t = np.asarray(inputs), np.asarray(targets)
        calls.append(
            {
                "rows": x[:, 0].copy(),
                "shape_ok": x.shape[1:] == (2,) and t.shape == x.shape[:1],
                "targets": t.copy(),
                "rng": rng is given,
                "after_draws": len(drawn),
            }
        )
        level = float(np.mean(t))
        return lambda z: np.full(len(z), level)

    original = bagging.bootstrap_indices
    bagging.bootstrap_indices = stand_in("bootstrap_indices(num_examples, rng)", recording_bootstrap)
    try:
        result = bagging.bag_models(stand_in("train(inputs, targets, rng)", train), data, targets, num_models, given)
    finally:
        bagging.bootstrap_indices = original
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise ProbeError("bag_models must return a tuple (models, samples)")
    models, samples = result
    samples = as_array(samples, "bag_models(...)[1] (samples)")
    out: dict[str, np.ndarray] = {
        "num_returned": np.array(len(models)),
        "num_draws": np.array(len(drawn)),
        "num_calls": np.array(len(calls)),
        "samples_shape": np.array(samples.shape),
        "bootstrap_rng_problems": np.array(problems["bootstrap_rng"]),
        "bootstrap_n_problems": np.array(problems["bootstrap_n"]),
    }
    draws_ok = len(drawn) == len(calls)
    out["samples_returned_ok"] = np.array(
        samples.shape == (len(drawn), n_data)
        and len(drawn) > 0
        and all(np.array_equal(samples[k], drawn[k]) for k in range(len(drawn)))
    )
    out["trained_on_sample"] = np.array(
        draws_ok and all(np.array_equal(call["rows"], drawn[k]) for k, call in enumerate(calls))
    )
    out["trained_on_full_data"] = np.array(
        len(calls) > 0 and all(np.array_equal(call["rows"], np.arange(n_data)) for call in calls)
    )
    out["targets_paired"] = np.array(
        all(call["shape_ok"] and np.array_equal(call["targets"], targets[call["rows"].astype(int)]) for call in calls)
    )
    out["train_rng"] = np.array(all(call["rng"] for call in calls))
    out["interleaved"] = np.array([call["after_draws"] for call in calls])
    out["models_predict"] = np.array(
        len(models) == len(calls)
        and all(np.allclose(np.asarray(m(data[:2])), np.mean(c["targets"])) for m, c in zip(models, calls))
    )

    # bagged_predictions with linear members (vector outputs) and matrix members ((N, 5) outputs)
    z = inputs["test_inputs"]
    vector_members = [lambda q, w=w: q @ w for w in inputs["weights"]]
    matrix_members = [lambda q, m=m: np.tanh(q @ m) for m in inputs["weight_matrices"]]
    out["predictions_vectors"] = as_array(bagging.bagged_predictions(vector_members, z), "bagged_predictions")
    out["predictions_matrices"] = as_array(bagging.bagged_predictions(matrix_members, z), "bagged_predictions")
    out["predictions_one"] = as_array(bagging.bagged_predictions(vector_members[:1], z), "bagged_predictions")
    return out


def _bag_compare(student: dict, expected: dict, inputs: dict) -> str:
    num_models = int(inputs["num_models"])
    what = f"bag_models(train, inputs, targets, num_models={num_models}, rng)"
    draws, calls = int(student["num_draws"]), int(student["num_calls"])
    assert_true(
        calls == num_models, f"{what} called train {calls} times; it must train one model per member ({num_models})"
    )
    if draws == 1 and calls > 1:
        raise CheckFailure(
            f"{what} drew a single bootstrap sample and trained all {calls} models on it. Likely "
            "mistake: the K models are trained on the same sample; draw a new sample for every model"
        )
    if draws == 0 and flag(student, "trained_on_full_data"):
        raise CheckFailure(
            f"{what} never called bootstrap_indices and trained every model on the whole data set: "
            "each model must be trained on its own bootstrap sample"
        )
    assert_true(
        draws == num_models,
        f"{what} called bootstrap_indices {draws} times; it must draw one sample per "
        f"model ({num_models}), with bootstrap_indices(n, rng)",
    )
    assert_true(
        int(student["bootstrap_n_problems"]) == 0,
        f"{what} asked bootstrap_indices for samples of another size than the number of examples n",
    )
    assert_true(
        int(student["bootstrap_rng_problems"]) == 0,
        f"{what} did not pass its generator rng to bootstrap_indices (a new generator or np.random?)",
    )
    assert_true(
        flag(student, "trained_on_sample"),
        f"{what}: model k was not trained on inputs[samples[k]]: pass the rows of the k-th bootstrap sample "
        "(in the order drawn) to train",
    )
    assert_true(
        flag(student, "targets_paired"),
        f"{what}: the targets passed to train do not belong to the inputs passed with them; use "
        "targets[sample] with inputs[sample]",
    )
    assert_true(flag(student, "train_rng"), f"{what} did not pass its generator rng to train")
    order = np.asarray(student["interleaved"])
    assert_true(
        np.array_equal(order, np.asarray(expected["interleaved"])),
        f"{what}: draw the samples and train the models in the documented order (for each k: draw the "
        f"sample, then train); train was called after {order.tolist()} draws",
    )
    assert_true(
        int(student["num_returned"]) == num_models,
        f"{what} returned {int(student['num_returned'])} models, expected {num_models}",
    )
    assert_true(
        flag(student, "models_predict"), f"{what}: the models returned are not the ones train returned, in order"
    )
    shape = tuple(int(k) for k in np.asarray(student["samples_shape"]).ravel())
    want = tuple(int(k) for k in np.asarray(expected["samples_shape"]).ravel())
    assert_true(shape == want, f"{what} returned samples of shape {shape}, expected {want} (num_models, n)")
    assert_true(
        flag(student, "samples_returned_ok"), f"{what}: row k of the returned samples must be the k-th sample drawn"
    )

    for key, label in (
        ("predictions_vectors", "4 members with outputs of shape (7,)"),
        ("predictions_matrices", "3 members with outputs of shape (7, 5)"),
        ("predictions_one", "1 member with outputs of shape (7,)"),
    ):
        got = np.asarray(student[key])
        if got.shape == np.asarray(expected[key]).shape[1:]:
            raise CheckFailure(
                f"bagged_predictions({label}) returned shape {got.shape}, expected "
                f"{np.asarray(expected[key]).shape}: return every member's outputs stacked along a "
                "new first axis, not their average"
            )
        assert_close(f"bagged_predictions({label})", got, expected[key], tol=EXACT_TOL)
    return "one sample per model, each model trained on its own sample with the given generator; predictions stacked"


# --------------------------------------------------------------------------- 4.4 - 4.6 decompositions


def _ensembles_inputs(rng: np.random.Generator) -> dict:
    out = {}
    for case, bias in (("a", 0.0), ("b", 0.6)):
        out[f"predictions_{case}"], out[f"targets_{case}"] = _random_ensemble(rng, bias)
    # case c: every member has the same mean mismatch
    predictions, targets = _random_ensemble(rng, 0.2)
    mismatches = targets[None, :] - predictions
    predictions = predictions + (mismatches.mean(axis=1, keepdims=True) - mismatches.mean())
    out["predictions_c"], out["targets_c"] = predictions, targets
    return out


_CASES = ("a", "b", "c")


def _decomposition_probe(function_name: str, count: int):
    def probe(inputs: dict) -> dict:
        import mlplab.exercises.bagging as bagging

        function = getattr(bagging, function_name)
        out = {}
        for case in _CASES:
            y, t = inputs[f"predictions_{case}"], inputs[f"targets_{case}"]
            saved = (y.copy(), t.copy())
            out[case] = _numbers(function(y, t), count, f"{function_name}(predictions, targets)")
            out[f"leaves_inputs_{case}"] = np.array(np.array_equal(y, saved[0]) and np.array_equal(t, saved[1]))
        return out

    return probe


def _shape_text(inputs: dict, case: str) -> str:
    return f"predictions of shape {inputs[f'predictions_{case}'].shape}"


def _bias_variance_compare(student: dict, expected: dict, inputs: dict) -> str:
    for case in _CASES:
        name = f"bias_variance_decomposition({_shape_text(inputs, case)})"
        assert_true(flag(student, f"leaves_inputs_{case}"), f"{name} modified its inputs")
        mean_error, variance, bias2 = np.asarray(student[case])
        ref_error, ref_variance, ref_bias2 = np.asarray(expected[case])
        num_terms = inputs[f"predictions_{case}"].size
        if not _close(mean_error, ref_error):
            raise CheckFailure(
                f"{name}: <E_k> is {mean_error:.6g}, expected {ref_error:.6g}: the mean over members "
                "and points of the squared mismatch (t - y)^2"
            )
        if not _close(bias2, ref_bias2):
            message = f"{name}: d^2 is {bias2:.6g}, expected {ref_bias2:.6g}"
            if _close(bias2**2, ref_bias2, 1e-6):
                message += ". Likely mistake: d is not squared (return d^2, the square of the mean signed mismatch)"
            elif bias2 > ref_bias2:
                message += (
                    ". Likely mistake: the mismatches are squared before they are averaged; d is the mean "
                    "of the SIGNED mismatches t - y, and d^2 its square"
                )
            raise CheckFailure(message + ".")
        if not _close(variance, ref_variance):
            message = f"{name}: V is {variance:.6g}, expected {ref_variance:.6g}"
            if _close(variance, ref_error):
                message += (
                    ". Likely mistake: V is computed around the target (it equals <E_k>); V is the mean "
                    "squared deviation of the mismatches from their mean d"
                )
            elif _close(variance, ref_variance * num_terms / (num_terms - 1), 1e-6):
                message += (
                    ". Likely mistake: an unbiased (n - 1) estimate; every average here divides by the number "
                    "of terms, K * P"
                )
            elif abs(mean_error - variance - bias2) > 1e-9 * max(1.0, mean_error):
                message += (
                    f". Your numbers do not satisfy <E_k> = V + d^2 ({mean_error:.6g} != "
                    f"{variance + bias2:.6g}): shift every mismatch by the one common mean d"
                )
            raise CheckFailure(message + ".")
    return "<E_k>, V and d^2 agree with the reference on three ensembles"


def _bagged_terms_compare(student: dict, expected: dict, inputs: dict) -> str:
    for case in _CASES:
        name = f"bagged_error_terms({_shape_text(inputs, case)})"
        num_models = inputs[f"predictions_{case}"].shape[0]
        assert_true(flag(student, f"leaves_inputs_{case}"), f"{name} modified its inputs")
        bagged, variance_term, bias2, cross = np.asarray(student[case])
        ref_bagged, ref_variance_term, ref_bias2, ref_cross = np.asarray(expected[case])
        if not _close(bagged, ref_bagged):
            message = f"{name}: E_bag is {bagged:.6g}, expected {ref_bagged:.6g}"
            if bagged > ref_bagged and _close(bagged, ref_variance_term * num_models + ref_bias2):
                message += (
                    ". Likely mistake: the members' errors are averaged instead of their predictions; E_bag "
                    "is the error of the averaged prediction"
                )
            raise CheckFailure(message + ".")
        if not _close(bias2, ref_bias2):
            raise CheckFailure(
                f"{name}: d^2 is {bias2:.6g}, expected {ref_bias2:.6g}, the square of the mean "
                "signed mismatch over all members and points"
            )
        if not _close(variance_term, ref_variance_term):
            message = f"{name}: the variance term is {variance_term:.6g}, expected V/K = {ref_variance_term:.6g}"
            if _close(variance_term, ref_variance_term * num_models, 1e-6):
                message += f". Likely mistake: V is returned instead of V/K (K = {num_models})"
            raise CheckFailure(message + ".")
        if not _close(cross, ref_cross, 1e-8):
            message = f"{name}: the cross term C is {cross:.6g}, expected {ref_cross:.6g}"
            if _close(cross, -ref_cross, 1e-6):
                message += ". Likely mistake: the cross term has the wrong sign"
            elif _close(cross, ref_cross * num_models / (num_models - 1), 1e-6):
                message += (
                    f". Likely mistake: the sum over pairs k != m is divided by K (K - 1) instead of K^2 "
                    f"(K = {num_models})"
                )
            elif _close(cross, ref_cross + ref_variance_term, 1e-6):
                message += ". Likely mistake: the terms with k = m are included; C only has pairs of different members"
            elif _close(cross, 2 * ref_cross, 1e-6) or _close(cross, 0.5 * ref_cross, 1e-6):
                message += (
                    ". Likely mistake: each unordered pair is counted once or twice; the sum runs over all "
                    "ordered pairs k != m"
                )
            raise CheckFailure(message + ".")
    return "E_bag, V/K, d^2 and the cross term agree with the reference on three ensembles"


def _correlation_probe(inputs: dict) -> dict:
    from mlplab.exercises.bagging import error_correlations

    out = {}
    for case in _CASES:
        y, t = inputs[f"predictions_{case}"], inputs[f"targets_{case}"]
        saved = y.copy()
        out[case] = as_array(error_correlations(y, t), "error_correlations(predictions, targets)")
        out[f"leaves_inputs_{case}"] = np.array(np.array_equal(y, saved))
    return out


def _correlation_compare(student: dict, expected: dict, inputs: dict) -> str:
    for case in _CASES:
        name = f"error_correlations({_shape_text(inputs, case)})"
        assert_true(flag(student, f"leaves_inputs_{case}"), f"{name} modified its inputs")
        got, want = np.asarray(student[case], dtype=np.float64), np.asarray(expected[case])
        assert_shape(name, got, want.shape)
        if got.ndim == 2 and not np.allclose(np.diag(got), 1.0, rtol=1e-9):
            raise CheckFailure(
                f"{name}: the diagonal is {np.round(np.diag(got), 4).tolist()}, not 1: divide "
                "c_km by sqrt(c_kk c_mm) to turn the products into correlations"
            )

        def own_means(actual, wanted, case=case):
            if case != "c" and np.allclose(student["c"], expected["c"], rtol=1e-9, atol=1e-12):
                return (
                    "right when every member has the same mean mismatch, wrong otherwise: shift all mismatches "
                    "by the one common mean d, not each member's by its own mean (np.corrcoef does the latter)"
                )
            raw = inputs[f"targets_{case}"][None, :] - inputs[f"predictions_{case}"]
            products = raw @ raw.T
            scale = np.sqrt(np.diag(products))
            if np.allclose(actual, products / np.outer(scale, scale), rtol=1e-9, atol=1e-12):
                return (
                    "these are the normalised products of the mismatches themselves: shift every mismatch by "
                    "the common mean d before taking products"
                )
            return None

        assert_close(name, got, want, tol=DECOMPOSITION_TOL, hints=(own_means,))
    return "correlation matrices agree with the reference on three ensembles"


# --------------------------------------------------------------------------- 4.7 combination rules

_RULES = ("mean", "geometric", "vote")


def _combine_inputs(rng: np.random.Generator) -> dict:
    num_models, num_examples, num_classes = int(rng.integers(4, 8)), int(rng.integers(20, 40)), int(rng.integers(3, 6))
    logits = rng.normal(0.0, 1.5, (num_models, num_examples, num_classes))
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    ties = np.full(num_classes, 0.1 / (num_classes - 2) if num_classes > 2 else 0.0)
    ties[1] = ties[2 % num_classes] = 0.45
    ties /= ties.sum()
    probabilities[: num_models // 2, 0] = ties  # members with an exact tie between classes 1 and 2
    return {"probabilities": probabilities}


def _combine_probe(inputs: dict) -> dict:
    from mlplab.exercises.bagging import combine_probabilities

    p = inputs["probabilities"]
    out = {}
    for rule in _RULES:
        saved = p.copy()
        out[rule] = as_array(combine_probabilities(p, rule), f"combine_probabilities(probabilities, {rule!r})")
        out[f"leaves_inputs_{rule}"] = np.array(np.array_equal(p, saved))
    out["unknown_rule"] = np.array(raises_value_error(lambda: combine_probabilities(p, "median"))[0])
    return out


def _combine_compare(student: dict, expected: dict, inputs: dict) -> str:
    shape = inputs["probabilities"].shape
    for rule in _RULES:
        name = f"combine_probabilities(probabilities of shape {shape}, {rule!r})"
        assert_true(flag(student, f"leaves_inputs_{rule}"), f"{name} modified the probabilities")
        got = np.asarray(student[rule], dtype=np.float64)
        assert_shape(name, got, np.asarray(expected[rule]).shape)
        sums = got.sum(axis=-1)
        if not np.allclose(sums, 1.0, rtol=1e-9):
            raise CheckFailure(
                f"{name}: the rows sum to values from {sums.min():.4g} to {sums.max():.4g}, not 1. "
                "Likely mistake: the result is not renormalised; divide every row by its sum"
            )

        def other_rule(actual, wanted, rule=rule):
            for other in _RULES:
                if other != rule and np.allclose(actual, expected[other], rtol=1e-9, atol=1e-12):
                    text = f"the result is that of the rule {other!r}"
                    if rule == "vote":
                        text += "; a vote counts one vote per member for its most probable class, not its probabilities"
                    return text
            if rule == "vote":
                return "check the votes: each member votes for its argmax (the first class on ties)"
            return None

        assert_close(name, got, expected[rule], tol=EXACT_TOL, hints=(other_rule,))
    code = int(student["unknown_rule"])
    assert_true(
        code == 1,
        "combine_probabilities(probabilities, 'median') must raise a ValueError naming the valid "
        f"rules, but it {'returned a result' if code == 0 else 'raised another exception'}",
    )
    return "mean, geometric mean and vote agree with the reference"


# --------------------------------------------------------------------------- the checks

CHECKS = [
    TaskCheck("lab4.bootstrap", _bootstrap_inputs, _bootstrap_probe, _bootstrap_compare),
    TaskCheck("lab4.tanh_perceptron", _perceptron_inputs, _perceptron_probe, _perceptron_compare),
    TaskCheck("lab4.bag_models", _bag_inputs, _bag_probe, _bag_compare),
    TaskCheck(
        "lab4.bias_variance",
        _ensembles_inputs,
        _decomposition_probe("bias_variance_decomposition", 3),
        _bias_variance_compare,
    ),
    TaskCheck(
        "lab4.bagged_error_terms",
        _ensembles_inputs,
        _decomposition_probe("bagged_error_terms", 4),
        _bagged_terms_compare,
    ),
    TaskCheck("lab4.error_correlations", _ensembles_inputs, _correlation_probe, _correlation_compare),
    TaskCheck("lab4.combine", _combine_inputs, _combine_probe, _combine_compare),
]
