"""Experiments of Lab 5: autoencoders, denoising and pretraining.

Every function here is deterministic given its ``seed`` (an int or an
``np.random.Generator``) and returns plain data for the notebook to plot. The
functions that need your exercise code (``mlplab.exercises.autoencoders``) import it when
they run, so importing this module never runs your code.

All runs use the shipped MNIST digits (``load_mnist5k``) with pixels scaled to
``[0, 1]``, sigmoid units, Glorot-uniform weights (drawn here, not with your
Lab 1 code), zero biases and plain minibatch gradient descent. Autoencoders are
trained on the sum-of-squared-differences error by ``train_autoencoder``;
classifiers on softmax cross-entropy.

Corruptions are named by the keys of ``CORRUPTIONS`` (``"none"``,
``"gaussian 0.3"``, ``"masking 0.3"``, ``"salt and pepper 0.2"``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial

import numpy as np

from mlplab.course.experiments import as_generator
from mlplab.course.experiments.lab3 import image_grid
from mlplab.data import MinibatchProvider, load_mnist5k
from mlplab.errors import CrossEntropySoftmaxError, SumOfSquaredDiffsError
from mlplab.layers.activations import SigmoidLayer
from mlplab.learning_rules import GradientDescentLearningRule
from mlplab.models import MultipleLayerModel, mlp
from mlplab.training import History, Trainer, train_autoencoder

Seed = int | np.random.Generator

CORRUPTIONS: dict[str, tuple[str, dict[str, float]]] = {
    "none": ("", {}),
    "gaussian 0.3": ("gaussian_corruption", {"std": 0.3}),
    "masking 0.3": ("masking_corruption", {"drop_prob": 0.3}),
    "salt and pepper 0.2": ("salt_and_pepper_corruption", {"fraction": 0.2}),
}
"""Corruption name -> (function of ``mlplab.exercises.autoencoders``, its keyword arguments)."""

__all__ = [
    "CORRUPTIONS",
    "image_grid",
    "glorot_uniform",
    "mnist_digits",
    "corruption",
    "corruption_examples",
    "train_autoencoders",
    "reconstruction_errors",
    "reconstructions",
    "filters",
    "filter_smoothness",
    "pretraining_vs_random",
    "PRETRAINING_METHODS",
    "tied_vs_untied",
    "linear_autoencoder_vs_pca",
    "transfer_vs_random",
]


def glorot_uniform(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Glorot-uniform weights, ``U(-a, a)`` with ``a = sqrt(6 / (fan_in + fan_out))`` (provided here)."""
    limit = math.sqrt(6.0 / (shape[0] + shape[1]))
    return rng.uniform(-limit, limit, size=shape)


def _seed_from(rng: np.random.Generator) -> int:
    return int(rng.integers(2**63))


def mnist_digits(num_train: int = 3000, num_valid: int = 1000) -> dict[str, np.ndarray]:
    """The first ``num_train`` training and ``num_valid`` validation digits, pixels in [0, 1].

    Returns:
        ``{"train_x": (num_train, 784) float32, "train_y": int64, "valid_x", "valid_y"}``.
    """

    splits = load_mnist5k()
    train, valid = splits["train"], splits["valid"]
    if not 1 <= num_train <= len(train.targets) or not 1 <= num_valid <= len(valid.targets):
        raise ValueError(
            f"num_train must be in [1, {len(train.targets)}] and num_valid in [1, "
            f"{len(valid.targets)}], got {num_train} and {num_valid}"
        )
    return {
        "train_x": train.inputs[:num_train].astype(np.float32) / 255.0,
        "train_y": train.targets[:num_train].astype(np.int64),
        "valid_x": valid.inputs[:num_valid].astype(np.float32) / 255.0,
        "valid_y": valid.targets[:num_valid].astype(np.int64),
    }


