"""viz.TrainingView in a live kernel, in a real JupyterLab 4, in headless Chromium.

micrograd's demo network trains on two moons in the background (`nn.fit_in_background`) while
the test watches the widget as a learner does: the numbers on the graph and the loss curve move
between two screenshots, at least 20 updates a second arrive; pause stops the step count, one
step advances it by exactly one, the slider shows an old step, the kernel's interrupt stops
training; and the browser reports no error. The harness is tests/notebooks/jupyterlab.py.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from nbformat.v4 import new_code_cell, new_notebook

from tests.notebooks.jupyterlab import (
    Lab,
    chromium_fixture,  # noqa: F401  (the fixture `chromium`)
    jupyterlab_fixture,  # noqa: F401  (the fixture `jupyterlab`)
    lab_page_fixture,  # noqa: F401  (the fixture `lab_page`)
    open_notebook,
    page_errors,
    run_all,
)

pytest.importorskip("anywidget")

NOTEBOOKS = sorted((Path(__file__).parents[2] / "notebooks").glob("*.ipynb"))
JUPYTERLAB_NOTEBOOKS = [p for p in NOTEBOOKS if "viz.TrainingView(" in p.read_text("utf-8")]

TRAINING = [
    "import nn, viz\nfrom nn import optim",
    "X, y = nn.data.moons(100, noise=0.1, seed=0)\n"
    "y = [1 if label else -1 for label in y]\n"
    "model = nn.MLP(2, [16, 16, 1], seed=1)  # micrograd's demo network\n"
    "view = viz.TrainingView(model, (X, y))\n"
    "view",
    # A small learning rate: the numbers keep moving for the whole test.
    "run = nn.fit_in_background(model, (X, y), 'hinge', optim.SGD(model.parameters(), "
    "lr=0.002, momentum=0.5), epochs=1_000_000, callbacks=[view])\n"
    "run",
]


def _notebook(sources: list[str]) -> Any:
    notebook = new_notebook(cells=[new_code_cell(source) for source in sources])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    return notebook


def _data(view: Any, key: str) -> str:
    return view.get_attribute(f"data-{key}") or ""


def _wait_for(page: Any, view: Any, key: str, value: str, timeout: float = 20_000) -> None:
    page.wait_for_function("([el, key, value]) => el.dataset[key] === value",
                           arg=[view.element_handle(), key, value], timeout=timeout)


def test_a_network_training_in_the_background_is_watched_paused_stepped_and_stopped(
        lab_page: Any, jupyterlab: Lab) -> None:
    page = lab_page
    console_errors: list[str] = []
    # JupyterLab's debugger logs one error of its own when "restart and run all" restarts the
    # kernel while it asks for the debugger's state; everything else counts.
    page.on("console", lambda message: message.type == "error"
            and not message.text.startswith("Could not restore the debugger state")
            and console_errors.append(message.text))
    name = jupyterlab.add(_notebook(TRAINING), "training_view_live.ipynb")
    panel = open_notebook(page, jupyterlab, name)
    run_all(page)
    view = panel.locator(".agc-training")
    assert view.count() == 1
    view.scroll_into_view_if_needed()
    _wait_for(page, view, "status", "running")

    # While it trains: the numbers on the graph and the loss curve change between two
    # screenshots, and updates arrive at 20 a second or more.
    first_numbers = view.locator("text.out").all_text_contents()
    first_curve = view.locator("path.batch_loss").get_attribute("d")
    first_shot = view.screenshot()
    updates, steps, start = int(_data(view, "updates")), int(_data(view, "steps")), time.time()
    page.wait_for_timeout(3000)
    rate = (int(_data(view, "updates")) - updates) / (time.time() - start)
    later_numbers = view.locator("text.out").all_text_contents()
    assert len(first_numbers) == len(later_numbers) == 16 + 16 + 1
    assert later_numbers != first_numbers, "the neurons' outputs move as the network trains"
    assert view.locator("path.batch_loss").get_attribute("d") != first_curve
    assert view.screenshot() != first_shot
    assert int(_data(view, "steps")) > steps
    assert rate >= 20, f"{rate:.1f} updates a second"

    # Pause stops the step count; one step advances it by exactly one.
    view.locator("button[data-do=pause]").click()
    _wait_for(page, view, "status", "paused")
    paused_at = int(_data(view, "steps"))
    page.wait_for_timeout(1000)
    assert int(_data(view, "steps")) == paused_at, "paused means no more steps"
    assert view.locator("button[data-do=step]").is_enabled()
    view.locator("button[data-do=step]").click()
    _wait_for(page, view, "steps", str(paused_at + 1))
    page.wait_for_timeout(800)
    assert int(_data(view, "steps")) == paused_at + 1, "one step is one step"
    assert _data(view, "status") == "paused"

    # The slider shows an old step while training stays paused at its last.
    view.locator("input[type=range]").evaluate(
        "slider => { slider.value = '3'; slider.dispatchEvent(new Event('input')); }")
    _wait_for(page, view, "step", "3")
    assert _data(view, "steps") == str(paused_at + 1)
    assert "step 3 · epoch 3/1000000" in view.locator(".agc-caption").inner_text()

    # Play again, then interrupt the kernel: training stops after its step.
    view.locator("button[data-do=play]").click()
    _wait_for(page, view, "status", "running")
    kernel = jupyterlab.api("GET", "api/sessions")[0]["kernel"]["id"]
    jupyterlab.api("POST", f"api/kernels/{kernel}/interrupt")
    _wait_for(page, view, "status", "stopped")
    stopped_at = _data(view, "steps")
    page.wait_for_timeout(500)
    assert _data(view, "steps") == stopped_at
    assert page_errors(page) == []
    assert console_errors == []


def _widget_cells(page: Any) -> list[int]:
    """The indices of the current notebook's cells whose stored outputs hold a widget."""
    return page.evaluate("""() => [...window.jupyterapp.shell.currentWidget.content.widgets]
        .map((cell, i) => [cell, i])
        .filter(([cell]) => cell.model.type === 'code' && cell.model.outputs.toJSON().some(
            o => o.data && 'application/vnd.jupyter.widget-view+json' in o.data))
        .map(([, i]) => i)""")


