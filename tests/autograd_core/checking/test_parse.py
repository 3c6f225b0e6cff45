"""The expression parser: the course's programs, and a catalogue of input it must refuse."""

from __future__ import annotations

import builtins
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_core import ExpressionError, Program, parse
from autograd_core.checking import EXERCISES
from autograd_core.checking.parse import FUNCTIONS, LIMITS

# The course's two-layer network, from the exercise bank (the demo draws the same one).
NETWORK = EXERCISES["two-layer-network"].program
NETWORK_AT = EXERCISES["two-layer-network"].at


def test_the_course_network_gives_the_course_numbers() -> None:
    program = parse(NETWORK, **NETWORK_AT)
    assert isinstance(program, Program)
    assert program.output is program.values["J"] and program.output.label == "J"
    assert program.values["y"].data == pytest.approx(0.590378, abs=1e-6)
    assert program.output.data == pytest.approx(0.52699, abs=1e-5)
    program.output.backward()
    assert program.values["W11"].grad == pytest.approx(-3.42058e-6, rel=1e-5)
    assert program.inputs == tuple(NETWORK_AT)
    assert all(program.values[name].label == name for name in program.values)


def test_the_course_function_and_its_gradient() -> None:
    program = parse("2/3*x**2 + y**2 - 2*y + z**4 - 4/3*z**3", x=3, y=2, z=1)
    program.output.backward()
    assert [program.values[n].grad for n in "xyz"] == pytest.approx([4.0, 2.0, 0.0])


def test_every_function_can_be_called() -> None:
    calls = " + ".join(f"{name}(x)" for name in FUNCTIONS) + " + leaky_relu(-x, 0.2)"
    program = parse(calls, x=0.5)
    expected = (math.exp(0.5) + math.log(0.5) + math.sqrt(0.5) + math.tanh(0.5)
                + 1 / (1 + math.exp(-0.5)) + 0.5 + 1.0 + math.sin(0.5) + math.cos(0.5) + 0.5
                + 0.5 - 0.1)
    assert program.output.data == pytest.approx(expected)


def test_the_output_can_be_named_and_names_are_kept() -> None:
    program = parse("a = x * 2\nb = a + 1\nc = b * b", output="b", x=1.0)
    assert program.output.label == "b" and program.output.data == 3.0
    with pytest.raises(ExpressionError, match="there is no 'z' in the program"):
        parse("a = x", output="z", x=1.0)


def test_assigning_a_name_to_a_name_makes_a_node_of_its_own() -> None:
    program = parse("b = x\nc = b * 2", x=3.0)
    assert program.values["b"] is not program.values["x"]
    assert program.values["x"].label == "x" and program.values["b"].label == "b"


HOSTILE = [
    ("x.__class__", "line 1, column 1: not allowed here: attribute access"),
    ("__import__('os').system('touch /tmp/pwned')", "only named functions can be called"),
    ("__import__('os')", "unknown function '__import__'"),
    ("x[0]", "not allowed here: subscripts"),
    ("lambda: 1", "not allowed here: lambdas"),
    ("'abc'", "not allowed here: a string"),
    ("b'abc'", "not allowed here: bytes"),
    ("f'{x}'", "not allowed here: strings"),
    ("exp(x, y=1)", "exp\\(\\) takes plain positional arguments only"),
    ("exp(*x)", "exp\\(\\) takes plain positional arguments only"),
    ("eval('1')", "unknown function 'eval'"),
    ("(lambda: 1)()", "only named functions can be called"),
    ("foo(x)", "unknown function 'foo'"),
    ("1e999", "this number is too large for a float"),
    ("1" + "0" * 400, "this number is too large for a float"),
    ("1j", "not allowed here: complex"),
    ("True", "not allowed here: bool"),
    ("x if x else 1", "not allowed here: conditional expressions"),
    ("[i for i in x]", "not allowed here: comprehensions"),
    ("import os", "each line must be an expression or `name = expression`"),
    ("del x", "each line must be an expression"),
    ("a = b = x", "each line must be an expression"),
    ("a += x", "each line must be an expression"),
    ("def f(): pass", "each line must be an expression"),
    ("x == 2", "not allowed here: comparisons"),
    ("x and 1", "not allowed here: and/or"),
    ("x % 2", "not allowed here: this operator"),
    ("not x", "not allowed here: this unary operator"),
    ("(x, 1)", "not allowed here: tuples"),
    ("unknown + 1", "unknown name 'unknown' \\(known names: x\\)"),
    ("exp = x", "'exp' is a function and cannot be assigned"),
    ("x = 2", "'x' is an input"),
    ("a = x\na = x", "'a' is already assigned on line 1"),
    ("abs(x, 1)", "abs\\(\\) takes 1 argument, got 2"),
    ("leaky_relu()", "leaky_relu\\(\\) takes 1 or 2 arguments, got 0"),
    ("x +", "not a valid expression"),
    ("log(-x)", "line 1, column 1: log\\(-1\\): log needs x > 0"),
    ("10 ** 400", "pow\\(10, 400\\): the result overflows a float"),
    ("x\x00", "the program could not be parsed|not a valid expression"),
    ("(" * 60 + "x" + ")" * 60, "brackets are nested more than 50 deep"),
    ("-" * 5000 + "x", "nested"),
    ("x" + "+x" * 600, "expression nested more than 500 deep"),
    ("y = x; z = y", "one statement per line"),
    ("\r".join(f"a{i} = x" for i in range(LIMITS["lines"] + 1)), "more than 500 lines"),
    ("\n".join(f"a{i} = x" for i in range(LIMITS["lines"] + 1)), "more than 500 lines"),
    ("x" * (LIMITS["characters"] + 1), "characters long; the limit is 10000"),
    ("\n".join(f"a{i} = x*x*x*x*x*x*x*x*x*x*x" for i in range(200)), "more than 2000 numbers"),
    ("", "the program is empty"),
]


