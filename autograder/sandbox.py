"""The one place that builds sandbox commands, for the grading worker and the notebook kernel.

A sandboxed command runs under ``bubblewrap`` and sees only:

* the system's ``/usr`` (and the ``/lib``, ``/bin`` links into it) and a few
  ``/etc`` files a process needs to start (``ld.so.cache``, fonts, time zone);
  ``/etc/passwd`` and ``/etc/group`` are a one-line stand-in;
* the Python installation (``sys.base_prefix``) and the virtual environment
  (``sys.prefix``), read-only;
* the provided library: a clean copy of ``mlplab`` and the grading worker, made
  once per process, without the repository (no ``solutions/``, no course, no
  tests, no ``.git``), read-only at ``/opt/mlplab``;
* what its caller binds: the worker's one submission read-only, the kernel's
  working copy and runtime folder writable; a private ``/tmp`` of bounded size.

It runs as uid/gid 65534 in a new user namespace whose 65534 is host uid 65534
(never host root: the kernel exempts host root from the process limit), with
no capabilities (bounding set empty, ``no_new_privs``), in its own PID, IPC,
UTS, network (loopback only) and mount namespaces, in a new session, with an
explicit minimal environment (``--clearenv``) and resource limits on address
space, processes, file size, CPU time and open files. It dies with its parent,
and all of its processes die with its PID namespace.

How the uid is arranged: bwrap maps the sandbox's uid to the uid that started
it, here root. So the launcher (``python -m autograder.sandbox``, run by the
trusted side) first creates a user namespace mapping 0 -> 0 and 65534 -> 65534,
hands it to bwrap (``--userns``), which mounts as that namespace's root, and the
command starts through ``setpriv``, which becomes 65534 and drops every
capability before anything of the student's runs.

``status()`` runs a self-test inside a sandbox once per process; grading and the
kernel refuse to run student code unsandboxed unless told (``require``).
"""

from __future__ import annotations

import argparse
import atexit
import ctypes
import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from autograder.paths import REPOSITORY, solutions_folder

SANDBOX_UID = 65534
LIBRARY_MOUNT = "/opt/mlplab"
# /etc files a Python process (numpy, matplotlib) reads to start; the rest of /etc stays hidden.
ETC_FILES = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "fonts",
    "alternatives",
    "mime.types",
    "ssl/openssl.cnf",
)
PASSWD = f"nobody:x:{SANDBOX_UID}:{SANDBOX_UID}:nobody:/tmp:/usr/sbin/nologin\n"
GROUP = f"nogroup:x:{SANDBOX_UID}:\n"


class SandboxUnavailable(RuntimeError):
    """Student code cannot be run sandboxed here; the message says why."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandbox (each process: memory, file size, CPU; all: processes)."""

    memory_bytes: int = 4 * 1024**3
    processes: int = 128
    file_bytes: int = 256 * 1024**2
    cpu_seconds: int = 600
    open_files: int = 256
    tmp_bytes: int = 256 * 1024**2

    def options(self) -> list[str]:
        return [
            f"--memory={self.memory_bytes}",
            f"--processes={self.processes}",
            f"--file-bytes={self.file_bytes}",
            f"--cpu-seconds={self.cpu_seconds}",
            f"--open-files={self.open_files}",
            f"--tmp-bytes={self.tmp_bytes}",
        ]


KERNEL_LIMITS = Limits(cpu_seconds=1800)


# --- the provided library, without the repository ---------------------------------------------

_LIBRARY: Path | None = None


