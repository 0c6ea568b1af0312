"""Checks of Lab 5: corruptions, autoencoders, denoising pairs, pretraining and fine-tuning.

Every check compares your implementation with the reference implementation's
outputs on the same inputs (``expected``); nothing here computes the answers.
The corruptions may draw their random numbers in any way, as long as they all
come from the generator they are given, so they are compared through
statistics that do not depend on *which* random numbers were drawn:

* **Gaussian corruption** (task 5.1), ``std`` in [0.2, 0.5], 80,000 entries:
  the standard deviation of ``output - input`` within 3% of the reference's
  (the relative standard error of one estimate is 0.25%, of the ratio 0.35%:
  3% is 8.5 of them), the mean within 0.05 ``std`` (10 standard errors), the
  correlation of the noise of neighbouring entries, of successive examples
  and of two successive calls at most 0.05 above the reference's (standard
  errors 0.0035: 14 of them).
* **Masking** (task 5.2), ``q`` in [0.15, 0.35], 160,000 non-zero entries: the
  entries that are not 0 must equal the inputs exactly; the fraction set to 0
  within 0.015 of the reference's (standard error of the difference below
  0.0018: 8 of them); masks of successive examples and of successive calls
  agree at most 0.05 more often than the reference's (standard error 0.0017).
* **Salt and pepper** (task 5.3), ``q`` in [0.1, 0.3], 160,000 entries in
  [0.05, 0.95]: every changed entry must be 0 or 1; the fraction changed
  within 0.015 of the reference's (8 standard errors) and the fraction of 1s
  among them within 0.05 (at least 16,000 changed entries: 9 standard
  errors); repeats between examples and calls as for masking.

  A correct implementation fails one of these statistics with probability
  below 1e-12 (normal approximation). Each corruption check also looks at
  the shape and dtype of the result (float32 stays float32), that the input
  is not modified, that the same seed gives the same result and that numpy's
  global random state is not used.

* **Autoencoder** (task 5.4): the layers (kinds, order, sizes) for two
  configurations, the outputs on random inputs with a deterministic weight
  initialiser (relative 1e-10), and, with the default initialiser, the
  weights drawn from ``rng`` (encoder first) and the default dtype float32.
* **Denoising provider** (task 5.5): a provider of 23 examples in batches of
  5 (shuffled anew each epoch), with a recording corruption: every batch
  must be corrupted once, with the injected generator, and yielded as
  ``(corrupted inputs, clean inputs)`` of the batch, over two epochs; with
  ``corruption=None`` the pairs are ``(inputs, inputs)``.
* **Pretraining** (task 5.6): with a recording ``build`` and a deterministic
  stand-in for ``train`` (it changes the weights in a way that depends on
  the data), the sizes given to ``build``, the data given to ``train`` at
  every stage (relative 1e-12), the options passed on and the models
  returned.
* **Pretrained classifier** (task 5.7): layers, outputs of the classifier
  built from random autoencoders (relative 1e-12), that no parameter array
  is shared with an autoencoder and that changing the classifier leaves the
  autoencoders alone; the output layer's default weights come from ``rng``
  (same seed, same weights; another seed, others) with the mean and root
  mean square of ``AffineLayer``'s default initialiser (whatever else is drawn
  from ``rng`` first).
* **Tied weights** (task 5.8), all in float64: the decoder layer's outputs,
  ``bprop``, bias gradient and share of ``dE/dW`` against central differences
  of your own ``fprop`` (``max |error|`` at most 1e-6 of the largest entry)
  and against the reference (relative 1e-10); the tied autoencoder's layers,
  ``params`` ``[W, b, c]`` with ``W`` the encoder's array shared by the
  decoder, its reconstructions before and after changing ``W`` in place, and
  ``grads_wrt_params`` against central differences of the reconstruction
  error and against the reference; the default weights drawn from ``rng``.
"""

from __future__ import annotations

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
    flag,
    generic_hints,
    number,
    seeding_flags,
    stand_in,
)
from mlplab.course.checks.core import CheckFailure, ProbeError, TaskCheck

EXACT_TOL = 1e-12
OUTPUT_TOL = 1e-10
REPEAT_TOL = 0.05


# --------------------------------------------------------------------------- shared helpers


def _dtype_and_input_flags(function, x: np.ndarray, rng: np.random.Generator, what: str) -> dict:
    """The result on a copy of ``x`` (float64), whether ``x`` was left alone and whether float32 stays float32."""
    saved = x.copy()
    y = np.array(as_array(function(x, rng), what), copy=True)
    out = {"leaves_inputs": np.array(np.array_equal(x, saved)), "shape": np.array(y.shape)}
    x32 = saved[:5].astype(np.float32)
    y32 = as_array(function(x32, rng), what)
    out["keeps_float32"] = np.array(y32.dtype == np.float32)
    out["keeps_float64"] = np.array(y.dtype == np.float64)
    return out, y, saved


def _common_compare(name: str, student: dict, shape: tuple[int, ...]) -> None:
    got = tuple(int(n) for n in np.asarray(student["shape"]).ravel())
    if got != tuple(shape):
        raise CheckFailure(
            f"{name}: result of shape {got} for inputs of shape {tuple(shape)}; a corruption keeps the shape"
        )
    assert_true(
        flag(student, "leaves_inputs"),
        f"{name} modified its inputs in place; return a new array and leave the clean inputs untouched "
        "(the autoencoder needs them as targets)",
    )
    assert_true(
        flag(student, "keeps_float64") and flag(student, "keeps_float32"),
        f"{name} changed the dtype: float32 inputs must give float32 results (and float64 float64)",
    )
    assert_seeded(name, student)


def _repeat_stats(masks: np.ndarray, masks_again: np.ndarray) -> dict:
    return {
        "rows_agree": np.array(np.mean(masks[1:] == masks[:-1])),
        "calls_agree": np.array(np.mean(masks == masks_again)),
    }


def _repeat_compare(name: str, student: dict, expected: dict) -> None:
    if number(student, "rows_agree") > number(expected, "rows_agree") + REPEAT_TOL:
        raise CheckFailure(
            f"{name}: successive examples are corrupted alike far more often than by chance "
            f"({number(student, 'rows_agree'):.3f} of entries agree, expected about "
            f"{number(expected, 'rows_agree'):.3f}): one mask is shared by the examples of the batch; "
            "draw an independent choice for every entry of every example"
        )
    if number(student, "calls_agree") > number(expected, "calls_agree") + REPEAT_TOL:
        raise CheckFailure(
            f"{name}: two successive calls corrupted the same entries "
            f"({number(student, 'calls_agree'):.3f} agree, expected about "
            f"{number(expected, 'calls_agree'):.3f}): draw new random numbers on every call"
        )


# --------------------------------------------------------------------------- 5.1 Gaussian

_NOISE_SHAPE = (400, 200)


def _gaussian_inputs(rng: np.random.Generator) -> dict:
    return {
        "x": rng.uniform(0.0, 1.0, _NOISE_SHAPE),
        "std": float(rng.uniform(0.2, 0.5)),
        "seed": int(rng.integers(2**31)),
    }


def _gaussian_probe(inputs: dict) -> dict:
    from mlplab.exercises.autoencoders import gaussian_corruption

    x, std, seed = inputs["x"], float(inputs["std"]), int(inputs["seed"])

    def corrupt(values, rng):
        return gaussian_corruption(values, rng, std=std)

    rng = np.random.default_rng([seed, 1])
    out, y, x = _dtype_and_input_flags(corrupt, x.copy(), rng, "gaussian_corruption")
    if y.shape != x.shape:
        return out
    noise = y - x
    again = np.asarray(as_array(corrupt(x.copy(), rng), "gaussian_corruption")) - x
    out.update(
        {
            "mean": np.array(noise.mean()),
            "std": np.array(noise.std()),
            "neighbours": np.array(correlation(noise[:, 1:], noise[:, :-1])),
            "rows": np.array(correlation(noise[1:], noise[:-1])),
            "calls": np.array(correlation(noise, again) if again.shape == noise.shape else 1.0),
        }
    )
    out.update(seeding_flags(lambda r: corrupt(x[:4].copy(), r), seed))
    return out


def _gaussian_compare(student: dict, expected: dict, inputs: dict) -> str:
    std = float(inputs["std"])
    name = f"gaussian_corruption(x, rng, std={std:.3f})"
    _common_compare(name, student, inputs["x"].shape)
    for key, text in (
        ("rows", "successive examples"),
        ("calls", "two successive calls"),
        ("neighbours", "neighbouring entries of an example"),
    ):
        if number(student, key) > number(expected, key) + REPEAT_TOL:
            raise CheckFailure(
                f"{name}: the noise of {text} is correlated ({number(student, key):.3f}, expected "
                f"about {number(expected, key):.3f}): every entry needs its own independent "
                "noise value, drawn anew on every call"
            )
    ratio = assert_ratio(
        f"{name}: the standard deviation of the noise",
        number(student, "std"),
        number(expected, "std"),
        rel_tol=0.03,
        hints={
            std: "std**2 was used as the standard deviation: std is the standard deviation "
            "of the noise, not its variance",
            1 / np.sqrt(std): "sqrt(std) was used as the standard deviation: std is already the standard deviation",
        },
    )
    mean_gap = abs(number(student, "mean") - number(expected, "mean"))
    assert_true(
        mean_gap <= 0.05 * std,
        f"{name}: the noise has mean {number(student, 'mean'):.4f}, expected about "
        f"{number(expected, 'mean'):.4f}: the noise must have mean 0",
    )
    return f"noise std ratio {ratio:.3f}, mean 0, independent entries"


