"""Neuron, Layer, MLP, Sequential: outputs, graphs, initialisation, seeding and bad input."""

from __future__ import annotations

import math
import random
import statistics

import pytest

import autograd_core as ag
import nn
from autograd_core import Value

REFERENCE = {
    "linear": lambda z: z,
    "step": lambda z: 1.0 if z > 0 else 0.0,
    "sigmoid": lambda z: 1 / (1 + math.exp(-z)),
    "tanh": math.tanh,
    "relu": lambda z: max(z, 0.0),
    "leaky_relu": lambda z: z if z > 0 else 0.01 * z,
}


@pytest.mark.parametrize("activation", list(nn.ACTIVATIONS))
@pytest.mark.parametrize("x", [[0.5, -2.0, 1.5], [-3.0, 1.0, -0.25]])
def test_neuron_is_activation_of_weighted_sum_plus_bias(activation: str, x: list[float]) -> None:
    assert list(REFERENCE) == list(nn.ACTIVATIONS)
    neuron = nn.Neuron(3, activation=activation, seed=4)
    neuron.b.data = 0.3
    z = sum(w.data * x_i for w, x_i in zip(neuron.w, x)) + 0.3
    assert neuron(x).data == pytest.approx(REFERENCE[activation](z), abs=1e-12)


def graph_ops(root: Value) -> list[str]:
    return [node.op for node in ag.topological_order(root) if node.op]


def test_fine_grained_builds_one_node_per_multiply_and_add_with_equal_results() -> None:
    coarse = nn.Neuron(3, activation="tanh", seed=1)
    fine = nn.Neuron(3, activation="tanh", seed=1, fine_grained=True)
    x = [0.5, -2.0, 1.5]
    y_coarse, y_fine = coarse(x), fine(x)
    assert graph_ops(y_coarse) == ["dot", "add", "tanh"]
    assert sorted(graph_ops(y_fine)) == ["add"] * 3 + ["mul"] * 3 + ["tanh"]
    assert y_fine.data == pytest.approx(y_coarse.data, abs=1e-15)
    y_coarse.backward()
    y_fine.backward()
    for p_coarse, p_fine in zip(coarse.parameters(), fine.parameters()):
        assert p_fine.grad == pytest.approx(p_coarse.grad, abs=1e-15)


def test_parameters_are_labelled_for_drawings() -> None:
    assert [p.label for p in nn.Neuron(3, seed=0).parameters()] == ["w0", "w1", "w2", "b"]


