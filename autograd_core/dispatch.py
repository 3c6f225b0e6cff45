"""Dispatching math helpers: one name that works on floats, Values and numpy arrays.

The op table writes every derivative with these helpers and plain arithmetic, so the same rule
computes ordinary gradients on floats, higher-order gradients on Values (the helper calls the
Value method, which records a node) and batched gradients on numpy arrays. They are also handy
in user code: `f = lambda x: exp(x) * sin(x)` works on all three.

>>> exp(0.0)
1.0
>>> from autograd_core import Value
>>> exp(Value(0.0))
Value(data=1, grad=0)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

__all__ = ["exp", "log", "sqrt", "tanh", "sigmoid", "sin", "cos", "step", "sign", "xlogy",
           "logistic"]


def _numpy() -> Any:
    # Imported on first use only: the engine itself needs nothing beyond the standard library.
    import numpy

    return numpy


def _dispatcher(name: str, on_number: Callable[[float], float], doc: str) -> Callable[[Any], Any]:
    """A helper that uses `on_number` for numbers, the Value method `name`, or numpy's `name`."""

    def helper(x: Any) -> Any:
        if isinstance(x, (float, int)):
            return on_number(x)
        method = getattr(x, name, None)  # a Value (numpy arrays have no such methods)
        if method is not None:
            return method()
        return getattr(_numpy(), name)(x)

    helper.__name__ = helper.__qualname__ = name
    helper.__doc__ = doc
    return helper


exp = _dispatcher("exp", math.exp, "e ** x.")
log = _dispatcher("log", math.log, "Natural logarithm.")
sqrt = _dispatcher("sqrt", math.sqrt, "Square root.")
tanh = _dispatcher("tanh", math.tanh, "Hyperbolic tangent.")
sin = _dispatcher("sin", math.sin, "Sine.")
cos = _dispatcher("cos", math.cos, "Cosine.")


def logistic(x: float) -> float:
    """1 / (1 + e ** -x) for a number, computed without overflow for any finite x."""
    # Only ever exponentiate a non-positive number, so exp cannot overflow.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def sigmoid(x: Any) -> Any:
    """1 / (1 + e ** -x), in (0, 1), stable for any finite x."""
    if isinstance(x, (float, int)):
        return logistic(x)
    if hasattr(x, "sigmoid"):
        return x.sigmoid()
    np = _numpy()
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def step(x: Any) -> Any:
    """Heaviside step: 1 where x > 0, else 0."""
    if isinstance(x, (float, int)):
        return 1.0 if x > 0 else 0.0
    if hasattr(x, "step"):
        return x.step()
    return (x > 0).astype(float)


def sign(x: Any) -> Any:
    """-1, 0 or 1: the derivative of abs (0 at 0, as in PyTorch)."""
    if isinstance(x, (float, int)):
        return (x > 0) - (x < 0) + 0.0
    return step(x) - step(-x)


def xlogy(a: Any, b: Any) -> Any:
    """a * log(b), taken to be 0 where a is 0 (its limit), so that d/dy 0 ** y = 0."""
    if isinstance(a, (float, int)) or hasattr(a, "log"):  # a number or a Value
        return 0.0 if float(a) == 0 else a * log(b)
    np = _numpy()
    return np.where(a == 0, 0.0, a * np.log(np.where(a == 0, 1.0, b)))