def corruption(name: str):
    """The corruption function ``(inputs, rng) -> inputs`` called ``name`` (None for ``"none"``)."""
    if name not in CORRUPTIONS:
        raise ValueError(f"unknown corruption {name!r}; known: {list(CORRUPTIONS)}")
    function, options = CORRUPTIONS[name]
    if not function:
        return None
    import mlplab.exercises.autoencoders as exercises

    return partial(getattr(exercises, function), **options)


def corruption_examples(num_images: int = 100, seed: Seed = 0) -> dict:
    """Validation digits under every corruption, and what each corruption changed.

    Returns:
        ``{"clean": (num_images, 784), name: corrupted digits for every other corruption, "stats": {name:
        {"noise_std", "zeroed_ink", "set_to_one", "changed"}}}``: the standard deviation of the change,
        the fraction of ink pixels (> 0) set to 0, the fraction of pixels that became exactly 1 (and were
        below 1) and the fraction of pixels that changed.
    """
    rng = as_generator(seed)
    clean = mnist_digits(1, num_images)["valid_x"]
    out: dict = {"clean": clean, "stats": {}}
    ink = clean > 0
    for name in CORRUPTIONS:
        if name == "none":
            continue
        corrupted = np.asarray(corruption(name)(clean, np.random.default_rng(_seed_from(rng))))
        change = corrupted.astype(np.float64) - clean
        out[name] = corrupted
        out["stats"][name] = {
            "noise_std": float(change.std()),
            "zeroed_ink": float(np.mean(corrupted[ink] == 0)),
            "set_to_one": float(np.mean(corrupted[clean < 1] == 1)),
            "changed": float(np.mean(change != 0)),
        }
    return out


def train_autoencoders(
    corruptions: Sequence[str] = ("none", "masking 0.3"),
    *,
    code_dim: int = 64,
    num_train: int = 3000,
    num_epochs: int = 20,
    learning_rate: float = 0.5,
    batch_size: int = 50,
    seed: Seed = 0,
    progress: bool = True,
) -> dict[str, dict]:
    """Trains one 784-``code_dim``-784 sigmoid autoencoder per corruption (``"none"``: a plain autoencoder).

    Every autoencoder starts from the same weights and sees the same examples in the same order.

    Returns:
        ``{name: {"model": the trained MultipleLayerModel (in evaluation mode), "train_errors": per epoch}}``.
    """
    from tqdm.auto import tqdm

    from mlplab.exercises.autoencoders import autoencoder

    for name in corruptions:
        corruption(name)  # refuses unknown names before any training
    rng = as_generator(seed)
    init_seed, data_seed = _seed_from(rng), _seed_from(rng)
    inputs = mnist_digits(num_train)["train_x"]
    runs = {}
    for name in tqdm(corruptions, desc="autoencoders", disable=not progress):
        model = autoencoder(784, code_dim, np.random.default_rng(init_seed), weights_init=glorot_uniform)
        errors = train_autoencoder(
            model,
            inputs,
            np.random.default_rng(data_seed),
            num_epochs=num_epochs,
            learning_rate=learning_rate,
            batch_size=batch_size,
            corruption=corruption(name),
        )
        runs[name] = {"model": model.eval(), "train_errors": list(errors)}
    return runs


def reconstruction_errors(models: dict[str, MultipleLayerModel], inputs: np.ndarray, seed: Seed = 0) -> dict:
    """The error of every model's reconstructions of ``inputs``, clean and under every corruption.

    The error is ``SumOfSquaredDiffsError`` between the reconstruction of the (possibly corrupted)
    inputs and the **clean** inputs; every model sees the same corrupted inputs.

    Returns:
        ``{"mean image": error of reconstructing every digit as the mean digit, model name: {corruption
        name: error}}``.
    """
    rng = as_generator(seed)
    error = SumOfSquaredDiffsError()
    corrupted = {
        name: (inputs if name == "none" else corruption(name)(inputs, np.random.default_rng(_seed_from(rng))))
        for name in CORRUPTIONS
    }
    out: dict = {"mean image": error(np.tile(inputs.mean(axis=0), (len(inputs), 1)), inputs)}
    for model_name, model in models.items():
        model.eval()
        out[model_name] = {name: error(model.predict(x), inputs) for name, x in corrupted.items()}
    return out


