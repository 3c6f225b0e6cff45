"""A bank of backprop exercises from the course, and worksheets to fill in and check.

A worksheet is a TOML file: the program, the point (`[at]`) and the answers (`[answers]`, one
per question, "" until answered). `autograd-core exercises show NAME > sheet.toml` writes one
with blanks; `autograd-core check sheet.toml` judges it.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .check import CheckReport, check
from .grading import points_of, requirements_of
from .parse import ExpressionError, Program, parse_program
from .students import DrawError, Range, answers_at, draw_point, format_answer, range_of

__all__ = ["Exercise", "EXERCISES", "worksheet", "read_worksheet", "check_worksheet",
           "student_worksheet", "printable", "Printable", "WorksheetError"]


@dataclass(frozen=True)
class Exercise:
    """A program at a point, and the values and derivatives to work out by hand."""

    title: str
    program: str
    at: dict[str, float]
    questions: tuple[str, ...]  # "y" (a forward value) or "dJ/dw" (a derivative)
    notes: str = ""

    def build(self) -> Program:
        """The exercise's graph at its point: labelled Values, no backward pass run yet."""
        return parse_program(self.program, self.at)


EXERCISES: dict[str, Exercise] = {
    "two-layer-network": Exercise(
        "The course's two-layer sigmoid network, x = (5, 3), target 1, cross-entropy",
        "h1 = sigmoid(W11*x1 + W21*x2)\nh2 = sigmoid(W12*x1 + W22*x2)\n"
        "h3 = sigmoid(W13*x1 + W23*x2)\ny = sigmoid(V1*h1 + V2*h2 + V3*h3)\nJ = -log(y)",
        dict(x1=5.0, x2=3.0, W11=1.0, W12=-1.0, W13=3.0, W21=2.0, W22=2.0, W23=-1.0, V1=0.1,
             V2=0.5, V3=-0.1),
        ("h1", "h2", "h3", "y", "J", "dJ/dy", "dJ/dV1", "dJ/dV2", "dJ/dV3", "dJ/dh1", "dJ/dh2",
         "dJ/dh3", "dJ/dW11", "dJ/dW21"),
        "Forward first, then backward: dJ/dy = -1/y, and sigmoid' = sigmoid (1 - sigmoid)."),
    "gradient-at-a-point": Exercise(
        "The gradient of f = 2/3 x^2 + y^2 - 2y + z^4 - 4/3 z^3 at (3, 2, 1)",
        "f = 2/3*x**2 + y**2 - 2*y + z**4 - 4/3*z**3", dict(x=3.0, y=2.0, z=1.0),
        ("f", "df/dx", "df/dy", "df/dz")),
    "paraboloid": Exercise(
        "The gradient of z = x^2 + y^2: the direction of steepest ascent at (1, 2)",
        "z = x**2 + y**2", dict(x=1.0, y=2.0), ("z", "dz/dx", "dz/dy")),
    "sigmoid-derivative": Exercise(
        "The derivative of the sigmoid at x = 2 (it is largest at 0, and vanishes far out)",
        "s = sigmoid(x)", dict(x=2.0), ("s", "ds/dx"), "sigmoid'(x) = sigmoid(x)(1 - sigmoid(x))"),
    "tanh-derivative": Exercise(
        "The derivative of tanh at x = 0.5", "t = tanh(x)", dict(x=0.5), ("t", "dt/dx"),
        "tanh'(x) = 1 - tanh(x)^2"),
    "relu-derivative": Exercise(
        "relu and leaky relu on both sides of 0",
        "r = relu(a) + relu(b)\nl = leaky_relu(a, 0.1) + leaky_relu(b, 0.1)\nout = r + l",
        dict(a=-1.5, b=2.0), ("r", "l", "dout/da", "dout/db")),
    "mse-gradient-flow": Exercise(
        "A linear neuron and the squared error: p = w x + b, L = (p - t)^2 at t = 1",
        "p = w*x + b\nL = (p - t)**2", dict(w=0.5, x=2.0, b=0.1, t=1.0),
        ("p", "L", "dL/dp", "dL/dw", "dL/db")),
    "cross-entropy-flow": Exercise(
        "A sigmoid neuron and binary cross-entropy with target 1: dL/dz = y - t",
        "z = w*x + b\ny = sigmoid(z)\nL = -(t*log(y) + (1 - t)*log(1 - y))",
        dict(w=0.8, x=1.5, b=-0.4, t=1.0), ("y", "L", "dL/dy", "dL/dz", "dL/dw", "dL/db")),
    "neuron": Exercise(
        "micrograd's neuron: o = tanh(x1 w1 + x2 w2 + b)",
        "x1w1 = x1*w1\nx2w2 = x2*w2\nn = x1w1 + x2w2 + b\no = tanh(n)",
        dict(x1=2.0, x2=0.0, w1=-3.0, w2=1.0, b=6.8813735870195432),
        ("n", "o", "do/dn", "do/dw1", "do/dw2", "do/dx1", "do/db")),
}


