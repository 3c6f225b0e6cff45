"""Batched replay: record a scalar graph once, then run it over a whole batch with numpy.

The engine computes one number per node, so training the ordinary way builds one graph per
sample. `trace(fn, n_inputs)` records the graph of `fn` once, on one sample, and the `Trace` it
returns replays that graph over a batch of B samples: every node becomes numpy work on B
numbers, forward and backward, with the op table's own forward rules and VJPs. Nodes doing the
same op at the same depth of the graph run together (the neurons of a layer are one matrix
product), so the Python cost is per layer rather than per node and per sample.

The recorded graph's leaves are of three kinds:
- the placeholders, one per input: column j of the batch flows through placeholder j;
- Constants, the numbers written into `fn`;
- parameters: every other leaf, such as the weights `fn` closes over. A parameter is one
  number for the whole batch, so `backward` adds to its `.grad` the sum over the batch of what
  reaches it: the same number the scalar path gives, up to the order of summation.

A graph fits every sample only if its shape does not depend on the data. Comparing a Value
(`if x > 0:`) is a branch: the trace records each one, checks it on every sample of every
batch (before computing the rest of the graph), and records the graph again when the batch's
first sample goes another way (a batch that splits is refused). `float()` of a varying Value
is refused at once, and so are `x == 1` and `if x:` on an input (a Value answers them
differently from a number). Reading `.data` cannot be seen, so
replays also run `fn` directly on a few samples that differ from the recorded one (until every
input has been seen to differ) and refuse the trace if the numbers differ.

>>> import numpy as np
>>> from autograd_core import Value
>>> w = Value(2.0, label="w")
>>> f = trace(lambda x, y: (w * x - y) ** 2, 2)
>>> f(np.array([[1.0, 1.0], [2.0, 3.0]]))      # (2*1 - 1)**2, (2*2 - 3)**2
array([1., 1.])
>>> f.backward()                              # d/dw summed: 2*(1)*1 + 2*(1)*2
>>> w.grad
6.0
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .graph import topological_order
from .ops import OPS, Op, OpError, describe_call, failure_reason
from .value import Constant, Value, _tracer, as_value, no_grad, operand_data, recording

__all__ = ["trace", "Trace", "TraceError"]

Array = np.ndarray[Any, np.dtype[np.float64]]

# How a trace reacts to floating-point trouble: as the scalar path does, with an error.
_RAISE = {"over": "raise", "divide": "raise", "invalid": "raise", "under": "ignore"}

_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


class TraceError(ValueError):
    """A function's graph cannot be replayed over this batch (it depends on the data)."""


@dataclass(frozen=True)
class _Branch:
    """A comparison made while recording: `left symbol right` came out as `result`."""

    left: Value
    symbol: str
    right: Value | float
    result: bool

    def __str__(self) -> str:
        return f"{_name(self.left)} {self.symbol} {_name(self.right)}"


def _name(x: Value | float) -> str:
    """How an error message names a node: its label, else its op, else its number."""
    if not isinstance(x, Value):
        return f"{x:g}"
    return x.label or (f"{x.op}(...)" if x.op else f"{x.data:g}")


class _Recorder:
    """Hears every comparison and float() while `fn` is recorded (see value._tracer)."""

    def __init__(self) -> None:
        self.branches: list[_Branch] = []
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
        if self.varies(left) or (isinstance(right, Value) and self.varies(right)):
            self.branches.append(_Branch(left, symbol, right, result))

    def read(self, node: Value) -> None:
        if self.varies(node):
            raise TraceError(
                f"trace: fn calls float() on {_name(node)}, "
                "a value computed from its inputs or parameters; a replayed graph cannot "
                "recompute a plain number, so keep it a Value")


class _Placeholder(Value):
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