def reconstructions(model: MultipleLayerModel, inputs: np.ndarray) -> np.ndarray:
    """The model's reconstructions of ``inputs`` in evaluation mode, shape of ``inputs``."""
    return model.eval().predict(inputs)


def filters(model: MultipleLayerModel, num_filters: int = 32) -> np.ndarray:
    """The first ``num_filters`` rows of the first layer's weights as 28x28 images, each scaled to [0, 1]."""
    weights = np.asarray(model.layers[0].weights[:num_filters], dtype=np.float64)
    low = weights.min(axis=1, keepdims=True)
    span = np.maximum(weights.max(axis=1, keepdims=True) - low, 1e-12)
    return ((weights - low) / span).reshape(-1, 28, 28)


def filter_smoothness(weights: np.ndarray) -> float:
    """Mean correlation between the weights of horizontally neighbouring pixels, over the filters.

    Args:
        weights: first-layer weights, shape ``(num_filters, 784)``. Only pixels away from the image
            border (rows and columns 4 to 23) are used.
    """
    images = np.asarray(weights, dtype=np.float64).reshape(-1, 28, 28)[:, 4:24, 4:24]
    left, right = images[:, :, :-1].reshape(len(images), -1), images[:, :, 1:].reshape(len(images), -1)
    left = left - left.mean(axis=1, keepdims=True)
    right = right - right.mean(axis=1, keepdims=True)
    corr = (left * right).sum(axis=1) / np.sqrt((left**2).sum(axis=1) * (right**2).sum(axis=1))
    return float(np.mean(corr))


class _PartialGradientDescent(GradientDescentLearningRule):
    """Gradient descent on the parameters marked trainable only; the others are left exactly as they are."""

    def __init__(self, learning_rate: float, trainable: Sequence[bool]):
        super().__init__(learning_rate)
        self.trainable = [bool(t) for t in trainable]

    def initialise(self, params: list[np.ndarray]) -> None:
        if len(params) != len(self.trainable):
            raise ValueError(f"trainable has {len(self.trainable)} entries for {len(params)} parameter arrays")
        super().initialise(params)

    def update_params(self, grads_wrt_params: list[np.ndarray]) -> None:
        for param, grad, trainable in zip(self.params, grads_wrt_params, self.trainable):
            if trainable:
                param -= self.learning_rate * grad


PRETRAINING_METHODS = ("pretrained", "random", "supervised")


