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

from .check import AnswerRow, CheckReport, Explanation, check, explain
from .functional import cos, exp, log, sigmoid, sign, sin, sqrt, step, tanh, xlogy
from .gradcheck import GradcheckReport, GradcheckRow, gradcheck, numerical_grad
from .graph import (
                    BackwardStep,
                    Edge,
                    backward,
                    backward_steps,
                    grad,
                    hessian,
                    local_grads,
                    topological_order,
)
from .ops import OPS, Op, OpError
from .parse import ExpressionError, Program, parse
from .value import Constant, Value, apply, as_value, dot, no_grad, scope, sum_values

sum = sum_values  # autograd_core.sum(values): one node for a whole sum

__version__ = "0.1.0"

__all__ = [
    # `sum` is left out on purpose: a star import must not replace the builtin.
    "Value", "Constant", "apply", "as_value", "no_grad", "scope", "sum_values", "dot",
    "backward", "backward_steps", "topological_order", "grad", "hessian", "local_grads",
    "BackwardStep", "Edge",
    "gradcheck", "numerical_grad", "GradcheckReport", "GradcheckRow",
    "OPS", "Op", "OpError",
    "parse", "Program", "ExpressionError", "check", "explain", "CheckReport", "AnswerRow",
    "Explanation",
    "exp", "log", "sqrt", "tanh", "sigmoid", "sin", "cos", "step", "sign", "xlogy",
]
