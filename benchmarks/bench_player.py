"""Measure the backprop step-through player, `viz.step_through`, on networks of growing size.

    .venv/bin/python benchmarks/bench_player.py                  # every graph (under a minute)
    .venv/bin/python benchmarks/bench_player.py --quick          # tiny graphs, once: a smoke run
    .venv/bin/python benchmarks/bench_player.py --json out.json  # also write every number as JSON
    .venv/bin/python benchmarks/bench_player.py --case demo --repeats 5  # chosen graphs only

One command builds a player for each graph and prints Markdown tables: the machine it ran on,
a row per graph, the growth of the page with the graph, and which of the player issue's targets
are met.

Graphs: micrograd's demo on ONE sample. An `nn.MLP(2, layer_sizes, seed=0)` takes
x = (0.5, -0.3) and the loss is the hinge (max-margin) loss of its score for the label y = 1,
`(1 - y * model(x)[0]).relu()`; `loss.backward()` runs before the player is built. The networks:
one neuron (MLP(2, [1])), MLP(2, [4, 1]), MLP(2, [8, 1]), MLP(2, [8, 8, 1]), micrograd's demo
network MLP(2, [16, 16, 1]) (one `dot` node per neuron), and the same network with
`fine_grained=True` (one node per multiply and add, as micrograd builds it). `--quick` keeps
the three smallest and runs each once.

For each graph:
- nodes:      len(autograd_core.topological_order(loss)), leaves and constants included;
- frames:     len(player) (or len(player.frames));
- page bytes: len(player.html().encode()), the UTF-8 size of the HTML the notebook embeds;
- build time: `viz.step_through(loss, **options)` plus `.html()`, the median of 3 repeats
              (1 with --quick), each after a garbage collection, all in this process; the
              renderer (Graphviz) runs inside it, as a subprocess. Also the two parts apart.
The player is first built with its default options. If it refuses the graph
(`viz.GraphTooLarge`), the refusal's message is printed and, if the player has size limits
(keyword options named max_*, with int defaults: max_nodes, max_frames, ...), it is built again
with every limit raised to max(10 x its default, 100 x the graph's nodes); the options used are
printed on each row.

Growth: the least-squares slope of log(page bytes) on log(nodes) over every graph that got a
page (with the default options or raised limits), printed with its number of points; and the
same for the build time (no target: on small graphs the time is mostly starting the renderer).

Targets (the player issue): micrograd's demo network, MLP(2, [16, 16, 1]), steps through with
the default options in one page of at most 2 MB (2,000,000 bytes), built in at most 2 s (the
median); page bytes grow linearly with nodes (exponent at most 1.15).
"""

from __future__ import annotations

import argparse
import gc
import inspect
import json
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import autograd_core
import nn
import viz

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the engine benchmark, beside this
from bench_engine import cpu_name

X, Y = (0.5, -0.3), 1.0  # the one sample and its label
REPEATS, QUICK_REPEATS = 3, 1
PAGE_LIMIT, SECONDS_LIMIT, EXPONENT_LIMIT = 2_000_000, 2.0, 1.15
RAISE_FACTOR, PER_NODE = 10, 100  # a refused graph is retried with limits raised this far


@dataclass(frozen=True)
class Case:
    """One graph: the hinge loss of `nn.MLP(2, layer_sizes, seed=0, fine_grained=...)`."""

    key: str
    label: str
    layer_sizes: tuple[int, ...]
    fine_grained: bool = False
    quick: bool = False  # part of the --quick run


CASES = (
    Case("neuron", "one neuron: MLP(2, [1])", (1,), quick=True),
    Case("mlp-4", "MLP(2, [4, 1])", (4, 1), quick=True),
    Case("mlp-8", "MLP(2, [8, 1])", (8, 1), quick=True),
    Case("mlp-8-8", "MLP(2, [8, 8, 1])", (8, 8, 1)),
    Case("demo", "micrograd's demo network: MLP(2, [16, 16, 1])", (16, 16, 1)),
    Case("demo-fine", "MLP(2, [16, 16, 1]), fine_grained=True (a node per * and +)",
         (16, 16, 1), fine_grained=True),
)
DEMO = "demo"  # the case the page-size and build-time targets are about


