"""Grade one submission of one lab: fresh inputs, two workers, one trusted comparison.

The process running this module never imports student code. It draws fresh
random inputs (a new seed per grading run unless one is given), has the
reference worker (exercise modules from the solutions folder it is given) and the
student worker (a copy of the submission's exercise files, in the sandbox of
``autograder.sandbox``; it refuses to run unsandboxed unless told) compute their
outputs, reads the student's with a size cap, checks their structure against the
reference's, and judges them with the task's checks. One submission costs at
most ``timeout`` seconds of wall time, whatever it does (``autograder.worker``).
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from autograder import sandbox
from autograder.paths import solutions_folder
from mlplab.course.checks import Result, checks_of, judge, pack, unpack
from mlplab.course.tasks import LABS, exercise_files

DEFAULT_TIMEOUT = 120.0


class GradingError(RuntimeError):
    """The submission cannot be graded at all (missing folder, unknown lab)."""


@dataclass
class LabVerdict:
    lab: str
    submission: str
    seed: int
    results: list[Result]
    sandbox: str = "none"
    notes: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        return sum(r.points for r in self.results)

    @property
    def max_score(self) -> float:
        return sum(r.max_points for r in self.results)

    def result(self, task_id: str) -> Result:
        for r in self.results:
            if r.task_id == task_id:
                return r
        raise KeyError(task_id)

    def as_dict(self) -> dict:
        return {
            "lab": self.lab,
            "submission": self.submission,
            "seed": self.seed,
            "sandbox": self.sandbox,
            "notes": self.notes,
            "score": self.score,
            "max_score": self.max_score,
            "results": [r.as_dict() for r in self.results],
        }

    @classmethod
    def from_dict(cls, data: dict) -> LabVerdict:
        return cls(
            data["lab"],
            data["submission"],
            int(data["seed"]),
            [Result(**r) for r in data["results"]],
            data.get("sandbox", "none"),
            list(data.get("notes", [])),
        )

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=1)


RESULT_MAX_BYTES = 64 * 1024**2  # what the trusted side reads of a worker's outcomes
STDERR_TAIL_BYTES = 16 * 1024  # what it keeps of its stderr (for the message)
EXERCISE_FILE_MAX_BYTES = 2 * 1024**2  # a larger exercise file is refused
WORKER_SETUP_SECONDS = 5.0  # of the budget, for starting the sandbox and Python
REFERENCE_TIMEOUT = 300.0
WORKER_PROCESSES = 32  # the worker, one task's child, what that child starts


def _worker_env() -> dict[str, str]:
    """The reference worker's environment (trusted code, not sandboxed)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLPLAB_", "PYTHON", "JPY_", "JUPYTER"))}
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", MPLBACKEND="Agg", MLPLAB_GRADING="1")
    return env


@dataclass
class WorkerRun:
    outcomes: dict | None
    problem: str = ""


def _communicate(proc: subprocess.Popen, data: bytes, deadline: float) -> tuple[bytes | None, bytes, str]:
    """Send ``data``; read stdout (at most ``RESULT_MAX_BYTES``) and the tail of stderr until ``deadline``."""

    def feed():
        try:
            proc.stdin.write(data)
            proc.stdin.close()
        except OSError:  # the worker died or closed its stdin
            pass

    threading.Thread(target=feed, daemon=True).start()
    out, err, problem = bytearray(), bytearray(), ""
    streams = {proc.stdout.fileno(): out, proc.stderr.fileno(): err}
    with selectors.DefaultSelector() as selector:
        for fd in streams:
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map() and not problem:
            left = deadline - time.monotonic()
            events = selector.select(max(left, 0)) if left > 0 else []
            if not events:
                problem = "timeout"
            for key, _ in events:
                chunk = os.read(key.fd, 1 << 16)
                if not chunk:
                    selector.unregister(key.fd)
                    continue
                buffer = streams[key.fd]
                buffer += chunk
                if buffer is err:
                    del err[:-STDERR_TAIL_BYTES]
                elif len(out) > RESULT_MAX_BYTES:
                    problem = "too large"
    if problem:
        _kill(proc)
    else:
        try:
            proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            _kill(proc)
            problem = "timeout"
    return (None if problem else bytes(out)), bytes(err), problem


