"""Checks of Lab 6: optimisers and learning-rate schedules.

Every check compares your implementation with the reference implementation's
outputs on the same inputs (``expected``); nothing here computes the answers.

* **Learning rules** (tasks 6.1-6.6, and Adam's relatives 6.8-6.11). Three float64 parameter arrays of
  different shapes (23 entries) start from random values; the rule is given a
  fixed sequence of 8 random gradients (entries of both signs, magnitudes
  between 0.03 and 3) with random hyper-parameters (``eps`` between 1e-3 and
  1e-2, large enough that where it enters the formula matters). The probe
  records every **step** (the change of the parameters in each update) and
  the rule's documented state after each update. Each step must agree with
  the reference's to a relative 1e-8 per entry (the arithmetic is the same up
  to rounding; an equivalent formulation, such as the lecture's form of
  momentum, passes). Also checked:

  - each parameter has its own state: a rule given two parameters of one
    shape must take the same steps as two rules given one parameter each;
  - the parameters are updated in place: the arrays passed to ``initialise``
    (the model's arrays) change and stay in ``rule.params``; float32
    parameters stay float32; the gradients are not modified;
  - after ``reset()`` the rule takes the same steps as a fresh one;
  - Adam (6.5) keeps ``first_moments``, ``second_moments`` and ``step_count``
    as documented (the notebook plots them), within 1e-8 of the reference's.

  Hints compare your steps with plain gradient descent (run by the provided
  ``GradientDescentLearningRule``), with your own ``MomentumLearningRule``
  (for 6.2), with your own ``AdamLearningRule`` (for 6.9-6.11, also given
  ``g + weight_decay * p`` for AdamW) and your state with the reference's, to
  name a likely mistake.

* **Gradient clipping** (task 6.12): three gradient arrays whose global norm is above
  ``max_norm``, below it, and all zero; the clipped gradients and the returned norm within
  1e-10 of the reference's, new arrays, the given ones unchanged, float32 kept. Hints
  recognise clipping each array on its own, clipping by value and scaling unclipped gradients.

* **Schedules** (task 6.7): values within 1e-12 of the reference's for every
  epoch from 0 to past the end, for random arguments; numpy integers accepted;
  a ValueError for a negative epoch.
"""

from __future__ import annotations

import numpy as np

from mlplab.course.checks.compare import as_array, assert_close, assert_true, flag, raises_value_error
from mlplab.course.checks.core import CheckFailure, ProbeError, TaskCheck

STEP_TOL = 1e-8
STATE_TOL = 1e-8
SCHEDULE_TOL = 1e-12

_SHAPES = ((4, 3), (3,), (2, 2, 2))
_SIZES = tuple(int(np.prod(s)) for s in _SHAPES)
_NUM_STEPS = 8
_RESET_STEPS = 3
_SHARED_SHAPE = (3, 4)
_NO_HINT = np.full((_NUM_STEPS, sum(_SIZES)), np.nan)
"""What a hint's output is when the student's other rule it comes from fails: present (the judge wants every
output the reference gives) and matching nothing."""


# --------------------------------------------------------------------------- shared helpers


def _gradients(rng: np.random.Generator, shape) -> np.ndarray:
    magnitude = 10.0 ** rng.uniform(-1.5, 0.5, shape)
    return magnitude * rng.choice([-1.0, 1.0], shape)


def _split(flat: np.ndarray, dtype=np.float64) -> list[np.ndarray]:
    arrays, start = [], 0
    for shape, size in zip(_SHAPES, _SIZES):
        arrays.append(np.array(flat[start : start + size], dtype=dtype).reshape(shape))
        start += size
    return arrays


def _flat(arrays) -> np.ndarray:
    return np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays])


