"""Realistic student mistakes, each a textual change of a reference solution file.

A bug is applied with ``text.replace(old, new)`` to ``solutions/<file>``; its
``old`` snippet must occur exactly once there. A submission with the bug must
fail exactly ``task_id`` and the failure message must contain ``feedback``
(case-insensitive), the words that name the mistake.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bug:
    name: str
    task_id: str
    file: str
    old: str
    new: str
    feedback: str


def all_of(kind: str) -> list[Bug]:
    """``BUGS`` or ``VARIANTS`` of every lab that has a bug-zoo module (``bugzoo/<lab>.py``)."""
    import importlib
    import pkgutil

    found: list[Bug] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        found.extend(getattr(importlib.import_module(f"{__name__}.{info.name}"), kind, []))
    return found
