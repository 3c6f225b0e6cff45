"""The Value class: one number, and the operation that made it.

Every arithmetic operation on Values applies one op-table entry: `apply(name, *operands)`, or
for the methods and operators its one- and two-operand fast paths (`_apply1`, `_binary`). Each
computes the result with the entry's forward rule and records a node whose `parents` are the
operands, in order. Numbers mixed into an expression become `Constant` leaves, so a graph shows
every number that went into it.

>>> a = Value(2.0, label="a")
>>> b = Value(-3.0, label="b")
>>> e = a * b + 1
>>> e.op, [p.label or p.data for p in e.parents[0].parents]
('add', ['a', 'b'])
>>> e.backward()
>>> a.grad, b.grad
(-3.0, 2.0)
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
import sys
import threading
import weakref
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from typing import Any

from .graph import MANY, backward, operand_data, topological_order
from .ops import OPS, Op, OpError, describe_call, failure_reason

__all__ = ["Value", "Constant", "apply", "as_value", "no_grad", "recording", "scope",
           "sum_values", "dot", "logsumexp", "max_values"]

# Whether operations record a graph, and the scope name given to new nodes. Context variables
# rather than globals, so a no_grad() in one thread or asyncio task never leaks into another.
_recording: ContextVar[bool] = ContextVar("autograd_core_recording", default=True)
_scope: ContextVar[str] = ContextVar("autograd_core_scope", default="")
# While `autograd_core.trace` records a graph: the recorder that hears about every comparison
# and float() of a Value, since a graph that branches on a number may not fit other samples.
_tracer: ContextVar[Any] = ContextVar("autograd_core_tracer", default=None)

_isfinite = math.isfinite


def _to_float(x: object, what: str = "Value()") -> float:
    """Coerce a real number to float, or raise a TypeError naming what was given instead."""
    if type(x) is float:
        return x
    # fast path; plain version: the isinstance test. An int skips the (slow) ABC check.
    if type(x) is int or (isinstance(x, numbers.Real) and not isinstance(x, bool)):
        try:
            return float(x)
        except OverflowError:
            raise OverflowError(f"{what}: {x!r:.40} is too large for a float") from None
    hint = "; use its .data or .detach()" if isinstance(x, Value) else ""
    raise TypeError(f"{what} needs a real number (int or float), got {type(x).__name__}: "
                    f"{x!r:.40}{hint}")


def _binary(op_name: str, qualname: str, reflected: bool = False
            ) -> Callable[[Value, Value | float], Value]:
    """The function `qualname` (such as "Value.__mul__"): it applies the two-operand op
    OPS[op_name] to Values or numbers and records the node.

    Value's binary operators are these functions themselves, with no call in between: this is
    the hottest code of the engine, every +, -, * and /. With `reflected` the operands come the
    other way round, as Python calls `__rmul__` for `2 * v`.
    """
    # fast path; plain version: apply(op_name, x, y). One op, two operands, no tuple.
    op = OPS[op_name]
    forward = op.forward

    def operator(self: Value, other: Value | float) -> Value:
        x: Value | float
        y: Value | float
        if reflected:
            x, y = other, self
        else:
            x, y = self, other
        if not isinstance(x, Value):
            x = _constant(x, op_name)
        if not isinstance(y, Value):
            y = _constant(y, op_name)
        a, b = x.data, y.data
        try:
            data = forward(a, b)
        except (ArithmeticError, ValueError) as exc:
            raise _failed(op, (x, y), exc) from None
        if not _isfinite(data) and _isfinite(a) and _isfinite(b):
            raise _overflowed(op, (x, y), data)
        # inlined copy of _node
        node: Value = _new(Value)
        node.data = data
        node.grad = 0.0
        node.label = ""
        node.scope = _scope.get()
        if _recording.get():
            node.op = op_name
            node._first = x
            node._second = y
        else:
            node.op = ""
            node._first = node._second = None
        return node

    # Named as what it is (for help(), tracebacks, and pickling a bound `v.__mul__`).
    operator.__qualname__ = qualname
    operator.__name__ = qualname.rpartition(".")[2]
    operator.__doc__ = f"OPS[{op_name!r}]{' on (other, self)' if reflected else ''}: {op.formula}"
    return operator


class Value:
    """A scalar that remembers how it was computed, so gradients can flow back through it.

    `data` is the number, `grad` the derivative of the last `backward()` root with respect to
    it, `parents` the operands that made it (in order, duplicates kept), `op` the name of the
    op-table entry that made it ("" for a leaf), `label` a name for drawings, and `scope` the
    name of the module that made it ("" outside any).
    """

    # The parents are kept in two slots, `_first` and `_second`, laid out as graph.Node says;
    # `parents` puts them back together. The layout follows the number of operands, not the
    # op: `apply("sum", a, b)` has two.
    __slots__ = ("data", "grad", "op", "label", "scope", "_first", "_second")
    __array_ufunc__ = None  # numpy scalars on the left defer to our reflected operators

    data: float
    grad: float
    op: str
    label: str
    scope: str
    _first: Any
    _second: Any

    def __init__(self, data: float, label: str = "") -> None:
        self.data = data if type(data) is float else _to_float(data, f"{type(self).__name__}()")
        if type(label) is not str:
            raise TypeError(f"{type(self).__name__}(): label must be a str, got "
                            f"{type(label).__name__}: {label!r:.40}")
        self.grad = 0.0
        self.op = ""
        self.label = label
        self.scope = _scope.get()
        self._first = self._second = None

    @property
    def parents(self) -> tuple[Value, ...]:
        """The operands that made this node, in order, duplicates kept (`x * x` has two)."""
        first, second = self._first, self._second
        if second is None:
            return () if first is None else (first,)
        return first if second is MANY else (first, second)

    # --- arithmetic: each operator applies one op-table entry ---------------------------------
    # The binary operators are made by _binary (above), with Values or numbers on either side;
    # the reflected ones (__radd__, ...) are what Python calls for `2 + v`.
    __add__ = _binary("add", "Value.__add__")
    __radd__ = _binary("add", "Value.__radd__", reflected=True)
    __sub__ = _binary("sub", "Value.__sub__")
    __rsub__ = _binary("sub", "Value.__rsub__", reflected=True)
    __mul__ = _binary("mul", "Value.__mul__")
    __rmul__ = _binary("mul", "Value.__rmul__", reflected=True)
    __truediv__ = _binary("div", "Value.__truediv__")
    __rtruediv__ = _binary("div", "Value.__rtruediv__", reflected=True)
    __rpow__ = _binary("pow_value", "Value.__rpow__", reflected=True)  # 2 ** v

    def __neg__(self) -> Value:
        return _apply1(OPS["neg"], self)

    def __abs__(self) -> Value:
        return _apply1(OPS["abs"], self)

    def __pow__(self, exponent: Value | float) -> Value:
        # A number exponent is a constant and gets no gradient; a Value exponent gets one.
        return (_pow_value if isinstance(exponent, Value) else _pow)(self, exponent)

    def exp(self) -> Value:
        """e ** self."""
        return _apply1(OPS["exp"], self)

    def log(self) -> Value:
        """Natural logarithm (self must be > 0)."""
        return _apply1(OPS["log"], self)

    def sqrt(self) -> Value:
        """Square root (self must be >= 0)."""
        return _apply1(OPS["sqrt"], self)

    def sin(self) -> Value:
        """Sine."""
        return _apply1(OPS["sin"], self)

    def cos(self) -> Value:
        """Cosine."""
        return _apply1(OPS["cos"], self)

    def tanh(self) -> Value:
        """Hyperbolic tangent, in (-1, 1)."""
        return _apply1(OPS["tanh"], self)

    def sigmoid(self) -> Value:
        """Logistic sigmoid 1 / (1 + e ** -self), in (0, 1)."""
        return _apply1(OPS["sigmoid"], self)

    def relu(self) -> Value:
        """max(0, self)."""
        return _apply1(OPS["relu"], self)

    def leaky_relu(self, slope: Value | float = 0.01) -> Value:
        """self if self > 0, else slope * self (a Value slope is learned, as in PReLU)."""
        return _leaky_relu(self, slope)

    def step(self) -> Value:
        """Heaviside step: 1 if self > 0 else 0; its derivative is 0 everywhere."""
        return _apply1(OPS["step"], self)

    # --- comparisons and conversions look at data; identity stays identity --------------------

    def __float__(self) -> float:
        tracer = _tracer.get()
        if tracer is not None:
            tracer.read(self)
        return self.data

    def __lt__(self, other: Value | float) -> bool:
        return _compare(self, "<", other, self.data < _plain(other))

    def __le__(self, other: Value | float) -> bool:
        return _compare(self, "<=", other, self.data <= _plain(other))

    def __gt__(self, other: Value | float) -> bool:
        return _compare(self, ">", other, self.data > _plain(other))

    def __ge__(self, other: Value | float) -> bool:
        return _compare(self, ">=", other, self.data >= _plain(other))

    # __eq__ and __hash__ are deliberately object's: nodes are dict keys and set members by
    # identity, and two nodes holding the same number are still two nodes.

    @property
    def is_constant(self) -> bool:
        """True for a number written into an expression (it needs no gradient)."""
        return isinstance(self, Constant)

    def detach(self) -> Value:
        """A new leaf with the same data and label, cut off from this node's graph."""
        return Value(self.data, label=self.label)

    def backward(self) -> None:
        """Fill in `.grad` of every node this one depends on: d(self)/d(node).

        Leaf gradients accumulate across calls (as in PyTorch); interior gradients are
        recomputed by each call. All or nothing: if the pass fails or is interrupted (Ctrl-C),
        no gradient is changed.
        """
        backward(self)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"{type(self).__name__}(data={self.data:.6g}, grad={self.grad:.6g}{label})"

    if sys.platform == "emscripten":  # Pyodide: see _free_parents
        def __del__(self) -> None:
            _free_parents(self)

    # --- pickle and copy.deepcopy, without recursion -------------------------------------------
    # Pickled the plain way, a node's parents are part of its state, so a chain 100,000 deep
    # recurses 100,000 deep. Instead the first node of a graph to be pickled (or deep-copied)
    # lists its whole graph in topological order, each node with its parents, and every node
    # in that list is written without its parents: each node is one object of the pickle
    # (shared nodes stay shared), and restoring the list puts the parents back, in one loop.

    def __getstate__(self) -> dict[str, Any]:
        state = {"data": self.data, "grad": self.grad, "op": self.op, "label": self.label,
                 "scope": self.scope}
        if self._first is None or _in_flat_graph(self):
            return state
        return {**state, "graph": _flat_graph(self), "end": _GraphEnd()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.data, self.grad, self.op = state["data"], state["grad"], state["op"]
        self.label, self.scope = state["label"], state["scope"]
        self._first = self._second = None
        graph = state.get("graph")
        if graph is not None:
            for node, parents in zip(graph[::2], graph[1::2]):
                node._first, node._second = _slots(parents)
            # The graph ends with this node's entry (with copy.copy, the original's).
            self._first, self._second = _slots(graph[-1])


def _free_parents(node: Value) -> None:
    """Free the parents only this node holds, one at a time rather than nested.

    CPython frees a long chain of nodes without nesting deeply (its "trashcan"), but in
    Pyodide the stack is small and freeing a chain of a few thousand nodes overflowed it. So
    there, and only there (this costs a Python call per node freed), a node being freed hands
    its parents to a loop, which frees each parent that nothing else holds after taking its
    own parents from it.
    """
    stack = [node._first, node._second]
    node._first = node._second = None
    while stack:
        parent = stack.pop()
        if isinstance(parent, tuple):  # more than two parents (graph.Node)
            stack += parent
        elif isinstance(parent, Value) and sys.getrefcount(parent) <= 2:  # `parent`, the call
            stack += (parent._first, parent._second)
            parent._first = parent._second = None


class _FlatGraph(list):  # type: ignore[type-arg]
    """A graph being pickled: node, its parents, node, its parents, ... (parents first)."""

    __slots__ = ("__weakref__",)


# The graph this thread is pickling or copying now: id(node) -> a weak reference to its list.
# Ids, not nodes, so that nothing is kept alive here; the reference dies with the list if
# pickling stops half-way, so no node stays written flat (and a reused id means nothing).
_flattening = threading.local()


def _in_flat_graph(node: Value) -> bool:
    listed = getattr(_flattening, "nodes", {}).get(id(node))
    return listed is not None and listed() is not None


def _flat_graph(root: Value) -> _FlatGraph:
    graph = _FlatGraph()
    ref = weakref.ref(graph)
    nodes = _flattening.__dict__.setdefault("nodes", {})
    for node in topological_order(root):
        if node._first is not None:
            graph += (node, node.parents)
            nodes[id(node)] = ref
    return graph


class _GraphEnd:
    """Written after a flat graph: by then every node of it is written, so the nodes are
    forgotten (pickle and deepcopy both handle a state's entries in order)."""

    def __reduce__(self) -> tuple[Any, ...]:
        _flattening.__dict__.pop("nodes", None)
        return (_GraphEnd, ())

    def __deepcopy__(self, memo: dict[int, Any]) -> _GraphEnd:
        _flattening.__dict__.pop("nodes", None)
        return _GraphEnd()


def _slots(parents: tuple[Value, ...]) -> tuple[Any, Any]:
    """`_first` and `_second` for these parents (the layout of graph.Node)."""
    if len(parents) == 1:
        return parents[0], None
    if len(parents) == 2:
        return parents
    return parents, MANY


class Constant(Value):
    """A number written into an expression, such as the 2 in `x * 2`: a leaf drawn as a constant."""

    __slots__ = ()


def _compare(a: Value, symbol: str, b: Value | float, result: bool) -> bool:
    """A comparison's result, which a trace being recorded hears about (it is a branch)."""
    tracer = _tracer.get()
    if tracer is not None:
        tracer.compare(a, symbol, b, result)
    return result


def _plain(x: Value | float) -> float:
    return x.data if isinstance(x, Value) else _to_float(x, "comparison with a Value")


def as_value(x: Value | float, op_name: str = "") -> Value:
    """Return x if it is a Value, else a Constant holding it (TypeError for non-numbers)."""
    if isinstance(x, Value):
        return x
    return _constant(x, op_name)


# fast path; plain version: Value(data). The functions below make nodes with object.__new__ and
# set every slot themselves instead of calling __init__, whose checks they have already made.
# Each makes one class only, which keeps CPython's attribute caches for them warm.
_new = object.__new__


def _constant(x: object, op_name: str = "") -> Constant:
    """A Constant holding the number x (an operand of op_name), or a TypeError naming x."""
    if type(x) is not float:  # the message is only formatted when it is needed
        x = _to_float(x, f"{op_name}: an operand" if op_name else "Constant()")
    node: Constant = _new(Constant)
    node.data = x
    node.grad = 0.0
    node.op = ""
    node.label = ""
    node.scope = _scope.get()
    node._first = node._second = None
    return node


def _node(data: float, op_name: str, first: Any, second: Any) -> Value:
    """The node holding an op's result, its parents given as Value.__slots__ describes them.

    Inside no_grad() it records no parents: it is a plain leaf.
    """
    node: Value = _new(Value)
    node.data = data
    node.grad = 0.0
    node.label = ""
    node.scope = _scope.get()
    if _recording.get():
        node.op = op_name
        node._first = first
        node._second = second
    else:
        node.op = ""
        node._first = node._second = None
    return node


def _failed(op: Op, parents: tuple[Value, ...], exc: Exception) -> OpError:
    return OpError(f"{describe_call(op, parents)}: {failure_reason(op, exc)}")


def _overflowed(op: Op, parents: tuple[Value, ...], data: float) -> OpError:
    return OpError(f"{describe_call(op, parents)}: the result overflows a float ({data})")


def _apply1(op: Op, x: Value) -> Value:
    """An op applied to exactly one operand, a Value (the methods' fast path; `apply` too)."""
    # fast path; plain version: apply(op.name, x).
    a = x.data
    try:
        data = op.forward(a)
    except (ArithmeticError, ValueError) as exc:
        raise _failed(op, (x,), exc) from None
    if not _isfinite(data) and _isfinite(a):
        raise _overflowed(op, (x,), data)
    return _node(data, op.name, x, None)


# The ops behind `**` (which picks one by the exponent's type) and leaky_relu.
_pow = _binary("pow", "_pow")
_pow_value = _binary("pow_value", "_pow_value")
_leaky_relu = _binary("leaky_relu", "_leaky_relu")


def apply(op_name: str, *args: Value | float) -> Value:
    """Apply an op-table entry to Values (or numbers) and return the recorded result node."""
    op = OPS[op_name]
    if op.arity is None:
        if not args:
            raise TypeError(f"{op_name} needs at least one operand")
    elif len(args) != op.arity:
        raise TypeError(f"{op_name} takes {op.arity} operand(s), got {len(args)}")
    if op_name == "pow" and isinstance(args[1], Value) and not args[1].is_constant:
        # pow sends its exponent no gradient: a Value exponent would silently get none.
        raise TypeError("pow takes a number exponent; for a Value exponent use x ** w "
                        "(the pow_value op), which sends the exponent its gradient")
    if len(args) == 1:
        return _apply1(op, as_value(args[0], op_name))
    # inlined copy of as_value
    parents = tuple([arg if isinstance(arg, Value) else _constant(arg, op_name) for arg in args])
    inputs = operand_data(parents)
    try:
        data = op.forward(*inputs)
    except (ArithmeticError, ValueError) as exc:
        raise _failed(op, parents, exc) from None
    if not _isfinite(data) and all(map(_isfinite, inputs)):
        raise _overflowed(op, parents, data)
    if len(parents) == 2:  # the layout follows the operand count (see Value.__slots__)
        return _node(data, op_name, *parents)
    return _node(data, op_name, parents, MANY)


def sum_values(values: Iterable[Value | float]) -> Value:
    """x1 + x2 + ... + xn as a single node (a Constant 0 for no values)."""
    values = tuple(values)
    return apply("sum", *values) if values else Constant(0.0)


def dot(weights: Sequence[Value | float], inputs: Sequence[Value | float]) -> Value:
    """w1*x1 + ... + wn*xn as a single node whose parents are the weights, then the inputs."""
    for name, given in (("weights", weights), ("inputs", inputs)):
        if isinstance(given, Value) or not isinstance(given, Iterable):
            raise TypeError(f"dot: {name} must be a sequence of Values or numbers, got "
                            f"{type(given).__name__}")
    weights, inputs = tuple(weights), tuple(inputs)
    if len(weights) != len(inputs):
        raise ValueError(f"dot: {len(weights)} weights but {len(inputs)} inputs")
    return apply("dot", *weights, *inputs) if weights else Constant(0.0)


def max_values(values: Iterable[Value | float]) -> Value:
    """The largest of the values as a single node. Its gradient goes to the largest input (the
    first of them on a tie, as in PyTorch's max pooling); the others get none.

    >>> a, b = Value(2.0), Value(5.0)
    >>> m = max_values([a, b, 1.0])
    >>> m.backward()
    >>> m.data, a.grad, b.grad
    (5.0, 0.0, 1.0)
    """
    values = tuple(values)
    if not values:
        raise ValueError("max_values needs at least one value")
    return apply("max", *values)


def logsumexp(values: Iterable[Value | float]) -> Value:
    """log(e**x1 + ... + e**xn) as a single node, stable for any finite inputs.

    Its derivative with respect to each input is the softmax, e**(xi - out).

    >>> round(logsumexp([Value(1000.0), Value(1000.0)]).data, 6)   # 1000 + log 2
    1000.693147
    """
    values = tuple(values)
    if not values:
        raise ValueError("logsumexp needs at least one value")
    return apply("logsumexp", *values)


class _RecordingMode:
    """A context manager and decorator that turns recording on or off (see no_grad)."""

    __slots__ = ("_tokens",)
    _records = True

    def __init__(self) -> None:
        self._tokens: list[Any] = []  # one per `with` entered and not yet left: reusable, nested

    def __enter__(self) -> None:
        self._tokens.append(_recording.set(self._records))

    def __exit__(self, *exc_info: object) -> None:
        _recording.reset(self._tokens.pop())

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        name = f"{type(self).__name__}()"
        if (inspect.isgeneratorfunction(fn) or inspect.iscoroutinefunction(fn)
                or inspect.isasyncgenfunction(fn)):
            raise TypeError(f"{name} cannot decorate {fn.__qualname__}, a generator or async "
                            f"function: the call returns before its body runs; write "
                            f"`with {name}:` inside it")
        mode = type(self)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with mode():  # a new one per call, so calls in several threads keep apart
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_RecordingMode):  # lower case: it is used like a function, `with no_grad():`
    """Inside this block operations compute values but record no graph (results are leaves).

    A context manager, or a decorator (`@no_grad()`) of a plain function; one object may be
    entered again, and nested.

    >>> x = Value(3.0)
    >>> with no_grad():
    ...     y = x * x
    >>> y.parents
    ()
    """

    __slots__ = ()
    _records = False


class recording(_RecordingMode):  # lower case, like no_grad
    """Record graphs inside this block even within no_grad() (as create_graph=True needs)."""

    __slots__ = ()


class scope:  # lower case: it is used like a function, `with scope("layer1"):`
    """Give every node made inside this block the scope `name` (nested scopes join with "/").

    nn's modules use it so drawings can group a neuron's or a layer's nodes. A class rather
    than a generator-based context manager: every module call enters one, so it is kept cheap.

    >>> with scope("layer1"), scope("neuron0"):
    ...     y = Value(1.0) * 2
    >>> y.scope
    'layer1/neuron0'
    """

    __slots__ = ("name", "_token")

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> None:
        outer = _scope.get()
        self._token = _scope.set(f"{outer}/{self.name}" if outer else self.name)

    def __exit__(self, *exc_info: object) -> None:
        _scope.reset(self._token)
