"""Layers over a sequence, on Values: `RNN` (tanh) and `LSTM`, unrolled, matching torch.nn.RNN
and torch.nn.LSTM (one layer, float64) for one sequence; and single-head `SelfAttention`.

A sequence is a list of time steps, each a list of `input_size` numbers or Values. The same
weights are used at every step: each weight is one node with an edge into every step, so
backward sums its gradient over time (back-propagation through time), and a drawing shows it.

- RNN: h_t = tanh(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh), h_0 = 0.
- LSTM: the gates i, f, g, o = sigmoid, sigmoid, tanh, sigmoid of (W_ih x_t + b_ih + W_hh
  h_(t-1) + b_hh), in PyTorch's order; c_t = f c_(t-1) + i g, h_t = o tanh(c_t).

Both return `(outputs, state)`: every step's h (a list of T lists), and the last state (h_T,
or (h_T, c_T) for the LSTM), as PyTorch does.

>>> rnn = RNN(1, 1, seed=0)
>>> outputs, h = rnn([[0.5], [-1.0], [2.0]])
>>> len(outputs), len(h)
(3, 1)
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import autograd_core as ag
from autograd_core import Value

from .checks import check_int
from .init import make_rng
from .module import Module

__all__ = ["RNN", "LSTM", "SelfAttention"]


def _matrix(rows: int, columns: int, bound: float, rng: random.Random) -> list[list[Value]]:
    return [[Value(rng.uniform(-bound, bound)) for _ in range(columns)] for _ in range(rows)]


def _vector(size: int, bound: float, rng: random.Random) -> list[Value]:
    return [Value(rng.uniform(-bound, bound)) for _ in range(size)]


def _check_sequence(who: str, sequence: Any, width: int, argument: str = "input_size"
                    ) -> list[list[Any]]:
    if isinstance(sequence, (str, bytes)) or not isinstance(sequence, Sequence) or not sequence:
        raise TypeError(f"{who} takes a sequence: a non-empty list of time steps, each a list of "
                        f"{width} numbers; got {type(sequence).__name__}")
    steps = []
    for t, step in enumerate(sequence):
        if isinstance(step, (str, bytes)) or not isinstance(step, Sequence):
            raise TypeError(f"{who}: time step {t} is not a list of {width} numbers: "
                            f"{step!r:.40}")
        if len(step) != width:
            raise ValueError(f"{who}: time step {t} has {len(step)} inputs, the layer takes "
                             f"{width} ({argument})")
        steps.append([x if isinstance(x, Value) else ag.as_value(x, who) for x in step])
    return steps


class _Recurrent(Module):
    """The weights every recurrent layer has, in PyTorch's layout, initialised as PyTorch
    does: uniform in +-1/sqrt(hidden_size)."""

    gates = 1

    def __init__(self, input_size: int, hidden_size: int,
                 seed: int | random.Random | None = None) -> None:
        name = type(self).__name__
        self.input_size = check_int(f"{name}: input_size", input_size)
        self.hidden_size = check_int(f"{name}: hidden_size", hidden_size)
        rng = make_rng(seed)
        bound = hidden_size ** -0.5
        rows = self.gates * hidden_size
        self.weight_ih = _matrix(rows, input_size, bound, rng)
        self.weight_hh = _matrix(rows, hidden_size, bound, rng)
        self.bias_ih = _vector(rows, bound, rng)
        self.bias_hh = _vector(rows, bound, rng)

    def _pre(self, x: list[Value], h: list[Any]) -> list[Value]:
        """W_ih x + b_ih + W_hh h + b_hh, one Value per row (per gate and unit)."""
        return [ag.dot(w_ih, x) + ag.dot(w_hh, h) + b_ih + b_hh
                for w_ih, w_hh, b_ih, b_hh in zip(self.weight_ih, self.weight_hh,
                                                  self.bias_ih, self.bias_hh)]

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}"


class RNN(_Recurrent):
    """An Elman RNN with tanh, one layer, unrolled: `rnn(sequence) -> (outputs, h_T)`."""

    def forward(self, sequence: Any) -> tuple[list[list[Value]], list[Value]]:
        steps = _check_sequence("RNN", sequence, self.input_size)
        h: list[Any] = [0.0] * self.hidden_size
        outputs = []
        for x in steps:
            h = [z.tanh() for z in self._pre(x, h)]
            outputs.append(h)
        return outputs, h


class LSTM(_Recurrent):
    """A long short-term memory layer, one layer, unrolled:
    `lstm(sequence) -> (outputs, (h_T, c_T))`."""

    gates = 4

    def forward(self, sequence: Any
                ) -> tuple[list[list[Value]], tuple[list[Value], list[Value]]]:
        steps = _check_sequence("LSTM", sequence, self.input_size)
        size = self.hidden_size
        h: list[Any] = [0.0] * size
        c: list[Any] = [0.0] * size
        outputs = []
        for x in steps:
            z = self._pre(x, h)
            i = [v.sigmoid() for v in z[:size]]
            f = [v.sigmoid() for v in z[size:2 * size]]
            g = [v.tanh() for v in z[2 * size:3 * size]]
            o = [v.sigmoid() for v in z[3 * size:]]
            c = [f_j * c_j + i_j * g_j for f_j, c_j, i_j, g_j in zip(f, c, i, g)]
            h = [o_j * c_j.tanh() for o_j, c_j in zip(o, c)]
            outputs.append(h)
        return outputs, (h, c)


class SelfAttention(Module):
    """Single-head scaled dot-product self-attention over a short sequence, as a course draws
    it: for each position i, queries q_i = W_q x_i, keys k_j = W_k x_j and values v_j = W_v x_j;
    weights a_ij = softmax over j of (q_i . k_j) / sqrt(d_k); output_i = sum_j a_ij v_j.
    `causal=True` lets position i attend to positions up to i only.

    The softmax is exp(s - logsumexp(s)), one node each, so a drawing shows every weight and
    backward sends every score its gradient. `attention(sequence)` also keeps the weights of
    its last call in `weights` (a list of rows), to look at.
    """

    computed = ("weights",)

    def __init__(self, d_model: int, d_k: int | None = None, causal: bool = False,
                 seed: int | random.Random | None = None) -> None:
        self.d_model = check_int("SelfAttention: d_model", d_model)
        self.d_k = check_int("SelfAttention: d_k", d_model if d_k is None else d_k)
        if not isinstance(causal, bool):
            raise TypeError(f"SelfAttention: causal must be True or False, got {causal!r:.40}")
        self.causal = causal
        rng = make_rng(seed)
        bound = d_model ** -0.5
        self.w_q = _matrix(self.d_k, d_model, bound, rng)
        self.w_k = _matrix(self.d_k, d_model, bound, rng)
        self.w_v = _matrix(self.d_k, d_model, bound, rng)
        self.weights: list[list[Value]] = []

    def forward(self, sequence: Any) -> list[list[Value]]:
        steps = _check_sequence("SelfAttention", sequence, self.d_model, "d_model")
        queries = [[ag.dot(row, x) for row in self.w_q] for x in steps]
        keys = [[ag.dot(row, x) for row in self.w_k] for x in steps]
        values = [[ag.dot(row, x) for row in self.w_v] for x in steps]
        scale = self.d_k ** -0.5
        outputs, self.weights = [], []
        for i, q in enumerate(queries):
            seen = keys[:i + 1] if self.causal else keys
            scores = [ag.dot(q, k) * scale for k in seen]
            total = ag.logsumexp(scores)
            weights = [(s - total).exp() for s in scores]
            self.weights.append(weights)
            outputs.append([ag.dot(weights, [v[d] for v in values[:len(seen)]])
                            for d in range(self.d_k)])
        return outputs

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, d_k={self.d_k}" + (", causal" if self.causal else "")
