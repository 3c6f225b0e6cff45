"""The exercise bank: every exercise parses, and its worksheet round-trips through check."""

from __future__ import annotations

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
