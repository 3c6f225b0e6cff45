"""autograd_core: a scalar reverse-mode automatic differentiation engine for learning backprop.

A `Value` holds one number and records every operation applied to it; `backward()` walks the
recorded graph in reverse topological order and fills in the gradient of every node.

>>> from autograd_core import Value
>>> x = Value(0.5, label="x")
>>> y = (x * x).tanh()
>>> y.backward()
>>> round(x.grad, 6)   # d tanh(x**2)/dx = (1 - tanh(x**2)**2) * 2x
0.940015
"""

from typing import TYPE_CHECKING, Any

# The engine, at the root of the package: dispatch, ops, value, graph, functional, forward,
# gradcheck.
# Built on it and re-exported here: checking hand-worked backprop (checking/) and batched
# replay (replay/, imported on first use, below). The command line (cli/) is built on
# everything, nn and viz included, and nothing imports it.
from .checking import (
    AnswerRow,
    CheckReport,
    Explanation,
    ExpressionError,
    Program,
    check,
    explain,
    parse,
)
from .dispatch import cos, exp, log, sigmoid, sign, sin, sqrt, step, tanh, xlogy
from .files import write_file
from .forward import jacobian, jvp
from .functional import BackwardStep, Edge, backward_steps, grad, hessian, local_grads
from .gradcheck import GradcheckReport, GradcheckRow, gradcheck, numerical_grad
from .graph import backward, signals_held, topological_order
from .ops import OPS, Op, OpError
from .value import (
    Constant,
    Value,
    apply,
    as_value,
    dot,
    logsumexp,
    max_values,
    no_grad,
    scope,
    sum_values,
)

sum = sum_values  # autograd_core.sum(values): one node for a whole sum
max = max_values  # autograd_core.max(values): one node for the largest

if TYPE_CHECKING:
    from .replay import Trace, TraceError, trace


def __getattr__(name: str) -> Any:
    # Batched replay needs numpy; the rest of the engine needs only the standard library, so
    # `autograd_core.trace` imports it on first use.
    if name in ("trace", "Trace", "TraceError"):
        from . import replay

        return getattr(replay, name)
    raise AttributeError(f"module 'autograd_core' has no attribute {name!r}")

__version__ = "0.1.0"

__all__ = [
    # `sum` and `max` are left out on purpose: a star import must not replace the builtins.
    "Value", "Constant", "apply", "as_value", "no_grad", "scope", "sum_values", "dot", "logsumexp",
    "max_values",
    "backward", "backward_steps", "topological_order", "grad", "hessian", "local_grads",
    "jvp", "jacobian",
    "BackwardStep", "Edge",
    "gradcheck", "numerical_grad", "GradcheckReport", "GradcheckRow",
    "OPS", "Op", "OpError",
    "trace", "Trace", "TraceError",
    "parse", "Program", "ExpressionError", "check", "explain", "CheckReport", "AnswerRow",
    "Explanation",
    "exp", "log", "sqrt", "tanh", "sigmoid", "sin", "cos", "step", "sign", "xlogy",
    "write_file", "signals_held",
]
