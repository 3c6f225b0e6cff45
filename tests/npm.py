"""npm packages the tests run under Node.js, installed once, pinned and checked, into a folder of
the system's temporary directory (atomically: a failed or concurrent install leaves no
half-written folder behind). Tests skip without Node.js and npm, except on CI (conftest.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

CACHE = Path(tempfile.gettempdir()) / "autograd-core-wasm"
INSTALL_TIMEOUT = 300  # seconds


def node_and_npm() -> tuple[str, str, dict[str, str]]:
    """The node and npm executables and the environment they were found in, or a skip."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("Node.js and npm are needed (apt-get install nodejs npm; .ci/run does)")
    return node, npm, dict(os.environ)


def install(package: str, version: str, integrity: str) -> Path:
    """The folder whose node_modules holds `package` at `version`, its integrity checked."""
    _, npm, env = node_and_npm()
    target = CACHE / f"{package.replace('@', '').replace('/', '-')}-{version}"
    installed = target / "node_modules" / package / "package.json"
    if not installed.is_file():
        CACHE.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix="installing-", dir=CACHE))
        try:
            # A package.json of its own, so npm does not look for a project further up.
            (work / "package.json").write_text('{"private": true}\n', encoding="utf-8")
            try:
                result = subprocess.run(
                    [npm, "install", "--no-audit", "--no-fund", "--ignore-scripts",
                     "--cache", str(CACHE / "npm-cache"), f"{package}@{version}"],
                    cwd=work, env=env, capture_output=True, timeout=INSTALL_TIMEOUT, check=False)
            except subprocess.TimeoutExpired:
                pytest.fail(f"npm install {package}@{version} took over {INSTALL_TIMEOUT} s")
            if result.returncode != 0:
                pytest.fail(f"npm install {package}@{version} failed:\n"
                            f"{result.stderr.decode(errors='replace')}")
            work.chmod(0o755)  # mkdtemp made it private; the installed folder is not
            try:
                work.rename(target)
            except OSError:
                if not target.is_dir():  # else another run installed it first: use that
                    raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
    manifest = json.loads(installed.read_text("utf-8"))
    assert manifest["version"] == version
    lock = json.loads((target / "package-lock.json").read_text("utf-8"))
    assert lock["packages"][f"node_modules/{package}"]["integrity"] == integrity
    return target
