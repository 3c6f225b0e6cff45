"""Grading: points per answer, a required precision, and the results as JSON and as
Gradescope's results.json (checked against Gradescope's documented format), from the API and
from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from autograd_core import check
from autograd_core.checking import EXERCISES, check_worksheet, worksheet
from autograd_core.checking.grading import decimal_places, required, significant_figures
from tests.cli.test_cli import run

COURSE = EXERCISES["two-layer-network"]
RIGHT = {"y": "0.590", "dJ/dV1": "-0.4096", "dJ/dW11": "-3.42e-6"}


@pytest.mark.parametrize("written, figures, places", [
    ("-0.41", 2, 2), ("-0.4096", 4, 4), ("0.0400", 3, 4), ("400", 3, 0), ("4e2", 1, 0),
    ("-3.42e-6", 3, 8), ("3e-6", 1, 6), ("1.5e3", 2, 0), ("0", 1, 0), ("0.000", 1, 3),
    ("+2.", 1, 0), (".5", 1, 1), ("\u22120.25", 2, 2),
])
def test_figures_and_places_are_counted_as_written(written: str, figures: int,
                                                    places: int) -> None:
    assert significant_figures(written) == figures
    assert decimal_places(written) == places


@pytest.mark.parametrize("words, meaning", [
    ("3 significant figures", "3 significant figures"), ("1 sig fig", "1 significant figure"),
    ("4 SF", "4 significant figures"), ("2 decimals", "2 decimal places"),
    ("0 dp", "0 decimal places"), (" 3 decimal places ", "3 decimal places"),
])
def test_a_precision_is_read_from_a_teachers_words(words: str, meaning: str) -> None:
    assert str(required(words)) == meaning


@pytest.mark.parametrize("words, reason", [
    ("0 significant figures", "an answer has at least 1 significant figure"),
    ("16 sig figs", "ask for at most 15"), ("three decimals", "is not a precision"),
    ("-2 dp", "is not a precision"), (3, "is not a precision"),
])
def test_a_precision_that_makes_no_sense_is_refused(words: object, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        required(words)


def test_points_make_a_score_and_a_required_precision_refuses_too_few_digits() -> None:
    answers = {"y": "0.59", "dJ/dV1": "-0.41", "dJ/dW11": "-3.42e-6"}  # all right as written
    plain = check(COURSE.build(), answers)
    assert bool(plain) and (plain.score, plain.max_score) == (3.0, 3.0)
    graded = check(COURSE.build(), answers, points={"dJ/dW11": 4, "*": 2},
                   precision="3 significant figures")
    assert [row.correct for row in graded] == [False, False, True]
    assert (graded.score, graded.max_score) == (4.0, 8.0)
    assert graded.rows[1].hint == ("write it with at least 3 significant figures (-0.41 shows 2 "
                                   "significant figures)")
    assert graded.rows[1].required == "3 significant figures"
    assert graded.summary() == "1 of 3 right, 4 of 8 points"
    # Enough digits, then judged as always: to the precision written.
    assert bool(check(COURSE.build(), RIGHT, precision="3 sig figs"))
    wrong = check(COURSE.build(), {**RIGHT, "dJ/dV1": "0.4096"}, precision="3 sig figs")
    assert wrong.rows[1].hint == "the sign is flipped" and wrong.score == 2.0
    # A fraction is exact, so it meets any precision.
    assert bool(check("z = x / 3", {"z": "2/3"}, at={"x": 2.0}, precision="6 dp"))


def test_points_and_precisions_that_make_no_sense_are_refused_naming_the_answer() -> None:
    with pytest.raises(ValueError, match=r"points for 'y': -1 is not a number of points"):
        check(COURSE.build(), RIGHT, points={"y": -1})
    with pytest.raises(ValueError, match=r"points for 'dJ/dq', which is not one of the answers"):
        check(COURSE.build(), RIGHT, points={"dJ/dq": 2})
    with pytest.raises(ValueError, match=r"precision for 'y': '0 sig figs': an answer has at "
                                         r"least 1 significant figure"):
        check(COURSE.build(), RIGHT, precision={"y": "0 sig figs"})
    with pytest.raises(ValueError, match=r"points for 'y': True is not a number of points"):
        check(COURSE.build(), RIGHT, points=True)  # type: ignore[arg-type]


# --- worksheets and the command line ---------------------------------------------------------


def graded_sheet(tmp_path: Path, answers: dict[str, str], extra: str = "") -> Path:
    """The course network's worksheet with these answers, points and a precision."""
    text = worksheet("two-layer-network", answers)
    text = text.replace("[at]", 'precision = "3 significant figures"\n' + extra + "\n[at]", 1)
    text += '\n[points]\n"*" = 1\n"dJ/dW11" = 5\n'
    path = tmp_path / "sheet.toml"
    path.write_text(text)
    return path