class _Rows:
    """Positions of K rows in a storage array: read them, or add into them.

    A run of consecutive rows is a slice (a view, no copy). Rows that repeat (x * x, or one
    input feeding many nodes of a group) have their additions summed first, since
    `a[rows] += c` would keep only one of them.
    """

    def __init__(self, rows: Sequence[int]) -> None:
        index = np.asarray(rows, dtype=np.intp)
        self.sums: tuple[Any, Any, Any] | None = None
        self.key: slice | Any
        if len(index) and bool((np.diff(index) == 1).all()):
            self.key = slice(int(index[0]), int(index[-1]) + 1)
            return
        self.key = index
        order = np.argsort(index, kind="stable")
        ordered = index[order]
        first = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        if len(first) < len(index):
            self.sums = (order, first, ordered[first])

    def take(self, storage: Array) -> Array:
        return storage[self.key]

    def add(self, storage: Array, values: Array) -> None:
        if self.sums is None:
            storage[self.key] += values
        else:
            order, first, rows = self.sums
            storage[rows] += np.add.reduceat(values[order], first, axis=0)


@dataclass
class _Slot:
    """Where a node's values live: a row of V (varies over the batch) or of S (shared)."""

    batch: bool
    row: int


class _Group:
    """Nodes of one op at one depth, whose operands are of the same kinds: run as one.

    The general kernel gathers each operand position into a (K, B) array (K nodes, B samples;
    (K, 1) for a shared operand, (K,) when nothing varies) and calls the op table's forward
    rule and VJP on it unchanged. `dot` and `sum`, the n-ary linear ops, run as a matrix
    product and an axis sum instead (`_DotGroup`, `_SumGroup`).
    """

    def __init__(self, op: Op, nodes: list[Value], slots: dict[Value, _Slot], start: int,
                 number_args: dict[int, float]) -> None:
        self.op, self.nodes, self.start, self.stop = op, nodes, start, start + len(nodes)
        self.batch = slots[nodes[0]].batch
        self.args: list[tuple[bool, _Rows] | float] = []
        for position in range(len(nodes[0].parents)):
            if position in number_args:  # the exponent of pow: the op's rule branches on it
                self.args.append(number_args[position])
                continue
            column = [slots[node.parents[position]] for node in nodes]
            self.args.append((column[0].batch, _Rows([slot.row for slot in column])))
        self.reached = True

    def out(self, V: Array, S: Array) -> Array:
        return (V if self.batch else S)[self.start:self.stop]

    def inputs(self, V: Array, S: Array) -> list[Any]:
        """Each operand position's values: (K, B), (K, 1) if shared, (K,) if nothing varies."""
        inputs: list[Any] = []
        for arg in self.args:
            if isinstance(arg, float):
                inputs.append(arg)
            elif arg[0]:
                inputs.append(arg[1].take(V))
            else:
                shared = arg[1].take(S)
                inputs.append(shared[:, None] if self.batch else shared)
        return inputs

    def forward(self, V: Array, S: Array) -> None:
        self.out(V, S)[...] = (self.op.array_forward or self.op.forward)(*self.inputs(V, S))

    def backward(self, V: Array, S: Array, GV: Array, GS: Array) -> None:
        # The operands are gathered again rather than kept from forward: the storage is the
        # one state of the trace, so a check run in between cannot mix batches up.
        g = self.out(GV, GS)
        contributions = self.op.vjp(g, self.inputs(V, S), self.out(V, S))
        for arg, c in zip(self.args, contributions):
            if c is None or isinstance(arg, float):
                continue
            batch, rows = arg
            full = c if np.shape(c) == g.shape else np.broadcast_to(c, g.shape)
            if batch:
                rows.add(GV, full)
            else:
                rows.add(GS, full.sum(axis=1) if self.batch else full)


