"""Every graded exercise of the course, declared once.

A task has a stable id (``lab1.glorot_uniform``), the number students see
(``1.2``), its points, the student file it lives in and the functions or
methods (``symbols``) whose bodies the student writes. Everything else is
derived from this table: the stub messages in ``mlplab/``, the points of the
graded cells in the notebooks, the files nbgrader must not overwrite, the
self-check and the autograder.

This module imports nothing from mlplab, so that it can be read before any
exercise module is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Task:
    id: str
    number: str
    title: str
    points: int
    file: str
    symbols: tuple[str, ...]

    @property
    def lab(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def cell_id(self) -> str:
        """The nbgrader grade_id of this task's graded cell (letters, digits, ``_`` and ``-`` only)."""
        return self.id.replace(".", "-")


LABS: dict[str, str] = {
    "lab1": "Initialisation and hidden units",
    "lab2": "Batch normalisation",
    "lab3": "Dropout, maxout and data augmentation",
    "lab4": "Bagging theory",
    "lab5": "Autoencoders and pretraining",
    "lab6": "Optimisers",
}

# One task per two lines, so that the table reads as a table:
# fmt: off
TASKS: tuple[Task, ...] = (
    Task("lab1.fanin_uniform", "1.1", "Fan-in uniform initialisation", 1,
         "mlplab/exercises/initialisers.py", ("fanin_uniform",)),
    Task("lab1.glorot_uniform", "1.2", "Glorot uniform initialisation", 1,
         "mlplab/exercises/initialisers.py", ("glorot_uniform",)),
    Task("lab1.glorot_normal", "1.3", "Glorot normal initialisation", 1,
         "mlplab/exercises/initialisers.py", ("glorot_normal",)),
    Task("lab1.he_normal", "1.4", "He normal initialisation", 1,
         "mlplab/exercises/initialisers.py", ("he_normal",)),
    Task("lab1.orthogonal", "1.5", "Orthogonal initialisation via the SVD", 2,
         "mlplab/exercises/initialisers.py", ("orthogonal",)),
    Task("lab1.log_prior_biases", "1.6", "Output biases as log class priors", 1,
         "mlplab/exercises/initialisers.py", ("log_prior_biases",)),
    Task("lab1.elu", "1.7", "ELU layer", 2,
         "mlplab/exercises/hidden_units.py", ("ELULayer.fprop", "ELULayer.bprop")),
    Task("lab1.selu", "1.8", "SELU layer", 2,
         "mlplab/exercises/hidden_units.py", ("SELULayer.fprop", "SELULayer.bprop")),
    Task("lab1.leaky_relu", "1.9", "Leaky ReLU layer", 2,
         "mlplab/exercises/hidden_units.py", ("LeakyReLULayer.fprop", "LeakyReLULayer.bprop")),
    Task("lab1.srelu", "1.12", "Shifted ReLU (SReLU) layer", 1,
         "mlplab/exercises/hidden_units.py", ("SReLULayer.fprop", "SReLULayer.bprop")),
    Task("lab1.standardise", "1.10", "Input standardisation with training statistics", 2,
         "mlplab/exercises/preprocessing.py", ("Standardiser.fit", "Standardiser.transform")),
    Task("lab1.pca_whiten", "1.11", "PCA whitening", 2,
         "mlplab/exercises/preprocessing.py", ("PCAWhitener.fit", "PCAWhitener.transform")),
    Task("lab2.batchnorm_forward", "2.1", "Batch norm forward pass in training mode", 2,
         "mlplab/exercises/batch_norm.py", ("batchnorm_forward",)),
    Task("lab2.batchnorm_backward", "2.2", "Batch norm backward pass", 3,
         "mlplab/exercises/batch_norm.py", ("batchnorm_backward",)),
    Task("lab2.population_statistics", "2.3", "Population statistics from training minibatches", 1,
         "mlplab/exercises/batch_norm.py", ("population_statistics",)),
    Task("lab2.running_statistics", "2.4", "Running averages of the batch statistics", 1,
         "mlplab/exercises/batch_norm.py", ("update_running_statistics",)),
    Task("lab2.fold", "2.5", "Batch norm at inference as one affine transform", 1,
         "mlplab/exercises/batch_norm.py", ("fold_batchnorm",)),
    Task("lab2.modes", "2.6", "Training and evaluation modes of the batch norm layer", 2,
         "mlplab/exercises/batch_norm.py", ("batchnorm_fprop",)),
    Task("lab2.spatial_forward", "2.7", "Spatial batch norm forward pass", 2,
         "mlplab/exercises/batch_norm.py", ("spatial_batchnorm_forward",)),
    Task("lab2.spatial_backward", "2.8", "Spatial batch norm backward pass", 2,
         "mlplab/exercises/batch_norm.py", ("spatial_batchnorm_backward",)),
    Task("lab2.layernorm_forward", "2.9", "Layer norm forward pass", 2,
         "mlplab/exercises/layer_norm.py", ("layernorm_forward",)),
    Task("lab2.layernorm_backward", "2.10", "Layer norm backward pass", 2,
         "mlplab/exercises/layer_norm.py", ("layernorm_backward",)),
    Task("lab3.dropout", "3.1", "Dropout layer (inverted and weight-scaled)", 3,
         "mlplab/exercises/dropout.py", ("DropoutLayer.fprop", "DropoutLayer.bprop")),
    Task("lab3.dropconnect", "3.2", "DropConnect layer", 2,
         "mlplab/exercises/dropout.py",
         ("DropConnectLayer.fprop", "DropConnectLayer.bprop", "DropConnectLayer.grads_wrt_params")),
    Task("lab3.annealed_dropout", "3.3", "Annealed dropout schedule", 1,
         "mlplab/exercises/dropout.py", ("annealed_incl_prob",)),
    Task("lab3.maxout", "3.4", "Maxout layer", 2,
         "mlplab/exercises/maxout.py", ("MaxoutLayer.fprop", "MaxoutLayer.bprop")),
    Task("lab3.random_shift", "3.5", "Random shifts", 1,
         "mlplab/exercises/augmentation.py", ("random_shift",)),
    Task("lab3.random_rotation", "3.6", "Small random rotations", 1,
         "mlplab/exercises/augmentation.py", ("random_rotation",)),
    Task("lab3.pixel_noise", "3.7", "Pixel noise", 1,
         "mlplab/exercises/augmentation.py", ("pixel_noise",)),
    Task("lab3.elastic_deformation", "3.8", "Elastic deformation", 2,
         "mlplab/exercises/augmentation.py", ("elastic_deformation",)),
    Task("lab3.augmented_provider", "3.9", "Augmenting data provider", 1,
         "mlplab/exercises/augmentation.py", ("AugmentedProvider.__iter__",)),
    Task("lab3.l2_weight_decay", "3.10", "L2 weight decay", 2,
         "mlplab/exercises/weight_decay.py", ("L2Penalty.__call__", "L2Penalty.grad")),
    Task("lab3.l1_weight_decay", "3.11", "L1 weight decay", 1,
         "mlplab/exercises/weight_decay.py", ("L1Penalty.__call__", "L1Penalty.grad")),
    Task("lab3.early_stopping", "3.12", "Early stopping", 2,
         "mlplab/exercises/weight_decay.py", ("EarlyStopping.update", "EarlyStopping.restore")),
    Task("lab4.bootstrap", "4.1", "Bootstrap samples and out-of-bag examples", 2,
         "mlplab/exercises/bagging.py", ("bootstrap_indices", "out_of_bag_mask")),
    Task("lab4.tanh_perceptron", "4.2", "Tanh perceptron and the gradient of its quadratic error", 2,
         "mlplab/exercises/bagging.py", ("tanh_perceptron", "tanh_perceptron_grads")),
    Task("lab4.bag_models", "4.3", "Training and running a bagged ensemble", 2,
         "mlplab/exercises/bagging.py", ("bag_models", "bagged_predictions")),
    Task("lab4.bias_variance", "4.4", "Average member error as variance plus squared bias", 1,
         "mlplab/exercises/bagging.py", ("bias_variance_decomposition",)),
    Task("lab4.bagged_error_terms", "4.5", "Bagged error: variance over K, squared bias, cross term", 2,
         "mlplab/exercises/bagging.py", ("bagged_error_terms",)),
    Task("lab4.error_correlations", "4.6", "Correlations between the members' errors", 1,
         "mlplab/exercises/bagging.py", ("error_correlations",)),
    Task("lab4.combine", "4.7", "Averaging, geometric mean and majority vote of classifiers", 2,
         "mlplab/exercises/bagging.py", ("combine_probabilities",)),
    Task("lab5.gaussian", "5.1", "Additive Gaussian corruption", 1,
         "mlplab/exercises/autoencoders.py", ("gaussian_corruption",)),
    Task("lab5.masking", "5.2", "Masking corruption", 1,
         "mlplab/exercises/autoencoders.py", ("masking_corruption",)),
    Task("lab5.salt_and_pepper", "5.3", "Salt-and-pepper corruption", 1,
         "mlplab/exercises/autoencoders.py", ("salt_and_pepper_corruption",)),
    Task("lab5.autoencoder", "5.4", "An autoencoder: encoder and decoder", 2,
         "mlplab/exercises/autoencoders.py", ("autoencoder",)),
    Task("lab5.denoising_provider", "5.5", "Corrupted inputs, clean targets", 1,
         "mlplab/exercises/autoencoders.py", ("DenoisingProvider.__iter__",)),
    Task("lab5.pretrain_stack", "5.6", "Greedy layer-wise pretraining of stacked autoencoders", 3,
         "mlplab/exercises/autoencoders.py", ("pretrain_stack",)),
    Task("lab5.pretrained_classifier", "5.7", "A classifier initialised from pretrained encoders", 2,
         "mlplab/exercises/autoencoders.py", ("pretrained_classifier",)),
    Task("lab5.tied_autoencoder", "5.8", "A tied-weights autoencoder", 2,
         "mlplab/exercises/autoencoders.py",
         ("TiedDecoderLayer.fprop", "TiedDecoderLayer.bprop", "TiedDecoderLayer.grads_wrt_params",
          "TiedDecoderLayer.grads_wrt_weights", "TiedAutoencoder.grads_wrt_params", "tied_autoencoder")),
    Task("lab5.linear_autoencoder", "5.9", "A linear autoencoder's gradients, by hand", 2,
         "mlplab/exercises/autoencoders.py", ("linear_autoencoder_grads",)),
    Task("lab5.supervised_pretraining", "5.10", "Supervised layer-by-layer pretraining", 3,
         "mlplab/exercises/autoencoders.py", ("add_hidden_layer", "supervised_pretraining")),
    Task("lab6.momentum", "6.1", "Momentum", 2,
         "mlplab/exercises/optimisers.py", ("MomentumLearningRule.reset", "MomentumLearningRule.update_params")),
    Task("lab6.nesterov", "6.2", "Nesterov momentum", 2,
         "mlplab/exercises/optimisers.py",
         ("NesterovMomentumLearningRule.reset", "NesterovMomentumLearningRule.update_params")),
    Task("lab6.adagrad", "6.3", "AdaGrad", 1,
         "mlplab/exercises/optimisers.py", ("AdaGradLearningRule.reset", "AdaGradLearningRule.update_params")),
    Task("lab6.rmsprop", "6.4", "RMSProp", 1,
         "mlplab/exercises/optimisers.py", ("RMSPropLearningRule.reset", "RMSPropLearningRule.update_params")),
    Task("lab6.adam", "6.5", "Adam with bias correction", 2,
         "mlplab/exercises/optimisers.py", ("AdamLearningRule.reset", "AdamLearningRule.update_params")),
    Task("lab6.adadelta", "6.6", "AdaDelta", 2,
         "mlplab/exercises/optimisers.py", ("AdaDeltaLearningRule.reset", "AdaDeltaLearningRule.update_params")),
    Task("lab6.schedules", "6.7", "Learning-rate schedules", 2,
         "mlplab/exercises/optimisers.py", ("step_decay", "exponential_decay", "warmup_cosine")),
    Task("lab6.adamax", "6.8", "AdaMax", 1,
         "mlplab/exercises/adam_variants.py", ("AdaMaxLearningRule.reset", "AdaMaxLearningRule.update_params")),
    Task("lab6.nadam", "6.9", "Nadam", 1,
         "mlplab/exercises/adam_variants.py", ("NadamLearningRule.reset", "NadamLearningRule.update_params")),
    Task("lab6.amsgrad", "6.10", "AMSGrad", 1,
         "mlplab/exercises/adam_variants.py", ("AMSGradLearningRule.reset", "AMSGradLearningRule.update_params")),
    Task("lab6.adamw", "6.11", "AdamW: decoupled weight decay", 1,
         "mlplab/exercises/adam_variants.py", ("AdamWLearningRule.reset", "AdamWLearningRule.update_params")),
    Task("lab6.clipping", "6.12", "Gradient clipping by the global norm", 1,
         "mlplab/exercises/gradient_clipping.py", ("clip_by_global_norm",)),
)
# fmt: on

