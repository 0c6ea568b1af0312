"""One guard for every lab's bug zoo: enough bugs and variants per task, variants pass on fresh seeds.

``tests/course/test_grading.py`` runs every bug and every variant once through the grader, on one fixed
seed. This file adds what holds for all labs alike: every task has at least 3 bugs and 2 correct
variants; a zoo entry edits its own task's file, inside its task's symbols; the correct variants pass
on fresh seeds (all the variants that can share a submission graded together), through the grader and
through ``mlplab.check`` (same verdict); the reference passes on inputs that are not the stored
self-check inputs.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from bugzoo import all_of
from submissions import REPO, make_submission

from autograder.generate import SELF_CHECK_SEED
from autograder.grading import fresh_seed, grade, make_inputs
from mlplab.course.checks import unpack
from mlplab.course.checks.selfcheck import expected_outputs
from mlplab.course.tasks import LABS, TASKS, get_task

BUGS, VARIANTS = all_of("BUGS"), all_of("VARIANTS")
FRESH_SEEDS = 2  # besides the fixed seed on which test_grading.py grades each variant alone


def failed(verdict):
    return [r.task_id for r in verdict.results if not r.passed]


@pytest.mark.parametrize("task_id", [t.id for t in TASKS])
def test_every_task_has_three_bugs_and_two_variants(task_id):
    bugs = [b.name for b in BUGS if b.task_id == task_id]
    variants = [v.name for v in VARIANTS if v.task_id == task_id]
    assert len(bugs) >= 3, f"{task_id}: bugs {bugs}"
    assert len(variants) >= 2, f"{task_id}: variants {variants}"


def test_every_zoo_entry_edits_its_own_tasks_file_and_names_the_mistake():
    names = [b.name for b in BUGS + VARIANTS]
    assert len(names) == len(set(names)), "zoo names must be unique"
    for entry in BUGS + VARIANTS:
        assert entry.file == get_task(entry.task_id).file, entry.name
        assert entry.old != entry.new, entry.name
    for bug in BUGS:
        assert bug.feedback.strip(), f"{bug.name}: feedback must name the mistake"


def _owner_of(tree: ast.Module, line: int) -> str:
    """The function or method (``Class.method``) whose body holds ``line``, or "module level"."""
    for node in tree.body:
        members = (
            [(f"{node.name}.{m.name}", m) for m in node.body if isinstance(m, ast.FunctionDef)]
            if isinstance(node, ast.ClassDef)
            else [(node.name, node)]
            if isinstance(node, ast.FunctionDef)
            else []
        )
        for name, function in members:
            if function.lineno <= line <= function.end_lineno:
                return name
    return "module level"


def test_every_zoo_entry_changes_only_its_own_tasks_symbols():
    problems = []
    for entry in BUGS + VARIANTS:
        text = (REPO / "solutions" / entry.file).read_text()
        assert text.count(entry.old) == 1, f"{entry.name}: its snippet is not in {entry.file} once"
        first = text[: text.index(entry.old)].count("\n") + 1
        kept = set(entry.new.splitlines())
        changed = [first + k for k, line in enumerate(entry.old.splitlines()) if line.strip() and line not in kept]
        tree = ast.parse(text)
        owners, symbols = {_owner_of(tree, n) for n in changed or [first]}, set(get_task(entry.task_id).symbols)
        if not owners <= symbols:
            problems.append(f"{entry.name} changes {sorted(owners)}, not only {sorted(symbols)}")
        ast.parse(text.replace(entry.old, entry.new))  # still valid Python
    assert not problems, "\n".join(problems)


def compatible_groups(variants) -> list[tuple[list, dict[str, str]]]:
    """Variants applied together to one submission, as few submissions as their snippets allow."""
    groups: list[tuple[list, dict[str, str]]] = []
    for variant in variants:
        for members, files in groups:
            text = files.get(variant.file) or (REPO / "solutions" / variant.file).read_text()
            if text.count(variant.old) == 1:
                members.append(variant)
                files[variant.file] = text.replace(variant.old, variant.new)
                break
        else:
            text = (REPO / "solutions" / variant.file).read_text()
            assert text.count(variant.old) == 1, f"{variant.name}: its snippet is not in {variant.file} once"
            groups.append(([variant], {variant.file: text.replace(variant.old, variant.new)}))
    return groups


def selfcheck_failures(folder, lab: str) -> list[str]:
    """The tasks ``mlplab.check(lab)`` fails in a fresh interpreter that loads the submission in ``folder``."""
    code = (
        "import json, mlplab\n"
        f"report = mlplab.check({lab!r}, raise_on_failure=False)\n"
        "print(json.dumps([r.task_id for r in report.results if not r.passed]))\n"
    )
    env = dict(os.environ)
    env["MLPLAB_EXERCISES"] = str(folder)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("lab", sorted(LABS))
def test_correct_variants_pass_on_fresh_seeds_and_in_the_selfcheck(tmp_path, lab):
    for k, (members, files) in enumerate(compatible_groups([v for v in VARIANTS if v.task_id.startswith(lab + ".")])):
        folder = make_submission(tmp_path / f"group{k}", lab, replace=files)
        names = [m.name for m in members]
        for _ in range(FRESH_SEEDS):
            verdict = grade(folder, lab)
            assert failed(verdict) == [], (names, verdict.to_json())
        assert selfcheck_failures(folder, lab) == [], names


@pytest.mark.parametrize("lab", sorted(LABS))
def test_the_reference_passes_on_inputs_other_than_the_stored_ones(tmp_path, lab):
    seed = fresh_seed()
    assert seed != SELF_CHECK_SEED
    fresh, stored = unpack(make_inputs(lab, seed)), expected_outputs(lab)
    for task_id, entry in fresh.items():
        old = stored[task_id].get("inputs", {})
        assert any(
            name not in old or np.shape(old[name]) != np.shape(value) or not np.array_equal(old[name], value)
            for name, value in entry["inputs"].items()
        ), task_id
    verdict = grade(make_submission(tmp_path, lab), lab, seed=seed)
    assert failed(verdict) == [], verdict.to_json()
