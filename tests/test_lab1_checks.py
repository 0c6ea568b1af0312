"""The Lab 1 checks themselves: the reference passes, stubs and every bug of the zoo fail as they should.

Exercise files other than the reference are only ever imported in subprocesses
(the test process itself runs on the reference, see conftest.py). All cases
(stubs, bugs, correct variants) are probed by two subprocesses, each switching
the exercise modules from one case folder to the next, and judged here against
the reference's outcomes on the same inputs.
"""
from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from autograder.grading import make_inputs
from bugzoo.lab1 import BUGS, VARIANTS
from mlplab.checks import checks_of, judge, run_probe, unpack
from mlplab.tasks import TASKS, exercise_files, get_task

REPO = Path(__file__).resolve().parents[1]
LAB1 = [t.id for t in TASKS if t.lab == "lab1"]
FILES = exercise_files("lab1")
SEED = 20261123
RANDOM_INIT_TASKS = ("lab1.fanin_uniform", "lab1.glorot_uniform", "lab1.glorot_normal", "lab1.he_normal",
                     "lab1.orthogonal")
pytestmark = pytest.mark.xdist_group("lab1_checks")


# ----------------------------------------------------------------------------- building cases

def reference_text(relpath: str) -> str:
    return (REPO / "solutions" / relpath).read_text()


def stub_text(relpath: str) -> str:
    """The student version of an exercise file: each solution region replaced by the stub's raise."""
    text = reference_text(relpath)
    tree = ast.parse(text)
    lines = text.split("\n")
    symbols = {}

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.FunctionDef):
                for line in range(child.lineno, child.end_lineno + 1):
                    symbols[line] = f"{prefix}{child.name}"

    visit(tree, "")
    tasks = {s: t for t in TASKS if t.file == relpath for s in t.symbols}
    out, inside = [], False
    for number, line in enumerate(lines, 1):
        if line.strip() == "### BEGIN SOLUTION":
            inside = True
            task = tasks[symbols[number]]
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f'{indent}raise NotImplementedError("Lab 1, task {task.number}: implement '
                       f'{symbols[number]} ({task.title})")')
        elif line.strip() == "### END SOLUTION":
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def apply(bug) -> str:
    text = reference_text(bug.file)
    assert text.count(bug.old) == 1, f"{bug.name}: snippet occurs {text.count(bug.old)} times in {bug.file}"
    return text.replace(bug.old, bug.new)


def write_case(root: Path, replace: dict[str, str], base: str = "reference") -> Path:
    for relpath in FILES:
        target = root / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(replace.get(relpath) or (stub_text(relpath) if base == "stubs" else reference_text(relpath)))
    return root


PROBE_SCRIPT = r"""
import json, sys
from pathlib import Path

cases = json.loads(Path(sys.argv[1]).read_text())
import mlplab  # honours MLPLAB_EXERCISES: the first case's folder
from mlplab import _overlay
from mlplab.checks import checks_of, pack, run_probe, unpack
from mlplab.tasks import exercise_modules

assert not __import__("os").environ.get("MLPLAB_REFERENCE")
inputs = unpack(sys.argv[2])
for case in cases:
    for module in exercise_modules():  # forget the previous case's exercise modules
        sys.modules.pop(module, None)
        parent, _, child = module.rpartition(".")
        if parent in sys.modules and child in vars(sys.modules[parent]):
            delattr(sys.modules[parent], child)
    root = _overlay.load_exercises_from(case["root"])
    outcomes = {}
    for task_id in case["tasks"]:
        (check,) = checks_of(task_id)
        outcomes[task_id] = run_probe(check, inputs[task_id]["inputs"])
    for module in exercise_modules():
        if module in sys.modules:
            assert Path(sys.modules[module].__file__).resolve().is_relative_to(root), module
    Path(case["out"]).write_bytes(pack(outcomes))
"""


def run_cases(cases: list[dict], inputs_file: Path, workdir: Path, name: str) -> float:
    """Probe ``cases`` (dicts with root, tasks, out) in one subprocess; returns its wall time."""
    spec = workdir / f"{name}.json"
    spec.write_text(json.dumps(cases))
    env = {k: v for k, v in os.environ.items() if k not in ("MLPLAB_REFERENCE", "MLPLAB_EXERCISES")}
    env.update(MLPLAB_EXERCISES=cases[0]["root"], OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               PYTHONPATH=str(REPO))
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", PROBE_SCRIPT, str(spec), str(inputs_file)],
                          capture_output=True, text=True, env=env, cwd=workdir, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return time.perf_counter() - start


@pytest.fixture(scope="module")
def lab_inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("inputs")
    blob = make_inputs("lab1", SEED)  # exactly as the grader makes them
    (folder / "inputs.npz").write_bytes(blob)
    return folder / "inputs.npz", unpack(blob)


@pytest.fixture(scope="module")
def reference_outcomes(lab_inputs):
    _, inputs = lab_inputs
    return {c.task_id: run_probe(c, inputs[c.task_id]["inputs"]) for c in checks_of("lab1")}


