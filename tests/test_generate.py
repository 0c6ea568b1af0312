"""One source of truth: generated files are fresh, stubs are faithful, nothing leaks."""
import ast
from pathlib import Path

import nbformat
import pytest

from autograder import generate as gen
from mlplab.tasks import TASKS, exercise_files

REPO = Path(__file__).resolve().parents[1]


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
    graded = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert graded == [t.cell_id for t in TASKS if t.lab == "lab1"]
    points = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"]
              for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")}
    assert points == {t.cell_id: t.points for t in TASKS if t.lab == "lab1"}
    for cell in nb.cells:
        assert "HIDDEN" not in cell.source and "assert_task" not in cell.source


def test_graded_cells_of_the_source_notebook_only_self_check():
    """Nothing in a graded cell judges: the trusted grader's verdict replaces its output at autograde."""
    nb = gen.build_source_notebook("lab1")
    graded = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert [c.source for c in graded] == [f'import mlplab\nmlplab.check("{t.id}")' for t in TASKS if t.lab == "lab1"]


def test_leak_detector_finds_markers_and_solution_lines(tmp_path):
    secret = sorted(gen.solution_lines())
    assert secret, "no solution lines found: the detector would be blind"
    (tmp_path / "marker.py").write_text("x = 1\n### BEGIN SOLUTION\n")
    (tmp_path / "mlplab").mkdir()
    (tmp_path / "mlplab" / "initialisers.py").write_text(f"def f():\n    {secret[0]}\n")
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
