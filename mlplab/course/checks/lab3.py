"""Checks of Lab 3: dropout, DropConnect, maxout and data augmentation.

Every check compares your implementation with the reference implementation's
outputs on the same inputs (``expected``); nothing here computes the answers.
Random layers and augmentations may draw their random numbers in any way
(``rng.random(shape) < p``, ``rng.binomial(1, p, shape)``, one call or many),
so they are compared through facts that do not depend on *which* random
numbers were drawn:

* **Dropout** (task 3.1), for ``inverted=True`` (``p`` in [0.6, 0.85]) and
  ``inverted=False`` (``p`` in [0.2, 0.4]), inputs without zeros:

  - the probe recovers the mask from the training output (an entry was kept
    if its output is not 0); every kept entry must be the input times one
    factor, equal to the reference's up to a relative 1e-9;
  - ``bprop`` must let the gradient through exactly the recovered mask, with
    the same factor, and give the same result when called twice;
  - the fraction of kept units over 10 calls of 40,000 units is within 0.01
    of the reference's. Both are binomial proportions with standard error
    ``sqrt(p(1 - p) / 400000) <= 7.9e-4``, so the difference has a standard
    error below 1.12e-3 and 0.01 is 8.9 of them (false alarm below 1e-18);
  - masks of different examples, and of successive calls, must not repeat:
    the fraction of identical consecutive rows (40 units each) and the
    agreement between two calls may exceed the reference's by at most 0.05
    (for independent masks the former is below 1e-5 and the latter has a
    standard error below 1e-3);
  - evaluation mode is deterministic and equal to the reference's output
    (and ``bprop``) up to a relative 1e-12; ``train()`` switches dropout back on;
  - dtype (float32 stays float32), no change of the inputs, the same seed
    gives the same masks, numpy's global random state is not used.

* **DropConnect** (task 3.2), ``p`` in [0.65, 0.85]: one-hot inputs reveal,
  through ``fprop``, the column of each example's weight mask; the kept
  fraction (72,000 weights, standard error of the difference below 2.7e-3)
  is within 0.02 of the reference's (7.5 standard errors, false alarm below
  1e-13); kept weights carry one factor equal to the reference's (1e-9);
  correlations between the masks of weights sharing an input, of different
  examples and of successive calls exceed the reference's by at most 0.1
  (standard errors below 0.006). ``bprop`` and ``grads_wrt_params`` must
  agree with central differences (h = 1e-3; the layer is linear for fixed
  masks) of *your* ``fprop`` run with the same random numbers (a fresh layer
  with the same seed draws the same masks) to a relative 1e-7, and must give
  the same result when called twice. Evaluation mode: outputs and gradients
  within 1e-10 of the reference's.

* **Annealed dropout** (task 3.3): values within 1e-12 of the reference's for
  every epoch; ValueError for a negative epoch or fewer than 1 annealing epoch.

* **Maxout** (task 3.4), inputs with ties inside groups: ``fprop`` within
  1e-12 and ``bprop`` within 1e-12 of the reference's (ties are part of the
  documented behaviour), ``bprop`` within 1e-7 of the numerical gradient of
  your ``fprop`` away from ties, a ValueError naming the sizes when the
  number of units is not a multiple of ``pool_size``, dtype kept, inputs not
  modified.

* **Augmentations** (tasks 3.5-3.8) run on many test images built so that
  the random change can be read off the output:

  - shifts: every image has distinct pixel values, so its offset is found
    from where the centre pixel went; the output must be that translation of
    the input with a zero border. The frequency of each offset (30,000
    images) is within 0.035 of the reference's: the standard error of the
    difference is at most 0.0039, so 0.035 is 9 of them (false alarm below
    1e-18 per offset value);
  - rotations: an elongated Gaussian blob centred in a 28x28 image; the
    angle is read from the blob's second moments (accurate to 0.05 degrees
    for bilinear interpolation). Over 2,000 images the standard deviation
    of the angles is within 15% of the reference's (relative standard error
    of the ratio 1.4%: 10 standard errors), the mean within 0.2 times
    ``max_degrees`` (9 standard errors), no angle beyond ``max_degrees``
    + 0.5 degrees; the blob's centre stays within 0.05 pixels of the
    image centre; the angles are continuous: the fraction within 0.15
    degrees of a whole number (30% for uniform angles) at most 0.35 above
    the reference's (35 standard errors; whole-degree angles give 100%);
  - pixel noise: on a grey image (78,400 pixels) the noise's standard
    deviation within 3% (10 standard errors), mean within 0.04 ``std`` (8
    standard errors), excess kurtosis within 0.3 (12 standard errors) of the
    reference's; correlations between neighbouring pixels and between images
    at most 0.05 above the reference's (9 standard errors); on black and
    white images the outputs stay in [0, 1] and the clipped fraction is
    within 0.03 of the reference's (9 standard errors);
  - elastic deformation: images whose pixel value is the row (or column)
    index; bilinear interpolation reproduces such ramps exactly, so
    ``output - input`` is the displacement field, read inside a margin of 8
    pixels. Over 400 images, its root mean square within 15% of the
    reference's, the correlation of displacements two pixels apart within
    0.05, and the mean within 0.15 pixels; correlations between the two
    components and between images at most 0.3 and 0.25 above the
    reference's. Each tolerance is at least 9 standard deviations of the
    difference of two independent runs, measured over 40 reference runs.

  With tolerances of at least 7.5 standard errors a correct implementation is
  failed with probability below 1e-12 per statistic (normal approximation);
  60 runs of every check with independent randomness found no false alarm.
  Each check also looks at the shape and dtype of the result, that the
  input is not modified and that the same seed gives the same result.

* **Augmented provider** (task 3.9): a shuffled provider of 37 examples in
  batches of 8 is wrapped with two recording augmentations; every batch must
  be passed through both (in order, once, as ``(batch, 3, 4)`` images, with
  the injected generator), come out with the provider's shape and dtype, and
  keep every input paired with its own target, over two epochs.

* **Weight decay** (tasks 3.10, 3.11): parameters ``[W1, b1, W2, b2]`` in float64, weights of
  magnitude 0.05 to 1.5 with a quarter of them exactly 0. The penalty of the biases alone must be 0
  and their gradient zeros (only weight matrices are penalised); the penalty of all parameters, of
  the weights alone and of float32 copies within a relative 1e-10 (1e-6 for float32) of the
  reference's. The gradient is checked in float64 against central differences (h = 0.01, exact for
  the quadratic L2 penalty and for ``|w|`` away from 0; at ``w = 0`` both give 0) of *your* penalty
  to a relative 1e-7, then against the reference's to 1e-10; float32 parameters give float32
  gradients, and nothing is modified in place.

* **Early stopping** (task 3.12): five sequences of validation errors with patience 2 to 5 (a dip,
  a tie with the best error, a new best just before the patience runs out, errors measured every
  second epoch, errors that always fall), the parameters set in place to distinct values after
  every epoch as a trainer does. ``update`` must return True first at the reference's epoch (or
  never), leave the parameters alone and keep ``best_epoch`` and ``best_error`` equal to the
  reference's; ``restore`` must write the best epoch's values into the arrays it is given, and do
  nothing before the first update. Deterministic: compared exactly.
"""

from __future__ import annotations

import math

import numpy as np

from mlplab.course.checks.compare import (
    as_array,
    assert_close,
    assert_finite,
    assert_ratio,
    assert_seeded,
    assert_shape,
    assert_true,
    correlation,
    elementwise_rel_error,
    flag,
    number,
    raises_value_error,
    seeding_flags,
    stand_in,
)
from mlplab.course.checks.core import CheckFailure, ProbeError, TaskCheck

NUMERICAL_TOL = 1e-7
EXACT_TOL = 1e-12


# --------------------------------------------------------------------------- shared helpers


def _factor_text(ratio: float, p: float, inverted: bool) -> str | None:
    """Names a wrong scaling factor of the kept units."""
    candidates = [
        (1.0, "the kept units are not rescaled" if inverted else None),
        (
            1.0 / p,
            None
            if inverted
            else "the kept units are divided by p, as in inverted dropout; with "
            "inverted=False the training output is x * mask (weight scaling "
            "scales at test time instead)",
        ),
        (1.0 / (1.0 - p), "the kept units are divided by 1 - p: p is the probability of KEEPING a unit"),
        (p, "the kept units are multiplied by p instead of divided by it"),
        (1.0 - p, "the kept units are multiplied by 1 - p"),
    ]
    for value, text in candidates:
        if text and abs(ratio / value - 1) < 1e-6:
            return text
    return None


# --------------------------------------------------------------------------- 3.1 dropout

_DROPOUT_CASES = (("inverted", True), ("weight_scaled", False))
_DROPOUT_STAT_SHAPE = (1000, 40)
_DROPOUT_STAT_CALLS = 10
KEEP_FRACTION_TOL = 0.01
REPEAT_TOL = 0.05


