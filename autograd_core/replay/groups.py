"""The kernels: a group of nodes (one op, one depth, operands of the same kinds) run as one
numpy step, forward and backward.

K is the number of nodes in a group, B the number of samples. The general kernel, `Group`,
calls the op table's own forward rule and VJP on (K, B) arrays. `dot` and `sum`, the n-ary
linear ops, have kernels of their own (`DotGroup`, `SumGroup`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..ops import Op
from ..value import Value
from .storage import Array, Rows, Slot, Storage

__all__ = ["OperandRows", "Group", "DotGroup", "SumGroup"]


class OperandRows(NamedTuple):
    """One operand position of a group: whether its nodes vary, and where they are."""

    varies: bool
    rows: Rows


class Group:
    """Nodes of one op at one depth, whose operands are of the same kinds: run as one.

    Each operand position is gathered into one array: (K, B) if it varies, (K, 1) if it is
    shared and the output varies, (K,) when nothing varies. The op's forward rule and VJP run
    on these arrays unchanged. `fixed` gives the operand positions that are one number for the
    whole group (the exponent of pow: the op's rule branches on it).
    """

    def __init__(self, op: Op, nodes: list[Value], slots: dict[Value, Slot], start: int,
                 fixed: dict[int, float] | None = None) -> None:
        self.op, self.nodes = op, nodes
        self.start, self.stop = start, start + len(nodes)  # the group's rows, consecutive
        self.varies = slots[nodes[0]].varies
        self.reached = True  # whether a gradient reaches the nodes; backward skips them if not
        fixed = fixed or {}
        self.operands: list[OperandRows | float] = []
        for position in range(len(nodes[0].parents)):
            if position in fixed:
                self.operands.append(fixed[position])
                continue
            column = [slots[node.parents[position]] for node in nodes]
            self.operands.append(OperandRows(column[0].varies, Rows([s.row for s in column])))

    def out(self, storage: Storage) -> Array:
        """The group's own rows of `storage` (its outputs, or their gradients)."""
        return storage.array(self.varies)[self.start:self.stop]

    def inputs(self, values: Storage) -> list[Any]:
        """Each operand position's values: (K, B), (K, 1) if shared, (K,) if nothing varies."""
        inputs: list[Any] = []
        for operand in self.operands:
            if isinstance(operand, float):
                inputs.append(operand)
            elif operand.varies:
                inputs.append(operand.rows.take(values.varying))
            else:
                shared = operand.rows.take(values.shared)
                inputs.append(shared[:, None] if self.varies else shared)
        return inputs

    def forward(self, values: Storage) -> None:
        """Compute the group's outputs from its operands' values."""
        self.out(values)[...] = (self.op.array_forward or self.op.forward)(*self.inputs(values))

    def backward(self, values: Storage, grads: Storage) -> None:
        """Add what the group's gradients send to its operands into `grads`."""
        # The operands are gathered again rather than kept from forward: the storage is the
        # one state of the trace, so a check run in between cannot mix batches up.
        out_grad = self.out(grads)
        contributions = self.op.vjp(out_grad, self.inputs(values), self.out(values))
        for operand, c in zip(self.operands, contributions):
            if c is None or isinstance(operand, float):
                continue
            # fast path; plain version: full = np.broadcast_to(c, out_grad.shape)
            full = c if np.shape(c) == out_grad.shape else np.broadcast_to(c, out_grad.shape)
            if operand.varies:
                operand.rows.add(grads.varying, full)
            else:  # one number for the batch: its gradient is the sum over the samples
                operand.rows.add(grads.shared, full.sum(axis=1) if self.varies else full)


class DotGroup(Group):
    """dot nodes whose weights are all shared and inputs all vary (or the other way round).

    With weights W (K, n) and inputs X, the outputs are Y = W @ X; backward, with g the
    gradient arriving at Y, the weights get g @ X.T (summed over the batch) and the inputs
    W.T @ g. When every node reads the same inputs (a layer of neurons), X is (n, B) and both
    passes are plain matrix products; else X is (K, n, B), one product per node.
    """

    def __init__(self, op: Op, nodes: list[Value], slots: dict[Value, Slot], start: int,
                 weights_first: bool) -> None:
        super().__init__(op, nodes, slots, start)
        self.n = n = len(nodes[0].parents) // 2
        weight_rows, input_rows = [], []
        for node in nodes:
            first = [slots[p].row for p in node.parents[:n]]
            second = [slots[p].row for p in node.parents[n:]]
            weights, inputs = (first, second) if weights_first else (second, first)
            weight_rows.append(weights)
            input_rows.append(inputs)
        self.weight_rows = Rows([row for rows in weight_rows for row in rows])
        # fast path; plain version: same_inputs = False (X repeated for every node)
        self.same_inputs = all(rows == input_rows[0] for rows in input_rows)
        self.input_rows = Rows(input_rows[0] if self.same_inputs
                               else [row for rows in input_rows for row in rows])

    def inputs(self, values: Storage) -> list[Any]:
        """The weights W (K, n) and the inputs X: (n, B) if shared by the nodes, else
        (K, n, B)."""
        K = len(self.nodes)
        X = self.input_rows.take(values.varying)
        return [self.weight_rows.take(values.shared).reshape(K, self.n),
                X if self.same_inputs else X.reshape(K, self.n, -1)]

    def forward(self, values: Storage) -> None:
        """Y = W @ X."""
        W, X = self.inputs(values)
        self.out(values)[...] = W @ X if self.same_inputs else np.matmul(W[:, None, :], X)[:, 0, :]

    def backward(self, values: Storage, grads: Storage) -> None:
        """The weights get g @ X.T, the inputs W.T @ g."""
        W, X = self.inputs(values)
        g = self.out(grads)
        if self.same_inputs:
            self.weight_rows.add(grads.shared, (g @ X.T).ravel())
            self.input_rows.add(grads.varying, W.T @ g)
        else:
            self.weight_rows.add(grads.shared, np.matmul(X, g[:, :, None])[:, :, 0].ravel())
            self.input_rows.add(grads.varying,
                                (W[:, :, None] * g[:, None, :]).reshape(-1, g.shape[1]))


class SumGroup(Group):
    """sum nodes whose operands are all of one kind: each node's n operands summed on an axis."""

    def __init__(self, op: Op, nodes: list[Value], slots: dict[Value, Slot], start: int) -> None:
        super().__init__(op, nodes, slots, start)
        self.n = len(nodes[0].parents)
        self.operand_rows = Rows([slots[p].row for node in nodes for p in node.parents])

    def forward(self, values: Storage) -> None:
        """Each node's output is the sum of its n operands."""
        X = self.operand_rows.take(values.array(self.varies))
        self.out(values)[...] = X.reshape(len(self.nodes), self.n, *X.shape[1:]).sum(axis=1)

    def backward(self, values: Storage, grads: Storage) -> None:
        """Each operand gets its node's gradient unchanged."""
        out_grad = self.out(grads)
        spread = np.repeat(out_grad[:, None], self.n, axis=1).reshape(-1, *out_grad.shape[1:])
        self.operand_rows.add(grads.array(self.varies), spread)
