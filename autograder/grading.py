"""Grade one submission of one lab: fresh inputs, two workers, one trusted comparison.

The process running this module never imports student code. It draws fresh
random inputs (a new seed per grading run unless one is given), has the
reference worker (exercise modules from ``solutions/``) and the student worker
(exercise modules from the submission, sandboxed when ``bwrap`` is available)
compute their outputs, and judges the student's outputs against the
reference's with the task's checks.
"""
from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mlplab._overlay import REPO_ROOT, solutions_root
from mlplab.checks import Result, checks_of, judge, pack, unpack
from mlplab.tasks import LABS, exercise_files

WORKER_MEMORY_BYTES = 4 * 1024**3
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
        return {"lab": self.lab, "submission": self.submission, "seed": self.seed,
                "sandbox": self.sandbox, "notes": self.notes, "score": self.score,
                "max_score": self.max_score, "results": [r.as_dict() for r in self.results]}

    @classmethod
    def from_dict(cls, data: dict) -> "LabVerdict":
        return cls(data["lab"], data["submission"], int(data["seed"]),
                   [Result(**r) for r in data["results"]], data.get("sandbox", "none"),
                   list(data.get("notes", [])))

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=1)


def sandbox_kind() -> str:
    return "bwrap" if shutil.which("bwrap") and _bwrap_works() else "none"


_BWRAP_OK: bool | None = None


def _bwrap_args(visible: Path | None = None) -> list[str]:
    """Read-only view of the machine, a private empty /tmp, no network.

    The private /tmp hides whatever lives there, so the folders the worker needs
    (the submission, this repository, the Python installation) are bound back
    read-only: a course or a CI checkout may well sit below /tmp.
    """
    needed = {Path(sys.prefix), Path(sys.base_prefix), Path(os.path.realpath(sys.executable)).parent,
              REPO_ROOT, *([visible] if visible is not None else [])}
    args = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    for path in sorted(p.resolve() for p in needed):
        args += ["--ro-bind", str(path), str(path)]
    return args + ["--unshare-net", "--unshare-pid", "--die-with-parent", "--new-session",
                   "--chdir", "/tmp"]


def _bwrap_works() -> bool:
    global _BWRAP_OK
    if _BWRAP_OK is None:
        try:
            _BWRAP_OK = subprocess.run([*_bwrap_args(), "true"], capture_output=True,
                                       timeout=20).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            _BWRAP_OK = False
    return _BWRAP_OK


def _limit_memory() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY_BYTES, WORKER_MEMORY_BYTES))


def _worker_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MLPLAB_", "PYTHON", "JPY_", "JUPYTER"))}
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               MPLBACKEND="Agg", MLPLAB_GRADING="1")
    return env


@dataclass
class WorkerRun:
    outcomes: dict | None
    problem: str = ""


def run_worker(exercises: Path, task_ids: list[str], inputs_blob: bytes, *,
               timeout: float, sandbox: bool) -> WorkerRun:
    """Run the probes of ``task_ids`` with exercise modules from ``exercises``."""
    cmd = [sys.executable, "-I", "-m", "autograder.worker",
           "--exercises", str(exercises), "--tasks", ",".join(task_ids)]
    if sandbox:
        cmd = [*_bwrap_args(Path(exercises).resolve()), *cmd]
    with tempfile.TemporaryDirectory(prefix="mlplab-worker-") as scratch:
        try:
            proc = subprocess.run(cmd, input=inputs_blob, capture_output=True, timeout=timeout,
                                  cwd=scratch, env=_worker_env(), preexec_fn=_limit_memory)
        except subprocess.TimeoutExpired:
            return WorkerRun(None, f"did not finish within {timeout:.0f} s (an endless loop?)")
    if proc.returncode != 0 or not proc.stdout:
        tail = proc.stderr.decode(errors="replace").strip().splitlines()[-3:]
        return WorkerRun(None, f"the process running it stopped with exit code {proc.returncode}"
                               + (f": {' | '.join(tail)}" if tail else ""))
    try:
        return WorkerRun(unpack(proc.stdout))
    except Exception as exc:  # a student could write garbage to the result stream
        return WorkerRun(None, f"its results could not be read ({type(exc).__name__})")


def fresh_seed() -> int:
    return int(np.random.SeedSequence().entropy % (2**63))


