"""What a class got wrong in one lab: ``mlplab-course report LAB``.

Built on the outcome records of the autograder (``grading/<lab>/<student>.json``, see
``autograder.records``): the trusted verdict of every graded submission, and why the others
were not graded. Writes, in ``reports/<lab>/`` of the course folder:

    report.html      score distribution and pass rate per task (plots), the most frequent
                     diagnosed mistakes per task, the submissions not graded and why
    tasks.csv        task, title, graded, passed, pass_rate
    mistakes.csv     task, mistake, count, share (of the graded submissions)
    scores.csv       student, status, score, max_score, reason
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from autograder.grading import LabVerdict
from mlplab.course.checks.core import Result
from mlplab.course.tasks import LABS, TASKS

TOP_MISTAKES = 5
# a number that is not part of a name (float64, lab1) but may follow an "x" (a 26x110 shape)
_NUMBER = re.compile(r"(?<![A-Za-wyz_\d.])[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


@dataclass
class Entry:
    """One student's submission of the lab: a verdict if graded, else the reason it was not."""

    student: str
    verdict: LabVerdict | None
    reason: str = ""

    @property
    def graded(self) -> bool:
        return self.verdict is not None


def load_class(root: Path, lab: str) -> list[Entry]:
    """Every submission of ``lab`` in the course folder ``root``, graded or not."""
    if lab not in LABS:
        raise ValueError(f"unknown lab {lab!r}; known labs: {', '.join(LABS)}")
    entries = {}
    for path in sorted((root / "grading" / lab).glob("*.json")):
        record = json.loads(path.read_text())
        student = path.stem
        if record.get("status") == "graded":
            entries[student] = Entry(student, LabVerdict.from_dict(record["verdict"]))
        else:
            entries[student] = Entry(student, None, record.get("reason") or "no reason recorded")
    for folder in sorted((root / "submitted").glob(f"*/{lab}")):
        student = folder.parent.name
        if student not in entries:
            entries[student] = Entry(student, None, "submitted but never autograded")
    if not entries:
        raise FileNotFoundError(f"no submissions and no grading records of {lab} in {root}")
    return [entries[s] for s in sorted(entries)]


def diagnosis(result: Result) -> str:
    """The mistake a failed task's message names, in words shared by every submission with it.

    The checks end a recognised mistake with "Likely mistake: ..."; other messages are kept
    whole. Numbers, which change with the random inputs, are replaced by "#".
    """
    message = result.message.strip()
    if "Likely mistake:" in message:
        return mask_numbers(message.split("Likely mistake:", 1)[1].strip().rstrip("."))
    if message.startswith("not implemented yet"):
        return "not implemented"
    crash = re.match(r"raised (\w+)", message)
    if crash:
        return f"raised {crash.group(1)}"
    if message.startswith("could not be graded"):
        return "could not be graded: " + ("time limit" if "did not finish" in message else "the code crashed")
    return mask_numbers(message)


def mask_numbers(text: str) -> str:
    return _NUMBER.sub("#", text)


@dataclass
class TaskSummary:
    task_id: str
    title: str
    graded: int
    passed: int
    mistakes: list[tuple[str, int]]

    @property
    def pass_rate(self) -> float:
        return self.passed / self.graded if self.graded else 0.0


def summarise(entries: list[Entry], lab: str) -> list[TaskSummary]:
    graded = [e.verdict for e in entries if e.graded]
    summaries = []
    for task in (t for t in TASKS if t.lab == lab):
        results = [v.result(task.id) for v in graded]
        mistakes = Counter(diagnosis(r) for r in results if not r.passed)
        summaries.append(
            TaskSummary(
                task.id,
                f"{task.number} {task.title}",
                len(results),
                sum(r.passed for r in results),
                mistakes.most_common(),
            )
        )
    return summaries


