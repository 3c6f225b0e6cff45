"""Time this engine next to micrograd and PyTorch on the same graphs and data, in one run (issue 8).

    .venv/bin/python benchmarks/bench_engine.py                 # the full tables (several minutes)
    .venv/bin/python benchmarks/bench_engine.py --quick         # small sizes: a smoke run
    .venv/bin/python benchmarks/bench_engine.py --json out.json # also write every number as JSON

One command measures everything and prints Markdown tables: medians in milliseconds, ratios,
the machine it ran on, and which of the targets of issues 3 and 8 are met. Each (engine,
workload, garbage collector setting) runs in a fresh interpreter of its own, because
micrograd's speed depends on the cyclic garbage collector and on what else the process
imported. Every timing is the median of several repeats (the training steps and drawings
after one untimed warm-up).
A run that crashes or times out is reported as "fails" for micrograd and torch on the chains
(deep graphs); anywhere else it stops the suite.

Engines:
- ours:        this engine's scalar path (one graph per sample, `Value.backward`), with the
               garbage collector on and off;
- ours-replay: batched replay, `autograd_core.trace`: the graph of one sample recorded once and
               run over a whole batch with numpy;
- micrograd:   micrograd 0.1.0 from PyPI, with the garbage collector on and off;
- torch:       PyTorch on the CPU in float64, one thread (`torch.set_num_threads(1)`): 0-d
               tensors for the scalar workloads, batched tensors for the MLPs.

Workloads (micrograd 0.1.0 has only + - * / ** relu, so the shared graphs use those):
- chain:       y = y * 0.999 + 0.001 repeated (two ops per step) from one leaf, then backward and
               freeing the graph; at 10^4, 10^5 and 10^6 ops to show the cost per op is flat;
- dot:         w1*x1 + w2*x2 + ... as a chain of adds (the fine-grained graph), 10^5 terms,
               forward, backward, free; for this engine also `autograd_core.dot`, one n-ary node;
- demo step:   micrograd's demo: MLP(2, [16, 16, 1]) on 100 two-moons points, max-margin loss
               plus 1e-4 * L2, backward and an SGD update (lr 0.05). Twice for this engine: on
               micrograd's own graph (one node per * and +), and as `nn.MLP` (one dot node per
               neuron) on the scalar path and with batched replay; torch runs Linear(2, 16)
               ReLU Linear(16, 16) ReLU Linear(16, 1) on the whole batch;
- digits epoch: 1,797 8x8 digits (pixels / 16; nn.data.digits()'s file, read here so that
               micrograd's process imports no nn), MLP 64 -> 32 (relu) -> 10 with weights
               uniform in +-1/sqrt(fan-in), SGD lr 0.1, batches of 32 in one fixed shuffled
               order; forward, backward and update for every batch.
               With mean cross-entropy (ours: `logsumexp(z) - dot(onehot, z)`, torch:
               `F.cross_entropy`) and, because micrograd has no exp or log, with MSE against the
               one-hot target (mean over samples and classes) for all four engines. The scalar
               engines run a few batches, scaled to the epoch by the number of samples;
- bytes/node:  memory held by a built graph (tracemalloc) divided by its number of nodes; and
               the growth of the resident set per op of a chain, which also sees PyTorch's C++
               allocations (tracemalloc cannot);
- draw:        a 1,001-node chain graph (250 steps) after backward, as DOT text and rendered to
               SVG: ours with `viz.draw` + `viz.render`, micrograd with the `draw_dot` of its
               lecture notebook (reimplemented below), both rendered by the same Graphviz `dot`
               (system Graphviz if installed, else the graphviz-pure package).

All engines start from the same weights (drawn once here, copied into each engine's model) and
see the same data. Before timing, a check process runs one step of every MLP workload on every
engine and requires the first batch's loss to agree to 1e-9 (relative); every timing process
reports its own first loss too, and the two must match.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DIGITS_FILE = ROOT / "nn" / "datasets" / "digits.csv.gz"
LOSS_RTOL = 1e-9
DEMO_LR, DIGITS_LR, L2 = 0.05, 0.1, 1e-4

# The workloads' sizes. --quick keeps every workload but shrinks it (fewer demo points, smaller
# digits batches), to check that everything runs, not to time it.
FULL = {"chain": [10_000, 100_000, 1_000_000], "dot": 100_000, "repeats": 7, "big_repeats": 3,
        "demo_points": 100, "digits_samples": 1797, "batch": 32, "scalar_batches": 4,
        "epoch_repeats": 5, "draw_steps": 250, "bytes_chain": 10_000, "rss_chain": 100_000,
        "timeout": 1800}
QUICK = {"chain": [1_000, 2_000, 4_000], "dot": 2_000, "repeats": 2, "big_repeats": 1,
         "demo_points": 30, "digits_samples": 24, "batch": 8, "scalar_batches": 1,
         "epoch_repeats": 1, "draw_steps": 25, "bytes_chain": 1_000, "rss_chain": 5_000,
         "timeout": 300}


# --- Engines --------------------------------------------------------------------------------------

def value_class(engine: str, depth: int = 0) -> Any:
    """A function number -> leaf node of `engine` (a Value class, or a 0-d tensor maker)."""
    if engine == "micrograd":
        from micrograd.engine import Value

        # micrograd's topological sort is recursive: deep graphs need a higher limit.
        sys.setrecursionlimit(max(1_000_000, 2 * depth + 10_000))
        return Value
    if engine == "torch":
        import torch

        torch.set_num_threads(1)

        def tensor(x: float) -> Any:
            return torch.tensor(x, dtype=torch.float64, requires_grad=True)

        return tensor
    from autograd_core import Value

    return Value


# --- Workloads: written once, run with any engine's leaf maker ------------------------------------

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


Numbers = list[list[tuple[list[float], float]]]  # layers -> neurons -> (weights, bias)


def mlp_numbers(n_inputs: int, layer_sizes: list[int], seed: int = 0,
                scaled: bool = False) -> Numbers:
    """Initial weights, uniform in [-1, 1] as micrograd draws them (divided by sqrt(fan-in) if
    `scaled`), biases 0: every engine's model is loaded with these numbers."""
    rng = random.Random(seed)
    sizes = [n_inputs, *layer_sizes]
    layers = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        scale = 1 / math.sqrt(n_in) if scaled else 1.0
        layers.append([([rng.uniform(-1, 1) * scale for _ in range(n_in)], 0.0)
                       for _ in range(n_out)])
    return layers


