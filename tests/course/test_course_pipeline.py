"""One class of lab 1 through every grading path: mlplab-course, `nbgrader autograde` and NbGraderAPI.

The steps depend on each other (one release, one gradebook), so they form one test:

* ``nbgrader autograde`` takes the course lock as mlplab-course does (it waits while another run
  holds it; mlplab-course refuses while it holds it);
* the three paths give identical gradebooks, and a blank submission that replaces the self-check
  in its own ``mlplab/__init__.py`` scores 0 on every path;
* the kernel runs sandboxed inside nbgrader's pipeline: what its code writes outside its own
  folder does not survive, what it writes inside does;
* a student whose kernel dies, or whose library file is a folder (nbgrader fails before its
  pipeline runs), still has the trusted scores, and the failure is reported with its real cause;
  a symbolic link that came in as nbgrader collect would bring it is refused before any kernel runs;
* a page that would show a reference solution line (decoded at run time, so it is nowhere in
  the submission) is withheld with the reason, and feedback goes on for the others; an innocent
  markdown cell that mentions the solution markers withholds nothing;
* a manual score stays while the submission is unchanged and is cleared when it changes; the
  CLI outcome and the export say so.
"""

import base64
import csv
import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from submissions import REPO, without_experiments

from autograder import cli
from autograder.course import Course, course_lock
from autograder.feedback import page_text, squeeze
from autograder.generate import solution_lines
from mlplab.course.tasks import TASKS, exercise_files, get_task

LAB = "lab1"
FULL = sum(t.points for t in TASKS if t.lab == LAB)
MARKER_NOTE = "In the lecture notes the markers BEGIN SOLUTION and END SOLUTION delimit answers."


def _add_cells(folder: Path, *cells) -> None:
    path = folder / f"{LAB}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.extend(cells)
    nbformat.write(nb, path)


def lock_is_held(root: Path) -> bool:
    with (root / ".lock").open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def _dump(course: Course, students) -> dict:
    with course.gradebook() as gb:
        return {
            (s, t.id): (
                gb.find_grade(t.cell_id, LAB, LAB, s).auto_score,
                gb.find_grade(t.cell_id, LAB, LAB, s).manual_score,
            )
            for s in students
            for t in TASKS
            if t.lab == LAB
        }


