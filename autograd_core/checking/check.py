"""Check backprop worked out by hand, and write the chain rule out with numbers.

The chain rule is shown the way it is done by hand: between the *named* nodes of a program
(inputs and assigned names), e.g. dJ/dw11 = dJ/dy * dy/dh1 * dh1/dw11, summed over every path
from w11 to J. Unnamed intermediate nodes are folded into the factor that crosses them.

>>> report = check("h = sigmoid(w*x)\\nJ = -log(h)", {"dJ/dw": "-0.24", "h": 0.88},
...                at={"w": 1.0, "x": 2.0})
>>> bool(report), [row.correct for row in report]
(True, [True, True])
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ..functional import grad, local_grads
from ..graph import topological_order
from ..ops import OPS
from ..value import Value
from .grading import Requirement, gradescope_results, points_of, requirements_of
from .parse import Program, parse_program

__all__ = ["check", "explain", "CheckReport", "AnswerRow", "Explanation", "written_tolerance",
           "node_name", "differential"]

MAX_PATHS = 64
_DERIVATIVE = re.compile(r"^\s*[d∂]\s*(\w+)\s*/\s*[d∂]\s*(\w+)\s*$")


# --- the chain rule between named nodes --------------------------------------------------------

_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "**": 3}


def node_name(node: Value, depth: int = 4) -> str:
    """A node's label, or a short formula for it (`x*y`, `V1*h1 + V2*h2`, `sigmoid(...)`)."""
    return _formula(node, depth)[0]


def differential(node: Value) -> str:
    """How a node appears in dX/dY notation: `dy`, `d(w*x)`."""
    name = node_name(node)
    return f"d{name}" if name.isidentifier() or _is_number(name) else f"d({name})"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _formula(node: Value, depth: int) -> tuple[str, int]:
    """(text, precedence) of a node; the depth bounds how much of the graph is written out."""
    if node.label:
        return node.label, 9
    if node.is_constant or not node.parents:
        return f"{node.data:g}", 9
    if depth == 0:
        return "...", 9
    symbol = OPS[node.op].symbol
    if symbol in _PRECEDENCE and len(node.parents) == 2:
        mine = _PRECEDENCE[symbol]
        (left, lp), (right, rp) = (_formula(p, depth - 1) for p in node.parents)
        left = f"({left})" if lp < mine else left
        right = f"({right})" if rp < mine or (rp == mine and symbol in "-/") else right
        spaced = f" {symbol} " if mine == 1 else symbol
        return f"{left}{spaced}{right}", mine
    if symbol == "-":  # negation
        text, precedence = _formula(node.parents[0], depth - 1)
        return f"-({text})" if precedence < 9 else f"-{text}", 8
    inner = ", ".join(_formula(p, depth - 1)[0] for p in node.parents)
    return f"{symbol}({inner})", 9


def _direct_factors(out: Value, wrt: Value, every_node: bool = False
                    ) -> dict[Value, list[tuple[Value, float]]]:
    """For each named node b: [(named a, d b / d a along paths whose inner nodes are unnamed)].

    With `every_node`, every node counts as named and each edge is a factor of its own: the
    local derivatives, with `x * x` giving two factors of x rather than one of 2x.
    """
    order = topological_order(out)
    position = {node: i for i, node in enumerate(order)}
    if wrt not in position:  # the output does not depend on it: no path, derivative 0
        return {}
    if every_node:
        return {node: [(parent, math.nan if local is None else local) for parent, local in
                       zip(node.parents, local_grads(node))] for node in order if node.parents}
    named = {node for node in order if node.label} | {out, wrt}
    factors: dict[Value, list[tuple[Value, float]]] = {}
    # In topological order, not the set's (which follows memory addresses), so paths and
    # explanations come out in the same order on every run.
    for b in (node for node in order if node in named):
        if not b.parents:
            continue
        sensitivity: dict[Value, float] = {b: 1.0}
        reached: dict[Value, float] = {}
        for node in reversed(order[: position[b] + 1]):  # children before parents
            g = sensitivity.pop(node, None)
            if not g:  # nothing flows through this node (or it is a step's input): no factor
                continue
            for parent, local in zip(node.parents, local_grads(node)):
                contribution = g * (local if local is not None else math.nan)
                target = reached if parent in named else sensitivity
                target[parent] = target.get(parent, 0.0) + contribution
        factors[b] = list(reached.items())
    return factors


