"""The plan: a recorded graph laid out for replay, as storage rows and groups in run order.

Nodes are grouped by their `GroupKey`. A group's nodes get consecutive rows, so the next group
reading all of them reads a slice. The groups the comparisons need run first, so the branches
are checked before the rest of the graph is computed.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..graph import operand_data, topological_order
from ..ops import OPS
from ..value import Constant, Value
from .groups import DotGroup, Group, SumGroup
from .recorder import Branch
from .storage import Array, Slot, Storage

__all__ = ["GroupKey", "Plan"]


class GroupKey(NamedTuple):
    """What the nodes of one group share: nodes with equal keys run as one numpy step."""

    after_branches: bool  # False for the nodes the comparisons need: their groups run first
    depth: int  # 0 for a leaf, else 1 + the deepest operand's
    op: str
    operand_varies: tuple[bool, ...]  # per operand position: does it depend on an input?
    # A group's nodes are all reached by the gradient or all not (those are skipped backward,
    # like nodes the scalar walker gets no gradient for).
    reached: bool
    exponent: float | None = None  # pow's: the op's rule branches on the number


class Plan:
    """A recorded graph, laid out for replay: storage rows and groups in run order."""

    def __init__(self, placeholders: list[Value], outputs: list[Value],
                 branches: list[Branch]) -> None:
        self.placeholders, self.outputs, self.branches = placeholders, outputs, branches
        compared = [*(b.left for b in branches),
                    *(b.right for b in branches if isinstance(b.right, Value))]
        order = topological_order(*outputs, *compared)
        # What the comparisons need runs first, so the branches are checked before the rest
        # of the graph (which a batch going another way may not even be able to compute).
        guarded = set(topological_order(*compared)) if branches else set()
        self.slots: dict[Value, Slot] = {p: Slot(True, i) for i, p in enumerate(placeholders)}
        self.parameters, constants, grouped = _key_nodes(
            order, self.slots, guarded, _reached_by_gradient(order, outputs))
        for i, leaf in enumerate(self.parameters + constants):
            self.slots[leaf] = Slot(False, i)
        self.constants = np.array([c.data for c in constants])
        self.n_shared_leaves = len(self.parameters) + len(constants)
        self.groups, self.n_rows, self.n_shared_rows = _lay_out(
            grouped, self.slots, len(placeholders), self.n_shared_leaves)
        self.n_branch_groups = sum(1 for key in grouped if not key.after_branches)

    @property
    def branch_groups(self) -> list[Group]:
        """The groups the comparisons need (they run first)."""
        return self.groups[:self.n_branch_groups]

    @property
    def other_groups(self) -> list[Group]:
        """The groups that run once the branches are checked."""
        return self.groups[self.n_branch_groups:]

    def new_values(self, batch: Array) -> Storage:
        """Storage for a batch (B, n_inputs): its inputs, the parameters' current numbers and
        the Constants filled in, the other rows not computed yet."""
        varying = np.empty((self.n_rows, len(batch)))
        varying[:len(self.placeholders)] = batch.T
        shared = np.empty(self.n_shared_rows)
        n_parameters = len(self.parameters)
        shared[:n_parameters] = [p.data for p in self.parameters]
        shared[n_parameters:self.n_shared_leaves] = self.constants
        return Storage(varying, shared)

    def value(self, node: Value | float, storage: Storage) -> Any:
        """A node's numbers over the batch (B,), or one number if it does not vary."""
        if not isinstance(node, Value):
            return node
        return storage.row(self.slots[node])


def _reached_by_gradient(order: list[Value], outputs: list[Value]) -> set[Value]:
    """The nodes a gradient reaches from the outputs (a step passes none back)."""
    reached = set(outputs)
    for node in reversed(order):
        if node not in reached or not node.parents:
            continue
        try:
            local = OPS[node.op].vjp(1.0, operand_data(node.parents), node.data)
        except (ArithmeticError, ValueError):
            local = (1.0,) * len(node.parents)
        reached.update(p for p, c in zip(node.parents, local) if c is not None)
    return reached


def _key_nodes(order: list[Value], slots: dict[Value, Slot], guarded: set[Value],
               reached: set[Value]) -> tuple[list[Value], list[Value],
                                             dict[GroupKey, list[Value]]]:
    """Walk the graph: the leaves that are not placeholders are parameters or Constants, every
    other node joins the nodes of its key and gets a slot (its row is given later)."""
    parameters: list[Value] = []
    constants: list[Value] = []
    depth: dict[Value, int] = {}
    grouped: dict[GroupKey, list[Value]] = {}
    for node in order:
        if not node.parents:
            depth[node] = 0
            if node not in slots:
                (constants if isinstance(node, Constant) else parameters).append(node)
            continue
        depth[node] = 1 + max(depth[p] for p in node.parents)
        key = _key(node, depth[node], slots, guarded, reached)
        grouped.setdefault(key, []).append(node)
        slots[node] = Slot(any(key.operand_varies), -1)
    return parameters, constants, grouped


def _key(node: Value, depth: int, slots: dict[Value, Slot], guarded: set[Value],
         reached: set[Value]) -> GroupKey:
    # Parameters and Constants get their slots after the walk: not in slots = shared.
    varies = tuple(p in slots and slots[p].varies for p in node.parents)
    return GroupKey(after_branches=node not in guarded, depth=depth, op=node.op,
                    operand_varies=varies, reached=node in reached,
                    exponent=node.parents[1].data if node.op == "pow" else None)


def _lay_out(grouped: dict[GroupKey, list[Value]], slots: dict[Value, Slot], n_inputs: int,
             n_shared_leaves: int) -> tuple[list[Group], int, int]:
    """The groups in run order (what the comparisons need first, then by depth), each given
    consecutive rows after the leaves'; and how many rows each storage array needs."""
    next_row = {True: n_inputs, False: n_shared_leaves}  # in Storage.varying, .shared
    groups = []
    for key in sorted(grouped, key=lambda k: (k.after_branches, k.depth)):
        nodes = grouped[key]
        varies = slots[nodes[0]].varies
        start = next_row[varies]
        for i, node in enumerate(nodes):
            slots[node].row = start + i
        next_row[varies] += len(nodes)
        group = _kernel(key, nodes, slots, start)
        group.reached = key.reached
        groups.append(group)
    return groups, next_row[True], next_row[False]


def _kernel(key: GroupKey, nodes: list[Value], slots: dict[Value, Slot], start: int) -> Group:
    """The group that runs these nodes: a matrix product, an axis sum, or the op's own rule."""
    op, varies = OPS[key.op], key.operand_varies
    if op.name == "dot":
        n = len(varies) // 2
        weights, inputs = set(varies[:n]), set(varies[n:])
        # fast path; plain version: Group(op, nodes, slots, start), the op's rule on (K, B)
        if weights == {False} and inputs == {True}:
            return DotGroup(op, nodes, slots, start, weights_first=True)
        if weights == {True} and inputs == {False}:
            return DotGroup(op, nodes, slots, start, weights_first=False)
    # fast path; plain version: Group(op, nodes, slots, start), the op's rule on (K, B)
    if op.name == "sum" and len(set(varies)) == 1:
        return SumGroup(op, nodes, slots, start)
    fixed = {} if key.exponent is None else {1: key.exponent}
    return Group(op, nodes, slots, start, fixed)
