"""The dispatching helpers give the same numbers on floats, Values and numpy arrays."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd_core import Value, dispatch

POINTS = [-3.0, -0.5, 0.0, 0.25, 2.0]
POSITIVE = [0.1, 0.5, 1.0, 4.0]


@pytest.mark.parametrize("name, points", [
    ("exp", POINTS), ("log", POSITIVE), ("sqrt", POSITIVE), ("tanh", POINTS),
    ("sigmoid", POINTS), ("sin", POINTS), ("cos", POINTS), ("step", POINTS), ("sign", POINTS),
])
def test_floats_values_and_arrays_agree(name: str, points: list[float]) -> None:
    helper = getattr(dispatch, name)
    on_floats = [helper(x) for x in points]
    on_values = [helper(Value(x)) for x in points]
    on_array = helper(np.array(points))
    assert all(isinstance(v, Value) for v in on_values)
    assert [v.data for v in on_values] == pytest.approx(on_floats, rel=1e-15)
    assert list(on_array) == pytest.approx(on_floats, rel=1e-15)


def test_sigmoid_is_stable_on_arrays() -> None:
    out = dispatch.sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    assert list(out) == [0.0, 0.5, 1.0]


def test_xlogy_is_zero_where_x_is_zero() -> None:
    assert dispatch.xlogy(0.0, 0.0) == 0.0
    assert dispatch.xlogy(2.0, math.e) == pytest.approx(2.0)
    assert list(dispatch.xlogy(np.array([0.0, 2.0]), np.array([0.0, math.e]))) == \
        pytest.approx([0.0, 2.0])
    assert float(dispatch.xlogy(Value(0.0), Value(0.0))) == 0.0
    assert dispatch.xlogy(Value(2.0), Value(math.e)).data == pytest.approx(2.0)
