"""Choose where the exercise modules of mlplab are loaded from.

The student files listed in ``mlplab.tasks`` (``mlplab/initialisers.py`` and
friends) can be taken from another directory tree that mirrors the package
layout: the reference solutions (self-learners, and the autograder's reference
run) or a student's submission (the autograder's student run). Everything else
in mlplab is always the installed copy.

The library does not know where the reference solutions are: whoever wants them
says where (``$MLPLAB_SOLUTIONS``, set by ``make reference-lab``; or the folder
given to ``use_reference``). Graded code runs in a sandbox that has neither the
variable nor the folder.

The switch is an import hook, so it must be installed before any exercise
module is imported.
"""
from __future__ import annotations

import importlib.abc
import importlib.util
import os
import sys
from pathlib import Path

from mlplab.tasks import exercise_modules


class _ExerciseFinder(importlib.abc.MetaPathFinder):
    def __init__(self, root: Path):
        self.root = root
        self.modules = exercise_modules()

    def find_spec(self, fullname, path=None, target=None):
        relpath = self.modules.get(fullname)
        if relpath is None:
            return None
        file = self.root / relpath
        if not file.is_file():
            raise ImportError(f"{fullname}: expected the exercise file {file}, which does not exist")
        return importlib.util.spec_from_file_location(fullname, file)


def active_root() -> Path | None:
    """The directory exercise modules are loaded from, or None for the installed stubs."""
    for finder in sys.meta_path:
        if isinstance(finder, _ExerciseFinder):
            return finder.root
    return None


def load_exercises_from(root: str | os.PathLike) -> Path:
    """Load every exercise module from ``root/<file>`` instead of the installed package.

    Raises:
        RuntimeError: if an exercise module was imported already (restart the kernel).
    """
    root = Path(root).resolve()
    loaded = sorted(name for name in exercise_modules() if name in sys.modules)
    current = active_root()
    if current == root:
        return root
    if loaded:
        raise RuntimeError(
            f"cannot switch exercise modules to {root}: {', '.join(loaded)} already imported; "
            "restart the kernel and switch before importing them"
        )
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _ExerciseFinder)]
    sys.meta_path.insert(0, _ExerciseFinder(root))
    return root


def use_reference(folder: str | os.PathLike | None = None) -> Path:
    """Run the course on the reference solutions in ``folder`` (default ``$MLPLAB_SOLUTIONS``).

    Raises:
        FileNotFoundError: no folder given and ``MLPLAB_SOLUTIONS`` unset, or no ``mlplab/`` in it.
    """
    folder = folder or os.environ.get("MLPLAB_SOLUTIONS")
    if not folder:
        raise FileNotFoundError(
            "where are the reference solutions? set MLPLAB_SOLUTIONS to their folder "
            "(make reference-lab does), or call use_reference(folder)")
    root = Path(folder)
    if not (root / "mlplab").is_dir():
        raise FileNotFoundError(
            f"reference solutions not found in {root}: they come with the course repository, "
            "not with a released assignment")
    return load_exercises_from(root)


def activate_from_environment() -> None:
    """Honour ``MLPLAB_REFERENCE=1`` (the solutions in ``$MLPLAB_SOLUTIONS``) or ``MLPLAB_EXERCISES=<dir>``."""
    if os.environ.get("MLPLAB_REFERENCE", "").strip() not in ("", "0"):
        use_reference()
    elif os.environ.get("MLPLAB_EXERCISES"):
        load_exercises_from(os.environ["MLPLAB_EXERCISES"])