def _state(rule, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The documented state lists, flattened; a missing or malformed attribute is left out."""
    found = {}
    for name in names:
        value = getattr(rule, name, None)
        if isinstance(value, (list, tuple)) and len(value) == len(_SHAPES):
            arrays = [np.asarray(v) for v in value]
            if all(a.shape == s and a.dtype.kind == "f" for a, s in zip(arrays, _SHAPES)):
                found[name] = _flat(arrays)
    return found


def _run(rule, params: list[np.ndarray], grads: np.ndarray, state_names=(), *, initialise=True, dtype=np.float64):
    """Steps (num_steps, 23) of ``rule`` on ``params`` (updated where they are), the state after each step,
    whether the gradients were left alone, and the step counts."""
    if initialise:
        rule.initialise(params)
    steps, states, counts = [], {name: [] for name in state_names}, []
    before = _flat(params)
    leaves_grads = True
    for g in grads:
        given = _split(g, dtype)
        saved = [x.copy() for x in given]
        rule.update_params(given)
        leaves_grads = leaves_grads and all(np.array_equal(a, b) for a, b in zip(given, saved))
        after = _flat(params)
        steps.append(after - before)
        before = after
        for name, value in _state(rule, state_names).items():
            states[name].append(value)
        count = getattr(rule, "step_count", None)
        counts.append(float(count) if isinstance(count, (int, np.integer)) and not isinstance(count, bool) else np.nan)
    states = {name: np.array(values) for name, values in states.items() if len(values) == len(grads)}
    return np.array(steps), states, leaves_grads, np.array(counts)


def _rule_inputs(hyper_ranges: dict[str, tuple[float, float, bool]]):
    """make_inputs for a rule: hyper-parameters (log-uniform where flagged), parameters and gradients."""

    def make(rng: np.random.Generator) -> dict:
        inputs = {}
        for name, (low, high, log) in hyper_ranges.items():
            inputs[f"hp_{name}"] = float(
                10 ** rng.uniform(np.log10(low), np.log10(high)) if log else rng.uniform(low, high)
            )
        inputs["params"] = rng.standard_normal(sum(_SIZES))
        inputs["grads"] = _gradients(rng, (_NUM_STEPS, sum(_SIZES)))
        inputs["shared_params"] = rng.standard_normal((2, *_SHARED_SHAPE))
        inputs["shared_grads"] = _gradients(rng, (4, 2, *_SHARED_SHAPE))
        return inputs

    return make


def _hyper(inputs: dict) -> dict[str, float]:
    return {key[3:]: float(value) for key, value in inputs.items() if key.startswith("hp_")}


def _describe(class_name: str, hyper: dict) -> str:
    return f"{class_name}({', '.join(f'{k}={v:.4g}' for k, v in hyper.items())})"


def _rule_probe(
    class_name: str,
    state_names: tuple[str, ...],
    compare_with_momentum: bool = False,
    module: str = "optimisers",
    compare_with_adam: bool = False,
):
    def probe(inputs: dict) -> dict:
        import importlib

        import mlplab.exercises.optimisers as optimisers
        from mlplab.learning_rules import GradientDescentLearningRule

        cls = getattr(importlib.import_module(f"mlplab.exercises.{module}"), class_name)
        hyper = _hyper(inputs)
        out: dict[str, np.ndarray] = {}

        # 1. separate state: one rule with two parameters of one shape vs one rule per parameter
        a, b = (np.array(p, copy=True) for p in inputs["shared_params"])
        joint = cls(**hyper)
        joint.initialise([a, b])
        alone = [cls(**hyper), cls(**hyper)]
        singles = [np.array(p, copy=True) for p in inputs["shared_params"]]
        for rule, single in zip(alone, singles):
            rule.initialise([single])
        for ga, gb in inputs["shared_grads"]:
            joint.update_params([ga.copy(), gb.copy()])
            alone[0].update_params([ga.copy()])
            alone[1].update_params([gb.copy()])
        with np.errstate(all="ignore"):
            separate = bool(
                np.allclose(a, singles[0], rtol=1e-10, atol=1e-12, equal_nan=True)
                and np.allclose(b, singles[1], rtol=1e-10, atol=1e-12, equal_nan=True)
            )
        if not separate:  # the other probes would fail for the same reason, less clearly
            raise ProbeError(
                f"{_describe(class_name, hyper)}: given two parameters of the same shape, the rule took other steps "
                "than two rules given one parameter each. Likely mistake: the parameters share one state array "
                "(e.g. [np.zeros_like(...)] * n makes n references to ONE array); every parameter needs its own "
                "arrays, e.g. [np.zeros_like(param) for param in self.params]"
            )

        # 2. the steps on a fixed gradient sequence, in place
        params = _split(inputs["params"])
        rule = cls(**hyper)
        steps, states, leaves, counts = _run(rule, params, inputs["grads"], state_names)
        out["steps"] = steps
        out["leaves_grads"] = np.array(leaves)
        held = getattr(rule, "params", None)
        out["params_in_place"] = np.array(
            isinstance(held, list) and len(held) == len(params) and all(h is p for h, p in zip(held, params))
        )
        for name, values in states.items():
            out[f"state_{name}"] = values
        if "step_count" in state_names:
            out["step_counts"] = counts  # NaN where the attribute is missing or not an int

        # 3. reset: the same steps as a fresh rule
        rule.reset()
        out["reset_steps"] = _run(rule, params, inputs["grads"][:_RESET_STEPS], initialise=False)[0]

        # 4. float32 parameters stay float32 and stay the same arrays
        params32 = _split(inputs["params"], np.float32)
        rule32 = cls(**hyper)
        rule32.initialise(params32)
        for g in inputs["grads"][:2]:
            rule32.update_params(_split(g, np.float32))
        held = getattr(rule32, "params", None)
        out["keeps_float32"] = np.array(
            all(p.dtype == np.float32 for p in params32)
            and isinstance(held, list)
            and all(h is p for h, p in zip(held, params32))
        )

        # for the hints: plain gradient descent, and (6.2) the student's own classical momentum
        if "learning_rate" in hyper:
            out["sgd_steps"] = _run(
                GradientDescentLearningRule(hyper["learning_rate"]), _split(inputs["params"]), inputs["grads"]
            )[0]
        if compare_with_momentum:
            try:
                out["momentum_steps"] = _run(
                    optimisers.MomentumLearningRule(**hyper), _split(inputs["params"]), inputs["grads"]
                )[0]
            except Exception:  # noqa: BLE001 - only a hint; task 6.1 is checked on its own
                out["momentum_steps"] = _NO_HINT
        if compare_with_adam:
            try:
                out.update(_own_adam_steps(optimisers.AdamLearningRule, hyper, inputs))
            except Exception:  # noqa: BLE001 - only a hint; task 6.5 is checked on its own
                out.update({key: _NO_HINT for key in ("adam_steps", "adam_l2_steps")[: 1 + ("weight_decay" in hyper)]})
        return out

    return probe


def _own_adam_steps(adam_class, hyper: dict, inputs: dict) -> dict[str, np.ndarray]:
    """The steps of the student's own Adam on the check's gradients, and (given a weight decay) on the
    gradients plus ``weight_decay * p``: what an Adam relative's steps look like when it forgets its difference."""
    adam_hyper = {k: hyper[k] for k in ("learning_rate", "beta1", "beta2", "eps")}
    out = {"adam_steps": _run(adam_class(**adam_hyper), _split(inputs["params"]), inputs["grads"])[0]}
    if "weight_decay" in hyper:
        params, rule, steps = _split(inputs["params"]), adam_class(**adam_hyper), []
        rule.initialise(params)
        for g in inputs["grads"]:
            before = _flat(params)
            rule.update_params([a + hyper["weight_decay"] * p for a, p in zip(_split(g), params)])
            steps.append(_flat(params) - before)
        out["adam_l2_steps"] = np.array(steps)
    return out


def _close(a, b, tol=1e-7) -> bool:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.all(np.isfinite(a))) and np.allclose(a, b, rtol=tol, atol=1e-12)


