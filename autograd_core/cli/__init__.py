"""The `autograd-core` command: the demo, gradients of an expression, checking worksheets."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path

from .. import __version__, explain, grad, write_file
from ..checking import (
    EXERCISES,
    ExpressionError,
    WorksheetError,
    check_worksheet,
    student_worksheet,
    worksheet,
)
from ..checking.parse import parse_program
from ..ops import OpError
from . import demo


class UsageError(Exception):
    """Bad input from the command line: reported in one line, never as a traceback."""


def _point(text: str) -> dict[str, float]:
    """`x=3,y=2` -> {"x": 3.0, "y": 2.0}."""
    point: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, number = item.partition("=")
        name = name.strip()
        try:
            if not sep or not name.isidentifier() or not math.isfinite(float(number)):
                raise ValueError
        except ValueError:
            raise UsageError(f"--at: {item!r} is not name=number with a finite number (as in "
                             "--at x=3,y=2)") from None
        if name in point:
            raise UsageError(f"--at: {name} is given twice")
        point[name] = float(number)
    return point


def _grad(expression: str, at: str, explain_names: Sequence[str]) -> int:
    program = parse_program(expression, _point(at))
    out = program.output
    if not out.label:
        out.label = "f"
    inputs = [program.values[name] for name in program.inputs]
    print(f"{out.label} = {out.data:.10g}")
    for name, g in zip(program.inputs, grad(out, inputs)):
        print(f"d{out.label}/d{name} = {g:.10g}")
    for name in explain_names:
        if name not in program.values:
            raise UsageError(f"--explain: there is no {name!r} in the expression (names: "
                             f"{', '.join(sorted(program.values))})")
        print()
        print(explain(out, program.values[name]))
    return 0


def _draw(args: argparse.Namespace) -> int:
    try:
        import viz
    except ImportError as exc:  # viz needs the graphviz package: the `viz` extra
        raise UsageError(f"drawing needs the viz extra (pip install 'autograd-core[viz]'): "
                         f"{exc}") from None
    program = parse_program(args.expression, _point(args.at))
    program.output.backward()
    collapse = {"auto": "auto", "none": None}.get(args.collapse, args.collapse)
    if isinstance(collapse, str) and collapse != "auto":
        if not collapse.isdigit() or int(collapse) < 1:
            raise UsageError(f"--collapse: {args.collapse!r} is not auto, none or a depth "
                             "(1, 2, ...)")
        collapse = int(collapse)
    drawing = viz.draw(program.output, view=args.view, edge_labels=args.edge_labels,
                       rankdir=args.rankdir, max_nodes=args.max_nodes, collapse=collapse)
    suffix = Path(args.output).suffix.lower()
    if suffix in (".tex", ".mmd"):  # TikZ for LaTeX, Mermaid for Markdown
        text = viz.to_tikz(drawing) if suffix == ".tex" else viz.to_mermaid(drawing)
        path = write_file(args.output, text.encode("utf-8"))
    else:
        path = viz.render(drawing, args.output, verbose=args.verbose)
    print(f"wrote {path.resolve()}")
    return 0


def _check(path: str, show_answers: bool, form: str = "text", output: str | None = None,
           student: str | None = None, template: str | None = None) -> int:
    """Check a worksheet; the report as text, JSON or Gradescope's results.json, printed or
    written to `output`. A worksheet that cannot be read still gives Gradescope a results
    file (score 0, the reason as its output) before the error is reported."""
    try:
        report = check_worksheet(path, student, template)
    except (WorksheetError, ExpressionError, OpError, ValueError) as exc:
        if form == "gradescope":
            _emit(json.dumps({"score": 0.0, "output": f"{path}: {exc}", "tests": [],
                              "visibility": "visible"}, indent=2), output)
        raise
    if form == "json":
        text = json.dumps({"worksheet": path, **report.as_dict(reveal=show_answers)}, indent=2)
    elif form == "gradescope":
        text = json.dumps(report.gradescope(reveal=show_answers), indent=2)
    else:
        text = report.table(reveal=show_answers)
    _emit(text, output)
    return 0 if report else 1


def _print(target: str, student: str | None, output: str | None) -> int:
    """A printable worksheet and its answer key, as HTML pages or PDFs (by the suffix)."""
    from ..checking.exercises import printable
    from ..checking.grading import requirements_of
    from ..checking.students import answers_at, format_answer

    if output is None or Path(output).suffix.lower() not in (".html", ".pdf"):
        raise UsageError("exercises print needs -o FILE.html or -o FILE.pdf (the key is "
                         "written next to it, as FILE-key.html or FILE-key.pdf)")
    try:
        import viz.worksheet as pages
    except ImportError as exc:
        raise UsageError(f"printing needs the viz extra (pip install 'autograd-core[viz]'): "
                         f"{exc}") from None
    sheet = printable(target, student)
    target_path = Path(output)
    key_path = target_path.with_name(f"{target_path.stem}-key{target_path.suffix}")
    needed = requirements_of({q: p for q, p in (sheet.precision or {}).items() if p} or None,
                             sheet.questions)
    truth = {q: format_answer(value, needed[q])
             for q, value in answers_at(sheet.program, sheet.at, sheet.questions).items()}
    made = {path: pages.worksheet_page(parse_program(sheet.program, sheet.at), sheet.questions,
                                       title=sheet.title, key=key, student=sheet.student,
                                       points=sheet.points, precision=sheet.precision)
            for path, key in ((key_path, truth), (target_path, None))}  # the key first
    for path, page in made.items():
        if path.suffix.lower() == ".pdf":
            pages.save_pdf(page, path)
        else:
            write_file(path, page.encode("utf-8"))
        print(f"wrote {path.resolve()}")
    return 0


def _emit(text: str, output: str | None) -> None:
    """Print `text`, or write it to the file `output` (whole or not at all)."""
    if output is None:
        print(text)
    else:
        write_file(output, (text + "\n").encode("utf-8"))


def _exercises(action: str | None, target: str | None, show_answers: bool,
               student: str | None = None, key: bool = False, output: str | None = None
               ) -> int:
    if action is None:
        width = max(len(name) for name in EXERCISES)
        for name, exercise in EXERCISES.items():
            print(f"{name:<{width}}  {exercise.title}")
        print("\nautograd-core exercises show NAME > sheet.toml   (then fill it in)\n"
              "autograd-core check sheet.toml")
        return 0
    if target is None:
        raise UsageError(f"exercises {action} needs a {'NAME' if action == 'show' else 'FILE'}")
    if action == "show":
        if target not in EXERCISES:
            raise UsageError(f"no exercise {target!r}; the exercises are: {', '.join(EXERCISES)}")
        print(worksheet(target), end="")
        return 0
    if action == "print":
        return _print(target, student, output)
    if action == "student":
        if student is None:
            raise UsageError("exercises student FILE needs --student ID")
        _emit(student_worksheet(target, student, key=key).rstrip("\n"), output)
        return 0
    return _check(target, show_answers, student=student)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="autograd-core",
        description="A scalar autodiff engine for learning how neural networks compute "
                    "their gradients.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo_parser = commands.add_parser(
        "demo", help="backprop on the course's worked examples, then micrograd's demo MLP trained")
    demo_parser.add_argument("--out", default="autograd-core-demo", metavar="DIR",
                             help="where to write the drawings (default: %(default)s)")
    demo_parser.add_argument("--no-drawings", action="store_true",
                             help="print only; draw nothing (needs no Graphviz)")
    grad_parser = commands.add_parser(
        "grad", help="the value and every partial derivative of an expression at a point")
    grad_parser.add_argument("expression", help='e.g. "2/3*x**2 + y**2 - 2*y" (several lines '
                                                'with name = ... are allowed)')
    grad_parser.add_argument("--at", default="", metavar="x=3,y=2", help="the point")
    grad_parser.add_argument("--explain", action="append", default=[], metavar="NAME",
                             help="write out the chain rule for this input (repeatable)")
    draw_parser = commands.add_parser(
        "draw", help="draw an expression's graph with data and gradients (svg, png, dot, ...)")
    draw_parser.add_argument("expression")
    draw_parser.add_argument("--at", default="", metavar="x=3,y=2", help="the point")
    draw_parser.add_argument("-o", "--output", default="graph.svg",
                             help="the file to write; its suffix is the format: svg, png, "
                                  "dot, ..., tex (TikZ) or mmd (Mermaid) "
                                  "(default: %(default)s)")
    draw_parser.add_argument("--view", choices=["both", "forward", "backward"], default="both")
    draw_parser.add_argument("--edge-labels", action="store_true",
                             help="label edges with local derivatives")
    draw_parser.add_argument("--rankdir", choices=["LR", "TB", "RL", "BT"], default="LR")
    draw_parser.add_argument("--max-nodes", type=int, default=500, metavar="N",
                             help="the most nodes drawn before folding or refusing "
                                  "(default: %(default)s)")
    draw_parser.add_argument("--collapse", default="auto", metavar="auto|none|DEPTH",
                             help="fold each module at this depth into one box "
                                  "(default: %(default)s)")
    draw_parser.add_argument("-v", "--verbose", action="store_true",
                             help="say which Graphviz renderer was used")
    check_parser = commands.add_parser("check", help="check the answers of a worksheet file; "
                                                     "the exit status is 0 only if all are right")
    check_parser.add_argument("worksheet")
    check_parser.add_argument("--show-answers", action="store_true",
                              help="also show the true value of each wrong answer")
    check_parser.add_argument("--format", choices=["text", "json", "gradescope"],
                              default="text", help="text (default), json, or gradescope "
                                                   "(Gradescope's results.json)")
    check_parser.add_argument("-o", "--output", metavar="FILE",
                              help="write the report to FILE instead of printing it")
    check_parser.add_argument("--student", metavar="ID",
                              help="check at this student's numbers (a worksheet with ranges)")
    check_parser.add_argument("--template", metavar="FILE",
                              help="the teacher's worksheet: program, numbers or ranges, points "
                                   "and precision come from it, only the answers from the "
                                   "sheet checked (for grading)")
    exercises_parser = commands.add_parser("exercises", help="the exercise bank: list, show "
                                                             "a worksheet, check one")
    exercises_parser.add_argument("action", nargs="?",
                                  choices=["show", "check", "student", "print"])
    exercises_parser.add_argument("target", nargs="?", metavar="NAME|FILE")
    exercises_parser.add_argument("--show-answers", action="store_true",
                                  help="with check: show the true value of each wrong answer")
    exercises_parser.add_argument("--student", metavar="ID",
                                  help="student FILE: that student's own worksheet, drawn "
                                       "from the ranges of FILE's inputs")
    exercises_parser.add_argument("--key", action="store_true",
                                  help="with student: the answer key instead")
    exercises_parser.add_argument("-o", "--output", metavar="FILE",
                                  help="with student: write the sheet to FILE; with print: "
                                       "FILE.html or FILE.pdf (and FILE-key next to it)")
    return parser


def _run(args: argparse.Namespace) -> int | None:
    """Run the command `args` names; None when no command was given."""
    if args.command == "demo":
        demo.run(output_dir=None if args.no_drawings else Path(args.out))
        return 0
    if args.command == "grad":
        return _grad(args.expression, args.at, args.explain)
    if args.command == "draw":
        return _draw(args)
    if args.command == "check":
        return _check(args.worksheet, args.show_answers, args.format, args.output, args.student,
                      args.template)
    if args.command == "exercises":
        return _exercises(args.action, args.target, args.show_answers, args.student, args.key,
                          args.output)
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        status = _run(args)
    except OSError as exc:  # a file that cannot be read or written
        where = f" {exc.filename}" if exc.filename else ""
        print(f"autograd-core: error:{where}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except (UsageError, ExpressionError, WorksheetError, OpError, ValueError,
            ArithmeticError, RuntimeError) as exc:  # RuntimeError: no Graphviz renderer
        print(f"autograd-core: error: {exc}", file=sys.stderr)
        return 2
    if status is None:
        parser.print_help(sys.stderr)
        return 2
    return status


if __name__ == "__main__":
    sys.exit(main())