class WorksheetError(ValueError):
    """A worksheet file that cannot be read or is missing something."""


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def worksheet(name: str, answers: Mapping[str, Any] | None = None) -> str:
    """The TOML worksheet of an exercise, with blank answers (or the given ones)."""
    if name not in EXERCISES:
        raise KeyError(f"no exercise {name!r}; the exercises are: {', '.join(EXERCISES)}")
    exercise = EXERCISES[name]
    answers = answers or {}
    lines = [f"# {exercise.title}", "# Fill in every answer, then: autograd-core check FILE",
             "# Write numbers as you would by hand (-0.41, 3e-6, 2/3): each is judged to the",
             "# precision you write it with."]
    if exercise.notes:
        lines.append(f"# Hint: {exercise.notes}")
    lines += [f"exercise = {_toml_string(name)}", 'program = """',
              exercise.program, '"""', "", "[at]"]
    lines += [f"{key} = {value!r}" for key, value in exercise.at.items()]
    lines += ["", "[answers]"]
    for question in exercise.questions:
        given = answers.get(question, "")
        lines.append(f"{_toml_string(question)} = {_toml_string(str(given))}")
    return "\n".join(lines) + "\n"


def _toml() -> Any:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    return tomllib


# A worksheet is a page of text. Past this size, or with a dotted key of more parts than this,
# it is refused before TOML reads it (TOML's dotted keys take time that grows with their square).
MAX_WORKSHEET_BYTES = 64_000
MAX_KEY_PARTS = 8
_PART = r"""(?:[\w-]+|"[^"\n]*"|'[^'\n]*')"""
_LONG_DOTTED_KEY = re.compile(rf"{_PART}(?:[ \t]*\.[ \t]*{_PART}){{{MAX_KEY_PARTS},}}")


def read_worksheet(path: str | Path) -> tuple[str, dict[str, float], dict[str, Any]]:
    """(program, point, answers) from a worksheet file, or a WorksheetError saying what is wrong.
    A worksheet whose inputs are ranges has no point until a student draws one."""
    sheet = _read(Path(path))
    if sheet.ranged:
        raise WorksheetError(f"{path}: its inputs are ranges, drawn per student: give a "
                             "student ID (--student)")
    return sheet.program, dict(sheet.at), sheet.answers  # type: ignore[arg-type]


@dataclass
class _Sheet:
    """A worksheet as read: `at` holds numbers, or Ranges in a teacher's template; a student's
    sheet keeps the template's ranges in `ranges`, to check that its numbers are the drawn
    ones."""

    path: Path
    exercise: str
    program: str
    at: dict[str, float | Range]
    answers: dict[str, Any]
    grading: dict[str, Any]
    student: str | None
    ranges: dict[str, Range]

    @property
    def ranged(self) -> bool:
        return any(isinstance(spec, Range) for spec in self.at.values())

    def point(self, student: str | None) -> dict[str, float]:
        """The numbers to check the answers at: the sheet's own, or the student's draw."""
        if not self.ranged and not self.ranges:
            return dict(self.at)  # type: ignore[arg-type]
        student = student if student is not None else self.student
        if student is None:
            raise WorksheetError(f"{self.path}: its inputs are drawn per student: give a "
                                 "student ID (--student), or `student = \"ID\"` in the sheet")
        drawn = self.draw(student)
        for name, number in self.at.items():
            if not isinstance(number, Range) and number != drawn[name]:
                raise WorksheetError(f"{self.path}: [at] {name} = {number!r} is not the number "
                                     f"drawn for student {student!r} ({drawn[name]!r})")
        return drawn

    def draw(self, student: str) -> dict[str, float]:
        spec = {name: self.ranges.get(name, value) for name, value in self.at.items()}
        try:
            return draw_point(self.program, spec, list(self.answers), student, self.exercise)
        except (DrawError, ExpressionError) as exc:
            raise WorksheetError(f"{self.path}: {exc}") from None

    def graded_by(self, template: _Sheet) -> _Sheet:
        """This sheet's answers (and student) under the teacher's template: the program, the
        ranges or point, the questions, the points and the precision are the template's, so
        a sheet whose student changed any of them is judged as the teacher wrote it."""
        unknown = [q for q in self.answers if q not in template.answers]
        if unknown:
            raise WorksheetError(f"{self.path}: answers {unknown[0]!r}, which the template "
                                 f"{template.path} does not ask")
        answers = {q: self.answers.get(q, "") for q in template.answers}
        at = {name: self.at.get(name, spec) if isinstance(spec, Range) else spec
              for name, spec in template.at.items()}
        ranges = {name: spec for name, spec in template.at.items() if isinstance(spec, Range)}
        ranges.update(template.ranges)
        return _Sheet(self.path, template.exercise, template.program, at, answers,
                      template.grading, self.student, ranges)


