"""The sandbox, attacked directly: what code inside can see, write, start and keep running."""

import hashlib
import io
import json
import os
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path

import numpy as np
import pytest

from autograder import sandbox
from autograder.paths import REPOSITORY
from mlplab.course.checks import pack, unpack

pytestmark = pytest.mark.skipif(sandbox.status() != "bwrap", reason="the bwrap sandbox is not usable here")


def run_inside(code: str, *, reads=None, writes=(), limits=None, timeout=60):
    cmd = sandbox.launcher_argv(
        [sandbox.sandbox_python(), "-c", code], reads=reads, writes=writes, limits=limits or sandbox.Limits()
    )
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def report(proc) -> dict:
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        h.update(str(path).encode())
        if path.is_file():
            h.update(path.read_bytes())
    return h.hexdigest()


def test_the_self_test_passes_here():
    assert sandbox.self_test() == []
    assert sandbox.require(allow_unsandboxed=False) == "bwrap"


def test_it_sees_python_and_a_clean_library_but_not_the_repository_passwd_or_environment(monkeypatch):
    monkeypatch.setenv("MLPLAB_INSTRUCTOR_SECRET", "s3cret")
    code = f"""
import json, os, mlplab, autograder
paths = {json.dumps([str(REPOSITORY / n) for n in ("solutions", "tests", ".git", "course", "mlplab")])}
print(json.dumps({{"visible": [p for p in paths if os.path.exists(p)], "mlplab": mlplab.__file__,
                  "library": sorted(os.listdir("/opt/mlplab/python")), "passwd": open("/etc/passwd").read(),
                  "env": dict(os.environ), "home": os.path.exists("/root/.bash_history"),
                  "uid": [os.getuid(), os.getgid(), os.getgroups()]}}))
"""
    seen = report(run_inside(code))
    assert seen["visible"] == []
    assert seen["mlplab"] == "/opt/mlplab/python/mlplab/__init__.py"
    assert seen["library"] == ["autograder", "mlplab"]
    assert seen["passwd"] == sandbox.PASSWD
    assert "MLPLAB_INSTRUCTOR_SECRET" not in seen["env"] and seen["env"]["HOME"] == "/tmp"
    assert set(seen["env"]) <= set(sandbox.base_env()) | {"PWD", "LC_CTYPE"}
    assert seen["uid"] == [65534, 65534, [65534]] or seen["uid"] == [65534, 65534, []]


def test_it_cannot_write_outside_its_folder_nor_remount_nor_hold_capabilities(tmp_path):
    readable, writable = tmp_path / "ro", tmp_path / "rw"
    readable.mkdir(), writable.mkdir()
    (readable / "gradebook.db").write_text("precious")
    before = [digest(readable), digest(REPOSITORY / "solutions")]
    code = f"""
import ctypes, json, os, subprocess
wrote = []
for folder in ("/", "/usr", "/etc", "/opt/mlplab/python/mlplab", "/ro", {sys.prefix!r}, {str(REPOSITORY)!r}):
    try:
        open(os.path.join(folder, "owned"), "w").write("x")
        wrote.append(folder)
    except OSError:
        pass
try:
    open("/ro/gradebook.db", "w").write("0")
    wrote.append("/ro/gradebook.db")
except OSError:
    pass
open({str(writable)!r} + "/mine.txt", "w").write("ok")
libc = ctypes.CDLL(None, use_errno=True)
remounted = [t for t in ("/", "/usr", "/ro") if libc.mount(None, t.encode(), None, 32 | 4096, None) == 0]
tool = subprocess.run(["mount", "-o", "remount,rw", "/usr"], capture_output=True).returncode
nested = subprocess.run(["unshare", "-r", "mount", "-o", "remount,rw,bind", "/usr"], capture_output=True).returncode
status = dict(l.split(":\\t") for l in open("/proc/self/status").read().splitlines() if ":\\t" in l)
print(json.dumps({{"wrote": wrote, "remounted": remounted, "tool": tool, "nested": nested,
                  "caps": [status[c].strip() for c in ("CapEff", "CapPrm", "CapBnd")]}}))
"""
    seen = report(run_inside(code, reads={str(readable): "/ro"}, writes=[writable]))
    assert seen["wrote"] == [] and seen["remounted"] == []
    assert seen["tool"] != 0 and seen["nested"] != 0
    assert seen["caps"] == ["0000000000000000"] * 3
    assert (writable / "mine.txt").read_text() == "ok"
    assert [digest(readable), digest(REPOSITORY / "solutions")] == before


