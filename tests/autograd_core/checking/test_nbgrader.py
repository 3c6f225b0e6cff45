"""A real grader records `check`'s points: nbgrader (from PyPI) on a one-notebook course.

The teacher's notebook has a solution cell (the answers) and an autograder cell that checks
them and ends with `report.score`: nbgrader takes a number an autograder cell returns as its
partial credit (nbgrader #1399). `nbgrader generate_assignment` makes the student version,
a student fills it in, `nbgrader autograde` runs it in a kernel, and the gradebook holds the
points. This is the set-up README.md's "Grading" section describes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbgrader")

CHECK_CELL = """\
from autograd_core.checking import EXERCISES, check
report = check(EXERCISES["two-layer-network"].build(), answers,
               points={"*": 1, "dJ/dW11": 2}, precision="3 significant figures")
print(report.table(reveal=False))
report.score  # nbgrader records this number as the cell's points"""


def _meta(**fields: object) -> dict[str, object]:
    return {"nbgrader": {"schema_version": 3, **fields}}


def _nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # nbgrader runs `alembic` from PATH when it creates the gradebook: the venv's bin first.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}"
                                 f"{os.environ.get('PATH', '')}"}
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0 and "ERROR" not in done.stderr, done.stderr[-3000:]
    return done


def test_nbgrader_records_the_points_check_gives_each_student(tmp_path: Path) -> None:
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    course = tmp_path / "course"
    (course / "source" / "ps1").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(
        f'c = get_config()\nc.CourseDirectory.course_id = "backprop"\n'
        f"c.CourseDirectory.root = {str(course)!r}\n")
    teacher = new_notebook(cells=[
        new_markdown_cell("Work out the course's two-layer network by hand (3 significant "
                          "figures).", metadata=_meta(grade=False, solution=False, locked=True,
                                                      grade_id="task")),
        new_code_cell('### BEGIN SOLUTION\nanswers = {"y": "0.590", "J": "0.527", '
                      '"dJ/dV1": "-0.410", "dJ/dW11": "-3.42e-6"}\n### END SOLUTION',
                      metadata=_meta(grade=False, solution=True, locked=False,
                                     grade_id="answers")),
        new_code_cell(CHECK_CELL, metadata=_meta(grade=True, solution=False, locked=True,
                                                 points=5, grade_id="check_answers")),
    ])
    teacher.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                      "language": "python"}
    nbformat.write(teacher, course / "source" / "ps1" / "ps1.ipynb")
    _nbgrader(course, "generate_assignment", "ps1", "--force")
    released = nbformat.read(course / "release" / "ps1" / "ps1.ipynb", as_version=4)
    assert "answers = {" not in released.cells[1].source  # the solution is gone

    submissions = {
        "alice": '{"y": "0.590", "J": "0.527", "dJ/dV1": "-0.410", "dJ/dW11": "-3.42e-6"}',
        # J with 2 figures (not accepted), dJ/dV1's sign flipped: 1 + 2 of 5 points.
        "bob": '{"y": "0.590", "J": "0.53", "dJ/dV1": "0.410", "dJ/dW11": "-3.42e-6"}',
        "carol": '{"y": "0.5"}',  # the rest not answered, y with too few figures
    }
    for student, answers in submissions.items():
        notebook = nbformat.read(course / "release" / "ps1" / "ps1.ipynb", as_version=4)
        notebook.cells[1].source = f"answers = {answers}"
        folder = course / "submitted" / student / "ps1"
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / "ps1.ipynb")
    _nbgrader(course, "autograde", "ps1", "--create")

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        scores = {student: (gradebook.find_submission("ps1", student).score,
                            gradebook.find_submission("ps1", student).max_score)
                  for student in submissions}
    assert scores == {"alice": (5.0, 5.0), "bob": (3.0, 5.0), "carol": (0.0, 5.0)}
    graded = nbformat.read(course / "autograded" / "bob" / "ps1" / "ps1.ipynb", as_version=4)
    shown = "".join(output.get("text", "") for output in graded.cells[2].outputs)
    assert "WRONG: write it with at least 3 significant figures" in shown
    assert "WRONG: the sign is flipped" in shown
    assert "0.527" not in shown  # the true value of a wrong answer stays hidden