# --------------------------------------------------------------------------- 5.2 masking

_MASK_SHAPE = (400, 400)


def _masking_inputs(rng: np.random.Generator) -> dict:
    x = rng.uniform(0.1, 1.0, _MASK_SHAPE) * rng.choice([-1.0, 1.0], _MASK_SHAPE)
    return {"x": x, "q": float(rng.uniform(0.15, 0.35)), "seed": int(rng.integers(2**31))}


def _masking_probe(inputs: dict) -> dict:
    from mlplab.exercises.autoencoders import masking_corruption

    x, q, seed = inputs["x"], float(inputs["q"]), int(inputs["seed"])

    def corrupt(values, rng):
        return masking_corruption(values, rng, drop_prob=q)

    rng = np.random.default_rng([seed, 1])
    out, y, x = _dtype_and_input_flags(corrupt, x.copy(), rng, "masking_corruption")
    if y.shape != x.shape:
        return out
    zero = y == 0
    ratio = y[~zero] / x[~zero] if (~zero).any() else np.ones(1)
    again = np.asarray(as_array(corrupt(x.copy(), rng), "masking_corruption"))
    out.update(
        {"zero_fraction": np.array(zero.mean()), "ratio_min": np.array(ratio.min()), "ratio_max": np.array(ratio.max())}
    )
    out.update(_repeat_stats(zero, again == 0 if again.shape == x.shape else zero))
    out.update(seeding_flags(lambda r: corrupt(x[:4].copy(), r), seed))
    return out


def _masking_compare(student: dict, expected: dict, inputs: dict) -> str:
    q = float(inputs["q"])
    name = f"masking_corruption(x, rng, drop_prob={q:.3f})"
    _common_compare(name, student, inputs["x"].shape)
    low, high = number(student, "ratio_min"), number(student, "ratio_max")
    if max(abs(low - 1), abs(high - 1)) > EXACT_TOL:
        hint = ""
        if abs(low * (1 - q) - 1) < 1e-6 and abs(high * (1 - q) - 1) < 1e-6:
            hint = (
                " Likely mistake: the kept entries are divided by 1 - q, as in inverted dropout; masking "
                "noise leaves the entries it keeps unchanged"
            )
        raise CheckFailure(
            f"{name}: the entries that are not set to 0 must keep their value exactly, but they "
            f"are the inputs times factors between {low:.4g} and {high:.4g}.{hint}"
        )
    _repeat_compare(name, student, expected)
    got, want = number(student, "zero_fraction"), number(expected, "zero_fraction")
    if abs(got - want) > 0.015:
        hint = ""
        if abs(got - (1 - want)) <= 0.015:
            hint = (
                " Likely mistake: an entry is KEPT with probability q instead of set to 0 with probability "
                "q (drop_prob is the probability of setting it to 0)"
            )
        raise CheckFailure(
            f"{name}: {got:.3f} of the entries are set to 0, expected about {want:.3f} (tolerance 0.015).{hint}"
        )
    return f"{got:.3f} of the entries set to 0, the others unchanged"


# --------------------------------------------------------------------------- 5.3 salt and pepper


def _salt_inputs(rng: np.random.Generator) -> dict:
    return {
        "x": rng.uniform(0.05, 0.95, _MASK_SHAPE),
        "q": float(rng.uniform(0.1, 0.3)),
        "seed": int(rng.integers(2**31)),
    }


def _salt_probe(inputs: dict) -> dict:
    from mlplab.exercises.autoencoders import salt_and_pepper_corruption

    x, q, seed = inputs["x"], float(inputs["q"]), int(inputs["seed"])

    def corrupt(values, rng):
        return salt_and_pepper_corruption(values, rng, fraction=q)

    rng = np.random.default_rng([seed, 1])
    out, y, x = _dtype_and_input_flags(corrupt, x.copy(), rng, "salt_and_pepper_corruption")
    if y.shape != x.shape:
        return out
    changed = y != x
    values = y[changed]
    again = np.asarray(as_array(corrupt(x.copy(), rng), "salt_and_pepper_corruption"))
    out.update(
        {
            "changed_fraction": np.array(changed.mean()),
            "not_zero_or_one": np.array(int(np.sum((values != 0) & (values != 1)))),
            "ones_fraction": np.array(np.mean(values == 1) if values.size else np.nan),
        }
    )
    out.update(_repeat_stats(changed, again != x if again.shape == x.shape else changed))
    out.update(seeding_flags(lambda r: corrupt(x[:4].copy(), r), seed))
    return out


def _salt_compare(student: dict, expected: dict, inputs: dict) -> str:
    q = float(inputs["q"])
    name = f"salt_and_pepper_corruption(x, rng, fraction={q:.3f})"
    _common_compare(name, student, inputs["x"].shape)
    bad = int(number(student, "not_zero_or_one"))
    assert_true(
        bad == 0,
        f"{name}: {bad} changed entries are neither 0 nor 1; a corrupted entry is set to 0 or "
        "to 1, every other entry keeps its value",
    )
    _repeat_compare(name, student, expected)
    got, want = number(student, "changed_fraction"), number(expected, "changed_fraction")
    if abs(got - want) > 0.015:
        hint = ""
        if min(abs(got - 2 * want), abs(got - (1 - (1 - want) ** 2))) <= 0.03:
            hint = (
                " Likely mistake: about 2q of the entries are corrupted (q set to 0 and another q set to 1?); "
                "a fraction q is corrupted in all, half of them to 0 and half to 1"
            )
        elif abs(got - (1 - want)) <= 0.03:
            hint = " Likely mistake: an entry is left alone with probability q instead of corrupted with it"
        raise CheckFailure(
            f"{name}: {got:.3f} of the entries are changed, expected about {want:.3f} (tolerance 0.015).{hint}"
        )
    ones, ones_ref = number(student, "ones_fraction"), number(expected, "ones_fraction")
    if not abs(ones - ones_ref) <= 0.05:
        hint = ""
        if ones in (0.0, 1.0):
            hint = (
                f" Likely mistake: every corrupted entry is set to {int(ones)} (only "
                f"{'salt' if ones else 'pepper'}); each one must become 0 or 1 with probability 1/2"
            )
        raise CheckFailure(
            f"{name}: {ones:.3f} of the corrupted entries are set to 1, expected about {ones_ref:.3f}.{hint}"
        )
    return f"{got:.3f} of the entries changed, {ones:.2f} of them to 1"


# --------------------------------------------------------------------------- 5.4 autoencoder

_KINDS = ("other", "AffineLayer", "SigmoidLayer", "TanhLayer", "ReluLayer", "IdentityLayer")


def _kind(layer) -> int:
    name = type(layer).__name__
    return _KINDS.index(name) if name in _KINDS else 0


def _deterministic_init(shape, rng=None):
    """Weights that depend on the shape only (so the order of creation does not matter)."""
    n = int(np.prod(shape))
    return np.sin(0.37 * np.arange(n) + 0.1 * shape[0] + 0.03 * shape[1]).reshape(shape)


def _autoencoder_inputs(rng: np.random.Generator) -> dict:
    input_dim, code_dim = int(rng.integers(5, 12)), int(rng.integers(2, 5))
    return {
        "input_dim": input_dim,
        "code_dim": code_dim,
        "x": rng.uniform(-1.0, 1.0, (7, input_dim)),
        "seed": int(rng.integers(2**31)),
    }


_AE_CONFIGS = (("default", None), ("tanh_linear", "tanh"))


def _describe_layers(model, prefix: str, out: dict, input_dim: int) -> bool:
    """Records kinds and affine sizes; True when the affine layers chain from ``input_dim`` (so fprop can run)."""
    layers = list(getattr(model, "layers", []))
    out[f"{prefix}_kinds"] = np.array([_kind(layer) for layer in layers] or [-1])
    sizes = [(int(layer.input_dim), int(layer.output_dim)) for layer in layers if _kind(layer) == 1]
    out[f"{prefix}_sizes"] = np.array(sizes or [(-1, -1)])
    return bool(sizes) and sizes[0][0] == input_dim and all(a[1] == b[0] for a, b in zip(sizes, sizes[1:]))