def pretraining_vs_random(
    *,
    num_labelled: int = 200,
    code_dims: Sequence[int] = (256, 64),
    num_unlabelled: int = 3000,
    pretrain_epochs: int = 5,
    finetune_epochs: int = 50,
    learning_rate: float = 0.1,
    pretrain_corruption: str = "masking 0.3",
    methods: Sequence[str] = ("pretrained", "random"),
    stage_epochs: int = 20,
    seed: Seed = 0,
    progress: bool = True,
) -> dict:
    """Pretrained versus randomly initialised classifiers, trained on few labelled digits.

    ``"pretrained"``: a stack of (denoising) autoencoders is pretrained by your ``pretrain_stack`` on
    ``num_unlabelled`` training digits *without* their labels; your ``pretrained_classifier`` turns the
    encoders into a ``784-code_dims-10`` sigmoid classifier. ``"random"``: a network of the same shape with
    Glorot-uniform weights. ``"supervised"``: your ``supervised_pretraining`` builds the same shape layer by
    layer on the *labelled* digits, ``stage_epochs`` epochs per stage (the first network with one hidden
    layer, then the new weights of every added layer only), before the fine-tuning below.

    Every method is then trained (fine-tuned) on the same ``num_labelled`` labelled digits (batches of 20,
    same order, same output-layer initialisation seed), for ``finetune_epochs`` epochs, and validated on
    1,000 validation digits. The seeds do not depend on ``methods``: a method gives the same result
    whichever others are run with it.

    Returns:
        ``{method: {"history": History of the fine-tuning, "model": ...} for each of methods, "labelled":
        indices}``; the supervised method also has ``"stages"``: the History of every pretraining stage.
    """
    from mlplab.exercises.autoencoders import autoencoder, pretrain_stack, pretrained_classifier

    unknown = [m for m in methods if m not in PRETRAINING_METHODS]
    if unknown:
        raise ValueError(f"unknown methods {unknown}; known: {list(PRETRAINING_METHODS)}")
    rng = as_generator(seed)
    pretrain_seed, label_seed, init_seed, data_seed, stage_seed = (_seed_from(rng) for _ in range(5))
    digits = mnist_digits(max(num_unlabelled, num_labelled))
    labelled = np.random.default_rng(label_seed).permutation(len(digits["train_y"]))[:num_labelled]
    valid = MinibatchProvider(digits["valid_x"], digits["valid_y"], 500, shuffle=False)

    def labelled_batches(batch_rng: np.random.Generator) -> MinibatchProvider:
        return MinibatchProvider(digits["train_x"][labelled], digits["train_y"][labelled], 20, rng=batch_rng)

    out: dict = {"labelled": labelled}
    models: dict[str, MultipleLayerModel] = {}
    if "pretrained" in methods:
        unlabelled = digits["train_x"][:num_unlabelled]
        pretrained = pretrain_stack(
            unlabelled,
            list(code_dims),
            np.random.default_rng(pretrain_seed),
            build=partial(autoencoder, weights_init=glorot_uniform),
            num_epochs=pretrain_epochs,
            learning_rate=0.5,
            corruption=corruption(pretrain_corruption),
        )
        models["pretrained"] = pretrained_classifier(
            pretrained, 10, np.random.default_rng(init_seed), weights_init=glorot_uniform
        )
    if "random" in methods:
        models["random"] = mlp(
            [784, *code_dims, 10], SigmoidLayer, rng=np.random.default_rng(init_seed), weights_init=glorot_uniform
        )
    if "supervised" in methods:
        models["supervised"], out["supervised"] = _supervised_stages(
            code_dims, labelled_batches, valid, init_seed, stage_seed, stage_epochs, learning_rate, progress
        )
    for name in (m for m in PRETRAINING_METHODS if m in methods):
        model = models[name]
        trainer = Trainer(
            model,
            CrossEntropySoftmaxError(),
            GradientDescentLearningRule(learning_rate),
            labelled_batches(np.random.default_rng(data_seed)),
            valid,
        )
        history: History = trainer.train(finetune_epochs, progress=progress)
        out[name] = {**out.get(name, {}), "history": history, "model": model}
    return out


def _supervised_stages(
    code_dims, labelled_batches, valid, init_seed, stage_seed, stage_epochs, learning_rate, progress
):
    """Your ``supervised_pretraining`` with its pretraining stages trained here; the fine-tuning is left out.

    Returns the pretrained model (not yet fine-tuned: the caller fine-tunes it like every other method) and
    ``{"stages": [History of each stage], "trainable": [the trainable flags of each stage]}``.
    """
    from mlplab.exercises.autoencoders import supervised_pretraining

    record: dict = {"stages": [], "trainable": []}
    num_stages = len(code_dims)

    def train(model, trainable):
        stage = len(record["stages"])
        if stage == num_stages:  # the last call fine-tunes: done by the caller, like every other method
            record["stages"].append(None)
            return
        rule = _PartialGradientDescent(learning_rate, trainable)
        batches = labelled_batches(np.random.default_rng([stage_seed, stage]))
        trainer = Trainer(model, CrossEntropySoftmaxError(), rule, batches, valid)
        record["stages"].append(trainer.train(stage_epochs, progress=progress))
        record["trainable"].append(list(trainable))

    model = supervised_pretraining(
        784, list(code_dims), 10, np.random.default_rng(init_seed), train=train, weights_init=glorot_uniform
    )
    if len(record["stages"]) != num_stages + 1:
        raise RuntimeError(
            f"supervised_pretraining called train {len(record['stages'])} times for "
            f"{num_stages} hidden layers; expected {num_stages + 1} (the last one fine-tunes)"
        )
    record["stages"].pop()
    return model, record