def loss_of(case: Case) -> autograd_core.Value:
    """The graph of `case`: the hinge loss on the one sample, after backward."""
    model = nn.MLP(2, list(case.layer_sizes), seed=0, fine_grained=case.fine_grained)
    loss: autograd_core.Value = (1 - Y * model(list(X))[0]).relu()
    loss.backward()
    return loss


# --- The player's options ------------------------------------------------------------------------

def limit_options(factory: Callable[..., Any] | None = None) -> dict[str, int]:
    """The player's size limits and their defaults: keyword options named max_* with an int
    default. `viz.step_through` takes **options, so the player class's are read too."""
    targets: list[Any] = [factory] if factory is not None else [viz.step_through]
    if factory is None and hasattr(viz, "StepThrough"):
        targets.append(viz.StepThrough)
    limits: dict[str, int] = {}
    for target in targets:
        try:
            parameters = inspect.signature(target).parameters.values()
        except (TypeError, ValueError):
            continue
        for p in parameters:
            if (p.name.startswith("max_") and isinstance(p.default, int)
                    and not isinstance(p.default, bool)):
                limits.setdefault(p.name, p.default)
    return limits


def raised(limits: dict[str, int], nodes: int) -> dict[str, int]:
    """Every limit raised far enough for a graph of `nodes` nodes."""
    return {name: max(RAISE_FACTOR * default, PER_NODE * nodes)
            for name, default in limits.items()}


def frame_count(player: Any) -> int | None:
    """len(player), or len(player.frames), whichever the player offers."""
    try:
        return len(player)
    except TypeError:
        frames = getattr(player, "frames", None)
        return None if frames is None else len(frames)


def options_text(options: dict[str, Any]) -> str:
    return ", ".join(f"{name}={value!r}" for name, value in options.items()) or "defaults"


# --- Measuring ------------------------------------------------------------------------------------

def attempt(root: Any, options: dict[str, Any], repeats: int,
            factory: Callable[..., Any]) -> dict[str, Any]:
    """Build the player `repeats` times with `options`: its numbers, or its refusal."""
    player_s, html_s = [], []
    frames, page_bytes = None, 0
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        try:
            player = factory(root, **options)
            built = time.perf_counter()
            page = player.html()
        except viz.GraphTooLarge as error:
            return {"options": options, "refused": str(error),
                    "refused_after_s": time.perf_counter() - start}
        done = time.perf_counter()
        player_s.append(built - start)
        html_s.append(done - built)
        frames, page_bytes = frame_count(player), len(page.encode())
        del player, page
    totals = [p + h for p, h in zip(player_s, html_s)]
    return {"options": options, "refused": None, "frames": frames, "bytes": page_bytes,
            "build_s": statistics.median(totals), "step_through_s": statistics.median(player_s),
            "html_s": statistics.median(html_s), "runs_s": totals}


def measure(case: Case, repeats: int, factory: Callable[..., Any] | None = None,
            limits: dict[str, int] | None = None) -> dict[str, Any]:
    """Every attempt at `case`: the defaults, then (if refused) raised limits."""
    make = factory or viz.step_through
    limits = limit_options(factory) if limits is None else limits
    root = loss_of(case)
    nodes = len(autograd_core.topological_order(root))
    attempts = [attempt(root, {}, repeats, make)]
    if attempts[0]["refused"] and limits:
        attempts.append(attempt(root, raised(limits, nodes), repeats, make))
    return {**asdict(case), "nodes": nodes, "limits": limits, "attempts": attempts}


def page_of(result: dict[str, Any]) -> dict[str, Any] | None:
    """The attempt that built a page (the defaults' if it did), or None."""
    return next((a for a in result["attempts"] if not a["refused"]), None)


