"""Numbers per student: a worksheet whose inputs are ranges draws each student's own numbers.

In a teacher's worksheet an input of `[at]` may be a range instead of a number:

    x2 = { low = 1, high = 4, step = 0.5 }     # one of 1, 1.5, ..., 4
    w = { choices = [-2, -1, 1, 2] }           # one of these

A student ID (any string) draws one number per range, the same every time: the draw is seeded
by the exercise, its program and the ID. A draw is refused, and the next one tried, when the
exercise would be degenerate there: an operation outside its domain (log of a negative), a
derivative asked for that is zero or vanishingly small, two answers that coincide, or an
answer too large to write by hand.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..functional import grad
from ..ops import OpError
from .parse import ExpressionError, parse_program

__all__ = ["Range", "range_of", "draw_point", "answers_at", "format_answer", "DrawError",
           "TINY", "HUGE"]

TINY = 1e-8  # a derivative smaller than this is as good as zero: nothing to work out
HUGE = 1e6  # an answer this large is not written by hand
TRIES = 500
_DERIVATIVE = re.compile(r"^\s*[d∂]\s*(\w+)\s*/\s*[d∂]\s*(\w+)\s*$")


class DrawError(ValueError):
    """No draw of the ranges gives a usable exercise, or a range makes no sense."""


@dataclass(frozen=True)
class Range:
    """The numbers an input may take: `choices`, or low, low + step, ..., up to high."""

    choices: tuple[float, ...]

    def __str__(self) -> str:
        return "{ choices = [" + ", ".join(repr(c) for c in self.choices) + "] }"


def range_of(name: str, spec: object) -> Range:
    """A range from its worksheet table; a DrawError says what is wrong with it."""
    if not isinstance(spec, Mapping):
        raise DrawError(f"[at] {name}: a range is a table such as {{ low = 1, high = 4, "
                        "step = 0.5 }} or {{ choices = [1, 2] }}")
    keys = set(spec)
    if keys == {"choices"}:
        values = spec["choices"]
        if not isinstance(values, list) or not values or not all(_is_number(v) for v in values):
            raise DrawError(f"[at] {name}: choices must be a non-empty list of finite numbers")
        return Range(tuple(float(v) for v in values))
    if keys not in ({"low", "high"}, {"low", "high", "step"}):
        raise DrawError(f"[at] {name}: a range has low, high and (optionally) step, or "
                        f"choices; got {', '.join(sorted(map(str, keys)))}")
    low, high, step = spec["low"], spec["high"], spec.get("step", 0.1)
    if not all(_is_number(v) for v in (low, high, step)):
        raise DrawError(f"[at] {name}: low, high and step must be finite numbers")
    if step <= 0:
        raise DrawError(f"[at] {name}: step must be above 0, got {step}")
    if high < low:
        raise DrawError(f"[at] {name}: the range is empty (low {low} is above high {high})")
    span = (high - low) / step
    if not math.isfinite(span) or span > 100_000:
        raise DrawError(f"[at] {name}: more than 100,000 numbers in the range; use a larger "
                        "step")
    count = math.floor(span + 1e-9) + 1
    if count > 100_000:
        raise DrawError(f"[at] {name}: {count:,} numbers in the range; use a larger step")
    return Range(tuple(round(low + k * step, 12) for k in range(count)))


def _is_number(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an int too large for a float
        return False


def answers_at(program: str, at: Mapping[str, float], questions: Sequence[str]
               ) -> dict[str, float]:
    """The true value of every question at this point."""
    parsed = parse_program(program, at)
    values = {}
    for question in questions:
        match = _DERIVATIVE.match(question)
        names = [match.group(1), match.group(2)] if match else [question.strip()]
        missing = [name for name in names if name not in parsed.values]
        if missing:
            raise ExpressionError(f"the question {question!r} names {missing[0]!r}, which the "
                                  f"program does not (names: {', '.join(sorted(parsed.values))})")
        if match:
            values[question] = grad(parsed.values[names[0]], parsed.values[names[1]])
        else:
            values[question] = parsed.values[names[0]].data
    return values


def _degenerate(program: str, at: Mapping[str, float], questions: Sequence[str]) -> str:
    """Why the exercise is degenerate at this point ("" if it is not)."""
    try:
        values = answers_at(program, at, questions)
    except (OpError, ArithmeticError, ExpressionError) as exc:
        return f"an operation is outside its domain ({exc})"
    for question, value in values.items():
        if not math.isfinite(value) or abs(value) >= HUGE:
            return f"{question} = {value:.4g} is too large to write"
        if _DERIVATIVE.match(question) and abs(value) < TINY:
            return f"{question} = {value:.2g} is zero or vanishingly small"
    ordered = list(values.items())
    for i, (first, a) in enumerate(ordered):
        for second, b in ordered[i + 1:]:
            if abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b)):
                return f"{first} and {second} coincide ({a:.4g})"
    return ""


def draw_point(program: str, at: Mapping[str, float | Range], questions: Sequence[str],
               student: str, exercise: str = "") -> dict[str, float]:
    """The student's numbers: each range drawn, seeded by the exercise, program and ID, and
    drawn again while the exercise would be degenerate (DrawError after many tries)."""
    first = {name: spec.choices[0] if isinstance(spec, Range) else spec
             for name, spec in at.items()}
    try:  # a mistake in the program or a question is not the ranges' fault: say it at once
        answers_at(program, first, questions)
    except ExpressionError as exc:
        if not isinstance(exc.__context__, (OpError, ArithmeticError)):
            raise DrawError(str(exc)) from None
        # else outside a domain at this point: the draws below try others
    except (OpError, ArithmeticError):
        pass
    seed = hashlib.sha256("\0".join((exercise, program.strip(), student)).encode()).hexdigest()
    rng = random.Random(seed)
    reason = ""
    for _ in range(TRIES):
        # In the order of the names, so that reordering [at] changes no student's numbers.
        drawn = {name: rng.choice(at[name].choices) for name in sorted(at)  # type: ignore[union-attr]
                 if isinstance(at[name], Range)}
        point = {name: drawn.get(name, spec) for name, spec in at.items()}
        reason = _degenerate(program, point, questions)
        if not reason:
            return point
    raise DrawError(f"no draw of the ranges in {TRIES} tries gives a usable exercise (the "
                    f"last: {reason}); widen the ranges or change the step")


def format_answer(value: float, requirement: Any = None) -> str:
    """An answer as a key writes it: to the required precision (trailing zeros kept, so that
    it shows the figures asked for), else to 6 significant figures. Zero is "0"."""
    if value == 0:
        return "0"
    if requirement is not None and requirement.kind == "dp":
        return f"{value:.{requirement.count}f}"
    figures = max(requirement.count if requirement is not None else 6, 1)
    return f"{value:#.{figures}g}"
