"""Step through the backward pass: one frame per node, as self-contained HTML.

Frame 0 is the forward pass (every gradient unknown); frame k shows the graph after the k-th
step of `autograd_core.backward_steps`: the node whose turn it is highlighted, every gradient
computed so far filled in ("grad ?" elsewhere), and the chain-rule products that produced the
new numbers, e.g. dL/da += dL/de * de/da = -2 * -3 = 6.

The player is plain HTML with inline SVG frames and a few lines of JavaScript, so it works
wherever a notebook is read: a live kernel, JupyterLab or VS Code, a static HTML export. Where
scripts are stripped, the last frame (the finished backward graph) is what shows.
"""

from __future__ import annotations

import functools
import hashlib
import html
import itertools
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

from autograd_core import BackwardStep, Value, backward_steps

from .dot import DrawOptions, GraphTooLarge, build
from .graph import Graph, extract
from .renderer import atomic_write, render

__all__ = ["Frame", "StepThrough", "step_through"]


@dataclass(frozen=True)
class Frame:
    """One picture of the backward pass."""

    grads: dict[str, float]  # node id -> gradient known at this frame
    caption: str  # what happened in this step, chain rule written out
    dot: str  # DOT text of the frame
    svg: str  # the rendered frame, ready to inline


def _name(graph: Graph, value: Value) -> str:
    for node in graph.nodes:
        if node.value is value:
            return node.label or node.id
    raise KeyError(value)


def _caption(graph: Graph, root_name: str, step: BackwardStep, k: int, total: int,
             spec: str) -> str:
    name = _name(graph, step.node)
    if k == 1:
        lines = [f"Step 1 of {total}: the seed, d{root_name}/d{root_name} = 1."]
    else:
        lines = [f"Step {k} of {total}: every contribution to {name} has arrived, "
                 f"so d{root_name}/d{name} = {format(step.grad, spec)}."]
    if not step.edges:
        lines.append(f"{name} is a leaf: nothing to pass on.")
    for edge in step.edges:
        parent = _name(graph, edge.parent)
        local = "undefined" if edge.local_grad is None else format(edge.local_grad, spec)
        lines.append(f"d{root_name}/d{parent} += d{root_name}/d{name} * d{name}/d{parent} = "
                     f"{format(step.grad, spec)} * {local} = {format(edge.contribution, spec)}")
    return "\n".join(lines)


def _inline_svg(svg: bytes) -> str:
    text = svg.decode("utf-8")
    text = re.sub(r"<\?xml[^>]*\?>", "", text)
    text = re.sub(r"<!DOCTYPE[^>]*>", "", text, flags=re.DOTALL)
    return re.sub(r"<!--.*?-->", "", text, flags=re.DOTALL).strip()


