"""viz: draw the forward and backward graph of autograd_core Values, and step through backprop.

Drawing is four steps, the first three pure: `extract` (the graph as data), `DrawOptions`
(every layout choice), `to_dot` (deterministic DOT text), and `render` (the only step that runs
Graphviz or writes a file: system `dot` if present, else the PyPI package graphviz-pure).
`draw` does the first three in one call and returns a `graphviz.Digraph` that displays inline.
`step_through` plays the backward pass one node at a time; `TrainingView` shows a network as it
trains, live (viz/live); `viz.plots` has the lesson plots (matplotlib, imported only when a
plot is made).
"""

from .diagram import Diagram
from .dot import DrawOptions, GraphTooLarge, build, to_dot
from .draw import draw, legend, path_links, render
from .export import to_mermaid, to_tikz
from .graph import Graph, GraphNode, Link, extract
from .live import TrainingView
from .player import Frame, StepThrough, step_through
from .renderer import Renderer, RendererNotFound, RenderError, find_renderer

__all__ = [
    "draw", "render", "legend", "to_tikz", "to_mermaid", "step_through", "StepThrough",
    "Frame", "TrainingView",
    "extract", "to_dot",
    "build", "DrawOptions", "Diagram", "path_links",
    "Graph", "GraphNode", "Link", "GraphTooLarge", "find_renderer", "Renderer",
    "RendererNotFound", "RenderError",
]
