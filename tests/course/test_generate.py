"""One source of truth: generated files are fresh, stubs are faithful, nothing leaks."""

import ast
from pathlib import Path

import nbformat
import pytest

from autograder import generate as gen
from autograder.questions import answer_leaks
from mlplab.course.questions import automatic_questions_of, get_question, questions_of
from mlplab.course.tasks import LABS, TASKS, exercise_files

REPO = Path(__file__).resolve().parents[2]


def test_generated_files_are_fresh_and_leak_nothing():
    problems = gen.generate(check_only=True)
    assert problems == [], "\n".join(problems)


def _functions(path: Path) -> dict[str, ast.FunctionDef]:
    found = {}

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.FunctionDef):
                found[f"{prefix}{child.name}"] = child

    visit(ast.parse(path.read_text()), "")
    return found


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.id)
def test_stub_keeps_signature_and_docstring_and_fails_loudly(task):
    stub = _functions(REPO / task.file)
    solution = _functions(REPO / "solutions" / task.file)
    for symbol in task.symbols:
        s, r = stub[symbol], solution[symbol]
        assert ast.dump(s.args) == ast.dump(r.args), f"{symbol}: signature differs from the solution"
        assert ast.get_docstring(s) == ast.get_docstring(r), f"{symbol}: docstring differs"
        assert ast.get_docstring(s), f"{symbol} has no docstring"
        body = [n for n in s.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
        assert len(body) == 1 and isinstance(body[0], ast.Raise), f"{symbol}: stub body is not a single raise"
        message = body[0].exc.args[0].value
        assert message.startswith(f"Lab {task.lab[3:]}, task {task.number}:"), message


def test_every_exercise_file_and_notebook_is_generated():
    for relpath in exercise_files("lab1"):
        assert (REPO / relpath).is_file()
    nb = nbformat.read(REPO / "labs" / "lab1.ipynb", as_version=4)
    graded = [
        c.metadata["nbgrader"]["grade_id"]
        for c in nb.cells
        if c.cell_type == "code"
        and c.metadata.get("nbgrader", {}).get("grade")
        and not c.metadata["nbgrader"].get("solution")
    ]
    assert graded == [t.cell_id for t in TASKS if t.lab == "lab1"]
    points = {
        c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"]
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade")
    }
    assert points == {
        **{t.cell_id: t.points for t in TASKS if t.lab == "lab1"},
        **{q.cell_id: q.points for q in questions_of("lab1")},
    }
    for cell in nb.cells:
        assert "HIDDEN" not in cell.source and "assert_task" not in cell.source


def test_graded_cells_of_the_source_notebook_only_self_check():
    """Nothing in a graded cell judges: the trusted grader's verdict replaces its output at autograde."""
    nb = gen.build_source_notebook("lab1")
    graded = [
        c
        for c in nb.cells
        if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade") and not c.metadata.nbgrader.solution
    ]
    assert [c.source for c in graded] == [f'import mlplab\nmlplab.check("{t.id}")' for t in TASKS if t.lab == "lab1"]


@pytest.mark.parametrize("lab", LABS)
def test_answer_cells_are_empty_in_the_student_notebook_and_hold_the_model_answer_in_the_source(lab):
    """Each question: a manually graded markdown cell (written) or an answer code cell (choice, numeric),
    in the order of mlplab/course/questions.py; the student's holds no model answer."""

    def answers(nb):
        return [
            (c.metadata["nbgrader"]["grade_id"], c.cell_type, c.source)
            for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("solution")
        ]

    source = answers(gen.build_source_notebook(lab))
    student = nbformat.read(REPO / "labs" / f"{lab}.ipynb", as_version=4)
    questions = questions_of(lab)
    assert [grade_id for grade_id, _, _ in source] == [q.cell_id for q in questions]
    assert [kind for _, kind, _ in source] == ["code" if q.automatic else "markdown" for q in questions]
    blanks = ["YOUR ANSWER HERE" if not q.automatic else f"# {q.id}: {q.hint}\n{gen.ANSWER_STUB}" for q in questions]
    assert answers(student) == [(grade_id, kind, blank) for (grade_id, kind, _), blank in zip(source, blanks)]
    for cell in student.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            assert cell.metadata["nbgrader"]["grade"] and not cell.metadata["nbgrader"]["locked"]
    released = {line.strip() for cell in student.cells for line in cell.source.split("\n")}
    for grade_id, kind, text in source:
        if kind == "code":
            assert text.split("\n")[1] == "### BEGIN SOLUTION" and text.endswith("### END SOLUTION"), grade_id
            continue
        model = [line for line in text.split("\n")[1:-1] if len(line.strip()) >= 16]
        assert model, f"{grade_id}: no model answer"
        assert not [line for line in model if line.strip() in released], f"{grade_id}: the model answer is released"


@pytest.mark.parametrize("lab", LABS)
def test_every_choice_and_numeric_question_has_its_prompt_above_its_answer_cell(lab):
    student = nbformat.read(REPO / "labs" / f"{lab}.ipynb", as_version=4)
    for question in automatic_questions_of(lab):
        (index,) = [
            i for i, c in enumerate(student.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == question.cell_id
        ]
        prompt = student.cells[index - 1]
        assert prompt.cell_type == "markdown" and prompt.source == gen.prompt_text(question)
        assert question.prompt in prompt.source and "graded automatically" in prompt.source
        for key, text in question.options:
            assert key in prompt.source and text in prompt.source


@pytest.mark.parametrize("lab", LABS)
def test_no_expected_answer_in_the_generated_notebooks_or_the_package(lab):
    """Every choice and numeric model answer is looked for by content in labs/ and mlplab/: its
    assignment however spaced or quoted, and for a number any number that would be graded right
    (in the lab's notebook) or the number itself (anywhere)."""
    assert automatic_questions_of(lab), f"{lab} has no automatically graded question"
    assert not answer_leaks([REPO / "labs", REPO / "mlplab"], [lab])
    student = nbformat.read(REPO / "labs" / f"{lab}.ipynb", as_version=4)
    from autograder.questions import answer_sources, read_answer

    sources = answer_sources(student, lab)
    assert all(read_answer(sources[q.cell_id]) is None for q in automatic_questions_of(lab))


def test_the_answer_leak_detector_finds_an_expected_answer_however_written(tmp_path):
    """It is not blind: a model answer copied into a notebook, a README or a package file is found."""
    from autograder.questions import expected_answers

    expected = expected_answers("lab1")
    choice = next(q for q in automatic_questions_of("lab1") if q.kind == "choice")
    numeric = next(q for q in automatic_questions_of("lab1") if q.kind == "numeric")
    value = expected[numeric.id]
    (tmp_path / "lab1.ipynb").write_text(
        nbformat.writes(
            nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"answer  =  '{expected[choice.id].upper()}'")])
        )
    )
    (tmp_path / "README.md").write_text(f"the answer is about {value * (1 + numeric.tolerance / 2):.6g}\n")
    (tmp_path / "table.py").write_text(f"ANSWERS = [{value!r}]\n")
    (tmp_path / "lab2.ipynb").write_text(
        nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"{value * 1.001:.6g}")]))
    )
    found = answer_leaks([tmp_path], ["lab1"])
    assert any("lab1.ipynb" in p and choice.id in p for p in found), found
    assert any("README.md" in p and numeric.id in p for p in found), found
    assert any("table.py" in p and numeric.id in p for p in found), found
    assert not any("lab2.ipynb" in p for p in found), "a near number in another lab's notebook is no leak"


