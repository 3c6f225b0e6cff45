"""Rendering: SVG read back as XML, both renderers, formats, errors and atomic writes."""

from __future__ import annotations

import base64
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import viz
from autograd_core import Value
from viz import RendererNotFound, RenderError, draw, extract, find_renderer, render
from viz import renderer as render_module

from .conftest import micrograd_example, neuron

SVG = "{http://www.w3.org/2000/svg}"
# Rendering is tested with graphviz-pure always, and with a system Graphviz where one exists.
RENDERERS = ["graphviz-pure"] + (["system dot"] if shutil.which("dot") else [])


@pytest.fixture
def renderer(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch,
             tmp_path: Path) -> str:
    kind: str = request.param
    monkeypatch.delenv(render_module.ENV_VAR, raising=False)
    if kind == "graphviz-pure":
        monkeypatch.setenv("PATH", str(tmp_path))  # hide any system dot (and everything else)
    assert find_renderer().kind == kind
    return kind


def svg_nodes(svg: bytes) -> dict[str, list[str]]:
    """Each drawn node's title (its DOT id) and the texts inside it."""
    tree = ET.fromstring(svg)
    nodes = {}
    for group in tree.iter(f"{SVG}g"):
        if group.get("class") == "node":
            title = group.find(f"{SVG}title")
            assert title is not None and title.text
            nodes[title.text] = [t.text or "" for t in group.iter(f"{SVG}text")]
    return nodes


def svg_edge_count(svg: bytes) -> int:
    return sum(1 for g in ET.fromstring(svg).iter(f"{SVG}g") if g.get("class") == "edge")


@pytest.mark.parametrize("renderer", RENDERERS, indirect=True)
def test_svg_shows_every_node_with_its_data_and_grad(renderer: str) -> None:
    o = neuron()
    graph = extract(o)
    svg = render(draw(o))
    nodes = svg_nodes(svg)
    values = [n for n in graph.nodes]
    ops = [n for n in graph.nodes if n.op]
    assert len(nodes) == len(values) + len(ops)
    assert svg_edge_count(svg) == len(graph.links) + len(ops)
    for node in values:
        texts = nodes[node.id]
        assert f"data {node.data:.4g}" in texts and f"grad {node.grad:.4g}" in texts
        if node.label:
            assert node.label in texts
    for node in ops:
        assert nodes[f"{node.id}_op"] == [node.symbol]


@pytest.mark.parametrize("renderer", RENDERERS, indirect=True)
def test_png_and_files(renderer: str, tmp_path: Path) -> None:
    png = render(micrograd_example(), tmp_path / "graph.png")
    assert png == tmp_path / "graph.png" and png.read_bytes().startswith(b"\x89PNG")
    dot_file = render(micrograd_example(), tmp_path / "graph.dot")
    assert dot_file.read_text().startswith("digraph")
    written = draw(micrograd_example()).render(str(tmp_path / "out"), format="svg")
    assert written == str(tmp_path / "out.svg") and b"<svg" in Path(written).read_bytes()


def test_display_in_jupyter_uses_our_renderer(monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no system dot: a plain Digraph would fail here
    bundle = draw(micrograd_example())._repr_mimebundle_()
    # What untrusted notebooks keep: the SVG as an <img> in HTML, and a PNG; and words.
    assert set(bundle) == {"text/html", "image/png", "text/plain"}
    uri = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', bundle["text/html"])
    assert uri is not None and 'style="max-width:none"' in bundle["text/html"]
    svg = base64.b64decode(uri.group(1))
    assert ["L", "data -8", "grad 1"] in svg_nodes(svg).values()
    assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")
    assert bundle["text/plain"] == "the graph of L = -8, dL/dL = 1: 7 values, 3 operations"
    assert f'alt="{bundle["text/plain"]}"' in bundle["text/html"]
    assert set(draw(micrograd_example())._repr_mimebundle_(include=["image/png"])) == {
        "image/png"}


def test_verbose_says_which_renderer_was_used(capsys: pytest.CaptureFixture[str]) -> None:
    render(micrograd_example(), verbose=True)
    assert "viz: rendered svg with" in capsys.readouterr().err


def test_an_unsupported_format_names_the_supported_ones() -> None:
    with pytest.raises(ValueError, match=r"format 'pdf' is not supported by .*svg"):
        render(micrograd_example(), format="pdf")


def test_no_renderer_at_all_says_how_to_get_one(monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    monkeypatch.delenv(render_module.ENV_VAR, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(render_module, "_graphviz_pure_from_metadata", lambda: None)
    with pytest.raises(RendererNotFound, match="pip install graphviz-pure"):
        render(micrograd_example())


def test_the_environment_variable_chooses_the_renderer(monkeypatch: pytest.MonkeyPatch) -> None:
    pure = render_module._graphviz_pure_from_metadata()
    assert pure is not None
    monkeypatch.setenv(render_module.ENV_VAR, pure)
    assert find_renderer() == viz.Renderer(pure, "AUTOGRAD_CORE_DOT")
    monkeypatch.setenv(render_module.ENV_VAR, "/no/such/dot")
    with pytest.raises(RendererNotFound, match="AUTOGRAD_CORE_DOT='/no/such/dot' is not an exec"):
        render(micrograd_example())


def test_a_failed_render_leaves_no_file(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="failed"):
        render("digraph { a -> }", tmp_path / "broken.svg")
    assert list(tmp_path.iterdir()) == []


def test_render_refuses_what_it_cannot_draw() -> None:
    with pytest.raises(TypeError, match="render needs a Value, a graphviz graph or DOT text, "
                                        "got list"):
        render([1, 2])


def test_the_renderer_takes_drawings_and_dot_text_and_leaves_values_to_viz_render() -> None:
    # viz.renderer is the bottom of viz (it imports nothing of viz), so drawing a Value is
    # viz.render's job; the renderer's own render takes what is already drawn.
    loss = micrograd_example()
    svg = render(loss)
    assert render_module.render(draw(loss)) == render_module.render(draw(loss).source) == svg
    with pytest.raises(TypeError, match=r"got Value \(viz.render takes a Value too\)"):
        render_module.render(loss)


def test_special_characters_in_labels_survive_rendering() -> None:
    v = Value(1.0, label='a{b}|<c> "d"')
    nodes = svg_nodes(render(v * 2))
    assert ['a{b}|<c> "d"', "data 1", "grad 0"] in nodes.values()


def test_a_label_with_a_line_break_keeps_it() -> None:
    v = Value(1.0, label="first\nsecond")
    texts = next(t for t in svg_nodes(render(v * 2)).values() if "first" in t)
    assert texts[:2] == ["first", "second"]


def test_the_legend_says_what_colours_and_lines_mean() -> None:
    legend = viz.legend()
    texts = [t for node in svg_nodes(legend.pipe(format="svg")).values() for t in node]
    assert any("no gradient flows" in t for t in texts)
    assert any("a number written into the expression" in t for t in texts)
    assert legend.description.startswith("the legend")


def test_a_renderer_that_hangs_is_one_clear_error(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    hanging = tmp_path / "dot"
    hanging.write_text("#!/bin/sh\nsleep 30\n")
    hanging.chmod(0o755)
    monkeypatch.setenv(render_module.ENV_VAR, str(hanging))
    monkeypatch.setattr(render_module, "PROBE_TIMEOUT", 1)
    render_module._formats.cache_clear()
    with pytest.raises(RenderError, match=r"did not answer within 1 s \(is AUTOGRAD_CORE_DOT a "
                                          r"Graphviz dot\?\)"):
        render(micrograd_example())
    render_module._formats.cache_clear()
