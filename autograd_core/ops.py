"""The op table: every operation the engine knows, each defined exactly once.

An entry gives the op's name and symbol, its arity, its forward rule on plain numbers and its
vector-Jacobian product (VJP). A VJP receives the gradient that reached the op's output
(`out_grad`), the op's inputs and its output, and returns one gradient contribution per input
(`None` where an input gets nothing: a constant exponent, a step's flat derivative).

VJPs use plain arithmetic and the helpers of `autograd_core.dispatch`, so one rule serves
floats (ordinary backward), Values (`create_graph=True`: gradients that can be differentiated
again) and numpy arrays (batched replay). The local derivative d(out)/d(input) that diagrams and
explanations show is the same VJP called with `out_grad = 1`.

Forward rules are `math` functions, picked for the scalar path's speed; where one would not work
on numpy arrays, `array_forward` gives the same rule written with the dispatching helpers.

>>> OPS["mul"].vjp(1.0, (3.0, 4.0), 12.0)
(4.0, 3.0)
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .dispatch import _numpy, cos, exp, log, logistic, sigmoid, sign, sin, sqrt, step, tanh, xlogy

__all__ = ["Op", "OPS", "OpError", "describe_call", "failure_reason"]

Grads = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Op:
    """One operation: how to compute it and how its gradient flows back."""

    name: str
    symbol: str  # what graphs and explanations show
    arity: int | None  # None: any number of inputs (sum, dot)
    forward: Callable[..., float]
    vjp: Callable[[Any, Sequence[Any], Any], Grads]
    formula: str  # the forward formula and its derivatives, in plain text
    domain: str = ""  # which inputs are valid, for error messages
    # The forward rule on numpy arrays, where `forward` (written with math) does not work on
    # them; None when it does (operator.add and friends).
    array_forward: Callable[..., Any] | None = None


class OpError(ValueError, ArithmeticError):
    """An op was given inputs outside its domain, overflowed, or its derivative failed.

    It is both a ValueError (like `math.log(-1)`) and an ArithmeticError (like `1 / 0`), so
    code that catches either keeps working. The message names the op, the operands and their
    labels.
    """


def describe_call(op: Op, operands: Sequence[Any], result_label: str = "") -> str:
    """Render `y = log(x=-2)`: the op applied to its operands, with labels where there are any."""
    parts = []
    for operand in operands:
        label = getattr(operand, "label", "")
        data = getattr(operand, "data", operand)
        parts.append(f"{label}={data:.6g}" if label else f"{data:.6g}")
    call = f"{op.name}({', '.join(parts)})"
    return f"{result_label} = {call}" if result_label else call


def failure_reason(op: Op, exc: Exception, backward: bool = False) -> str:
    """Why an op's forward rule (or, with `backward`, its VJP) raised `exc`, in words."""
    if isinstance(exc, OpError):  # an op inside a higher-order gradient: its own message
        return str(exc)
    what = "the derivative" if backward else "the result"
    if isinstance(exc, OverflowError):
        return f"{what} overflows a float"
    if isinstance(exc, ZeroDivisionError):
        return "the derivative is infinite here" if backward else "division by zero"
    return op.domain or str(exc)


OPS: dict[str, Op] = {}


def _register(op: Op) -> None:
    OPS[op.name] = op


# --- Arithmetic -------------------------------------------------------------------------------

_register(Op("add", "+", 2, operator.add, lambda g, inputs, out: (g, g),
             "a + b; d/da = 1, d/db = 1"))
_register(Op("sub", "-", 2, operator.sub, lambda g, inputs, out: (g, -g),
             "a - b; d/da = 1, d/db = -1"))


def _mul_vjp(g: Any, inputs: Sequence[Any], out: Any) -> Grads:
    a, b = inputs
    return g * b, g * a


_register(Op("mul", "*", 2, operator.mul, _mul_vjp, "a * b; d/da = b, d/db = a"))


def _div_vjp(g: Any, inputs: Sequence[Any], out: Any) -> Grads:
    b = inputs[1]
    return g / b, -g * out / b  # d/db = -a / b**2 = -out / b


_register(Op("div", "/", 2, operator.truediv, _div_vjp, "a / b; d/da = 1/b, d/db = -a/b**2",
             domain="the divisor must not be 0"))
