"""Checking hand-computed answers: precision, hints, reports, explanations."""

from __future__ import annotations

import pytest

from autograd_core import Value, check, explain, parse
from autograd_core.checking.check import written_tolerance

from .test_parse import NETWORK, NETWORK_AT

# The course's hand-worked answers for its two-layer network (x = (5, 3), target 1).
COURSE_ANSWERS = {"y": "0.590378", "J": "0.52699", "dJ/dy": "-1.69383", "dJ/dV1": "-0.41",
                  "dJ/dV2": "-0.30", "dJ/dV3": "-0.41", "dJ/dh1": "-0.04096",
                  "dJ/dh2": "-0.2048", "dJ/dh3": "0.04096", "dJ/dW11": "-3e-6",
                  "dJ/dW21": "-2e-6"}


def test_the_course_answers_are_all_right() -> None:
    report = check(NETWORK, COURSE_ANSWERS, at=NETWORK_AT)
    assert report, str(report)
    assert len(report) == len(COURSE_ANSWERS) and all(row.hint == "" for row in report)


@pytest.mark.parametrize("written, tolerance", [
    ("-0.41", 0.005), ("-3e-6", 5e-7), ("2", 0.5), ("0.30", 0.005), ("1.5E2", 5.0),
    ("0", 0.0), ("-0.000", 0.0005),
])
def test_the_precision_an_answer_was_written_with(written: str, tolerance: float) -> None:
    assert written_tolerance(written) == pytest.approx(tolerance)


@pytest.mark.parametrize("given, right", [
    ("-0.41", True), ("-0.4096", True), ("-0.42", False), ("-0.4", True), (-0.41, True),
    ("\u22120.41", True), ("-41/100", False), ("0.41", False), ("abc", False),
])
def test_answers_are_judged_by_their_written_precision(given: object, right: bool) -> None:
    report = check(NETWORK, {"dJ/dV1": given}, at=NETWORK_AT)
    assert bool(report) is right


def test_a_written_zero_claims_exactly_zero_and_tolerance_overrides() -> None:
    program = "f = z**4 - 4/3*z**3 + 0.001*z"
    assert not check(program, {"df/dz": "0"}, at={"z": 1.0})  # the true value is 0.001
    assert check("f = z**4 - 4/3*z**3", {"df/dz": "0"}, at={"z": 1.0})
    assert check(program, {"df/dz": "0"}, at={"z": 1.0}, tolerance=0.01)
    assert not check(NETWORK, {"dJ/dV1": "-0.41"}, at=NETWORK_AT, tolerance=1e-6)


def test_fractions_are_exact() -> None:
    assert check("f = x / 3", {"df/dx": "1/3", "f": "2/3"}, at={"x": 2.0})
    assert not check("f = x / 3", {"df/dx": "1/4"}, at={"x": 2.0})


def hint(program: str, at: dict[str, float], key: str, given: object) -> str:
    (row,) = check(program, {key: given}, at=at)
    assert not row.correct
    return row.hint


def test_hint_sign_flipped() -> None:
    assert hint(NETWORK, NETWORK_AT, "dJ/dV1", "0.41") == "the sign is flipped"


def test_hint_a_factor_of_the_chain_is_missing() -> None:
    # dJ/dW11 = dJ/dy * dy/dh1 * dh1/dW11; leaving out the last factor gives dJ/dh1.
    assert hint(NETWORK, NETWORK_AT, "dJ/dW11", "-0.04096") == \
        "the factor dh1/dW11 = 8.351e-05 is missing"


def test_hint_a_factor_counted_twice() -> None:
    assert hint("f = sigmoid(w*x)", {"w": 0.5, "x": 2.0}, "df/dw", 2 * 0.19661193 * 2) == \
        "the factor d(w*x)/dw = 2 is counted twice"


def test_hint_the_forward_value_was_used_where_the_derivative_belongs() -> None:
    # sigma(z) in place of sigma'(z) = sigma(z)(1 - sigma(z)) for dy/dh1.
    y = 0.590378
    text = hint(NETWORK, NETWORK_AT, "dJ/dh1", -1.69383 * y * 0.1)
    assert text.startswith("the forward value of y (0.5904) was used where its derivative "
                           "dy/d(V1*h1 + V2*h2 + V3*h3) = 0.2418 belongs")


def test_hint_only_one_path_was_counted() -> None:
    text = hint("f = x*x + x*y", {"x": 3.0, "y": 1.0}, "df/dx", 6)
    assert text == ("only the paths x -> x*x -> f (2 times) counted; x also reaches f along "
                    "x -> x*y -> f: add every path")
    text = hint("f = x*x + x*y", {"x": 3.0, "y": 1.0}, "df/dx", 3)  # x*x differentiated as x
    assert text.startswith("the path x -> x*x -> f counted; x also reaches f along "
                           "x -> x*x -> f; x -> x*y -> f")
    two_named = "a = x * 2\nb = x * 3\nf = a + b"
    assert "the path x -> a -> f counted" in hint(two_named, {"x": 1.0}, "df/dx", 2)


