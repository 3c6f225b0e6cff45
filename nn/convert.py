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

An `MLP` or a `Sequential` of these (nested ones are flattened) converts to torch; a torch
`Sequential` of these (or one such module) converts back to an `MLP` when it has that shape
(Linear layers whose hidden activations agree), otherwise to a `Sequential`. The training mode
is carried over too. Anything else (the "step" activation, `Embedding`, `Conv2d`, ...) is
refused, naming it. PyTorch is optional: it is imported only when these functions run.

A model with a `BatchNorm` takes batches, as the torch one does: compare
`model(batch)` with `to_torch(model)(torch.tensor(batch, dtype=torch.float64))`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .layers import MLP, BatchNorm, Dropout, Layer, Sequential
from .module import Module

if TYPE_CHECKING:
    import torch

__all__ = ["to_torch", "from_torch"]

# The activations torch.nn has a module for, by nn name; "linear" needs none and "step" has none.
_TORCH_ACTIVATIONS = {"tanh": "Tanh", "sigmoid": "Sigmoid", "relu": "ReLU",
                      "leaky_relu": "LeakyReLU"}
_LEAKY_SLOPE = 0.01  # the slope of Value.leaky_relu, which a Neuron uses

_SUPPORTED_HERE = "MLP, Sequential, Layer, Dropout, BatchNorm"
_SUPPORTED_THERE = ("Sequential, Linear, Tanh, Sigmoid, ReLU, LeakyReLU (slope 0.01), Identity, "
                    "Dropout, BatchNorm1d")


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
    elif isinstance(module, (Layer, Dropout, BatchNorm)):
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


def to_torch(model: Module) -> torch.nn.Sequential:
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
    layers = list(_our_layers(model, ""))  # checked before torch is needed
    activations = {path: _layer_activation(layer, path) for path, layer in layers
                   if isinstance(layer, Layer)}
    _check_torch("to_torch")
    import torch

    modules: list[torch.nn.Module] = []
    for path, layer in layers:
        if isinstance(layer, Layer):
            modules.append(_linear(layer))
            activation = activations[path]
            if activation == "leaky_relu":
                modules.append(torch.nn.LeakyReLU(_LEAKY_SLOPE))
            elif activation != "linear":
                modules.append(getattr(torch.nn, _TORCH_ACTIVATIONS[activation])())
        elif isinstance(layer, Dropout):
            modules.append(torch.nn.Dropout(layer.p))
        else:
            assert isinstance(layer, BatchNorm)
            modules.append(_batch_norm_1d(layer))
    return torch.nn.Sequential(*modules).train(model.training)


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


def from_torch(module: torch.nn.Module) -> MLP | Sequential:
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
            raise ValueError(f"from_torch: {kind.__name__} {where} does not follow a Linear; "
                             "nn applies activations only inside a Layer")
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