def test_model_answers_count_as_solution_lines():
    """A model answer copied into a student's notebook is a leak, like a line of a solution."""
    model = gen.build_source_notebook("lab2").cells
    text = next(
        c.source
        for c in model
        if c.metadata.get("nbgrader", {}).get("grade_id") == get_question("lab2.batchnorm_outputs").cell_id
    )
    lines = [line for line in text.split("\n")[1:-1] if len(line.strip()) >= 16]
    assert lines and all(line.strip() in gen.solution_lines() for line in lines)


def test_answer_cells_must_hold_just_a_model_answer(tmp_path):
    with pytest.raises(gen.SourceError, match="lab1.depth_product must be a model answer between"):
        gen.answer_cell(get_question("lab1.depth_product"), ["# ### BEGIN SOLUTION", "# ### END SOLUTION"], "lab1.py")
    with pytest.raises(gen.SourceError, match="must be a model answer between"):
        gen.answer_cell(
            get_question("lab1.depth_product"),
            ["# Your answer:", "# ### BEGIN SOLUTION", "# yes", "# ### END SOLUTION"],
            "lab1.py",
        )
    with pytest.raises(gen.SourceError, match="the answer cell of lab1.chain_half_norm must be"):
        gen.automatic_answer_cells(get_question("lab1.chain_half_norm"), ["answer = 1.0"], "lab1.py")
    with pytest.raises(gen.SourceError, match="model answer of lab1.chain_half_norm is not a valid answer"):
        gen.automatic_answer_cells(
            get_question("lab1.chain_half_norm"), ["### BEGIN SOLUTION", 'answer = "b"', "### END SOLUTION"], "lab1.py"
        )
    with pytest.raises(gen.SourceError, match="model answer of lab1.tanh_saturated_init is not a valid answer"):
        gen.automatic_answer_cells(
            get_question("lab1.tanh_saturated_init"), ["### BEGIN SOLUTION", 'answer = "z"', "### END SOLUTION"], "x"
        )
    with pytest.raises(gen.SourceError, match=r"lab9.py:1: unknown question id 'lab1.nope'"):
        gen.parse_percent("# %% [answer lab1.nope]\n", "lab9.py")


def test_leak_detector_finds_markers_and_solution_lines(tmp_path):
    secret = sorted(gen.solution_lines())
    assert secret, "no solution lines found: the detector would be blind"
    (tmp_path / "marker.py").write_text("x = 1\n### BEGIN SOLUTION\n")
    (tmp_path / "mlplab" / "exercises").mkdir(parents=True)
    (tmp_path / "mlplab" / "exercises" / "initialisers.py").write_text(f"def f():\n    {secret[0]}\n")
    found = gen.find_leaks([tmp_path])
    assert any("marker.py" in p and "BEGIN SOLUTION" in p for p in found)
    assert any("initialisers.py" in p and "solution line" in p for p in found)


def test_unmatched_solution_markers_are_an_error():
    with pytest.raises(gen.SourceError, match="where.py"):
        gen._clear_solutions("def f():\n    ### BEGIN SOLUTION\n    return 1\n", "where.py")


def test_percent_format_errors_name_the_line():
    with pytest.raises(gen.SourceError, match=r"lab9.py:2: unknown cell tag"):
        gen.parse_percent("# %%\n# %% [bogus]\n", "lab9.py")
    with pytest.raises(gen.SourceError, match=r"unknown exercise id 'lab1.nope'"):
        gen.parse_percent("# %% [task lab1.nope]\n", "lab9.py")
