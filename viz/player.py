"""Step through the forward and then the backward pass, one node (or one module) at a time.

The graph is laid out and rendered once; each frame is data: which values' data appear, which
gradients are filled in (a running sum while contributions arrive, the final number once the
node's turn comes), which node has its turn and which edges carry gradient. A few lines of
JavaScript apply the frames to the one drawing, so the page grows linearly with the graph.

What shows where:
- scripts run (a live notebook, a trusted one, VS Code, an HTML export, a saved page): the
  drawing with buttons, a slider, the arrow keys, a caption that writes out each step, and the
  chain rule of any node clicked;
- scripts stripped (a notebook opened untrusted in JupyterLab or Notebook 7, GitHub): the
  finished drawing as an image and every caption as a list, and no buttons that do nothing.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from autograd_core import BackwardStep, Value, backward_steps, explain, write_file

from .dot import DrawOptions, build, shown_scopes
from .embed import data_uri, svg_size
from .graph import Graph, GraphNode, GraphTooLarge, count_upto, extract
from .renderer import render

__all__ = ["Frame", "StepThrough", "step_through"]

PHASES = ("start", "forward", "backward")
PER = ("node", "module")
EXPLAIN_LIMIT = 150  # up to this many values, a click shows explain()'s paths; past it, the sums


@dataclass(frozen=True)
class Frame:
    """One step: what changes on the drawing from here on, and the caption that says why."""

    caption: str
    phase: str  # "start", "forward" or "backward"
    focus: tuple[str, ...] = ()  # the node ids whose turn it is
    data: tuple[str, ...] = ()  # node ids whose data appears in this frame
    grads: Mapping[str, str] = field(default_factory=dict)  # node id -> grad text from now on
    done: tuple[str, ...] = ()  # node ids whose gradient is complete from now on
    links: tuple[tuple[str, str], ...] = ()  # (parent id, child id): edges carrying gradient


def _merge(frames: list[Frame], caption: str) -> Frame:
    """Several frames shown as one (a module's steps)."""
    grads: dict[str, str] = {}
    for frame in frames:
        grads.update(frame.grads)
    return Frame(caption, frames[-1].phase,
                 focus=tuple(itertools.chain.from_iterable(f.focus for f in frames)),
                 data=tuple(itertools.chain.from_iterable(f.data for f in frames)),
                 grads=grads, done=tuple(itertools.chain.from_iterable(f.done for f in frames)),
                 links=tuple(itertools.chain.from_iterable(f.links for f in frames)))


class _Names:
    """How captions name nodes: by label, else by id (as the drawing shows them)."""

    def __init__(self, graph: Graph, spec: str) -> None:
        self.spec = spec
        self.ids = {node.value: node.id for node in graph.nodes}
        self.by_id = {node.id: node for node in graph.nodes}
        root = self.by_id[graph.root]
        self.root = root.label or root.id

    def __call__(self, value: Value) -> str:
        node = self.by_id[self.ids[value]]
        if node.constant:
            return f"({self.number(node.data)})"  # dL/d(-2): a number written in the formula
        return node.label or node.id

    def number(self, x: float | None) -> str:
        return "?" if x is None else format(x, self.spec)


def _forward_caption(node: GraphNode, names: _Names) -> str:
    """`n2 = x1 * w1 = 2 * -3 = -6`, or `x1 = 2: an input`."""
    name, value = names(node.value), names.number(node.data)
    parents = node.value.parents
    if not parents:
        return f"{name} = {value}: an input (a leaf of the graph)."
    operands = [names(p) for p in parents]
    numbers = [names.number(p.data) for p in parents]
    if len(parents) == 2 and node.symbol in ("+", "-", "*", "/", "**"):
        formula = (f"{operands[0]} {node.symbol} {operands[1]} = "
                   f"{numbers[0]} {node.symbol} {numbers[1]}")
    elif len(parents) <= 6:
        formula = (f"{node.symbol}({', '.join(operands)}) = "
                   f"{node.symbol}({', '.join(numbers)})")
    else:
        formula = f"{node.symbol} of {len(parents)} operands ({', '.join(operands[:3])}, ...)"
    return f"{name} = {formula} = {value}"


def _backward_caption(step: BackwardStep, names: _Names, k: int, total: int) -> list[str]:
    """The chain rule of one backward step, a line per edge."""
    name, root, spec = names(step.node), names.root, names.spec
    grad = format(step.grad, spec)
    if k == 1:
        lines = [f"Backward step 1 of {total}: the seed, d{root}/d{root} = 1."]
    else:
        lines = [f"Backward step {k} of {total}: every contribution to {name} has arrived, so "
                 f"d{root}/d{name} = {grad}."]
    if not step.edges:
        lines.append(f"{name} is a leaf: nothing to pass on.")
    for edge in step.edges:
        parent = names(edge.parent)
        local = "undefined" if edge.local_grad is None else format(edge.local_grad, spec)
        lines.append(f"d{root}/d{parent} += d{root}/d{name} * d{name}/d{parent} = {grad} * "
                     f"{local} = {format(edge.contribution, spec)}")
    return lines


class StepThrough:
    """A player of the forward and backward pass of `root`: `frames`, `html()`, `save()`.

    per: "node" (a frame per node) or "module" (a frame per nn module, neuron or layer: the
    steps of the nodes a module made are shown together). forward: step through the forward
    pass first (values appearing in topological order). max_nodes: the most values stepped
    through; a larger graph is refused before it is read.
    """

    def __init__(self, root: Value, *, view: str = "both", rankdir: str = "LR",
                 number_format: str = ".4g", edge_labels: bool = True, per: str = "node",
                 forward: bool = True, max_nodes: int = 2000) -> None:
        if per not in PER:
            raise ValueError(f"per must be one of {', '.join(PER)}; got {per!r}")
        DrawOptions(view=view, rankdir=rankdir, number_format=number_format,
                    max_nodes=max_nodes)  # every option checked before any work
        steps = list(backward_steps(_checked_size(root, max_nodes)))
        grads = {step.node: step.grad for step in steps}  # this pass's, not accumulated .grad
        self.root = root
        self._spec = number_format
        self.graph = extract(root, grads)
        options = DrawOptions(view=view, rankdir=rankdir, number_format=number_format,
                              edge_labels=edge_labels, show_ids=True, collapse=None,
                              max_nodes=3 * max_nodes, color=False)  # no scale per frame
        self.svg: bytes = render(build(self.graph, options).source, format="svg")
        names = _Names(self.graph, number_format)
        frames = [Frame(
            f"The graph of {names.root}, {sum(not n.constant for n in self.graph.nodes)} "
            "values. " + ("The forward pass fills in each value's data, parents first; then "
                          if forward and view != "backward" else "")
            + f"the backward pass fills in each grad, from {names.root} back to the inputs.",
            "start")]
        if forward and view != "backward":
            frames += self._forward_frames(names)
        frames += self._backward_frames(steps, names)
        if per == "module":
            frames = self._per_module(frames)
        self.frames: list[Frame] = frames
        self.why = self._why(steps, names)
        self.forward = forward and view != "backward"

    def _forward_frames(self, names: _Names) -> list[Frame]:
        return [Frame(_forward_caption(node, names), "forward", focus=(node.id,),
                      data=(node.id,))
                for node in self.graph.nodes if not node.constant]

    def _backward_frames(self, steps: list[BackwardStep], names: _Names) -> list[Frame]:
        ids, spec = names.ids, names.spec
        shown = [s for s in steps if not s.node.is_constant]
        running: dict[str, float] = {}
        frames = []
        for k, step in enumerate(shown, 1):
            node = ids[step.node]
            grads = {node: format(step.grad, spec)}
            for edge in step.edges:
                parent = ids[edge.parent]
                if not edge.parent.is_constant:
                    running[parent] = running.get(parent, 0.0) + edge.contribution
                    grads[parent] = format(running[parent], spec)
            frames.append(Frame("\n".join(_backward_caption(step, names, k, len(shown))),
                                "backward", focus=(node,), grads=grads, done=(node,),
                                links=tuple((ids[e.parent], node) for e in step.edges)))
        return frames

    def _per_module(self, frames: list[Frame]) -> list[Frame]:
        """Consecutive frames of nodes made by one module, shown as one frame."""
        scopes = shown_scopes(self.graph)  # a neuron's weights are in the neuron's module
        merged: list[Frame] = []
        for (phase, scope), group in itertools.groupby(
                frames, key=lambda f: (f.phase, scopes.get(f.focus[0], "") if f.focus else "")):
            members = list(group)
            if not scope or len(members) == 1:
                merged += members
                continue
            head = f"{scope} ({phase}, {len(members)} steps):"
            merged.append(_merge(members, "\n".join([head, *(f.caption for f in members)])))
        return merged

    def _why(self, steps: list[BackwardStep], names: _Names) -> dict[str, str]:
        """For each value, the chain rule that gives its gradient: what a click shows."""
        ids, spec, root = names.ids, names.spec, names.root
        values = [n for n in self.graph.nodes if not n.constant]
        if len(values) <= EXPLAIN_LIMIT:
            return {n.id: str(explain(self.root, n.value)) for n in values}
        received: dict[str, list[str]] = {n.id: [] for n in values}
        for step in steps:
            child = names(step.node)
            for edge in step.edges:
                if ids[edge.parent] in received:
                    received[ids[edge.parent]].append(
                        f"  from {child}: d{root}/d{child} * d{child}/d{names(edge.parent)} = "
                        f"{format(step.grad, spec)} * {format(edge.local_grad or 0.0, spec)} = "
                        f"{format(edge.contribution, spec)}")
        return {n.id: "\n".join([f"d{root}/d{names(n.value)} = {names.number(n.grad)}"
                                 + (", the seed" if n.id == self.graph.root else ", the sum of:"),
                                 *received[n.id]])
                for n in values}

    def __len__(self) -> int:
        return len(self.frames)

    def state(self, k: int) -> dict[str, tuple[str, str]]:
        """What each value's box shows at frame k: (data text, grad text), as the page does."""
        data: set[str] = set() if self.forward else {n.id for n in self.graph.nodes}
        grads: dict[str, str] = {}
        for frame in self.frames[:k + 1]:
            data.update(frame.data)
            grads.update(frame.grads)
        return {n.id: (f"data {format(n.data, self._spec) if n.id in data else '?'}",
                       f"grad {grads.get(n.id, '?')}")
                for n in self.graph.nodes if not n.constant}

    def html(self, autoplay: bool = False) -> str:
        """The player as an HTML fragment: the drawing as an image, every caption in a list,
        the frames as data, and the script that plays them (where scripts may run)."""
        # Unique per call: the same player shown twice on a page must not share its controls.
        digest = hashlib.sha1(self.svg).hexdigest()[:10]
        key = f"agc{digest}{next(_instances)}"
        width, height = svg_size(self.svg)
        alt = (f"the graph of {_Names(self.graph, '.4g').root} after the backward pass; "
               f"{len(self.frames)} steps are listed below")
        captions = "".join(f"<li>{html.escape(frame.caption)}</li>" for frame in self.frames)
        spec = {"frames": [_frame_data(f) for f in self.frames], "why": self.why,
                "texts": _final_texts(self), "autoplay": autoplay}
        data = json.dumps(spec, separators=(",", ":")).replace("</", "<\\/")
        return (f'<div class="agc-player" id="{key}" tabindex="0">'
                f'<div class="agc-drawing" style="overflow-x:auto;max-width:100%">'
                f'<img class="agc-static" src="{data_uri(self.svg)}" width="{width}" '
                f'height="{height}" style="max-width:none" alt="{html.escape(alt)}"></div>'
                f'<details class="agc-steps"><summary>The {len(self.frames)} steps, one caption '
                f'each (frame 0 first)</summary><ol start="0">{captions}</ol></details>'
                f'<script type="application/json" class="agc-data">{data}</script>'
                f"{_STYLE.replace('#KEY', '#' + key)}"
                f"<script>{_SCRIPT.replace('KEY', key)}</script></div>")

    def _repr_html_(self) -> str:
        return self.html()

    def __repr__(self) -> str:
        return (f"<StepThrough: {len(self.frames)} frames over the graph of "
                f"{_Names(self.graph, '.4g').root}>")

    def page(self, autoplay: bool = False) -> str:
        """A standalone HTML page of the player."""
        return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                "<title>Forward and backward pass, step by step</title></head><body>\n"
                f"{self.html(autoplay)}\n</body></html>\n")

    def save(self, path: str | os.PathLike[str], autoplay: bool = False,
             seconds_per_frame: float = 1.5) -> Path:
        """Write the player: a standalone HTML page (for slides: `autoplay=True`), or an
        animation, one picture per frame with its caption (.gif, or .mp4 with imageio-ffmpeg;
        photographed by headless Chromium, viz/animation.py)."""
        target = Path(path)
        suffix = target.suffix.lower()
        if suffix in (".gif", ".mp4"):
            from .animation import save_animation

            return save_animation(self.page(), len(self.frames), target, seconds_per_frame)
        if suffix not in (".html", ".htm"):
            raise ValueError(f"save writes an HTML page (.html) or an animation (.gif, .mp4); "
                             f"got {target.name!r}")
        return write_file(target, self.page(autoplay).encode("utf-8"))


