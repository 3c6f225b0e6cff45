"""`viz.draw` and `viz.render`: a Value's forward and backward graph as a Diagram, or as a file.

`render` here is the public one: it takes a Value, a drawing or DOT text, and hands the DOT text
to `viz.renderer`, which runs Graphviz and imports nothing of viz.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from typing import Any

from autograd_core import Value

from . import renderer
from .diagram import Diagram
from .dot import HIGHLIGHT, DrawOptions, build, node_statement, value_attrs
from .graph import Graph, GraphNode, extract

__all__ = ["draw", "render", "path_links", "legend"]

# Past this many values per drawn node, even folding every module into a box draws too many,
# so a graph that large is refused before it is read.
FOLDABLE = 100


def path_links(graph: Graph, start: str) -> frozenset[tuple[str, str]]:
    """The links on every path from node `start` to the root (what its gradient flows along)."""
    children = graph.consumers()
    reaches_root = {graph.root}
    # Nodes come in topological order, so walking them backwards sees children first.
    for node in reversed(graph.nodes):
        if any(child in reaches_root for child in children.get(node.id, [])):
            reaches_root.add(node.id)
    on_path = {start}
    # Forwards from start: every node that start reaches and that reaches the root.
    for node in graph.nodes:
        if node.id in on_path:
            on_path.update(c for c in children.get(node.id, []) if c in reaches_root)
    return frozenset((link.parent, link.child) for link in graph.links
                     if link.parent in on_path and link.child in on_path)


def draw(root: Value, *, view: str = "both", rankdir: str = "LR", number_format: str = ".4g",
         edge_labels: bool = False, color: bool = True, highlight: Iterable[Value] = (),
         highlight_path: Value | None = None, clusters: bool = True,
         collapse: int | str | None = "auto", max_nodes: int = 500, caption: str = "",
         constants_as_nodes: bool = True, grads: Any = None, blank_grads: bool = False
         ) -> Diagram:
    """Draw everything `root` depends on: each value with its label, data and grad.

    view: "both", "forward" (data only) or "backward" (grad only). rankdir: LR, TB, RL, BT.
    number_format: a float format spec. edge_labels: label each edge with the local derivative
    d(out)/d(in) and, in backward views, the gradient it carries. color: fill by gradient sign
    (red +, blue -) and size; NaN/inf gradients and zero ("dead") gradients are flagged either
    way. highlight: Values to emphasise; highlight_path: a Value whose paths to the root are
    emphasised. clusters: group nodes by the nn module that made them. collapse: fold each
    scope at this depth into one box ("auto": only as much as max_nodes needs; None: never).
    blank_grads: leave every grad field empty, to be filled in by hand (printed worksheets).

    Returns a `graphviz.Digraph` subclass: it displays inline in Jupyter, `.source` is the DOT
    text, and `.render("graph", format="png")` or `viz.render(...)` writes a file.

    >>> from autograd_core import Value
    >>> x = Value(3.0, label="x")
    >>> y = x * x
    >>> y.backward()
    >>> "grad 6" in draw(y).source
    True
    """
    DrawOptions(max_nodes=max_nodes, collapse=collapse)  # checked before they are used below
    graph = extract(root, grads, limit=FOLDABLE * max_nodes, advice=(
        f": viz.draw folds at most {FOLDABLE} times max_nodes={max_nodes} values into boxes. "
        "Draw a smaller part of it (one neuron, one layer), or raise max_nodes "
        "(the command line's --max-nodes)"))
    ids = {node.value: node.id for node in graph.nodes}  # Values hash by identity
    highlighted = frozenset(ids[v] for v in highlight if v in ids)
    links: frozenset[tuple[str, str]] = frozenset()
    if highlight_path is not None:
        if highlight_path not in ids:
            raise ValueError("highlight_path must be a Value of the drawn graph")
        links = path_links(graph, ids[highlight_path])
    options = DrawOptions(view=view, rankdir=rankdir, number_format=number_format,
                          edge_labels=edge_labels, color=color,
                          highlight=highlighted | {node for link in links for node in link},
                          highlight_links=links, clusters=clusters, collapse=collapse,
                          max_nodes=max_nodes, caption=caption,
                          constants_as_nodes=constants_as_nodes, blank_grads=blank_grads)
    return build(graph, options)


def render(graph: object, path: str | os.PathLike[str] | None = None, format: str | None = None,
           verbose: bool = False, timeout: float = 120) -> Any:
    """Render a Value's graph (drawn with `draw`'s defaults), a drawing or DOT text.

    With `path`, writes the file (atomically: a failed render leaves no partial file) and
    returns its Path; the format defaults to the path's suffix. Without, returns the bytes
    (SVG by default).

    >>> from autograd_core import Value
    >>> render(Value(3.0, label="x") * 2).startswith(b"<?xml")
    True
    """
    source = renderer.dot_source(draw(graph) if isinstance(graph, Value) else graph)
    if source is None:
        raise TypeError(f"render needs a Value, a graphviz graph or DOT text, got "
                        f"{type(graph).__name__}")
    return renderer.render(source, path, format, verbose, timeout)


def legend() -> Diagram:
    """What the colours and line styles of a drawing mean, drawn the way `draw` draws them.

    >>> "no gradient flows" in legend().source
    True
    """
    diagram = Diagram(name="legend", graph_attr={"rankdir": "TB", "nodesep": "0.25",
                                                 "ranksep": "0.12"})
    diagram.attr("node", fontname="Helvetica", fontsize="11")
    diagram.attr("edge", fontname="Helvetica", fontsize="9")
    options = DrawOptions()

    def value(label: str, grad: float, data: float = 1.0, constant: bool = False
              ) -> dict[str, str]:
        node = GraphNode(id=label, value=Value(data), label=label, data=data, grad=grad, op="",
                         symbol="", constant=constant, scope="")
        attrs = value_attrs(node, options, scale=1.0)
        # Drawn left to right in a drawing; a record's outer braces turn it for this top-down page.
        return {**attrs, "label": attrs["label"].removeprefix("{ ").removesuffix(" }")}

    rows = [
        (value("a", 0.8), "grad > 0: increasing a increases the output (the stronger the "
                          "colour, the larger |grad|)"),
        (value("b", -0.8), "grad < 0: increasing b decreases the output"),
        (value("c", 0.0), "grad 0 after a backward pass: no gradient flows here (a dead relu, "
                          "a step)"),
        (value("d", math.nan), "grad nan or inf: something overflowed"),
        (value("2", 0.0, data=2.0, constant=True), "a number written into the expression"),
        ({"label": "*", "shape": "ellipse", "width": "0.3", "height": "0.3"},
         "an operation: its operands come in, its result goes out"),
        ({**value("e", 0.8), "color": HIGHLIGHT, "penwidth": "3"},
         "highlighted: the node whose turn it is, or a chosen path"),
    ]
    for i, (attrs, meaning) in enumerate(rows):
        with diagram.subgraph() as row:
            row.attr(rank="same")
            node_statement(row, f"k{i}", attrs)
            node_statement(row, f"m{i}", {"label": meaning, "shape": "plaintext",
                                          "fontsize": "10"})
        if i:
            diagram.edge(f"k{i - 1}", f"k{i}", style="invis")
    with diagram.subgraph() as row:
        row.attr(rank="same")
        for name in ("e0", "e1"):
            node_statement(row, name, {"label": "", "shape": "point", "width": "0.05"})
        row.edge("e0", "e1", label="∂ 2\n→ 6", minlen="3")
        node_statement(row, "m_edge", {
            "label": "an edge: the local derivative d(result)/d(operand), and what backward "
                     "sends along it (the result's grad times that)", "shape": "plaintext",
            "fontsize": "10"})
    diagram.edge(f"k{len(rows) - 1}", "e0", style="invis")
    diagram.description = "the legend of a drawing's colours, line styles and edge labels"
    return diagram
