"""Every writer of the project writes whole files, keeps modes, and never replaces a special
file: write_file, viz.render, StepThrough.save, Module.save and the command line's -o."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import nn
import viz
from autograd_core import Value, write_file


def _graph() -> Value:
    x = Value(2.0, label="x")
    y = x * x
    y.label = "y"
    y.backward()
    return y


WRITERS: dict[str, Callable[[Path], object]] = {
    "write_file": lambda path: write_file(path, b"data"),
    "viz.render": lambda path: viz.render(_graph(), path, format="svg"),
    "StepThrough.save": lambda path: viz.step_through(_graph()).save(path),
    "Module.save": lambda path: nn.MLP(2, [2, 1], seed=0).save(path),
}


def _named(tmp_path: Path, name: str) -> Path:
    return tmp_path / ("out.html" if name == "StepThrough.save" else "out.svg")


@pytest.mark.parametrize("writer", WRITERS)
def test_a_fifo_is_refused_and_stays_a_fifo(tmp_path: Path, writer: str) -> None:
    target = _named(tmp_path, writer)
    os.mkfifo(target)
    with pytest.raises(ValueError, match=rf"{target.name} is a FIFO \(a named pipe\), not a "
                                         "regular file: refusing to replace it"):
        WRITERS[writer](target)
    assert stat.S_ISFIFO(target.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]  # no temporary left


def test_a_device_is_refused_and_left_alone() -> None:
    before = os.stat("/dev/null")
    with pytest.raises(ValueError, match=r"/dev/null is a character device, not a regular file"):
        write_file("/dev/null", b"x")
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="is a folder, not a regular file"):
        write_file(tmp_path, b"x")


@pytest.mark.parametrize("writer", WRITERS)
def test_an_existing_file_keeps_its_mode_and_a_new_one_gets_the_umasks(tmp_path: Path,
                                                                      writer: str) -> None:
    target = _named(tmp_path, writer)
    for mode in (0o644, 0o600, 0o664):
        target.write_bytes(b"old")
        os.chmod(target, mode)
        WRITERS[writer](target)
        assert stat.S_IMODE(target.stat().st_mode) == mode and target.read_bytes() != b"old"
    target.unlink()
    umask = os.umask(0o022)
    try:
        WRITERS[writer](target)
    finally:
        os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_a_symbolic_link_is_followed_and_stays_a_link(tmp_path: Path) -> None:
    real = tmp_path / "real.svg"
    real.write_bytes(b"old")
    link = tmp_path / "link.svg"
    link.symlink_to(real)
    write_file(link, b"new")
    assert link.is_symlink() and real.read_bytes() == b"new"


def test_a_failed_write_leaves_the_old_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_bytes(b"old")
    with pytest.raises(TypeError):
        write_file(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"old" and sorted(tmp_path.iterdir()) == [target]


def test_the_command_line_refuses_a_special_output(tmp_path: Path) -> None:
    fifo = tmp_path / "graph.svg"
    os.mkfifo(fifo)
    script = Path(sys.executable).parent / "autograd-core"
    result = subprocess.run([str(script), "draw", "y = x*x", "--at", "x=2", "-o", str(fifo)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2 and "is a FIFO (a named pipe), not a regular file" in (
        result.stderr)
    assert "Traceback" not in result.stderr and stat.S_ISFIFO(fifo.stat().st_mode)
