"""numerical_grad and gradcheck: central differences and the per-input report."""

from __future__ import annotations

import math

import pytest

from autograd_core import OPS, Value, gradcheck, numerical_grad
from autograd_core.ops import Op


def test_numerical_grad_estimates_partial_derivatives() -> None:
    estimates = numerical_grad(lambda x, y: x * y.exp(), [2.0, 0.5])
    assert estimates == pytest.approx([math.exp(0.5), 2 * math.exp(0.5)], rel=1e-8)


def test_numerical_grad_scales_its_step_with_large_inputs() -> None:
    assert numerical_grad(lambda x: x * x, [1e8]) == pytest.approx([2e8], rel=1e-6)


def test_gradcheck_passes_and_reports_each_input() -> None:
    report = gradcheck(lambda a, b: (a * b).tanh() + b**2, [Value(0.3, label="a"), 1.2])
    assert report
    rows = list(report)
    assert [r.name for r in rows] == ["a", "x1"]
    assert all(r.ok and r.abs_error < 1e-8 for r in rows)
    text = str(report)
    assert "backward" in text and "numerical" in text and text.count("yes") == 2


def test_gradcheck_catches_a_wrong_derivative(monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = Op("exp", "exp", 1, math.exp, lambda g, inputs, out: (2 * g * out,), "wrong")
    monkeypatch.setitem(OPS, "exp", wrong)
    report = gradcheck(lambda x, y: x.exp() + y, [0.5, 1.0])
    assert not report
    assert [r.ok for r in report] == [False, True]
    assert "NO" in str(report)


def test_gradcheck_leaves_the_inputs_grad_alone() -> None:
    x = Value(2.0)
    gradcheck(lambda v: v * v, [x])
    assert x.grad == 0.0


def test_gradcheck_refuses_bad_inputs_and_functions() -> None:
    with pytest.raises(TypeError, match=r"inputs\[0\] must be a number or a Value, got str"):
        gradcheck(lambda x: x, ["1"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="f must return a Value, got float"):
        gradcheck(lambda x: 1.0, [1.0])  # type: ignore[arg-type, return-value]


def test_the_report_displays_as_a_table_in_a_notebook() -> None:
    report = gradcheck(lambda x: x * x, [Value(3.0, label="x")])
    assert repr(report) == str(report) and repr(report).startswith("input")
    html = report._repr_html_()
    assert html.startswith("<table>") and "<td>x</td>" in html and "&#x2714;" in html