def test_layers_and_models_always_return_lists() -> None:
    layer = nn.Layer(2, 1, seed=0)
    out = layer([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 1
    assert nn.single(out) is out[0]
    assert len(nn.MLP(2, [3, 2], seed=0)([1.0, 2.0])) == 2
    with pytest.raises(ValueError, match="exactly one output, got 2"):
        nn.single(nn.Layer(2, 2, seed=0)([1.0, 2.0]))
    with pytest.raises(TypeError, match="got a Value"):
        nn.single(out[0])  # type: ignore[arg-type]


def test_a_layer_shares_its_input_nodes_among_its_neurons() -> None:
    out = nn.Layer(2, 3, seed=0)([0.5, -1.0])
    inputs = {node for o in out for node in ag.topological_order(o) if node.is_constant}
    assert sorted(node.data for node in inputs) == [-1.0, 0.5]  # not one copy per neuron
    assert {node.scope for node in inputs} == {"Layer"}


def test_a_numpy_sample_gives_the_same_outputs() -> None:
    np = pytest.importorskip("numpy")
    model = nn.MLP(3, [4, 2], seed=0)
    x = [0.5, -1.0, 2.0]
    assert [o.data for o in model(np.array(x))] == [o.data for o in model(x)]
    assert nn.Neuron(3, seed=0, fine_grained=True)(np.array(x)).data == nn.Neuron(3, seed=0)(x).data


def test_mlp_layers_and_activations() -> None:
    model = nn.MLP(3, [4, 4, 2], activation="tanh", seed=0)
    shapes = [(layer.n_inputs, layer.n_outputs) for layer in model.layers]
    assert shapes == [(3, 4), (4, 4), (4, 2)]
    activations = [layer.neurons[0].activation for layer in model.layers]
    assert activations == ["tanh", "tanh", "linear"]  # raw scores out, as in micrograd
    model = nn.MLP(3, [4, 1], activation="relu", output_activation="sigmoid", seed=0)
    assert [layer.neurons[0].activation for layer in model.layers] == ["relu", "sigmoid"]


def test_sequential_applies_modules_in_order_and_matches_mlp() -> None:
    mlp = nn.MLP(2, [3, 1], activation="tanh", seed=7)
    seq = nn.Sequential(*mlp.layers)
    x = [0.3, -1.2]
    assert seq(x)[0].data == mlp(x)[0].data
    assert seq.parameters() == mlp.parameters()
    assert nn.Sequential()(x) is x
    with pytest.raises(TypeError, match="argument 1 must be a Module, got function"):
        nn.Sequential(mlp, lambda v: v)  # type: ignore[arg-type]


def test_mlp_matches_torch_forward_and_backward() -> None:
    torch = pytest.importorskip("torch")
    model = nn.MLP(3, [5, 4, 2], activation="tanh", output_activation="sigmoid", seed=3)
    for p in model.parameters():  # non-zero biases, so their gradients are tested too
        p.data += 0.1
    x = [0.5, -1.0, 2.0]
    out = model(x)
    ag.sum([o * (i + 1) for i, o in enumerate(out)]).backward()

    h = torch.tensor(x, dtype=torch.float64)
    tensors = []
    for layer, act in zip(model.layers, [torch.tanh, torch.tanh, torch.sigmoid]):
        weights = torch.tensor([[w.data for w in n.w] for n in layer.neurons],
                               dtype=torch.float64, requires_grad=True)
        bias = torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64,
                            requires_grad=True)
        tensors.append((weights, bias))
        h = act(weights @ h + bias)
    (h * torch.tensor([1.0, 2.0], dtype=torch.float64)).sum().backward()

    assert [o.data for o in out] == pytest.approx(h.tolist(), abs=1e-12)
    for layer, (weights, bias) in zip(model.layers, tensors):
        ours = [[w.grad for w in n.w] + [n.b.grad] for n in layer.neurons]
        theirs = torch.cat([weights.grad, bias.grad[:, None]], dim=1).tolist()
        for row_ours, row_theirs in zip(ours, theirs):
            assert row_ours == pytest.approx(row_theirs, abs=1e-12)


# --- initialisation and seeding -------------------------------------------------------------


def weights(module: nn.Module) -> list[float]:
    return [p.data for name, p in module.named_parameters() if not name.endswith(".b")]


def test_seeds_repeat_and_nothing_touches_the_global_random_state() -> None:
    state = random.getstate()
    assert weights(nn.MLP(3, [4, 2], seed=5)) == weights(nn.MLP(3, [4, 2], seed=5))
    assert weights(nn.MLP(3, [4, 2], seed=5)) != weights(nn.MLP(3, [4, 2], seed=6))
    assert weights(nn.MLP(3, [4, 2], seed=random.Random(5))) == weights(nn.MLP(3, [4, 2], seed=5))
    nn.MLP(3, [4, 2])  # seed=None: fresh entropy, still not the global generator
    assert random.getstate() == state
    random.seed(123)  # and the global seed does not change a seeded model
    assert weights(nn.MLP(3, [4, 2], seed=5)) == weights(nn.MLP(3, [4, 2], seed=5))


def test_a_shared_generator_gives_each_neuron_its_own_weights() -> None:
    layer = nn.Layer(2, 3, seed=0)
    rows = [[w.data for w in n.w] for n in layer.neurons]
    assert len({tuple(row) for row in rows}) == 3


def test_biases_start_at_zero() -> None:
    model = nn.MLP(4, [6, 3], init="he", seed=0)
    assert all(p.data == 0 for name, p in model.named_parameters() if name.endswith(".b"))


def test_init_schemes_have_their_ranges_and_spreads() -> None:
    uniform = weights(nn.Layer(40, 50, init="uniform", seed=0))
    assert -1 <= min(uniform) < -0.95 and 0.95 < max(uniform) <= 1

    bound = math.sqrt(6 / (40 + 50))  # Glorot's uniform limit for 40 inputs and 50 outputs
    xavier = weights(nn.Layer(40, 50, init="xavier", seed=0))
    assert -bound <= min(xavier) < -0.95 * bound and 0.95 * bound < max(xavier) <= bound

    he = weights(nn.Layer(40, 50, init="he", seed=0))  # 2,000 draws from N(0, 2 / 40)
    assert statistics.pstdev(he) == pytest.approx(math.sqrt(2 / 40), rel=0.05)
    assert abs(statistics.fmean(he)) < 0.02


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(("make", "error", "message"), [
    (lambda: nn.Neuron(3, activation="softmax"), ValueError,
     "unknown activation 'softmax'; choose one of: linear, step, sigmoid, tanh, relu, "
     "leaky_relu"),
    (lambda: nn.Neuron(3, init="zeros"), ValueError,
     "unknown init 'zeros'; choose one of: uniform, xavier, he"),
    (lambda: nn.Neuron(0), ValueError, "n_inputs must be at least 1, got 0"),
    (lambda: nn.Neuron(2.0), TypeError, "n_inputs must be an int, got float"),
    (lambda: nn.Neuron(True), TypeError, "n_inputs must be an int, got bool"),
    (lambda: nn.Neuron(2, seed="0"), TypeError, "seed must be an int, a random.Random or None"),
    (lambda: nn.Neuron(2, fine_grained=1), TypeError, "fine_grained must be True or False"),
    (lambda: nn.Layer(2, 0), ValueError, "n_outputs must be at least 1, got 0"),
    (lambda: nn.Layer(2, 3, activation="Tanh"), ValueError, "unknown activation 'Tanh'"),
    (lambda: nn.MLP(2, 4), TypeError, "layer_sizes must be a list of ints such as"),
    (lambda: nn.MLP(2, []), ValueError, "layer_sizes must name at least one layer"),
    (lambda: nn.MLP(2, [4, 0]), ValueError, r"layer_sizes\[1\] must be at least 1, got 0"),
    (lambda: nn.MLP(2, [4, 1], output_activation="soft"), ValueError,
     "unknown output_activation 'soft'"),
])
def test_bad_arguments_are_named(make, error, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize(("module", "x", "error", "message"), [
    (nn.Neuron(3, seed=0), [1.0, 2.0], ValueError, "Neuron expected 3 inputs, got 2"),
    (nn.Neuron(3, seed=0), Value(1.0), TypeError, "Neuron expects a list of 3 inputs, got Value"),
    (nn.Layer(2, 4, seed=0), [1.0, 2.0, 3.0], ValueError, "Layer expected 2 inputs, got 3"),
    (nn.MLP(2, [4, 1], seed=0), [1.0], ValueError, "Layer expected 2 inputs, got 1"),
    (nn.Neuron(2, seed=0), [1.0, "2"], TypeError, "dot: an operand needs a real number"),
    (nn.Layer(2, 2, seed=0), [1.0, None], TypeError, "Layer: an operand needs a real number"),
    (nn.Layer(2, 2, seed=0), "ab", TypeError, "Layer expects a list of 2 inputs, got str"),
])
def test_a_sample_of_the_wrong_length_or_type_is_refused(module, x, error, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=message):
        module(x)
