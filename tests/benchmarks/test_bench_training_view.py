"""The training view benchmark runs end to end (`--quick`: no browser) and prints what it
promises. No timing is asserted: a slow or busy machine cannot fail these tests."""

from __future__ import annotations

import json
from pathlib import Path

from .tables import run_main, table


def test_a_quick_run_prints_every_row_and_the_targets(tmp_path: Path) -> None:
    text = run_main("bench_training_view", ["--quick", "--json", str(tmp_path / "run.json")])
    rows = table(text, "training")
    assert [row[0] for row in rows] == ["fit", "fit + view", "background + view"]
    assert all(float(row[1]) > 0 and float(row[3]) > 0 for row in rows)
    assert rows[0][3] == "1.00" and int(rows[1][4]) >= 2  # the first frame and the last
    targets = table(text, "target")
    assert targets[0][0] == "training with the view at most 2x slower"
    assert targets[1][1] == "not measured"  # --quick opens no browser
    dump = json.loads((tmp_path / "run.json").read_text())
    assert dump["epochs"] == 100 and dump["rows"]["fit + view"]["frames"] >= 2