def make_inputs(lab: str, seed: int) -> bytes:
    """The packed inputs of every task of ``lab`` for this seed (each task its own stream)."""
    checks = checks_of(lab)
    streams = np.random.SeedSequence(seed).spawn(len(checks))
    return pack({c.task_id: {"inputs": c.make_inputs(np.random.default_rng(s))}
                 for c, s in zip(checks, streams)})


def _collect(exercises: Path, task_ids: list[str], inputs_blob: bytes, *, timeout: float,
             sandbox: bool) -> dict[str, dict]:
    """Outcomes per task; if the worker dies, run each task alone so one bad task costs only itself."""
    run = run_worker(exercises, task_ids, inputs_blob, timeout=timeout, sandbox=sandbox)
    if run.outcomes is not None:
        return run.outcomes
    if len(task_ids) == 1:
        return {task_ids[0]: {"error": f"could not be graded: {run.problem}", "kind": "crash"}}
    outcomes: dict[str, dict] = {}
    for task_id in task_ids:
        outcomes.update(_collect(exercises, [task_id], inputs_blob, timeout=timeout, sandbox=sandbox))
    return outcomes


_REFERENCE_CACHE: dict[tuple[str, int], dict] = {}


def reference_outcomes(lab: str, seed: int, inputs_blob: bytes, *, timeout: float) -> dict:
    key = (lab, seed)
    if key not in _REFERENCE_CACHE:
        task_ids = [c.task_id for c in checks_of(lab)]
        run = run_worker(solutions_root(), task_ids, inputs_blob, timeout=timeout, sandbox=False)
        if run.outcomes is None:
            raise GradingError(f"the reference solutions of {lab} could not be run: {run.problem}")
        _REFERENCE_CACHE[key] = run.outcomes
    return _REFERENCE_CACHE[key]


def grade(submission: str | os.PathLike, lab: str, *, seed: int | None = None,
          timeout: float = DEFAULT_TIMEOUT, sandbox: bool | None = None) -> LabVerdict:
    """Grade the exercise files of ``lab`` found under ``submission/mlplab/``.

    Args:
        submission: the folder holding the student's ``mlplab/`` package
            (a released assignment folder, or a clone of the course).
        lab: ``"lab1"`` ... ``"lab6"``.
        seed: the seed of the random inputs; a fresh one by default (recorded in the verdict).
        timeout: seconds each worker may take.
        sandbox: run student code under bubblewrap (default: when available).
    """
    if lab not in LABS:
        raise GradingError(f"unknown lab {lab!r}; known labs: {', '.join(LABS)}")
    root = Path(submission).resolve()
    if not root.is_dir():
        raise GradingError(f"submission folder {root} does not exist")
    checks = checks_of(lab)
    seed = fresh_seed() if seed is None else int(seed)
    inputs_blob = make_inputs(lab, seed)
    inputs = unpack(inputs_blob)
    use_sandbox = sandbox_kind() == "bwrap" if sandbox is None else sandbox
    task_ids = [c.task_id for c in checks]
    with ThreadPoolExecutor(max_workers=2) as pool:
        reference = pool.submit(reference_outcomes, lab, seed, inputs_blob, timeout=timeout)
        student = pool.submit(_collect, root, task_ids, inputs_blob, timeout=timeout,
                              sandbox=use_sandbox)
        expected, got = reference.result(), student.result()
    notes = []
    missing = [f for f in exercise_files(lab) if not (root / f).is_file()]
    if missing:
        notes.append(f"missing from the submission: {', '.join(missing)}")
    results = [judge(c, got.get(c.task_id, {"error": "no result", "kind": "crash"}),
                     expected[c.task_id], inputs[c.task_id].get("inputs", {}))
               for c in checks]
    return LabVerdict(lab, str(root), seed, results, "bwrap" if use_sandbox else "none", notes)


def format_verdict(verdict: LabVerdict) -> str:
    """A plain-text table: one line per task, then the total."""
    from mlplab.checks.report import format_table

    title = f"{verdict.lab} — {verdict.submission} (seed {verdict.seed}, sandbox: {verdict.sandbox})"
    lines = [format_table(title, verdict.results)]
    lines.extend(f"note: {n}" for n in verdict.notes)
    return "\n".join(lines)