def _kill(proc: subprocess.Popen) -> None:
    """Kill the worker and its session; a sandbox's whole PID namespace dies with it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def run_worker(
    exercises: Path, task_ids: list[str], inputs_blob: bytes, *, timeout: float, sandboxed: bool
) -> WorkerRun:
    """Run the probes of ``task_ids`` with exercise modules from ``exercises``, in ``timeout`` seconds.

    ``sandboxed``: in the bwrap sandbox (student code), which sees ``exercises`` read-only as
    ``/submission``; otherwise a plain process (the reference solutions only).
    """
    budget = max(timeout - WORKER_SETUP_SECONDS, 1.0)
    args = ["-m", "autograder.worker", "--tasks", ",".join(task_ids), "--budget", f"{budget:.1f}"]
    if sandboxed:
        limits = sandbox.Limits(cpu_seconds=int(timeout) + 5, processes=WORKER_PROCESSES)
        cmd = sandbox.launcher_argv(
            [sandbox.sandbox_python(), *args, "--exercises", "/submission", "--kill-strays"],
            reads={str(exercises): "/submission"},
            limits=limits,
        )
        env = None
    else:
        cmd = [sys.executable, "-I", *args, "--exercises", str(exercises)]
        env = _worker_env()
    deadline = time.monotonic() + timeout
    with tempfile.TemporaryDirectory(prefix="mlplab-worker-") as scratch:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=scratch,
            env=env,
            start_new_session=True,
        )
        try:
            out, err, problem = _communicate(proc, inputs_blob, deadline)
        finally:
            for stream in (proc.stdin, proc.stdout, proc.stderr):
                stream.close()
    if problem == "timeout":
        return WorkerRun(None, f"did not finish within the time limit of {timeout:.0f} s")
    if problem == "too large":
        return WorkerRun(None, f"sent more than {RESULT_MAX_BYTES // 1024**2} MB of results")
    if proc.returncode != 0 or not out:
        tail = err.decode(errors="replace").strip().splitlines()[-3:]
        return WorkerRun(
            None,
            f"the process running it stopped with exit code {proc.returncode}"
            + (f": {' | '.join(tail)}" if tail else ""),
        )
    try:
        return WorkerRun(unpack(out, max_bytes=RESULT_MAX_BYTES))
    except Exception as exc:  # malformed results
        return WorkerRun(None, f"its results could not be read ({type(exc).__name__})")


def fresh_seed() -> int:
    return int(np.random.SeedSequence().entropy % (2**63))


def make_inputs(lab: str, seed: int) -> bytes:
    """The packed inputs of every task of ``lab`` for this seed (each task its own stream)."""
    checks = checks_of(lab)
    streams = np.random.SeedSequence(seed).spawn(len(checks))
    return pack({c.task_id: {"inputs": c.make_inputs(np.random.default_rng(s))} for c, s in zip(checks, streams)})


MESSAGE_MAX_CHARS = 2000


def conform(outcome: object, expected: dict) -> dict:
    """A worker's outcome of one task, checked against the reference's outcome of that task.

    Anything that is not ``{"error": text, "kind": "missing"|"crash"}`` or
    ``{"outputs": {name: numeric array}}`` of a size comparable to the reference's
    (a probe may stop early or add a ``problem_*`` entry, and a wrong shape is the
    comparison's to explain) becomes an error outcome saying what was wrong.
    """

    def crash(why: str) -> dict:
        return {"error": f"its result was malformed: {why}", "kind": "crash"}

    if not isinstance(outcome, dict):
        return crash("no result")
    if "error" in outcome:
        kind = outcome.get("kind")
        return {
            "error": str(outcome["error"])[:MESSAGE_MAX_CHARS],
            "kind": kind if kind in ("missing", "crash") else "crash",
        }
    outputs, wanted = outcome.get("outputs"), expected["outputs"]
    if set(outcome) != {"outputs"} or not isinstance(outputs, dict):
        return crash("unexpected fields")
    if len(outputs) > 2 * len(wanted) + 8:
        return crash(f"{len(outputs)} outputs, expected {len(wanted)}")
    largest = 16 * max((a.size for a in wanted.values()), default=0) + 4096
    for name, array in outputs.items():
        if not isinstance(array, np.ndarray) or array.dtype.kind not in "biuf":
            return crash(f"{name} is not a numeric array")
        if array.size > largest or array.ndim > 8:
            return crash(f"{name} has {array.size} entries in {array.ndim} axes, far more than expected")
    return {"outputs": outputs}


def student_copy(root: Path, target: Path) -> list[str]:
    """Copy the exercise files of ``root/`` (every lab) to ``target/``; return notes on refused files.

    Only regular files are copied (no symlinks, no folders, nothing else: no stale ``.pyc``,
    no ``sitecustomize``), each at most ``EXERCISE_FILE_MAX_BYTES``.
    """
    notes = []
    for relpath in exercise_files():
        source = root / relpath
        if not os.path.lexists(source):
            continue
        if source.is_symlink() or not source.is_file():
            notes.append(f"{relpath} is not a regular file (a symlink or folder?): not graded")
            continue
        if source.stat().st_size > EXERCISE_FILE_MAX_BYTES:
            notes.append(f"{relpath} is larger than {EXERCISE_FILE_MAX_BYTES // 1024**2} MB: not graded")
            continue
        (target / relpath).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target / relpath)
    for path in [target, *target.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return notes


def _student_outcomes(
    root: Path, task_ids: list[str], inputs_blob: bytes, *, timeout: float, sandboxed: bool
) -> tuple[dict[str, dict], list[str]]:
    with tempfile.TemporaryDirectory(prefix="mlplab-submission-") as scratch:
        notes = student_copy(root, Path(scratch))
        run = run_worker(Path(scratch), task_ids, inputs_blob, timeout=timeout, sandboxed=sandboxed)
    if run.outcomes is None:
        failure = {"error": f"could not be graded: {run.problem}", "kind": "crash"}
        return {task_id: failure for task_id in task_ids}, notes
    return run.outcomes, notes


_REFERENCE_CACHE: dict[tuple[str, int, Path], dict] = {}


def reference_outcomes(lab: str, seed: int, inputs_blob: bytes, solutions: Path) -> dict:
    key = (lab, seed, solutions)
    if key not in _REFERENCE_CACHE:
        task_ids = [c.task_id for c in checks_of(lab)]
        run = run_worker(solutions, task_ids, inputs_blob, timeout=REFERENCE_TIMEOUT, sandboxed=False)
        if run.outcomes is None:
            raise GradingError(f"the reference solutions of {lab} could not be run: {run.problem}")
        _REFERENCE_CACHE[key] = run.outcomes
    return _REFERENCE_CACHE[key]


def grade(
    submission: str | os.PathLike,
    lab: str,
    *,
    seed: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    allow_unsandboxed: bool = False,
    solutions: str | os.PathLike | None = None,
) -> LabVerdict:
    """Grade the exercise files of ``lab`` found under ``submission/mlplab/``.

    Args:
        submission: the folder holding the student's ``mlplab/`` package
            (a released assignment folder, or a clone of the course).
        lab: ``"lab1"`` ... ``"lab6"``.
        seed: the seed of the random inputs; a fresh one by default (recorded in the verdict).
        timeout: the wall-time budget of the student's side, all tasks together, in seconds.
        allow_unsandboxed: grade even when the bwrap sandbox is not usable (student code then
            runs as the grader's user; the verdict records ``sandbox="none"``).
        solutions: the folder whose ``mlplab/`` holds the reference solutions
            (default: ``autograder.paths.solutions_folder()``).

    Raises:
        GradingError: unknown lab, missing folder, no reference solutions.
        sandbox.SandboxUnavailable: no usable sandbox and not ``allow_unsandboxed``.
    """
    if lab not in LABS:
        raise GradingError(f"unknown lab {lab!r}; known labs: {', '.join(LABS)}")
    root = Path(submission).resolve()
    if not root.is_dir():
        raise GradingError(f"submission folder {root} does not exist")
    try:
        reference = Path(solutions).resolve() if solutions is not None else solutions_folder()
    except FileNotFoundError as exc:
        raise GradingError(str(exc)) from None
    kind = sandbox.require(allow_unsandboxed)
    checks = checks_of(lab)
    seed = fresh_seed() if seed is None else int(seed)
    inputs_blob = make_inputs(lab, seed)
    inputs = unpack(inputs_blob)
    task_ids = [c.task_id for c in checks]
    with ThreadPoolExecutor(max_workers=2) as pool:
        expected_run = pool.submit(reference_outcomes, lab, seed, inputs_blob, reference)
        student_run = pool.submit(
            _student_outcomes, root, task_ids, inputs_blob, timeout=timeout, sandboxed=kind == "bwrap"
        )
        expected, (got, notes) = expected_run.result(), student_run.result()
    missing = [f for f in exercise_files(lab) if not os.path.lexists(root / f)]
    if missing:
        notes.append(f"missing from the submission: {', '.join(missing)}")
    results = [
        judge(
            c,
            conform(got.get(c.task_id), expected[c.task_id]),
            expected[c.task_id],
            inputs[c.task_id].get("inputs", {}),
        )
        for c in checks
    ]
    return LabVerdict(lab, str(root), seed, results, kind, notes)


def format_verdict(verdict: LabVerdict) -> str:
    """A plain-text table: one line per task, then the total."""
    from mlplab.course.checks.report import format_table

    title = f"{verdict.lab} — {verdict.submission} (seed {verdict.seed}, sandbox: {verdict.sandbox})"
    lines = [format_table(title, verdict.results)]
    lines.extend(f"note: {n}" for n in verdict.notes)
    return "\n".join(lines)
