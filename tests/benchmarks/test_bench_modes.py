"""The forward/reverse benchmark runs end to end (`--quick`) and both modes give the same
Jacobian. No timing is asserted."""

from __future__ import annotations

import json
from pathlib import Path

from .tables import run_main, table


def test_a_quick_run_times_both_shapes_both_ways(tmp_path: Path) -> None:
    text = run_main("bench_modes", ["--quick", "--json", str(tmp_path / "run.json")])
    rows = table(text, "shape")
    assert [(r[0], r[1], r[2]) for r in rows] == [("wide", "2", "10"), ("deep", "10", "1")]
    assert all(r[6] == "yes" and float(r[3]) > 0 and float(r[4]) > 0 for r in rows)
    dump = json.loads((tmp_path / "run.json").read_text())
    assert dump["n"] == 10 and all(row["equal"] for row in dump["rows"])
