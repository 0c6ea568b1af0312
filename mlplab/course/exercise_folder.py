"""Choose the folder the exercise modules (``mlplab.exercises.*``) are imported from.

``mlplab.exercises`` is a namespace package (the folder has no ``__init__.py``): its
``__path__`` says where Python looks for ``mlplab.exercises.initialisers`` and the rest.
By default that is the installed ``mlplab/exercises/`` (the student's own files). Whoever
wants other files says where, once, before the first exercise import:

* ``MLPLAB_EXERCISES=<root>`` in the environment (read when ``mlplab`` is imported; ``make
  reference-lab`` points it at the repository's ``solutions/``), or
* ``mlplab.use_exercises(root)``: the grader's worker does this with a submission or the
  reference solutions.

``root`` is a folder whose ``mlplab/exercises/`` holds the exercise files. The library does
not know where the reference solutions are; graded code runs in a sandbox that has neither
the variable nor the folder.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import mlplab.exercises

_INSTALLED = Path(next(iter(mlplab.exercises.__path__))).resolve()
ENVIRONMENT_VARIABLE = "MLPLAB_EXERCISES"


def exercises_root() -> Path | None:
    """The root the exercise modules are loaded from, or None for the installed files."""
    (folder,) = mlplab.exercises.__path__
    folder = Path(folder).resolve()
    return None if folder == _INSTALLED else folder.parents[1]


def exercise_file(relpath: str) -> Path:
    """Where the exercise file ``relpath`` (``mlplab/exercises/initialisers.py``) is imported from."""
    (folder,) = mlplab.exercises.__path__
    return Path(folder) / Path(relpath).name


def use_exercises(root: str | os.PathLike) -> Path:
    """Import every exercise module from ``root/mlplab/exercises/`` instead of the installed files.

    Raises:
        FileNotFoundError: ``root`` has no ``mlplab/exercises/`` folder.
        RuntimeError: an exercise module was imported already from elsewhere (restart the kernel).
    """
    root = Path(root).resolve()
    folder = root / "mlplab" / "exercises"
    if not folder.is_dir():
        raise FileNotFoundError(f"no exercise files in {root}: expected the folder {folder}")
    if folder == Path(next(iter(mlplab.exercises.__path__))).resolve():
        return root
    loaded = sorted(name for name in sys.modules if name.startswith("mlplab.exercises."))
    if loaded:
        raise RuntimeError(
            f"cannot switch the exercise modules to {folder}: {', '.join(loaded)} already imported; "
            "restart the kernel and switch before importing them"
        )
    mlplab.exercises.__path__ = [str(folder)]
    return root


def use_exercises_from_environment() -> None:
    """Honour ``MLPLAB_EXERCISES=<root>`` when it is set."""
    root = os.environ.get(ENVIRONMENT_VARIABLE)
    if root:
        use_exercises(root)
