"""Running a benchmark script in this process, and reading the Markdown tables it prints."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import sys
from collections.abc import Sequence
from pathlib import Path

SCRIPTS = Path(__file__).parents[2] / "benchmarks"


def run_main(name: str, argv: Sequence[str]) -> str:
    """What `benchmarks/NAME.py` prints when its main() runs with `argv`."""
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    try:
        spec.loader.exec_module(module)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            module.main(list(argv))
    finally:
        del sys.modules[spec.name]
    return out.getvalue()


def table(text: str, header_start: str) -> list[list[str]]:
    """The body rows of the Markdown table whose header starts with `header_start`."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {header_start}"))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    return rows
