"""Check backward against finite differences.

`numerical_grad` estimates each partial derivative by central differences,
(f(x + h) - f(x - h)) / 2h, which needs only the forward pass; `gradcheck` compares those
estimates with the engine's gradients and reports input by input.

>>> report = gradcheck(lambda x, y: x * y + y.tanh(), [2.0, 0.5])
>>> bool(report)
True
>>> print(report)  # doctest: +NORMALIZE_WHITESPACE
input      value      backward     numerical    abs error  ok
x0         2          0.5          0.5          ...        yes
x1         0.5        2.78645      2.78645      ...        yes
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from .functional import grad
from .value import Value, no_grad

__all__ = ["numerical_grad", "gradcheck", "GradcheckReport", "GradcheckRow"]

Function = Callable[..., "Value | float"]


def _inputs(inputs: Sequence[Value | float]) -> list[tuple[str, float]]:
    named = []
    for i, x in enumerate(inputs):
        if isinstance(x, Value):
            named.append((x.label or f"x{i}", x.data))
        elif isinstance(x, (int, float)) and not isinstance(x, bool):
            named.append((f"x{i}", float(x)))
        else:
            raise TypeError(f"inputs[{i}] must be a number or a Value, got {type(x).__name__}")
    return named


def numerical_grad(f: Function, inputs: Sequence[Value | float], eps: float = 1e-6) -> list[float]:
    """Central-difference estimate of d f / d input for each input.

    `f` takes one Value per input and returns a Value. The step is `eps` scaled by the size
    of the input, so large inputs are not differenced below their float resolution.

    >>> [round(g, 6) for g in numerical_grad(lambda x: x ** 3, [2.0])]
    [12.0]
    """
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not 0 < eps < math.inf:
        raise ValueError(f"numerical_grad: eps must be a finite number > 0, got {eps!r}")
    point = [x for _, x in _inputs(inputs)]

    def f_at(xs: list[float]) -> float:
        with no_grad():
            return float(f(*[Value(x) for x in xs]))

    estimates = []
    for i, x in enumerate(point):
        h = eps * max(1.0, abs(x))
        above, below = list(point), list(point)
        above[i], below[i] = x + h, x - h
        estimates.append((f_at(above) - f_at(below)) / (above[i] - below[i]))
    return estimates


@dataclass(frozen=True)
class GradcheckRow:
    """One input's gradient from backward next to its finite-difference estimate."""

    name: str
    value: float
    backward: float
    numerical: float
    ok: bool

    @property
    def abs_error(self) -> float:
        """|backward - numerical|."""
        return abs(self.backward - self.numerical)


@dataclass(frozen=True, repr=False)
class GradcheckReport:
    """The result of `gradcheck`: truthy when every input's gradient agrees."""

    rows: tuple[GradcheckRow, ...]

    def __bool__(self) -> bool:
        return all(row.ok for row in self.rows)

    def __iter__(self) -> Iterator[GradcheckRow]:
        return iter(self.rows)

    def __str__(self) -> str:
        lines = [f"{'input':<10} {'value':<10} {'backward':<12} {'numerical':<12} "
                 f"{'abs error':<10} ok"]
        for r in self.rows:
            lines.append(f"{r.name:<10} {r.value:<10.6g} {r.backward:<12.6g} {r.numerical:<12.6g} "
                     + f"{r.abs_error:<10.2g} {'yes' if r.ok else 'NO'}")
        return "\n".join(lines)

    __repr__ = __str__  # what a notebook or the REPL shows: the table

    def _repr_html_(self) -> str:
        header = "".join(f"<th>{h}</th>" for h in ("input", "value", "backward", "numerical",
                                                   "abs error", "ok"))
        body = "".join(
            f"<tr><td>{html.escape(r.name)}</td><td>{r.value:.6g}</td><td>{r.backward:.6g}</td>"
            f"<td>{r.numerical:.6g}</td><td>{r.abs_error:.2g}</td>"
            f"<td>{'&#x2714;' if r.ok else '&#x2718;'}</td></tr>" for r in self.rows)
        return f"<table><tr>{header}</tr>{body}</table>"


def gradcheck(
    f: Function,
    inputs: Sequence[Value | float],
    eps: float = 1e-6,
    atol: float = 1e-6,
    rtol: float = 1e-4,
) -> GradcheckReport:
    """Compare backward's gradient of `f` at `inputs` with central differences, input by input.

    An input passes when |backward - numerical| <= atol + rtol * |numerical|. Inputs may be
    numbers or Values (whose labels name the rows); their `.grad` is not touched.
    """
    named = _inputs(inputs)
    leaves = [Value(x, label=name) for name, x in named]
    output = f(*leaves)
    if not isinstance(output, Value):
        raise TypeError(f"gradcheck: f must return a Value, got {type(output).__name__}")
    analytic = grad(output, leaves)
    numeric = numerical_grad(f, [x for _, x in named], eps)
    return GradcheckReport(tuple(
        GradcheckRow(name, x, a, n, abs(a - n) <= atol + rtol * abs(n))
        for (name, x), a, n in zip(named, analytic, numeric)
    ))
