"""The set-up files agree with each other and with what is installed."""

import re
import tomllib
from importlib.metadata import version
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _pins(specs: list[str]) -> dict[str, str]:
    pins = {}
    for spec in specs:
        name, _, pinned = spec.partition("==")
        pins[name.strip().lower()] = pinned.strip()
    return pins


def _pyproject_pins(*groups: str) -> dict[str, str]:
    """The pins of the project's dependencies and of the named optional groups (default: what
    `make` installs: the student's dependencies, the course tools and the dev tools)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    specs = list(project["dependencies"])
    for group in groups or ("course", "dev", "class"):
        specs += project["optional-dependencies"][group]
    return _pins(specs)


def _environment_pins() -> dict[str, str]:
    pins = {}
    for line in (REPO / "environment.yml").read_text().splitlines():
        match = re.match(r"\s*-\s*([A-Za-z0-9_.-]+)==(\S+)\s*$", line)
        if match:
            pins[match.group(1).lower()] = match.group(2)
    return pins


def test_environment_yml_lists_the_same_pins_as_pyproject():
    assert _environment_pins() == _pyproject_pins()


def test_student_requirements_are_the_project_dependencies_pin_for_pin():
    lines = [line.strip() for line in (REPO / "requirements.txt").read_text().splitlines()]
    requirements = _pins([line for line in lines if line and not line.startswith("#")])
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert requirements == _pins(project["dependencies"])
    for needed in ("numpy", "tqdm", "ipywidgets", "jupyterlab", "ipykernel", "pytest"):
        assert needed in requirements, f"a student's requirements.txt must install {needed}"


def test_every_dependency_is_pinned_and_installed_at_that_version():
    for name, pinned in _pyproject_pins().items():
        assert pinned, f"{name} is not pinned in pyproject.toml"
        assert version(name) == pinned, f"{name}: installed {version(name)}, pinned {pinned}"


def test_ci_runs_the_readme_test_command():
    readme = (REPO / "README.md").read_text()
    ci = (REPO / ".ci" / "run").read_text()
    assert "make test" in readme and "make lab" in readme
    assert re.search(r"^make test\s*$", ci, re.M), ".ci/run must call the README's test command"
