"""fit replays one recorded graph over each batch when it can, with the scalar path's numbers.

Each comparison trains two copies of a model from the same weights, one with replay and one
with a graph per sample, and checks the histories and the final weights agree (to 1e-9: the
copies drift apart only by summation order, step after step).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

import autograd_core as ag
import nn
from autograd_core import Value
from nn import data, losses, optim


def train_both(model: nn.Module, X: Any, y: Any, loss: Any, epochs: int = 3,
               replay: bool | None = None, **kwargs: Any
               ) -> tuple[nn.History, nn.History, nn.Module, nn.Module]:
    twin = copy.deepcopy(model)
    if isinstance(loss, nn.MeanLoss) and loss.parameters:
        loss_twin = nn.MeanLoss(loss.per_sample, l1=loss.l1, l2=loss.l2, parameters=twin)
    else:
        loss_twin = loss
    fast = nn.fit(model, (X, y), loss, optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
                  epochs, progress=False, seed=0, replay=replay, **kwargs)
    slow = nn.fit(twin, (X, y), loss_twin, optim.SGD(twin.parameters(), lr=0.1, momentum=0.9),
                  epochs, progress=False, seed=0, replay=False, **kwargs)
    return fast, slow, model, twin


def assert_same_training(fast: nn.History, slow: nn.History, model: nn.Module,
                         twin: nn.Module) -> None:
    assert fast.replayed and not slow.replayed, fast.replay_note
    assert fast.keys() == slow.keys()
    for key in fast:
        assert fast[key] == pytest.approx(slow[key], rel=1e-9, abs=1e-12), key
    assert [p.data for p in model.parameters()] == pytest.approx(
        [p.data for p in twin.parameters()], rel=1e-9, abs=1e-12)


def test_cross_entropy_with_class_indices_a_penalty_and_validation() -> None:
    X, y = data.blobs(60, centers=[[-1.0, 0.0], [1.0, 0.0], [0.0, 1.5]], std=0.6, seed=1)
    model = nn.MLP(2, [8, 3], seed=0)
    loss = nn.MeanLoss("cross_entropy", l2=1e-3, parameters=model)
    assert_same_training(*train_both(model, X, y, loss, batch_size=16, validation=0.25))


def test_micrograds_demo_loss_hinge_plus_l2() -> None:
    X, y = data.moons(50, noise=0.1, seed=0, labels=(-1, 1))
    model = nn.MLP(2, [16, 16, 1], seed=0)
    loss = nn.MeanLoss("hinge", l2=1e-4, parameters=model)
    fast, slow, model, twin = train_both(model, X, y, loss)
    assert_same_training(fast, slow, model, twin)
    assert "accuracy" in fast


@pytest.mark.parametrize("loss", ["mse", "mae"])
def test_regression_with_rows_of_targets(loss: str) -> None:
    X = [[x / 10, (x % 3) / 3] for x in range(20)]
    y = [[a + b, a - b] for a, b in X]
    model = nn.MLP(2, [6, 2], activation="tanh", seed=0)
    assert_same_training(*train_both(model, X, y, loss, batch_size=8))


def test_binary_cross_entropy_with_logits_and_a_neuron() -> None:
    X, y = data.blobs(30, centers=[[-1.0, -1.0], [1.0, 1.0]], seed=0)
    model = nn.Neuron(2, activation="linear", seed=0)
    fast, slow, model, twin = train_both(model, X, y, "binary_cross_entropy_with_logits",
                                         threshold=0.0)
    assert_same_training(fast, slow, model, twin)


def test_the_models_graph_for_drawing_is_untouched() -> None:
    X, y = data.xor(labels=(-1, 1))
    model = nn.MLP(2, [4, 1], activation="tanh", output_activation="tanh", seed=0)
    history = nn.fit(model, (X, y), "mse", optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
                     epochs=200, progress=False)
    assert history.replayed and history["accuracy"][-1] == 1.0
    # After training, a sample's scalar graph is built and stepped through as always.
    out = model(X[0])[0]
    assert len(list(ag.backward_steps(out))) == len(ag.topological_order(out))


class Flip(nn.Module):
    """A model that branches on its input: x0 > 0 picks one of two neurons."""

    def __init__(self) -> None:
        self.a, self.b = nn.Neuron(2, "linear", seed=0), nn.Neuron(2, "linear", seed=1)

    def forward(self, x: list[Any]) -> Value:
        return self.a(x) if x[0] > 0 else self.b(x)


def test_a_model_that_branches_on_its_input_falls_back_to_a_graph_per_sample() -> None:
    X = [[1.0, 0.0], [-1.0, 0.5], [2.0, 1.0], [-2.0, -1.0]]
    y = [1.0, 0.0, 2.0, -1.0]
    model = Flip()
    fast, slow, _, _ = train_both(model, X, y, "mse")
    # A module of one's own is not replayed unless asked: its forward might read a number.
    assert not fast.replayed and "Flip is a module of your own" in fast.replay_note
    assert fast["loss"] == pytest.approx(slow["loss"], rel=1e-12)
    # Asked, the branch is found on the whole training data before the first step.
    with pytest.raises(ag.TraceError, match=r"replay on the training data: .*samples 0 and 1"):
        nn.fit(model, (X, y), "mse", optim.SGD(model.parameters(), lr=0.1), 1,
               progress=False, replay=True)


@pytest.mark.parametrize(("make", "loss", "note"), [
    (lambda: nn.Sequential(nn.Layer(2, 3), nn.Dropout(0.5, seed=0), nn.Layer(3, 1)), "mse",
     "Dropout, which draws new random numbers"),
    (lambda: nn.Sequential(nn.Layer(2, 3), nn.BatchNorm(3), nn.Layer(3, 1)), "mse",
     "takes whole batches"),
    (lambda: nn.MLP(2, [3, 1]),
     lambda outputs, targets: ag.sum([losses.mse(o, t) for o, t in zip(outputs, targets)]),
     "a function of a whole batch"),
])
def test_what_cannot_be_replayed_trains_the_old_way_and_says_why(make: Any, loss: Any,
                                                                   note: str) -> None:
    X, y = data.blobs(8, centers=[[-1.0, -1.0], [1.0, 1.0]], seed=0)
    model = make()
    history = nn.fit(model, (X, y), loss, optim.SGD(model.parameters(), lr=0.1), epochs=1,
                     progress=False)
    assert not history.replayed and note in history.replay_note
    model = make()
    with pytest.raises(ValueError, match=f"cannot replay: .*{note}"):
        nn.fit(model, (X, y), loss, optim.SGD(model.parameters(), lr=0.1), epochs=1,
               progress=False, replay=True)


def test_a_custom_per_sample_loss_replays_when_asked_and_is_checked() -> None:
    X, y = data.blobs(10, centers=[[-1.0, -1.0], [1.0, 1.0]], seed=0)

    def squared(output: Any, target: Any) -> Value:
        return (output[0] - target) ** 2

    def reads_data(output: Any, target: Any) -> Value:
        return (output[0] - float(getattr(target, "data", target))) ** 2

    model = nn.MLP(2, [3, 1], seed=0)
    history = nn.fit(model, (X, y), nn.MeanLoss(squared), optim.SGD(model.parameters(), lr=0.1),
                     epochs=1, progress=False, replay=True)
    assert history.replayed
    with pytest.raises(ag.TraceError, match=r"it may read \.data"):
        nn.fit(model, (X, y), nn.MeanLoss(reads_data), optim.SGD(model.parameters(), lr=0.1),
               epochs=1, progress=False, replay=True)


def test_binary_cross_entropy_is_not_replayed_unless_asked_and_then_caught() -> None:
    # Its graph leaves out the term whose weight is 0, so it depends on the target: the check
    # after recording runs it on a sample of the other class and sees the numbers differ.
    X, y = data.blobs(12, centers=[[-1.0, -1.0], [1.0, 1.0]], seed=0)
    model = nn.MLP(2, [3, 1], output_activation="sigmoid", seed=0)
    history = nn.fit(model, (X, y), "binary_cross_entropy",
                     optim.SGD(model.parameters(), lr=0.1), epochs=1, progress=False)
    assert not history.replayed and "not known to trace" in history.replay_note
    with pytest.raises(ag.TraceError, match="recorded graph gives"):
        nn.fit(model, (X, y), "binary_cross_entropy", optim.SGD(model.parameters(), lr=0.1),
               epochs=1, progress=False, replay=True)


def test_replay_must_be_a_flag() -> None:
    model = nn.MLP(2, [1])
    with pytest.raises(TypeError, match="replay must be None, True or False, got 'yes'"):
        nn.fit(model, ([[0.0, 0.0]], [0.0]), "mse", optim.SGD(model.parameters(), lr=0.1),
               epochs=1, progress=False, replay="yes")  # type: ignore[arg-type]


class OnlyPositive(nn.Module):
    """Branches on x0 > 0: trained on positive x0, validated on both signs."""

    def __init__(self) -> None:
        self.a = nn.Neuron(2, "linear", seed=0)

    def forward(self, x: list[Any]) -> Value:
        return self.a(x) if x[0] > 0 else self.a(x) * 2


def test_validation_data_the_graph_does_not_fit_is_refused_before_any_step() -> None:
    X, y = [[1.0, 0.0], [2.0, 1.0], [3.0, -1.0]], [1.0, 2.0, 0.0]
    validation = ([[1.0, 0.0], [-1.0, 0.5]], [1.0, 0.0])
    model = OnlyPositive()
    before = [p.data for p in model.parameters()]
    with pytest.raises(ag.TraceError, match="replay on the validation data"):
        nn.fit(model, (X, y), "mse", optim.SGD(model.parameters(), lr=0.1), 1,
               validation=validation, progress=False, replay=True)
    assert [p.data for p in model.parameters()] == before


class Lookup(nn.Module):
    """An embedding looked up by an id given as the first feature."""

    def __init__(self) -> None:
        self.table = nn.Embedding(3, 2, seed=0)
        self.out = nn.Neuron(2, "linear", seed=0)

    def forward(self, x: list[Any]) -> Value:
        return self.out(self.table(int(x[0])))


class Equals(nn.Module):
    """Compares an input with == (on a number: its value; on a Value: identity)."""

    def __init__(self) -> None:
        self.a = nn.Neuron(1, "linear", seed=0)

    def forward(self, x: list[Any]) -> Value:
        return self.a(x) * 3 if x[0] == 1 else self.a(x)


@pytest.mark.parametrize(("make", "note"), [
    (Lookup, "recording the model and loss on one sample failed: TypeError"),
    (Equals, "compares the input x0 with == or != to a number"),
])
def test_a_model_that_needs_plain_numbers_is_refused_replay_by_name(make: Any,
                                                                       note: str) -> None:
    X, y = [[0.0], [1.0], [2.0], [1.0]], [0.5, 1.0, -1.0, 1.0]
    if make is Lookup:
        X = [[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [1.0, 0.0]]
    fast, slow, _, _ = train_both(make(), X, y, "mse")
    assert not fast.replayed and "module of your own" in fast.replay_note, fast.replay_note
    assert fast["loss"] == pytest.approx(slow["loss"], rel=1e-12)
    model = make()
    with pytest.raises((ag.TraceError, ValueError), match=note):
        nn.fit(model, (X, y), "mse", optim.SGD(model.parameters(), lr=0.1), 1,
               progress=False, replay=True)


def test_forced_replay_of_a_loss_that_reads_the_target_fails_before_the_first_step() -> None:
    # One sample per batch: no batch shows the problem, the whole training data does.
    X, y = data.blobs(12, centers=[[-1.0, -1.0], [1.0, 1.0]], seed=0)
    model = nn.MLP(2, [3, 1], output_activation="sigmoid", seed=0)
    before = [p.data for p in model.parameters()]
    with pytest.raises(ag.TraceError, match="replay on the training data"):
        nn.fit(model, (X, y), "binary_cross_entropy", optim.SGD(model.parameters(), lr=0.1),
               epochs=1, batch_size=1, progress=False, replay=True)
    assert [p.data for p in model.parameters()] == before


def test_an_error_names_the_sample_by_its_place_in_the_data() -> None:
    class Log(nn.Module):
        def __init__(self) -> None:
            self.a = nn.Neuron(1, "linear", seed=0)

        def forward(self, x: list[Any]) -> Value:
            return self.a([x[0].log() if isinstance(x[0], Value) else ag.Value(x[0]).log()])

    X, y = [[1.0], [2.0], [3.0], [-1.0], [5.0]], [0.0] * 5
    model = Log()
    with pytest.raises(ag.OpError, match=r"epoch 1, batch 1: sample 3: log\(x0=-1\)"):
        nn.fit(model, (X, y), "mse", optim.SGD(model.parameters(), lr=0.1), epochs=1,
               progress=False, replay=True)


class LastStep(nn.Module):
    """A sequence classifier: a flat sample read as T steps of `width`, the layer's output at
    the last step fed to a linear head."""

    def __init__(self, layer: nn.Module, width: int, size: int) -> None:
        self.width = width
        self.layer = layer
        self.head = nn.Layer(size, 1, activation="linear", seed=1)

    def forward(self, x: Any) -> Any:
        steps = [list(x[i:i + self.width]) for i in range(0, len(x), self.width)]
        out = self.layer(steps)
        return self.head((out[0] if isinstance(out, tuple) else out)[-1])


@pytest.mark.parametrize("make", [
    lambda: LastStep(nn.RNN(2, 3, seed=0), 2, 3),
    lambda: LastStep(nn.LSTM(2, 3, seed=0), 2, 3),
    lambda: LastStep(nn.SelfAttention(2, 3, seed=0), 2, 3),
    lambda: LastStep(nn.SelfAttention(2, 2, causal=True, seed=0), 2, 2),
], ids=["rnn", "lstm", "attention", "causal-attention"])
def test_recurrent_and_attention_models_replay_with_the_scalar_numbers(make: Any) -> None:
    rng = __import__("random").Random(0)
    X = [[rng.gauss(0, 1) for _ in range(8)] for _ in range(40)]  # 4 steps of 2 numbers
    y = [1 if x[0] + x[1] > 0 else -1 for x in X]
    model = make()
    count = len(model.parameters())
    assert_same_training(*train_both(model, X, y, nn.MeanLoss("hinge"), batch_size=10,
                                     replay=True))  # LastStep is a module of our own
    assert len(model.parameters()) == count, "attention's kept weights are not parameters"
