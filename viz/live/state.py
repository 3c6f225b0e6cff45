"""What a training view shows at step k, computed from the numbers the model had at step k.

A `Recorder` keeps, for every optimizer step taken, the model's parameters and the chosen
parameter's optimizer state (a few numbers each: a step of micrograd's demo network is 337
floats), and the training curves. `state(k)` loads step k's parameters into a private copy of
the model and runs the tracked sample through it with the engine itself: each neuron's output
and the gradient of that sample's loss with respect to it, exactly as backprop computes them.

Only models made of layers in a row (nn's `MLP`, or a `Sequential` of Layers and Dropouts) are
drawn neuron by neuron; `Network.of(model)` says why another model is not. viz does not import
nn (docs/design.md): it knows a model by what it holds. A layer is an object with `neurons`,
each with weights `w` and a bias `b`; a model is a layer or has `layers`, a list in which a
module without parameters (a Dropout) passes its input on.
"""

from __future__ import annotations

import bisect
import copy
import math
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import autograd_core as ag
from autograd_core import Value

__all__ = ["Network", "Snapshot", "State", "Recorder", "optimizer_state", "NotDrawable",
           "MOST_SNAPSHOTS"]

# Past this many snapshots every other one is dropped: about 55 MB for micrograd's demo
# network (337 parameters), however long it trains.
MOST_SNAPSHOTS = 20_000


def _every_other(items: list[Any]) -> list[Any]:
    """items[0], items[2], ... and always the last."""
    kept = items[::2]
    return kept if (len(items) - 1) % 2 == 0 else [*kept, items[-1]]


class NotDrawable(ValueError):
    """The model is not a row of Layers, so the view cannot draw it neuron by neuron."""


@dataclass(frozen=True)
class Network:
    """A model as the view draws it: the widths of its columns, inputs first."""

    widths: tuple[int, ...]  # inputs, then each Layer's neurons
    layer_names: tuple[str, ...]  # each Layer's name in the model ("layers.0")
    activations: tuple[str, ...]

    @staticmethod
    def of(model: Any) -> Network:
        """The model's Layers in order; NotDrawable says why a model has none to draw."""
        layers = _layers_of(model)
        widths = (layers[0][1].n_inputs, *(layer.n_outputs for _, layer in layers))
        for (name, layer), width in zip(layers, widths):
            if layer.n_inputs != width:
                raise NotDrawable(f"{name} takes {layer.n_inputs} inputs but the layer before "
                                  f"it gives {width}")
        return Network(widths, tuple(name for name, _ in layers),
                       tuple(layer.neurons[0].activation for _, layer in layers))

    @property
    def n_neurons(self) -> int:
        """The neurons of every Layer (not the inputs)."""
        return sum(self.widths[1:])


def _is_layer(module: object) -> bool:
    """A layer of neurons, each with weights `w` and a bias `b` (nn's Layer)."""
    neurons = getattr(module, "neurons", None)
    return (isinstance(neurons, list) and bool(neurons)
            and all(hasattr(n, "w") and hasattr(n, "b") for n in neurons))


def _modules_of(model: Any) -> list[Any]:
    """What the model applies in order: itself if it is a layer, else its `layers`."""
    if _is_layer(model):
        return [model]
    modules = getattr(model, "layers", None)
    if not isinstance(modules, list) or getattr(model, "batched", False) is True:
        raise NotDrawable(f"a {type(model).__name__} is not a row of layers (an MLP, or a "
                          "Sequential of Layers and Dropouts)")
    return modules


def _layers_of(model: Any) -> list[tuple[str, Any]]:
    """(name, layer) in the order the model applies them."""
    modules = _modules_of(model)
    if modules == [model]:
        return [("", model)]
    found = []
    for i, module in enumerate(modules):
        if _is_layer(module):
            found.append((f"layers.{i}", module))
        elif list(module.parameters()):
            raise NotDrawable(f"{type(model).__name__} holds a {type(module).__name__} "
                              f"(layers.{i}); the view draws layers of neurons, and modules "
                              "without parameters such as Dropout")
    if not found:
        raise NotDrawable(f"the {type(model).__name__} holds no layer of neurons")
    return found


def optimizer_state(optimizer: Any, index: int) -> dict[str, float]:
    """The optimizer's own numbers for parameter `index`: SGD's momentum buffer, Adam's m and v
    (and its step count t), RMSProp's square average... Every optimizer of `nn.optim` keeps
    them in lists with one entry per parameter; a missing entry (no step yet) is left out."""
    if optimizer is None:
        return {}
    n = len(getattr(optimizer, "params", ()))
    found: dict[str, float] = {}
    for name, item in vars(optimizer).items():
        if name == "params" or name.startswith("_"):
            continue
        if isinstance(item, list) and len(item) == n and isinstance(item[index], (int, float)):
            found[name] = float(item[index])
        elif name == "t" and isinstance(item, int):
            found[name] = float(item)
    return found


