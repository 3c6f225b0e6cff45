"""Printable worksheets: the HTML page and its key, and PDFs printed by headless Chromium and
read back (text and page count) with pypdf."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograd_core.checking import EXERCISES
from autograd_core.checking.parse import parse_program
from autograd_core.checking.students import answers_at
from tests.autograd_core.checking.test_students import TEMPLATE
from tests.browser import CHROMIUM
from tests.cli.test_cli import run
from viz.worksheet import worksheet_page

COURSE = EXERCISES["two-layer-network"]


def test_the_page_has_the_program_the_point_empty_boxes_and_no_answers() -> None:
    sheet = worksheet_page(COURSE.build(), COURSE.questions, title=COURSE.title)
    assert "h1 = sigmoid(W11*x1 + W21*x2)" in sheet and "x1 = 5 &nbsp;·&nbsp; x2 = 3" in sheet
    assert sheet.count('<td class="box"></td>') == len(COURSE.questions)
    assert "<svg" in sheet and ">grad \u00a0\u00a0\u00a0" in sheet  # room to write
    assert "-0.4096" not in sheet and "data 0.5904" in sheet  # data filled, no gradients
    truth = {q: f"{v:.6g}" for q, v in answers_at(COURSE.program, COURSE.at,
                                                  COURSE.questions).items()}
    key = worksheet_page(COURSE.build(), COURSE.questions, title=COURSE.title, key=truth)
    assert "(answer key)" in key and '<td class="key">-0.409615</td>' in key
    assert "grad &#45;0.4096" in key and "Name:" not in key  # Graphviz writes - as &#45;


@pytest.mark.skipif(CHROMIUM is None, reason="printing needs Chromium (.ci/run installs it)")
def test_the_command_prints_a_sheet_and_its_key_as_pdfs_that_read_back(tmp_path: Path
                                                                        ) -> None:
    pypdf = pytest.importorskip("pypdf")
    done = run("exercises", "print", "two-layer-network", "-o", str(tmp_path / "sheet.pdf"))
    assert done.returncode == 0, done.stderr
    sheet, key = pypdf.PdfReader(tmp_path / "sheet.pdf"), pypdf.PdfReader(
        tmp_path / "sheet-key.pdf")
    assert 2 <= len(sheet.pages) <= 4 and 2 <= len(key.pages) <= 4
    text = " ".join(page.extract_text() for page in sheet.pages)
    for line in COURSE.program.splitlines():
        assert line in text
    for question in COURSE.questions:
        assert question in text
    assert "Name:" in text and "The graph" in text and "data 0.5904" in text
    assert "-0.4096" not in text and "-3.421e-06" not in text
    answers = " ".join(page.extract_text() for page in key.pages)
    assert "-0.409615" in answers and "-3.42058e-06" in answers and "grad -0.4096" in answers


def test_a_students_sheet_prints_their_numbers_points_and_required_precision(
        tmp_path: Path) -> None:
    template = tmp_path / "template.toml"
    template.write_text(TEMPLATE)
    done = run("exercises", "print", str(template), "--student", "alice", "-o",
               str(tmp_path / "alice.html"))
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "alice.html").read_text()
    drawn = run("exercises", "student", str(template), "--student", "alice").stdout
    at = drawn.split("[at]\n", 1)[1].split("\n\n", 1)[0].splitlines()
    for line in at:
        name, value = line.split(" = ")
        assert f"{name} = {float(value):g}" in page
    assert "Student: alice" in page and "<th>points</th>" in page
    assert "<td>3 significant figures</td>" in page and "<td>2</td>" in page
    key = (tmp_path / "alice-key.html").read_text()
    program = parse_program(TEMPLATE.split('"""')[1], {
        line.split(" = ")[0]: float(line.split(" = ")[1]) for line in at})
    assert f"{program.values['y'].data:.6g}" in key


def test_printing_needs_an_html_or_pdf_file_name(tmp_path: Path) -> None:
    done = run("exercises", "print", "two-layer-network", "-o", str(tmp_path / "sheet.txt"))
    assert done.returncode == 2 and "needs -o FILE.html or -o FILE.pdf" in done.stderr
    done = run("exercises", "print", "no-such-exercise", "-o", str(tmp_path / "sheet.html"))
    assert done.returncode == 2 and "no-such-exercise" in done.stderr
    assert not list(tmp_path.iterdir())  # nothing written for a refused command