def tied_vs_untied(
    *,
    code_dim: int = 64,
    num_train: int = 3000,
    num_epochs: int = 20,
    learning_rate: float = 0.5,
    batch_size: int = 50,
    seed: Seed = 0,
    progress: bool = True,
) -> dict:
    """A tied-weights and an untied 784-``code_dim``-784 sigmoid autoencoder, trained alike.

    The untied one is your ``autoencoder``, the tied one your ``tied_autoencoder``: both start
    from the same Glorot-uniform encoder weights (the untied decoder gets its own), see the same
    examples in the same order and are trained for the same number of epochs. Their reconstruction
    error (``SumOfSquaredDiffsError``) is measured on 1,000 validation digits they never saw.

    Returns:
        ``{"untied": run, "tied": run}`` with ``run = {"model": trained model (evaluation mode),
        "num_weights": number of entries of its weight matrices, "num_params": all parameters,
        "train_errors": per epoch, "valid_error": float}``.
    """
    from tqdm.auto import tqdm

    from mlplab.exercises.autoencoders import autoencoder, tied_autoencoder

    rng = as_generator(seed)
    init_seed, data_seed = _seed_from(rng), _seed_from(rng)
    digits = mnist_digits(num_train)
    error = SumOfSquaredDiffsError()
    out: dict = {}
    for name, build in tqdm(
        (("untied", autoencoder), ("tied", tied_autoencoder)), desc="tied vs untied", disable=not progress
    ):
        model = build(784, code_dim, np.random.default_rng(init_seed), weights_init=glorot_uniform)
        errors = train_autoencoder(
            model,
            digits["train_x"],
            np.random.default_rng(data_seed),
            num_epochs=num_epochs,
            learning_rate=learning_rate,
            batch_size=batch_size,
        )
        model.eval()
        weights = {id(p): p.size for p in model.params if np.ndim(p) == 2}
        out[name] = {
            "model": model,
            "num_weights": int(sum(weights.values())),
            "num_params": int(sum(np.size(p) for p in model.params)),
            "train_errors": list(errors),
            "valid_error": float(error(model.predict(digits["valid_x"]), digits["valid_x"])),
        }
    return out


