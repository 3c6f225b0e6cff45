"""Walking the graph: the topological order and the backward pass.

There is one walker, `_walk`. It visits nodes in reverse topological order, calls each node's
op-table VJP and sums the contributions that reach every node in a dict local to the pass: it
writes nothing on the nodes. `backward()` commits the sums to `.grad` only once the whole pass
has succeeded, all or nothing; `functional.grad()` returns them instead, and
`functional.backward_steps()` replays a record of the pass one node at a time.

This module knows nodes only through the `Node` protocol below; `value.py` builds on it.
The walk as a lecture gives it, without the speed-ups, is `docs/walkthrough.py`.
"""

from __future__ import annotations

import math
import signal
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

from .ops import OPS, OpError, describe_call, failure_reason

__all__ = ["Node", "MANY", "topological_order", "gradients", "backward", "operand_data",
           "signals_held"]

_isfinite = math.isfinite


class _Many:
    """The marker in `_second` of a node with more than two parents (see `Node`)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MANY"

    def __reduce__(self) -> str:
        return "MANY"  # copy and pickle give back this very object: it is compared by identity


MANY = _Many()


class Node(Protocol):
    """What the walker reads on a node, and `backward` writes (`Value` is the implementation).

    The parents are kept in two slots rather than in a tuple of their own (one object fewer per
    node; the numbers are in docs/design.md):
      a leaf          _first = None                      _second = None
      one parent x    _first = x                         _second = None
      two, a and b    _first = a                         _second = b
      more            _first = the tuple of all of them  _second = MANY
    """

    data: float
    grad: Any
    op: str
    label: str
    _first: Any
    _second: Any

    @property
    def parents(self) -> tuple[Node, ...]: ...

    @property
    def is_constant(self) -> bool: ...


def operand_data(parents: Sequence[Node]) -> tuple[float, ...]:
    """The parents' numbers, in order."""
    # fast path; plain version: the last line. One and two operands unrolled.
    if len(parents) == 2:
        a, b = parents
        return (a.data, b.data)
    if len(parents) == 1:
        return (parents[0].data,)
    return tuple([p.data for p in parents])


N = TypeVar("N", bound=Node)


def topological_order(root: N, *more_roots: N) -> list[N]:
    """Every node `root` depends on, each after all of its parents; `root` comes last.

    An iterative depth-first search (no recursion, so a graph a million nodes deep is fine).
    Parents are visited in operand order, so the order is the same on every run. With more
    roots, the nodes of all of them, each once (a root may then come before the end).
    """
    return _depth_first([*reversed(more_roots), root], leaves=True)


def _depth_first(stack: list[Any], leaves: bool) -> list[Any]:
    # Without `leaves`, only the roots and the nodes that have parents: the backward pass needs
    # no turn for a leaf, which only receives gradient, so it skips them (often half the nodes).
    order: list[Node] = []
    seen: set[Node] = set()
    while stack:
        node = stack.pop()
        if node is None:  # marker: every parent of the node below it is in `order` now
            order.append(stack.pop())
            continue
        if node in seen:
            continue
        seen.add(node)
        first, second = node._first, node._second
        if first is None:
            order.append(node)
            continue
        stack.append(node)
        stack.append(None)
        # Parents are pushed last first, so the first one is popped first.
        # fast path; plain version: the loop below. Two parents read from the slots.
        if second is not None and second is not MANY:
            if leaves or second._first is not None:
                stack.append(second)
            if leaves or first._first is not None:
                stack.append(first)
        else:
            for parent in reversed(node.parents):
                if leaves or parent._first is not None:
                    stack.append(parent)
    return order


Record = list[tuple[Any, Any, Sequence[Any]]]


