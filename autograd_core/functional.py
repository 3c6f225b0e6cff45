"""Dispatching math helpers: one name that works on floats, Values and numpy arrays.

The op table writes every derivative with these helpers and plain arithmetic, so the same rule
computes ordinary gradients on floats, higher-order gradients on Values (the helper calls the
Value method, which records a node) and batched gradients on numpy arrays.

>>> exp(0.0)
1.0
>>> from autograd_core import Value
>>> exp(Value(0.0))
Value(data=1, grad=0)
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["exp", "log", "sqrt", "tanh", "sigmoid", "sin", "cos", "step", "sign"]


def _numpy() -> Any:
    # Imported on first use only: the engine itself needs nothing beyond the standard library.
    import numpy

    return numpy


def exp(x: Any) -> Any:
    """e ** x."""
    if isinstance(x, (float, int)):
        return math.exp(x)
    if hasattr(x, "exp"):
        return x.exp()
    return _numpy().exp(x)


def log(x: Any) -> Any:
    """Natural logarithm."""
    if isinstance(x, (float, int)):
        return math.log(x)
    if hasattr(x, "log"):
        return x.log()
    return _numpy().log(x)


def sqrt(x: Any) -> Any:
    """Square root."""
    if isinstance(x, (float, int)):
        return math.sqrt(x)
    if hasattr(x, "sqrt"):
        return x.sqrt()
    return _numpy().sqrt(x)


def tanh(x: Any) -> Any:
    """Hyperbolic tangent."""
    if isinstance(x, (float, int)):
        return math.tanh(x)
    if hasattr(x, "tanh"):
        return x.tanh()
    return _numpy().tanh(x)


def sigmoid(x: Any) -> Any:
    """1 / (1 + e ** -x), computed without overflow for any finite x."""
    if isinstance(x, (float, int)):
        # Only ever exponentiate a non-positive number, so exp cannot overflow.
        if x >= 0:
            return 1.0 / (1.0 + math.exp(-x))
        z = math.exp(x)
        return z / (1.0 + z)
    if hasattr(x, "sigmoid"):
        return x.sigmoid()
    np = _numpy()
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def sin(x: Any) -> Any:
    """Sine."""
    if isinstance(x, (float, int)):
        return math.sin(x)
    if hasattr(x, "sin"):
        return x.sin()
    return _numpy().sin(x)


def cos(x: Any) -> Any:
    """Cosine."""
    if isinstance(x, (float, int)):
        return math.cos(x)
    if hasattr(x, "cos"):
        return x.cos()
    return _numpy().cos(x)


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
