"""Choice and numeric questions, graded by the trusted side from the notebook's source, never run.

Lab-generic: every lab has at least two; each one's model answer is valid, is what the reference's
experiment computes (or, for lecture 004's quizzes, the lecture's answer), and scores full marks;
the blank release scores 0; a wrong answer loses exactly its question's points with a message
that never shows the expected answer; an answer cell that is not one literal assignment scores 0
and is not executed.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder.questions import (
    AnswerError,
    answer_sources,
    expected_answers,
    grade_questions,
    judge,
    read_answer,
)
from mlplab.course.questions import QUESTIONS, Question, automatic_questions_of, get_question
from mlplab.course.tasks import LABS

REPO = Path(__file__).resolve().parents[2]
AUTOMATIC = [q for q in QUESTIONS if q.automatic]
SEED = 0  # the notebooks' SEED


# ---------------------------------------------------------------- what each expected answer is derived from


def _lab1_chain():
    from mlplab.course.experiments import lab1

    r = lab1.deep_linear_chain(scales=(0.5,), num_layers=30, seed=SEED)[0.5]
    return r["output_norm"][-1] / r["output_norm"][0]


def _lab1_tanh_saturated():
    from mlplab.course.experiments import lab1

    inits = ("N(0, 0.01^2)", "N(0, 1)", "Glorot normal")
    stats = lab1.activation_statistics("tanh", inits=inits, num_layers=10, width=500, batch_size=500, seed=SEED)
    (saturated,) = [i for i, name in enumerate(inits) if stats[name]["saturated"][-1] > 0.5]
    return "abc"[saturated]


def _lab1_relu_ratio():
    from mlplab.course.experiments import lab1

    stats = lab1.activation_statistics(
        "relu", inits=("Glorot normal", "He normal"), num_layers=10, width=500, batch_size=500, seed=SEED
    )
    return stats["Glorot normal"]["std"][-1] / stats["Glorot normal"]["std"][0]


def _lab2_small_std_unit():
    from mlplab.course.experiments import lab2

    demo = lab2.forward_demo(seed=SEED)
    low = [j for j, s in enumerate(demo["plain_std"]) if s < 0.99]
    assert low, "no unit comes out visibly below standard deviation 1"
    if low == [int(np.argmin(demo["input_std"]))]:
        return "b"
    return "a" if low == [int(np.argmax(np.abs(demo["input_mean"])))] else "c"


def _lab2_spatial_pattern():
    from mlplab.course.experiments import lab2

    spatial = lab2.spatial_statistics(seed=SEED)
    assert spatial["pattern_kept"] > 0.9 and abs(spatial["pattern_erased"]) < 0.1, spatial["pattern_kept"]
    return "a"


def _lab3_ink_kept():
    from mlplab.course.experiments import lab3

    return lab3.dropped_pixels(incl_probs=(0.8, 0.5), num_images=8, seed=SEED)[0.5]["kept_ink"]


def _lab3_rate():
    from mlplab.course.experiments import lab3

    conventions = lab3.dropout_conventions(incl_prob=0.5, num_masks=(1, 10, 100, 1000, 10000), seed=SEED)
    logk = np.log(conventions["num_masks"])
    slopes = [np.polyfit(logk, np.log(e), 1)[0] for e in conventions["relative_error"].values()]
    (key,) = {"a" if s < -0.8 else "b" if s < -0.3 else "c" for s in slopes}
    return key


def _lab4_correlated():
    from mlplab.course.experiments import lab4

    return lab4.correlated_ensembles(correlations=(0.0, 0.5, 0.9), max_models=50, num_points=4000, seed=SEED)


def _lab4_rho_half():
    return _lab4_correlated()[0.5]["bagged_errors"][-1]


def _lab4_gain():
    runs = _lab4_correlated()
    gains = [runs[rho]["bagged_errors"][0] - runs[rho]["bagged_errors"][-1] for rho in (0.0, 0.5, 0.9)]
    return "abc"[int(np.argmax(gains))]


def _lab5_stats():
    from mlplab.course.experiments import lab5

    return lab5.corruption_examples(num_images=100, seed=SEED)["stats"]


def _lab5_salt_pepper():
    return _lab5_stats()["salt and pepper 0.2"]["changed"]


def _lab5_most_ink():
    stats = _lab5_stats()
    names = ("gaussian 0.3", "masking 0.3", "salt and pepper 0.2")
    return "abc"[int(np.argmax([stats[name]["zeroed_ink"] for name in names]))]


def _lab6_momentum_steps():
    from mlplab.course.experiments import lab6

    return lab6.optimiser_race(names=("SGD", "momentum", "Nesterov"))["momentum"]["steps"]


def _lab6_adam_second():
    from mlplab.course.experiments import lab6

    adam = lab6.adam_bias_correction(num_steps=40, seed=SEED)
    assert adam["t"][1] == 2
    return adam["uncorrected_step"][1]


# the notebooks' experiments, at the notebooks' default settings
COMPUTED = {
    "lab1.chain_half_norm": _lab1_chain,
    "lab1.tanh_saturated_init": _lab1_tanh_saturated,
    "lab1.relu_glorot_ratio": _lab1_relu_ratio,
    "lab2.small_std_unit": _lab2_small_std_unit,
    "lab2.spatial_pattern": _lab2_spatial_pattern,
    "lab3.ink_kept_half": _lab3_ink_kept,
    "lab3.mask_average_rate": _lab3_rate,
    "lab4.rho_half_bagged_error": _lab4_rho_half,
    "lab4.correlation_gain": _lab4_gain,
    "lab5.salt_pepper_changed": _lab5_salt_pepper,
    "lab5.most_ink_zeroed": _lab5_most_ink,
    "lab6.momentum_race_steps": _lab6_momentum_steps,
    "lab6.adam_uncorrected_second_step": _lab6_adam_second,
}
# lecture 004's quizzes: the answer the lecture gives (its slides on initialisation, the linearity and
# vanishing-gradient problems, the bias problem and bagging)
LECTURE = {
    "lab1.quiz_variance_fan_in": "true",  # <a^2> = N <w^2> = 1
    "lab1.quiz_std_fan_in": "true",  # the same rule
    "lab1.quiz_fan_in_thresholds": "false",  # the sum runs over the inputs; thresholds start at 0
    "lab1.quiz_zero_thresholds": "true",
    "lab1.quiz_relu_scale": "true",  # a ReLU's only nonlinearity is at 0: mean 0 suffices
    "lab1.quiz_relu_paths": "a",  # active forward paths coincide with good gradient transmission
    "lab1.quiz_relu_active_linear": "true",  # g' = 1 on active paths
    "lab1.quiz_relu_same_filter": "false",  # different patterns, different active paths
    "lab1.quiz_sigmoid_small_weights": "true",  # all patterns in the linear regime
    "lab1.quiz_sigmoid_big_weights": "true",  # saturated units: g' small
    "lab1.quiz_relu_update_mean": "true",  # the bias problem: non-negative inputs
    "lab1.quiz_selu_update_mean": "false",  # "no problem for SELU": outputs of both signs
    "lab4.quiz_average_models": "b",  # E_bag = V/K + d^2 below <E_k> = V + d^2
}


def _literal(value) -> str:
    return repr(value.item() if isinstance(value, np.generic) else value)


@pytest.fixture(params=LABS)
def lab(request):
    return request.param


def test_every_lab_has_at_least_two_automatic_questions_with_valid_model_answers(lab):
    questions = automatic_questions_of(lab)
    assert len([q for q in questions if q.id in COMPUTED]) >= 2, f"{lab}: fewer than two drawn from its experiments"
    assert set(expected_answers(lab)) == {q.id for q in questions}


def test_every_automatic_question_has_a_derivation():
    assert {q.id for q in AUTOMATIC} == set(COMPUTED) | set(LECTURE)
    assert not set(COMPUTED) & set(LECTURE)


@pytest.mark.parametrize("question_id", sorted(LECTURE))
def test_a_quiz_answer_is_the_lecture_s(question_id):
    question = get_question(question_id)
    assert expected_answers(question.lab)[question_id] == LECTURE[question_id]


@pytest.mark.parametrize("question_id", sorted(COMPUTED))
def test_the_expected_answer_is_what_the_reference_computes(question_id):
    """The model answer is the number (or the option) the notebook's experiment gives on the reference,
    within the question's tolerance: a student who reads it off their own run is right."""
    question = get_question(question_id)
    computed = COMPUTED[question_id]()
    expected = expected_answers(question.lab)[question_id]
    if question.kind == "choice":
        assert computed == expected
    else:
        assert abs(float(computed) - float(expected)) <= question.tolerance * abs(float(expected)) / 2, (
            f"{question_id}: the reference computes {computed!r}, the model answer is {expected!r}"
        )
    result = judge(question, f"answer = {_literal(computed)}", expected)
    assert result.points == question.points, result.message


