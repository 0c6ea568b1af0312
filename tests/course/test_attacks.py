"""The attack zoo (tests/attackzoo) as one class of lab 5, through every grading path.

One course, one class of attackers plus a victim (the reference) and a blank control, autograded
once by ``mlplab-course autograde`` and once by nbgrader's own ``nbgrader autograde`` in the
course folder. After each run: every attack has exactly its points (and the victim its own),
the run reached every student, nothing outside the students' autograded copies changed (digests
of submitted/, source/, release/, the course's config and secret, solutions/ and the library; no
tagged file anywhere), no process an attack started is alive, and no feedback page shows a
solution line, the checks' source, another student's code, the course secret, the instructor's
environment or paths, or /etc/passwd.

Submissions are planted in ``submitted/`` as ``nbgrader collect`` would bring them (links, pipes
and bytecode included); ``Course.submit`` must refuse the links and the pipe itself.

The grader's limits are lowered for this course (``TrustedGrade.timeout``, ``Execute.timeout``,
``SandboxedExecute.notebook_seconds``) so that the endless attacks cost seconds, not minutes, and
the notebooks keep their setup and graded cells only (``without_experiments``): the class runs
twice, so every second per student counts twice per attack.

The second test: a class of 6 autograded while a second autograde is started at once (one of
the two refuses), and the same class autograded, SIGKILLed midway and rerun: same gradebook and
same CSV.

While fixing one attack, ``ZOO_SKIP=name,name`` leaves attacks out of the class (say, one that
stops the whole run) so that the others are seen; the test still fails at its end.
"""

from __future__ import annotations

import compileall
import csv
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from attackzoo import EXERCISE, LAB, Context, all_attacks, use_reference
from bugzoo import all_of
from submissions import REPO, with_bug, without_experiments

from autograder import cli, course_config, records
from autograder.course import Course, CourseError
from autograder.feedback import page_text, squeeze
from autograder.generate import solution_lines
from mlplab.course.tasks import TASKS

TASKS_OF_LAB = [t for t in TASKS if t.lab == LAB]
FULL = sum(t.points for t in TASKS_OF_LAB)
GRADE_TIMEOUT = 20.0  # the trusted grader's budget per submission (all tasks)
CELL_TIMEOUT = 8  # per notebook cell in the kernel (the first cell past it ends the notebook stage)
NOTEBOOK_SECONDS = 60  # the whole notebook stage of one submission
LIMITS = [
    f"--TrustedGrade.timeout={GRADE_TIMEOUT}",
    f"--Execute.timeout={CELL_TIMEOUT}",
    f"--SandboxedExecute.notebook_seconds={NOTEBOOK_SECONDS}",
]
VICTIM, BLANK = "victim", "blank"
REFUSED_AT_SUBMIT = {"symbolic_links", "named_pipe"}
MAX_PAGE_BYTES = 8 * 1024 * 1024
CANARY = "ZOO_INSTRUCTOR_CANARY"


# ------------------------------------------------------------------ what must not change
def digest(path: Path) -> dict[str, str]:
    """Relative path -> content digest (link target for links, kind for other files) of a tree."""
    path = Path(path)
    if path.is_file():
        return {".": hashlib.sha256(path.read_bytes()).hexdigest()}
    found = {}
    for dirpath, dirnames, filenames in os.walk(path):
        for name in dirnames + filenames:
            item = Path(dirpath) / name
            rel = os.fsencode(item.relative_to(path)).hex()
            if item.is_symlink():
                found[rel] = "link:" + os.readlink(item)
            elif item.is_file():
                found[rel] = hashlib.sha256(item.read_bytes()).hexdigest()
            elif not item.is_dir():
                found[rel] = "special"
    return found


def protected(course: Course) -> dict[str, dict]:
    root = course.root
    return {
        name: digest(path)
        for name, path in {
            "submitted": root / "submitted",
            "source": root / "source",
            "release": root / "release",
            "config": root / "nbgrader_config.py",
            "secret": root / records.SECRET_FILE,
            "solutions": REPO / "solutions",
            "library": REPO / "mlplab",
            "autograder": REPO / "autograder",
        }.items()
    }


def tagged_files(tag: str, course: Course) -> list[str]:
    """Files an attack planted outside its own autograded copy (their names carry the tag)."""
    found = []
    for top in (course.root, REPO, Path("/tmp"), Path("/root"), Path("/")):
        depth = [] if top in (course.root, REPO) else ["-maxdepth", "3"]
        proc = subprocess.run(["find", str(top), *depth, "-xdev", "-name", f"*{tag}*"], capture_output=True, text=True)
        for line in proc.stdout.splitlines():
            student = line.rsplit(f"{tag}-", 1)[-1]
            if not line.startswith(str(course.root / "autograded" / student) + "/"):
                found.append(line)
    return sorted(set(found))