def _first_wrong_step(actual: np.ndarray, expected: np.ndarray, tol: float) -> int | None:
    with np.errstate(all="ignore"):
        bad = ~np.isfinite(actual) | (
            np.abs(actual - expected) > tol * np.maximum(1e-8, np.abs(actual) + np.abs(expected))
        )
    rows = np.flatnonzero(bad.any(axis=1))
    return int(rows[0]) if rows.size else None


def _rule_compare(class_name: str, state_names: tuple[str, ...], hints, nan_text: str, required_state=()):
    """compare for a learning rule; ``hints(student, expected, inputs) -> str | None`` names task mistakes."""

    def compare(student: dict, expected: dict, inputs: dict) -> str:
        name = _describe(class_name, _hyper(inputs))
        assert_true(
            flag(student, "params_in_place"),
            f"{name}: after update_params, rule.params no longer holds the arrays given to initialise: the "
            "parameters were replaced instead of updated in place, so the model never sees the new "
            "values. Update each array in place (param -= ..., param += ...)",
        )
        assert_true(
            flag(student, "leaves_grads"),
            f"{name}.update_params modified the gradients it was given (e.g. grad *= ...); they belong to "
            "the caller: compute new arrays from them",
        )
        steps, wanted = np.asarray(student["steps"], dtype=np.float64), np.asarray(expected["steps"])
        if steps.shape == wanted.shape and not np.all(np.isfinite(steps)):
            row = int(np.flatnonzero(~np.all(np.isfinite(steps), axis=1))[0])
            raise CheckFailure(f"{name}: step {row + 1} of {len(steps)} made parameters NaN or infinite. {nan_text}")
        if steps.shape == wanted.shape and not np.any(steps) and np.any(wanted):
            extra = hints(student, expected, inputs)
            extra = (
                f"Likely mistake: {extra}"
                if extra
                else "Are the parameters updated in place (param -= ...)? "
                "Assigning to the loop variable (param = param - ...) changes nothing"
            )
            raise CheckFailure(f"{name}: the parameters never moved (every step is 0). {extra}")
        first = _first_wrong_step(steps, wanted, STEP_TOL) if steps.shape == wanted.shape else 0

        def hint(actual, _expected):
            text = hints(student, expected, inputs)
            if text is None and "sgd_steps" in student and _close(steps, student["sgd_steps"]):
                text = (
                    "the steps are those of plain gradient descent: the state is not carried from one step to "
                    "the next. Update the state arrays in place (velocity *= ...; velocity -= ...) or store the "
                    "new arrays back in the list"
                )
            if text is None and first is not None and first > 0:
                text = (
                    f"the first {first} step{'s' if first > 1 else ''} agree with the reference, step {first + 1} "
                    "does not: check how the state is updated and carried from step to step"
                )
            return text

        error = assert_close(
            f"{name}: the steps (parameter changes) of {len(wanted)} updates, one row per update",
            steps,
            wanted,
            tol=STEP_TOL,
            hints=(hint,),
        )
        for state in required_state:
            key = f"state_{state}"
            if key not in student:
                raise CheckFailure(
                    f"{name}: self.{state} must be a list of one array per parameter (of its shape), "
                    "as documented: the notebook's experiments read it"
                )
            assert_close(f"{name}: self.{state} after each update", student[key], expected[key], tol=STATE_TOL)
        if "step_counts" in expected:
            counts = np.asarray(student["step_counts"])
            assert_true(
                counts.shape == expected["step_counts"].shape and np.array_equal(counts, expected["step_counts"]),
                f"{name}: self.step_count after each update is {counts.tolist()}, expected "
                f"{np.asarray(expected['step_counts']).tolist()}",
            )
        reset = np.asarray(student["reset_steps"], dtype=np.float64)
        if not _close(reset, expected["reset_steps"], STEP_TOL):
            extra = " (and the step count t)" if "step_count" in state_names else ""
            raise CheckFailure(
                f"{name}: after reset() the rule took other steps than a fresh rule does: reset() must "
                f"set the state back to its initial values: zeros{extra}"
            )
        assert_true(
            flag(student, "keeps_float32"), f"{name}: float32 parameters did not stay float32 arrays updated in place"
        )
        return f"{len(wanted)} steps within {error:.1e} of the reference's; state per parameter, in place, reset works"

    return compare