@pytest.fixture(scope="module")
def case_outcomes(tmp_path_factory, lab_inputs):
    """name -> {task_id: outcome} for the stubs, every bug and every variant."""
    inputs_file, _ = lab_inputs
    workdir = tmp_path_factory.mktemp("cases")
    cases = [{"name": "stubs", "root": str(write_case(workdir / "stubs", {}, base="stubs")), "tasks": LAB1}]
    for bug in (*BUGS, *VARIANTS):
        root = write_case(workdir / bug.name, {bug.file: apply(bug)})
        # The bug's task and the other tasks of its file, except the random initialisers (0.2 s
        # each): a bug only changes its own task's function (see the test below), so the other
        # functions are the reference's code and give the reference's outcomes.
        tasks = [t.id for t in TASKS if t.lab == "lab1" and t.file == bug.file
                 and (t.id == bug.task_id or t.id not in RANDOM_INIT_TASKS[:4])]
        cases.append({"name": bug.name, "root": str(root), "tasks": tasks})
    for case in cases:
        case["out"] = str(workdir / f"{case['name']}.npz")
    halves = [cases[0::2], cases[1::2]]
    with ThreadPoolExecutor(2) as pool:
        times = list(pool.map(lambda i: run_cases(halves[i], inputs_file, workdir, f"half{i}"), range(2)))
    print(f"probed {len(cases)} cases in two subprocesses: {times[0]:.1f} s and {times[1]:.1f} s")
    return {case["name"]: unpack(Path(case["out"]).read_bytes()) for case in cases}


def verdicts(outcomes: dict, reference: dict, inputs: dict) -> dict:
    """task_id -> Result for the tasks probed in one case."""
    return {task_id: judge(checks_of(task_id)[0], outcome, reference[task_id], inputs[task_id]["inputs"])
            for task_id, outcome in outcomes.items()}


# ----------------------------------------------------------------------------- the tests

@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reference_passes_against_itself_on_fresh_inputs(seed):
    """Also with independent random draws (another seed) for the random initialisers."""
    inputs = unpack(make_inputs("lab1", seed))
    for check in checks_of("lab1"):
        task_inputs = inputs[check.task_id]["inputs"]
        expected = run_probe(check, task_inputs)
        assert "outputs" in expected, expected
        student_inputs = dict(task_inputs)
        if check.task_id in RANDOM_INIT_TASKS:
            student_inputs["seed"] = np.asarray(int(task_inputs["seed"]) + 7919)
        result = judge(check, run_probe(check, student_inputs), expected, task_inputs)
        assert result.passed, f"{check.task_id}: {result.message}"
        assert result.points == get_task(check.task_id).points


def test_untouched_stubs_fail_everything_as_not_implemented(case_outcomes, reference_outcomes, lab_inputs):
    results = verdicts(case_outcomes["stubs"], reference_outcomes, lab_inputs[1])
    assert sorted(results) == sorted(LAB1)
    for task_id, result in results.items():
        assert not result.passed
        assert result.message.startswith(f"not implemented yet: Lab 1, task {get_task(task_id).number}:"), \
            result.message


@pytest.mark.parametrize("bug", BUGS, ids=lambda b: b.name)
def test_each_bug_fails_exactly_its_task_and_is_named(bug, case_outcomes, reference_outcomes, lab_inputs):
    results = verdicts(case_outcomes[bug.name], reference_outcomes, lab_inputs[1])
    failed = [task_id for task_id, r in results.items() if not r.passed]
    assert failed == [bug.task_id], {t: r.message for t, r in results.items()}
    message = results[bug.task_id].message
    assert bug.feedback.lower() in message.lower(), message


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda b: b.name)
def test_correct_variants_pass(variant, case_outcomes, reference_outcomes, lab_inputs):
    results = verdicts(case_outcomes[variant.name], reference_outcomes, lab_inputs[1])
    assert variant.task_id in results
    failed = {t: r.message for t, r in results.items() if not r.passed}
    assert failed == {}


def test_every_bug_changes_only_its_own_task_and_has_a_unique_name():
    names = [b.name for b in (*BUGS, *VARIANTS)]
    assert len(names) == len(set(names))
    assert {b.task_id for b in BUGS} == set(LAB1), "every task has at least one bug"
    assert len(BUGS) >= 12
    for bug in (*BUGS, *VARIANTS):
        text = reference_text(bug.file)
        assert text.count(bug.old) == 1, bug.name
        start = text.index(bug.old)
        first, last = text[:start].count("\n") + 1, text[: start + len(bug.old)].count("\n") + 1
        task = get_task(bug.task_id)
        owners = set()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef):
                for method in node.body:
                    if isinstance(method, ast.FunctionDef) and method.lineno <= first and last <= method.end_lineno:
                        owners.add(f"{node.name}.{method.name}")
            elif isinstance(node, ast.FunctionDef) and node.col_offset == 0:
                if node.lineno <= first and last <= node.end_lineno:
                    owners.add(node.name)
        assert owners and owners <= set(task.symbols), f"{bug.name} changes {owners}, not {task.symbols}"
        ast.parse(text.replace(bug.old, bug.new))  # still valid Python
