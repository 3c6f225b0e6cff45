"""The forward/reverse benchmark runs end to end (`--quick`) and both modes give the same
Jacobian. No timing is asserted."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import sys
from pathlib import Path

from .tables import table

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "bench_modes.py"


def test_a_quick_run_times_both_shapes_both_ways(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("bench_modes", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            module.main(["--quick", "--json", str(tmp_path / "run.json")])
    finally:
        del sys.modules[spec.name]
    rows = table(out.getvalue(), "shape")
    assert [(r[0], r[1], r[2]) for r in rows] == [("wide", "2", "10"), ("deep", "10", "1")]
    assert all(r[6] == "yes" and float(r[3]) > 0 and float(r[4]) > 0 for r in rows)
    dump = json.loads((tmp_path / "run.json").read_text())
    assert dump["n"] == 10 and all(row["equal"] for row in dump["rows"])