def library_tree() -> Path:
    """A clean read-only copy of ``mlplab`` and the grading worker (made once per process).

    Layout: ``python/mlplab/...``, ``python/autograder/worker.py``, ``etc/passwd``, ``etc/group``.
    """
    global _LIBRARY
    if _LIBRARY is None:
        import mlplab

        root = Path(tempfile.mkdtemp(prefix="mlplab-library-"))
        atexit.register(shutil.rmtree, root, True)
        python = root / "python"
        shutil.copytree(
            Path(mlplab.__file__).parent,
            python / "mlplab",
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
            symlinks=False,
        )
        (python / "autograder").mkdir()
        (python / "autograder" / "__init__.py").write_text("")
        shutil.copy(Path(__file__).with_name("worker.py"), python / "autograder" / "worker.py")
        (root / "etc").mkdir()
        (root / "etc" / "passwd").write_text(PASSWD)
        (root / "etc" / "group").write_text(GROUP)
        for path in [root, *root.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        _LIBRARY = root
    return _LIBRARY


def sandbox_python() -> str:
    """The interpreter to run inside (the virtual environment's, bound at the same path)."""
    return str(Path(sys.prefix) / "bin" / "python")


def base_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The whole environment of a sandboxed process: nothing of the instructor's."""
    env = {
        "HOME": "/tmp",
        "TMPDIR": "/tmp",
        "PATH": f"{Path(sys.prefix) / 'bin'}:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "PYTHONPATH": f"{LIBRARY_MOUNT}/python",
        "PYTHONNOUSERSITE": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": "/tmp/matplotlib",
        "IPYTHONDIR": "/tmp/ipython",
    }
    env.update(extra or {})
    return env


# --- the command ---------------------------------------------------------------------------------


def launcher_argv(
    command: list[str],
    *,
    reads: dict[str, str] | None = None,
    writes: list[Path] = (),
    chdir: str = "/tmp",
    env: dict[str, str] | None = None,
    limits: Limits = Limits(),
) -> list[str]:
    """The argv that runs ``command`` sandboxed (through ``python -m autograder.sandbox``).

    Args:
        command: the program and its arguments, as seen inside the sandbox.
        reads: host path -> path inside, bound read-only.
        writes: host folders bound read-write at the same path (handed to the sandbox's uid).
        chdir: the working directory inside.
        env: variables added to the minimal environment (``base_env``).
        limits: resource limits.
    """
    argv = [
        sys.executable,
        "-I",
        "-m",
        "autograder.sandbox",
        f"--library={library_tree()}",
        f"--parent={os.getpid()}",
        f"--chdir={chdir}",
        *limits.options(),
    ]
    for host, inside in (reads or {}).items():
        argv.append(f"--read={Path(host).resolve()}={inside}")
    argv += [f"--write={Path(p).resolve()}" for p in writes]
    argv += [f"--setenv={k}={v}" for k, v in sorted(base_env(env).items())]
    return [*argv, "--", *command]


def kernel_argv(
    workdir: Path, runtime: Path, env: dict[str, str] | None = None, readable: list[Path] = ()
) -> list[str]:
    """The kernelspec argv (with ``{connection_file}``) of an ipykernel running sandboxed.

    The kernel reads the Python installation and the provided library, writes only
    ``workdir`` (the copy nbgrader executes in; also its working directory) and
    ``runtime`` (connection file, IPC sockets). ``env`` adds variables to its environment;
    ``readable`` are more paths it may read (bound read-only at the same path).
    """
    return launcher_argv(
        [sandbox_python(), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        reads={p: str(Path(p).resolve()) for p in readable},
        writes=[Path(workdir), Path(runtime)],
        chdir=str(Path(workdir).resolve()),
        env=env,
        limits=KERNEL_LIMITS,
    )


class _Mounts:
    """bwrap mount options; parent folders are created world-readable (bwrap makes them 0700)."""

    def __init__(self):
        self.args: list[str] = []
        self.made: set[str] = {"/"}

    def folder(self, path: str) -> None:
        for parent in [*reversed(Path(path).parents), Path(path)]:
            if str(parent) not in self.made:
                self.args += ["--perms", "0755", "--dir", str(parent)]
                self.made.add(str(parent))

    def add(self, option: str, source: str, dest: str, *, is_dir: bool = True) -> None:
        self.folder(dest if is_dir else str(Path(dest).parent))
        self.args += [option, source, dest]
        self.made.add(dest)


def bwrap_argv(
    command: list[str],
    *,
    library: Path,
    userns_fd: int,
    reads: dict[str, str],
    writes: list[str],
    chdir: str,
    env: dict[str, str],
    limits: Limits,
) -> list[str]:
    """The bwrap command line (run by the launcher, as root, with ``userns_fd`` open)."""
    argv = [
        shutil.which("bwrap") or "bwrap",
        "--userns",
        str(userns_fd),
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-net",
        "--unshare-cgroup-try",
        "--die-with-parent",
        "--new-session",
        "--clearenv",
    ]
    for key, value in env.items():
        argv += ["--setenv", key, value]
    mounts = _Mounts()
    for name in ("usr", "lib", "lib32", "lib64", "libx32", "bin", "sbin"):
        path = Path("/") / name
        if path.is_symlink():
            argv += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            mounts.add("--ro-bind", str(path), str(path))
    for name in ETC_FILES:
        path = Path("/etc") / name
        if path.exists():
            mounts.add("--ro-bind", str(path), str(path), is_dir=path.is_dir())
    for name in ("passwd", "group"):
        mounts.add("--ro-bind", str(library / "etc" / name), f"/etc/{name}", is_dir=False)
    prefixes = {Path(sys.base_prefix), Path(sys.prefix)}
    for path in sorted(prefixes | {p.resolve() for p in prefixes}):
        mounts.add("--ro-bind", str(path.resolve()), str(path))
    mounts.add("--ro-bind", str(library), LIBRARY_MOUNT)
    for host, inside in reads.items():
        mounts.add("--ro-bind", host, inside, is_dir=Path(host).is_dir())
    for path in writes:
        mounts.add("--bind", path, path)
    mounts.folder(chdir)
    argv += [
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--perms",
        "1777",
        "--size",
        str(limits.tmp_bytes),
        "--tmpfs",
        "/tmp",
        "--perms",
        "1777",
        "--size",
        str(limits.tmp_bytes),
        "--tmpfs",
        "/dev/shm",
        *mounts.args,
        "--chdir",
        chdir,
        "--",
        shutil.which("setpriv") or "setpriv",
        f"--reuid={SANDBOX_UID}",
        f"--regid={SANDBOX_UID}",
        "--clear-groups",
        "--inh-caps=-all",
        "--bounding-set=-all",
        "--",
        *command,
    ]
    return argv


def _user_namespace() -> int:
    """An fd of a new user namespace mapping 0 -> host 0 (bwrap mounts as it) and 65534 -> 65534."""
    holder = subprocess.Popen(["unshare", "--user", "sleep", "60"], stdin=subprocess.DEVNULL)
    try:
        mine = os.readlink("/proc/self/ns/user")
        deadline = time.monotonic() + 10
        while os.readlink(f"/proc/{holder.pid}/ns/user") == mine:
            if holder.poll() is not None or time.monotonic() > deadline:
                raise SandboxUnavailable("could not create a user namespace (unshare --user failed)")
            time.sleep(0.002)
        mapping = f"0 0 1\n{SANDBOX_UID} {SANDBOX_UID} 1\n"
        for name in ("uid_map", "gid_map"):
            Path(f"/proc/{holder.pid}/{name}").write_text(mapping)
        return os.open(f"/proc/{holder.pid}/ns/user", os.O_RDONLY)  # keeps the namespace alive
    finally:
        holder.kill()
        holder.wait()


def _hand_over(path: str) -> None:
    """Let the sandbox's uid write ``path`` and everything below it.

    Links are not followed, and a file with several hard links is left alone (it could be
    another file of the machine's, linked in by an earlier run).
    """
    for folder, dirs, files in os.walk(path):
        os.lchown(folder, SANDBOX_UID, SANDBOX_UID)
        for name in (os.path.join(folder, n) for n in dirs + files):
            info = os.lstat(name)
            if info.st_nlink == 1 or stat.S_ISDIR(info.st_mode):
                os.lchown(name, SANDBOX_UID, SANDBOX_UID)


def _set_limits(limits: Limits) -> None:
    for kind, value in (
        (resource.RLIMIT_AS, limits.memory_bytes),
        (resource.RLIMIT_NPROC, limits.processes),
        (resource.RLIMIT_FSIZE, limits.file_bytes),
        (resource.RLIMIT_CPU, limits.cpu_seconds),
        (resource.RLIMIT_NOFILE, limits.open_files),
        (resource.RLIMIT_CORE, 0),
    ):
        resource.setrlimit(kind, (value, value))


PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """SIGKILL this process (and so the bwrap it becomes, and the whole sandbox) when the process
    that started it dies; exit now if it died already (while this launcher was starting up).

    bwrap's ``--die-with-parent`` arms the same signal only once bwrap runs: a grader killed
    while the launcher was still starting would otherwise leave an orphaned sandbox behind.
    """
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
        raise SandboxUnavailable(f"prctl(PR_SET_PDEATHSIG) failed: {os.strerror(ctypes.get_errno())}")
    if os.getppid() != parent:
        sys.exit(f"autograder.sandbox: the process that started it ({parent}) is gone")


def launch(argv: list[str] | None = None) -> None:
    """``python -m autograder.sandbox [options] -- command``: become bwrap running ``command``."""
    parser = argparse.ArgumentParser(prog="autograder.sandbox")
    parser.add_argument("--library", required=True, type=Path)
    parser.add_argument("--parent", required=True, type=int, help="pid of the process starting it")
    parser.add_argument("--chdir", default="/tmp")
    parser.add_argument("--read", action="append", default=[], help="HOST=INSIDE, read-only")
    parser.add_argument("--write", action="append", default=[], help="host folder, writable")
    parser.add_argument("--setenv", action="append", default=[], help="KEY=VALUE")
    for name in ("memory", "processes", "file-bytes", "cpu-seconds", "open-files", "tmp-bytes"):
        parser.add_argument(f"--{name}", type=int, required=True)
    parser.add_argument("command", nargs="+")
    args = parser.parse_args(argv)
    _die_with_parent(args.parent)
    limits = Limits(args.memory, args.processes, args.file_bytes, args.cpu_seconds, args.open_files, args.tmp_bytes)
    if os.getuid() != 0:
        raise SandboxUnavailable(
            "the sandbox launcher must run as root: it maps the sandbox to host "
            f"uid {SANDBOX_UID} and hands it the writable folders"
        )
    for path in args.write:
        _hand_over(path)
    userns = _user_namespace()
    os.set_inheritable(userns, True)
    cmd = bwrap_argv(
        args.command,
        library=args.library,
        userns_fd=userns,
        reads=dict(r.split("=", 1) for r in args.read),
        writes=args.write,
        chdir=args.chdir,
        env=dict(e.split("=", 1) for e in args.setenv),
        limits=limits,
    )
    _set_limits(limits)
    os.execv(cmd[0], cmd)


# --- self-test ---------------------------------------------------------------------------------

SELF_TEST = r"""
import ctypes, json, os, socket, sys
hidden, probe = sys.argv[1], sys.argv[2]
problems = []
def fails(what, action):
    try:
        action()
    except OSError:
        return
    problems.append(what)
status = dict(line.split(":\t", 1) for line in open("/proc/self/status").read().splitlines() if ":\t" in line)
for cap in ("CapEff", "CapPrm", "CapBnd", "CapAmb"):
    if int(status[cap], 16):
        problems.append(f"{cap} is {status[cap].strip()}, not 0")
if os.getuid() != 65534 or os.getgid() != 65534:
    problems.append(f"runs as uid {os.getuid()} gid {os.getgid()}, not 65534")
outer = [line.split() for line in open("/proc/self/uid_map")]
if any(inner == str(os.getuid()) and host == "0" for inner, host, _ in outer):
    problems.append("its uid is host root")
for path in json.loads(hidden):
    if os.path.exists(path):
        problems.append(f"{path} is visible")
if len(open("/etc/passwd").read().splitlines()) != 1:
    problems.append("/etc/passwd is the host's")
for folder in ("/", "/usr", "/etc", sys.prefix, "/opt/mlplab", probe):
    fails(f"can write in {folder}", lambda: open(os.path.join(folder, "mlplab-probe"), "w").close())
libc = ctypes.CDLL(None, use_errno=True)
MS_REMOUNT, MS_BIND = 32, 4096
for target in ("/", "/usr", probe):
    if libc.mount(None, target.encode(), None, MS_REMOUNT | MS_BIND, None) == 0:
        problems.append(f"remounted {target} read-write")
if libc.unshare(0x10000000) == 0:  # CLONE_NEWUSER: would give capabilities in a new namespace
    if libc.mount(None, b"/usr", None, MS_REMOUNT | MS_BIND, None) == 0:
        problems.append("remounted /usr in a nested user namespace")
if [name for _, name in socket.if_nameindex()] != ["lo"]:
    problems.append("has network interfaces besides loopback")
fails("reaches the network", lambda: socket.create_connection(("1.1.1.1", 53), timeout=1))
try:
    open("/tmp/mlplab-probe", "w").close()
except OSError:
    problems.append("cannot write its private /tmp")
pids = [p for p in os.listdir("/proc") if p.isdigit()]
if len(pids) > 4:
    problems.append(f"sees {len(pids)} processes (not its own PID namespace)")
print(json.dumps(problems))
"""

_STATUS: tuple[str, str] | None = None


def self_test() -> list[str]:
    """Run the self-test in a sandbox; return the properties that do not hold (empty: all hold)."""
    for tool in ("bwrap", "setpriv", "unshare"):
        if shutil.which(tool) is None:
            return [f"{tool} is not installed (Debian: apt-get install bubblewrap util-linux)"]
    hidden = [str(REPOSITORY / name) for name in ("solutions", "mlplab", ".git", "tests", "course")]
    hidden += ["/root/.bash_history", "/home"]
    try:
        hidden.append(str(solutions_folder()))
    except FileNotFoundError:
        pass
    with tempfile.TemporaryDirectory(prefix="mlplab-selftest-") as probe:
        os.chmod(probe, 0o777)
        cmd = launcher_argv(
            [sandbox_python(), "-c", SELF_TEST, json.dumps(hidden), "/probe"],
            reads={probe: "/probe"},
            limits=Limits(cpu_seconds=30),
        )
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return ["the self-test did not finish within 60 s"]
        if proc.returncode != 0:
            tail = proc.stderr.decode(errors="replace").strip().splitlines()[-2:]
            return [f"the sandbox does not start (exit {proc.returncode}: {' | '.join(tail)})"]
        problems = json.loads(proc.stdout.decode().strip().splitlines()[-1])
        if os.listdir(probe):
            problems.append("wrote into a read-only folder")
    return problems


def status() -> str:
    """``"bwrap"`` when the sandbox works here and passed its self-test, else ``"none"``."""
    return _status()[0]


def _status() -> tuple[str, str]:
    global _STATUS
    if _STATUS is None:
        problems = self_test()
        _STATUS = ("none", "; ".join(problems)) if problems else ("bwrap", "")
    return _STATUS


def require(allow_unsandboxed: bool) -> str:
    """``"bwrap"``; or ``"none"`` when the sandbox is not usable and ``allow_unsandboxed``.

    Raises:
        SandboxUnavailable: the sandbox is not usable and ``allow_unsandboxed`` is false.
    """
    kind, why = _status()
    if kind == "none" and not allow_unsandboxed:
        raise SandboxUnavailable(
            f"refusing to run student code unsandboxed: the bwrap sandbox is not usable here ({why}); "
            "install bubblewrap, or pass allow_unsandboxed / --unsandboxed to run it anyway"
        )
    return kind


if __name__ == "__main__":
    launch()