def _autoencoder_probe(inputs: dict) -> dict:
    from mlplab.exercises.autoencoders import autoencoder
    from mlplab.layers.activations import TanhLayer

    d, c, x, seed = int(inputs["input_dim"]), int(inputs["code_dim"]), inputs["x"], int(inputs["seed"])
    out: dict[str, np.ndarray] = {}
    for name, option in _AE_CONFIGS:
        extra = {} if option is None else {"hidden": TanhLayer, "output": None}
        model = autoencoder(
            d, c, np.random.default_rng([seed, 1]), weights_init=_deterministic_init, dtype=np.float64, **extra
        )
        if _describe_layers(model, name, out, d):
            out[f"{name}_outputs"] = as_array(model.fprop(x.copy())[-1], "the autoencoder's fprop")
    model = autoencoder(d, c, np.random.default_rng([seed, 2]))
    _describe_layers(model, "drawn", out, d)
    affine = [layer for layer in model.layers if _kind(layer) == 1]
    out["drawn_float32"] = np.array(all(layer.weights.dtype == np.float32 for layer in affine))
    for k, layer in enumerate(affine[:2]):
        out[f"drawn_weights{k}"] = np.asarray(layer.weights, dtype=np.float64)
    return out


def _layer_names(kinds: np.ndarray) -> str:
    return ", ".join(_KINDS[int(k)] if 0 <= int(k) < len(_KINDS) else "none" for k in np.asarray(kinds).ravel())


def _autoencoder_compare(student: dict, expected: dict, inputs: dict) -> str:
    d, c = int(inputs["input_dim"]), int(inputs["code_dim"])
    for name, option in (*_AE_CONFIGS, ("drawn", None)):
        call = f"autoencoder({d}, {c}, rng" + ("" if option is None else ", hidden=TanhLayer, output=None") + ")"
        kinds, kinds_ref = np.asarray(student[f"{name}_kinds"]), np.asarray(expected[f"{name}_kinds"])
        sizes, sizes_ref = np.asarray(student[f"{name}_sizes"]), np.asarray(expected[f"{name}_sizes"])
        if sizes.shape == sizes_ref.shape and np.array_equal(sizes, sizes_ref[::-1]) and kinds.size == kinds_ref.size:
            raise CheckFailure(
                f"{call}: the first affine layer maps {sizes[0][0]} -> {sizes[0][1]} units: the encoder "
                "and decoder are swapped (the encoder comes first and maps input_dim -> code_dim)"
            )
        if kinds.shape != kinds_ref.shape or not np.array_equal(kinds, kinds_ref):
            hint = ""
            if kinds.size == kinds_ref.size - 1 and np.array_equal(kinds, kinds_ref[:-1]):
                hint = ". Likely mistake: there is no output activation after the decoder"
            elif kinds.size == kinds_ref.size + 1 and np.array_equal(kinds[:-1], kinds_ref):
                hint = ". Likely mistake: an output activation was added although output is None"
            raise CheckFailure(f"{call}: layers [{_layer_names(kinds)}], expected [{_layer_names(kinds_ref)}]{hint}")
        if sizes.shape != sizes_ref.shape or not np.array_equal(sizes, sizes_ref):
            raise CheckFailure(
                f"{call}: affine layers of sizes {sizes.tolist()} (input_dim, output_dim), expected "
                f"{sizes_ref.tolist()}"
            )
        if name != "drawn":
            assert_close(
                f"{call} with a fixed weights_init: the reconstructions",
                student[f"{name}_outputs"],
                expected[f"{name}_outputs"],
                tol=OUTPUT_TOL,
            )
    assert_true(
        flag(student, "drawn_float32"),
        f"autoencoder({d}, {c}, rng): the parameters must have the default "
        "dtype float32 (pass dtype on to AffineLayer)",
    )
    for k, what in enumerate(("encoder", "decoder")):
        w, w_ref = np.asarray(student[f"drawn_weights{k}"]), np.asarray(expected[f"drawn_weights{k}"])
        if w.shape != w_ref.shape or not np.allclose(w, w_ref, rtol=1e-6, atol=0):
            raise CheckFailure(
                f"autoencoder({d}, {c}, rng): the {what}'s default weights are not the ones drawn "
                "from rng: create the encoder's AffineLayer first and then the decoder's, both with "
                "rng=rng and weights_init=weights_init"
            )
    return "layers, sizes and reconstructions as expected"


# --------------------------------------------------------------------------- 5.5 denoising provider

_DP_EXAMPLES, _DP_BATCH, _DP_DIM = 23, 5, 6


def _denoising_inputs(rng: np.random.Generator) -> dict:
    return {"labels": rng.integers(0, 10, _DP_EXAMPLES), "seed": int(rng.integers(2**31))}


def _denoising_probe(inputs: dict) -> dict:
    from mlplab.data import MinibatchProvider
    from mlplab.exercises.autoencoders import DenoisingProvider

    labels, seed = np.asarray(inputs["labels"], dtype=np.int64), int(inputs["seed"])
    # row i is i + (0, 1, ..., 5) / 8: each row says which example it is
    data = (np.arange(_DP_EXAMPLES)[:, None] + np.arange(_DP_DIM)[None, :] / 8).astype(np.float32)
    rng = given = np.random.default_rng([seed, 1])
    calls: list = []

    def corrupt_inputs(inputs, rng):  # the documented signature of a corruption: (inputs, rng)
        shift = float(rng.uniform(100.0, 200.0)) if isinstance(rng, np.random.Generator) else 150.0
        calls.append((np.array(inputs, copy=True), rng is given, shift))
        return np.asarray(inputs) * -1.0 + np.float32(shift)

    corrupt = stand_in("corruption(inputs, rng)", corrupt_inputs)

    out: dict[str, np.ndarray] = {}
    problems = dict.fromkeys(("calls", "rng", "inputs", "targets", "swapped", "modified"), 0)
    for case, corruption in (("corrupted", corrupt), ("plain", None)):
        base = MinibatchProvider(data, labels, _DP_BATCH, rng=np.random.default_rng([seed, 0]))
        provider = DenoisingProvider(base, corruption, rng)
        seen = []
        for epoch in range(2):
            calls.clear()
            batches = list(provider)
            out[f"{case}_batches{epoch}"] = np.array(len(batches))
            if corruption is not None and len(calls) != len(batches):
                problems["calls"] += 1
                continue
            for k, batch in enumerate(batches):
                if not isinstance(batch, (tuple, list)) or len(batch) != 2:  # any pair the Trainer can unpack
                    raise ProbeError(
                        f"DenoisingProvider yielded {type(batch).__name__}, expected a pair "
                        "(corrupted inputs, clean inputs)"
                    )
                given, target = (np.asarray(as_array(v, "DenoisingProvider")) for v in batch)
                if target.shape[-1:] != (_DP_DIM,) or target.ndim != 2:
                    problems["targets"] += 1
                    continue
                rows = np.floor(target[:, 0]).astype(int)
                clean = data[np.clip(rows, 0, _DP_EXAMPLES - 1)]
                if not np.array_equal(target, clean):
                    problems["targets"] += 1
                    if corruption is not None and np.array_equal(target, calls[k][0] * -1.0 + np.float32(calls[k][2])):
                        problems["swapped"] += 1
                    continue
                seen.extend(rows.tolist())
                if corruption is None:
                    problems["inputs"] += int(not np.array_equal(given, target))
                    continue
                source, right_rng, shift = calls[k]
                problems["rng"] += int(not right_rng)
                problems["modified"] += int(not np.array_equal(source, clean))
                problems["inputs"] += int(
                    given.shape != target.shape or not np.allclose(given, target * -1.0 + shift, rtol=0, atol=1e-4)
                )
        out[f"{case}_coverage"] = np.array(sorted(seen) == sorted(list(range(_DP_EXAMPLES)) * 2))
    for key, value in problems.items():
        out[f"problem_{key}"] = np.array(value)
    return out


def _denoising_compare(student: dict, expected: dict, inputs: dict) -> str:
    what = "DenoisingProvider"
    for case in ("corrupted", "plain"):
        for epoch in range(2):
            got, want = int(student[f"{case}_batches{epoch}"]), int(expected[f"{case}_batches{epoch}"])
            assert_true(
                got == want,
                f"{what}: yielded {got} batches in an epoch of the wrapped provider, which has "
                f"{want}: iterate over the provider once per epoch, one pair per batch",
            )
    messages = {
        "swapped": "yielded the corrupted inputs as targets (the pair is swapped?): the model must see the "
        "corrupted inputs and be trained to reconstruct the clean ones, (corrupted, clean)",
        "targets": "yielded targets that are not the clean inputs of the batch (not the class labels either): "
        "the second element of each pair is the batch's clean inputs",
        "calls": "did not call the corruption exactly once per batch",
        "rng": "did not pass its own generator self.rng to the corruption",
        "modified": "passed something else than the batch's clean inputs to the corruption",
        "inputs": "yielded inputs that are not the corruption's result for the batch (with corruption=None, the "
        "inputs themselves)",
    }
    for key, text in messages.items():
        count = int(student[f"problem_{key}"])
        if count > int(expected[f"problem_{key}"]):
            raise CheckFailure(f"{what}: {text} ({count} batch{'es' if count != 1 else ''} affected)")
    for case in ("corrupted", "plain"):
        assert_true(flag(student, f"{case}_coverage"), f"{what}: did not yield every example exactly once per epoch")
    return "every batch corrupted once with the injected generator; pairs (corrupted, clean)"


# --------------------------------------------------------------------------- 5.6 pretraining


