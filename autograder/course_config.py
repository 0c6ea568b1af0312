"""The nbgrader configuration every mlplab course folder ships as ``nbgrader_config.py``.

The file itself only calls ``configure`` below, so ``nbgrader autograde`` run in the course
folder, the formgrader of a JupyterLab started there, ``NbGraderAPI`` and ``mlplab-course``
(which loads the same file) all run one pipeline: the trusted grader scores, the kernel runs
sandboxed, feedback is checked before it is written.
"""

from __future__ import annotations

from pathlib import Path

import nbgrader

from autograder.generate import ANSWER_STUB
from mlplab.course.tasks import LABS, exercise_files

CONFIG_FILE = "nbgrader_config.py"
GRADEBOOK_URL_FILE = "gradebook_url"  # optional: the gradebook's database URL, one line
CONFIG_TEXT = """\
# nbgrader configuration of this mlplab course folder. Written by mlplab-course (autograder.course),
# rewritten whenever it runs: the settings live in autograder/course_config.py.
import os

from autograder.course_config import configure

configure(get_config(), os.path.dirname(os.path.abspath(__file__)))
"""

FORMGRADER = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader"
NBGRADER_TEMPLATES = FORMGRADER / "templates"
BOOTSTRAP_CSS = FORMGRADER / "static" / "node_modules" / "bootstrap" / "dist" / "css"
OUR_TEMPLATES = Path(__file__).parent / "templates"
CELL_TIMEOUT = 300  # seconds one notebook cell may run during autograde
FEEDBACK_MAX_LINES = 200  # per cell (LimitOutput); the page's total size is capped by GuardFeedback


def configure(c, root: str | Path) -> None:
    """Sets everything the course needs on the traitlets config ``c`` of the course at ``root``."""
    c.CourseDirectory.root = str(root)
    url_file = Path(root) / GRADEBOOK_URL_FILE
    if url_file.is_file():  # e.g. postgresql://grader@dbhost/mlplab; else nbgrader's gradebook.db
        c.CourseDirectory.db_url = url_file.read_text().strip()
    c.CourseDirectory.course_id = "mlplab"
    c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]
    # The student's versions of every exercise file stay in the autograded copy; the rest of the
    # library is replaced by the course's own copy.
    c.Autograde.exclude_overwriting = {lab: list(exercise_files()) for lab in LABS}
    c.Autograde.sanitize_preprocessors = [
        "autograder.preprocessors.TrustedGrade",
        "nbgrader.preprocessors.ClearOutput",
        "nbgrader.preprocessors.DeduplicateIds",
        "nbgrader.preprocessors.OverwriteKernelspec",
        "nbgrader.preprocessors.OverwriteCells",
        "autograder.preprocessors.CheckMetadata",  # nbgrader's, failing one submission only
    ]
    c.Autograde.autograde_preprocessors = [
        "autograder.preprocessors.SandboxedExecute",
        "nbgrader.preprocessors.IgnorePattern",
        "nbconvert.preprocessors.ClearMetadataPreprocessor",
        "nbgrader.preprocessors.LimitOutput",
        "autograder.preprocessors.TrustedOutputs",
        "nbgrader.preprocessors.AssignLatePenalties",
        "autograder.preprocessors.CheckMetadata",  # nbgrader's, failing one submission only
    ]
    # the course lock (autograder.course.course_lock), whatever starts nbgrader's Autograde
    c.Autograde.exporter_class = "autograder.course.CourseLockedExporter"
    c.Autograde.post_convert_hook = "autograder.course.unlock_after_run"
    c.Execute.timeout = CELL_TIMEOUT
    c.LimitOutput.max_lines = FEEDBACK_MAX_LINES
    c.LimitOutput.max_traceback = 40
    c.GenerateAssignment.post_convert_hook = "autograder.course.finish_release"
    # a choice or numeric answer cell's model answer becomes the blank (autograder.generate.ANSWER_STUB)
    c.ClearSolutions.code_stub = {"python": ANSWER_STUB}
    c.GenerateFeedback.preprocessors = [
        "nbgrader.preprocessors.GetGrades",
        "nbgrader.preprocessors.ClearHiddenTests",
        "autograder.feedback.LabelTasks",
        "autograder.feedback.GuardFeedback",
        "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    ]
    c.GenerateFeedback.post_convert_hook = "autograder.feedback.keep_only_pages"
    # Only the feedback's exporter (its parent is GenerateFeedback) uses the course's template.
    c.GenerateFeedback.HTMLExporter.template_name = "mlplab_feedback"
    c.GenerateFeedback.HTMLExporter.extra_template_basedirs = [str(NBGRADER_TEMPLATES), str(OUR_TEMPLATES)]
    # where our template finds nbgrader's ("feedback/index.html.j2") and the page its stylesheet
    c.GenerateFeedback.HTMLExporter.extra_template_paths = [str(BOOTSTRAP_CSS), str(NBGRADER_TEMPLATES)]


def write_config(root: Path) -> Path:
    path = Path(root) / CONFIG_FILE
    if not path.is_file() or path.read_text() != CONFIG_TEXT:
        path.write_text(CONFIG_TEXT)
    return path


def load_config(root: Path):
    """The course's configuration exactly as ``nbgrader`` loads it from ``root/nbgrader_config.py``."""
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader(CONFIG_FILE, path=str(root)).load_config()