def _state_agrees(student: dict, expected: dict, names) -> bool:
    return all(
        f"state_{n}" in student and _close(student[f"state_{n}"], expected[f"state_{n}"], STATE_TOL) for n in names
    )


# --------------------------------------------------------------------------- 6.1 momentum and 6.2 Nesterov

_MOMENTUM_RANGES = {"learning_rate": (0.01, 0.2, True), "mom_coeff": (0.5, 0.95, False)}


def _momentum_hints(student, expected, inputs):
    return None


def _nesterov_hints(student, expected, inputs):
    if "momentum_steps" in student and _close(student["steps"], student["momentum_steps"]):
        return (
            "your Nesterov steps are those of your classical momentum rule (p <- p + v). Nesterov's step looks "
            "ahead: p <- p + alpha * v - learning_rate * g, with the new velocity v"
        )
    v = student.get("state_velocities")
    if v is None or np.shape(v) != np.shape(student["steps"]):
        return None
    g, lr, alpha = inputs["grads"], float(inputs["hp_learning_rate"]), float(inputs["hp_mom_coeff"])
    if _close(student["steps"], alpha * v + lr * g):
        return "the gradient term of the step has the wrong sign: p <- p + alpha * v - learning_rate * g"
    if _close(student["steps"], v - lr * g):
        return (
            "the look-ahead uses the velocity without the momentum coefficient: p <- p + alpha * v - learning_rate * g"
        )
    return None


# --------------------------------------------------------------------------- 6.3 AdaGrad and 6.4 RMSProp

_ADAGRAD_RANGES = {"learning_rate": (0.05, 0.5, True), "eps": (1e-3, 1e-2, True)}
_RMSPROP_RANGES = {"learning_rate": (0.005, 0.05, True), "decay": (0.6, 0.95, False), "eps": (1e-3, 1e-2, True)}


def _adagrad_hints(student, expected, inputs):
    state = student.get("state_sums_sq_grads")
    if state is not None and _close(state, np.cumsum(inputs["grads"], axis=0)):
        return "self.sums_sq_grads holds the sums of the gradients: G must add up the squared gradients, G <- G + g**2"
    if _state_agrees(student, expected, ("sums_sq_grads",)):
        return _root_step_hint(student, inputs, "sums_sq_grads", "G", "your sums of squared gradients")
    return None


def _root_step_hint(student, inputs, state: str, symbol: str, what: str) -> str:
    """Which of the likely steps ``-lr * g / sqrt(S + eps)`` variants the student's steps are, from their own state."""
    g, lr, eps = inputs["grads"], float(inputs["hp_learning_rate"]), float(inputs["hp_eps"])
    history = np.asarray(student[f"state_{state}"])
    previous = np.concatenate([np.zeros_like(history[:1]), history[:-1]])
    if _close(student["steps"], -lr * g / (np.sqrt(history) + eps)):
        return (
            f"eps is added outside the square root, sqrt({symbol}) + eps; this course puts it inside, "
            f"sqrt({symbol} + eps) (PyTorch puts it outside)"
        )
    if _close(student["steps"], -lr * g / np.sqrt(previous + eps)):
        return (
            f"the step uses {symbol} from before this update: add the current g**2 to {symbol} first, then "
            "take the step"
        )
    return (
        f"{what} agree with the reference's but the steps are not -learning_rate * g / sqrt({symbol} + eps) "
        f"with the updated {symbol}"
    )


def _rmsprop_hints(student, expected, inputs):
    state, wanted = student.get("state_mean_sq_grads"), expected.get("state_mean_sq_grads")
    decay = float(inputs["hp_decay"])
    if state is not None and wanted is not None and state.shape == wanted.shape:
        ratio = state[0] / wanted[0]
        if np.allclose(ratio, decay / (1 - decay), rtol=1e-6):
            return (
                "the weights of the old average and of the new squared gradient are swapped: the old average "
                "keeps the weight decay, the new g**2 gets 1 - decay"
            )
    if _state_agrees(student, expected, ("mean_sq_grads",)):
        return _root_step_hint(student, inputs, "mean_sq_grads", "S", "your running means of squared gradients")
    return None


