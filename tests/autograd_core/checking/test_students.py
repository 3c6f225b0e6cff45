"""Numbers per student: a worksheet with ranges, each student's own sheet drawn from an ID (the
same every time), degenerate draws refused, the teacher's key, and a sheet whose numbers were
changed refused; from the API and the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograd_core.checking import WorksheetError, check_worksheet, student_worksheet
from autograd_core.checking.exercises import read_worksheet
from autograd_core.checking.students import DrawError, draw_point, range_of
from tests.cli.test_cli import run

TEMPLATE = '''\
exercise = "network-variant"
program = """
h1 = sigmoid(W11*x1 + W21*x2)
h2 = sigmoid(W12*x1 + W22*x2)
y = sigmoid(V1*h1 + V2*h2)
J = -log(y)
"""
precision = "3 significant figures"

[at]
x1 = { low = 1, high = 5, step = 1 }
x2 = { choices = [-2, -1, 1, 2] }
W11 = { low = -1, high = 1, step = 0.5 }
W12 = -1.0
W21 = 2.0
W22 = { low = -1, high = 2, step = 0.5 }
V1 = 0.1
V2 = 0.5

[answers]
"y" = ""
"J" = ""
"dJ/dV1" = ""
"dJ/dW11" = ""

[points]
"*" = 1
"dJ/dW11" = 2
'''


@pytest.fixture()
def template(tmp_path: Path) -> Path:
    path = tmp_path / "template.toml"
    path.write_text(TEMPLATE)
    return path


def _at(sheet: str) -> dict[str, str]:
    block = sheet.split("[at]\n", 1)[1].split("\n\n", 1)[0]
    return dict(line.split(" = ", 1) for line in block.splitlines())


def test_each_student_gets_numbers_of_their_own_the_same_every_time(template: Path) -> None:
    students = ["alice", "bob", "Zoë O'Brien", "12345", "carol"]
    sheets = {s: student_worksheet(template, s) for s in students}
    assert all(student_worksheet(template, s) == sheets[s] for s in students)
    points = {s: tuple(_at(sheet).items()) for s, sheet in sheets.items()}
    assert len(set(points.values())) == len(students)  # all different here
    for sheet in sheets.values():
        at = {name: float(value) for name, value in _at(sheet).items()}
        assert at["x1"] in (1, 2, 3, 4, 5) and at["x2"] in (-2, -1, 1, 2)
        assert at["W11"] in (-1, -0.5, 0, 0.5, 1) and (at["W12"], at["V2"]) == (-1.0, 0.5)
    # The command line draws the same numbers in another process.
    done = run("exercises", "student", str(template), "--student", "Zoë O'Brien")
    assert done.returncode == 0 and done.stdout == sheets["Zoë O'Brien"]


def test_the_key_is_all_right_and_a_blank_sheet_is_checked_at_the_students_numbers(
        template: Path, tmp_path: Path) -> None:
    key = tmp_path / "alice_key.toml"
    key.write_text(student_worksheet(template, "alice", key=True))
    report = check_worksheet(key)
    assert report and (report.score, report.max_score) == (5.0, 5.0)
    blank = tmp_path / "alice.toml"
    blank.write_text(student_worksheet(template, "alice"))
    assert check_worksheet(blank).score == 0.0
    # The teacher's template checked with a student's ID is that student's sheet.
    filled = template.read_text().split("[answers]")[0] + "[answers]\n" + key.read_text(
        ).split("[answers]\n", 1)[1].split("\n\n", 1)[0] + '\n\n[points]\n"*" = 1\n'
    (tmp_path / "filled.toml").write_text(filled)
    assert check_worksheet(tmp_path / "filled.toml", student="alice")
    assert not check_worksheet(tmp_path / "filled.toml", student="bob")


def test_a_sheet_whose_numbers_are_not_the_students_draw_is_refused(template: Path,
                                                                     tmp_path: Path) -> None:
    alice = student_worksheet(template, "alice", key=True)
    path = tmp_path / "sheet.toml"
    path.write_text(alice)
    done = run("check", str(path), "--student", "bob")
    assert done.returncode == 2
    assert "is not the number drawn for student 'bob'" in done.stderr
    x1 = _at(alice)["x1"]
    changed = alice.replace(f"x1 = {x1}", f"x1 = {float(x1) + 100}")
    path.write_text(changed)
    with pytest.raises(WorksheetError, match=r"\[at\] x1 = .* is not the number drawn for "
                                             r"student 'alice'"):
        check_worksheet(path)
    with pytest.raises(WorksheetError, match=r"its inputs are drawn per student: give a "
                                             r"student ID"):
        check_worksheet(template)
    with pytest.raises(WorksheetError, match="its inputs are ranges"):
        read_worksheet(template)


@pytest.mark.parametrize("program, spec, questions, kept", [
    ("z = log(x)", {"choices": [-1, 0, 2]}, ["z", "dz/dx"], {2.0}),  # outside log's domain
    ("r = relu(x) + 2", {"choices": [-1, 1]}, ["r", "dr/dx"], {1.0}),  # a zero derivative
    ("y = x**2", {"choices": [0, 2, 3]}, ["y", "dy/dx"], {3.0}),  # y = dy/dx at 0 and 2
    ("y = exp(x)", {"low": 1, "high": 20, "step": 1}, ["y"], set(range(1, 14))),  # too large
])
def test_degenerate_draws_are_refused(program: str, spec: dict[str, object],
                                      questions: list[str], kept: set[float]) -> None:
    seen = {draw_point(program, {"x": range_of("x", spec)}, questions, f"s{i}")["x"]
            for i in range(60)}
    assert seen <= kept and seen


def test_ranges_that_make_no_sense_or_no_usable_draw_exit_2_naming_file_and_entry(
        tmp_path: Path) -> None:
    cases = {
        "x = { low = 3, high = 1 }": "[at] x: the range is empty (low 3 is above high 1)",
        "x = { low = 1, high = 3, step = 0 }": "[at] x: step must be above 0, got 0",
        "x = { choices = [] }": "[at] x: choices must be a non-empty list of finite numbers",
        "x = { low = 1, top = 3 }": "[at] x: a range has low, high and (optionally) step",
        "x = { choices = [-1, -2] }": "no draw of the ranges in 500 tries gives a usable "
                                      "exercise (the last: an operation is outside its domain",
    }
    for line, reason in cases.items():
        path = tmp_path / "bad.toml"
        path.write_text(f'program = "z = log(x)"\n[at]\n{line}\n[answers]\n"z" = ""\n')
        done = run("exercises", "student", str(path), "--student", "alice")
        assert done.returncode == 2, line
        assert done.stderr.startswith(f"autograd-core: error: {path}: {reason}"), done.stderr
    with pytest.raises(DrawError, match="the range is empty"):
        range_of("x", {"low": 1, "high": 0})
    fixed = tmp_path / "fixed.toml"
    fixed.write_text('program = "z = log(x)"\n[at]\nx = 2\n[answers]\n"z" = ""\n')
    with pytest.raises(WorksheetError, match="every student would get the same numbers"):
        student_worksheet(fixed, "alice")
    with pytest.raises(WorksheetError, match="a student ID must be a non-empty string"):
        student_worksheet(fixed, " ")


# --- found in review ------------------------------------------------------------------------


def test_with_the_teachers_template_nothing_a_student_edits_counts_but_the_answers(
        template: Path, tmp_path: Path) -> None:
    key = student_worksheet(template, "alice", key=True)
    # Tampered: no [ranges], no precision, 50 points each, x1 chosen to suit the answers.
    tampered = key.split("[ranges]")[0].replace('precision = "3 significant figures"\n', "")
    tampered = tampered.replace('"*" = 1\n"dJ/dW11" = 2', '"*" = 50')
    path = tmp_path / "tampered.toml"
    path.write_text(tampered)
    graded = check_worksheet(path, template=template)
    assert graded.max_score == 5.0  # the template's points, not the sheet's 50 each
    assert graded.score == 5.0  # the answers are alice's true ones
    changed = tampered.replace(_at(key)["x1"], str(float(_at(key)["x1"]) + 1), 1)
    path.write_text(changed)
    with pytest.raises(WorksheetError, match=r"x1 = .* is not the number drawn for student "
                                             r"'alice'"):
        check_worksheet(path, template=template)
    done = run("check", str(path), "--template", str(template))
    assert done.returncode == 2 and "is not the number drawn" in done.stderr


def test_a_students_sheet_with_numbers_that_print_alike_is_accepted(tmp_path: Path) -> None:
    template = tmp_path / "template.toml"
    template.write_text('program = "y = x * x"\n[at]\n'
                        "x = { low = 0.25, high = 2, step = 0.333333333 }\n"
                        '[answers]\n"y" = ""\n"dy/dx" = ""\n')
    sheet = tmp_path / "alice.toml"
    sheet.write_text(student_worksheet(template, "alice", key=True))
    assert check_worksheet(sheet)  # its [ranges] give back exactly the number in [at]


def test_a_true_zero_meets_any_precision_and_a_false_one_does_not(tmp_path: Path) -> None:
    from autograd_core import check

    zero = check("r = relu(a * x)", {"r": "0", "dr/dx": "0"}, at={"a": -1.0, "x": 2.0},
                 precision="3 significant figures")
    assert bool(zero)
    small = check("y = x * 0.00001", {"y": "0.00"}, at={"x": 1.0},
                  precision="3 significant figures")
    assert not small and "at least 3 significant figures" in small.rows[0].hint


def test_unquoted_numbers_and_unknown_questions_are_named(tmp_path: Path) -> None:
    path = tmp_path / "sheet.toml"
    path.write_text('program = "y = x * x"\nprecision = "3 sig figs"\n[at]\nx = 2\n'
                    '[answers]\n"y" = 4.00\n')
    with pytest.raises(WorksheetError, match=r"the answer 'y' = 4.0 is a TOML number, which "
                                             r"keeps no trailing zeros: write it in quotes"):
        check_worksheet(path)
    path.write_text('program = "y = x * x"\n[at]\nx = { choices = [1, 2] }\n'
                    '[answers]\n"dy/dq" = ""\n')
    done = run("exercises", "student", str(path), "--student", "alice")
    assert done.returncode == 2
    assert "the question 'dy/dq' names 'q', which the program does not" in done.stderr
    path.write_text('program = "y = x * z"\n[at]\nx = { choices = [1, 2] }\n'
                    '[answers]\n"y" = ""\n')
    done = run("exercises", "student", str(path), "--student", "alice")
    assert done.returncode == 2 and "z" in done.stderr and "no draw" not in done.stderr
    path.write_text('program = "y = x"\n[at]\nx = { low = 0, high = 1, step = 1e-300 }\n'
                    '[answers]\n"y" = ""\n')
    done = run("exercises", "student", str(path), "--student", "alice")
    assert done.returncode == 2 and f"{path}: [at] x: more than 100,000 numbers" in done.stderr


def test_reordering_the_inputs_changes_no_students_numbers(template: Path,
                                                           tmp_path: Path) -> None:
    text = template.read_text()
    lines = text.split("[at]\n", 1)[1].split("\n\n", 1)[0].splitlines()
    reordered = text.replace("\n".join(lines), "\n".join(reversed(lines)))
    other = tmp_path / "reordered.toml"
    other.write_text(reordered)
    assert dict(sorted(_at(student_worksheet(other, "bob")).items())) == dict(
        sorted(_at(student_worksheet(template, "bob")).items()))
