"""Each lesson as a reader sees it: exported to HTML and opened in a real headless Chromium.

Needs Chromium (Debian: `apt-get install chromium`; .ci/run installs it) and the playwright
package, which drives that browser (it downloads no browser of its own here). Run alone with
`.venv/bin/python -m pytest tests/notebooks/test_in_browser.py`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ..browser import chromium_fixture  # noqa: F401  (the fixture `chromium`)

NOTEBOOKS = sorted((Path(__file__).parents[2] / "notebooks").glob("*.ipynb"))


def exported(notebook: Path, folder: Path) -> Path:
    import nbformat
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nbformat.read(notebook, as_version=4))
    page = folder / f"{notebook.stem}.html"
    page.write_text(body, encoding="utf-8")
    return page


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_a_lesson_shows_its_graphs_plots_and_player(chromium: Any, notebook: Path,
                                                    tmp_path: Path) -> None:
    page = chromium.new_page(viewport={"width": 1200, "height": 2000})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(exported(notebook, tmp_path).as_uri())
    page.wait_for_load_state("load")
    # Graphviz drawings: images of their SVG (as untrusted notebooks keep them), the players'
    # drawings (inline SVG once their script has run), and matplotlib figures (PNG).
    graphs = (page.locator("img[src^='data:image/svg+xml']").count()
              + page.locator(".agc-stage svg g.graph").count())
    plots = page.locator("img[src^='data:image/png']").count()
    assert graphs + plots > 0, "a lesson shows pictures"
    broken = page.evaluate("[...document.images].filter(i => !(i.complete && i.naturalWidth))"
                           ".length")
    assert broken == 0, f"{broken} pictures did not load"
    source = notebook.read_text(encoding="utf-8")
    if "viz.draw(" in source or "viz.step_through(" in source:
        assert graphs > 0
    if "plot_" in source or "plt." in source:
        assert plots > 0
    if "viz.TrainingView(" in source:  # a training view's static form: its last frame
        views = page.locator(".agc-training-static")
        assert views.count() > 0
        for i in range(views.count()):
            assert views.nth(i).locator("img").count() >= 2
            assert "(done): step " in views.nth(i).inner_text()
    assert "viz.diagram.Diagram at 0x" not in page.content()
    players = page.locator(".agc-player")
    for i in range(players.count()):
        player = players.nth(i)
        assert player.get_attribute("data-frame") == "0"  # the script ran and rewound
        last = int(player.locator("input[type=range]").get_attribute("max") or 0)
        player.locator("[data-step=next]").click()
        assert player.get_attribute("data-frame") == "1"
        assert player.locator(".agc-counter").inner_text() == f"frame 1 of {last}"
        player.locator(".agc-caption").click()
        page.keyboard.press("End")
        assert player.get_attribute("data-frame") == str(last)
        page.keyboard.press("ArrowLeft")
        assert player.get_attribute("data-frame") == str(last - 1)
        _caption_matches_the_box(player)
        assert player.locator(".agc-stage svg g.graph").count() == 1
    assert errors == [], f"JavaScript errors: {errors}"
    page.close()


def _caption_matches_the_box(player: Any) -> None:
    """In a backward frame, the focus node's box shows the gradient its caption computes."""
    focus, grad = player.get_attribute("data-focus"), player.get_attribute("data-focus-grad")
    assert focus and grad, "the last frames are backward steps"
    assert f"= {grad}" in player.locator(".agc-caption").inner_text()
    texts = player.evaluate(
        """(root, id) => [...root.querySelectorAll('.agc-stage g.node')]
               .filter(g => g.querySelector('title').textContent === id)
               .flatMap(g => [...g.querySelectorAll('text')].map(t => t.textContent))""", focus)
    assert f"grad {grad}" in texts
