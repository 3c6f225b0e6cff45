"""Diagram: a graphviz.Digraph whose rendering goes through viz's renderer.

A plain `graphviz.Digraph` displays in Jupyter by running the system `dot` itself, which fails
where only graphviz-pure is installed. A Diagram keeps everything a Digraph has (`.source`,
`.node`, `.edge`, `.subgraph`) and renders with `viz.renderer`, which finds either.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import graphviz

from . import renderer
from .embed import image_html

__all__ = ["Diagram"]


class Diagram(graphviz.Digraph):
    """A graphviz.Digraph rendered by system Graphviz or graphviz-pure, whichever is present."""

    def pipe(self, format: str | None = None, *args: Any, encoding: str | None = None,
             **kwargs: Any) -> Any:
        """Render to bytes (or text, given an encoding), SVG unless a format is given."""
        data = renderer.render(self.source, format=format or "svg")
        return data.decode(encoding) if encoding else data

    def render(self, filename: str | os.PathLike[str] | None = None,
               directory: str | os.PathLike[str] | None = None, view: bool = False,
               cleanup: bool = False, format: str | None = None, *args: Any,
               outfile: str | os.PathLike[str] | None = None, **kwargs: Any) -> str:
        """Write the rendered file (`outfile`, or `filename` + `.format`) and return its path."""
        if outfile is not None:
            target = Path(outfile)
        else:
            name = Path(filename or self.filename or "graph")
            target = Path(directory or "") / f"{name}.{format or 'svg'}"
        return str(renderer.render(self.source, target, format=format))

    # What the drawing shows, in words (set by `build`): the plain-text form of a notebook
    # output and the image's alternative text.
    description = "a Graphviz drawing"

    def _repr_image_svg_xml(self) -> str:
        return str(self.pipe(format="svg", encoding="utf-8"))

    def _repr_mimebundle_(self, include: Iterable[str] | None = None,
                          exclude: Iterable[str] | None = None, **kwargs: Any
                          ) -> dict[str, str]:
        """Every form a notebook front end may show: the SVG as an image in HTML (kept by the
        sanitizers of untrusted notebooks, unlike inline SVG), a PNG, and the text."""
        svg = renderer.render(self.source, format="svg")
        bundle = {"text/html": image_html(svg, self.description),
                  "image/png": base64.b64encode(renderer.render(self.source, format="png"))
                  .decode("ascii"),
                  "text/plain": self.description}
        wanted = set(include) if include is not None else set(bundle)
        wanted -= set(exclude or ())
        return {mime: data for mime, data in bundle.items() if mime in wanted}

    def __repr__(self) -> str:
        return f"<Diagram: {self.description}>"
