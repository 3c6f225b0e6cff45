"""Neurons, layers, multi-layer perceptrons, Sequential, Dropout, BatchNorm and Embedding.

>>> model = MLP(2, [3, 1], activation="tanh", seed=0)
>>> len(model.parameters())          # (2 weights + 1 bias) * 3 + (3 weights + 1 bias) * 1
13
>>> out = model([1.0, -2.0])         # a model always returns a list, here of one Value
>>> len(out), out[0].scope
(1, 'MLP/layers.1/neurons.0')
"""

from __future__ import annotations

import math
import operator
import random
from collections.abc import Callable, Sequence
from typing import Any

import autograd_core as ag
from autograd_core import Value

from .checks import check_choice, check_flag, check_int, check_real, is_sequence
from .init import INITS, make_rng
from .module import Module

__all__ = ["ACTIVATIONS", "Neuron", "Layer", "MLP", "Sequential", "Dropout", "BatchNorm",
           "Embedding", "single", "takes_batches"]

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


def _check_inputs(who: str, x: Any, n_inputs: int) -> None:
    if not is_sequence(x):
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
        self.n_inputs = check_int("n_inputs", n_inputs)
        self.activation = check_choice("activation", activation, ACTIVATIONS)
        draw = INITS[check_choice("init", init, INITS)]
        check_int("fan_out", fan_out)
        self.fine_grained = check_flag("fine_grained", fine_grained)
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
        self.n_inputs = check_int("n_inputs", n_inputs)
        self.n_outputs = check_int("n_outputs", n_outputs)
        check_choice("activation", activation, ACTIVATIONS)
        check_choice("init", init, INITS)
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
        check_int("n_inputs", n_inputs)
        if isinstance(layer_sizes, (str, bytes)) or not isinstance(layer_sizes, Sequence):
            raise TypeError("layer_sizes must be a list of ints such as [4, 1], got "
                            f"{type(layer_sizes).__name__}: {layer_sizes!r:.40}")
        if not layer_sizes:
            raise ValueError("layer_sizes must name at least one layer, such as [1]")
        for index, size in enumerate(layer_sizes):
            check_int(f"layer_sizes[{index}]", size)
        check_choice("activation", activation, ACTIVATIONS)
        output_activation = "linear" if output_activation is None else output_activation
        check_choice("output_activation", output_activation, ACTIVATIONS)
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


def takes_batches(module: object) -> bool:
    """True for a module whose forward takes a whole batch (its class sets `batched = True`).

    Such a module is called with a list of samples and returns a list with one output per
    sample; `nn.fit`, `nn.predict` and `nn.accuracy` call it once per batch, not once per sample.
    """
    return getattr(module, "batched", False) is True


def _check_batch(who: str, batch: Any) -> list[Any]:
    """The samples of a batch as a list; a single sample passed instead is named as the mistake."""
    if not is_sequence(batch):
        raise TypeError(f"{who} takes a batch (a list of samples), got {type(batch).__name__}")
    samples = list(batch)
    if not samples:
        raise ValueError(f"{who} needs a batch of at least one sample, got an empty list")
    if not is_sequence(samples[0]):
        raise TypeError(f"{who} takes a batch (a list of samples, each a list of numbers), got "
                        f"a list of {type(samples[0]).__name__}; for one sample x call it on "
                        "[x]. (A model holding a BatchNorm takes batches too: nn.fit passes "
                        "whole batches to a model whose class sets batched = True.)")
    return samples


