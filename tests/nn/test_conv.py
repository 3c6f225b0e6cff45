"""Convolution and pooling against PyTorch (float64): outputs and every gradient (weights, bias,
input) to 1e-9; weight sharing summed over positions; bad shapes and settings named."""

from __future__ import annotations

import random
from typing import Any

import pytest

import autograd_core as ag
import nn
from autograd_core import Value
from nn.conv import AvgPool1d, AvgPool2d, Conv1d, Conv2d, Flatten, MaxPool1d, MaxPool2d, Unflatten

torch = pytest.importorskip("torch")


def nested(tensor: Any) -> Any:
    """A tensor as nested lists of Values (leaves, for their gradients)."""
    if tensor.dim() == 0:
        return Value(tensor.item())
    return [nested(t) for t in tensor]


def flat(x: Any) -> list[Any]:
    return [v for part in x for v in flat(part)] if isinstance(x, list) else [x]


def copy_weights(ours: Any, theirs: Any) -> None:
    for mine, reference in zip(flat(ours.weight), theirs.weight.detach().flatten().tolist()):
        mine.data = reference
    for mine, reference in zip(ours.bias, theirs.bias.detach().tolist()):
        mine.data = reference


def compare(ours_out: Any, theirs_out: Any, ours_params: list[Value], theirs_params: list[Any],
            ours_in: Any, theirs_in: Any) -> None:
    """Outputs equal; then a random weighting of the outputs backpropagated on both sides."""
    mine, reference = flat(ours_out), theirs_out.flatten()
    assert [v.data for v in mine] == pytest.approx(reference.tolist(), rel=1e-12, abs=1e-12)
    rng = random.Random(0)
    weights = [rng.uniform(-1, 1) for _ in mine]
    ag.sum([v * w for v, w in zip(mine, weights)]).backward()
    (reference * torch.tensor(weights, dtype=torch.float64)).sum().backward()
    for ours_group, theirs_group in zip([*ours_params, flat(ours_in)],
                                        [*theirs_params, theirs_in]):
        got = [v.grad for v in flat(ours_group)] if isinstance(ours_group, list) else [
            ours_group.grad]
        assert got == pytest.approx(theirs_group.grad.flatten().tolist(), rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("stride, padding", [(1, 0), ((2, 1), (1, 2)), (3, 1)])
def test_conv2d_matches_pytorch(stride: Any, padding: Any) -> None:
    torch.manual_seed(0)
    theirs = torch.nn.Conv2d(2, 3, (3, 2), stride=stride, padding=padding).double()
    x = torch.randn(2, 5, 6, dtype=torch.float64, requires_grad=True)
    ours = Conv2d(2, 3, (3, 2), stride=stride, padding=padding)
    copy_weights(ours, theirs)
    sample = nested(x.detach())
    compare(ours(sample), theirs(x), [ours.weight, ours.bias], [theirs.weight, theirs.bias],
            sample, x)


@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1), (2, 3)])
def test_conv1d_matches_pytorch(stride: int, padding: int) -> None:
    torch.manual_seed(1)
    theirs = torch.nn.Conv1d(3, 2, 3, stride=stride, padding=padding).double()
    x = torch.randn(3, 7, dtype=torch.float64, requires_grad=True)
    ours = Conv1d(3, 2, 3, stride=stride, padding=padding)
    copy_weights(ours, theirs)
    sample = nested(x.detach())
    compare(ours(sample), theirs(x), [ours.weight, ours.bias], [theirs.weight, theirs.bias],
            sample, x)


@pytest.mark.parametrize("ours, theirs, shape", [
    (MaxPool2d(2), torch.nn.MaxPool2d(2), (2, 5, 6)),
    (MaxPool2d((2, 3), stride=1), torch.nn.MaxPool2d((2, 3), stride=1), (1, 4, 5)),
    (AvgPool2d(2, stride=1), torch.nn.AvgPool2d(2, stride=1), (2, 4, 4)),
    (MaxPool1d(3, stride=2), torch.nn.MaxPool1d(3, stride=2), (2, 9)),
    (AvgPool1d(2), torch.nn.AvgPool1d(2), (3, 7)),
], ids=["max2d", "max2d-stride1", "avg2d", "max1d", "avg1d"])
def test_pooling_matches_pytorch(ours: Any, theirs: Any, shape: tuple[int, ...]) -> None:
    torch.manual_seed(2)
    x = torch.randn(*shape, dtype=torch.float64, requires_grad=True)  # no ties
    sample = nested(x.detach())
    compare(ours(sample), theirs(x), [], [], sample, x)


