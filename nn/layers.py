"""Neurons, layers, multi-layer perceptrons and Sequential, all made of Values.

>>> model = MLP(2, [3, 1], activation="tanh", seed=0)
>>> len(model.parameters())          # (2 weights + 1 bias) * 3 + (3 weights + 1 bias) * 1
13
>>> out = model([1.0, -2.0])         # a model always returns a list, here of one Value
>>> len(out), out[0].scope
(1, 'MLP/layers.1/neurons.0')
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import autograd_core as ag
from autograd_core import Value

from .init import INITS, make_rng
from .module import Module

__all__ = ["ACTIVATIONS", "Neuron", "Layer", "MLP", "Sequential", "single"]

Inputs = Sequence[Value | float]

# The activations of the course: each is one Value method, so a drawing shows it as one node.
ACTIVATIONS: dict[str, Callable[[Value], Value]] = {
    "linear": lambda z: z,
    "step": Value.step,  # the perceptron's: its derivative is 0, so backprop cannot train it
    "sigmoid": Value.sigmoid,
    "tanh": Value.tanh,
    "relu": Value.relu,
    "leaky_relu": Value.leaky_relu,  # slope 0.01 for negative inputs
}


def _check_choice(what: str, name: object, choices: Mapping[str, object]) -> str:
    if not isinstance(name, str) or name not in choices:
        raise ValueError(f"unknown {what} {name!r}; choose one of: {', '.join(choices)}")
    return name


def _check_count(what: str, n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{what} must be an int, got {type(n).__name__}: {n!r:.40}")
    if n < 1:
        raise ValueError(f"{what} must be at least 1, got {n}")
    return n


def _check_flag(what: str, flag: object) -> bool:
    if not isinstance(flag, bool):
        raise TypeError(f"{what} must be True or False, got {type(flag).__name__}: {flag!r:.40}")
    return flag


def _check_inputs(who: str, x: Any, n_inputs: int) -> None:
    # A 1-d numpy array is a fine sample too: its numbers become Constants like floats do.
    if isinstance(x, (str, bytes)) or not (isinstance(x, Sequence) or hasattr(x, "__array__")):
        raise TypeError(f"{who} expects a list of {n_inputs} inputs, got {type(x).__name__}")
    if len(x) != n_inputs:
        raise ValueError(f"{who} expected {n_inputs} inputs, got {len(x)}")


class Neuron(Module):
    """One artificial neuron: activation(w . x + b).

    The weighted sum is one `dot` node plus the bias; `fine_grained=True` builds one node per
    multiply and add instead, as drawn in the course (slower, same numbers).

    >>> neuron = Neuron(2, activation="linear", seed=0)
    >>> neuron.w[0].data, neuron.w[1].data = 0.5, -1.0
    >>> neuron([4.0, 1.0]).data      # 0.5 * 4 - 1 * 1 + 0 (the bias starts at 0)
    1.0
    """

    def __init__(self, n_inputs: int, activation: str = "relu", init: str = "uniform",
                 seed: int | random.Random | None = None, fine_grained: bool = False, *,
                 fan_out: int = 1) -> None:
        """`fan_out` is the size of the layer this neuron belongs to (Xavier uses it)."""
        self.n_inputs = _check_count("n_inputs", n_inputs)
        self.activation = _check_choice("activation", activation, ACTIVATIONS)
        draw = INITS[_check_choice("init", init, INITS)]
        _check_count("fan_out", fan_out)
        self.fine_grained = _check_flag("fine_grained", fine_grained)
        rng = make_rng(seed)
        self.w = [Value(draw(rng, n_inputs, fan_out), label=f"w{i}") for i in range(n_inputs)]
        self.b = Value(0.0, label="b")

    def forward(self, x: Inputs) -> Value:
        """activation(w . x + b) for one sample `x` of `n_inputs` numbers or Values."""
        _check_inputs("Neuron", x, self.n_inputs)
        if self.fine_grained:
            z = self.w[0] * x[0]
            for w_i, x_i in zip(self.w[1:], x[1:]):
                z = z + w_i * x_i
            z = z + self.b
        else:
            z = ag.dot(self.w, x) + self.b
        return ACTIVATIONS[self.activation](z)

    def extra_repr(self) -> str:
        """The settings shown by repr: `n_inputs=2, activation='relu'`."""
        fine = ", fine_grained=True" if self.fine_grained else ""
        return f"n_inputs={self.n_inputs}, activation={self.activation!r}{fine}"


class Layer(Module):
    """`n_outputs` neurons that all see the same inputs; it always returns a list."""

    def __init__(self, n_inputs: int, n_outputs: int, activation: str = "relu",
                 init: str = "uniform", seed: int | random.Random | None = None,
                 fine_grained: bool = False) -> None:
        self.n_inputs = _check_count("n_inputs", n_inputs)
        self.n_outputs = _check_count("n_outputs", n_outputs)
        _check_choice("activation", activation, ACTIVATIONS)
        _check_choice("init", init, INITS)
        rng = make_rng(seed)
        self.neurons = [Neuron(n_inputs, activation, init, rng, fine_grained, fan_out=n_outputs)
                        for _ in range(n_outputs)]

    def forward(self, x: Inputs) -> list[Value]:
        """One output per neuron, even when there is only one neuron."""
        _check_inputs("Layer", x, self.n_inputs)
        # Numbers become Constants once, here, so every neuron reads the same input nodes (a
        # drawing shows each input once, fanning out) rather than making copies of its own.
        inputs = [ag.as_value(x_i, "Layer") for x_i in x]
        return [neuron(inputs) for neuron in self.neurons]


class MLP(Module):
    """A multi-layer perceptron: layers of sizes `layer_sizes`, each feeding the next.

    Hidden layers use `activation`; the last layer uses `output_activation`, which defaults to
    "linear" so the outputs are raw scores for a loss to take (as in micrograd).
    """

    def __init__(self, n_inputs: int, layer_sizes: Sequence[int], activation: str = "relu",
                 output_activation: str | None = None, init: str = "uniform",
                 seed: int | random.Random | None = None, fine_grained: bool = False) -> None:
        _check_count("n_inputs", n_inputs)
        if isinstance(layer_sizes, (str, bytes)) or not isinstance(layer_sizes, Sequence):
            raise TypeError("layer_sizes must be a list of ints such as [4, 1], got "
                            f"{type(layer_sizes).__name__}: {layer_sizes!r:.40}")
        if not layer_sizes:
            raise ValueError("layer_sizes must name at least one layer, such as [1]")
        for index, size in enumerate(layer_sizes):
            _check_count(f"layer_sizes[{index}]", size)
        _check_choice("activation", activation, ACTIVATIONS)
        output_activation = "linear" if output_activation is None else output_activation
        _check_choice("output_activation", output_activation, ACTIVATIONS)
        rng = make_rng(seed)
        sizes = [n_inputs, *layer_sizes]
        last = len(layer_sizes) - 1
        self.layers = [Layer(sizes[i], sizes[i + 1],
                             output_activation if i == last else activation,
                             init, rng, fine_grained)
                       for i in range(len(layer_sizes))]

    def forward(self, x: Inputs) -> list[Value]:
        """The last layer's outputs (a list) for one sample `x`."""
        outputs: list[Value] = self.layers[0](x)
        for layer in self.layers[1:]:
            outputs = layer(outputs)
        return outputs


class Sequential(Module):
    """Modules applied one after another, each to the previous one's output."""

    def __init__(self, *modules: Module) -> None:
        for index, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(f"Sequential: argument {index} must be a Module, got "
                                f"{type(module).__name__}")
        self.layers = list(modules)

    def forward(self, x: object) -> object:
        """The last module's output (`x` itself when there are no modules)."""
        for module in self.layers:
            x = module(x)
        return x


def single(outputs: Sequence[Value]) -> Value:
    """The one Value in a one-element output list (layers and models always return lists)."""
    if isinstance(outputs, Value):
        raise TypeError("single() needs a list of outputs, got a Value (already single)")
    if len(outputs) != 1:
        raise ValueError(f"single() needs a list of exactly one output, got {len(outputs)}")
    return outputs[0]
