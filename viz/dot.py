"""Steps 2 and 3 of drawing: a Graph and the options -> DOT text. Pure: no files, no processes.

Every layout choice (view, direction, clusters, collapsing, colours, labels) is an option
here; the renderer makes none. Value nodes are records (label | data | grad), each operation
a small node with its symbol, and edges run from operands to results.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from graphviz.quoting import quote, quote_edge

from .diagram import Diagram
from .graph import Graph, GraphNode, GraphTooLarge, Link

__all__ = ["DrawOptions", "GraphTooLarge", "build", "to_dot", "describe"]

VIEWS = ("both", "forward", "backward")
BLANK = "\u00a0" * 14  # room to write a gradient in (no-break spaces: Graphviz keeps them)
DIRECTIONS = ("LR", "TB", "RL", "BT")

POSITIVE = (214, 96, 77)  # red: increasing this value increases the output
NEGATIVE = (67, 147, 195)  # blue: increasing it decreases the output
HIGHLIGHT = "#e6550d"
NOT_FINITE = "#c51b7d"
NO_FLOW = "gray80"  # after a backward pass: grad 0, nothing flows through this value


@dataclass(frozen=True)
class DrawOptions:
    """How to draw a graph. Every field is checked, and a bad value says what is allowed."""

    view: str = "both"  # "forward" (data), "backward" (grad) or "both"
    rankdir: str = "LR"  # direction of the edges: LR, TB, RL or BT
    number_format: str = ".4g"  # format spec for data, grad and local derivatives
    edge_labels: bool = False  # label edges with d(out)/d(in) (and what backward sends)
    color: bool = True  # fill value nodes by gradient sign and magnitude
    highlight: frozenset[str] = frozenset()  # node ids to emphasise
    highlight_links: frozenset[tuple[str, str]] = frozenset()  # (parent id, child id) pairs
    clusters: bool = True  # group nodes by the scope (module) that made them
    collapse: int | str | None = "auto"  # scope depth to fold into boxes; "auto"; None: never
    max_nodes: int = 500  # most drawn nodes (values, ops, boxes) before collapsing or refusing
    caption: str = ""  # a line of text under the graph
    constants_as_nodes: bool = True  # draw numbers written in the expression as nodes
    show_ids: bool = False  # name unlabelled value nodes by their id (n0, n1, ...)
    blank_grads: bool = False  # leave each grad field empty, to fill in (a printed worksheet)

    def __post_init__(self) -> None:
        if self.view not in VIEWS:
            raise ValueError(f"view must be one of {', '.join(VIEWS)}; got {self.view!r}")
        if self.rankdir not in DIRECTIONS:
            raise ValueError(f"rankdir must be one of {', '.join(DIRECTIONS)}; "
                             f"got {self.rankdir!r}")
        try:
            format(1.5, self.number_format)
        except (ValueError, TypeError):
            raise ValueError(f"number_format {self.number_format!r} is not a format spec for "
                             "floats (try '.4g' or '.3f')") from None
        if not (self.collapse in (None, "auto") or
                (isinstance(self.collapse, int) and self.collapse >= 1)):
            raise ValueError(f"collapse must be None, 'auto' or a scope depth >= 1; "
                             f"got {self.collapse!r}")
        if not isinstance(self.max_nodes, int) or self.max_nodes < 1:
            raise ValueError(f"max_nodes must be a positive int; got {self.max_nodes!r}")


@dataclass
class _Layout:
    """Which nodes are drawn, which are folded into which group box."""

    depth: int | None
    group_of: dict[str, str] = field(default_factory=dict)  # node id -> group scope path
    hidden: set[str] = field(default_factory=set)  # constants not drawn

    def group_ids(self) -> dict[str, str]:
        """Scope path -> DOT id of its box: g0, g1, ... in order of first appearance."""
        ids: dict[str, str] = {}
        for path in self.group_of.values():
            ids.setdefault(path, f"g{len(ids)}")
        return ids


def _scope_parts(scope: str) -> list[str]:
    """A scope path's components, outermost first ("" has none)."""
    return scope.split("/") if scope else []


