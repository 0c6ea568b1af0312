"""Plain-text tables of check results, for the notebook and the terminal."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from mlplab.course.checks.core import Result
from mlplab.course.tasks import get_task


def format_table(title: str, results: Sequence[Result], width: int = 100) -> str:
    passed = sum(r.passed for r in results)
    points = sum(r.points for r in results)
    max_points = sum(r.max_points for r in results)
    lines = [f"{title}: {passed}/{len(results)} tasks pass, {points:g}/{max_points:g} points"]
    for r in results:
        task = get_task(r.task_id)
        head = f"  {task.number:>5}  {'PASS' if r.passed else 'FAIL'}  {task.title} ({r.task_id}, {r.max_points} pt)"
        lines.append(head)
        if not r.passed or r.message != "ok":
            lines.extend(textwrap.wrap(r.message, width=width, initial_indent=" " * 13, subsequent_indent=" " * 13))
    return "\n".join(lines)
