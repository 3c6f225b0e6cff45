"""A first read: the whole engine, the way a lecture on backprop builds it.

Read this before autograd_core itself. It has the five ideas of backpropagation and nothing else:
1. a Value holds a number and remembers the operation and the operands (parents) that made it;
2. every operation comes from one table, autograd_core's real op table (autograd_core/ops.py):
   its forward rule computes the number, its VJP says how a gradient flows back;
3. a topological order lists every node after all of its parents;
4. the backward pass visits that order in reverse, so each node's gradient is complete when its
   turn comes, and passes gradient to its parents with the chain rule;
5. where a node feeds several others, the gradients it receives add up.

The engine (autograd_core/value.py and graph.py) computes exactly these numbers: a test builds
random programs with both and compares every node's data and gradient. What it adds is error
messages, no recursion limit, no_grad, scopes, and speed; each speed-up is marked there with a
`# fast path; plain version: ...` line that points back to the plain code, as here.

>>> a, b = Value(2.0), Value(-3.0)
>>> loss = (a * b + 10) * -2
>>> backward(loss)
>>> a.grad, b.grad
(6.0, -4.0)
"""

from __future__ import annotations

from autograd_core.ops import OPS


class Value:
    """A number, and how it was computed: the op's name and its operands (parents), in order."""

    def __init__(self, data: float, parents: tuple[Value, ...] = (), op: str = "") -> None:
        self.data = float(data)
        self.grad = 0.0  # d(root)/d(self), filled in by backward(root)
        self.parents = parents  # a tuple, not a set: x * x has two parents, and keeps its order
        self.op = op  # the name of the op-table entry that made it; "" for a leaf

    def __repr__(self) -> str:
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"

    # Every operator applies one entry of the op table (numbers become Values first).
    def __add__(self, other: Value | float) -> Value:
        return apply("add", self, other)

    def __radd__(self, other: float) -> Value:
        return apply("add", other, self)

    def __sub__(self, other: Value | float) -> Value:
        return apply("sub", self, other)

    def __rsub__(self, other: float) -> Value:
        return apply("sub", other, self)

    def __mul__(self, other: Value | float) -> Value:
        return apply("mul", self, other)

    def __rmul__(self, other: float) -> Value:
        return apply("mul", other, self)

    def __truediv__(self, other: Value | float) -> Value:
        return apply("div", self, other)

    def __rtruediv__(self, other: float) -> Value:
        return apply("div", other, self)

    def __pow__(self, exponent: Value | float) -> Value:
        # A number exponent is a constant ("pow"); a Value exponent gets a gradient too.
        return apply("pow_value" if isinstance(exponent, Value) else "pow", self, exponent)

    def __rpow__(self, base: float) -> Value:
        return apply("pow_value", base, self)

    def __neg__(self) -> Value:
        return apply("neg", self)

    def __abs__(self) -> Value:
        return apply("abs", self)

    def exp(self) -> Value:
        return apply("exp", self)

    def log(self) -> Value:
        return apply("log", self)

    def sqrt(self) -> Value:
        return apply("sqrt", self)

    def sin(self) -> Value:
        return apply("sin", self)

    def cos(self) -> Value:
        return apply("cos", self)

    def tanh(self) -> Value:
        return apply("tanh", self)

    def sigmoid(self) -> Value:
        return apply("sigmoid", self)

    def relu(self) -> Value:
        return apply("relu", self)

    def leaky_relu(self, slope: Value | float = 0.01) -> Value:
        return apply("leaky_relu", self, slope)

    def step(self) -> Value:
        return apply("step", self)


def apply(op_name: str, *operands: Value | float) -> Value:
    """Compute one op with its forward rule, and record it: the result remembers its parents."""
    parents = tuple(x if isinstance(x, Value) else Value(x) for x in operands)
    data = OPS[op_name].forward(*[p.data for p in parents])
    return Value(data, parents, op_name)


def sum_values(values: list[Value]) -> Value:
    """x1 + ... + xn as one node."""
    return apply("sum", *values)


def dot(weights: list[Value], inputs: list[Value]) -> Value:
    """w1*x1 + ... + wn*xn as one node: its parents are the weights, then the inputs."""
    return apply("dot", *weights, *inputs)


def logsumexp(values: list[Value]) -> Value:
    """log(e**x1 + ... + e**xn) as one node."""
    return apply("logsumexp", *values)


def topological_order(root: Value) -> list[Value]:
    """Every node root depends on, each after all of its parents; root comes last.

    Depth first: a node is appended once all its parents are. The engine does the same walk
    with a stack of its own (graph._depth_first), since Python's recursion stops at about
    a thousand levels and a graph can be a million nodes deep.
    """
    order: list[Value] = []
    seen: set[Value] = set()

    def visit(node: Value) -> None:
        if node in seen:
            return
        seen.add(node)
        for parent in node.parents:
            visit(parent)
        order.append(node)

    visit(root)
    return order


def backward(root: Value) -> None:
    """Set every node's .grad to d(root)/d(node): the chain rule, in reverse topological order.

    The gradients are summed in a dictionary first, and written into .grad only at the end.
    """
    grads = {root: 1.0}  # d(root)/d(root) = 1
    order = topological_order(root)
    for node in reversed(order):  # each node's gradient is complete before its turn
        g = grads.get(node)
        if g is None or not node.parents:
            continue  # nothing reached it (it is behind a step), or a leaf: nothing to send
        inputs = tuple(p.data for p in node.parents)
        # The op's VJP: what the gradient g at the output sends to each input (None: nothing).
        contributions = OPS[node.op].vjp(g, inputs, node.data)
        for parent, c in zip(node.parents, contributions):
            if c is not None:
                grads[parent] = grads.get(parent, 0.0) + c  # fan-out: contributions add up
    for node in order:
        if node.parents:
            node.grad = grads.get(node, 0.0)  # interior nodes: this pass's gradient
        else:
            node.grad += grads.get(node, 0.0)  # leaves accumulate across calls, as in PyTorch
