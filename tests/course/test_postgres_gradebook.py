"""The gradebook on PostgreSQL (nbgrader's db_url, from the course's ``gradebook_url`` file).

The test starts its own PostgreSQL server (Debian's postgresql 15) on 127.0.0.1 as a non-root
account, releases lab 1 into it, and has two graders write at once: one serially from one
course folder, one with ``--jobs 2`` from a copy of it, each for half of the class. Every
graded submission's scores in the database are its trusted verdict's, task for task.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from bugzoo import lab1
from submissions import submit_class, with_bug

from autograder.course import Course
from autograder.course_config import GRADEBOOK_URL_FILE
from mlplab.course.tasks import TASKS

PG_BIN = Path("/usr/lib/postgresql/15/bin")
LAB = "lab1"
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.slow


def _as_server_account(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run ``cmd`` as the ``postgres`` account when we are root (PostgreSQL refuses root)."""
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kwargs)


@pytest.fixture
def postgres_url():
    if not (PG_BIN / "pg_ctl").is_file():
        pytest.skip(f"PostgreSQL is not installed ({PG_BIN}/pg_ctl missing; apt-get install postgresql)")
    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install -e '.[class]')")
    base = Path(tempfile.mkdtemp(prefix="mlplab-pg-"))
    data = base / "data"
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = False
    try:
        init = _as_server_account(
            [str(PG_BIN / "initdb"), "-D", str(data), "--auth=trust", "--username=grader", "--no-sync"]
        )
        assert init.returncode == 0, init.stderr
        start = _as_server_account(
            [
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(base / "log"),
                "-w",
                "-t",
                "60",
                "-o",
                f"-c listen_addresses=127.0.0.1 -p {port} -k {base}",
                "start",
            ]
        )
        assert start.returncode == 0, start.stderr + (base / "log").read_text()
        started = True
        made = _as_server_account(
            [str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "grader", "mlplab"]
        )
        assert made.returncode == 0, made.stderr
        yield f"postgresql://grader@127.0.0.1:{port}/mlplab"
    finally:
        if started:
            _as_server_account([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])
        shutil.rmtree(base)


def test_two_graders_write_one_postgres_gradebook_at_once(postgres_url, tmp_path):
    first = tmp_path / "grader1"
    first.mkdir()
    (first / GRADEBOOK_URL_FILE).write_text(postgres_url + "\n")
    course = Course(first)
    course.release(LAB)
    submit_class(
        course,
        LAB,
        tmp_path / "work",
        {"reference": {}, "blank": None, "bug": with_bug(lab1.BUGS[14]), "nonotebook": {}},
    )
    second = shutil.copytree(first, tmp_path / "grader2")
    assert not (first / "gradebook.db").exists()

    cli = [str(BIN / "mlplab-course")]
    # scores only (--no-notebooks): the notebook stage writes nothing into the database
    graders = [
        subprocess.Popen(
            [
                *cli,
                "--course",
                str(first),
                "autograde",
                LAB,
                "--no-notebooks",
                "--student",
                "reference",
                "--student",
                "blank",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        ),
        subprocess.Popen(
            [
                *cli,
                "--course",
                str(second),
                "autograde",
                LAB,
                "--no-notebooks",
                "--jobs",
                "2",
                "--student",
                "bug",
                "--student",
                "nonotebook",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        ),
    ]
    outputs = [g.communicate(timeout=900)[0] for g in graders]
    assert graders[0].returncode == 0, outputs[0]
    assert graders[1].returncode == 2 and "nonotebook" in outputs[1] and "NOT GRADED" in outputs[1], outputs[1]

    verdicts = {}
    for folder, students in ((first, ["reference", "blank"]), (second, ["bug"])):
        for student in students:
            record = json.loads((folder / "grading" / LAB / f"{student}.json").read_text())
            assert record["status"] == "graded", record
            verdicts[student] = {r["task_id"]: r["points"] for r in record["verdict"]["results"]}
    with Course(first).gradebook() as gb:
        assert "postgresql" in str(gb.db.bind.url)
        in_database = {
            s.student.id: {t.id: gb.find_grade(t.cell_id, LAB, LAB, s.student.id).score for t in TASKS if t.lab == LAB}
            for s in gb.assignment_submissions(LAB)
        }
    assert {s: in_database[s] for s in verdicts} == verdicts
    assert sum(verdicts["reference"].values()) > sum(verdicts["bug"].values()) > sum(verdicts["blank"].values())
