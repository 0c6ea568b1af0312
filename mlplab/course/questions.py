"""Every written question of the labs, declared once: graded by hand in the formgrader.

Each "Question." of a notebook is followed by an answer cell in which the student writes a
prediction before running the experiment and, after it, what they saw and why. The notebook
source (``solutions/labs/<lab>.py``) holds a model answer between solution markers in a
``# %% [answer <id>]`` cell; the release shows an empty answer cell. A blank answer scores 0
when the lab is autograded; any other answer waits for a grader (nbgrader's
``needs_manual_grade``), who scores it out of the points declared here.

Like ``mlplab.course.tasks``, this module imports nothing.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Question:
    id: str
    points: int

    @property
    def lab(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def cell_id(self) -> str:
        """The nbgrader grade_id of the answer cell (``lab1-q-depth_product``): never a task's."""
        lab, name = self.id.split(".", 1)
        return f"{lab}-q-{name}"


def _one_point_each(lab: str, *names: str) -> tuple[Question, ...]:
    return tuple(Question(f"{lab}.{name}", 1) for name in names)


QUESTIONS: tuple[Question, ...] = (
    *_one_point_each(
        "lab1", "depth_product", "zero_init_units", "zero_init_tanh", "variance_fan_in",
        "tanh_depth_histograms", "relu_depth_factor", "orthogonal_singular_values",
        "per_layer_gradients", "gradient_histograms", "log_prior_error", "linearity", "unit_statistics_depth",
        "mean_drift", "stuck_networks", "top_layer_saturation", "pixel_covariance", "standardised_speed", "large_learning_rate"),
    *_one_point_each(
        "lab2", "batchnorm_outputs", "batchnorm_gradcheck", "folding", "training_mode_gap",
        "running_statistics", "learning_rates", "weight_scale", "distribution_drift",
        "relu_drift", "noisy_batch_norm", "batch_norm_regulariser", "smoothness", "spatial_statistics"),
    *_one_point_each(
        "lab3", "overfitting", "dropout_average", "dropout_training", "subnetwork_ensemble",
        "unit_removal", "dropconnect_variance", "annealed_dropout", "maxout_fit",
        "maxout_networks", "augmented_labels", "augmentation_training"),
    *_one_point_each(
        "lab4", "bootstrap_fraction", "perceptron_boundaries", "bias_variance_terms",
        "correlated_members", "bagged_networks"),
    *_one_point_each(
        "lab5", "corruption_fractions", "denoising_reconstruction", "filters",
        "pretraining_few_labels", "tied_weights", "linear_pca", "supervised_pretraining",
        "transfer_second_task"),
    *_one_point_each(
        "lab6", "learning_rate_limit", "momentum_steps", "momentum_schedule_deep_net", "adaptive_after_drop",
        "adam_bias_correction", "optimisers_mnist", "schedules_noise",
        "amsgrad_after_drop", "decoupled_decay", "clipping_bowl"),
)

_BY_ID = {question.id: question for question in QUESTIONS}


def get_question(question_id: str) -> Question:
    """The question with this id, or a KeyError that lists the lab's question ids."""
    try:
        return _BY_ID[question_id]
    except KeyError:
        lab = question_id.split(".", 1)[0]
        known = ", ".join(q.id for q in QUESTIONS if q.lab == lab) or "none"
        raise KeyError(f"unknown question id {question_id!r}; known ids of {lab}: {known}") from None


def questions_of(lab: str) -> list[Question]:
    return [question for question in QUESTIONS if question.lab == lab]
