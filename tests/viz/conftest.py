"""Graphs the viz tests draw, each built the same way every time."""

from __future__ import annotations

import pytest

from autograd_core import Value, scope
from autograd_core.checking import EXERCISES


def micrograd_example() -> Value:
    """L = (a * b + c) * f, labelled, backward done."""
    a, b, c, f = (Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c"),
                  Value(-2.0, label="f"))
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    loss = d * f
    loss.label = "L"
    loss.backward()
    return loss


def neuron() -> Value:
    """o = tanh(x1*w1 + x2*w2 + b), micrograd's neuron (from the exercise bank), backward done."""
    o = EXERCISES["neuron"].build().output
    o.backward()
    return o


def scoped_network(n_neurons: int = 3, n_inputs: int = 2) -> Value:
    """A one-layer network whose nodes carry nn-style scopes (net/neurons.i)."""
    xs = [Value(float(i + 1), label=f"x{i}") for i in range(n_inputs)]
    outputs = []
    with scope("net"):
        for j in range(n_neurons):
            with scope(f"neurons.{j}"):
                ws = [Value(0.1 * (j - i), label=f"w{j}{i}") for i in range(n_inputs)]
                total = ws[0] * xs[0]
                for w, x in zip(ws[1:], xs[1:]):
                    total = total + w * x
                outputs.append(total.tanh())
        out = outputs[0]
        for o in outputs[1:]:
            out = out + o
    out.label = "out"
    out.backward()
    return out


@pytest.fixture
def loss() -> Value:
    return micrograd_example()