def test_a_small_cnn_matches_pytorch_end_to_end() -> None:
    torch.manual_seed(3)
    convolution = torch.nn.Conv2d(1, 2, 3).double()
    linear = torch.nn.Linear(2 * 2 * 2, 1).double()
    pixels = torch.randn(36, dtype=torch.float64, requires_grad=True)
    theirs = linear(torch.nn.functional.max_pool2d(convolution(pixels.view(1, 6, 6)), 2)
                    .flatten())
    conv = Conv2d(1, 2, 3)
    copy_weights(conv, convolution)
    layer = nn.Layer(8, 1, activation="linear")
    for w, reference in zip(layer.neurons[0].w, linear.weight[0].tolist()):
        w.data = reference
    layer.neurons[0].b.data = linear.bias.item()
    model = nn.Sequential(Unflatten((1, 6, 6)), conv, MaxPool2d(2), Flatten(), layer)
    sample = [Value(p) for p in pixels.tolist()]
    compare(model(sample), theirs, [conv.weight, conv.bias, layer.neurons[0].w],
            [convolution.weight, convolution.bias, linear.weight], sample, pixels)
    assert len(model.parameters()) == 2 * 9 + 2 + 8 + 1


def test_a_shared_weights_gradient_is_summed_over_every_position() -> None:
    conv = Conv1d(1, 1, 2, seed=0)
    x = [[Value(v) for v in (1.0, 2.0, 4.0, 8.0)]]
    total = ag.sum(conv(x)[0])
    total.backward()
    # w0 multiplies x0, x1, x2 and w1 multiplies x1, x2, x3: one node, three edges each.
    w0 = conv.weight[0][0][0]
    users = [node for node in ag.topological_order(total) if any(p is w0 for p in node.parents)]
    assert len(users) == 3 and all(node.op == "dot" for node in users)
    assert w0.grad == 1 + 2 + 4
    assert conv.weight[0][0][1].grad == 2 + 4 + 8
    assert conv.bias[0].grad == 3


