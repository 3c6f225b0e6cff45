"""The backward step-through: one frame per step, each showing exactly what is known by then."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from autograd_core import Value, backward_steps
from viz import GraphTooLarge, extract, step_through

from .conftest import micrograd_example, neuron
from .test_render import svg_nodes


@pytest.mark.parametrize("make", [micrograd_example, neuron])
def test_frame_k_shows_exactly_the_gradients_of_the_first_k_steps(make) -> None:  # type: ignore[no-untyped-def]
    root = make()
    steps = list(backward_steps(root))
    player = step_through(root)
    assert len(player) == len(steps) + 1
    ids = {node.value: node.id for node in extract(root).nodes}
    values = [n for n in extract(root).nodes if not n.constant]
    for k, frame in enumerate(player.frames):
        expected = {ids[s.node]: s.grad for s in steps[:k]}
        assert frame.grads == expected, f"frame {k}"
        texts = svg_nodes(frame.svg.encode())
        for node in values:
            shown = [t for t in texts[node.id] if t.startswith("grad ")]
            want = f"grad {expected[node.id]:.4g}" if node.id in expected else "grad ?"
            assert shown == [want], f"frame {k}, node {node.id}"


def test_each_step_writes_out_the_chain_rule() -> None:
    player = step_through(micrograd_example())
    captions = [frame.caption for frame in player.frames]
    assert captions[0].startswith("The forward pass is done")
    assert "Step 1 of 7: the seed, dL/dL = 1." in captions[1]
    assert "dL/dd += dL/dL * dL/dd = 1 * -2 = -2" in captions[1]
    assert any("dL/da += dL/de * de/da = -2 * -3 = 6" in c for c in captions)
    assert any("a is a leaf: nothing to pass on." in c for c in captions)


def test_the_current_node_and_its_edges_are_highlighted() -> None:
    player = step_through(micrograd_example())
    first = player.frames[1].dot  # the root's turn
    root_line = next(line for line in first.splitlines() if line.strip().startswith("n6 ["))
    assert "penwidth=3" in root_line
    assert first.count('color="#e6550d" fontcolor="#e6550d"') == 2  # its two incoming edges


def test_the_html_player_has_controls_and_shows_the_last_frame_without_scripts() -> None:
    player = step_through(micrograd_example())
    page = player._repr_html_()
    frames = re.findall(r'<div class="agc-frame" data-frame="(\d+)"( style="display:none")?>',
                        page)
    assert [int(i) for i, _ in frames] == list(range(len(player)))
    assert [hidden == "" for _, hidden in frames] == [False] * (len(player) - 1) + [True]
    for control in ('data-step="prev"', 'data-step="next"', 'data-step="play"',
                    'type="range"'):
        assert control in page
    assert page.count("<svg") == len(player) and "<?xml" not in page
    assert "<script>" in page and "AUTOPLAY" not in page


def test_save_writes_a_standalone_page(tmp_path: Path) -> None:
    player = step_through(micrograd_example())
    path = player.save(tmp_path / "backprop.html", autoplay=True)
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and 'charset="utf-8"' in page
    assert "if (true) { play(); }" in page
    with pytest.raises(ValueError, match=r"give a path ending in .html, got 'x.gif'"):
        player.save(tmp_path / "x.gif")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backprop.html"]


def test_a_graph_too_big_to_step_through_is_refused() -> None:
    x = Value(1.0)
    y = x
    for _ in range(200):
        y = y * 1.001
    with pytest.raises(GraphTooLarge, match=r"402 frames, more than max_frames=120"):
        step_through(y)


def test_two_players_on_one_page_do_not_share_controls() -> None:
    player = step_through(micrograd_example())
    first, second = player.html(), player.html()
    ids = [re.search(r'<div class="agc-player" id="(\w+)"', page).group(1)  # type: ignore[union-attr]
           for page in (first, second)]
    assert ids[0] != ids[1]


def test_frames_are_not_coloured_by_a_scale_that_changes_from_frame_to_frame() -> None:
    frames = step_through(micrograd_example()).frames
    assert all("#d6" not in f.dot and "fillcolor=\"#" not in f.dot for f in frames)


def test_a_traces_recorded_graph_is_drawn_and_stepped_through_like_any_graph() -> None:
    # Batched replay keeps the scalar graph of the sample it recorded: the picture a learner
    # steps through is one sample's, with that sample's numbers.
    import numpy as np

    import nn
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
    assert len(player) == len(list(backward_steps(out))) + 1
