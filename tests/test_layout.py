"""The architecture, checked: every import in the three packages points the allowed way.

Every module of autograd_core, nn and viz is parsed with `ast` (nothing is imported), and every
import statement is read, also those inside functions and under `if TYPE_CHECKING:`. The rules
are docs/design.md's:
- the engine (the modules at the root of autograd_core) imports only itself;
- batched replay (autograd_core/replay) and hand-checking (autograd_core/checking) import the
  engine and themselves only; the package's `__init__` re-exports them;
- nn and viz import autograd_core's public names only (from the package itself, never from a
  module inside it), and never each other;
- the command line (autograd_core/cli) may import anything, and nothing imports it;
- viz's renderer imports nothing of viz; nn.training (fit) is imported by nn's `__init__` only;
- no circle anywhere.
"""

from __future__ import annotations

import ast
import re
import sys
import tokenize
from collections.abc import Iterator
from pathlib import Path

import pytest

import autograd_core

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("autograd_core", "nn", "viz")
ENGINE = {"autograd_core.dispatch", "autograd_core.ops", "autograd_core.graph",
          "autograd_core.value", "autograd_core.functional", "autograd_core.forward",
          "autograd_core.gradcheck",
          "autograd_core.files"}
# `sum` is public but kept out of __all__ so that a star import leaves the builtin alone.
PUBLIC = set(autograd_core.__all__) | {"sum", "__version__"}
# Third-party packages each part may use (the engine: the standard library and numpy only).
THIRD_PARTY = {
    "engine": {"numpy"}, "replay": {"numpy"}, "checking": {"tomli"},
    # IPython: fit_in_background's interrupt hook; anywidget and traitlets: the training view;
    # playwright: printing worksheets to PDF, photographing animations; PIL (matplotlib's) and
    # imageio_ffmpeg: writing them.
    "nn": {"numpy", "tqdm", "torch", "IPython"},
    "viz": {"numpy", "graphviz", "matplotlib", "IPython", "anywidget", "traitlets",
            "playwright", "PIL", "imageio_ffmpeg"},
    "cli": {"matplotlib"}, "autograd_core": set(),
}


