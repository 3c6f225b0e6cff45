"""Headless Chromium, driven by playwright, for what only a browser makes: a worksheet printed
to PDF, and the step-through player's frames as pictures (animations).

Chromium is found as `CHROMIUM` (the environment variable), else `chromium`,
`chromium-browser` or `google-chrome` on PATH. Without it (or without playwright), a
`BrowserUnavailable` says how to get them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["BrowserUnavailable", "chromium_path", "page_of"]


class BrowserUnavailable(RuntimeError):
    """No headless Chromium (and playwright) to make this with."""


def chromium_path(what: str) -> str:
    """Chromium's executable; `what` names what it is needed for, in the error."""
    found = (os.environ.get("CHROMIUM") or shutil.which("chromium")
             or shutil.which("chromium-browser") or shutil.which("google-chrome"))
    if found is None:
        raise BrowserUnavailable(f"{what} needs Chromium (Debian: apt-get install chromium; or "
                                 "set CHROMIUM to its path)")
    return found


@contextmanager
def page_of(html: str, what: str, width: int = 1200, height: int = 900) -> Iterator[Any]:
    """A headless Chromium page showing `html` (loaded from a temporary file), closed after."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise BrowserUnavailable(f"{what} needs playwright (pip install playwright) and "
                                 "Chromium") from exc
    chromium = chromium_path(what)
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        source = Path(folder) / "page.html"
        source.write_text(html, encoding="utf-8")
        browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                             args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(source.as_uri())
            yield page
        finally:
            browser.close()
