"""What every lab's notebook source (``solutions/labs/<lab>.py``) must be, whatever its topic.

One graded cell per task, in the task table's order and left empty for the student; an answer
cell after every question, holding only its model answer between solution markers (no marker
anywhere else); only experiments that exist are called; and importing
the lab's experiments loads no exercise module (they are imported only when an experiment runs,
so the notebook opens even while the exercises are stubs).
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.generate import parse_percent
from mlplab.course.questions import QUESTIONS, questions_of
from mlplab.course.tasks import LABS, TASKS, tasks_of

REPO = Path(__file__).resolve().parents[2]
SOURCES = {lab: REPO / "solutions" / "labs" / f"{lab}.py" for lab in LABS}


@pytest.fixture(params=sorted(SOURCES))
def lab(request):
    return request.param


def test_one_empty_graded_cell_per_task_in_order(lab):
    cells = parse_percent(SOURCES[lab].read_text(), str(SOURCES[lab]))
    graded = [cell.task.id for cell in cells if cell.kind == "task"]
    assert graded == [task.id for task in tasks_of(lab)]
    for cell in cells:
        if cell.kind == "task":
            assert not any(line.strip() for line in cell.lines), f"{cell.task.id}: task cells stay empty"


def test_calls_only_existing_experiments(lab):
    experiments = importlib.import_module(f"mlplab.course.experiments.{lab}")
    code = "\n".join(
        line
        for cell in parse_percent(SOURCES[lab].read_text(), str(SOURCES[lab]))
        if cell.kind == "code"
        for line in cell.lines
    )
    called = set(re.findall(rf"\b{lab}\.([A-Za-z_]\w*)", code))
    assert called, "the notebook calls no experiment"
    missing = sorted(name for name in called if not hasattr(experiments, name))
    assert not missing, f"the notebook calls {lab}.{missing}, which do not exist"


def test_has_solution_markers_only_around_model_answers(lab):
    # spelled in pieces so that this file does not contain the markers itself
    markers = ("BEGIN " + "SOLUTION", "END " + "SOLUTION", "BEGIN " + "HIDDEN TESTS")
    cells = parse_percent(SOURCES[lab].read_text(), str(SOURCES[lab]))
    for cell in cells:
        if cell.kind != "answer":
            assert not [m for m in markers for line in cell.lines if m in line]
    answered = [cell.question.id for cell in cells if cell.kind == "answer"]
    assert answered == [q.id for q in questions_of(lab)], "one answer cell per question, in the table's order"


def test_every_question_is_followed_by_its_answer_cell(lab):
    """A written question is asked in the notebook's prose; a choice or numeric one's prompt is
    generated from its declaration, so no "Question." of the prose stands before its answer cell."""
    cells = parse_percent(SOURCES[lab].read_text(), str(SOURCES[lab]))
    for before, cell in zip(cells, cells[1:]):
        asks = before.kind == "markdown" and any("**Question.**" in line for line in before.lines)
        written = cell.kind == "answer" and not cell.question.automatic
        assert asks == written, "\n".join(before.lines[-3:])


def test_importing_the_experiments_does_not_import_exercise_code(lab):
    code = (
        f"import sys, mlplab.course.experiments.{lab}, mlplab.layers, mlplab.layers.normalisation, "
        "mlplab.learning_rules, mlplab.models, mlplab.training\n"
        "from mlplab.course.tasks import exercise_modules\n"
        "loaded = [m for m in exercise_modules() if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLPLAB_")}
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_answer_cells_and_export_columns_never_share_a_task_name():
    """A written answer's grade_id and export column are its own: a question named like a task
    (``lab3.annealed_dropout``) must not overwrite that task's score in the gradebook or the CSV."""
    task_names = {t.id for t in TASKS} | {t.cell_id for t in TASKS}
    cells = [q.cell_id for q in QUESTIONS]
    assert len(set(cells)) == len(cells)
    assert not task_names & set(cells)