def _checked_size(root: Value, max_nodes: int) -> Value:
    """The root, if its graph is small enough to step through (counted no further than that)."""
    if not isinstance(root, Value):
        raise TypeError(f"step_through needs a Value, got {type(root).__name__}")
    if count_upto(root, max_nodes) > max_nodes:
        raise GraphTooLarge(
            f"the graph has more than max_nodes={max_nodes:,} values: step through a part of "
            "it (one neuron's output), raise max_nodes, or draw it folded by module with "
            "viz.draw(root, collapse=...) (the command line's draw --collapse); per='module' "
            "makes fewer frames, not fewer nodes")
    return root


def _frame_data(frame: Frame) -> dict[str, object]:
    """A frame as the page's script reads it (short keys: there may be thousands)."""
    return {"p": frame.phase[0], "f": list(frame.focus), "d": list(frame.data),
            "g": dict(frame.grads), "c": list(frame.done), "e": [list(e) for e in frame.links]}


def _final_texts(player: StepThrough) -> dict[str, list[str]]:
    """For each value: the data and grad texts the rendered drawing shows (its final state)."""
    spec = player._spec
    return {n.id: [f"data {format(n.data, spec)}", f"grad {format(n.grad, spec)}"]
            for n in player.graph.nodes if not n.constant and n.grad is not None}