@pytest.mark.parametrize("make, sample, message", [
    (lambda: Conv2d(1, 1, 3, stride=0), None, r"Conv2d: stride must be at least 1, got 0"),
    (lambda: Conv1d(1, 1, 3, padding=-1), None, r"Conv1d: padding must be at least 0, got -1"),
    (lambda: Conv2d(1, 1, (5, 2)), [[[1.0] * 3] * 3],
     r"Conv2d: the kernel \(5, 2\) is larger than the padded input \(3, 3\) \(a sample of "
     r"shape \(1, 3, 3\), padding \(0, 0\)\)"),
    (lambda: Conv2d(3, 1, 2), [[[1.0] * 3] * 3],
     r"Conv2d: expected 3 input channels, got 1 \(a sample of shape \(1, 3, 3\)\)"),
    (lambda: Conv1d(1, 1, 2), [[1.0, 2.0], [3.0]],
     r"Conv1d: the sample is not rectangular: \[1\] has 1 entries where 2 were expected"),
    (lambda: MaxPool2d(4), [[[1.0] * 3] * 3],
     r"MaxPool2d: the window \(4, 4\) is larger than the input \(a sample of shape "
     r"\(1, 3, 3\)\)"),
    (lambda: Unflatten((1, 8, 8)), [1.0] * 60,
     r"Unflatten: a sample of 60 numbers cannot take the shape \(1, 8, 8\) \(64 numbers\)"),
])
def test_bad_shapes_and_settings_are_named(make: Any, sample: Any, message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        layer = make()
        layer(sample)
    with pytest.raises(TypeError, match=r"Conv2d takes a sample of 3 nested lists"):
        Conv2d(1, 1, 2)([1.0, 2.0])


def test_a_small_cnn_learns_the_digits_through_fit_with_replay() -> None:
    X, y = nn.data.digits()
    X = [[v / 16 for v in x] for x in X]
    X_train, X_test, y_train, y_test = nn.data.train_test_split(X, y, test_size=0.3, seed=0,
                                                                stratify=True)
    model = nn.Sequential(Unflatten((1, 8, 8)), Conv2d(1, 8, 3, seed=0), nn.Activation("relu"),
                          MaxPool2d(2), Flatten(), nn.Layer(72, 10, activation="linear", seed=1))
    history = nn.fit(model, (X_train, y_train), "cross_entropy",
                     nn.optim.Adam(model.parameters(), lr=0.01), epochs=15, batch_size=32,
                     progress=False, seed=0)
    assert history.replayed  # one recorded graph replayed over each batch, with numpy
    assert nn.accuracy(model, X_test, y_test) >= 0.93
    with pytest.raises(ValueError, match="Activation: name"):
        nn.Activation("swish")


@pytest.mark.parametrize("dims", [1, 2])
def test_convolutional_models_convert_to_and_from_torch(dims: int) -> None:
    shape = (1, 12) if dims == 1 else (1, 6, 6)
    conv = (Conv1d(1, 2, 3, stride=2, padding=1, seed=0) if dims == 1
            else Conv2d(1, 2, 3, stride=1, padding=1, seed=0))
    pool = MaxPool1d(2) if dims == 1 else AvgPool2d(2)
    width = 2 * 3 if dims == 1 else 2 * 3 * 3
    model = nn.Sequential(Unflatten(shape), conv, nn.Activation("tanh"), pool, Flatten(),
                          nn.Layer(width, 2, activation="linear", seed=1))
    x = [0.1 * i - 0.5 for i in range(12 if dims == 1 else 36)]
    theirs = nn.to_torch(model)
    ours_out = [v.data for v in model(x)]
    for sample in (torch.tensor(x, dtype=torch.float64),
                   torch.tensor([x, x], dtype=torch.float64)[1]):  # unbatched, and from a batch
        assert theirs(sample).tolist() == pytest.approx(ours_out, rel=1e-12, abs=1e-12)
    assert theirs(torch.tensor([x, x], dtype=torch.float64)).shape == (2, 2)
    back = nn.from_torch(theirs)
    assert [v.data for v in back(x)] == ours_out
    assert [type(layer).__name__ for layer in back.layers] == [
        "Unflatten", f"Conv{dims}d", "Activation", type(pool).__name__, "Flatten", "Layer"]


def test_torch_convolutions_nn_cannot_mirror_are_refused_naming_them() -> None:
    cases = [
        (torch.nn.Conv2d(1, 1, 3, dilation=2), r"Conv2d at 0 uses .*dilation=\(2, 2\)"),
        (torch.nn.Conv1d(1, 1, 3, padding="same"), r"Conv1d at 0 uses padding='same'"),
        (torch.nn.MaxPool2d(2, padding=1), r"MaxPool2d at 0 uses padding, ceil_mode"),
    ]
    for module, message in cases:
        with pytest.raises(ValueError, match=message):
            nn.from_torch(torch.nn.Sequential(module))
    with pytest.raises(ValueError, match=r"ReLU at 0 does not follow a Linear or a convolution"):
        nn.from_torch(torch.nn.Sequential(torch.nn.ReLU()))


def test_torch_settings_nn_cannot_mirror_in_flatten_and_pooling_are_refused() -> None:
    for module, message in [
        (torch.nn.Flatten(start_dim=2), r"Flatten at 0 flattens dimensions 2 to -1"),
        (torch.nn.AvgPool2d(2, divisor_override=1), r"divisor_override"),
        (torch.nn.MaxPool1d(2, return_indices=True), r"return_indices"),
    ]:
        with pytest.raises(ValueError, match=message):
            nn.from_torch(torch.nn.Sequential(module))
