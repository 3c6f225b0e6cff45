"""The installed `autograd-core` command, run as a user runs it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def command() -> str:
    # The console script lives next to the interpreter running the tests (the venv's bin/).
    found = shutil.which("autograd-core", path=str(Path(sys.executable).parent)) or shutil.which(
        "autograd-core")
    if found is None:
        pytest.fail("the autograd-core command is not installed; run the README's set-up")
    return found


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([command(), *args], capture_output=True, text=True, timeout=120,
                          check=False, cwd=cwd, env={**os.environ, "PYTHONWARNINGS": "error"})


def test_demo_prints_the_course_numbers(tmp_path: Path) -> None:
    result = run("demo", "--no-drawings", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "0.590378" in out and "-1.69383" in out  # y and dJ/dy of the course network
    assert "-0.409615" in out and "-3.42058e-06" in out  # dJ/dV1 and dJ/dW11
    assert "df/dx = 4, df/dy = 2, df/dz = 0" in out
    assert "do/dx1             += do/dx1w1           * dx1w1/dx1 = 0.5 * -3 = -1.5" in out
    assert out.count(" yes") == 2 and result.stderr == ""
    assert "epoch 40: loss" in out and "accuracy 100%" in out  # micrograd's demo, trained
    assert list(tmp_path.iterdir()) == []  # --no-drawings draws nothing


def test_demo_draws_the_graphs_and_the_step_through(tmp_path: Path) -> None:
    result = run("demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "autograd-core-demo"
    files = sorted(p.name for p in folder.iterdir())
    assert files == ["moons_decision_boundary.png", "moons_training.png", "neuron.svg",
                     "neuron_backprop.html", "two_layer_network.svg"]
    for name in files:
        assert str(folder / name) in result.stdout
    assert "<svg" in (folder / "neuron.svg").read_text()
    page = (folder / "neuron_backprop.html").read_text()
    assert page.count('class="agc-player"') == 1 and page.count("<li>") == 1 + 2 * 10  # 10 values
    other = run("demo", "--out", str(tmp_path / "elsewhere"), cwd=tmp_path)
    assert other.returncode == 0 and (tmp_path / "elsewhere" / "neuron.svg").exists()


def test_version_and_usage() -> None:
    assert run("--version").stdout.startswith("autograd-core 0.1.0")
    result = run()
    assert result.returncode == 2 and "demo" in result.stderr


def test_an_unknown_command_is_an_error_without_a_traceback() -> None:
    result = run("fly")
    assert result.returncode == 2
    assert "invalid choice: 'fly'" in result.stderr and "Traceback" not in result.stderr


def test_grad_prints_the_value_and_every_partial_derivative() -> None:
    result = run("grad", "2/3*x**2 + y**2 - 2*y + z**4 - 4/3*z**3", "--at", "x=3,y=2,z=1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["f = 5.666666667", "df/dx = 4", "df/dy = 2",
                                          "df/dz = 0"]


def test_grad_explains_the_chain_rule() -> None:
    program = "a = x * 2\nf = a * x"
    result = run("grad", program, "--at", "x=3", "--explain", "x")
    assert result.returncode == 0, result.stderr
    assert "x -> a -> f:  df/da * da/dx = 3 * 2 = 6" in result.stdout
    assert result.stdout.rstrip().endswith("df/dx = sum over the paths = 12")


@pytest.mark.parametrize("args, message", [
    (["grad", "x.__class__", "--at", "x=1"], "not allowed here: attribute access"),
    (["grad", "x + y", "--at", "x=1"], "unknown name 'y'"),
    (["grad", "x", "--at", "x3"], "--at: 'x3' is not name=number"),
    (["grad", "log(x)", "--at", "x=-1"], "log needs x > 0"),
    (["grad", "x", "--at", "x=1", "--explain", "q"], "--explain: there is no 'q'"),
    (["check", "/no/such/sheet.toml"], "cannot read /no/such/sheet.toml"),
    (["exercises", "show", "nope"], "no exercise 'nope'; the exercises are: two-layer"),
    (["exercises", "show"], "exercises show needs a NAME"),
    (["grad", "x", "--at", "x=nan"], "with a finite number"),
    (["grad", "x", "--at", "x=1,x=2"], "--at: x is given twice"),
    (["draw", "x", "--at", "x=1", "-o", "/"], "/ is a folder; give a file name"),
    (["draw", "x", "--at", "x=1", "-o", "/proc/nope/g.svg"], "error:"),
    (["grad", "a = 2*x\nb = 3*x\nc = a + 1", "--at", "x=1", "--explain", "q"], "no 'q'"),
])
def test_bad_input_is_one_line_on_stderr_and_status_2(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.startswith("autograd-core: error: ")


def test_a_worksheet_from_the_bank_filled_in_and_checked(tmp_path: Path) -> None:
    listing = run("exercises")
    assert listing.returncode == 0 and "two-layer-network" in listing.stdout
    sheet = tmp_path / "sheet.toml"
    shown = run("exercises", "show", "gradient-at-a-point")
    assert shown.returncode == 0 and '"df/dx" = ""' in shown.stdout
    sheet.write_text(shown.stdout.replace('"f" = ""', '"f" = "17/3"')
                     .replace('"df/dx" = ""', '"df/dx" = "4"')
                     .replace('"df/dy" = ""', '"df/dy" = "2"')
                     .replace('"df/dz" = ""', '"df/dz" = "0"'))
    right = run("check", str(sheet))
    assert right.returncode == 0, right.stdout + right.stderr
    assert right.stdout.rstrip().endswith("4 of 4 right")
    sheet.write_text(sheet.read_text().replace('"df/dy" = "2"', '"df/dy" = "-2"'))
    wrong = run("check", str(sheet))
    assert wrong.returncode == 1 and "WRONG: the sign is flipped" in wrong.stdout
    blank = tmp_path / "blank.toml"
    blank.write_text(shown.stdout)
    hidden = run("exercises", "check", str(blank))
    assert hidden.returncode == 1 and "not answered" in hidden.stdout
    assert "5.66667" not in hidden.stdout  # the true values stay hidden when grading
    revealed = run("check", str(blank), "--show-answers")
    assert "5.66667" in revealed.stdout


def test_a_broken_worksheet_is_refused(tmp_path: Path) -> None:
    sheet = tmp_path / "broken.toml"
    sheet.write_text('program = "x"\n[answers\n')
    result = run("check", str(sheet))
    assert result.returncode == 2 and "is not a valid TOML worksheet" in result.stderr
    sheet.write_text('[answers]\n"x" = "1"\n')
    assert "needs `program" in run("check", str(sheet)).stderr


def test_draw_writes_the_graph_of_an_expression(tmp_path: Path) -> None:
    result = run("draw", "y = x * x + 1", "--at", "x=3", "-o", str(tmp_path / "g.svg"),
                 "--edge-labels")
    assert result.returncode == 0, result.stderr
    assert f"wrote {tmp_path / 'g.svg'}" in result.stdout
    svg = (tmp_path / "g.svg").read_text()
    assert "grad 6" in svg and "data 10" in svg
    png = run("draw", "x ** 2", "--at", "x=3", "-o", str(tmp_path / "g.png"), cwd=tmp_path)
    assert png.returncode == 0 and (tmp_path / "g.png").read_bytes().startswith(b"\x89PNG")
    bad = run("draw", "x", "--at", "x=1", "-o", str(tmp_path / "g.docx"))
    assert bad.returncode == 2 and "format 'docx' is not supported" in bad.stderr
    assert not (tmp_path / "g.docx").exists()


def test_draw_says_which_renderer_when_asked(tmp_path: Path) -> None:
    result = run("draw", "x * 2", "--at", "x=1", "-o", str(tmp_path / "g.svg"), "-v")
    assert result.returncode == 0 and "viz: rendered svg with" in result.stderr


def test_a_derivative_the_output_does_not_depend_on_is_explained_as_zero() -> None:
    result = run("grad", "a = 2*x\nb = 3*x\nc = a + 1", "--at", "x=1", "--explain", "b")
    assert result.returncode == 0, result.stderr
    assert "dc/db = 0" in result.stdout


def test_demo_into_an_existing_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    result = run("demo", "--out", str(tmp_path / "afile"), cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_draw_limits_its_size_as_viz_does(tmp_path: Path) -> None:
    big = run("draw", "y = x*x*x*x*x*x*x*x", "--at", "x=2", "--max-nodes", "3", "-o",
              str(tmp_path / "g.svg"))
    assert big.returncode == 2 and "more than max_nodes=3" in big.stderr
    assert "--max-nodes" in big.stderr and list(tmp_path.iterdir()) == []
    bad = run("draw", "y = x*x", "--at", "x=2", "--collapse", "0", "-o", str(tmp_path / "g.svg"))
    assert bad.returncode == 2 and "--collapse: '0' is not auto, none or a depth" in bad.stderr
    ok = run("draw", "y = x*x", "--at", "x=2", "--collapse", "none", "--max-nodes", "10", "-o",
             str(tmp_path / "g.svg"))
    assert ok.returncode == 0 and (tmp_path / "g.svg").exists()


def test_check_refuses_a_worksheet_with_an_infinite_point(tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.toml"
    sheet.write_text('program = "y = x * 2"\n[at]\nx = inf\n[answers]\n"dy/dx" = "7"\n')
    result = run("check", str(sheet))
    assert result.returncode == 2 and "[at] x = inf: not a finite number" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