def log_slope(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """The least-squares slope of log(y) on log(x); None with fewer than two distinct x."""
    if len(xs) < 2 or len(set(xs)) < 2:
        return None
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = statistics.fmean(lx), statistics.fmean(ly)
    return (sum((a - mx) * (b - my) for a, b in zip(lx, ly))
            / sum((a - mx) ** 2 for a in lx))


def growth(results: list[dict[str, Any]]) -> dict[str, Any]:
    paged = [(r, a) for r in results if (a := page_of(r)) is not None]
    nodes = [r["nodes"] for r, _ in paged]
    return {"bytes_exponent": log_slope(nodes, [a["bytes"] for _, a in paged]),
            "seconds_exponent": log_slope(nodes, [a["build_s"] for _, a in paged]),
            "points": len(paged), "raised_limits": sum(1 for _, a in paged if a["options"]),
            "nodes": nodes}


def evaluate_targets(results: list[dict[str, Any]], fit: dict[str, Any]
                     ) -> list[tuple[str, str, bool | None]]:
    """The issue's targets as (target, measured, met); met is None when not measured."""
    demo = next((r for r in results if r["key"] == DEMO), None)
    page_target = f"demo network MLP(2, [16, 16, 1]): one page of at most {PAGE_LIMIT:,} bytes"
    time_target = (f"demo network MLP(2, [16, 16, 1]): built (step_through + html) in at most "
                   f"{SECONDS_LIMIT:g} s")
    targets: list[tuple[str, str, bool | None]] = []
    if demo is None:
        targets += [(page_target, "not measured in this run", None),
                    (time_target, "not measured in this run", None)]
    else:
        default, page = demo["attempts"][0], page_of(demo)
        if default["refused"]:
            also = ("" if page is None else
                    f"; with {options_text(page['options'])}: {page['bytes']:,} bytes, "
                    f"{page['build_s']:.2f} s")
            refused = f"refused with the default options{also}"
            targets += [(page_target, refused, False), (time_target, refused, False)]
        else:
            targets += [(page_target, f"{default['bytes']:,} bytes, {default['frames']} frames",
                         default["bytes"] <= PAGE_LIMIT),
                        (time_target, f"{default['build_s']:.2f} s (median)",
                         default["build_s"] <= SECONDS_LIMIT)]
    exponent = fit["bytes_exponent"]
    name = f"page bytes grow linearly with nodes: exponent at most {EXPONENT_LIMIT:g}"
    if exponent is None:
        targets.append((name, f"no fit ({fit['points']} graphs with a page)", None))
    else:
        span = f"{min(fit['nodes']):,} to {max(fit['nodes']):,} nodes"
        targets.append((name, f"{exponent:.3f} over {fit['points']} graphs ({span})",
                        exponent <= EXPONENT_LIMIT))
    return targets


# --- Reporting ------------------------------------------------------------------------------------

def machine() -> dict[str, Any]:
    cpu = cpu_name()
    try:
        renderer = viz.find_renderer()
        found = {"kind": renderer.kind, "path": renderer.path}
    except viz.RendererNotFound as error:
        found = {"kind": "none", "path": str(error)}
    try:
        pure = metadata.version("graphviz-pure")
    except metadata.PackageNotFoundError:
        pure = "missing"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {"platform": platform.platform(), "cpu": cpu, "cores": os.cpu_count(),
            "python": f"{platform.python_implementation()} {platform.python_version()}",
            "renderer": found, "graphviz-pure": pure, "load_1min": load}


def seconds(x: float) -> str:
    return f"{x:.3f}" if x < 10 else f"{x:.1f}"


def report(results: list[dict[str, Any]], info: dict[str, Any], repeats: int
           ) -> tuple[list[str], dict[str, Any], list[tuple[str, str, bool | None]]]:
    renderer = info["renderer"]
    load = "" if info["load_1min"] is None else f"; load average {info['load_1min']:.2f}"
    lines = [f"Machine: {info['platform']}, {info['cpu']} ({info['cores']} cores), "
             f"{info['python']}; renderer: {renderer['kind']} ({renderer['path']}), "
             f"graphviz-pure {info['graphviz-pure']}{load}. Build times are medians of "
             f"{repeats} run{'s' if repeats != 1 else ''}, in this process.",
             "", "| graph (hinge loss, one sample) | nodes | options | frames | page bytes | "
             "bytes per node | build s (step_through + html) | step_through s | html s |",
             "| --- " * 9 + "|"]
    refusals = []
    for r in results:
        for a in r["attempts"]:
            options = options_text(a["options"])
            if a["refused"]:
                refusals.append(f"- {r['label']}, {options}: {a['refused']}")
                lines.append(f"| {r['label']} | {r['nodes']:,} | {options} | refused "
                             f"(below) | — | — | — | — | — |")
                continue
            frames = "?" if a["frames"] is None else f"{a['frames']:,}"
            lines.append(f"| {r['label']} | {r['nodes']:,} | {options} | {frames} | "
                         f"{a['bytes']:,} | {a['bytes'] / r['nodes']:,.0f} | "
                         f"{seconds(a['build_s'])} | {seconds(a['step_through_s'])} | "
                         f"{seconds(a['html_s'])} |")
    if refusals:
        lines += ["", "Refused (viz.GraphTooLarge):", *refusals]
    else:
        lines += ["", "No graph was refused with the default options."]

    fit = growth(results)
    raised_note = (f", {fit['raised_limits']} of them with raised limits"
                   if fit["raised_limits"] else "")

    def exponent(x: float | None) -> str:
        return "—" if x is None else f"{x:.3f}"

    lines += ["", "| growth with nodes (log-log least squares) | exponent | points |",
              "| --- | --- | --- |",
              f"| page bytes | {exponent(fit['bytes_exponent'])} | {fit['points']}{raised_note} |",
              f"| build seconds (no target) | {exponent(fit['seconds_exponent'])} | "
              f"{fit['points']}{raised_note} |"]

    targets = evaluate_targets(results, fit)
    lines += ["", "| target | measured | met |", "| --- | --- | --- |"]
    for name, measured, met in targets:
        lines.append(f"| {name} | {measured} | {'—' if met is None else 'yes' if met else 'no'} |")
    return lines, fit, targets


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="only the tiny graphs, each built once: a smoke run")
    parser.add_argument("--json", metavar="PATH", help="also write every number to this file")
    parser.add_argument("--case", action="append", choices=[c.key for c in CASES],
                        help="measure only this graph (repeatable); default: all (--quick: "
                             "the tiny ones)")
    parser.add_argument("--repeats", type=int,
                        help=f"builds per graph (default {REPEATS}, {QUICK_REPEATS} with --quick)")
    args = parser.parse_args(argv)
    repeats = args.repeats or (QUICK_REPEATS if args.quick else REPEATS)
    if repeats < 1:
        parser.error("--repeats must be at least 1")
    cases = [c for c in CASES if (c.key in args.case if args.case else c.quick or not args.quick)]

    start = time.perf_counter()
    info = machine()
    results = [measure(case, repeats) for case in cases]
    lines, fit, targets = report(results, info, repeats)
    elapsed = time.perf_counter() - start
    print("\n".join(lines))
    print(f"\nWhole run: {elapsed:.0f} s.")
    if args.json:
        dump = {"machine": info, "settings": {"quick": args.quick, "repeats": repeats,
                                              "cases": [c.key for c in cases],
                                              "sample": list(X), "label": Y},
                "cases": results, "growth": fit,
                "targets": [{"target": t, "measured": m, "met": ok} for t, m, ok in targets],
                "seconds": elapsed}
        Path(args.json).write_text(json.dumps(dump, indent=1) + "\n")


if __name__ == "__main__":
    main()