class _DotGroup(_Group):
    """dot nodes whose weights are all shared and inputs all vary (or the other way round).

    With weights W (K, n) and inputs X, the outputs are W @ X. When every node reads the same
    inputs (a layer of neurons), X is (n, B) and both passes are plain matrix products.
    """

    def __init__(self, op: Op, nodes: list[Value], slots: dict[Value, _Slot], start: int,
                 shared_first: bool) -> None:
        super().__init__(op, nodes, slots, start, {})
        n = len(nodes[0].parents) // 2
        shared_rows, varying_rows = [], []
        for node in nodes:
            halves = [slots[p].row for p in node.parents[:n]], [slots[p].row for p in
                                                                node.parents[n:]]
            shared, varying = halves if shared_first else halves[::-1]
            shared_rows.append(shared)
            varying_rows.append(varying)
        self.n = n
        self.weights = _Rows([row for rows in shared_rows for row in rows])
        self.same_inputs = all(rows == varying_rows[0] for rows in varying_rows)
        self.varying = _Rows(varying_rows[0] if self.same_inputs
                             else [row for rows in varying_rows for row in rows])

    def inputs(self, V: Array, S: Array) -> list[Any]:
        """The weights W (K, n) and the inputs X: (n, B) if shared by the nodes, else
        (K, n, B)."""
        K = self.stop - self.start
        X = self.varying.take(V)
        return [self.weights.take(S).reshape(K, self.n),
                X if self.same_inputs else X.reshape(K, self.n, -1)]

    def forward(self, V: Array, S: Array) -> None:
        W, X = self.inputs(V, S)
        self.out(V, S)[...] = W @ X if self.same_inputs else np.matmul(W[:, None, :], X)[:, 0, :]

    def backward(self, V: Array, S: Array, GV: Array, GS: Array) -> None:
        W, X = self.inputs(V, S)
        g = self.out(GV, GS)
        if self.same_inputs:
            self.weights.add(GS, (g @ X.T).ravel())
            self.varying.add(GV, W.T @ g)
        else:
            self.weights.add(GS, np.matmul(X, g[:, :, None])[:, :, 0].ravel())
            self.varying.add(GV, (W[:, :, None] * g[:, None, :]).reshape(-1, g.shape[1]))


class _SumGroup(_Group):
    """sum nodes whose operands are all of one kind: one sum over an axis."""

    def __init__(self, op: Op, nodes: list[Value], slots: dict[Value, _Slot], start: int) -> None:
        super().__init__(op, nodes, slots, start, {})
        self.n = len(nodes[0].parents)
        self.operands = _Rows([slots[p].row for node in nodes for p in node.parents])

    def forward(self, V: Array, S: Array) -> None:
        storage = V if self.batch else S
        X = self.operands.take(storage)
        self.out(V, S)[...] = X.reshape(self.stop - self.start, self.n, *X.shape[1:]).sum(axis=1)

    def backward(self, V: Array, S: Array, GV: Array, GS: Array) -> None:
        g = self.out(GV, GS)
        spread = np.repeat(g[:, None], self.n, axis=1).reshape(-1, *g.shape[1:])
        self.operands.add(GV if self.batch else GS, spread)


def _reached(order: list[Value], outputs: list[Value]) -> set[Value]:
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


class _Plan:
    """A recorded graph, laid out for replay: storage rows and groups in depth order."""

    def __init__(self, placeholders: list[Value], outputs: list[Value],
                 branches: list[_Branch]) -> None:
        roots = [*outputs, *(b.left for b in branches),
                 *(b.right for b in branches if isinstance(b.right, Value))]
        order = topological_order(*roots)
        self.placeholders, self.outputs, self.branches = placeholders, outputs, branches
        # What the comparisons need runs first, so the branches are checked before the rest
        # of the graph (which a batch going another way may not even be able to compute).
        guarded = set(topological_order(*roots[len(outputs):])) if branches else set()
        reached = _reached(order, outputs)
        slots: dict[Value, _Slot] = {p: _Slot(True, i) for i, p in enumerate(placeholders)}
        self.parameters: list[Value] = []
        constants: list[Value] = []
        depth: dict[Value, int] = {}
        grouped: dict[tuple[Any, ...], list[Value]] = {}
        for node in order:
            if not node.parents:
                depth[node] = 0
                if node not in slots:
                    (constants if isinstance(node, Constant) else self.parameters).append(node)
                continue
            depth[node] = 1 + max(depth[p] for p in node.parents)
            # Parameters and Constants get their slots after this loop: not in slots = shared.
            kinds = tuple(p in slots and slots[p].batch for p in node.parents)
            # A group's nodes are all reached by the gradient or all not (those are skipped
            # backward, like nodes the scalar walker gets no gradient for).
            key: tuple[Any, ...] = (node not in guarded, depth[node], node.op, kinds,
                                    node in reached)
            if node.op == "pow":
                key += (node.parents[1].data,)
            grouped.setdefault(key, []).append(node)
            slots[node] = _Slot(any(kinds), -1)  # its row is given when its group is made
        n_shared = len(self.parameters)
        for i, leaf in enumerate(self.parameters + constants):
            slots[leaf] = _Slot(False, i)
        self.constants = np.array([c.data for c in constants])
        self.n_shared_leaves = n_shared + len(constants)
        rows = [len(placeholders), self.n_shared_leaves]  # next free row in V, in S
        self.groups: list[_Group] = []
        for key in sorted(grouped, key=lambda k: k[:2]):
            nodes = grouped[key]
            batch = slots[nodes[0]].batch
            start = rows[0] if batch else rows[1]
            for i, node in enumerate(nodes):
                slots[node].row = start + i
            rows[0 if batch else 1] += len(nodes)
            group = self._group(OPS[key[2]], nodes, slots, start, key)
            group.reached = key[4]
            self.groups.append(group)
        self.n_branch_groups = sum(1 for key in grouped if not key[0])
        self.n_rows, self.n_shared_rows = rows
        self.slots = slots

    @staticmethod
    def _group(op: Op, nodes: list[Value], slots: dict[Value, _Slot], start: int,
               key: tuple[Any, ...]) -> _Group:
        kinds = key[3]
        if op.name == "dot":
            n = len(kinds) // 2
            weights, inputs = set(kinds[:n]), set(kinds[n:])
            if weights == {False} and inputs == {True}:
                return _DotGroup(op, nodes, slots, start, shared_first=True)
            if weights == {True} and inputs == {False}:
                return _DotGroup(op, nodes, slots, start, shared_first=False)
        if op.name == "sum" and len(set(kinds)) == 1:
            return _SumGroup(op, nodes, slots, start)
        exponent = {1: key[5]} if op.name == "pow" else {}
        return _Group(op, nodes, slots, start, exponent)

    def value(self, node: Value | float, V: Array, S: Array) -> Any:
        """A node's values over the batch (B,), or one number if it does not vary."""
        if not isinstance(node, Value):
            return node
        slot = self.slots[node]
        return V[slot.row] if slot.batch else S[slot.row]


