"""The CNN benchmark runs end to end (`--quick`) and prints its rows and target. No timing is
asserted."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import sys
from pathlib import Path

from .tables import table

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "bench_cnn.py"


def test_a_quick_run_prints_both_networks_and_the_target(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("bench_cnn", SCRIPT)
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
    rows = table(out.getvalue(), "network")
    assert [row[0] for row in rows] == ["CNN, ours (nn.fit, replay)", "CNN, PyTorch",
                                        "MLP 64-12-10, ours (nn.fit, replay)"]
    assert rows[0][1] == rows[1][1] == "810" and rows[2][1] == "910"
    assert table(out.getvalue(), "target")[0][0].startswith("our CNN's epoch within 3x")
    dump = json.loads((tmp_path / "run.json").read_text())
    assert dump["rows"]["CNN, ours (nn.fit, replay)"]["replayed"] is True
