"""Parallel and distributed autograde write the same gradebook as a serial run, score for score.

One released course folder with a small class (the reference, bug-zoo submissions, the blank
release, a submission without its notebook) is copied three times and graded serially, with
two local processes, and on a Dask LocalCluster of two workers, one of which is killed during
the run.
"""

from __future__ import annotations

import os
import shutil
import signal

import pytest
from bugzoo import lab1
from submissions import submit_class, with_bug

from autograder import parallel
from autograder.course import Course
from mlplab.course.tasks import TASKS

LAB = "lab1"
BUGS = [lab1.BUGS[14]]
BUGS_STUDENTS = [f"bug_{bug.name}" for bug in BUGS]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """A course folder with lab 1 released and the class submitted, not yet graded."""
    base = tmp_path_factory.mktemp("parallel")
    course = Course(base / "course")
    course.release(LAB)
    class_ = {"reference": {}, "blank": None, "nonotebook": {}}
    class_.update({student: with_bug(bug) for student, bug in zip(BUGS_STUDENTS, BUGS)})
    submit_class(course, LAB, base / "work", class_)
    return course.root


def _copy(root, tmp_path, name, *, notebooks: bool = False) -> Course:
    """A copy of the course; its autogrades record scores only unless ``notebooks`` (they are the
    same either way: the serial and Dask runs skip the notebooks, the local jobs execute them)."""
    return Course(shutil.copytree(root, tmp_path / name), notebooks=notebooks)


def gradebook_scores(course: Course) -> dict:
    """(student, task) -> (score, auto_score, manual_score), and each student's outcome status."""
    scores = {}
    with course.gradebook() as gb:
        for submission in gb.assignment_submissions(LAB):
            student = submission.student.id
            for task in (t for t in TASKS if t.lab == LAB):
                g = gb.find_grade(task.cell_id, LAB, LAB, student)
                scores[student, task.id] = (g.score, g.auto_score, g.manual_score)
    statuses = {o.student: (o.ok, o.score) for o in map(lambda s: course.outcome(LAB, s), course.students(LAB))}
    return {"grades": scores, "outcomes": statuses}


@pytest.fixture(scope="module")
def serial(released, tmp_path_factory):
    course = _copy(released, tmp_path_factory.mktemp("serial"), "course")
    outcomes = course.autograde(LAB)
    assert [o.student for o in outcomes if not o.ok] == ["nonotebook"]
    return gradebook_scores(course)


def test_two_local_jobs_write_the_serial_gradebook(released, serial, tmp_path):
    course = _copy(released, tmp_path, "course", notebooks=True)
    outcomes = parallel.autograde(course, LAB, jobs=2)
    assert [o.student for o in outcomes] == course.students(LAB)
    assert {o.notebook for o in outcomes if o.ok} == {"executed"}
    assert gradebook_scores(course) == serial
    again = ["reference", BUGS_STUDENTS[0]]  # graded again, as after an interrupted run: no change
    rerun = parallel.autograde(Course(course.root, notebooks=False), LAB, again, jobs=2)
    assert [o.score for o in rerun] == [serial["outcomes"][s][1] for s in again]
    assert gradebook_scores(course) == serial


def test_dask_cluster_with_a_killed_worker_writes_the_serial_gradebook(released, serial, tmp_path):
    distributed = pytest.importorskip("distributed")
    course = _copy(released, tmp_path, "course")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
    ):  # autograde makes its own
        pids = list(client.run(os.getpid).values())
        killed = []

        def kill_one_worker(outcome):
            if not killed:
                os.kill(pids[0], signal.SIGKILL)  # its nanny starts a new one; its task runs again
                killed.append(pids[0])

        outcomes = parallel.autograde(course, LAB, scheduler=cluster.scheduler_address, report=kill_one_worker)
    assert killed
    assert [o.student for o in outcomes] == course.students(LAB)
    assert gradebook_scores(course) == serial