def step_through(root: Value, **options: object) -> StepThrough:
    """A player of the forward and backward pass of `root` (see StepThrough for the options).

    >>> from autograd_core import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> player = step_through(a * b)
    >>> len(player)   # the start, the forward pass (3 values), the backward pass (3)
    7
    >>> print(player.frames[3].caption)
    n2 = a * b = 2 * -3 = -6
    >>> print(player.frames[4].caption)
    Backward step 1 of 3: the seed, dn2/dn2 = 1.
    dn2/da += dn2/dn2 * dn2/da = 1 * -3 = -3
    dn2/db += dn2/dn2 * dn2/db = 1 * 2 = 2
    """
    return StepThrough(root, **options)  # type: ignore[arg-type]


_instances = itertools.count()

_STYLE = """<style>
#KEY { font-family: Helvetica, Arial, sans-serif; outline: none; }
#KEY:focus-visible { outline: 2px solid #e6550d; outline-offset: 2px; }
#KEY .agc-controls { display: flex; flex-wrap: wrap; gap: 0.4em; align-items: center;
  margin: 0.3em 0; }
#KEY .agc-controls button { padding: 0.2em 0.6em; cursor: pointer; font-size: 13px; }
#KEY .agc-counter { font-size: 13px; }
#KEY .agc-caption, #KEY .agc-why { font-size: 13px; line-height: 1.4; color: #1a1a1a;
  background: #f3f3f3; border-left: 3px solid #e6550d; padding: 0.4em 0.6em; margin: 0.3em 0;
  white-space: pre-wrap; }
#KEY .agc-stage { overflow-x: auto; max-width: 100%; }
#KEY .agc-stage svg { max-width: none; }
#KEY .agc-stage.agc-fit svg { max-width: 100%; height: auto; }
#KEY .agc-stage g.node { cursor: pointer; }
#KEY .agc-focus > polygon, #KEY .agc-focus > ellipse { stroke: #e6550d; stroke-width: 3; }
#KEY .agc-active > path { stroke: #e6550d; stroke-width: 2.5; }
#KEY .agc-active > polygon { stroke: #e6550d; fill: #e6550d; }
#KEY .agc-active > text { fill: #e6550d; }
#KEY text.agc-partial { font-style: italic; fill: #555555; }
</style>"""