def _read(path: Path) -> _Sheet:
    """A worksheet, with the teacher's `points` and `precision` checked against the answers."""
    data = _parsed(path)
    program = data.get("program")
    if not isinstance(program, str):
        raise WorksheetError(f"{path}: the worksheet needs `program = \"\"\"...\"\"\"`")
    at, answers = data.get("at", {}), data.get("answers")
    if not isinstance(at, dict):
        raise WorksheetError(f"{path}: [at] must give a number for each input")
    if not isinstance(answers, dict) or not answers:
        raise WorksheetError(f"{path}: the worksheet needs an [answers] table")
    grading: dict[str, Any] = {key: data[key] for key in ("points", "precision") if key in data}
    if "precision" in grading:
        for question, answer in answers.items():
            if isinstance(answer, float):
                raise WorksheetError(f"{path}: the answer {question!r} = {answer!r} is a TOML "
                                     "number, which keeps no trailing zeros: write it in quotes "
                                     "(\"4.00\") so that its figures count")
    student, ranges = data.get("student"), data.get("ranges", {})
    if student is not None and not isinstance(student, str):
        raise WorksheetError(f"{path}: student must be a string (the student's ID)")
    if not isinstance(ranges, dict):
        raise WorksheetError(f"{path}: [ranges] must be a table of ranges")
    try:  # checked here, so that a teacher's mistake is named with its file
        points_of(grading.get("points", 1), answers)
        requirements_of(grading.get("precision"), answers)
        point = {name: range_of(name, value) if isinstance(value, dict)
                 else _input(path, name, value) for name, value in at.items()}
        kept = {name: range_of(name, value) for name, value in ranges.items()}
    except ValueError as exc:
        raise WorksheetError(f"{path}: {exc}") from None
    unknown = [name for name in kept if name not in point]
    if unknown:
        raise WorksheetError(f"{path}: [ranges] {unknown[0]} is not an input of [at]")
    return _Sheet(path, str(data.get("exercise", "")), program, point, answers, grading,
                  student, kept)


