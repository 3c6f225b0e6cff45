"""Moving on to PyTorch: `to_torch(model)` and `from_torch(module)` with the same weights.

A model that outgrows the scalar engine carries over as a `torch.nn.Sequential` in float64 and
gives the same outputs (to rounding, about 1e-15). The layers that convert, both ways:

| nn                                   | torch.nn                                        |
| ------------------------------------ | ----------------------------------------------- |
| `Layer(n, m, activation)`            | `Linear(n, m)`, then the activation's module    |
| activation "linear"                  | none (or `Identity`)                            |
| "tanh", "sigmoid", "relu"            | `Tanh`, `Sigmoid`, `ReLU`                       |
| "leaky_relu" (slope 0.01)            | `LeakyReLU(0.01)`                               |
| `Dropout(p)`                         | `Dropout(p)`                                    |
| `BatchNorm(n, momentum, eps)`        | `BatchNorm1d(n, eps, momentum)`                 |
| `Conv1d`, `Conv2d` (stride, padding) | `Conv1d`, `Conv2d` (zero padding, no dilation)  |
| `MaxPool1d/2d`, `AvgPool1d/2d`       | the same (no padding, no ceil_mode)             |
| `Activation(name)`                   | the activation's module, after a conv or a pool |
| `Flatten()`                          | `Flatten(start_dim=-3)` (2-D; -2 in 1-D)        |
| `Unflatten(shape)`                   | `Unflatten(-1, shape)`                          |

An `MLP` or a `Sequential` of these (nested ones are flattened) converts to torch; a torch
`Sequential` of these (or one such module) converts back to an `MLP` when it has that shape
(Linear layers whose hidden activations agree), otherwise to a `Sequential`. The training mode
is carried over too. Anything else (the "step" activation, `Embedding`, ...) is refused, naming
it. PyTorch is optional: it is imported only when these functions run.

The sequence layers convert on their own (they return more than one thing, so no Sequential
can hold them), each to the torch module that computes the same on an unbatched sequence
of shape (T, features):

| nn                                   | torch.nn                                        |
| ------------------------------------ | ----------------------------------------------- |
| `RNN(n, h)`, `LSTM(n, h)`            | `RNN(n, h)` (tanh), `LSTM(n, h)`: one layer     |
| `SelfAttention(d)` (d_k = d_model)   | `MultiheadAttention(d, 1, bias=False)`, its     |
|                                      | output projection the identity; call it as      |
|                                      | `attention(x, x, x)`                            |

A causal SelfAttention is refused: torch's module takes the mask at every call, and one
forgotten mask would give numbers that look right and are not.

A model with a `BatchNorm` takes batches, as the torch one does: compare
`model(batch)` with `to_torch(model)(torch.tensor(batch, dtype=torch.float64))`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .conv import (
    Activation,
    AvgPool1d,
    AvgPool2d,
    Conv1d,
    Conv2d,
    Flatten,
    MaxPool1d,
    MaxPool2d,
    Unflatten,
    _Conv,
    _Pool,
)
from .layers import MLP, BatchNorm, Dropout, Layer, Sequential
from .module import Module
from .recurrent import LSTM, RNN, SelfAttention

if TYPE_CHECKING:
    import torch

__all__ = ["to_torch", "from_torch"]

# The activations torch.nn has a module for, by nn name; "linear" needs none and "step" has none.
_TORCH_ACTIVATIONS = {"tanh": "Tanh", "sigmoid": "Sigmoid", "relu": "ReLU",
                      "leaky_relu": "LeakyReLU"}
_LEAKY_SLOPE = 0.01  # the slope of Value.leaky_relu, which a Neuron uses

_SUPPORTED_HERE = ("MLP, Sequential, Layer, Dropout, BatchNorm, Conv1d, Conv2d, pooling, "
                   "Activation, Flatten, Unflatten")
_SUPPORTED_THERE = ("Sequential, Linear, Tanh, Sigmoid, ReLU, LeakyReLU (slope 0.01), Identity, "
                    "Dropout, BatchNorm1d, Conv1d, Conv2d, MaxPool1d/2d, AvgPool1d/2d, Flatten, "
                    "Unflatten; and on their own, not in a Sequential: RNN, LSTM, "
                    "MultiheadAttention")
_CONVERTIBLE = (Layer, Dropout, BatchNorm, _Conv, _Pool, Activation, Flatten, Unflatten)


def _check_torch(who: str) -> None:
    """Import torch once, here, so that a missing PyTorch gets a message saying what to do."""
    try:
        import torch  # noqa: F401  (imported to see whether it is there)
    except ImportError:
        raise ImportError(f"nn.{who} needs PyTorch, which is not installed; install it with "
                          "`pip install torch`") from None


# --- to torch -------------------------------------------------------------------------------


def _our_layers(module: Module, path: str) -> Iterator[tuple[str, Module]]:
    """(path, layer) for each convertible layer, with MLPs and Sequentials opened up."""
    if isinstance(module, (MLP, Sequential)):
        for index, layer in enumerate(module.layers):
            yield from _our_layers(layer, f"{path}.layers.{index}" if path else f"layers.{index}")
    elif isinstance(module, _CONVERTIBLE):
        yield path, module
    else:
        where = f" (at {path})" if path else ""
        raise TypeError(f"to_torch: {type(module).__name__}{where} has no torch.nn counterpart "
                        f"here; supported: {_SUPPORTED_HERE}")


def _layer_activation(layer: Layer, path: str) -> str:
    activations = {neuron.activation for neuron in layer.neurons}
    if len(activations) != 1:
        raise ValueError(f"to_torch: the Layer at {path} mixes activations "
                         f"({', '.join(sorted(activations))}); torch.nn applies one per layer")
    activation = activations.pop()
    if activation not in _TORCH_ACTIVATIONS and activation != "linear":
        raise ValueError(f"to_torch: the Layer at {path} uses the {activation!r} activation, "
                         "which torch.nn has no module for")
    return activation


def _linear(layer: Layer) -> torch.nn.Linear:
    import torch

    linear = torch.nn.Linear(layer.n_inputs, len(layer.neurons), dtype=torch.float64)
    with torch.no_grad():
        linear.weight.copy_(torch.tensor([[w.data for w in neuron.w] for neuron in layer.neurons],
                                         dtype=torch.float64))
        linear.bias.copy_(torch.tensor([neuron.b.data for neuron in layer.neurons],
                                       dtype=torch.float64))
    return linear


def _batch_norm_1d(norm: BatchNorm) -> torch.nn.BatchNorm1d:
    import torch

    batch_norm = torch.nn.BatchNorm1d(norm.n_features, eps=norm.eps, momentum=norm.momentum,
                                      dtype=torch.float64)
    with torch.no_grad():
        batch_norm.weight.copy_(torch.tensor([g.data for g in norm.gamma], dtype=torch.float64))
        batch_norm.bias.copy_(torch.tensor([b.data for b in norm.beta], dtype=torch.float64))
    # Buffers, not parameters: assigning a tensor replaces the registered buffer.
    batch_norm.running_mean = torch.tensor(norm.running_mean, dtype=torch.float64)
    batch_norm.running_var = torch.tensor(norm.running_var, dtype=torch.float64)
    return batch_norm


def to_torch(model: Module) -> Any:
    """A float64 `torch.nn.Sequential` with the same layers, weights and mode as `model`.

    >>> import nn, pytest
    >>> torch = pytest.importorskip("torch")     # PyTorch is optional
    >>> model = nn.MLP(2, [3, 1], activation="tanh", seed=0)
    >>> to_torch(model)
    Sequential(
      (0): Linear(in_features=2, out_features=3, bias=True)
      (1): Tanh()
      (2): Linear(in_features=3, out_features=1, bias=True)
    )
    >>> x = [0.5, -1.0]
    >>> abs(to_torch(model)(torch.tensor(x, dtype=torch.float64)).item() - model(x)[0].data) < 1e-12
    True
    """
    if not isinstance(model, Module):
        raise TypeError(f"to_torch: model must be an nn Module (an MLP or a Sequential), got "
                        f"{type(model).__name__}")
    if isinstance(model, (RNN, LSTM, SelfAttention)):
        return _sequence_layer(model)
    layers = list(_our_layers(model, ""))  # checked before torch is needed
    activations = {path: _layer_activation(layer, path) for path, layer in layers
                   if isinstance(layer, Layer)}
    _check_torch("to_torch")
    import torch

    modules: list[torch.nn.Module] = []
    dims = 1  # the spatial dimensions of the samples so far (for Flatten)
    for path, layer in layers:
        if isinstance(layer, Layer):
            modules.append(_linear(layer))
            modules += _torch_activation(activations[path])
        elif isinstance(layer, Dropout):
            modules.append(torch.nn.Dropout(layer.p))
        elif isinstance(layer, BatchNorm):
            modules.append(_batch_norm_1d(layer))
        elif isinstance(layer, _Conv):
            modules.append(_convolution(layer))
            dims = layer.dims
        elif isinstance(layer, _Pool):
            kind = f"{'Max' if layer.kind == 'max' else 'Avg'}Pool{layer.dims}d"
            modules.append(getattr(torch.nn, kind)(layer.kernel_size, layer.stride))
            dims = layer.dims
        elif isinstance(layer, Activation):
            if layer.name == "step":
                raise ValueError(f"to_torch: the Activation at {path} is a step, which "
                                 "torch.nn has no module for")
            modules += _torch_activation(layer.name) or [torch.nn.Identity()]
        elif isinstance(layer, Flatten):
            modules.append(torch.nn.Flatten(start_dim=-(dims + 1)))
        else:
            assert isinstance(layer, Unflatten)
            modules.append(torch.nn.Unflatten(-1, layer.shape))
            dims = len(layer.shape) - 1
    return torch.nn.Sequential(*modules).train(model.training)


def _torch_activation(activation: str) -> list[torch.nn.Module]:
    """The torch module of an activation ([] for "linear")."""
    import torch

    if activation == "leaky_relu":
        return [torch.nn.LeakyReLU(_LEAKY_SLOPE)]
    if activation == "linear":
        return []
    return [getattr(torch.nn, _TORCH_ACTIVATIONS[activation])()]


def _convolution(layer: _Conv) -> torch.nn.Module:
    """A torch Conv1d or Conv2d with the layer's weights, in float64."""
    import torch

    kind: Any = torch.nn.Conv1d if layer.dims == 1 else torch.nn.Conv2d
    module: Any = kind(layer.in_channels, layer.out_channels, layer.kernel_size,
                       stride=layer.stride, padding=layer.padding).double()
    with torch.no_grad():
        module.weight.copy_(torch.tensor(_data(layer.weight), dtype=torch.float64))
        module.bias.copy_(torch.tensor(_data(layer.bias), dtype=torch.float64))
    converted: torch.nn.Module = module
    return converted


