"""Measure what watching costs: training with `viz.TrainingView` against training without it.

    .venv/bin/python benchmarks/bench_training_view.py            # everything (about a minute)
    .venv/bin/python benchmarks/bench_training_view.py --quick    # a smoke run: no browser
    .venv/bin/python benchmarks/bench_training_view.py --json out.json

The case is the training view issue's: micrograd's demo network, `nn.MLP(2, [16, 16, 1])`,
on 100 two-moons points (noise 0.1, labels -1/+1), hinge loss, `SGD(lr=0.05, momentum=0.9)`,
full batch, for `--epochs` steps (1,000; 100 with --quick). Each way of training starts from the
same seeded model; the time is the median of `--repeats` runs (3; 1 with --quick):

- fit:                 `nn.fit`, no view (batched replay, as fit does by default);
- fit + view:          `nn.fit(..., callbacks=[view])`: the view records every step and draws
                       frames (at most 30 a second, and only while drawing costs under half
                       of the training time); no notebook, so nothing is sent anywhere;
- background + view:   `nn.fit_in_background(..., callbacks=[view])` then `wait()`;
- micrograd:           micrograd 0.1.0's own demo loop on the same data and network (a graph
                       per sample, SGD without momentum), timed over 5 steps, per step;
- torch:               the same network in PyTorch (float64, one batched graph), per step.

Then, unless --quick or --no-lab, the view in a real JupyterLab in headless Chromium (the test
harness, tests/notebooks/jupyterlab.py): the widget's own count of updates drawn, over 5 s
while micrograd's demo network trains in the background.

Targets (the training view issue): training with the view at most 2x slower than without it;
at least 20 view updates a second in JupyterLab.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import nn
import viz
from nn import optim

sys.path.insert(0, str(Path(__file__).parent))
from bench_engine import machine

SLOWDOWN_LIMIT, UPDATES_TARGET = 2.0, 20.0


def problem() -> tuple[list[list[float]], list[int]]:
    X, y = nn.data.moons(100, noise=0.1, seed=0)
    return [list(x) for x in X], [1 if label else -1 for label in y]


def ours(epochs: int, watched: str) -> tuple[float, dict[str, Any]]:
    """Seconds to train, and what the view did (watched: "no", "fit" or "background")."""
    X, y = problem()
    model = nn.MLP(2, [16, 16, 1], seed=1)
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    view = viz.TrainingView(model, (X, y)) if watched != "no" else None
    hooks = [view] if view is not None else []
    start = time.perf_counter()
    if watched == "background":
        nn.fit_in_background(model, (X, y), "hinge", optimizer, epochs, callbacks=hooks).wait()
    else:
        nn.fit(model, (X, y), "hinge", optimizer, epochs, callbacks=hooks, progress=False)
    seconds = time.perf_counter() - start
    extra = {} if view is None else {"frames": view.frames_sent, "drawing_s": view._drawing}
    return seconds, extra


def micrograd_step_seconds(steps: int = 5) -> float | None:
    """micrograd's demo training loop (its README's), seconds per full-batch step."""
    try:
        from micrograd.engine import Value as MValue
        from micrograd.nn import MLP as MMLP
    except ImportError:
        return None
    X, y = problem()
    random.seed(1337)
    model = MMLP(2, [16, 16, 1])
    start = time.perf_counter()
    for _ in range(steps):
        scores = [model([MValue(a), MValue(b)]) for a, b in X]
        losses = [(1 + -yi * score).relu() for yi, score in zip(y, scores)]
        loss = sum(losses) * (1.0 / len(losses))
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.05 * p.grad
    return (time.perf_counter() - start) / steps


def torch_step_seconds(steps: int) -> float | None:
    """The same network and loss in PyTorch (float64), seconds per full-batch step."""
    try:
        import torch
    except ImportError:
        return None
    X, y = problem()
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 16),
                                torch.nn.ReLU(), torch.nn.Linear(16, 1)).double()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    inputs = torch.tensor(X, dtype=torch.float64)
    targets = torch.tensor(y, dtype=torch.float64)[:, None]
    start = time.perf_counter()
    for _ in range(steps):
        optimizer.zero_grad()
        loss = torch.relu(1 - targets * model(inputs)).mean()
        loss.backward()
        optimizer.step()
    return (time.perf_counter() - start) / steps


LAB_CELLS = [
    "import nn, viz\nfrom nn import optim",
    "X, y = nn.data.moons(100, noise=0.1, seed=0)\ny = [1 if t else -1 for t in y]\n"
    "model = nn.MLP(2, [16, 16, 1], seed=1)\nview = viz.TrainingView(model, (X, y))\nview",
    "run = nn.fit_in_background(model, (X, y), 'hinge', optim.SGD(model.parameters(), "
    "lr=0.002, momentum=0.5), epochs=1_000_000, callbacks=[view])",
]


def lab_updates_per_second(seconds: float = 5.0) -> float | None:
    """Updates the widget drew per second in JupyterLab while the network trained."""
    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root))
    try:
        from nbformat.v4 import new_code_cell, new_notebook
        from playwright.sync_api import sync_playwright

        from tests.browser import CHROMIUM, FLAGS
        from tests.notebooks.jupyterlab import open_notebook, run_all, serve
    except ImportError:
        return None
    if CHROMIUM is None:
        return None
    notebook = new_notebook(cells=[new_code_cell(source) for source in LAB_CELLS])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    with tempfile.TemporaryDirectory() as folder, serve([], Path(folder)) as lab, \
            sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            panel = open_notebook(page, lab, lab.add(notebook, "bench.ipynb"))
            run_all(page)
            view = panel.locator(".agc-training")
            view.scroll_into_view_if_needed()
            page.wait_for_function("el => el.dataset.status === 'running'",
                                   arg=view.element_handle())
            page.wait_for_timeout(500)
            first, start = int(view.get_attribute("data-updates") or 0), time.perf_counter()
            page.wait_for_timeout(seconds * 1000)
            count = int(view.get_attribute("data-updates") or 0) - first
            rate = count / (time.perf_counter() - start)
            lab.shutdown_kernels()
            return rate
        finally:
            browser.close()


def median(run: Callable[[], tuple[float, dict[str, Any]]], repeats: int
           ) -> tuple[float, dict[str, Any]]:
    results = [run() for _ in range(repeats)]
    seconds = statistics.median(s for s, _ in results)
    return seconds, next(extra for s, extra in results if s == seconds)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-lab", action="store_true", help="skip the JupyterLab measurement")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--repeats", type=int)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    epochs = args.epochs or (100 if args.quick else 1000)
    repeats = args.repeats or (1 if args.quick else 3)
    rows = {}
    for name, watched in (("fit", "no"), ("fit + view", "fit"),
                          ("background + view", "background")):
        seconds, extra = median(lambda w=watched: ours(epochs, w), repeats)  # type: ignore[misc]
        rows[name] = {"seconds": seconds, "step_ms": 1000 * seconds / epochs, **extra}
    plain = rows["fit"]["seconds"]
    for row in rows.values():
        row["slowdown"] = row["seconds"] / plain
    micrograd = micrograd_step_seconds(2 if args.quick else 5)
    torch = torch_step_seconds(epochs)
    lab = None if args.quick or args.no_lab else lab_updates_per_second()
    info = machine()
    print(f"Machine: {info['cpu']}, {info['cores']} cores; Python {info['python']}\n")
    print(f"micrograd's demo network on two moons, {epochs} full-batch steps, median of "
          f"{repeats}\n")
    print("| training | total s | ms per step | x without the view | frames sent | "
          "drawing s |")
    print("|---|---|---|---|---|---|")
    for name, row in rows.items():
        print(f"| {name} | {row['seconds']:.3f} | {row['step_ms']:.3f} | {row['slowdown']:.2f} "
              f"| {row.get('frames', '')} | "
              + (f"{row['drawing_s']:.3f}" if "drawing_s" in row else "") + " |")
    print("\n| side by side | ms per step | its time / ours with the view |")
    print("|---|---|---|")
    watched = rows["fit + view"]["step_ms"]
    for name, per_step in (("micrograd 0.1.0 (no view)", micrograd),
                           ("PyTorch float64 (no view)", torch)):
        if per_step is not None:
            print(f"| {name} | {1000 * per_step:.3f} | {1000 * per_step / watched:.2f} |")
    worst = max(rows["fit + view"]["slowdown"], rows["background + view"]["slowdown"])
    targets = [(f"training with the view at most {SLOWDOWN_LIMIT:g}x slower",
                f"{worst:.2f}x", worst <= SLOWDOWN_LIMIT),
               (f"at least {UPDATES_TARGET:g} updates a second in JupyterLab",
                "not measured" if lab is None else f"{lab:.1f} a second",
                None if lab is None else lab >= UPDATES_TARGET)]
    print("\n| target | measured | met |")
    print("|---|---|---|")
    for target, measured, met in targets:
        print(f"| {target} | {measured} | {'-' if met is None else 'yes' if met else 'NO'} |")
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "epochs": epochs, "rows": rows,
                                         "micrograd_step_s": micrograd, "torch_step_s": torch,
                                         "lab_updates_per_s": lab,
                                         "targets": targets}, indent=2))


if __name__ == "__main__":
    main()
