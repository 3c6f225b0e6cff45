"""The player benchmark runs end to end (`--quick`, in process) and prints what it promises.

Only the shape of the output and the sanity of its numbers are checked: tables present, page
bytes above zero, a finite growth exponent, the JSON dump. No timing is asserted, so a slow or
busy machine cannot fail these tests; --quick builds only the tiny graphs, once each.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import math
import sys
from pathlib import Path
from typing import Any

import pytest

import viz

from .tables import table

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "bench_player.py"



@pytest.fixture(scope="module")
def bench() -> Any:
    spec = importlib.util.spec_from_file_location("bench_player", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


@pytest.fixture(scope="module")
def quick_run(bench: Any, tmp_path_factory: pytest.TempPathFactory
              ) -> tuple[str, dict[str, Any]]:
    """One --quick run: its printed tables and its --json dump."""
    dump = tmp_path_factory.mktemp("bench") / "quick.json"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        bench.main(["--quick", "--json", str(dump)])
    return out.getvalue(), json.loads(dump.read_text())


def _number(cell: str) -> float:
    value = float(cell.replace(",", ""))
    assert math.isfinite(value), cell
    return value


def test_quick_runs_only_the_tiny_graphs_and_every_row_has_sane_numbers(
        bench: Any, quick_run: tuple[str, dict[str, Any]]) -> None:
    text, _ = quick_run
    assert text.splitlines()[0].startswith("Machine: ")
    assert "renderer: " in text.splitlines()[0]
    rows = table(text, "graph (hinge loss, one sample)")
    assert [row[0] for row in rows] == [case.label for case in bench.CASES if case.quick]
    assert len(rows) >= 2
    for row in rows:
        assert len(row) == 9, row
        nodes, options, frames, page_bytes = row[1], row[2], row[3], row[4]
        assert _number(nodes) > 0
        assert options == "defaults"  # tiny graphs are never refused
        assert _number(frames) > 0
        assert _number(page_bytes) > 0
        assert all(_number(cell) >= 0 for cell in row[5:]), row
    sizes = [_number(row[1]) for row in rows]
    assert sizes == sorted(sizes) and len(set(sizes)) == len(sizes)


def test_the_growth_and_target_tables(quick_run: tuple[str, dict[str, Any]]) -> None:
    text, _ = quick_run
    growth = {row[0]: row for row in table(text, "growth with nodes")}
    exponent = _number(growth["page bytes"][1])
    assert 0 < exponent < 3  # finite and of a plausible size; the target is not asserted
    assert growth["page bytes"][2].startswith("3")
    targets = table(text, "target")
    assert len(targets) == 3
    assert all(row[2] in ("yes", "no", "—") for row in targets)
    # --quick builds no demo network: its targets say so rather than guess.
    assert [row[2] for row in targets[:2]] == ["—", "—"]
    assert "exponent at most 1.15" in targets[2][0] and targets[2][2] in ("yes", "no")


def test_the_json_dump_holds_every_number(quick_run: tuple[str, dict[str, Any]]) -> None:
    text, dump = quick_run
    assert set(dump) >= {"machine", "settings", "cases", "growth", "targets", "seconds"}
    assert dump["settings"]["quick"] and dump["settings"]["repeats"] == 1
    for case in dump["cases"]:
        assert case["label"] in text
        default = case["attempts"][0]
        assert default["options"] == {} and default["refused"] is None
        assert default["bytes"] > 0 and default["frames"] > 0 and default["build_s"] > 0
    assert math.isfinite(dump["growth"]["bytes_exponent"])


def test_the_slope_of_a_power_law(bench: Any) -> None:
    xs = [10, 30, 100, 1000]
    assert bench.log_slope(xs, [5 * x ** 1.5 for x in xs]) == pytest.approx(1.5)
    assert bench.log_slope([10], [3]) is None
    assert bench.log_slope([10, 10], [3, 4]) is None


def test_limits_are_read_from_the_players_signature(bench: Any) -> None:
    def player(root: Any, *, view: str = "both", max_nodes: int = 2000, max_frames: int = 50,
               max_open: bool = True) -> None:
        """A stand-in: only its keyword options matter."""

    assert bench.limit_options(player) == {"max_nodes": 2000, "max_frames": 50}
    assert bench.raised({"max_nodes": 2000, "max_frames": 50}, nodes=1000) == {
        "max_nodes": 100_000, "max_frames": 100_000}
    assert "max_nodes" in bench.limit_options()  # today's viz.step_through


def test_a_refused_graph_is_reported_and_retried_with_raised_limits(bench: Any) -> None:
    class Player:
        frames = (1, 2, 3)

        def html(self) -> str:
            return "<div>é</div>"

    def player(root: Any, *, max_nodes: int = 5) -> Player:
        if max_nodes < 100:
            raise viz.GraphTooLarge(f"more than max_nodes={max_nodes}")
        return Player()

    neuron = next(case for case in bench.CASES if case.key == "neuron")
    result = bench.measure(neuron, 1, factory=player)
    refused, retried = result["attempts"]
    assert refused["options"] == {} and refused["refused"] == "more than max_nodes=5"
    assert retried["options"] == {"max_nodes": 100 * result["nodes"]}
    assert retried["refused"] is None and retried["frames"] == 3 and retried["bytes"] == 13

    demo = {**result, "key": bench.DEMO}
    fit = bench.growth([demo])
    assert fit["points"] == 1 and fit["bytes_exponent"] is None
    page, seconds, linear = bench.evaluate_targets([demo], fit)
    assert page[2] is False and "refused with the default options" in page[1]
    assert seconds[2] is False and linear[2] is None

    lines, _, _ = bench.report([demo], bench.machine(), 1)
    assert any("| refused (below) |" in line for line in lines)
    assert any(line.endswith(": more than max_nodes=5") for line in lines)