def test_it_cannot_see_or_signal_the_grader_nor_reach_the_network():
    code = f"""
import json, os, signal, socket
pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
try:
    os.kill({os.getpid()}, signal.SIGTERM)
    signalled = {os.getpid()} not in pids
except OSError:
    signalled = False
try:
    socket.create_connection(("127.0.0.1", 22), timeout=1)
    net = True
except OSError:
    net = False
print(json.dumps({{"pids": pids, "signalled": signalled, "net": net,
                  "interfaces": [n for _, n in socket.if_nameindex()]}}))
"""
    seen = report(run_inside(code))
    assert len(seen["pids"]) <= 3, seen  # bwrap's init, this python, maybe setpriv's leftovers
    assert not seen["signalled"] and not seen["net"] and seen["interfaces"] == ["lo"]


def test_a_fork_bomb_stops_at_the_process_limit():
    code = """
import os, time
n = 0
try:
    while n < 10000:
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        n += 1
except OSError as e:
    print(n, e.errno)
"""
    start = time.monotonic()
    proc = run_inside(code, limits=sandbox.Limits(processes=32), timeout=60)
    forks, errno = map(int, proc.stdout.split())
    assert forks < 32 and errno == 11  # EAGAIN: RLIMIT_NPROC holds (the sandbox is not host root)
    assert time.monotonic() - start < 20  # the sleeping children die with the sandbox


def test_memory_file_size_and_tmp_are_bounded(tmp_path):
    code = f"""
import json, numpy as np
out = {{}}
try:
    np.ones(10 * 1024**3, dtype=np.uint8)
    out["10GB"] = "allocated"
except MemoryError:
    out["10GB"] = "MemoryError"
for name, path in (("file", {str(tmp_path)!r} + "/big"), ("tmp", "/tmp/big")):
    try:
        with open(path, "wb") as f:
            for _ in range(64):
                f.write(b"x" * 1024**2)
        out[name] = "written"
    except OSError as e:
        out[name] = e.errno
print(json.dumps(out))
"""
    limits = sandbox.Limits(memory_bytes=2 * 1024**3, file_bytes=8 * 1024**2, tmp_bytes=16 * 1024**2)
    seen = report(run_inside(code, writes=[tmp_path], limits=limits))
    assert seen == {"10GB": "MemoryError", "file": 27, "tmp": 27}  # EFBIG (file size limit) both
    assert (tmp_path / "big").stat().st_size == 8 * 1024**2


def test_nothing_it_starts_survives_it():
    marker = f"mlplab-daemon-{uuid.uuid4().hex}"
    code = f"""
import os, subprocess, sys
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", {marker!r}],
                 start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                 stderr=subprocess.DEVNULL)
if os.fork() == 0:
    os.setsid()
    os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(120)", {marker!r}])
print("started")
"""
    assert run_inside(code).stdout.strip() == "started"
    time.sleep(0.5)
    assert tagged(marker) == []


def tagged(marker: str) -> list[str]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if marker.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
        except OSError:
            pass
    return found


