"""Walking the graph: the topological order and the backward pass.

There is one walker, `_walk`. It visits nodes in reverse topological order, calls each node's
op-table VJP and sums the contributions that reach every node in the node's scratch slot
`_grad_sum`: it never writes `.grad`. `backward()` commits the sums to `.grad` only once the whole
pass has succeeded; `functional.grad()` returns them instead, and `functional.backward_steps()`
replays a record of the pass one node at a time. `_backward_pass` clears the scratch slots
afterwards, also when the pass fails.

This module knows nodes only through the `Node` protocol below; `value.py` builds on it.
The walk as a lecture gives it, without the speed-ups, is `docs/walkthrough.py`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from operator import attrgetter
from typing import Any, Protocol, TypeVar

from .ops import OPS, OpError, describe_call, failure_reason

__all__ = ["Node", "MANY", "topological_order", "backward", "operand_data"]

_isfinite = math.isfinite


class _Many:
    """The marker in `_second` of a node with more than two parents (see `Node`)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MANY"

    def __reduce__(self) -> str:
        return "MANY"  # copy and pickle give back this very object: it is compared by identity


MANY = _Many()


class Node(Protocol):
    """What the walker reads and writes on a node (`Value` is the one implementation).

    The parents are kept in two slots rather than in a tuple of their own (one object fewer per
    node; the numbers are in docs/design.md):
      a leaf          _first = None                      _second = None
      one parent x    _first = x                         _second = None
      two, a and b    _first = a                         _second = b
      more            _first = the tuple of all of them  _second = MANY
    `_grad_sum` is the scratch space of a backward pass in progress (None outside one).
    """

    data: float
    grad: Any
    op: str
    label: str
    _first: Any
    _second: Any
    _grad_sum: Any

    @property
    def parents(self) -> tuple[Node, ...]: ...

    @property
    def is_constant(self) -> bool: ...


def operand_data(parents: Sequence[Node]) -> tuple[float, ...]:
    """The parents' numbers, in order."""
    # fast path; plain version: the last line. One and two operands unrolled.
    if len(parents) == 2:
        a, b = parents
        return (a.data, b.data)
    if len(parents) == 1:
        return (parents[0].data,)
    return tuple([p.data for p in parents])


N = TypeVar("N", bound=Node)


def topological_order(root: N, *more_roots: N) -> list[N]:
    """Every node `root` depends on, each after all of its parents; `root` comes last.

    An iterative depth-first search (no recursion, so a graph a million nodes deep is fine).
    Parents are visited in operand order, so the order is the same on every run. With more
    roots, the nodes of all of them, each once (a root may then come before the end).
    """
    return _depth_first([*reversed(more_roots), root], leaves=True)


def _depth_first(stack: list[Any], leaves: bool) -> list[Any]:
    # Without `leaves`, only the roots and the nodes that have parents: the backward pass needs
    # no turn for a leaf, which only receives gradient, so it skips them (often half the nodes).
    order: list[Node] = []
    seen: set[Node] = set()
    while stack:
        node = stack.pop()
        if node is None:  # marker: every parent of the node below it is in `order` now
            order.append(stack.pop())
            continue
        if node in seen:
            continue
        seen.add(node)
        first, second = node._first, node._second
        if first is None:
            order.append(node)
            continue
        stack.append(node)
        stack.append(None)
        # Parents are pushed last first, so the first one is popped first.
        # fast path; plain version: the loop below. Two parents read from the slots.
        if second is not None and second is not MANY:
            if leaves or second._first is not None:
                stack.append(second)
            if leaves or first._first is not None:
                stack.append(first)
        else:
            for parent in reversed(node.parents):
                if leaves or parent._first is not None:
                    stack.append(parent)
    return order


Record = list[tuple[Any, Any, Sequence[Any]]]


@contextmanager
def _backward_pass(root: Any, seed: Any = 1.0, create_graph: bool = False,
                   record: Record | None = None) -> Iterator[list[Any]]:
    """The backward pass, its gradients held on the nodes while the block runs.

    Visits the nodes in reverse topological order, so a node's gradient is complete before its
    turn; calls the node's op VJP and adds each contribution to the parent's `_grad_sum`. It
    yields `summed`, every node whose `_grad_sum` the pass set: inside the block that holds
    d(root)/d(node) (0 for a node nothing reached); afterwards, also on failure, it is None
    again. It writes no `.grad`, and refuses a gradient that overflowed.

    `seed` is d(root)/d(root). With `create_graph` the VJPs are called on the nodes themselves
    (the caller makes the seed a Value and turns recording on), so the gradients are Values
    that can be differentiated again. With `record`, appends (node, gradient, contributions to
    its parents) for every node, root first, as `backward_steps` shows them.
    """
    summed: list[Node] = []
    try:
        _walk(root, seed, create_graph, record, summed)
        if not create_graph and not all(map(_isfinite, map(_grad_sum_of, summed))):
            _refuse_overflow(root)
        yield summed
    finally:
        for node in summed:
            node._grad_sum = None