def _plan(graph: Graph, options: DrawOptions, depth: int | None) -> _Layout:
    """The layout that folds every scope at `depth` into a box (None: folds nothing)."""
    layout = _Layout(depth)
    consumers = graph.consumers()
    if depth is not None:
        for node in graph.nodes:
            parts = _scope_parts(node.scope)
            if len(parts) >= depth:
                layout.group_of[node.id] = "/".join(parts[:depth])
        # A leaf (a weight, a constant) used only inside one group belongs to that group.
        for node in graph.nodes:
            if node.op or node.id in layout.group_of or node.id not in consumers:
                continue
            groups = {layout.group_of.get(child) for child in consumers[node.id]}
            group = groups.pop() if len(groups) == 1 else None
            if group is not None:
                layout.group_of[node.id] = group
    if not options.constants_as_nodes:
        layout.hidden = {n.id for n in graph.nodes if n.constant and n.id not in layout.group_of}
    return layout


def _drawn_count(graph: Graph, layout: _Layout) -> int:
    """How many nodes a layout draws: values, their ops, and boxes."""
    visible = [n for n in graph.nodes if n.id not in layout.group_of and n.id not in layout.hidden]
    return len(visible) + sum(1 for n in visible if n.op) + len(set(layout.group_of.values()))


def _choose_layout(graph: Graph, options: DrawOptions) -> _Layout:
    """The layout `options.collapse` asks for; for "auto", the least folded within max_nodes."""
    deepest = max((len(_scope_parts(n.scope)) for n in graph.nodes), default=0)
    if options.collapse == "auto":
        candidates: list[int | None] = [None, *range(deepest, 0, -1)]
    else:
        candidates = [options.collapse]  # type: ignore[list-item]
    for depth in candidates:
        layout = _plan(graph, options, depth)
        count = _drawn_count(graph, layout)
        if count <= options.max_nodes:
            return layout
    hint = (f"collapse=1..{deepest} (the command line's --collapse) folds each scope at that "
            "depth into one box" if deepest else
            "its nodes carry no scopes (nn modules add them), so they cannot be collapsed")
    raise GraphTooLarge(
        f"the graph would draw {count} nodes, more than max_nodes={options.max_nodes}; "
        f"{hint}, or raise max_nodes (--max-nodes; layout time grows fast: thousands of nodes "
        "take seconds to minutes)")


def _fmt(x: float | None, spec: str) -> str:
    """A number as drawn: "?" for unknown, nan and inf as Python writes them."""
    if x is None:
        return "?"
    if math.isnan(x) or math.isinf(x):
        return str(x)
    return format(x, spec)


# Unescaped { } | < > in a record label make both renderers draw a broken node silently; a
# line break becomes \n (a line break inside the field, not a lost character).
# Graphviz reads record fields as escaped text with HTML entities: `&amp;` would draw as `&`.
_RECORD_ESCAPES = str.maketrans({**{char: "\\" + char for char in "\\{}|<>\""}, "\n": "\\n",
                                 "&": "&amp;"})


def _escape_record(text: str) -> str:
    """Text made safe for a field of a record label."""
    return text.translate(_RECORD_ESCAPES)


def _fill(grad: float | None, scale: float) -> str:
    """A value node's fill: red for a positive gradient, blue for a negative one, stronger
    the nearer |grad| is to `scale`."""
    if grad is None or scale == 0 or grad == 0:
        return "white"
    base = POSITIVE if grad > 0 else NEGATIVE
    strength = 0.15 + 0.7 * min(1.0, abs(grad) / scale)
    rgb = (round(255 + (c - 255) * strength) for c in base)
    return "#" + "".join(f"{c:02x}" for c in rgb)


