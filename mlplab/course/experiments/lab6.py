"""Experiments of Lab 6: optimisers and learning-rate schedules.

Every function here is deterministic given its ``seed`` (an int or an
``np.random.Generator``) and returns plain data for the notebook to plot.
The learning rules are your classes in ``mlplab/exercises/optimisers.py`` (tasks
6.1-6.6) and plain gradient descent; they are looked up by the names in
``RULES`` when an experiment runs, so importing this module never imports your
code, and a missing rule only affects the experiments that use it.

Two kinds of problems:

* a two-dimensional quadratic bowl ``f(x) = (l1 x1**2 + l2 x2**2) / 2`` with
  curvatures ``l1 = 1`` and ``l2 = 0.02`` (condition number 50): steep across,
  shallow along; its gradient ``(l1 x1, l2 x2)`` is exact, so what happens is
  the optimiser's doing alone;
* a ReLU network (784-100-10, He-initialised weights drawn here, zero biases)
  trained with softmax cross-entropy on the shipped 3,000 MNIST training
  digits, minibatches of 50, pixels scaled to ``[0, 1]``. Runs that are
  compared start from the same weights and see the minibatches in the same
  order.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from tqdm.auto import tqdm

from mlplab import learning_rules
from mlplab.course.experiments import as_generator
from mlplab.data import mnist5k_providers
from mlplab.errors import CrossEntropySoftmaxError
from mlplab.models import mlp
from mlplab.training import History, Trainer

Seed = int | np.random.Generator

CURVATURES = (1.0, 0.02)
"""``(l1, l2)`` of the quadratic bowl: the largest and the smallest curvature."""
START = (1.0, 1.5)
"""Where every run on the bowl starts."""

RULES: dict[str, str] = {
    "SGD": "GradientDescentLearningRule",
    "momentum": "MomentumLearningRule",
    "Nesterov": "NesterovMomentumLearningRule",
    "AdaGrad": "AdaGradLearningRule",
    "RMSProp": "RMSPropLearningRule",
    "Adam": "AdamLearningRule",
    "AdaDelta": "AdaDeltaLearningRule",
    "AdaMax": "AdaMaxLearningRule",
    "Nadam": "NadamLearningRule",
    "AMSGrad": "AMSGradLearningRule",
    "AdamW": "AdamWLearningRule",
}
"""Short names of the learning rules -> class names (``mlplab.learning_rules``; the Lab 6 ones: your code in
``mlplab.exercises.optimisers`` and, for Adam's relatives, ``mlplab.exercises.adam_variants``)."""

ADAM_RELATIVES = ("AdaMax", "Nadam", "AMSGrad", "AdamW")
"""The rules of ``mlplab.exercises.adam_variants`` (tasks 6.8-6.11)."""

MNIST_SETTINGS: dict[str, dict[str, float]] = {
    "SGD": {"learning_rate": 0.05},
    "momentum": {"learning_rate": 0.05, "mom_coeff": 0.9},
    "Nesterov": {"learning_rate": 0.05, "mom_coeff": 0.9},
    "AdaGrad": {"learning_rate": 0.05},
    "RMSProp": {"learning_rate": 1e-3, "decay": 0.9},
    "Adam": {"learning_rate": 1e-3},
    "AdaDelta": {"learning_rate": 1.0, "rho": 0.95, "eps": 1e-6},
}
"""Hyper-parameters of each rule in :func:`train_with_optimisers`: the usual defaults, not tuned."""


def make_rule(name: str, **hyper):
    """A learning rule by short name (a key of ``RULES``), with its hyper-parameters."""
    from mlplab.exercises import adam_variants, optimisers

    if name not in RULES:
        raise ValueError(f"unknown learning rule {name!r}; known: {', '.join(RULES)}")
    module = learning_rules if name == "SGD" else adam_variants if name in ADAM_RELATIVES else optimisers
    return getattr(module, RULES[name])(**hyper)


# --------------------------------------------------------------------------- the quadratic bowl


def quadratic_loss(points: np.ndarray, curvatures: Sequence[float] = CURVATURES) -> np.ndarray:
    """``f`` at points of shape ``(..., 2)``."""
    points = np.asarray(points, dtype=np.float64)
    return 0.5 * (points**2 @ np.asarray(curvatures, dtype=np.float64))


def quadratic_contours(
    extent: tuple[float, float, float, float] = (-1.6, 1.6, -0.6, 1.8),
    resolution: int = 200,
    curvatures: Sequence[float] = CURVATURES,
) -> dict[str, np.ndarray]:
    """``{"x1", "x2", "loss"}`` on a grid over ``(x1_min, x1_max, x2_min, x2_max)``, for a contour plot."""
    x1, x2 = np.meshgrid(np.linspace(extent[0], extent[1], resolution), np.linspace(extent[2], extent[3], resolution))
    return {"x1": x1, "x2": x2, "loss": quadratic_loss(np.stack([x1, x2], axis=-1), curvatures)}


def run_on_quadratic(
    rule_name: str, num_steps: int, start: Sequence[float] = START, curvatures: Sequence[float] = CURVATURES, **hyper
) -> dict[str, np.ndarray]:
    """Runs a learning rule on the bowl with exact gradients.

    Returns:
        ``{"path": (num_steps + 1, 2) points, "loss": (num_steps + 1,) values}``; a run whose loss
        exceeds 1e12 (diverged) is stopped and the rest of ``loss`` is ``inf``.
    """
    rule = make_rule(rule_name, **hyper)
    curvature = np.asarray(curvatures, dtype=np.float64)
    point = np.array(start, dtype=np.float64)
    rule.initialise([point])
    path = np.full((num_steps + 1, 2), np.nan)
    loss = np.full(num_steps + 1, np.inf)
    path[0], loss[0] = point, quadratic_loss(point, curvatures)
    with np.errstate(all="ignore"):
        for step in range(1, num_steps + 1):
            rule.update_params([curvature * point])
            path[step], loss[step] = point, quadratic_loss(point, curvatures)
            if not loss[step] < 1e12:
                loss[step] = np.inf
                break
    return {"path": path, "loss": loss}


def steps_to_tolerance(loss: np.ndarray, tolerance: float) -> int | None:
    """The first step at which ``loss <= tolerance * loss[0]``, or None if that never happens."""
    reached = np.flatnonzero(np.asarray(loss) <= tolerance * loss[0])
    return int(reached[0]) if reached.size else None


def optimiser_race(
    names: Sequence[str] = ("SGD", "momentum", "Nesterov", "Adam"),
    learning_rate: float = 0.5,
    mom_coeff: float = 0.9,
    adam_learning_rate: float = 0.05,
    num_steps: int = 400,
    tolerance: float = 1e-4,
) -> dict[str, dict]:
    """SGD, momentum and Nesterov at one learning rate, and Adam at its own, on the bowl from ``START``.

    Returns:
        rule name -> ``{"path", "loss", "steps"}``: ``steps`` is :func:`steps_to_tolerance` of the run
        (loss down to ``tolerance`` times the initial loss), None if it never gets there.
    """
    settings = {
        "SGD": {"learning_rate": learning_rate},
        "momentum": {"learning_rate": learning_rate, "mom_coeff": mom_coeff},
        "Nesterov": {"learning_rate": learning_rate, "mom_coeff": mom_coeff},
        "Adam": {"learning_rate": adam_learning_rate},
    }
    unknown = [name for name in names if name not in settings]
    if unknown:
        raise ValueError(f"unknown rule {unknown[0]!r} for the race; known: {', '.join(settings)}")
    runs = {}
    for name in names:
        hyper = settings[name]
        run = run_on_quadratic(name, num_steps, **hyper)
        run["steps"] = steps_to_tolerance(run["loss"], tolerance)
        runs[name] = run
    return runs


def learning_rate_sweep(
    learning_rates: Sequence[float],
    rule_names: Sequence[str] = ("SGD", "momentum"),
    mom_coeff: float = 0.9,
    num_steps: int = 200,
) -> dict[str, np.ndarray]:
    """The loss after ``num_steps`` relative to the initial loss, for every learning rate and rule.

    Returns:
        ``{"learning_rates": (n,), "<rule>": (n,) final / initial loss (inf: diverged)}``.
    """
    result = {"learning_rates": np.asarray(learning_rates, dtype=np.float64)}
    for name in rule_names:
        extra = {"mom_coeff": mom_coeff} if name in ("momentum", "Nesterov") else {}
        ratios = []
        for rate in learning_rates:
            loss = run_on_quadratic(name, num_steps, learning_rate=float(rate), **extra)["loss"]
            ratios.append(loss[-1] / loss[0])
        result[name] = np.array(ratios)
    return result


def largest_stable_sgd_rate(curvatures: Sequence[float] = CURVATURES) -> float:
    """``2 / l_max``: on a quadratic, gradient descent converges exactly for learning rates below it.

    Along a direction of curvature ``l`` one step multiplies the coordinate by ``1 - eta l``, which
    shrinks it only if ``|1 - eta l| < 1``, i.e. ``eta < 2 / l``; the steepest direction decides.
    """
    return 2.0 / max(curvatures)


# --------------------------------------------------------------------------- Adam's bias correction


def adam_bias_correction(
    num_steps: int = 40,
    learning_rate: float = 1e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    num_params: int = 20,
    seed: Seed = 0,
) -> dict[str, np.ndarray]:
    """Your Adam rule given the same gradient ``g`` in every step (entries of size 0.1 to 10).

    With a constant gradient the true moments are ``g`` and ``g**2``; the estimates that start
    from zero are ``(1 - beta1**t) g`` and ``(1 - beta2**t) g**2``. The function reads them from
    your rule (``first_moments``, ``second_moments``) and measures its steps.

    Returns:
        ``{"t": 1..num_steps, "m_ratio": m / g, "v_ratio": v / g**2 (averages over the entries),
        "step": |corrected step| / learning_rate, "uncorrected_step": |learning_rate m / (sqrt(v) + eps)|
        / learning_rate, "beta1", "beta2"}``.
    """
    rng = as_generator(seed)
    grad = 10.0 ** rng.uniform(-1, 1, num_params) * rng.choice([-1.0, 1.0], num_params)
    param = rng.standard_normal(num_params)
    rule = make_rule("Adam", learning_rate=learning_rate, beta1=beta1, beta2=beta2)
    rule.initialise([param])
    m_ratio, v_ratio, step, uncorrected = [], [], [], []
    for _ in range(num_steps):
        before = param.copy()
        rule.update_params([grad.copy()])
        m, v = rule.first_moments[0], rule.second_moments[0]
        m_ratio.append(np.mean(m / grad))
        v_ratio.append(np.mean(v / grad**2))
        step.append(np.mean(np.abs(param - before)) / learning_rate)
        uncorrected.append(np.mean(np.abs(m / (np.sqrt(v) + rule.eps))))
    return {
        "t": np.arange(1, num_steps + 1),
        "m_ratio": np.array(m_ratio),
        "v_ratio": np.array(v_ratio),
        "step": np.array(step),
        "uncorrected_step": np.array(uncorrected),
        "beta1": beta1,
        "beta2": beta2,
    }


# --------------------------------------------------------------------------- effective learning rates


def effective_learning_rates(
    num_steps: int = 300,
    drop_at: int = 150,
    drop_factor: float = 0.1,
    num_params: int = 50,
    adagrad_rate: float = 0.1,
    rmsprop_rate: float = 0.01,
    decay: float = 0.9,
    seed: Seed = 0,
) -> dict[str, np.ndarray]:
    """Effective learning rates ``-step / g`` of AdaGrad and RMSProp when the gradients shrink.

    The gradients are random (standard normal entries) and their scale drops by ``drop_factor``
    at step ``drop_at``, as when training reaches a flatter region. For both rules the step of an
    entry is ``-rate_eff * g`` with ``rate_eff = learning_rate / sqrt(accumulator + eps)``, so the
    effective rate is read off the steps.

    Returns:
        ``{"t": 1..num_steps, "scale": gradient scale per step, "AdaGrad": (num_steps, num_params),
        "RMSProp": (num_steps, num_params)}`` effective rates per step and entry.
    """
    rng = as_generator(seed)
    scale = np.where(np.arange(num_steps) < drop_at, 1.0, drop_factor)
    grads = rng.standard_normal((num_steps, num_params)) * scale[:, None]
    result: dict[str, np.ndarray] = {"t": np.arange(1, num_steps + 1), "scale": scale}
    for name, hyper in (
        ("AdaGrad", {"learning_rate": adagrad_rate}),
        ("RMSProp", {"learning_rate": rmsprop_rate, "decay": decay}),
    ):
        param = np.zeros(num_params)
        rule = make_rule(name, **hyper)
        rule.initialise([param])
        rates = np.empty((num_steps, num_params))
        for t, grad in enumerate(grads):
            before = param.copy()
            rule.update_params([grad.copy()])
            rates[t] = -(param - before) / grad
        result[name] = rates
    return result


# --------------------------------------------------------------------------- Adam's relatives


def step_sizes_after_a_drop(
    names: Sequence[str] = ("Adam", "AMSGrad", "AdaMax", "Nadam"),
    num_steps: int = 400,
    drop_at: int = 150,
    drop_factor: float = 0.1,
    num_params: int = 50,
    learning_rate: float = 1e-2,
    beta2: float = 0.99,
    seed: Seed = 0,
) -> dict[str, np.ndarray]:
    """The mean step size ``|change of a parameter|`` of each rule when the gradients shrink.

    Every entry's gradient is ``scale * (1 + z)`` with ``z`` standard normal: a consistent direction
    with noise. ``scale`` is 1 and drops to ``drop_factor`` at step ``drop_at``. Every rule sees the
    same gradients, with ``beta1 = 0.9`` and the given ``beta2``.

    Returns:
        ``{"t": 1..num_steps, "<name>": (num_steps,) mean step size over the entries}``.
    """
    rng = as_generator(seed)
    scale = np.where(np.arange(num_steps) < drop_at, 1.0, drop_factor)
    grads = (1.0 + rng.standard_normal((num_steps, num_params))) * scale[:, None]
    result: dict[str, np.ndarray] = {"t": np.arange(1, num_steps + 1)}
    for name in names:
        param = np.zeros(num_params)
        rule = make_rule(name, learning_rate=learning_rate, beta1=0.9, beta2=beta2)
        rule.initialise([param])
        sizes = np.empty(num_steps)
        for t, grad in enumerate(grads):
            before = param.copy()
            rule.update_params([grad.copy()])
            sizes[t] = np.mean(np.abs(param - before))
        result[name] = sizes
    return result


def decoupled_weight_decay(
    weight_decay: float = 0.1,
    learning_rate: float = 0.01,
    num_steps: int = 1000,
    gradient_scales: tuple[float, float] = (1.0, 0.01),
    group_size: int = 25,
    seed: Seed = 0,
) -> dict[str, dict[str, float]]:
    """Weight decay through the gradient (Adam with L2) against decoupled decay (AdamW), without any loss.

    Two groups of ``group_size`` parameters start at 1; their gradients are pure noise, of standard
    deviation ``gradient_scales[0]`` for the first group and ``gradient_scales[1]`` for the second, so
    only the decay can shrink them on average. "Adam + L2" is your Adam given ``g + weight_decay * p``;
    "AdamW" is your AdamW with ``weight_decay``. Both see the same noise.

    Returns:
        ``{"Adam + L2": {"large gradients": mean |p|, "small gradients": mean |p|}, "AdamW": {...},
        "pure decay": (1 - learning_rate * weight_decay) ** num_steps}``.
    """
    rng = as_generator(seed)
    scales = np.repeat(np.asarray(gradient_scales, dtype=np.float64), group_size)
    noise = rng.standard_normal((num_steps, scales.size)) * scales
    result: dict = {"pure decay": float((1 - learning_rate * weight_decay) ** num_steps)}
    for name in ("Adam + L2", "AdamW"):
        param = np.ones(scales.size)
        coupled = name == "Adam + L2"
        rule = (
            make_rule("Adam", learning_rate=learning_rate)
            if coupled
            else make_rule("AdamW", learning_rate=learning_rate, weight_decay=weight_decay)
        )
        rule.initialise([param])
        for grad in noise:
            rule.update_params([grad + weight_decay * param if coupled else grad.copy()])
        result[name] = {
            "large gradients": float(np.mean(np.abs(param[:group_size]))),
            "small gradients": float(np.mean(np.abs(param[group_size:]))),
        }
    return result


def clipping_on_the_bowl(
    learning_rate: float = 2.2, max_norm: float = 1.0, num_steps: int = 200, start: Sequence[float] = START
) -> dict[str, np.ndarray]:
    """Gradient descent on the bowl above its stable learning rate (2), with and without your clipping.

    Returns:
        ``{"step": 0..num_steps, "plain": loss per step, "clipped": loss per step,
        "clipped norms": the global gradient norm before clipping, per step}``.
    """
    from mlplab.exercises.gradient_clipping import clip_by_global_norm

    curvature = np.asarray(CURVATURES, dtype=np.float64)
    result: dict[str, np.ndarray] = {"step": np.arange(num_steps + 1)}
    norms = []
    for name in ("plain", "clipped"):
        point = np.asarray(start, dtype=np.float64).copy()
        rule = make_rule("SGD", learning_rate=learning_rate)
        rule.initialise([point])
        losses = [float(quadratic_loss(point))]
        with np.errstate(all="ignore"):
            for _ in range(num_steps):
                grad = [curvature * point]
                if name == "clipped":
                    grad, norm = clip_by_global_norm(grad, max_norm)
                    norms.append(norm)
                rule.update_params(grad)
                losses.append(float(quadratic_loss(point)))
        result[name] = np.array(losses)
    result["clipped norms"] = np.array(norms)
    return result


# --------------------------------------------------------------------------- schedules


def schedule_curves(num_epochs: int = 40, initial_rate: float = 0.1) -> dict[str, np.ndarray]:
    """Your three schedules (task 6.7) over ``num_epochs`` epochs.

    Returns:
        ``{"epoch": 0..num_epochs - 1, "step decay (x0.5 every 10)", "exponential (k = 0.05)",
        "warm-up 5 + cosine"}``.
    """
    from mlplab.exercises.optimisers import exponential_decay, step_decay, warmup_cosine

    epochs = np.arange(num_epochs)
    return {
        "epoch": epochs,
        "step decay (x0.5 every 10)": np.array([step_decay(t, initial_rate, 0.5, 10) for t in epochs]),
        "exponential (k = 0.05)": np.array([exponential_decay(t, initial_rate, 0.05) for t in epochs]),
        "warm-up 5 + cosine": np.array([warmup_cosine(t, initial_rate, num_epochs - 1, 5) for t in epochs]),
    }


def momentum_schedule(steps: np.ndarray, mom_max: float = 0.99) -> np.ndarray:
    """The momentum schedule of Sutskever et al. (2013): ``min(1 - 2**(-1 - log2(floor(t / 250) + 1)), mom_max)``.

    It starts at 0.5 and moves towards 1 in stages (0.75 after 250 steps, 0.833 after 500, ...).
    """
    stage = np.floor(np.asarray(steps) / 250) + 1
    return np.minimum(1 - 2.0 ** (-1 - np.log2(stage)), mom_max)


# --------------------------------------------------------------------------- MNIST


def he_normal(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """He initialisation for ReLU units, ``N(0, 2 / n_in)`` (provided here, independent of Lab 1)."""
    return rng.normal(0.0, math.sqrt(2.0 / shape[1]), size=shape)


def _zeros(shape, rng):
    return np.zeros(shape)


def train_with_optimisers(
    names: Sequence[str] = tuple(MNIST_SETTINGS),
    num_epochs: int = 15,
    hidden_dim: int = 100,
    max_batches: int | None = None,
    schedules: dict[str, Callable[[int], float]] | None = None,
    seed: Seed = 0,
    progress: bool = True,
) -> dict[str, History]:
    """Trains the same network on MNIST with each named rule (settings from ``MNIST_SETTINGS``).

    Args:
        names: keys of ``MNIST_SETTINGS``, optionally followed by `` + <label>`` (e.g. ``"SGD + step decay"``)
            to tell apart runs of one rule with different ``schedules``.
        max_batches: minibatches per epoch (None: all 60).
        schedules: optional ``{name: epoch -> learning rate}``; the rule's ``learning_rate`` is set
            to ``schedule(epoch)`` before every epoch (epochs count from 0).
        seed: draws the initial weights and the minibatch order, the same for every rule.

    Returns:
        name -> ``History`` (training error measured during the epoch, validation error after it).
    """

    unknown = [name for name in names if name.split(" + ")[0] not in MNIST_SETTINGS]
    if unknown:
        raise ValueError(f"unknown optimiser setting {unknown[0]!r}; known: {', '.join(MNIST_SETTINGS)}")
    schedules = schedules or {}
    rng = as_generator(seed)
    weight_seed, data_seed = int(rng.integers(2**63)), int(rng.integers(2**63))
    histories = {}
    bar = tqdm(total=len(names) * num_epochs, desc="training", unit="epoch", disable=not progress)
    try:
        for name in names:
            train, valid, _ = mnist5k_providers(50, rng=np.random.default_rng(data_seed), max_batches=max_batches)
            model = mlp(
                [784, hidden_dim, 10],
                rng=np.random.default_rng(weight_seed),
                weights_init=he_normal,
                biases_init=_zeros,
            )
            rule_name = name.split(" + ")[0]
            rule = make_rule(rule_name, **MNIST_SETTINGS[rule_name])
            trainer = Trainer(model, CrossEntropySoftmaxError(), rule, train, valid)
            history = History()
            for epoch in range(num_epochs):
                if name in schedules:
                    rule.learning_rate = float(schedules[name](epoch))
                run = trainer.train(1, progress=False)
                bar.update(1)
                history.epoch.append(epoch + 1)
                for key in ("train_error", "train_acc", "valid_error", "valid_acc", "time"):
                    getattr(history, key).append(getattr(run, key)[0] if getattr(run, key) else math.nan)
                if run.diverged:
                    history.diverged = True
                    break
            finite = [e if math.isfinite(e) else math.inf for e in history.valid_error]
            history.best_epoch = history.epoch[int(np.argmin(finite))] if finite else None
            histories[name] = history
    finally:
        bar.close()
    return histories


MOMENTUM_SETTINGS: dict[str, float | None] = {
    "alpha = 0.5": 0.5,
    "alpha = 0.9": 0.9,
    "alpha = 0.99": 0.99,
    "schedule, max 0.99": None,
}
"""Momentum coefficients of :func:`momentum_on_a_deep_net`: a constant, or None for ``momentum_schedule``."""


def momentum_on_a_deep_net(
    settings: dict[str, float | None] = MOMENTUM_SETTINGS,
    learning_rate: float = 0.01,
    num_hidden_layers: int = 5,
    hidden_dim: int = 100,
    num_epochs: int = 15,
    mom_max: float = 0.99,
    seed: Seed = 0,
    progress: bool = True,
) -> dict[str, dict]:
    """Trains a deep ReLU network with your momentum rule, the coefficient constant or scheduled per step.

    The network is ``784 - hidden_dim x num_hidden_layers - 10`` (He weights, zero biases) on the
    3,000 MNIST training digits in minibatches of 50; every setting starts from the same weights,
    sees the same minibatches and uses the same learning rate. Before every step the rule's
    ``mom_coeff`` is set to the setting's constant, or to ``momentum_schedule(step, mom_max)``.

    Returns:
        ``label -> {"train_error": (num_epochs,) mean minibatch error of each epoch,
        "mom_coeff": (steps,) the coefficient of every step}``.
    """
    from mlplab.data import mnist5k_providers
    from mlplab.errors import CrossEntropySoftmaxError
    from mlplab.models import mlp

    rng = as_generator(seed)
    weight_seed, data_seed = int(rng.integers(2**63)), int(rng.integers(2**63))
    error = CrossEntropySoftmaxError()
    results = {}
    for label in tqdm(settings, desc="momentum settings", unit="run", disable=not progress):
        train, _, _ = mnist5k_providers(50, rng=np.random.default_rng(data_seed), dtype=np.float64)
        model = mlp(
            [784] + [hidden_dim] * num_hidden_layers + [10],
            rng=np.random.default_rng(weight_seed),
            weights_init=he_normal,
            biases_init=_zeros,
            dtype=np.float64,
        )
        rule = make_rule("momentum", learning_rate=learning_rate)
        rule.initialise(model.params)
        errors, coefficients = [], []
        with np.errstate(all="ignore"):
            for _ in range(num_epochs):
                total = 0.0
                for inputs, targets in train:
                    constant = settings[label]
                    rule.mom_coeff = float(
                        momentum_schedule(len(coefficients), mom_max) if constant is None else constant
                    )
                    coefficients.append(rule.mom_coeff)
                    activations = model.fprop(inputs)
                    total += float(error(activations[-1], targets))
                    rule.update_params(model.grads_wrt_params(activations, error.grad(activations[-1], targets)))
                errors.append(total / train.num_batches)
        results[label] = {"train_error": np.array(errors), "mom_coeff": np.array(coefficients)}
    return results


def schedules_on_noisy_bowl(
    schedules: dict[str, Callable[[int], float]],
    num_epochs: int = 40,
    steps_per_epoch: int = 25,
    noise: float = 0.3,
    num_runs: int = 200,
    seed: Seed = 0,
) -> dict[str, np.ndarray]:
    """Gradient descent on the bowl with noisy gradients, the learning rate set by a schedule every epoch.

    Each step's gradient is the exact one plus independent Gaussian noise of standard deviation
    ``noise`` per coordinate, like a minibatch gradient. ``num_runs`` independent runs start from
    ``START`` and share nothing but the schedule; all schedules see the same noise.

    Returns:
        ``{"epoch": 1..num_epochs, "<name>": mean loss over the runs at the end of each epoch,
        "<name> rate": the learning rate of each epoch}``.
    """
    noise_seed = int(as_generator(seed).integers(2**63))
    curvature = np.asarray(CURVATURES, dtype=np.float64)
    result: dict[str, np.ndarray] = {"epoch": np.arange(1, num_epochs + 1)}
    for name, schedule in schedules.items():
        rng = np.random.default_rng(noise_seed)
        points = np.tile(np.asarray(START, dtype=np.float64), (num_runs, 1))
        rule = make_rule("SGD")
        rule.initialise([points])
        losses, rates = [], []
        with np.errstate(all="ignore"):
            for epoch in range(num_epochs):
                rule.learning_rate = float(schedule(epoch))
                for _ in range(steps_per_epoch):
                    rule.update_params([curvature * points + noise * rng.standard_normal(points.shape)])
                losses.append(float(np.mean(quadratic_loss(points))))
                rates.append(rule.learning_rate)
        result[name], result[f"{name} rate"] = np.array(losses), np.array(rates)
    return result
