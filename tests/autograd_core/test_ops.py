"""Every op-table entry, checked the same way: forward against `math`, the first derivative
against central differences, the second derivative (create_graph) against finite differences
of the first. Adding an op to the table without a spec here fails `test_every_op_has_a_spec`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd_core import OPS, Value, apply, grad

Strategy = st.SearchStrategy[float]


def floats(lo: float, hi: float) -> Strategy:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


any_x = floats(-4, 4)
positive = floats(0.05, 4)
# Kinks (relu, abs, step at 0) are where a derivative does not exist: test away from them.
off_kink = any_x.filter(lambda x: abs(x) > 1e-3)
divisor = floats(-4, 4).filter(lambda x: abs(x) > 0.1)


@dataclass(frozen=True)
class Spec:
    """How to test one op: a strategy for its inputs, the reference forward, constant inputs."""

    inputs: st.SearchStrategy[tuple[float, ...]]
    reference: Callable[..., float]
    constants: tuple[int, ...] = field(default=())  # inputs that get no gradient by design


def each(*strategies: Strategy) -> st.SearchStrategy[tuple[float, ...]]:
    return st.tuples(*strategies)


integer_valued = st.integers(-3, 3).map(float)
negative = floats(-4, -0.05)


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


SPECS: dict[str, Spec] = {
    "add": Spec(each(any_x, any_x), lambda a, b: a + b),
    "sub": Spec(each(any_x, any_x), lambda a, b: a - b),
    "mul": Spec(each(any_x, any_x), lambda a, b: a * b),
    "div": Spec(each(any_x, divisor), lambda a, b: a / b),
    "neg": Spec(each(any_x), lambda a: -a),
    # Any exponent of a positive base; integer exponents of a negative base.
    "pow": Spec(each(positive, floats(-3, 3)) | each(negative, integer_valued),
                lambda x, n: x**n, constants=(1,)),
    "pow_value": Spec(each(positive, floats(-3, 3)), lambda x, n: x**n),
    "abs": Spec(each(off_kink), abs),
    "exp": Spec(each(any_x), math.exp),
    "log": Spec(each(positive), math.log),
    "sqrt": Spec(each(positive), math.sqrt),
    "sin": Spec(each(any_x), math.sin),
    "cos": Spec(each(any_x), math.cos),
    "tanh": Spec(each(any_x), math.tanh),
    "sigmoid": Spec(each(any_x), _sigmoid),
    "relu": Spec(each(off_kink), lambda x: max(0.0, x)),
    "leaky_relu": Spec(each(off_kink, floats(0, 0.5)), lambda x, s: max(x, 0.0) + s * min(x, 0.0)),
    "step": Spec(each(off_kink), lambda x: float(x > 0)),
    "sum": Spec(each(*[any_x] * 3), lambda *xs: xs[0] + xs[1] + xs[2]),
    "dot": Spec(each(*[any_x] * 6), lambda w1, w2, w3, x1, x2, x3: w1 * x1 + w2 * x2 + w3 * x3),
    "logsumexp": Spec(each(*[any_x] * 3), lambda *xs: math.log(sum(map(math.exp, xs)))),
    # Away from ties, where max has no derivative (test_max_gives_a_tie_to_the_first).
    "max": Spec(each(*[any_x] * 3).filter(
        lambda xs: min(abs(a - b) for i, a in enumerate(xs) for b in xs[i + 1:]) > 1e-3), max),
}

OP_NAMES = list(OPS)


def draw_inputs(data: st.DataObject, name: str) -> list[float]:
    return list(data.draw(SPECS[name].inputs, label="inputs"))


def local_grads(name: str, xs: list[float]) -> list[float]:
    """d(out)/d(input) from the float VJP; an input that gets nothing has derivative 0."""
    op = OPS[name]
    return [0.0 if g is None else g for g in op.vjp(1.0, tuple(xs), op.forward(*xs))]


def central_difference(f: Callable[[list[float]], float], xs: list[float], i: int,
                       eps: float) -> float:
    h = eps * max(1.0, abs(xs[i]))
    above, below = list(xs), list(xs)
    above[i] += h
    below[i] -= h
    return (f(above) - f(below)) / (above[i] - below[i])


def test_every_op_has_a_spec() -> None:
    assert set(SPECS) == set(OPS)


def test_ops_are_presented_with_name_symbol_and_formula() -> None:
    for name, op in OPS.items():
        assert op.name == name
        assert op.symbol and op.formula


@pytest.mark.parametrize("name", OP_NAMES)
@given(data=st.data())
def test_forward_matches_math(name: str, data: st.DataObject) -> None:
    xs = draw_inputs(data, name)
    assert OPS[name].arity in (None, len(xs))
    # pow's exponent is a number (a Value exponent is pow_value's, which sends it a gradient).
    operands = [Value(x) if not (name == "pow" and i == 1) else x for i, x in enumerate(xs)]
    out = apply(name, *operands)
    assert out.data == pytest.approx(SPECS[name].reference(*xs), rel=1e-12, abs=1e-300)
    assert out.op == name


@pytest.mark.parametrize("name", OP_NAMES)
@given(data=st.data())
def test_first_derivative_matches_central_differences(name: str, data: st.DataObject) -> None:
    xs = draw_inputs(data, name)
    analytic = local_grads(name, xs)
    op = OPS[name]
    for i in range(len(xs)):
        if i in SPECS[name].constants:
            continue
        numeric = central_difference(lambda v: op.forward(*v), xs, i, eps=1e-6)
        assert analytic[i] == pytest.approx(numeric, rel=1e-5, abs=1e-6), f"d/d input {i}"


@pytest.mark.parametrize("name", OP_NAMES)
@given(data=st.data())
def test_second_derivative_through_create_graph(name: str, data: st.DataObject) -> None:
    xs = draw_inputs(data, name)
    spec = SPECS[name]
    leaves = [x if i in spec.constants else Value(x) for i, x in enumerate(xs)]
    out = apply(name, *leaves)
    variables = [i for i in range(len(xs)) if i not in spec.constants]
    for i in variables:
        first = grad(out, leaves[i], create_graph=True)
        assert isinstance(first, Value)
        assert first.data == pytest.approx(local_grads(name, xs)[i], rel=1e-12, abs=1e-12)
        for j in variables:
            second = grad(first, leaves[j])
            numeric = central_difference(lambda v, i=i: local_grads(name, v)[i], xs, j, eps=1e-5)
            assert second == pytest.approx(numeric, rel=1e-4, abs=1e-5), f"d2/d{i}d{j}"


def test_local_derivative_is_the_vjp_with_unit_gradient() -> None:
    # Diagrams show d(out)/d(in); it must be what the VJP sends for an output gradient of 1.
    assert local_grads("mul", [3.0, -2.0]) == [-2.0, 3.0]
    assert local_grads("div", [1.0, 4.0]) == [0.25, -1 / 16]
    assert local_grads("pow", [-2.0, 3.0]) == [12.0, 0.0]


def test_max_gives_a_tie_to_the_first() -> None:
    a, b, c = Value(2.0), Value(5.0), Value(5.0)
    m = apply("max", a, b, c)
    m.backward()
    assert (m.data, a.grad, b.grad, c.grad) == (5.0, 0.0, 1.0, 0.0)


@pytest.mark.parametrize("numbers", [[1.0, math.nan], [math.nan, 1.0], [1.0, math.nan, 3.0],
                                     [2.0, 2.0, math.nan]])
def test_a_nan_is_the_largest_as_in_numpy_and_pytorch(numbers: list[float]) -> None:
    values = [Value(x) for x in numbers]
    m = apply("max", *values)
    m.backward()
    assert math.isnan(m.data)
    first_nan = next(i for i, x in enumerate(numbers) if math.isnan(x))
    assert [v.grad for v in values] == [float(i == first_nan) for i in range(len(numbers))]


def test_max_of_a_changed_input_says_so() -> None:
    a, b = Value(1.0), Value(5.0)
    m = apply("max", a, b)
    b.data = 2.0
    with pytest.raises(ValueError, match="none of the inputs: an input's data changed after the "
                                         "forward pass"):
        m.backward()
