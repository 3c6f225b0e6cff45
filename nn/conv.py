"""Convolution and pooling on Values: Conv1d, Conv2d, MaxPool1d/2d, AvgPool1d/2d, Flatten and
Unflatten, matching their PyTorch namesakes (float64) for one sample.

A sample is nested lists: channels, then positions (`[C][L]` in 1-D, `[C][H][W]` in 2-D), of
numbers or Values. A convolution's kernel is one set of Values that every position of the
input uses: each weight is one node with an edge to every position it multiplies, so backward
sums its gradient over all of them, which is the point of weight sharing.

Each output is `dot(the kernel's weights, the patch under it) + bias`: one `dot` node per
output position, as a `Neuron` is. Padding is zeros (Constants). A max-pool of a window is one
`max` node, whose gradient goes to the window's largest input only (the first of them on a
tie, as in PyTorch).

>>> conv = Conv1d(1, 1, kernel_size=2, seed=0)
>>> conv.weight[0][0][0].data, conv.weight[0][0][1].data, conv.bias[0].data = 1.0, -1.0, 0.5
>>> [v.data for v in conv([[1.0, 3.0, 2.0]])[0]]       # [1 - 3 + .5, 3 - 2 + .5]
[-1.5, 1.5]
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Sequence
from typing import Any

import autograd_core as ag
from autograd_core import Constant, Value

from .checks import check_choice, check_int
from .init import INITS, make_rng
from .module import Module

__all__ = ["Conv1d", "Conv2d", "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d",
           "Activation", "Flatten", "Unflatten"]

_ZERO = Constant(0.0)


def _sizes(who: str, value: object, dims: int, low: int) -> tuple[int, ...]:
    """An int or a tuple of `dims` ints, each at least `low`, as a tuple."""
    items = (value,) * dims if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(items, (tuple, list)) or len(items) != dims:
        raise TypeError(f"{who} must be an int or {dims} ints, got {value!r:.40}")
    for item in items:
        check_int(who, item, low)
    return tuple(items)


def _shape(who: str, x: Any, dims: int) -> tuple[int, ...]:
    """The shape of a nested-list sample of 1 + dims levels (channels, then positions)."""
    shape = []
    level = x
    for depth in range(dims + 1):
        if isinstance(level, (str, bytes)) or not isinstance(level, Sequence) or not level:
            raise TypeError(f"{who} takes a sample of {1 + dims} nested lists (channels, then "
                            f"{'length' if dims == 1 else 'rows and columns'}), got "
                            f"{type(level).__name__} at depth {depth}")
        shape.append(len(level))
        level = level[0]
    _check_rectangular(who, x, tuple(shape))
    return tuple(shape)


def _check_rectangular(who: str, x: Any, shape: tuple[int, ...], where: str = "") -> None:
    if len(x) != shape[0]:
        raise ValueError(f"{who}: the sample is not rectangular: {where or 'it'} has "
                         f"{len(x)} entries where {shape[0]} were expected")
    if len(shape) > 1:
        for index, part in enumerate(x):
            if isinstance(part, (str, bytes)) or not isinstance(part, Sequence):
                raise TypeError(f"{who}: entry {where}[{index}] is not a list")
            _check_rectangular(who, part, shape[1:], f"{where}[{index}]")


def _at(x: Any, index: tuple[int, ...]) -> Any:
    for i in index:
        x = x[i]
    return x


def _nest(flat: list[Any], shape: tuple[int, ...]) -> Any:
    """A flat list (C order) as nested lists of `shape`."""
    if len(shape) == 1:
        return flat
    step = len(flat) // shape[0]
    return [_nest(flat[k * step:(k + 1) * step], shape[1:]) for k in range(shape[0])]


def _as_value(x: Any) -> Any:
    return x if isinstance(x, Value) else ag.as_value(x, "a convolution's input")


class _Conv(Module):
    """A convolution over `dims` spatial dimensions (Conv1d, Conv2d)."""

    dims = 1

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | Sequence[int],
                 stride: int | Sequence[int] = 1, padding: int | Sequence[int] = 0,
                 init: str = "uniform", seed: int | random.Random | None = None) -> None:
        name = type(self).__name__
        self.in_channels = check_int(f"{name}: in_channels", in_channels)
        self.out_channels = check_int(f"{name}: out_channels", out_channels)
        self.kernel_size = _sizes(f"{name}: kernel_size", kernel_size, self.dims, 1)
        self.stride = _sizes(f"{name}: stride", stride, self.dims, 1)
        self.padding = _sizes(f"{name}: padding", padding, self.dims, 0)
        draw = INITS[check_choice(f"{name}: init", init, INITS)]
        rng = make_rng(seed)
        fan_in = in_channels * math.prod(self.kernel_size)

        def kernel(shape: tuple[int, ...]) -> Any:
            if not shape:
                return Value(draw(rng, fan_in, out_channels))
            return [kernel(shape[1:]) for _ in range(shape[0])]

        self.weight = [kernel((in_channels, *self.kernel_size)) for _ in range(out_channels)]
        self.bias = [Value(0.0, label="b") for _ in range(out_channels)]

    def out_size(self, sizes: Sequence[int]) -> tuple[int, ...]:
        """The output's positions for an input of these positions."""
        return tuple((n + 2 * p - k) // s + 1 for n, p, k, s
                     in zip(sizes, self.padding, self.kernel_size, self.stride))

    def forward(self, x: Any) -> Any:
        """The output channels, each `dot(kernel, patch) + bias` at every position."""
        name = type(self).__name__
        channels, *sizes = _shape(name, x, self.dims)
        if channels != self.in_channels:
            raise ValueError(f"{name}: expected {self.in_channels} input channels, got "
                             f"{channels} (a sample of shape {(channels, *sizes)})")
        padded = tuple(n + 2 * p for n, p in zip(sizes, self.padding))
        if any(k > n for k, n in zip(self.kernel_size, padded)):
            raise ValueError(f"{name}: the kernel {self.kernel_size} is larger than the padded "
                             f"input {padded} (a sample of shape {(channels, *sizes)}, padding "
                             f"{self.padding})")
        inputs = [[_as_value(v) for v in _flatten(channel)] for channel in x]
        offsets = list(itertools.product(*(range(k) for k in self.kernel_size)))
        weights = [[w for channel in kernel for w in _flatten(channel)]
                   for kernel in self.weight]
        out_sizes = self.out_size(sizes)
        outputs: list[list[Value]] = [[] for _ in range(self.out_channels)]
        for position in itertools.product(*(range(n) for n in out_sizes)):
            patch = []
            for c in range(channels):
                for offset in offsets:
                    index = [q * s + o - p for q, s, o, p
                             in zip(position, self.stride, offset, self.padding)]
                    inside = all(0 <= i < n for i, n in zip(index, sizes))
                    patch.append(inputs[c][_linear(index, sizes)] if inside else _ZERO)
            for o in range(self.out_channels):
                outputs[o].append(ag.dot(weights[o], patch) + self.bias[o])
        return [_nest(channel, out_sizes) for channel in outputs]

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}")


