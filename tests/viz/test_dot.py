"""Graph -> DOT: golden files for small graphs, and every drawing option."""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import pytest

import viz
from autograd_core import Value
from viz import DrawOptions, GraphTooLarge, draw, extract, to_dot

from .conftest import micrograd_example, neuron, scoped_network

GOLDEN = Path(__file__).parent / "golden"


def x_times_x() -> Value:
    x = Value(3.0, label="x")
    y = x * x
    y.label = "y"
    y.backward()
    return y


def with_constants() -> Value:
    x = Value(-1.5, label="x")
    y = 2 * x**2 - 1
    y.label = "y"
    y.backward()
    return y


CASES = {
    "micrograd_example": lambda: draw(micrograd_example()),
    "neuron_edge_labels": lambda: draw(neuron(), edge_labels=True),
    "x_times_x": lambda: draw(x_times_x(), edge_labels=True),
    "constants_forward_view": lambda: draw(with_constants(), view="forward"),
    "neuron_backward_top_down": lambda: draw(neuron(), view="backward", rankdir="TB",
                                             number_format=".2f"),
    "scoped_clusters": lambda: draw(scoped_network()),
    "scoped_collapsed": lambda: draw(scoped_network(), collapse=2),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_dot_matches_the_golden_file(name: str) -> None:
    source = CASES[name]().source
    path = GOLDEN / f"{name}.dot"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(source)
    assert path.exists(), f"no golden file {path.name}: run with UPDATE_GOLDEN=1 and review it"
    assert source == path.read_text()


def test_dot_is_the_same_on_every_run() -> None:
    assert to_dot(extract(neuron())) == to_dot(extract(neuron()))


def test_every_value_shows_label_data_and_grad() -> None:
    source = draw(micrograd_example()).source
    for text in ["{ a | data 2 | grad 6 }", "{ b | data -3 | grad -4 }",
                 "{ L | data -8 | grad 1 }"]:
        assert text in source
    assert draw(micrograd_example(), view="forward").source.count("| grad") == 0
    assert draw(micrograd_example(), view="backward").source.count("data ") == 0


def test_a_value_used_twice_draws_two_edges_with_their_contributions() -> None:
    source = draw(x_times_x(), edge_labels=True).source
    assert source.count("n0 -> n1_op") == 2
    assert source.count('label="∂ 3\\n→ 3"') == 2  # two contributions of 3 sum to grad 6
    assert "grad 6" in source


def test_constants_are_drawn_distinctly_or_not_at_all() -> None:
    y = with_constants()
    source = draw(y).source
    assert 'label=2 color=gray50 fontcolor=gray30 shape=box style="rounded,dashed"' in source
    hidden = draw(y, constants_as_nodes=False).source
    assert "dashed" not in hidden.replace("filled,dashed", "")


def test_colour_follows_gradient_sign_and_flags_dead_and_non_finite_nodes() -> None:
    o = neuron()
    source = draw(o).source
    lines = {line.split(" [")[0].strip(): line for line in source.splitlines() if "[label" in line}
    assert "fillcolor=\"#5fa3cc\"" in lines["n0"]  # x1: grad -1.5, the largest negative: blue
    assert "fillcolor=\"#e69d91\"" in lines["n1"]  # w1: grad +1: red
    assert "fillcolor=gray80" in lines["n4"] and "dashed" not in lines["n4"]  # w2: no flow
    nan_source = draw(o, grads={o: math.nan}).source
    assert "grad nan" in nan_source and "#c51b7d" in nan_source
    plain = draw(o, color=False).source
    assert "#5fa3cc" not in plain


def test_highlight_and_highlight_path() -> None:
    o = neuron()
    x1 = o.parents[0].parents[0].parents[0].parents[0]
    assert x1.label == "x1"
    source = draw(o, highlight=[x1]).source
    assert source.count("penwidth=3") == 1
    path = draw(o, highlight_path=x1).source
    assert 'n0 -> n2_op [color="#e6550d"' in path  # x1's edge into x1*w1 is on the path
    assert 'n3 -> n5_op [color' not in path  # x2 is not
    with pytest.raises(ValueError, match="highlight_path must be a Value of the drawn graph"):
        draw(o, highlight_path=Value(1.0))


def test_record_special_characters_are_escaped() -> None:
    v = Value(1.0, label='a{b}|<c> "d"')
    source = draw(v * 2).source
    assert r'a\{b\}\|\<c\> \"d\"' in source


def test_scopes_become_nested_clusters_and_collapse_folds_them() -> None:
    net = scoped_network()
    clustered = draw(net).source
    assert clustered.count("subgraph cluster_") == 4  # net, and one per neuron
    assert 'label="neurons.1"' in clustered
    folded = draw(net, collapse=2).source
    assert folded.count("{ neurons.") == 3 and "g2 -> n" in folded
    assert "w01" not in folded  # each neuron's weights are folded into its box
    assert "x0" in folded  # inputs used by every neuron stay outside


def test_a_large_graph_is_collapsed_automatically_or_refused() -> None:
    big = scoped_network(n_neurons=40, n_inputs=6)
    per_neuron = draw(big, max_nodes=200).source  # 40 neuron boxes, the sum and the inputs fit
    assert "{ neurons.39 |" in per_neuron and "g39 [" in per_neuron
    whole = draw(big, max_nodes=100).source  # they do not: the whole network becomes one box
    assert 'g0 [label="{ net | 765 nodes | out 32.29 | grad 1 }"' in whole
    with pytest.raises(GraphTooLarge, match=r"max_nodes=100.*collapse=1\.\.2"):
        draw(big, max_nodes=100, collapse=None)
    x = Value(0.5)
    y = x
    for _ in range(300):
        y = y * 1.01
    with pytest.raises(GraphTooLarge, match=r"max_nodes=500.*carry no scopes"):
        draw(y)


@pytest.mark.parametrize("option, value, message", [
    ("view", "sideways", "view must be one of both, forward, backward"),
    ("rankdir", "UP", "rankdir must be one of LR, TB, RL, BT"),
    ("number_format", "%d", "number_format '%d' is not a format spec"),
    ("collapse", 0, "collapse must be None, 'auto' or a scope depth >= 1"),
    ("max_nodes", 0, "max_nodes must be a positive int"),
])
def test_bad_options_are_refused_naming_what_is_allowed(option: str, value: object,
                                                        message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DrawOptions(**{option: value})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=message):
        draw(neuron(), **{option: value})  # type: ignore[arg-type]


def test_extract_refuses_non_values() -> None:
    with pytest.raises(TypeError, match="extract needs a Value, got float"):
        extract(1.0)  # type: ignore[arg-type]


def test_the_package_exports_what_it_documents() -> None:
    for name in viz.__all__:
        assert hasattr(viz, name)


def test_an_nn_model_is_drawn_in_module_clusters_or_folded_per_neuron() -> None:
    import nn

    model = nn.MLP(2, [3, 1], activation="tanh", seed=0)
    (out,) = model([0.5, -1.0])
    out.backward()
    clustered = draw(out).source
    for cluster in ('label=MLP', 'label="layers.0"', 'label="neurons.2"', 'label="layers.1"'):
        assert cluster in clustered
    # A neuron's weights are drawn inside its neuron's cluster, next to the dot they feed.
    neuron_cluster = clustered.split('label="neurons.0"')[1].split("subgraph")[0]
    assert "{ w0 |" in neuron_cluster and "{ b |" in neuron_cluster
    folded = draw(out, collapse=3).source
    assert folded.count("{ neurons.") == 4 and "{ w0 |" not in folded


def test_a_trained_size_mlp_is_folded_automatically() -> None:
    import nn

    model = nn.MLP(2, [16, 16, 1], seed=0)  # micrograd's demo model: 337 parameters
    (out,) = model([0.5, -1.0])
    out.backward()
    source = draw(out).source  # too many nodes to draw one by one: one box per neuron
    assert source.count("{ neurons.") == 33 and source.count("{ w") == 0


def test_a_collapsed_layer_shows_its_outputs_data_and_grad() -> None:
    import nn

    model = nn.MLP(2, [3, 1], activation="tanh", seed=0)
    (out,) = model([0.5, -1.0])
    out.backward()
    source = draw(out, collapse=2).source
    layer = next(line for line in source.splitlines() if "{ layers.0 |" in line)
    outputs = [neuron.data for neuron in model.layers[0]([0.5, -1.0])]
    assert f"out {outputs[0]:.4g}, {outputs[1]:.4g}, {outputs[2]:.4g}" in layer
    assert "| grad " in layer and "3 outputs" in layer


def test_a_zero_gradient_is_flagged_only_after_a_backward_pass() -> None:
    x = Value(2.0, label="x")
    y = (x * 0.0).relu()
    y.label = "y"
    before = draw(y)
    assert "gray80" not in before.source and "before any backward pass" in before.description
    y.backward()
    after = draw(y)
    assert "gray80" in after.source  # x: nothing flows through the relu at 0
    assert after.description == "the graph of y = 0, dy/dy = 1: 3 values, 2 operations"


def test_a_graph_too_large_is_refused_before_it_is_read() -> None:
    x = Value(1.0)
    for _ in range(30_000):
        x = x * 1.0
    with pytest.raises(GraphTooLarge, match=r"more than 500 values.*max_nodes=5.*--max-nodes"):
        draw(x, max_nodes=5)
    # The refusal counts no further than its limit: a graph 50 times larger costs no more.
    big = Value(1.0)
    for _ in range(300_000):
        big = big + 1.0
    start = time.perf_counter()
    with pytest.raises(GraphTooLarge):
        draw(big, max_nodes=5)
    assert time.perf_counter() - start < 0.5
