"""The instructor's command line: ``mlplab-course`` (or ``python -m autograder``).

    mlplab-course generate [--check]          regenerate stubs, notebooks, self-check data
    mlplab-course grade lab1 FOLDER [--json]  grade one folder holding mlplab/ (no nbgrader)
    mlplab-course release lab1                nbgrader release in course/release/lab1
    mlplab-course submit lab1 STUDENT FOLDER  put a folder into course/submitted/STUDENT/lab1
    mlplab-course autograde lab1 [--student S ...] [--unsandboxed] [--no-notebooks] [--jobs N | --scheduler ADDRESS]
    mlplab-course feedback lab1 [--student S ...]
    mlplab-course export grades.csv
    mlplab-course report lab1 [--out DIR]     class report + Canvas/Moodle CSV + Gradescope results

autograde and feedback are nbgrader's own, configured by the course folder's nbgrader_config.py
(`nbgrader autograde lab1` run in the course folder grades the same way). Each student's outcome
is printed as soon as it is known; the exit code is 2 if any student was not graded or got no
feedback. A second autograde or feedback on the same course folder refuses while one runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder.generate import REPO


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="mlplab-course", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--course", default=str(REPO / "course"), help="nbgrader course folder (default: course/)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("generate", help="regenerate what students receive from solutions/")
    p.add_argument("--check", action="store_true", help="only report stale or leaking files")
    p.add_argument("--lab", action="append", dest="labs", help="only this lab (repeatable)")
    p = sub.add_parser("grade", help="grade the exercise files under FOLDER/mlplab/")
    p.add_argument("lab")
    p.add_argument("folder")
    p.add_argument("--seed", type=int)
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("release")
    p.add_argument("lab")
    p = sub.add_parser("submit")
    p.add_argument("lab")
    p.add_argument("student")
    p.add_argument("folder")
    for name in ("autograde", "feedback"):
        p = sub.add_parser(name)
        p.add_argument("lab")
        p.add_argument("--student", action="append", dest="students")
        if name == "autograde":
            p.add_argument("--jobs", type=int, default=1, help="grade this many submissions at once")
            p.add_argument("--scheduler", help="grade on the Dask cluster of this scheduler (tcp://host:8786)")
            p.add_argument(
                "--unsandboxed",
                action="store_true",
                help="grade even where the sandbox is not usable (outcomes record it)",
            )
            p.add_argument(
                "--no-notebooks",
                action="store_true",
                help="scores only: do not execute the notebooks (the feedback then shows the "
                "code and the verdicts, no outputs; the scores are the same)",
            )
    p = sub.add_parser("report", help="class report (HTML, CSV) and Canvas/Moodle/Gradescope grade files")
    p.add_argument("lab")
    p.add_argument("--out", help="folder to write to (default: reports/<lab>/ in the course folder)")
    p = sub.add_parser("export")
    p.add_argument("output", nargs="?", default="grades.csv")
    args = parser.parse_args(argv)

    from autograder.course import Course, CourseError
    from autograder.generate import SourceError
    from autograder.grading import GradingError, format_verdict, grade
    from mlplab.course.tasks import UnknownTaskError

    try:
        if args.command == "generate":
            from autograder.generate import generate

            problems = generate(check_only=args.check, labs=args.labs)
            for problem in problems:
                print(problem)
            return 1 if problems else 0
        if args.command == "grade":
            verdict = grade(args.folder, args.lab, seed=args.seed)
            print(verdict.to_json() if args.json else format_verdict(verdict))
            return 0
        course = Course(
            args.course,
            allow_unsandboxed=getattr(args, "unsandboxed", False),
            notebooks=not getattr(args, "no_notebooks", False),
        )
        if args.command == "release":
            print(f"released {args.lab} in {course.release(args.lab)}")
        elif args.command == "submit":
            print(f"submitted to {course.submit(args.lab, args.student, args.folder)}")
        elif args.command == "autograde":
            show = lambda o: print(o.line(), flush=True)  # noqa: E731
            if args.jobs > 1 or args.scheduler:
                from autograder import parallel

                outcomes = parallel.autograde(
                    course, args.lab, args.students, jobs=args.jobs, scheduler=args.scheduler, report=show
                )
            else:
                outcomes = course.autograde(args.lab, args.students, report=show)
            return 0 if all(o.ok for o in outcomes) else 2
        elif args.command == "feedback":
            _, failures = course.feedback(
                args.lab,
                args.students,
                report=lambda student, problem: print(
                    f"{student:20} {'no feedback: ' + problem if problem else 'feedback written'}", flush=True
                ),
            )
            if failures:
                print(f"no feedback for {len(failures)} student(s): {', '.join(sorted(failures))}")
                return 2
        elif args.command == "report":
            from autograder.exports import write_exports
            from autograder.report import write_report

            out = Path(args.out) if args.out else course.root / "reports" / args.lab
            print(f"wrote {write_report(course.root, args.lab, out)}")
            print(f"wrote {len(write_exports(course, args.lab, out))} grade files in {out}")
        elif args.command == "export":
            print(f"wrote {course.export(args.output)}")
        return 0
    except (CourseError, GradingError, UnknownTaskError, SourceError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