def linear_autoencoder_vs_pca(
    *,
    code_dim: int = 10,
    num_train: int = 3000,
    num_epochs: int = 40,
    learning_rate: float = 0.05,
    batch_size: int = 50,
    init_std: float = 0.05,
    seed: Seed = 0,
    progress: bool = True,
) -> dict:
    """A linear autoencoder trained by gradient descent with your gradients, compared with your Lab 1 PCA.

    The training digits are centred with their mean (as PCA centres them). The autoencoder's four
    parameters start from ``N(0, init_std**2)`` weights and zero biases and are trained by minibatch
    gradient descent with your ``linear_autoencoder_grads`` (task 5.9). The top ``code_dim`` principal
    directions come from your ``PCAWhitener`` (Lab 1, task 1.11), or from ``np.linalg.eigh`` of the covariance
    when it raises ``NotImplementedError`` (Lab 1's file is still the stub; ``"pca_source"`` says which was
    used). After every epoch, and before the first,
    the largest principal angle (``scipy.linalg.subspace_angles``, in degrees) is measured between

    * ``"decoder"``: the span of the decoder's columns ``V`` and the principal subspace (in pixel space);
    * ``"codes"``: the span of the codes of the training digits and that of their projections on the
      principal directions (in the space of the ``num_train`` examples);
    * ``"encoder"``: the span of the encoder's rows ``W`` and the principal subspace.

    Returns:
        ``{"epochs": 0..num_epochs, "angles": {"decoder", "codes", "encoder": per epoch}, "errors": training
        error per epoch (epoch 0: before training), "pca_error": the smallest possible error, half the sum of
        the discarded eigenvalues, computed from the eigenvalues of the covariance, "eigenvalues": the top
        code_dim + 1 of them, "blank_pixels": how many pixels are 0 in every training digit,
        "blank_weights_moved": the largest change of an encoder weight from such a pixel, "decoder_filters",
        "pca_filters": (code_dim, 28, 28) images of V's columns and of the principal directions}``.
    """
    from scipy.linalg import subspace_angles
    from tqdm.auto import tqdm

    from mlplab.exercises.autoencoders import linear_autoencoder_grads
    from mlplab.exercises.preprocessing import PCAWhitener

    rng = as_generator(seed)
    init_rng, data_rng = np.random.default_rng(_seed_from(rng)), np.random.default_rng(_seed_from(rng))
    inputs = mnist_digits(num_train)["train_x"].astype(np.float64)
    centred = inputs - inputs.mean(axis=0)
    try:
        components = np.asarray(PCAWhitener(num_components=code_dim).fit(centred).components_, dtype=np.float64)
        pca_source = "your PCAWhitener (Lab 1, task 1.11)"
    except NotImplementedError:  # Lab 1's exercise file in this folder is still the stub
        components = np.linalg.eigh(centred.T @ centred / num_train)[1][:, ::-1][:, :code_dim]
        pca_source = "np.linalg.eigh: PCAWhitener (Lab 1, task 1.11) is not implemented in this folder"
    projections = centred @ components
    all_eigenvalues = np.linalg.eigvalsh(centred.T @ centred / num_train)[::-1]
    dim = inputs.shape[1]
    params = [
        init_rng.normal(0.0, init_std, (code_dim, dim)),
        np.zeros(code_dim),
        init_rng.normal(0.0, init_std, (dim, code_dim)),
        np.zeros(dim),
    ]
    initial_encoder = params[0].copy()
    angles: dict[str, list[float]] = {"decoder": [], "codes": [], "encoder": []}
    errors: list[float] = []

    def measure() -> None:
        codes = centred @ params[0].T + params[1]
        angles["decoder"].append(float(np.degrees(subspace_angles(params[2], components).max())))
        angles["codes"].append(float(np.degrees(subspace_angles(codes - codes.mean(axis=0), projections).max())))
        angles["encoder"].append(float(np.degrees(subspace_angles(params[0].T, components).max())))
        errors.append(float(linear_autoencoder_grads(centred, params)[0]))

    measure()
    for _ in tqdm(range(num_epochs), desc="linear autoencoder", unit="epoch", disable=not progress):
        order = data_rng.permutation(num_train)
        for start in range(0, num_train, batch_size):
            _, grads = linear_autoencoder_grads(centred[order[start : start + batch_size]], params)
            for param, grad in zip(params, grads):
                param -= learning_rate * np.asarray(grad)
        measure()
    blank = np.all(inputs == 0, axis=0)
    return {
        "epochs": list(range(num_epochs + 1)),
        "angles": angles,
        "errors": errors,
        "pca_source": pca_source,
        "pca_error": float(0.5 * all_eigenvalues[code_dim:].sum()),
        "eigenvalues": all_eigenvalues[: code_dim + 1],
        "blank_pixels": int(blank.sum()),
        "blank_weights_moved": float(np.abs(params[0][:, blank] - initial_encoder[:, blank]).max()),
        "decoder_filters": params[2].T.reshape(-1, 28, 28),
        "pca_filters": components.T.reshape(-1, 28, 28),
    }


