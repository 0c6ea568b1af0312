"""Files no honest submission holds: malformed notebooks, symbolic links, planted bytecode,
start-up hooks, shadowed modules, huge and non-UTF-8 files."""

from __future__ import annotations

import importlib.util
import json
import os
import py_compile
import sys

from attackzoo import EXERCISE, Attack, exercise, steal

CACHE_TAG = sys.implementation.cache_tag


def _not_json(folder, ctx):
    (folder / "lab5.ipynb").write_text("this is not a notebook {")


def _wrong_schema(folder, ctx):
    (folder / "lab5.ipynb").write_text(
        json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": {"not": "a list"}})
    )


def _symlinks(folder, ctx):
    target = exercise(folder)
    target.unlink()
    target.symlink_to(ctx.repo / "solutions" / EXERCISE)
    (folder / "course").symlink_to(ctx.course)
    (folder / "root").symlink_to("/")


def _fifo(folder, ctx):
    os.mkfifo(folder / "mlplab" / "pipe")


def _planted_bytecode(folder, ctx):
    """The stub .py, beside the reference compiled into __pycache__ (unchecked hash: Python would
    not even look at the .py) and a sourceless mlplab/autoencoders_ref.pyc."""
    source = folder / "reference_source.py"
    source.write_text((ctx.repo / "solutions" / EXERCISE).read_text())
    cached = importlib.util.cache_from_source(str(exercise(folder)))
    py_compile.compile(
        str(source),
        cfile=cached,
        dfile=str(exercise(folder)),
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
    )
    py_compile.compile(str(source), cfile=str(folder / "mlplab" / "autoencoders.pyc"))
    source.unlink()


def _startup_hooks(folder, ctx):
    hook = steal(ctx).replace("globals()", "__import__('mlplab.exercises.autoencoders').autoencoders.__dict__")
    for place in (folder, folder / "mlplab"):
        (place / "sitecustomize.py").write_text(
            "try:\n" + "".join(f"    {line}\n" for line in hook.splitlines()) + "except Exception:\n    pass\n"
        )
        (place / "usercustomize.py").write_text((place / "sitecustomize.py").read_text())
        (place / "zoo.pth").write_text("import sitecustomize\n")


def _shadow_modules(folder, ctx):
    fake_json = (
        "def dumps(*a, **k):\n    return '{\"passed\": true}'\n"
        "def loads(*a, **k):\n    return {'passed': True}\n"
        "def dump(obj, f, *a, **k):\n    f.write(dumps())\n"
        "def load(f, *a, **k):\n    return loads()\n"
    )
    for place in (folder, folder / "mlplab"):
        (place / "json.py").write_text(fake_json)
        (place / "pickle.py").write_text("def __getattr__(name):\n    raise SystemExit(0)\n")
        (place / "numpy").mkdir()
        (place / "numpy" / "__init__.py").write_text("def __getattr__(name):\n    return lambda *a, **k: 0\n")
        (place / "signal.py").write_text("def __getattr__(name):\n    return lambda *a, **k: None\n")


def _huge_files(folder, ctx):
    with (folder / "big.bin").open("wb") as handle:
        handle.write(os.urandom(1024 * 1024) * 40)


def _huge_exercise(folder, ctx):
    path = exercise(folder)
    path.write_text((ctx.repo / "solutions" / EXERCISE).read_text() + ("# padding\n" * 300_000))


NON_UTF8_COMMENT = b"# caf\xe9 \xff\xfe\n"


def _python_accepts(source: bytes) -> bool:
    try:
        compile(source, "<attack>", "exec")
    except SyntaxError:
        return False
    return True


PYTHON_ACCEPTS_NON_UTF8_COMMENTS = _python_accepts(NON_UTF8_COMMENT)  # 3.11 does; later ones do not


def _non_utf8_source(folder, ctx):
    path = exercise(folder)
    path.write_bytes(NON_UTF8_COMMENT + (ctx.repo / "solutions" / EXERCISE).read_bytes())


def _non_utf8_names(folder, ctx):
    (folder / os.fsdecode(b"notes-\xff\xfe.txt")).write_bytes(b"\xff\xfe\x00bytes")
    (folder / "mlplab" / os.fsdecode(b"caf\xe9.py")).write_bytes(b"x = '\xe9'\n")


ATTACKS = [
    Attack("notebook_not_json", "the notebook is not JSON", _not_json, graded=False),
    Attack("notebook_wrong_schema", "the notebook is JSON whose cells are not a list", _wrong_schema, graded=False),
    Attack(
        "symbolic_links",
        "the exercise file a symlink to the reference; links to the course and /",
        _symlinks,
        graded=False,
    ),
    Attack("named_pipe", "a named pipe in the library folder", _fifo, graded=False),
    Attack(
        "planted_bytecode",
        "the stub .py with the reference in __pycache__ (unchecked-hash .pyc) and as a sourceless .pyc",
        _planted_bytecode,
    ),
    Attack(
        "startup_hooks",
        "sitecustomize.py, usercustomize.py and a .pth that exec the reference into the exercise module",
        _startup_hooks,
    ),
    Attack(
        "shadowed_modules",
        "json.py, pickle.py, signal.py and a numpy/ package in the submission and its mlplab/",
        _shadow_modules,
    ),
    Attack("huge_extra_file", "a 40 MB random file beside the reference", _huge_files, base="reference"),
    Attack(
        "huge_exercise_file",
        "the reference padded to 3 MB of comments (too big to be graded: 0)",
        _huge_exercise,
        base="reference",
        points=0,
    ),
    Attack(
        "non_utf8_source",
        "the reference with non-UTF-8 bytes in a comment: full marks where this "
        "Python accepts the file as source (3.11 does), 0 where it does not",
        _non_utf8_source,
        base="reference",
        points=None if PYTHON_ACCEPTS_NON_UTF8_COMMENTS else 0,
        compiles=PYTHON_ACCEPTS_NON_UTF8_COMMENTS,
    ),
    Attack(
        "non_utf8_file_names",
        "files with non-UTF-8 names and contents beside the reference",
        _non_utf8_names,
        base="reference",
    ),
]
