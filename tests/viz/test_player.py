"""The step-through player: the forward pass, then the backward pass, one frame per node.

Each frame is data applied to one drawing; `state(k)` replays the frames as the page's script
does, so what a box shows at frame k is checked here, and in a browser by
tests/notebooks/test_in_browser.py and tests/notebooks/test_in_jupyterlab.py.
"""

from __future__ import annotations

import base64
import json
import math
import re
import time
from pathlib import Path

import pytest

import nn
from autograd_core import Value, backward_steps
from viz import GraphTooLarge, extract, step_through

from .conftest import micrograd_example, neuron
from .test_render import svg_nodes


def _static_svg(page: str) -> bytes:
    uri = re.search(r'<img class="agc-static" src="data:image/svg\+xml;base64,([^"]+)"', page)
    assert uri is not None
    return base64.b64decode(uri.group(1))


def _script_data(page: str) -> dict:  # type: ignore[type-arg]
    found = re.search(r'<script type="application/json" class="agc-data">(.*?)</script>', page,
                      re.DOTALL)
    assert found is not None
    return json.loads(found.group(1))  # type: ignore[no-any-return]


@pytest.mark.parametrize("make", [micrograd_example, neuron])
def test_frames_are_the_start_the_forward_pass_and_the_backward_pass(make) -> None:  # type: ignore[no-untyped-def]
    root = make()
    graph = extract(root)
    values = [n for n in graph.nodes if not n.constant]
    player = step_through(root)
    assert [f.phase for f in player.frames] == (
        ["start"] + ["forward"] * len(values) + ["backward"] * len(values))
    # Forward: each value's data appears in topological order; no gradient is known yet.
    for k in range(1, len(values) + 1):
        state = player.state(k)
        assert [state[n.id][0] != "data ?" for n in values] == [i < k for i in range(len(values))]
        assert all(grad == "grad ?" for _, grad in state.values())


@pytest.mark.parametrize("make", [micrograd_example, neuron])
def test_the_caption_and_the_boxes_always_agree(make) -> None:  # type: ignore[no-untyped-def]
    root = make()
    player = step_through(root)
    ids = {node.value: node.id for node in player.graph.nodes}
    steps = [s for s in backward_steps(root) if not s.node.is_constant]
    first = player.frames.index(next(f for f in player.frames if f.phase == "backward"))
    for k, step in enumerate(steps):
        frame, state = player.frames[first + k], player.state(first + k)
        focus = ids[step.node]
        assert frame.focus == (focus,)
        grad = format(step.grad, ".4g")
        assert state[focus][1] == f"grad {grad}"
        if k:
            assert f"d{player.graph.node(player.graph.root).label}/d" in frame.caption
            assert f" = {grad}." in frame.caption.splitlines()[0]
        # Every number a caption computes for a parent is what the parent's box shows now.
        for line in frame.caption.splitlines()[1:]:
            if "+=" in line:
                parent = line.split("/d", 1)[1].split(" ", 1)[0]
                node = next((n for n in player.graph.nodes
                             if (n.label or n.id) == parent and not n.constant), None)
                if node is not None and node.id not in frame.done:
                    assert state[node.id][1] != "grad ?"


def test_a_value_used_twice_shows_its_running_sum_then_its_total() -> None:
    x = Value(3.0, label="x")
    y = x * x
    y.label = "y"
    y.backward()
    player = step_through(y)
    last = player.state(len(player) - 1)
    assert last["n0"] == ("data 3", "grad 6")  # 3 + 3, both contributions of x * x
    seed = player.frames[-2]
    assert seed.caption.splitlines()[1:] == ["dy/dx += dy/dy * dy/dx = 1 * 3 = 3",
                                             "dy/dx += dy/dy * dy/dx = 1 * 3 = 3"]
    assert seed.grads["n0"] == "6" and "n0" not in seed.done


def test_forward_captions_write_out_each_operation() -> None:
    captions = [f.caption for f in step_through(micrograd_example()).frames]
    assert "a = 2: an input (a leaf of the graph)." in captions
    assert "e = a * b = 2 * -3 = -6" in captions
    assert "L = d * f = 4 * -2 = -8" in captions
    assert any("dL/da += dL/de * de/da = -2 * -3 = 6" in c for c in captions)
    assert any("a is a leaf: nothing to pass on." in c for c in captions)
    tanh = [f.caption for f in step_through(neuron()).frames]
    assert "o = tanh(n) = tanh(0.8814) = 0.7071" in tanh


def test_without_scripts_the_finished_drawing_and_every_caption_show_and_no_dead_buttons() -> None:
    player = step_through(micrograd_example())
    page = player.html()
    static = re.sub(r"<script.*?</script>|<style>.*?</style>", "", page, flags=re.DOTALL)
    assert "<button" not in static and "<input" not in static  # the script makes the controls
    texts = svg_nodes(_static_svg(page))
    assert ["L", "data -8", "grad 1"] in texts.values()
    assert ["a", "data 2", "grad 6"] in texts.values()
    items = re.findall(r"<li>(.*?)</li>", static, re.DOTALL)
    assert len(items) == len(player) and items[0].startswith("The graph of L")
    assert page.count("<svg") == 0  # one drawing, as an image: inline SVG is stripped unsigned


