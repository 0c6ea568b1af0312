"""`make lab` and `make instructor` open real JupyterLab servers: the student's workspace without
the instructor's tools, and the course folder with the formgrader."""

import json

import pytest
from jupyter_servers import disabled_extensions, get, make_server

INSTRUCTOR_PLUGINS = (
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:course-list",
)


@pytest.mark.slow
def test_make_lab_opens_the_workspace_without_instructor_tools(tmp_path):
    work = tmp_path / "work"
    with make_server("lab", tmp_path, WORK=str(work)) as base:
        names = {item["name"] for item in json.loads(get(f"{base}/api/contents")[1])["content"]}
        assert {"lab1.ipynb", "lab6.ipynb", "mlplab", "README.md", "test_selfcheck.py"} <= names
        status, body = get(f"{base}/api/contents/mlplab/exercises/hidden_units.py")
        assert status == 200 and b"NotImplementedError" in body, "the exercise files must be visible"
        status, page = get(f"{base}/lab")
        assert status == 200 and b"JupyterLab" in page
        assert set(INSTRUCTOR_PLUGINS) <= set(disabled_extensions(page))
        assert get(f"{base}/formgrader")[0] == 404
        assert get(f"{base}/assignments")[0] != 404, "the assignment list stays"
    assert (work / "lab1.ipynb").is_file()


@pytest.mark.slow
def test_make_instructor_opens_the_course_with_the_formgrader(tmp_path):
    course = tmp_path / "course"
    with make_server("instructor", tmp_path, COURSE=str(course)) as base:
        status, page = get(f"{base}/formgrader")
        assert status == 200 and b"formgrader" in page.lower()
        assert not set(INSTRUCTOR_PLUGINS) & set(disabled_extensions(get(f"{base}/lab")[1]))
    assert course.is_dir()