class _Operand:
    """A stand-in for a node in an error message: its label and one sample's number."""

    def __init__(self, label: str, data: float) -> None:
        self.label, self.data = label, data


def _outputs_of(result: object) -> tuple[list[Value], bool]:
    """fn's result as a list of Values, and whether it was a single Value."""
    if isinstance(result, Value):
        return [result], True
    if isinstance(result, (list, tuple)) and result:
        return [as_value(r, "trace: fn's result") for r in result], False
    raise TypeError(f"trace: fn must return a Value or a non-empty list of Values, got "
                    f"{type(result).__name__}")


class Trace:
    """A function's graph, recorded once and replayed over batches (see the module's doc).

    Call it on a batch `X` of shape (B, n_inputs) to get the outputs, shape (B,) when `fn`
    returns one Value and (B, m) when it returns m; then `backward()` adds the batch's
    parameter gradients to `.grad` and leaves the gradients of the inputs in `input_grad`.
    `outputs` is the scalar graph of the sample it was recorded on, for drawing and stepping
    through.
    """

    def __init__(self, fn: Callable[..., Any], n_inputs: int,
                 example: Sequence[float] | None = None) -> None:
        if not callable(fn):
            raise TypeError(f"trace: fn must be a function, got {type(fn).__name__}")
        if isinstance(n_inputs, bool) or not isinstance(n_inputs, int) or n_inputs < 1:
            raise ValueError(f"trace: n_inputs must be an int of at least 1, got "
                             f"{n_inputs!r:.40}")
        self.fn, self.n_inputs = fn, n_inputs
        self.name = getattr(fn, "__name__", type(fn).__name__)
        self._plan: _Plan | None = None
        self._single = True
        self._covered = np.zeros(n_inputs, dtype=bool)
        self._state: tuple[Array, Array, int] | None = None
        self.input_grad: Array | None = None
        self.batch_size = 0  # of the last forward pass
        self.retraces = 0  # how often a batch that went another way made it record again
        if example is not None:
            self._record(self._check_batch([example])[0])

    # --- what was recorded ---------------------------------------------------------------------

    @property
    def outputs(self) -> list[Value]:
        """The recorded scalar graph's outputs (one sample's graph: draw it, step through it)."""
        return list(self._recorded().outputs)

    @property
    def inputs(self) -> list[Value]:
        """The placeholders, holding the sample the graph was recorded on."""
        return list(self._recorded().placeholders)

    @property
    def parameters(self) -> list[Value]:
        """The leaves that are neither inputs nor Constants: `backward` adds to their `.grad`."""
        return list(self._recorded().parameters)

    def _recorded(self) -> _Plan:
        if self._plan is None:
            raise RuntimeError(f"trace of {self.name}: nothing is recorded yet; call it on a "
                               "batch first (or pass example=)")
        return self._plan

    def __repr__(self) -> str:
        if self._plan is None:
            return f"Trace({self.name}, {self.n_inputs} inputs, not recorded yet)"
        plan = self._plan
        ops = sum(len(g.nodes) for g in plan.groups)  # the graph's nodes that are not leaves
        return (f"Trace({self.name}, {self.n_inputs} inputs, {len(plan.outputs)} output(s), "
                f"{ops} ops in {len(plan.groups)} groups, {len(plan.parameters)} "
                "parameters)")

    # --- recording -----------------------------------------------------------------------------

    def _record(self, sample: Array) -> None:
        placeholders: list[Value] = [_Placeholder(float(x), label=f"x{i}")
                                     for i, x in enumerate(sample)]
        recorder = _Recorder()
        token = _tracer.set(recorder)
        try:
            with recording():  # a graph is needed even if the caller is inside no_grad()
                result = self.fn(*placeholders)
        finally:
            _tracer.reset(token)
        outputs, self._single = _outputs_of(result)
        self._plan = _Plan(placeholders, outputs, recorder.branches)
        self._covered = np.zeros(self.n_inputs, dtype=bool)  # inputs checked against fn

    def _check_batch(self, X: object) -> Array:
        try:
            batch = np.asarray(X, dtype=float)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"trace of {self.name}: the batch must be numbers, shape (batch, "
                            f"{self.n_inputs}): {exc}") from None
        if batch.ndim == 1 and self.n_inputs == 1:
            batch = batch[:, None]
        if batch.ndim != 2 or batch.shape[1] != self.n_inputs or batch.shape[0] == 0:
            raise ValueError(f"trace of {self.name}: the batch must have shape (batch, "
                             f"{self.n_inputs}) with at least one sample, got shape "
                             f"{batch.shape}")
        finite = np.isfinite(batch)
        if not finite.all():
            row, column = map(int, np.argwhere(~finite)[0])
            raise ValueError(f"trace of {self.name}: sample {row}, input {column} is "
                             f"{batch[row, column]}; a batch must be finite numbers")
        return batch

    # --- replay --------------------------------------------------------------------------------

    def __call__(self, X: object) -> Array:
        """The outputs for every sample of X: shape (B,) for one output, (B, m) for m."""
        return self.forward(X)

    def forward(self, X: object) -> Array:
        """Same as calling the trace: run the recorded graph over the batch X."""
        batch = self._check_batch(X)
        self._state, self.batch_size = None, 0  # until this pass has succeeded
        plan, V, S = self._fitting(batch)
        self._run(plan, plan.groups[plan.n_branch_groups:], V, S)
        self._check_against_fn(batch)
        self._state, self.batch_size = (V, S, len(batch)), len(batch)
        return self._outputs(plan, V, S)

    def check(self, X: object) -> None:
        """Check, before training on them, that the recorded graph fits the samples of X.

        Records first if nothing is recorded yet. Raises TraceError if the samples branch in
        different ways, or if fn, run directly on samples that differ from the recorded one
        in every input that varies, gives other numbers than the recorded graph.
        """
        batch = self._check_batch(X)
        self._fitting(batch)
        self._check_against_fn(batch)

    def _fitting(self, batch: Array) -> tuple[_Plan, Array, Array]:
        """The plan and storage for this batch, with the branches checked (and the graph
        recorded again if the whole batch goes another way): only the groups the
        comparisons need have run."""
        if self._plan is None:
            self._record(batch[0])
        for attempt in range(2):
            plan, V, S = self._storage(batch)
            self._run(plan, plan.groups[:plan.n_branch_groups], V, S)
            split = self._check_branches(plan, V, S, retry=attempt == 0)
            if split is None:
                return plan, V, S
            if split:
                raise TraceError(split)
            self._record(batch[0])  # sample 0 goes another way: record the graph it takes
            self.retraces += 1
        raise AssertionError("unreachable: a graph recorded on sample 0 fits sample 0")

    def _storage(self, batch: Array) -> tuple[_Plan, Array, Array]:
        plan = self._recorded()
        V = np.empty((plan.n_rows, len(batch)))
        V[:self.n_inputs] = batch.T
        S = np.empty(plan.n_shared_rows)
        n_parameters = len(plan.parameters)
        S[:n_parameters] = [p.data for p in plan.parameters]
        S[n_parameters:plan.n_shared_leaves] = plan.constants
        return plan, V, S

    def _run(self, plan: _Plan, groups: list[_Group], V: Array, S: Array) -> None:
        with np.errstate(**_RAISE):  # type: ignore[arg-type]
            for group in groups:
                try:
                    group.forward(V, S)
                except FloatingPointError:
                    raise self._failure(plan, group, V, S, None, None) from None

    def _outputs(self, plan: _Plan, V: Array, S: Array) -> Array:
        columns = [np.broadcast_to(plan.value(o, V, S), (V.shape[1],)) for o in plan.outputs]
        return columns[0].copy() if self._single else np.stack(columns, axis=1)

    def _check_branches(self, plan: _Plan, V: Array, S: Array, retry: bool) -> str | None:
        """None if every sample takes the recorded branches; "" to record again from sample 0
        (it goes another way, and `retry`); else why no one graph fits the batch."""
        B = V.shape[1]
        agree = [np.broadcast_to(_COMPARE[b.symbol](plan.value(b.left, V, S),
                                                    plan.value(b.right, V, S)) == b.result,
                                 (B,)) for b in plan.branches]
        if all(same.all() for same in agree):
            return None
        if retry and not all(same[0] for same in agree):
            return ""
        for branch, same in zip(plan.branches, agree):
            if not same.all():
                ways = (f"samples {int(np.argmax(same))} and {int(np.argmax(~same))} of this "
                        "batch go different ways" if same.any() else
                        "the batch goes another way than the sample it was recorded on")
                return (f"trace of {self.name}: fn branches on `{branch}` (a comparison of "
                        f"Values), and {ways}, so no one graph fits the batch. Write the "
                        "branch with an op (relu, step, abs, leaky_relu, logsumexp) or run "
                        "fn one sample at a time")
        raise AssertionError("unreachable: some branch disagrees")

    def _check_against_fn(self, batch: Array) -> None:
        """Run fn directly on other samples: the recorded graph must give the same numbers.

        Until every input has been seen differing from the recorded sample's (in this batch
        or an earlier one), this picks up to 16 samples that differ in the inputs not seen
        yet: a number read from any input and frozen into the graph then shows.
        """
        plan = self._recorded()
        differs = batch != np.array([p.data for p in plan.placeholders])
        if not (differs & ~self._covered).any():
            return
        chosen: list[int] = []
        covered = self._covered.copy()
        for candidate in np.flatnonzero((differs & ~covered).any(axis=1)).tolist():
            if len(chosen) == 16:
                break
            if (differs[candidate] & ~covered).any():
                chosen.append(candidate)
                covered |= differs[candidate]
        try:
            _, V, S = self._fitting(batch[chosen])
            self._run(plan, plan.groups[plan.n_branch_groups:], V, S)
        except OpError as exc:  # name the sample by its place in the batch, not in `chosen`
            if not hasattr(exc, "sample"):
                raise
            raise self._sample_error(chosen[exc.sample], getattr(exc, "detail", "")) from None
        replayed = self._outputs(plan, V, S).reshape(len(chosen), -1)
        for row, i in enumerate(chosen):
            with no_grad():
                direct, _ = _outputs_of(self.fn(*[Value(float(x)) for x in batch[i]]))
            for j, theirs in enumerate(direct):
                mine = float(replayed[row, j])
                # Beyond rounding: numpy may sum in another order than Python.
                if not math.isclose(mine, theirs.data, rel_tol=1e-7, abs_tol=1e-9):
                    raise TraceError(
                        f"trace of {self.name}: run directly on sample {i}, fn gives output "
                        f"{j} = {theirs.data:.10g}, but the recorded graph gives "
                        f"{mine:.10g}. fn must compute its result from its inputs with "
                        "Value operations only: it may read .data, use randomness or keep "
                        "state, which one recorded graph cannot repeat. Run it one sample at "
                        "a time instead")
        self._covered = covered

    def backward(self, grad: object = None) -> None:
        """Add each parameter's gradient, summed over the last batch, to its `.grad`.

        `grad` weighs the samples' outputs: by default 1 for each (the gradient of the sum of
        the outputs over the batch); shape (B,) for one output, (B, m) for m. Pass
        `np.full(B, 1 / B)` for the gradient of the mean. The gradients of the inputs are
        left in `input_grad`, shape (B, n_inputs). Nothing is written if the pass fails.
        """
        if self._state is None:
            raise RuntimeError(f"trace of {self.name}: backward() needs a forward pass first")
        plan = self._recorded()
        V, S, B = self._state
        m = len(plan.outputs)
        seed = self._check_seed(grad, B, m)
        GV, GS = np.zeros_like(V), np.zeros_like(S)
        for j, output in enumerate(plan.outputs):
            slot = plan.slots[output]
            if slot.batch:
                GV[slot.row] += seed[:, j]
            else:
                GS[slot.row] += seed[:, j].sum()
        with np.errstate(**_RAISE):  # type: ignore[arg-type]
            for group in reversed(plan.groups):
                if group.reached:
                    try:
                        group.backward(V, S, GV, GS)
                    except FloatingPointError:
                        raise self._failure(plan, group, V, S, GV, GS) from None
        self.input_grad = GV[:self.n_inputs].T.copy()
        for parameter, g in zip(plan.parameters, GS[:len(plan.parameters)].tolist()):
            parameter.grad += g

    def _check_seed(self, grad: object, B: int, m: int) -> Array:
        if grad is None:
            return np.ones((B, m))
        try:
            seed = np.asarray(grad, dtype=float)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"trace of {self.name}: grad must be numbers: {exc}") from None
        shape = (B,) if self._single else (B, m)
        if seed.shape != shape:
            raise ValueError(f"trace of {self.name}: grad must have shape {shape} (one weight "
                             f"per sample{'' if self._single else ' and output'}), got "
                             f"{seed.shape}")
        if not np.isfinite(seed).all():
            raise ValueError(f"trace of {self.name}: grad must be finite")
        return seed.reshape(B, m)

    def _sample_error(self, sample: int, detail: str) -> OpError:
        error = OpError(f"trace of {self.name}, sample {sample}: {detail}")
        # For callers that number samples their own way (fit: by their place in the data).
        error.sample, error.detail = sample, detail  # type: ignore[attr-defined]
        return error

    def _failure(self, plan: _Plan, group: _Group, V: Array, S: Array, GV: Array | None,
                 GS: Array | None) -> Exception:
        """The error the scalar path gives, for the first node and sample where numpy failed."""
        op = group.op
        for b in range(V.shape[1]):
            for node in group.nodes:
                operands = [_Operand(p.label, float(np.broadcast_to(
                    plan.value(p, V, S), (V.shape[1],))[b])) for p in node.parents]
                inputs = tuple(o.data for o in operands)
                try:
                    if GV is None or GS is None:
                        result = op.forward(*inputs)
                        if not math.isfinite(result):
                            raise OverflowError
                    else:
                        g = float(np.broadcast_to(plan.value(node, GV, GS), (V.shape[1],))[b])
                        out = float(np.broadcast_to(plan.value(node, V, S), (V.shape[1],))[b])
                        if any(c is not None and not math.isfinite(c)
                               for c in op.vjp(g, inputs, out)):
                            raise OverflowError
                except (ArithmeticError, ValueError) as exc:
                    backward = GV is not None
                    detail = (f"{'backward of ' if backward else ''}"
                              f"{describe_call(op, operands, node.label)}: "
                              f"{failure_reason(op, exc, backward=backward)}")
                    return self._sample_error(b, detail)
        return OpError(f"trace of {self.name}: a {op.name} step "
                       f"{'backward ' if GV is not None else ''}overflows a float")


def trace(fn: Callable[..., Any], n_inputs: int, example: Sequence[float] | None = None
          ) -> Trace:
    """Record fn's graph (fn takes `n_inputs` Values) for replay over whole batches.

    The graph is recorded on `example` if given, else on the first sample of the first batch.
    See `Trace` and the module's doc.
    """
    return Trace(fn, n_inputs, example)