def tagged_processes(tag: str) -> list[int]:
    alive = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if tag.encode() in (entry / "cmdline").read_bytes():
                    alive.append(int(entry.name))
            except OSError:
                pass
    return alive


def survivors(tag: str, wait: float = 10.0) -> list[int]:
    """Tagged processes still alive ``wait`` seconds after the run (then killed, by pid)."""
    deadline = time.monotonic() + wait
    while (alive := tagged_processes(tag)) and time.monotonic() < deadline:
        time.sleep(0.5)
    for pid in alive:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return alive


def gradebook(course: Course, students) -> dict:
    """(student, task) -> (auto score, manual score), or None where there is no grade."""
    from nbgrader.api import MissingEntry

    found = {}
    with course.gradebook() as gb:
        for student in students:
            for task in TASKS_OF_LAB:
                try:
                    grade = gb.find_grade(task.cell_id, LAB, LAB, student)
                    found[(student, task.id)] = (grade.auto_score, grade.manual_score)
                except MissingEntry:
                    found[(student, task.id)] = None
    return found


def scores(course: Course, students) -> dict[str, float | None]:
    from nbgrader.api import MissingEntry

    with course.gradebook() as gb:
        found = {}
        for student in students:
            try:
                found[student] = sum(gb.find_grade(t.cell_id, LAB, LAB, student).score for t in TASKS_OF_LAB)
            except MissingEntry:
                found[student] = None
    return found


# ------------------------------------------------------------------ the class of attackers
@pytest.fixture
def lowered_limits(monkeypatch):
    """The course's config with lower grading limits, for the in-process mlplab-course path."""
    configure = course_config.configure

    def with_limits(c, root):
        configure(c, root)
        c.TrustedGrade.timeout = GRADE_TIMEOUT
        c.Execute.timeout = CELL_TIMEOUT
        c.SandboxedExecute.notebook_seconds = NOTEBOOK_SECONDS

    monkeypatch.setattr(course_config, "configure", with_limits)


def plant(course: Course, student: str, folder: Path) -> None:
    """Into submitted/ as nbgrader collect would copy it: links, pipes and bytecode as they are."""
    target = course.root / "submitted" / student / LAB
    if target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["cp", "-a", str(folder), str(target)], check=True)


def build_class(course: Course, work: Path, tag: str):
    release = course.release(LAB)
    skipped = set(filter(None, os.environ.get("ZOO_SKIP", "").split(",")))
    attacks = [a for a in all_attacks() if a.name not in skipped]
    markers, refused = {}, set()

    def prepare(student, base, attack=None):
        mutate = attack.mutate if attack else None
        folder = work / student
        shutil.copytree(release, folder)
        without_experiments(folder, LAB)
        ctx = Context(repo=REPO, course=course.root, student=student, victim=VICTIM, tag=tag)
        if base == "reference":
            use_reference(folder, ctx)
        markers[student] = f"own-code-of-{student}-{uuid.uuid4().hex}"
        with (folder / EXERCISE).open("a") as handle:
            handle.write(f"\n# {markers[student]}\n")
        if mutate:
            mutate(folder, ctx)
        if attack is None or attack.compiles:
            compile((folder / EXERCISE).read_bytes(), str(folder / EXERCISE), "exec")
        try:
            course.submit(LAB, student, folder)
        except CourseError:
            refused.add(student)
        plant(course, student, folder)

    prepare(VICTIM, "reference")
    prepare(BLANK, "blank")
    for attack in attacks:
        prepare(attack.name, attack.base, attack)
    return attacks, markers, refused


# nbgrader's own command line fails on these before its pipeline runs (reading the notebook, copying a
# pipe), so that path writes no outcome for them; it goes on with the class (mlplab-course records why)
UNREADABLE = {"notebook_not_json", "notebook_wrong_schema", "named_pipe"}


