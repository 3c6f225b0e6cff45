"""A drawing as TikZ (for LaTeX slides and papers) or as Mermaid (for Markdown pages).

Both are written from the drawing Graphviz laid out (its `json` output), so they show what
`viz.draw` shows: each value as its label | data | grad box, each operation as a small circle,
constants as dashed boxes, the nn modules as rounded frames, and the edge labels.

- TikZ repeats Graphviz's own drawing operations (xdot): every box, field separator, circle,
  edge curve, arrowhead and text where Graphviz put it, in its colours. `standalone=True`
  gives a whole document that pdflatex compiles to one page of the drawing's size (it needs
  tikz and geometry: Debian's texlive-latex-base and texlive-pictures); otherwise the
  `tikzpicture` alone, to `\\input`. Text is escaped for LaTeX, and the few non-ASCII signs a
  drawing uses (the partial-derivative sign, arrows) become math.
- Mermaid (`flowchart`) lays the graph out itself: the same nodes, edges, labels and colours,
  its own placement.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from autograd_core import Value

from .diagram import Diagram
from .draw import draw
from .renderer import render

__all__ = ["to_tikz", "to_mermaid", "Layout"]


@dataclass(frozen=True)
class _Node:
    name: str
    fields: tuple[str, ...]  # a record's fields; one field for an op or a constant
    kind: str  # "value", "op" or "constant"
    x: float
    y: float
    width: float  # points
    height: float
    fill: str | None  # "#rrggbb"
    highlighted: bool


@dataclass(frozen=True)
class _Edge:
    tail: str
    head: str
    points: tuple[tuple[float, float], ...]  # a Bezier spline: p0, then 3 points per piece
    end: tuple[float, float] | None  # where the arrowhead points
    label: str
    label_at: tuple[float, float] | None
    highlighted: bool


@dataclass(frozen=True)
class _Cluster:
    name: str
    label: str
    box: tuple[float, float, float, float]  # x1, y1, x2, y2
    label_at: tuple[float, float] | None
    nodes: tuple[str, ...]  # the nodes directly in it (not in a cluster inside it)
    children: tuple[str, ...]


@dataclass(frozen=True)
class Layout:
    """A drawing as Graphviz laid it out (points, y upwards), read from its JSON."""

    direction: str
    width: float
    height: float
    nodes: tuple[_Node, ...]
    edges: tuple[_Edge, ...]
    clusters: tuple[_Cluster, ...]
    top: tuple[str, ...]  # the outermost clusters

    @staticmethod
    def of(drawing: Diagram | Value) -> Layout:
        """Lay a drawing (or a Value, drawn with `viz.draw`'s defaults) out."""
        diagram = draw(drawing) if isinstance(drawing, Value) else drawing
        if not isinstance(diagram, Diagram):
            raise TypeError(f"to_tikz and to_mermaid take a Value or a drawing (viz.draw), got "
                            f"{type(drawing).__name__}")
        data = json.loads(render(diagram, format="json"))
        return _read(data)


def _numbers(text: str) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", text)]


def _fields(label: str) -> tuple[str, ...]:
    """A record label's fields: `{ a | data 2 | grad 6 }` -> ("a", "data 2", "grad 6")."""
    inner = label.strip()
    if inner.startswith("{") and inner.endswith("}"):
        inner = inner[1:-1]
    parts = re.split(r"(?<!\\)\|", inner)
    # DOT escapes (\| \{ ...) and the HTML entities viz.draw writes (&amp;) undone: the text.
    return tuple(html.unescape(re.sub(r"\\(.)", r"\1", part)).strip() for part in parts)


def _read(data: dict[str, Any]) -> Layout:
    objects = data.get("objects", [])
    by_id = {o["_gvid"]: o for o in objects}
    nodes, clusters = [], []
    for o in objects:
        if "nodes" in o:  # a cluster
            continue
        x, y = _numbers(o["pos"])[:2]
        shape, style = o.get("shape", ""), o.get("style") or ""
        kind = ("value" if shape == "record" else "constant" if "dashed" in style else "op")
        label = o.get("label", "")
        fields = (_fields(label) if shape == "record"
                  else (html.unescape(label.replace("\\n", "\n")),))
        nodes.append(_Node(o["name"], fields, kind, x, y, float(o["width"]) * 72,
                           float(o["height"]) * 72, o.get("fillcolor"),
                           o.get("penwidth") is not None))
    names = {o["_gvid"]: o["name"] for o in objects}
    inner: set[int] = set()
    for o in objects:
        inner.update(o.get("subgraphs") or [])
    for o in objects:
        if "nodes" not in o:
            continue
        children = o.get("subgraphs") or []
        nested = {n for c in children for n in by_id[c].get("nodes", [])}
        x1, y1, x2, y2 = _numbers(o["bb"])
        lp = _numbers(o["lp"]) if o.get("lp") else None
        clusters.append(_Cluster(o["name"], o.get("label", ""), (x1, y1, x2, y2),
                                 (lp[0], lp[1]) if lp else None,
                                 tuple(names[n] for n in o["nodes"] if n not in nested),
                                 tuple(names[c] for c in children)))
    edges = []
    for e in data.get("edges", []):
        spec = e.get("pos", "")
        end = None
        points = []
        for token in spec.split():
            if token.startswith("e,"):
                ex, ey = _numbers(token[2:])[:2]
                end = (ex, ey)
            elif token.startswith("s,"):
                continue
            else:
                px, py = _numbers(token)[:2]
                points.append((px, py))
        lp = _numbers(e["lp"]) if e.get("lp") else None
        edges.append(_Edge(names[e["tail"]], names[e["head"]], tuple(points), end,
                           html.unescape((e.get("label") or "").replace("\\n", "\n")),
                           (lp[0], lp[1]) if lp else None, e.get("penwidth") is not None))
    x1, y1, x2, y2 = _numbers(data["bb"])
    top = tuple(names[o["_gvid"]] for o in objects if "nodes" in o and o["_gvid"] not in inner)
    return Layout(data.get("rankdir", "LR"), x2 - x1, y2 - y1, tuple(nodes), tuple(edges),
                  tuple(clusters), top)


# --- TikZ -----------------------------------------------------------------------------------

_LATEX = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "#": r"\#",
          "%": r"\%", "&": r"\&", "_": r"\_", "~": r"\textasciitilde{}",
          "^": r"\textasciicircum{}", "<": r"\textless{}", ">": r"\textgreater{}"}
