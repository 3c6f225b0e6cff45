"""The pieces under a trace: rows read and added into, and how a plan groups a graph."""

from __future__ import annotations

import numpy as np

import autograd_core as ag
from autograd_core import Value
from autograd_core.replay.groups import DotGroup, SumGroup
from autograd_core.replay.plan import Plan
from autograd_core.replay.recorder import record
from autograd_core.replay.storage import Rows


def test_consecutive_rows_are_a_view_and_repeated_rows_add_up() -> None:
    storage = np.arange(6.0)
    run = Rows([2, 3, 4])
    assert run.where == slice(2, 5) and np.shares_memory(run.take(storage), storage)
    repeated = Rows([4, 1, 4, 4])
    repeated.add(storage, np.array([1.0, 10.0, 100.0, 1000.0]))
    assert storage.tolist() == [0.0, 11.0, 2.0, 3.0, 1105.0, 5.0]
    assert repeated.take(storage).tolist() == [1105.0, 11.0, 1105.0, 1105.0]


def test_a_layer_is_one_dot_group_and_nodes_get_rows_where_they_vary_or_not() -> None:
    weights = [[Value(0.5), Value(-1.0)], [Value(2.0), Value(1.5)], [Value(1.0), Value(0.0)]]

    def layer(x: Value, y: Value) -> list[Value]:
        return [ag.dot(w, [x, y]).relu() for w in weights] + [ag.sum([x, y])]

    recorded = record(layer, [1.0, 2.0])
    plan = Plan(recorded.placeholders, recorded.outputs, recorded.branches)
    assert [g.op.name for g in plan.groups] == ["dot", "sum", "relu"]  # by depth
    dot, total, _ = plan.groups
    assert isinstance(dot, DotGroup) and dot.same_inputs and len(dot.nodes) == 3
    assert isinstance(total, SumGroup)
    assert plan.n_rows == 2 + 3 + 1 + 3  # the inputs, then a row per node of each group
    assert plan.n_shared_rows == 6  # the weights: nothing else is shared
