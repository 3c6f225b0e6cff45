"""A training view's state as pictures: the network, the training curves, the decision boundary.

Each picture is one SVG string, drawn on its own white background with fixed colours, so that
it reads the same in a light or dark notebook, live in the widget or stored as an image. The
decision boundary is a small PNG (written here with zlib) stretched over the data's square.

Colours say signs: blue for positive, orange for negative, on weights (edges, thicker when
larger) and on neuron outputs (boxes, deeper when larger).
"""

from __future__ import annotations

import base64
import html
import math
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .state import Network, State

__all__ = ["network_svg", "layers_svg", "curves_svg", "boundary_svg", "png", "Boundary",
           "number", "CLASS_COLOURS"]

POSITIVE, NEGATIVE, INK, MUTED, PAPER = "#2563eb", "#ea580c", "#1f2937", "#6b7280", "#ffffff"
HIGHLIGHT = "#facc15"
# One colour per class (the first two match the signs: class 1 is "positive").
CLASS_COLOURS = ("#ea580c", "#2563eb", "#16a34a", "#9333ea", "#dc2626", "#0891b2", "#ca8a04",
                 "#db2777", "#4b5563", "#65a30d")
FONT = 'font-family="ui-monospace, SFMono-Regular, Menlo, Consolas, monospace"'

BOX_W, BOX_H, GAP, COLUMN = 92, 34, 8, 150  # a neuron's box, the space between, a column
TOP, SIDE = 44, 12  # room for the column titles; the margin left and right


def number(x: float | None, digits: int = 4) -> str:
    """A number as the view writes it: 4 significant digits (as Python reads it back)."""
    if x is None:
        return "n/a"
    if x != x or math.isinf(x):
        return str(x)
    return f"{x + 0.0:.{digits}g}"  # + 0.0: no "-0"


def _svg(width: float, height: float, body: list[str], title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" {FONT} font-size="12">'
            f"<title>{html.escape(title)}</title>"
            f'<rect width="100%" height="100%" fill="{PAPER}"/>' + "".join(body) + "</svg>")


def _text(x: float, y: float, content: str, anchor: str = "middle", size: int = 12,
          colour: str = INK, weight: str = "normal", extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
            f'fill="{colour}" font-weight="{weight}"{extra}>{html.escape(content)}</text>')


def _tint(value: float) -> str:
    """A box's fill: white for 0, deeper blue (positive) or orange (negative) when larger."""
    strength = 0.42 * math.tanh(abs(value)) if math.isfinite(value) else 0.42
    base = (37, 99, 235) if value >= 0 else (234, 88, 12)
    r, g, b = (round(255 + (c - 255) * strength) for c in base)
    return f"#{r:02x}{g:02x}{b:02x}"


def _column_tops(widths: Sequence[int]) -> tuple[list[float], float]:
    """The y of each column's first box (columns centred) and the drawing's height."""
    tallest = max(widths) * (BOX_H + GAP) - GAP
    return [TOP + (tallest - (w * (BOX_H + GAP) - GAP)) / 2 for w in widths], TOP + tallest + 40


