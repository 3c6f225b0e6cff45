"""The Value class: construction, operators, constants, comparisons, no_grad, scope, errors."""

from __future__ import annotations

import asyncio
import math
import pickle
import threading
from fractions import Fraction

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Constant, OpError, Value, no_grad, scope


def test_a_new_value_is_a_leaf_with_zero_grad() -> None:
    v = Value(3, label="x")
    assert (v.data, v.grad, v.label, v.op, v.parents, v.scope) == (3.0, 0.0, "x", "", (), "")
    assert type(v.data) is float


@pytest.mark.parametrize("number", [2, 2.5, np.float64(1.5), np.int64(7), np.float32(0.5),
                                    Fraction(1, 4), -0.0])
def test_values_accept_real_numbers(number: object) -> None:
    assert Value(number).data == float(number)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad, type_name", [("abc", "str"), (None, "NoneType"), ([1.0], "list"),
                                            (1j, "complex"), (True, "bool"),
                                            (np.array([1.0, 2.0]), "ndarray")])
def test_values_refuse_non_numbers_naming_the_type(bad: object, type_name: str) -> None:
    with pytest.raises(TypeError, match=f"got {type_name}"):
        Value(bad)  # type: ignore[arg-type]


def test_a_value_of_a_value_says_how_to_get_the_number() -> None:
    with pytest.raises(TypeError, match=r"\.data or \.detach\(\)"):
        Value(Value(1.0))  # type: ignore[arg-type]


def test_a_huge_integer_is_refused_with_overflow() -> None:
    with pytest.raises(OverflowError, match="too large"):
        Value(10**400)


def test_operators_with_numbers_on_either_side() -> None:
    x = Value(3.0)
    cases = {
        "x + 2": (x + 2, 5.0, "add"), "2 + x": (2 + x, 5.0, "add"),
        "x - 2": (x - 2, 1.0, "sub"), "2 - x": (2 - x, -1.0, "sub"),
        "x * 2": (x * 2, 6.0, "mul"), "2 * x": (2 * x, 6.0, "mul"),
        "x / 2": (x / 2, 1.5, "div"), "6 / x": (6 / x, 2.0, "div"),
        "x ** 2": (x**2, 9.0, "pow"), "2 ** x": (2**x, 8.0, "pow_value"),
        "x ** x": (x**x, 27.0, "pow_value"), "-x": (-x, -3.0, "neg"),
        "abs(-x)": (abs(-x), 3.0, "abs"),
    }
    for text, (result, data, op) in cases.items():
        assert (result.data, result.op) == (data, op), text


def test_subtraction_division_and_negation_are_ops_of_their_own() -> None:
    a, b = Value(1.0), Value(2.0)
    assert (a - b).op == "sub" and (a - b).parents == (a, b)
    assert (a / b).op == "div" and (a / b).parents == (a, b)
    assert (-a).op == "neg" and (-a).parents == (a,)


def test_numbers_in_an_expression_become_constant_leaves() -> None:
    x = Value(3.0)
    y = 2 * x
    constant, parent = y.parents
    assert isinstance(constant, Constant) and constant.is_constant and constant.data == 2.0
    assert parent is x and not x.is_constant
    assert constant.parents == () and constant.op == ""


def test_methods_compute_their_functions() -> None:
    x = Value(0.5)
    assert x.exp().data == math.exp(0.5)
    assert x.log().data == math.log(0.5)
    assert x.sqrt().data == math.sqrt(0.5)
    assert x.tanh().data == math.tanh(0.5)
    assert x.sigmoid().data == pytest.approx(1 / (1 + math.exp(-0.5)))
    assert x.sin().data == math.sin(0.5) and x.cos().data == math.cos(0.5)
    assert (x.relu().data, (-x).relu().data) == (0.5, 0.0)
    assert ((-x).leaky_relu().data, (-x).leaky_relu(0.2).data) == (-0.005, -0.1)
    assert (x.step().data, (-x).step().data, Value(0.0).step().data) == (1.0, 0.0, 0.0)


def test_numpy_scalars_on_the_left_build_a_graph() -> None:
    y = np.float64(2.0) * Value(3.0)
    assert isinstance(y, Value) and y.data == 6.0 and y.op == "mul"