def _flatten(x: Any) -> list[Any]:
    """Nested lists, flattened in C order."""
    if isinstance(x, (list, tuple)):
        return [v for part in x for v in _flatten(part)]
    return [x]


def _linear(index: Sequence[int], sizes: Sequence[int]) -> int:
    position = 0
    for i, n in zip(index, sizes):
        position = position * n + i
    return position


class Conv1d(_Conv):
    """A 1-D convolution: `[in_channels][L]` -> `[out_channels][L']`, as torch.nn.Conv1d."""

    dims = 1


class Conv2d(_Conv):
    """A 2-D convolution: `[in_channels][H][W]` -> `[out_channels][H'][W']`, as
    torch.nn.Conv2d."""

    dims = 2


class _Pool(Module):
    """Max or average pooling over `dims` spatial dimensions, each channel on its own."""

    dims = 1
    kind = "max"

    def __init__(self, kernel_size: int | Sequence[int],
                 stride: int | Sequence[int] | None = None) -> None:
        name = type(self).__name__
        self.kernel_size = _sizes(f"{name}: kernel_size", kernel_size, self.dims, 1)
        self.stride = (self.kernel_size if stride is None
                       else _sizes(f"{name}: stride", stride, self.dims, 1))

    def forward(self, x: Any) -> Any:
        name = type(self).__name__
        channels, *sizes = _shape(name, x, self.dims)
        if any(k > n for k, n in zip(self.kernel_size, sizes)):
            raise ValueError(f"{name}: the window {self.kernel_size} is larger than the input "
                             f"(a sample of shape {(channels, *sizes)})")
        out_sizes = tuple((n - k) // s + 1 for n, k, s in zip(sizes, self.kernel_size,
                                                               self.stride))
        offsets = list(itertools.product(*(range(k) for k in self.kernel_size)))
        result = []
        for channel in x:
            flat = [_as_value(v) for v in _flatten(channel)]
            pooled = []
            for position in itertools.product(*(range(n) for n in out_sizes)):
                window = [flat[_linear([q * s + o for q, s, o in zip(position, self.stride,
                                                                      offset)], sizes)]
                          for offset in offsets]
                pooled.append(ag.max_values(window) if self.kind == "max"
                              else ag.sum(window) * (1.0 / len(window)))
            result.append(_nest(pooled, out_sizes))
        return result

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}"