def value_attrs(node: GraphNode, options: DrawOptions, scale: float, backward_ran: bool = True
                 ) -> dict[str, str]:
    """A value node's attributes: a dashed box for a constant, else a record of label, data
    and grad, filled by its gradient (grey where none flows, once a backward pass has run)."""
    spec = options.number_format
    shows_grad = options.view in ("both", "backward")
    if node.constant:
        return {"label": _escape_record(_fmt(node.data, spec)), "shape": "box",
                "style": "rounded,dashed", "color": "gray50", "fontcolor": "gray30"}
    name = node.label or (node.id if options.show_ids else "")
    fields = [_escape_record(name)] if name else []
    if options.view in ("both", "forward"):
        fields.append(f"data {_escape_record(_fmt(node.data, spec))}")
    if shows_grad:
        fields.append("grad " + BLANK if options.blank_grads
                      else f"grad {_escape_record(_fmt(node.grad, spec))}")
    attrs = {"label": "{ " + " | ".join(fields) + " }", "shape": "record", "style": "filled",
             "fillcolor": "white"}
    if shows_grad and node.grad is not None and not options.blank_grads:
        if not math.isfinite(node.grad):
            attrs.update(fillcolor="#f4a6d7", color=NOT_FINITE, penwidth="2")
        elif node.grad == 0 and backward_ran:  # no gradient flows: a dead relu, a step
            attrs.update(fillcolor=NO_FLOW, color="gray45", fontcolor="gray25")
        elif options.color:
            attrs["fillcolor"] = _fill(node.grad, scale)
    if node.id in options.highlight:
        attrs.update(color=HIGHLIGHT, penwidth="3")
    return attrs


def _group_label(members: list[GraphNode], name: str, outputs: list[GraphNode],
                 options: DrawOptions) -> str:
    """The record label of a collapsed scope's box: its name, size, and its outputs' numbers."""
    spec = options.number_format
    fields = [_escape_record(name.rsplit("/", 1)[-1]), f"{len(members)} nodes"]
    # A neuron has one output; a layer has one per neuron: show the first few of each.
    shown = outputs[:4]
    more = ", ..." if len(outputs) > len(shown) else ""

    def numbers(values: list[float | None]) -> str:
        return _escape_record(", ".join(_fmt(v, spec) for v in values)) + more

    if options.view in ("both", "forward"):
        fields.append(f"out {numbers([o.data for o in shown])}")
    if options.view in ("both", "backward"):
        fields.append(f"grad {numbers([o.grad for o in shown])}")
    if len(outputs) > 1:
        fields.append(f"{len(outputs)} outputs")
    return "{ " + " | ".join(fields) + " }"


def build(graph: Graph, options: DrawOptions | None = None) -> Diagram:
    """The drawing as a `graphviz.Digraph` (a `Diagram`), built in memory."""
    options = options or DrawOptions()
    layout = _choose_layout(graph, options)
    diagram = _new_diagram(options)
    nodes = [*_value_and_op_nodes(graph, layout, options), *_scope_boxes(graph, layout, options)]
    _emit_clusters(diagram, nodes, options.clusters)
    for tail, head, attrs in itertools.chain(_link_edges(graph, layout, options),
                                             _op_edges(graph, layout, options)):
        _edge(diagram, tail, head, attrs)
    diagram.description = describe(graph)
    return diagram


def describe(graph: Graph) -> str:
    """What a drawing shows, in one line of words (its text form and alternative text)."""
    root = graph.node(graph.root)
    name = root.label or "the output"
    values = sum(1 for n in graph.nodes if not n.constant)
    operations = sum(1 for n in graph.nodes if n.op)
    grad = (f", d{root.label or 'out'}/d{root.label or 'out'} = {_fmt(root.grad, '.4g')}"
            if graph.backward_ran else ", before any backward pass")
    return (f"the graph of {name} = {_fmt(root.data, '.4g')}{grad}: {values} values, "
            f"{operations} operations")


class _Placed(NamedTuple):
    """A node statement and the scope whose cluster it is drawn in."""

    scope: str
    name: str  # its DOT id
    attrs: dict[str, str]


_OP_ATTRS = {"shape": "ellipse", "width": "0.3", "height": "0.3", "margin": "0.02"}