_BY_ID = {task.id: task for task in TASKS}


class UnknownTaskError(KeyError):
    """Raised for a task or lab id that the course does not define."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0])


def get_task(task_id: str) -> Task:
    """The task with this id, or an ``UnknownTaskError`` that lists the valid ids."""
    try:
        return _BY_ID[task_id]
    except KeyError:
        lab = task_id.split(".", 1)[0]
        known = ", ".join(t.id for t in TASKS if t.lab == lab) or ", ".join(sorted(LABS))
        raise UnknownTaskError(f"unknown exercise id {task_id!r}; known ids: {known}") from None


def tasks_of(lab_or_task: str) -> list[Task]:
    """All tasks of a lab (``"lab1"``) or the single task named (``"lab1.elu"``)."""
    if lab_or_task in LABS:
        return [t for t in TASKS if t.lab == lab_or_task]
    return [get_task(lab_or_task)]


def exercise_files(lab: str | None = None) -> list[str]:
    """Student-editable files (repository-relative), of one lab or of all labs, in table order."""
    files: list[str] = []
    for task in TASKS:
        if (lab is None or task.lab == lab) and task.file not in files:
            files.append(task.file)
    return files


def exercise_modules() -> dict[str, str]:
    """Dotted module name -> repository-relative file, for every exercise file."""
    return {f[: -len(".py")].replace("/", "."): f for f in exercise_files()}
