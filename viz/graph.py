"""Step 1 of drawing: a Value's graph as plain data.

Nodes come in topological order (every parent before its children, the root last) and are
named `n0`, `n1`, ... in that order, so the same expression always gives the same names.

>>> from autograd_core import Value
>>> a = Value(2.0, label="a")
>>> g = extract(a * 3)
>>> [(n.id, n.label or n.op, n.constant) for n in g.nodes]
[('n0', 'a', False), ('n1', '', True), ('n2', 'mul', False)]
>>> [(l.parent, l.child, l.local_grad) for l in g.links]
[('n0', 'n2', 3.0), ('n1', 'n2', 2.0)]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from autograd_core import OPS, Value, local_grads, topological_order

__all__ = ["GraphNode", "Link", "Graph", "extract", "count_upto", "GraphTooLarge"]


class GraphTooLarge(ValueError):
    """The graph has more nodes than a drawing can show readably."""


@dataclass(frozen=True)
class GraphNode:
    """One value of the graph, as a drawing shows it."""

    id: str  # n0, n1, ... in topological order
    value: Value
    label: str
    data: float
    grad: float | None  # None: not known yet (a step-through frame before the node's turn)
    op: str  # the op that made it; "" for a leaf
    symbol: str  # the op's symbol: + - * / ** exp tanh ...
    constant: bool  # a number written into the expression
    scope: str  # the module that made it ("MLP/layers.0/neurons.3"), "" outside any


@dataclass(frozen=True)
class Link:
    """An edge from an operand to the node it helped make."""

    parent: str
    child: str
    position: int  # which operand of the child (x * x has positions 0 and 1)
    local_grad: float | None  # d(child)/d(parent); None where it does not exist
    contribution: float | None  # grad(child) * local_grad, once the child's grad is known


@dataclass(frozen=True)
class Graph:
    """Nodes in topological order, the links between them, and the root's id."""

    nodes: tuple[GraphNode, ...]
    links: tuple[Link, ...]
    root: str
    # Whether the gradients are a backward pass's: False when they are `.grad` and no pass has
    # run from the root (its grad is still 0), so a grad of 0 says nothing about the flow.
    backward_ran: bool = True

    def node(self, node_id: str) -> GraphNode:
        """The node with this id."""
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    def consumers(self) -> dict[str, list[str]]:
        """Each node's id -> the ids of the nodes it is an operand of (a leaf used twice in one
        node is listed twice)."""
        found: dict[str, list[str]] = {}
        for link in self.links:
            found.setdefault(link.parent, []).append(link.child)
        return found


def count_upto(root: Value, limit: int) -> int:
    """How many nodes `root` depends on (itself included), counting no further than limit + 1:
    the cost grows with the limit, not with the graph."""
    seen = {root}
    stack = [root]
    while stack:
        for parent in stack.pop().parents:
            if parent not in seen:
                seen.add(parent)
                if len(seen) > limit:
                    return len(seen)
                stack.append(parent)
    return len(seen)


def extract(root: Value, grads: Mapping[Value, float | None] | None = None, *,
            limit: int | None = None, advice: str = "") -> Graph:
    """The graph of everything `root` depends on.

    Gradients come from each node's `.grad`, or from `grads` where given (a missing or None
    entry means "not known yet", as in a frame of the backward step-through). With `limit`, a
    graph of more values than that is refused (GraphTooLarge, ending with `advice`) before
    any of it is read.
    """
    if not isinstance(root, Value):
        raise TypeError(f"extract needs a Value, got {type(root).__name__}")
    if limit is not None and count_upto(root, limit) > limit:
        raise GraphTooLarge(f"the graph has more than {limit:,} values{advice}")
    order = topological_order(root)
    ids = {value: f"n{i}" for i, value in enumerate(order)}
    nodes = []
    links = []
    for value in order:
        grad = value.grad if grads is None else grads.get(value)
        op = OPS[value.op] if value.op else None
        nodes.append(GraphNode(
            id=ids[value], value=value, label=value.label, data=value.data, grad=grad,
            op=value.op, symbol=op.symbol if op else "", constant=value.is_constant,
            scope=value.scope))
        for position, (parent, local) in enumerate(zip(value.parents, local_grads(value))):
            contribution = None if grad is None or local is None else grad * local
            links.append(Link(ids[parent], ids[value], position, local, contribution))
    return Graph(tuple(nodes), tuple(links), ids[root],
                 backward_ran=grads is not None or root.grad != 0)