# ---------------------------------------------------------------- reading an answer


@pytest.mark.parametrize(
    "source, value",
    [
        ('answer = "b"', "b"),
        ("# my answer\nanswer = 'B'  # sure", "B"),
        ("answer = -3.5e-4", -3.5e-4),
        ("answer = 57", 57),
        ("answer = None", None),
    ],
)
def test_a_literal_assignment_is_read(source, value):
    assert read_answer(source) == value


@pytest.mark.parametrize(
    "source",
    [
        "answer = open('/etc/passwd').read()",
        "answer = float('0.5')",
        "answer = __import__('os').system('true')",
        "answer = x",
        "answer = 1 / 3",
        "answer = [1, 2][0] if True else 0",
        "import os\nanswer = 1.0",
        "answer = 1.0\nanswer = 2.0",
        "answer, other = 1, 2",
        "result = 1.0",
        "answer = 1.0 +",
        "answer = f'{1}'",
        "answer = " + "(" * 500 + "1" + ")" * 500,
        "answer = " + "9" * 5000,
    ],
)
def test_anything_but_one_literal_assignment_is_refused(source):
    with pytest.raises(AnswerError):
        read_answer(source)


def test_a_non_literal_answer_scores_0_and_is_never_executed(tmp_path):
    marker = tmp_path / "ran"
    question = get_question("lab1.tanh_saturated_init")
    for source in (
        f"answer = open({str(marker)!r}, 'w').write('b')",
        f"answer = __import__('pathlib').Path({str(marker)!r}).write_text('b')",
        f"import pathlib; pathlib.Path({str(marker)!r}).touch(); answer = 'b'",
    ):
        result = judge(question, source, "b")
        assert result.points == 0 and "not graded" in result.message, result.message
        assert not marker.exists(), source
    computed = judge(question, "answer = open('/etc/passwd').read()", "b")
    assert "literal" in computed.message and "does not run it" in computed.message