def _pretrain_inputs(rng: np.random.Generator) -> dict:
    input_dim = int(rng.integers(7, 11))
    code_dims = np.array([int(rng.integers(5, 7)), int(rng.integers(3, 5)), 2])
    return {
        "x": rng.uniform(0.0, 1.0, (12, input_dim)),
        "code_dims": code_dims,
        "num_epochs": int(rng.integers(2, 9)),
        "seed": int(rng.integers(2**31)),
    }


def _pretrain_probe(inputs: dict) -> dict:
    from mlplab.exercises.autoencoders import pretrain_stack
    from mlplab.layers.activations import SigmoidLayer
    from mlplab.layers.affine import AffineLayer
    from mlplab.models import MultipleLayerModel

    x, seed = inputs["x"], int(inputs["seed"])
    code_dims = [int(c) for c in np.asarray(inputs["code_dims"]).ravel()]
    rng = given = np.random.default_rng([seed, 1])
    built: list = []
    trained: list = []

    def build(input_dim, code_dim, rng):  # the documented signatures of build and train
        model = MultipleLayerModel(
            [
                AffineLayer(input_dim, code_dim, weights_init=_deterministic_init, dtype=np.float64),
                SigmoidLayer(),
                AffineLayer(code_dim, input_dim, weights_init=_deterministic_init, dtype=np.float64),
                SigmoidLayer(),
            ]
        )
        built.append((int(input_dim), int(code_dim), rng is given, model))
        return model

    def train(model, inputs, rng, **train_options):
        data = np.array(inputs, dtype=np.float64, copy=True)
        index = next((k for k, b in enumerate(built) if b[3] is model), -1)
        trained.append((index, data, rng is given, dict(train_options)))
        if data.ndim == 2 and data.shape[1] == model.layers[0].input_dim:
            # a stand-in for training: a change of the weights that depends on the data
            model.layers[0].weights += 0.5 * np.tanh(data.mean(axis=0))[None, :] - 0.2
            model.layers[0].biases += 0.1 * data.std()

    models = pretrain_stack(
        x.copy(),
        code_dims,
        rng,
        build=stand_in("build(input_dim, code_dim, rng)", build),
        train=stand_in("train(model, inputs, rng, **train_options)", train),
        num_epochs=int(inputs["num_epochs"]),
    )
    out: dict[str, np.ndarray] = {
        "built": np.array([b[:2] for b in built] or [(-1, -1)]),
        "build_rng": np.array(all(b[2] for b in built)),
        "train_order": np.array([t[0] for t in trained] or [-2]),
        "train_rng": np.array(all(t[2] for t in trained)),
        "train_options": np.array(all(t[3] == {"num_epochs": int(inputs["num_epochs"])} for t in trained)),
    }
    for k, (_, data, _, _) in enumerate(trained):
        out[f"data{k}"] = data
    models = list(models) if models is not None else []
    out["returned"] = np.array([next((k for k, b in enumerate(built) if b[3] is m), -1) for m in models] or [-2])
    return out


def _pretrain_compare(student: dict, expected: dict, inputs: dict) -> str:
    x, code_dims = inputs["x"], [int(c) for c in np.asarray(inputs["code_dims"]).ravel()]
    what = f"pretrain_stack(x of shape {x.shape}, code_dims={code_dims}, ...)"
    built, built_ref = np.asarray(student["built"]), np.asarray(expected["built"])
    if built.shape != built_ref.shape or not np.array_equal(built, built_ref):
        raise CheckFailure(
            f"{what}: build was called with (input_dim, code_dim) = {built.tolist()}, expected "
            f"{built_ref.tolist()}: autoencoder k maps the width of its data to code_dims[k], and "
            "its data are the codes of autoencoder k - 1"
        )
    assert_true(
        flag(student, "build_rng") and flag(student, "train_rng"),
        f"{what}: build and train must both be given the generator rng",
    )
    order, order_ref = np.asarray(student["train_order"]), np.asarray(expected["train_order"])
    if order.shape != order_ref.shape or not np.array_equal(order, order_ref):
        raise CheckFailure(
            f"{what}: train was called for the autoencoders {order.tolist()} (by the order they "
            f"were built), expected {order_ref.tolist()}: train each new autoencoder once, right "
            "after building it"
        )
    assert_true(
        flag(student, "train_options"),
        f"{what}: the extra keyword arguments (num_epochs=...) were not passed on to every call of train",
    )
    for k in range(len(order_ref)):
        data, data_ref = np.asarray(student[f"data{k}"]), np.asarray(expected[f"data{k}"])
        stage = f"{what}: the data given to train for autoencoder {k}"
        if k > 0 and data.shape == x.shape and np.array_equal(data, x):
            raise CheckFailure(
                f"{stage} are the raw inputs: every autoencoder after the first is trained on the "
                "codes of the previous one, not on the inputs"
            )
        if data.shape != data_ref.shape:
            raise CheckFailure(f"{stage} have shape {data.shape}, expected {data_ref.shape}")
        try:
            assert_close(stage, data, data_ref, tol=EXACT_TOL)
        except CheckFailure as failure:
            raise CheckFailure(
                f"{failure} The data of autoencoder k are the codes of the data of autoencoder "
                "k - 1 under its encoder model.layers[:2], computed AFTER training it"
            ) from None
    returned, returned_ref = np.asarray(student["returned"]), np.asarray(expected["returned"])
    if returned.shape != returned_ref.shape or not np.array_equal(returned, returned_ref):
        raise CheckFailure(
            f"{what}: returned the models {returned.tolist()} (by the order they were built; -1: a "
            f"model that build did not make), expected {returned_ref.tolist()}: return every trained "
            "autoencoder, first to last"
        )
    return "stages built, trained on the right data and returned in order"


# --------------------------------------------------------------------------- 5.7 pretrained classifier

_DRAWN_CLASSES = 300  # output units of the classifier whose default weights are checked by their statistics
_DRAWN_RMS_TOL = 0.25  # the two RMS of >= 600 normal weights differ by 25% with probability < 1e-8


def _classifier_inputs(rng: np.random.Generator) -> dict:
    dims = [int(rng.integers(6, 10)), int(rng.integers(4, 6)), int(rng.integers(2, 4))]
    out = {
        "dims": np.array(dims),
        "num_classes": int(rng.integers(3, 6)),
        "x": rng.uniform(0, 1, (5, dims[0])),
        "seed": int(rng.integers(2**31)),
    }
    for k in range(2):
        out[f"w{k}"] = rng.normal(0.0, 1.0, (dims[k + 1], dims[k]))
        out[f"b{k}"] = rng.normal(0.0, 0.5, dims[k + 1])
    return out


def _classifier_probe(inputs: dict) -> dict:
    from mlplab.exercises.autoencoders import pretrained_classifier
    from mlplab.layers.activations import SigmoidLayer, TanhLayer
    from mlplab.layers.affine import AffineLayer
    from mlplab.models import MultipleLayerModel

    dims = [int(d) for d in np.asarray(inputs["dims"]).ravel()]
    num_classes, seed = int(inputs["num_classes"]), int(inputs["seed"])

    def autoencoders(dtype):
        models = []
        for k, activation in enumerate((TanhLayer, SigmoidLayer)):
            encoder = AffineLayer(dims[k], dims[k + 1], weights_init=lambda s, r, k=k: inputs[f"w{k}"], dtype=dtype)
            encoder.biases = np.asarray(inputs[f"b{k}"], dtype=dtype).copy()
            decoder = AffineLayer(dims[k + 1], dims[k], weights_init=_deterministic_init, dtype=dtype)
            models.append(MultipleLayerModel([encoder, activation(), decoder, SigmoidLayer()]))
        return models

    out: dict[str, np.ndarray] = {}
    aes = autoencoders(np.float64)
    saved = [np.array(p, copy=True) for m in aes for p in m.params]
    model = pretrained_classifier(aes, num_classes, np.random.default_rng([seed, 1]), weights_init=_deterministic_init)
    if _describe_layers(model, "fixed", out, dims[0]):
        out["fixed_outputs"] = as_array(model.fprop(inputs["x"].copy())[-1], "the classifier's fprop")
    ae_params = [p for m in aes for p in m.params]
    params = list(model.params)
    out["shares"] = np.array(any(np.shares_memory(p, q) for p in params for q in ae_params))
    for p in params:
        p += 1.0
    out["autoencoders_unchanged"] = np.array(all(np.array_equal(p, q) for p, q in zip(ae_params, saved)))

    model = pretrained_classifier(autoencoders(np.float32), num_classes, np.random.default_rng([seed, 2]))
    _describe_layers(model, "drawn", out, dims[0])
    params = list(model.params)
    out["drawn_float32"] = np.array(all(np.asarray(p).dtype == np.float32 for p in params))

    def output_weights(rng):  # the default output weights, from many classes (their distribution is checked)
        params = list(pretrained_classifier(autoencoders(np.float32), _DRAWN_CLASSES, rng).params)
        return np.asarray(params[-2], dtype=np.float64) if len(params) >= 2 else np.zeros(1)

    out.update(seeding_flags(output_weights, seed))
    out["drawn_output_weights"] = output_weights(np.random.default_rng([seed, 3]))
    return out