def test_the_page_grows_linearly_with_the_graph() -> None:
    def page_bytes(n: int) -> int:
        x = Value(0.5, label="x")
        y = x
        for _ in range(n):
            y = (y * 0.9).tanh()
        y.backward()
        return len(step_through(y).html().encode())

    small, large = page_bytes(25), page_bytes(100)
    exponent = math.log(large / small) / math.log(4)
    assert exponent <= 1.15, exponent


def test_a_graph_too_large_is_refused_at_a_cost_that_grows_with_the_limit() -> None:
    y = Value(1.0)
    for _ in range(200_000):
        y = y * 1.0
    start = time.perf_counter()
    with pytest.raises(GraphTooLarge, match=r"more than max_nodes=100 values.*collapse"):
        step_through(y, max_nodes=100)
    assert time.perf_counter() - start < 0.2
    with pytest.raises(ValueError, match=r"per must be one of node, module; got 'layer'"):
        step_through(Value(1.0) * 2, per="layer")
    with pytest.raises(TypeError, match=r"step_through needs a Value, got float"):
        step_through(1.0)  # type: ignore[arg-type]


def test_labels_with_markup_are_shown_as_text_everywhere() -> None:
    x = Value(2.0, label="<b>x</b>")
    y = x * Value(3.0, label="{a|b}</script>")
    y.label = "y&z &amp; &#945;"
    y.backward()
    page = step_through(y).html()
    assert "<b>x</b>" not in page.split('class="agc-data">')[0]  # escaped in captions
    assert "</script>" not in _script_text(page)  # the data cannot end its script early
    texts = [t for node in svg_nodes(_static_svg(page)).values() for t in node]
    assert "<b>x</b>" in texts and "{a|b}</script>" in texts and "y&z &amp; &#945;" in texts


def _script_text(page: str) -> str:
    return page.split('class="agc-data">', 1)[1].split("</script>", 1)[0]


def test_nan_and_inf_are_drawn_and_stepped_through() -> None:
    x = Value(math.inf, label="x")
    y = (x * 0.5).tanh()
    y.label = "y"
    player = step_through(y)
    assert player.state(len(player) - 1)["n0"] == ("data inf", "grad 0")
    z = Value(math.nan, label="z") * 2
    assert "data nan" in str(player.state(0)) or step_through(z)


def test_per_module_steps_a_network_a_module_at_a_time() -> None:
    model = nn.MLP(2, [3, 1], seed=0)
    loss = (1 - model([0.5, -0.3])[0]).relu()
    loss.backward()
    per_node, per_module = step_through(loss), step_through(loss, per="module")
    assert len(per_module) < len(per_node) / 2
    assert any(f.caption.startswith("MLP/layers.0/neurons.1 (backward,") for f in
               per_module.frames)
    assert per_module.state(len(per_module) - 1) == per_node.state(len(per_node) - 1)


def test_micrograds_demo_network_steps_through_in_one_small_page() -> None:
    model = nn.MLP(2, [16, 16, 1], seed=0)
    loss = (1 - model([0.5, -0.3])[0]).relu()
    loss.backward()
    start = time.perf_counter()
    page = step_through(loss).html()
    seconds = time.perf_counter() - start
    assert len(page.encode()) < 2_000_000, len(page)
    assert seconds < 20  # the benchmark holds the 2 s target; this only catches a blow-up


def test_a_click_shows_the_chain_rule_of_a_node() -> None:
    player = step_through(micrograd_example())
    why = _script_data(player.html())["why"]
    assert set(why) == {n.id for n in player.graph.nodes if not n.constant}
    assert "dL/da: the chain rule along 1 path from a to L" in why["n0"]


def test_save_writes_a_standalone_page(tmp_path: Path) -> None:
    player = step_through(micrograd_example())
    path = player.save(tmp_path / "backprop.html", autoplay=True)
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and 'charset="utf-8"' in page
    assert _script_data(page)["autoplay"] is True
    with pytest.raises(ValueError, match=r"\(.gif, .mp4\); got 'x.pdf'"):
        player.save(tmp_path / "x.pdf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backprop.html"]


def test_two_players_on_one_page_do_not_share_controls() -> None:
    player = step_through(micrograd_example())
    ids = [re.search(r'<div class="agc-player" id="(\w+)"', page).group(1)  # type: ignore[union-attr]
           for page in (player.html(), player.html())]
    assert ids[0] != ids[1]


def test_the_drawing_is_not_coloured_by_a_scale_that_changes_from_frame_to_frame() -> None:
    svg = _static_svg(step_through(micrograd_example()).html()).decode()
    assert "#e69d91" not in svg and "#5fa3cc" not in svg


def test_a_traces_recorded_graph_is_drawn_and_stepped_through_like_any_graph() -> None:
    # Batched replay keeps the scalar graph of the sample it recorded: the picture a learner
    # steps through is one sample's, with that sample's numbers.
    import numpy as np

    from autograd_core import trace
    from viz import draw

    model = nn.MLP(2, [3, 1], seed=0)
    replay = trace(lambda x0, x1: model([x0, x1])[0], 2)
    replay(np.array([[0.5, -1.0], [2.0, 3.0]]))
    out = replay.outputs[0]
    assert [x.data for x in replay.inputs] == [0.5, -1.0]
    svg = draw(out).pipe(format="svg")
    texts = [t for node in svg_nodes(svg).values() for t in node]
    assert "x0" in texts and "data 0.5" in texts
    player = step_through(out)
    values = [n for n in player.graph.nodes if not n.constant]
    assert len(player) == 1 + 2 * len(values)
