"""The student's workspace in the repository: an untracked folder (``work/``) that ``make lab`` opens.

It holds what a release holds, for every lab: the notebooks, a copy of the ``mlplab`` package
with the stubs, and the files of ``autograder.release_files``. The notebooks and the exercise
files become the student's the moment they are copied, so they are copied only when missing and
never overwritten; the provided rest of ``mlplab/`` (library, self-check data) is refreshed from
the repository every time, so that a ``git pull`` reaches it. Nothing here writes a tracked file.

    python -m autograder.workspace [FOLDER]     (default: work/)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from autograder.release_files import add_student_files
from mlplab.course.tasks import LABS, exercise_files

REPO = Path(__file__).resolve().parents[1]
_SKIP = ("__pycache__", ".pyc", "_build_")


def _provided_files() -> list[Path]:
    """The package's files that are not exercises, repository-relative."""
    exercises = set(exercise_files())
    files = []
    for path in sorted((REPO / "mlplab").rglob("*")):
        relpath = path.relative_to(REPO)
        if path.is_file() and not any(part in str(relpath) for part in _SKIP) and relpath.as_posix() not in exercises:
            files.append(relpath)
    return files


def _is_tracked_folder(folder: Path) -> bool:
    """Whether git tracks anything in ``folder`` (a workspace must be a folder git ignores)."""
    try:
        relpath = folder.relative_to(REPO)
    except ValueError:
        return False
    listed = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "--", str(relpath)], capture_output=True, text=True, check=False
    ).stdout
    return relpath == Path(".") or bool(listed.strip())


def make_workspace(folder: str | Path) -> list[Path]:
    """Create or refresh the workspace in ``folder``; returns the student files it added."""
    folder = Path(folder).resolve()
    if _is_tracked_folder(folder):
        raise ValueError(f"{folder} holds files tracked by git: a workspace must be an untracked folder")
    added = []
    student_files = [Path("labs") / f"{lab}.ipynb" for lab in LABS] + [Path(f) for f in exercise_files()]
    for relpath in student_files:
        source = REPO / relpath
        target = folder / (relpath.name if relpath.parts[0] == "labs" else relpath)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            added.append(target)
    for relpath in _provided_files():
        target = folder / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / relpath, target)
    add_student_files(folder, list(LABS))
    return added


def main(argv: list[str]) -> int:
    folder = Path(argv[0] if argv else REPO / "work")
    try:
        added = make_workspace(folder)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path in added:
        print(f"new in your workspace: {path}")
    print(f"workspace: {folder} (your notebooks and exercise files there are never overwritten)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
