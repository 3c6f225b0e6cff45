"""The exercise bank: every exercise parses, and its worksheet round-trips through check."""

from __future__ import annotations

import math
import re
import time
from pathlib import Path

import pytest

from autograd_core import grad
from autograd_core.checking.exercises import (
    EXERCISES,
    WorksheetError,
    check_worksheet,
    read_worksheet,
    worksheet,
)
from autograd_core.checking.parse import parse_program


def true_answers(name: str) -> dict[str, str]:
    exercise = EXERCISES[name]
    program = parse_program(exercise.program, exercise.at)
    answers = {}
    for question in exercise.questions:
        if "/" in question:
            out, wrt = (part.strip()[1:] for part in question.split("/"))
            answers[question] = repr(grad(program.values[out], program.values[wrt]))
        else:
            answers[question] = repr(program.values[question].data)
    return answers


@pytest.mark.parametrize("name", list(EXERCISES))
def test_every_worksheet_filled_with_the_true_values_is_all_right(name: str,
                                                                  tmp_path: Path) -> None:
    sheet = tmp_path / f"{name}.toml"
    sheet.write_text(worksheet(name, true_answers(name)))
    report = check_worksheet(sheet)
    assert report and len(report) == len(EXERCISES[name].questions)


@pytest.mark.parametrize("name", list(EXERCISES))
def test_every_blank_worksheet_reads_back_with_its_program_and_point(name: str,
                                                                     tmp_path: Path) -> None:
    sheet = tmp_path / "blank.toml"
    sheet.write_text(worksheet(name))
    program, at, answers = read_worksheet(sheet)
    assert program.strip() == EXERCISES[name].program and at == EXERCISES[name].at
    assert set(answers) == set(EXERCISES[name].questions)
    assert all(value == "" for value in answers.values())


def test_the_course_numbers_of_the_bank() -> None:
    answers = true_answers("two-layer-network")
    assert float(answers["dJ/dW11"]) == pytest.approx(-3.42058e-6, rel=1e-5)
    gradient = true_answers("gradient-at-a-point")
    assert [float(gradient[q]) for q in ("df/dx", "df/dy", "df/dz")] == pytest.approx([4, 2, 0])
    assert float(true_answers("cross-entropy-flow")["dL/dz"]) == pytest.approx(
        float(true_answers("cross-entropy-flow")["y"]) - 1)  # dL/dz = y - t
    assert float(true_answers("sigmoid-derivative")["ds/dx"]) == pytest.approx(0.104994, rel=1e-5)


def test_unknown_exercises_and_bad_files() -> None:
    with pytest.raises(KeyError, match="no exercise 'x'"):
        worksheet("x")
    with pytest.raises(WorksheetError, match="cannot read"):
        read_worksheet("/no/such/file.toml")


@pytest.mark.parametrize(("at_line", "reason"), [
    ("x = inf", "[at] x = inf: not a finite number"),
    ("x = nan", "[at] x = nan: not a finite number"),
    ("x = -inf", "[at] x = -inf: not a finite number"),
    ("x = 1" + "0" * 400, "not a finite number"),
    ('x = "3"', "[at] x = '3': each input needs a number"),
    ("x = true", "each input needs a number"),
])
def test_a_worksheet_whose_point_is_not_finite_is_refused(tmp_path: Path, at_line: str,
                                                           reason: str) -> None:
    # inf at the point used to make every answer "right" (the tolerance became inf), and nan
    # every answer wrong: a grade that looks right. Now nothing is graded.
    path = tmp_path / "sheet.toml"
    path.write_text(f'program = "y = x * 2"\n[at]\n{at_line}\n[answers]\n"dy/dx" = "2"\n')
    with pytest.raises(WorksheetError, match=re.escape(reason)) as error:
        check_worksheet(path)
    assert str(path) in str(error.value)


@pytest.mark.parametrize(("text", "reason"), [
    ("a" + ".a" * 20_000 + " = 1\n", "a dotted key of more than 8 parts"),
    ('x = {a.b.c.d.e.f.g.h.i.j = 1}\n', "a dotted key of more than 8 parts"),
    ("x = " + "[" * 20_000 + "]" * 20_000 + "\n", "nested too deeply"),
    ("# " + "x" * 70_000 + "\n", "larger than a worksheet may be (64,000 bytes)"),
])
def test_a_hostile_worksheet_is_refused_at_once(tmp_path: Path, text: str, reason: str) -> None:
    path = tmp_path / "sheet.toml"
    path.write_text(text)
    start = time.perf_counter()
    with pytest.raises(WorksheetError, match=re.escape(reason)):
        read_worksheet(path)
    assert time.perf_counter() - start < 1.0


def test_every_worksheet_under_the_size_cap_reads_in_under_a_second(tmp_path: Path) -> None:
    # The largest dotted keys allowed, as many as fit: TOML's cost grows with their square.
    key = ".".join(["a"] * 8)
    lines = [f"{key}{i} = {i}" for i in range(4_000)]
    text = "\n".join(lines)[:63_000] + "\n"
    path = tmp_path / "sheet.toml"
    path.write_text(text.rsplit("\n", 2)[0] + "\n")
    start = time.perf_counter()
    with pytest.raises(WorksheetError, match="needs `program"):
        read_worksheet(path)
    assert time.perf_counter() - start < 1.0


def test_check_refuses_a_point_or_tolerance_that_is_not_finite() -> None:
    from autograd_core import ExpressionError, check

    with pytest.raises(ExpressionError, match=r"input x = inf: needs a finite number"):
        check("y = x * 2", {"dy/dx": "2"}, at={"x": math.inf})
    with pytest.raises(ValueError, match=r"tolerance must be a finite number >= 0, got inf"):
        check("y = x * 2", {"dy/dx": "2"}, at={"x": 1.0}, tolerance=math.inf)
    report = check("y = x * 2", {"dy/dx": "inf"}, at={"x": 1.0})
    assert not report and "could not read 'inf' as a finite number" in str(report)
