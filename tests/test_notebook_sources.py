"""What every lab's notebook source (``solutions/labs/<lab>.py``) must be, whatever its topic.

One graded cell per task, in the task table's order and left empty for the student; only
experiments that exist are called; no solution or hidden-test marker in the text; and importing
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
from mlplab.tasks import LABS, TASKS, tasks_of

REPO = Path(__file__).resolve().parents[1]
SOURCES = {lab: REPO / "solutions" / "labs" / f"{lab}.py" for lab in LABS
           if (REPO / "solutions" / "labs" / f"{lab}.py").is_file() and any(t.lab == lab for t in TASKS)}


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
    experiments = importlib.import_module(f"mlplab.experiments.{lab}")
    code = "\n".join(line for cell in parse_percent(SOURCES[lab].read_text(), str(SOURCES[lab]))
                     if cell.kind == "code" for line in cell.lines)
    called = set(re.findall(rf"\b{lab}\.([A-Za-z_]\w*)", code))
    assert called, "the notebook calls no experiment"
    missing = sorted(name for name in called if not hasattr(experiments, name))
    assert not missing, f"the notebook calls {lab}.{missing}, which do not exist"


def test_has_no_solution_markers(lab):
    text = SOURCES[lab].read_text()
    # spelled in pieces so that this file does not contain the markers itself
    for marker in ("BEGIN " + "SOLUTION", "END " + "SOLUTION", "BEGIN " + "HIDDEN TESTS"):
        assert marker not in text


def test_importing_the_experiments_does_not_import_exercise_code(lab):
    code = (f"import sys, mlplab.experiments.{lab}, mlplab.layers, mlplab.layers.normalisation, "
            "mlplab.learning_rules, mlplab.models, mlplab.training\n"
            "from mlplab.tasks import exercise_modules\n"
            "loaded = [m for m in exercise_modules() if m in sys.modules]\n"
            "assert not loaded, loaded\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLPLAB_")}
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