# --------------------------------------------------------------------------- 6.5 Adam

_ADAM_RANGES = {
    "learning_rate": (1e-3, 1e-1, True),
    "beta1": (0.6, 0.95, False),
    "beta2": (0.9, 0.999, False),
    "eps": (1e-3, 1e-2, True),
}


def _adam_hints(student, expected, inputs):
    if not _state_agrees(student, expected, ("first_moments", "second_moments")):
        return None
    m, v = student["state_first_moments"], student["state_second_moments"]
    uncorrected = -float(inputs["hp_learning_rate"]) * m / (np.sqrt(v) + float(inputs["hp_eps"]))
    if _close(student["steps"], uncorrected):
        return (
            "your steps use m and v without the bias correction: divide them by 1 - beta1**t and "
            "1 - beta2**t, with t = 1 in the first step"
        )
    return (
        "your moment estimates agree with the reference's but the steps do not: check the bias corrections "
        "(t = 1 in the first step) and that eps is added outside the square root, sqrt(v_hat) + eps"
    )


_ADAM_NAN = (
    "Likely mistake: the bias correction divided by 1 - beta**t with t = 0; count the step before using it, "
    "so that t = 1 at the first update"
)


# --------------------------------------------------------------------------- 6.6 AdaDelta

_ADADELTA_RANGES = {"learning_rate": (0.5, 2.0, False), "rho": (0.6, 0.95, False), "eps": (1e-4, 1e-2, True)}


def _adadelta_hints(student, expected, inputs):
    steps = np.asarray(student.get("steps", np.zeros(1)))
    if steps.size and not np.any(steps):
        return (
            "with U = 0 at the start, a numerator sqrt(U) makes every step 0, so U stays 0 for ever: eps "
            "belongs in both square roots, sqrt(U + eps) / sqrt(S + eps)"
        )
    lr = float(inputs["hp_learning_rate"])
    if steps.ndim == 2 and steps.shape == np.shape(expected["steps"]) and _close(steps[0] * lr, expected["steps"][0]):
        return (
            "the first step is 1 / learning_rate times the expected: the learning rate is missing (the course's "
            "AdaDelta multiplies its step by learning_rate; learning_rate=1 is the original AdaDelta)"
        )
    if _state_agrees(student, expected, ("mean_sq_grads",)):
        return (
            "your running means of squared gradients agree with the reference's but the steps do not: the step "
            "uses S already updated with the current gradient, and U from the previous steps (update U with "
            "the new step afterwards)"
        )
    return None


# --------------------------------------------------------------------------- 6.7 schedules


def _schedule_inputs(rng: np.random.Generator) -> dict:
    total = int(rng.integers(12, 31))
    return {
        "initial_rate": float(10 ** rng.uniform(-3, 0)),
        "drop_factor": float(rng.uniform(0.2, 0.8)),
        "epochs_per_drop": int(rng.integers(2, 7)),
        "decay_rate": float(rng.uniform(0.02, 0.3)),
        "num_epochs": total,
        "warmup_epochs": int(rng.integers(2, 6)),
        "final_fraction": float(rng.uniform(0.0, 0.2)),
    }


def _schedule_calls(inputs: dict) -> dict:
    """Name (as students would call it, with ``t`` for the epoch) -> the call, for the four schedules checked."""
    from mlplab.exercises.optimisers import exponential_decay, step_decay, warmup_cosine

    rate = float(inputs["initial_rate"])
    total, warmup = int(inputs["num_epochs"]), int(inputs["warmup_epochs"])
    final = rate * float(inputs["final_fraction"])
    drop, every, decay = float(inputs["drop_factor"]), int(inputs["epochs_per_drop"]), float(inputs["decay_rate"])
    calls = [
        lambda t: step_decay(t, rate, drop, every),
        lambda t: exponential_decay(t, rate, decay),
        lambda t: warmup_cosine(t, rate, total, warmup, final),
        lambda t: warmup_cosine(t, rate, total),
    ]
    return dict(zip(_schedule_names(inputs), calls))


def _schedule_probe(inputs: dict) -> dict:
    out = {}
    epochs = range(int(inputs["num_epochs"]) + 4)
    for k, (name, schedule) in enumerate(_schedule_calls(inputs).items()):
        values = [as_array(schedule(t), name.replace("(t,", f"({t},")) for t in epochs]
        if {np.shape(v) for v in values} != {()}:
            raise ProbeError(f"{name} returned an array; it must return one number")
        out[f"values{k}"] = np.array([float(v) for v in values])
        out[f"numpy_int{k}"] = as_array(schedule(np.int64(3)), f"{name} with t = np.int64(3)")
        out[f"negative{k}"] = np.array(raises_value_error(lambda schedule=schedule: schedule(-1))[0])
    return out


