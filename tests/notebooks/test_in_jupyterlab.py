"""The lessons as a learner opens them: in a real JupyterLab 4, in headless Chromium.

One JupyterLab serves copies of the stored lessons (untrusted: a fresh notary database) for
the whole module; tests that run a notebook run a copy of their own, so the stored outputs the
other tests look at stay untrusted. The harness is tests/notebooks/jupyterlab.py. Run alone with
`.venv/bin/python -m pytest tests/notebooks/test_in_jupyterlab.py`.

What the project's outputs promise there:
- a drawing is `<div class="agc-drawing" style="overflow-x:auto">` holding an SVG image at its
  natural size: it shows untrusted, scrolls sideways rather than overflowing or shrinking;
- a step-through player untrusted is its static drawing plus a list of captions and no dead
  buttons; run (trusted), its script builds working controls, readable in the dark theme too.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest
from nbformat.v4 import new_code_cell, new_notebook

from tests.notebooks.jupyterlab import (
    DARK,
    LIGHT,
    Lab,
    chromium_fixture,  # noqa: F401  (the fixture `chromium`)
    jupyterlab_fixture,  # noqa: F401  (the fixture `jupyterlab`)
    lab_page_fixture,  # noqa: F401  (the fixture `lab_page`)
    open_notebook,
    page_errors,
    run_all,
    set_output_width,
    set_theme,
    theme_is_dark,
)

NOTEBOOKS = sorted((Path(__file__).parents[2] / "notebooks").glob("*.ipynb"))
DRAWING = [p for p in NOTEBOOKS if "viz.draw(" in (text := p.read_text(encoding="utf-8"))
           or "viz.step_through(" in text]
PLAYING = [p for p in NOTEBOOKS if "viz.step_through(" in p.read_text(encoding="utf-8")]
JUPYTERLAB_NOTEBOOKS = DRAWING  # what the module's server serves, as stored
OUTPUT_WIDTH = 800  # px: a laptop's notebook column
# An object's default repr where a picture should be: `<viz.diagram.Diagram at 0x7f...>`.
REPR = re.compile(r"<[\w.]+(?: object)? at 0x[0-9a-f]+>")
COUNTER = re.compile(r"frame (\d+) of (\d+)")


def test_there_are_lessons_with_drawings_and_a_player() -> None:
    assert DRAWING and PLAYING, "grep found no viz.draw / viz.step_through in the lessons"


@pytest.mark.parametrize("notebook", DRAWING, ids=lambda p: p.stem)
def test_a_stored_lesson_shows_its_drawings_untrusted(lab_page: Any, jupyterlab: Lab,
                                                       notebook: Path) -> None:
    page = lab_page
    panel = open_notebook(page, jupyterlab, notebook.name)
    set_output_width(page, OUTPUT_WIDTH)
    assert_drawings_show(panel)
    assert page_errors(page) == []


@pytest.mark.parametrize("notebook", PLAYING, ids=lambda p: p.stem)
def test_an_untrusted_player_is_a_picture_and_its_captions_without_buttons(
        lab_page: Any, jupyterlab: Lab, notebook: Path) -> None:
    page = lab_page
    panel = open_notebook(page, jupyterlab, notebook.name)
    players = panel.locator(".agc-player")
    assert players.count() > 0
    for i in range(players.count()):
        player = players.nth(i)
        image = player.locator("img.agc-static")
        assert image.count() == 1
        assert image.evaluate("i => i.complete && i.naturalWidth > 0"), "the drawing loaded"
        steps = player.locator("details.agc-steps")
        assert steps.count() == 1 and steps.locator("li").count() > 1, "the captions are listed"
        assert player.locator("button, input").count() == 0, "no controls that cannot work"
    assert page_errors(page) == []


def test_a_run_player_steps_by_buttons_and_keys(lab_page: Any, jupyterlab: Lab) -> None:
    page = lab_page
    name = jupyterlab.add(PLAYING[0], f"run_{PLAYING[0].name}")
    panel = open_notebook(page, jupyterlab, name)
    run_all(page)
    players = panel.locator(".agc-player")
    assert players.count() > 0
    for i in range(players.count()):
        player = players.nth(i)
        # Off-screen cells are not rendered (JupyterLab's default windowing, content-visibility:
        # auto): their innerText is empty until the learner scrolls to them.
        player.scroll_into_view_if_needed()
        steps = [player.locator(f"button[data-step={s}]").count()
                 for s in ("first", "prev", "play", "next", "last")]
        assert steps == [1] * 5, f"first, prev, play, next, last buttons: {steps}"
        assert player.locator(".agc-stage svg").count() == 1, "the drawing is inline SVG"
        assert player.locator(".agc-caption").inner_text().strip()
        k, n = _counter(player)
        assert n > 1 and k < n
        player.locator("[data-step=next]").click()
        assert _counter(player) == (k + 1, n), "next moves one frame on"
        player.locator(".agc-counter").click()  # focus the player, as a learner clicks it
        focused = player.evaluate("root => root.contains(document.activeElement)")
        page.keyboard.press("ArrowRight")
        assert _counter(player) == (k + 2, n), f"ArrowRight moves on (player focused: {focused})"
        page.keyboard.press("ArrowLeft")
        assert _counter(player) == (k + 1, n), "ArrowLeft moves back"
        player.locator("[data-step=last]").click()
        assert _counter(player) == (n, n)
        _caption_matches_the_box(player)
    assert page_errors(page) == []


def test_a_player_caption_is_readable_in_the_dark_theme(lab_page: Any, jupyterlab: Lab) -> None:
    page = lab_page
    name = jupyterlab.add(_notebook(
        "from autograd_core import Value\nimport viz",
        'a, b = Value(2.0, label="a"), Value(-3.0, label="b")\n'
        'L = a * b + a;  L.label = "L"\nviz.step_through(L)'), "dark_player.ipynb")
    set_theme(jupyterlab, DARK)
    try:
        panel = open_notebook(page, jupyterlab, name)
        assert theme_is_dark(page), "JupyterLab Dark took effect"
        run_all(page)
        caption = panel.locator(".agc-player .agc-caption").first
        caption.scroll_into_view_if_needed()
        foreground, background = caption.evaluate(_COLOURS)
        ratio = _contrast(foreground, background)
        assert ratio >= 4.5, (f"caption text {foreground} on {background}: contrast {ratio:.2f}, "
                              "WCAG AA needs 4.5")
    finally:
        set_theme(jupyterlab, LIGHT)
    assert page_errors(page) == []


def test_micrograds_demo_network_plays_to_its_last_frame(lab_page: Any, jupyterlab: Lab) -> None:
    page = lab_page
    name = jupyterlab.add(_notebook(
        "from autograd_core import Value\nfrom nn import MLP\nimport viz",
        # micrograd's demo: a 2-16-16-1 MLP and the max-margin (hinge) loss, on one sample.
        "model = MLP(2, [16, 16, 1], seed=0)\n"
        "x, y = [Value(2.0), Value(-1.0)], -1.0\n"
        "score = model(x)[0]\n"
        "loss = (1 + -y * score).relu()\n"
        "viz.step_through(loss)"), "mlp_player.ipynb")
    panel = open_notebook(page, jupyterlab, name)
    run_all(page)
    player = panel.locator(".agc-player")
    assert player.count() == 1
    player.scroll_into_view_if_needed()
    _, n = _counter(player)
    assert n > 1, f"a player of the whole network, not {n + 1} frames"
    player.locator("[data-step=last]").click()
    assert _counter(player) == (n, n)
    assert page_errors(page) == []


def _notebook(*sources: str) -> Any:
    notebook = new_notebook(cells=[new_code_cell(source) for source in sources])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    return notebook


def _counter(player: Any) -> tuple[int, int]:
    text = player.locator(".agc-counter").inner_text()
    match = COUNTER.search(text)
    assert match, f"the counter reads 'frame K of N', not {text!r}"
    return int(match[1]), int(match[2])


def _caption_matches_the_box(player: Any) -> None:
    """In a backward frame, the focus node's box shows the gradient the caption gives."""
    focus, grad = player.get_attribute("data-focus"), player.get_attribute("data-focus-grad")
    assert focus and grad, "the last frame is a backward step, with its focus node and grad"
    assert grad in player.locator(".agc-caption").inner_text()
    texts = player.evaluate(
        """(root, id) => [...root.querySelectorAll('.agc-stage g.node')]
               .filter(g => g.querySelector('title')?.textContent === id)
               .flatMap(g => [...g.querySelectorAll('text')].map(t => t.textContent))""", focus)
    assert f"grad {grad}" in texts, f"node {focus} shows grad {grad}: {texts}"


