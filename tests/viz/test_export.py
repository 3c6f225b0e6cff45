"""TikZ and Mermaid export, tested for real: the TikZ compiles with pdflatex and the PDF holds
the drawing's texts; the Mermaid parses and renders with mermaid (npm) in headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

import nn
import viz
from autograd_core import Value
from tests.browser import chromium_fixture  # noqa: F401  (the fixture `chromium`)
from tests.cli.test_cli import run
from tests.npm import install

from .conftest import micrograd_example

PDFLATEX = shutil.which("pdflatex")
MERMAID = ("mermaid", "12.3.0", "sha512-4113TdXeLAsMruJ79OpFL5O8+LTFXhQqZ260rF3tgUmiNAtRm4Uume04"
                                "I+65PRN6yZ69J4f8rVYWW8zRk65UYw==")


def awkward() -> Value:
    """A graph whose labels hold LaTeX's and Mermaid's special characters."""
    a, b = Value(2.0, label="a_1 & #2"), Value(-3.0, label='b{%} "$x$"')
    loss = (a * b + 10) * a
    loss.label = "L<br>~^\\"
    loss.backward()
    return loss


def neuron_graph() -> Value:
    model = nn.MLP(2, [2, 1], seed=0)
    out = model([1.0, 2.0])[0]
    out.backward()
    return out


def compile_tex(source: str, folder: Path) -> Path:
    if PDFLATEX is None:
        pytest.skip("pdflatex is not installed (apt-get install texlive-latex-base "
                    "texlive-pictures; .ci/run does)")
    (folder / "graph.tex").write_text(source, encoding="utf-8")
    done = subprocess.run([PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", "graph.tex"],
                          cwd=folder, capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, "TEXMFOUTPUT": str(folder)})
    assert done.returncode == 0, done.stdout[-2000:]
    return folder / "graph.pdf"


def pdf_text(path: Path) -> str:
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(path)
    assert len(reader.pages) == 1
    return reader.pages[0].extract_text()


@pytest.mark.parametrize("graph", [micrograd_example, neuron_graph, awkward],
                         ids=["micrograd", "neuron", "special characters"])
def test_tikz_compiles_and_the_pdf_holds_every_box_and_label(graph: Any,
                                                              tmp_path: Path) -> None:
    drawing = viz.draw(graph(), edge_labels=True)
    text = pdf_text(compile_tex(viz.to_tikz(drawing), tmp_path))
    squashed = re.sub(r"\s+", "", text)
    # Every text Graphviz drew, in the PDF (spaces aside: PDF text has none to keep).
    svg = viz.render(drawing, format="svg").decode()
    drawn = [re.sub(r"&#45;", "-", t) for t in re.findall(r"<text[^>]*>([^<]+)</text>", svg)]
    drawn = [t.replace("&amp;", "&").replace("&quot;", '"').replace("&lt;", "<")
             .replace("&gt;", ">").replace("&#39;", "'") for t in drawn]
    missing = [t for t in drawn if re.sub(r"\s+", "", t).replace("∂", "").replace("→", "")
               not in squashed.replace("∂", "").replace("→", "")]
    assert drawn and not missing, missing[:5]


def test_tikz_alone_is_a_picture_to_input() -> None:
    picture = viz.to_tikz(micrograd_example(), standalone=False)
    assert picture.startswith(r"\begin{tikzpicture}") and r"\documentclass" not in picture
    assert picture.rstrip().endswith(r"\end{tikzpicture}")
    with pytest.raises(TypeError, match="to_tikz takes a Value or a drawing"):
        viz.to_tikz("digraph { a }")  # type: ignore[arg-type]


def test_mermaid_keeps_the_boxes_constants_clusters_and_edge_labels() -> None:
    text = viz.to_mermaid(viz.draw(micrograd_example(), edge_labels=True))
    assert text.startswith("flowchart LR\n")
    assert re.search(r'n\d+\["a \| data 2 \| grad 6"\]', text)
    assert re.search(r'n\d+_op\(\("\*"\)\)', text)
    assert re.search(r'n\d+ -->\|"∂ -3<br>→ 6"\| n\d+_op', text)  # a's edge into a*b
    assert re.search(r'n\d+\(\["10"\]\):::constant', viz.to_mermaid(awkward()))
    nested = viz.to_mermaid(neuron_graph())
    assert nested.count("subgraph ") == 6 and nested.count("\n  end") == 1
    quoted = viz.to_mermaid(awkward())
    assert "#quot;$x$#quot;" in quoted and "L#lt;br#gt;" in quoted


@pytest.mark.parametrize("graph", [micrograd_example, neuron_graph, awkward],
                         ids=["micrograd", "neuron", "special characters"])
def test_mermaid_parses_and_renders_in_a_browser(graph: Any, chromium: Any) -> None:
    folder = install(*MERMAID)
    script = folder / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
    drawing = viz.draw(graph(), edge_labels=True)
    text = viz.to_mermaid(drawing)
    page = chromium.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(script.parent.as_uri() + "/")
    page.add_script_tag(path=str(script))
    result = page.evaluate("""async text => {
        mermaid.initialize({startOnLoad: false, securityLevel: "strict"});
        await mermaid.parse(text);
        const {svg} = await mermaid.render("graph", text);
        const box = document.createElement("div");
        box.innerHTML = svg;
        document.body.append(box);
        return {nodes: box.querySelectorAll("g.node").length,
                edges: box.querySelectorAll("path.flowchart-link").length,
                clusters: box.querySelectorAll("g.cluster").length,
                text: box.textContent};
    }""", text)
    layout = viz.export.Layout.of(drawing)
    assert result["nodes"] == len(layout.nodes)
    assert result["edges"] == len(layout.edges)
    assert result["clusters"] == len(layout.clusters)
    for node in layout.nodes:
        assert " | ".join(node.fields).replace("\n", "") in result["text"].replace("\n", "")
    assert errors == []
    page.close()


def test_the_command_line_writes_tikz_and_mermaid(tmp_path: Path) -> None:
    for name in ("graph.tex", "graph.mmd"):
        done = run("draw", "L = (a*b + 10)*a", "--at", "a=2,b=-3", "--edge-labels", "-o",
                   str(tmp_path / name))
        assert done.returncode == 0, done.stderr
    assert (tmp_path / "graph.tex").read_text().startswith(r"\documentclass{article}")
    assert (tmp_path / "graph.mmd").read_text().startswith("flowchart LR")
    if PDFLATEX is not None:
        assert "data 8" in pdf_text(compile_tex((tmp_path / "graph.tex").read_text(),
                                                tmp_path))


def test_mermaid_writes_the_labels_text_not_its_escapes() -> None:
    p, q = Value(1.0, label="p&q"), Value(2.0, label="#35;")
    text = viz.to_mermaid(p * q)
    assert '"p#amp;q | data 1 | grad 0"' in text  # & once, as Mermaid's entity
    assert '"#35;35; | data 2 | grad 0"' in text  # a literal "#35;" stays literal
