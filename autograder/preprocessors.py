"""nbgrader preprocessors that make the trusted grader the only source of scores.

The course's ``nbgrader_config.py`` puts them into nbgrader's own Autograde pipeline, so that
``nbgrader autograde``, the formgrader's buttons, ``NbGraderAPI.autograde`` and
``mlplab-course autograde`` all grade the same way:

* ``TrustedGrade``, first of ``Autograde.sanitize_preprocessors``: grades the *submitted*
  folder (``submitted/<student>/<lab>``, which no kernel can write) with
  ``autograder.grading.grade``, before any student code runs in a kernel, and writes every
  task's points into the gradebook at once. So the scores are recorded even when nbgrader's
  notebook stage fails afterwards. A manual score of a changed submission is cleared. Written
  answers (``mlplab.course.questions``) left blank score 0 there too; the others wait for a grader.
* ``SandboxedExecute``, in place of nbgrader's ``Execute``: runs the notebook's kernel in the
  sandbox, caps what it may print, and records why the notebook stage failed when it does.
* ``TrustedOutputs``, in place of ``SaveAutoGrades``: replaces each graded cell's outputs by the
  verdict of its task or question (name, points, message). It never reads a score from the
  notebook the kernel ran.
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path

import nbformat
from jupyter_client.channels import HBChannel
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError
from nbformat.v4 import new_output
from nbgrader.api import Gradebook
from nbgrader.coursedir import CourseDirectory
from nbgrader.nbgraderformat.common import SchemaMismatchError
from nbgrader.preprocessors import CheckCellMetadata, Execute, NbGraderPreprocessor
from nbgrader.utils import is_grade
from traitlets import Bool, Float, Integer
from traitlets.config import Configurable

from autograder import records, sandbox
from autograder.grading import DEFAULT_TIMEOUT, GradingError, LabVerdict, grade
from autograder.questions import QuestionResult, grade_questions
from mlplab.course.questions import get_question, questions_of, written_questions_of
from mlplab.course.tasks import get_task

# Verdicts between the sanitize stage (TrustedGrade) and the autograde stage (TrustedOutputs) of
# one submission, in this process: never read back from a file a kernel could have reached.
# The tasks' verdict and the choice and numeric questions' results.
_VERDICTS: dict[tuple[str, str, str], tuple[LabVerdict, list[QuestionResult]]] = {}


NOTEBOOK_STATUS = "mlplab_notebook"  # in nbconvert's resources: what SandboxedExecute did, when not "executed"


class SubmissionRefused(GradingError):
    """The submission holds something the course never grades (a symbolic link, a device...)."""


class SandboxPolicy(Configurable):
    allow_unsandboxed = Bool(
        False,
        help="Grade and execute student code even when the sandbox is not usable here "
        "(the outcome records sandbox 'none').",
    ).tag(config=True)


def _sandbox(allow_unsandboxed: bool) -> str:
    """ "bwrap", or "none" where allowed; otherwise GradingError saying why and what to do."""
    try:
        return sandbox.require(allow_unsandboxed)
    except sandbox.SandboxUnavailable as exc:
        raise GradingError(
            f"student code is not run: {exc} (pass --unsandboxed, or set "
            "SandboxPolicy.allow_unsandboxed, to grade without the sandbox)"
        ) from None


def _where(config, resources) -> tuple[Path, str, str]:
    """The course root, lab and student of the notebook being processed."""
    info = resources["nbgrader"]
    return Path(CourseDirectory(config=config).root), info["assignment"], info["student"]


def task_label(task_id: str) -> str:
    task = get_task(task_id)
    return f"{task.number} {task.title}"


def verdict_text(result, sandbox: str) -> str:
    head = f"{task_label(result.task_id)}: {result.points:g}/{result.max_points:g}"
    return f"{head}\n{result.message}\n(trusted grader, sandbox: {sandbox})\n"


def question_text(result: QuestionResult) -> str:
    return f"{result.message}: {result.points:g}/{result.max_points:g}\n(trusted grader: read from your submitted notebook, not run)\n"


class TrustedGrade(NbGraderPreprocessor, SandboxPolicy):
    timeout = Float(DEFAULT_TIMEOUT, help="seconds the grader's workers may take").tag(config=True)

    def preprocess(self, nb, resources):
        root, lab, student = _where(self.config, resources)
        if resources["nbgrader"]["notebook"] == lab:
            _VERDICTS[(str(root), lab, student)] = grade_and_record(
                self.config, lab, student, timeout=self.timeout, allow_unsandboxed=self.allow_unsandboxed
            )
        return nb, resources


def grade_and_record(
    config, lab: str, student: str, *, timeout: float = DEFAULT_TIMEOUT, allow_unsandboxed: bool = False
) -> tuple[LabVerdict, list[QuestionResult]]:
    """Grade ``submitted/<student>/<lab>`` of the course configured by ``config``; record the outcome
    and write every task's and every choice or numeric question's points into the gradebook (whose
    submission row must exist)."""
    coursedir = CourseDirectory(config=config)
    root = Path(coursedir.root)
    folder = Path(coursedir.format_path(coursedir.submitted_directory, student, lab))
    previous = records.read_outcome(root, lab, student) or {}
    try:
        refused = records.irregular_files(folder)
        if refused:
            raise SubmissionRefused("the submission is refused: " + "; ".join(refused))
        _sandbox(allow_unsandboxed)
        digest = records.submission_digest(folder)
        verdict = grade(
            folder,
            lab,
            seed=records.grading_seed(root, lab, student, digest),
            timeout=timeout,
            allow_unsandboxed=allow_unsandboxed,
        )
    except (GradingError, sandbox.SandboxUnavailable) as exc:
        records.write_outcome(
            root,
            lab,
            student,
            {"student": student, "lab": lab, "status": "not graded", "reason": str(exc), "notebook": "not run"},
        )
        raise
    # the submitted file (no kernel can write it), parsed, never run
    answered = grade_questions(folder / f"{lab}.ipynb", lab)
    kept, cleared = _record_scores(
        coursedir.db_url,
        lab,
        student,
        verdict,
        answered,
        written_answers(folder, lab),
        changed=previous.get("digest") != digest,
    )
    records.write_outcome(
        root,
        lab,
        student,
        {
            "student": student,
            "lab": lab,
            "status": "graded",
            "reason": "",
            "score": verdict.score + sum(r.points for r in answered),
            "max_score": verdict.max_score + sum(r.max_points for r in answered),
            "sandbox": verdict.sandbox,
            "digest": digest,
            "overridden": kept,
            "cleared_overrides": cleared,
            "notebook": "not run (nbgrader stopped before executing it)",
            "verdict": verdict.as_dict(),
            "questions": [r.as_dict() for r in answered],
        },
    )
    return verdict, answered


def written_answers(folder: Path, lab: str) -> dict[str, str]:
    """grade_id -> text of each answer cell in the submitted notebook (the first cell of each id);
    an unreadable or missing notebook has none (the notebook stage reports why)."""
    try:
        nb = nbformat.read(folder / f"{lab}.ipynb", as_version=4)
    except Exception:
        return {}
    wanted = {q.cell_id for q in questions_of(lab) if not q.automatic}
    answers: dict[str, str] = {}
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if cell.get("cell_type") == "markdown" and grade_id in wanted and grade_id not in answers:
            answers[grade_id] = str(cell.get("source", ""))
    return answers


def _record_scores(
    db_url: str,
    lab: str,
    student: str,
    verdict: LabVerdict,
    answered: list[QuestionResult],
    answers: dict[str, str],
    *,
    changed: bool,
):
    """Every task's and choice or numeric question's trusted points into the gradebook, all or
    nothing, and each written answer's state.

    A manual score stays when the submission is the one it was given for; when the submission
    changed (or its earlier content is unknown) it is cleared. Returns (kept, cleared).
    A written answer that is missing or still the release's empty answer scores 0; any other
    one needs a grader (unless its manual score is kept).
    """
    kept, cleared = [], []

    def keep_or_clear(grade_row, name):
        if grade_row.manual_score is None:
            return False
        if changed:
            cleared.append({"task": name, "manual_score": grade_row.manual_score})
            grade_row.manual_score = None
            return False
        kept.append(name)
        return True

    with Gradebook(db_url) as gb:
        try:
            for result in verdict.results:
                grade_row = gb.find_grade(get_task(result.task_id).cell_id, lab, lab, student)
                keep_or_clear(grade_row, result.task_id)
                grade_row.auto_score = float(result.points)
                grade_row.needs_manual_grade = False
            for result in answered:
                grade_row = gb.find_grade(get_question(result.question_id).cell_id, lab, lab, student)
                keep_or_clear(grade_row, result.question_id)
                grade_row.auto_score = float(result.points)
                grade_row.needs_manual_grade = False
            for question in written_questions_of(lab):
                grade_row = gb.find_grade(question.cell_id, lab, lab, student)
                blank = gb.find_source_cell(question.cell_id, lab, lab).source.strip()
                answer = answers.get(question.cell_id, "").strip()
                manual = keep_or_clear(grade_row, question.id)
                unanswered = answer in ("", blank)
                grade_row.auto_score = 0.0 if unanswered else None
                grade_row.needs_manual_grade = not unanswered and not manual
            gb.db.commit()
        except Exception:
            gb.db.rollback()
            raise
    return kept, cleared


class CheckMetadata(CheckCellMetadata):
    """nbgrader's CheckCellMetadata, where a schema mismatch fails this submission only.

    nbgrader stops a whole ``nbgrader autograde`` run at a ``SchemaTooOldError`` or
    ``SchemaTooNewError``, and a student sets the schema version of their own notebook's cells.
    """

    def preprocess(self, nb, resources):
        try:
            return super().preprocess(nb, resources)
        except SchemaMismatchError as exc:
            root, lab, student = _where(self.config, resources)
            cause = f"{type(exc).__name__}: {exc}"
            records.update_outcome(root, lab, student, notebook=f"failed: {cause}")
            raise SubmissionRefused(f"the notebook's nbgrader metadata is of another schema ({cause})") from None


class NoHeartbeat(HBChannel):
    """A heartbeat channel that never pings: a ping to a sandbox that has died blocks its thread
    forever. Whether the kernel lives is asked of its process instead (the client's manager)."""

    def start(self) -> None:
        pass

    def stop(self) -> None:
        self.close()


class SandboxedKernelManager(AsyncKernelManager):
    """Starts the kernel with the sandbox's command line instead of the kernelspec's."""

    sandbox_argv: list[str] = []

    @property
    def kernel_spec(self):
        # The sandbox starts a new session, so SIGINT to the process group would miss the kernel.
        return KernelSpec(
            argv=self.sandbox_argv, display_name="mlplab sandbox", language="python", interrupt_mode="message", env={}
        )

    def format_kernel_cmd(self, extra_arguments=None):
        argv = [a.replace("{connection_file}", self.connection_file) for a in self.sandbox_argv]
        return argv + list(extra_arguments or [])

    # The kernel is untrusted: its sockets may be flooded or gone, and a message sent to it can then
    # block forever. So shutting down sends nothing (the sandbox is killed, and every process of the
    # submission dies with its PID namespace); nor is it ever interrupted (a cell past its time
    # limit ends the notebook stage: SandboxedExecute._async_handle_timeout).
    async def shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:
        self.shutting_down = True
        self.stop_restarter()
        if self.has_kernel:
            await self._async_kill_kernel(restart=restart)
        await self._async_cleanup_resources(restart=restart)

    def client(self, **kwargs):
        kc = super().client(**kwargs)
        kc.hb_channel_class = NoHeartbeat
        return kc


KERNEL_VARIABLES = {"MLPLAB_GRADING": "1", "PYTHONWARNINGS": "ignore"}  # the notebook's small budgets


def kernel_environment() -> dict[str, str]:
    """The environment the kernel process is started with: no variable of the instructor's session.

    Sandboxed, that process is the sandbox's launcher, which gives the kernel only
    ``sandbox.base_env(KERNEL_VARIABLES)``; unsandboxed, it is the kernel's own.
    """
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": "/tmp",
        "LANG": "C.UTF-8",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "IPYTHONDIR": "/tmp/ipython",
        "MPLCONFIGDIR": "/tmp/matplotlib",
        **KERNEL_VARIABLES,
    }


