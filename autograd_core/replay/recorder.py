"""Recording: `fn` run once on placeholder Values, with every comparison and float() heard.

The recorder is what `value._tracer` holds while `fn` runs. It keeps the comparisons whose
sides depend on an input or a parameter (branches, checked later on every sample) and refuses
float() of such a value at once.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from ..value import Constant, Value, _tracer, as_value, recording
from .errors import TraceError

__all__ = ["Branch", "describe", "Recorder", "Placeholder", "Recorded", "record", "outputs_of"]


@dataclass(frozen=True)
class Branch:
    """A comparison made while recording: `left symbol right` came out as `result`."""

    left: Value
    symbol: str
    right: Value | float
    result: bool

    def __str__(self) -> str:
        return f"{describe(self.left)} {self.symbol} {describe(self.right)}"


def describe(x: Value | float) -> str:
    """How an error message names a node: its label, else its op, else its number."""
    if not isinstance(x, Value):
        return f"{x:g}"
    return x.label or (f"{x.op}(...)" if x.op else f"{x.data:g}")


class Recorder:
    """Hears every comparison and float() while `fn` is recorded (see value._tracer)."""

    def __init__(self) -> None:
        self.branches: list[Branch] = []
        self._varies: dict[Value, bool] = {}

    def varies(self, node: Value) -> bool:
        """Whether node depends on anything but Constants (a placeholder or a parameter)."""
        memo, stack = self._varies, [node]
        while stack:
            top = stack[-1]
            if top in memo:
                stack.pop()
            elif not top.parents:
                memo[top] = not isinstance(top, Constant)
                stack.pop()
            else:
                pending = [p for p in top.parents if p not in memo]
                if pending:
                    stack.extend(pending)
                else:
                    memo[top] = any(memo[p] for p in top.parents)
                    stack.pop()
        return memo[node]

    def compare(self, left: Value, symbol: str, right: Value | float, result: bool) -> None:
        """Keep a comparison as a branch if either side varies."""
        if self.varies(left) or (isinstance(right, Value) and self.varies(right)):
            self.branches.append(Branch(left, symbol, right, result))

    def read(self, node: Value) -> None:
        """Refuse float() of a value that varies: the graph could not recompute it."""
        if self.varies(node):
            raise TraceError(
                f"trace: fn calls float() on {describe(node)}, "
                "a value computed from its inputs or parameters; a replayed graph cannot "
                "recompute a plain number, so keep it a Value")


class Placeholder(Value):
    """A trace's input. Where a number and a Value would answer differently (`x == 1`, which
    compares a Value's identity, and `if x:`, always true for a Value), it refuses instead, so
    fn cannot silently take a path it would not take on the number."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, numbers.Real) and not isinstance(other, Value):
            raise TraceError(f"trace: fn compares the input {self.label} with == or != to a "
                             "number; on a Value that compares identity, not the number, so "
                             "the graph would not fit the samples (compare with < or > "
                             "instead, which a trace checks on every sample)")
        return self is other

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = Value.__hash__

    def __bool__(self) -> bool:
        raise TraceError(f"trace: fn asks whether the input {self.label} is true (`if x:`), "
                         "which a Value cannot answer for every sample; compare it with a "
                         "number instead")


class Recorded(NamedTuple):
    """What recording `fn` on one sample gives."""

    placeholders: list[Value]  # one per input, labelled x0, x1, ...
    outputs: list[Value]
    branches: list[Branch]
    single: bool  # fn returned one Value, not a list


def record(fn: Callable[..., Any], sample: Iterable[float]) -> Recorded:
    """Run fn once on placeholders holding `sample`, hearing its comparisons."""
    placeholders: list[Value] = [Placeholder(float(x), label=f"x{i}")
                                 for i, x in enumerate(sample)]
    recorder = Recorder()
    token = _tracer.set(recorder)
    try:
        with recording():  # a graph is needed even if the caller is inside no_grad()
            result = fn(*placeholders)
    finally:
        _tracer.reset(token)
    outputs, single = outputs_of(result)
    return Recorded(placeholders, outputs, recorder.branches, single)


def outputs_of(result: object) -> tuple[list[Value], bool]:
    """fn's result as a list of Values, and whether it was a single Value."""
    if isinstance(result, Value):
        return [result], True
    if isinstance(result, (list, tuple)) and result:
        return [as_value(r, "trace: fn's result") for r in result], False
    raise TypeError(f"trace: fn must return a Value or a non-empty list of Values, got "
                    f"{type(result).__name__}")