# ---------------------------------------------------------------- judging


def test_choice_answers_ignore_case_and_whitespace():
    question = get_question("lab1.tanh_saturated_init")
    for answer in ('"b"', '" B "', "'b\\n'"):
        assert judge(question, f"answer = {answer}", "b").points == question.points, answer
    wrong = judge(question, 'answer = "a"', "b")
    assert wrong.points == 0 and wrong.message.endswith(": wrong")
    unknown = judge(question, 'answer = "d"', "b")
    assert unknown.points == 0 and 'one of "a", "b", "c"' in unknown.message
    assert "a string" in judge(question, "answer = 2", "b").message


def test_numeric_answers_within_the_tolerance_are_right_and_a_wrong_one_gets_a_hint():
    question = Question("lab1.example", 2, "numeric", "a number?", tolerance=0.05)
    expected = 0.0457
    assert judge(question, "answer = 0.046", expected).points == 2
    assert judge(question, "answer = 0.0435", expected).points == 2
    assert judge(question, "answer = 0.042", expected).points == 0
    assert "sign" in judge(question, "answer = -0.0457", expected).message
    assert "factor of 10^2" in judge(question, "answer = 4.57", expected).message
    assert "factor of 10" in judge(question, "answer = 0.457", expected).message
    assert "reciprocal" in judge(question, "answer = 21.9", expected).message
    plain = judge(question, "answer = 0.07", expected)
    assert plain.points == 0 and plain.message.endswith("wrong."), plain.message
    assert "a number" in judge(question, 'answer = "0.0457"', expected).message
    assert "a number" in judge(question, "answer = True", expected).message
    assert "finite" in judge(question, "answer = 1e999", expected).message