class MLP:
    """micrograd.nn.MLP's graph (one node per * and +), generic over the Value class."""

    def __init__(self, V: Any, numbers: Numbers) -> None:
        last = len(numbers) - 1
        self.layers = [[([V(w) for w in ws], V(b), i != last) for ws, b in layer]
                       for i, layer in enumerate(numbers)]

    def __call__(self, x: list[Any]) -> list[Any]:
        for layer in self.layers:
            outputs = []
            for w, b, nonlinear in layer:
                act = sum((wi * xi for wi, xi in zip(w, x)), b)
                outputs.append(act.relu() if nonlinear else act)
            x = outputs
        return x

    def parameters(self) -> list[Any]:
        return [p for layer in self.layers for w, b, _ in layer for p in (*w, b)]


def load_numbers(model: Any, numbers: Numbers) -> None:
    """Copy weights into nn.MLP or micrograd.nn.MLP (both: .layers[i].neurons[j].w / .b)."""
    for layer, layer_numbers in zip(model.layers, numbers):
        for neuron, (ws, b) in zip(layer.neurons, layer_numbers):
            for p, w in zip(neuron.w, ws):
                p.data = w
            neuron.b.data = b


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


def digits_data(n_samples: int = 1797) -> tuple[list[list[float]], list[int]]:
    """nn.data.digits(), read straight from its file so micrograd's process imports no nn,
    pixels scaled to [0, 1], in one fixed shuffled order."""
    rows = [row.split(",") for row in gzip.decompress(DIGITS_FILE.read_bytes()).decode().split()]
    order = list(range(len(rows)))
    random.Random(0).shuffle(order)
    chosen = [rows[i] for i in order[:n_samples]]
    return [[float(v) / 16 for v in row[:64]] for row in chosen], [int(row[64]) for row in chosen]


def demo_step(V: Any, model: Any, X: list[list[float]], y: list[int]) -> Any:
    """One step of micrograd's demo: forward, max-margin loss + L2, backward, SGD update."""
    inputs = [list(map(V, row)) for row in X]
    scores = [model(x)[0] for x in inputs]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = L2 * sum(p * p for p in model.parameters())
    total = data_loss + reg_loss
    zero_grad(model.parameters())
    total.backward()
    sgd(model.parameters(), DEMO_LR)
    return total


# --- Training steps: one per (engine, task), each returning the loss before its update ------------
#
# make_trainer returns (prepare, step): prepare turns a batch of plain lists into what the engine
# takes (not timed: data loading is not the engine's work), step does forward, backward and SGD.

Step = tuple[Callable[[list[list[float]], list[int]], Any], Callable[[Any], float]]


def make_trainer(engine: str, task: str, loss: str = "") -> Step:
    if task == "demo":
        numbers, lr, n_in = mlp_numbers(2, [16, 16, 1]), DEMO_LR, 2
    else:
        numbers, lr, n_in = mlp_numbers(64, [32, 10], scaled=True), DIGITS_LR, 64
    if engine == "ours-graph":  # micrograd's graph, built with this engine's Value
        V = value_class("ours")
        graph_model = MLP(V, numbers)
        return (lambda X, y: (X, y)), (lambda batch: demo_step(V, graph_model, *batch).data)
    if engine == "micrograd":
        return _micrograd_trainer(task, loss, numbers, lr)
    if engine == "torch":
        return _torch_trainer(task, loss, numbers, lr)
    return _ours_trainer(engine, task, loss, numbers, lr, n_in)


def zero_grad(params: list[Any]) -> None:
    for p in params:
        p.grad = 0.0


def sgd(params: list[Any], lr: float) -> None:
    """The plain update micrograd's demo writes out: every engine's trainer uses it."""
    for p in params:
        p.data -= lr * p.grad


