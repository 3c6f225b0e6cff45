"""A real JupyterLab 4 on 127.0.0.1, opened in headless Chromium the way a learner opens a lesson.

The harness for tests/notebooks/test_in_jupyterlab.py (import its fixtures there):

- `serve(notebooks, folder)` copies the notebooks into `folder`, starts `jupyter lab` from this
  virtualenv with a private config, data, runtime and home folder (nothing of the user's Jupyter
  setup leaks in, and a fresh notary database leaves every notebook untrusted), waits until it
  answers and stops it afterwards (only the process group it started). It yields a `Lab`.
- `jupyterlab` (module fixture) serves the module's `JUPYTERLAB_NOTEBOOKS`; `chromium` (module
  fixture) is the browser; `lab_page` (function fixture) a fresh page whose JavaScript errors
  are collected in `page_errors(page)`, with the server's kernels shut down after the test.
  A test module imports `jupyterlab_fixture, chromium_fixture, lab_page_fixture` to use them.
- `open_notebook(page, lab, name)` opens a notebook and waits until every stored output is
  rendered, every picture has loaded and the kernel is idle (JupyterLab's default windowing
  leaves off-screen cells unpainted, content-visibility: auto, so their innerText is empty:
  scroll an element into view before reading its text). A "Select Kernel" dialog is accepted.
- `set_theme(lab, DARK)` picks the theme of the pages opened from then on (`theme_is_dark(page)`
  checks it took effect); `run_all(page)` restarts the kernel and runs every cell (the toolbar
  button, its dialog confirmed) and fails on a cell's error; `trust_notebook(page)` is the
  "Trust Notebook" command; `set_output_width(page, 800)` collapses the side bars and sizes the
  window so that the output areas are 800 px wide.

Needs Chromium (Debian: `apt-get install chromium`), playwright (drives that browser; it
downloads none of its own here) and jupyterlab (the `test` extra). Without them the tests skip.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ..browser import chromium_fixture  # noqa: F401  (the fixture `chromium`)

LIGHT, DARK = "JupyterLab Light", "JupyterLab Dark"
START_TIMEOUT = 60.0  # seconds for the server to answer (it takes 3-10 s)
RUN_TIMEOUT = 120_000  # milliseconds for a notebook to run all its cells


@dataclass
class Lab:
    """A running JupyterLab: its address, token and the folder it serves."""

    url: str  # http://127.0.0.1:PORT/
    token: str
    root: Path
    process: subprocess.Popen[bytes]
    log: Path

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """Call the server's REST API (`path` without the leading slash); JSON in and out."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method, headers={
            "Authorization": f"token {self.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
        return json.loads(text) if text else None

    def add(self, notebook: Any, name: str) -> str:
        """Put a notebook (a path or an nbformat node) into the served folder under `name`."""
        import nbformat

        if isinstance(notebook, (str, Path)):
            shutil.copyfile(notebook, self.root / name)
        else:
            nbformat.write(notebook, self.root / name)
        return name

    def tree_url(self, name: str) -> str:
        """The address a learner opens; a fresh workspace each time, so no tab is restored."""
        return f"{self.url}lab/workspaces/t{secrets.token_hex(6)}/tree/{name}?token={self.token}"

    def shutdown_kernels(self) -> None:
        for session in self.api("GET", "api/sessions"):
            self.api("DELETE", f"api/sessions/{session['id']}")


def _private_environment(home: Path) -> dict[str, str]:
    """This machine's environment with every Jupyter and IPython folder moved into `home`."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("JUPYTER", "IPYTHON"))}
    folders = {"HOME": home, "JUPYTER_CONFIG_DIR": home / "config",
               "JUPYTER_DATA_DIR": home / "data", "JUPYTER_RUNTIME_DIR": home / "runtime",
               "IPYTHONDIR": home / "ipython",
               "JUPYTERLAB_SETTINGS_DIR": home / "config" / "lab" / "user-settings",
               "JUPYTERLAB_WORKSPACES_DIR": home / "config" / "lab" / "workspaces",
               "XDG_CONFIG_HOME": home / "xdg-config", "XDG_DATA_HOME": home / "xdg-data",
               "XDG_CACHE_HOME": home / "xdg-cache", "XDG_RUNTIME_DIR": home / "xdg-runtime"}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    env.update({key: str(folder) for key, folder in folders.items()})
    # The kernel runs this interpreter: the virtualenv's own python3 kernelspec says `python`,
    # which jupyter_client replaces with the server's sys.executable; PATH agrees anyway.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env.pop("PYTHONPATH", None)
    return env


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End the server we started and its kernels: its own process group, and nothing else.

    The group is signalled only while its leader (the server) is not yet reaped, so its id
    cannot have been reused by a process we did not start.
    """
    if process.returncode is not None:
        return  # exited and reaped while starting: nothing of it is left to stop
    for signum in (signal.SIGTERM, signal.SIGKILL):
        os.killpg(process.pid, signum)
        deadline = time.monotonic() + 15
        while not _exited(process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _exited(process.pid):
            break
    # Kernels still in the group once the server is gone (it normally shuts them down itself).
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=15)


