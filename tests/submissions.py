"""Build submission folders for grading tests: reference, stubs, or reference with a bug."""

import shutil
from pathlib import Path

import nbformat

from mlplab.course.tasks import exercise_files

REPO = Path(__file__).resolve().parents[1]


def make_submission(
    folder: Path, lab: str = "lab1", *, base: str = "reference", replace: dict[str, str] | None = None
) -> Path:
    """``folder/mlplab/<exercise files>`` from the reference (``base="reference"``) or the stubs.

    Args:
        replace: ``{relpath: new text}`` written over the base files.
    """
    source = REPO / "solutions" if base == "reference" else REPO
    for relpath in exercise_files(lab):
        target = folder / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text((source / relpath).read_text())
    for relpath, text in (replace or {}).items():
        (folder / relpath).write_text(text)
    return folder


def with_bug(bug) -> dict[str, str]:
    """The replacement map of one bug-zoo entry (its ``old`` snippet must occur exactly once)."""
    text = (REPO / "solutions" / bug.file).read_text()
    assert text.count(bug.old) == 1, f"bug {bug.name}: snippet occurs {text.count(bug.old)} times in {bug.file}"
    return {bug.file: text.replace(bug.old, bug.new)}


def without_experiments(folder: Path, lab: str) -> None:
    """Drop the experiment cells of ``folder/<lab>.ipynb``: the code cells after the first graded one
    that are not graded. The setup cells and every graded cell stay, so the notebook stage still
    starts a kernel, imports the exercise modules and runs every graded cell. For the tests of the
    grading machinery, where the experiments cost seconds per student and test nothing (the
    notebooks themselves: test_notebooks.py, and the reference's in the sandbox: test_nbgrader.py)."""
    path = folder / f"{lab}.ipynb"
    nb = nbformat.read(path, as_version=4)
    first = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade"))
    nb.cells = [
        c
        for i, c in enumerate(nb.cells)
        if i < first or c.cell_type != "code" or c.metadata.get("nbgrader", {}).get("grade")
    ]
    nbformat.write(nb, path)


def submit_class(course, lab: str, work: Path, class_: dict[str, dict[str, str] | None]) -> None:
    """Submit a small class to ``course`` (``lab`` released): each student's folder is a copy of the
    release under ``work/<student>``, its notebook ``without_experiments``, with the reference's
    exercise files and then ``replace`` over them, or the blank release where ``replace`` is None.
    The student "nonotebook" submits without the notebook."""
    release = course.root / "release" / lab
    for student, replace in class_.items():
        folder = shutil.copytree(release, work / student)
        without_experiments(folder, lab)
        if replace is not None:
            make_submission(folder, lab, replace=replace)
        if student == "nonotebook":
            (folder / f"{lab}.ipynb").unlink()
        course.submit(lab, student, folder)
