"""How a rendered drawing is put into a notebook or a page, so that it shows wherever it is read.

JupyterLab and Notebook 7 sanitize the outputs of a notebook that is not trusted (every notebook
a learner has just cloned or downloaded): inline SVG and `image/svg+xml` are dropped, and so are
`<style>` and `<script>`. What survives is HTML with an `<img>` whose source is a data URI, a
few inline styles (overflow, widths), `<details>`, and PNG. So a drawing is an `<img>` of its
SVG at its natural size, inside a box that scrolls sideways when the drawing is wider than the
output area: shrinking it to fit would make its text unreadable.

>>> svg = b'<svg width="150pt" height="30pt" viewBox="0 0 150 30"></svg>'
>>> svg_size(svg)
(200, 40)
>>> print(image_html(svg, "a graph")[:60])
<div class="agc-drawing" style="overflow-x:auto;max-width:10
"""

from __future__ import annotations

import base64
import html
import re

__all__ = ["svg_size", "data_uri", "image_html", "MIN_TEXT_PX"]

# The smallest text a drawing shows at its natural size: Graphviz's 9 pt edge labels are 12 px.
MIN_TEXT_PX = 12

_LENGTH = re.compile(rb'<svg[^>]*?\swidth="([\d.]+)(pt|px)?"[^>]*?\sheight="([\d.]+)(pt|px)?"',
                     re.DOTALL)


def svg_size(svg: bytes) -> tuple[int, int]:
    """The natural size of a Graphviz SVG in CSS pixels (its width and height are in points)."""
    found = _LENGTH.search(svg)
    if found is None:
        raise ValueError("not an SVG with a width and a height")
    scale = 1.0 if found.group(2) == b"px" else 96 / 72
    return round(float(found.group(1)) * scale), round(float(found.group(3)) * scale)


def data_uri(svg: bytes) -> str:
    """The SVG as a `data:` URI, which every notebook front end keeps in an `<img>`."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def image_html(svg: bytes, alt: str, css_class: str = "agc-drawing") -> str:
    """The SVG as an image at its natural size, in a box that scrolls sideways if need be."""
    width, height = svg_size(svg)
    return (f'<div class="{css_class}" style="overflow-x:auto;max-width:100%">'
            f'<img src="{data_uri(svg)}" width="{width}" height="{height}" '
            f'style="max-width:none" alt="{html.escape(alt)}"></div>')
