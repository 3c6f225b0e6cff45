"""Printable worksheets: an exercise as an HTML page (and a PDF) to hand out, and its key.

The page holds the program, the point, the graph drawn with every value's data filled in and
an empty grad field to fill in by hand, and a table of the questions with room to write (with
points and the required precision when the teacher set them). The answer key is the same page
with the graph's gradients drawn and the true answers written in.

`save_pdf` prints a page with headless Chromium (through playwright), as a browser's "Print
to PDF" would: A4, backgrounds on, the graph scaled to the page's width.
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from autograd_core import Program, write_file

from .browser import page_of
from .draw import draw
from .renderer import find_renderer

__all__ = ["worksheet_page", "save_pdf"]

STYLE = """
@page { size: A4; margin: 16mm 14mm; }
body { font: 11pt/1.45 "DejaVu Sans", Helvetica, Arial, sans-serif; color: #111; margin: 0; }
h1 { font-size: 16pt; margin: 0 0 4pt; }
h2 { font-size: 12pt; margin: 14pt 0 4pt; border-bottom: 1px solid #999; }
.who { margin: 4pt 0 10pt; }
.who span { display: inline-block; min-width: 55mm; border-bottom: 1px solid #333; }
pre { font: 10.5pt/1.35 "DejaVu Sans Mono", Menlo, monospace; background: #f4f4f4;
      padding: 6pt 8pt; margin: 0; white-space: pre-wrap; }
table { border-collapse: collapse; }
td, th { border: 1px solid #777; padding: 3pt 8pt; text-align: left; vertical-align: top; }
.point { font-family: "DejaVu Sans Mono", Menlo, monospace; }
.answers td.box { width: 70mm; height: 11mm; }
.answers td.key { font-family: "DejaVu Sans Mono", Menlo, monospace; }
.graph { break-before: page; }
.graph svg { display: block; max-width: 100%; max-height: 235mm; width: auto; height: auto;
             margin: 0 auto; }
.note { color: #444; font-size: 9.5pt; }
.work { height: 60mm; border: 1px dashed #999; }
"""


def worksheet_page(program: Program, questions: Sequence[str], *, title: str,
                   key: Mapping[str, str] | None = None, student: str | None = None,
                   points: Mapping[str, float] | None = None,
                   precision: Mapping[str, str] | None = None) -> str:
    """The printable page of an exercise, as one HTML document with the graph as inline SVG;
    given `key` (each question's true value, written as the key gives it), the answer key."""
    output = program.output
    is_key = key is not None
    if is_key:
        output.backward()
    # Top to bottom: a network is wider than it is deep, and a page is taller than wide.
    drawing = draw(output, blank_grads=not is_key, edge_labels=False, rankdir="TB")
    svg = drawing.pipe(format="svg").decode("utf-8")
    svg = svg[svg.index("<svg"):]  # the XML prologue and doctype are not HTML
    rows = []
    for question in questions:
        cells = [f"<td>{html.escape(question)}</td>"]
        if key is not None:
            cells.append(f'<td class="key">{html.escape(key[question])}</td>')
        else:
            cells.append('<td class="box"></td>')
        if points:
            cells.append(f"<td>{points.get(question, 1):g}</td>")
        if precision:
            cells.append(f"<td>{html.escape(precision.get(question, '') or '')}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    headers = ["question", "true value" if is_key else "your answer"]
    headers += ["points"] if points else []
    headers += ["required"] if precision else []
    point = " &nbsp;·&nbsp; ".join(f"{html.escape(name)} = {program.values[name].data:.12g}"
                                   for name in program.inputs)
    who = ("" if is_key else '<p class="who">Name: <span></span>'
           + (f" &nbsp; Student: {html.escape(student)}" if student else "") + "</p>")
    heading = f"{html.escape(title)}" + (" (answer key)" if is_key else "")
    graph_note = ("The graph with every value's data and gradient." if is_key else
                  "The graph with every value's data; write each gradient into its box.")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{heading}</title>
<style>{STYLE}</style></head><body>
<h1>{heading}</h1>
{who}
<h2>The program</h2>
<pre>{html.escape(program.text.strip())}</pre>
<h2>At</h2>
<p class="point">{point}</p>
<h2>{"Answers" if is_key else "Your answers"}</h2>
<table class="answers"><tr>{"".join(f"<th>{h}</th>" for h in headers)}</tr>{"".join(rows)}
</table>
{"" if is_key else '<h2>Working</h2><div class="work"></div>'}
<p class="note">Check the answers: <code>autograd-core check FILE</code> with the worksheet
filled in.</p>
<section class="graph">
<h2>The graph</h2>
<p class="note">{graph_note}</p>
{svg}
</section>
</body></html>
"""


def save_pdf(page: str, path: str | os.PathLike[str]) -> Path:
    """Print an HTML page to a PDF file with headless Chromium (A4, backgrounds on)."""
    find_renderer()  # fail early, with its message, if no Graphviz can draw the page
    with page_of(page, "printing a PDF (the HTML page prints from any browser)") as tab:
        pdf: bytes = tab.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    return write_file(path, pdf)