@pytest.mark.parametrize("question_id", [q.id for q in AUTOMATIC])
def test_no_verdict_shows_the_expected_answer(question_id):
    """A choice verdict is the same whichever other option is expected (so it tells nothing of it);
    a numeric one never holds the expected number."""
    question = get_question(question_id)
    expected = expected_answers(question.lab)[question_id]
    common = ["answer = None", "answer = f()", "nonsense ("]
    if question.kind == "choice":
        for answer in [*question.keys, "zz", 3]:
            source = f"answer = {answer!r}"
            others = [key for key in question.keys if key != answer]
            messages = {judge(question, source, key).message for key in others}
            assert len(messages) == 1, (source, messages)
            assert all(judge(question, source, key).points == 0 for key in others)
        for source in common:
            assert len({judge(question, source, key).message for key in question.keys}) == 1
        return
    answers = [f"answer = {expected * factor!r}" for factor in (-1, 10, 0.01, 1.5, 0.5)] + ['answer = "x"', *common]
    for answer in answers:
        result = judge(question, answer, expected)
        assert result.points == 0, answer
        assert str(expected) not in result.message and f"{expected:g}" not in result.message, result.message


# ---------------------------------------------------------------- a whole notebook


def _answered(lab: str, tmp_path: Path, answers: dict[str, str]) -> Path:
    nb = nbformat.read(REPO / "labs" / f"{lab}.ipynb", as_version=4)
    by_cell = {get_question(q).cell_id: text for q, text in answers.items()}
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in by_cell:
            cell.source = by_cell[grade_id]
    path = tmp_path / f"{lab}.ipynb"
    nbformat.write(nb, path)
    return path


def _model_answers(lab: str) -> dict[str, str]:
    return {
        q: f"answer = {_literal(v) if not isinstance(v, str) else repr(v)}" for q, v in expected_answers(lab).items()
    }


def test_the_blank_release_scores_0_and_the_model_answers_full_marks(lab, tmp_path):
    blank = grade_questions(REPO / "labs" / f"{lab}.ipynb", lab)
    assert [r.question_id for r in blank] == [q.id for q in automatic_questions_of(lab)]
    assert all(r.points == 0 and "unanswered" in r.message for r in blank)
    full = grade_questions(_answered(lab, tmp_path, _model_answers(lab)), lab)
    assert all(r.points == r.max_points > 0 for r in full), [r.message for r in full if r.points < r.max_points]


def test_a_wrong_answer_loses_exactly_its_question_s_points(lab, tmp_path):
    questions = automatic_questions_of(lab)
    answers = _model_answers(lab)
    first, last = questions[0], questions[-1]
    expected = expected_answers(lab)
    answers[first.id] = (
        f'answer = "{next(k for k in first.keys if k != expected[first.id])}"'
        if first.kind == "choice"
        else f"answer = {-expected[first.id]!r}"
    )
    answers[last.id] = "answer = open('/etc/passwd').read()"
    results = {r.question_id: r for r in grade_questions(_answered(lab, tmp_path, answers), lab)}
    lost = {q: r.max_points - r.points for q, r in results.items() if r.points < r.max_points}
    assert lost == {first.id: first.points, last.id: last.points}
    assert "wrong" in results[first.id].message and "not graded" in results[last.id].message


def test_a_missing_or_unreadable_notebook_answers_nothing(tmp_path):
    results = grade_questions(tmp_path / "lab1.ipynb", "lab1")
    assert results and all(r.points == 0 and "no answer cell" in r.message for r in results)
    (tmp_path / "lab1.ipynb").write_text("not a notebook {")
    assert all(r.points == 0 for r in grade_questions(tmp_path / "lab1.ipynb", "lab1"))


def test_the_first_cell_of_an_answer_s_id_counts():
    nb = nbformat.v4.new_notebook()
    question = automatic_questions_of("lab2")[0]
    for text in ('answer = "b"', 'answer = "a"'):
        cell = nbformat.v4.new_code_cell(text)
        cell.metadata["nbgrader"] = {"grade_id": question.cell_id}
        nb.cells.append(cell)
    assert answer_sources(nb, "lab2") == {question.cell_id: 'answer = "b"'}