def _parsed(path: Path) -> dict[str, Any]:
    """The worksheet's TOML, read only if it is of a worksheet's size and shape."""
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_WORKSHEET_BYTES + 1)
    except OSError as exc:
        raise WorksheetError(f"cannot read {path}: {exc.strerror}") from None
    if len(raw) > MAX_WORKSHEET_BYTES:
        raise WorksheetError(f"{path} is larger than a worksheet may be "
                             f"({MAX_WORKSHEET_BYTES:,} bytes)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WorksheetError(f"{path} is not a valid TOML worksheet: {exc}") from None
    long_key = _LONG_DOTTED_KEY.search(text)
    if long_key:
        line = text.count("\n", 0, long_key.start()) + 1
        raise WorksheetError(f"{path}, line {line}: a dotted key of more than {MAX_KEY_PARTS} "
                             "parts; a worksheet needs none")
    try:
        data: dict[str, Any] = _toml().loads(text)
    except (ValueError, RecursionError) as exc:  # RecursionError: brackets nested thousands deep
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise WorksheetError(f"{path} is not a valid TOML worksheet: {reason}") from None
    return data


def _input(path: Path, name: str, value: object) -> float:
    """An input's number from [at]: a finite real number, or an error naming the entry."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise WorksheetError(f"{path}: [at] {name} = {value!r}: each input needs a number")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise WorksheetError(f"{path}: [at] {name} = {value!r:.40}: not a finite number, so no "
                             "answer could be judged against it")
    return number


def check_worksheet(path: str | Path, student: str | None = None,
                    template: str | Path | None = None) -> CheckReport:
    """Check the answers of a worksheet file (blank answers count as wrong), with the points
    and precision it sets: `points = 2` or a `[points]` table (answer = points, "*" for the
    rest), `precision = "3 significant figures"` or a `[precision]` table likewise.

    A sheet drawn for a student is checked at that student's numbers (`student` overrides the
    ID the sheet names): numbers in [at] that are not the drawn ones are refused. For grading,
    give the teacher's `template`: everything but the answers is then taken from it, so
    nothing a student edits in their sheet (program, ranges, points, precision) counts."""
    sheet = _read(Path(path))
    if template is not None:
        sheet = sheet.graded_by(_read(Path(template)))
    return check(parse_program(sheet.program, sheet.point(student)), sheet.answers,
                 **sheet.grading)


def student_worksheet(path: str | Path, student: str, key: bool = False) -> str:
    """A student's own worksheet from a teacher's worksheet whose inputs are ranges: the
    student's numbers in [at] (drawn from the ID, the same every time), blank answers, and
    the ranges kept in [ranges]; with `key`, the teacher's answer key for that student."""
    if not isinstance(student, str) or not student.strip():
        raise WorksheetError("a student ID must be a non-empty string")
    sheet = _read(Path(path))
    if not sheet.ranged:
        raise WorksheetError(f"{path}: none of its inputs is a range, so every student would "
                             "get the same numbers")
    point = sheet.draw(student)
    requirements = requirements_of(sheet.grading.get("precision"), sheet.answers)
    truth = answers_at(sheet.program, point, list(sheet.answers))
    title = "answer key" if key else "worksheet"
    lines = [f"# The {title} of student {student}" + (f" ({sheet.exercise})"
                                                      if sheet.exercise else ""),
             "# Fill in every answer, then: autograd-core check FILE"]
    if sheet.exercise:
        lines.append(f"exercise = {_toml_string(sheet.exercise)}")
    lines += [f"student = {_toml_string(student)}", 'program = """', sheet.program.strip(),
              '"""']
    lines += [f"{name} = {_toml_value(value)}" for name, value in sheet.grading.items()
              if not isinstance(value, dict)]
    lines += ["", "[at]"] + [f"{name} = {value!r}" for name, value in point.items()]
    lines += ["", "[answers]"]
    for question in sheet.answers:
        given = format_answer(truth[question], requirements[question]) if key else ""
        lines.append(f"{_toml_string(question)} = {_toml_string(given)}")
    for name, value in sheet.grading.items():
        if isinstance(value, dict):
            lines += ["", f"[{name}]"] + [f"{_toml_string(k)} = {_toml_value(v)}"
                                          for k, v in value.items()]
    lines += ["", "[ranges]"] + [f"{name} = {spec}" for name, spec in sheet.at.items()
                                 if isinstance(spec, Range)]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Printable:
    """What a printed worksheet shows: a title, the program at a point, the questions, and
    the points and required precision of each (None when the sheet sets none)."""

    title: str
    program: str
    at: dict[str, float]
    questions: tuple[str, ...]
    points: dict[str, float] | None
    precision: dict[str, str] | None
    student: str | None


def printable(target: str, student: str | None = None) -> Printable:
    """An exercise of the bank (by name) or a worksheet file, ready to print; a worksheet
    with ranges is printed at the student's numbers."""
    if target in EXERCISES:
        exercise = EXERCISES[target]
        return Printable(exercise.title, exercise.program, dict(exercise.at),
                         exercise.questions, None, None, student)
    sheet = _read(Path(target))
    who = student if student is not None else sheet.student
    point = sheet.point(who)
    questions = tuple(sheet.answers)
    points = (points_of(sheet.grading["points"], questions) if "points" in sheet.grading
              else None)
    precision = None
    if "precision" in sheet.grading:
        needed = requirements_of(sheet.grading["precision"], questions)
        precision = {q: str(r) if r else "" for q, r in needed.items()}
    title = sheet.exercise or Path(target).stem
    if sheet.exercise in EXERCISES:
        title = EXERCISES[sheet.exercise].title
    return Printable(title, sheet.program, point, questions, points, precision, who)


def _toml_value(value: object) -> str:
    return _toml_string(value) if isinstance(value, str) else repr(value)