# The signs a drawing or a label may hold, by code point: partial, arrow, nabla, times, middle
# dot, minus, ellipsis, sigma.
_MATH = {"\u2202": r"$\partial$", "\u2192": r"$\to$", "\u2207": r"$\nabla$",
         "\u00d7": r"$\times$", "\u00b7": r"$\cdot$", "\u2212": "-", "\u2026": r"\dots{}",
         "\u03c3": r"$\sigma$"}


def latex(text: str) -> str:
    """Text for pdflatex: special characters escaped, the drawing's signs as math, other
    non-ASCII letters without their accents (or ?)."""
    out = []
    for char in text:
        if char in _LATEX:
            out.append(_LATEX[char])
        elif char in _MATH:
            out.append(_MATH[char])
        elif ord(char) < 128:
            out.append(char)
        else:
            plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
            out.append(latex(plain) if plain else "?")
    return "".join(out)


def _xdot_text(text: str) -> str:
    """xdot's text, which writes a backslash twice, as drawn."""
    return text.replace("\\\\", "\\")


def _rgb(colour: str) -> str | None:
    """An xdot colour ("#rrggbb" or "#rrggbbaa") as xcolor's rgb; None if transparent."""
    if not re.fullmatch(r"#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?", colour):
        return "black"
    if len(colour) == 9 and colour[7:] == "00":
        return None
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"{{rgb,255:red,{r};green,{g};blue,{b}}}"


def _xy(point: list[float]) -> str:
    return f"({point[0]:.2f},{point[1]:.2f})"


class _Pen:
    """The xdot drawing state: pen and fill colours, line style, font size."""

    def __init__(self) -> None:
        self.pen: str | None = "black"
        self.fill: str | None = "white"
        self.style = ""
        self.size = 11.0


def _tikz_ops(ops: list[dict[str, Any]], pen: _Pen, lines: list[str]) -> None:
    """Graphviz's drawing operations (xdot, from its JSON) as TikZ commands."""
    for op in ops:
        kind = op["op"]
        if kind == "c":
            pen.pen = _rgb(op["color"])
        elif kind == "C":
            pen.fill = _rgb(op["color"])
        elif kind == "S":
            style = op["style"]
            width = re.match(r"setlinewidth\((\d+(?:\.\d+)?)\)", style)
            pen.style = ("dashed" if style == "dashed" else "dotted" if style == "dotted"
                         else f"line width={float(width.group(1)):.2f}pt" if width else
                         pen.style if style in ("filled", "rounded") else "")
        elif kind == "F":
            pen.size = float(op["size"])
        elif kind == "T":
            anchor = {"l": "base west", "r": "base east"}.get(op["align"], "base")
            colour = f", text={pen.pen}" if pen.pen and pen.pen != "black" else ""
            lines.append(f"\\node[anchor={anchor}, inner sep=0pt, font=\\sffamily"
                         f"\\fontsize{{{pen.size:g}}}{{{pen.size * 1.2:.1f}}}\\selectfont{colour}] "
                         f"at {_xy(op['pt'])} {{{latex(_xdot_text(op['text']))}}};")
        elif kind in ("p", "P", "L", "b", "B", "e", "E"):
            lines.append(_shape(kind, op, pen))


