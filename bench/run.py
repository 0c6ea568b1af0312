"""Runs the benchmarks, prints their figures and writes them to ``bench/RESULTS.md``.

Usage::

    .venv/bin/python -m bench.run [--quick] [--only NAME ...] [--output PATH]

``--quick`` uses fewer examples and repeats;
``--only`` runs some benchmarks (``training_speed``, ``epoch_profile``, ``gemm``,
``notebooks``, ``grading``, ``accuracy``, ``class_grading``); ``--no-quiet-wait``
keeps every timed round on a shared machine instead of waiting for quiet. The results
file records the machine: CPU, cores, library versions, the BLAS and the
kernel it ran (threadpoolctl) and whether ``OPENBLAS_CORETYPE`` /
``OPENBLAS_L2_SIZE`` were set. When either is set, the benchmarks are run a
second time in a child process with both unset, and both sets of figures are
written (``--no-env-compare`` skips that).
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

import mlplab
from bench import accuracy, class_grading, epoch_profile, gemm, grading, notebooks, training_speed
from bench.timing import Figure, blas_info, default_threads, load_average, try_import_torch

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
REPO = Path(__file__).resolve().parents[1]
OPENBLAS_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")

BENCHMARKS: dict[str, Callable[..., dict[str, Figure]]] = {
    "training_speed": training_speed.run,
    "epoch_profile": epoch_profile.run,
    "gemm": gemm.run,
    "notebooks": notebooks.run,
    "grading": grading.run,
    "accuracy": accuracy.run,
    "class_grading": class_grading.run,
}

#: Keyword arguments of each benchmark per size: the full run, --quick, and --smoke (the test suite's).
PROFILES: dict[str, dict[str, dict]] = {
    "full": {
        "training_speed": dict(num_examples=50_000, batch_size=100, repeats=11, warmup=1),
        "epoch_profile": dict(num_examples=50_000, batch_size=100, epochs=2),
        "gemm": dict(batch_size=100, repeats=7, min_seconds=0.1),
        "notebooks": dict(),
        "grading": dict(class_size=5),
        "accuracy": dict(),
        "class_grading": dict(class_size=100),
    },
    "quick": {
        "training_speed": dict(num_examples=10_000, batch_size=100, repeats=3, warmup=1),
        "epoch_profile": dict(num_examples=10_000, batch_size=100, epochs=1),
        "gemm": dict(batch_size=100, repeats=3, min_seconds=0.03),
        "notebooks": dict(settings=("default",)),
        "grading": dict(class_size=2),
        "accuracy": dict(epochs=3),
        "class_grading": dict(class_size=24),
    },
    # One thread: the test suite runs beside other tests (pytest -n 2), and
    # multithreaded BLAS slows down many times over when it does not get its cores.
    "smoke": {
        "training_speed": dict(
            data="mnist5k",
            num_examples=200,
            batch_size=50,
            repeats=1,
            warmup=0,
            layer_sizes=(784, 32, 10),
            square=64,
            max_other_load=None,
            pause=0.0,
            threads=1,
        ),
        "epoch_profile": dict(
            data="mnist5k", num_examples=200, batch_size=50, epochs=1, layer_sizes=(784, 32, 10), threads=1
        ),
        "gemm": dict(
            layer_sizes=(784, 32, 10),
            batch_size=50,
            square=64,
            repeats=1,
            min_seconds=0.0,
            max_other_load=None,
            threads=1,
        ),
        # notebooks and grading take minutes; the test suite runs both for real elsewhere
        # (test_notebooks.py, test_nbgrader.py), so the smoke run skips them.
        "accuracy": dict(data="mnist5k", num_examples=300, epochs=1, hidden=(32,), threads=1),
    },
}


def machine_info() -> dict[str, str]:
    """What the figures were measured on."""
    info = {"date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")}
    info["CPU"] = _cpu_model()
    info["cores"] = f"{os.cpu_count()} logical, {default_threads()} available to this process"
    info["load average (1, 5, 15 min) at the start"] = load_average()
    info["Python"] = platform.python_version()
    info["numpy"] = np.__version__
    torch = try_import_torch()
    info["torch"] = "not installed" if torch is None else torch.__version__
    if torch is not None:
        info["torch BLAS / CPU kernels"] = _torch_backend(torch)
    info["numpy BLAS (build)"] = _numpy_blas()
    libraries = blas_info()
    if not libraries:
        info["BLAS at run time (threadpoolctl)"] = "unknown: threadpoolctl not installed"
    for library in libraries:
        if library.get("user_api") == "blas":
            key = f"BLAS at run time: {Path(library.get('filepath', '?')).name}"
            info[key] = (
                f"{library.get('internal_api')} {library.get('version')}, kernel "
                f"{library.get('architecture')}, {library.get('threading_layer')} threading, "
                f"default {library.get('num_threads')} threads"
            )
    for variable in OPENBLAS_VARIABLES:
        value = os.environ.get(variable)
        info[variable] = "not set" if value is None else f"set to {value!r}"
    return info


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _numpy_blas() -> str:
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    except Exception:  # the layout of show_config is not a stable API
        return "unknown"
    return f"{blas.get('name')} {blas.get('version')}"


def _torch_backend(torch) -> str:
    config = torch.__config__.show()
    parts = []
    for marker in ("BLAS_INFO=", "CPU capability usage: "):
        if marker in config:
            parts.append(
                marker.rstrip("=: ").replace("_INFO", "")
                + " "
                + config.split(marker, 1)[1].split(",")[0].split("\n")[0].strip()
            )
    return ", ".join(parts) or "unknown"


#: The benchmarks that wait for a quiet machine and discard busy rounds (``--no-quiet-wait`` turns that off).
WAITING_FOR_QUIET = ("training_speed", "gemm")


def run_benchmarks(names: list[str], profile: str, quiet_wait: bool = True) -> dict[str, dict[str, Figure]]:
    """Runs the named benchmarks with a profile's sizes, printing each one's figures as it ends."""
    results = {}
    for name in names:
        print(f"== {name} ({profile})", flush=True)
        if name not in PROFILES[profile]:
            print(f"  skipped: not part of the {profile} profile", flush=True)
            continue
        arguments = dict(PROFILES[profile][name])
        if not quiet_wait and name in WAITING_FOR_QUIET:
            arguments["max_other_load"] = None
        figures = BENCHMARKS[name](**arguments)
        results[name] = figures
        print(format_table(figures, markdown=False), flush=True)
    return results


def format_value(figure: Figure) -> str:
    if not figure.is_number:
        return str(figure.value)
    value = figure.value
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        return str(value)
    return f"{value:.4g}" if abs(value) < 1e5 else f"{value:.0f}"


def format_table(figures: dict[str, Figure], markdown: bool = True) -> str:
    rows = [(name, format_value(figure), figure.unit) for name, figure in figures.items()]
    if not markdown:
        width = max((len(name) for name, _, _ in rows), default=0)
        return "\n".join(f"  {name:<{width}}  {value} {unit}".rstrip() for name, value, unit in rows)
    lines = ["| figure | value | unit |", "| --- | --- | --- |"]
    lines += [f"| {_cell(name)} | {_cell(value)} | {_cell(unit)} |" for name, value, unit in rows]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|")


def render_results(
    runs: list[tuple[str, dict[str, str], dict[str, dict[str, Figure]]]],
    command: str,
    kept: list[tuple[str, str, dict[str, str]]] = (),
) -> str:
    """The text of RESULTS.md for one or more runs: (heading, machine info, results).

    ``kept``: sections of an earlier results file for benchmarks not run this
    time, as ``(heading, machine section, {benchmark: section})`` (see ``previous_sections``).
    """
    measured = (
        "every figure below was measured in that run"
        if not kept
        else (
            'every figure above the first "Kept from an earlier run" heading was measured in that run, '
            "the figures under it by the earlier run it names"
        )
    )
    lines = [
        "# Benchmark results",
        "",
        f"Written by `{command}`; {measured} "
        "(see `bench/README.md` for what each benchmark does). Do not edit by hand.",
    ]
    for heading, machine, results in runs:
        if heading:
            lines += ["", f"# {heading}"]
        lines += ["", "## Machine", "", "| item | value |", "| --- | --- |"]
        lines += [f"| {_cell(key)} | {_cell(value)} |" for key, value in machine.items()]
        for name, figures in results.items():
            lines += ["", f"## {name}", "", format_table(figures)]
    for heading, machine, sections in kept:
        lines += ["", f"# {heading}", "", "## Machine", "", machine]
        for name, section in sections.items():
            lines += ["", f"## {name}", "", section]
    return "\n".join(lines) + "\n"


def previous_sections(text: str, rerun: set[str]) -> list[tuple[str, str, dict[str, str]]]:
    """The sections of an existing results file for the benchmarks not in ``rerun``, run by run.

    Returns ``(heading, machine section, {benchmark: section})`` per earlier run
    that has any, the heading naming the command that measured them.
    """
    kept = []
    for block in re.split(r"(?m)^# ", text)[1:]:
        heading, _, body = block.partition("\n")
        written_by = re.search(r"Written by `([^`]*)`", body)
        if written_by:
            heading = f"Kept from an earlier run: `{written_by.group(1)}`"
        elif not heading.startswith("Kept from an earlier run"):
            heading = f"Kept from an earlier run: {heading}"
        sections = {}
        for part in re.split(r"(?m)^## ", body)[1:]:
            name, _, content = part.partition("\n")
            sections[name.strip()] = content.strip()
        machine = sections.pop("Machine", "")
        others = {name: section for name, section in sections.items() if name not in rerun}
        if others:
            kept.append((heading, machine, others))
    return kept


def write_results(text: str, path: Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _to_json(machine, results) -> dict:
    return {
        "machine": machine,
        "results": {b: {k: [f.value, f.unit] for k, f in figs.items()} for b, figs in results.items()},
    }


def _from_json(data) -> tuple[dict, dict]:
    results = {b: {k: Figure(v, u) for k, (v, u) in figs.items()} for b, figs in data["results"].items()}
    return data["machine"], results


def _run_without_openblas_env(argv: list[str]) -> tuple[dict, dict] | None:
    """Runs the same benchmarks in a child process with the OpenBLAS variables unset."""
    env = {k: v for k, v in os.environ.items() if k not in OPENBLAS_VARIABLES}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "child.json"
        command = [sys.executable, "-m", "bench.run", *argv, "--no-env-compare", "--no-write", "--json", str(out)]
        completed = subprocess.run(command, env=env, cwd=REPO)
        if completed.returncode != 0 or not out.exists():
            print(f"the run without {' and '.join(OPENBLAS_VARIABLES)} failed (exit {completed.returncode})")
            return None
        return _from_json(json.loads(out.read_text()))


def main(argv: list[str] | None = None) -> dict[str, dict[str, Figure]]:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="fewer examples and repeats (about a minute)")
    size.add_argument("--smoke", action="store_true", help="tiny sizes, seconds (the test suite's check)")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=list(BENCHMARKS),
        metavar="NAME",
        help=f"run only these benchmarks: {', '.join(BENCHMARKS)}",
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"results file (default {RESULTS})")
    parser.add_argument("--no-write", action="store_true", help="print only, do not write the results file")
    parser.add_argument(
        "--no-env-compare",
        action="store_true",
        help=f"do not rerun with {' and '.join(OPENBLAS_VARIABLES)} unset when they are set",
    )
    parser.add_argument(
        "--no-quiet-wait",
        action="store_true",
        help="keep every round, never wait for other processes to be quiet (a shared machine)",
    )
    parser.add_argument("--json", type=Path, help=argparse.SUPPRESS)  # used by the child run
    args = parser.parse_args(argv)
    profile = "quick" if args.quick else "smoke" if args.smoke else "full"
    mlplab.use_exercises(REPO / "solutions")  # the exercises the benchmarks train with: the reference
    names = args.only or list(BENCHMARKS)

    machine = machine_info()
    print("== machine")
    print("\n".join(f"  {key}: {value}" for key, value in machine.items()), flush=True)
    results = run_benchmarks(names, profile, quiet_wait=not args.no_quiet_wait)
    if args.json:
        args.json.write_text(json.dumps(_to_json(machine, results)))

    runs = [("", machine, results)]
    set_variables = [v for v in OPENBLAS_VARIABLES if v in os.environ]
    if set_variables and not args.no_env_compare:
        own_args = list(argv if argv is not None else sys.argv[1:])
        print(f"== again with {' and '.join(OPENBLAS_VARIABLES)} unset (child process)", flush=True)
        child = _run_without_openblas_env(own_args)
        label = ", ".join(f"{v}={os.environ[v]}" for v in set_variables)
        runs = [(f"Run 1: {label} (as set on this machine)", machine, results)]
        if child is not None:
            runs.append((f"Run 2: {' and '.join(OPENBLAS_VARIABLES)} unset", *child))
    if not args.no_write:
        command = " ".join(["python -m bench.run", *(argv if argv is not None else sys.argv[1:])])
        # With --only, the other benchmarks' figures of the file being replaced are kept, under their own run.
        kept = previous_sections(args.output.read_text(), set(results)) if args.only and args.output.exists() else []
        write_results(render_results(runs, command, kept), args.output)
        print(f"== wrote {args.output}")
    return results


if __name__ == "__main__":
    main()