@pytest.mark.parametrize("dies_after", [0.0, 3.0])
def test_a_sandbox_dies_with_the_process_that_started_it(dies_after):
    """The grader SIGKILLed while its sandbox's launcher still starts (0 s), or once it runs (3 s)."""
    marker = f"mlplab-orphan-{uuid.uuid4().hex}"
    starter = f"""
import os, subprocess, time
from autograder import sandbox
subprocess.Popen(sandbox.launcher_argv([sandbox.sandbox_python(), "-c", "import time; time.sleep(120)", {marker!r}]))
time.sleep({dies_after})
os.kill(os.getpid(), 9)
"""
    subprocess.run([sys.executable, "-c", starter], cwd=REPOSITORY, timeout=60)
    deadline = time.monotonic() + 10
    while (alive := tagged(marker)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert alive == []


def test_grading_refuses_without_a_working_sandbox_unless_told(monkeypatch, tmp_path):
    from submissions import make_submission

    from autograder.grading import grade

    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    monkeypatch.setattr(sandbox, "_STATUS", None)
    assert "bwrap is not installed" in sandbox.self_test()[0]
    with pytest.raises(
        sandbox.SandboxUnavailable, match="refusing to run student code unsandboxed.*bwrap is not installed"
    ):
        grade(make_submission(tmp_path, base="stubs"), "lab1", seed=1)
    verdict = grade(make_submission(tmp_path, base="stubs"), "lab1", seed=1, allow_unsandboxed=True)
    assert verdict.sandbox == "none" and verdict.score == 0


def _bomb() -> bytes:
    """An npz whose one array holds 256 MB of zeros, deflated to a few hundred KB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("lab1.elu/outputs/y.npy", "w", force_zip64=True) as member:
            header = io.BytesIO()
            np.lib.format.write_array_header_1_0(
                header, {"descr": "<f8", "fortran_order": False, "shape": (32 * 1024**2,)}
            )
            member.write(header.getvalue())
            for _ in range(256):
                member.write(bytes(1024**2))
        archive.writestr("__meta__.npy", _meta())
    return buffer.getvalue()


def _meta() -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.frombuffer(b'{"lab1.elu": {}}', dtype=np.uint8))
    return buffer.getvalue()


def test_bounded_unpack_refuses_zip_bombs_and_lying_headers():
    bomb = _bomb()
    assert len(bomb) < 1024**2
    with pytest.raises(ValueError, match="larger than"):
        unpack(bomb, max_bytes=64 * 1024**2)
    small = io.BytesIO()
    with zipfile.ZipFile(small, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("__meta__.npy", _meta())
    with pytest.raises(ValueError, match="compressed member refused"):
        unpack(small.getvalue(), max_bytes=64 * 1024**2)
    liar = io.BytesIO()
    with zipfile.ZipFile(liar, "w", zipfile.ZIP_STORED) as archive:
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**9,)})
        archive.writestr("lab1.elu/outputs/y.npy", header.getvalue() + bytes(64))
        archive.writestr("__meta__.npy", _meta())
    with pytest.raises(ValueError, match="header does not match"):
        unpack(liar.getvalue(), max_bytes=64 * 1024**2)
    good = pack({"lab1.elu": {"outputs": {"y": np.arange(3.0)}}})
    assert unpack(good, max_bytes=len(good))["lab1.elu"]["outputs"]["y"].tolist() == [0, 1, 2]


def test_the_kernel_writes_only_its_folder_and_cannot_see_the_grader(tmp_path):
    """The kernel as nbgrader's pipeline starts it (SandboxedKernelManager over IPC sockets)."""
    import asyncio

    from autograder.preprocessors import SandboxedKernelManager

    workdir, runtime, victim = tmp_path / "autograded", tmp_path / "runtime", tmp_path / "gradebook.db"
    workdir.mkdir()
    runtime.mkdir()
    victim.write_text("precious")
    code = (
        f"import os, json\nopen('here.txt', 'w').write('ok')\n"
        f"try:\n    open({str(victim)!r}, 'w').write('0')\nexcept OSError as e:\n    print('refused', e.errno)\n"
        f"print(json.dumps([os.getuid(), os.path.exists({str(REPOSITORY / 'solutions')!r}), "
        f"len([p for p in os.listdir('/proc') if p.isdigit()])]))\n"
    )
    outputs = []

    async def run_in_the_kernel():
        manager = SandboxedKernelManager(transport="ipc", connection_file=str(runtime / "connection.json"))
        manager.sandbox_argv = sandbox.kernel_argv(workdir, runtime)
        await manager.start_kernel()
        try:
            client = manager.client()
            client.start_channels()
            await client.wait_for_ready(timeout=60)
            await client.execute_interactive(
                code,
                timeout=60,
                output_hook=lambda m: (
                    outputs.append(m["content"].get("text", "")) if m["msg_type"] == "stream" else None
                ),
            )
            client.stop_channels()
        finally:
            await manager.shutdown_kernel(now=True)

    asyncio.run(run_in_the_kernel())
    text = "".join(outputs)
    assert "refused" in text and victim.read_text() == "precious"
    assert (workdir / "here.txt").read_text() == "ok"
    uid, sees_solutions, processes = json.loads(text.strip().splitlines()[-1])
    assert uid == 65534 and not sees_solutions and processes <= 4
    assert (workdir / "here.txt").read_text() == "ok"


def test_the_trusted_side_reads_a_worker_with_caps():
    from autograder import grading

    flood = "import os\nfor _ in range(100):\n    os.write(1, bytes(1024**2))\n    os.write(2, bytes(1024**2))\n"
    proc = subprocess.Popen(
        [sys.executable, "-c", flood],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    out, err, problem = grading._communicate(proc, b"", time.monotonic() + 60)
    assert (out, problem) == (None, "too large") and len(err) <= grading.STDERR_TAIL_BYTES
    proc = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    start = time.monotonic()
    assert grading._communicate(proc, b"", start + 1)[2] == "timeout"
    assert time.monotonic() - start < 5 and proc.returncode is not None