# Every .agc-drawing in a notebook panel, measured where the learner sees it.
def assert_drawings_show(panel: Any) -> None:
    """Every drawing in `panel` is an SVG image, loaded, at its natural size, scrolling
    sideways where it is wider than the output area; no object's repr shows instead."""
    # textContent: innerText is empty in cells scrolled out of view (content-visibility: auto).
    texts = panel.locator(".jp-OutputArea-output").all_text_contents()
    assert not [t for t in texts if REPR.search(t)], "an object's repr shows instead of a picture"
    drawings = panel.evaluate(_DRAWINGS)
    assert drawings, "the lesson's drawings show as .agc-drawing images"
    for k, drawing in enumerate(drawings):
        where = f"drawing {k} (cell {drawing['cell']}): {drawing}"
        assert drawing["svg"], f"an SVG image: {where}"
        assert drawing["loaded"], f"the image loaded: {where}"
        # Text is as large as Graphviz drew it: the image is not shrunk to the column.
        assert abs(drawing["width"] - drawing["natural"]) <= 1, f"shown at natural size: {where}"
        if drawing["right"] > drawing["outputRight"] + 0.5:  # wider than the column: it scrolls
            assert drawing["boxRight"] <= drawing["outputRight"] + 0.5, where
            assert drawing["scrolls"] and drawing["overflowX"] in ("auto", "scroll"), (
                f"a drawing wider than the output area scrolls sideways: {where}")


