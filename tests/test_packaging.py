"""The built wheel holds every module, and every module imports from it (not from this tree).

An editable install reads the source tree, so a sub-package missing from the wheel would go
unnoticed by every other test. Here the project is copied out of the tree, built into a wheel,
and installed in a fresh virtual environment; each module is imported there and must come from
that environment. The environment borrows the test environment's third-party packages
(numpy, graphviz, ...) through a path entry, without its editable hook.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

from .test_layout import ROOT, modules

DATA = ["nn/datasets/iris.csv", "nn/datasets/digits.csv.gz", "nn/datasets/README.md"]


def _run(*command: str | Path, cwd: Path) -> str:
    result = subprocess.run([str(part) for part in command], cwd=cwd, capture_output=True,
                            text=True, timeout=600, check=False)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_the_wheel_installs_and_every_module_imports_from_it(tmp_path: Path) -> None:
    source = tmp_path / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "dist")
    for name in ("autograd_core", "nn", "viz"):
        shutil.copytree(ROOT / name, source / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp_path / "dist", source,
         cwd=tmp_path)
    (wheel,) = (tmp_path / "dist").glob("autograd_core-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {str(path.relative_to(ROOT)) for path in modules().values()} | set(DATA)
    assert expected - names == set()

    env = tmp_path / "env"
    _run(sys.executable, "-m", "venv", env, cwd=tmp_path)
    python = env / "bin" / "python"
    _run(python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheel, cwd=tmp_path)
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                     cwd=tmp_path).strip())
    # Appended after the environment's own packages, and its .pth files are not run: the
    # test environment's editable hook for this project stays out.
    (site / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    script = ("import importlib, sys\n"
              f"for name in {sorted(modules())!r}:\n"
              "    module = importlib.import_module(name)\n"
              f"    assert module.__file__.startswith({str(site)!r}), module.__file__\n"
              "import nn\n"
              "assert len(nn.data.iris()[0]) == 150 and len(nn.data.digits()[0]) == 1797\n"
              "print('ok')\n")
    assert _run(python, "-c", script, cwd=tmp_path).strip() == "ok"
    assert _run(env / "bin" / "autograd-core", "--version", cwd=tmp_path).startswith(
        "autograd-core 0.1.0")