def _exited(pid: int) -> bool:
    """Whether our child `pid` has exited, without reaping it (its id stays ours)."""
    return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None


@contextmanager
def serve(notebooks: Iterable[Path], folder: Path) -> Iterator[Lab]:
    """Copy `notebooks` into `folder`/root and serve that folder with JupyterLab 4."""
    pytest.importorskip("jupyterlab", reason="jupyterlab is not installed (the test extra)")
    import jupyterlab

    assert jupyterlab.__version__.startswith("4."), jupyterlab.__version__
    root, home = folder / "root", folder / "home"
    root.mkdir(parents=True)
    for notebook in notebooks:
        shutil.copyfile(notebook, root / Path(notebook).name)
    env = _private_environment(home)
    # No "Would you like to get notified about official Jupyter news?" toast over the outputs.
    notification = (Path(env["JUPYTERLAB_SETTINGS_DIR"]) / "@jupyterlab" / "apputils-extension"
                    / "notification.jupyterlab-settings")
    notification.parent.mkdir(parents=True, exist_ok=True)
    notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    token = secrets.token_hex(24)
    log = folder / "jupyterlab.log"
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
               "--ServerApp.port=0",  # the system picks a free port; read back below
               "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={token}",  # ServerApp.token is its deprecated name
               f"--ServerApp.root_dir={root}", "--ServerApp.terminals_enabled=False",
               "--ServerApp.allow_remote_access=False",
               "--ServerApp.allow_root=True",  # CI runs as root
               # window.jupyterapp: the tests ask the app when it has finished its work.
               "--LabApp.expose_app_in_browser=True",
               # No news or update checks (there is no network).
               "--LabApp.news_url=None",
               "--LabApp.check_for_updates_class="
               "jupyterlab.handlers.announcements.NeverCheckForUpdate"]
    with open(log, "wb") as output:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=output,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
    try:
        url = _wait_for_address(process, home / "runtime", token, log)
        lab = Lab(url, token, root, process, log)
        yield lab
    finally:
        _stop(process)


def _wait_for_address(process: subprocess.Popen[bytes], runtime: Path, token: str,
                      log: Path) -> str:
    """The server's address once it answers: its port is in its runtime file."""
    deadline = time.monotonic() + START_TIMEOUT
    info = runtime / f"jpserver-{process.pid}.json"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited ({process.returncode}):\n{_tail(log)}")
        if info.exists():
            try:
                port = json.loads(info.read_text())["port"]
                url = f"http://127.0.0.1:{port}/"
                status = urllib.request.Request(url + "api/status",
                                                headers={"Authorization": f"token {token}"})
                with urllib.request.urlopen(status, timeout=5):
                    pass
                return url
            except (ValueError, KeyError, OSError):
                pass  # half-written file, or not listening yet
        time.sleep(0.2)
    raise TimeoutError(f"jupyter lab did not answer in {START_TIMEOUT} s:\n{_tail(log)}")


def _tail(log: Path) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-30:])


# Fixtures, named `jupyterlab`, `chromium` and `lab_page`: import these functions into the test
# module (their Python names differ, so that the tests' arguments do not shadow the imports).