@pytest.mark.slow
def test_a_class_through_every_grading_path(tmp_path, capsys):
    course = Course(tmp_path / "course")
    release = course.release(LAB)
    outside = tmp_path / "written-by-the-kernel.txt"
    secret_line = sorted(solution_lines())[0]

    def submit(student, reference=False, cells=(), replace=None, experiments=False):
        folder = tmp_path / "work" / student
        shutil.copytree(release, folder)
        if not experiments:  # only the reference's notebook needs them (its figures reach its feedback)
            without_experiments(folder, LAB)
        if reference:
            for relpath in exercise_files(LAB):
                shutil.copyfile(REPO / "solutions" / relpath, folder / relpath)
        for relpath, text in (replace or {}).items():
            (folder / relpath).write_text(text)
        _add_cells(folder, *cells)
        course.submit(LAB, student, folder)
        return folder

    ref = submit("ref", reference=True, cells=[nbformat.v4.new_markdown_cell(MARKER_NOTE)], experiments=True)
    submit(
        "tamper",
        replace={
            "mlplab/__init__.py": (
                "def check(*args, **kwargs):\n    print('PASS: passed the hidden checks')\n\n"
                "def assert_task(*args, **kwargs):\n    pass\n"
            )
        },
        cells=[
            nbformat.v4.new_code_cell(
                f"import os, pathlib\nprint('ENV', sorted(os.environ))\npathlib.Path('inside.txt').write_text('x')\n"
                f"try:\n    pathlib.Path({str(outside)!r}).write_text('x')\nexcept OSError as e:\n    print(e)"
            )
        ],
    )
    submit("dies", reference=True, cells=[nbformat.v4.new_code_cell("import os\nos._exit(3)")])
    encoded = base64.b64encode(secret_line.encode()).decode()
    submit(
        "leaky",
        cells=[nbformat.v4.new_code_cell(f"import base64\nprint('> ' + base64.b64decode({encoded!r}).decode())")],
    )

    # a library file replaced by a folder: nbgrader fails while copying, before its pipeline runs
    submit("broken", reference=True)
    (course.root / "submitted" / "broken" / LAB / "mlplab" / "plotting.py").unlink()
    (course.root / "submitted" / "broken" / LAB / "mlplab" / "plotting.py").mkdir()
    (course.root / "submitted" / "broken" / LAB / "mlplab" / "plotting.py" / "x.txt").write_text("x")

    # a symbolic link that arrived as nbgrader collect would bring it (submit refuses it)
    linked = course.root / "submitted" / "linked" / LAB
    shutil.copytree(release, linked)
    (linked / "mlplab" / "exercises" / "initialisers.py").unlink()
    (linked / "mlplab" / "exercises" / "initialisers.py").symlink_to(
        REPO / "solutions" / "mlplab" / "exercises" / "initialisers.py"
    )

    # ---- path 1: mlplab-course; each outcome reported as soon as it is known
    reported = []
    outcomes = {o.student: o for o in course.autograde(LAB, report=reported.append)}
    assert [o.student for o in reported] == ["broken", "dies", "leaky", "linked", "ref", "tamper"]
    broken = outcomes.pop("broken")
    assert broken.ok and broken.score == FULL and broken.sandbox == "bwrap", broken
    assert broken.notebook.startswith("failed before it ran: "), broken.notebook
    assert "Error" in broken.notebook and "see the above" not in broken.notebook, broken.notebook
    refused = outcomes.pop("linked")
    assert not refused.ok and "mlplab/exercises/initialisers.py is a symbolic link" in refused.message, refused
    assert not (course.root / "autograded" / "linked" / LAB).exists()  # its kernel never ran
    assert outcomes["ref"].ok and outcomes["ref"].score == FULL and outcomes["ref"].notebook == "executed"
    assert outcomes["tamper"].ok and outcomes["tamper"].score == 0
    assert outcomes["leaky"].ok and outcomes["leaky"].score == 0
    dies = outcomes["dies"]
    assert dies.ok and dies.score == FULL, dies
    assert dies.notebook.startswith("failed: DeadKernelError"), dies.notebook
    for outcome in outcomes.values():
        assert outcome.sandbox == "bwrap", outcome
        record = json.loads((course.root / "grading" / LAB / f"{outcome.student}.json").read_text())
        assert record["status"] == "graded" and record["score"] == outcome.score
    # the sandboxed kernel wrote its own folder only
    assert (course.root / "autograded" / "tamper" / LAB / "inside.txt").is_file()
    assert not outside.exists()
    # ... and saw none of the instructor's environment (this test process has MLPLAB_SOLUTIONS)
    nb = nbformat.read(course.root / "autograded" / "tamper" / LAB / f"{LAB}.ipynb", as_version=4)
    (env_line,) = [o.text for c in nb.cells for o in c.get("outputs", []) if o.get("text", "").startswith("ENV")]
    assert "MLPLAB_GRADING" in env_line and "MLPLAB_SOLUTIONS" not in env_line, env_line
    # the graded cells show the verdict under the task's name, not the self-check's claim
    graded = [
        c
        for c in nb.cells
        if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade") and not c.metadata.nbgrader.solution
    ]
    assert len(graded) == len([t for t in TASKS if t.lab == LAB])
    for cell in graded:
        text = "".join(o.get("text", "") for o in cell.outputs)
        assert text.startswith(
            f"{get_task(next(t.id for t in TASKS if t.cell_id == cell.metadata.nbgrader.grade_id)).number} "
        )
        assert ": 0/" in text and "passed the hidden checks" not in text
    by_mlplab_course = _dump(course, ["ref", "tamper", "dies", "leaky"])
    # the command line prints the refusal and fails
    capsys.readouterr()
    assert cli.main(["--course", str(course.root), "autograde", LAB, "--student", "linked"]) == 2
    out = capsys.readouterr().out
    assert out.startswith("linked") and "NOT GRADED" in out and "symbolic link" in out, out

    # ---- feedback: the leaking page is withheld, the others are written
    seen = []
    pages, failures = course.feedback(
        LAB, ["dies", "leaky", "ref", "tamper"], report=lambda student, problem: seen.append(student)
    )
    assert seen == ["dies", "leaky", "ref", "tamper"]
    assert set(failures) == {"dies", "leaky"}, failures
    assert "withheld" in failures["leaky"] and "reference solution" in failures["leaky"]
    assert squeeze(secret_line) not in squeeze(failures["leaky"])
    assert not (course.root / "feedback" / "leaky").exists() or not any(
        (course.root / "feedback" / "leaky").rglob("*.html")
    )
    assert "nbgrader" in failures["dies"]
    assert sorted(p.parent.parent.name for p in pages) == ["ref", "tamper"]
    secrets = {squeeze(line) for line in solution_lines()}
    for page in pages:
        assert [p.name for p in page.parent.rglob("*") if p.is_file() and p.name != "timestamp.txt"] == [f"{LAB}.html"]
        html = page.read_text()
        text = squeeze(page_text(html))
        assert not any(s in text for s in secrets)
        assert str(course.root) not in html and str(REPO) not in html
    ref_page = page_text((course.root / "feedback" / "ref" / LAB / f"{LAB}.html").read_text())
    assert "1.7 ELU layer: 2.0 / 2.0" in ref_page and "Test cell" not in ref_page
    assert MARKER_NOTE in ref_page
    assert "data:image/png" in (course.root / "feedback" / "ref" / LAB / f"{LAB}.html").read_text()

    # ---- path 2: nbgrader's own command line in the course folder; from here on scores only (the
    # notebooks' outputs were checked above; the zoo, tests/course/test_attacks.py, executes kernels this way)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLPLAB_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"

    def nbgrader_autograde(student):
        return subprocess.Popen(
            [
                str(Path(sys.executable).parent / "nbgrader"),
                "autograde",
                LAB,
                "--student",
                student,
                "--force",
                "--SandboxedExecute.execute=False",
            ],
            cwd=course.root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    # it takes the course lock too: while mlplab-course's is held it waits, touching nothing
    before = (course.root / "grading" / LAB / "tamper.json").read_text()
    with course_lock(course.root, "autograde lab1 (the test)"):
        proc = nbgrader_autograde("tamper")
        waited = []
        for line in proc.stderr:  # until it says it waits (or ends without waiting)
            waited.append(line)
            if "is busy" in line:
                break
        assert "is busy: autograde lab1 (the test)" in waited[-1], waited
        assert (course.root / "grading" / LAB / "tamper.json").read_text() == before
    out, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, err[-3000:]
    # ... and holds it while it grades: mlplab-course refuses meanwhile
    proc = nbgrader_autograde("ref")
    while proc.poll() is None and not lock_is_held(course.root):
        time.sleep(0.02)
    capsys.readouterr()
    assert cli.main(["--course", str(course.root), "autograde", LAB]) == 2
    assert "is busy: nbgrader autograde lab1 ref" in capsys.readouterr().err
    out, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, err[-3000:]
    assert _dump(course, ["ref", "tamper"]) == {k: v for k, v in by_mlplab_course.items() if k[0] in ("ref", "tamper")}

    # ---- path 3: NbGraderAPI, as the formgrader calls it, configured from the course folder alone
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course.root)).load_config()
    config.SandboxedExecute.execute = False
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    for student in ("tamper", "ref"):
        assert api.autograde(LAB, student, force=True, create=True)["success"]
    assert _dump(course, ["ref", "tamper", "dies", "leaky"]) == by_mlplab_course

    # ---- manual scores: kept for the same submission, cleared for a changed one
    elu = get_task("lab1.elu")
    with course.gradebook() as gb:
        gb.find_grade(elu.cell_id, LAB, LAB, "ref").manual_score = 1.0
        gb.db.commit()
    scores_only = Course(course.root, notebooks=False)
    (kept,) = scores_only.autograde(LAB, ["ref"])
    assert kept.overridden == ["lab1.elu"] and kept.cleared == [], kept
    rows = {r["student"]: r for r in csv.DictReader(course.export(tmp_path / "grades.csv").open())}
    assert rows["ref"]["overridden"] == "lab1.elu" and float(rows["ref"]["lab1.elu"]) == 1.0
    assert float(rows["ref"]["score"]) == FULL - 1
    (ref / "mlplab" / "exercises" / "preprocessing.py").write_text(
        (REPO / "mlplab" / "exercises" / "preprocessing.py").read_text()
    )
    course.submit(LAB, "ref", ref)
    (changed,) = scores_only.autograde(LAB, ["ref"])
    assert changed.cleared == ["lab1.elu"] and changed.overridden == [], changed
    assert "manual scores cleared" in changed.line()
    rows = {r["student"]: r for r in csv.DictReader(course.export(tmp_path / "grades.csv").open())}
    assert rows["ref"]["overridden"] == "" and float(rows["ref"]["lab1.elu"]) == elu.points
    assert float(rows["ref"]["score"]) == FULL - 4  # lab1.standardise and lab1.pca_whiten lost
    assert rows["dies"]["status"] == "graded" and rows["dies"]["notebook"].startswith("failed: DeadKernelError")
    assert float(rows["dies"]["score"]) == FULL
    assert {r["sandbox"] for s, r in rows.items() if s != "linked"} == {"bwrap"}
    assert (
        rows["linked"]["status"].startswith("not graded: the submission is refused") and rows["linked"]["score"] == ""
    )
