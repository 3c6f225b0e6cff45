"""The lessons as stored: executed in order, with their outputs, no errors, and small.

(The test command also executes every notebook afresh through nbmake.)
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).parents[2] / "notebooks").glob("*.ipynb"))


def test_there_are_lessons() -> None:
    assert [p.name for p in NOTEBOOKS][:1] == ["01_value_and_backprop.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_a_lesson_is_stored_executed_with_its_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1))
    assert all(cell.outputs for cell in code[1:]), "every cell after the imports shows something"
    assert not any(out.output_type == "error" for cell in code for out in cell.outputs)
    assert path.stat().st_size < 1_000_000, "keep lessons small: no huge embedded frames"