class StepThrough:
    """A player of the backward pass of `root`: `frames`, HTML display, `save()`."""

    def __init__(self, root: Value, *, view: str = "both", rankdir: str = "LR",
                 number_format: str = ".4g", edge_labels: bool = True, max_frames: int = 120,
                 max_nodes: int = 120) -> None:
        steps = list(backward_steps(root))
        if len(steps) + 1 > max_frames:
            raise GraphTooLarge(
                f"stepping through this graph takes {len(steps) + 1} frames, more than "
                f"max_frames={max_frames}; step through a smaller expression (one neuron), or "
                "raise max_frames")
        graph = extract(root)
        ids = {node.value: node.id for node in graph.nodes}
        root_name = graph.node(graph.root).label or graph.root
        frame_options = functools.partial(
            DrawOptions, view=view, rankdir=rankdir, number_format=number_format,
            edge_labels=edge_labels, show_ids=True, collapse=None, max_nodes=max_nodes,
            color=False)  # a colour scale that changed from frame to frame would mislead
        known: dict[Value, float | None] = {}
        frames = [self._frame(root, known, frame_options(),
                              "The forward pass is done: every node has its data. "
                              "No gradient is known yet.")]
        for k, step in enumerate(steps, 1):
            known[step.node] = step.grad
            caption = _caption(graph, root_name, step, k, len(steps), number_format)
            options = frame_options(
                highlight=frozenset({ids[step.node]}),
                highlight_links=frozenset((ids[e.parent], ids[step.node]) for e in step.edges))
            frames.append(self._frame(root, dict(known), options, caption))
        self.root = root
        self.frames: list[Frame] = frames

    @staticmethod
    def _frame(root: Value, known: dict[Value, float | None], options: DrawOptions,
               caption: str) -> Frame:
        graph = extract(root, known)
        # Contributions are only drawn along the edges of the current step: elsewhere the
        # edge shows its local derivative alone.
        graph = replace(graph, links=tuple(
            link if (link.parent, link.child) in options.highlight_links
            else replace(link, contribution=None)
            for link in graph.links))
        dot = build(graph, options).source
        grads = {n.id: n.grad for n in graph.nodes if n.grad is not None}
        return Frame(grads, caption, dot, _inline_svg(render(dot, format="svg")))

    def __len__(self) -> int:
        return len(self.frames)

    def html(self, autoplay: bool = False) -> str:
        """The player as an HTML fragment (inline SVG frames and a little JavaScript)."""
        # Unique per call: the same player shown twice on a page must not share its controls.
        digest = hashlib.sha1("".join(f.dot for f in self.frames).encode()).hexdigest()[:10]
        key = f"agc{digest}{next(_instances)}"
        last = len(self.frames) - 1
        parts = [f'<div class="agc-player" id="{key}">', _STYLE.replace("#KEY", f"#{key}"),
                 '<div class="agc-controls">'
                 '<button type="button" data-step="first">first</button>'
                 '<button type="button" data-step="prev">&#x25C0; previous</button>'
                 '<button type="button" data-step="play">&#x25B6; play</button>'
                 '<button type="button" data-step="next">next &#x25B6;</button>'
                 f'<input type="range" min="0" max="{last}" value="{last}" aria-label="frame">'
                 f'<span class="agc-counter">frame {last} of {last}</span></div>']
        for i, frame in enumerate(self.frames):
            hidden = "" if i == last else ' style="display:none"'
            parts.append(f'<div class="agc-frame" data-frame="{i}"{hidden}>'
                         f'<pre class="agc-caption">{html.escape(frame.caption)}</pre>'
                         f'{frame.svg}</div>')
        script = _SCRIPT.replace("KEY", key).replace("AUTOPLAY", "true" if autoplay else "false")
        parts.append(f"<script>{script}</script></div>")
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        return self.html()

    def save(self, path: str | os.PathLike[str], autoplay: bool = False) -> Path:
        """Write a standalone HTML page of the player (for slides: `autoplay=True`)."""
        target = Path(path)
        if target.suffix.lower() not in (".html", ".htm"):
            raise ValueError(f"save writes an HTML page; give a path ending in .html, got "
                             f"{target.name!r}")
        page = ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                "<title>Backward pass, step by step</title></head><body>\n"
                f"{self.html(autoplay)}\n</body></html>\n")
        return atomic_write(target, page.encode("utf-8"))


def step_through(root: Value, **options: object) -> StepThrough:
    """A player of the backward pass of `root` (see StepThrough for the options).

    >>> from autograd_core import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> player = step_through(a * b)
    >>> len(player)   # the forward frame, then one per node
    4
    >>> print(player.frames[1].caption)
    Step 1 of 3: the seed, dn2/dn2 = 1.
    dn2/da += dn2/dn2 * dn2/da = 1 * -3 = -3
    dn2/db += dn2/dn2 * dn2/db = 1 * 2 = 2
    """
    return StepThrough(root, **options)  # type: ignore[arg-type]


_instances = itertools.count()

_STYLE = """<style>
#KEY { font-family: Helvetica, Arial, sans-serif; }
#KEY .agc-controls { display: flex; gap: 0.4em; align-items: center; margin: 0.3em 0; }
#KEY .agc-controls button { padding: 0.2em 0.6em; cursor: pointer; }
#KEY .agc-caption { font-size: 0.9em; background: #f6f6f6; padding: 0.4em; margin: 0.3em 0;
  white-space: pre-wrap; }
#KEY svg { max-width: 100%; height: auto; }
</style>"""

_SCRIPT = """(function () {
  var root = document.getElementById("KEY");
  if (!root) { return; }
  var frames = root.querySelectorAll(".agc-frame");
  var slider = root.querySelector("input[type=range]");
  var counter = root.querySelector(".agc-counter");
  var playButton = root.querySelector("[data-step=play]");
  var current = 0, timer = null, last = frames.length - 1;
  function show(k) {
    current = Math.max(0, Math.min(last, k));
    for (var i = 0; i < frames.length; i++) {
      frames[i].style.display = (i === current) ? "" : "none";
    }
    slider.value = current;
    counter.textContent = "frame " + current + " of " + last;
  }
  function stop() { clearInterval(timer); timer = null; playButton.innerHTML = "&#x25B6; play"; }
  function play() {
    if (current === last) { show(0); }
    playButton.innerHTML = "pause";
    timer = setInterval(function () {
      if (current < last) { show(current + 1); }
      else if (AUTOPLAY) { show(0); }  // slides loop
      else { stop(); }
    }, 1200);
  }
  root.addEventListener("click", function (event) {
    var action = event.target.getAttribute("data-step");
    if (action === "next") { stop(); show(current + 1); }
    else if (action === "prev") { stop(); show(current - 1); }
    else if (action === "first") { stop(); show(0); }
    else if (action === "play") { if (timer) { stop(); } else { play(); } }
  });
  slider.addEventListener("input", function () { stop(); show(parseInt(slider.value, 10)); });
  show(0);
  if (AUTOPLAY) { play(); }
})();"""
