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
    assert "d o/d x1   += d o/d x1w1 * d x1w1/d x1 = 0.5 * -3 = -1.5" in out
    assert out.count(" yes") == 2 and result.stderr == ""
    assert list(tmp_path.iterdir()) == []  # --no-drawings draws nothing


def test_demo_draws_the_graphs_and_the_step_through(tmp_path: Path) -> None:
    result = run("demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "autograd-core-demo"
    files = sorted(p.name for p in folder.iterdir())
    assert files == ["neuron.svg", "neuron_backprop.html", "two_layer_network.svg"]
    for name in files:
        assert str(folder / name) in result.stdout
    assert "<svg" in (folder / "neuron.svg").read_text()
    assert (folder / "neuron_backprop.html").read_text().count('class="agc-frame"') == 11
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