_register(Op("neg", "-", 1, operator.neg, lambda g, inputs, out: (-g,), "-a; d/da = -1"))


def _pow_vjp(g: Any, inputs: Sequence[Any], out: Any) -> Grads:
    x, n = inputs
    # The exponent is a constant (a number in the expression), so it gets no gradient; this is
    # what lets x ** 2 be differentiated at negative x, where log(x) does not exist.
    if n == 0:  # x ** 0 is constant; n * x ** -1 would divide by zero at x = 0
        return None, None
    return g * n * x ** (n - 1), None


_register(Op("pow", "**", 2, math.pow, _pow_vjp, "x ** n for a number n; d/dx = n * x**(n-1)",
             domain="a negative base needs an integer exponent, and 0 a non-negative one",
             array_forward=operator.pow))


def _pow_value_vjp(g: Any, inputs: Sequence[Any], out: Any) -> Grads:
    x, n = inputs
    return g * n * x ** (n - 1), g * xlogy(out, x)  # x**y log(x), which is 0 at x = 0


_register(Op("pow_value", "**", 2, math.pow, _pow_value_vjp,
             "x ** y for a Value y; d/dx = y * x**(y-1), d/dy = x**y * log(x)",
             domain="a negative base needs an integer exponent, 0 a non-negative one, "
                    "and the derivative with respect to the exponent needs a positive base",
             array_forward=operator.pow))
_register(Op("abs", "abs", 1, math.fabs, lambda g, inputs, out: (g * sign(inputs[0]),),
             "|x|; d/dx = sign(x) (0 at x = 0)", array_forward=abs))

# --- Elementary functions ---------------------------------------------------------------------

_register(Op("exp", "exp", 1, math.exp, lambda g, inputs, out: (g * out,),
             "e**x; d/dx = e**x", array_forward=exp))
_register(Op("log", "log", 1, math.log, lambda g, inputs, out: (g / inputs[0],),
             "ln(x); d/dx = 1/x", domain="log needs x > 0", array_forward=log))
_register(Op("sqrt", "sqrt", 1, math.sqrt, lambda g, inputs, out: (g / (2 * out),),
             "sqrt(x); d/dx = 1 / (2 sqrt(x))",
             domain="sqrt needs x >= 0, and its derivative x > 0", array_forward=sqrt))
_register(Op("sin", "sin", 1, math.sin, lambda g, inputs, out: (g * cos(inputs[0]),),
             "sin(x); d/dx = cos(x)", array_forward=sin))
_register(Op("cos", "cos", 1, math.cos, lambda g, inputs, out: (-g * sin(inputs[0]),),
             "cos(x); d/dx = -sin(x)", array_forward=cos))

# --- Activation functions ---------------------------------------------------------------------

_register(Op("tanh", "tanh", 1, math.tanh, lambda g, inputs, out: (g * (1 - out * out),),
             "tanh(x); d/dx = 1 - tanh(x)**2", array_forward=tanh))


_register(Op("sigmoid", "sigmoid", 1, logistic,
             lambda g, inputs, out: (g * out * (1 - out),),
             "1 / (1 + e**-x); d/dx = sigmoid(x) * (1 - sigmoid(x))", array_forward=sigmoid))


def _where_positive(x: Any, then: Any, otherwise: Any) -> Any:
    """`then` where x > 0, else `otherwise`, elementwise over arrays."""
    return _numpy().where(x > 0, then, otherwise)


_register(Op("relu", "relu", 1, lambda x: x if x > 0 else 0.0,
             lambda g, inputs, out: (g * step(inputs[0]),),
             "max(0, x); d/dx = 1 if x > 0 else 0",
             array_forward=lambda x: _where_positive(x, x, 0.0)))


def _leaky_relu_vjp(g: Any, inputs: Sequence[Any], out: Any) -> Grads:
    x, slope = inputs
    negative = 1 - step(x)
    # The slope is usually a number (a constant); a Value slope is learned, as in PReLU.
    return g * (1 - negative + slope * negative), g * x * negative