def _new_diagram(options: DrawOptions) -> Diagram:
    """An empty drawing with the attributes of the whole graph: direction, fonts, caption."""
    diagram = Diagram(name="autograd", graph_attr={"rankdir": options.rankdir})
    diagram.attr("node", fontname="Helvetica", fontsize="11")
    diagram.attr("edge", fontname="Helvetica", fontsize="9")
    if options.caption:
        diagram.attr(label=options.caption, labelloc="b", fontname="Helvetica", fontsize="12")
    return diagram


def _value_and_op_nodes(graph: Graph, layout: _Layout, options: DrawOptions
                        ) -> Iterator[_Placed]:
    """A record for each value drawn on its own, and a small ellipse for the op that made it."""
    finite = [abs(n.grad) for n in graph.nodes
              if n.grad is not None and math.isfinite(n.grad) and not n.constant]
    scale = max(finite, default=0.0)  # the |grad| that gets the strongest colour
    shown_scope = shown_scopes(graph)
    for node in graph.nodes:
        if node.id in layout.group_of or node.id in layout.hidden:
            continue
        yield _Placed(shown_scope[node.id], node.id,
                      value_attrs(node, options, scale, graph.backward_ran))
        if node.op:
            yield _Placed(node.scope, f"{node.id}_op",
                          {"label": _escape_record(node.symbol), **_OP_ATTRS})


def _scope_boxes(graph: Graph, layout: _Layout, options: DrawOptions) -> Iterator[_Placed]:
    """One box for each collapsed scope, drawn in the cluster of the scope around it."""
    members: dict[str, list[GraphNode]] = {}
    for node in graph.nodes:
        if node.id in layout.group_of:
            members.setdefault(layout.group_of[node.id], []).append(node)
    # A box's outputs: its nodes used outside it, and the root.
    used_outside = {link.parent for link in graph.links
                    if layout.group_of.get(link.parent) is not None
                    and layout.group_of.get(link.parent) != layout.group_of.get(link.child)}
    box_ids = layout.group_ids()
    for name, nodes in members.items():
        outputs = [n for n in nodes if n.id in used_outside or n.id == graph.root]
        parent_scope = name.rsplit("/", 1)[0] if "/" in name else ""
        yield _Placed(parent_scope, box_ids[name],
                      {"label": _group_label(nodes, name, outputs, options), "shape": "record",
                       "style": "filled,bold", "fillcolor": "lightyellow"})


def _link_edges(graph: Graph, layout: _Layout, options: DrawOptions
                ) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(tail, head, attributes) for each link: from the operand to the op that uses it.

    Where a box stands for either end, the edge is plain and drawn once per pair of ends; a
    link inside one box, or from a hidden constant, is not drawn.
    """
    box_ids = layout.group_ids()
    boxes = set(box_ids.values())

    def drawn_as(node_id: str) -> str:
        group = layout.group_of.get(node_id)
        return box_ids[group] if group is not None else node_id

    box_edges: set[tuple[str, str]] = set()
    for link in graph.links:
        tail, head_node = drawn_as(link.parent), drawn_as(link.child)
        if link.parent in layout.hidden or (tail == head_node and tail in boxes):
            continue
        head = head_node if head_node in boxes else f"{link.child}_op"
        if tail in boxes or head in boxes:
            if (tail, head) not in box_edges:
                box_edges.add((tail, head))
                yield tail, head, {}
            continue
        yield tail, head, _link_attrs(link, options)


def _link_attrs(link: Link, options: DrawOptions) -> dict[str, str]:
    """A link's label (the local derivative, and what backward sends along it) and highlight."""
    attrs: dict[str, str] = {}
    if options.edge_labels and link.local_grad is not None:
        text = f"∂ {_fmt(link.local_grad, options.number_format)}"
        if options.view != "forward" and link.contribution is not None:
            text += f"\\n→ {_fmt(link.contribution, options.number_format)}"
        attrs["label"] = text
    if (link.parent, link.child) in options.highlight_links:
        attrs.update(color=HIGHLIGHT, penwidth="2.5", fontcolor=HIGHLIGHT)
    return attrs