def _classifier_compare(student: dict, expected: dict, inputs: dict) -> str:
    dims, c = [int(d) for d in np.asarray(inputs["dims"]).ravel()], int(inputs["num_classes"])
    what = f"pretrained_classifier(two autoencoders {dims[0]}-{dims[1]}-{dims[0]} and {dims[1]}-{dims[2]}-{dims[1]}, {c}, rng)"
    for name in ("fixed", "drawn"):
        kinds, kinds_ref = np.asarray(student[f"{name}_kinds"]), np.asarray(expected[f"{name}_kinds"])
        if kinds.shape != kinds_ref.shape or not np.array_equal(kinds, kinds_ref):
            raise CheckFailure(
                f"{what}: layers [{_layer_names(kinds)}], expected [{_layer_names(kinds_ref)}]: each "
                "encoder's affine layer followed by a new activation of the encoder's own class, then "
                "the output layer"
            )
        sizes, sizes_ref = np.asarray(student[f"{name}_sizes"]), np.asarray(expected[f"{name}_sizes"])
        if sizes.shape != sizes_ref.shape or not np.array_equal(sizes, sizes_ref):
            raise CheckFailure(f"{what}: affine layers of sizes {sizes.tolist()}, expected {sizes_ref.tolist()}")
    assert_true(
        not flag(student, "shares"),
        f"{what}: the classifier shares parameter arrays with the autoencoders, so fine-tuning would change "
        "the pretrained autoencoders too; give the classifier copies of the weights and biases",
    )
    assert_true(
        flag(student, "autoencoders_unchanged"),
        f"{what}: changing the classifier's parameters in place changed the autoencoders: copy the arrays",
    )
    assert_close(
        f"{what} with a fixed weights_init for the output layer: the logits",
        student["fixed_outputs"],
        expected["fixed_outputs"],
        tol=EXACT_TOL,
    )
    assert_true(
        flag(student, "drawn_float32"),
        f"{what}: float32 autoencoders must give a float32 classifier (all parameters, the output layer too)",
    )
    w, w_ref = np.asarray(student["drawn_output_weights"]), np.asarray(expected["drawn_output_weights"])
    drawn = f"pretrained_classifier(..., {_DRAWN_CLASSES}, rng) without weights_init: the output layer's weights"
    assert_shape(drawn, w, w_ref.shape)
    assert_finite(drawn, w)
    assert_seeded("pretrained_classifier", student, what="output-layer weights")
    rms, rms_ref = float(np.sqrt(np.mean(w**2))), float(np.sqrt(np.mean(w_ref**2)))
    advice = (
        "create the output layer with AffineLayer(code_dim, num_classes, rng=rng, weights_init=weights_init, "
        "...) so that weights_init=None gives AffineLayer's default initialiser"
    )
    assert_ratio(f"{drawn}: their root mean square", rms, rms_ref, rel_tol=_DRAWN_RMS_TOL)
    assert_true(
        abs(float(np.mean(w))) <= _DRAWN_RMS_TOL * rms_ref,
        f"{drawn} have mean {float(np.mean(w)):.3g}, expected about 0: {advice}",
    )
    return "copies of the encoders, a new output layer, nothing shared"


# --------------------------------------------------------------------------- 5.8 tied weights

GRAD_TOL = 1e-6  # largest |analytic - numerical| over the largest |numerical| entry (float64, h = 1e-6)
_TIED_BATCH = 6
_TIED_KINDS = ("other", "AffineLayer", "TanhLayer", "TiedDecoderLayer", "SigmoidLayer")


def _grad_error(actual, numerical) -> float:
    """``max |actual - numerical| / max |numerical|``: inf when the shapes differ."""
    a, n = np.asarray(actual, dtype=np.float64), np.asarray(numerical, dtype=np.float64)
    if a.shape != n.shape or not a.size:
        return float(np.inf)
    return float(np.max(np.abs(a - n)) / max(1e-12, float(np.max(np.abs(n)))))


def _tied_inputs(rng: np.random.Generator) -> dict:
    d, c = int(rng.integers(5, 10)), int(rng.integers(2, 5))
    return {
        "w": rng.normal(0.0, 0.8, (c, d)),
        "b": rng.normal(0.0, 0.3, c),
        "c": rng.normal(0.0, 0.3, d),
        "x": rng.uniform(0.0, 1.0, (_TIED_BATCH, d)),
        "codes": rng.uniform(-1.0, 1.0, (_TIED_BATCH, c)),
        "g": rng.normal(0.0, 1.0, (_TIED_BATCH, d)),
        "delta": rng.normal(0.0, 0.5, (c, d)),
        "seed": int(rng.integers(2**31)),
    }


def _tied_layer_probe(inputs: dict, out: dict) -> None:
    from mlplab.exercises.autoencoders import TiedDecoderLayer
    from mlplab.gradcheck import numerical_vjp

    codes, g = inputs["codes"], inputs["g"]
    layer = TiedDecoderLayer(inputs["w"].copy())
    layer.biases = inputs["c"].copy()
    outputs = as_array(layer.fprop(codes.copy()), "TiedDecoderLayer.fprop")
    out["layer_outputs"] = outputs
    out["layer_dh"] = as_array(layer.bprop(codes.copy(), outputs, g.copy()), "TiedDecoderLayer.bprop")
    out["layer_num_dh"] = numerical_vjp(lambda a: layer.fprop(a), codes.copy(), g)
    grads = layer.grads_wrt_params(codes.copy(), g.copy())
    if not isinstance(grads, (list, tuple)):
        raise ProbeError(f"TiedDecoderLayer.grads_wrt_params returned {type(grads).__name__}, expected a list [dE/dc]")
    out["layer_num_grads"] = np.array(len(grads))
    out["layer_dc"] = as_array(grads[0], "TiedDecoderLayer.grads_wrt_params") if grads else np.zeros(0)
    out["layer_num_dc"] = numerical_vjp(lambda _: layer.fprop(codes), layer.biases, g)
    out["layer_dw"] = as_array(layer.grads_wrt_weights(codes.copy(), g.copy()), "TiedDecoderLayer.grads_wrt_weights")
    out["layer_num_dw"] = numerical_vjp(lambda _: layer.fprop(codes), layer.weights, g)


def _tied_probe(inputs: dict) -> dict:
    from mlplab.errors import SumOfSquaredDiffsError
    from mlplab.exercises.autoencoders import tied_autoencoder
    from mlplab.gradcheck import numerical_gradient
    from mlplab.layers.activations import TanhLayer

    out: dict[str, np.ndarray] = {}
    _tied_layer_probe(inputs, out)
    w, x, seed = inputs["w"], inputs["x"], int(inputs["seed"])
    c, d = w.shape
    layer_shapes = {
        "layer_outputs": (_TIED_BATCH, d),
        "layer_dh": (_TIED_BATCH, c),
        "layer_dc": (d,),
        "layer_dw": (c, d),
    }
    if int(out["layer_num_grads"]) != 1 or any(out[k].shape != v for k, v in layer_shapes.items()):
        return out  # the layer's own check fails first, with a message about the layer
    model = tied_autoencoder(
        d,
        c,
        np.random.default_rng([seed, 1]),
        hidden=TanhLayer,
        weights_init=lambda shape, rng: w.copy(),
        dtype=np.float64,
    )
    layers = list(getattr(model, "layers", []))
    out["kinds"] = np.array(
        [_TIED_KINDS.index(type(layer).__name__) if type(layer).__name__ in _TIED_KINDS else 0 for layer in layers]
        or [-1]
    )
    params = list(model.params)
    out["param_shapes"] = np.array([np.shape(p) + (0,) * (2 - np.ndim(p)) for p in params] or [(-1, -1)])
    out["shared"] = np.array(
        len(layers) > 2 and getattr(layers[2], "weights", None) is getattr(layers[0], "weights", 0)
    )
    expected_shapes = [(c, d), (c,), (d,)]
    if [np.shape(p) for p in params] != expected_shapes or len(layers) != 4:
        return out
    params[1][...] = inputs["b"]
    params[2][...] = inputs["c"]
    error = SumOfSquaredDiffsError()
    activations = model.fprop(x.copy())
    out["outputs"] = as_array(activations[-1], "the tied autoencoder's fprop")
    grads_wrt_outputs = error.grad(activations[-1], x)
    grads = model.grads_wrt_params(activations, grads_wrt_outputs)
    if not isinstance(grads, (list, tuple)):
        raise ProbeError(f"TiedAutoencoder.grads_wrt_params returned {type(grads).__name__}, expected a list")
    out["num_grads"] = np.array(len(grads))
    for k, (param, grad) in enumerate(zip(params, grads)):
        out[f"grad{k}"] = as_array(grad, "TiedAutoencoder.grads_wrt_params")
        out[f"num_grad{k}"] = numerical_gradient(lambda _: error(model.fprop(x)[-1], x), param)
    # the two shares of dE/dW, for the feedback (the library's layers and the checked decoder method)
    g_decoder = layers[3].bprop(activations[3], activations[4], grads_wrt_outputs)
    out["decoder_share"] = as_array(layers[2].grads_wrt_weights(activations[2], g_decoder), "grads_wrt_weights")
    g_codes = layers[1].bprop(
        activations[1], activations[2], layers[2].bprop(activations[2], activations[3], g_decoder)
    )
    out["encoder_share"] = np.asarray(layers[0].grads_wrt_params(activations[0], g_codes)[0])
    params[0] += inputs["delta"]
    out["updated_outputs"] = as_array(model.fprop(x.copy())[-1], "the tied autoencoder's fprop")

    model = tied_autoencoder(d, c, np.random.default_rng([seed, 2]))
    out["drawn_float32"] = np.array(all(np.asarray(p).dtype == np.float32 for p in model.params))
    out["drawn_weights"] = np.asarray(model.params[0], dtype=np.float64)
    return out