def modules(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the three packages, by dotted name."""
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> Iterator[tuple[str, str, int]]:
    """(imported module, imported name or "", line) for every import in a module."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, "", node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = name.split(".")
                parts = parts[:len(parts) - node.level + (1 if is_package else 0)]
                base = ".".join(parts + ([base] if base else []))
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                if submodule in known:
                    yield submodule, "", node.lineno
                else:
                    yield base, alias.name, node.lineno


def part(module: str) -> str:
    """Which part of the architecture a module belongs to."""
    if module in ENGINE:
        return "engine"
    for sub in ("replay", "checking", "cli"):
        if module == f"autograd_core.{sub}" or module.startswith(f"autograd_core.{sub}."):
            return sub
    return module.split(".")[0]


def allowed(importer: str, target: str, name: str) -> str | None:
    """Why `importer` may not import `target` (None if it may)."""
    source, dest = part(importer), part(target)
    if dest == "cli" and source != "cli":
        return "nothing imports the command line"
    if source in ("engine", "replay", "checking") and dest not in ("engine", source):
        return f"{source} imports the engine only"
    if source == "autograd_core" and dest not in ("engine", "replay", "checking"):
        return "autograd_core's __init__ re-exports the engine, replay and checking only"
    if source in ("nn", "viz"):
        if dest in ("nn", "viz") and dest != source:
            return "nn and viz never import each other"
        if dest != source and target != "autograd_core":
            return "nn and viz import autograd_core's public names, from the package itself"
        if target == "autograd_core" and name and name not in PUBLIC:
            return f"{name} is not one of autograd_core's public names"
    if importer == "viz.renderer" and dest == "viz":
        return "viz's renderer is at the bottom of viz: it imports nothing of viz"
    if target.startswith("nn.training") and not importer.startswith("nn.training") \
            and importer not in ("nn", "nn.tuning"):
        return "nn.training (fit) is imported by nn's __init__ and nn.tuning only"
    return None


def attribute_uses(path: Path, alias: str) -> Iterator[tuple[str, int]]:
    """`alias.name` for every attribute read of an imported module alias (`ag.sum`)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id == alias):
            yield node.attr, node.lineno


def violations(root: Path = ROOT) -> list[str]:
    """Every import against the rules, and every circle, as readable lines."""
    found = modules(root)
    known = set(found)
    graph: dict[str, set[str]] = {name: set() for name in found}
    problems = []
    stdlib = sys.stdlib_module_names
    for importer, path in found.items():
        where = f"{path.relative_to(root)}"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name == "autograd_core" and alias.asname:
                        for attr, line in attribute_uses(path, alias.asname):
                            if attr not in PUBLIC and part(importer) in ("nn", "viz"):
                                problems.append(f"{where}:{line}: autograd_core.{attr} is not "
                                                "one of autograd_core's public names")
        for target, name, line in imports(importer, path, known):
            top = target.split(".")[0]
            if top not in PACKAGES:
                if top not in stdlib and top not in THIRD_PARTY[part(importer)]:
                    problems.append(f"{where}:{line}: imports {top}, which "
                                    f"{part(importer)} does not use")
                continue
            if target not in known:
                problems.append(f"{where}:{line}: imports {target}, which does not exist")
                continue
            reason = allowed(importer, target, name)
            if reason:
                problems.append(f"{where}:{line}: imports {target}: {reason}")
            if target != importer:
                graph[importer].add(target)
    problems += [f"import circle: {' -> '.join(circle)}" for circle in circles(graph)]
    return problems


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One circle through each strongly connected group of modules (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(_circle_in(sorted(group), graph))
    return groups


def _circle_in(group: list[str], graph: dict[str, set[str]]) -> list[str]:
    # A path from the group's first module back to itself, inside the group (breadth first).
    members, start = set(group), group[0]
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(graph[node] & members):
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [*reversed(path), start]
                if child not in came_from:
                    came_from[child] = node
                    following.append(child)
        frontier = following
    return group


def test_every_import_points_the_allowed_way() -> None:
    assert violations() == []


def test_the_layout_has_the_documented_parts() -> None:
    found = modules()
    assert ENGINE <= set(found)
    for sub in ("replay", "checking", "cli"):
        assert f"autograd_core.{sub}" in found
    assert "nn.training" in found


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for package in PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    for engine_module in ENGINE:
        (tmp_path / (engine_module.replace(".", "/") + ".py")).write_text("")
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


@pytest.mark.parametrize(("files", "expected"), [
    ({"autograd_core/graph.py": "def f():\n    from .value import Value\n",
      "autograd_core/value.py": "from .graph import f\n"},
     "import circle: autograd_core.graph -> autograd_core.value -> autograd_core.graph"),
    ({"autograd_core/value.py": "import nn\n"}, "engine imports the engine only"),
    ({"autograd_core/checking/__init__.py": "from ..replay import trace\n",
      "autograd_core/replay/__init__.py": ""}, "checking imports the engine only"),
    ({"nn/layers.py": "from autograd_core.value import Value\n"},
     "from the package itself"),
    ({"nn/layers.py": "from autograd_core import _tracer\n"}, "_tracer is not one of"),
    ({"nn/layers.py": "import autograd_core as ag\nag._scope\n"}, "_scope is not one of"),
    ({"viz/graph.py": "from nn import MLP\n"}, "never import each other"),
    ({"viz/renderer.py": "from .graph import extract\n", "viz/graph.py": ""},
     "it imports nothing of viz"),
    ({"nn/layers.py": "from autograd_core.cli import main\n",
      "autograd_core/cli/__init__.py": ""}, "nothing imports the command line"),
    ({"autograd_core/ops.py": "import requests\n"}, "imports requests"),
])
def test_the_checker_finds_what_breaks_a_rule(tmp_path: Path, files: dict[str, str],
                                              expected: str) -> None:
    found = violations(_tree(tmp_path, files))
    assert any(expected in line for line in found), found


TIMING = re.compile(r"\d\s*(ms|us|µs|ns|s)\b|\d+(\.\d+)?\s*%|\d\s*->\s*\d|\d(\.\d+)?x\b")


def comments(path: Path) -> Iterator[tuple[int, str]]:
    """(line, text) of every comment of a module."""
    with path.open("rb") as file:
        for token in tokenize.tokenize(file.readline):
            if token.type == tokenize.COMMENT:
                yield token.start[0], token.string


def test_code_comments_carry_no_timings_and_fast_paths_say_where_the_plain_code_is() -> None:
    # Measurements belong in docs/design.md's performance notes, where they are kept current.
    found = []
    for path in modules().values():
        for line, text in comments(path):
            where = f"{path.relative_to(ROOT)}:{line}"
            if TIMING.search(text) and "noqa" not in text:
                found.append(f"{where}: a timing in a comment: {text}")
            if "fast path" in text.lower() and not re.search(r"# fast path; plain version: \S",
                                                             text):
                found.append(f"{where}: a fast path without a pointer to its plain version")
    assert found == []
