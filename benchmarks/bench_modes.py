"""Forward mode against reverse mode: the time of a whole Jacobian on the two shapes that decide.

    .venv/bin/python benchmarks/bench_modes.py            # n = 100 (a few seconds)
    .venv/bin/python benchmarks/bench_modes.py --quick    # n = 10, once: a smoke run
    .venv/bin/python benchmarks/bench_modes.py --json out.json

A Jacobian of m outputs by n inputs takes n forward passes (`jvp`, one per input direction) or
m reverse passes (`grad`, one per output). The two shapes, both built of n terms:

- few inputs, many outputs: 2 inputs (a, b) and a recurrence h_k = tanh(h_(k-1) * c_k + a),
  h_0 = a * b, every h_k an output (n outputs sharing one long computation, as the states of an
  RNN do): reverse mode walks back k steps for output k, forward mode walks the chain once
  per input;
- many inputs, one output: n inputs x_k, one output sum_k tanh(x_k * c_k) * x_k (a loss):
  forward mode walks the whole graph once per input, reverse mode once.

Each Jacobian is computed both ways (`autograd_core.jacobian(..., mode=...)`) on the same graph,
and the two must agree to 1e-12; the time is the median of `--repeats` (5; 1 with --quick).
PyTorch (float64) does the same with `torch.func.jacfwd` and `jacrev`, side by side (its
batched vectorisation hides the difference on these sizes). Expected: forward mode wins the
first shape by about n/4, reverse mode the second by about n.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import autograd_core as ag
from autograd_core import Value

sys.path.insert(0, str(Path(__file__).parent))
from bench_engine import machine


def wide(n: int) -> tuple[list[Value], list[Value]]:
    """2 inputs, n outputs along one recurrence."""
    a, b = Value(0.3), Value(-0.7)
    h, outputs = a * b, []
    for k in range(n):
        h = (h * (0.01 * k + 0.5) + a).tanh()
        outputs.append(h)
    return [a, b], outputs


def deep(n: int) -> tuple[list[Value], list[Value]]:
    """n inputs, 1 output."""
    xs = [Value(math.sin(k)) for k in range(n)]
    return xs, [ag.sum([(x * (0.01 * k + 0.5)).tanh() * x for k, x in enumerate(xs)])]


def seconds(run: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def torch_seconds(shape: str, n: int, repeats: int) -> dict[str, float] | None:
    try:
        import torch
    except ImportError:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from torch.func import jacfwd, jacrev
    c = 0.01 * torch.arange(n, dtype=torch.float64) + 0.5
    if shape == "wide":
        def f(v: Any) -> Any:
            h, states = v[0] * v[1], []
            for k in range(n):
                h = torch.tanh(h * c[k] + v[0])
                states.append(h)
            return torch.stack(states)
        point = torch.tensor([0.3, -0.7], dtype=torch.float64)
    else:
        def f(v: Any) -> Any:
            return (torch.tanh(v * c) * v).sum()
        point = torch.sin(torch.arange(n, dtype=torch.float64))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return {"forward": seconds(lambda: jacfwd(f)(point), repeats),
                "reverse": seconds(lambda: jacrev(f)(point), repeats)}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("-n", type=int)
    parser.add_argument("--repeats", type=int)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    n = args.n or (10 if args.quick else 100)
    repeats = args.repeats or (1 if args.quick else 5)
    rows = []
    for shape, make in (("wide", wide), ("deep", deep)):
        inputs, outputs = make(n)
        def both(mode: str, outputs: list[Value] = outputs,
                 inputs: list[Value] = inputs) -> list[list[float]]:
            return ag.jacobian(outputs, inputs, mode=mode)

        forward = seconds(lambda: both("forward"), repeats)
        reverse = seconds(lambda: both("reverse"), repeats)
        same = all(math.isclose(f, r, rel_tol=1e-12, abs_tol=1e-12) for row_f, row_r in zip(
            both("forward"), both("reverse")) for f, r in zip(row_f, row_r))
        rows.append({"shape": shape, "inputs": len(inputs), "outputs": len(outputs),
                     "forward_s": forward, "reverse_s": reverse, "equal": same,
                     "torch": torch_seconds(shape, n, repeats)})
    info = machine()
    print(f"Machine: {info['cpu']}, {info['cores']} cores; Python {info['python']}\n")
    print("| shape | inputs | outputs | forward ms | reverse ms | reverse / forward | "
          "same numbers | torch jacfwd ms | torch jacrev ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        theirs = row["torch"] or {}
        print(f"| {row['shape']} | {row['inputs']} | {row['outputs']} | "
              f"{1000 * row['forward_s']:.2f} | {1000 * row['reverse_s']:.2f} | "
              f"{row['reverse_s'] / row['forward_s']:.2f} | "
              f"{'yes' if row['equal'] else 'NO'} | "
              + " | ".join(f"{1000 * theirs[k]:.2f}" if k in theirs else "-"
                           for k in ("forward", "reverse")) + " |")
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "n": n, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
