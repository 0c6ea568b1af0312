"""mlplab: the numpy package of a lab course on the tricks that make deep nets train.

Your files are in ``mlplab/exercises/`` (e.g. ``from mlplab.exercises import initialisers``);
the rest of the package is the provided library and the course machinery (``mlplab.course``).
Check your work with ``mlplab.check("lab1")`` or one task with ``mlplab.check("lab1.glorot_uniform")``.

Self-learners can run everything on the reference solutions: start Jupyter with
``make reference-lab`` (it sets ``MLPLAB_EXERCISES`` to the repository's ``solutions/``), or call
``mlplab.use_exercises(folder)`` before importing any exercise module.
"""

from mlplab.course.exercise_folder import use_exercises, use_exercises_from_environment

__version__ = "0.1.0"

use_exercises_from_environment()


def check(which: str = "lab1", *, raise_on_failure: bool | None = None):
    """Self-check your implementation and print a table of tasks with pass/fail and hints.

    Args:
        which: a lab (``"lab1"``) or one task id (``"lab1.elu"``).
        raise_on_failure: raise ``AssertionError`` (``SelfCheckFailed``, shown in a notebook
            as one line) if a task fails. Defaults to
            True for a single task (graded cells use this) and False for a lab.

    Returns:
        The report: ``report.passed``, ``report.results``.
    """
    from mlplab.course.checks.selfcheck import run_selfcheck

    return run_selfcheck(which, raise_on_failure=raise_on_failure)


def exercise_source() -> str:
    """Where the exercise modules are loaded from, in one line (says so when reference mode is on)."""
    from mlplab.course.checks.selfcheck import exercise_source as describe

    return describe()


__all__ = ["check", "exercise_source", "use_exercises", "__version__"]