def test_comparisons_look_at_data_and_equality_at_identity() -> None:
    a, b = Value(1.0), Value(1.0)
    assert a <= b and a >= b and not a < b and not a > b
    assert a < 2 and a > 0.5 and a >= 1
    assert a != b and a == a
    assert len({a, b}) == 2
    assert float(a) == 1.0


def test_comparing_with_a_non_number_names_the_type() -> None:
    with pytest.raises(TypeError, match="got str"):
        Value(1.0) < "2"  # type: ignore[operator]  # noqa: B015


def test_operators_refuse_non_numbers_naming_the_op_and_type() -> None:
    with pytest.raises(TypeError, match=r"add: an operand .* got str"):
        Value(1.0) + "x"  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"mul: an operand .* got list"):
        [1.0] * Value(2.0)  # type: ignore[operator]


def test_repr_is_short_and_shows_data_grad_and_label() -> None:
    v = Value(0.5, label="w1")
    v.grad = -1.25
    assert repr(v) == "Value(data=0.5, grad=-1.25, label='w1')"
    assert repr(Value(2.0)) == "Value(data=2, grad=0)"
    assert repr(Value(1.0) * 2).startswith("Value(")


def test_operators_are_named_methods_that_pickle_bound() -> None:
    v = Value(3.0)
    assert (Value.__rmul__.__name__, Value.__rmul__.__qualname__) == ("__rmul__", "Value.__rmul__")
    assert "OPS['mul']" in (Value.__mul__.__doc__ or "")
    assert v.__sub__(other=1).data == 2.0  # type: ignore[call-arg]  # mypy sees a Callable
    # multiprocessing sends a bound method such as v.__mul__ by pickling it
    assert pickle.loads(pickle.dumps(v.__mul__))(2).data == 6.0
    assert pickle.loads(pickle.dumps(Value.__rtruediv__))(v, 6).data == 2.0


def test_detach_cuts_the_graph_and_keeps_data_and_label() -> None:
    x = Value(2.0, label="x")
    y = (x * x).detach()
    assert (y.data, y.parents, y.op) == (4.0, (), "")
    z = y * x
    z.backward()
    assert x.grad == 4.0  # only the direct path: y is a leaf


def test_no_grad_records_nothing_and_restores_on_exit() -> None:
    x = Value(2.0)
    with no_grad():
        y = x * x + 1
        assert y.parents == () and y.op == ""
    assert (x * x).parents == (x, x)


def test_no_grad_is_restored_after_an_exception() -> None:
    with pytest.raises(RuntimeError), no_grad():
        raise RuntimeError
    assert (Value(1.0) + 1).op == "add"


def test_no_grad_works_as_a_decorator() -> None:
    @no_grad()
    def square(v: Value) -> Value:
        return v * v

    assert square(Value(3.0)).parents == ()


def test_no_grad_in_one_thread_does_not_leak_into_another() -> None:
    seen: dict[str, str] = {}
    inside, checked = threading.Event(), threading.Event()

    def quiet() -> None:
        with no_grad():
            inside.set()
            checked.wait(5)
            seen["quiet"] = (Value(1.0) + 1).op

    thread = threading.Thread(target=quiet)
    thread.start()
    inside.wait(5)
    seen["main"] = (Value(1.0) + 1).op  # while the other thread is inside no_grad
    checked.set()
    thread.join(5)
    assert seen == {"main": "add", "quiet": ""}


def test_no_grad_in_one_task_does_not_leak_into_another() -> None:
    async def quiet() -> str:
        with no_grad():
            await asyncio.sleep(0.01)
            return (Value(1.0) + 1).op

    async def loud() -> str:
        await asyncio.sleep(0.005)  # runs while `quiet` is suspended inside no_grad
        return (Value(1.0) + 1).op

    async def both() -> list[str]:
        return list(await asyncio.gather(quiet(), loud()))

    assert asyncio.run(both()) == ["", "add"]


def test_scope_names_nodes_made_inside_it() -> None:
    x = Value(1.0)
    with scope("layers.0"):
        with scope("neurons.1"):
            y = x * 2
        z = y + 1
    assert (y.scope, z.scope, (z * 1).scope) == ("layers.0/neurons.1", "layers.0", "")


