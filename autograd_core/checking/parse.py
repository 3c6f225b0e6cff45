"""Turn a small program into a graph of labelled Values, without evaluating any code.

    h1 = sigmoid(w11*x1 + w21*x2)
    y = sigmoid(v1*h1 + v2*h2)
    J = -log(y)

Each line is an expression, or a name assigned an expression; the last line is the output.
Allowed: numbers, names, + - * / **, unary minus and plus, parentheses, and calls of the
engine's functions (exp log sqrt tanh sigmoid relu leaky_relu step sin cos abs). Python's `ast`
module only parses the text; this module then walks the tree and builds Values itself, refusing
every other kind of node with its line and column. Nothing is ever passed to eval or exec.

Limits: at most 10,000 characters, 500 lines, 2,000 nodes (numbers, names and operations),
brackets nested 50 deep and expressions nested 500 deep; numbers must be finite floats.
Arithmetic on numbers alone (`2/3`, `1+1`, `exp(2)`) is worked out at once and stays a constant.

>>> program = parse("y = 2 * x ** 2\\nz = y + x", x=3)
>>> program.output.data, program.output.label, sorted(program.values)
(21.0, 'z', ['x', 'y', 'z'])
"""

from __future__ import annotations

import ast
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

from ..ops import OpError
from ..value import Constant, Value, as_value, no_grad

__all__ = ["parse", "parse_program", "Program", "ExpressionError", "FUNCTIONS", "LIMITS"]

LIMITS = {"characters": 10_000, "lines": 500, "nodes": 2_000, "brackets": 50, "depth": 500}

# name -> (number of arguments it takes, how to apply it)
FUNCTIONS = {
    "exp": 1, "log": 1, "sqrt": 1, "tanh": 1, "sigmoid": 1, "relu": 1, "step": 1, "sin": 1,
    "cos": 1, "abs": 1, "leaky_relu": 2,  # leaky_relu(x) or leaky_relu(x, slope)
}

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_ALLOWED = ("A program may use only numbers, names, + - * / **, unary minus, parentheses and "
            "calls of " + ", ".join(FUNCTIONS) + ".")


class ExpressionError(ValueError):
    """A program was refused (or failed to evaluate), with the line and column where."""

    def __init__(self, message: str, text: str = "", line: int = 0, column: int = 0) -> None:
        where = ""
        source_line = ""
        if line and text:
            lines = text.splitlines()
            source_line = lines[line - 1] if line <= len(lines) else ""
            # ast counts columns in UTF-8 bytes; a reader counts characters (h\u2081 = ...).
            column = len(source_line.encode()[:column].decode(errors="ignore"))
        self.line, self.column = line, column
        if line:
            where = f"line {line}, column {column + 1}: "
            if source_line:
                message += f"\n    {source_line}\n    {' ' * column}^"
        super().__init__(where + message)


@dataclass(frozen=True)
class Program:
    """A parsed program: its output Value and every named Value (inputs and intermediates)."""

    output: Value
    values: dict[str, Value]
    inputs: tuple[str, ...]  # names given values from outside
    text: str


def _bracket_depth(text: str) -> int:
    depth = deepest = 0
    for char in text:
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth -= 1
    return deepest


def _number(node: ast.Constant, text: str) -> float:
    value = node.value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        kind = "a string" if isinstance(value, str) else type(value).__name__
        raise ExpressionError(f"not allowed here: {kind}. {_ALLOWED}", text,
                              node.lineno, node.col_offset)
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise ExpressionError("this number is too large for a float", text, node.lineno,
                              node.col_offset)
    return number