def test_a_stored_lesson_shows_its_views_last_frame_without_running(
        lab_page: Any, jupyterlab: Lab) -> None:
    """Untrusted (a lesson just cloned), JupyterLab shows no widget from a notebook; the view's
    static form is its last frame: the caption and the pictures as images at full size."""
    assert JUPYTERLAB_NOTEBOOKS, "a lesson shows a TrainingView"
    page = lab_page
    for lesson in JUPYTERLAB_NOTEBOOKS:
        panel = open_notebook(page, jupyterlab, lesson.name)
        cells = _widget_cells(page)
        assert cells, lesson.name
        for index in cells:
            # Off-screen cells are not rendered (JupyterLab's windowing): scroll to each.
            page.evaluate("i => window.jupyterapp.shell.currentWidget.content"
                          ".scrollToItem(i, 'center')", index)
            cell = panel.locator(f".jp-Cell[data-windowed-list-index='{index}']")
            static = cell.locator(".agc-training-static")
            static.wait_for()
            assert "Error displaying widget" not in cell.inner_text()
            caption = static.locator("p").first.inner_text()
            assert caption.startswith("Training view (done): step "), caption
            assert "step 0 " not in caption  # the last frame, not the first
            images = static.locator("img")
            assert images.count() >= 2  # the network and the curves (and the boundary)
            page.wait_for_function("imgs => imgs.every(i => i.complete && i.naturalWidth > 0)",
                                   arg=images.element_handles())
            for i in range(images.count()):
                box = images.nth(i).bounding_box()
                assert box and box["width"] == float(images.nth(i).get_attribute("width") or 0)
    assert page_errors(page) == []
