"""Walking the graph: topological order, the backward pass, and the functional gradient API.

There is one walker, `_walk`. It visits nodes in reverse topological order, calls each node's
op-table VJP and sums the contributions that reach every node in the node's scratch slot
`_grad_sum`: it never writes `.grad`. `backward()` commits the sums to `.grad` only once the whole
pass has succeeded, `grad()` returns them, and `backward_steps()` replays a record of the pass one
node at a time. `_backward_pass` clears the scratch slots afterwards, also when the pass fails.

>>> from autograd_core import Value
>>> x = Value(3.0, label="x")
>>> y = x * x + x
>>> grad(y, x)
7.0
>>> [step.node.op or step.node.label for step in backward_steps(y)]
['add', 'mul', 'x']
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from operator import attrgetter
from typing import Any, NamedTuple, overload

from .ops import OPS, OpError, describe_call, failure_reason
from .value import MANY, Constant, Value, operand_data, recording

__all__ = ["topological_order", "backward", "backward_steps", "grad", "hessian", "local_grads",
           "BackwardStep", "Edge"]

_isfinite = math.isfinite


def topological_order(root: Value, *more_roots: Value) -> list[Value]:
    """Every node `root` depends on, each after all of its parents; `root` comes last.

    An iterative depth-first search (no recursion, so a graph a million nodes deep is fine).
    Parents are visited in operand order, so the order is the same on every run. With more
    roots, the nodes of all of them, each once (a root may then come before the end).
    """
    return _depth_first([*reversed(more_roots), root], leaves=True)


def _depth_first(stack: list[Value | None], leaves: bool) -> list[Value]:
    # Without `leaves`, only the roots and the nodes that have parents: the backward pass needs
    # no turn for a leaf, which only receives gradient, so it skips them (often half the nodes).
    order: list[Value] = []
    seen: set[Value] = set()
    while stack:
        node = stack.pop()
        if node is None:  # marker: every parent of the node below it is in `order` now
            order.append(stack.pop())  # type: ignore[arg-type]
            continue
        if node in seen:
            continue
        seen.add(node)
        first, second = node._first, node._second  # the parents (see Value.__slots__)
        if first is None:
            order.append(node)
            continue
        stack.append(node)
        stack.append(None)
        # Parents are pushed last first, so the first one is popped first. Two are the common
        # case, so they are read straight from the slots (`parents` makes a tuple).
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


Record = list[tuple[Value, Any, Sequence[Any]]]


@contextmanager
def _backward_pass(root: Value, create_graph: bool = False, record: Record | None = None
                   ) -> Iterator[list[Value]]:
    """The backward pass, its gradients held on the nodes while the block runs.

    Visits the nodes in reverse topological order, so a node's gradient is complete before its
    turn; calls the node's op VJP and adds each contribution to the parent's `_grad_sum`. It
    yields `summed`, every node whose `_grad_sum` the pass set: inside the block that holds
    d(root)/d(node) (0 for a node nothing reached); afterwards, also on failure, it is None
    again. It writes no `.grad`, and refuses a gradient that overflowed. With `create_graph` the
    gradients are Values built from the graph, so they can be differentiated again. With
    `record`, appends (node, gradient, contributions to its parents) for every node, root first,
    as `backward_steps` shows them.
    """
    summed: list[Value] = []
    try:
        if create_graph:  # as in PyTorch, a graph of the gradients is recorded even in no_grad
            with recording():
                _walk(root, True, record, summed)
        else:
            _walk(root, False, record, summed)
            if not all(map(_isfinite, map(_grad_sum_of, summed))):
                _refuse_overflow(root)
        yield summed
    finally:
        for node in summed:
            node._grad_sum = None


_grad_sum_of = attrgetter("_grad_sum")


def _walk(root: Value, create_graph: bool, record: Record | None, summed: list[Value]) -> None:
    # Leaves get no turn of their own unless the pass is recorded for backward_steps.
    order = _depth_first([root], leaves=record is not None)
    summed.append(root)
    root._grad_sum = Constant(1.0) if create_graph else 1.0
    add_to_summed = summed.append
    for node in reversed(order):
        g = node._grad_sum
        first, second = node._first, node._second  # the parents (see Value.__slots__)
        if g is None or first is None:  # a node nothing flowed to, or a leaf: nothing to send
            if g is None:  # no gradient reached it (it is behind a step, say): d(root)/d(node) = 0
                add_to_summed(node)
                node._grad_sum = g = 0.0
            if record is not None:
                record.append((node, g, (None,) * len(node.parents)))
            continue
        op = OPS[node.op]
        two = second is not None and second is not MANY
        # The parents as a tuple when there are not two (two are read from the slots).
        many = () if two else node.parents
        if create_graph:
            # Constants enter as plain numbers, so rules like n * x ** (n - 1) stay numeric.
            inputs = tuple([p.data if isinstance(p, Constant) else p for p in node.parents])
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
            # Unrolled for two parents, the common case: a zip loop here costs a third of the
            # whole pass. Same logic as the loop below.
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


def _gradients(root: Value, create_graph: bool = False) -> dict[Value, Any]:
    """d(root)/d(node) for every node a gradient reached, in a dict (no `.grad` is written)."""
    with _backward_pass(root, create_graph) as summed:
        return {node: node._grad_sum for node in summed}


def backward(root: Value) -> None:
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


def _refuse_overflow(root: Value) -> None:
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


@overload
def grad(output: Value, inputs: Value, create_graph: bool = False) -> Any: ...
@overload
def grad(output: Value, inputs: Sequence[Value], create_graph: bool = False) -> list[Any]: ...


def grad(output: Value, inputs: Value | Sequence[Value], create_graph: bool = False) -> Any:
    """d(output)/d(input) for each input, without touching any `.grad`.

    `inputs` is one Value (one gradient is returned) or a sequence (a list is returned). An
    input the output does not depend on gets 0. With `create_graph=True` the gradients are
    Values that can be differentiated again (second derivatives, Hessians). Like `backward`, it
    must not run over a graph another thread is running a backward pass over.

    >>> from autograd_core import Value
    >>> x = Value(2.0)
    >>> dy = grad(x ** 3, x, create_graph=True)   # 3 x**2 = 12, as a Value
    >>> grad(dy, x)                               # 6 x = 12
    12.0
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad: output must be a Value, got {type(output).__name__}")
    targets = [inputs] if isinstance(inputs, Value) else list(inputs)
    for i, target in enumerate(targets):
        if not isinstance(target, Value):
            raise TypeError(f"grad: inputs[{i}] must be a Value, got {type(target).__name__}")
    grads = _gradients(output, create_graph)
    result = [grads.get(target, 0.0) for target in targets]
    if create_graph:
        result = [g if isinstance(g, Value) else Constant(g) for g in result]
    return result[0] if isinstance(inputs, Value) else result