def _children(node: ast.expr, text: str) -> list[ast.expr]:
    """The sub-expressions of an allowed node (and a refusal for anything else)."""
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return [node.operand]
    if isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in FUNCTIONS:
            what = f"unknown function {name!r}" if name else "only named functions can be called"
            raise ExpressionError(f"{what}; the functions are {', '.join(FUNCTIONS)}", text,
                                  node.lineno, node.col_offset)
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise ExpressionError(f"{name}() takes plain positional arguments only", text,
                                  node.lineno, node.col_offset)
        most = FUNCTIONS[name]
        if not 1 <= len(node.args) <= most:
            expected = "1 argument" if most == 1 else f"1 or {most} arguments"
            raise ExpressionError(f"{name}() takes {expected}, got {len(node.args)}", text,
                                  node.lineno, node.col_offset)
        return list(node.args)
    if isinstance(node, (ast.Name, ast.Constant)):
        return []
    kinds = {ast.Attribute: "attribute access", ast.Subscript: "subscripts",
             ast.Lambda: "lambdas", ast.Compare: "comparisons", ast.BoolOp: "and/or",
             ast.IfExp: "conditional expressions", ast.ListComp: "comprehensions",
             ast.GeneratorExp: "comprehensions", ast.DictComp: "comprehensions",
             ast.SetComp: "comprehensions", ast.JoinedStr: "strings",
             ast.List: "lists", ast.Tuple: "tuples", ast.Dict: "dicts", ast.Set: "sets",
             ast.NamedExpr: "the := operator", ast.Await: "await", ast.Starred: "starred "
             "expressions"}
    what = kinds.get(type(node), f"this kind of expression ({type(node).__name__})")
    if isinstance(node, ast.BinOp):
        what = "this operator (% // @ and bitwise operators)"
    elif isinstance(node, ast.UnaryOp):
        what = "this unary operator (not, ~)"
    raise ExpressionError(f"not allowed here: {what}. {_ALLOWED}", text,
                          getattr(node, "lineno", 0), getattr(node, "col_offset", 0))


def _evaluate(expr: ast.expr, names: Mapping[str, Value], text: str, budget: list[int]) -> Value:
    """Build the Value of an expression, post-order with an explicit stack (no recursion)."""
    results: list[Value | float] = []
    stack: list[tuple[ast.expr, int, bool]] = [(expr, 1, False)]
    while stack:
        node, depth, ready = stack.pop()
        if depth > LIMITS["depth"]:
            raise ExpressionError(f"expression nested more than {LIMITS['depth']} deep", text,
                                  node.lineno, node.col_offset)
        children = _children(node, text)
        if not ready:
            stack.append((node, depth, True))
            stack.extend((child, depth + 1, False) for child in reversed(children))
            continue
        args = results[len(results) - len(children):]
        del results[len(results) - len(children):]
        budget[0] -= 1
        if budget[0] < 0:
            raise ExpressionError(f"more than {LIMITS['nodes']} numbers, names and operations",
                                  text, node.lineno, node.col_offset)
        try:
            results.append(_build(node, args, names, text))
        except OpError as exc:
            raise ExpressionError(str(exc), text, node.lineno, node.col_offset) from None
    (value,) = results
    return value if isinstance(value, Value) else Value(value)


def _build(node: ast.expr, args: list[Value | float], names: Mapping[str, Value],
           text: str) -> Value | float:
    if isinstance(node, ast.Constant):
        return _number(node, text)
    if isinstance(node, ast.Name):
        if node.id not in names:
            known = ", ".join(sorted(names)) or "none"
            raise ExpressionError(f"unknown name {node.id!r} (known names: {known})", text,
                                  node.lineno, node.col_offset)
        return names[node.id]
    if not any(isinstance(arg, Value) for arg in args):
        # Numbers only (2/3, 1+1, exp(2)): work it out now, with the engine's checks, and keep
        # a number, so it becomes a constant where it meets a Value (x**(1+1) is x**2).
        with no_grad():  # (the first operand as a Constant; the rest stay numbers: x ** 2)
            return _compute(node, [Constant(args[0]), *args[1:]]).data  # type: ignore[arg-type]
    return _compute(node, args)


def _compute(node: ast.expr, args: list[Value | float]) -> Value:
    """The Value of an operation node from its operands' (at least one a Value)."""
    if isinstance(node, ast.UnaryOp):
        (operand,) = args
        return as_value(-operand if isinstance(node.op, ast.USub) else operand)
    if isinstance(node, ast.BinOp):
        left, right = args
        symbol = _BINARY[type(node.op)]
        if symbol == "+":
            return as_value(left + right)
        if symbol == "-":
            return as_value(left - right)
        if symbol == "*":
            return as_value(left * right)
        if symbol == "/":
            return as_value(left / right)
        return as_value(left**right)
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    x = as_value(args[0])
    if node.func.id == "leaky_relu":
        return x.leaky_relu(*args[1:])
    method = "__abs__" if node.func.id == "abs" else node.func.id
    result: Value = getattr(x, method)()
    return result


