"""The functional gradient API: gradients returned rather than written into `.grad`.

`grad` and `hessian` compute derivatives without touching any `.grad`; `backward_steps` shows the
backward pass one node at a time; `local_grads` gives a node's own derivatives. All of them run
the one walker of `graph.py`.

>>> from autograd_core import Value
>>> x = Value(3.0, label="x")
>>> y = x * x + x
>>> grad(y, x)
7.0
>>> [step.node.op or step.node.label for step in backward_steps(y)]
['add', 'mul', 'x']
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple, overload

from .graph import Record, gradients, operand_data
from .ops import OPS
from .value import Constant, Value, recording

__all__ = ["grad", "hessian", "backward_steps", "local_grads", "BackwardStep", "Edge"]


def _gradients(root: Value, create_graph: bool = False) -> dict[Value, Any]:
    """d(root)/d(node) for every node of the graph, in a dict (no `.grad` is written)."""
    if not create_graph:
        return gradients(root)
    with recording():  # as in PyTorch, a graph of the gradients is recorded even in no_grad()
        return gradients(root, Constant(1.0), create_graph=True)


@overload
def grad(output: Value, inputs: Value, create_graph: bool = False) -> Any: ...
@overload
def grad(output: Value, inputs: Sequence[Value], create_graph: bool = False) -> list[Any]: ...


def grad(output: Value, inputs: Value | Sequence[Value], create_graph: bool = False) -> Any:
    """d(output)/d(input) for each input, without touching any `.grad`.

    `inputs` is one Value (one gradient is returned) or a sequence (a list is returned). An
    input the output does not depend on gets 0. With `create_graph=True` the gradients are
    Values that can be differentiated again (second derivatives, Hessians). Several threads
    may run it at once, over graphs that share nodes.

    >>> from autograd_core import Value
    >>> x = Value(2.0)
    >>> dy = grad(x ** 3, x, create_graph=True)   # 3 x**2 = 12, as a Value
    >>> grad(dy, x)                               # 6 x = 12
    12.0
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad: output must be a Value, got {type(output).__name__}")
    if not isinstance(inputs, (Value, Sequence)):
        raise TypeError(f"grad: inputs must be a Value or a sequence of Values, got "
                        f"{type(inputs).__name__}")
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
    if isinstance(inputs, Value) or not isinstance(inputs, Sequence):
        raise TypeError(f"hessian: inputs must be a sequence of Values (for one input x, [x]), "
                        f"got {type(inputs).__name__}")
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
    gradients(root, record=record)  # the record is complete before the first step is shown
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