def transfer_vs_random(
    *,
    first_classes: Sequence[int] = (0, 1, 2, 3, 4),
    second_classes: Sequence[int] = (5, 6, 7, 8, 9),
    hidden_dims: Sequence[int] = (256, 64),
    num_labelled: int = 100,
    first_epochs: int = 20,
    finetune_epochs: int = 50,
    learning_rate: float = 0.1,
    seed: Seed = 0,
    progress: bool = True,
) -> dict:
    """Fine-tuning a network trained on a first task, on a second task with few labels (transfer).

    A ``784-hidden_dims-k`` sigmoid classifier (Glorot-uniform weights) is trained on every training digit of
    ``first_classes`` (``first_epochs`` epochs, batches of 50). For the second task, the digits of
    ``second_classes`` (relabelled ``0, 1, ...``), the networks are ``784-hidden_dims-k'``:

    * ``"fine-tuned"``: copies of the trained hidden layers and a new output layer; every weight trains;
    * ``"random"``: Glorot-uniform weights everywhere.

    Both get the same new output-layer weights, the same ``num_labelled`` labelled digits of the
    second task (batches of 20, same order) and ``finetune_epochs`` epochs, and are validated on the
    validation digits of the second task.

    Returns:
        ``{"first": {"history": History on the first task, "num_train": its number of training digits}, name: {"history": ..., "model": ...} for the two
        networks, "labelled": indices into the training digits of the second task}``.
    """
    rng = as_generator(seed)
    first_seed, first_data_seed, label_seed, init_seed, data_seed = (_seed_from(rng) for _ in range(5))
    digits = mnist_digits(3000)

    def task(split: str, classes: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        inputs, targets = digits[f"{split}_x"], digits[f"{split}_y"]
        keep = np.isin(targets, classes)
        relabel = {c: k for k, c in enumerate(classes)}
        return inputs[keep], np.array([relabel[int(t)] for t in targets[keep]], dtype=np.int64)

    def provider(inputs, targets, classes, batch_size, batch_rng=None):
        return MinibatchProvider(
            inputs, targets, batch_size, num_classes=len(classes), rng=batch_rng, shuffle=batch_rng is not None
        )

    widths = [784, *hidden_dims]
    first_x, first_y = task("train", first_classes)
    first_valid = provider(*task("valid", first_classes), first_classes, 500)
    first = mlp(
        [*widths, len(first_classes)], SigmoidLayer, rng=np.random.default_rng(first_seed), weights_init=glorot_uniform
    )
    trainer = Trainer(
        first,
        CrossEntropySoftmaxError(),
        GradientDescentLearningRule(learning_rate),
        provider(first_x, first_y, first_classes, 50, np.random.default_rng(first_data_seed)),
        first_valid,
    )
    out: dict = {"first": {"history": trainer.train(first_epochs, progress=progress), "num_train": len(first_y)}}

    second_x, second_y = task("train", second_classes)
    labelled = np.random.default_rng(label_seed).permutation(len(second_y))[:num_labelled]
    second_valid = provider(*task("valid", second_classes), second_classes, 500)
    for name in ("fine-tuned", "random"):
        model = mlp(
            [*widths, len(second_classes)],
            SigmoidLayer,
            rng=np.random.default_rng(init_seed),
            weights_init=glorot_uniform,
        )
        if name == "fine-tuned":
            for param, trained in zip(model.params[:-2], first.params[:-2]):
                param[...] = trained  # copies of the trained hidden layers; the output layer stays new
        trainer = Trainer(
            model,
            CrossEntropySoftmaxError(),
            GradientDescentLearningRule(learning_rate),
            provider(second_x[labelled], second_y[labelled], second_classes, 20, np.random.default_rng(data_seed)),
            second_valid,
        )
        out[name] = {"history": trainer.train(finetune_epochs, progress=progress), "model": model}
    out["labelled"] = labelled
    return out
