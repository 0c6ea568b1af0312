"""The instructor's command line: ``mlplab-course`` (or ``python -m autograder``).

    mlplab-course generate [--check]          regenerate stubs, notebooks, self-check data
    mlplab-course grade lab1 FOLDER [--json]  grade one folder holding mlplab/ (no nbgrader)
    mlplab-course release lab1                nbgrader release in course/release/lab1
    mlplab-course submit lab1 STUDENT FOLDER  put a folder into course/submitted/STUDENT/lab1
    mlplab-course autograde lab1 [--student S ...]
    mlplab-course feedback lab1 [--student S ...]
    mlplab-course export grades.csv
"""
from __future__ import annotations

import argparse
import sys

from autograder.generate import REPO


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mlplab-course", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
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
            p.add_argument("--seed", type=int)
    p = sub.add_parser("export")
    p.add_argument("output", nargs="?", default="grades.csv")
    args = parser.parse_args(argv)

    from autograder.course import Course, CourseError
    from autograder.generate import SourceError
    from autograder.grading import GradingError, format_verdict, grade
    from mlplab.tasks import UnknownTaskError

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
        course = Course(args.course)
        if args.command == "release":
            print(f"released {args.lab} in {course.release(args.lab)}")
        elif args.command == "submit":
            print(f"submitted to {course.submit(args.lab, args.student, args.folder)}")
        elif args.command == "autograde":
            outcomes = course.autograde(args.lab, args.students, seed=args.seed)
            for o in outcomes:
                status = f"{o.score:g}/{o.max_score:g}" if o.ok else "NOT GRADED"
                print(f"{o.student:20} {status:12} {o.message}")
            return 0 if all(o.ok for o in outcomes) else 2
        elif args.command == "feedback":
            for path in course.feedback(args.lab, args.students):
                print(f"wrote {path}")
        elif args.command == "export":
            print(f"wrote {course.export(args.output)}")
        return 0
    except (CourseError, GradingError, UnknownTaskError, SourceError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