@dataclass(frozen=True)
class Snapshot:
    """The model after one optimizer step (step 0: before training)."""

    step: int
    epoch: int  # the epoch the step belongs to (0 before training)
    batch: int
    loss: float | None  # that batch's mean loss
    parameters: Sequence[float]  # an array of doubles: 8 bytes each, nothing for the GC
    optimizer: dict[str, float]  # the chosen parameter's gradient and optimizer state


@dataclass
class State:
    """Everything the view shows at one step, in numbers."""

    step: int
    epoch: int
    batch: int
    loss: float | None
    sample: tuple[float, ...]  # the tracked sample's features
    target: Any
    sample_loss: float | None  # the tracked sample's own loss (None without a loss)
    outputs: list[list[float]]  # per Layer, each neuron's output for the tracked sample
    grads: list[list[float]] | None  # d(sample loss)/d(output), per Layer and neuron
    weights: list[list[list[float]]]  # per Layer, per neuron, its weights
    biases: list[list[float]]
    parameter: str  # the chosen parameter's name
    parameter_value: float
    optimizer: dict[str, float]
    curves: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    scores: Any = None  # the model's outputs over the boundary's grid (rows of outputs)
    problem: str = ""  # why the tracked sample's numbers could not be computed


class Recorder:
    """The steps a model took, and how to show any of them."""

    def __init__(self, model: Any, sample: Sequence[float], target: Any,
                 parameter: str | None) -> None:
        try:
            self.network: Network | None = Network.of(model)
            self.not_drawn = ""
        except NotDrawable as exc:
            self.network, self.not_drawn = None, str(exc)
        self.model = model
        self.names = [name for name, _ in model.named_parameters()]
        self.live = [p for _, p in model.named_parameters()]
        self.parameter = self._choose(parameter)
        self.sample, self.target = tuple(float(v) for v in sample), target
        self._copy = copy.deepcopy(model)  # where past steps are replayed
        self._copy_parameters = self._copy.parameters()
        self._copy.eval()
        self._trace: Any = None  # the copy's graph, replayed over the boundary's grid
        self.snapshots: list[Snapshot] = []
        self._kept: list[int] = []  # the steps of the snapshots, for bisect
        self.most = MOST_SNAPSHOTS
        self.curves: dict[str, list[tuple[int, float]]] = {}
        self.loss_fn: Any = None
        self.optimizer: Any = None
        self._found: tuple[Any, int | None] = (None, None)  # (optimizer, the chosen's index)

    def _choose(self, parameter: str | None) -> int:
        """The index of the parameter whose optimizer state is shown (by default the output
        neuron's first weight, an edge the drawing shows)."""
        if parameter is None and self.network is None:
            parameter = self.names[0]
        elif parameter is None:
            *_, last = _layers_of(self.model)
            prefix = f"{last[0]}." if last[0] else ""
            parameter = f"{prefix}neurons.0.w.0"
        if parameter not in self.names:
            near = ", ".join(self.names[:4])
            raise ValueError(f"TrainingView: the model has no parameter {parameter!r}; its "
                             f"parameters are named like {near}, ...")
        return self.names.index(parameter)

    @property
    def steps(self) -> int:
        """The optimizer steps recorded (not counting step 0)."""
        return self.snapshots[-1].step if self.snapshots else 0

    def record(self, epoch: int, batch: int, loss: float | None) -> Snapshot:
        """The model as it is now, as the next step (the first call records step 0)."""
        index = self._optimizer_index()
        chosen = {} if loss is None else {"grad": self.live[self.parameter].grad}
        if index is not None:
            chosen.update(optimizer_state(self.optimizer, index))
        step = self.snapshots[-1].step + 1 if self.snapshots else 0
        snapshot = Snapshot(step=step, epoch=epoch, batch=batch, loss=loss,
                            parameters=array("d", [p.data for p in self.live]),
                            optimizer=chosen)
        self.snapshots.append(snapshot)
        self._kept.append(step)
        if loss is not None:
            self.curves.setdefault("batch_loss", []).append((step, loss))
        if len(self.snapshots) > self.most:
            self._thin()
        return snapshot

    def _thin(self) -> None:
        """Keep every other snapshot (and batch loss), the first and the last always: memory
        stays bounded however long training runs, and old steps are kept ever more sparsely."""
        self.snapshots = _every_other(self.snapshots)
        self._kept = [snapshot.step for snapshot in self.snapshots]
        losses = self.curves.get("batch_loss", [])
        if len(losses) > self.most:
            self.curves["batch_loss"] = _every_other(losses)

    def _optimizer_index(self) -> int | None:
        """Where the chosen parameter is in the optimizer's list (None if it is not there)."""
        if self._found[0] is not self.optimizer:
            params = getattr(self.optimizer, "params", None) or []
            chosen = self.live[self.parameter]
            index = next((i for i, p in enumerate(params) if p is chosen), None)
            self._found = (self.optimizer, index)
        return self._found[1]

    def add_epoch(self, history: dict[str, list[float]]) -> None:
        """The epoch's numbers from fit's History, placed at the step that ended the epoch."""
        step = self.steps
        for key, values in history.items():
            if values:
                self.curves.setdefault(key, []).append((step, values[-1]))

    def state(self, step: int, grid: Any = None) -> State:
        """What the view shows at `step`: step's numbers, replayed on the private copy (and
        the model's outputs at each point of `grid`, an array of 2-D points, if given)."""
        if not 0 <= step <= self.steps:
            raise IndexError(f"TrainingView: step {step} has not been taken; steps 0 to "
                             f"{self.steps} have")
        # The step itself, or the nearest kept before it (after thinning).
        snapshot = self.snapshots[bisect.bisect_right(self._kept, step) - 1]
        step = snapshot.step
        for p, number in zip(self._copy_parameters, snapshot.parameters):
            p.data = number
        problem = ""
        try:
            outputs, sample_loss = self._forward()
        except (ag.OpError, ArithmeticError) as exc:  # the numbers overflow: say so, draw NaN
            problem = f"the tracked sample cannot be computed at step {step}: {exc}"
            outputs, sample_loss = self._nan_columns(), None
        try:
            scores = None if grid is None else self._scores(grid)
        except (ag.OpError, ArithmeticError):
            scores = None
        grads = None
        if sample_loss is not None:
            flat = [v for column in outputs for v in column]
            found = ag.grad(sample_loss, flat)
            grads, position = [], 0
            for column in outputs:
                grads.append([float(g) for g in found[position:position + len(column)]])
                position += len(column)
        layers = [] if self.network is None else [layer for _, layer in _layers_of(self._copy)]
        return State(
            step=step, epoch=snapshot.epoch, batch=snapshot.batch, loss=snapshot.loss,
            sample=self.sample, target=self.target,
            sample_loss=None if sample_loss is None else sample_loss.data,
            outputs=[[v.data for v in column] for column in outputs], grads=grads,
            weights=[[[w.data for w in neuron.w] for neuron in layer.neurons]
                     for layer in layers],
            biases=[[neuron.b.data for neuron in layer.neurons] for layer in layers],
            parameter=self.names[self.parameter],
            parameter_value=snapshot.parameters[self.parameter],
            optimizer=dict(snapshot.optimizer),
            curves={key: [point for point in points if point[0] <= step]
                    for key, points in self.curves.items()},
            scores=scores, problem=problem)

    def _nan_columns(self) -> list[list[Value]]:
        """A NaN for every neuron, for a step whose numbers cannot be computed."""
        widths = self.network.widths[1:] if self.network is not None else ()
        return [[Value(math.nan) for _ in range(width)] for width in widths]

    def _scores(self, grid: Any) -> Any:
        """The copy's outputs at every row of `grid` (one replayed graph, with numpy)."""
        if self._trace is None:
            model = self._copy
            self._trace = ag.trace(lambda *x: model(list(x)), grid.shape[1])
        return self._trace(grid)

    def _forward(self) -> tuple[list[list[Value]], Value | None]:
        """Each Layer's outputs for the tracked sample, in eval mode, and its loss (if known)."""
        model = self._copy
        x: Any = list(self.sample)
        columns: list[list[Value]] = []
        if self.network is None:
            x = model(x)
        else:
            for module in _modules_of(model):
                x = module(x)
                if _is_layer(module):
                    columns.append(x)
        return columns, self._sample_loss(x)

    def _sample_loss(self, output: Any) -> Value | None:
        """The tracked sample's own loss (a MeanLoss's per-sample loss, without penalties,
        which would read the live model's weights), or None if there is none to compute."""
        if self.loss_fn is None:
            return None
        per_sample = getattr(self.loss_fn, "per_sample", None)
        try:
            loss = (per_sample(output, self.target) if per_sample is not None
                    else self.loss_fn([output], [self.target]))
        except Exception:  # a loss of whole batches may need more than one sample
            return None
        return loss if isinstance(loss, Value) and math.isfinite(loss.data) else None
