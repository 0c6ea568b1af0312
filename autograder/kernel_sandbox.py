"""A sandboxed Jupyter kernel for ``nbgrader autograde`` (the kernelspec around ``sandbox.kernel_argv``).

nbgrader executes each submitted notebook in a kernel, and the notebook runs the
student's ``mlplab`` files. The kernel is started through ``autograder.sandbox``
(see there for what it can see and do): it writes only the folder nbgrader
executes this submission in (``autograded/<student>/<lab>/``) and a private
folder for its connection file and IPC sockets, and talks to nbgrader over Unix
sockets (``KernelManager.transport = "ipc"``), which need no network.

``kernel_config(...)`` returns the traitlets settings and environment that
select this kernel; ``Course`` applies them for one student at a time.
"""
from __future__ import annotations

import json
from pathlib import Path

from autograder import sandbox

KERNEL_NAME = "mlplab-sandbox"


def available() -> bool:
    """True when the kernel can be sandboxed here (the sandbox passed its self-test)."""
    return sandbox.status() == "bwrap"


def write_kernelspec(folder: Path, argv: list[str]) -> Path:
    """Writes ``<folder>/kernels/mlplab-sandbox/kernel.json``; ``folder`` goes on ``JUPYTER_PATH``."""
    spec_dir = folder / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": argv,
        "display_name": "mlplab autograde sandbox",
        "language": "python",
        # --new-session puts the kernel in its own process group: interrupt over the control channel.
        "interrupt_mode": "message",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1))
    return spec_dir


def kernel_config(config, *, state_dir: Path, workdir: Path, readable: list[Path] = (),
                  env: dict[str, str] | None = None) -> dict[str, str]:
    """Selects the sandboxed kernel in ``config`` (a traitlets ``Config``); returns the environment to set.

    Args:
        config: nbgrader's configuration, changed in place.
        state_dir: a folder of the grader's for the kernelspec, connection file and sockets.
        workdir: the folder the notebook is executed in (writable inside the sandbox).
        readable: more paths the kernel may read (bound read-only at the same path).
        env: variables for the kernel's (otherwise minimal) environment.
    """
    state_dir = Path(state_dir).resolve()
    runtime = state_dir / "runtime"
    runtime.mkdir(parents=True, exist_ok=True)
    Path(workdir).mkdir(parents=True, exist_ok=True)
    write_kernelspec(state_dir, sandbox.kernel_argv(Path(workdir), runtime, env, readable))
    config.Execute.kernel_name = KERNEL_NAME
    config.KernelManager.transport = "ipc"
    config.KernelManager.ip = str(runtime / "kernel")
    # Otherwise written to a temporary file in /tmp, which the sandbox does not see.
    config.KernelManager.connection_file = str(runtime / "connection.json")
    return {"JUPYTER_PATH": str(state_dir), "JUPYTER_RUNTIME_DIR": str(runtime)}
