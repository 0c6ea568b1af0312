"""Start `make lab` / `make instructor` on a free port and talk to the JupyterLab they serve."""

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TOKEN = "mlplabtest"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"token {TOKEN}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def disabled_extensions(page: bytes) -> list[str]:
    """The lab extensions JupyterLab's page config disables (the page embeds it as JSON)."""
    match = re.search(rb'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S)
    assert match, "no page config in the JupyterLab page"
    return json.loads(match.group(1))["disabledExtensions"]


@contextmanager
def make_server(target: str, tmp_path: Path, **variables: str):
    """Runs `make <target>` with a JupyterLab on a free port; yields its base URL once it answers."""
    port = _free_port()
    args = f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token={TOKEN}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLPLAB_")}
    env.update(JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), JUPYTER_CONFIG_DIR=str(tmp_path / "cfg"))
    command = ["make", "-s", target, f"LAB_ARGS={args}"] + [f"{k}={v}" for k, v in variables.items()]
    server = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                status, _ = get(f"{base}/api/contents")
                if status == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None, f"make {target} exited"
            assert time.monotonic() < deadline, "JupyterLab did not answer within 90 s"
            time.sleep(0.5)
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