@pytest.mark.parametrize("text, message", HOSTILE)
def test_hostile_input_is_refused_with_the_place_and_the_reason(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        parse(text, x=1.0)


def test_errors_point_at_the_line_and_column() -> None:
    with pytest.raises(ExpressionError) as caught:
        parse("a = x * 2\nb = a + x.real", x=1.0)
    assert (caught.value.line, caught.value.column) == (2, 8)
    assert str(caught.value).endswith("b = a + x.real\n            ^")
    assert isinstance(caught.value, ValueError)


def test_nothing_is_ever_evaluated(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("eval/exec must not be used")

    # (ast.parse calls compile() with PyCF_ONLY_AST: that builds a syntax tree, never code.)
    for name in ("eval", "exec"):
        monkeypatch.setattr(builtins, name, forbidden)
    assert parse("y = exp(x) * 2", x=0.0).output.data == 2.0
    with pytest.raises(ExpressionError):
        parse("__import__('os').system('touch /tmp/autograd-core-pwned')", x=1.0)
    assert not Path("/tmp/autograd-core-pwned").exists()


def test_inputs_must_not_be_function_names() -> None:
    with pytest.raises(ExpressionError, match="'exp' is a function; it cannot be an input"):
        parse("exp + 1", exp=1.0)
    with pytest.raises(TypeError, match="parse needs the program as a str, got bytes"):
        parse(b"x")  # type: ignore[arg-type]


TOKENS = ["x", "y", "1", "2.5", "1e3", "+", "-", "*", "/", "**", "(", ")", "exp(", "log(",
          "sigmoid(", "relu(", ",", " ", "\n", "=", "a", "b", ".", "[", "]", "'", "lambda",
          ":", "%", "not", "if", "else", "__import__", "0x1F", "1_000", "#", "\\"]


@settings(max_examples=500)
@given(st.lists(st.sampled_from(TOKENS), max_size=40).map("".join))
def test_fuzzed_token_soup_is_parsed_or_refused_cleanly(text: str) -> None:
    try:
        program = parse(text, x=0.5, y=-1.5)
    except ExpressionError:
        return
    assert isinstance(program, Program) and math.isfinite(program.output.data)


@settings(max_examples=300)
@given(st.text(max_size=200))
def test_fuzzed_text_is_parsed_or_refused_cleanly(text: str) -> None:
    try:
        parse(text, x=0.5)
    except ExpressionError:
        pass


def test_arithmetic_on_numbers_alone_stays_a_constant() -> None:
    program = parse("y = x**(1+1) + 2/3*x + exp(0)", x=-2.0)
    program.output.backward()
    assert program.values["x"].grad == pytest.approx(-4 + 2 / 3)  # x**2 at a negative x
    two_thirds = program.output.parents[0].parents[1].parents[0]
    assert two_thirds.is_constant and two_thirds.data == pytest.approx(2 / 3)
    assert parse("2 + 3").output.data == 5.0


def test_columns_count_characters_not_bytes() -> None:
    with pytest.raises(ExpressionError) as caught:
        parse("\u03c3 = x + x.real", x=1.0)  # a Greek letter is two bytes in UTF-8
    assert caught.value.column == 8
    assert str(caught.value).endswith("\u03c3 = x + x.real\n            ^")


def test_a_long_flat_sum_is_fine() -> None:
    assert parse("x" + "+x" * 400, x=1.0).output.data == 401.0
