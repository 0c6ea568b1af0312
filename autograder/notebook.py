"""What the hidden test cells of a lab notebook call during autograding.

``assert_task("lab1.elu")`` passes or raises ``AssertionError`` with the
grader's message. The verdict comes from the trusted grader: the file named
by ``$MLPLAB_VERDICT`` (the instructor CLI grades each submission before
nbgrader runs its notebook), or else a grading subprocess started once per
kernel. Either way the comparison never happens in this kernel, which has
imported the student's code; the CLI also writes the trusted scores into the
gradebook afterwards, so tampering with this module changes nothing.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

_CACHE: dict[str, dict] = {}


def _verdict(lab: str) -> dict:
    if lab in _CACHE:
        return _CACHE[lab]
    path = os.environ.get("MLPLAB_VERDICT")
    if path:
        data = json.loads(Path(path).read_text())
    else:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MLPLAB_")}
        proc = subprocess.run(
            [sys.executable, "-I", "-m", "autograder", "grade", lab, os.getcwd(), "--json"],
            capture_output=True, text=True, env=env, timeout=900,
        )
        if proc.returncode != 0:
            raise AssertionError(f"the grader could not grade {lab}: {proc.stdout.strip()} {proc.stderr.strip()[-500:]}")
        data = json.loads(proc.stdout)
    if data.get("lab") != lab:
        raise AssertionError(f"the verdict in {path} is for {data.get('lab')}, not {lab}")
    _CACHE[lab] = data
    return data


def assert_task(task_id: str) -> None:
    """Pass if the trusted grader passed ``task_id``; otherwise raise with its message."""
    lab = task_id.split(".", 1)[0]
    for result in _verdict(lab)["results"]:
        if result["task_id"] == task_id:
            if not result["passed"]:
                raise AssertionError(f"{task_id}: {result['message']}")
            print(f"{task_id}: passed the hidden checks")
            return
    raise AssertionError(f"unknown exercise id {task_id!r} in the verdict of {lab}")
