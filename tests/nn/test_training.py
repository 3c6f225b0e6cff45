"""Training for real, seeded: XOR needs a hidden layer; a 3-class problem trains with Adam."""

from __future__ import annotations

import math

import pytest

import autograd_core as ag
import nn
from nn import losses, optim

XOR_X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
XOR_Y = [-1.0, 1.0, 1.0, -1.0]


def train_xor(layer_sizes: list[int], seed: int, lr: float, epochs: int = 200
              ) -> tuple[float, float]:
    """Full-batch SGD with momentum on the mean squared error; returns (accuracy, last loss)."""
    model = nn.MLP(2, layer_sizes, activation="tanh", output_activation="tanh", seed=seed)
    optimizer = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    for _ in range(epochs):
        loss = ag.sum([losses.mse(model(x), y) for x, y in zip(XOR_X, XOR_Y)]) / len(XOR_X)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    right = [(nn.single(model(x)).data > 0) == (y > 0) for x, y in zip(XOR_X, XOR_Y)]
    return sum(right) / len(right), loss.data


@pytest.mark.parametrize("seed", range(4))
def test_xor_is_learned_by_a_2_4_1_tanh_mlp(seed: int) -> None:
    accuracy, loss = train_xor([4, 1], seed, lr=0.1)
    assert accuracy == 1.0
    assert loss < 0.01


def test_xor_is_out_of_reach_without_a_hidden_layer() -> None:
    # No line separates XOR's classes, so a single neuron gets at most 3 of the 4 points right,
    # whatever its start and step size; its loss stays near that of always answering 0.
    for seed in range(3):
        for lr in (0.03, 0.1, 0.3):
            accuracy, loss = train_xor([1], seed, lr)
            assert accuracy <= 0.75
            assert loss > 0.9


def test_three_classes_with_cross_entropy_adam_and_a_cosine_schedule() -> None:
    # Five points around each of three centres on a circle, placed by formula (no data set).
    X, y = [], []
    for label in range(3):
        angle = 2 * math.pi * label / 3
        for k in range(5):
            jitter = 0.3 * math.sin(7 * k + label)
            X.append([2 * math.cos(angle) + jitter, 2 * math.sin(angle) - jitter / 2])
            y.append(label)
    model = nn.MLP(2, [8, 3], activation="relu", init="he", seed=0)
    optimizer = optim.Adam(model.parameters(), lr=0.05)
    schedule = optim.CosineAnnealingLR(optimizer, T_max=40)

    def mean_loss() -> ag.Value:
        return ag.sum([losses.cross_entropy(model(x), c) for x, c in zip(X, y)]) / len(X)

    def predict(x: list[float]) -> int:
        scores = [score.data for score in model(x)]
        return scores.index(max(scores))

    first_loss = mean_loss().data
    for _ in range(40):
        loss = mean_loss()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
    assert [predict(x) for x in X] == y
    assert mean_loss().data < first_loss / 10
