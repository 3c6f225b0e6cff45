"""Time and measure this engine next to micrograd, on the same graphs, in one run.

    .venv/bin/python benchmarks/bench_engine.py            # the full table (a few minutes)
    .venv/bin/python benchmarks/bench_engine.py --quick    # small sizes, a smoke run

Each (engine, workload, garbage-collector setting) runs in a fresh process of its own, because
micrograd's speed depends on the cyclic garbage collector and on what else the process holds.
Every workload is repeated and the median is reported. Ratios are micrograd's time divided by
ours: above 1 means this engine is faster.

Workloads (micrograd 0.1.0 has only + * ** relu, so the shared graphs use those):
- chain:      y = y * 0.999 + 0.001, repeated (two ops per step), then backward;
- dot:        w1*x1 + w2*x2 + ... as a chain of adds (the fine-grained graph), then backward;
              for this engine also `autograd_core.dot`, one n-ary node;
- demo step:  micrograd's demo: MLP(2, [16, 16, 1]) on 100 two-moons points, max-margin loss
              plus L2 regularisation, backward and an SGD update;
- bytes/node: memory held by a built graph (tracemalloc) divided by its number of nodes.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import platform
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

ENGINES = ("ours", "micrograd")


def value_class(engine: str) -> Any:
    if engine == "micrograd":
        from micrograd.engine import Value

        # micrograd's topological sort is recursive: deep graphs need a higher limit.
        sys.setrecursionlimit(1_000_000)
        return Value
    from autograd_core import Value

    return Value


# --- Workloads: written once, run with either engine's Value class ----------------------------

def chain(V: Any, n_ops: int) -> tuple[list[Any], Any]:
    x = V(0.5)
    y = x
    for _ in range(n_ops // 2):
        y = y * 0.999 + 0.001
    return [x], y


def dot_chain(V: Any, n_terms: int) -> tuple[list[Any], Any]:
    rng = random.Random(0)
    ws = [V(rng.uniform(-1, 1)) for _ in range(n_terms)]
    xs = [V(rng.uniform(-1, 1)) for _ in range(n_terms)]
    total = ws[0] * xs[0]
    for w, x in zip(ws[1:], xs[1:]):
        total = total + w * x
    return ws, total


def dot_nary(V: Any, n_terms: int) -> tuple[list[Any], Any]:
    import autograd_core

    rng = random.Random(0)
    ws = [V(rng.uniform(-1, 1)) for _ in range(n_terms)]
    xs = [V(rng.uniform(-1, 1)) for _ in range(n_terms)]
    return ws, autograd_core.dot(ws, xs)


class MLP:
    """micrograd.nn.MLP's structure, generic over the Value class (the same graph for both)."""

    def __init__(self, V: Any, n_inputs: int, layer_sizes: list[int], seed: int = 0) -> None:
        rng = random.Random(seed)
        sizes = [n_inputs, *layer_sizes]
        last = len(layer_sizes) - 1
        self.layers = [[([V(rng.uniform(-1, 1)) for _ in range(n_in)], V(0.0), i != last)
                        for _ in range(n_out)]
                       for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:]))]

    def __call__(self, x: list[Any]) -> Any:
        for layer in self.layers:
            outputs = []
            for w, b, nonlinear in layer:
                act = sum((wi * xi for wi, xi in zip(w, x)), b)
                outputs.append(act.relu() if nonlinear else act)
            x = outputs
        return x[0]

    def parameters(self) -> list[Any]:
        return [p for layer in self.layers for w, b, _ in layer for p in (*w, b)]


def two_moons(n: int, noise: float = 0.1, seed: int = 0) -> tuple[list[list[float]], list[int]]:
    rng = random.Random(seed)
    half = n // 2
    points, labels = [], []
    for i in range(n):
        t = math.pi * (i % half) / (half - 1)
        if i < half:
            x, y, label = math.cos(t), math.sin(t), -1
        else:
            x, y, label = 1 - math.cos(t), 0.5 - math.sin(t), 1
        points.append([x + rng.gauss(0, noise), y + rng.gauss(0, noise)])
        labels.append(label)
    return points, labels


