"""Options of the pytest form of the hidden checks (see test_submission.py)."""


def pytest_addoption(parser):
    group = parser.getgroup("mlplab", "grading a submission with the hidden checks")
    group.addoption("--submission", help="folder holding the student's mlplab/ package")
    group.addoption("--lab", default="lab1", help="lab to grade (default lab1)")
    group.addoption("--seed", type=int, default=None, help="seed of the fresh inputs (default: new)")


def pytest_generate_tests(metafunc):
    if "task_id" in metafunc.fixturenames:
        from mlplab.course.tasks import tasks_of

        ids = [t.id for t in tasks_of(metafunc.config.getoption("--lab"))]
        metafunc.parametrize("task_id", ids, ids=ids)
