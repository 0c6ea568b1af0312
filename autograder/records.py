"""What the course keeps about each graded submission, and the facts it is keyed on.

``grading/<lab>/<student>.json`` in the course folder holds one student's outcome of the
latest autograde: graded or not and why, the trusted scores, whether the sandbox ran, whether
nbgrader's notebook stage finished, which manual scores were kept or cleared, and whether the
feedback was written or withheld. Every step writes it as soon as it knows something, by
replacing the whole file (never half-written).

The seed of a submission's random inputs is an HMAC of the lab, the student and the
submission's content under the course's secret (``.mlplab-secret``, made on first use, readable
by the instructor only): a rerun of an unchanged submission is reproducible, and no student can
predict the inputs of theirs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import stat
from pathlib import Path

SECRET_FILE = ".mlplab-secret"
IGNORED_NAMES = ("timestamp.txt",)  # written by nbgrader collect, not by the student


def one_line(text: str) -> str:
    """``text`` with its runs of whitespace and unprintable characters as single spaces."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def outcome_path(root: Path, lab: str, student: str) -> Path:
    return Path(root) / "grading" / lab / f"{student}.json"


def read_outcome(root: Path, lab: str, student: str) -> dict | None:
    path = outcome_path(root, lab, student)
    return json.loads(path.read_text()) if path.is_file() else None


def write_outcome(root: Path, lab: str, student: str, outcome: dict) -> dict:
    path = outcome_path(root, lab, student)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(outcome, indent=1, sort_keys=True))
    tmp.replace(path)
    return outcome


def update_outcome(root: Path, lab: str, student: str, **fields) -> dict:
    """Merge ``fields`` into the student's outcome file (made if missing)."""
    outcome = read_outcome(root, lab, student) or {"student": student, "lab": lab}
    outcome.update(fields)
    return write_outcome(root, lab, student, outcome)


def irregular_files(folder: Path) -> list[str]:
    """Symlinks and anything else that is neither a regular file nor a folder, below ``folder``."""
    found = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                found.append(f"{path.relative_to(folder)} is a symbolic link")
            elif not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                found.append(f"{path.relative_to(folder)} is not a regular file")
    return sorted(found)


def submission_digest(folder: Path) -> str:
    """SHA-256 over the relative paths and contents of the submission's regular files."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file() and not p.is_symlink()):
        relpath = path.relative_to(folder).as_posix()
        if relpath in IGNORED_NAMES:
            continue
        digest.update(os.fsencode(relpath) + b"\0")  # names need not be UTF-8
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def course_secret(root: Path) -> bytes:
    path = Path(root) / SECRET_FILE
    if not path.is_file():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def grading_seed(root: Path, lab: str, student: str, digest: str) -> int:
    mac = hmac.new(course_secret(root), f"{lab}\0{student}\0{digest}".encode(), hashlib.sha256)
    return int.from_bytes(mac.digest()[:8], "big") >> 1  # 63 bits, as numpy seeds take