def _schedule_hints(wanted: np.ndarray):
    def ahead(actual, _expected):
        a = np.asarray(actual, dtype=np.float64)
        if a.shape == wanted.shape and np.allclose(a[:-1], wanted[1:], rtol=1e-12):
            return "the schedule is one epoch ahead: epochs count from 0, and the rate of epoch 0 is initial_rate"
        if a.shape == wanted.shape and np.allclose(a[1:], wanted[:-1], rtol=1e-12):
            return "the schedule is one epoch behind: epochs count from 0"
        return None

    def warmup_from_zero(actual, _expected):
        a = np.asarray(actual, dtype=np.float64)
        if a.shape == wanted.shape and a[0] == 0 and wanted[0] > 0:
            return (
                "the learning rate at epoch 0 is 0, so the first epoch learns nothing: the warm-up climbs "
                "from initial_rate / W at epoch 0 to initial_rate at epoch W - 1"
            )
        return None

    def keeps_turning(actual, _expected):
        a = np.asarray(actual, dtype=np.float64)
        if a.shape != wanted.shape:
            return None
        wrong = ~np.isclose(a, wanted, rtol=1e-12, atol=0)
        flat = np.flatnonzero(wanted == wanted[-1])
        if flat.size > 1 and wrong.any() and not wrong[: flat[0] + 1].any():
            return (
                f"the rates agree up to epoch {flat[0]}, the schedule's last, but not after it: from then on "
                "the rate must stay at its final value (the cosine must not turn back up)"
            )
        return None

    return (ahead, warmup_from_zero, keeps_turning)


def _schedule_compare(student: dict, expected: dict, inputs: dict) -> str:
    for k, name in enumerate(_schedule_names(inputs)):
        wanted = np.asarray(expected[f"values{k}"], dtype=np.float64)
        last = len(wanted) - 1
        assert_close(
            f"[{name} for t = 0..{last}]",
            student[f"values{k}"],
            wanted,
            tol=SCHEDULE_TOL,
            hints=_schedule_hints(wanted),
        )
        assert_close(
            f"{name} at t = np.int64(3)", student[f"numpy_int{k}"], expected[f"numpy_int{k}"], tol=SCHEDULE_TOL
        )
        kind = int(np.asarray(student[f"negative{k}"]).item())
        assert_true(
            kind == 1,
            f"{name.replace('(t,', '(-1,')} must raise a ValueError (epochs count from 0), "
            + ("but returned a value" if kind == 0 else "but raised another exception"),
        )
    return "all four schedules agree with the reference's for every epoch"


def _schedule_names(inputs: dict) -> list[str]:
    rate = float(inputs["initial_rate"])
    total, warmup = int(inputs["num_epochs"]), int(inputs["warmup_epochs"])
    final = rate * float(inputs["final_fraction"])
    return [
        f"step_decay(t, {rate:.4g}, drop_factor={float(inputs['drop_factor']):.4g}, "
        f"epochs_per_drop={int(inputs['epochs_per_drop'])})",
        f"exponential_decay(t, {rate:.4g}, decay_rate={float(inputs['decay_rate']):.4g})",
        f"warmup_cosine(t, {rate:.4g}, num_epochs={total}, warmup_epochs={warmup}, final_rate={final:.4g})",
        f"warmup_cosine(t, {rate:.4g}, num_epochs={total})",
    ]


# --------------------------------------------------------------------------- 6.8-6.11 Adam's relatives

_ADAMW_RANGES = {**_ADAM_RANGES, "weight_decay": (0.05, 0.5, True)}


def _adamax_hints(student, expected, inputs):
    u, wanted = student.get("state_max_abs_grads"), expected.get("state_max_abs_grads")
    if u is None or wanted is None or np.shape(u) != np.shape(wanted):
        return None
    if _close(u, np.maximum.accumulate(np.abs(inputs["grads"]), axis=0)):
        return "u is the running maximum of |g| without the decay: u <- maximum(beta2 * u, |g|)"
    signed, beta2 = np.zeros_like(u), float(inputs["hp_beta2"])
    for k, g in enumerate(inputs["grads"]):
        signed[k] = np.maximum(beta2 * (signed[k - 1] if k else 0.0), g)
    if _close(u, signed):
        return "u follows the signed gradients: it must keep their sizes, u <- maximum(beta2 * u, |g|)"
    if _state_agrees(student, expected, ("first_moments", "max_abs_grads")):
        return (
            "your m and u agree with the reference's but the steps do not: the step is "
            "learning_rate / (1 - beta1**t) * m / (u + eps), with t = 1 in the first step and no correction of u"
        )
    return None


def _adam_mixups(student, candidates) -> str | None:
    """The hint of the first of ``(key, text)`` whose steps (the student's own Adam, run by the probe) match."""
    for key, text in candidates:
        if key in student and _close(student["steps"], student[key]):
            return text
    return None


def _nadam_hints(student, expected, inputs):
    found = _adam_mixups(
        student,
        [
            (
                "adam_steps",
                "your steps are those of your Adam rule: Nadam's numerator looks "
                "ahead, beta1 * m_hat + (1 - beta1) * g / (1 - beta1**t)",
            )
        ],
    )
    if found is None and _state_agrees(student, expected, ("first_moments", "second_moments")):
        found = (
            "your m and v agree with the reference's but the steps do not: check the look-ahead numerator, "
            "the bias corrections (t = 1 in the first step) and that eps is added outside the square root, "
            "sqrt(v_hat) + eps"
        )
    return found