def gradients(root: Any, seed: Any = 1.0, create_graph: bool = False,
              record: Record | None = None) -> dict[Any, Any]:
    """d(root)/d(node) for every node of the graph, in a dict local to this pass.

    Visits the nodes in reverse topological order, so a node's gradient is complete before its
    turn, calls the node's op VJP and adds each contribution to its parent's sum (0 for a node
    nothing reached). It writes nothing on any node, so an interrupted pass leaves nothing
    behind and passes in several threads over shared nodes do not meet. It refuses a gradient
    that overflowed.

    `seed` is d(root)/d(root). With `create_graph` the VJPs are called on the nodes themselves
    (the caller makes the seed a Value and turns recording on), so the gradients are Values
    that can be differentiated again. With `record`, appends (node, gradient, contributions to
    its parents) for every node, root first, as `backward_steps` shows them.
    """
    if not hasattr(root, "_second"):
        raise TypeError(f"backward needs a Value, got {type(root).__name__}: {root!r:.40}")
    grads = _walk(root, seed, create_graph, record)
    if not create_graph and not all(map(_isfinite, grads.values())):
        _refuse_overflow(root, grads)
    return grads


def _walk(root: Any, seed: Any, create_graph: bool, record: Record | None) -> dict[Any, Any]:
    """The sums of `gradients`. The plain version of this loop is `backward` in
    docs/walkthrough.py; this one skips the leaves' turns and unrolls two parents."""
    order = _depth_first([root], leaves=record is not None)
    grads: dict[Any, Any] = {root: seed}
    get = grads.get
    for node in reversed(order):
        g = get(node)
        first, second = node._first, node._second
        if g is None or first is None:  # a node nothing flowed to, or a leaf: nothing to send
            if g is None:  # no gradient reached it (it is behind a step, say): d(root)/d(node) = 0
                grads[node] = g = 0.0
            if record is not None:
                record.append((node, g, (None,) * len(node.parents)))
            continue
        op = OPS[node.op]
        two = second is not None and second is not MANY
        many = () if two else node.parents
        if create_graph:
            # Constants enter as plain numbers, so rules like n * x ** (n - 1) stay numeric.
            inputs = tuple([p.data if p.is_constant else p for p in node.parents])
            output: Any = node
        elif two:
            inputs, output = (first.data, second.data), node.data
        else:
            inputs, output = operand_data(many), node.data
        try:
            contributions = op.vjp(g, inputs, output)
        except (ArithmeticError, ValueError) as exc:
            raise OpError(f"backward of {describe_call(op, node.parents, node.label)}: "
                          f"{failure_reason(op, exc, backward=True)}") from None
        if two:
            # fast path; plain version: the loop in the else branch. Two parents unrolled.
            c1, c2 = contributions
            if c1 is not None:
                previous = get(first)
                grads[first] = c1 if previous is None else previous + c1
            if c2 is not None:
                previous = get(second)
                grads[second] = c2 if previous is None else previous + c2
        else:
            for parent, c in zip(many, contributions):
                if c is not None:
                    previous = get(parent)
                    grads[parent] = c if previous is None else previous + c
        if record is not None:
            record.append((node, g, contributions))
    return grads


def backward(root: Any) -> None:
    """Set `.grad` of every node to d(root)/d(node), accumulating into leaves.

    Interior gradients are reset by every call, so calling twice doubles every leaf gradient
    exactly (and never more). All or nothing: the pass runs to completion before any `.grad`
    is written, and the writing itself is undone if anything interrupts it (an exception, a
    Ctrl-C), so a failed call leaves every gradient as it was. Passes in several threads may
    share nodes: each sums in its own dict, and the writing is one at a time.
    """
    _commit(gradients(root))


# The writing of .grad, one pass at a time: two threads adding into a shared leaf would
# otherwise lose one of the additions.
_commit_lock = threading.Lock()


