"""The student's room: ``mlplab/exercises/`` holds the task table's files and only task code.

A student finds their files in one folder; everything in it is theirs to change, and nothing
outside it loads it when imported (so the grader can choose where the exercises come from).
"""

import ast
from pathlib import Path

import pytest

from mlplab.course.tasks import TASKS, exercise_files

REPO = Path(__file__).resolve().parents[2]
EXERCISES = "mlplab/exercises"
# Besides the task symbols, an exercise class may carry what makes it an object a task can use:
# its constructor (the arguments the task's docstring names), __repr__, __len__ and read-only properties.
ALLOWED_MEMBERS = {"__init__", "__repr__", "__len__"}


def _python_files(folder: Path) -> set[str]:
    return {p.relative_to(folder.parents[1]).as_posix() for p in folder.rglob("*.py") if "__pycache__" not in p.parts}


@pytest.mark.parametrize("root", [REPO, REPO / "solutions"], ids=["stubs", "solutions"])
def test_the_exercise_folder_holds_exactly_the_task_files(root):
    assert all(f.startswith(EXERCISES + "/") for f in exercise_files())
    assert _python_files(root / EXERCISES) == set(exercise_files())
    assert not list((root / EXERCISES).rglob("__init__.py"))


def _symbols_of(tree: ast.Module) -> tuple[set[str], list[str]]:
    """Top-level functions, class members (``Class.method``) and what else the module holds."""
    symbols, other = set(), []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            symbols.add(node.name)
        elif isinstance(node, ast.ClassDef):
            for member in node.body:
                if isinstance(member, ast.FunctionDef):
                    prop = any(isinstance(d, ast.Name) and d.id == "property" for d in member.decorator_list)
                    if member.name not in ALLOWED_MEMBERS and not prop:
                        symbols.add(f"{node.name}.{member.name}")
                elif not isinstance(member, (ast.Assign, ast.AnnAssign)) and not (
                    isinstance(member, ast.Expr) and isinstance(member.value, ast.Constant)
                ):
                    other.append(f"{node.name}: {ast.unparse(member)[:60]}")
        elif isinstance(node, (ast.Import, ast.ImportFrom, ast.Assign, ast.AnnAssign)):
            continue  # imports, type aliases and constants the docstrings name
        elif not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            other.append(ast.unparse(node)[:60])
    return symbols, other


@pytest.mark.parametrize("relpath", exercise_files())
def test_every_exercise_file_holds_only_task_symbols(relpath):
    tree = ast.parse((REPO / "solutions" / relpath).read_text())
    symbols, other = _symbols_of(tree)
    tasks = {s for t in TASKS if t.file == relpath for s in t.symbols}
    classes = {s.split(".")[0] for s in tasks if "." in s}
    assert symbols - classes == tasks, f"{relpath}: not a task symbol: {sorted(symbols - classes - tasks)}"
    assert not other, f"{relpath} holds provided code: {other}"


def _module_level_imports(tree: ast.Module) -> list[str]:
    """Modules imported outside any function (in the module body, in a class body, under an if)."""
    found = []

    def visit(node):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            if isinstance(child, ast.Import):
                found.extend(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module:
                found.extend([child.module] + [f"{child.module}.{a.name}" for a in child.names])
            visit(child)

    visit(tree)
    return found


def test_nothing_outside_the_exercises_imports_them_at_module_level():
    offenders = []
    for folder in ("mlplab", "autograder", "bench"):  # tests run on the reference and may
        for path in sorted((REPO / folder).rglob("*.py")):
            relpath = path.relative_to(REPO).as_posix()
            if relpath.startswith(EXERCISES + "/") or "__pycache__" in relpath:
                continue
            imports = _module_level_imports(ast.parse(path.read_text()))
            offenders += [f"{relpath}: {name}" for name in imports if name.startswith("mlplab.exercises.")]
    assert not offenders, "import exercise modules inside the function that uses them:\n" + "\n".join(offenders)
