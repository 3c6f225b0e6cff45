"""Diagram: a graphviz.Digraph whose rendering goes through viz's renderer.

A plain `graphviz.Digraph` displays in Jupyter by running the system `dot` itself, which fails
where only graphviz-pure is installed. A Diagram keeps everything a Digraph has (`.source`,
`.node`, `.edge`, `.subgraph`) and renders with `viz.renderer`, which finds either.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import graphviz

from . import renderer

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

    def _repr_image_svg_xml(self) -> str:
        return str(self.pipe(format="svg", encoding="utf-8"))
