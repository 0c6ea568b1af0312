"""The student's workspace (``make lab``'s ``work/``) and ``make generate`` never touch a student's code."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import autograder.generate as gen
from autograder.workspace import make_workspace

REPO = Path(__file__).resolve().parents[2]


def _pytest_in(folder: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLPLAB_")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", *args], cwd=folder, capture_output=True, text=True, env=env, timeout=300
    )


def test_workspace_holds_every_lab_and_keeps_the_students_files(tmp_path):
    work = tmp_path / "work"
    make_workspace(work)
    assert {p.name for p in work.glob("*.ipynb")} == {f"lab{n}.ipynb" for n in range(1, 7)}
    for name in ("README.md", "requirements.txt", "test_selfcheck.py", "pytest.ini"):
        assert (work / name).is_file(), name
    mine = work / "mlplab" / "exercises" / "hidden_units.py"
    mine.write_text((REPO / "solutions" / "mlplab" / "exercises" / "hidden_units.py").read_text())
    notebook = work / "lab1.ipynb"
    notebook.write_text(notebook.read_text().replace("Lab 1", "My lab 1"))
    library = work / "mlplab" / "training.py"
    library.write_text("broken")
    make_workspace(work)  # the next `make lab`
    assert mine.read_text() == (REPO / "solutions" / "mlplab" / "exercises" / "hidden_units.py").read_text()
    assert "My lab 1" in notebook.read_text()
    assert library.read_text() == (REPO / "mlplab" / "training.py").read_text(), "provided code is refreshed"


@pytest.mark.slow
def test_pytest_in_the_workspace_runs_one_test_per_task_with_the_self_check_messages(tmp_path):
    work = tmp_path / "work"
    make_workspace(work)
    solution = REPO / "solutions" / "mlplab" / "exercises" / "hidden_units.py"
    (work / "mlplab" / "exercises" / "hidden_units.py").write_text(solution.read_text())
    proc = _pytest_in(work, "-v", "-k", "lab1.elu or lab1.fanin_uniform")
    assert "test_selfcheck.py::test_task[lab1.elu] PASSED" in proc.stdout, proc.stdout
    assert "1 failed, 1 passed" in proc.stdout, proc.stdout
    assert "lab1.fanin_uniform: not implemented yet: Lab 1, task 1.1: implement fanin_uniform" in proc.stdout, (
        proc.stdout
    )
    assert "Traceback" not in proc.stdout
    assert not (work / ".pytest_cache").exists()


def test_a_tracked_folder_cannot_be_a_workspace():
    with pytest.raises(ValueError, match="tracked by git"):
        make_workspace(REPO / "mlplab")


def test_generate_never_overwrites_a_hand_edited_file(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    stub = repo / "mlplab" / "thing.py"
    stub.parent.mkdir(parents=True)
    stub.write_text("raise NotImplementedError('old stub')\n")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(git + ["add", "."], check=True)
    subprocess.run(git + ["commit", "-qm", "stub"], check=True)
    plan = {stub: "raise NotImplementedError('new stub')\n"}
    monkeypatch.setattr(gen, "REPO", repo)
    monkeypatch.setattr(gen, "GENERATED_RECORD", repo / ".generated.json")
    monkeypatch.setattr(gen, "planned_files", lambda labs: plan)
    monkeypatch.setattr(gen, "find_leaks", lambda paths: [])

    assert gen.generate() == []  # the committed stub may be replaced
    assert stub.read_text() == plan[stub]
    plan[stub] = "raise NotImplementedError('newer stub')\n"
    assert gen.generate() == []  # so may what generate itself wrote
    assert stub.read_text() == plan[stub]

    stub.write_text("def thing():\n    return 42  # a student's work\n")
    plan[stub] = "raise NotImplementedError('newest stub')\n"
    problems = gen.generate()
    assert len(problems) == 1 and "not overwritten: mlplab/thing.py" in problems[0]
    assert "a student's work" in stub.read_text()


def test_the_workspace_is_ignored_by_git_and_by_the_test_suite():
    for path in ("work/lab1.ipynb", "work/mlplab/exercises/initialisers.py"):
        proc = subprocess.run(["git", "-C", str(REPO), "check-ignore", "-q", path])
        assert proc.returncode == 0, f"git must ignore {path}: a student's edits never touch tracked files"
    import tomllib

    options = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert options["testpaths"] == ["tests"], "`make test` must not collect a student's workspace"