def _op_edges(graph: Graph, layout: _Layout, options: DrawOptions
              ) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(tail, head, attributes) from each drawn op to the value it makes."""
    highlighted_children = {child for _, child in options.highlight_links}
    for node in graph.nodes:
        if node.op and node.id not in layout.group_of:
            attrs = ({"color": HIGHLIGHT, "penwidth": "2.5"} if node.id in highlighted_children
                     else {})
            yield f"{node.id}_op", node.id, attrs


def shown_scopes(graph: Graph) -> dict[str, str]:
    """The cluster each node is drawn in: its scope, or for a leaf made outside any module (a
    parameter, made in __init__ rather than forward) the one scope all its users share."""
    user_scopes: dict[str, set[str]] = {}
    scope_of = {node.id: node.scope for node in graph.nodes}
    for link in graph.links:
        user_scopes.setdefault(link.parent, set()).add(scope_of[link.child])
    shown = {}
    for node in graph.nodes:
        users = user_scopes.get(node.id, set())
        if not node.scope and not node.op and len(users) == 1:
            shown[node.id] = next(iter(users))
        else:
            shown[node.id] = node.scope
    return shown


# A drawing repeats the same few names and values many times.
# fast path; plain version: graphviz.quoting.quote and quote_edge, not cached
_quote = functools.lru_cache(maxsize=4096)(quote)
_quote_edge = functools.lru_cache(maxsize=4096)(quote_edge)


# fast path; plain version: target.node(name, **attrs) and target.edge(tail, head, **attrs)
def _statement(ids: str, attrs: dict[str, str]) -> str:
    """One DOT statement exactly as `Digraph.node` and `.edge` write it (graphviz's quoting,
    attributes sorted), without their argument checks on every call."""
    if not attrs:
        return f"\t{ids}\n"
    # `label` first (it is a parameter of node() and edge()), then the rest sorted.
    listed = [f"label={_quote(attrs['label'])}"] if "label" in attrs else []
    listed += [f"{_quote(k)}={_quote(v)}" for k, v in sorted(attrs.items()) if k != "label"]
    return f"\t{ids} [{' '.join(listed)}]\n"


def node_statement(target: Diagram, name: str, attrs: dict[str, str]) -> None:
    """Append a node statement to a drawing or one of its clusters."""
    target.body.append(_statement(_quote(name), attrs))


def _edge(target: Diagram, tail: str, head: str, attrs: dict[str, str]) -> None:
    """Append an edge statement to a drawing."""
    target.body.append(_statement(f"{_quote_edge(tail)} -> {_quote_edge(head)}", attrs))


def _emit_clusters(diagram: Diagram, nodes: Iterable[_Placed], clusters: bool) -> None:
    """Write nodes into nested clusters, one per scope path component, in first-seen order
    (without `clusters`, all at the top level)."""
    statements: dict[str, list[_Placed]] = {}  # scope path -> its nodes
    for node in nodes:
        statements.setdefault(node.scope if clusters else "", []).append(node)
    tree: dict[str, list[str]] = {}  # scope path -> child scope paths
    for scope in statements:
        parts = _scope_parts(scope)
        for i in range(len(parts)):
            parent, child = "/".join(parts[:i]), "/".join(parts[: i + 1])
            children = tree.setdefault(parent, [])
            if child not in children:
                children.append(child)
    counter = itertools.count()

    def emit(target: Diagram, scope: str) -> None:
        for node in statements.get(scope, []):
            node_statement(target, node.name, node.attrs)
        for child in tree.get(scope, []):
            with target.subgraph(name=f"cluster_{next(counter)}") as cluster:
                cluster.attr(label=child.rsplit("/", 1)[-1], style="rounded", color="gray60",
                             fontname="Helvetica", fontsize="10")
                emit(cluster, child)

    emit(diagram, "")


def to_dot(graph: Graph, options: DrawOptions | None = None) -> str:
    """The DOT text of a drawing: deterministic, so tests compare it with golden files."""
    return str(build(graph, options).source)