def hessian(output: Value, inputs: Sequence[Value]) -> list[list[float]]:
    """The matrix of second derivatives d2(output)/(d(input_i) d(input_j)).

    >>> from autograd_core import Value
    >>> x, y = Value(1.0), Value(2.0)
    >>> hessian(x * x * y, [x, y])   # f = x**2 y
    [[4.0, 2.0], [2.0, 0.0]]
    """
    first = grad(output, inputs, create_graph=True)
    return [[float(g) for g in grad(first_i, inputs)] for first_i in first]


class Edge(NamedTuple):
    """What one backward step sends along one edge to a parent."""

    parent: Value
    # d(node)/d(parent), the op's own derivative; None where it does not exist at this point,
    # which is possible only at a node no gradient reached (sqrt(0) behind a step).
    local_grad: float | None
    contribution: float  # grad * local_grad: what is added to the parent's gradient


class BackwardStep(NamedTuple):
    """One node's turn in the backward pass."""

    node: Value
    grad: float  # d(root)/d(node): every contribution has arrived when the node's turn comes
    edges: tuple[Edge, ...]  # one per parent, in operand order


def backward_steps(root: Value) -> Iterator[BackwardStep]:
    """The backward pass one node at a time, in the order `backward()` processes them.

    It changes no `.grad`: each step carries the gradient that reached its node and, for each
    parent, the local derivative and the contribution sent (the chain rule, one link at a time).

    >>> from autograd_core import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> first = next(backward_steps(a * b))
    >>> [(e.parent.label, e.local_grad, e.contribution) for e in first.edges]
    [('a', -3.0, -3.0), ('b', 2.0, 2.0)]
    """
    record: Record = []
    with _backward_pass(root, record=record):
        pass  # the record is complete, and the scratch cleared, before the first step is shown
    for node, g, contributions in record:
        edges = tuple(Edge(parent, local, 0.0 if c is None else c)
                      for parent, local, c in zip(node.parents, local_grads(node), contributions))
        yield BackwardStep(node, g, edges)


def local_grads(node: Value) -> Sequence[float | None]:
    """d(node)/d(parent) for each parent: the op's VJP with an output gradient of 1.

    None where the derivative does not exist at this point (sqrt at 0). Diagrams label edges
    with these numbers; backward multiplies them by the gradient that reached the node.

    >>> from autograd_core import Value
    >>> local_grads(Value(3.0) * Value(-2.0))
    [-2.0, 3.0]
    """
    if not node.parents:
        return ()
    try:
        local = OPS[node.op].vjp(1.0, operand_data(node.parents), node.data)
    except (ArithmeticError, ValueError):
        # Where a gradient reached the node this VJP already succeeded in the pass, so only a
        # node nothing flowed to can get here: its derivative does not exist at this point.
        return (None,) * len(node.parents)
    return [0.0 if lg is None else lg for lg in local]