# Gradescope's results.json, as its documentation describes it (autograder specifications).
GRADESCOPE_SCHEMA = {
    "type": "object",
    "properties": {
        "score": {"type": "number"},
        "execution_time": {"type": "number"},
        "output": {"type": "string"},
        "output_format": {"enum": ["text", "html", "simple_format", "md", "ansi"]},
        "visibility": {"enum": ["hidden", "after_due_date", "after_published", "visible"]},
        "stdout_visibility": {"enum": ["hidden", "after_due_date", "after_published",
                                       "visible"]},
        "extra_data": {"type": "object"},
        "tests": {"type": "array", "items": {
            "type": "object",
            "properties": {
                "score": {"type": "number"}, "max_score": {"type": "number"},
                "status": {"enum": ["passed", "failed"]},
                "name": {"type": "string"}, "number": {"type": "string"},
                "output": {"type": "string"},
                "output_format": {"enum": ["text", "html", "simple_format", "md", "ansi"]},
                "tags": {"type": "array", "items": {"type": "string"}},
                "visibility": {"enum": ["hidden", "after_due_date", "after_published",
                                        "visible"]},
                "extra_data": {"type": "object"},
            },
            "additionalProperties": False,
        }},
        "leaderboard": {"type": "array"},
    },
    "required": ["tests"],
    "anyOf": [{"required": ["score"]},
              {"properties": {"tests": {"items": {"required": ["score"]}}}}],
    "additionalProperties": False,
}


def test_the_command_writes_gradescopes_results_json(tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    answers = {**{q: "" for q in COURSE.questions}, **RIGHT, "y": "0.59"}
    sheet = graded_sheet(tmp_path, answers)
    results = tmp_path / "results.json"
    done = run("check", str(sheet), "--format", "gradescope", "-o", str(results))
    assert done.returncode == 1 and done.stdout == ""  # not all right
    data = json.loads(results.read_text())
    jsonschema.validate(data, GRADESCOPE_SCHEMA)
    tests = {test["name"]: test for test in data["tests"]}
    assert len(tests) == len(COURSE.questions)
    assert tests["dJ/dW11"] == {"name": "dJ/dW11", "number": "13", "score": 5.0,
                                "max_score": 5.0, "status": "passed", "output": "right",
                                "visibility": "visible"}
    assert tests["y"]["status"] == "failed" and tests["y"]["score"] == 0.0
    assert "at least 3 significant figures" in tests["y"]["output"]
    assert tests["h1"]["output"] == "not answered"
    assert data["score"] == sum(test["score"] for test in data["tests"]) == 6.0
    assert data["output"] == f"2 of {len(tests)} right, 6 of {len(tests) + 4} points"
    # The true value of a wrong answer stays hidden unless the teacher asks.
    assert "0.590378" not in results.read_text()


def test_the_json_report_holds_every_answer_and_reveals_only_when_asked(tmp_path: Path
                                                                         ) -> None:
    sheet = graded_sheet(tmp_path, {**{q: "" for q in COURSE.questions}, **RIGHT,
                                    "J": "0.500"})
    hidden = json.loads(run("check", str(sheet), "--format", "json").stdout)
    assert hidden["worksheet"] == str(sheet) and hidden["all_right"] is False
    rows = {row["name"]: row for row in hidden["answers"]}
    assert rows["dJ/dV1"]["expected"] == pytest.approx(-0.409615, abs=1e-6)  # right: shown
    assert "expected" not in rows["J"] and rows["J"]["hint"] == "not right yet"
    shown = json.loads(run("check", str(sheet), "--format", "json", "--show-answers").stdout)
    assert {row["name"]: row for row in shown["answers"]}["J"]["expected"] == pytest.approx(
        0.527, abs=1e-3)
    assert (hidden["score"], hidden["max_score"]) == (7.0, len(COURSE.questions) + 4.0)


@pytest.mark.parametrize("extra, reason", [
    ('\n[precision]\n"y" = "0 significant figures"', None),  # see below: clashes with the key
    ("", "points for 'dJ/dW11': -5 is not a number of points"),
])
def test_a_worksheet_whose_grading_makes_no_sense_exits_2_naming_file_and_entry(
        tmp_path: Path, extra: str, reason: str | None) -> None:
    answers = {q: "" for q in COURSE.questions}
    text = worksheet("two-layer-network", answers)
    if reason is None:
        text = text.replace("[at]", 'precision = "0 significant figures"\n\n[at]', 1)
        reason = "precision for 'h1': '0 significant figures': an answer has at least 1"
    else:
        text += '\n[points]\n"dJ/dW11" = -5\n'
    sheet = tmp_path / "sheet.toml"
    sheet.write_text(text)
    for form in ("text", "json", "gradescope"):
        results = tmp_path / f"{form}.out"
        done = run("check", str(sheet), "--format", form, "-o", str(results))
        assert done.returncode == 2
        assert done.stderr.startswith(f"autograd-core: error: {sheet}: {reason}"), done.stderr
        if form == "gradescope":  # the student still sees why there is no score
            data: dict[str, Any] = json.loads(results.read_text())
            assert data["score"] == 0.0 and reason in data["output"]
        else:
            assert not results.exists()
    assert check_worksheet  # the API reads the same file the same way
    with pytest.raises(ValueError, match=reason):
        check_worksheet(sheet)