_register(Op("leaky_relu", "leaky_relu", 2, lambda x, slope: x if x > 0 else slope * x,
             _leaky_relu_vjp,
             "x if x > 0 else slope * x; d/dx = 1 if x > 0 else slope, "
             "d/dslope = 0 if x > 0 else x",
             # slope * min(x, 0): no overflow from the side that is not taken (x huge).
             array_forward=lambda x, slope: _where_positive(
                 x, x, slope * _numpy().minimum(x, 0.0))))
_register(Op("step", "step", 1, lambda x: 1.0 if x > 0 else 0.0,
             lambda g, inputs, out: (None,),
             "1 if x > 0 else 0 (Heaviside); d/dx = 0", array_forward=step))

# --- N-ary ops: one node for a whole sum or dot product -----------------------------------------

_register(Op("sum", "sum", None, lambda *xs: sum(xs), lambda g, inputs, out: (g,) * len(inputs),
             "x1 + x2 + ... + xn; d/dxi = 1"))


def _dot(*weights_then_inputs: float) -> float:
    n, odd = divmod(len(weights_then_inputs), 2)
    if odd:
        raise TypeError(f"dot needs as many weights as inputs, got {len(weights_then_inputs)} "
                        "operands")
    total: float = sum(map(operator.mul, weights_then_inputs[:n], weights_then_inputs[n:]))
    return total


def _dot_vjp(g: Any, inputs: Sequence[Any], out: Any) -> Grads:
    # Parents are w1..wn then x1..xn: d/dwi = xi and d/dxi = wi.
    n = len(inputs) // 2
    weights, xs = inputs[:n], inputs[n:]
    return tuple(g * x for x in xs) + tuple(g * w for w in weights)


_register(Op("dot", "dot", None, _dot, _dot_vjp,
             "w1*x1 + ... + wn*xn; d/dwi = xi, d/dxi = wi"))


def _logsumexp(*xs: float) -> float:
    # Shifting by the largest input keeps every exponent <= 0 (no overflow) and one term equal
    # to 1 (no log of 0).
    m = max(xs)
    return m + math.log(sum([math.exp(x - m) for x in xs]))


def _logsumexp_arrays(*xs: Any) -> Any:
    np = _numpy()
    m = functools.reduce(np.maximum, xs)  # pairwise, so operands of shapes (K, B), (K, 1) mix
    return m + np.log(sum([np.exp(x - m) for x in xs]))


_register(Op("logsumexp", "logsumexp", None, _logsumexp,
             lambda g, inputs, out: tuple(g * exp(x - out) for x in inputs),
             "log(e**x1 + ... + e**xn); d/dxi = e**(xi - out) (the softmax)",
             array_forward=_logsumexp_arrays))


def _max_vjp(g: Any, inputs: Sequence[Any], out: Any) -> Grads:
    # All of the gradient goes to the first input equal to the maximum, as PyTorch's max
    # pooling does: on a tie, one input wins and the others get nothing.
    if any(hasattr(x, "shape") for x in (*inputs, out)):  # batched replay: a winner per sample
        taken = _numpy().zeros(_numpy().shape(out), dtype=bool)
        grads = []
        for x in inputs:
            wins = ((x == out) | ((x != x) & (out != out))) & ~taken  # x != x: a NaN
            grads.append(g * wins)
            taken = taken | wins
        return tuple(grads)
    # 0.0 for the others, not None: None means an input never gets gradient (batched replay
    # prunes that edge), and here another sample may make another input the largest.
    numbers = [getattr(x, "data", x) for x in inputs]
    largest = getattr(out, "data", out)
    winners = [i for i, x in enumerate(numbers) if x == largest or (x != x and largest != largest)]
    if not winners:
        raise ValueError(f"the result {largest:g} is none of the inputs: an input's data changed "
                         "after the forward pass")
    return tuple(g if i == winners[0] else 0.0 for i in range(len(inputs)))


def _max(*xs: float) -> float:
    # Python's max skips a NaN unless it comes first; like numpy and PyTorch, a NaN wins.
    for x in xs:
        if x != x:
            return x
    return max(xs)


_register(Op("max", "max", None, _max, _max_vjp,
             "the largest of x1 ... xn; d/dxi = 1 for the first largest, 0 for the others",
             array_forward=lambda *xs: functools.reduce(_numpy().maximum, xs)))

