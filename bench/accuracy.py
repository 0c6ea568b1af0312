"""Accuracy: the course's MLP trained on the full Fashion-MNIST, test accuracy and training time.

The network is built from the course's own layers (reference solutions of the
exercises): ``Affine, BatchNorm, ReLU, Dropout`` per hidden layer and an affine
output layer, softmax cross-entropy, float32. It is trained by minibatch SGD
with momentum (``MomentumLearningRule``, lab 6's reference solution) on the 50,000-image training
split of Debian's ``dataset-fashion-mnist`` (``mlplab.data.idx_providers``;
the last 10,000 official training images are the validation split), with the
learning rate decayed linearly to zero over the epochs. The test accuracy is
measured once, on the 10,000 official test images, after the last epoch
(nothing is selected on the test set).

The dataset's published benchmark table lists 0.8833 for a 256-128-100 MLP and
0.871 for scikit-learn's ``MLPClassifier`` (100 ReLU units); the budget is a
test accuracy of at least 0.90 within 5 minutes of training.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from bench.timing import Figure, default_threads, thread_limits
from bench.training_speed import bn_dropout_mlp
from mlplab.data import DataError, idx_providers, mnist5k_providers
from mlplab.errors import CrossEntropySoftmaxError
from mlplab.training import Trainer, evaluate

TARGET_ACCURACY = 0.90
BUDGET_SECONDS = 300.0
PUBLISHED_MLP = {
    "256-128-100 MLP (Fashion-MNIST benchmark table)": 0.8833,
    "scikit-learn MLPClassifier, 100 ReLU units": 0.871,
}


def he_normal(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """He normal weights N(0, 2 / fan_in) for shape ``(fan_out, fan_in)``."""
    return rng.normal(0.0, np.sqrt(2.0 / shape[1]), shape)


def run(
    *,
    data: str = "fashion-mnist",
    num_examples: int | None = None,
    hidden: Sequence[int] = (1024, 1024),
    epochs: int = 40,
    batch_size: int = 128,
    learning_rate: float = 0.1,
    momentum: float = 0.9,
    incl_prob: float = 0.7,
    input_incl_prob: float = 1.0,
    threads: int | None = None,
    seed: int = 0,
    progress: bool = True,
) -> dict[str, Figure]:
    """The ``accuracy`` benchmark.

    Args:
        data: ``"fashion-mnist"`` (or ``"mnist"``); ``"mnist5k"`` for smoke runs.
        num_examples: use only the first training examples (None: all 50,000).
        hidden: hidden layer sizes.
        epochs: passes over the training split.
        batch_size: examples per minibatch.
        learning_rate: initial step size, decayed linearly to 0 after the last epoch.
        momentum: momentum coefficient.
        incl_prob: inclusion probability of the hidden dropout layers.
        input_incl_prob: inclusion probability of the input dropout layer (1: none).
        threads: BLAS threads (default: the cores available).
        seed: seeds the weights, the dropout masks and the shuffling.
        progress: show a progress bar per epoch.
    """
    rng = np.random.default_rng(seed)
    options = {} if num_examples is None else {"max_batches": -(-num_examples // batch_size)}
    try:
        if data == "mnist5k":
            train, valid, test = mnist5k_providers(batch_size, rng=np.random.default_rng(seed + 1), **options)
        else:
            train, valid, test = idx_providers(data, batch_size, np.random.default_rng(seed + 1), **options)
    except DataError as error:
        return {"skipped": Figure(f"skipped: {str(error).splitlines()[0]}")}
    sizes = (train.inputs.shape[1], *hidden, 10)
    model = bn_dropout_mlp(sizes, rng, incl_prob=incl_prob, input_incl_prob=input_incl_prob, weights_init=he_normal)
    from mlplab.exercises.optimisers import MomentumLearningRule  # an exercise (lab 6): the reference here

    rule = MomentumLearningRule(learning_rate, mom_coeff=momentum)
    trainer = Trainer(model, CrossEntropySoftmaxError(), rule, train, valid)
    threads = threads or default_threads()
    valid_acc = []
    with thread_limits(threads):
        start = time.perf_counter()
        for epoch in range(epochs):
            rule.learning_rate = learning_rate * (1 - epoch / epochs)
            history = trainer.train(1, progress=False)
            valid_acc.append(history.valid_acc[-1])
            if progress:
                print(
                    f"  epoch {epoch + 1}/{epochs}: train error {history.train_error[-1]:.4f}, "
                    f"valid accuracy {valid_acc[-1]:.4f}, {time.perf_counter() - start:.0f} s",
                    flush=True,
                )
        seconds = time.perf_counter() - start
        model.eval()
        test_error, test_acc = evaluate(model, CrossEntropySoftmaxError(), test)
    figures = {
        "data": Figure(
            f"{data}: {train.num_examples} training, {valid.num_examples} validation, {test.num_examples} test images"
        ),
        "network": Figure(
            f"{'-'.join(map(str, sizes))}; "
            + (f"input dropout (inclusion {input_incl_prob}), " if input_incl_prob < 1 else "")
            + f"Affine-BatchNorm-ReLU-Dropout (inclusion {incl_prob}) per hidden layer; float32"
        ),
        "training": Figure(
            f"SGD, momentum {momentum}, learning rate {learning_rate} decayed linearly to 0, "
            f"batch size {batch_size}, {epochs} epochs, {threads} threads"
        ),
        "training time": Figure(seconds, "s"),
        "time per epoch": Figure(seconds / epochs, "s"),
        "final validation accuracy": Figure(valid_acc[-1], ""),
        "best validation accuracy": Figure(max(valid_acc), ""),
        "test error": Figure(test_error, "nats"),
        "test accuracy": Figure(test_acc, ""),
    }
    for name, published in PUBLISHED_MLP.items():
        figures[f"published: {name}"] = Figure(published, "")
    figures[f"within budget (test accuracy >= {TARGET_ACCURACY} in <= {BUDGET_SECONDS:g} s)"] = Figure(
        "yes" if test_acc >= TARGET_ACCURACY and seconds <= BUDGET_SECONDS else "NO"
    )
    return figures