def check_run(course, attacks, before, tag, label, *, unreadable=()):
    """Every attack's outcome of this run (``unreadable``: attacks nbgrader may skip with no outcome)."""
    students = [VICTIM, BLANK] + [a.name for a in attacks]
    got = scores(course, students)
    wrong = {}
    for attack in attacks:
        record = records.read_outcome(course.root, LAB, attack.name)
        if record is None and attack.name in unreadable:
            continue
        assert record is not None, f"{label}: {attack.name} has no outcome: the class run stopped"
        if attack.graded:
            if (
                record["status"] != "graded"
                or got[attack.name] != attack.expected(FULL)
                or record["score"] != attack.expected(FULL)
            ):
                wrong[attack.name] = (
                    record["status"],
                    record.get("reason"),
                    record.get("score"),
                    got[attack.name],
                    attack.expected(FULL),
                )
            elif record.get("sandbox") != "bwrap":
                wrong[attack.name] = ("not sandboxed", record.get("sandbox"))
        elif record["status"] == "graded" or not record.get("reason"):
            wrong[attack.name] = ("graded, must be refused", record.get("score"), got[attack.name])
    assert got[VICTIM] == FULL and got[BLANK] == 0, (label, got[VICTIM], got[BLANK])
    looping = records.read_outcome(course.root, LAB, "ignore_interrupt_loop")
    if looping is not None:  # the cell that ignores SIGINT ends the notebook stage at its own limit
        assert f"ran past its {CELL_TIMEOUT} s limit" in looping["notebook"], looping["notebook"]
    assert not wrong, f"{label}: attacks with the wrong outcome: {wrong}"
    after = protected(course)
    changed = {
        name: sorted(set(before[name].items()) ^ set(after[name].items()))[:5]
        for name in before
        if before[name] != after[name]
    }
    assert not changed, f"{label}: changed outside the students' own copies: {changed}"
    planted = tagged_files(tag, course)
    assert not planted, f"{label}: files planted by attacks: {planted}"
    alive = survivors(tag)
    assert not alive, f"{label}: {len(alive)} processes of attacks survived the autograde"


def check_feedback(course, attacks, markers):
    graded = [VICTIM, BLANK] + [a.name for a in attacks if a.graded]
    seen = []
    pages, failures = course.feedback(LAB, graded, report=lambda student, problem: seen.append(student))
    assert seen == graded, "the feedback run stopped before the last student"
    written = {p.parent.parent.name: p for p in pages}
    assert set(written) | set(failures) == set(graded)
    assert VICTIM in written and BLANK in written, failures
    secrets = {squeeze(line) for line in solution_lines()}
    secrets |= {s[::-1] for s in secrets}
    # (the checks' own source is no secret: it ships to every student in mlplab/course/checks/)
    course_secret = records.course_secret(course.root).decode()
    leaks = {}
    for student, page in written.items():
        html = page.read_text(errors="replace")
        text = squeeze(page_text(html))
        found = [s for s in secrets if s in text][:3]
        found += [m for s, m in markers.items() if s != student and m in html]
        found += [
            x for x in (course_secret, os.environ[CANARY], "root:x:0:0", str(course.root), str(REPO)) if x in html
        ]
        if len(html.encode()) > MAX_PAGE_BYTES:
            found.append(f"{len(html.encode())} bytes")
        if found:
            leaks[student] = found
    assert not leaks, f"feedback pages that leak: {leaks}"
    return written, failures