@pytest.fixture(scope="module", name="jupyterlab")
def jupyterlab_fixture(request: pytest.FixtureRequest,
                       tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """One server for the whole test module, serving the module's JUPYTERLAB_NOTEBOOKS."""
    notebooks = getattr(request.module, "JUPYTERLAB_NOTEBOOKS", ())
    with serve(notebooks, tmp_path_factory.mktemp("jupyterlab")) as lab:
        yield lab


_ERRORS: dict[int, list[str]] = {}


@pytest.fixture(name="lab_page")
def lab_page_fixture(chromium: Any, jupyterlab: Lab) -> Iterator[Any]:
    """A fresh browser page (its own cookies and storage); JavaScript errors are recorded."""
    context = chromium.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors = _ERRORS.setdefault(id(page), [])
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    _ERRORS.pop(id(page), None)
    context.close()
    jupyterlab.shutdown_kernels()


def page_errors(page: Any) -> list[str]:
    """The uncaught JavaScript errors on a `lab_page` so far."""
    return _ERRORS[id(page)]


# Driving JupyterLab.

def set_theme(lab: Lab, theme: str) -> None:
    """Make `theme` (LIGHT or DARK) the theme of every page opened from now on."""
    lab.api("PUT", "lab/api/settings/@jupyterlab/apputils-extension:themes",
            {"raw": json.dumps({"theme": theme})})


def theme_is_dark(page: Any) -> bool:
    return page.evaluate("document.body.dataset.jpThemeLight") == "false"


def open_notebook(page: Any, lab: Lab, name: str) -> Any:
    """Open a notebook; return its panel once every stored output is rendered and loaded."""
    page.goto(lab.tree_url(name))
    page.wait_for_function("() => window.jupyterapp && document.querySelector('.jp-LabShell')")
    page.evaluate("() => window.jupyterapp.restored")
    panel_id = page.wait_for_function(
        """name => {
             const w = window.jupyterapp.shell.currentWidget;
             return w && w.context && w.context.path === name && w.isVisible && w.id;
           }""", arg=name).json_value()
    page.evaluate("() => window.jupyterapp.shell.currentWidget.context.ready")
    wait_for_outputs(page)
    wait_for_kernel(page)
    return page.locator(f"#{panel_id}")


def wait_for_kernel(page: Any, timeout: float = 60_000) -> None:
    """Until the notebook's kernel has started, is connected and idle.

    A "Select Kernel" dialog (the notebook names a kernel this server lacks) is accepted with
    its default choice. Restarting a kernel that is still connecting loses the connection in
    JupyterLab 4.6 (the server then fails to read the client's messages; the run never ends).
    """
    deadline = time.monotonic() + timeout / 1000
    while True:
        state = page.wait_for_function(
            """() => {
                 if (document.querySelector('.jp-Dialog')) { return 'dialog'; }
                 const session = window.jupyterapp.shell.currentWidget.sessionContext.session;
                 const kernel = session?.kernel;
                 return kernel && kernel.connectionStatus === 'connected'
                        && kernel.status === 'idle' && 'ready';
               }""", timeout=max(1.0, deadline - time.monotonic()) * 1000).json_value()
        if state == "ready":
            return
        page.locator(".jp-Dialog .jp-mod-accept").first.click()
        page.locator(".jp-Dialog").first.wait_for(state="detached")


def wait_for_outputs(page: Any, timeout: float = 30_000) -> None:
    """Until every output of the current notebook is rendered and every picture has loaded."""
    page.wait_for_function(
        """() => {
             const nb = window.jupyterapp.shell.currentWidget.content;
             if (!nb.model) { return false; }
             for (const cell of nb.widgets) {
               if (cell.model.type !== 'code') { continue; }
               const stored = cell.model.outputs.length;
               const shown = cell.node.querySelectorAll('.jp-OutputArea-output').length;
               if (shown < stored) { return false; }
             }
             return [...document.images].every(i => i.complete);
           }""", timeout=timeout)


def run_all(page: Any, timeout: float = RUN_TIMEOUT) -> None:
    """Restart the kernel and run all cells (the toolbar's button), as a learner does."""
    wait_for_kernel(page)
    button = page.locator(
        ".jp-NotebookPanel:not(.lm-mod-hidden) [data-command='notebook:restart-run-all']")
    if button.count():
        button.first.click()
    else:
        page.evaluate("() => { window.jupyterapp.commands.execute('notebook:restart-run-all'); }")
    page.locator(".jp-Dialog .jp-mod-accept").click()  # "Restart Kernel?"
    handle = page.wait_for_function(
        """() => {
             const panel = window.jupyterapp.shell.currentWidget;
             const cells = [...panel.content.widgets].filter(c => c.model.type === 'code');
             const failed = cells.find(c => [...c.model.outputs.toJSON()]
                                              .some(o => o.output_type === 'error'));
             if (failed) { return {error: failed.model.outputs.toJSON()
                                     .filter(o => o.output_type === 'error')
                                     .map(o => o.ename + ': ' + o.evalue).join('; ')}; }
             const kernel = panel.sessionContext.session?.kernel;
             const done = cells.every(c => c.model.executionCount !== null
                                           && c.promptNode.textContent.trim() !== '[*]:');
             return done && kernel && kernel.status === 'idle' && {ok: true};
           }""", timeout=timeout)
    result = handle.json_value()
    assert "error" not in result, f"a cell failed: {result['error']}"
    wait_for_outputs(page)


def trust_notebook(page: Any) -> None:
    """The "Trust Notebook" command, its dialog confirmed: stored outputs are re-rendered."""
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:trust'); }")
    page.locator(".jp-Dialog .jp-mod-accept").click()
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.content.model.cells.get(0).trusted")
    wait_for_outputs(page)


def set_output_width(page: Any, width: int, *, collapse_sidebar: bool = True) -> None:
    """Size the window so that the notebook's output areas are `width` pixels wide."""
    if collapse_sidebar:
        page.evaluate("""() => {
            const shell = window.jupyterapp.shell;
            if (!shell.leftCollapsed) { shell.collapseLeft(); }
            if (!shell.rightCollapsed) { shell.collapseRight(); }
          }""")
    viewport = page.viewport_size
    for _ in range(4):
        page.wait_for_timeout(100)  # let the shell lay itself out again
        shown = output_width(page)
        if shown == width:
            return
        viewport = {"width": viewport["width"] + width - shown, "height": viewport["height"]}
        page.set_viewport_size(viewport)
    raise AssertionError(f"output areas are {output_width(page)} px wide, not {width}")


def output_width(page: Any) -> int:
    """The width of the first output area of the notebook shown (they are all alike)."""
    return round(page.evaluate("""() => {
        const node = window.jupyterapp.shell.currentWidget.node
            .querySelector('.jp-OutputArea-output');
        return node.getBoundingClientRect().width;
      }"""))