_SCRIPT = """(function () {
  var root = document.getElementById("KEY");
  if (!root || root.getAttribute("data-ready")) { return; }
  root.setAttribute("data-ready", "1");
  var spec = JSON.parse(root.querySelector("script.agc-data").textContent);
  var frames = spec.frames, last = frames.length - 1, current = 0, timer = null;
  var captions = root.querySelectorAll(".agc-steps li");
  var img = root.querySelector("img.agc-static");
  var bytes = Uint8Array.from(atob(img.getAttribute("src").split(",")[1]),
                              function (c) { return c.charCodeAt(0); });
  var stage = document.createElement("div");
  stage.className = "agc-stage";
  stage.innerHTML = new TextDecoder("utf-8").decode(bytes);
  var controls = document.createElement("div");
  controls.className = "agc-controls";
  controls.innerHTML =
    '<button type="button" data-step="first" title="first frame (Home)">first</button>' +
    '<button type="button" data-step="prev" title="previous (left arrow)">' +
    '&#x25C0; previous</button>' +
    '<button type="button" data-step="play">&#x25B6; play</button>' +
    '<button type="button" data-step="next" title="next (right arrow)">next &#x25B6;</button>' +
    '<button type="button" data-step="last" title="last frame (End)">last</button>' +
    '<input type="range" min="0" max="' + last + '" value="0" aria-label="frame">' +
    '<span class="agc-counter"></span>' +
    '<button type="button" data-step="fit" title="fit the width, or show at full size">' +
    'fit</button>';
  var caption = document.createElement("pre");
  caption.className = "agc-caption";
  var why = document.createElement("pre");
  why.className = "agc-why";
  why.style.display = "none";
  var drawing = img.parentNode;
  drawing.style.display = "none";
  root.insertBefore(controls, drawing);
  root.insertBefore(caption, drawing);
  root.insertBefore(stage, drawing);
  root.insertBefore(why, drawing);
  var slider = controls.querySelector("input"), counter = controls.querySelector(".agc-counter");
  var playButton = controls.querySelector("[data-step=play]");
  var nodes = {}, edges = {}, texts = {}, labels = [];
  stage.querySelectorAll("g.node, g.edge").forEach(function (g) {
    var title = g.querySelector("title");
    if (!title) { return; }
    (g.classList.contains("node") ? nodes : edges)[title.textContent] = g;
  });
  Object.keys(spec.texts).forEach(function (id) {
    var entry = {}, final = spec.texts[id];
    if (!nodes[id]) { return; }
    nodes[id].querySelectorAll("text").forEach(function (t) {
      if (t.textContent === final[0]) { entry.data = t; }
      if (t.textContent === final[1]) { entry.grad = t; }
    });
    texts[id] = entry;
  });
  Object.keys(edges).forEach(function (title) {
    var child = title.split("->")[1].replace(/_op$/, "");
    edges[title].querySelectorAll("text").forEach(function (t) {
      labels.push({title: title, child: child, text: t,
                   sends: t.textContent.charAt(0) === "\u2192"});
    });
  });
  var forward = frames.some(function (f) { return f.p === "f"; });
  function show(k) {
    current = Math.max(0, Math.min(last, k));
    var data = {}, grads = {}, done = {}, i, id;
    for (i = 0; i <= current; i++) {
      var f = frames[i];
      f.d.forEach(function (n) { data[n] = 1; });
      for (id in f.g) { grads[id] = f.g[id]; }
      f.c.forEach(function (n) { done[n] = 1; });
    }
    for (id in texts) {
      var entry = texts[id];
      if (entry.data) {
        entry.data.textContent = (data[id] || !forward) ? spec.texts[id][0] : "data ?";
      }
      if (entry.grad) {
        entry.grad.textContent = "grad " + (id in grads ? grads[id] : "?");
        entry.grad.classList.toggle("agc-partial", id in grads && !done[id]);
      }
    }
    stage.querySelectorAll(".agc-focus, .agc-active").forEach(function (g) {
      g.classList.remove("agc-focus", "agc-active");
    });
    var frame = frames[current], active = {};
    frame.f.forEach(function (n) { if (nodes[n]) { nodes[n].classList.add("agc-focus"); } });
    frame.e.forEach(function (link) {
      var title = link[0] + "->" + link[1] + "_op";
      active[title] = 1;
      if (edges[title]) { edges[title].classList.add("agc-active"); }
    });
    // A local derivative needs the forward values; what an edge sends, its turn or the end.
    labels.forEach(function (label) {
      var known = label.sends ? active[label.title] || current === last
                              : data[label.child] || !forward;
      label.text.style.visibility = known ? "visible" : "hidden";
    });
    caption.textContent = captions[current] ? captions[current].textContent : "";
    counter.textContent = "frame " + current + " of " + last;
    slider.value = current;
    root.setAttribute("data-frame", current);
    var focus = frame.p === "b" ? frame.f[frame.f.length - 1] : null;
    if (focus) {
      root.setAttribute("data-focus", focus);
      root.setAttribute("data-focus-grad", grads[focus]);
    } else {
      root.removeAttribute("data-focus");
      root.removeAttribute("data-focus-grad");
    }
  }
  function stop() { clearInterval(timer); timer = null; playButton.innerHTML = "&#x25B6; play"; }
  function play() {
    if (current === last) { show(0); }
    playButton.innerHTML = "&#x23F8; pause";
    timer = setInterval(function () {
      if (current < last) { show(current + 1); }
      else if (spec.autoplay) { show(0); }
      else { stop(); }
    }, 900);
  }
  var moves = {first: function () { return 0; }, prev: function () { return current - 1; },
               next: function () { return current + 1; }, last: function () { return last; }};
  controls.addEventListener("click", function (event) {
    var action = event.target.getAttribute("data-step");
    if (moves[action]) { stop(); show(moves[action]()); }
    else if (action === "play") { if (timer) { stop(); } else { play(); } }
    else if (action === "fit") { stage.classList.toggle("agc-fit"); }
  });
  slider.addEventListener("input", function () { stop(); show(parseInt(slider.value, 10)); });
  var keys = {ArrowRight: "next", ArrowLeft: "prev", Home: "first", End: "last"};
  root.addEventListener("keydown", function (event) {
    if (!keys[event.key] || event.target.tagName === "INPUT") { return; }
    event.preventDefault();
    event.stopPropagation();
    stop();
    show(moves[keys[event.key]]());
  });
  stage.addEventListener("click", function (event) {
    var g = event.target.closest("g.node"), title = g && g.querySelector("title");
    var text = title && spec.why[title.textContent];
    if (text) { why.textContent = text; why.style.display = ""; }
  });
  show(0);
  if (spec.autoplay) { play(); }
})();"""