class SandboxedExecute(Execute, SandboxPolicy):
    """nbgrader's Execute, with the kernel in the sandbox and a cap on what it may print."""

    max_output_bytes = Integer(
        4 * 1024 * 1024, help="outputs of the whole notebook beyond this many bytes are dropped, with a visible note"
    ).tag(config=True)

    execute = Bool(
        True,
        help="execute the notebook, sandboxed, for the feedback's outputs (figures); off: the "
        "feedback shows the code and the verdicts only. The scores never depend on it.",
    ).tag(config=True)

    notebook_seconds = Float(
        900.0,
        help="wall-time limit of the whole notebook stage: past it the kernel is killed "
        "(the per-cell timeout does not bound a kernel that stops answering)",
    ).tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        if not self.execute:
            resources[NOTEBOOK_STATUS] = "not executed (scores only: SandboxedExecute.execute is off)"
            return nb, resources
        root, lab, student = _where(self.config, resources)
        workdir = Path(resources["metadata"]["path"]).resolve()
        self._output_bytes = 0
        self._truncated = False
        self._overran = False
        self._timed_out: tuple[int, int] | None = None  # (code cell number, its limit) on a timeout
        deadline = threading.Timer(self.notebook_seconds, self._kill_kernel)
        deadline.daemon = True
        deadline.start()
        try:
            return self._preprocess_sandboxed(nb, resources, km, root, lab, student, workdir)
        finally:
            deadline.cancel()

    def _kill_kernel(self) -> None:
        """Runs in the deadline's thread: the notebook stage overran; kill the kernel."""
        self._overran = True
        self._kill_kernel_process()

    def _kill_kernel_process(self) -> None:
        """Kill the kernel's process (the sandbox's launcher, whose PID namespace takes every
        process of the submission with it); nbclient then sees a dead kernel."""
        process = getattr(getattr(getattr(self, "km", None), "provisioner", None), "process", None)
        if process is not None:
            process.kill()

    def _preprocess_sandboxed(self, nb, resources, km, root, lab, student, workdir):
        kind = _sandbox(self.allow_unsandboxed)
        # short path: the kernel's IPC sockets live here, and socket paths are limited
        with (
            tempfile.TemporaryDirectory(prefix="mlk-", dir="/tmp") as runtime,
            tempfile.TemporaryFile() as self._kernel_log,
        ):
            self._runtime = Path(runtime)
            # inside, mlplab is the sandbox's clean copy; the exercise modules come from this copy
            self._argv = (
                sandbox.kernel_argv(workdir, self._runtime, {**KERNEL_VARIABLES, "MLPLAB_EXERCISES": str(workdir)})
                if kind == "bwrap"
                else None
            )
            self.kernel_manager_class = SandboxedKernelManager if self._argv else AsyncKernelManager
            try:
                nb, resources = super().preprocess(nb, resources, km)
            except Exception as exc:
                _VERDICTS.pop((str(root), lab, student), None)
                cause = f"{type(exc).__name__}: {str(exc).strip()[:500]}"
                if self._overran:
                    cause = f"the notebook ran past its {self.notebook_seconds:g} s limit ({cause})"
                elif self._timed_out:
                    number, limit = self._timed_out
                    cause = f"code cell {number} ran past its {limit} s limit; the notebook stopped there"
                records.update_outcome(root, lab, student, notebook=f"failed: {cause}{self._kernel_said()}")
                raise
        records.update_outcome(root, lab, student, kernel_sandbox=kind)
        return nb, resources

    async def _async_handle_timeout(self, timeout, cell=None):
        """A cell ran past ``Execute.timeout``: the notebook stage stops there, the kernel is killed.

        nbgrader would interrupt it and go on; but a kernel may ignore the interrupt, and each
        later cell that waits on the same endless import would cost another timeout. The
        trusted scores do not depend on this stage; it only makes the feedback's outputs.
        """
        code_cells = [c for c in self.nb.cells if c.cell_type == "code"]
        number = next((i for i, c in enumerate(code_cells, 1) if c is cell), 0)
        self._timed_out = (number, timeout)
        self._kill_kernel_process()
        raise CellTimeoutError.error_from_timeout_and_cell("Cell execution timed out", timeout, cell)

    def _kernel_said(self) -> str:
        """The end of what the kernel process wrote itself (e.g. why the sandbox did not start),
        printable characters only, on one line."""
        log = self._kernel_log
        log.seek(0, 2)
        log.seek(max(0, log.tell() - 300))
        tail = records.one_line(log.read().decode(errors="replace"))
        return f" (the kernel process said: {tail})" if tail else ""

    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        if self._argv:
            km.transport = "ipc"
            km.ip = str(self._runtime / "kernel")
            km.connection_file = str(self._runtime / "connection.json")
            km.sandbox_argv = self._argv
        return km

    async def async_start_new_kernel(self, **kwargs):
        # Its own output goes to a file of ours, not to the terminal of the instructor's command
        # (where it could pass for the report of another student).
        kwargs.update(env=kernel_environment(), stdout=self._kernel_log, stderr=self._kernel_log)
        await super().async_start_new_kernel(**kwargs)

    start_new_kernel = run_sync(async_start_new_kernel)  # what the synchronous setup_kernel calls

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        size = (
            len(str(content.get("text", "")))
            + sum(len(str(v)) for v in content.get("data", {}).values())
            + sum(len(str(line)) for line in content.get("traceback", []))
        )
        self._output_bytes += size
        if self._output_bytes <= self.max_output_bytes:
            return super().output(outs, msg, display_id, cell_index)
        if not self._truncated:
            self._truncated = True
            note = new_output(
                "stream",
                name="stderr",
                text=(
                    f"\n[output truncated by the grader: the notebook printed more than "
                    f"{self.max_output_bytes // 1024} KB; the rest is not kept]\n"
                ),
            )
            outs.append(note)
            return note
        return None