class Sequential(Module):
    """Modules applied one after another, each to the previous one's output.

    When a module in it takes whole batches (a `BatchNorm`), so does the Sequential: it is
    called with a list of samples, passes the batch to the modules that take batches and each
    sample to the others, and returns one output per sample.

    >>> model = Sequential(Layer(2, 4, "tanh", seed=0), BatchNorm(4), Layer(4, 1, seed=1))
    >>> model.batched
    True
    >>> outputs = model([[0.5, 1.0], [-1.0, 2.0], [0.0, -0.5]])    # a batch of 3 samples
    >>> len(outputs), len(outputs[0])
    (3, 1)
    """

    def __init__(self, *modules: Module) -> None:
        for index, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(f"Sequential: argument {index} must be a Module, got "
                                f"{type(module).__name__}")
        self.layers = list(modules)

    @property
    def batched(self) -> bool:
        """True when a module in it takes whole batches; then the Sequential does too."""
        # A property rather than a flag set once, so a module added to `layers` later counts.
        return any(takes_batches(module) for module in self.layers)

    def forward(self, x: Any) -> Any:
        """The last module's output (`x` itself when there are no modules)."""
        if not self.batched:
            for module in self.layers:
                x = module(x)
            return x
        batch = _check_batch("Sequential (it holds a module that takes batches)", x)
        for module in self.layers:
            batch = (module(batch) if takes_batches(module)
                     else [module(sample) for sample in batch])
        return batch


class Dropout(Module):
    """Inverted dropout: in train mode, zero each input with probability p, scale the rest up.

    Kept inputs are multiplied by 1 / (1 - p), which keeps each output's expected value equal
    to its input, so evaluation needs no rescaling: in eval mode the inputs pass unchanged.
    It always returns a list.

    >>> dropout = Dropout(0.5, seed=0)
    >>> [v.data for v in dropout([1.0, 2.0, 3.0, 4.0])]     # kept inputs are doubled
    [2.0, 4.0, 0.0, 0.0]
    >>> [v.data for v in dropout.eval()([1.0, 2.0, 3.0, 4.0])]
    [1.0, 2.0, 3.0, 4.0]
    """

    def __init__(self, p: float = 0.5, seed: int | random.Random | None = None) -> None:
        self.p = check_real("Dropout: p", p, 0, 1)
        self.rng = make_rng(seed)

    def forward(self, x: Inputs) -> list[Value]:
        """Each input times 0 (dropped) or 1 / (1 - p) (kept) in train mode; as is in eval."""
        if not is_sequence(x):
            raise TypeError(f"Dropout expects a list of inputs, got {type(x).__name__}")
        inputs = [ag.as_value(x_i, "Dropout") for x_i in x]
        if not self.training or self.p == 0:
            return inputs
        scale = 0.0 if self.p == 1 else 1.0 / (1.0 - self.p)
        # A dropped unit is multiplied by 0 rather than replaced by a constant, so a drawing
        # still shows it, with the zero gradient it passes back.
        return [x_i * (scale if self.rng.random() >= self.p else 0.0) for x_i in inputs]

    def extra_repr(self) -> str:
        """The settings shown by repr: `p=0.5`."""
        return f"p={self.p:g}"


