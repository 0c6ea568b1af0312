"""The only place where student code runs during grading.

Usage (internal): ``python -m autograder.worker --exercises DIR --tasks ID,ID --budget SECONDS``
with the packed inputs on stdin; the packed outcomes go to stdout.

This process (the worker's parent) never imports student code. It makes itself
non-dumpable, so no process of the same uid can open its descriptors through
``/proc/<pid>/fd`` or trace it, and runs each task in a child of its own,
forked from the start: the child closes every descriptor but a pipe of its own
and stderr (which also becomes its stdout), loads the exercise modules from
``DIR`` (a submission, or the reference solutions), runs that task's probe and
writes its outcome to its pipe. The parent reads at most
``TASK_OUTCOME_MAX_BYTES`` from that pipe, takes from it only that task's
outcome, kills whatever the task left running, and at the end writes all
outcomes to stdout. The tasks share one time budget: a task may use what is
left, less a reserve for each task still to run, so a sleep at import or an
endless loop costs at most the budget in all. It never judges anything.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import select
import signal
import sys
import time

TASK_OUTCOME_MAX_BYTES = 8 * 1024**2
TASK_RESERVE_SECONDS = 5.0
PR_SET_DUMPABLE = 4


def _task_limit(remaining: float, tasks_left: int, reserve: float) -> float:
    """Seconds the next task may take: what is left, less a reserve for each later task."""
    return max(remaining - reserve * (tasks_left - 1), min(reserve, remaining), 0.0)


def _run_child(write_end: int, exercises: str, task_id: str, inputs: dict) -> None:
    """In the forked child: run one probe, send its outcome, exit. Never returns."""
    code = 1
    try:
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        os.dup2(2, 1)
        os.closerange(3, write_end)
        os.closerange(write_end + 1, 65536)
        from mlplab.course.checks import checks_of, pack, run_probe
        from mlplab.course.exercise_folder import use_exercises

        use_exercises(exercises)
        (check,) = checks_of(task_id)
        blob = pack({task_id: run_probe(check, inputs)})
        with os.fdopen(write_end, "wb") as out:
            out.write(blob)
        code = 0
    except BaseException as exc:  # student code may raise SystemExit, KeyboardInterrupt, ...
        try:
            os.write(2, f"worker child of {task_id}: {type(exc).__name__}: {exc}\n".encode(errors="replace"))
        except OSError:
            pass
    finally:
        os._exit(code)


def _read_outcome(fd: int, deadline: float) -> tuple[bytes | None, str]:
    """What the child wrote to ``fd`` until EOF, or None and why (too slow, too much)."""
    chunks, size = [], 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None, "timeout"
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return None, "timeout"
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return b"".join(chunks), ""
        size += len(chunk)
        if size > TASK_OUTCOME_MAX_BYTES:
            return None, "too large"
        chunks.append(chunk)


def run_task(exercises: str, task_id: str, inputs: dict, limit: float, *, kill_strays: bool) -> dict:
    """One task in a child of its own; its outcome, or an error outcome saying what went wrong."""
    from mlplab.course.checks import unpack

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        _run_child(write_end, exercises, task_id, inputs)
    os.close(write_end)
    try:
        blob, problem = _read_outcome(read_end, time.monotonic() + limit)
    finally:
        os.close(read_end)
        status = _kill_the_rest(pid, kill_strays)
    if problem == "timeout":
        return {
            "error": f"did not finish within its time limit of {limit:.0f} s (an endless loop, or a wait at import?)",
            "kind": "crash",
        }
    if problem == "too large":
        return {"error": f"its outputs exceeded {TASK_OUTCOME_MAX_BYTES // 1024**2} MB", "kind": "crash"}
    try:
        tree = unpack(blob, max_bytes=TASK_OUTCOME_MAX_BYTES)
    except Exception:
        tree = {}
    if set(tree) != {task_id}:
        code = os.waitstatus_to_exitcode(status)
        how = f"exit code {code}" if code >= 0 else f"signal {-code}"
        return {
            "error": f"the process running it stopped with {how} and no result "
            "(does the code exit, or crash the interpreter?)",
            "kind": "crash",
        }
    return tree[task_id]


def _kill_the_rest(child: int, everything: bool) -> int:
    """Kill the task's child and, when ``everything``, all it started (every process we may signal).

    Returns the child's wait status (its own exit code when it had finished).
    """
    try:
        os.kill(child, signal.SIGKILL)
    except ProcessLookupError:
        pass
    _, status = os.waitpid(child, 0)
    if everything:
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
    while True:  # reap what was reparented to us
        try:
            if os.waitpid(-1, os.WNOHANG) == (0, 0):
                break
        except ChildProcessError:
            break
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="autograder.worker")
    parser.add_argument("--exercises", required=True, help="root whose mlplab/ holds the exercise files")
    parser.add_argument("--tasks", required=True, help="comma-separated task ids")
    parser.add_argument("--budget", type=float, required=True, help="seconds for all tasks together")
    parser.add_argument(
        "--kill-strays",
        action="store_true",
        help="after each task kill every process we may signal (only in a sandbox's "
        "own PID namespace, as an unprivileged uid)",
    )
    args = parser.parse_args(argv)
    if args.kill_strays and (os.getuid() == 0 or os.getpid() > 10):
        parser.error("--kill-strays is only for a sandbox's own PID namespace, not as root")
    start = time.monotonic()
    ctypes.CDLL(None).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    result_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    inputs_blob = sys.stdin.buffer.read()

    from mlplab.course.checks import pack, unpack

    inputs = unpack(inputs_blob)
    task_ids = args.tasks.split(",")
    outcomes = {}
    reserve = min(TASK_RESERVE_SECONDS, args.budget / (2 * len(task_ids)))
    for done, task_id in enumerate(task_ids):
        remaining = args.budget - (time.monotonic() - start)
        limit = _task_limit(remaining, len(task_ids) - done, reserve)
        if limit < 0.1:
            outcomes[task_id] = {
                "error": f"not run: earlier tasks used up the time budget of {args.budget:.0f} s",
                "kind": "crash",
            }
            continue
        outcomes[task_id] = run_task(
            args.exercises, task_id, inputs[task_id]["inputs"], limit, kill_strays=args.kill_strays
        )
    with os.fdopen(result_fd, "wb") as out:
        out.write(pack(outcomes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