@dataclass(frozen=True)
class Path:
    """One way from the variable to the output through named nodes, with its factors."""

    nodes: tuple[Value, ...]  # wrt, ..., out
    factors: tuple[float, ...]  # d nodes[i+1] / d nodes[i]

    @property
    def value(self) -> float:
        """The product of the factors: this path's share of the derivative."""
        return math.prod(self.factors)

    def text(self) -> str:
        """`w -> h -> J`."""
        return " -> ".join(node_name(n) for n in self.nodes)


def _paths(out: Value, wrt: Value, every_node: bool = False) -> tuple[list[Path], int]:
    """Up to MAX_PATHS named paths from wrt to out, and how many there are in all."""
    factors = _direct_factors(out, wrt, every_node)
    users: dict[Value, list[tuple[Value, float]]] = {}  # a -> [(b, d b / d a)], one per edge
    for b, edges in factors.items():
        for a, factor in edges:
            users.setdefault(a, []).append((b, factor))
    # Count the paths first (dynamic programming, children after parents) so that a graph
    # with millions of them is never enumerated; `leads` marks nodes on some path to out.
    order = topological_order(out)
    count: dict[Value, int] = {wrt: 1}
    for node in order:
        for a, _ in factors.get(node, []):
            if a in count:
                count[node] = count.get(node, 0) + count[a]
    leads = {out}
    for node in reversed(order):
        if any(b in leads for b, _ in users.get(node, [])):
            leads.add(node)
    total = count.get(out, 0)
    paths: list[Path] = []
    stack: list[tuple[Value, tuple[Value, ...], tuple[float, ...]]] = [(wrt, (wrt,), ())]
    while stack and len(paths) < MAX_PATHS:
        node, nodes, fs = stack.pop()
        if node is out:
            paths.append(Path(nodes, fs))
            continue
        for user, factor in reversed(users.get(node, [])):
            if user in leads:
                stack.append((user, (*nodes, user), (*fs, factor)))
    return paths, total


