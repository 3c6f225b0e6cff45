"""Random expression programs, written once and run with any engine (tests share them).

Hypothesis generates a small program: a list of instructions, each applying one of the
engine's operations to earlier results. `run` interprets the program with an engine adapter, so
the same expression can be built from Values, from torch tensors, or from the placeholders of a
trace.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import Value


class Engine:
    """What differs between the engines; everything else is plain operators and methods."""

    def __init__(self, leaf: Callable[[float], Any], leaky_relu: Callable[[Any, float], Any],
                 step: Callable[[Any], Any], total: Callable[[list[Any]], Any],
                 dot: Callable[[list[Any], list[Any]], Any],
                 logsumexp: Callable[[list[Any]], Any],
                 maximum: Callable[[list[Any]], Any] | None = None) -> None:
        self.leaf, self.leaky_relu, self.step, self.total, self.dot, self.logsumexp = (
            leaf, leaky_relu, step, total, dot, logsumexp)
        self.maximum = maximum


OURS = Engine(Value, lambda x, s: x.leaky_relu(s), lambda x: x.step(), ag.sum, ag.dot,
              ag.logsumexp, ag.max)
# Each operation keeps its inputs inside its domain (log and sqrt of x*x + 1, exp of tanh, a
# divisor of b*b + 1), so every generated program is defined everywhere.
UNARY: dict[str, Callable[[Engine, Any], Any]] = {
    "neg": lambda e, a: -a,
    "abs": lambda e, a: abs(a),
    "exp": lambda e, a: a.tanh().exp(),
    "log": lambda e, a: (a * a + 1).log(),
    "sqrt": lambda e, a: (a * a + 0.5).sqrt(),
    "tanh": lambda e, a: a.tanh(),
    "sigmoid": lambda e, a: a.sigmoid(),
    "relu": lambda e, a: a.relu(),
    "leaky_relu": lambda e, a: e.leaky_relu(a, 0.1),
    "sin": lambda e, a: a.sin(),
    "cos": lambda e, a: a.cos(),
    "square": lambda e, a: a**2,
    "cube": lambda e, a: a**3,
    "inverse_power": lambda e, a: (a * a + 1) ** -1.5,
    "number_to_the_power": lambda e, a: 2 ** a.tanh(),
    "reflected": lambda e, a: 1.5 - 2 / (a * a + 1),
}
BINARY: dict[str, Callable[[Engine, Any, Any], Any]] = {
    "add": lambda e, a, b: a + b,
    "sub": lambda e, a, b: a - b,
    "mul": lambda e, a, b: a * b,
    "div": lambda e, a, b: a / (b * b + 1),
    "pow_value": lambda e, a, b: (a * a + 1) ** b.tanh(),
    "step_gate": lambda e, a, b: e.step(a) * b,
}
NARY: dict[str, Callable[[Engine, list[Any]], Any]] = {
    "sum": lambda e, xs: e.total(xs),
    "dot": lambda e, xs: e.dot(xs[: len(xs) // 2], xs[len(xs) // 2:]),
    "logsumexp": lambda e, xs: e.logsumexp(xs),
    # Ties are common (an operand given twice, relu's zeros): the first largest wins.
    "max": lambda e, xs: e.maximum(xs),
}

Instruction = tuple[str, tuple[int, ...]]


@st.composite
def programs(draw: st.DrawFn, exclude: tuple[str, ...] = ()
             ) -> tuple[list[float], list[Instruction]]:
    """Input values and instructions; operand k refers to input k, then to result k - n.
    `exclude` names operations an engine does not have."""
    n_inputs = draw(st.integers(1, 4))
    inputs = draw(st.lists(st.floats(-2, 2, allow_nan=False), min_size=n_inputs,
                           max_size=n_inputs))
    instructions: list[Instruction] = []
    for _ in range(draw(st.integers(1, 10))):
        available = n_inputs + len(instructions)
        operand = st.integers(0, available - 1)
        kind = draw(st.sampled_from(["unary", "binary", "nary"]))
        if kind == "unary":
            instructions.append((draw(st.sampled_from(sorted(UNARY))), (draw(operand),)))
        elif kind == "binary":
            instructions.append((draw(st.sampled_from(sorted(BINARY))),
                                 (draw(operand), draw(operand))))
        else:
            name = draw(st.sampled_from(sorted(set(NARY) - set(exclude))))
            size = draw(st.integers(1, 4)) * (2 if name == "dot" else 1)
            instructions.append((name, tuple(draw(operand) for _ in range(size))))
    return inputs, instructions


def run(engine: Engine, inputs: list[float], program: list[Instruction]) -> tuple[list[Any], Any]:
    """Build the program's expression with one engine: the leaves and the last result."""
    leaves = [engine.leaf(x) for x in inputs]
    return leaves, build(engine, leaves, program)


def build(engine: Engine, leaves: list[Any], program: list[Instruction]) -> Any:
    """The program's result on these leaves (Values, tensors or a trace's placeholders)."""
    results = list(leaves)
    for name, operands in program:
        args = [results[k] for k in operands]
        if name in UNARY:
            results.append(UNARY[name](engine, *args))
        elif name in BINARY:
            results.append(BINARY[name](engine, *args))
        else:
            results.append(NARY[name](engine, args))
    # Every input reaches the output, so every gradient is compared.
    return results[-1] + 0.001 * engine.total(leaves)