def network_svg(network: Network, state: State, parameter_edge: tuple[int, int, int] | None,
                caption: str) -> str:
    """One box per input and neuron with its output and gradient for the tracked sample, one
    edge per weight (colour: sign, width: size), and the chosen parameter's optimizer state.

    `parameter_edge` is (layer, neuron, input) of the chosen weight, highlighted; input -1
    means the neuron's bias (its box is outlined instead)."""
    widths = network.widths
    tops, height = _column_tops(widths)
    width = 2 * SIDE + (len(widths) - 1) * COLUMN + BOX_W + 40  # + the last title's overhang
    body: list[str] = []
    x_of = [SIDE + c * COLUMN for c in range(len(widths))]

    def centre_y(column: int, row: int) -> float:
        return tops[column] + row * (BOX_H + GAP) + BOX_H / 2

    largest = max((abs(w) for layer in state.weights for neuron in layer for w in neuron
                   if math.isfinite(w)), default=1.0) or 1.0
    for layer, neurons in enumerate(state.weights):
        for j, weights in enumerate(neurons):
            for i, w in enumerate(weights):
                share = min(abs(w) / largest, 1.0) if math.isfinite(w) else 1.0
                x1, y1 = x_of[layer] + BOX_W, centre_y(layer, i)
                x2, y2 = x_of[layer + 1], centre_y(layer + 1, j)
                if parameter_edge == (layer, j, i):
                    body.append(f'<line x1="{x1}" y1="{y1:.1f}" x2="{x2}" y2="{y2:.1f}" '
                                f'stroke="{HIGHLIGHT}" stroke-width="{4.5 + 3.2 * share:.2f}"/>')
                body.append(f'<line x1="{x1}" y1="{y1:.1f}" x2="{x2}" y2="{y2:.1f}" '
                            f'stroke="{POSITIVE if w >= 0 else NEGATIVE}" '
                            f'stroke-width="{0.4 + 3.2 * share:.2f}" '
                            f'stroke-opacity="{0.25 + 0.6 * share:.2f}">'
                            f"<title>{network.layer_names[layer]}.neurons.{j}.w.{i} = "
                            f"{number(w)}</title></line>")
    titles = ["inputs", *(f"{name} · {act}" for name, act in zip(network.layer_names,
                                                                  network.activations))]
    for column, title in enumerate(titles):
        body.append(_text(x_of[column] + BOX_W / 2, 18, title, size=12, weight="bold"))
        body.append(_text(x_of[column] + BOX_W / 2, 33, _count(widths[column], column),
                          size=11, colour=MUTED))
    for i, value in enumerate(state.sample):
        top = centre_y(0, i) - BOX_H / 2
        body.append(f'<rect x="{x_of[0]}" y="{top:.1f}" width="{BOX_W}" height="{BOX_H}" '
                    f'rx="4" fill="{_tint(value)}" stroke="{MUTED}"/>')
        body.append(_text(x_of[0] + BOX_W / 2, top + 14, f"x{i}", size=11, colour=MUTED))
        body.append(_text(x_of[0] + BOX_W / 2, top + 28, number(value)))
    for layer, outputs in enumerate(state.outputs):
        column = layer + 1
        for j, value in enumerate(outputs):
            top = centre_y(column, j) - BOX_H / 2
            grad = None if state.grads is None else state.grads[layer][j]
            bias_chosen = parameter_edge == (layer, j, -1)
            name = f"{network.layer_names[layer]}.neurons.{j}"
            body.append(f'<rect x="{x_of[column]}" y="{top:.1f}" width="{BOX_W}" '
                        f'height="{BOX_H}" rx="4" fill="{_tint(value)}" '
                        f'stroke="{HIGHLIGHT if bias_chosen else MUTED}" '
                        f'stroke-width="{4 if bias_chosen else 1}">'
                        f"<title>{name}: output {number(value)}, gradient {number(grad)}, "
                        f"bias {number(state.biases[layer][j])}</title></rect>")
            body.append(_text(x_of[column] + BOX_W / 2, top + 14, number(value),
                              extra=' class="out"'))
            body.append(_text(x_of[column] + BOX_W / 2, top + 28, f"∇ {number(grad, 3)}",
                              size=11, colour=MUTED, extra=' class="grad"'))
    body.append(_text(SIDE, height - 22, _optimizer_line(state), anchor="start", size=12))
    body.append(_text(SIDE, height - 6, caption, anchor="start", size=11, colour=MUTED))
    return _svg(max(width, 560), height, body, "the network, one box per neuron")


def _count(width: int, column: int) -> str:
    """ "2 features", "16 neurons", "1 neuron"."""
    noun = "feature" if column == 0 else "neuron"
    return f"{width} {noun}{'' if width == 1 else 's'}"


# nn.optim's names for its per-parameter numbers, as the course says them.
OPTIMIZER_WORDS = {"grad": "its gradient", "buffers": "momentum buffer", "m": "m", "v": "v",
                   "v_max": "max v", "square_avg": "mean g²", "grad_avg": "mean g",
                   "sums": "sum of g²", "t": "t"}


def _optimizer_line(state: State) -> str:
    """The chosen parameter, its value, the gradient of its last step and its optimizer
    state."""
    parts = [f"{state.parameter} = {number(state.parameter_value)}"]
    parts += [f"{OPTIMIZER_WORDS.get(key, key)} {number(value)}"
              for key, value in state.optimizer.items()
              if not (key == "v_max" and value == 0.0)]
    return " · ".join(parts)


