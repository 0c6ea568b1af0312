"""The tree is clean under ruff, configured in pyproject.toml (lint rules and formatting)."""

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=lambda c: " ".join(c))
def test_ruff_is_clean(command):
    proc = subprocess.run([sys.executable, "-m", "ruff", *command, "."], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, f"ruff {' '.join(command)} .:\n{proc.stdout[-4000:]}{proc.stderr[-2000:]}"
