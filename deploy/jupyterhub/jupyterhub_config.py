"""JupyterHub for a class taking mlplab: one Unix account per student, nbgrader's exchange.

Start it as root (it switches to each student's account to start their server):

    jupyterhub -f deploy/jupyterhub/jupyterhub_config.py

Everything a course changes is read from the environment (defaults in brackets), so the
same file serves the course machine and the end-to-end test (tests/course/test_jupyterhub.py):

    MLPLAB_ROSTER       students, one Unix user name a line        [/srv/mlplab/students.txt]
    MLPLAB_INSTRUCTORS  instructors' user names, comma-separated   [none]
    MLPLAB_HUB_STATE    the hub's database and cookie secret       [/srv/jupyterhub]
    MLPLAB_HUB_IP, MLPLAB_HUB_PORT   where students connect        [all interfaces, 8000]
    MLPLAB_ENV          the Python environment of the release      [the one running the hub]
    MLPLAB_HUB_ACCOUNTS "system": each student's server runs as their own Unix account (a course);
                        "one": every server runs as the hub's account, in its own home folder
                        under MLPLAB_HUB_HOMES (a demo, or a machine whose Python the students'
                        accounts cannot read)                       [system]

The exchange (where students fetch and submit) and the course id come from nbgrader's
global configuration, ``deploy/jupyterhub/nbgrader_config.py`` installed as
``/etc/jupyter/nbgrader_config.py``; docs/jupyterhub.md walks a course team through it.
"""

import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821 (provided by JupyterHub when it loads this file)

STATE = Path(os.environ.get("MLPLAB_HUB_STATE", "/srv/jupyterhub"))
ROSTER = Path(os.environ.get("MLPLAB_ROSTER", "/srv/mlplab/students.txt"))
ENV_BIN = Path(os.environ.get("MLPLAB_ENV", sys.prefix)) / "bin"
INSTRUCTORS = {name for name in os.environ.get("MLPLAB_INSTRUCTORS", "").split(",") if name}


def read_roster(path: Path) -> set[str]:
    """One user name a line; ``#`` starts a comment. A missing roster is an error, not an empty class."""
    if not path.is_file():
        raise SystemExit(f"mlplab: the class roster {path} does not exist (set MLPLAB_ROSTER)")
    names = {line.split("#", 1)[0].strip() for line in path.read_text().splitlines()}
    return {name for name in names if name}


STUDENTS = read_roster(ROSTER)

# --- where the hub listens and keeps its state
c.JupyterHub.ip = os.environ.get("MLPLAB_HUB_IP", "")
c.JupyterHub.port = int(os.environ.get("MLPLAB_HUB_PORT", "8000"))
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.pid_file = str(STATE / "jupyterhub-proxy.pid")

# --- who may log in: the Unix password of an account on this machine (PAM), roster only
c.JupyterHub.authenticator_class = "jupyterhub.auth.PAMAuthenticator"
c.Authenticator.allowed_users = STUDENTS | INSTRUCTORS

# --- each student's server runs from the course's environment; nbgrader names the student
# by MLPLAB_STUDENT (read by nbgrader_config.py), set for students only
ACCOUNTS = os.environ.get("MLPLAB_HUB_ACCOUNTS", "system")
if ACCOUNTS == "system":
    c.JupyterHub.spawner_class = "jupyterhub.spawner.LocalProcessSpawner"
    c.Spawner.notebook_dir = "~"
elif ACCOUNTS == "one":
    c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
    c.SimpleLocalProcessSpawner.home_dir_template = os.environ["MLPLAB_HUB_HOMES"] + "/{username}"
    c.Spawner.args = ["--allow-root"] if os.geteuid() == 0 else []
else:
    raise SystemExit(f"mlplab: MLPLAB_HUB_ACCOUNTS is {ACCOUNTS!r}; expected 'system' or 'one'")
c.Spawner.cmd = [str(ENV_BIN / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.environment = {
    "PATH": f"{ENV_BIN}:/usr/local/bin:/usr/bin:/bin",
    "OMP_NUM_THREADS": "1",  # hundreds of kernels share the machine's cores
    "OPENBLAS_NUM_THREADS": "1",
    "MLPLAB_STUDENT": lambda spawner: spawner.user.name if spawner.user.name in STUDENTS else "",
}
c.Spawner.env_keep = ["LANG", "LC_ALL", "JUPYTER_CONFIG_PATH", "MLPLAB_EXCHANGE"]
c.Spawner.mem_limit = "2G"  # advisory for LocalProcessSpawner; enforced by container spawners
c.Spawner.http_timeout = 60
c.Spawner.start_timeout = 120

# --- roles: students use their own server; instructors manage users and servers (and see
# the class in the admin panel). Grading happens on the course machine, not through the hub.
c.JupyterHub.load_groups = {
    "students": {"users": sorted(STUDENTS)},
    "instructors": {"users": sorted(INSTRUCTORS)},
}
c.JupyterHub.load_roles = [
    {
        "name": "instructor",
        "groups": ["instructors"],
        "scopes": ["admin-ui", "admin:users", "admin:servers", "list:users", "read:users:activity", "access:servers"],
    },
]
