"""Forward mode: derivatives pushed from the inputs to the outputs, one direction at a time.

Reverse mode (`backward`, `grad`) starts from one output and finds its derivative with respect
to every input in one pass. Forward mode starts from one direction in the inputs (a tangent:
how fast each input moves) and finds how fast every output moves, in one pass:

    tangent(node) = sum over its parents of d(node)/d(parent) * tangent(parent)

in topological order, inputs first. d(node)/d(parent) is the op's VJP with an output gradient
of 1 (`local_grads`, the numbers a drawing writes on its edges), so no derivative is written
twice: the op table defines both modes.

The full Jacobian of m outputs by n inputs takes n forward passes (one per input direction) or
m reverse passes (one per output): forward mode wins with few inputs and many outputs,
reverse mode with many inputs and one output, a loss. `jacobian(..., mode=...)` does either.

>>> from autograd_core import Value
>>> x, y = Value(3.0), Value(2.0)
>>> f = x * x * y                    # df/dx = 2xy = 12, df/dy = x**2 = 9
>>> jvp(f, [x, y], [1.0, 0.0]), jvp(f, [x, y], [0.0, 1.0]), jvp(f, [x, y], [1.0, 1.0])
(12.0, 9.0, 21.0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .functional import grad, local_grads
from .graph import topological_order
from .ops import OpError
from .value import Value

__all__ = ["jvp", "jacobian"]


def _values(who: str, what: str, items: object) -> list[Value]:
    if isinstance(items, Value) or not isinstance(items, Sequence):
        raise TypeError(f"{who}: {what} must be a sequence of Values, got "
                        f"{type(items).__name__}")
    found = list(items)
    for i, item in enumerate(found):
        if not isinstance(item, Value):
            raise TypeError(f"{who}: {what}[{i}] must be a Value, got {type(item).__name__}")
    if len(set(map(id, found))) != len(found):
        raise ValueError(f"{who}: {what} name the same Value twice")
    return found


def _check_independent(who: str, sources: list[Value]) -> None:
    """Inputs are independent variables: none may be computed from another (forward mode
    would hold it fixed where reverse mode goes through it)."""
    given = set(sources)
    for source in sources:
        if source.parents:
            ancestors = set(topological_order(source)) - {source}
            if ancestors & given:
                raise ValueError(f"{who}: the inputs must not depend on each other, but "
                                 f"input {sources.index(source)} is computed from input "
                                 f"{sources.index(next(iter(ancestors & given)))}")


def jvp(outputs: Value | Sequence[Value], inputs: Sequence[Value],
        tangents: Sequence[float]) -> Any:
    """How fast each output moves when the inputs move along `tangents` (forward mode): the
    Jacobian times the tangent vector, without forming the Jacobian. One number for one output,
    else a list. An output that does not depend on the inputs moves at 0.

    Inputs are the independent variables: one computed from another is refused.
    """
    roots = [outputs] if isinstance(outputs, Value) else _values("jvp", "outputs", outputs)
    sources = _values("jvp", "inputs", inputs)
    if isinstance(tangents, (str, bytes)) or not isinstance(tangents, Sequence) \
            or len(tangents) != len(sources):
        raise ValueError(f"jvp: give one tangent per input ({len(sources)}), got "
                         f"{tangents!r:.60}")
    _check_independent("jvp", sources)
    moving: dict[Value, float] = {}
    for i, (source, t) in enumerate(zip(sources, tangents)):
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t):
            raise ValueError(f"jvp: tangents[{i}] must be a finite number, got {t!r:.40}")
        if t:
            moving[source] = float(t)
    given = set(sources)
    for node in topological_order(*roots):
        if node in given or not node.parents:
            continue
        parents = node.parents
        if not any(parent in moving for parent in parents):
            continue  # nothing moves here: skip the local derivatives
        total = 0.0
        for parent, local in zip(parents, local_grads(node)):
            speed = moving.get(parent)
            if speed is None:
                continue
            if local is None:
                raise OpError(f"jvp: d({node.op})/d(operand) does not exist at this point "
                              f"({node.op} of {parent.data:g}), and that operand moves")
            total += local * speed
        if total:
            moving[node] = total
    found = [moving.get(root, 0.0) for root in roots]
    return found[0] if isinstance(outputs, Value) else found


def jacobian(outputs: Sequence[Value], inputs: Sequence[Value],
             mode: str = "reverse") -> list[list[float]]:
    """The matrix d(output_i)/d(input_j), rows by outputs: by one reverse pass per output
    (mode="reverse", `grad`) or one forward pass per input (mode="forward", `jvp`). The same
    numbers either way; the cost is what differs.

    >>> from autograd_core import Value
    >>> x, y = Value(1.0), Value(2.0)
    >>> jacobian([x * y, x + y], [x, y], mode="forward")
    [[2.0, 1.0], [1.0, 1.0]]
    """
    roots = _values("jacobian", "outputs", outputs)
    sources = _values("jacobian", "inputs", inputs)
    _check_independent("jacobian", sources)
    if mode == "reverse":
        return [[float(g) for g in grad(root, sources)] for root in roots]
    if mode != "forward":
        raise ValueError(f"jacobian: mode must be 'reverse' or 'forward', got {mode!r:.40}")
    columns = [jvp(roots, sources, [1.0 if k == j else 0.0 for k in range(len(sources))])
               for j in range(len(sources))]
    return [[columns[j][i] for j in range(len(sources))] for i in range(len(roots))]
