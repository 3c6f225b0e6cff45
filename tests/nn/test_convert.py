"""nn.to_torch and nn.from_torch: the same weights and outputs both ways, and refusals."""

from __future__ import annotations

import random
import sys
from typing import Any

import pytest

import autograd_core as ag
import nn

torch = pytest.importorskip("torch")


def random_inputs(rng: random.Random, n: int, n_features: int) -> list[list[float]]:
    return [[rng.gauss(0.0, 2.0) for _ in range(n_features)] for _ in range(n)]


def our_outputs(model: nn.Module, X: list[list[float]]) -> list[list[float]]:
    outputs = model(X) if nn.takes_batches(model) else [model(x) for x in X]
    return [[v.data for v in row] for row in outputs]


def torch_outputs(module: Any, X: list[list[float]]) -> list[list[float]]:
    with torch.no_grad():
        return module(torch.tensor(X, dtype=torch.float64)).tolist()  # type: ignore[no-any-return]


def assert_same_outputs(ours: nn.Module, theirs: Any, X: list[list[float]]) -> None:
    expected = torch_outputs(theirs, X)
    assert our_outputs(ours, X) == [pytest.approx(row, abs=1e-12) for row in expected]


@pytest.mark.parametrize("activation", ["linear", "tanh", "sigmoid", "relu", "leaky_relu"])
def test_an_mlp_goes_to_torch_and_back_with_the_same_outputs(activation: str) -> None:
    rng = random.Random(0)
    model = nn.MLP(3, [5, 4, 2], activation=activation, output_activation="sigmoid", seed=1)
    for p in model.parameters():  # non-zero biases
        p.data += rng.uniform(-0.5, 0.5)
    X = random_inputs(rng, 20, 3)

    converted = nn.to_torch(model)
    assert all(p.dtype == torch.float64 for p in converted.parameters())
    assert sum(p.numel() for p in converted.parameters()) == len(model.parameters())
    assert_same_outputs(model, converted, X)

    back = nn.from_torch(converted)
    assert isinstance(back, nn.MLP)
    assert back.state_dict() == model.state_dict()  # the same numbers, exactly
    assert our_outputs(back, X) == our_outputs(model, X)


def test_a_sequential_with_dropout_and_batch_norm_converts_with_its_running_statistics() -> None:
    rng = random.Random(1)
    model = nn.Sequential(nn.Layer(4, 6, "relu", seed=0), nn.BatchNorm(6, momentum=0.3),
                          nn.Dropout(0.2, seed=0),
                          nn.Sequential(nn.Layer(6, 6, "leaky_relu", seed=1)),  # flattened
                          nn.BatchNorm(6), nn.Layer(6, 3, "linear", seed=2))
    for _ in range(3):  # training steps move the running statistics away from 0 and 1
        model(random_inputs(rng, 8, 4))
    model.layers[1].gamma[2].data = 1.7
    model.eval()

    converted = nn.to_torch(model)
    assert [type(m).__name__ for m in converted] == [
        "Linear", "ReLU", "BatchNorm1d", "Dropout", "Linear", "LeakyReLU", "BatchNorm1d",
        "Linear"]
    assert not converted.training
    assert converted[2].running_mean.tolist() == model.layers[1].running_mean
    X = random_inputs(rng, 10, 4)
    assert_same_outputs(model, converted, X)  # eval mode: no dropout, the running statistics

    back = nn.from_torch(converted)
    assert isinstance(back, nn.Sequential) and not back.training
    assert [type(m).__name__ for m in back.layers] == [
        "Layer", "BatchNorm", "Dropout", "Layer", "BatchNorm", "Layer"]
    assert back.layers[1].running_var == model.layers[1].running_var
    assert back.layers[1].momentum == 0.3 and back.layers[2].p == 0.2
    assert our_outputs(back, X) == our_outputs(model, X)