def _commit(grads: dict[Any, Any]) -> None:
    """Write a pass's gradients: interior nodes are assigned, leaves accumulate.

    All or nothing. Signals are held back while it writes (in the main thread, where Python
    runs signal handlers), so a Ctrl-C cannot land in the middle; one that arrived meanwhile is
    handled as the writing ends, and then, like any exception in the middle, it undoes every
    gradient written, so the call that raised it changed nothing.
    """
    with _commit_lock:
        old = [node.grad for node in grads]  # numbers only: no object per node to collect
        try:
            with signals_held():
                for node, g in grads.items():
                    if node._first is not None:  # it has parents
                        node.grad = g
                    else:
                        node.grad += g
        except BaseException:
            with signals_held():  # a second Ctrl-C waits until the gradients are back
                for node, g in zip(grads, old):
                    node.grad = g
            raise


@contextmanager
def signals_held() -> Iterator[None]:
    """Hold every signal back inside the block; those that arrived are handled after it.

    For a few microseconds of writing that must not be cut in half by a Ctrl-C: the gradients
    here, an optimizer's step in `nn.fit`. Never around code that may wait or run long.

    The main thread's mask holds every signal back while no other thread runs. With other
    threads (a Jupyter kernel has several), a signal sent to the process (Ctrl-C, a kernel's
    interrupt) may be taken by any of them, and Python then runs its handler in the main
    thread at its next instruction, whatever the main thread's mask says. So then Ctrl-C's
    handler is also swapped for one that only notes the signal, and the real one is called
    after the block.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers run only in the main thread: nothing to hold elsewhere
        return
    handler: Any = signal.getsignal(signal.SIGINT) if threading.active_count() > 1 else None
    deferring = _Deferring(handler) if callable(handler) else None
    if deferring is not None:
        signal.signal(signal.SIGINT, deferring)
    # The mask to restore is read before anything is blocked, so a Ctrl-C handled the moment
    # the blocking call returns still finds it here: no way out leaves signals blocked.
    previous = _sigmask(signal.SIG_BLOCK, ()) if _sigmask else None
    try:
        if previous is not None:
            _sigmask(signal.SIG_BLOCK, _ALL_SIGNALS)
        yield
    finally:
        try:
            if previous is not None:
                _sigmask(signal.SIG_SETMASK, previous)
        finally:
            if deferring is not None:
                deferring.holding = False  # from now on it acts as the real handler
                signal.signal(signal.SIGINT, handler)
                if deferring.caught:
                    handler(signal.SIGINT, deferring.frame)


class _Deferring:
    """Ctrl-C's handler inside `signals_held`: it notes the signal. Should it stay installed
    (an exception at the very moment of putting the real one back), it acts as the real one."""

    def __init__(self, handler: Any) -> None:
        self.handler, self.holding, self.caught, self.frame = handler, True, False, None

    def __call__(self, signum: int, frame: Any) -> None:
        if self.holding:
            self.caught, self.frame = True, frame
        else:
            self.handler(signum, frame)


# Not on Windows, where Ctrl-C can still land. The C function itself, from the module that
# signal.py wraps: signal.pthread_sigmask turns every signal number of the mask it returns into
# an enum, which took most of a small graph's backward.
try:
    import _signal  # type: ignore[import-not-found]
except ImportError:  # an interpreter whose signal module is not built on _signal
    _signal = signal
_sigmask: Any = getattr(_signal, "pthread_sigmask", None)
_ALL_SIGNALS = signal.valid_signals() if _sigmask else set()


def _refuse_overflow(root: Any, grads: dict[Any, Any]) -> None:
    # Non-finite data that the user put into the graph may legitimately give non-finite
    # gradients (as in PyTorch), so then nothing is refused; from finite data, an inf or NaN
    # gradient is an overflow we refuse to hide. This runs only when something is not finite.
    order = topological_order(root)  # leaves too, also those no gradient reached
    if not all(_isfinite(node.data) for node in order):
        return
    for node in reversed(order):  # the first one the pass reached is where it went wrong
        g = grads.get(node)
        if g is not None and not _isfinite(g):
            name = f"{node.label!r} " if node.label else ""
            what = (describe_call(OPS[node.op], node.parents) if node.parents
                    else f"a leaf, {node.data:.6g}")
            raise OpError(f"backward: the gradient of {name}({what}) overflows a float ({g})")
