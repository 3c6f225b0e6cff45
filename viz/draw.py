"""`viz.draw` and `viz.render`: a Value's forward and backward graph as a Diagram, or as a file.

`render` here is the public one: it takes a Value, a drawing or DOT text, and hands the DOT text
to `viz.renderer`, which runs Graphviz and imports nothing of viz.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from autograd_core import Value

from . import renderer
from .diagram import Diagram
from .dot import DrawOptions, build
from .graph import Graph, extract

__all__ = ["draw", "render", "path_links"]


def path_links(graph: Graph, start: str) -> frozenset[tuple[str, str]]:
    """The links on every path from node `start` to the root (what its gradient flows along)."""
    children: dict[str, list[str]] = {}
    for link in graph.links:
        children.setdefault(link.parent, []).append(link.child)
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
         constants_as_nodes: bool = True, grads: Any = None) -> Diagram:
    """Draw everything `root` depends on: each value with its label, data and grad.

    view: "both", "forward" (data only) or "backward" (grad only). rankdir: LR, TB, RL, BT.
    number_format: a float format spec. edge_labels: label each edge with the local derivative
    d(out)/d(in) and, in backward views, the gradient it carries. color: fill by gradient sign
    (red +, blue -) and size; NaN/inf gradients and zero ("dead") gradients are flagged either
    way. highlight: Values to emphasise; highlight_path: a Value whose paths to the root are
    emphasised. clusters: group nodes by the nn module that made them. collapse: fold each
    scope at this depth into one box ("auto": only as much as max_nodes needs; None: never).

    Returns a `graphviz.Digraph` subclass: it displays inline in Jupyter, `.source` is the DOT
    text, and `.render("graph", format="png")` or `viz.render(...)` writes a file.

    >>> from autograd_core import Value
    >>> x = Value(3.0, label="x")
    >>> y = x * x
    >>> y.backward()
    >>> "grad 6" in draw(y).source
    True
    """
    graph = extract(root, grads)
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
                          constants_as_nodes=constants_as_nodes)
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
