"""Every question of the labs, declared once: its kind, its points and, for those graded
automatically, its prompt and options.

Three kinds:

* ``written``: each "Question." of a notebook is followed by an answer cell in which the student
  writes a prediction before running the experiment and, after it, what they saw and why. The
  notebook source (``solutions/labs/<lab>.py``) holds a model answer between solution markers in a
  ``# %% [answer <id>]`` cell; the release shows an empty answer cell. A blank answer scores 0
  when the lab is autograded; any other answer waits for a grader (nbgrader's
  ``needs_manual_grade``), who scores it out of the points declared here.
* ``choice``: one of the declared options' keys (``"a"``, ``"true"``...), case and surrounding
  whitespace aside.
* ``numeric``: a number, right within the declared relative ``tolerance``.

A choice or numeric question is graded automatically by the trusted grader
(``autograder/questions.py``), which reads the submitted notebook's answer cell without running
it: the cell must be one assignment of a literal, ``answer = <a key in quotes>`` or ``answer = <a number>``. The
generator writes the prompt (and the options) as a markdown cell before the answer cell. The
expected answer is not here (this module ships to students): it is the ``answer = ...`` between
solution markers in the notebook source's answer cell, and only the trusted side reads it.

Like ``mlplab.course.tasks``, this module imports nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("written", "choice", "numeric")
TRUE_FALSE = (("true", "true"), ("false", "false"))


@dataclass(frozen=True)
class Question:
    id: str
    points: int
    kind: str = "written"
    prompt: str = ""  # one line, choice and numeric only (a written question's prompt is in the notebook)
    options: tuple[tuple[str, str], ...] = ()  # choice: (key, text) pairs; the answer is a key
    tolerance: float = 0.0  # numeric: |answer - expected| <= tolerance * |expected|

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"{self.id}: kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if self.kind != "written" and not self.prompt:
            raise ValueError(f"{self.id}: a {self.kind} question needs a prompt")
        if (self.kind == "choice") != bool(self.options):
            raise ValueError(f"{self.id}: options are for choice questions, and every choice question has them")
        if len({key for key, _ in self.options}) != len(self.options):
            raise ValueError(f"{self.id}: two options with one key")
        if (self.kind == "numeric") != (self.tolerance > 0):
            raise ValueError(f"{self.id}: a numeric question, and only it, declares a tolerance > 0")

    @property
    def automatic(self) -> bool:
        """Graded by the trusted grader (choice, numeric), not by hand (written)."""
        return self.kind != "written"

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(key for key, _ in self.options)

    @property
    def hint(self) -> str:
        """What the answer cell says it expects (the release shows it above ``answer = None``)."""
        if self.kind == "choice":
            return "one of " + ", ".join(f'"{key}"' for key in self.keys) + " (a string)"
        return "a number, written out (e.g. 0.25 or -3e-4)"

    @property
    def name(self) -> str:
        return self.id.split(".", 1)[1]

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


def _choice(question_id: str, prompt: str, *options: str, points: int = 1) -> Question:
    """Options lettered a, b, c... in the order given."""
    return Question(question_id, points, "choice", prompt, tuple(zip("abcdefgh", options)))


def _true_false(question_id: str, statement: str, points: int = 1) -> Question:
    return Question(question_id, points, "choice", f"True or false? {statement}", TRUE_FALSE)


def _numeric(question_id: str, prompt: str, tolerance: float, points: int = 1) -> Question:
    return Question(question_id, points, "numeric", prompt, tolerance=tolerance)


# Lecture 004's quizzes (EPFL, tricks of the trade): statements to judge, in the labs that teach them.
_INITIALISATION_QUIZ = (
    _true_false(
        "lab1.quiz_variance_fan_in",
        "A good initialisation of the weights onto unit i draws them from a Gaussian with mean 0 and "
        "variance 1/n_i, where n_i is the unit's fan-in.",
    ),
    _true_false(
        "lab1.quiz_std_fan_in",
        "A good initialisation of the weights onto unit i draws them from a Gaussian with mean 0 and "
        "standard deviation 1/sqrt(n_i).",
    ),
    _true_false(
        "lab1.quiz_fan_in_thresholds",
        "The fan-in n_i of that rule counts the unit's threshold (bias) as one of its inputs.",
    ),
    _true_false(
        "lab1.quiz_zero_thresholds", "A good initialisation of the thresholds (biases) is zero, or very close to it."
    ),
    _true_false(
        "lab1.quiz_relu_scale",
        "For exploiting the nonlinearity of the units, the standard deviation of the initial weights is less "
        "critical for ReLU units than for sigmoidal ones.",
    ),
)
_VANISHING_GRADIENT_QUIZ = (
    _choice(
        "lab1.quiz_relu_paths",
        "In a ReLU network, how do the paths a pattern activates in the forward pass relate to the paths along "
        "which backpropagation carries its gradient?",
        "they are the same paths: a unit that is inactive in the forward pass also blocks the gradient",
        "backpropagation carries the gradient along the paths of the inactive units",
        "they are unrelated",
    ),
    _true_false(
        "lab1.quiz_relu_active_linear", "Forward propagation in a ReLU network is linear along its active paths."
    ),
    _true_false("lab1.quiz_relu_same_filter", "A ReLU network processes every pattern with the same linear filter."),
    _true_false(
        "lab1.quiz_sigmoid_small_weights",
        "A sigmoidal network with small weights (and normalised inputs) processes every pattern with nearly the "
        "same linear filter.",
    ),
    _true_false(
        "lab1.quiz_sigmoid_big_weights",
        "In a sigmoidal network with big weights, some units that are active in the forward pass pass back a "
        "vanishing gradient in the backward pass.",
    ),
)
_BIAS_QUIZ = (
    _true_false(
        "lab1.quiz_relu_update_mean",
        "A non-zero weight update step of a unit whose inputs are ReLU outputs most often shifts the mean of "
        "its activation.",
    ),
    _true_false(
        "lab1.quiz_selu_update_mean",
        "With SELU units, a non-zero weight update step most often shifts the mean of a unit's activation, as it "
        "does with ReLU units.",
    ),
)

QUESTIONS: tuple[Question, ...] = (
    *_one_point_each("lab1", "depth_product"),
    _numeric(
        "lab1.chain_half_norm",
        "In the deep linear chain above (30 layers), what is ||y|| / ||x|| for W = 0.5 I?",
        tolerance=0.01,
    ),
    *_one_point_each("lab1", "zero_init_units", "zero_init_tanh", "variance_fan_in"),
    *_INITIALISATION_QUIZ,
    *_one_point_each("lab1", "tanh_depth_histograms"),
    _choice(
        "lab1.tanh_saturated_init",
        "In the 10-layer tanh network above, with which weights are more than half of the units of the last "
        "layer saturated (|h| > 0.99)?",
        "N(0, 0.01^2)",
        "N(0, 1)",
        "Glorot normal",
    ),
    *_one_point_each("lab1", "relu_depth_factor"),
    _numeric(
        "lab1.relu_glorot_ratio",
        "In the 10-layer ReLU network above with Glorot normal weights, what is the standard deviation of the "
        "last layer's outputs divided by that of the first layer's?",
        tolerance=0.05,
    ),
    *_one_point_each(
        "lab1",
        "orthogonal_singular_values",
        "per_layer_gradients",
        "gradient_histograms",
        "log_prior_error",
        "linearity",
    ),
    *_VANISHING_GRADIENT_QUIZ,
    *_one_point_each("lab1", "unit_statistics_depth", "mean_drift"),
    *_BIAS_QUIZ,
    *_one_point_each(
        "lab1",
        "quiz_selu_vanishing",
        "stuck_networks",
        "top_layer_saturation",
        "pixel_covariance",
        "standardised_speed",
        "large_learning_rate",
    ),
    *_one_point_each("lab2", "batchnorm_outputs"),
    _choice(
        "lab2.small_std_unit",
        "In the table above (gamma = 1, beta = 0), which unit's batch-normalised outputs have a standard deviation "
        "visibly below 1?",
        "the unit whose inputs have the largest mean",
        "the unit whose inputs have the smallest standard deviation",
        "none: every unit comes out with standard deviation 1",
    ),
    *_one_point_each(
        "lab2",
        "batchnorm_gradcheck",
        "folding",
        "training_mode_gap",
        "running_statistics",
        "learning_rates",
        "weight_scale",
        "distribution_drift",
        "relu_drift",
        "noisy_batch_norm",
        "batch_norm_regulariser",
        "smoothness",
        "spatial_statistics",
    ),
    _choice(
        "lab2.spatial_pattern",
        "In the spatial batch norm experiment above, which statistics keep the spatial pattern of the average "
        "output map?",
        "one mean and variance per channel, over examples, rows and columns",
        "one mean and variance per location of every channel, over examples only",
    ),
    *_one_point_each(
        "lab3",
        "overfitting",
        "dropout_average",
        "dropout_training",
        "dropout_convergence",
        "subnetwork_ensemble",
        "unit_removal",
        "dropconnect_variance",
        "annealed_dropout",
        "maxout_fit",
        "maxout_networks",
        "augmented_labels",
        "augmentation_training",
        "weight_decay",
    ),
    _numeric(
        "lab3.ink_kept_half",
        "In the dropped-pixels experiment (input dropout, weight scaling), what fraction of the ink pixels did "
        "p = 0.5 keep, as printed?",
        tolerance=0.02,
    ),
    _choice(
        "lab3.mask_average_rate",
        "In the experiment on the two dropout conventions, how does the distance between the average of K "
        "masked outputs and the evaluation-mode output fall as K grows?",
        "like 1/K",
        "like 1/sqrt(K)",
        "it does not fall: the average keeps a fixed distance",
    ),
    *_one_point_each("lab4", "bootstrap_fraction", "perceptron_boundaries", "bias_variance_terms"),
    _choice(
        "lab4.quiz_average_models",
        "(Lecture quiz.) You hesitate between ten models that look about equally good on your validation data. "
        "By the bagging theorem, what gives the lowest expected error on new data?",
        "the model that is best on the validation data",
        "the average of the ten models' predictions",
        "any one of them: they are equally good",
    ),
    *_one_point_each("lab4", "quiz_ten_entries", "correlated_members"),
    _numeric(
        "lab4.rho_half_bagged_error",
        "In the correlated-ensembles experiment above, what is E_bag with rho = 0.5 and K = 50 members, as printed?",
        tolerance=0.05,
    ),
    _choice(
        "lab4.correlation_gain",
        "In the same experiment, for which correlation between members does going from 1 to 50 members lower "
        "E_bag the most?",
        "rho = 0",
        "rho = 0.5",
        "rho = 0.9",
    ),
    *_one_point_each("lab4", "bagged_networks"),
    *_one_point_each(
        "lab5",
        "corruption_fractions",
        "denoising_reconstruction",
        "filters",
        "pretraining_few_labels",
        "tied_weights",
        "linear_pca",
        "supervised_pretraining",
        "transfer_second_task",
    ),
    _numeric(
        "lab5.salt_pepper_changed",
        "In the corruption experiment, what fraction of all pixels did salt and pepper noise (0.2) change, as printed?",
        tolerance=0.05,
    ),
    _choice(
        "lab5.most_ink_zeroed",
        "In the corruption experiment, which corruption set the largest fraction of the ink pixels to 0?",
        "Gaussian noise (0.3)",
        "masking noise (0.3)",
        "salt and pepper noise (0.2)",
    ),
    *_one_point_each("lab6", "learning_rate_limit", "momentum_steps"),
    _numeric(
        "lab6.momentum_race_steps",
        "In the race above, after how many steps did momentum bring the loss down to 1e-4 of the start?",
        tolerance=0.02,
    ),
    *_one_point_each("lab6", "momentum_schedule_deep_net", "adaptive_after_drop", "adam_bias_correction"),
    _numeric(
        "lab6.adam_uncorrected_second_step",
        "In the bias-correction experiment above, without bias correction, how large is Adam's second step (t = 2), "
        "as a multiple of the learning rate?",
        tolerance=0.02,
    ),
    *_one_point_each(
        "lab6", "optimisers_mnist", "schedules_noise", "amsgrad_after_drop", "decoupled_decay", "clipping_bowl"
    ),
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


def automatic_questions_of(lab: str) -> list[Question]:
    """The lab's choice and numeric questions: scored by the trusted grader."""
    return [question for question in questions_of(lab) if question.automatic]


def written_questions_of(lab: str) -> list[Question]:
    """The lab's written questions: scored by hand."""
    return [question for question in questions_of(lab) if not question.automatic]
