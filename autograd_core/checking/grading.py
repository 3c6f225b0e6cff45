"""What a teacher adds to a check for grading: points per answer, a required precision, and the
results as JSON for graders (ours, and Gradescope's `results.json`).

A required precision is written the way a teacher says it: "3 significant figures" (also
"3 sig figs", "3 sf") or "2 decimals" (also "2 decimal places", "2 dp"). An answer written with
fewer is not accepted, whatever its value, and the hint says what is required. A fraction
("2/3") is exact, so it meets any precision.

>>> required("3 significant figures").met_by("-0.41")
False
>>> required("3 sig figs").met_by("-0.410"), required("2 dp").met_by("0.5")
(True, False)
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Requirement", "required", "significant_figures", "decimal_places", "points_of",
           "requirements_of", "MOST_DIGITS", "gradescope_results"]

MOST_DIGITS = 15  # a double holds 15-17 significant digits; asking for more makes no sense
_SPEC = re.compile(r"^\s*(\d+)\s*(significant figures?|significant digits?|sig\.? figs?|"
                   r"sig|s\.?f\.?|decimals?|decimal places?|d\.?p\.?)\s*$", re.IGNORECASE)
_NUMBER = re.compile(r"^[+-]?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$")


@dataclass(frozen=True)
class Requirement:
    """At least `count` significant figures (kind "sig") or decimal places (kind "dp")."""

    kind: str
    count: int

    def __str__(self) -> str:
        if self.kind == "sig":
            return f"{self.count} significant figure{'s' if self.count != 1 else ''}"
        return f"{self.count} decimal place{'s' if self.count != 1 else ''}"

    def met_by(self, written: str) -> bool:
        """Whether an answer written this way shows enough digits (a fraction always does)."""
        if "/" in written:
            return True
        found = (significant_figures(written) if self.kind == "sig"
                 else decimal_places(written))
        return found is not None and found >= self.count

    def shown_by(self, written: str) -> str:
        """What `written` shows: "2 significant figures"."""
        found = (significant_figures(written) if self.kind == "sig"
                 else decimal_places(written))
        return str(Requirement(self.kind, found or 0))


def required(text: object) -> Requirement:
    """A precision from a teacher's words; a ValueError says why it makes no sense."""
    match = _SPEC.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{text!r:.60} is not a precision; write it as \"3 significant "
                         "figures\" or \"2 decimals\"")
    count, unit = int(match.group(1)), match.group(2).lower()
    kind = "dp" if unit.startswith("d") else "sig"
    if kind == "sig" and count < 1:
        raise ValueError(f"{text!r}: an answer has at least 1 significant figure")
    if count > MOST_DIGITS:
        raise ValueError(f"{text!r}: a float holds about {MOST_DIGITS} significant digits; ask "
                         f"for at most {MOST_DIGITS}")
    return Requirement(kind, count)


def significant_figures(written: str) -> int | None:
    """The significant figures of a number as written: "-0.0410" has 3, "400" has 3, "4e2" 1.
    None if it is not a plain decimal number."""
    match = _NUMBER.match(written.strip().replace("\u2212", "-"))
    if match is None or not (match.group(1) or match.group(2)):
        return None
    digits = (match.group(1) + (match.group(2) or "")).lstrip("0")
    return len(digits) if digits else 1  # "0" and "0.000" are one significant zero


def decimal_places(written: str) -> int | None:
    """The decimal places a number as written shows: "0.41" 2, "3e-6" 6, "12" 0, "1.5e3" 0."""
    match = _NUMBER.match(written.strip().replace("\u2212", "-"))
    if match is None or not (match.group(1) or match.group(2)):
        return None
    return max(0, len(match.group(2) or "") - int(match.group(3) or 0))


def _per_answer(what: str, given: object, answers: Iterable[str]) -> tuple[dict[str, Any], Any]:
    """A setting given for all answers at once, or a table: answer -> setting ("*" for the
    rest). Returns (per answer, default)."""
    names = list(answers)
    if not isinstance(given, Mapping):
        return {}, given
    table = dict(given)
    default = table.pop("*", None)
    unknown = [key for key in table if key not in names]
    if unknown:
        raise ValueError(f"{what} for {unknown[0]!r}, which is not one of the answers "
                         f"({', '.join(names)})")
    return table, default


def points_of(points: object, answers: Iterable[str]) -> dict[str, float]:
    """Each answer's points: one number for every answer, or a table (default 1 each)."""
    names = list(answers)
    table, default = _per_answer("points", points, names)
    result = {}
    for name in names:
        value = table.get(name, 1 if default is None else default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value) or value < 0:
            raise ValueError(f"points for {name!r}: {value!r:.40} is not a number of points "
                             "(0 or more)")
        result[name] = float(value)
    return result


def requirements_of(precision: object, answers: Iterable[str]
                    ) -> dict[str, Requirement | None]:
    """Each answer's required precision (None: judged to the precision it is written with)."""
    names = list(answers)
    table, default = _per_answer("a precision", precision, names)
    result: dict[str, Requirement | None] = {}
    for name in names:
        spec = table.get(name, default)
        try:
            result[name] = None if spec is None else required(spec)
        except ValueError as exc:
            raise ValueError(f"precision for {name!r}: {exc}") from None
    return result


def gradescope_results(rows: Iterable[Any], score: float, summary: str,
                       reveal: bool) -> dict[str, Any]:
    """Gradescope's results.json: one test per answer, with its points."""
    tests = []
    for number, row in enumerate(rows, 1):
        output = "right" if row.correct else row.shown_hint(reveal)
        tests.append({"name": row.name, "number": str(number), "score": row.points,
                      "max_score": row.max_points,
                      "status": "passed" if row.correct else "failed",
                      "output": output, "visibility": "visible"})
    return {"score": score, "output": summary, "visibility": "visible",
            "stdout_visibility": "hidden", "tests": tests}
