"""viz.TrainingView in a real Jupyter Notebook 7, in headless Chromium.

Notebook 7 is built from JupyterLab's packages but is an app of its own (one document a tab at
/notebooks/NAME, its own shell and page), and the view promises to work there too: run, the
live widget trains micrograd's demo network in the background, its numbers move, pause holds
the step count and one step is one step; stored in a lesson and opened untrusted, its static
form shows the last frame's caption and pictures. The browser reports no error of ours.

The server is Notebook 7 started like the JupyterLab of tests/notebooks/jupyterlab.py (private
Jupyter folders, stopped by its own process group), and the page is that harness's `lab_page`.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nbformat
import pytest

from tests.notebooks.jupyterlab import (
    Lab,
    _private_environment,
    _stop,
    _wait_for_address,
    chromium_fixture,  # noqa: F401  (the fixture `chromium`)
    lab_page_fixture,  # noqa: F401  (the fixture `lab_page`)
    page_errors,
    run_all,
    wait_for_kernel,
    wait_for_outputs,
)
from tests.notebooks.test_in_jupyterlab import DRAWING, assert_drawings_show
from tests.notebooks.test_training_view_in_jupyterlab import TRAINING, _data, _notebook, _wait_for

LESSON = Path(__file__).parents[2] / "notebooks" / "09_watch_it_learn.ipynb"
WIDGET = "application/vnd.jupyter.widget-view+json"
# Notebook 7.6.5 throws this as every page starts, /tree and an empty notebook alike (its
# keyboard-shortcuts plugin hears of another plugin's settings before its own have loaded);
# JupyterLab 4.6 does not. It is allowed while the page starts, and no error after that.
STARTUP_ERROR = "Cannot read properties of undefined (reading 'schema')"


@contextmanager
def serve_notebook7(folder: Path) -> Iterator[Lab]:
    """Serve `folder`/root with Notebook 7 (the app exposed as window.jupyterapp)."""
    pytest.importorskip("notebook", reason="notebook (Jupyter Notebook 7) is not installed")
    import notebook

    assert notebook.__version__.startswith("7."), notebook.__version__
    root, home = folder / "root", folder / "home"
    root.mkdir(parents=True)
    token = secrets.token_hex(24)
    log = folder / "notebook.log"
    command = [sys.executable, "-m", "notebook", "--ServerApp.open_browser=False",
               "--ServerApp.ip=127.0.0.1", "--ServerApp.port=0", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
               "--ServerApp.terminals_enabled=False", "--ServerApp.allow_remote_access=False",
               "--ServerApp.allow_root=True",  # CI runs as root
               "--JupyterNotebookApp.expose_app_in_browser=True"]
    with open(log, "wb") as output:
        process = subprocess.Popen(command, cwd=root, env=_private_environment(home),
                                   stdout=output, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        yield Lab(_wait_for_address(process, home / "runtime", token, log), token, root,
                  process, log)
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def notebook7(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    with serve_notebook7(tmp_path_factory.mktemp("notebook7")) as server:
        yield server


@pytest.fixture(scope="module", name="jupyterlab")
def lab_page_server(notebook7: Lab) -> Lab:
    """`lab_page` shuts down the kernels of the server it knows as `jupyterlab`: Notebook 7."""
    return notebook7


def open_notebook(page: Any, server: Lab, name: str) -> None:
    """Open /notebooks/`name`; return once its outputs are rendered and its kernel is idle."""
    page.goto(f"{server.url}notebooks/{name}?token={server.token}")
    page.wait_for_function(
        "name => window.jupyterapp?.shell.currentWidget?.context?.path === name", arg=name)
    page.evaluate("() => window.jupyterapp.shell.currentWidget.context.ready")
    wait_for_outputs(page)
    wait_for_kernel(page)
    assert set(page_errors(page)) <= {STARTUP_ERROR}, page_errors(page)
    page_errors(page).clear()


def test_a_network_training_in_the_background_is_watched_paused_and_stepped(
        lab_page: Any, notebook7: Lab) -> None:
    page = lab_page
    open_notebook(page, notebook7, notebook7.add(_notebook(TRAINING), "training_view.ipynb"))
    run_all(page)
    view = page.locator(".agc-training")
    assert view.count() == 1
    view.scroll_into_view_if_needed()
    _wait_for(page, view, "status", "running")

    numbers, steps = view.locator("text.out").all_text_contents(), int(_data(view, "steps"))
    page.wait_for_timeout(2000)
    later = view.locator("text.out").all_text_contents()
    assert len(numbers) == len(later) == 16 + 16 + 1
    assert later != numbers, "the neurons' outputs move as the network trains"
    assert int(_data(view, "steps")) > steps

    view.locator("button[data-do=pause]").click()
    _wait_for(page, view, "status", "paused")
    paused_at = int(_data(view, "steps"))
    page.wait_for_timeout(1000)
    assert int(_data(view, "steps")) == paused_at, "paused means no more steps"
    view.locator("button[data-do=step]").click()
    _wait_for(page, view, "steps", str(paused_at + 1))
    page.wait_for_timeout(800)
    assert int(_data(view, "steps")) == paused_at + 1, "one step is one step"
    assert _data(view, "status") == "paused"
    assert page_errors(page) == []


def test_a_stored_lesson_shows_its_views_last_frame_untrusted(
        lab_page: Any, notebook7: Lab) -> None:
    """Untrusted, Notebook 7 renders no widget from a stored output: the view's static HTML
    (its caption and the pictures as SVG images) stands in for it, one per stored view."""
    page = lab_page
    stored = nbformat.read(LESSON, as_version=4)
    views = sum(WIDGET in output.get("data", {}) for cell in stored.cells
                for output in cell.get("outputs", []))
    assert views, f"{LESSON.name} shows a TrainingView"
    open_notebook(page, notebook7, notebook7.add(LESSON, LESSON.name))
    statics = page.locator(".agc-training-static")
    assert statics.count() == views
    assert page.locator(".agc-training").count() == 0, "no live view in an untrusted notebook"
    for static in statics.all():
        # Off-screen cells are not painted (content-visibility: auto): scroll to each.
        static.scroll_into_view_if_needed()
        caption = static.locator("p").first.inner_text()
        assert caption.startswith("Training view (done): step "), caption
        images = static.locator("img")
        assert images.count() >= 2  # the network and the curves (and the boundary)
        page.wait_for_function("imgs => imgs.every(i => i.complete && i.naturalWidth > 0)",
                               arg=images.element_handles())
    assert "Error displaying widget" not in (page.locator(".jp-Notebook").text_content() or "")
    assert page_errors(page) == []


@pytest.mark.parametrize("lesson", DRAWING, ids=lambda p: p.stem)
def test_a_stored_lessons_drawings_show_untrusted(lab_page: Any, notebook7: Lab,
                                                  lesson: Path) -> None:
    """As in JupyterLab (test_in_jupyterlab.py)."""
    page = lab_page
    open_notebook(page, notebook7, notebook7.add(lesson, lesson.name))
    assert_drawings_show(page.locator(".jp-Notebook"))
    assert page_errors(page) == []

