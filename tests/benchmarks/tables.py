"""Reading the Markdown tables the benchmark scripts print."""

from __future__ import annotations


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
