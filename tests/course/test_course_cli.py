"""The course commands' guarantees that need no nbgrader run: lock, refused submissions, the
feedback guard, the failure cause, the seeds, the export's status for students not graded."""

import csv
import os
import subprocess
import sys
import textwrap

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from traitlets.config import Config

from autograder import cli, records
from autograder.course import Course, CourseError, StudentOutcome, course_lock, failure_cause
from autograder.course_config import CONFIG_FILE, load_config
from autograder.feedback import FeedbackWithheld, GuardFeedback, SecretIndex, keep_only_pages, squeeze
from autograder.generate import solution_lines

SECRET = sorted(solution_lines())[0]


def test_course_ships_its_nbgrader_config(tmp_path):
    course = Course(tmp_path / "course")
    assert (course.root / CONFIG_FILE).is_file()
    config = load_config(course.root)
    assert config.CourseDirectory.root == str(course.root)
    assert config.Autograde.sanitize_preprocessors[0] == "autograder.preprocessors.TrustedGrade"
    assert "nbgrader.preprocessors.SaveAutoGrades" not in config.Autograde.autograde_preprocessors
    assert config.Autograde.autograde_preprocessors[0] == "autograder.preprocessors.SandboxedExecute"


def _hold_lock(root):
    code = textwrap.dedent(f"""
        import fcntl, sys, time
        handle = open({str(root / ".lock")!r}, "a+")
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.write("autograde lab1 (pid test)"); handle.flush()
        print("locked", flush=True)
        time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_a_second_autograde_or_feedback_refuses_while_one_runs(tmp_path, capsys):
    course = Course(tmp_path / "course")
    (course.root / "release" / "lab1").mkdir(parents=True)
    (course.root / "submitted" / "alice" / "lab1").mkdir(parents=True)
    holder = _hold_lock(course.root)
    try:
        for command in ("autograde", "feedback"):
            assert cli.main(["--course", str(course.root), command, "lab1"]) == 2
            err = capsys.readouterr().err
            assert "is busy" in err and "autograde lab1 (pid test)" in err, err
    finally:
        holder.kill()
        holder.wait()
    # once the holder is gone the lock is free again
    with course_lock(course.root, "autograde lab1"):
        assert "autograde lab1 (pid" in (course.root / ".lock").read_text()


def test_an_outcome_line_is_one_line_whatever_the_kernel_printed():
    banner = (
        "failed: DeadKernelError (the kernel process said: NOTE: When using the `ipython kernel` entry\n"
        "point, Ctrl-C will not work.\n\x00\x1b[0m" + "x" * 2000
    )
    line = StudentOutcome("alice", True, "graded", 3, 17, "bwrap", banner).line()
    assert "\n" not in line and "\x00" not in line and "\x1b" not in line
    assert line.startswith("alice") and "3/17" in line and "the kernel process said: NOTE: When" in line
    assert len(line) < 500


def test_submit_refuses_symlinks_and_special_files_with_the_reason(tmp_path):
    course = Course(tmp_path / "course")
    folder = tmp_path / "work"
    (folder / "mlplab" / "exercises").mkdir(parents=True)
    (folder / "lab1.ipynb").write_text("{}")
    (folder / "mlplab" / "exercises" / "initialisers.py").symlink_to(tmp_path / "elsewhere.py")
    with pytest.raises(CourseError, match=r"mlplab/exercises/initialisers.py is a symbolic link"):
        course.submit("lab1", "alice", folder)
    (folder / "mlplab" / "exercises" / "initialisers.py").unlink()
    os.mkfifo(folder / "pipe")
    with pytest.raises(CourseError, match="pipe is not a regular file"):
        course.submit("lab1", "alice", folder)
    (folder / "pipe").unlink()
    assert course.submit("lab1", "alice", folder).is_dir()


def test_secret_lines_are_found_however_they_are_dressed():
    index = SecretIndex({squeeze(SECRET): "a line of a reference solution"})
    assert index.find("> " + SECRET) == "a line of a reference solution"
    assert index.find("x = 1\n        " + SECRET.replace(" ", "  ") + "  # mine") is not None
    assert index.find("\n".join(line[::-1] for line in ["x = 1", SECRET])) is not None
    assert index.find("### BEGIN SOLUTION\n### END SOLUTION\nthe markers delimit answers") is None


def _guard(tmp_path, cells, *, others=None, own=None):
    root = tmp_path / "course"
    for student, text in {**(others or {}), **({"alice": own} if own else {})}.items():
        folder = root / "submitted" / student / "lab1" / "mlplab" / "exercises"
        folder.mkdir(parents=True)
        (folder / "initialisers.py").write_text(text)
    config = Config()
    config.CourseDirectory.root = str(root)
    resources = {"nbgrader": {"assignment": "lab1", "student": "alice", "notebook": "lab1"}}
    nb = new_notebook(cells=cells)
    nb, _ = GuardFeedback(config=config).preprocess(nb, resources)
    return nb, root


def _printing(text):
    cell = new_code_cell("print(secret())")
    cell.outputs = [new_output("stream", name="stdout", text=text)]
    return cell


def test_feedback_guard_withholds_solution_and_other_students_lines_only(tmp_path):
    with pytest.raises(
        FeedbackWithheld, match="cell 1 of the page \\(its output\\) shows a line of a reference solution"
    ):
        _guard(tmp_path / "a", [_printing("  -> " + SECRET)])
    assert "withheld" in records.read_outcome(tmp_path / "a" / "course", "lab1", "alice")["feedback"]
    bob_line = "weights = rng.normal(0.0, 17.25 / np.sqrt(fan_in), size=shape)"
    with pytest.raises(FeedbackWithheld, match="bob's submission"):
        _guard(tmp_path / "b", [_printing(bob_line)], others={"bob": bob_line})
    # the student's own line is no leak; an innocent mention of the markers neither
    nb, root = _guard(
        tmp_path / "c",
        [_printing(bob_line), new_markdown_cell("BEGIN SOLUTION is a marker")],
        others={"bob": bob_line},
        own=bob_line,
    )
    assert records.read_outcome(root, "lab1", "alice")["feedback"] == "written"


def test_feedback_guard_replaces_instructor_paths_and_caps_the_page(tmp_path):
    root = (tmp_path / "course").resolve()
    big = _printing("x" * 5000)
    nb, _ = _guard(
        tmp_path,
        [
            _printing(f"File {root}/autograded/alice/lab1/mlplab/exercises/initialisers.py, line 3"),
            big,
            _printing("y" * 5000),
        ],
    )
    assert nb.cells[0].outputs[0].text == "File <your submission>/mlplab/exercises/initialisers.py, line 3"
    config = Config()
    config.CourseDirectory.root = str(root)
    config.GuardFeedback.max_page_bytes = 6000
    nb = new_notebook(cells=[_printing("x" * 5000), _printing("y" * 5000)])
    nb, _ = GuardFeedback(config=config).preprocess(
        nb, {"nbgrader": {"assignment": "lab1", "student": "alice", "notebook": "lab1"}}
    )
    assert "y" * 100 not in nb.cells[1].outputs[0].text
    assert "left off this page" in nb.cells[1].outputs[0].text


def test_feedback_folders_keep_the_page_only(tmp_path, monkeypatch):
    folder = tmp_path / "feedback" / "alice" / "lab1"
    (folder / "mlplab" / "exercises").mkdir(parents=True)
    (folder / "lab1.html").write_text("<html></html>")
    (folder / "mlplab" / "exercises" / "initialisers.py").write_text("x = 1")
    (folder / "stolen.txt").write_text("secret")
    (folder / "timestamp.txt").write_text("2026-12-02 10:00:00.000000 UTC")
    (folder / "mlplab" / "timestamp.txt").write_text("2026-12-02 10:00:00.000000 UTC")
    monkeypatch.chdir(tmp_path)
    keep_only_pages("lab1")
    assert sorted(p.name for p in folder.rglob("*")) == ["lab1.html", "timestamp.txt"]


def test_failure_cause_names_the_exception_not_the_generic_message():
    log = (
        "[INFO] Autograding\n[ERROR] There was an error processing assignment: x\n[ERROR] Traceback "
        '(most recent call last):\n      File "a.py", line 1, in f\n    nbclient.exceptions.DeadKernelError: '
        "Kernel died\n[ERROR] Please see the the above traceback for details on the specific errors\n"
    )
    error = (
        "Traceback (most recent call last):\n  File x\nnbgrader.converters.base.NbGraderException: Please see the above"
    )
    assert failure_cause({"log": log, "error": error}) == "DeadKernelError: Kernel died"


def test_seed_is_reproducible_secret_and_follows_the_content(tmp_path):
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "a.py").write_text("x = 1")
    digest = records.submission_digest(folder)
    seed = records.grading_seed(tmp_path, "lab1", "alice", digest)
    assert seed == records.grading_seed(tmp_path, "lab1", "alice", digest)
    assert oct((tmp_path / records.SECRET_FILE).stat().st_mode & 0o777) == "0o600"
    assert seed != records.grading_seed(tmp_path, "lab1", "bob", digest)
    (folder / "a.py").write_text("x = 2")
    assert records.grading_seed(tmp_path, "lab1", "alice", records.submission_digest(folder)) != seed
    (tmp_path / records.SECRET_FILE).write_text("another course")
    assert records.grading_seed(tmp_path, "lab1", "alice", digest) != seed


def test_export_says_why_a_student_was_not_graded(tmp_path):
    course = Course(tmp_path / "course")
    records.update_outcome(
        course.root,
        "lab1",
        "carol",
        status="not graded",
        reason="the submission is refused: mlplab/x.py is a symbolic link",
        notebook="not run",
    )
    rows = list(csv.DictReader(course.export(tmp_path / "grades.csv").open()))
    assert rows == [
        {
            "student": "carol",
            "lab": "lab1",
            "score": "",
            "max_score": "",
            "status": "not graded: the submission is refused: mlplab/x.py is a symbolic link",
            "sandbox": "",
            "notebook": "not run",
            "overridden": "",
        }
    ]