def test_sum_and_dot_are_single_nodes() -> None:
    xs = [Value(float(i)) for i in range(1, 5)]
    ws = [Value(0.5) for _ in xs]
    s = ag.sum(xs)
    d = ag.dot(ws, xs)
    assert (s.op, s.data, s.parents) == ("sum", 10.0, tuple(xs))
    assert (d.op, d.data, d.parents) == ("dot", 5.0, (*ws, *xs))
    assert ag.sum([]).data == 0.0 and ag.dot([], []).data == 0.0
    assert ag.sum([1, xs[0]]).parents[0].is_constant


def test_dot_refuses_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="dot: 2 weights but 3 inputs"):
        ag.dot([1.0, 2.0], [Value(1.0)] * 3)


def test_apply_refuses_the_wrong_number_of_operands() -> None:
    with pytest.raises(TypeError, match="mul takes 2 operand"):
        ag.apply("mul", Value(1.0))
    with pytest.raises(TypeError, match="sum needs at least one operand"):
        ag.apply("sum")
    with pytest.raises(TypeError, match="dot needs as many weights as inputs, got 3 operands"):
        ag.apply("dot", Value(1.0), Value(2.0), Value(3.0))


def test_star_import_leaves_the_builtin_sum_alone() -> None:
    namespace: dict[str, object] = {}
    exec("from autograd_core import *\nresult = sum(range(3))", namespace)
    assert namespace["result"] == 3 and "Value" in namespace


def test_a_value_slope_of_leaky_relu_gets_its_gradient() -> None:
    x, slope = Value(-2.0), Value(0.1)
    y = x.leaky_relu(slope)
    y.backward()
    assert (y.data, x.grad, slope.grad) == (-0.2, 0.1, -2.0)


# --- Bad input: clear errors, never a complex number, never a silent NaN --------------------

@pytest.mark.parametrize("make, message", [
    (lambda: Value(-2.0, label="x").log(), r"log\(x=-2\): log needs x > 0"),
    (lambda: Value(0.0).log(), r"log\(0\): log needs x > 0"),
    (lambda: Value(-1.0).sqrt(), r"sqrt\(-1\): sqrt needs x >= 0"),
    (lambda: Value(1.0, label="a") / Value(0.0, label="b"), r"div\(a=1, b=0\): division by zero"),
    (lambda: 1 / Value(0.0), r"div\(1, 0\): division by zero"),
    (lambda: Value(-8.0) ** (1 / 3), r"pow\(-8, 0.333333\): a negative base needs an integer"),
    (lambda: Value(-8.0) ** Value(0.5), r"pow_value\(-8, 0.5\): a negative base"),
    (lambda: Value(0.0) ** -1, r"pow\(0, -1\)"),
    (lambda: Value(1000.0).exp(), r"exp\(1000\): the result overflows a float"),
    (lambda: Value(1e308) * 10, r"mul\(1e\+308, 10\): the result overflows a float"),
    (lambda: Value(1e308) + Value(1e308), r"add\(1e\+308, 1e\+308\): the result overflows"),
    (lambda: Value(10.0) ** 400, r"pow\(10, 400\): the result overflows a float"),
    (lambda: Value(1e200).sin(), None),  # finite: must not raise
])
def test_domain_errors_and_overflow_name_the_op_and_operands(make, message) -> None:  # type: ignore[no-untyped-def]
    if message is None:
        assert math.isfinite(make().data)
        return
    with pytest.raises(OpError, match=message) as caught:
        make()
    assert isinstance(caught.value, ArithmeticError) and isinstance(caught.value, ValueError)


def test_integer_powers_of_negative_numbers_are_real() -> None:
    assert (Value(-2.0) ** 3).data == -8.0
    assert (Value(-2.0) ** -2).data == 0.25
    assert type((Value(-2.0) ** 2.0).data) is float


@pytest.mark.parametrize("x", [-1000.0, -50.0, 0.0, 50.0, 1000.0, 1e300, -1e300])
def test_tanh_and_sigmoid_are_stable_for_any_finite_input(x: float) -> None:
    v = Value(x)
    t, s = v.tanh(), v.sigmoid()
    assert -1.0 <= t.data <= 1.0 and 0.0 <= s.data <= 1.0
    t.backward()
    s.backward()
    assert math.isfinite(v.grad)


def test_infinite_input_is_the_users_and_propagates() -> None:
    # Only NaN/inf created from finite inputs is refused; a user's inf flows as in PyTorch.
    x = Value(math.inf)
    assert (x + 1).data == math.inf
    assert math.isnan((x - x).data)
