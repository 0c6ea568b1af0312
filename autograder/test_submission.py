"""The hidden checks as pytest tests: one test per task of a lab, for one submission.

    pytest autograder/test_submission.py --submission path/to/folder --lab lab1 [--seed N]

The submission is graded once (fresh inputs, student code in a sandboxed worker,
comparison in this process, which never imports it); each task's test passes or
fails with the grader's message.
"""

import pytest

from autograder.grading import grade


@pytest.fixture(scope="session")
def verdict(request):
    folder = request.config.getoption("--submission")
    if not folder:
        pytest.fail("give the folder to grade with --submission")
    return grade(folder, request.config.getoption("--lab"), seed=request.config.getoption("--seed"))


def test_task(verdict, task_id):
    result = verdict.result(task_id)
    assert result.passed, f"{task_id} (seed {verdict.seed}): {result.message}"
