"""The benchmark script runs (tiny sizes, in process): it measures, it does not time the tests."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "bench_engine.py"


@pytest.fixture(scope="module")
def bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_engine", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    sys.setrecursionlimit(1000)  # micrograd's worker raises it


@pytest.mark.parametrize("engine", ["ours", "micrograd"])
@pytest.mark.parametrize("workload", ["chain", "dot", "demo step", "bytes/node"])
def test_every_workload_runs_on_both_engines(bench, engine: str, workload: str) -> None:  # type: ignore[no-untyped-def]
    result = bench.worker(engine, workload, True, {"chain": 200, "dot": 200, "repeats": 1})
    assert result and all(value > 0 for value in result.values())


def test_both_engines_compute_the_same_demo_loss(bench) -> None:  # type: ignore[no-untyped-def]
    from micrograd.engine import Value as TheirValue

    from autograd_core import Value

    X, y = bench.two_moons(20)
    losses = [bench.demo_step(V, bench.MLP(V, 2, [4, 4, 1]), X, y).data
              for V in (Value, TheirValue)]
    assert losses[0] == pytest.approx(losses[1], rel=1e-12)
