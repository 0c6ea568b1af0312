"""The only place where student code runs during grading.

Usage (internal): ``python -I -m autograder.worker --exercises DIR --tasks ID,ID``
with the packed inputs on stdin. The worker loads the exercise modules from
``DIR`` (a submission, or ``solutions/`` for the reference), runs each task's
probe and writes the packed outcomes to its original stdout. Anything the
student code prints goes to stderr. It never judges anything: the process
that starts it compares the outputs.
"""
from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="autograder.worker")
    parser.add_argument("--exercises", required=True, help="root whose mlplab/ holds the exercise files")
    parser.add_argument("--tasks", required=True, help="comma-separated task ids")
    args = parser.parse_args(argv)

    result_fd = os.dup(1)  # keep the real stdout for the results
    os.dup2(2, 1)  # whatever the student prints goes to stderr
    sys.stdout = sys.stderr
    inputs_blob = sys.stdin.buffer.read()

    from mlplab._overlay import load_exercises_from
    from mlplab.checks import checks_of, pack, run_probe, unpack

    load_exercises_from(args.exercises)
    inputs = unpack(inputs_blob)
    outcomes = {}
    for task_id in args.tasks.split(","):
        (check,) = checks_of(task_id)
        outcomes[task_id] = run_probe(check, inputs[task_id]["inputs"])
    blob = pack(outcomes)
    with os.fdopen(result_fd, "wb") as out:
        out.write(blob)
    return 0


if __name__ == "__main__":
    sys.exit(main())
