"""Where the trusted side finds the reference solutions (the library itself does not know)."""

from __future__ import annotations

import os
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]


def solutions_folder() -> Path:
    """The folder whose ``mlplab/`` holds the reference solutions.

    ``$MLPLAB_SOLUTIONS`` when set, else ``solutions/`` of this repository.

    Raises:
        FileNotFoundError: there are no reference solutions there.
    """
    root = Path(os.environ.get("MLPLAB_SOLUTIONS") or REPOSITORY / "solutions").resolve()
    if not (root / "mlplab").is_dir():
        raise FileNotFoundError(
            f"reference solutions not found in {root}: they come with the course repository, "
            "not with a released assignment (set MLPLAB_SOLUTIONS to their folder)"
        )
    return root
