"""Tampering with graded cells, their points and metadata, and the check functions."""

from __future__ import annotations

import copy

import nbformat

from attackzoo import Attack, edit_notebook, graded_cells

NO_OP_CHECKS = (
    "def check(*args, **kwargs):\n    print('PASS: passed the hidden checks')\n\n"
    "def assert_task(*args, **kwargs):\n    pass\n\n"
    "def use_exercises(*args, **kwargs):\n    pass\n\n"
    "def exercise_source():\n    return 'mlplab'\n"
)


def _replace_checks(folder, ctx):
    (folder / "mlplab" / "__init__.py").write_text(NO_OP_CHECKS)


def _shadow_checks_and_tasks(folder, ctx):
    checks = folder / "mlplab" / "course" / "checks"
    for path in checks.rglob("*.py"):
        path.write_text("def __getattr__(name):\n    return lambda *a, **k: True\n")
    tasks = folder / "mlplab" / "course" / "tasks.py"
    tasks.write_text(tasks.read_text().replace("points=", "points=100 or "))


def _inflate_points(folder, ctx):
    def change(nb):
        for cell in graded_cells(nb):
            cell.metadata.nbgrader["points"] = 100
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                cell.metadata["nbgrader"] = {
                    "grade": True,
                    "solution": False,
                    "locked": False,
                    "grade_id": f"bonus-{id(cell)}",
                    "points": 50,
                    "schema_version": 3,
                    "task": False,
                }
                break

    edit_notebook(folder, change)


def _copy_graded_cell(folder, ctx):
    def change(nb):
        first = graded_cells(nb)[0]
        twin = copy.deepcopy(first)
        twin.id = "copied-graded-cell"
        nb.cells.append(twin)

    edit_notebook(folder, change)


def _delete_graded_cells(folder, ctx):
    edit_notebook(folder, lambda nb: setattr(nb, "cells", [c for c in nb.cells if c not in graded_cells(nb)]))


def _new_graded_cell(folder, ctx):
    def change(nb):
        cell = nbformat.v4.new_code_cell("print('bonus: full marks')")
        cell.metadata["nbgrader"] = {
            "grade": True,
            "solution": False,
            "locked": True,
            "grade_id": "lab5-bonus",
            "points": 100,
            "schema_version": 3,
            "task": False,
        }
        nb.cells.append(cell)
        for cell in graded_cells(nb):
            cell.source = "print('ok')"
            cell.metadata.nbgrader["checksum"] = "0" * 32

    edit_notebook(folder, change)


def _retarget_cell(folder, ctx):
    """Ungraded cells take the ids of graded ones; the graded cells lose their metadata."""

    def change(nb):
        graded = graded_cells(nb)
        ids = [c.metadata.nbgrader["grade_id"] for c in graded]
        for cell in graded:
            del cell.metadata["nbgrader"]
        plain = [c for c in nb.cells if c.cell_type == "code" and "nbgrader" not in c.metadata]
        for cell, grade_id in zip(plain, ids):
            cell.metadata["nbgrader"] = {
                "grade": True,
                "solution": True,
                "locked": False,
                "grade_id": grade_id,
                "points": 100,
                "schema_version": 3,
                "task": False,
            }

    edit_notebook(folder, change)


ATTACKS = [
    Attack(
        "replace_check_functions",
        "mlplab/__init__.py replaced: check/assert_task/use_reference no-ops that print 'passed the hidden checks'",
        _replace_checks,
    ),
    Attack(
        "shadow_checks_and_tasks",
        "the submission's mlplab/course/checks/*.py always pass and its mlplab/course/tasks.py gives 100 points a task",
        _shadow_checks_and_tasks,
    ),
    Attack(
        "inflate_points",
        "graded cells say 100 points, a markdown cell becomes a 50-point graded "
        "cell (on the reference: keeps exactly full marks of the real scale)",
        _inflate_points,
        base="reference",
    ),
    Attack(
        "copy_graded_cell",
        "a graded cell copy-pasted at the end (duplicate grade id)",
        _copy_graded_cell,
        base="reference",
    ),
    Attack(
        "delete_graded_cells",
        "every graded cell deleted (the code is still graded)",
        _delete_graded_cells,
        base="reference",
    ),
    Attack(
        "new_graded_cell", "a new 100-point graded cell; graded cells' source and checksums replaced", _new_graded_cell
    ),
    Attack("retarget_graded_ids", "graded cells' metadata moved onto ordinary cells with 100 points", _retarget_cell),
]