@pytest.mark.slow
def test_attack_zoo_through_every_grading_path(tmp_path, lowered_limits, monkeypatch, capsys):
    monkeypatch.setenv(CANARY, f"canary-{uuid.uuid4().hex}")
    tag = f"zoo{uuid.uuid4().hex[:10]}"
    course = Course(tmp_path / "course")
    attacks, markers, refused = build_class(course, tmp_path / "work", tag)
    assert len(attacks) >= 30 or os.environ.get("ZOO_SKIP")
    assert refused == REFUSED_AT_SUBMIT, refused
    records.course_secret(course.root)
    # Python's bytecode cache of the trusted code is brought up to date first: a later change in it
    # is then a planted .pyc, not another test process importing a source changed since the last run.
    for tree in ("mlplab", "autograder", "solutions/mlplab"):
        assert compileall.compile_dir(REPO / tree, quiet=1), tree
    before = protected(course)

    # ---- path 1: mlplab-course autograde (every student printed)
    capsys.readouterr()
    started = time.monotonic()
    assert cli.main(["--course", str(course.root), "autograde", LAB]) == 2
    printed = capsys.readouterr().out
    print(f"mlplab-course autograde of {len(attacks) + 2}: {time.monotonic() - started:.0f} s")
    students = [VICTIM, BLANK] + [a.name for a in attacks]
    assert {line.split()[0] for line in printed.splitlines() if line.strip()} >= set(students), printed
    check_run(course, attacks, before, tag, "mlplab-course autograde")
    by_mlplab_course = gradebook(course, students)
    check_feedback(course, attacks, markers)
    assert not tagged_files(tag, course) and not survivors(tag)

    # ---- path 2: nbgrader's own command line in the course folder, the whole class at once
    # (the outcome records of path 1 go first: each one checked below was written by this run)
    shutil.rmtree(course.root / "grading")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLPLAB_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    started = time.monotonic()
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "nbgrader"), "autograde", LAB, "--force", *LIMITS],
        cwd=course.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    print(f"nbgrader autograde of {len(attacks) + 2}: {time.monotonic() - started:.0f} s")
    # 1: some submissions failed (nbgrader says which); it went on to the last one all the same
    assert proc.returncode == 1 and "There was an error processing assignment" in proc.stderr, proc.stderr[-3000:]
    check_run(course, attacks, before, tag, "nbgrader autograde", unreadable=UNREADABLE)
    graded = [s for s in students if by_mlplab_course[(s, TASKS_OF_LAB[0].id)] is not None]
    assert {k: v for k, v in gradebook(course, graded).items()} == {
        k: v for k, v in by_mlplab_course.items() if k[0] in graded
    }
    # the export says the sandbox ran for every student nbgrader's own run graded
    rows = {r["student"]: r for r in _csv_rows(course, tmp_path / "grades.csv")}
    graded_now = [s for s in students if rows.get(s, {}).get("status") == "graded"]
    assert set(graded_now) == {VICTIM, BLANK} | {a.name for a in attacks if a.graded}, graded_now
    assert {rows[s]["sandbox"] for s in graded_now} == {"bwrap"}, {s: rows[s]["sandbox"] for s in graded_now}
    assert not os.environ.get("ZOO_SKIP"), "attacks were left out (ZOO_SKIP)"


# ------------------------------------------------------------------ kill midway, run twice at once
def _autograde_command(course_root: Path) -> list[str]:
    return [sys.executable, "-m", "autograder", "--course", str(course_root), "autograde", LAB]


def _csv_rows(course: Course, path: Path) -> list[dict]:
    return list(csv.DictReader(course.export(path).open()))


@pytest.mark.slow
def test_killed_midway_and_concurrent_autogrades(tmp_path):
    clean = Course(tmp_path / "clean")
    release = clean.release(LAB)
    bugs = [b for b in all_of("BUGS") if b.task_id.startswith(LAB + ".")]
    bugs = list({b.task_id: b for b in bugs}.values())[:4]
    for number, bug in enumerate([None, *bugs, "blank"]):
        folder = tmp_path / "work" / f"s{number}"
        shutil.copytree(release, folder)
        without_experiments(folder, LAB)
        if bug != "blank":
            shutil.copyfile(REPO / "solutions" / EXERCISE, folder / EXERCISE)
        if bug not in (None, "blank"):
            for relpath, text in with_bug(bug).items():
                (folder / relpath).write_text(text)
        clean.submit(LAB, f"s{number}", folder)
    records.course_secret(clean.root)
    shutil.copytree(clean.root, tmp_path / "killed", symlinks=True)
    killed = Course(tmp_path / "killed")
    students = clean.students(LAB)
    assert len(students) == 6

    # two autogrades of the same course at once: one refuses at once, the other grades everyone
    runs = [
        subprocess.Popen(_autograde_command(clean.root), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = sorted((run.returncode, *output) for run, output in [(r, r.communicate(timeout=900)) for r in runs])
    (done, out, err), (refused, _, refusal) = results
    assert refused == 2 and "busy" in refusal, results
    assert done == 0, err[-3000:]
    assert [line.split()[0] for line in out.splitlines()] == students
    clean_book = gradebook(clean, students)
    clean_rows = _csv_rows(clean, tmp_path / "clean.csv")
    assert {r["student"]: float(r["score"]) for r in clean_rows}["s0"] == FULL

    # SIGKILL midway (after the second student's outcome is recorded), then the same command again
    proc = subprocess.Popen(_autograde_command(killed.root), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        done = [s for s in students if (records.read_outcome(killed.root, LAB, s) or {}).get("status") == "graded"]
        if len(done) >= 2 or proc.poll() is not None:
            break
        time.sleep(0.2)
    assert proc.poll() is None, "the autograde finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    rerun = subprocess.run(_autograde_command(killed.root), capture_output=True, text=True, timeout=900)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert gradebook(killed, students) == clean_book
    assert _csv_rows(killed, tmp_path / "killed.csv") == clean_rows