def test_a_torch_model_converts_in_train_mode_and_trains_the_same() -> None:
    rng = random.Random(2)
    net = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.BatchNorm1d(5),
                              torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Identity()),
                              torch.nn.Linear(4, 2), torch.nn.Sigmoid()).double()
    model = nn.from_torch(net)
    assert model.training
    assert [type(m).__name__ for m in model.layers] == ["Layer", "BatchNorm", "Layer", "Layer"]
    assert [layer.neurons[0].activation for layer in (model.layers[0], *model.layers[2:])] == [
        "tanh", "linear", "sigmoid"]
    X = random_inputs(rng, 6, 3)
    assert_same_outputs(model, net, X)  # train mode: batch statistics on both sides
    assert model.layers[1].running_mean == pytest.approx(net[2].running_mean.tolist(), abs=1e-14)
    assert model.layers[1].running_var == pytest.approx(net[2].running_var.tolist(), abs=1e-14)


def test_single_torch_layers_and_linear_without_bias() -> None:
    linear = torch.nn.Linear(3, 2, bias=False, dtype=torch.float64)
    model = nn.from_torch(linear)
    assert isinstance(model, nn.MLP)
    assert [n.b.data for n in model.layers[0].neurons] == [0.0, 0.0]
    assert_same_outputs(model, linear, random_inputs(random.Random(3), 5, 3))
    norm = nn.from_torch(torch.nn.BatchNorm1d(3, affine=False))
    assert [g.data for g in norm.layers[0].gamma] == [1.0] * 3


@pytest.mark.parametrize(("model", "message"), [
    (nn.Sequential(nn.Layer(2, 3, seed=0), nn.Embedding(4, 3, seed=0)),
     "to_torch: Embedding .at layers.1. has no torch.nn counterpart here; supported: MLP, "
     "Sequential, Layer, Dropout, BatchNorm"),
    (nn.Neuron(2, seed=0), "to_torch: Neuron has no torch.nn counterpart"),
    (nn.MLP(2, [3, 1], activation="step", seed=0),
     "to_torch: the Layer at layers.0 uses the 'step' activation, which torch.nn has no module "
     "for"),
    ("MLP", "to_torch: model must be an nn Module .an MLP or a Sequential., got str"),
])
def test_to_torch_refuses_what_it_cannot_convert(model: Any, message: str) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        nn.to_torch(model)


@pytest.mark.parametrize(("make", "message"), [
    (lambda: torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Conv3d(1, 1, 1)),
     "from_torch: Conv3d at 1 has no nn counterpart; supported: Sequential, Linear, Tanh, "
     "Sigmoid, ReLU, LeakyReLU .slope 0.01., Identity, Dropout, BatchNorm1d, Conv1d, Conv2d"),
    (lambda: torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.LeakyReLU(0.2)),
     "from_torch: LeakyReLU at 1 has negative_slope=0.2; nn's leaky_relu has slope 0.01"),
    (lambda: torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3),
                                 torch.nn.ReLU()),
     "from_torch: ReLU at 2 does not follow a Linear or a convolution; nn applies "
     "activations inside a Layer, or over a convolution's channels"),
    (lambda: torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(4, 1)),
     "from_torch: Linear at 1 takes 4 features, but the layer before it gives 3"),
    (lambda: torch.nn.BatchNorm1d(3, momentum=None),
     r"from_torch: BatchNorm1d \(the module itself\) has momentum=None"),
    (lambda: torch.nn.BatchNorm1d(3, track_running_stats=False),
     "keeps no running statistics"),
    (torch.nn.Sequential, "from_torch: the module has no layers to convert"),
    (lambda: nn.MLP(2, [1], seed=0), "from_torch: module must be a torch.nn.Module"),
])
def test_from_torch_refuses_what_it_cannot_convert(make: Any, message: str) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        nn.from_torch(make())


