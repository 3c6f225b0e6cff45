"""The benchmark runs end to end (`--quick`, in a subprocess) and prints every row it promises.

Only the shape of the output is checked: rows present, cells that parse, the JSON dump. No
timing is asserted, so a slow or busy machine cannot fail these tests.
"""

from __future__ import annotations

import importlib.util
import json
import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .tables import table

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "bench_engine.py"



def _module() -> Any:
    spec = importlib.util.spec_from_file_location("bench_engine", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench() -> Any:
    return _module()


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any]]:
    """One --quick run of the whole suite: its printed tables and its --json dump."""
    # The suite times every engine side by side, so it needs them all installed (the README's
    # test command installs both; in CI a skip fails, see conftest.py).
    pytest.importorskip("micrograd")
    pytest.importorskip("torch")
    dump = tmp_path_factory.mktemp("bench") / "quick.json"
    result = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--json", str(dump)],
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout, json.loads(dump.read_text())


def _parses(cell: str, suffix: str = "") -> bool:
    if cell in ("—", "n/a", "fails"):
        return True
    if suffix:
        if not cell.endswith(suffix):
            return False
        cell = cell[: -len(suffix)]
    try:
        return math.isfinite(float(cell)) and float(cell) >= 0
    except ValueError:
        return False


def test_the_main_table_has_every_workload_row(bench: Any, quick_run: tuple[str, Any]) -> None:
    text, _ = quick_run
    labels = [row[0] for row in table(text, "workload (median ms)")]
    chains = [label for label in labels if label.startswith("chain,")]
    assert len(chains) == 3  # the scaling sizes
    for name, start in bench.ROW_NAMES.items():
        assert any(label.startswith(start) for label in labels), f"no {name} row: {labels}"
    assert len(labels) == 11


def test_every_cell_of_every_table_parses(bench: Any, quick_run: tuple[str, Any]) -> None:
    text, _ = quick_run
    n_times = len(bench.COLUMNS)
    main = table(text, "workload (median ms)")
    for row in main:
        assert len(row) == 1 + n_times + len(bench.RATIOS), row
        assert all(_parses(cell) for cell in row[1:1 + n_times]), row
        assert all(_parses(cell, "x") for cell in row[1 + n_times:]), row
    # Every engine measured something: each time column has at least one number.
    for column in range(1, 1 + n_times):
        assert any(re.fullmatch(r"[\d.]+", row[column]) for row in main), column
    for header in ("chain scaling", "phase, ms", "memory"):
        for row in table(text, header):
            assert all(_parses(cell) or _parses(cell, "x") for cell in row[1:]), row
    targets = table(text, "target (issue)")
    assert [row[0][:3] for row in targets] == ["(3)"] * 3 + ["(8)"] * 6
    assert all(row[-1] in ("yes", "no") for row in targets)
    assert text.splitlines()[0].startswith("Machine: ")


def test_the_json_dump_holds_the_same_results(quick_run: tuple[str, Any]) -> None:
    text, dump = quick_run
    assert set(dump) >= {"machine", "rows", "memory", "targets", "sizes", "results", "seconds"}
    assert all(label in text for label in dump["rows"])
    assert dump["machine"]["micrograd"] == "0.1.0"


def test_every_engine_computed_the_same_first_loss(quick_run: tuple[str, Any]) -> None:
    """The script refuses to time MLP workloads whose engines disagree; check it did compare."""
    _, dump = quick_run
    check = dump["results"]["check all on"]
    assert set(check) == {"demo", "digits ce", "digits mse"}
    assert set(check["demo"]) == {"ours-graph", "ours", "ours-replay", "micrograd", "torch"}
    assert set(check["digits mse"]) == {"ours", "ours-replay", "micrograd", "torch"}
    for losses in check.values():
        first = next(iter(losses.values()))
        assert all(loss == pytest.approx(first, rel=1e-9) for loss in losses.values())


def test_the_shared_weights_load_into_every_engines_model(bench: Any) -> None:
    """Cheap, in process: nn.MLP and micrograd's MLP take the same numbers in the same places."""
    from micrograd import nn as micrograd_nn

    import nn

    numbers = bench.mlp_numbers(3, [4, 2], scaled=True)
    ours, theirs = nn.MLP(3, [4, 2], seed=1), micrograd_nn.MLP(3, [4, 2])
    for model in (ours, theirs):
        bench.load_numbers(model, numbers)
    flat = [x for layer in numbers for ws, b in layer for x in (*ws, b)]
    assert [p.data for p in ours.parameters()] == flat
    assert [p.data for p in theirs.parameters()] == flat


def test_issue_3_targets_read_the_fine_grained_rows(bench: Any) -> None:
    labels = ["chain, 100,000 ops (forward, backward, free)",
              "dot, 100,000 terms as a chain of adds",
              "demo step, micrograd's graph: a node per * and + (100 points)",
              "dot, one n-ary node for ours (others: the chain of adds), 100,000 terms"]

    def cells(on: float, off: float) -> dict[str, float | None]:
        return {name: None for name in (*bench.COLUMNS, *bench.RATIOS)} | {
            "micrograd / ours": on, "micrograd / ours, both GC off": off}

    rows = {labels[0]: cells(4.5, 1.7), labels[1]: cells(4.1, 1.6), labels[2]: cells(9.0, 1.4),
            labels[3]: cells(1.0, 1.0)}  # the n-ary row is not one of issue 3's graphs
    mem = {"ours": {"chain": 100.0, "demo": 130.0, "rss_chain": 200.0},
           "micrograd": {"chain": 585.0, "demo": 480.0, "rss_chain": 1200.0}}
    targets = bench.evaluate_targets(rows, {"ours": [1e-6, 1.2e-6]}, mem, {"chain": [1, 2]})
    gc_on, gc_off, memory = targets[:3]
    assert gc_on[2] and "chain, 100,000 ops: 4.50x" in gc_on[1] and "n-ary" not in gc_on[1]
    assert not gc_off[2] and "demo step, micrograd's graph: a node per * and +: 1.40x" in gc_off[1]
    assert not memory[2] and memory[1] == "chain 0.17, demo 0.27"