def layers_svg(network: Network, state: State, caption: str) -> str:
    """One box per layer (for networks too large to draw neuron by neuron): its size, mean
    output and mean gradient size for the tracked sample, and the RMS of its weights."""
    count = len(network.widths)
    width = 2 * SIDE + (count - 1) * COLUMN + BOX_W + 40
    height, top, box_h = 190.0, float(TOP), 96
    body: list[str] = []
    for layer, neurons in enumerate(state.weights):
        flat = [w for neuron in neurons for w in neuron]
        rms = math.sqrt(sum(w * w for w in flat) / len(flat)) if flat else 0.0
        x1, x2 = SIDE + layer * COLUMN + BOX_W + 20, SIDE + (layer + 1) * COLUMN
        body.append(f'<line x1="{x1}" y1="{top + box_h / 2}" x2="{x2}" y2="{top + box_h / 2}" '
                    f'stroke="{MUTED}" stroke-width="{1 + min(rms, 2.0) * 3:.2f}"/>')
        body.append(_text((x1 + x2) / 2, top + box_h / 2 - 8, f"rms w {number(rms, 3)}",
                          size=11, colour=MUTED))
    for column in range(count):
        x = SIDE + column * COLUMN
        lines = [("inputs" if column == 0 else network.layer_names[column - 1]),
                 _count(network.widths[column], column)]
        if column == 0:
            lines.append("x mean " + number(sum(state.sample) / len(state.sample), 3))
        else:
            outs = state.outputs[column - 1]
            lines.append("out mean " + number(sum(outs) / len(outs), 3))
            if state.grads is not None:
                grads = state.grads[column - 1]
                lines.append("|∇| mean " + number(sum(map(abs, grads)) / len(grads), 3))
        body.append(f'<rect x="{x}" y="{top}" width="{BOX_W + 20}" height="{box_h}" rx="4" '
                    f'fill="#f3f4f6" stroke="{MUTED}"/>')
        for k, line in enumerate(lines):
            body.append(_text(x + (BOX_W + 20) / 2, top + 20 + 18 * k, line, size=11,
                              weight="bold" if k == 0 else "normal"))
    body.append(_text(SIDE, 20, f"{network.n_neurons} neurons: drawn one box per layer",
                      anchor="start", size=12, weight="bold"))
    body.append(_text(SIDE, height - 22, _optimizer_line(state), anchor="start"))
    body.append(_text(SIDE, height - 6, caption, anchor="start", size=11, colour=MUTED))
    return _svg(max(width, 560), height, body, "the network, one box per layer")


# --- curves ---------------------------------------------------------------------------------

CURVE_W, CURVE_H = 320, 140
SERIES = {  # key: (label, colour, dashed)
    "batch_loss": ("batch loss", "#93c5fd", False),
    "loss": ("loss", POSITIVE, False),
    "val_loss": ("val loss", NEGATIVE, True),
    "accuracy": ("accuracy", POSITIVE, False),
    "val_accuracy": ("val accuracy", NEGATIVE, True),
}


def curves_svg(curves: dict[str, list[tuple[int, float]]], steps: int) -> str:
    """The loss (per batch, per epoch, validation) and the accuracy against the step."""
    body: list[str] = []
    _chart(body, 0, "loss", [k for k in ("batch_loss", "loss", "val_loss") if k in curves],
           curves, steps, None)
    accuracy: list[str] = [k for k in ("accuracy", "val_accuracy") if k in curves]
    height = CURVE_H
    if accuracy:
        _chart(body, CURVE_H, "accuracy", accuracy, curves, steps, (0.0, 1.0))
        height = 2 * CURVE_H
    return _svg(CURVE_W, height, body, "training curves")