_DRAWINGS = """panel => [...panel.querySelectorAll('.agc-drawing')].map(box => {
  const img = box.querySelector('img');
  const output = box.closest('.jp-OutputArea-output');
  const cell = box.closest('.jp-Cell');
  const r = img ? img.getBoundingClientRect() : {width: 0, right: 0};
  return {
    cell: [...panel.querySelectorAll('.jp-Cell')].indexOf(cell),
    svg: !!img && img.getAttribute('src').startsWith('data:image/svg+xml'),
    loaded: !!img && img.complete && img.naturalWidth > 0,
    natural: img ? img.naturalWidth : 0, width: r.width, right: r.right,
    outputRight: output.getBoundingClientRect().right,
    boxRight: box.getBoundingClientRect().right,
    scrolls: box.scrollWidth > box.clientWidth,
    overflowX: getComputedStyle(box).overflowX,
  };
})"""

# An element's text colour and the colour behind it (transparent backgrounds composited over
# their ancestors'), as [r, g, b] in 0..255.
_COLOURS = """element => {
  const parse = text => {
    const m = text.match(/^rgba?\\(([^)]*)\\)$/);
    if (!m) { throw new Error('unexpected colour ' + text); }
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const layers = [];
  for (let node = element; node; node = node.parentElement) {
    const c = parse(getComputedStyle(node).backgroundColor);
    if (c[3] > 0) { layers.push(c); }
    if (c[3] >= 1) { break; }
  }
  let back = [255, 255, 255];  // the canvas, if nothing is opaque
  for (const c of layers.reverse()) { back = back.map((v, i) => c[i] * c[3] + v * (1 - c[3])); }
  const f = parse(getComputedStyle(element).color);
  return [f.slice(0, 3).map((v, i) => v * f[3] + back[i] * (1 - f[3])), back];
}"""


def _contrast(first: list[float], second: list[float]) -> float:
    """WCAG 2 contrast ratio of two sRGB colours (0..255 each)."""
    def luminance(colour: list[float]) -> float:
        linear = [c / 12.92 if c <= 0.04045 else math.pow((c + 0.055) / 1.055, 2.4)
                  for c in (v / 255 for v in colour)]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_contrast_ratio_is_wcags() -> None:
    assert _contrast([0, 0, 0], [255, 255, 255]) == pytest.approx(21)
    assert _contrast([119, 119, 119], [255, 255, 255]) == pytest.approx(4.48, abs=0.01)