def _nonzero_inputs(rng: np.random.Generator, shape) -> np.ndarray:
    return rng.uniform(0.2, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def _dropout_inputs(rng: np.random.Generator) -> dict:
    return {
        "p_inverted": float(rng.uniform(0.6, 0.85)),
        "p_weight_scaled": float(rng.uniform(0.2, 0.4)),
        "x": _nonzero_inputs(rng, (64, 40)),
        "grads": _nonzero_inputs(rng, (64, 40)),
        "seed": int(rng.integers(2**31)),
    }


def _kept_and_ratio(values: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, float, float]:
    kept = values != 0
    if not kept.any():
        return kept, np.nan, np.nan
    ratio = values[kept] / reference[kept]
    return kept, float(ratio.min()), float(ratio.max())


def _dropout_probe(inputs: dict) -> dict:
    from mlplab.exercises.dropout import DropoutLayer

    x, grads, seed = inputs["x"], inputs["grads"], int(inputs["seed"])
    x_stat = _nonzero_inputs(np.random.default_rng([seed, 3]), _DROPOUT_STAT_SHAPE)
    out: dict[str, np.ndarray] = {}
    for k, (case, inverted) in enumerate(_DROPOUT_CASES):
        p = float(inputs[f"p_{case}"])
        name = f"DropoutLayer(rng, incl_prob={p:.3f}, inverted={inverted})"
        layer = DropoutLayer(np.random.default_rng([seed, k]), incl_prob=p, inverted=inverted)
        layer.train()
        x_saved = x.copy()
        y = np.array(as_array(layer.fprop(x), f"{name}.fprop"), copy=True)
        out[f"{case}_leaves_inputs"] = np.array(np.array_equal(x, x_saved))
        x[...] = x_saved
        out[f"{case}_shape"] = np.array(y.shape)
        if y.shape != x.shape:
            continue
        kept, low, high = _kept_and_ratio(y.astype(np.float64), x)
        out[f"{case}_ratio_min"], out[f"{case}_ratio_max"] = np.array(low), np.array(high)
        out[f"{case}_kept_fraction_one_call"] = np.array(kept.mean())
        d = np.array(as_array(layer.bprop(x, y.copy(), grads.copy()), f"{name}.bprop"), copy=True)
        d_again = np.asarray(as_array(layer.bprop(x, y.copy(), grads.copy()), f"{name}.bprop"))
        out[f"{case}_bprop_repeatable"] = np.array(d.shape == d_again.shape and np.array_equal(d, d_again))
        out[f"{case}_bprop_shape"] = np.array(d.shape)
        if d.shape == x.shape:
            kept_b, low_b, high_b = _kept_and_ratio(d.astype(np.float64), grads)
            out[f"{case}_bprop_mask_mismatch"] = np.array(np.mean(kept_b != kept))
            out[f"{case}_bprop_ratio_min"], out[f"{case}_bprop_ratio_max"] = np.array(low_b), np.array(high_b)

        # Statistics of many masks: keep fraction, repeats between examples and between calls.
        masks = []
        for _ in range(_DROPOUT_STAT_CALLS):
            y_stat = np.asarray(as_array(layer.fprop(x_stat.copy()), f"{name}.fprop"))
            if y_stat.shape != x_stat.shape:
                raise ProbeError(f"{name}.fprop returned shape {y_stat.shape} for inputs of shape {x_stat.shape}")
            masks.append(y_stat != 0)
        masks = np.stack(masks)
        out[f"{case}_keep_fraction"] = np.array(masks.mean())
        out[f"{case}_rows_repeat"] = np.array(np.mean(np.all(masks[:, 1:] == masks[:, :-1], axis=2)))
        out[f"{case}_calls_agree"] = np.array(np.mean(masks[1:] == masks[:-1]))

        # Evaluation mode: deterministic, and back to dropout after train().
        layer.eval()
        y_eval = np.array(as_array(layer.fprop(x.copy()), f"{name}.fprop in eval mode"), copy=True)
        y_eval_again = np.asarray(as_array(layer.fprop(x.copy()), f"{name}.fprop in eval mode"))
        out[f"{case}_eval_deterministic"] = np.array(
            y_eval.shape == y_eval_again.shape and np.array_equal(y_eval, y_eval_again)
        )
        out[f"{case}_eval"] = y_eval
        out[f"{case}_eval_bprop"] = as_array(
            layer.bprop(x.copy(), y_eval.copy(), grads.copy()), f"{name}.bprop in eval mode"
        )
        layer.train()
        y_train = np.asarray(as_array(layer.fprop(x.copy()), f"{name}.fprop"))
        out[f"{case}_train_again_drops"] = np.array(bool(np.any(y_train == 0)))

        # float32 stays float32 (training and evaluation)
        layer32 = DropoutLayer(np.random.default_rng([seed, k, 32]), incl_prob=p, inverted=inverted)
        x32, g32 = x.astype(np.float32), grads.astype(np.float32)
        y32 = as_array(layer32.fprop(x32), f"{name}.fprop")
        d32 = as_array(layer32.bprop(x32, y32, g32), f"{name}.bprop")
        layer32.eval()
        e32 = as_array(layer32.fprop(x32), f"{name}.fprop in eval mode")
        out[f"{case}_keeps_float32"] = np.array(
            y32.dtype == np.float32 and d32.dtype == np.float32 and e32.dtype == np.float32
        )

    def draw(rng):
        return DropoutLayer(rng, incl_prob=float(inputs["p_inverted"])).fprop(x.copy())

    out.update(seeding_flags(draw, seed))
    return out


def _dropout_compare(student: dict, expected: dict, inputs: dict) -> str:
    x = inputs["x"]
    notes = []
    for case, inverted in _DROPOUT_CASES:
        p = float(inputs[f"p_{case}"])
        name = f"DropoutLayer(incl_prob={p:.3f}, inverted={inverted})"
        shape = tuple(int(n) for n in np.asarray(student[f"{case}_shape"]).ravel())
        if shape != x.shape:
            raise CheckFailure(f"{name}.fprop: shape {shape} for inputs of shape {x.shape}; dropout keeps the shape")
        assert_true(
            flag(student, f"{case}_leaves_inputs"),
            f"{name}.fprop modified its inputs in place; compute a new array instead",
        )

        # training output: each entry is 0 or the input times one factor
        kept_fraction = number(student, f"{case}_kept_fraction_one_call")
        assert_true(kept_fraction > 0, f"{name}.fprop in training mode returned all zeros")
        assert_true(
            kept_fraction < 1,
            f"{name}.fprop in training mode dropped nothing (no output entry is 0) for "
            f"{x.size} units: in training mode it must draw a mask and zero the dropped units",
        )
        low, high = number(student, f"{case}_ratio_min"), number(student, f"{case}_ratio_max")
        factor = number(expected, f"{case}_ratio_min")
        if abs(high - low) > 1e-9 * abs(factor):
            raise CheckFailure(
                f"{name}.fprop in training mode: the entries that are not 0 are not all the input times one "
                f"factor (their ratios to the inputs range from {low:.6g} to {high:.6g}); each unit must be "
                "either dropped (0) or kept and multiplied by the same factor"
            )
        if abs(low / factor - 1) > 1e-9:
            why = _factor_text(low, p, inverted)
            raise CheckFailure(
                f"{name}.fprop in training mode multiplies the kept units by {low:.6g}, expected {factor:.6g}"
                + (f". Likely mistake: {why}" if why else "")
            )

        # bprop: the same mask, the same factor, no new random numbers
        assert_true(
            flag(student, f"{case}_bprop_repeatable"),
            f"{name}.bprop gave different results when called twice after one fprop: it draws a new "
            "mask. It must reuse the mask drawn in fprop (store it in self.mask)",
        )
        bshape = tuple(int(n) for n in np.asarray(student[f"{case}_bprop_shape"]).ravel())
        assert_shape(f"{name}.bprop output", np.empty(bshape), x.shape)
        mismatch = number(student, f"{case}_bprop_mask_mismatch")
        if mismatch > 0:
            raise CheckFailure(
                f"{name}.bprop lets the gradient through a different mask than the one fprop applied: for "
                f"{mismatch:.1%} of the entries one of them is 0 and the other is not. Likely mistake: the mask "
                "is redrawn (or not used) in bprop; the gradient must flow through exactly the units fprop kept "
                "(self.mask)"
            )
        low_b, high_b = number(student, f"{case}_bprop_ratio_min"), number(student, f"{case}_bprop_ratio_max")
        if abs(high_b - low_b) > 1e-9 * abs(factor) or abs(low_b / factor - 1) > 1e-9:
            raise CheckFailure(
                f"{name}.bprop in training mode multiplies the kept gradients by {low_b:.6g}"
                f"{'' if abs(high_b - low_b) <= 1e-9 * abs(factor) else f' to {high_b:.6g}'}, but fprop multiplied "
                f"the kept inputs by {factor:.6g}: the gradient of a unit kept with factor c is c times the output's "
                "gradient"
            )

        # statistics of the masks: independent masks first (a shared mask also spoils the keep fraction)
        repeats = number(student, f"{case}_rows_repeat")
        if repeats > number(expected, f"{case}_rows_repeat") + REPEAT_TOL:
            raise CheckFailure(
                f"{name}: {repeats:.0%} of consecutive examples in a batch got exactly the same mask. Likely "
                "mistake: one mask is shared by the whole batch; draw a mask of the inputs' full shape "
                "(batch_size, dim), a new one for every example"
            )
        agree = number(student, f"{case}_calls_agree")
        if agree > number(expected, f"{case}_calls_agree") + REPEAT_TOL:
            raise CheckFailure(
                f"{name}: successive training calls of fprop used the same mask ({agree:.1%} of the entries "
                "agree). Likely mistake: the mask is drawn once and reused; draw a new one in every training fprop"
            )

        keep = number(student, f"{case}_keep_fraction")
        keep_ref = number(expected, f"{case}_keep_fraction")
        if abs(keep - keep_ref) > KEEP_FRACTION_TOL:
            message = (
                f"{name}: over {_DROPOUT_STAT_CALLS} training calls on {np.prod(_DROPOUT_STAT_SHAPE)} units, "
                f"{keep:.4f} of the units were kept, expected {keep_ref:.4f} (tolerance {KEEP_FRACTION_TOL})"
            )
            if abs(keep - (1 - keep_ref)) <= KEEP_FRACTION_TOL:
                message += (
                    ". Likely mistake: units are kept with probability 1 - p; incl_prob is the "
                    "probability of KEEPING a unit (keep where rng.random(shape) < p)"
                )
            raise CheckFailure(message)
        # evaluation mode
        assert_true(
            flag(student, f"{case}_eval_deterministic"),
            f"{name}.fprop in evaluation mode (after layer.eval()) gave different outputs for the same "
            "inputs. Likely mistake: dropout is still active in evaluation mode; check self.training",
        )
        eval_out = np.asarray(student[f"{case}_eval"])
        if eval_out.shape == x.shape and np.any(eval_out == 0):
            raise CheckFailure(
                f"{name}.fprop in evaluation mode set {int(np.sum(eval_out == 0))} outputs to 0. "
                "Likely mistake: dropout is still active in evaluation mode; check self.training"
            )

        def scale_hint(actual, expected_values, p=p, inverted=inverted):
            a = np.asarray(actual, dtype=np.float64)
            if a.shape != x.shape:
                return None
            ratio = a / x
            if not np.allclose(ratio, ratio.flat[0], rtol=1e-9):
                return None
            value = float(ratio.flat[0])
            if inverted and abs(value - p) < 1e-9:
                return (
                    "the outputs are multiplied by p in evaluation mode; with inverted dropout the rescaling "
                    "happened in training (divide by p there) and evaluation returns the inputs unchanged"
                )
            if not inverted and abs(value - 1) < 1e-9:
                return (
                    "evaluation returns the inputs unchanged; with weight scaling (inverted=False) the "
                    "outputs must be multiplied by p at test time"
                )
            if not inverted and abs(value - (1 - p)) < 1e-9:
                return "multiplied by 1 - p: p is the probability of KEEPING a unit"
            return None

        assert_close(
            f"{name}.fprop output in evaluation mode",
            eval_out,
            expected[f"{case}_eval"],
            tol=EXACT_TOL,
            hints=(scale_hint,),
        )
        assert_close(
            f"{name}.bprop output in evaluation mode",
            student[f"{case}_eval_bprop"],
            expected[f"{case}_eval_bprop"],
            tol=EXACT_TOL,
        )
        assert_true(
            flag(student, f"{case}_train_again_drops"),
            f"{name}: after layer.eval() and then layer.train(), fprop no longer drops units; the mode "
            "must follow self.training",
        )
        assert_true(
            flag(student, f"{case}_keeps_float32"),
            f"{name}: float32 inputs gave outputs or gradients of another dtype; keep the input dtype "
            "(a Python float keeps it, a float64 array or np.float64 scalar promotes to float64)",
        )
        notes.append(f"{case} keeps {keep:.3f} (reference {keep_ref:.3f})")
    assert_seeded("DropoutLayer", student)
    return "masks, scaling, bprop and evaluation mode agree with the reference; " + ", ".join(notes)


# --------------------------------------------------------------------------- 3.2 DropConnect

_DC_IN, _DC_OUT = 6, 12
_DC_ONEHOT_REPEATS = 500  # one-hot batch of 6 * 500 examples, for the mask statistics
DC_KEEP_TOL = 0.02
DC_CORRELATION_TOL = 0.1
DC_FD_STEP = 1e-3


def _dropconnect_inputs(rng: np.random.Generator) -> dict:
    return {
        "p": float(rng.uniform(0.65, 0.85)),
        "weights": rng.uniform(0.3, 1.5, (_DC_OUT, _DC_IN)) * rng.choice([-1.0, 1.0], (_DC_OUT, _DC_IN)),
        "biases": rng.standard_normal(_DC_OUT),
        "x": rng.standard_normal((4, _DC_IN)),
        "grads": rng.standard_normal((4, _DC_OUT)),
        "seed": int(rng.integers(2**31)),
    }


def _dropconnect_probe(inputs: dict) -> dict:
    from mlplab.exercises.dropout import DropConnectLayer

    p, weights, biases = float(inputs["p"]), inputs["weights"], inputs["biases"]
    x, grads, seed = inputs["x"], inputs["grads"], int(inputs["seed"])
    name = f"DropConnectLayer({_DC_IN}, {_DC_OUT}, rng, incl_prob={p:.3f})"

    def make(rng, dtype=np.float64):
        layer = DropConnectLayer(
            _DC_IN,
            _DC_OUT,
            rng,
            incl_prob=p,
            weights_init=lambda s, r: weights.copy(),
            biases_init=lambda s, r: biases.copy(),
            dtype=dtype,
        )
        layer.train()
        return layer

    out: dict[str, np.ndarray] = {}
    # Mask statistics from one-hot inputs: y[n] - b = column j(n) of M[n] * W / p.
    layer = make(np.random.default_rng([seed, 1]))
    columns = np.arange(_DC_IN * _DC_ONEHOT_REPEATS) % _DC_IN
    onehot = np.eye(_DC_IN)[columns]
    kept_calls = []
    ratios = []
    for _ in range(2):
        y = np.asarray(as_array(layer.fprop(onehot.copy()), f"{name}.fprop"), dtype=np.float64)
        if y.shape != (len(onehot), _DC_OUT):
            raise ProbeError(
                f"{name}.fprop returned shape {y.shape} for inputs of shape {onehot.shape}, "
                f"expected {(len(onehot), _DC_OUT)}"
            )
        ratio = (y - biases) / weights[:, columns].T
        kept = np.abs(ratio) > 1e-9
        kept_calls.append(kept)
        ratios.append(ratio[kept])
    kept = np.stack(kept_calls)
    ratios = np.concatenate(ratios)
    out["keep_fraction"] = np.array(kept.mean())
    out["ratio_min"] = np.array(ratios.min() if ratios.size else np.nan)
    out["ratio_max"] = np.array(ratios.max() if ratios.size else np.nan)
    first = kept[0]
    out["same_input_correlation"] = np.array(correlation(first[:, :-1], first[:, 1:]))
    out["example_correlation"] = np.array(correlation(first[:-_DC_IN], first[_DC_IN:]))
    out["call_correlation"] = np.array(correlation(kept[0], kept[1]))

    # Gradients in training mode, against central differences of fprop with the same random numbers.
    grad_seed = [seed, 2]
    layer = make(np.random.default_rng(grad_seed))
    x_saved = x.copy()
    y = np.array(as_array(layer.fprop(x), f"{name}.fprop"), copy=True)
    out["fprop_leaves_inputs"] = np.array(np.array_equal(x, x_saved))
    x[...] = x_saved
    dx = np.array(as_array(layer.bprop(x.copy(), y.copy(), grads.copy()), f"{name}.bprop"), copy=True)
    dx_again = np.asarray(as_array(layer.bprop(x.copy(), y.copy(), grads.copy()), f"{name}.bprop"))
    out["bprop_repeatable"] = np.array(dx.shape == dx_again.shape and np.array_equal(dx, dx_again))
    params = layer.grads_wrt_params(x.copy(), grads.copy())
    if not isinstance(params, (list, tuple)) or len(params) != 2:
        raise ProbeError(f"{name}.grads_wrt_params must return a list [dE/dW, dE/db], got {type(params).__name__}")
    d_weights = np.array(as_array(params[0], f"{name}.grads_wrt_params()[0]"), copy=True)
    d_biases = np.array(as_array(params[1], f"{name}.grads_wrt_params()[1]"), copy=True)
    again = layer.grads_wrt_params(x.copy(), grads.copy())
    out["grads_repeatable"] = np.array(
        np.array_equal(d_weights, np.asarray(again[0])) and np.array_equal(d_biases, np.asarray(again[1]))
    )
    out["dx"], out["d_weights"], out["d_biases"] = dx, d_weights, d_biases

    def objective(x_in=None, weight_index=None, bias_index=None, step=0.0):
        fresh = make(np.random.default_rng(grad_seed))
        if weight_index is not None:
            fresh.weights[weight_index] += step
        if bias_index is not None:
            fresh.biases[bias_index] += step
        values = np.asarray(fresh.fprop((x if x_in is None else x_in).copy()), dtype=np.float64)
        return float(np.sum(values * grads))

    h = DC_FD_STEP
    num_dx = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[index] += h
        minus[index] -= h
        num_dx[index] = (objective(plus) - objective(minus)) / (2 * h)
    num_dw = np.zeros(weights.shape)
    for index in np.ndindex(weights.shape):
        num_dw[index] = (objective(weight_index=index, step=h) - objective(weight_index=index, step=-h)) / (2 * h)
    num_db = np.zeros(biases.shape)
    for index in range(len(biases)):
        num_db[index] = (objective(bias_index=index, step=h) - objective(bias_index=index, step=-h)) / (2 * h)
    out["num_dx"], out["num_d_weights"], out["num_d_biases"] = num_dx, num_dw, num_db

    # Evaluation mode
    layer.eval()
    y_eval = np.array(as_array(layer.fprop(x.copy()), f"{name}.fprop in eval mode"), copy=True)
    y_eval_again = np.asarray(as_array(layer.fprop(x.copy()), f"{name}.fprop in eval mode"))
    out["eval_deterministic"] = np.array(y_eval.shape == y_eval_again.shape and np.array_equal(y_eval, y_eval_again))
    out["eval"] = y_eval
    out["eval_dx"] = as_array(layer.bprop(x.copy(), y_eval.copy(), grads.copy()), f"{name}.bprop in eval mode")
    eval_params = layer.grads_wrt_params(x.copy(), grads.copy())
    out["eval_d_weights"] = as_array(eval_params[0], f"{name}.grads_wrt_params()[0] in eval mode")
    out["eval_d_biases"] = as_array(eval_params[1], f"{name}.grads_wrt_params()[1] in eval mode")

    # float32 in, float32 out
    layer32 = make(np.random.default_rng([seed, 32]), dtype=np.float32)
    x32, g32 = x.astype(np.float32), grads.astype(np.float32)
    y32 = as_array(layer32.fprop(x32), f"{name}.fprop")
    d32 = as_array(layer32.bprop(x32, y32, g32), f"{name}.bprop")
    w32 = as_array(layer32.grads_wrt_params(x32, g32)[0], f"{name}.grads_wrt_params()[0]")
    out["keeps_float32"] = np.array(y32.dtype == d32.dtype == w32.dtype == np.float32)

    out.update(seeding_flags(lambda rng: make(rng).fprop(x.copy()), seed))
    return out


def _numerical_error(actual, numerical) -> float:
    actual = np.asarray(actual, dtype=np.float64)
    numerical = np.asarray(numerical, dtype=np.float64)
    if actual.shape != numerical.shape:
        return np.inf
    return float(np.max(elementwise_rel_error(actual, numerical))) if actual.size else 0.0


def _dropconnect_compare(student: dict, expected: dict, inputs: dict) -> str:
    p = float(inputs["p"])
    name = f"DropConnectLayer({_DC_IN}, {_DC_OUT}, rng, incl_prob={p:.3f})"
    keep, keep_ref = number(student, "keep_fraction"), number(expected, "keep_fraction")
    assert_true(keep > 0, f"{name}.fprop in training mode dropped every weight")
    assert_true(
        keep < 1,
        f"{name}.fprop in training mode dropped no weight: in training mode it must draw a mask and drop weights",
    )
    low, high = number(student, "ratio_min"), number(student, "ratio_max")
    factor = number(expected, "ratio_min")
    if abs(high - low) > 1e-9 * factor or abs(low / factor - 1) > 1e-9:
        why = _factor_text(low, p, True) if abs(high - low) <= 1e-9 * factor else None
        raise CheckFailure(
            f"{name}.fprop in training mode: the kept weights enter the output multiplied by "
            f"{low:.6g}{'' if abs(high - low) <= 1e-9 * factor else f' to {high:.6g}'}, expected {factor:.6g} "
            "(measured with one-hot inputs, which pick out one column of the weights)"
            + (f". Likely mistake: {why}" if why else "")
        )
    for key, text in (
        (
            "same_input_correlation",
            "the weights leaving one input unit are kept or dropped together. Likely mistake: that is dropout "
            "on the inputs; DropConnect drops every weight independently, with a mask of shape "
            "(batch_size, output_dim, input_dim)",
        ),
        (
            "example_correlation",
            "different examples of a batch got the same weight mask. Likely mistake: one mask shared by the "
            "batch; every example gets its own mask (shape (batch_size, output_dim, input_dim))",
        ),
        (
            "call_correlation",
            "successive training calls of fprop used the same weight masks. Likely mistake: the mask is drawn "
            "once and reused; draw new masks in every training fprop",
        ),
    ):
        value = number(student, key)
        if value > number(expected, key) + DC_CORRELATION_TOL:
            raise CheckFailure(f"{name}: {text} (correlation {value:.2f}, expected about {number(expected, key):.2f})")
    if abs(keep - keep_ref) > DC_KEEP_TOL:
        message = (
            f"{name}: {keep:.4f} of the weights were kept in training, expected {keep_ref:.4f} "
            f"(tolerance {DC_KEEP_TOL})"
        )
        if abs(keep - (1 - keep_ref)) <= DC_KEEP_TOL:
            message += (
                ". Likely mistake: weights are kept with probability 1 - p; incl_prob is the probability of KEEPING one"
            )
        raise CheckFailure(message)
    assert_true(flag(student, "fprop_leaves_inputs"), f"{name}.fprop modified its inputs in place")

    assert_true(
        flag(student, "bprop_repeatable"),
        f"{name}.bprop gave different results when called twice after one fprop: it draws new masks. "
        "It must use the masks fprop stored in self.mask",
    )
    assert_true(
        flag(student, "grads_repeatable"),
        f"{name}.grads_wrt_params gave different results when called twice after one fprop: it draws "
        "new masks. It must use the masks fprop stored in self.mask",
    )
    x = inputs["x"]
    assert_shape(f"{name}.bprop output", np.asarray(student["dx"]), x.shape)
    assert_shape(f"{name}.grads_wrt_params()[0] (dE/dW)", np.asarray(student["d_weights"]), inputs["weights"].shape)
    assert_shape(f"{name}.grads_wrt_params()[1] (dE/db)", np.asarray(student["d_biases"]), inputs["biases"].shape)
    for key, numerical_key, what, why in (
        (
            "dx",
            "num_dx",
            "bprop",
            "it must send the gradient back through the masked weights of the last fprop, "
            "(M[n] * W / p).T @ dE/dy[n], not through all the weights",
        ),
        (
            "d_weights",
            "num_d_weights",
            "grads_wrt_params()[0] (dE/dW)",
            "a weight dropped for example n gets no gradient from it: multiply by the masks of the last fprop "
            "and divide by p",
        ),
        ("d_biases", "num_d_biases", "grads_wrt_params()[1] (dE/db)", "biases are never dropped"),
    ):
        assert_finite(f"{name}.{what}", np.asarray(student[key]))
        error = _numerical_error(student[key], student[numerical_key])
        if error > NUMERICAL_TOL:
            raise CheckFailure(
                f"{name}.{what} in training mode disagrees with the numerical gradient of your fprop under the same "
                f"random masks (relative error {error:.2e} > {NUMERICAL_TOL:.0e}): {why}"
            )

    assert_true(
        flag(student, "eval_deterministic"),
        f"{name}.fprop in evaluation mode gave different outputs for the same inputs. Likely mistake: "
        "weights are still dropped in evaluation mode; check self.training",
    )
    assert_close(f"{name}.fprop output in evaluation mode", student["eval"], expected["eval"], tol=1e-10)
    assert_close(f"{name}.bprop output in evaluation mode", student["eval_dx"], expected["eval_dx"], tol=1e-10)
    assert_close(
        f"{name}.grads_wrt_params()[0] in evaluation mode",
        student["eval_d_weights"],
        expected["eval_d_weights"],
        tol=1e-10,
    )
    assert_close(
        f"{name}.grads_wrt_params()[1] in evaluation mode",
        student["eval_d_biases"],
        expected["eval_d_biases"],
        tol=1e-10,
    )
    assert_true(
        flag(student, "keeps_float32"),
        f"{name} with float32 parameters and inputs gave outputs or gradients of another dtype; keep float32",
    )
    assert_seeded("DropConnectLayer", student)
    worst = max(
        _numerical_error(student[k], student[n])
        for k, n in (("dx", "num_dx"), ("d_weights", "num_d_weights"), ("d_biases", "num_d_biases"))
    )
    return (
        f"keeps {keep:.3f} of the weights (reference {keep_ref:.3f}); gradients agree with the numerical "
        f"gradient to {worst:.1e}"
    )


# --------------------------------------------------------------------------- 3.3 annealed dropout


def _annealed_inputs(rng: np.random.Generator) -> dict:
    return {
        "p0": np.array([rng.uniform(0.2, 0.45), rng.uniform(0.55, 0.9)]),
        "num_epochs": np.array([int(rng.integers(5, 21)), 1]),
    }


def _annealed_probe(inputs: dict) -> dict:
    from mlplab.exercises.dropout import annealed_incl_prob

    out = {}
    for k, (p0, num) in enumerate(zip(inputs["p0"], inputs["num_epochs"])):
        p0, num = float(p0), int(num)
        values = [
            as_array(annealed_incl_prob(epoch, p0, num), f"annealed_incl_prob({epoch}, {p0:.3f}, {num})")
            for epoch in range(num + 4)
        ]
        shapes = {np.shape(v) for v in values}
        if shapes != {()}:
            raise ProbeError(
                f"annealed_incl_prob returned arrays of shape {sorted(shapes)[0]}; it must return one number"
            )
        out[f"schedule{k}"] = np.array([float(v) for v in values])
        out[f"numpy_int{k}"] = as_array(
            annealed_incl_prob(np.int64(1), p0, np.int64(num)), "annealed_incl_prob with numpy integers"
        )
    p0 = float(inputs["p0"][0])
    out["negative_epoch"] = np.array(raises_value_error(lambda: annealed_incl_prob(-1, p0, 10))[0])
    out["zero_epochs"] = np.array(raises_value_error(lambda: annealed_incl_prob(0, p0, 0))[0])
    return out


def _annealed_hints(expected: np.ndarray):
    def direction(actual, wanted):
        a = np.asarray(actual, dtype=np.float64)
        if (
            a.shape == wanted.shape
            and np.isclose(a[0], wanted[0], rtol=1e-12)
            and np.all(np.diff(a) <= 0)
            and a[-1] < a[0]
        ):
            return (
                "the inclusion probability decreases over the epochs; it is the DROP rate 1 - p that is "
                "annealed to 0, so p rises from p0 to 1"
            )
        return None

    def ahead(actual, wanted):
        a = np.asarray(actual, dtype=np.float64)
        if a.shape == wanted.shape and np.allclose(a[:-1], wanted[1:], rtol=1e-12):
            return "the schedule is one epoch ahead: epochs count from 0 and annealed_incl_prob(0, p0, T) is p0"
        if a.shape == wanted.shape and np.allclose(a[1:], wanted[:-1], rtol=1e-12):
            return "the schedule is one epoch behind: epochs count from 0 and annealed_incl_prob(0, p0, T) is p0"
        return None

    def above_one(actual, wanted):
        a = np.asarray(actual, dtype=np.float64)
        if a.shape == wanted.shape and np.any(a > 1 + 1e-12):
            return (
                "after num_anneal_epochs the result exceeds 1: the drop rate stops at 0, it does not become "
                "negative (max(0, ...))"
            )
        return None

    return (direction, ahead, above_one)


def _annealed_compare(student: dict, expected: dict, inputs: dict) -> str:
    for k, (p0, num) in enumerate(zip(inputs["p0"], inputs["num_epochs"])):
        wanted = np.asarray(expected[f"schedule{k}"], dtype=np.float64)
        assert_close(
            f"[annealed_incl_prob(t, {float(p0):.3f}, {int(num)}) for t = 0..{int(num) + 3}]",
            student[f"schedule{k}"],
            wanted,
            tol=EXACT_TOL,
            hints=_annealed_hints(wanted),
        )
        assert_close(
            f"annealed_incl_prob(np.int64(1), {float(p0):.3f}, np.int64({int(num)}))",
            student[f"numpy_int{k}"],
            expected[f"numpy_int{k}"],
            tol=EXACT_TOL,
        )
    for key, call in (
        ("negative_epoch", "annealed_incl_prob(-1, p0, 10)"),
        ("zero_epochs", "annealed_incl_prob(0, p0, 0)"),
    ):
        code = int(student[key])
        assert_true(code != 0, f"{call} returned a value instead of raising ValueError")
        assert_true(code == 1, f"{call} raised an exception other than ValueError")
    return "the schedule agrees with the reference for every epoch"


# --------------------------------------------------------------------------- 3.4 maxout


def _maxout_inputs(rng: np.random.Generator) -> dict:
    batch, units, k = 8, 5, 3
    x = rng.standard_normal((batch, units * k))
    groups = x.reshape(batch, units, k)
    tie = np.zeros((batch, units), dtype=bool)
    for n in range(batch):  # ties for the maximum in about a third of the groups
        for j in range(units):
            choice = rng.integers(0, 6)
            if choice == 0:
                groups[n, j, :] = groups[n, j].max()  # all equal
                tie[n, j] = True
            elif choice == 1:
                order = rng.permutation(k)
                groups[n, j, order[1]] = groups[n, j, order[0]] = groups[n, j].max() + 0.5
                tie[n, j] = True
    groups[0, 0] = (0.0, 0.0, -1.0)  # zeros tie (as after a ReLU)
    tie[0, 0] = True
    x = groups.reshape(batch, units * k)
    # for the numerical gradient: every group's maximum at least 0.1 above the others
    x_grad = rng.standard_normal((4, 4 * 2))
    pairs = x_grad.reshape(4, 4, 2)
    pairs[..., 1] = pairs[..., 0] + rng.choice([-1.0, 1.0], (4, 4)) * rng.uniform(0.1, 1.0, (4, 4))
    return {
        "x": x,
        "tie": tie.astype(np.int64),
        "grads": rng.standard_normal((batch, units)),
        "x4": rng.standard_normal((3, 8)),
        "grads4": rng.standard_normal((3, 2)),
        "x_grad": pairs.reshape(4, 8),
        "grads_grad": rng.standard_normal((4, 4)),
    }


def _maxout_probe(inputs: dict) -> dict:
    from mlplab.exercises.maxout import MaxoutLayer
    from mlplab.gradcheck import numerical_vjp

    out = {}
    layer = MaxoutLayer(pool_size=3)
    x, grads = inputs["x"], inputs["grads"]
    x_saved = x.copy()
    y = np.array(as_array(layer.fprop(x), "MaxoutLayer(3).fprop"), copy=True)
    out["fprop_leaves_inputs"] = np.array(np.array_equal(x, x_saved))
    x[...] = x_saved
    out["y"] = y
    if y.ndim == 2 and y.shape[0] == x.shape[0]:
        # which inputs each output equals (the inputs of a row are distinct except in tied groups)
        out["matches"] = x[:, None, :] == y[:, :, None]
    out["d"] = as_array(layer.bprop(x.copy(), y.copy(), grads.copy()), "MaxoutLayer(3).bprop")
    layer4 = MaxoutLayer(pool_size=4)
    y4 = as_array(layer4.fprop(inputs["x4"].copy()), "MaxoutLayer(4).fprop")
    out["y4"] = y4
    out["d4"] = as_array(
        layer4.bprop(inputs["x4"].copy(), np.array(y4, copy=True), inputs["grads4"].copy()), "MaxoutLayer(4).bprop"
    )
    layer2 = MaxoutLayer(pool_size=2)
    x_grad, grads_grad = inputs["x_grad"], inputs["grads_grad"]
    y_grad = as_array(layer2.fprop(x_grad.copy()), "MaxoutLayer(2).fprop")
    out["d_grad"] = as_array(
        layer2.bprop(x_grad.copy(), np.array(y_grad, copy=True), grads_grad.copy()), "MaxoutLayer(2).bprop"
    )
    if y_grad.shape == grads_grad.shape:
        out["d_numerical"] = numerical_vjp(lambda a: layer2.fprop(a), x_grad.copy(), grads_grad, h=1e-6)
    else:
        out["d_numerical"] = np.full(x_grad.shape, np.nan)
    code, named = raises_value_error(lambda: MaxoutLayer(pool_size=3).fprop(np.zeros((4, 10))), 10, 3)
    out["shape_error"], out["shape_error_named"] = np.array(code), np.array(named)
    x32 = x.astype(np.float32)
    y32 = as_array(layer.fprop(x32), "MaxoutLayer(3).fprop")
    d32 = as_array(layer.bprop(x32, y32, grads.astype(np.float32)), "MaxoutLayer(3).bprop")
    out["keeps_float32"] = np.array(y32.dtype == np.float32 and d32.dtype == np.float32)
    return out


def _maxout_bprop_hints(x: np.ndarray, grads: np.ndarray, tie: np.ndarray, k: int):
    batch, units = grads.shape

    def hint(actual, expected):
        a = np.asarray(actual, dtype=np.float64)
        e = np.asarray(expected, dtype=np.float64)
        if a.shape != e.shape:
            return None
        a_groups, e_groups = a.reshape(batch, units, k), e.reshape(batch, units, k)
        if np.allclose(a_groups, grads[:, :, None], rtol=1e-12):
            return (
                "every unit of a group received the output's gradient; only the unit that attained the "
                "maximum gets it, the others get 0"
            )
        if np.allclose(a_groups, grads[:, :, None] / k, rtol=1e-12):
            return "the gradient is shared out over the whole group; it all goes to the maximal unit"
        wrong = ~np.all(np.isclose(a_groups, e_groups, rtol=1e-12, atol=0), axis=2)
        if wrong.any() and np.all(tie[wrong]):
            return (
                "only groups with a tie for the maximum are wrong: the whole gradient must go to the FIRST "
                "maximal unit of the group (what np.argmax picks), the other tied units get 0"
            )
        groups = x.reshape(batch, units, k)
        not_max = groups < groups.max(axis=2, keepdims=True)
        if np.any((a_groups != 0) & not_max):
            return (
                "gradient reaches units that are not the maximum of their group: is the argmax taken over "
                "the units of each group (the last axis of (batch_size, num_units, pool_size))?"
            )
        return None

    return (hint,)


def _maxout_compare(student: dict, expected: dict, inputs: dict) -> str:
    x, grads, tie = inputs["x"], inputs["grads"], np.asarray(inputs["tie"], dtype=bool)
    batch, units = grads.shape
    k = 3
    assert_true(flag(student, "fprop_leaves_inputs"), "MaxoutLayer.fprop modified its inputs in place")
    y = np.asarray(student["y"])
    if y.shape == (batch, units * k):
        raise CheckFailure(
            f"MaxoutLayer(pool_size=3).fprop: shape {y.shape}, expected {(batch, units)}: the output "
            "has one unit per group of 3 inputs (did the maximum keep the group axis?)"
        )
    if y.shape == (batch, units * k // units) or (y.shape != (batch, units) and y.size == batch * k):
        raise CheckFailure(
            f"MaxoutLayer(pool_size=3).fprop: shape {y.shape}, expected {(batch, units)}. Likely "
            "mistake: the maximum was taken over the wrong axis"
        )
    assert_shape("MaxoutLayer(pool_size=3).fprop output", y, (batch, units))

    def grouping_hint(actual, wanted):
        matches = np.asarray(student.get("matches", np.zeros(0)), dtype=bool)
        if matches.shape != (batch, units, units * k):
            return None
        strided = np.arange(units * k)[None, None, :] % units == np.arange(units)[None, :, None]
        if np.all(np.any(matches & strided, axis=2)):
            return (
                "your output j is the maximum of inputs j, j + num_units, j + 2 * num_units, ...; the groups "
                "are k CONSECUTIVE units: output j is the maximum of inputs j*k to j*k + k - 1 (reshape to "
                "(batch_size, num_units, pool_size))"
            )
        return None

    regions = {"the group has a tie": tie, "no tie": ~tie}
    assert_close(
        "MaxoutLayer(pool_size=3).fprop output",
        y,
        expected["y"],
        tol=EXACT_TOL,
        regions=regions,
        hints=(grouping_hint,),
    )
    assert_close("MaxoutLayer(pool_size=4).fprop output", student["y4"], expected["y4"], tol=EXACT_TOL)
    tie_inputs = np.repeat(tie, k, axis=1)
    assert_close(
        "MaxoutLayer(pool_size=3).bprop output",
        student["d"],
        expected["d"],
        tol=EXACT_TOL,
        regions={"the group has a tie for the maximum": tie_inputs, "no tie": ~tie_inputs},
        hints=_maxout_bprop_hints(x, grads, tie, k),
    )
    assert_close(
        "MaxoutLayer(pool_size=4).bprop output",
        student["d4"],
        expected["d4"],
        tol=EXACT_TOL,
        hints=_maxout_bprop_hints(inputs["x4"], inputs["grads4"], np.zeros((3, 2), dtype=bool), 4),
    )
    error = _numerical_error(student["d_grad"], student["d_numerical"])
    assert_true(
        error <= NUMERICAL_TOL,
        f"MaxoutLayer(pool_size=2).bprop disagrees with the numerical gradient of your fprop "
        f"(relative error {error:.2e} > {NUMERICAL_TOL:.0e})",
    )
    code = int(student["shape_error"])
    call = "MaxoutLayer(pool_size=3).fprop(inputs of shape (4, 10))"
    assert_true(code != 0, f"{call} returned instead of raising ValueError: 10 units cannot be split into groups of 3")
    assert_true(code == 1, f"{call} raised an exception other than ValueError")
    assert_true(
        bool(student["shape_error_named"]),
        f"{call}: the ValueError's message must name the number of units (10) and the pool size (3), "
        "so that the mistake is clear",
    )
    assert_true(
        flag(student, "keeps_float32"), "MaxoutLayer: float32 inputs and gradients gave another dtype; keep the dtype"
    )
    return f"fprop and bprop (ties included) agree with the reference; numerical gradient to {error:.1e}"


# --------------------------------------------------------------------------- 3.5 shifts

_SHIFT_SHAPE = (30_000, 9, 8)
SHIFT_FREQUENCY_TOL = 0.035


def _shift_inputs(rng: np.random.Generator) -> dict:
    return {"max_shift": int(rng.integers(1, 4)), "seed": int(rng.integers(2**31))}


def _distinct_images(rng: np.random.Generator, shape) -> np.ndarray:
    """Images whose pixels are all different and positive (so that a pixel can be found again)."""
    num, height, width = shape
    values = rng.permuted(np.tile(np.arange(1, height * width + 1, dtype=np.float64), (num, 1)), axis=1)
    return (values / (height * width)).reshape(shape)


def _translate(images: np.ndarray, dy: np.ndarray, dx: np.ndarray, wrap: bool) -> np.ndarray:
    """The probe's reading of a recovered offset: the input moved by (dy, dx), zero-filled or wrapped."""
    num, height, width = images.shape
    rows = np.arange(height)[None, :, None] - dy[:, None, None]
    cols = np.arange(width)[None, None, :] - dx[:, None, None]
    inside = (rows >= 0) & (rows < height) & (cols >= 0) & (cols < width)
    moved = images[np.arange(num)[:, None, None], rows % height, cols % width]
    return moved if wrap else np.where(inside, moved, 0.0)


def _shift_probe(inputs: dict) -> dict:
    from mlplab.exercises.augmentation import random_shift

    m, seed = int(inputs["max_shift"]), int(inputs["seed"])
    name = f"random_shift(images, rng, max_shift={m})"
    images = _distinct_images(np.random.default_rng([seed, 0]), _SHIFT_SHAPE)
    saved = images.copy()
    shifted = np.asarray(as_array(random_shift(images, np.random.default_rng([seed, 1]), m), name))
    out = {"leaves_inputs": np.array(np.array_equal(images, saved)), "shape": np.array(shifted.shape)}
    images[...] = saved
    if shifted.shape != images.shape:
        return out
    num, height, width = images.shape
    centre = images[:, height // 2, width // 2]
    found = shifted == centre[:, None, None]
    located = found.reshape(num, -1).sum(axis=1) == 1
    position = np.argmax(found.reshape(num, -1), axis=1)
    dy = np.where(located, position // width - height // 2, 0)
    dx = np.where(located, position % width - width // 2, 0)
    exact = located & np.all(np.abs(shifted - _translate(images, dy, dx, wrap=False)) <= 1e-12, axis=(1, 2))
    wrapped = located & np.all(np.abs(shifted - _translate(images, dy, dx, wrap=True)) <= 1e-12, axis=(1, 2))
    moved = (dy != 0) | (dx != 0)
    out["located"] = np.array(located.mean())
    out["exact"] = np.array(exact.mean())
    out["wrapped_when_moved"] = np.array(np.mean(wrapped[moved]) if moved.any() else 0.0)
    bins = np.arange(-m - 1, m + 2)  # offsets beyond max_shift are counted in the outer bins
    out["offsets"] = bins
    out["dy_frequency"] = np.array([np.mean(np.clip(dy, -m - 1, m + 1) == b) for b in bins])
    out["dx_frequency"] = np.array([np.mean(np.clip(dx, -m - 1, m + 1) == b) for b in bins])
    out["dy_dx_correlation"] = np.array(correlation(dy, dx))
    out["repeats_previous"] = np.array(np.mean((dy[1:] == dy[:-1]) & (dx[1:] == dx[:-1])))
    small = images[:20].astype(np.float32)
    out["keeps_float32"] = np.array(
        as_array(random_shift(small, np.random.default_rng(seed), m), name).dtype == np.float32
    )
    try:
        zero = np.asarray(random_shift(images[:20].copy(), np.random.default_rng(seed), 0))
        out["zero_is_identity"] = np.array(zero.shape == images[:20].shape and np.array_equal(zero, images[:20]))
    except Exception:  # noqa: BLE001 - reported as a failed expectation
        out["zero_is_identity"] = np.array(False)
    out.update(seeding_flags(lambda rng: random_shift(images[:50].copy(), rng, m), seed))
    return out


def _check_augmentation_basics(name: str, student: dict, shape) -> None:
    got = tuple(int(n) for n in np.asarray(student["shape"]).ravel())
    if got != tuple(shape):
        raise CheckFailure(
            f"{name}: returned shape {got} for images of shape {tuple(shape)}; an augmentation must "
            "keep the shape of the batch (same number of images, same height and width)"
        )
    assert_true(flag(student, "leaves_inputs"), f"{name} modified its input images in place; return a new array")


def _shift_compare(student: dict, expected: dict, inputs: dict) -> str:
    m = int(inputs["max_shift"])
    name = f"random_shift(images, rng, max_shift={m})"
    _check_augmentation_basics(name, student, _SHIFT_SHAPE)
    located = number(student, "located")
    assert_true(
        located > 0.99,
        f"{name}: for {1 - located:.0%} of the images the centre pixel's value appears zero times or several "
        "times in the output: the output is not a translation of its input (pixel values must move, not "
        "change)",
    )
    exact = number(student, "exact")
    if exact < 1.0:
        message = (
            f"{name}: {1 - exact:.1%} of the outputs are not the input moved by whole pixels with a "
            "zero (background) border"
        )
        if number(student, "wrapped_when_moved") > 0.99:
            message += (
                ". Likely mistake: pixels pushed over one edge come back on the other (np.roll wraps "
                "around); the uncovered border must be 0"
            )
        raise CheckFailure(message)
    repeats = number(student, "repeats_previous")
    if repeats > number(expected, "repeats_previous") + 0.4:  # 1/9 or less for independent offsets
        raise CheckFailure(
            f"{name}: {repeats:.0%} of the images were moved exactly like the previous one. Likely "
            "mistake: one offset for the whole batch; every image gets its own (dy, dx)"
        )
    offset_correlation = number(student, "dy_dx_correlation")
    if abs(offset_correlation) > abs(number(expected, "dy_dx_correlation")) + 0.1:
        raise CheckFailure(
            f"{name}: the row and column offsets are correlated ({offset_correlation:.2f}). Likely mistake: "
            "one number used for both; draw dy and dx independently"
        )
    offsets = np.asarray(expected["offsets"])
    for axis in ("dy", "dx"):
        got = np.asarray(student[f"{axis}_frequency"])
        want = np.asarray(expected[f"{axis}_frequency"])
        assert_shape(f"{name}: frequencies of {axis}", got, want.shape)
        if got[0] + got[-1] > 0:
            raise CheckFailure(
                f"{name}: {got[0] + got[-1]:.1%} of the images were moved by more than "
                f"max_shift = {m} pixels along {'rows' if axis == 'dy' else 'columns'}"
            )
        worst = int(np.argmax(np.abs(got - want)))
        if abs(got[worst] - want[worst]) > SHIFT_FREQUENCY_TOL:
            table = ", ".join(f"{int(o)}: {f:.3f}" for o, f in zip(offsets[1:-1], got[1:-1]))
            message = (
                f"{name}: the offset {axis} = {int(offsets[worst])} occurred for {got[worst]:.3f} of "
                f"{_SHIFT_SHAPE[0]} images, expected {want[worst]:.3f} (tolerance {SHIFT_FREQUENCY_TOL}); "
                f"your frequencies: {table}"
            )
            if got[-2] == 0 and want[-2] > 0:
                message += (
                    f". Likely mistake: the offset +{m} never occurs: rng.integers(low, high) excludes "
                    "high, so use high = max_shift + 1 (or endpoint=True)"
                )
            elif got[1] == 0 and want[1] > 0:
                message += f". Likely mistake: the offset -{m} never occurs: both ends are included"
            raise CheckFailure(message)
    assert_true(flag(student, "keeps_float32"), f"{name}: float32 images came back with another dtype")
    assert_true(
        flag(student, "zero_is_identity"), "random_shift(images, rng, max_shift=0) must return the images unchanged"
    )
    assert_seeded("random_shift", student)
    return f"exact translations with a zero border; offset frequencies within {SHIFT_FREQUENCY_TOL} of the reference's"


# --------------------------------------------------------------------------- 3.6 rotations

_ROTATION_COUNT = 2000
_ROTATION_SIZE = 28
ROTATION_STD_TOL = 0.15
ROTATION_MEAN_TOL = 0.2  # times max_degrees
ROTATION_RANGE_TOL = 0.5  # degrees
ROTATION_CENTRE_TOL = 0.05  # pixels
ROTATION_WHOLE_DEGREE_TOL = 0.15  # degrees; continuous angles fall this close to an integer 30% of the time


def _rotation_inputs(rng: np.random.Generator) -> dict:
    return {
        "max_degrees": float(rng.uniform(8.0, 25.0)),
        "seed": int(rng.integers(2**31)),
        "blob_angle": float(rng.uniform(-30.0, 30.0)),
    }


def _blob(size: int, angle_degrees: float) -> np.ndarray:
    """An elongated Gaussian blob (standard deviations 4 and 1.3 pixels) centred in a size x size image."""
    centre = (size - 1) / 2
    r, c = np.meshgrid(np.arange(size) - centre, np.arange(size) - centre, indexing="ij")
    t = math.radians(angle_degrees)
    along, across = c * math.cos(t) + r * math.sin(t), -c * math.sin(t) + r * math.cos(t)
    return np.exp(-0.5 * (along / 4.0) ** 2 - 0.5 * (across / 1.3) ** 2)


def _orientation(images: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Angle of the main axis (degrees, in (-90, 90]), centroid offset from the image centre, total mass."""
    num, height, width = images.shape
    r, c = np.meshgrid(np.arange(height) - (height - 1) / 2, np.arange(width) - (width - 1) / 2, indexing="ij")
    mass = images.sum(axis=(1, 2))
    safe = np.where(mass > 0, mass, 1.0)
    cr = (images * r).sum(axis=(1, 2)) / safe
    cc = (images * c).sum(axis=(1, 2)) / safe
    rr, ccc = r[None] - cr[:, None, None], c[None] - cc[:, None, None]
    m_rr = (images * rr * rr).sum(axis=(1, 2)) / safe
    m_cc = (images * ccc * ccc).sum(axis=(1, 2)) / safe
    m_rc = (images * rr * ccc).sum(axis=(1, 2)) / safe
    angle = np.degrees(0.5 * np.arctan2(2 * m_rc, m_cc - m_rr))
    return angle, np.hypot(cr, cc), mass


def _rotation_probe(inputs: dict) -> dict:
    from mlplab.exercises.augmentation import random_rotation

    max_degrees, seed = float(inputs["max_degrees"]), int(inputs["seed"])
    name = f"random_rotation(images, rng, max_degrees={max_degrees:.2f})"
    blob = _blob(_ROTATION_SIZE, float(inputs["blob_angle"]))
    images = np.repeat(blob[None], _ROTATION_COUNT, axis=0)
    saved = images.copy()
    try:
        rotated = random_rotation(images, np.random.default_rng([seed, 1]), max_degrees)
    except ValueError as error:
        if "broadcast" in str(error) or "same shape" in str(error):
            raise ProbeError(
                f"{name} raised ValueError: {error}. Likely mistake: scipy.ndimage.rotate returns a "
                "larger array, to fit the whole rotated image, unless reshape=False"
            ) from None
        raise
    rotated = np.asarray(as_array(rotated, name), dtype=np.float64)
    out = {"leaves_inputs": np.array(np.array_equal(images, saved)), "shape": np.array(rotated.shape)}
    if rotated.shape != images.shape:
        return out
    angle0, _, mass0 = _orientation(blob[None])
    angle, offset, mass = _orientation(rotated)
    turned = (angle - angle0[0] + 90.0) % 180.0 - 90.0
    out["angle_mean"] = np.array(turned.mean())
    out["angle_std"] = np.array(turned.std())
    out["angle_max"] = np.array(np.abs(turned).max())
    out["repeats_previous"] = np.array(np.mean(np.abs(np.diff(turned)) < 1e-6))
    # the measured angles are within 0.1 degree of the true ones: whole-degree angles sit near integers
    out["near_whole_degrees"] = np.array(np.mean(np.abs(turned - np.rint(turned)) < ROTATION_WHOLE_DEGREE_TOL))
    out["centre_offset"] = np.array(offset.max())
    out["mass_ratio"] = np.array([mass.min() / mass0[0], mass.max() / mass0[0]])
    small = images[:10].astype(np.float32)
    out["keeps_float32"] = np.array(
        as_array(random_rotation(small, np.random.default_rng(seed), max_degrees), name).dtype == np.float32
    )
    out.update(seeding_flags(lambda rng: random_rotation(images[:20].copy(), rng, max_degrees), seed))
    return out


def _rotation_compare(student: dict, expected: dict, inputs: dict) -> str:
    max_degrees = float(inputs["max_degrees"])
    name = f"random_rotation(images, rng, max_degrees={max_degrees:.2f})"
    shape = (_ROTATION_COUNT, _ROTATION_SIZE, _ROTATION_SIZE)
    got = tuple(int(n) for n in np.asarray(student["shape"]).ravel())
    if got != shape and len(got) == 3 and got[0] == shape[0] and got[1] > shape[1]:
        raise CheckFailure(
            f"{name}: returned shape {got} for images of shape {shape}. Likely mistake: "
            "scipy.ndimage.rotate enlarges the array to fit the rotated image unless reshape=False"
        )
    _check_augmentation_basics(name, student, shape)
    offset = number(student, "centre_offset")
    if offset > ROTATION_CENTRE_TOL:
        raise CheckFailure(
            f"{name}: a blob at the centre of the image moved by up to {offset:.2f} pixels: the images "
            "must be turned about their centre (and one image at a time: a 3-D array is rotated in "
            "the plane of its first two axes unless axes=(1, 2) is given)"
        )
    std, std_ref = number(student, "angle_std"), number(expected, "angle_std")
    if std_ref > 0 and abs(std / std_ref - 1) > ROTATION_STD_TOL:
        if std < 1e-6:
            raise CheckFailure(
                f"{name}: every image was turned by the same angle. Likely mistake: one angle for the "
                "whole batch (or no rotation); draw an angle for every image"
            )
        message = (
            f"{name}: the angles of {_ROTATION_COUNT} rotations have standard deviation {std:.4g} degrees, "
            f"expected {std_ref:.4g} (tolerance ±{ROTATION_STD_TOL:.0%})"
        )
        ratio = std / std_ref
        if abs(ratio * 180 / math.pi - 1) < 0.2:
            message += ". Likely mistake: the angle was converted to radians, but scipy.ndimage.rotate expects degrees"
        elif ratio > 3:
            message += ". Likely mistake: max_degrees is in degrees (a rotation by max_degrees radians is many turns)"
        elif abs(ratio - 2) < 0.3:
            message += ". Likely mistake: angles drawn from [-2 * max_degrees, 2 * max_degrees]"
        elif abs(ratio - 0.5) < 0.1:
            message += ". Likely mistake: angles drawn from [0, max_degrees] or [-max_degrees / 2, max_degrees / 2]"
        raise CheckFailure(message)
    largest = number(student, "angle_max")
    if largest > max_degrees + ROTATION_RANGE_TOL:
        raise CheckFailure(f"{name}: an image was turned by {largest:.2f} degrees, more than max_degrees")
    mean = number(student, "angle_mean")
    if abs(mean - number(expected, "angle_mean")) > ROTATION_MEAN_TOL * max_degrees:
        raise CheckFailure(
            f"{name}: the average angle is {mean:.3g} degrees, expected about "
            f"{number(expected, 'angle_mean'):.3g}: angles must be drawn uniformly from "
            "[-max_degrees, max_degrees], so turns either way are equally likely"
        )
    repeats = number(student, "repeats_previous")
    if repeats > number(expected, "repeats_previous") + 0.1:
        raise CheckFailure(
            f"{name}: {repeats:.0%} of the images were turned by the same angle as the previous one. "
            "Likely mistake: one angle for the whole batch; every image gets its own angle"
        )
    near, near_ref = number(student, "near_whole_degrees"), number(expected, "near_whole_degrees")
    if near > near_ref + 0.35:  # 2000 angles: the fraction's standard error is 0.01
        raise CheckFailure(
            f"{name}: {near:.0%} of the measured angles are within {ROTATION_WHOLE_DEGREE_TOL} degrees "
            f"of a whole number of degrees, expected about {near_ref:.0%}. Likely mistake: the angles "
            "are drawn as integers (rng.integers, or rounded); draw them uniformly from the continuous "
            "interval [-max_degrees, max_degrees] (rng.uniform)"
        )
    low, high = np.asarray(student["mass_ratio"])
    low_ref, high_ref = np.asarray(expected["mass_ratio"])
    if low < low_ref - 0.02 or high > high_ref + 0.02:
        raise CheckFailure(
            f"{name}: the total brightness of a centred blob changed by a factor between {low:.3f} and "
            f"{high:.3f} (reference: {low_ref:.3f} to {high_ref:.3f}); a rotation only moves pixels"
        )
    assert_true(flag(student, "keeps_float32"), f"{name}: float32 images came back with another dtype")
    assert_seeded("random_rotation", student)
    return (
        f"angles: standard deviation {std:.3g} degrees (reference {std_ref:.3g}), all within "
        f"±{max_degrees:.3g}; rotations about the centre"
    )


# --------------------------------------------------------------------------- 3.7 pixel noise

_NOISE_SHAPE = (100, 28, 28)
_CLIP_SHAPE = (60, 28, 28)
NOISE_STD_TOL = 0.03
NOISE_MEAN_TOL = 0.04  # times std
NOISE_KURTOSIS_TOL = 0.3
NOISE_CORRELATION_TOL = 0.05
NOISE_CLIP_TOL = 0.03


def _noise_inputs(rng: np.random.Generator) -> dict:
    return {"std": float(rng.uniform(0.05, 0.12)), "seed": int(rng.integers(2**31))}


def _noise_probe(inputs: dict) -> dict:
    from mlplab.exercises.augmentation import pixel_noise

    std, seed = float(inputs["std"]), int(inputs["seed"])
    name = f"pixel_noise(images, rng, std={std:.4f})"
    grey = np.full(_NOISE_SHAPE, 0.5)
    noisy = np.asarray(as_array(pixel_noise(grey, np.random.default_rng([seed, 1]), std), name), dtype=np.float64)
    out = {"leaves_inputs": np.array(np.all(grey == 0.5)), "shape": np.array(noisy.shape)}
    if noisy.shape != grey.shape:
        return out
    noise = noisy - 0.5
    centred = noise - noise.mean()
    variance = float(np.mean(centred**2))
    out["mean"] = np.array(noise.mean())
    out["std"] = np.array(math.sqrt(variance))
    out["kurtosis"] = np.array(float(np.mean(centred**4)) / variance**2 - 3 if variance > 0 else np.nan)
    out["neighbour_correlation"] = np.array(correlation(noise[:, :, 1:], noise[:, :, :-1]))
    out["image_correlation"] = np.array(correlation(noise[1:], noise[:-1]))
    binary = (np.random.default_rng([seed, 3]).random(_CLIP_SHAPE) < 0.5).astype(np.float64)
    saved = binary.copy()
    clipped = np.asarray(as_array(pixel_noise(binary, np.random.default_rng([seed, 2]), 0.3), name), dtype=np.float64)
    out["leaves_inputs"] = np.array(bool(out["leaves_inputs"]) and np.array_equal(binary, saved))
    if clipped.shape == binary.shape:
        out["clip_min"], out["clip_max"] = np.array(clipped.min()), np.array(clipped.max())
        out["clip_fraction"] = np.array(np.mean((clipped == 0) | (clipped == 1)))
    else:
        out["clip_min"], out["clip_max"], out["clip_fraction"] = np.array(np.nan), np.array(np.nan), np.array(np.nan)
    small = grey[:5].astype(np.float32)
    out["keeps_float32"] = np.array(
        as_array(pixel_noise(small, np.random.default_rng(seed), std), name).dtype == np.float32
    )
    out.update(seeding_flags(lambda rng: pixel_noise(grey[:5].copy(), rng, std), seed))
    return out


def _noise_compare(student: dict, expected: dict, inputs: dict) -> str:
    std_given = float(inputs["std"])
    name = f"pixel_noise(images, rng, std={std_given:.4f})"
    _check_augmentation_basics(name, student, _NOISE_SHAPE)
    for key, text in (
        ("neighbour_correlation", "neighbouring pixels got correlated noise"),
        ("image_correlation", "every image of the batch got the same noise"),
    ):
        value = number(student, key)
        if value > number(expected, key) + NOISE_CORRELATION_TOL:
            raise CheckFailure(
                f"{name}: {text} (correlation {value:.2f}); draw independent noise for every pixel "
                "of every image (an array of the batch's full shape)"
            )
    std, std_ref = number(student, "std"), number(expected, "std")
    if std < 1e-12:
        raise CheckFailure(f"{name}: the output equals the input on a grey image: no noise was added")
    assert_ratio(
        f"{name}: the standard deviation of the noise added to a grey image",
        std,
        std_ref,
        rel_tol=NOISE_STD_TOL,
        hints={
            std_given: "the variance std**2 was passed where rng.normal expects the standard deviation",
            1 / std_given: "the noise was divided by std instead of having standard deviation std",
            math.sqrt(std_given) / std_given: "sqrt(std) was used as the standard deviation",
            1 / math.sqrt(3): "uniform noise in [-std, std] has standard deviation std / sqrt(3); "
            "use normal noise with standard deviation std",
        },
    )
    mean, mean_ref = number(student, "mean"), number(expected, "mean")
    if abs(mean - mean_ref) > NOISE_MEAN_TOL * std_ref:
        raise CheckFailure(
            f"{name}: the noise added to a grey image has mean {mean:.4g}, expected {mean_ref:.4g}: "
            "the noise must have mean 0"
        )
    kurtosis, kurtosis_ref = number(student, "kurtosis"), number(expected, "kurtosis")
    if abs(kurtosis - kurtosis_ref) > NOISE_KURTOSIS_TOL:
        raise CheckFailure(
            f"{name}: the noise has excess kurtosis {kurtosis:.3f}, expected {kurtosis_ref:.3f} "
            "(0 for a normal distribution, -1.2 for a uniform one): draw normal noise"
        )
    low, high = number(student, "clip_min"), number(student, "clip_max")
    if not (low >= 0 and high <= 1):
        raise CheckFailure(
            f"{name}: on black and white images the outputs range from {low:.3g} to {high:.3g}. Likely "
            "mistake: the result is not clipped to [0, 1]"
        )
    fraction, fraction_ref = number(student, "clip_fraction"), number(expected, "clip_fraction")
    if abs(fraction - fraction_ref) > NOISE_CLIP_TOL:
        raise CheckFailure(
            f"{name}: on black and white images with std=0.3, {fraction:.3f} of the outputs are exactly 0 "
            f"or 1, expected {fraction_ref:.3f}: add the noise to every pixel, then clip to [0, 1]"
        )
    assert_true(
        flag(student, "keeps_float32"),
        f"{name}: float32 images came back with another dtype (the noise from rng.normal is float64; convert "
        "the result back with .astype(images.dtype))",
    )
    assert_seeded("pixel_noise", student)
    return f"noise standard deviation {std:.4g} (reference {std_ref:.4g}), independent pixels, clipped to [0, 1]"


# --------------------------------------------------------------------------- 3.8 elastic deformation

_ELASTIC_SHAPE = (400, 32, 30)
_ELASTIC_MARGIN = 8
ELASTIC_RMS_TOL = 0.15
ELASTIC_SMOOTHNESS_TOL = 0.05
ELASTIC_MEAN_TOL = 0.15  # pixels
ELASTIC_COMPONENT_TOL = 0.3
ELASTIC_IMAGE_TOL = 0.25


def _elastic_inputs(rng: np.random.Generator) -> dict:
    return {
        "alpha": float(rng.uniform(8.0, 16.0)),
        "sigma": float(rng.uniform(2.5, 3.5)),
        "seed": int(rng.integers(2**31)),
    }


def _elastic_probe(inputs: dict) -> dict:
    from mlplab.exercises.augmentation import elastic_deformation

    alpha, sigma, seed = float(inputs["alpha"]), float(inputs["sigma"]), int(inputs["seed"])
    name = f"elastic_deformation(images, rng, alpha={alpha:.3f}, sigma={sigma:.3f})"
    num, height, width = _ELASTIC_SHAPE
    rows, cols = np.meshgrid(np.arange(height, dtype=np.float64), np.arange(width, dtype=np.float64), indexing="ij")
    fields = []
    out: dict[str, np.ndarray] = {}
    leaves = True
    for ramp in (rows, cols):  # the same seed gives the same displacement fields for both ramps
        images = np.repeat(ramp[None], num, axis=0)
        deformed = np.asarray(
            as_array(elastic_deformation(images, np.random.default_rng([seed, 1]), alpha, sigma), name),
            dtype=np.float64,
        )
        leaves = leaves and np.array_equal(images, np.repeat(ramp[None], num, axis=0))
        out["shape"] = np.array(deformed.shape)
        if deformed.shape != images.shape:
            out["leaves_inputs"] = np.array(leaves)
            return out
        inner = (
            slice(None),
            slice(_ELASTIC_MARGIN, height - _ELASTIC_MARGIN),
            slice(_ELASTIC_MARGIN, width - _ELASTIC_MARGIN),
        )
        fields.append((deformed - images)[inner])
    out["leaves_inputs"] = np.array(leaves)
    dy, dx = fields
    both = np.stack(fields)
    rms = float(np.sqrt(np.mean(both**2)))
    out["rms"] = np.array(rms)
    out["mean"] = np.array(both.mean())
    out["smoothness"] = np.array(
        0.5 * (correlation(both[:, :, :, 2:], both[:, :, :, :-2]) + correlation(both[:, :, 2:], both[:, :, :-2]))
    )
    out["component_correlation"] = np.array(correlation(dy, dx))
    out["image_correlation"] = np.array(correlation(both[:, 1:], both[:, :-1]))
    small = np.repeat(rows[None], 5, axis=0).astype(np.float32)
    out["keeps_float32"] = np.array(
        as_array(elastic_deformation(small, np.random.default_rng(seed), alpha, sigma), name).dtype == np.float32
    )
    still = as_array(
        elastic_deformation(small.astype(np.float64), np.random.default_rng(seed), 0.0, sigma),
        "elastic_deformation(.., alpha=0)",
    )
    out["alpha_zero_is_identity"] = np.array(still.shape == small.shape and np.allclose(still, small, atol=1e-9))
    out.update(seeding_flags(lambda rng: elastic_deformation(small.astype(np.float64), rng, alpha, sigma), seed))
    return out


def _elastic_compare(student: dict, expected: dict, inputs: dict) -> str:
    alpha, sigma = float(inputs["alpha"]), float(inputs["sigma"])
    name = f"elastic_deformation(images, rng, alpha={alpha:.3f}, sigma={sigma:.3f})"
    _check_augmentation_basics(name, student, _ELASTIC_SHAPE)
    rms, rms_ref = number(student, "rms"), number(expected, "rms")
    if rms < 1e-12:
        raise CheckFailure(f"{name}: no pixel moved (output = input on images away from the border)")
    smooth, smooth_ref = number(student, "smoothness"), number(expected, "smoothness")
    if abs(smooth - smooth_ref) > 0.3:  # grossly rough fields also spoil the other statistics
        raise CheckFailure(
            f"{name}: displacements two pixels apart have correlation {smooth:.3f}, expected "
            f"{smooth_ref:.3f}: the random fields must be smoothed with a Gaussian filter of standard "
            "deviation sigma (scipy.ndimage.gaussian_filter(field, sigma)) before scaling by alpha"
        )
    value = number(student, "component_correlation")
    if abs(value) > abs(number(expected, "component_correlation")) + ELASTIC_COMPONENT_TOL:
        raise CheckFailure(
            f"{name}: the row and column displacements are correlated ({value:.2f}). Likely mistake: "
            "one random field used for both; draw two independent fields"
        )
    value = number(student, "image_correlation")
    if value > number(expected, "image_correlation") + ELASTIC_IMAGE_TOL:
        raise CheckFailure(
            f"{name}: different images of the batch were deformed alike (correlation {value:.2f}). "
            "Likely mistake: one displacement field for the whole batch; draw new fields for every image"
        )
    if abs(smooth - smooth_ref) > ELASTIC_SMOOTHNESS_TOL:
        message = f"{name}: displacements two pixels apart have correlation {smooth:.3f}, expected {smooth_ref:.3f}"
        message += (
            ": the random fields must be smoothed with a Gaussian filter of standard deviation sigma "
            "(scipy.ndimage.gaussian_filter(field, sigma)) before scaling by alpha"
        )
        raise CheckFailure(message)
    assert_ratio(
        f"{name}: the root mean square displacement (pixels)",
        rms,
        rms_ref,
        rel_tol=ELASTIC_RMS_TOL,
        hints={1 / alpha: "the smoothed fields are not multiplied by alpha", alpha: "alpha is applied twice"},
    )
    mean = number(student, "mean")
    if abs(mean - number(expected, "mean")) > ELASTIC_MEAN_TOL:
        raise CheckFailure(
            f"{name}: pixels move by {mean:.3f} pixels on average in one direction; the random fields "
            "must be uniform in [-1, 1] (mean 0)"
        )
    assert_true(
        flag(student, "alpha_zero_is_identity"),
        "elastic_deformation with alpha=0 must return the images unchanged (read every pixel at its own position)",
    )
    assert_true(flag(student, "keeps_float32"), f"{name}: float32 images came back with another dtype")
    assert_seeded("elastic_deformation", student)
    return f"displacement fields: rms {rms:.3f} pixels (reference {rms_ref:.3f}), smoothness {smooth:.3f}"


# --------------------------------------------------------------------------- 3.9 augmented provider

_PROVIDER_EXAMPLES, _PROVIDER_BATCH, _PROVIDER_IMAGE = 37, 8, (3, 4)
_PROVIDER_OFFSET = 1000.0


def _provider_inputs(rng: np.random.Generator) -> dict:
    return {"labels": rng.integers(0, 10, _PROVIDER_EXAMPLES), "seed": int(rng.integers(2**31))}


def _provider_probe(inputs: dict) -> dict:
    from mlplab.data import MinibatchProvider
    from mlplab.exercises.augmentation import AugmentedProvider

    labels, seed = np.asarray(inputs["labels"], dtype=np.int64), int(inputs["seed"])
    pixels = _PROVIDER_IMAGE[0] * _PROVIDER_IMAGE[1]
    # row i of the data is i + (0, 1, ..., 11) / 16: each row says which example it is
    data = (np.arange(_PROVIDER_EXAMPLES)[:, None] + np.arange(pixels)[None, :] / 16).astype(np.float32)
    base = MinibatchProvider(data, labels, _PROVIDER_BATCH, rng=np.random.default_rng([seed, 0]))
    rng = np.random.default_rng([seed, 1])
    calls: dict[str, list] = {"first": [], "second": []}

    given = rng

    def scale_and_shift(images, rng):  # the documented signature of an augmentation: (images, rng)
        constant = float(rng.uniform(0.25, 0.75)) if isinstance(rng, np.random.Generator) else 0.5
        calls["first"].append((tuple(np.shape(images)), rng is given, constant))
        return np.asarray(images) * 2.0 + np.float32(constant)

    def offset(images, rng):
        calls["second"].append((tuple(np.shape(images)), rng is given, None))
        return np.asarray(images) + np.float32(_PROVIDER_OFFSET)

    augmentations = [stand_in("an augmentation (images, rng) -> images", f) for f in (scale_and_shift, offset)]
    provider = AugmentedProvider(base, augmentations, rng, image_shape=_PROVIDER_IMAGE)
    out: dict[str, np.ndarray] = {"length": np.array(len(provider) == len(base))}
    problems = dict.fromkeys(
        ("shape", "dtype", "calls", "images_shape", "rng", "rows", "pairs", "targets", "coverage"), 0
    )
    sizes, orders = [], []
    for epoch in range(2):
        calls["first"].clear()
        calls["second"].clear()
        batches = list(provider)  # the whole epoch (the augmentations may run lazily or eagerly)
        out[f"batches{epoch}"] = np.array(len(batches))
        if not (len(calls["first"]) == len(calls["second"]) == len(batches)):
            problems["calls"] += 1
        if any(c[0][1:] != _PROVIDER_IMAGE for c in calls["first"] + calls["second"]):
            problems["images_shape"] += 1
        if not all(c[1] for c in calls["first"] + calls["second"]):
            problems["rng"] += 1
        constants = [c[2] for c in calls["first"]]
        seen = []
        for item in batches:
            if not isinstance(item, (tuple, list)) or len(item) != 2:  # any pair the Trainer can unpack
                raise ProbeError(f"AugmentedProvider yielded {type(item).__name__}, expected (inputs, targets) pairs")
            inputs_batch, targets = np.asarray(item[0]), np.asarray(item[1])
            size = len(targets)
            sizes.append(size)
            if inputs_batch.shape != (size, pixels):
                problems["shape"] += 1
                out["first_bad_shape"] = np.array(inputs_batch.shape)
                continue
            if inputs_batch.dtype != np.float32:
                problems["dtype"] += 1
            if targets.shape != (size, 10) or targets.dtype != np.float32 or not np.all(targets.sum(axis=1) == 1):
                problems["targets"] += 1
                continue
            index = None
            for constant in constants:  # which call of the first augmentation produced this batch
                raw = (inputs_batch.astype(np.float64) - _PROVIDER_OFFSET - constant) / 2.0
                candidate = np.rint(raw[:, 0]).astype(np.int64)
                if np.all((candidate >= 0) & (candidate < _PROVIDER_EXAMPLES)) and np.all(
                    np.abs(raw - data[np.clip(candidate, 0, _PROVIDER_EXAMPLES - 1)]) < 1e-3
                ):
                    index = candidate
                    break
            if index is None:
                problems["rows"] += 1
                continue
            if not np.array_equal(targets.argmax(axis=1), labels[index]):
                problems["pairs"] += 1
            seen.extend(index.tolist())
        if sorted(seen) != list(range(_PROVIDER_EXAMPLES)):
            problems["coverage"] += 1
        orders.append(seen)
    for key, count in problems.items():
        out[f"problem_{key}"] = np.array(count)
    out["sizes"] = np.array(sizes)
    out["epochs_differ"] = np.array(len(orders) == 2 and orders[0] != orders[1])
    return out


def _provider_compare(student: dict, expected: dict, inputs: dict) -> str:
    what = (
        f"AugmentedProvider over a shuffled MinibatchProvider of {_PROVIDER_EXAMPLES} examples in batches of "
        f"{_PROVIDER_BATCH}, image_shape={_PROVIDER_IMAGE}"
    )
    assert_true(flag(student, "length"), f"{what}: len(provider) must be the wrapped provider's number of batches")
    for epoch in range(2):
        got, want = int(student[f"batches{epoch}"]), int(expected[f"batches{epoch}"])
        assert_true(
            got == want,
            f"{what}: epoch {epoch + 1} had {got} batches, expected {want} (one per batch of "
            "the wrapped provider, the last partial batch included)",
        )
    sizes, sizes_ref = np.asarray(student["sizes"]), np.asarray(expected["sizes"])
    assert_true(
        np.array_equal(sizes, sizes_ref), f"{what}: batches of {sizes.tolist()} targets, expected {sizes_ref.tolist()}"
    )
    messages = {
        "shape": lambda: (
            f"yielded inputs of shape {tuple(np.asarray(student['first_bad_shape']).tolist())}; they must "
            "have the wrapped provider's shape (batch_size, 12): reshape the augmented images back"
        ),
        "dtype": lambda: "yielded inputs of another dtype than the wrapped provider's (float32)",
        "calls": lambda: "did not call each augmentation exactly once per batch",
        "images_shape": lambda: (
            f"passed images of another shape than (batch_size, {_PROVIDER_IMAGE[0]}, "
            f"{_PROVIDER_IMAGE[1]}) to the augmentations: reshape the inputs to "
            "(batch_size, *image_shape)"
        ),
        "rng": lambda: "did not pass its own generator self.rng to the augmentations",
        "targets": lambda: "changed the targets: they must be passed on exactly as the wrapped provider yields them",
        "rows": lambda: (
            "yielded inputs that are not the augmentations' results for the wrapped provider's batch, "
            "applied in the given order: each function's output is the next one's input, and the "
            "last one's output is yielded"
        ),
        "pairs": lambda: (
            "yielded targets that do not belong to their inputs. Likely mistake: the wrapped provider "
            "is iterated more than once per epoch (each iteration is shuffled anew) or the batch "
            "is reordered; yield each batch's augmented inputs with that batch's own targets"
        ),
        "coverage": lambda: "did not yield every example exactly once per epoch",
    }
    for key, text in messages.items():
        count = int(student[f"problem_{key}"])
        if count > int(expected[f"problem_{key}"]):
            raise CheckFailure(f"{what}: {text()} ({count} batch{'es' if count != 1 else ''} affected)")
    assert_true(
        flag(student, "epochs_differ"),
        f"{what}: two epochs yielded the examples in the same order; iterate over the wrapped provider once "
        "per epoch so that it shuffles anew",
    )
    return "every batch augmented once, in order, with the injected generator; targets unchanged and paired"


# --------------------------------------------------------------------------- 3.10-3.11 weight decay

_PENALTY_SHAPES = (("W1", (6, 5)), ("b1", (6,)), ("W2", (4, 6)), ("b2", (4,)))
PENALTY_FD_STEP = 1e-2  # exact for a quadratic, and for |w| away from 0
PENALTY_TOL = 1e-10


def _penalty_inputs(rng: np.random.Generator) -> dict:
    """Weights of magnitude 0.05 to 1.5 (so that central differences with h = 0.01 never cross 0), a
    quarter of them exactly 0 (where L1's subgradient is sign(0) = 0), biases of about 1."""
    inputs: dict = {"coefficient": float(rng.uniform(0.01, 0.3))}
    for name, shape in _PENALTY_SHAPES:
        values = rng.uniform(0.05, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
        if len(shape) == 2:
            values[rng.random(shape) < 0.25] = 0.0
        inputs[name] = values
    return inputs


def _penalty_probe(inputs: dict, class_name: str) -> dict:
    from mlplab.exercises import weight_decay

    coefficient = float(inputs["coefficient"])
    name = f"{class_name}({coefficient:.4f})"
    penalty = getattr(weight_decay, class_name)(coefficient)
    params = [np.array(inputs[key], dtype=np.float64) for key, _ in _PENALTY_SHAPES]
    saved = [p.copy() for p in params]

    def value(arrays, what):
        result = as_array(penalty(arrays), f"{name}({what})")
        if result.shape != ():
            raise ProbeError(f"{name}({what}) returned an array of shape {result.shape}; it must return one number")
        return float(result)

    def gradients(arrays, what):
        grads = penalty.grad(arrays)
        if not isinstance(grads, (list, tuple)) or len(grads) != len(arrays):
            count = len(grads) if isinstance(grads, (list, tuple)) else type(grads).__name__
            raise ProbeError(
                f"{name}.grad({what}) must return a list with one array per parameter ({len(arrays)}), got {count}"
            )
        return [np.array(as_array(g, f"{name}.grad({what})[{i}]"), copy=True) for i, g in enumerate(grads)]

    out: dict[str, np.ndarray] = {
        "value": np.array(value(params, "params")),
        "weights_only": np.array(value([params[0], params[2]], "[W1, W2]")),
        "biases_only": np.array(value([params[1], params[3]], "[b1, b2]")),
    }
    grads = gradients(params, "params")
    for (key, _), grad in zip(_PENALTY_SHAPES, grads):
        out[f"grad_{key}"] = grad
    out["leaves_params"] = np.array(all(np.array_equal(p, s) for p, s in zip(params, saved)))
    # float64 gradient check: central differences of YOUR penalty, entry by entry
    for (key, _), param in zip(_PENALTY_SHAPES, params):
        numerical = np.zeros(param.shape)
        for index in np.ndindex(param.shape):
            original = param[index]
            param[index] = original + PENALTY_FD_STEP
            plus = value(params, "params")
            param[index] = original - PENALTY_FD_STEP
            minus = value(params, "params")
            param[index] = original
            numerical[index] = (plus - minus) / (2 * PENALTY_FD_STEP)
        out[f"numerical_{key}"] = numerical
    # float32 parameters keep their dtype in the gradient
    params32 = [p.astype(np.float32) for p in params]
    out["keeps_float32"] = np.array(all(g.dtype == np.float32 for g in gradients(params32, "float32 params")))
    out["float32_value"] = np.array(value(params32, "float32 params"))
    return out


def _penalty_hints(inputs: dict, key: str, l1: bool):
    weights = np.asarray(inputs[key], dtype=np.float64)
    coefficient = float(inputs["coefficient"])

    def squared(actual, expected):
        a = np.asarray(actual, dtype=np.float64)
        if not l1 and a.shape == weights.shape and np.allclose(a, expected * weights, rtol=1e-6, atol=1e-12):
            return (
                "the gradient grows with the square of the weights (lambda * W**2): the derivative of "
                "(lambda/2) * w**2 is linear in w"
            )
        return None

    def factor(actual, expected):
        a = np.asarray(actual, dtype=np.float64)
        if a.shape == weights.shape and np.any(expected):
            for ratio, text in (
                (
                    2.0,
                    "the gradient is twice the expected: the 2 from differentiating w**2 "
                    "cancels the 1/2 of the penalty",
                ),
                (0.5, "the gradient is half the expected: a factor 1/2 too many"),
            ):
                if not l1 and np.allclose(a, ratio * expected, rtol=1e-6, atol=1e-12):
                    return text
            if np.allclose(a, expected / coefficient, rtol=1e-6, atol=1e-12):
                return "the coefficient lambda is missing from the gradient"
        return None

    def at_zero(actual, expected):
        a = np.asarray(actual, dtype=np.float64)
        zero = weights == 0
        if (
            l1
            and a.shape == weights.shape
            and zero.any()
            and np.allclose(a[~zero], expected[~zero], rtol=1e-9, atol=1e-12)
        ):
            return (
                f"the subgradient is wrong only where the weight is exactly 0 (got {float(a[zero][0]):.4g} "
                "there): |w| has no slope at 0 and the subgradient used there is sign(0) = 0, which "
                "leaves a zero weight where it is"
            )
        return None

    return (squared, factor, at_zero)


def _assert_value(name: str, actual: float, expected: float, tol: float, hints: dict[float, str]) -> None:
    """One number within a relative ``tol`` of the reference's; ``hints``: ``{ratio: likely mistake}``."""
    assert_true(math.isfinite(actual), f"{name} is {actual}")
    if abs(actual - expected) <= tol * max(abs(expected), 1e-300):
        return
    message = f"{name} is {actual:.10g}, expected {expected:.10g} (relative tolerance {tol:.0e})"
    for ratio, text in hints.items():
        if expected and abs(actual / expected - ratio) <= 1e-6 * abs(ratio):
            message += f". Likely mistake: {text}"
            break
    raise CheckFailure(message)


def _penalty_compare(student: dict, expected: dict, inputs: dict, class_name: str, l1: bool) -> str:
    coefficient = float(inputs["coefficient"])
    name = f"{class_name}({coefficient:.4f})"
    params = "params = [W1, b1, W2, b2]"
    biases = number(student, "biases_only")
    assert_true(
        biases == 0,
        f"{name}([b1, b2]) is {biases:.6g}, expected 0. Likely mistake: the biases are "
        "penalised; only the weight matrices (the arrays with two or more dimensions) are",
    )
    for key in ("b1", "b2"):
        grad = np.asarray(student[f"grad_{key}"])
        assert_shape(f"{name}.grad({params})[{key}]", grad, inputs[key].shape)
        assert_true(
            not np.any(grad != 0),
            f"{name}.grad({params}): the gradient for the bias {key} is not zero (largest "
            f"|entry| {float(np.max(np.abs(grad))):.4g}). Likely mistake: the biases are penalised; only the "
            "weight matrices are",
        )

    value, wanted = number(student, "value"), number(expected, "value")
    hints = {0.5: "the penalty is half the expected: a factor 1/2 too many"}
    if not l1:
        hints = {
            2.0: "the penalty is twice the expected: the factor 1/2 of (lambda/2) * sum(W**2) is missing",
            0.5: "the penalty is half the expected: a factor 1/2 too many",
        }
    if wanted:
        hints[1 / coefficient] = "the coefficient lambda is missing"
    _assert_value(f"{name}({params})", value, wanted, PENALTY_TOL, hints)
    _assert_value(
        f"{name}([W1, W2])", number(student, "weights_only"), number(expected, "weights_only"), PENALTY_TOL, {}
    )
    _assert_value(
        f"{name}(float32 copies of the params)",
        number(student, "float32_value"),
        number(expected, "float32_value"),
        1e-6,
        {},
    )

    worst = 0.0
    for key in ("W1", "W2"):
        grad, numerical = np.asarray(student[f"grad_{key}"]), np.asarray(student[f"numerical_{key}"])
        weights = np.asarray(inputs[key])
        what = f"{name}.grad({params})[{key}]"
        assert_shape(what, grad, weights.shape)
        zero = weights == 0
        if l1 and zero.any() and np.isnan(grad[zero]).any() and np.isfinite(grad[~zero]).all():
            raise CheckFailure(
                f"{what} is NaN where the weight is exactly 0. Likely mistake: sign(w) computed as "
                "w / |w|, which divides by zero at 0; the subgradient used at 0 is sign(0) = 0"
            )
        # the gradient check (float64): central differences of your own penalty
        worst = max(
            worst,
            assert_close(
                f"{what} against central differences (h = {PENALTY_FD_STEP:g}) of your {class_name}.__call__",
                grad,
                numerical,
                tol=NUMERICAL_TOL,
                floor=1e-3 * coefficient,
                regions={"W == 0": zero, "W != 0": ~zero},
                hints=_penalty_hints(inputs, key, l1),
            ),
        )
        assert_close(
            what,
            grad,
            expected[f"grad_{key}"],
            tol=PENALTY_TOL,
            floor=1e-12,
            regions={"W == 0": zero, "W != 0": ~zero},
            hints=_penalty_hints(inputs, key, l1),
        )
    assert_true(
        flag(student, "leaves_params"),
        f"{name}.grad or {name}() modified the parameter arrays in place; "
        "return new arrays and leave the parameters alone",
    )
    assert_true(
        flag(student, "keeps_float32"),
        f"{name}.grad of float32 parameters returned gradients of another dtype: keep each parameter's "
        "dtype (np.zeros(shape) is float64; np.zeros_like(param) is not)",
    )
    return (
        f"penalty agrees with the reference (biases not penalised); the gradient agrees with central "
        f"differences of your penalty to {worst:.1e}"
    )


def _l2_probe(inputs: dict) -> dict:
    return _penalty_probe(inputs, "L2Penalty")


def _l2_compare(student: dict, expected: dict, inputs: dict) -> str:
    return _penalty_compare(student, expected, inputs, "L2Penalty", l1=False)


def _l1_probe(inputs: dict) -> dict:
    return _penalty_probe(inputs, "L1Penalty")


def _l1_compare(student: dict, expected: dict, inputs: dict) -> str:
    return _penalty_compare(student, expected, inputs, "L1Penalty", l1=True)


# --------------------------------------------------------------------------- 3.12 early stopping

_STOPPING_SCENARIOS = ("dip", "tie", "reset", "interval", "falling")
_STOPPING_SHAPES = ((3, 4), (3,))
_SENTINEL = -999.0


def _stopping_inputs(rng: np.random.Generator) -> dict:
    """Five sequences of validation errors, each with its epochs and patience (see ``_describe_stopping``)."""
    inputs: dict = {"base_w": rng.standard_normal(_STOPPING_SHAPES[0]), "base_b": rng.uniform(0.5, 1.5, 3)}

    def falling(count):
        return 1.0 - np.cumsum(rng.uniform(0.02, 0.1, count))

    for k, scenario in enumerate(_STOPPING_SCENARIOS):
        patience = int(rng.integers(2, 5))
        best = int(rng.integers(3, 7))  # the (first) best epoch
        if scenario == "falling":
            errors = falling(8)
        elif scenario == "interval":
            patience = int(rng.choice([3, 5]))  # odd: measured every second epoch, the count is of epochs
            count = best + patience + 3
            errors = np.concatenate([falling(best), np.zeros(count - best)])
            errors[best:] = errors[best - 1] + rng.uniform(0.01, 0.2, count - best)
        else:
            count = best + 2 * patience + 3
            errors = np.concatenate([falling(best), np.zeros(count - best)])
            errors[best:] = errors[best - 1] + rng.uniform(0.01, 0.2, count - best)
            if scenario == "tie":
                errors[best] = errors[best - 1]  # the epoch after the best equals it exactly
            elif scenario == "reset":  # a new best just before the patience runs out
                errors[best - 1 + patience - 1] = errors[best - 1] - 0.05
        epochs = np.arange(1, len(errors) + 1) * (2 if scenario == "interval" else 1)
        inputs[f"epochs{k}"], inputs[f"errors{k}"], inputs[f"patience{k}"] = epochs, errors, patience
    return inputs


def _stopping_params(inputs: dict, epoch: float) -> tuple[np.ndarray, np.ndarray]:
    """The parameter values the probe gives after ``epoch``: distinct for every epoch."""
    return inputs["base_w"] + epoch, inputs["base_b"] * (epoch + 1)


def _which_epoch(arrays, inputs: dict, epochs) -> int:
    """The epoch whose parameters ``arrays`` hold, -1 for the sentinel (untouched), -2 for anything else."""
    w, b = (np.asarray(a, dtype=np.float64) for a in arrays)
    if w.shape != _STOPPING_SHAPES[0] or b.shape != _STOPPING_SHAPES[1]:
        return -2
    if np.all(w == _SENTINEL) and np.all(b == _SENTINEL):
        return -1
    for epoch in epochs:
        want_w, want_b = _stopping_params(inputs, float(epoch))
        if np.array_equal(w, want_w) and np.array_equal(b, want_b):
            return int(epoch)
    return -2


def _stopping_probe(inputs: dict) -> dict:
    from mlplab.exercises.weight_decay import EarlyStopping

    out: dict[str, np.ndarray] = {}
    for k, _ in enumerate(_STOPPING_SCENARIOS):
        epochs, errors, patience = inputs[f"epochs{k}"], inputs[f"errors{k}"], int(inputs[f"patience{k}"])
        stopper = EarlyStopping(patience)
        params = [np.zeros(_STOPPING_SHAPES[0]), np.zeros(_STOPPING_SHAPES[1])]
        stop_epoch, calls, changed = 0, 0, 0
        for epoch, error in zip(epochs, errors):
            for param, values in zip(params, _stopping_params(inputs, float(epoch))):
                param[...] = values  # training changes the model's arrays in place
            before = [p.copy() for p in params]
            calls += 1
            if bool(stopper.update(int(epoch), float(error), params)):
                stop_epoch = int(epoch)
            changed += not all(np.array_equal(p, q) for p, q in zip(params, before))
            if stop_epoch:
                break
        out[f"stop_epoch{k}"] = np.array(stop_epoch)
        out[f"calls{k}"] = np.array(calls)
        out[f"update_changed_params{k}"] = np.array(changed)
        best_epoch = getattr(stopper, "best_epoch", None)
        out[f"best_epoch{k}"] = np.array(-1 if best_epoch is None else int(best_epoch))
        best_error = getattr(stopper, "best_error", None)
        out[f"best_error{k}"] = np.array(np.nan if best_error is None else float(best_error))
        saved = getattr(stopper, "best_params", None)
        for param in params:
            param[...] = _SENTINEL  # what the arrays hold when restore is called, to see what it changes
        aliases = isinstance(saved, (list, tuple)) and any(
            isinstance(s, np.ndarray) and any(np.shares_memory(s, p) for p in params) for s in saved
        )
        out[f"aliases{k}"] = np.array(aliases)
        stopper.restore(params)
        out[f"restored{k}"] = np.array(_which_epoch(params, inputs, epochs))
    # restore before any update leaves the arrays alone
    stopper = EarlyStopping(2)
    params = [np.full(_STOPPING_SHAPES[0], _SENTINEL), np.full(_STOPPING_SHAPES[1], _SENTINEL)]
    try:
        stopper.restore(params)
        out["restore_before_update"] = np.array(0 if _which_epoch(params, inputs, []) == -1 else 2)
    except Exception:  # noqa: BLE001 - reported as a failure of the task
        out["restore_before_update"] = np.array(1)
    return out


def _describe_stopping(inputs: dict, k: int) -> str:
    epochs, errors, patience = inputs[f"epochs{k}"], inputs[f"errors{k}"], int(inputs[f"patience{k}"])
    shown = ", ".join(f"{int(e)}: {float(v):.4f}" for e, v in zip(epochs, errors))
    return f"EarlyStopping({patience}) given the validation errors of the epochs {{{shown}}}"


def _stopping_compare(student: dict, expected: dict, inputs: dict) -> str:
    for k, scenario in enumerate(_STOPPING_SCENARIOS):
        what = _describe_stopping(inputs, k)
        patience = int(inputs[f"patience{k}"])
        got, want = int(student[f"stop_epoch{k}"]), int(expected[f"stop_epoch{k}"])
        best = int(expected[f"best_epoch{k}"])
        assert_true(
            int(student[f"update_changed_params{k}"]) == 0,
            f"{what}: update modified the parameter arrays it was given; it must only read them",
        )
        if got != want:
            if want == 0:
                message = (
                    f"{what}: update returned True at epoch {got}, but every epoch improved on the ones "
                    "before, so training should not stop"
                )
            elif got == 0:
                message = (
                    f"{what}: update never returned True; it should at epoch {want}, {want - best} epochs "
                    f"after the best error (epoch {best}) with patience {patience}"
                )
            else:
                message = (
                    f"{what}: update returned True at epoch {got}, expected at epoch {want} (the best error "
                    f"was at epoch {best}, patience {patience})"
                )
                why = None
                if scenario == "interval" and got - best >= 2 * patience - 1 and got > want:
                    why = (
                        "the patience counts the calls of update (measurements) instead of epochs; the "
                        "errors here are measured every second epoch, and patience is a number of epochs"
                    )
                elif scenario == "tie" and got > want:
                    why = (
                        "an error equal to the best one was counted as an improvement; only a strictly lower "
                        "error improves"
                    )
                elif scenario == "reset" and got < want:
                    why = f"the new best error at epoch {best} did not restart the count of epochs without improvement"
                elif got == want + 1 or (scenario == "interval" and got == want + 2):
                    why = (
                        f"one epoch late (off by one): patience {patience} means training stops as soon as "
                        f"{patience} epochs have passed since the best one without an improvement"
                    )
                elif got == want - 1 or (scenario == "interval" and got == want - 2):
                    why = (
                        f"one epoch early (off by one): training stops once {patience} epochs have passed "
                        "since the best one without an improvement, not before"
                    )
                if why:
                    message += f". Likely mistake: {why}"
            raise CheckFailure(message)
        got_best = int(student[f"best_epoch{k}"])
        assert_true(
            got_best == best,
            f"{what}: best_epoch is {got_best if got_best >= 0 else None} when training "
            f"stops, expected {best}"
            + (
                ". Likely mistake: an error equal to the best one was counted as an improvement"
                if scenario == "tie" and got_best == best + 1
                else ""
            ),
        )
        assert_close(f"{what}: best_error", student[f"best_error{k}"], expected[f"best_error{k}"], tol=EXACT_TOL)
        restored = int(student[f"restored{k}"])
        last = int(inputs[f"epochs{k}"][int(student[f"calls{k}"]) - 1])
        if restored != best:
            message = f"{what}: after restore the parameters are "
            if restored == -1:
                message += (
                    "the ones the arrays held before restore (restore left the arrays alone). Likely "
                    "mistake: "
                    + (
                        "best_params holds the model's own arrays, not copies, so it changes with them"
                        if flag(student, f"aliases{k}")
                        else "restore rebinds names instead of copying the saved values INTO the arrays it is given"
                    )
                )
            elif restored == last:
                message += (
                    f"those of the last epoch ({last}), expected those of the best epoch ({best}). Likely "
                    "mistake: early stopping keeps the LAST parameters instead of the best: copy them "
                    "only when the error improves"
                )
            elif restored > 0:
                message += f"those of epoch {restored}, expected those of the best epoch ({best})"
            else:
                message += f"not those of any epoch; expected those of the best epoch ({best})"
            raise CheckFailure(message)
        assert_true(
            not flag(student, f"aliases{k}"),
            f"{what}: best_params shares memory with the model's arrays; it must hold copies",
        )
    code = int(student["restore_before_update"])
    assert_true(
        code != 1,
        "EarlyStopping(2).restore(params) before any update raised an exception; with nothing "
        "saved yet it must leave the arrays alone",
    )
    assert_true(
        code == 0,
        "EarlyStopping(2).restore(params) before any update changed the arrays; with nothing "
        "saved yet it must leave them alone",
    )
    return "stops at the right epoch and restores the best epoch's parameters in all five sequences"


# --------------------------------------------------------------------------- the checks

CHECKS = [
    TaskCheck("lab3.dropout", _dropout_inputs, _dropout_probe, _dropout_compare),
    TaskCheck("lab3.dropconnect", _dropconnect_inputs, _dropconnect_probe, _dropconnect_compare),
    TaskCheck("lab3.annealed_dropout", _annealed_inputs, _annealed_probe, _annealed_compare),
    TaskCheck("lab3.maxout", _maxout_inputs, _maxout_probe, _maxout_compare),
    TaskCheck("lab3.random_shift", _shift_inputs, _shift_probe, _shift_compare),
    TaskCheck("lab3.random_rotation", _rotation_inputs, _rotation_probe, _rotation_compare),
    TaskCheck("lab3.pixel_noise", _noise_inputs, _noise_probe, _noise_compare),
    TaskCheck("lab3.elastic_deformation", _elastic_inputs, _elastic_probe, _elastic_compare),
    TaskCheck("lab3.augmented_provider", _provider_inputs, _provider_probe, _provider_compare),
    TaskCheck("lab3.l2_weight_decay", _penalty_inputs, _l2_probe, _l2_compare),
    TaskCheck("lab3.l1_weight_decay", _penalty_inputs, _l1_probe, _l1_compare),
    TaskCheck("lab3.early_stopping", _stopping_inputs, _stopping_probe, _stopping_compare),
]