def _sequence_layer(layer: RNN | LSTM | SelfAttention) -> Any:
    """The torch module of a sequence layer, with its weights, in float64 and its mode."""
    if isinstance(layer, SelfAttention) and (layer.causal or layer.d_k != layer.d_model):
        why = ("it is causal, and torch.nn.MultiheadAttention takes the causal mask at every "
               "call (attn_mask), not as a setting" if layer.causal else
               f"its d_k ({layer.d_k}) is not its d_model ({layer.d_model}): "
               "torch.nn.MultiheadAttention projects to d_model")
        raise ValueError(f"to_torch: {layer!r} has no torch module of its own: {why}")
    _check_torch("to_torch")
    import torch

    module: Any
    if isinstance(layer, SelfAttention):
        module = torch.nn.MultiheadAttention(layer.d_model, 1, bias=False, dtype=torch.float64)
        weights = {"in_proj_weight": [*_data(layer.w_q), *_data(layer.w_k), *_data(layer.w_v)],
                   "out_proj.weight": [[float(i == j) for j in range(layer.d_model)]
                                       for i in range(layer.d_model)]}
    else:
        kind = torch.nn.RNN if isinstance(layer, RNN) else torch.nn.LSTM
        module = kind(layer.input_size, layer.hidden_size, dtype=torch.float64)
        weights = {f"{name}_l0": _data(getattr(layer, name))
                   for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
    with torch.no_grad():
        for name, numbers in weights.items():
            module.get_parameter(name).copy_(torch.tensor(numbers, dtype=torch.float64))
    return module.train(layer.training)


def _sequence_layer_from(module: Any) -> RNN | LSTM | SelfAttention:
    """The nn sequence layer of a torch RNN, LSTM or MultiheadAttention, or an error naming
    the setting that has no counterpart."""
    import torch

    name = type(module).__name__

    def refuse(setting: str) -> ValueError:
        return ValueError(f"from_torch: the {name} has {setting}, which nn's layer has not")

    if isinstance(module, torch.nn.MultiheadAttention):
        identity = torch.eye(module.embed_dim, dtype=module.out_proj.weight.dtype)
        for problem, setting in (
                (module.num_heads != 1, f"{module.num_heads} heads"),
                (module.in_proj_bias is not None or module.bias_k is not None, "biases"),
                (not module._qkv_same_embed_dim, "kdim or vdim of their own"),
                (module.add_zero_attn, "add_zero_attn"),
                (module.dropout > 0, f"dropout {module.dropout}"),
                (module.out_proj.bias is not None and bool(module.out_proj.bias.any()),
                 "an output projection bias"),
                (not torch.equal(module.out_proj.weight.detach(), identity),
                 "an output projection that is not the identity")):
            if problem:
                raise refuse(setting)
        d = module.embed_dim
        attention = SelfAttention(d, seed=0)
        rows = _numbers(module.in_proj_weight)
        for group, start in ((attention.w_q, 0), (attention.w_k, d), (attention.w_v, 2 * d)):
            _assign(group, rows[start:start + d])
        return attention.train(module.training)
    for problem, setting in (
            (module.num_layers != 1, f"{module.num_layers} layers"),
            (module.bidirectional, "two directions"),
            (not module.bias, "no biases"),
            (getattr(module, "nonlinearity", "tanh") != "tanh",
             f"the {getattr(module, 'nonlinearity', '')} non-linearity"),
            (getattr(module, "proj_size", 0), "a projection"),
            (module.dropout > 0, f"dropout {module.dropout}")):
        if problem:
            raise refuse(setting)
    layer = (RNN if isinstance(module, torch.nn.RNN) else LSTM)(
        module.input_size, module.hidden_size, seed=0)
    for weights in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        _assign(getattr(layer, weights), _numbers(getattr(module, f"{weights}_l0")))
    return layer.train(module.training)


def _assign(group: Any, numbers: Any) -> None:
    """Set the Values of a (nested) list to the numbers of the same shape."""
    for value, number in zip(group, numbers):
        if isinstance(value, list):
            _assign(value, number)
        else:
            value.data = float(number)


def _data(group: Any) -> Any:
    return group.data if not isinstance(group, list) else [_data(g) for g in group]


# --- from torch -----------------------------------------------------------------------------


def _torch_layers(module: torch.nn.Module, path: str) -> Iterator[tuple[str, Any]]:
    """(path, module) for each module of a torch model, nested Sequentials opened up."""
    import torch

    if type(module) is torch.nn.Sequential:
        for name, child in module.named_children():
            yield from _torch_layers(child, f"{path}.{name}" if path else name)
    else:
        yield path, module


def _activation_of(module: Any, where: str) -> str | None:
    """The nn activation a torch module is ("linear" for Identity), or None if it is none."""
    import torch

    kind = type(module)
    if kind is torch.nn.Identity:
        return "linear"
    if kind is torch.nn.LeakyReLU and module.negative_slope != _LEAKY_SLOPE:
        raise ValueError(f"from_torch: LeakyReLU {where} has negative_slope="
                         f"{module.negative_slope}; nn's leaky_relu has slope {_LEAKY_SLOPE}")
    for name, class_name in _TORCH_ACTIVATIONS.items():
        if kind is getattr(torch.nn, class_name):
            return name
    return None


def _numbers(tensor: Any) -> list[Any]:
    """A tensor's numbers as (nested) lists of Python floats."""
    return list(tensor.detach().double().tolist())


def _layer_from(linear: Any, activation: str) -> Layer:
    layer = Layer(linear.in_features, linear.out_features, activation, seed=0)
    weights = _numbers(linear.weight)
    biases = _numbers(linear.bias) if linear.bias is not None else [0.0] * linear.out_features
    layer.load_state_dict({f"neurons.{i}.{key}": value for i in range(linear.out_features)
                           for key, value in (("w", weights[i]), ("b", biases[i]))})
    return layer


def _batch_norm_from(batch_norm: Any, where: str) -> BatchNorm:
    if batch_norm.momentum is None:
        raise ValueError(f"from_torch: BatchNorm1d {where} has momentum=None (a cumulative "
                         "average), which nn's BatchNorm does not do")
    if not batch_norm.track_running_stats:
        raise ValueError(f"from_torch: BatchNorm1d {where} keeps no running statistics "
                         "(track_running_stats=False), which nn's BatchNorm always keeps")
    norm = BatchNorm(batch_norm.num_features, momentum=batch_norm.momentum, eps=batch_norm.eps)
    state = norm.state_dict()
    if batch_norm.affine:
        state.update(gamma=_numbers(batch_norm.weight), beta=_numbers(batch_norm.bias))
    state.update(running_mean=[float(m) for m in _numbers(batch_norm.running_mean)],
                 running_var=[float(v) for v in _numbers(batch_norm.running_var)])
    norm.load_state_dict(state)
    return norm


def _convolution_from(conv: Any, where: str) -> _Conv:
    """nn's Conv1d or Conv2d with a torch convolution's weights."""
    name = type(conv).__name__
    if isinstance(conv.padding, str) or conv.padding_mode != "zeros" or conv.groups != 1 \
            or any(d != 1 for d in conv.dilation):
        raise ValueError(f"from_torch: {name} {where} uses padding={conv.padding!r}, "
                         f"padding_mode={conv.padding_mode!r}, groups={conv.groups}, "
                         f"dilation={conv.dilation}; nn's convolutions pad with zeros, by "
                         "numbers, in one group, without dilation")
    ours = (Conv1d if name == "Conv1d" else Conv2d)(
        conv.in_channels, conv.out_channels, tuple(conv.kernel_size), tuple(conv.stride),
        tuple(conv.padding), seed=0)
    biases = _numbers(conv.bias) if conv.bias is not None else [0.0] * conv.out_channels
    ours.load_state_dict({"weight": _numbers(conv.weight), "bias": biases})
    return ours


def _pool_from(pool: Any, where: str) -> _Pool:
    """nn's pooling for a torch pooling without padding or ceil_mode."""
    name = type(pool).__name__
    dilation = getattr(pool, "dilation", 1)
    padding = pool.padding if isinstance(pool.padding, (tuple, list)) else (pool.padding,)
    if any(p != 0 for p in padding) or pool.ceil_mode or dilation not in (1, (1, 1)) \
            or getattr(pool, "return_indices", False) \
            or getattr(pool, "divisor_override", None) is not None:
        raise ValueError(f"from_torch: {name} {where} uses padding, ceil_mode, dilation, "
                         "return_indices or divisor_override, which nn's pooling does not")
    kinds = {"MaxPool1d": MaxPool1d, "MaxPool2d": MaxPool2d, "AvgPool1d": AvgPool1d,
             "AvgPool2d": AvgPool2d}
    return kinds[name](pool.kernel_size, pool.stride)


def _check_width(where: str, kind: str, width: int | None, n_inputs: int) -> None:
    if width is not None and n_inputs != width:
        raise ValueError(f"from_torch: {kind} {where} takes {n_inputs} features, but the "
                         f"layer before it gives {width}")


def _as_mlp(layers: list[Module]) -> MLP | None:
    """The same layers as an MLP, or None unless all are Layers sharing a hidden activation."""
    dense = [layer for layer in layers if isinstance(layer, Layer)]
    activations = [layer.neurons[0].activation for layer in dense]
    if len(dense) != len(layers) or len(set(activations[:-1])) > 1:
        return None
    mlp = MLP(dense[0].n_inputs, [layer.n_outputs for layer in dense],
              activation=activations[0], output_activation=activations[-1], seed=0)
    # MLP and Sequential both keep their layers in `layers`, so their state dicts share keys.
    mlp.load_state_dict(Sequential(*layers).state_dict())
    return mlp


def from_torch(module: torch.nn.Module) -> Module:
    """An nn model with the same layers, weights and mode as a torch model (see the table above).

    >>> import nn, pytest
    >>> torch = pytest.importorskip("torch")     # PyTorch is optional
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    >>> from_torch(net)
    MLP(
      (layers.0): Layer(
        (neurons.0): Neuron(n_inputs=2, activation='relu')
        (neurons.1): Neuron(n_inputs=2, activation='relu')
        (neurons.2): Neuron(n_inputs=2, activation='relu')
      )
      (layers.1): Layer(
        (neurons.0): Neuron(n_inputs=3, activation='linear')
      )
    )
    """
    _check_torch("from_torch")
    import torch

    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"from_torch: module must be a torch.nn.Module (such as a "
                        f"torch.nn.Sequential), got {type(module).__name__}")
    if isinstance(module, (torch.nn.RNN, torch.nn.LSTM, torch.nn.MultiheadAttention)):
        return _sequence_layer_from(module)
    found = list(_torch_layers(module, ""))
    layers: list[Module] = []
    width: int | None = None  # the number of features the layers so far give
    index = 0
    while index < len(found):
        path, child = found[index]
        where = f"at {path}" if path else "(the module itself)"
        kind = type(child)
        index += 1
        if kind is torch.nn.Linear:
            _check_width(where, "Linear", width, child.in_features)
            activation = "linear"
            if index < len(found):
                following = _activation_of(found[index][1], f"at {found[index][0]}")
                if following is not None:
                    activation = following
                    index += 1
            layers.append(_layer_from(child, activation))
            width = child.out_features
        elif kind is torch.nn.Identity:
            continue  # on its own it changes nothing
        elif _activation_of(child, where) is not None:
            if not layers or not isinstance(layers[-1], (_Conv, _Pool, Activation, Unflatten)):
                raise ValueError(f"from_torch: {kind.__name__} {where} does not follow a Linear "
                                 "or a convolution; nn applies activations inside a Layer, or "
                                 "over a convolution's channels")
            layers.append(Activation(str(_activation_of(child, where))))
        elif kind in (torch.nn.Conv1d, torch.nn.Conv2d):
            layers.append(_convolution_from(child, where))
            width = None
        elif kind in (torch.nn.MaxPool1d, torch.nn.MaxPool2d, torch.nn.AvgPool1d,
                      torch.nn.AvgPool2d):
            layers.append(_pool_from(child, where))
            width = None
        elif kind is torch.nn.Flatten:
            if child.start_dim not in (1, -2, -3) or child.end_dim != -1:
                raise ValueError(f"from_torch: Flatten {where} flattens dimensions "
                                 f"{child.start_dim} to {child.end_dim}; nn's Flatten flattens "
                                 "a whole sample (start_dim 1, or -2/-3 unbatched; end_dim -1)")
            layers.append(Flatten())
            width = None
        elif kind is torch.nn.Unflatten:
            if child.dim not in (-1, 1):
                raise ValueError(f"from_torch: Unflatten {where} unflattens dimension "
                                 f"{child.dim}; nn's Unflatten shapes a whole sample (-1)")
            layers.append(Unflatten(tuple(child.unflattened_size)))
            width = None
        elif kind is torch.nn.Dropout:
            layers.append(Dropout(child.p))
        elif kind is torch.nn.BatchNorm1d:
            _check_width(where, "BatchNorm1d", width, child.num_features)
            layers.append(_batch_norm_from(child, where))
        else:
            raise TypeError(f"from_torch: {kind.__name__} {where} has no nn counterpart; "
                            f"supported: {_SUPPORTED_THERE}")
    if not layers:
        raise ValueError("from_torch: the module has no layers to convert")
    converted = _as_mlp(layers) or Sequential(*layers)
    return converted.train(module.training)