class TrustedOutputs(NbGraderPreprocessor):
    """Each graded cell shows its task's verdict; the gradebook already holds its points."""

    def preprocess(self, nb, resources):
        root, lab, student = _where(self.config, resources)
        if resources["nbgrader"]["notebook"] != lab:
            return nb, resources
        found = _VERDICTS.pop((str(root), lab, student), None)
        if found is None:
            raise RuntimeError(
                f"no trusted verdict for {student}'s {lab}: autograder.preprocessors."
                "TrustedGrade must be the first of Autograde.sanitize_preprocessors "
                "(see the course's nbgrader_config.py)"
            )
        verdict, answered = found
        results = {get_task(r.task_id).cell_id: r for r in verdict.results}
        questions = {get_question(r.question_id).cell_id: r for r in answered}
        for cell in nb.cells:
            if cell.cell_type == "code" and is_grade(cell):
                grade_id = cell.metadata.nbgrader.get("grade_id")
                if grade_id in results:
                    text = verdict_text(results[grade_id], verdict.sandbox)
                elif grade_id in questions:
                    text = question_text(questions.pop(grade_id))  # the first cell of that id, as graded
                else:
                    text = "not a graded cell of this lab: it earns nothing\n"
                cell.outputs = [new_output("stream", name="stdout", text=text)]
        records.update_outcome(root, lab, student, notebook=resources.get(NOTEBOOK_STATUS, "executed"))
        return nb, resources
