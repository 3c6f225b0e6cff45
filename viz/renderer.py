"""DOT text -> SVG, PNG, ...: the only part of viz that runs a process or writes a file.

The renderer is a Graphviz `dot` executable, looked for in this order:
1. the path in the environment variable AUTOGRAD_CORE_DOT (an explicit choice);
2. `dot` on PATH (a system Graphviz);
3. `graphviz-pure`, the self-contained port of dot on PyPI, found through its installed files,
   so it works inside a Jupyter kernel whose PATH lacks the virtual environment's bin/;
4. `graphviz-pure` on PATH.

This module is the bottom of viz: it imports nothing of viz and takes DOT text or a graphviz
graph. `viz.render`, which also takes a Value and draws it first, is in `viz.draw`.
"""

from __future__ import annotations

import functools
import importlib.metadata
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograd_core import write_file

__all__ = ["Renderer", "RendererNotFound", "RenderError", "find_renderer", "render",
           "dot_source", "ENV_VAR"]

ENV_VAR = "AUTOGRAD_CORE_DOT"
PROBE_TIMEOUT = 30  # seconds a renderer may take to list its formats
RASTER_FORMATS = {"png", "jpeg", "jpg", "jpe", "gif", "bmp", "tif", "tiff", "webp"}
# A large PNG can take gigabytes unless its size is bounded: at most 40 x 40 inches at 96 dpi.
RASTER_LIMITS = ["-Gsize=40,40", "-Gdpi=96"]


class RendererNotFound(RuntimeError):
    """No Graphviz `dot` executable could be found."""


class RenderError(RuntimeError):
    """The renderer ran but failed (its own message is included)."""


@dataclass(frozen=True)
class Renderer:
    """A dot-compatible executable and where it was found."""

    path: str
    kind: str  # "AUTOGRAD_CORE_DOT", "system dot" or "graphviz-pure"

    def formats(self) -> tuple[str, ...]:
        """The output formats this renderer supports."""
        return _formats(self.path)


@functools.lru_cache(maxsize=8)
def _formats(path: str) -> tuple[str, ...]:
    # Both renderers answer an unknown format with the list: '... Use one of: svg png ...'.
    try:
        result = subprocess.run([path, "-Tnot-a-format"], input=b"digraph {}",
                                capture_output=True, timeout=PROBE_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise RenderError(f"the renderer {path} did not answer within {PROBE_TIMEOUT} s (is "
                          f"{ENV_VAR} a Graphviz dot?)") from None
    message = result.stderr.decode(errors="replace")
    if "Use one of:" not in message:
        return ()
    names = message.split("Use one of:", 1)[1].split()
    return tuple(sorted({name.split(":")[0] for name in names}))


def _graphviz_pure_from_metadata() -> str | None:
    try:
        files = importlib.metadata.distribution("graphviz-pure").files or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for file in files:
        if Path(str(file)).name in ("graphviz-pure", "graphviz-pure.exe"):
            located = Path(str(file.locate())).resolve()
            if located.is_file() and os.access(located, os.X_OK):
                return str(located)
    return None


def find_renderer() -> Renderer:
    """The dot executable to use (see the module docstring for the search order)."""
    override = os.environ.get(ENV_VAR)
    if override:
        if not (Path(override).is_file() and os.access(override, os.X_OK)):
            raise RendererNotFound(f"{ENV_VAR}={override!r} is not an executable file")
        return Renderer(override, ENV_VAR)
    system = shutil.which("dot")
    if system:
        return Renderer(system, "system dot")
    pure = _graphviz_pure_from_metadata() or shutil.which("graphviz-pure")
    if pure:
        return Renderer(pure, "graphviz-pure")
    raise RendererNotFound(
        "no Graphviz renderer found: install the pure-Python one with "
        "`pip install graphviz-pure` (or `pip install 'autograd-core[viz]'`), install Graphviz "
        f"so that `dot` is on PATH, or set {ENV_VAR} to a dot executable")


def dot_source(drawing: object) -> str | None:
    """The DOT text of a drawing (a graphviz graph, such as a `Diagram`) or of DOT text itself;
    None for anything else."""
    if isinstance(drawing, str):
        return drawing
    source = getattr(drawing, "source", None)
    return source if isinstance(source, str) else None


def render(graph: object, path: str | os.PathLike[str] | None = None, format: str | None = None,
           verbose: bool = False, timeout: float = 120) -> Any:
    """Render a drawing (a graphviz graph, such as a `Diagram`) or DOT text.

    With `path`, writes the file (atomically: a failed render leaves no partial file) and
    returns its Path; the format defaults to the path's suffix. Without, returns the bytes
    (SVG by default). `viz.render` takes a Value too, and draws it first.
    """
    source = dot_source(graph)
    if source is None:
        raise TypeError(f"render needs a graphviz graph or DOT text, got {type(graph).__name__} "
                        "(viz.render takes a Value too)")
    target = Path(path) if path is not None else None
    if target is not None and target.is_dir():
        raise ValueError(f"{target} is a folder; give a file name, such as "
                         f"{target / 'graph.svg'}")
    fmt = (format or (target.suffix.lstrip(".") if target and target.suffix else "svg")).lower()
    renderer = find_renderer()
    _check_format(renderer, fmt)
    output = _run(renderer, source, fmt, timeout)
    if verbose:
        print(f"viz: rendered {fmt} with {renderer.kind} ({renderer.path})", file=sys.stderr)
    return output if target is None else write_file(target, output)


def _check_format(renderer: Renderer, fmt: str) -> None:
    """Refuse a format the renderer does not list, naming the ones it does."""
    supported = renderer.formats()
    if supported and fmt not in supported:
        raise ValueError(f"format {fmt!r} is not supported by {renderer.kind} "
                         f"({renderer.path}); it supports: {', '.join(supported)}")


def _run(renderer: Renderer, source: str, fmt: str, timeout: float) -> bytes:
    """The renderer's output for DOT text `source` in format `fmt`."""
    command = [renderer.path, f"-T{fmt}", *(RASTER_LIMITS if fmt in RASTER_FORMATS else [])]
    try:
        result = subprocess.run(command, input=source.encode(), capture_output=True,
                                timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise RenderError(f"{renderer.kind} took longer than {timeout} s; draw fewer nodes "
                          "(see the max_nodes and collapse options of viz.draw)") from None
    if result.returncode != 0 or not result.stdout:
        raise RenderError(f"{renderer.kind} failed: {result.stderr.decode(errors='replace')}")
    return result.stdout