_grad_sum_of = attrgetter("_grad_sum")


def _walk(root: Any, seed: Any, create_graph: bool, record: Record | None,
          summed: list[Any]) -> None:
    """Sum d(root)/d(node) into `_grad_sum` of every node reached, listing them in `summed`.

    The plain version of this loop is `backward` in docs/walkthrough.py; this one keeps the
    sums on the nodes instead of in a dict, skips the leaves' turns and unrolls two parents.
    """
    order = _depth_first([root], leaves=record is not None)
    summed.append(root)
    root._grad_sum = seed
    add_to_summed = summed.append
    for node in reversed(order):
        g = node._grad_sum
        first, second = node._first, node._second
        if g is None or first is None:  # a node nothing flowed to, or a leaf: nothing to send
            if g is None:  # no gradient reached it (it is behind a step, say): d(root)/d(node) = 0
                add_to_summed(node)
                node._grad_sum = g = 0.0
            if record is not None:
                record.append((node, g, (None,) * len(node.parents)))
            continue
        op = OPS[node.op]
        two = second is not None and second is not MANY
        many = () if two else node.parents
        if create_graph:
            # Constants enter as plain numbers, so rules like n * x ** (n - 1) stay numeric.
            inputs = tuple([p.data if p.is_constant else p for p in node.parents])
            output: Any = node
        elif two:
            inputs, output = (first.data, second.data), node.data
        else:
            inputs, output = operand_data(many), node.data
        try:
            contributions = op.vjp(g, inputs, output)
        except (ArithmeticError, ValueError) as exc:
            raise OpError(f"backward of {describe_call(op, node.parents, node.label)}: "
                          f"{failure_reason(op, exc, backward=True)}") from None
        if two:
            # fast path; plain version: the loop in the else branch. Two parents unrolled.
            c1, c2 = contributions
            if c1 is not None:
                previous = first._grad_sum
                if previous is None:
                    add_to_summed(first)
                    first._grad_sum = c1
                else:
                    first._grad_sum = previous + c1
            if c2 is not None:
                previous = second._grad_sum
                if previous is None:
                    add_to_summed(second)
                    second._grad_sum = c2
                else:
                    second._grad_sum = previous + c2
        else:
            for parent, c in zip(many, contributions):
                if c is not None:
                    previous = parent._grad_sum
                    if previous is None:
                        add_to_summed(parent)
                        parent._grad_sum = c
                    else:
                        parent._grad_sum = previous + c
        if record is not None:
            record.append((node, g, contributions))


def backward(root: Any) -> None:
    """Set `.grad` of every node to d(root)/d(node), accumulating into leaves.

    Interior gradients are reset by every call, so calling twice doubles every leaf gradient
    exactly (and never more). The pass runs to completion before any `.grad` is written, so an
    error leaves every gradient as it was.

    The pass sums gradients on the nodes themselves, so two threads must not run backward (or
    `grad`) over the same graph at the same moment.
    """
    with _backward_pass(root) as summed:
        for node in summed:
            g = node._grad_sum
            node._grad_sum = None
            if node._first is not None:  # it has parents
                node.grad = g
            else:
                node.grad += g
        summed.clear()  # every _grad_sum is None again: nothing left for _backward_pass to do


def _refuse_overflow(root: Any) -> None:
    # Non-finite data that the user put into the graph may legitimately give non-finite
    # gradients (as in PyTorch), so then nothing is refused; from finite data, an inf or NaN
    # gradient is an overflow we refuse to hide. This runs only when something is not finite.
    order = topological_order(root)  # leaves too, also those no gradient reached
    if not all(_isfinite(node.data) for node in order):
        return
    for node in reversed(order):  # the first one the pass reached is where it went wrong
        g = node._grad_sum
        if g is not None and not _isfinite(g):
            name = f"{node.label!r} " if node.label else ""
            what = (describe_call(OPS[node.op], node.parents) if node.parents
                    else f"a leaf, {node.data:.6g}")
            raise OpError(f"backward: the gradient of {name}({what}) overflows a float ({g})")