def _ours_trainer(engine: str, task: str, loss: str, numbers: Numbers, lr: float,
                  n_in: int) -> Step:
    import numpy as np

    import autograd_core as ag
    import nn

    model = nn.MLP(n_in, [16, 16, 1] if task == "demo" else [32, 10], seed=0)
    load_numbers(model, numbers)
    params = model.parameters()

    def per_sample(*inputs: Any) -> Any:
        """One sample's loss; for the demo it includes the L2 penalty (once per batch in the
        mean, since every sample carries the same penalty)."""
        if task == "demo":
            x0, x1, yi = inputs
            return (1 - yi * model([x0, x1])[0]).relu() + nn.losses.l2_penalty(params, L2)
        logits, target = model(list(inputs[:64])), list(inputs[64:])
        if loss == "ce":
            return ag.logsumexp(logits) - ag.dot(target, logits)
        return ag.sum([(z - t) ** 2 for z, t in zip(logits, target)]) * 0.1

    def prepare(X: list[list[float]], y: list[int]) -> Any:
        targets = [[float(yi)] for yi in y] if task == "demo" else [
            [float(k == yi) for k in range(10)] for yi in y]
        rows = [[*x, *t] for x, t in zip(X, targets)]
        return np.array(rows) if engine == "ours-replay" else rows

    if engine == "ours-replay":
        replay = ag.trace(per_sample, n_in + (1 if task == "demo" else 10))

        def replay_step(batch: Any) -> float:
            losses = replay(batch)
            zero_grad(params)
            replay.backward(np.full(len(batch), 1.0 / len(batch)))
            sgd(params, lr)
            return float(losses.mean())

        return prepare, replay_step

    def scalar_step(rows: Any) -> float:
        if task == "demo":  # the penalty once, not once per sample
            data_loss = ag.sum([(1 - yi * model([x0, x1])[0]).relu() for x0, x1, yi in rows])
            total = data_loss * (1.0 / len(rows)) + nn.losses.l2_penalty(params, L2)
        else:
            total = ag.sum([per_sample(*row) for row in rows]) * (1.0 / len(rows))
        zero_grad(params)
        total.backward()
        sgd(params, lr)
        return float(total.data)

    return prepare, scalar_step


def _micrograd_trainer(task: str, loss: str, numbers: Numbers, lr: float) -> Step:
    from micrograd import nn as mnn
    from micrograd.engine import Value

    model = mnn.MLP(len(numbers[0][0][0]), [len(layer) for layer in numbers])
    load_numbers(model, numbers)
    if task == "demo":
        return (lambda X, y: (X, y)), (lambda batch: demo_step(Value, _Listed(model), *batch).data)
    if loss != "mse":
        raise ValueError("micrograd 0.1.0 has no exp or log: only the MSE digits task")
    params = model.parameters()

    def step(batch: Any) -> float:
        X, y = batch
        losses = []
        for x, yi in zip(X, y):
            logits = model(list(map(Value, x)))
            losses.append(sum((z - float(k == yi)) ** 2 for k, z in enumerate(logits)) * 0.1)
        total = sum(losses) * (1.0 / len(losses))
        zero_grad(params)
        total.backward()
        sgd(params, lr)
        return float(total.data)

    return (lambda X, y: (X, y)), step