def demo_step(V: Any, model: MLP, X: list[list[float]], y: list[int]) -> Any:
    """One step of micrograd's demo: forward, max-margin loss + L2, backward, SGD update."""
    inputs = [list(map(V, row)) for row in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    total = data_loss + reg_loss
    for p in model.parameters():
        p.grad = 0.0
    total.backward()
    for p in model.parameters():
        p.data -= 0.05 * p.grad
    return total


# --- Measuring --------------------------------------------------------------------------------

def timed(run: Callable[[], Any], repeats: int) -> dict[str, float]:
    """Median seconds of build, backward, free and all three, over `repeats` runs."""
    phases: dict[str, list[float]] = {"build": [], "backward": [], "free": [], "total": []}
    for _ in range(repeats):
        t0 = time.perf_counter()
        leaves, out = run()
        t1 = time.perf_counter()
        out.backward()
        t2 = time.perf_counter()
        del leaves, out
        t3 = time.perf_counter()
        for name, seconds in zip(phases, (t1 - t0, t2 - t1, t3 - t2, t3 - t0)):
            phases[name].append(seconds)
    return {name: statistics.median(values) for name, values in phases.items()}


def bytes_per_node(V: Any, build: Callable[[], tuple[list[Any], Any]]) -> float:
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    _, out = build()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    nodes: set[int] = set()
    stack = [out]
    while stack:  # count nodes without either engine's sort
        node = stack.pop()
        if id(node) not in nodes:
            nodes.add(id(node))
            stack.extend(getattr(node, "parents", None) or getattr(node, "_prev", ()))
    return held / len(nodes)


def worker(engine: str, workload: str, gc_on: bool, sizes: dict[str, int]) -> dict[str, Any]:
    V = value_class(engine)
    if not gc_on:
        gc.disable()
    repeats = sizes["repeats"]
    if workload == "chain":
        return timed(lambda: chain(V, sizes["chain"]), repeats)
    if workload == "dot":
        return timed(lambda: dot_chain(V, sizes["dot"]), repeats)
    if workload == "dot (one n-ary node)":
        return timed(lambda: dot_nary(V, sizes["dot"]), repeats)
    if workload == "demo step":
        X, y = two_moons(100)
        model = MLP(V, 2, [16, 16, 1])
        demo_step(V, model, X, y)  # warm-up
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            demo_step(V, model, X, y)
            times.append(time.perf_counter() - t0)
        return {"total": statistics.median(times)}
    if workload == "bytes/node":
        return {"chain": bytes_per_node(V, lambda: chain(V, 10_000)),
                "demo": bytes_per_node(V, lambda: _demo_graph(V))}
    raise ValueError(f"unknown workload {workload!r}")


def _demo_graph(V: Any) -> tuple[list[Any], Any]:
    X, y = two_moons(100)
    model = MLP(V, 2, [16, 16, 1])
    scores = [model(list(map(V, row))) for row in X]
    return model.parameters(), sum((1 + -yi * si).relu() for yi, si in zip(y, scores))


def measure(engine: str, workload: str, gc_on: bool, sizes: dict[str, int]) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter and return what it printed."""
    spec = json.dumps({"engine": engine, "workload": workload, "gc_on": gc_on, "sizes": sizes})
    result = subprocess.run([sys.executable, __file__, "--worker", spec], capture_output=True,
                            text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{engine} / {workload} failed:\n{result.stderr}")
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms" if seconds >= 1e-3 else f"{seconds * 1e6:.0f} us"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        spec = json.loads(args.worker)
        print(json.dumps(worker(spec["engine"], spec["workload"], spec["gc_on"], spec["sizes"])))
        return

    sizes = ({"chain": 2_000, "dot": 2_000, "repeats": 3} if args.quick
             else {"chain": 100_000, "dot": 100_000, "repeats": 7})
    print(f"# {platform.python_implementation()} {platform.python_version()} on "
          f"{platform.machine()}, {platform.processor() or 'unknown cpu'}; "
          f"chain {sizes['chain']:,} ops, dot {sizes['dot']:,} terms, median of "
          f"{sizes['repeats']} runs\n")
    print("| workload (build + backward + free) | ours, GC on | ours, GC off | micrograd, GC on | "
          "micrograd, GC off | speed-up vs micrograd GC on | vs micrograd GC off |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for workload in ("chain", "dot", "dot (one n-ary node)", "demo step"):
        ours = measure("ours", workload, True, sizes)["total"]
        ours_off = measure("ours", workload, False, sizes)["total"]
        if workload == "dot (one n-ary node)":
            theirs_on = measure("micrograd", "dot", True, sizes)["total"]
            theirs_off = measure("micrograd", "dot", False, sizes)["total"]
        else:
            theirs_on = measure("micrograd", workload, True, sizes)["total"]
            theirs_off = measure("micrograd", workload, False, sizes)["total"]
        print(f"| {workload} | {ms(ours)} | {ms(ours_off)} | {ms(theirs_on)} | {ms(theirs_off)} | "
              f"{theirs_on / ours:.1f}x | {theirs_off / ours:.1f}x |")

    print("\n| phase (GC on) | ours chain | micrograd chain | ours dot | micrograd dot |")
    print("| --- | --- | --- | --- | --- |")
    phases = {(engine, workload): measure(engine, workload, True, sizes)
              for engine in ENGINES for workload in ("chain", "dot")}
    for phase in ("build", "backward", "free"):
        cells = [ms(phases[(engine, workload)][phase])
                 for workload in ("chain", "dot") for engine in ENGINES]
        print(f"| {phase} | {cells[0]} | {cells[1]} | {cells[2]} | {cells[3]} |")

    ours_mem = measure("ours", "bytes/node", True, sizes)
    theirs_mem = measure("micrograd", "bytes/node", True, sizes)
    print("\n| bytes per node | ours | micrograd | ours / micrograd |")
    print("| --- | --- | --- | --- |")
    for graph in ("chain", "demo"):
        print(f"| {graph} graph | {ours_mem[graph]:.0f} | {theirs_mem[graph]:.0f} | "
              f"{ours_mem[graph] / theirs_mem[graph]:.2f} |")


if __name__ == "__main__":
    main()