def test_without_torch_both_say_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    with pytest.raises(ImportError, match=r"nn.to_torch needs PyTorch, which is not installed; "
                                          r"install it with `pip install torch`"):
        nn.to_torch(nn.MLP(2, [1], seed=0))
    with pytest.raises(ImportError, match=r"nn\.from_torch needs PyTorch"):
        nn.from_torch(object())  # type: ignore[arg-type]


def _sequence(rng: random.Random, steps: int, width: int) -> list[list[float]]:
    return [[rng.gauss(0.0, 1.0) for _ in range(width)] for _ in range(steps)]


def _our_grads(layer: nn.Module, sequence: list[list[float]]) -> tuple[list[list[float]],
                                                                           list[float]]:
    """Every step's output, and the gradient of the sum of them for every parameter."""
    out = layer(sequence)
    steps = out[0] if isinstance(out, tuple) else out
    total = ag.sum([v for row in steps for v in row])
    layer.zero_grad()
    total.backward()
    return [[v.data for v in row] for row in steps], [p.grad for p in layer.parameters()]


def _their_outputs(module: Any, x: Any) -> Any:
    if isinstance(module, torch.nn.MultiheadAttention):
        return module(x, x, x, need_weights=False)[0]
    return module(x)[0]


@pytest.mark.parametrize("make", [
    lambda: nn.RNN(3, 4, seed=0), lambda: nn.LSTM(3, 4, seed=0),
    lambda: nn.SelfAttention(3, seed=0),
], ids=["rnn", "lstm", "attention"])
def test_sequence_layers_go_to_torch_and_back_with_every_gradient(make: Any) -> None:
    ours = make()
    sequence = _sequence(random.Random(1), 5, 3)
    theirs = nn.to_torch(ours)
    x = torch.tensor(sequence, dtype=torch.float64)
    their_out = _their_outputs(theirs, x)
    their_out.sum().backward()
    our_out, our_grads = _our_grads(ours, sequence)
    assert our_out == [pytest.approx(row, abs=1e-12) for row in their_out.tolist()]
    # Parameter by parameter, in torch's order of the same numbers.
    if isinstance(ours, nn.SelfAttention):
        their_grads = theirs.in_proj_weight.grad.flatten().tolist()
    else:
        their_grads = [g for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
                       for g in theirs.get_parameter(name).grad.flatten().tolist()]
    assert our_grads == pytest.approx(their_grads, abs=1e-12)
    back = nn.from_torch(theirs)
    assert type(back) is type(ours)
    assert [p.data for p in back.parameters()] == [p.data for p in ours.parameters()]
    assert not nn.from_torch(theirs.eval()).training


@pytest.mark.parametrize(("make", "message"), [
    (lambda: nn.SelfAttention(3, causal=True, seed=0),
     "it is causal, and torch.nn.MultiheadAttention takes the causal mask at every call"),
    (lambda: nn.SelfAttention(3, d_k=2, seed=0), r"its d_k \(2\) is not its d_model \(3\)"),
])
def test_attention_torch_cannot_hold_is_refused(make: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        nn.to_torch(make())


@pytest.mark.parametrize(("make", "message"), [
    (lambda: torch.nn.RNN(2, 3, num_layers=2), "the RNN has 2 layers"),
    (lambda: torch.nn.RNN(2, 3, nonlinearity="relu"), "the RNN has the relu non-linearity"),
    (lambda: torch.nn.LSTM(2, 3, bidirectional=True), "the LSTM has two directions"),
    (lambda: torch.nn.LSTM(2, 3, proj_size=2), "the LSTM has a projection"),
    (lambda: torch.nn.GRU(2, 3), "GRU .the module itself. has no nn counterpart"),
    (lambda: torch.nn.MultiheadAttention(4, 2, bias=False), "has 2 heads"),
    (lambda: torch.nn.MultiheadAttention(4, 1), "has biases"),
    (lambda: torch.nn.MultiheadAttention(4, 1, bias=False),
     "an output projection that is not the identity"),
])
def test_sequence_modules_nn_cannot_mirror_are_refused(make: Any, message: str) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        nn.from_torch(make())
