"""RNN and LSTM against PyTorch (float64): every step's output, the last state, and the
gradient of every weight and input to 1e-9; a weight's gradient summed over time; bad input."""

from __future__ import annotations

import random
from typing import Any

import pytest

import autograd_core as ag
import nn
from autograd_core import Value
from nn.recurrent import LSTM, RNN

torch = pytest.importorskip("torch")

NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def flat(x: Any) -> list[Any]:
    return [v for part in x for v in flat(part)] if isinstance(x, (list, tuple)) else [x]


@pytest.mark.parametrize("ours_class, theirs_class", [(RNN, torch.nn.RNN),
                                                      (LSTM, torch.nn.LSTM)])
def test_recurrent_layers_match_pytorch(ours_class: Any, theirs_class: Any) -> None:
    torch.manual_seed(0)
    theirs = theirs_class(3, 4).double()
    ours = ours_class(3, 4)
    for name in NAMES:
        for mine, reference in zip(flat(getattr(ours, name)),
                                   getattr(theirs, f"{name}_l0").detach().flatten().tolist()):
            mine.data = reference
    x = torch.randn(5, 3, dtype=torch.float64, requires_grad=True)  # 5 steps, unbatched
    sequence = [[Value(v) for v in row] for row in x.detach().tolist()]
    outputs, state = ours(sequence)
    reference, reference_state = theirs(x)
    assert [v.data for v in flat(outputs)] == pytest.approx(reference.flatten().tolist(),
                                                            rel=1e-12, abs=1e-12)
    last = state if ours_class is RNN else state[0]
    h_n = reference_state if ours_class is RNN else reference_state[0]
    assert [v.data for v in last] == pytest.approx(h_n.flatten().tolist(), rel=1e-12)
    rng = random.Random(0)
    weights = [rng.uniform(-1, 1) for _ in flat(outputs)]
    ag.sum([v * w for v, w in zip(flat(outputs), weights)]).backward()
    (reference.flatten() * torch.tensor(weights, dtype=torch.float64)).sum().backward()
    for name in NAMES:
        got = [v.grad for v in flat(getattr(ours, name))]
        want = getattr(theirs, f"{name}_l0").grad.flatten().tolist()
        assert got == pytest.approx(want, rel=1e-9, abs=1e-9), name
    assert [v.grad for v in flat(sequence)] == pytest.approx(x.grad.flatten().tolist(),
                                                             rel=1e-9, abs=1e-9)


def test_a_recurrent_weight_is_one_node_used_at_every_step() -> None:
    rnn = RNN(1, 1, seed=0)
    _, h = rnn([[0.5], [-1.0], [2.0], [0.25]])
    w = rnn.weight_hh[0][0]
    users = [node for node in ag.topological_order(h[0]) if any(p is w for p in node.parents)]
    assert len(users) == 4  # one dot per time step (h_0 = 0 still goes through it)
    assert len(rnn.parameters()) == 4


@pytest.mark.parametrize("sequence, message", [
    ([], r"RNN takes a sequence: a non-empty list of time steps"),
    ([[1.0, 2.0]], r"RNN: time step 0 has 2 inputs, the layer takes 1 \(input_size\)"),
    ([[1.0], 2.0], r"RNN: time step 1 is not a list of 1 numbers"),
])
def test_bad_sequences_are_named(sequence: Any, message: str) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        RNN(1, 2, seed=0)(sequence)
    with pytest.raises(ValueError, match="LSTM: hidden_size must be at least 1, got 0"):
        LSTM(1, 0)
    with pytest.raises(ValueError, match=r"SelfAttention: time step 0 has 3 inputs, the layer "
                                         r"takes 2 \(d_model\)"):
        nn.SelfAttention(2, seed=0)([[1.0, 2.0, 3.0]])
    assert nn.RNN is RNN and nn.LSTM is LSTM


@pytest.mark.parametrize("causal", [False, True])
def test_self_attention_matches_pytorch(causal: bool) -> None:
    torch.manual_seed(1)
    attention = nn.SelfAttention(4, d_k=3, causal=causal, seed=0)
    w_q, w_k, w_v = (torch.tensor([[v.data for v in row] for row in matrix],
                                  dtype=torch.float64, requires_grad=True)
                     for matrix in (attention.w_q, attention.w_k, attention.w_v))
    x = torch.randn(5, 4, dtype=torch.float64, requires_grad=True)
    q, k, v = x @ w_q.T, x @ w_k.T, x @ w_v.T
    scores = q @ k.T / 3 ** 0.5
    if causal:
        scores = scores.masked_fill(torch.triu(torch.ones(5, 5, dtype=torch.bool), 1),
                                    float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    reference = weights @ v
    sequence = [[Value(value) for value in row] for row in x.detach().tolist()]
    outputs = attention(sequence)
    assert [o.data for o in flat(outputs)] == pytest.approx(reference.flatten().tolist(),
                                                            rel=1e-12, abs=1e-12)
    shown = [[w.data for w in row] + [0.0] * (5 - len(row)) for row in attention.weights]
    assert flat(shown) == pytest.approx(weights.flatten().tolist(), rel=1e-12, abs=1e-12)
    rng = random.Random(1)
    coefficients = [rng.uniform(-1, 1) for _ in flat(outputs)]
    ag.sum([o * c for o, c in zip(flat(outputs), coefficients)]).backward()
    (reference.flatten() * torch.tensor(coefficients, dtype=torch.float64)).sum().backward()
    for ours, theirs in ((attention.w_q, w_q), (attention.w_k, w_k), (attention.w_v, w_v),
                         (sequence, x)):
        assert [value.grad for value in flat(ours)] == pytest.approx(
            theirs.grad.flatten().tolist(), rel=1e-9, abs=1e-9)


def test_attention_over_embedded_tokens_sends_gradient_to_the_used_rows_only() -> None:
    embedding = nn.Embedding(6, 4, seed=0)
    attention = nn.SelfAttention(4, seed=1)
    tokens = [3, 1, 4]
    outputs = attention([embedding(t) for t in tokens])
    ag.sum(flat(outputs)).backward()
    for token, row in enumerate(embedding.weight):
        moved = any(v.grad != 0 for v in row)
        assert moved == (token in tokens), token
    assert len(attention.weights) == 3
    assert all(sum(w.data for w in row) == pytest.approx(1.0) for row in attention.weights)