def write_report(root: Path, lab: str, out: Path | None = None) -> Path:
    """Write the class report of ``lab`` (HTML and CSV); returns the HTML file."""
    root = Path(root)
    entries = load_class(root, lab)
    tasks = summarise(entries, lab)
    out = Path(out) if out else root / "reports" / lab
    out.mkdir(parents=True, exist_ok=True)
    graded = [e for e in entries if e.graded]
    _write_csv(
        out / "tasks.csv",
        ["task", "title", "graded", "passed", "pass_rate"],
        [[t.task_id, t.title, t.graded, t.passed, f"{t.pass_rate:.4f}"] for t in tasks],
    )
    _write_csv(
        out / "mistakes.csv",
        ["task", "mistake", "count", "share"],
        [[t.task_id, text, n, f"{n / t.graded:.4f}"] for t in tasks for text, n in t.mistakes],
    )
    _write_csv(
        out / "scores.csv",
        ["student", "status", "score", "max_score", "reason"],
        [
            [e.student, "graded", f"{e.verdict.score:g}", f"{e.verdict.max_score:g}", ""]
            if e.graded
            else [e.student, "not graded", "", "", e.reason]
            for e in entries
        ],
    )
    page = out / "report.html"
    page.write_text(_html(lab, entries, graded, tasks))
    return page


def _write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return f'<img alt="" src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}">'


def _plots(graded: list[Entry], tasks: list[TaskSummary]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    parts = []
    if graded:
        figure, axis = plt.subplots(figsize=(6, 3))
        top = graded[0].verdict.max_score
        axis.hist([e.verdict.score for e in graded], bins=min(20, max(int(top), 1)), range=(0, top))
        axis.set_xlabel("score")
        axis.set_ylabel("submissions")
        axis.set_title("Score distribution")
        parts.append(_png(figure))
        plt.close(figure)
    figure, axis = plt.subplots(figsize=(6, 0.35 * len(tasks) + 1))
    axis.barh([t.title for t in tasks][::-1], [100 * t.pass_rate for t in tasks][::-1])
    axis.set_xlim(0, 100)
    axis.set_xlabel("% of graded submissions passing")
    axis.set_title("Pass rate per task")
    parts.append(_png(figure))
    plt.close(figure)
    return "\n".join(parts)


def _html(lab: str, entries: list[Entry], graded: list[Entry], tasks: list[TaskSummary]) -> str:
    esc = html.escape
    scores = sorted(e.verdict.score for e in graded)
    summary = f"{len(entries)} submissions, {len(graded)} graded" + (
        f"; median score {scores[len(scores) // 2]:g} of {graded[0].verdict.max_score:g}" if graded else ""
    )
    rows = []
    for t in tasks:
        top = "".join(f"<li>{100 * n / t.graded:.0f}% ({n}): {esc(text)}</li>" for text, n in t.mistakes[:TOP_MISTAKES])
        more = len(t.mistakes) - TOP_MISTAKES
        rows.append(
            f"<tr><td>{esc(t.title)}</td><td>{t.passed}/{t.graded}</td><td>{100 * t.pass_rate:.0f}%</td>"
            f"<td><ul>{top}</ul>{f'<p>and {more} more (mistakes.csv)</p>' if more > 0 else ''}</td></tr>"
        )
    not_graded = "".join(f"<tr><td>{esc(e.student)}</td><td>{esc(e.reason)}</td></tr>" for e in entries if not e.graded)
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{lab}: class report</title>
<style>body{{font-family:sans-serif;max-width:70em;margin:2em auto}} td,th{{border-bottom:1px solid #ddd;
padding:.3em .6em;vertical-align:top;text-align:left}} table{{border-collapse:collapse}} ul{{margin:0}}</style>
</head><body>
<h1>{lab}: what the class got wrong</h1>
<p>{esc(summary)}</p>
{_plots(graded, tasks)}
<h2>Tasks: pass rate and the most frequent diagnosed mistakes</h2>
<table><tr><th>task</th><th>passed</th><th>rate</th><th>mistakes (share of graded submissions, count)</th></tr>
{"".join(rows)}</table>
<h2>Not graded ({len(entries) - len(graded)})</h2>
<table><tr><th>student</th><th>why</th></tr>{not_graded}</table>
</body></html>
"""