class BatchNorm(Module):
    """Batch normalisation: each feature standardised over the batch, then gamma * x + beta.

    It takes a whole batch (a list of samples, each a list of `n_features` numbers or Values)
    and returns the normalised batch. In train mode each feature is normalised with the
    batch's mean and (biased) variance, and the running estimates move towards them:
    `running = (1 - momentum) * running + momentum * batch statistic`, with the unbiased
    variance, as `torch.nn.BatchNorm1d` does. In eval mode the running estimates are used, so
    each sample's output depends on that sample alone. `gamma` (starting at 1) and `beta`
    (starting at 0) are learned; the running estimates are plain floats, not parameters.

    A model holding a BatchNorm takes batches too: `Sequential` does so on its own; a model
    class of your own sets `batched = True` and maps its per-sample parts over the batch.

    >>> norm = BatchNorm(1)
    >>> [[round(v.data, 4) for v in row] for row in norm([[1.0], [3.0]])]
    [[-1.0], [1.0]]
    >>> norm.running_mean, norm.running_var     # 0.9 * (0, 1) + 0.1 * (mean 2, variance 2)
    ([0.2], [1.1])
    """

    batched = True

    buffers = ("running_mean", "running_var")  # saved and loaded with the parameters

    def __init__(self, n_features: int, momentum: float = 0.1, eps: float = 1e-5) -> None:
        self.n_features = check_int("n_features", n_features)
        self.momentum = check_real("BatchNorm: momentum", momentum, 0, 1)
        self.eps = check_real("BatchNorm: eps", eps, low_open=True)
        self.gamma = [Value(1.0, label=f"gamma{j}") for j in range(n_features)]
        self.beta = [Value(0.0, label=f"beta{j}") for j in range(n_features)]
        self.running_mean = [0.0] * n_features
        self.running_var = [1.0] * n_features

    def forward(self, batch: Sequence[Inputs]) -> list[list[Value]]:
        """The normalised batch: one list of `n_features` Values per sample."""
        samples = _check_batch("BatchNorm", batch)
        for index, sample in enumerate(samples):
            _check_inputs(f"BatchNorm: sample {index}", sample, self.n_features)
        n = len(samples)
        if self.training and n < 2:
            raise ValueError("BatchNorm needs at least 2 samples per batch in train mode (the "
                             "variance of one sample is 0); use a larger batch, or eval mode")
        rows = [[ag.as_value(x_i, "BatchNorm") for x_i in sample] for sample in samples]
        columns: list[list[Value]] = []
        new_mean, new_var = list(self.running_mean), list(self.running_var)
        for j, column in enumerate(zip(*rows)):
            if self.training:
                mean = ag.sum(column) / n
                centered = [x - mean for x in column]
                variance = ag.dot(centered, centered) / n
                scale = self.gamma[j] * (variance + self.eps) ** -0.5
                # The running estimate of the variance is unbiased (n - 1), as in PyTorch; the
                # batch is normalised with the biased one.
                m = self.momentum
                new_mean[j] = (1 - m) * new_mean[j] + m * mean.data
                new_var[j] = (1 - m) * new_var[j] + m * variance.data * n / (n - 1)
            else:
                centered = [x - self.running_mean[j] for x in column]
                scale = self.gamma[j] * (1.0 / math.sqrt(self.running_var[j] + self.eps))
            columns.append([c * scale + self.beta[j] for c in centered])
        # Set only once every feature is computed, so a failure leaves the estimates unchanged.
        self.running_mean, self.running_var = new_mean, new_var
        return [list(row) for row in zip(*columns)]

    def extra_repr(self) -> str:
        """The settings shown by repr: `n_features=4, momentum=0.1, eps=1e-05`."""
        return f"n_features={self.n_features}, momentum={self.momentum:g}, eps={self.eps:g}"


class Embedding(Module):
    """A table of `n_ids` rows of `dim` learned numbers; `embedding(i)` is row i.

    The lookup is the course's one-hot view done cheaply: one_hot(i) @ weight picks row i, and
    only that row gets a gradient. Weights start from N(0, 1), as in `torch.nn.Embedding`.

    >>> embedding = Embedding(5, 3, seed=0)
    >>> row = embedding(2)
    >>> [v is w for v, w in zip(row, embedding.weight[2])]
    [True, True, True]
    """

    def __init__(self, n_ids: int, dim: int, seed: int | random.Random | None = None) -> None:
        self.n_ids = check_int("n_ids", n_ids)
        self.dim = check_int("dim", dim)
        rng = make_rng(seed)
        self.weight = [[Value(rng.gauss(0.0, 1.0), label=f"W{i}_{j}") for j in range(dim)]
                       for i in range(n_ids)]

    def forward(self, index: int) -> list[Value]:
        """Row `index` of the table (the parameters themselves, so gradients land there)."""
        if isinstance(index, bool) or not hasattr(index, "__index__"):
            raise TypeError(f"Embedding: an id must be an int, got {type(index).__name__}: "
                            f"{index!r:.40}")
        position = operator.index(index)
        if not 0 <= position < self.n_ids:
            raise ValueError(f"Embedding: id {position} is out of range; this table has "
                             f"{self.n_ids} ids, 0 to {self.n_ids - 1}")
        return list(self.weight[position])

    def extra_repr(self) -> str:
        """The settings shown by repr: `n_ids=10, dim=3`."""
        return f"n_ids={self.n_ids}, dim={self.dim}"


def single(outputs: Sequence[Value]) -> Value:
    """The one Value in a one-element output list (layers and models always return lists)."""
    if isinstance(outputs, Value):
        raise TypeError("single() needs a list of outputs, got a Value (already single)")
    if len(outputs) != 1:
        raise ValueError(f"single() needs a list of exactly one output, got {len(outputs)}")
    return outputs[0]
