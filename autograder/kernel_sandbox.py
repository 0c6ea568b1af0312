"""A sandboxed Jupyter kernel for ``nbgrader autograde``.

nbgrader executes each submitted notebook in a kernel running as the grader's
user, and the notebook runs the student's ``mlplab`` files (the experiments call
them). The scores cannot be changed from there (the trusted verdict is computed
beforehand by ``autograder.grading`` and written over the gradebook), but the
code could still write anywhere the grader can: other students' files, the
gradebook, the course. So the kernel is started inside ``bwrap``:

* the whole file system read-only, a private empty ``/tmp``;
* writable: only the folder nbgrader executes this submission in
  (``autograded/<student>/<lab>/``) and a private folder for the kernel's
  connection file and IPC sockets;
* no network (``--unshare-net``); the kernel talks to nbgrader over Unix
  sockets (``KernelManager.transport = "ipc"``), which need no network;
* at most ``KERNEL_MEMORY_BYTES`` of address space (``prlimit``); nbgrader's
  per-cell timeout (``Execute.timeout``) bounds the time.

``kernel_config(...)`` returns the traitlets settings and environment that
select this kernel; ``Course`` applies them for one student at a time. When
``bwrap`` is not usable the notebook runs in a plain kernel and the verdict
records that (``LabVerdict.sandbox``), as for the grader's workers.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

from autograder.grading import REPO_ROOT, sandbox_kind

KERNEL_NAME = "mlplab-sandbox"
KERNEL_MEMORY_BYTES = 4 * 1024**3


def available() -> bool:
    """True when the kernel can be sandboxed here (``bwrap`` works and ``prlimit`` exists)."""
    return sandbox_kind() == "bwrap" and shutil.which("prlimit") is not None


def kernel_argv(writable: list[Path], readable: list[Path]) -> list[str]:
    """The kernelspec's command: prlimit, then bwrap, then the ipykernel launcher."""
    keep = {Path(sys.prefix), Path(sys.base_prefix), Path(os.path.realpath(sys.executable)).parent,
            REPO_ROOT, *readable}
    argv = [shutil.which("prlimit") or "prlimit", f"--as={KERNEL_MEMORY_BYTES}",
            shutil.which("bwrap") or "bwrap",
            "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    # /tmp is private and empty: bind back what the kernel needs that may live there.
    for path in sorted({p.resolve() for p in keep}):
        argv += ["--ro-bind", str(path), str(path)]
    for path in sorted({p.resolve() for p in writable}):
        argv += ["--bind", str(path), str(path)]
    argv += ["--unshare-net", "--die-with-parent", "--new-session",
             sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    return argv


def write_kernelspec(folder: Path, writable: list[Path], readable: list[Path]) -> Path:
    """Writes ``<folder>/kernels/mlplab-sandbox/kernel.json``; ``folder`` goes on ``JUPYTER_PATH``."""
    spec_dir = folder / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": kernel_argv(writable, readable),
        "display_name": "mlplab autograde sandbox",
        "language": "python",
        # --new-session puts the kernel in its own process group: interrupt over the control channel.
        "interrupt_mode": "message",
        "env": {"IPYTHONDIR": "/tmp/ipython", "MPLCONFIGDIR": "/tmp/matplotlib", "HOME": "/tmp"},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1))
    return spec_dir


def kernel_config(config, *, state_dir: Path, workdir: Path, readable: list[Path]) -> dict[str, str]:
    """Selects the sandboxed kernel in ``config`` (a traitlets ``Config``); returns the environment to set.

    Args:
        config: nbgrader's configuration, changed in place.
        state_dir: a folder of the grader's for the kernelspec, connection file and sockets.
        workdir: the folder the notebook is executed in (writable inside the sandbox).
        readable: more paths the kernel must read (e.g. the verdict file).
    """
    state_dir = Path(state_dir).resolve()
    runtime = state_dir / "runtime"
    runtime.mkdir(parents=True, exist_ok=True)
    Path(workdir).mkdir(parents=True, exist_ok=True)
    write_kernelspec(state_dir, [Path(workdir), runtime], readable)
    config.Execute.kernel_name = KERNEL_NAME
    config.KernelManager.transport = "ipc"
    config.KernelManager.ip = str(runtime / "kernel")
    # Otherwise written to a temporary file in /tmp, which the sandbox does not see.
    config.KernelManager.connection_file = str(runtime / "connection.json")
    return {"JUPYTER_PATH": str(state_dir), "JUPYTER_RUNTIME_DIR": str(runtime)}