def parse(text: str, /, output: str | None = None, **values: float) -> Program:
    """Parse `text` with the given input values; see the module docstring for what is allowed.

    The result's `output` is the last line's Value (or the named one) and `values` maps every
    input and assigned name to its Value, each labelled with its name. (An input that must be
    called `output` is given through `parse_program`.)
    """
    return parse_program(text, values, output)


def parse_program(text: str, values: Mapping[str, float], output: str | None = None) -> Program:
    """`parse` with the input values as a mapping: any name can be an input."""
    tree = _syntax_tree(text)
    names = _inputs(values)
    assigned_at: dict[str, int] = {}
    last: Value | None = None
    budget = [LIMITS["nodes"]]
    lines_used: set[int] = set()
    for statement in tree.body:
        if statement.lineno in lines_used:
            raise ExpressionError("one statement per line: put each on a line of its own", text,
                                  statement.lineno, statement.col_offset)
        lines_used.add(statement.lineno)
        if isinstance(statement, ast.Expr):
            last = _evaluate(statement.value, names, text, budget)
            continue
        name, expression = _assignment(statement, values, assigned_at, text)
        value = _evaluate(expression, names, text, budget)
        if value.label or value in names.values():  # `b = a`: a new name for the same value
            value = value * 1
        value.label = name
        names[name] = value
        assigned_at[name] = statement.lineno
        last = value
    if output is not None:
        if output not in names:
            raise ExpressionError(f"there is no {output!r} in the program (names: "
                                  f"{', '.join(sorted(names))})")
        last = names[output]
    if last is None:
        raise ExpressionError("the program is empty")
    return Program(last, names, tuple(values), text)


def _syntax_tree(text: str) -> ast.Module:
    """The program's syntax tree, after the limits that are checked before parsing."""
    if not isinstance(text, str):
        raise TypeError(f"parse needs the program as a str, got {type(text).__name__}")
    if len(text) > LIMITS["characters"]:
        raise ExpressionError(f"the program is {len(text)} characters long; the limit is "
                              f"{LIMITS['characters']}")
    if len(text.splitlines()) > LIMITS["lines"]:
        raise ExpressionError(f"the program has more than {LIMITS['lines']} lines")
    if _bracket_depth(text) > LIMITS["brackets"]:
        raise ExpressionError(f"brackets are nested more than {LIMITS['brackets']} deep")
    try:
        with warnings.catch_warnings():  # e.g. "invalid escape sequence": refused below anyway
            warnings.simplefilter("ignore", SyntaxWarning)
            return ast.parse(text, mode="exec")
    except SyntaxError as exc:
        line = (text.splitlines() or [""])[(exc.lineno or 1) - 1] if exc.lineno else ""
        column = len(line[: max((exc.offset or 1) - 1, 0)].encode())  # characters -> bytes
        raise ExpressionError(f"not a valid expression: {exc.msg}", text, exc.lineno or 0,
                              column) from None
    except (RecursionError, MemoryError):
        raise ExpressionError("the program is nested too deeply to parse") from None
    except ValueError as exc:  # e.g. a NUL character
        raise ExpressionError(f"the program could not be parsed: {exc}") from None


def _inputs(values: Mapping[str, float]) -> dict[str, Value]:
    """A labelled leaf for each input: a finite number."""
    for name, number in values.items():
        if name in FUNCTIONS:
            raise ExpressionError(f"{name!r} is a function; it cannot be an input")
        try:
            finite = math.isfinite(number)
        except (TypeError, OverflowError):  # a string, or an int too large for a float
            finite = False
        if not finite:
            raise ExpressionError(f"input {name} = {number!r:.40}: needs a finite number")
    return {name: Value(number, label=name) for name, number in values.items()}


def _assignment(statement: ast.stmt, values: Mapping[str, float],
                assigned_at: Mapping[str, int], text: str) -> tuple[str, ast.expr]:
    """The name and expression of a `name = expression` line, or an error saying what is wrong."""
    if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)):
        raise ExpressionError("each line must be an expression or `name = expression`",
                              text, statement.lineno, statement.col_offset)
    name = statement.targets[0].id
    where = (text, statement.lineno, statement.col_offset)
    if name in FUNCTIONS:
        raise ExpressionError(f"{name!r} is a function and cannot be assigned", *where)
    if name in values:
        raise ExpressionError(f"{name!r} is an input; give intermediate results new names",
                              *where)
    if name in assigned_at:
        raise ExpressionError(f"{name!r} is already assigned on line {assigned_at[name]}; "
                              "each name may be assigned once", *where)
    return name, statement.value