def test_no_hint_fires_on_a_right_answer() -> None:
    report = check("f = x*x + x*y", {"df/dx": 7, "df/dy": 3}, at={"x": 3.0, "y": 1.0})
    assert report and [row.hint for row in report] == ["", ""]


def test_a_wrong_forward_value() -> None:
    assert hint(NETWORK, NETWORK_AT, "y", "-0.590378") == "the sign is flipped"
    assert hint(NETWORK, NETWORK_AT, "y", "0.61") == "expected 0.590378"
    assert check(NETWORK, {"y": "0.6"}, at=NETWORK_AT)  # right to the one decimal written


def test_the_report_prints_as_a_table_and_as_html() -> None:
    report = check(NETWORK, {"dJ/dV1": "-0.41", "dJ/dV2": "0.30"}, at=NETWORK_AT)
    text = str(report)
    assert "dJ/dV1" in text and "right" in text and "WRONG: the sign is flipped" in text
    assert text.endswith("1 of 2 right")
    html = report._repr_html_()
    assert html.startswith("<table>") and html.count("<tr>") == 3
    rows = list(report)
    assert (rows[0].name, rows[0].given, rows[0].written, rows[0].correct) == (
        "dJ/dV1", -0.41, "-0.41", True)


def test_check_a_graph_of_labelled_values() -> None:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    e = a * b
    e.label = "e"
    assert check(e, {"de/da": -3, "de/db": "2", "e": -6})


def test_bad_questions_are_errors_not_wrong_answers() -> None:
    with pytest.raises(ValueError, match="there is no node named 'w33'"):
        check(NETWORK, {"dJ/dw33": "1"}, at=NETWORK_AT)
    with pytest.raises(ValueError, match="`at` gives input values for a program text"):
        check(parse("f = x", x=1.0), {"f": 1}, at={"x": 2.0})
    with pytest.raises(TypeError, match="check needs a program"):
        check(3.0, {"f": 1})  # type: ignore[arg-type]


def test_explain_writes_every_path_as_a_product_then_the_sum() -> None:
    program = parse("a = x * x\nb = x * y\nf = a + b", x=3.0, y=1.0)
    explanation = explain(program.output, program.values["x"])
    text = str(explanation)
    assert text.splitlines()[0] == "df/dx: the chain rule along 2 paths from x to f"
    assert "x -> a -> f:  df/da * da/dx = 1 * 6 = 6" in text
    assert "x -> b -> f:  df/db * db/dx = 1 * 1 = 1" in text
    assert text.endswith("df/dx = sum over the paths = 7")
    markdown = explanation._repr_markdown_()
    assert r"\frac{\partial\,\mathrm{f}}{\partial\,\mathrm{x}} = 7" in markdown


def test_explain_the_course_deep_weight() -> None:
    program = parse(NETWORK, **NETWORK_AT)
    text = str(explain(program.output, program.values["W11"]))
    assert "W11 -> h1 -> y -> J:  dJ/dy * dy/dh1 * dh1/dW11 = -1.694 * 0.02418 * 8.351e-05" \
        in text
    with pytest.raises(TypeError, match="explain needs two Values"):
        explain(program.output, "W11")  # type: ignore[arg-type]


@pytest.mark.parametrize("given", ["inf", "-inf", "nan", "1e400", float("inf"), float("nan")])
def test_non_finite_answers_are_never_right(given: object) -> None:
    (row,) = check("y = 2*x", {"y": given}, at={"x": 1.0})
    assert not row.correct and "finite number" in row.hint


def test_a_node_the_output_does_not_depend_on() -> None:
    program = parse("a = 2*x\nJ = a + 1\nb = 3*x", x=1.0)
    assert check(program, {"dJ/db": "0"})
    assert not check(program, {"dJ/db": "1"})
    explanation = explain(program.values["J"], program.values["b"])
    assert explanation.total_paths == 0 and str(explanation).endswith("dJ/db = 0")


def test_explain_adds_up_to_the_gradient_where_a_derivative_does_not_exist() -> None:
    program = parse("y = step(sqrt(z))", z=0.0)
    assert "nan" not in str(explain(program.output, program.values["z"]))


def test_a_written_zero_allows_float_rounding_noise_only() -> None:
    assert check("y = 0.1*3*x - 0.3*x", {"dy/dx": "0"}, at={"x": 1.0})  # 5.6e-17
    (row,) = check("y = 1e-6*x", {"dy/dx": "0"}, at={"x": 1.0})
    assert not row.correct and row.hint.startswith("it is not 0")
    assert check("y = 0.001*x", {"dy/dx": "0.00"}, at={"x": 1.0})  # a rounded zero: +-0.005


def test_hint_a_value_used_twice() -> None:
    assert hint("y = x*x", {"x": 3.0}, "dy/dx", 3) == (
        "x is used 2 times on the way to y (x -> y); each use sends its own contribution, "
        "and they add up")