def _chart(body: list[str], y0: float, title: str, keys: list[str],
           curves: dict[str, list[tuple[int, float]]], steps: int,
           limits: tuple[float, float] | None) -> None:
    left, right, top, bottom = 48, CURVE_W - 10, y0 + 26, y0 + CURVE_H - 24
    values = [v for k in keys for _, v in curves[k] if math.isfinite(v)]
    low, high = limits or (min(0.0, *values) if values else 0.0,
                           max(values) * 1.05 if values else 1.0)
    if high <= low:
        high = low + 1.0
    span = max(steps, 1)

    def xy(step: float, value: float) -> tuple[float, float]:
        clipped = min(max(value, low), high) if math.isfinite(value) else high
        return (left + (right - left) * step / span,
                bottom - (bottom - top) * (clipped - low) / (high - low))

    body.append(_text(left, y0 + 14, title, anchor="start", weight="bold"))
    body.append(f'<path d="M{left},{top} V{bottom} H{right}" fill="none" stroke="{MUTED}"/>')
    body.append(_text(left - 4, top + 4, number(high, 3), anchor="end", size=10, colour=MUTED))
    body.append(_text(left - 4, bottom + 3, number(low, 3), anchor="end", size=10,
                      colour=MUTED))
    body.append(_text(right, bottom + 14, f"step {steps}", anchor="end", size=10,
                      colour=MUTED))
    legend_x = left + 9.0 * len(title) + 12
    for key in keys:
        label, colour, dashed = SERIES[key]
        points = curves[key]
        if points:
            path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}"
                            for i, (x, y) in enumerate(xy(s, v) for s, v in _thin(points)))
            dash = ' stroke-dasharray="5 3"' if dashed else ""
            body.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="1.6"'
                        f'{dash} class="{key}"/>')
            last = points[-1][1]
            label = f"{label} {number(last, 3)}"
        body.append(_text(legend_x, y0 + 14, label, anchor="start", size=10, colour=colour))
        legend_x += 8 + 6.2 * len(label)


def _thin(points: list[tuple[int, float]], most: int = 400) -> list[tuple[int, float]]:
    """At most `most` points of a curve, evenly spread, always keeping the last."""
    if len(points) <= most:
        return points
    stride = math.ceil(len(points) / most)
    return points[::stride] + ([points[-1]] if (len(points) - 1) % stride else [])


# --- the decision boundary ------------------------------------------------------------------


@dataclass(frozen=True)
class Boundary:
    """The model's classes over a grid covering the data, and the points to draw on it."""

    x_range: tuple[float, float]
    y_range: tuple[float, float]
    classes: Any  # an int array [row, column], row 0 at the top (the highest y)
    confidence: Any  # a float array of the same shape, 0 (on the boundary) to 1
    points: list[tuple[float, float, int]]  # x, y, class
    tracked: tuple[float, float]


def png(pixels: Any) -> bytes:
    """An RGB image (a uint8 array of shape (height, width, 3)) as PNG bytes."""
    import numpy as np

    height, width, _ = pixels.shape
    rows = np.concatenate([np.zeros((height, 1), np.uint8),
                           np.ascontiguousarray(pixels, np.uint8).reshape(height, 3 * width)],
                          axis=1)  # each row starts with its filter type, 0
    raw = rows.tobytes()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                               0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


SIDE_PX = 300


def boundary_svg(boundary: Boundary) -> str:
    """The classes the model gives each point of the plane (paler near the boundary), with the
    training points in their true class's colour and the tracked sample ringed."""
    import numpy as np

    palette = np.array([_rgb(colour) for colour in CLASS_COLOURS], dtype=float)
    strength = (0.18 + 0.35 * np.asarray(boundary.confidence, dtype=float))[..., None]
    colours = palette[np.asarray(boundary.classes) % len(CLASS_COLOURS)]
    pixels = np.rint(255 + (colours - 255) * strength).astype(np.uint8)
    image = base64.b64encode(png(pixels)).decode("ascii")
    (x_low, x_high), (y_low, y_high) = boundary.x_range, boundary.y_range
    top = 24

    def at(x: float, y: float) -> tuple[float, float]:
        return ((x - x_low) / (x_high - x_low) * SIDE_PX,
                top + (y_high - y) / (y_high - y_low) * SIDE_PX)

    body = [_text(0, 16, "decision boundary", anchor="start", weight="bold"),
            f'<image x="0" y="{top}" width="{SIDE_PX}" height="{SIDE_PX}" '
            f'preserveAspectRatio="none" href="data:image/png;base64,{image}"/>']
    for x, y, k in boundary.points:
        px, py = at(x, y)
        body.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" '
                    f'fill="{CLASS_COLOURS[k % len(CLASS_COLOURS)]}" stroke="{PAPER}" '
                    'stroke-width="0.8"/>')
    px, py = at(*boundary.tracked)
    body.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="8" fill="none" stroke="{INK}" '
                'stroke-width="2"><title>the tracked sample</title></circle>')
    body.append(f'<rect x="0" y="{top}" width="{SIDE_PX}" height="{SIDE_PX}" fill="none" '
                f'stroke="{MUTED}"/>')
    return _svg(SIDE_PX, SIDE_PX + top + 2, body, "decision boundary")
