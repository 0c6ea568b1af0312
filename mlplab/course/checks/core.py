"""What a check is, and how one is run and judged.

A ``TaskCheck`` has three parts:

* ``make_inputs(rng)`` draws fresh inputs for the task (a dict of arrays and numbers);
* ``probe(inputs)`` runs the implementation (student's or reference, whichever
  the process loads) and returns a dict of numeric arrays;
* ``compare(student, expected, inputs)`` raises ``CheckFailure`` with a message
  that says what is wrong, or returns a short note on success.

Probes run wherever the implementation may run (the student's kernel for the
self-check, an isolated worker process for grading). ``compare`` only looks at
arrays, so the autograder runs it in a process that never imported student code.
"""

from __future__ import annotations

import io
import json
import traceback
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from mlplab.course.exercise_folder import exercise_file
from mlplab.course.tasks import exercise_files, get_task


class CheckFailure(AssertionError):
    """A check found a mistake; the message says what and, where it can, why."""


class ProbeError(TypeError):
    """The implementation returned something that is not what the docstring promises."""


@dataclass(frozen=True)
class TaskCheck:
    task_id: str
    make_inputs: Callable[[np.random.Generator], dict[str, Any]]
    probe: Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]]
    compare: Callable[[dict, dict, dict], str | None]


@dataclass
class Result:
    task_id: str
    passed: bool
    message: str
    points: float
    max_points: int

    def as_dict(self) -> dict:
        return asdict(self)


def _where_in_student_file(exc: BaseException) -> str:
    """``(mlplab/exercises/initialisers.py, line 42, in glorot_uniform)`` for the deepest frame in an exercise file."""
    files = tuple(exercise_files())
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        name = frame.filename.replace("\\", "/")
        for f in files:
            if name.endswith(f):
                return f" ({f}, line {frame.lineno}, in {frame.name})"
    return ""


def run_probe(check: TaskCheck, inputs: dict[str, np.ndarray]) -> dict[str, Any]:
    """Run one probe; return ``{"outputs": {...}}`` or ``{"error": text, "kind": ...}``.

    ``kind`` is ``"missing"`` for a stub that still raises NotImplementedError
    and ``"crash"`` for any other exception or malformed output.
    """
    file = exercise_file(get_task(check.task_id).file)
    if not file.is_file():
        return {"error": f"expected the exercise file {file}, which does not exist", "kind": "crash"}
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            outputs = check.probe({k: np.array(v, copy=True) for k, v in inputs.items()})
    except NotImplementedError as exc:
        return {"error": f"not implemented yet: {exc}", "kind": "missing"}
    except Exception as exc:  # student code may raise anything
        return {"error": f"raised {type(exc).__name__}: {exc}{_where_in_student_file(exc)}", "kind": "crash"}
    try:
        return {"outputs": validate_outputs(outputs)}
    except ProbeError as exc:
        return {"error": str(exc), "kind": "crash"}


def validate_outputs(outputs: Any) -> dict[str, np.ndarray]:
    if not isinstance(outputs, dict):
        raise ProbeError(f"probe returned {type(outputs).__name__}, expected a dict of arrays")
    clean = {}
    for name, value in outputs.items():
        array = np.asarray(value)
        if array.dtype.kind not in "biuf":
            raise ProbeError(f"{name}: expected a numeric array, got dtype {array.dtype}")
        clean[str(name)] = array
    return clean


def judge(check: TaskCheck, student: dict, expected: dict, inputs: dict) -> Result:
    """Compare a student's probe outcome with the reference's and score the task."""
    task = get_task(check.task_id)
    if "error" in expected:
        raise RuntimeError(f"the reference implementation failed {task.id}: {expected['error']}")
    if "error" in student:
        return Result(task.id, False, student["error"], 0, task.points)
    # The same probe ran on both sides; outputs the reference made and the student's code did not
    # mean it computed less. The comparison still runs first: its diagnosis says why.
    missing = sorted(set(expected["outputs"]) - set(student["outputs"]))
    gave_no = f"your code gave no {', '.join(missing)} (the reference's does)" if missing else ""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            note = check.compare(student["outputs"], expected["outputs"], inputs)
    except CheckFailure as failure:
        message = f"{failure}; {gave_no}" if gave_no else str(failure)
        return Result(task.id, False, message, 0, task.points)
    except KeyError as exc:
        message = gave_no or (
            f"your code's outputs differ in kind from the reference's: no {exc} "
            "(a different branch was taken: an error caught, a value of another type?)"
        )
        return Result(task.id, False, message, 0, task.points)
    except Exception as exc:  # malformed student outputs can break a comparison
        message = gave_no or f"outputs could not be compared ({type(exc).__name__}: {exc})"
        return Result(task.id, False, message, 0, task.points)
    if gave_no:
        return Result(task.id, False, gave_no, 0, task.points)
    return Result(task.id, True, note or "ok", task.points, task.points)


# --- transport: task -> section -> name -> array, as one .npz (never pickled) ---


def pack(tree: dict[str, dict[str, Any]]) -> bytes:
    """Serialise ``{task_id: {"inputs"|"outputs": {name: array}, "error": str, ...}}`` to npz bytes."""
    arrays: dict[str, np.ndarray] = {}
    meta: dict[str, dict[str, str]] = {}
    for task_id, entry in tree.items():
        meta[task_id] = {}
        for section, value in entry.items():
            if isinstance(value, dict):
                for name, array in value.items():
                    arrays[f"{task_id}/{section}/{name}"] = np.asarray(array)
            else:
                meta[task_id][section] = str(value)
    arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def unpack(data: bytes | str, max_bytes: int | None = None) -> dict[str, dict[str, Any]]:
    """Inverse of ``pack`` (from bytes or a file path); refuses pickled objects.

    With ``max_bytes`` (for data from an untrusted process) it also refuses, before
    reading any array, compressed members, more than ``max_bytes`` in all, and
    arrays whose header claims more data than the member holds.
    """
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    if max_bytes is not None:
        if not isinstance(source, io.BytesIO):
            raise TypeError("unpack with max_bytes reads bytes, not a file")
        _check_bounds(source, max_bytes)
    with np.load(source, allow_pickle=False) as npz:
        meta = json.loads(npz["__meta__"].tobytes().decode())
        tree: dict[str, dict[str, Any]] = {task: dict(fields) for task, fields in meta.items()}
        for key in npz.files:
            if key == "__meta__":
                continue
            task_id, section, name = key.split("/", 2)
            tree.setdefault(task_id, {}).setdefault(section, {})[name] = npz[key]
    return tree


def _check_bounds(source: io.BytesIO, max_bytes: int) -> None:
    with zipfile.ZipFile(source) as archive:
        members = archive.infolist()
        if sum(m.file_size for m in members) > max_bytes:
            raise ValueError(f"packed data larger than {max_bytes} bytes")
        for member in members:
            if member.compress_type != zipfile.ZIP_STORED:
                raise ValueError(f"{member.filename}: compressed member refused")
            with archive.open(member) as stream:
                version = np.lib.format.read_magic(stream)
                read_header = {
                    (1, 0): np.lib.format.read_array_header_1_0,
                    (2, 0): np.lib.format.read_array_header_2_0,
                }.get(version)
                if read_header is None:
                    raise ValueError(f"{member.filename}: npy format {version} refused")
                shape, _, dtype = read_header(stream)
                if dtype.hasobject or int(np.prod(shape, dtype=np.float64)) * dtype.itemsize > member.file_size:
                    raise ValueError(f"{member.filename}: array header does not match its data")
    source.seek(0)