class MaxPool1d(_Pool):
    """The largest value of each window, as torch.nn.MaxPool1d (no padding)."""

    dims, kind = 1, "max"


class MaxPool2d(_Pool):
    """The largest value of each window, as torch.nn.MaxPool2d (no padding)."""

    dims, kind = 2, "max"


class AvgPool1d(_Pool):
    """The mean of each window, as torch.nn.AvgPool1d (no padding)."""

    dims, kind = 1, "avg"


class AvgPool2d(_Pool):
    """The mean of each window, as torch.nn.AvgPool2d (no padding)."""

    dims, kind = 2, "avg"


class Activation(Module):
    """An activation applied to every number of a sample, whatever its nesting (a
    convolution's channels): `Activation("relu")`. The names are `ACTIVATIONS`'."""

    def __init__(self, name: str) -> None:
        from .layers import ACTIVATIONS

        self.name = check_choice("Activation: name", name, ACTIVATIONS)
        self._apply = ACTIVATIONS[name]

    def forward(self, x: Any) -> Any:
        if isinstance(x, (list, tuple)):
            return [self.forward(part) for part in x]
        return self._apply(_as_value(x))

    def extra_repr(self) -> str:
        return repr(self.name)


class Flatten(Module):
    """Nested lists (channels, positions) as one flat list, in C order (torch's flatten of a
    sample): what a convolution hands to a Layer."""

    def forward(self, x: Any) -> list[Any]:
        return _flatten(x)


class Unflatten(Module):
    """A flat sample as nested lists of `shape` (a row of 64 pixels as `(1, 8, 8)`)."""

    def __init__(self, shape: Sequence[int]) -> None:
        self.shape = _sizes("Unflatten: shape", tuple(shape), len(shape), 1)

    def forward(self, x: Any) -> Any:
        flat = _flatten(x)
        if len(flat) != math.prod(self.shape):
            raise ValueError(f"Unflatten: a sample of {len(flat)} numbers cannot take the shape "
                             f"{self.shape} ({math.prod(self.shape)} numbers)")
        return _nest(flat, self.shape)

    def extra_repr(self) -> str:
        return f"shape={self.shape}"
