"""The CNN benchmark runs end to end (`--quick`) and prints its rows and target. No timing is
asserted."""

from __future__ import annotations

import json
from pathlib import Path

from .tables import run_main, table


def test_a_quick_run_prints_both_networks_and_the_target(tmp_path: Path) -> None:
    text = run_main("bench_cnn", ["--quick", "--json", str(tmp_path / "run.json")])
    rows = table(text, "network")
    assert [row[0] for row in rows] == ["CNN, ours (nn.fit, replay)", "CNN, PyTorch",
                                        "MLP 64-12-10, ours (nn.fit, replay)"]
    assert rows[0][1] == rows[1][1] == "810" and rows[2][1] == "910"
    assert table(text, "target")[0][0].startswith("our CNN's epoch within 3x")
    dump = json.loads((tmp_path / "run.json").read_text())
    assert dump["rows"]["CNN, ours (nn.fit, replay)"]["replayed"] is True