def _tied_names(kinds: np.ndarray) -> str:
    return ", ".join(
        _TIED_KINDS[int(k)] if 0 <= int(k) < len(_TIED_KINDS) else "none" for k in np.asarray(kinds).ravel()
    )


def _check_numerical(what: str, student: dict, key: str, numerical_key: str, why: str) -> float:
    assert_finite(what, np.asarray(student[key]))
    error = _grad_error(student[key], student[numerical_key])
    if error > GRAD_TOL:
        raise CheckFailure(
            f"{what} disagrees with the central-difference gradient of your fprop (float64): "
            f"relative error {error:.2e} > {GRAD_TOL:.0e}. {why}"
        )
    return error


def _tied_layer_compare(student: dict, expected: dict, inputs: dict) -> None:
    c, d = inputs["w"].shape
    name = f"TiedDecoderLayer(W of shape ({c}, {d}))"
    assert_shape(f"{name}.fprop output", np.asarray(student["layer_outputs"]), expected["layer_outputs"].shape)
    assert_close(
        f"{name}.fprop output (inputs @ W + c)", student["layer_outputs"], expected["layer_outputs"], tol=OUTPUT_TOL
    )
    assert_shape(f"{name}.bprop output", np.asarray(student["layer_dh"]), expected["layer_dh"].shape)
    _check_numerical(
        f"{name}.bprop", student, "layer_dh", "layer_num_dh", "The decoder computes h @ W, so dE/dh = dE/dy @ W.T."
    )
    count = int(student["layer_num_grads"])
    assert_true(
        count == 1,
        f"{name}.grads_wrt_params returned {count} arrays, expected 1: only the decoder's own "
        "biases, [dE/dc]. The shared W is the encoder's parameter; the decoder's share of its "
        "gradient comes from grads_wrt_weights",
    )
    dc, dc_ref = np.asarray(student["layer_dc"]), np.asarray(expected["layer_dc"])
    if dc.shape == (_TIED_BATCH,) != dc_ref.shape:
        raise CheckFailure(
            f"{name}.grads_wrt_params()[0] (dE/dc) has shape {dc.shape}, one entry per example, "
            f"expected {dc_ref.shape}: sum dE/d(outputs) over the batch (axis 0), not over the units"
        )
    assert_shape(f"{name}.grads_wrt_params()[0] (dE/dc)", dc, dc_ref.shape)
    _check_numerical(
        f"{name}.grads_wrt_params()[0] (dE/dc)",
        student,
        "layer_dc",
        "layer_num_dc",
        "dE/dc is dE/d(outputs) summed over the examples of the batch.",
    )
    dw, dw_ref = np.asarray(student["layer_dw"]), np.asarray(expected["layer_dw"])
    if dw.shape == dw_ref.shape[::-1] != dw_ref.shape:
        raise CheckFailure(
            f"{name}.grads_wrt_weights has shape {dw.shape}, expected {dw_ref.shape}, the shape of W: "
            "the result is transposed. Unlike an AffineLayer (x @ W.T), the decoder computes h @ W, so "
            "its share is h.T @ dE/dy"
        )
    assert_shape(f"{name}.grads_wrt_weights", dw, dw_ref.shape)
    _check_numerical(
        f"{name}.grads_wrt_weights",
        student,
        "layer_dw",
        "layer_num_dw",
        "The decoder computes h @ W, so its share of dE/dW is h.T @ dE/dy.",
    )
    for key, what in (("layer_dh", "bprop"), ("layer_dc", "grads_wrt_params()[0]"), ("layer_dw", "grads_wrt_weights")):
        assert_close(f"{name}.{what}", student[key], expected[key], tol=OUTPUT_TOL)


def _tied_compare(student: dict, expected: dict, inputs: dict) -> str:
    _tied_layer_compare(student, expected, inputs)
    c, d = inputs["w"].shape
    call = f"tied_autoencoder({d}, {c}, rng, hidden=TanhLayer)"
    kinds, kinds_ref = np.asarray(student["kinds"]), np.asarray(expected["kinds"])
    if kinds.shape != kinds_ref.shape or not np.array_equal(kinds, kinds_ref):
        raise CheckFailure(f"{call}: layers [{_tied_names(kinds)}], expected [{_tied_names(kinds_ref)}]")
    shapes, shapes_ref = np.asarray(student["param_shapes"]), np.asarray(expected["param_shapes"])
    if shapes.shape != shapes_ref.shape or not np.array_equal(shapes, shapes_ref):
        raise CheckFailure(
            f"{call}: model.params has shapes {[tuple(int(n) for n in s if n) for s in shapes]}, "
            f"expected {[tuple(int(n) for n in s if n) for s in shapes_ref]}: [W, b, c], with the "
            "shared W listed once (by the encoder)"
        )
    assert_true(
        flag(student, "shared"),
        f"{call}: the decoder's weights are not the encoder's array itself (a copy?): a learning rule updates "
        "W through the encoder, and a copied decoder would never see those updates. Give TiedDecoderLayer "
        "encoder.weights, not a copy",
    )
    assert_close(f"{call}: the reconstructions", student["outputs"], expected["outputs"], tol=OUTPUT_TOL)
    assert_close(
        f"{call}: the reconstructions after changing W in place (model.params[0] += ...)",
        student["updated_outputs"],
        expected["updated_outputs"],
        tol=OUTPUT_TOL,
    )
    count, count_ref = int(student["num_grads"]), int(expected["num_grads"])
    assert_true(
        count == count_ref,
        f"{call}: grads_wrt_params returned {count} arrays, expected {count_ref}, one "
        "per array of model.params: [dE/dW, dE/db, dE/dc]",
    )
    for k, what in enumerate(("dE/dW", "dE/db", "dE/dc")):
        key = f"grad{k}"
        assert_shape(f"{call}: grads_wrt_params()[{k}] ({what})", np.asarray(student[key]), expected[key].shape)
        if k == 0 and _grad_error(student[key], student["num_grad0"]) > GRAD_TOL:
            grad = np.asarray(student[key])
            for share, other in (("decoder_share", "encoder's"), ("encoder_share", "decoder's")):
                if _grad_error(grad, expected[share]) <= GRAD_TOL:
                    raise CheckFailure(
                        f"{call}: grads_wrt_params()[0] (dE/dW) holds only the "
                        f"{share.split('_')[0]}'s share: W is used twice, so its gradient is the SUM "
                        f"of both shares; the {other} share is missing"
                    )
        _check_numerical(
            f"{call}: grads_wrt_params()[{k}] ({what})",
            student,
            key,
            f"num_grad{k}",
            "W is used by the encoder and by the decoder: dE/dW is the sum of the encoder's share "
            "and the decoder's (grads_wrt_weights with the gradient at the decoder's outputs).",
        )
        assert_close(f"{call}: grads_wrt_params()[{k}] ({what})", student[key], expected[key], tol=OUTPUT_TOL)
    assert_true(
        flag(student, "drawn_float32"),
        f"tied_autoencoder({d}, {c}, rng): the parameters must have the default dtype float32",
    )
    w, w_ref = np.asarray(student["drawn_weights"]), np.asarray(expected["drawn_weights"])
    if w.shape != w_ref.shape or not np.allclose(w, w_ref, rtol=1e-6, atol=0):
        raise CheckFailure(
            f"tied_autoencoder({d}, {c}, rng): the default weights are not the ones drawn from rng: "
            "create the encoder with AffineLayer(input_dim, code_dim, rng=rng, "
            "weights_init=weights_init, dtype=dtype)"
        )
    worst = max(_grad_error(student[f"grad{k}"], student[f"num_grad{k}"]) for k in range(3))
    return f"W shared and updated once; gradients agree with central differences to {worst:.1e}"


# --------------------------------------------------------------------------- 5.9 linear autoencoder

_LIN_NAMES = ("dE/dW", "dE/db", "dE/dV", "dE/dc")


def _linear_inputs(rng: np.random.Generator) -> dict:
    n, d, k = int(rng.integers(6, 10)), int(rng.integers(5, 9)), int(rng.integers(2, 4))
    return {
        "x": rng.normal(0.0, 1.0, (n, d)),
        "w": rng.normal(0.0, 0.5, (k, d)),
        "b": rng.normal(0.0, 0.3, k),
        "v": rng.normal(0.0, 0.5, (d, k)),
        "c": rng.normal(0.0, 0.3, d),
    }


