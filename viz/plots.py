"""Plots for lessons (matplotlib): activations and their derivatives, training curves, decision
boundaries, and gradient size per layer. Each returns a matplotlib Figure.

The derivatives come from the engine itself (`autograd_core.grad`), so the plot of an
activation's derivative shows exactly what backprop multiplies by.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from autograd_core import Value, grad, no_grad

__all__ = ["ACTIVATIONS", "plot_activations", "plot_history", "plot_decision_boundary",
           "plot_gradient_magnitudes", "plot_search"]

ACTIVATIONS: dict[str, Callable[[Value], Value]] = {
    "step": lambda x: x.step(),
    "sigmoid": lambda x: x.sigmoid(),
    "tanh": lambda x: x.tanh(),
    "relu": lambda x: x.relu(),
    "leaky_relu": lambda x: x.leaky_relu(0.1),
    "linear": lambda x: x * 1,
}


def _pyplot() -> Any:
    import matplotlib.pyplot as plt  # imported on use: drawing graphs needs no matplotlib

    return plt


def plot_activations(names: Sequence[str] = ("step", "sigmoid", "tanh", "relu", "leaky_relu"),
                     x_range: tuple[float, float] = (-5.0, 5.0), points: int = 201) -> Any:
    """Each activation (left) next to its derivative as backprop computes it (right)."""
    unknown = [name for name in names if name not in ACTIVATIONS]
    if unknown:
        raise ValueError(f"unknown activation {unknown[0]!r}; choose from "
                         f"{', '.join(ACTIVATIONS)}")
    if points < 2:
        raise ValueError(f"points must be at least 2, got {points}")
    lo, hi = x_range
    xs = [lo + (hi - lo) * i / (points - 1) for i in range(points)]
    plt = _pyplot()
    fig, axes = plt.subplots(len(names), 2, figsize=(8, 2.2 * len(names)), squeeze=False)
    for row, name in enumerate(names):
        values, slopes = [], []
        for x in xs:
            leaf = Value(x)
            out = ACTIVATIONS[name](leaf)
            values.append(out.data)
            slopes.append(grad(out, leaf))
        axes[row][0].plot(xs, values, color="tab:blue")
        axes[row][0].set_title(f"{name} (slope 0.1)" if name == "leaky_relu" else name)
        axes[row][1].plot(xs, slopes, color="tab:red")
        axes[row][1].set_title(f"d {name} / dx")
        for ax in axes[row]:
            ax.axhline(0, color="gray", linewidth=0.5)
            ax.axvline(0, color="gray", linewidth=0.5)
    fig.tight_layout()
    return fig


def plot_history(history: Mapping[str, Sequence[float]]) -> Any:
    """Loss (and accuracy, if recorded) per epoch, training next to validation.

    `history` maps names such as "loss", "val_loss", "accuracy", "val_accuracy" to one number
    per epoch (what a training loop records).
    """
    if not history or not any(history.values()):
        raise ValueError("history is empty: nothing to plot")
    panels = [kind for kind in ("loss", "accuracy")
              if any(name in (kind, f"val_{kind}") for name in history)]
    if not panels:
        raise ValueError(f"history has neither loss nor accuracy; its keys: {', '.join(history)}")
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.5), squeeze=False)
    for ax, kind in zip(axes[0], panels):
        for name, label in ((kind, "training"), (f"val_{kind}", "validation")):
            if history.get(name):
                epochs = range(1, len(history[name]) + 1)
                ax.plot(epochs, history[name], marker="o", markersize=3, label=label)
        ax.set_xlabel("epoch")
        ax.set_title(kind)
        ax.legend()
    fig.tight_layout()
    return fig


def plot_decision_boundary(predict: Callable[[list[float]], float],
                           X: Sequence[Sequence[float]], y: Sequence[int],
                           resolution: int = 60, margin: float = 0.5,
                           level: float | None = None) -> Any:
    """The regions of the plane a 2-D classifier assigns to each class, with the data on top.

    `predict(point)` returns a class, or a score (shaded by value), for a point [x0, x1]. The
    decision boundary is drawn as a black line where the score crosses `level` (by default 0
    for scores; classes are told apart by their shading).
    """
    if not X or len(X) != len(y) or any(len(point) != 2 for point in X):
        raise ValueError("X must be a non-empty list of 2-D points with one label per point")
    if resolution < 2:
        raise ValueError(f"resolution must be at least 2 grid points per side, got {resolution}")
    x0s, x1s = [p[0] for p in X], [p[1] for p in X]
    lo0, hi0 = min(x0s) - margin, max(x0s) + margin
    lo1, hi1 = min(x1s) - margin, max(x1s) + margin
    grid0 = [lo0 + (hi0 - lo0) * i / (resolution - 1) for i in range(resolution)]
    grid1 = [lo1 + (hi1 - lo1) * j / (resolution - 1) for j in range(resolution)]
    with no_grad():  # thousands of predictions: no graph needed
        zs = [[float(predict([a, b])) for a in grid0] for b in grid1]
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.contourf(grid0, grid1, zs, alpha=0.35, cmap="coolwarm")
    values = [z for row in zs for z in row]
    if level is None and not all(float(z).is_integer() for z in values):
        level = 0.0  # a score: the boundary is where it changes sign
    if level is not None and min(values) < level < max(values):
        ax.contour(grid0, grid1, zs, levels=[level], colors="black", linewidths=1.5)
    ax.scatter(x0s, x1s, c=list(y), cmap="coolwarm", edgecolors="black", s=25)
    ax.set_xlim(lo0, hi0)
    ax.set_ylim(lo1, hi1)
    ax.set_title("decision boundary")
    fig.tight_layout()
    return fig


def plot_gradient_magnitudes(magnitudes: Mapping[str, Sequence[float]], log: bool = True) -> Any:
    """Mean |gradient| per layer over training: where gradients vanish (sigmoid) or not (relu).

    `magnitudes` maps a layer's name to one number per step.
    """
    if not magnitudes or not any(magnitudes.values()):
        raise ValueError("magnitudes is empty: nothing to plot")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for name, series in magnitudes.items():
        ax.plot(range(1, len(series) + 1), series, label=name)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("mean |gradient|")
    ax.set_title("gradient size per layer")
    ax.legend()
    fig.tight_layout()
    return fig


def plot_search(results: Any, x: str, by: str | None = None, score: str = "score") -> Any:
    """A hyperparameter search's scores against the setting `x`, one line per value of `by`.

    `results` is what `nn.tuning.search` returns (its `rows` are `(settings, score)` pairs).
    Where other settings vary too, each point is the best score over them, as the title says.
    A setting spanning a factor of 100 or more (a learning rate) is drawn on a log scale. A run
    that diverged (score NaN or infinite) is marked with a red x at the bottom, not left out.
    """
    rows = list(getattr(results, "rows", ()))
    if not rows:
        raise ValueError("plot_search: the search has no results to plot")
    names = list(rows[0][0])
    for name in (x, by):
        if name is not None and name not in names:
            raise ValueError(f"plot_search: {name!r} is not one of the settings searched: "
                             f"{', '.join(names)}")
    if by == x:
        raise ValueError(f"plot_search: x and by are both {x!r}")
    higher = getattr(results, "higher_is_better", True)
    rest = [n for n in names if n not in (x, by)]
    numeric = all(isinstance(s[x], (int, float)) and not isinstance(s[x], bool) for s, _ in rows)
    # Settings by repr: a value may be a list (layer sizes), which cannot be a dict key.
    values = {repr(s[x]): s[x] for s, _ in rows}
    xs = sorted(values, key=lambda k: values[k] if numeric else str(values[k]))
    where = {k: (values[k] if numeric else i) for i, k in enumerate(xs)}
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    groups = {repr(s[by]): s[by] for s, _ in rows} if by is not None else {"": None}
    diverged = []
    for group in sorted(groups, key=lambda k: str(groups[k])):
        best: dict[str, float] = {}
        for settings, value in rows:
            if by is not None and repr(settings[by]) != group:
                continue
            key = repr(settings[x])
            if not math.isfinite(value):
                diverged.append(where[key])
                continue
            old = best.get(key)
            if old is None or (value > old if higher else value < old):
                best[key] = value
        points = [(where[k], best[k]) for k in xs if k in best]
        label = f"{by} = {groups[group]}" if by is not None else None
        ax.plot([p for p, _ in points], [q for _, q in points], marker="o", label=label)
    if diverged:
        ax.plot(diverged, [0.0] * len(diverged), linestyle="none", marker="x", color="red",
                markersize=9, transform=ax.get_xaxis_transform(), clip_on=False,
                label="diverged")
    numbers = [values[k] for k in xs]
    if numeric and min(numbers) > 0 and max(numbers) / min(numbers) >= 100:
        ax.set_xscale("log")
    if not numeric:
        ax.set_xticks(range(len(xs)), [str(values[k]) for k in xs])
    ax.set_xlabel(x)
    ax.set_ylabel(score)
    ax.set_title(f"{score} by {x}" + (f" (best over {', '.join(rest)})" if rest else ""))
    if by is not None or diverged:
        ax.legend()
    fig.tight_layout()
    return fig