def _shape(kind: str, op: dict[str, Any], pen: _Pen) -> str:
    """One polygon, polyline, B-spline or ellipse, stroked (and filled when upper case)."""
    options = [f"draw={pen.pen}" if pen.pen else "draw=none"]
    if kind in "PBE" and pen.fill:
        options.append(f"fill={pen.fill}")
    if pen.style:
        options.append(pen.style)
    if kind in "eE":
        cx, cy, rx, ry = op["rect"]
        return (f"\\path[{', '.join(options)}] ({cx:.2f},{cy:.2f}) ellipse "
                f"[x radius={rx:.2f}, y radius={ry:.2f}];")
    points = op["points"]
    if kind in "bB":
        path = [_xy(points[0])]
        for i in range(1, len(points) - 2, 3):
            path.append(f".. controls {_xy(points[i])} and {_xy(points[i + 1])} .. "
                        f"{_xy(points[i + 2])}")
    else:
        path = [" -- ".join(_xy(p) for p in points)]
    closing = " -- cycle" if kind in "pP" else ""
    return f"\\path[{', '.join(options)}] " + " ".join(path) + closing + ";"


def to_tikz(drawing: Diagram | Value, standalone: bool = True) -> str:
    """The drawing as TikZ: a LaTeX document (or, with standalone=False, the tikzpicture).

    Every box, circle, edge, arrowhead and text is drawn where Graphviz drew it, from its own
    drawing operations, so the picture is the drawing: the same label | data | grad boxes,
    colours, dashed constants, module frames and edge labels.
    """
    diagram = draw(drawing) if isinstance(drawing, Value) else drawing
    if not isinstance(diagram, Diagram):
        raise TypeError(f"to_tikz takes a Value or a drawing (viz.draw), got "
                        f"{type(drawing).__name__}")
    data = json.loads(render(diagram, format="json"))
    lines = [r"\begin{tikzpicture}[x=1pt, y=1pt, line join=round]"]
    for item in (*data.get("objects", []), *data.get("edges", [])):
        for key in ("_draw_", "_hdraw_", "_tdraw_", "_ldraw_", "_hldraw_", "_tldraw_"):
            if item.get(key):
                _tikz_ops(item[key], _Pen(), lines)
    lines.append(r"\end{tikzpicture}")
    picture = "\n".join(lines) + "\n"
    if not standalone:
        return picture
    x1, y1, x2, y2 = _numbers(data["bb"])
    width, height = x2 - x1 + 24, y2 - y1 + 24
    return (r"\documentclass{article}" "\n"
            r"\usepackage[T1]{fontenc}" "\n"  # _ { } < > as letters, not rules or accents
            r"\usepackage{lmodern}" "\n"  # scalable T1 fonts (fonts-lmodern)
            r"\usepackage{tikz}" "\n"
            f"\\usepackage[paperwidth={width:.0f}pt,paperheight={height:.0f}pt,margin=12pt]"
            "{geometry}\n"
            r"\pagestyle{empty}" "\n"
            r"\begin{document}" "\n"
            r"\noindent" "\n"
            f"{picture}"
            r"\end{document}" "\n")


# --- Mermaid ----------------------------------------------------------------------------------


def mermaid_text(text: str) -> str:
    """Text inside a Mermaid quoted label: quotes and markup characters as entity codes, new
    lines as <br>."""
    escaped = (text.replace("#", "#35;").replace("&", "#amp;").replace('"', "#quot;")
               .replace("<", "#lt;").replace(">", "#gt;"))
    return escaped.replace("\n", "<br>")


def to_mermaid(drawing: Diagram | Value) -> str:
    """The drawing as a Mermaid flowchart (Mermaid places the nodes itself)."""
    layout = Layout.of(drawing)
    lines = [f"flowchart {layout.direction}"]
    shapes = {node.name: node for node in layout.nodes}

    def node_line(node: _Node, indent: str) -> str:
        text = mermaid_text(" | ".join(node.fields))
        if node.kind == "op":
            return f'{indent}{node.name}(("{text}"))'
        if node.kind == "constant":
            return f'{indent}{node.name}(["{text}"]):::constant'
        return f'{indent}{node.name}["{text}"]'

    clusters = {cluster.name: cluster for cluster in layout.clusters}
    placed: set[str] = set()

    def emit(name: str, depth: int) -> None:
        cluster = clusters[name]
        indent = "  " * depth
        lines.append(f'{indent}subgraph {name}["{mermaid_text(cluster.label)}"]')
        for child in cluster.children:
            emit(child, depth + 1)
        for node_name in cluster.nodes:
            lines.append(node_line(shapes[node_name], indent + "  "))
            placed.add(node_name)
        lines.append(f"{indent}end")

    for name in layout.top:
        emit(name, 1)
    for node in layout.nodes:
        if node.name not in placed:
            lines.append(node_line(node, "  "))
    for edge in layout.edges:
        label = f'|"{mermaid_text(edge.label)}"|' if edge.label else ""
        lines.append(f"  {edge.tail} -->{label} {edge.head}")
    lines.append("  classDef constant stroke-dasharray: 4 3,color:#555555")
    for node in layout.nodes:
        if node.kind == "value" and node.fill and re.fullmatch(r"#[0-9a-fA-F]{6}", node.fill):
            lines.append(f"  style {node.name} fill:{node.fill}")
    return "\n".join(lines) + "\n"