def _linear_probe(inputs: dict) -> dict:
    from mlplab.exercises.autoencoders import linear_autoencoder_grads
    from mlplab.gradcheck import numerical_gradient

    x = inputs["x"]
    params = [np.array(inputs[key], dtype=np.float64) for key in ("w", "b", "v", "c")]
    saved = [p.copy() for p in params]
    result = linear_autoencoder_grads(x.copy(), params)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise ProbeError("linear_autoencoder_grads must return a pair (error, [dE/dW, dE/db, dE/dV, dE/dc])")
    error, grads = result
    if not isinstance(grads, (list, tuple)):
        raise ProbeError(
            f"linear_autoencoder_grads returned {type(grads).__name__} as its gradients, expected a list of four arrays"
        )
    out = {
        "error": np.array(float(error)),
        "num_grads": np.array(len(grads)),
        "leaves_params": np.array(all(np.array_equal(p, q) for p, q in zip(params, saved))),
    }
    for k, grad in enumerate(grads[:4]):
        out[f"grad{k}"] = as_array(grad, "linear_autoencoder_grads")
    for k in range(4):
        work = [p.copy() for p in saved]
        out[f"num_grad{k}"] = numerical_gradient(lambda _, w=work: float(linear_autoencoder_grads(x, w)[0]), work[k])
    return out


def _linear_compare(student: dict, expected: dict, inputs: dict) -> str:
    n, d = inputs["x"].shape
    k = inputs["w"].shape[0]
    what = f"linear_autoencoder_grads(x of shape ({n}, {d}), code size {k})"
    assert_true(
        flag(student, "leaves_params"),
        f"{what} modified the parameters it was given; it only computes "
        "the error and the gradients (the caller updates the parameters)",
    )
    assert_ratio(
        f"{what}: the error E",
        number(student, "error"),
        number(expected, "error"),
        rel_tol=1e-9,
        hints={
            2.0: "the factor 0.5 is missing: E = (1/N) sum_n 0.5 ||x_hat_n - x_n||^2",
            float(n): "the error is summed over the batch instead of averaged over the N examples",
            1.0 / d: "the error is also averaged over the D entries of each input: sum over the "
            "entries, average over the examples only",
        },
    )
    count = int(student["num_grads"])
    assert_true(
        count == 4,
        f"{what} returned {count} gradients, expected 4: [dE/dW, dE/db, dE/dV, dE/dc], in the order of params",
    )
    for j, name in enumerate(_LIN_NAMES):
        key = f"grad{j}"
        grad, ref = np.asarray(student[key]), np.asarray(expected[key])
        label = f"{what}: {name} (gradient {j})"
        if grad.shape == ref.shape[::-1] != ref.shape:
            raise CheckFailure(
                f"{label} has shape {grad.shape}, expected {ref.shape}, the shape of its parameter: "
                "the product is transposed (a gradient has the shape of the array it is taken with "
                "respect to)"
            )
        assert_shape(label, grad, ref.shape)
        assert_finite(label, grad)
        numerical = np.asarray(student[f"num_grad{j}"])
        error = _grad_error(grad, numerical)
        if error > GRAD_TOL:
            hint = generic_hints(grad, numerical)
            raise CheckFailure(
                f"{label} disagrees with the central-difference gradient of your own error E "
                f"(relative error {error:.2e} > {GRAD_TOL:.0e})"
                + (f": {hint}" if hint else "")
                + ". Back-propagate dE/dx_hat = (x_hat - x) / N through the decoder to the code, then "
                "through the encoder"
            )
        assert_close(label, grad, ref, tol=OUTPUT_TOL)
    worst = max(_grad_error(student[f"grad{j}"], student[f"num_grad{j}"]) for j in range(4))
    return f"error and four gradients right; central differences agree to {worst:.1e}"


# --------------------------------------------------------------------------- 5.10 supervised pretraining

_SUP_KINDS = ("other", "AffineLayer", "SigmoidLayer", "TanhLayer", "ReluLayer")


def _sup_inputs(rng: np.random.Generator) -> dict:
    dims = np.array([int(rng.integers(6, 8)), int(rng.integers(4, 6)), int(rng.integers(3, 5))])
    return {
        "input_dim": int(rng.integers(5, 8)),
        "dims": dims,
        "classes": int(rng.integers(2, 4)),
        "x": rng.normal(0.0, 1.0, (6, 7)),
        "b": rng.normal(0.0, 0.5, 16),
        "seed": int(rng.integers(2**31)),
    }


def _other_init(shape, rng=None):
    """Another deterministic initialiser: weights that depend on the shape only."""
    n = int(np.prod(shape))
    return np.cos(0.23 * np.arange(n) + 0.2 * shape[0] - 0.05 * shape[1]).reshape(shape)


def _layer_kinds(layers) -> np.ndarray:
    return np.array(
        [_SUP_KINDS.index(type(layer).__name__) if type(layer).__name__ in _SUP_KINDS else 0 for layer in layers]
        or [-1]
    )


def _affine_dims(layers) -> np.ndarray:
    return np.array(
        [
            (int(getattr(layer, "input_dim", -1)), int(getattr(layer, "output_dim", -1)))
            for layer in layers
            if hasattr(layer, "weights")
        ]
        or [(-1, -1)]
    )


def _trained_classifier(input_dim: int, dims, classes: int, biases: np.ndarray, dtype):
    """A stand-in for a trained classifier: deterministic weights, non-zero biases, tanh units."""
    from mlplab.layers.activations import TanhLayer
    from mlplab.layers.affine import AffineLayer
    from mlplab.models import MultipleLayerModel

    widths = [input_dim, *dims]
    layers = []
    for a, b in zip(widths[:-1], widths[1:]):
        layers += [AffineLayer(a, b, weights_init=_other_init, dtype=dtype), TanhLayer()]
    layers.append(AffineLayer(widths[-1], classes, weights_init=_other_init, dtype=dtype))
    model = MultipleLayerModel(layers)
    for layer in model.layers[::2]:
        layer.biases[...] = biases[: layer.output_dim]
    return model


def _add_layer_probe(inputs: dict, out: dict) -> bool:
    from mlplab.exercises.autoencoders import add_hidden_layer

    d0, (h1, h2, h3), classes, seed = (
        int(inputs["input_dim"]),
        (int(h) for h in inputs["dims"]),
        int(inputs["classes"]),
        int(inputs["seed"]),
    )
    x = inputs["x"][:, :d0]
    old = _trained_classifier(d0, [h1, h2], classes, inputs["b"], np.float64)
    old_layers = list(old.layers)
    old_ids = {id(p) for p in old.params}
    result = add_hidden_layer(old, h3, np.random.default_rng([seed, 1]), weights_init=_deterministic_init)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise ProbeError("add_hidden_layer must return a pair (new_model, trainable)")
    new, trainable = result
    layers = list(getattr(new, "layers", []))
    params = list(new.params)
    out["add_kinds"] = _layer_kinds(layers)
    out["add_dims"] = _affine_dims(layers)
    out["add_old_kept"] = np.array([k < len(layers) and layers[k] is old_layers[k] for k in range(len(old_layers) - 1)])
    out["add_old_output_kept"] = np.array(any(layer is old_layers[-1] for layer in layers))
    out["add_old_unchanged"] = np.array(
        len(old.layers) == len(old_layers) and all(a is b for a, b in zip(old.layers, old_layers))
    )
    trainable = list(trainable) if trainable is not None else []
    out["add_trainable"] = np.array([int(bool(t)) for t in trainable] or [-1])
    out["add_param_is_old"] = np.array([int(id(p) in old_ids) for p in params] or [-1])
    if len(layers) != len(old_layers) + 2 or out["add_dims"].shape != (4, 2):
        return False
    out["add_outputs"] = as_array(new.fprop(x.copy())[-1], "the new model's fprop")
    new32, _ = add_hidden_layer(
        _trained_classifier(d0, [h1, h2], classes, inputs["b"], np.float32), h3, np.random.default_rng([seed, 1])
    )
    out["add_float32"] = np.array(all(np.asarray(p).dtype == np.float32 for p in new32.params))
    drawn, _ = add_hidden_layer(old, h3, np.random.default_rng([seed, 2]))
    drawn_params = list(drawn.params)
    out["add_drawn_hidden"] = np.asarray(drawn_params[-4], dtype=np.float64)
    out["add_drawn_output"] = np.asarray(drawn_params[-2], dtype=np.float64)
    return True


def _sup_probe(inputs: dict) -> dict:
    from mlplab.exercises.autoencoders import supervised_pretraining
    from mlplab.layers.activations import TanhLayer

    out: dict[str, np.ndarray] = {}
    if not _add_layer_probe(inputs, out):
        return out
    d0, classes, seed = int(inputs["input_dim"]), int(inputs["classes"]), int(inputs["seed"])
    dims = [int(h) for h in inputs["dims"]]
    x = inputs["x"][:, :d0]
    calls: list = []

    def train(model, trainable):
        k = len(calls)
        params = list(model.params)
        flags = [bool(t) for t in trainable]
        calls.append(model)
        out[f"call{k}_dims"] = _affine_dims(model.layers)
        out[f"call{k}_trainable"] = np.array([int(t) for t in flags] or [-1])
        out[f"call{k}_before"] = as_array(model.fprop(x.copy())[-1], "the model given to train: its fprop")
        for j, (param, t) in enumerate(zip(params, flags)):  # a stand-in for training, in place
            if t:
                param += 0.1 * (k + 1) * np.sin(np.arange(param.size) + j).reshape(param.shape)

    model = supervised_pretraining(
        d0,
        dims,
        classes,
        np.random.default_rng([seed, 3]),
        train=stand_in("train(model, trainable)", train),
        hidden=TanhLayer,
        weights_init=_deterministic_init,
        dtype=np.float64,
    )
    out["num_calls"] = np.array(len(calls))
    out["returned_last"] = np.array(bool(calls) and model is calls[-1])
    out["returned_kinds"] = _layer_kinds(getattr(model, "layers", []))
    out["returned_outputs"] = (
        as_array(model.fprop(x.copy())[-1], "the returned model's fprop") if hasattr(model, "fprop") else np.zeros(0)
    )
    return out