@dataclass(frozen=True, repr=False)
class Explanation:
    """d(output)/d(wrt) as a sum over paths of products of local derivatives."""

    output: Value
    wrt: Value
    paths: tuple[Path, ...]
    total_paths: int
    value: float

    def _factor_names(self, path: Path) -> list[str]:
        return [f"{differential(b)}/{differential(a)}" for a, b in zip(path.nodes, path.nodes[1:])]

    def __str__(self) -> str:
        out, wrt = node_name(self.output), node_name(self.wrt)
        ratio = f"{differential(self.output)}/{differential(self.wrt)}"
        count = f"{self.total_paths} path" + ("s" if self.total_paths != 1 else "")
        lines = [f"{ratio}: the chain rule along {count} from {wrt} to {out}"]
        for path in self.paths:
            names = " * ".join(reversed(self._factor_names(path))) or "1"
            numbers = " * ".join(f"{f:.4g}" for f in reversed(path.factors)) or "1"
            lines.append(f"  {path.text()}:  {names} = {numbers} = {path.value:.4g}")
        if self.total_paths > len(self.paths):
            lines.append(f"  ... and {self.total_paths - len(self.paths)} more paths")
        if self.total_paths > 1:
            lines.append(f"{ratio} = sum over the paths = {self.value:.6g}")
        else:
            lines.append(f"{ratio} = {self.value:.6g}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_markdown_(self) -> str:
        def frac(b: str, a: str) -> str:
            return rf"\frac{{\partial\,\mathrm{{{b}}}}}{{\partial\,\mathrm{{{a}}}}}"

        out, wrt = node_name(self.output), node_name(self.wrt)
        terms = []
        for path in self.paths:
            pairs = list(zip(path.nodes, path.nodes[1:]))
            symbols = " ".join(frac(node_name(b), node_name(a)) for a, b in reversed(pairs))
            numbers = r" \cdot ".join(f"{f:.4g}" for f in reversed(path.factors))
            terms.append(f"- path `{path.text()}`: ${symbols} = {numbers} = {path.value:.4g}$")
        return "\n".join([f"${frac(out, wrt)} = {self.value:.6g}$, the sum over "
                          f"{self.total_paths} path(s):", "", *terms])


def explain(output: Value, wrt: Value) -> Explanation:
    """The chain rule for d(output)/d(wrt), path by path, with numbers.

    >>> from autograd_core import Value
    >>> x = Value(3.0, label="x")
    >>> a = x * 2
    >>> a.label = "a"
    >>> f = a * x       # x reaches f twice: through a, and directly
    >>> f.label = "f"
    >>> print(explain(f, x))
    df/dx: the chain rule along 2 paths from x to f
      x -> a -> f:  df/da * da/dx = 3 * 2 = 6
      x -> f:  df/dx = 6 = 6
    df/dx = sum over the paths = 12
    """
    if not isinstance(output, Value) or not isinstance(wrt, Value):
        raise TypeError("explain needs two Values: the output and the variable")
    paths, total = _paths(output, wrt)
    return Explanation(output, wrt, tuple(paths), total, grad(output, wrt))


# --- reading and judging answers -----------------------------------------------------------------

def written_tolerance(text: str) -> float:
    """Half a unit in the last place written: "-0.41" -> 0.005, "-3e-6" -> 5e-7, "0" -> exact."""
    mantissa, _, exponent = text.strip().lower().partition("e")
    digits = mantissa.lstrip("+-")
    if digits.strip("0") == "":  # "0" (no decimals) claims exactly zero; "0.00" is rounded
        return 0.0
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    try:
        return 0.5 * 10.0 ** (int(exponent or 0) - decimals)
    except OverflowError:  # "1e400" is refused before this; this only keeps it from crashing
        return math.inf


def _read(given: object) -> tuple[float | None, str]:
    """The number an answer stands for (None if unreadable) and its written form."""
    if isinstance(given, bool):
        return None, repr(given)
    if isinstance(given, (int, float)):
        number, text = float(given), repr(given)
    else:
        text = str(given).strip().replace("\u2212", "-").replace(" ", "")  # a typeset minus
        try:
            number = float(text)
        except ValueError:
            try:
                number = float(Fraction(text))  # "1/3", "-2/3"
            except (ValueError, ZeroDivisionError, OverflowError):
                return None, text
    # inf, nan and numbers beyond a float are not answers: they would match anything.
    return (number, text) if math.isfinite(number) else (None, text)


@dataclass(frozen=True)
class AnswerRow:
    """One answer: what it is, what it should be, what was given, and a hint if it is wrong;
    the points it got of those it is worth, and the precision required of it (if any)."""

    name: str
    expected: float
    given: float | None
    written: str
    correct: bool
    hint: str
    points: float = 0.0
    max_points: float = 1.0
    required: str = ""

    def shown_hint(self, reveal: bool) -> str:
        """The hint, without the true value unless `reveal` (for grading)."""
        return self.hint if reveal or not self.hint.startswith("expected ") else "not right yet"

    def as_dict(self, reveal: bool) -> dict[str, Any]:
        """The row as JSON: the true value only with `reveal` (or when the answer is right)."""
        row = {"name": self.name, "written": self.written, "given": self.given,
               "correct": self.correct, "points": self.points, "max_points": self.max_points,
               "required": self.required or None,
               "hint": None if self.correct else self.shown_hint(reveal)}
        if reveal or self.correct:
            row["expected"] = self.expected
        return row


@dataclass(frozen=True, repr=False)
class CheckReport:
    """Truthy exactly when every answer is right; iterate for the rows."""

    rows: tuple[AnswerRow, ...]
    graded: bool = False  # points or a precision were given: the table shows the points

    def __bool__(self) -> bool:
        return all(row.correct for row in self.rows)

    def __iter__(self) -> Iterator[AnswerRow]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __str__(self) -> str:
        return self.table()

    __repr__ = __str__  # what a notebook or the REPL shows: the table

    @property
    def score(self) -> float:
        """The points of the right answers."""
        return sum(row.points for row in self.rows)

    @property
    def max_score(self) -> float:
        """The points of every answer."""
        return sum(row.max_points for row in self.rows)

    def summary(self) -> str:
        """`3 of 5 right, 4 of 7 points`."""
        right = f"{sum(r.correct for r in self.rows)} of {len(self.rows)} right"
        return f"{right}, {self.score:g} of {self.max_score:g} points" if self.graded else right

    def table(self, reveal: bool = True) -> str:
        """The report as a text table; without `reveal`, wrong answers' true values stay hidden
        (for grading: the hints still point at the mistake)."""
        width = max([len(r.name) for r in self.rows] + [6])
        points = f"  {'points':>7}" if self.graded else ""
        lines = [f"{'answer':<{width}}  {'given':>12}  {'expected':>12}{points}  result"]
        for r in self.rows:
            verdict = "right" if r.correct else f"WRONG: {r.shown_hint(reveal)}"
            expected = f"{r.expected:.6g}" if reveal or r.correct else "?"
            got = f"  {f'{r.points:g}/{r.max_points:g}':>7}" if self.graded else ""
            lines.append(f"{r.name:<{width}}  {r.written:>12}  {expected:>12}{got}  {verdict}")
        lines.append(self.summary())
        return "\n".join(lines)

    def as_dict(self, reveal: bool = False) -> dict[str, Any]:
        """The report as JSON: score, max_score and one entry per answer (true values of wrong
        answers only with `reveal`)."""
        return {"score": self.score, "max_score": self.max_score, "all_right": bool(self),
                "summary": self.summary(), "answers": [r.as_dict(reveal) for r in self.rows]}

    def gradescope(self, reveal: bool = False) -> dict[str, Any]:
        """Gradescope's results.json for these answers: one test per answer, with its points."""
        return gradescope_results(self.rows, self.score, self.summary(), reveal)

    def _repr_html_(self) -> str:
        import html

        cells = "".join(
            f"<tr><td>{html.escape(r.name)}</td><td>{html.escape(r.written)}</td>"
            f"<td>{r.expected:.6g}</td><td>{'&#x2714;' if r.correct else '&#x2718;'}</td>"
            f"<td>{html.escape(r.hint)}</td></tr>" for r in self.rows)
        return ("<table><tr><th>answer</th><th>given</th><th>expected</th><th></th>"
                f"<th>hint</th></tr>{cells}</table>")


def _close(a: float, b: float, tolerance: float) -> bool:
    return abs(a - b) <= tolerance + 1e-9 * max(abs(a), abs(b)) + 1e-300


def _hint(given: float, expected: float, tolerance: float, out: Value, wrt: Value) -> str:
    """Why a derivative answer may be wrong, found by trying the usual mistakes on the graph:
    first between named nodes (as worked by hand), then through every node."""
    tol = max(tolerance, 1e-6 * abs(expected))
    if given == 0:
        return (f"it is not 0: some path carries a gradient ({node_name(wrt)} reaches "
                f"{node_name(out)})")
    if _close(given, -expected, tol):
        return "the sign is flipped"
    for every_node in (False, True):
        paths, total = _paths(out, wrt, every_node)
        if total > len(paths):
            return (f"check the chain rule: {node_name(wrt)} reaches {node_name(out)} along "
                    f"{total} paths")
        hint = _path_hint(given, tol, paths, out, wrt) or _factor_hint(given, tol, paths)
        if hint:
            return hint
    return f"expected {expected:.6g}; explain() writes out the chain rule with numbers"


def _path_hint(given: float, tol: float, paths: list[Path], out: Value, wrt: Value) -> str:
    """Some of the paths from wrt to out were left out of the sum."""
    if not 1 < len(paths) <= 10:
        return ""
    for mask in range(1, 2 ** len(paths) - 1):  # every proper, non-empty subset of the paths
        chosen = [p for i, p in enumerate(paths) if mask >> i & 1]
        if _close(given, sum(p.value for p in chosen), tol):
            left_out = [p for i, p in enumerate(paths) if not mask >> i & 1]
            if len({p.text() for p in paths}) == 1:  # x * x: one path per use of x
                return (f"{node_name(wrt)} is used {len(paths)} times on the way to "
                        f"{node_name(out)} ({paths[0].text()}); each use sends its own "
                        "contribution, and they add up")
            counted = "the path " if len(chosen) == 1 else "only the paths "
            return (f"{counted}{_list_paths(chosen)} counted; {node_name(wrt)} also reaches "
                    f"{node_name(out)} along {_list_paths(left_out)}: add every path")
    return ""


def _list_paths(paths: list[Path]) -> str:
    """`x -> a -> f; x -> x*x -> f (2 times)`: a value used twice is two paths."""
    texts: dict[str, int] = {}
    for path in paths:
        texts[path.text()] = texts.get(path.text(), 0) + 1
    return "; ".join(text + (f" ({n} times)" if n > 1 else "") for text, n in texts.items())


def _factor_hint(given: float, tol: float, paths: list[Path]) -> str:
    """One factor of the chain missing, counted twice, or replaced by a forward value."""
    values = [p.value for p in paths]
    for i, path in enumerate(paths):
        rest = sum(values) - values[i]
        for (a, b), f in zip(zip(path.nodes, path.nodes[1:]), path.factors):
            factor = f"{differential(b)}/{differential(a)} = {f:.4g}"
            if f != 0 and _close(given, path.value / f + rest, tol):
                return f"the factor {factor} is missing"
            if _close(given, path.value * f + rest, tol):
                return f"the factor {factor} is counted twice"
            if f != 0 and _close(given, path.value / f * b.data + rest, tol):
                return (f"the forward value of {node_name(b)} ({b.data:.4g}) was used where its "
                        f"derivative {factor} belongs")
    return ""


def _named_values(graph: Program | Value) -> tuple[Value, dict[str, Value]]:
    if isinstance(graph, Program):
        return graph.output, graph.values
    names: dict[str, Value] = {}
    for node in topological_order(graph):
        if node.label:
            names.setdefault(node.label, node)
    return graph, names


def check(program_or_graph: str | Program | Value, answers: Mapping[str, Any],
          at: Mapping[str, float] | None = None, tolerance: float | None = None, *,
          points: float | Mapping[str, float] | None = None,
          precision: str | Mapping[str, str] | None = None) -> CheckReport:
    """Judge answers about a program (text or parsed) or a graph of labelled Values.

    `answers` maps "dJ/dw11" (a derivative of any named node with respect to another) or "y"
    (a forward value) to a number or the string the student wrote. A written answer is right
    when it equals the true value to the precision it was written with ("-0.41" for -0.4096,
    "-3e-6" for -3.42e-6; a written 0 claims exactly zero); `tolerance` (absolute) overrides.

    For grading: `points` (one number for every answer, or a table answer -> points, "*" for
    the rest; 1 each by default) gives the report its `score` and `max_score`; `precision`
    ("3 significant figures", "2 decimals"; or a table likewise) is the least an answer must
    be written with to be accepted.
    """
    if tolerance is not None and not (isinstance(tolerance, (int, float))
                                      and math.isfinite(tolerance) and tolerance >= 0):
        raise ValueError(f"tolerance must be a finite number >= 0, got {tolerance!r}")
    if isinstance(program_or_graph, str):
        program_or_graph = parse_program(program_or_graph, at or {})
    elif at:
        raise ValueError("`at` gives input values for a program text; a parsed program or a "
                         "graph already has its values")
    if not isinstance(program_or_graph, (Program, Value)):
        raise TypeError("check needs a program (text or parsed) or a Value, got "
                        f"{type(program_or_graph).__name__}")
    _, names = _named_values(program_or_graph)
    worth = points_of(1 if points is None else points, answers)
    requirements = requirements_of(precision, answers)
    # A written 0 claims exactly zero, up to the rounding noise of floats at this graph's scale
    # (0.1*3 - 0.3 is 5.6e-17, not 0).
    noise = 1e-12 * max([1.0, *(abs(v.data) for v in names.values())])
    rows = []
    for key, given in answers.items():
        match = _DERIVATIVE.match(key)
        wanted = [match.group(1), match.group(2)] if match else [key.strip()]
        missing = [name for name in wanted if name not in names]
        if missing:
            raise ValueError(f"answer {key!r}: there is no node named {missing[0]!r} "
                             f"(names: {', '.join(sorted(names))})")
        if match:
            out, wrt = names[wanted[0]], names[wanted[1]]
            expected = grad(out, wrt)
        else:
            expected = names[wanted[0]].data
        number, written = _read(given)
        requirement = requirements[key]
        graded: dict[str, Any] = {"max_points": worth[key], "required": str(requirement or "")}
        if number is None:
            reason = ("not answered" if written == ""
                      else f"could not read {written!r} as a finite number")
            rows.append(AnswerRow(key, expected, None, written, False, reason, **graded))
            continue
        # A true zero has no figures to round: "0" is its exact answer, whatever the precision.
        exact_zero = number == 0 and abs(expected) <= noise
        if requirement is not None and not requirement.met_by(written) and not exact_zero:
            rows.append(AnswerRow(key, expected, number, written, False,
                                  _precision_hint(requirement, written), **graded))
            continue
        if tolerance is not None:
            allowed = tolerance
        elif "/" in written:
            allowed = 1e-9 * abs(number)  # a fraction is exact
        else:
            allowed = written_tolerance(written) or noise
        correct = _close(number, expected, allowed)
        hint = ""
        if not correct:
            hint = (_hint(number, expected, allowed, out, wrt) if match
                    else "the sign is flipped" if _close(number, -expected, allowed)
                    else f"expected {expected:.6g}")
        rows.append(AnswerRow(key, expected, number, written, correct, hint,
                              points=worth[key] if correct else 0.0, **graded))
    return CheckReport(tuple(rows), graded=points is not None or precision is not None)


def _precision_hint(requirement: Requirement, written: str) -> str:
    return (f"write it with at least {requirement} ({written} shows "
            f"{requirement.shown_by(written)})")