def _amsgrad_hints(student, expected, inputs):
    found = _adam_mixups(
        student,
        [
            (
                "adam_steps",
                "your steps are those of your Adam rule: AMSGrad divides by the "
                "largest v so far, v_max <- maximum(v_max, v), not by the current v",
            )
        ],
    )
    if found is None and _state_agrees(student, expected, ("first_moments", "second_moments")):
        found = (
            "your m and v agree with the reference's but the steps do not: v_max is the maximum of the raw v "
            "(before any bias correction), and the step divides by sqrt(v_max / (1 - beta2**t)) + eps"
        )
    return found


def _adamw_hints(student, expected, inputs):
    return _adam_mixups(
        student,
        [
            (
                "adam_l2_steps",
                "your steps are those of your Adam rule given g + weight_decay * p (L2 regularisation "
                "through the gradient): AdamW keeps the decay out of m and v and subtracts "
                "learning_rate * weight_decay * p from the parameter directly",
            ),
            (
                "adam_steps",
                "your steps are those of your Adam rule: the decay term learning_rate * weight_decay * p is missing",
            ),
        ],
    ) or (
        "your m and v agree with the reference's but the steps do not: the step is learning_rate * (m_hat / "
        "(sqrt(v_hat) + eps) + weight_decay * p), with p the value before the step"
        if _state_agrees(student, expected, ("first_moments", "second_moments"))
        else None
    )


# --------------------------------------------------------------------------- 6.12 gradient clipping

CLIP_TOL = 1e-10
_CLIP_CASES = ("above", "below", "zero")  # max_norm below the global norm, above it, and all-zero gradients


def _clip_inputs(rng: np.random.Generator) -> dict:
    grads = _gradients(rng, sum(_SIZES))
    norm = float(np.linalg.norm(grads))
    return {
        "grads": grads,
        "max_above": norm * rng.uniform(0.2, 0.8),
        "max_below": norm * rng.uniform(1.2, 3.0),
        "max_zero": float(rng.uniform(0.5, 2.0)),
    }


def _clip_probe(inputs: dict) -> dict:
    from mlplab.exercises.gradient_clipping import clip_by_global_norm

    out = {}
    for case in _CLIP_CASES:
        grads = _split(np.zeros(sum(_SIZES)) if case == "zero" else inputs["grads"])
        saved = [g.copy() for g in grads]
        result = clip_by_global_norm(grads, float(inputs[f"max_{case}"]))
        if not (isinstance(result, tuple) and len(result) == 2):
            raise ProbeError("clip_by_global_norm must return a tuple (clipped gradients, global norm)")
        clipped, norm = result
        if (
            not isinstance(clipped, list)
            or len(clipped) != len(grads)
            or any(np.shape(c) != g.shape for c, g in zip(clipped, grads))
        ):
            raise ProbeError("clip_by_global_norm must return a list of one array per gradient, of its shape")
        out[f"clipped_{case}"] = _flat(clipped)
        out[f"norm_{case}"] = as_array(norm, "the global norm clip_by_global_norm returned")
        out[f"leaves_grads_{case}"] = np.array(
            all(np.array_equal(a, b) for a, b in zip(grads, saved)) and not any(c is g for c, g in zip(clipped, grads))
        )
    grads32 = _split(inputs["grads"], np.float32)
    out["keeps_float32"] = np.array(
        all(np.asarray(c).dtype == np.float32 for c in clip_by_global_norm(grads32, float(inputs["max_above"]))[0])
    )
    return out


def _clip_hints(inputs: dict, case: str):
    grads, limit = _split(inputs["grads"]), float(inputs[f"max_{case}"])

    def per_array(actual, _expected):
        each = _flat([g * min(1.0, limit / max(np.linalg.norm(g), 1e-300)) for g in grads])
        if _close(actual, each):
            return (
                "each array was clipped to max_norm on its own: the norm is the global one, over all the "
                "gradients together, and every array is scaled by the same factor"
            )
        return None

    def by_value(actual, _expected):
        if _close(actual, np.clip(inputs["grads"], -limit, limit)):
            return "the entries were clipped by value (np.clip); clipping by norm scales whole gradients"
        return None

    def always_scaled(actual, _expected):
        if case == "below" and np.isclose(np.linalg.norm(actual), limit, rtol=1e-8):
            return (
                "the gradients were scaled to norm max_norm although their norm was already smaller: "
                "scale only when the global norm exceeds max_norm"
            )
        return None

    return (per_array, by_value, always_scaled)