class _Listed:
    """micrograd.nn.MLP returns a bare Value for one output: demo_step wants a list."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def __call__(self, x: list[Any]) -> list[Any]:
        out = self.model(x)
        return out if isinstance(out, list) else [out]

    def parameters(self) -> list[Any]:
        return self.model.parameters()  # type: ignore[no-any-return]


def _torch_trainer(task: str, loss: str, numbers: Numbers, lr: float) -> Step:
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(1)
    layers: list[Any] = []
    for i, layer in enumerate(numbers):
        linear = torch.nn.Linear(len(layer[0][0]), len(layer), dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor([ws for ws, _ in layer], dtype=torch.float64))
            linear.bias.copy_(torch.tensor([b for _, b in layer], dtype=torch.float64))
        layers.append(linear)
        if i != len(numbers) - 1:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    params = list(model.parameters())

    def prepare(X: list[list[float]], y: list[int]) -> Any:
        inputs = torch.tensor(X, dtype=torch.float64)
        if task == "demo":
            return inputs, torch.tensor(y, dtype=torch.float64)
        labels = torch.tensor(y, dtype=torch.long)
        return inputs, labels, F.one_hot(labels, 10).to(torch.float64)

    def step(batch: Any) -> float:
        out = model(batch[0])
        if task == "demo":
            total = (torch.relu(1 - batch[1] * out[:, 0]).mean()
                     + L2 * sum((p * p).sum() for p in params))
        elif loss == "ce":
            total = F.cross_entropy(out, batch[1])
        else:
            total = ((out - batch[2]) ** 2).mean()
        for p in params:
            p.grad = None
        total.backward()
        with torch.no_grad():
            for p in params:
                p.sub_(lr * p.grad)
        return total.item()

    return prepare, step


TASK_ENGINES = {  # which engines run each MLP workload
    ("demo", ""): ("ours-graph", "ours", "ours-replay", "micrograd", "torch"),
    ("digits", "ce"): ("ours", "ours-replay", "torch"),
    ("digits", "mse"): ("ours", "ours-replay", "micrograd", "torch"),
}
SCALAR_ENGINES = ("ours-graph", "ours", "micrograd")


def task_batches(task: str, sizes: dict[str, Any]
                 ) -> tuple[int, list[tuple[list[list[float]], list[int]]]]:
    """The number of samples, and the batches: the demo step takes all its points at once."""
    if task == "demo":
        X, y = two_moons(sizes["demo_points"])
        return len(X), [(X, y)]
    X, y = digits_data(sizes["digits_samples"])
    size = sizes["batch"]
    return len(X), [(X[i:i + size], y[i:i + size]) for i in range(0, len(X), size)]


def check_same_losses(sizes: dict[str, Any]) -> dict[str, dict[str, float]]:
    """One step of every MLP workload on every engine, in this process: the first batch's loss
    must agree to LOSS_RTOL, so the timed work is the same computation everywhere."""
    import nn

    X, y = digits_data()
    X_nn, y_nn = nn.data.digits()
    if sorted(map(tuple, X)) != sorted(tuple(v / 16 for v in x) for x in X_nn) or \
            sorted(y) != sorted(y_nn):
        raise AssertionError("digits_data() does not hold nn.data.digits()'s samples")
    report: dict[str, dict[str, float]] = {}
    for (task, loss), engines in TASK_ENGINES.items():
        first = task_batches(task, sizes)[1][0]
        losses = {}
        for engine in engines:
            prepare, step = make_trainer(engine, task, loss)
            losses[engine] = step(prepare(*first))
        reference = losses["ours-replay"]
        for engine, value in losses.items():
            if not math.isclose(value, reference, rel_tol=LOSS_RTOL):
                raise AssertionError(f"{task} {loss}: first-batch loss of {engine} is {value!r}, "
                                     f"ours-replay's is {reference!r}")
        report[f"{task} {loss}".strip()] = losses
    return report


# --- Measuring ------------------------------------------------------------------------------------

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


def count_nodes(out: Any) -> int:
    nodes: set[int] = set()
    stack = [out]
    while stack:  # count nodes without either engine's sort
        node = stack.pop()
        if id(node) not in nodes:
            nodes.add(id(node))
            stack.extend(getattr(node, "parents", None) or getattr(node, "_prev", ()))
    return len(nodes)


def bytes_per_node(build: Callable[[], tuple[list[Any], Any]]) -> float:
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    _, out = build()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return held / count_nodes(out)


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def rss_per_op(V: Any, n_ops: int) -> float:
    """Growth of the resident set while a chain of n_ops is built, per op."""
    chain(V, 100)  # warm up lazy imports, but do not grow the heap: freed memory is reused
    gc.collect()
    before = resident_bytes()
    graph = chain(V, n_ops)
    grown = resident_bytes() - before
    del graph
    return grown / n_ops


def _demo_graph(V: Any) -> tuple[list[Any], Any]:
    X, y = two_moons(100)
    model = MLP(V, mlp_numbers(2, [16, 16, 1]))
    scores = [model(list(map(V, row)))[0] for row in X]
    return model.parameters(), sum((1 + -yi * si).relu() for yi, si in zip(y, scores))


def draw_dot(root: Any) -> Any:
    """micrograd's `draw_dot`, from Andrej Karpathy's micrograd/trace_graph.ipynb (MIT licence):
    one record node per Value (data | grad), one node per op, edges operand -> op -> result."""
    from graphviz import Digraph

    nodes, edges = set(), set()

    def build(v: Any) -> None:
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)

    build(root)
    dot = Digraph(format="svg", graph_attr={"rankdir": "LR"})
    for n in nodes:
        uid = str(id(n))
        dot.node(name=uid, label=f"{{ data {n.data:.4f} | grad {n.grad:.4f} }}", shape="record")
        if n._op:
            dot.node(name=uid + n._op, label=n._op)
            dot.edge(uid + n._op, uid)
    for n1, n2 in edges:
        dot.edge(str(id(n1)), str(id(n2)) + n2._op)
    return dot


def draw_worker(engine: str, steps: int, renderer: str, repeats: int) -> dict[str, Any]:
    V = value_class(engine)
    _, out = chain(V, 2 * steps)
    out.backward()
    if engine == "micrograd":
        def dot_text() -> str:
            return str(draw_dot(out).source)

        def render(source: str) -> bytes:  # the same executable viz.render would run
            return subprocess.run([renderer, "-Tsvg"], input=source.encode(),
                                  capture_output=True, check=True).stdout
    else:
        import viz

        def dot_text() -> str:
            return str(viz.draw(out, max_nodes=100_000, collapse=None).source)

        def render(source: str) -> bytes:
            return viz.render(source, format="svg")  # type: ignore[no-any-return]

    render(dot_text())  # warm-up
    dot_times, total_times = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        source = dot_text()
        t1 = time.perf_counter()
        svg = render(source)
        t2 = time.perf_counter()
        if b"<svg" not in svg:
            raise RuntimeError(f"{engine}: the renderer gave no SVG")
        dot_times.append(t1 - t0)
        total_times.append(t2 - t0)
    return {"dot": statistics.median(dot_times), "total": statistics.median(total_times),
            "nodes": count_nodes(out)}


def train_worker(engine: str, task: str, loss: str, sizes: dict[str, Any]) -> dict[str, Any]:
    n_samples, batches = task_batches(task, sizes)
    prepare, step = make_trainer(engine, task, loss)
    prepared = [prepare(*batch) for batch in batches]
    first_loss = step(prepared[0])  # warm-up (records the replay's graph); the first loss
    scalar = engine in SCALAR_ENGINES and task == "digits"
    todo = prepared[:sizes["scalar_batches"]] if scalar else prepared
    timed_samples = sum(len(b[0]) for b in batches[:len(todo)])
    repeats = sizes["repeats"] if task == "demo" else sizes["epoch_repeats"]
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for batch in todo:
            step(batch)
        times.append(time.perf_counter() - t0)
    return {"total": statistics.median(times) * n_samples / timed_samples,
            "first_loss": first_loss, "timed_samples": timed_samples, "samples": n_samples}


def worker(spec: dict[str, Any]) -> dict[str, Any]:
    engine, workload, sizes = spec["engine"], spec["workload"], spec["sizes"]
    if workload == "check":
        return check_same_losses(sizes)
    if workload in ("demo", "digits ce", "digits mse"):
        task, _, loss = workload.partition(" ")
        if not spec["gc_on"]:
            gc.disable()
        return train_worker(engine, task, loss, sizes)
    if workload == "draw":
        return draw_worker(engine, sizes["draw_steps"], spec["renderer"], sizes["repeats"])
    n = spec.get("n", 0)
    V = value_class(engine, depth=n)
    if workload == "bytes":
        result = {"rss_chain": rss_per_op(V, sizes["rss_chain"])}
        if engine != "torch":  # tracemalloc does not see PyTorch's C++ allocations
            result["chain"] = bytes_per_node(lambda: chain(V, sizes["bytes_chain"]))
            result["demo"] = bytes_per_node(lambda: _demo_graph(V))
        return result
    if not spec["gc_on"]:
        gc.disable()
    repeats = spec["repeats"]
    if workload == "chain":
        return timed(lambda: chain(V, n), repeats)
    if workload == "dot":
        return timed(lambda: dot_chain(V, n), repeats)
    if workload == "dot n-ary":
        return timed(lambda: dot_nary(V, n), repeats)
    raise ValueError(f"unknown workload {workload!r}")


def measure(spec: dict[str, Any], may_fail: bool = False) -> dict[str, Any] | None:
    """Run one measurement in a fresh interpreter and return what it printed (None: it failed,
    which only `may_fail` measurements are allowed to do)."""
    label = f"{spec['engine']} / {spec['workload']} {spec.get('n', '')}".strip()
    print(f"  measuring {label}{'' if spec.get('gc_on', True) else ' (GC off)'} ...",
          file=sys.stderr, flush=True)
    try:
        result = subprocess.run([sys.executable, __file__, "--worker", json.dumps(spec)],
                                capture_output=True, text=True, check=False,
                                timeout=spec["sizes"]["timeout"])
    except subprocess.TimeoutExpired:
        if may_fail:
            return None
        raise RuntimeError(f"{label} took longer than {spec['sizes']['timeout']} s") from None
    if result.returncode != 0:
        if may_fail:
            last = (result.stderr.strip().splitlines() or [""])[-1]
            print(f"  {label} failed (exit {result.returncode}): {last}", file=sys.stderr)
            return None
        raise RuntimeError(f"{label} failed:\n{result.stderr}")
    return json.loads(result.stdout)  # type: ignore[no-any-return]


# --- The report -----------------------------------------------------------------------------------

def cpu_name() -> str:
    """The processor's model name (Linux), else what platform knows."""
    cpu = platform.processor() or "unknown cpu"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            cpu = next(line.split(":", 1)[1].strip() for line in cpuinfo
                       if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return cpu


def machine() -> dict[str, str]:
    cpu = cpu_name()
    versions = {}
    for package in ("numpy", "torch", "micrograd", "graphviz-pure"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "missing"
    return {"platform": platform.platform(), "cpu": cpu, "cores": str(os.cpu_count()),
            "python": f"{platform.python_implementation()} {platform.python_version()}",
            **versions}


def ms(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    value = seconds * 1e3
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def best(*times: float | None) -> float | None:
    known = [t for t in times if t is not None]
    return min(known) if known else None


def divide(numerator: float | None, denominator: float | None) -> float | None:
    return None if numerator is None or denominator is None else numerator / denominator


class Suite:
    """Runs every measurement once (in order) and keeps the results for the tables.

    A result is stored under `"{workload} {engine} {on|off}"`; None means the measurement failed
    (only those allowed to: micrograd and torch on the chains), a missing key that it was not
    run.
    """

    def __init__(self, sizes: dict[str, Any]) -> None:
        self.sizes = sizes
        self.results: dict[str, Any] = {}

    def run(self, name: str, engine: str, gc_on: bool = True, n: int = 0, repeats: int = 0,
            may_fail: bool = False, workload: str = "", **extra: Any) -> None:
        """Measure `workload` (default: `name`) and store it under name, engine, GC setting."""
        key = f"{name} {engine} {'on' if gc_on else 'off'}"
        spec = {"engine": engine, "workload": workload or name, "gc_on": gc_on, "n": n,
                "repeats": repeats or self.sizes["repeats"], "sizes": self.sizes, **extra}
        self.results[key] = measure(spec, may_fail)

    def seconds(self, key: str | None, field: str = "total") -> float | None:
        result = self.results.get(key) if key else None
        return None if result is None else float(result[field])

    def failed(self, key: str | None) -> bool:
        return key is not None and key in self.results and self.results[key] is None


GRAPH_RUNS = (("ours", True), ("ours", False), ("micrograd", True), ("micrograd", False),
              ("torch", True))


def collect(sizes: dict[str, Any]) -> Suite:
    suite = Suite(sizes)
    # Check first: the MLP workloads must compute the same losses on every engine.
    suite.run("check", "all")
    for n in sizes["chain"]:
        repeats = sizes["big_repeats"] if n == sizes["chain"][-1] else sizes["repeats"]
        for engine, gc_on in GRAPH_RUNS:
            suite.run(f"chain {n}", engine, gc_on, n, repeats, may_fail=engine != "ours",
                      workload="chain")
    for engine, gc_on in GRAPH_RUNS:
        suite.run(f"dot {sizes['dot']}", engine, gc_on, sizes["dot"], workload="dot")
    for gc_on in (True, False):
        suite.run("dot n-ary", "ours", gc_on, sizes["dot"])
    for (task, loss), engines in TASK_ENGINES.items():
        for engine in engines:
            for gc_on in ((True, False) if engine in SCALAR_ENGINES else (True,)):
                suite.run(f"{task} {loss}".strip(), engine, gc_on)
    for engine in ("ours", "micrograd", "torch"):
        suite.run("bytes", engine)
    from viz.renderer import find_renderer

    renderer = find_renderer()
    suite.results["renderer"] = {"path": renderer.path, "kind": renderer.kind}
    for engine in ("ours", "micrograd"):
        suite.run("draw", engine, renderer=renderer.path)
    check_first_losses(suite)
    return suite


def check_first_losses(suite: Suite) -> None:
    """Every timing process's first loss must be the check process's."""
    check = suite.results["check all on"]
    for (task, loss), engines in TASK_ENGINES.items():
        workload = f"{task} {loss}".strip()
        for engine in engines:
            for setting in ("on", "off"):
                result = suite.results.get(f"{workload} {engine} {setting}")
                if result and not math.isclose(result["first_loss"], check[workload][engine],
                                                rel_tol=LOSS_RTOL):
                    raise AssertionError(f"{workload} / {engine}: the timed process's first loss "
                                         f"{result['first_loss']!r} is not the checked one")


COLUMNS = ("ours", "ours, GC off", "ours replay", "micrograd", "micrograd, GC off", "torch")
RATIOS = ("micrograd / ours", "micrograd / ours, both GC off", "micrograd / ours replay",
          "ours / torch")
ROW_NAMES = {  # the workload rows every run prints, by the start of their label
    "chain": "chain,", "dot": "dot,", "dot n-ary": "dot, one n-ary node",
    "demo graph": "demo step, micrograd's graph", "demo nn": "demo step, nn.MLP",
    "digits ce": "digits epoch, cross-entropy", "digits mse": "digits epoch, MSE",
    "draw dot": "draw, DOT text", "draw svg": "draw, DOT + SVG",
}


def report(suite: Suite) -> tuple[list[str], dict[str, Any]]:
    """The tables as lines, and a summary: rows (label -> cells) and the targets."""
    sizes, results = suite.sizes, suite.results
    lines: list[str] = []
    rows: dict[str, dict[str, float | None]] = {}

    def row(label: str, keys: dict[str, str], field: str = "total",
            na: tuple[str, ...] = ()) -> None:
        """One table row: the results stored under `keys` (column -> result key)."""
        t = {column: suite.seconds(keys.get(column), field) for column in COLUMNS}
        cells = {**t,
                 "micrograd / ours": divide(t["micrograd"], t["ours"]),
                 "micrograd / ours, both GC off": divide(t["micrograd, GC off"],
                                                         t["ours, GC off"]),
                 "micrograd / ours replay": divide(best(t["micrograd"], t["micrograd, GC off"]),
                                                   t["ours replay"]),
                 "ours / torch": divide(t["ours replay"] if t["ours replay"] is not None
                                        else t["ours"], t["torch"])}
        rows[label] = cells
        text = [("n/a" if column in na else "fails" if suite.failed(keys.get(column))
                 else ms(cells[column])) for column in COLUMNS]
        text += [times(cells[name]) for name in RATIOS]
        lines.append(f"| {label} | " + " | ".join(text) + " |")

    info = machine()
    renderer = results["renderer"]
    lines.append(f"Machine: {info['platform']}, {info['cpu']} ({info['cores']} cores), "
                 f"{info['python']}; numpy {info['numpy']}, torch {info['torch']} (CPU, 1 "
                 f"thread), micrograd {info['micrograd']}, graphviz-pure "
                 f"{info['graphviz-pure']} (renderer: {renderer['kind']}). Medians of "
                 f"{sizes['repeats']} runs ({sizes['big_repeats']} at "
                 f"{sizes['chain'][-1]:,} ops, {sizes['epoch_repeats']} for the digits "
                 "epochs), each engine and GC setting in a fresh process.")
    lines += ["", "| workload (median ms) | " + " | ".join(COLUMNS + RATIOS) + " |",
              "| --- " * (1 + len(COLUMNS) + len(RATIOS)) + "|"]
    graph_engines = ("ours", "ours, GC off", "micrograd", "micrograd, GC off", "torch")
    for n in sizes["chain"]:
        row(f"chain, {n:,} ops (forward, backward, free)", keys_for(f"chain {n}"))
    dot = sizes["dot"]
    row(f"dot, {dot:,} terms as a chain of adds", keys_for(f"dot {dot}"))
    # The same dot product: ours as one node, the others as their chain of adds.
    row(f"dot, one n-ary node for ours (others: the chain of adds), {dot:,} terms",
        {**keys_for(f"dot {dot}", ("micrograd", "micrograd, GC off", "torch")),
         **keys_for("dot n-ary", ("ours", "ours, GC off"))})
    points = sizes["demo_points"]
    demo = keys_for("demo")
    row(f"demo step, micrograd's graph: a node per * and + ({points} points)",
        {**demo, "ours": "demo ours-graph on", "ours, GC off": "demo ours-graph off",
         "ours replay": "", "torch": ""})
    row(f"demo step, nn.MLP: a dot node per neuron ({points} points)", demo)
    n_samples = sizes["digits_samples"]
    estimated = (f"{n_samples:,} samples, batches of {sizes['batch']}; scalar engines "
                 f"estimated from {sizes['scalar_batches']} batches")
    row(f"digits epoch, cross-entropy ({estimated})", keys_for("digits ce"),
        na=("micrograd", "micrograd, GC off"))
    row(f"digits epoch, MSE vs one-hot ({estimated})", keys_for("digits mse"))
    nodes = (results.get("draw ours on") or {}).get("nodes", 0)
    draw = keys_for("draw", ("ours", "micrograd"))
    row(f"draw, DOT text: a {nodes:,}-node graph", draw, "dot")
    row(f"draw, DOT + SVG render: a {nodes:,}-node graph", draw)
    lines += ["", NOTE]

    lines += ["", "| chain scaling: ns per op | " + " | ".join(graph_engines) + " |",
              "| --- " * (1 + len(graph_engines)) + "|"]
    per_op: dict[str, list[float]] = {}
    for n in sizes["chain"]:
        cells = []
        for column in graph_engines:
            t = rows[f"chain, {n:,} ops (forward, backward, free)"][column]
            if t is not None:
                per_op.setdefault(column, []).append(t / n)
            cells.append("fails" if t is None else f"{t / n * 1e9:.0f}")
        lines.append(f"| {n:,} ops | " + " | ".join(cells) + " |")

    headline = sizes["chain"][1]
    phase_engines = ("ours", "micrograd", "torch")
    lines += ["", f"| phase, ms (GC on; chain {headline:,} ops, dot {dot:,} terms) | "
              + " | ".join(f"{engine} {graph}" for graph in ("chain", "dot")
                           for engine in phase_engines) + " |", "| --- " * 7 + "|"]
    for phase in ("build", "backward", "free"):
        cells = [ms(suite.seconds(f"{graph} {engine} on", phase))
                 for graph in (f"chain {headline}", f"dot {dot}") for engine in phase_engines]
        lines.append(f"| {phase} | " + " | ".join(cells) + " |")

    mem = {engine: results.get(f"bytes {engine} on") or {}
           for engine in ("ours", "micrograd", "torch")}
    lines += ["", "| memory (lower is better) | ours | micrograd | torch 0-d | ours / micrograd |",
              "| --- | --- | --- | --- | --- |"]
    memory_rows = [("chain", f"bytes per node, chain of {sizes['bytes_chain']:,} ops "
                             "(tracemalloc)"),
                   ("demo", "bytes per node, demo graph, 100 points (tracemalloc)"),
                   ("rss_chain", f"bytes per op, chain of {sizes['rss_chain']:,} ops "
                                 "(resident set growth)")]
    for key, label in memory_rows:
        ours, theirs, torch = (mem[e].get(key) for e in ("ours", "micrograd", "torch"))
        lines.append(f"| {label} | {number(ours)} | {number(theirs)} | "
                     f"{'n/a' if torch is None else number(torch)} | "
                     f"{times(divide(ours, theirs), 'x')} |")
    lines += ["", MEMORY_NOTE]

    targets = evaluate_targets(rows, per_op, mem, sizes)
    lines += ["", "| target (issue) | measured | met |", "| --- | --- | --- |"]
    for name, measured, met in targets:
        lines.append(f"| {name} | {measured} | {'yes' if met else 'no'} |")
    return lines, {"machine": info, "rows": rows, "memory": mem,
                   "targets": [{"target": t, "measured": m, "met": ok} for t, m, ok in targets]}


def keys_for(workload: str, columns: tuple[str, ...] = COLUMNS) -> dict[str, str]:
    """Where each column's result of `workload` is stored (see Suite)."""
    keys = {}
    for column in columns:
        engine = column.split(",")[0].replace("ours replay", "ours-replay")
        keys[column] = f"{workload} {engine} {'off' if 'GC off' in column else 'on'}"
    return keys


def number(x: float | None) -> str:
    return "—" if x is None else f"{x:.0f}"


def times(r: float | None, suffix: str = "x") -> str:
    if r is None:
        return "—"
    return f"{r:.0f}{suffix}" if r >= 100 else f"{r:.1f}{suffix}" if r >= 1 else f"{r:.2f}{suffix}"


NOTE = (
    "Ratios above 1 mean this engine is faster, except \"ours / torch\" (this engine's time "
    "over torch's: below 1 means faster than torch), which uses ours replay against torch "
    "batched on the MLP rows and ours scalar against torch 0-d tensors elsewhere. \"micrograd / "
    "ours\" compares both with the garbage collector on (how they run by default), the next "
    "column both with it off; \"micrograd / ours replay\" uses micrograd's faster setting. "
    "micrograd's graphs are reference cycles (each node's backward closure holds the node), so "
    "deleting one frees nothing: with GC on the collector frees it later, inside the following "
    "timings; with GC off never. micrograd 0.1.0 has no exp or log, so it cannot run the "
    "cross-entropy digits epoch (n/a); the MSE epoch is the same task with a loss all four "
    "engines can express. The demo step is one full-batch SGD step. The drawing is a chain "
    "after backward; both DOT texts are rendered by the same Graphviz executable, and ours "
    "draws more (colours, labels, clusters).")
MEMORY_NOTE = (
    "tracemalloc sees only Python's allocator, not PyTorch's C++ tensors and autograd nodes "
    "(a torch graph shows about 0 bytes), so torch has no tracemalloc rows; the resident-set "
    "row counts every allocation, for all three engines, per op of the chain (two ops a step).")


def evaluate_targets(rows: dict[str, dict[str, float | None]], per_op: dict[str, list[float]],
                     mem: dict[str, dict[str, float]], sizes: dict[str, Any]
                     ) -> list[tuple[str, str, bool]]:
    """Issue 3's and issue 8's targets, each as (target, what was measured, met)."""
    def column(name: str, only_replay: bool = False) -> dict[str, float]:
        return {label: value for label, cells in rows.items()
                if (value := cells[name]) is not None
                and (cells["ours replay"] is not None or not only_replay)}

    def short(label: str) -> str:
        return label.split(" (")[0]

    targets = []
    # Issue 3: the scalar path on micrograd's own fine-grained graphs at the sizes.
    fine = ("chain, 100,000 ops", "dot, 100,000 terms as a chain of adds", ROW_NAMES["demo graph"])
    for name, setting, wanted in (("micrograd / ours", "GC on", 4.0),
                                  ("micrograd / ours, both GC off", "GC off", 1.5)):
        found = {short(label): v for label, v in column(name).items() if label.startswith(fine)}
        targets.append((f"(3) fine-grained graphs at least {wanted:g}x micrograd ({setting})",
                        "; ".join(f"{label}: {v:.2f}x" for label, v in found.items()),
                        len(found) == len(fine) and all(v >= wanted for v in found.values())))
    quarter = {key: mem["ours"][key] / mem["micrograd"][key] for key in ("chain", "demo")}
    targets.append(("(3) at most a quarter of micrograd's bytes per node",
                    ", ".join(f"{key} {share:.2f}" for key, share in quarter.items()),
                    all(share <= 0.25 for share in quarter.values())))
    for name, setting in (("micrograd / ours", "GC on"),
                          ("micrograd / ours, both GC off", "GC off")):
        scalar = column(name)
        under = [f"{short(label)}: {v:.1f}x" for label, v in scalar.items() if v < 2]
        worst = min(scalar, key=scalar.__getitem__)
        targets.append((f"(8) scalar path at least 2x micrograd on every timing ({setting})",
                        f"lowest {scalar[worst]:.2f}x ({short(worst)})"
                        + (f"; under 2x: {'; '.join(under)}" if under else ""), not under))
    shares = {key: mem["ours"][key] / mem["micrograd"][key]
              for key in ("chain", "demo", "rss_chain")}
    targets.append(("(8) scalar path at most half micrograd's bytes per node",
                    ", ".join(f"{key} {share:.2f}" for key, share in shares.items()),
                    all(share <= 0.5 for share in shares.values())))
    demo = {label: v for label, v in column("micrograd / ours replay").items()
            if label.startswith("demo")}
    targets.append(("(8) batched replay at least 50x micrograd on the demo step",
                    "; ".join(f"{v:.0f}x" for v in demo.values()),
                    bool(demo) and all(v >= 50 for v in demo.values())))
    mlp = column("ours / torch", only_replay=True)
    targets.append(("(8) batched replay within 5x of torch batched on the MLP workloads",
                    "; ".join(f"{short(label)}: {v:.2f}x" for label, v in mlp.items()),
                    bool(mlp) and all(v <= 5 for v in mlp.values())))
    ours = per_op["ours"]
    spread = max(ours) / min(ours)
    sizes_text = ", ".join(f"{n:,}" for n in sizes["chain"])
    targets.append((f"(8) cost linear in graph size: ours ns/op at {sizes_text} ops within 1.5x",
                    " / ".join(f"{t * 1e9:.0f}" for t in ours) + f" ns (spread {spread:.2f}x)",
                    spread <= 1.5))
    return targets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--json", metavar="PATH", help="also write every number to this file")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return

    sizes = QUICK if args.quick else FULL
    start = time.perf_counter()
    suite = collect(sizes)
    lines, summary = report(suite)
    seconds = time.perf_counter() - start
    print("\n".join(lines))
    print(f"\nWhole run: {seconds:.0f} s.")
    if args.json:
        Path(args.json).write_text(json.dumps({**summary, "sizes": sizes, "seconds": seconds,
                                               "results": suite.results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