def _dims_text(dims: np.ndarray) -> str:
    return " -> ".join([str(int(dims[0][0]))] + [str(int(d[1])) for d in dims]) if len(dims) else "none"


def _add_layer_compare(student: dict, expected: dict, inputs: dict) -> None:
    h3 = int(inputs["dims"][2])
    what = f"add_hidden_layer(a trained {_dims_text(expected['add_dims'][:-1])} classifier, {h3}, rng)"
    assert_true(
        flag(student, "add_old_unchanged"),
        f"{what} changed the layers of the model it was given: build a new MultipleLayerModel",
    )
    dims, dims_ref = np.asarray(student["add_dims"]), np.asarray(expected["add_dims"])
    if flag(student, "add_old_output_kept"):
        raise CheckFailure(
            f"{what}: the new model still contains the old output layer (affine layers "
            f"{_dims_text(dims)}, expected {_dims_text(dims_ref)}): remove the output layer, and so "
            "the weights leading to the output, before adding the new hidden layer"
        )
    if dims.shape != dims_ref.shape or not np.array_equal(dims, dims_ref):
        raise CheckFailure(
            f"{what}: the new model's affine layers are {_dims_text(dims)}, expected "
            f"{_dims_text(dims_ref)}: the trained hidden layers, a new hidden layer of {h3} units and "
            "a new output layer with as many outputs as the old one"
        )
    kinds, kinds_ref = np.asarray(student["add_kinds"]), np.asarray(expected["add_kinds"])
    if kinds.shape != kinds_ref.shape or not np.array_equal(kinds, kinds_ref):
        names = ", ".join(_SUP_KINDS[int(i)] if 0 <= int(i) < len(_SUP_KINDS) else "none" for i in kinds)
        names_ref = ", ".join(_SUP_KINDS[int(i)] for i in kinds_ref)
        raise CheckFailure(
            f"{what}: layers [{names}], expected [{names_ref}]: the new hidden layer's activation is "
            "of the class of the last trained one (type(model.layers[-2])())"
        )
    assert_true(
        bool(np.all(np.asarray(student["add_old_kept"]))),
        f"{what}: the first layers of the new model are not the trained layers themselves (copies, or new "
        "layers?): the new model is built on model.layers[:-1], the very layers that were trained",
    )
    trainable, is_old = np.asarray(student["add_trainable"]), np.asarray(expected["add_param_is_old"])
    if trainable.shape != is_old.shape:
        raise CheckFailure(
            f"{what}: trainable has {trainable.size} entries for {is_old.size} parameter arrays: one "
            "boolean per array of new_model.params, in that order"
        )
    if np.all(trainable == 1):
        raise CheckFailure(
            f"{what}: every parameter is marked trainable, so the old layers are trained too: while "
            "pretraining, only the newly added weights train (False for the arrays of the old layers)"
        )
    if not np.array_equal(trainable, 1 - is_old):
        new_off = int(np.sum((trainable == 0) & (is_old == 0)))
        old_on = int(np.sum((trainable == 1) & (is_old == 1)))
        raise CheckFailure(
            f"{what}: trainable is {trainable.tolist()}, expected {(1 - is_old).tolist()}: "
            f"{new_off} arrays of the new layers are frozen and {old_on} of the old layers train. "
            "Every array of the two new layers (weights and biases of the new hidden layer and of "
            "the new output layer) trains; nothing else"
        )
    assert_close(
        f"{what} with a fixed weights_init: the new model's outputs",
        student["add_outputs"],
        expected["add_outputs"],
        tol=EXACT_TOL,
    )
    assert_true(
        flag(student, "add_float32"),
        f"{what}: a float32 model must give new layers of float32 (the dtype of the old output layer)",
    )
    for key, layer in (("add_drawn_hidden", "new hidden"), ("add_drawn_output", "new output")):
        w, w_ref = np.asarray(student[key]), np.asarray(expected[key])
        if w.shape != w_ref.shape or not np.allclose(w, w_ref, rtol=1e-6, atol=0):
            raise CheckFailure(
                f"{what} without weights_init: the {layer} layer's weights are not the ones drawn "
                "from rng: create the new hidden affine layer first and then the new output layer, "
                "both with rng=rng and weights_init=weights_init"
            )


def _sup_compare(student: dict, expected: dict, inputs: dict) -> str:
    _add_layer_compare(student, expected, inputs)
    dims = [int(h) for h in inputs["dims"]]
    what = (
        f"supervised_pretraining({int(inputs['input_dim'])}, {dims}, {int(inputs['classes'])}, rng, train=..., "
        "hidden=TanhLayer)"
    )
    count, count_ref = int(student["num_calls"]), int(expected["num_calls"])
    if count == count_ref - 1 and count and not np.all(np.asarray(student[f"call{count - 1}_trainable"]) == 1):
        raise CheckFailure(
            f"{what}: train was called {count} times, expected {count_ref}, and the last call "
            "trained only the new weights: after the last layer is added, fine-tune the whole "
            "network, with one more call of train in which every parameter array trains"
        )
    assert_true(
        count == count_ref,
        f"{what}: train was called {count} times, expected {count_ref}: once for the network with one "
        "hidden layer, once for every added layer (its new weights only) and once at the end to fine-tune "
        "the whole network",
    )
    for k in range(count_ref):
        stage = "the fine-tuning" if k == count_ref - 1 else ("the first network" if k == 0 else f"stage {k}")
        d, d_ref = np.asarray(student[f"call{k}_dims"]), np.asarray(expected[f"call{k}_dims"])
        if d.shape != d_ref.shape or not np.array_equal(d, d_ref):
            raise CheckFailure(
                f"{what}: call {k} of train ({stage}) got a network with affine layers "
                f"{_dims_text(d)}, expected {_dims_text(d_ref)}"
            )
        t, t_ref = np.asarray(student[f"call{k}_trainable"]), np.asarray(expected[f"call{k}_trainable"])
        if t.shape != t_ref.shape or not np.array_equal(t, t_ref):
            if k == count_ref - 1:
                raise CheckFailure(
                    f"{what}: the last call of train was given trainable={t.tolist()}: fine-tuning "
                    "trains every weight of the whole network together (all True)"
                )
            raise CheckFailure(
                f"{what}: call {k} of train ({stage}) was given trainable={t.tolist()}, expected {t_ref.tolist()}"
            )
        assert_close(
            f"{what}: the outputs of the network given to train in call {k} ({stage}), before it trains "
            "(fixed weights_init)",
            student[f"call{k}_before"],
            expected[f"call{k}_before"],
            tol=EXACT_TOL,
            hints=(
                lambda a, b, k=k: (
                    "likely, it does not start from the weights the previous calls "
                    "trained: build each stage on the trained model"
                    if k
                    else None
                ),
            ),
        )
    assert_true(
        flag(student, "returned_last"),
        f"{what}: did not return the model given to the last call of train (the fine-tuned network)",
    )
    assert_close(
        f"{what}: the returned model's outputs",
        student["returned_outputs"],
        expected["returned_outputs"],
        tol=EXACT_TOL,
    )
    return f"{count} calls of train: the first network, {count - 2} added layers (new weights only), fine-tuning"


# --------------------------------------------------------------------------- the checks

CHECKS = [
    TaskCheck("lab5.gaussian", _gaussian_inputs, _gaussian_probe, _gaussian_compare),
    TaskCheck("lab5.masking", _masking_inputs, _masking_probe, _masking_compare),
    TaskCheck("lab5.salt_and_pepper", _salt_inputs, _salt_probe, _salt_compare),
    TaskCheck("lab5.autoencoder", _autoencoder_inputs, _autoencoder_probe, _autoencoder_compare),
    TaskCheck("lab5.denoising_provider", _denoising_inputs, _denoising_probe, _denoising_compare),
    TaskCheck("lab5.pretrain_stack", _pretrain_inputs, _pretrain_probe, _pretrain_compare),
    TaskCheck("lab5.pretrained_classifier", _classifier_inputs, _classifier_probe, _classifier_compare),
    TaskCheck("lab5.tied_autoencoder", _tied_inputs, _tied_probe, _tied_compare),
    TaskCheck("lab5.linear_autoencoder", _linear_inputs, _linear_probe, _linear_compare),
    TaskCheck("lab5.supervised_pretraining", _sup_inputs, _sup_probe, _sup_compare),
]