def _clip_compare(student: dict, expected: dict, inputs: dict) -> str:
    for case in _CLIP_CASES:
        limit = float(inputs[f"max_{case}"])
        what = {
            "above": "a global norm above max_norm",
            "below": "a global norm below max_norm",
            "zero": "gradients that are all zero",
        }[case]
        clipped = np.asarray(student[f"clipped_{case}"], dtype=np.float64)
        if not np.all(np.isfinite(clipped)):
            raise CheckFailure(
                f"clip_by_global_norm(..., max_norm={limit:.4g}) on {what} gave NaN or infinite "
                "gradients. Likely mistake: dividing by a global norm of 0; scale only when the "
                "norm exceeds max_norm"
            )
        assert_close(
            f"clip_by_global_norm(..., max_norm={limit:.4g}) on {what}: the clipped gradients, concatenated",
            clipped,
            expected[f"clipped_{case}"],
            tol=CLIP_TOL,
            hints=_clip_hints(inputs, case) if case != "zero" else (),
        )
        norm = np.asarray(student[f"norm_{case}"], dtype=np.float64)
        if case == "above" and norm.shape == () and np.isclose(float(norm), limit, rtol=1e-8):
            raise CheckFailure(
                "the norm returned is the one after clipping (max_norm); return the global norm "
                "of the gradients before clipping"
            )
        assert_close(f"the global norm returned for {what}", norm, expected[f"norm_{case}"], tol=CLIP_TOL)
        assert_true(
            flag(student, f"leaves_grads_{case}"),
            "clip_by_global_norm modified the gradients it was given or returned the same arrays; "
            "return new arrays and leave the caller's alone",
        )
    assert_true(flag(student, "keeps_float32"), "float32 gradients must give float32 clipped gradients")
    return "clipped, unclipped and zero gradients agree with the reference's; the inputs are left alone"


# --------------------------------------------------------------------------- the checks

_NAN_DEFAULT = "Check the formula of the docstring (a division by zero, or a square root of a negative number?)"
_ADAGRAD_NAN = (
    "Likely mistake: a square root of a negative number; the accumulator must add up the squared "
    "gradients, G <- G + g**2"
)


def _rule_check(
    task_id,
    class_name,
    ranges,
    state_names,
    hints,
    nan_text=_NAN_DEFAULT,
    required_state=(),
    compare_with_momentum=False,
    module="optimisers",
    compare_with_adam=False,
):
    return TaskCheck(
        task_id,
        _rule_inputs(ranges),
        _rule_probe(class_name, state_names, compare_with_momentum, module, compare_with_adam),
        _rule_compare(class_name, state_names, hints, nan_text, required_state),
    )


CHECKS = [
    _rule_check("lab6.momentum", "MomentumLearningRule", _MOMENTUM_RANGES, ("velocities",), _momentum_hints),
    _rule_check(
        "lab6.nesterov",
        "NesterovMomentumLearningRule",
        _MOMENTUM_RANGES,
        ("velocities",),
        _nesterov_hints,
        compare_with_momentum=True,
    ),
    _rule_check(
        "lab6.adagrad",
        "AdaGradLearningRule",
        _ADAGRAD_RANGES,
        ("sums_sq_grads",),
        _adagrad_hints,
        nan_text=_ADAGRAD_NAN,
    ),
    _rule_check("lab6.rmsprop", "RMSPropLearningRule", _RMSPROP_RANGES, ("mean_sq_grads",), _rmsprop_hints),
    _rule_check(
        "lab6.adam",
        "AdamLearningRule",
        _ADAM_RANGES,
        ("first_moments", "second_moments", "step_count"),
        _adam_hints,
        nan_text=_ADAM_NAN,
        required_state=("first_moments", "second_moments"),
    ),
    _rule_check(
        "lab6.adadelta", "AdaDeltaLearningRule", _ADADELTA_RANGES, ("mean_sq_grads", "mean_sq_updates"), _adadelta_hints
    ),
    TaskCheck("lab6.schedules", _schedule_inputs, _schedule_probe, _schedule_compare),
    _rule_check(
        "lab6.adamax",
        "AdaMaxLearningRule",
        _ADAM_RANGES,
        ("first_moments", "max_abs_grads", "step_count"),
        _adamax_hints,
        nan_text=_ADAM_NAN,
        module="adam_variants",
    ),
    _rule_check(
        "lab6.nadam",
        "NadamLearningRule",
        _ADAM_RANGES,
        ("first_moments", "second_moments", "step_count"),
        _nadam_hints,
        nan_text=_ADAM_NAN,
        module="adam_variants",
        compare_with_adam=True,
    ),
    _rule_check(
        "lab6.amsgrad",
        "AMSGradLearningRule",
        _ADAM_RANGES,
        ("first_moments", "second_moments", "max_second_moments", "step_count"),
        _amsgrad_hints,
        nan_text=_ADAM_NAN,
        module="adam_variants",
        compare_with_adam=True,
    ),
    _rule_check(
        "lab6.adamw",
        "AdamWLearningRule",
        _ADAMW_RANGES,
        ("first_moments", "second_moments", "step_count"),
        _adamw_hints,
        nan_text=_ADAM_NAN,
        module="adam_variants",
        compare_with_adam=True,
    ),
    TaskCheck("lab6.clipping", _clip_inputs, _clip_probe, _clip_compare),
]
