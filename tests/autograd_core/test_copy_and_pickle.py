"""pickle and copy.deepcopy keep a graph whole, shared nodes shared, at any depth."""

from __future__ import annotations

import copy
import io
import pickle
from typing import Any

import pytest

import autograd_core as ag
from autograd_core import Constant, Value


def _chain(n: int) -> tuple[Value, Value]:
    x = Value(0.5, label="x")
    y = x
    for _ in range(n):
        y = (y * 0.9999).tanh() + x * 1e-6
    y.label = "y"
    return x, y


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_a_graph_100000_deep_is_copied_whole(how: str) -> None:
    x, y = _chain(34_000)  # three operations a step: 102,000 deep
    if how == "pickle":
        y2, x2 = pickle.loads(pickle.dumps([y, x]))
    else:
        y2, x2 = copy.deepcopy([y, x])
    order, copied = ag.topological_order(y), ag.topological_order(y2)
    assert len(order) == len(copied) and x2 in copied and y2.label == "y"
    assert [n.data for n in order[-50:]] == [n.data for n in copied[-50:]]
    assert [type(n) for n in order[:50]] == [type(n) for n in copied[:50]]
    assert ag.grad(y2, x2) == ag.grad(y, x)
    assert not set(map(id, order)) & set(map(id, copied))  # a copy, not the same nodes


def test_shared_nodes_stay_shared_and_separately_pickled_nodes_are_the_same() -> None:
    x = Value(3.0, label="x")
    h = x * 2
    z = h * h + x
    for objects in ([z, x, h], [h, x, z]):
        z2, h2, x2 = sorted(pickle.loads(pickle.dumps(objects)), key=lambda v: -v.data)
        assert z2.parents[0].parents[0] is z2.parents[0].parents[1] is h2
        assert h2.parents[0] is x2 and z2.parents[1] is x2
        z2.backward()
        assert x2.grad == ag.grad(z, x) and x.grad == 0.0
    assert isinstance(pickle.loads(pickle.dumps(x * 2)).parents[1], Constant)


def test_copy_copy_is_a_new_node_with_the_same_parents() -> None:
    x = Value(2.0, label="x")
    s = x * x
    c = copy.copy(s)
    assert c is not s and c.parents == s.parents and c.parents[0] is x and c.data == 4.0


def test_a_pickling_that_fails_half_way_leaves_nothing_behind() -> None:
    _, y = _chain(100)
    victim = y.parents[0].parents[0]

    class Failing(pickle.Pickler):
        def persistent_id(self, obj: Any) -> None:
            if obj is victim:
                raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        Failing(io.BytesIO()).dump(y)
    # The nodes that pickling had started to write flat are written whole again.
    victim2 = pickle.loads(pickle.dumps(victim))
    assert len(ag.topological_order(victim2)) == len(ag.topological_order(victim))
