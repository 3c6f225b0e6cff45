"""The training loop: `fit` a model to `(X, y)`, then measure it with `accuracy` and `predict`.

One epoch passes over the training data once, in mini-batches: for each batch the model's
outputs give a loss, `backward()` fills every parameter's `.grad`, and the optimizer takes a
step. After each epoch `fit` records the mean loss (and the accuracy, for class labels) in a
`History`, evaluates the validation data with the model in eval mode, and calls the callbacks.

>>> import nn
>>> from nn import optim
>>> X, y = nn.data.xor(labels=(-1, 1))
>>> model = nn.MLP(2, [4, 1], activation="tanh", output_activation="tanh", seed=0)
>>> history = nn.fit(model, (X, y), "mse", optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
...                  epochs=200, progress=False)
>>> history["accuracy"][-1], nn.predict(model, X, labels=(-1, 1))
(1.0, [-1, 1, 1, -1])

The loss is a name from `LOSSES` (the per-sample losses of `nn.losses`, averaged over each
batch), a `MeanLoss` (the same, plus L1/L2 penalties), or any function of
`(outputs, targets) -> Value` for a whole batch.

A model is called once per sample, except a model that takes whole batches (its class sets
`batched = True`, as `BatchNorm` does, and so does a `Sequential` holding one): it is called
once per batch with the list of samples, and returns one output per sample.
"""

from __future__ import annotations

import math
import operator
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from numbers import Real
from typing import Any

import autograd_core as ag
from autograd_core import Constant, OpError, Value, no_grad

from . import losses
from .data import _check_features, _check_pair, _is_sequence, train_test_split
from .init import make_rng
from .layers import takes_batches
from .module import Module
from .optim import LRScheduler
from .replay import Replayer, replay_problem

__all__ = ["fit", "accuracy", "predict", "History", "MeanLoss", "EarlyStopping",
           "StopTraining", "LOSSES"]

_data = operator.attrgetter("data")

PerSampleLoss = Callable[[Any, Any], Value]
BatchLoss = Callable[[list[Any], list[Any]], Value]
Callback = Callable[[int, "History"], bool | None] | LRScheduler

# The losses a name can pick, each a loss of one sample: (model output, target) -> Value.
LOSSES: dict[str, PerSampleLoss] = {
    "mse": losses.mse,
    "mae": losses.mae,
    "binary_cross_entropy": losses.binary_cross_entropy,
    "binary_cross_entropy_with_logits": losses.binary_cross_entropy_with_logits,
    "cross_entropy": losses.cross_entropy,
    "hinge": losses.hinge,
}


class StopTraining(Exception):
    """Raise this in a callback to end training after the current epoch (fit returns normally)."""


@dataclass(frozen=True)
class EarlyStopping:
    """Stop when the validation loss has not improved for `patience` epochs in a row.

    An epoch improves on the best so far when its validation loss is lower by more than
    `min_delta`. With `restore_best` the model ends with the weights of its best epoch.
    """

    patience: int = 5
    min_delta: float = 0.0
    restore_best: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.patience, bool) or not isinstance(self.patience, int):
            raise TypeError(f"EarlyStopping: patience must be an int, got "
                            f"{type(self.patience).__name__}: {self.patience!r:.40}")
        if self.patience < 1:
            raise ValueError(f"EarlyStopping: patience must be at least 1, got {self.patience}")
        if (isinstance(self.min_delta, bool) or not isinstance(self.min_delta, Real)
                or not 0 <= self.min_delta < math.inf):
            raise ValueError(f"EarlyStopping: min_delta must be a number >= 0, got "
                             f"{self.min_delta!r:.40}")
        if not isinstance(self.restore_best, bool):
            raise TypeError(f"EarlyStopping: restore_best must be True or False, got "
                            f"{self.restore_best!r:.40}")


class History(dict[str, list[float]]):
    """What `fit` recorded, one number per epoch: `history["loss"]`, `history["val_accuracy"]`.

    Keys: "loss" always; "accuracy" when the targets are class labels; "val_loss" and
    "val_accuracy" likewise when there is validation data. `viz.plots.plot_history(history)`
    draws them. Also: `epochs` (how many ran), `best_epoch` (lowest validation loss, counting
    from 1, or None without validation data), `stop_reason` (None if every epoch ran),
    `replayed` (whether fit replayed one recorded graph over each batch) and `replay_note`
    (why it did not, or stopped).
    """

    def __init__(self, keys: Iterable[str] = ("loss",)) -> None:
        super().__init__((key, []) for key in keys)
        self.best_epoch: int | None = None
        self.stop_reason: str | None = None
        self.replayed = False
        self.replay_note = ""

    @property
    def epochs(self) -> int:
        """The number of epochs recorded."""
        return len(self["loss"]) if "loss" in self else 0

    def __repr__(self) -> str:
        last = ", ".join(f"{key}={values[-1]:.4g}" for key, values in self.items() if values)
        return f"History(epochs={self.epochs}{', ' if last else ''}{last})"


def _parameters_of(where: str, parameters: object) -> list[Value]:
    if isinstance(parameters, Module):
        return parameters.parameters()
    if isinstance(parameters, Value) or not isinstance(parameters, Iterable):
        raise TypeError(f"{where}: parameters must be a model or a list of its parameters, got "
                        f"{type(parameters).__name__}")
    return list(parameters)


class MeanLoss:
    """A batch loss: a per-sample loss averaged over the batch, plus optional L1/L2 penalties.

    `per_sample` is a name from `LOSSES` or a function (output, target) -> Value. Penalties are
    `l1 * sum |p|` and `l2 * sum p**2` over `parameters` (a model, or a list of parameters).
    micrograd's demo loss is `MeanLoss("hinge", l2=1e-4, parameters=model)`.

    >>> from autograd_core import Value
    >>> MeanLoss("mse")([[Value(1.0)], [Value(3.0)]], [0.0, 0.0]).data   # (1 + 9) / 2
    5.0
    """

    def __init__(self, per_sample: str | PerSampleLoss, *, l1: float = 0.0, l2: float = 0.0,
                 parameters: Module | Iterable[Value] | None = None) -> None:
        if isinstance(per_sample, str):
            if per_sample not in LOSSES:
                raise ValueError(f"unknown loss {per_sample!r}; choose one of: "
                                 f"{', '.join(LOSSES)}, or pass a function")
            self.name = per_sample
            self.per_sample = LOSSES[per_sample]
        elif callable(per_sample):
            self.name = getattr(per_sample, "__name__", type(per_sample).__name__)
            self.per_sample = per_sample
        else:
            raise TypeError(f"MeanLoss: per_sample must be a loss name or a function, got "
                            f"{type(per_sample).__name__}")
        for name, strength in (("l1", l1), ("l2", l2)):
            if isinstance(strength, bool) or not isinstance(strength, Real) or not (
                    0 <= strength < math.inf):
                raise ValueError(f"MeanLoss: {name} must be a number >= 0, got {strength!r:.40}")
        self.l1, self.l2 = float(l1), float(l2)
        if (l1 or l2) and parameters is None:
            raise ValueError("MeanLoss: a penalty needs the parameters it applies to; pass "
                             "parameters=model")
        self.parameters = [] if parameters is None else _parameters_of("MeanLoss", parameters)

    def __call__(self, outputs: Sequence[Any], targets: Sequence[Any]) -> Value:
        """The mean of per_sample(output, target) over the batch, plus the penalties."""
        if len(outputs) != len(targets) or not outputs:
            raise ValueError(f"{self.name}: {len(outputs)} outputs but {len(targets)} targets")
        total = ag.sum([self.per_sample(o, t) for o, t in zip(outputs, targets)]) / len(outputs)
        if self.l1:
            total = total + losses.l1_penalty(self.parameters, self.l1)
        if self.l2:
            total = total + losses.l2_penalty(self.parameters, self.l2)
        return total

    def __repr__(self) -> str:
        penalties = "".join(f", {name}={strength:g}" for name, strength
                            in (("l1", self.l1), ("l2", self.l2)) if strength)
        return f"MeanLoss({self.name!r}{penalties})"


def _as_loss(loss: object) -> BatchLoss:
    """A batch loss from what fit was given: a name, a MeanLoss, an nn.losses function, ..."""
    if isinstance(loss, (str, MeanLoss)):
        return MeanLoss(loss) if isinstance(loss, str) else loss
    if any(loss is function for function in LOSSES.values()):
        # losses.hinge takes one sample; passed as is it would be handed a whole batch.
        return MeanLoss(loss)  # type: ignore[arg-type]
    if callable(loss):
        return loss
    raise TypeError(f"fit: loss must be a name ({', '.join(LOSSES)}), a MeanLoss or a "
                    f"function (outputs, targets) -> Value, got {type(loss).__name__}")


# --- turning outputs into classes -----------------------------------------------------------


def _as_list(output: object) -> list[Any]:
    """A model's output for one sample as a list (a Neuron returns a bare Value)."""
    return [output] if isinstance(output, Value) else list(output)  # type: ignore[call-overload]


def _number(target: object) -> float | None:
    """A target as a number: a number, or a list of one number; None for anything else."""
    if isinstance(target, (list, tuple)) and len(target) == 1:
        target = target[0]
    if isinstance(target, bool) or not isinstance(target, Real):
        return None
    return float(target)


def _class_index(target: object, n_outputs: int) -> int | None:
    """The class a target names: an int in range, or the position of the 1 in a one-hot row."""
    if isinstance(target, int) and not isinstance(target, bool):
        return target if 0 <= target < n_outputs else None
    if isinstance(target, (list, tuple)) and len(target) == n_outputs:
        if sorted(target) == [0] * (n_outputs - 1) + [1]:
            return list(target).index(1)
    return None


@dataclass(frozen=True)
class _Decision:
    """How outputs become classes: argmax over several outputs, or one output vs a threshold."""

    n_outputs: int
    labels: tuple[int, int] = (0, 1)
    threshold: float = 0.5

    def predict(self, scores: list[float]) -> int:
        if self.n_outputs > 1:
            return max(range(len(scores)), key=scores.__getitem__)
        return self.labels[1] if scores[0] > self.threshold else self.labels[0]

    def is_right(self, scores: list[float], target: object) -> bool:
        if self.n_outputs > 1:
            return self.predict(scores) == _class_index(target, self.n_outputs)
        return self.predict(scores) == _number(target)


def _binary_labels(targets: Iterable[object]) -> tuple[int, int] | None:
    """(0, 1) or (-1, 1) when the targets are binary class labels of that kind, else None."""
    values = {_number(target) for target in targets}
    if values <= {-1.0, 1.0} and -1.0 in values:
        return (-1, 1)
    if values <= {0.0, 1.0}:
        return (0, 1)
    return None


def _decision(n_outputs: int, targets: Sequence[Any], loss_name: str | None,
              threshold: float | None, labels: tuple[int, int] | None = None
              ) -> _Decision | None:
    """The decision rule for these targets, or None when they are not class labels."""
    if n_outputs > 1:
        if all(_class_index(target, n_outputs) is not None for target in targets):
            return _Decision(n_outputs)
        return None
    if labels is None:
        if loss_name == "hinge":
            labels = (-1, 1)
        elif loss_name in ("binary_cross_entropy", "binary_cross_entropy_with_logits"):
            labels = (0, 1)
        else:
            labels = _binary_labels(targets)
        if labels is None:
            return None
    if threshold is None:
        # A logit is positive exactly when its probability is over 0.5; otherwise halfway
        # between the labels: 0 for -1/+1 (tanh, hinge), 0.5 for 0/1 (sigmoid).
        threshold = (0.0 if loss_name == "binary_cross_entropy_with_logits"
                     else (labels[0] + labels[1]) / 2)
    return _Decision(1, labels, threshold)


# --- evaluating -----------------------------------------------------------------------------


@contextmanager
def _mode(model: Module, training: bool) -> Iterator[None]:
    """The model in train (or eval) mode inside the block, then its mode back."""
    was_training = model.training
    model.train(training)
    try:
        yield
    finally:
        model.train(was_training)


@contextmanager
def _evaluating(model: Module) -> Iterator[None]:
    """Eval mode (dropout off, running statistics) and no graph, then the model's mode back."""
    with _mode(model, False), no_grad():
        yield


def _check_model(who: str, model: object) -> Module:
    if not isinstance(model, Module):
        raise TypeError(f"{who}: model must be an nn Module (such as nn.MLP), got "
                        f"{type(model).__name__}")
    return model


def _outputs(model: Module, samples: Sequence[Any]) -> list[Any]:
    """The model's output per sample: one call per batch if it takes batches, else per sample."""
    if not takes_batches(model):
        return [model(x) for x in samples]
    outputs = model(list(samples))
    if not isinstance(outputs, (list, tuple)) or len(outputs) != len(samples):
        got = (f"a list of {len(outputs)}" if isinstance(outputs, (list, tuple))
               else type(outputs).__name__)
        raise TypeError(f"{type(model).__name__} takes batches (batched = True), so it must "
                        f"return one output per sample: a list of {len(samples)}, got {got}")
    return list(outputs)


def _scores(model: Module, X: Sequence[Any]) -> list[list[float]]:
    """The model's outputs for every sample, as numbers, in eval mode."""
    with _evaluating(model):
        return [[out.data if isinstance(out, Value) else float(out) for out in _as_list(output)]
                for output in _outputs(model, X)]


def _check_labels_argument(who: str, labels: object) -> tuple[int, int]:
    if (not isinstance(labels, (tuple, list)) or len(labels) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in labels)
            or labels[0] == labels[1]):
        raise ValueError(f"{who}: labels must be two different ints (low, high) such as "
                         f"(0, 1) or (-1, 1), got {labels!r:.40}")
    return (labels[0], labels[1])


def _check_threshold(who: str, threshold: object) -> float | None:
    if threshold is None:
        return None
    if (isinstance(threshold, bool) or not isinstance(threshold, Real)
            or not math.isfinite(threshold)):
        raise ValueError(f"{who}: threshold must be a finite number, got {threshold!r:.40}")
    return float(threshold)


def predict(model: Module, X: Sequence[Sequence[float]], *, labels: tuple[int, int] = (0, 1),
            threshold: float | None = None) -> list[int]:
    """The class the model picks for each sample (in eval mode, recording no graph).

    With several outputs: the index of the largest. With one output: `labels[1]` where the
    output is above `threshold`, else `labels[0]`; the threshold defaults to halfway between
    the labels (0.5 for a sigmoid's 0/1, 0 for -1/+1). For a logit (no sigmoid) pass
    `threshold=0`. For the raw numbers, call the model: `[v.data for v in model(x)]`.

    >>> import nn
    >>> neuron = nn.Neuron(2, activation="sigmoid", seed=0)
    >>> neuron.w[0].data, neuron.w[1].data = 2.0, -2.0
    >>> nn.predict(neuron, [[1.0, 0.0], [0.0, 1.0]])     # sigmoid(2) > 0.5 > sigmoid(-2)
    [1, 0]
    >>> nn.predict(neuron, [[1.0, 0.0], [0.0, 1.0]], labels=(-1, 1), threshold=0.5)
    [1, -1]
    """
    _check_model("predict", model)
    if not _is_sequence(X):  # a numpy array too, as accuracy and fit take
        raise TypeError(f"predict: X must be a list of samples, got {type(X).__name__}")
    pair = _check_labels_argument("predict", labels)
    limit = _check_threshold("predict", threshold)
    scores = _scores(model, X)
    if not scores:
        return []
    rule = _Decision(len(scores[0]), pair, (pair[0] + pair[1]) / 2 if limit is None else limit)
    return [rule.predict(row) for row in scores]


def accuracy(model: Module, X: Sequence[Sequence[float]], y: Sequence[Any], *,
             labels: tuple[int, int] | None = None, threshold: float | None = None) -> float:
    """The fraction of samples whose class the model gets right (in eval mode).

    `y` holds class indices (or one-hot rows) for a model with several outputs; for a model
    with one output, 0/1 or -1/+1 labels (read from `y`, or given as `labels`), decided as
    `predict` does.

    >>> import nn
    >>> neuron = nn.Neuron(2, activation="sigmoid", seed=0)
    >>> neuron.w[0].data, neuron.w[1].data = 2.0, -2.0
    >>> nn.accuracy(neuron, [[1.0, 0.0], [0.0, 1.0]], [1, 1], labels=(0, 1))
    0.5
    """
    _check_model("accuracy", model)
    _check_pair("accuracy", X, y)
    pair = None if labels is None else _check_labels_argument("accuracy", labels)
    limit = _check_threshold("accuracy", threshold)
    scores = _scores(model, X)
    n_outputs = len(scores[0])
    if n_outputs == 1 and pair is None and {_number(target) for target in y} == {1.0}:
        raise ValueError("accuracy: every label is 1, so it cannot tell 0/1 labels from -1/+1 "
                         "ones; pass labels=(0, 1) or labels=(-1, 1)")
    rule = _decision(n_outputs, y, None, limit, pair)
    if rule is None:
        kind = (f"class indices 0 to {n_outputs - 1} (or one-hot rows)" if n_outputs > 1
                else "labels 0/1 or -1/+1")
        raise ValueError(f"accuracy: the model has {n_outputs} output(s), so y must hold "
                         f"{kind}; got {list(y)[:5]!r:.60}")
    return sum(rule.is_right(row, target) for row, target in zip(scores, y)) / len(y)


# --- fit ------------------------------------------------------------------------------------


def _check_data(who: str, data: object) -> tuple[Sequence[Any], Sequence[Any], int]:
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError(f"fit: {who} must be a pair (X, y), got {type(data).__name__}"
                        + (f" of {len(data)}" if isinstance(data, (tuple, list)) else ""))
    X, y = data
    _check_pair(f"fit: {who}", X, y)
    return X, y, _check_features(f"fit: {who}", X)


def _progress_bar(enabled: bool, total: int, unit: str) -> Any:
    """A tqdm bar (the notebook widget inside Jupyter), or None when off or tqdm is missing."""
    if not enabled:
        return None
    try:
        # Imported on use: training works without tqdm (which ships no type hints).
        from tqdm.auto import tqdm  # type: ignore[import-untyped, unused-ignore]
    except ImportError:
        return None
    return tqdm(total=total, unit=unit, dynamic_ncols=True)


def _rethrow(exc: Exception, where: str) -> Exception:
    """The same kind of error with `where` (epoch, batch, sample) in front of its message."""
    if type(exc) in (TypeError, ValueError, OpError, ag.TraceError):
        return type(exc)(f"{where}: {exc}")
    return exc


def _check_loss_fits(loss_fn: BatchLoss, model: Module, X: Sequence[Any], y: Sequence[Any],
                     where: str) -> int:
    """Run the model on one sample and the loss on every target; return the output count.

    This finds a sample of the wrong length, an unknown label or a loss that does not suit the
    model's outputs before the first step, with the sample named, rather than mid-epoch.
    """
    try:
        with _evaluating(model):
            output = _outputs(model, [X[0]])[0]
    except (TypeError, ValueError) as exc:
        raise _rethrow(exc, f"fit: the model fails on sample 0 of {where}") from exc
    n_outputs = len(_as_list(output))
    if isinstance(loss_fn, MeanLoss):
        with no_grad():
            for index, target in enumerate(y):
                try:
                    loss_fn.per_sample(output, target)
                except (TypeError, ValueError) as exc:
                    raise _rethrow(exc, f"fit: the {loss_fn.name} loss fails on {where}, "
                                        f"target {index} ({target!r:.40})") from exc
    return n_outputs


def _check_loss_value(value: object, where: str) -> Value:
    if not isinstance(value, Value):
        raise TypeError(f"{where}: the loss function returned a {type(value).__name__}; it must "
                        "return a Value built from the model's outputs")
    if isinstance(value, Constant) or (not value.parents and not value.op):
        raise TypeError(f"{where}: the loss is not connected to the model (was it computed from "
                        "`.data`?), so backward() could not reach the parameters")
    if not math.isfinite(value.data):
        raise FloatingPointError(f"{where}: the loss is {value.data}; the parameters keep their "
                                 "values from before this batch")
    return value


def _check_callbacks(callbacks: object) -> list[Callback]:
    if callable(callbacks) or isinstance(callbacks, LRScheduler):
        return [callbacks]
    if not isinstance(callbacks, Iterable):
        raise TypeError(f"fit: callbacks must be a list, got {type(callbacks).__name__}")
    checked = list(callbacks)
    for index, callback in enumerate(checked):
        if not (callable(callback) or isinstance(callback, LRScheduler)):
            raise TypeError(f"fit: callback {index} must be a function (epoch, history) or a "
                            f"learning-rate schedule, got {type(callback).__name__}")
    return checked


def _run_callback(callback: Callback, index: int, epoch: int, history: History) -> str | None:
    """Call one callback; the reason to stop, if it asks to."""
    if isinstance(callback, LRScheduler):
        callback.step()
        return None
    name = getattr(callback, "__name__", type(callback).__name__)
    try:
        answer = callback(epoch, history)
    except StopTraining as stop:
        return f"callback {index} ({name}) raised StopTraining" + (f": {stop}" if str(stop)
                                                                    else "")
    if answer is False:
        return f"callback {index} ({name}) returned False"
    if answer is not None and answer is not True:
        raise TypeError(f"fit: callback {index} ({name}) returned {answer!r:.40}; return None or "
                        "True to go on, False (or raise StopTraining) to stop")
    return None


def fit(model: Module, data: tuple[Sequence[Any], Sequence[Any]],
        loss: str | MeanLoss | BatchLoss, optimizer: Any, epochs: int,
        batch_size: int | None = None,
        validation: tuple[Sequence[Any], Sequence[Any]] | float | None = None,
        callbacks: Iterable[Callback] = (), early_stopping: int | EarlyStopping | None = None,
        progress: bool = True, seed: int | random.Random | None = None, *,
        threshold: float | None = None, replay: bool | None = None) -> History:
    """Train `model` on `data = (X, y)` for `epochs` passes; returns the `History`.

    - `loss`: a name from `LOSSES` ("mse", "mae", "binary_cross_entropy",
      "binary_cross_entropy_with_logits", "cross_entropy", "hinge") or a function from
      `nn.losses`, averaged over each batch; a `MeanLoss` to add L1/L2 penalties; or any
      function `(outputs, targets) -> Value` of a whole batch (`outputs[i]` is what the model
      returned for sample i).
    - `model`: called once per sample, or once per batch (with the list of samples) if it takes
      batches (`batched = True`: BatchNorm, a Sequential holding one, or a class of your own).
    - `optimizer`: an `nn.optim` optimizer over the model's parameters.
    - `batch_size`: None for the whole data set at once (full batch); otherwise mini-batches in
      a new random order each epoch (from `seed`).
    - `validation`: `(X_val, y_val)`, or a fraction of `data` to hold out at random (drawn
      from `seed`; use `nn.data.train_test_split(..., stratify=True)` for a stratified one).
    - `callbacks`: each called after every epoch as `callback(epoch, history)`, `epoch`
      counting from 1; returning False or raising `StopTraining` ends training. A learning-
      rate schedule from `nn.optim` may be passed as is: its `step()` is called.
    - `early_stopping`: a patience (int) or an `EarlyStopping`; watches the validation loss and
      leaves the model with its best epoch's weights.
    - `progress`: a tqdm progress bar (when tqdm is installed).
    - `threshold`: where a single output switches class, for the accuracy (by default 0 for
      -1/+1 labels and for logits, 0.5 for 0/1 labels).
    - `replay`: None (the default) records the graph of one sample (model and loss) once and
      replays it over each batch with numpy (`autograd_core.trace`) when the model and loss
      allow it: the same numbers, many times faster. Otherwise, and with False, each batch
      builds one graph per sample. True insists: an error says why replay is impossible.
      `history.replayed` tells which way it went and `history.replay_note` why not.

    The training loss and accuracy of an epoch are averages over its batches, as the model was
    when it saw each; the validation ones are computed after the epoch in eval mode. A loss or
    parameter that stops being finite ends training with an error naming the epoch and batch,
    and the parameters keep their last finite values.
    """
    _check_model("fit", model)
    X, y, n_features = _check_data("data", data)
    loss_fn = _as_loss(loss)
    if not (hasattr(optimizer, "step") and hasattr(optimizer, "zero_grad")):
        raise TypeError(f"fit: optimizer must have step() and zero_grad() (an nn.optim "
                        f"optimizer), got {type(optimizer).__name__}")
    parameters = list(getattr(optimizer, "params", model.parameters()))
    mine = set(model.parameters())
    if not any(p in mine for p in parameters):
        raise ValueError("fit: the optimizer updates none of the model's parameters; make it "
                         "with optim.SGD(model.parameters(), ...) for this model")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"fit: epochs must be an int of at least 1, got {epochs!r:.40}")
    n = len(X)
    if batch_size is None:
        batch_size = n
    elif isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"fit: batch_size must be an int of at least 1 (or None for the "
                         f"whole data set), got {batch_size!r:.40}")
    if not isinstance(progress, bool):
        raise TypeError(f"fit: progress must be True or False, got {progress!r:.40}")
    limit = _check_threshold("fit", threshold)
    rng = make_rng(seed)

    X_val: Sequence[Any] = ()
    y_val: Sequence[Any] = ()
    if isinstance(validation, Real) and not isinstance(validation, bool):
        if not 0 < validation < 1:
            raise ValueError(f"fit: a validation fraction must be between 0 and 1, got "
                             f"{validation}")
        X, X_val, y, y_val = train_test_split(X, y, test_size=float(validation), seed=rng)
        n = len(X)
        batch_size = min(batch_size, n)
    elif validation is not None:
        X_val, y_val, val_features = _check_data("validation", validation)
        if val_features != n_features:
            raise ValueError(f"fit: the validation samples have {val_features} features, the "
                             f"training samples {n_features}")
    has_validation = len(X_val) > 0

    stopper = EarlyStopping(early_stopping) if isinstance(early_stopping, int) else early_stopping
    if stopper is not None and not isinstance(stopper, EarlyStopping):
        raise TypeError(f"fit: early_stopping must be a patience (int) or an EarlyStopping, got "
                        f"{type(stopper).__name__}")
    if stopper is not None and not has_validation:
        raise ValueError("fit: early stopping watches the validation loss; pass validation="
                         "(X_val, y_val) or a fraction such as 0.2")
    hooks = _check_callbacks(callbacks)

    n_outputs = _check_loss_fits(loss_fn, model, X, y, "the training data")
    if has_validation:
        _check_loss_fits(loss_fn, model, X_val, y_val, "the validation data")
    loss_name = loss_fn.name if isinstance(loss_fn, MeanLoss) else None
    rule = _decision(n_outputs, [*y, *y_val], loss_name, limit)
    keys = ["loss"] + (["accuracy"] if rule else [])
    if has_validation:
        keys += ["val_loss"] + (["val_accuracy"] if rule else [])
    history = History(keys)
    if replay is not None and not isinstance(replay, bool):
        raise TypeError(f"fit: replay must be None, True or False, got {replay!r:.40}")
    replayer: Replayer | None = None
    train_data: Any = None  # features and target rows, as numpy arrays, when replaying
    val_data: Any = None
    if replay is not False:
        replayer, history.replay_note = _replayer(model, loss_fn, n_outputs, bool(replay))
    if replayer is not None:
        try:
            train_data = replayer.data(X, y)
            val_data = replayer.data(X_val, y_val) if has_validation else None
        except (TypeError, ValueError) as exc:
            if replay:
                raise ValueError(f"fit: cannot replay: the data do not form rows of numbers "
                                 f"({exc})") from exc
            replayer = None
            history.replay_note = f"the data do not form rows of numbers ({exc})"
    if replayer is not None:
        # Record in each mode and check the graph against all the data before any step, so
        # a model or loss that cannot be replayed is found before it changes a weight.
        where = "fit: replay on the training data"
        try:
            with _mode(model, True):
                replayer.check(train_data)
            if has_validation:
                where = "fit: replay on the validation data"
                with _mode(model, False):
                    replayer.check(val_data)
        except (ag.TraceError, OpError) as exc:
            # An OpError here is a sample outside an op's domain: the graph per sample meets
            # it too (and names it) if it is real.
            if replay:
                raise _rethrow(exc, where) from exc
            replayer, history.replay_note = None, f"{where}: {exc}"
    history.replayed = replayer is not None

    n_batches = math.ceil(n / batch_size)
    bar = _progress_bar(progress, epochs * n_batches, "epoch" if n_batches == 1 else "batch")
    was_training = model.training
    best_loss, best_state, waited = math.inf, None, 0
    try:
        for epoch in range(1, epochs + 1):
            if bar is not None:
                bar.set_description(f"epoch {epoch}/{epochs}", refresh=False)
            model.train()
            order = list(range(n))
            if n_batches > 1:
                rng.shuffle(order)
            loss_sum, right = 0.0, 0
            for batch in range(n_batches):
                chosen = order[batch * batch_size:(batch + 1) * batch_size]
                where = f"fit: epoch {epoch}, batch {batch + 1}"
                targets = [y[i] for i in chosen]
                if replayer is not None:
                    try:
                        loss_value, scores = replayer.forward(train_data, chosen)
                        if not math.isfinite(loss_value):
                            raise FloatingPointError(f"{where}: the loss is {loss_value}; the "
                                                     "parameters keep their values from "
                                                     "before this batch")
                        optimizer.zero_grad()
                        replayer.backward()
                    except ag.TraceError as exc:
                        if replay:
                            raise _rethrow(exc, where) from exc
                        replayer, history.replayed = None, False
                        history.replay_note = f"{where}: {exc}"
                    except (TypeError, ValueError) as exc:
                        raise _rethrow(exc, where) from exc
                if replayer is None:
                    loss_value, scores = _scalar_step(model, loss_fn, optimizer,
                                                      [X[i] for i in chosen], targets, where)
                before = list(map(_data, parameters))
                optimizer.step()
                # The sum is finite when every parameter is (or, rarely, overflows: then
                # the exact check decides).
                if not math.isfinite(sum(map(_data, parameters))) and not all(
                        map(math.isfinite, map(_data, parameters))):
                    for p, old in zip(parameters, before):
                        p.data = old
                    raise FloatingPointError(f"{where}: a step made a parameter infinite or NaN "
                                             f"(loss {loss_value:.4g}); the parameters keep "
                                             "their values from before this step (try a "
                                             "smaller learning rate)")
                loss_sum += loss_value * len(chosen)
                if rule is not None:
                    right += sum(rule.is_right(row, target) for row, target in zip(scores, targets))
                if bar is not None:
                    bar.update(1)
            history["loss"].append(loss_sum / n)
            if rule is not None:
                history["accuracy"].append(right / n)
            if has_validation:
                replaying = None if replayer is None or val_data is None else (replayer,
                                                                               val_data)
                if not _evaluate(model, loss_fn, rule, X_val, y_val, history, epoch,
                                 replaying):
                    val_data = None  # replay refused the validation data: not again
            stop = None
            if stopper is not None:
                val_loss = history["val_loss"][-1]
                if val_loss < best_loss - stopper.min_delta:
                    best_loss, waited = val_loss, 0
                    history.best_epoch = epoch
                    best_state = model.state_dict() if stopper.restore_best else None
                else:
                    waited += 1
                    if waited >= stopper.patience:
                        stop = (f"early stopping: no better val_loss for {waited} epochs "
                                f"(best {best_loss:.4g} at epoch {history.best_epoch})")
            elif has_validation:
                val_losses = history["val_loss"]
                history.best_epoch = 1 + val_losses.index(min(val_losses))
            for index, callback in enumerate(hooks):
                stop = _run_callback(callback, index, epoch, history) or stop
            if bar is not None:
                bar.set_postfix({key: f"{values[-1]:.4f}" for key, values in history.items()},
                                refresh=False)
            if stop is not None:
                history.stop_reason = stop
                break
    finally:
        if bar is not None:
            bar.close()
        model.train(was_training)
    if best_state is not None and history.best_epoch != history.epochs:
        model.load_state_dict(best_state)
    return history


def _scalar_step(model: Module, loss_fn: BatchLoss, optimizer: Any, samples: list[Any],
                 targets: list[Any], where: str) -> tuple[float, list[list[float]]]:
    """One graph per sample: the batch's loss, its backward pass; the loss and the outputs."""
    try:
        outputs = _outputs(model, samples)
        result = loss_fn(outputs, targets)
    except (TypeError, ValueError) as exc:
        raise _rethrow(exc, where) from exc
    value = _check_loss_value(result, where)
    optimizer.zero_grad()
    try:
        value.backward()
    except (TypeError, ValueError) as exc:
        raise _rethrow(exc, where) from exc
    return value.data, [[v.data for v in _as_list(output)] for output in outputs]


def _replayer(model: Module, loss_fn: BatchLoss, n_outputs: int, forced: bool
              ) -> tuple[Replayer | None, str]:
    """A Replayer for this model and loss, or None and the reason (an error if forced)."""
    problem = replay_problem(model, loss_fn, forced)
    if problem is None:
        return Replayer(model, loss_fn, n_outputs), ""
    if forced:
        raise ValueError(f"fit: cannot replay: {problem}; pass replay=None to let fit fall "
                         "back to one graph per sample")
    return None, problem


def _evaluate(model: Module, loss_fn: BatchLoss, rule: _Decision | None, X: Sequence[Any],
              y: Sequence[Any], history: History, epoch: int,
              replaying: tuple[Replayer, Any] | None = None) -> bool:
    """Append the validation loss (and accuracy) to the history, in eval mode with no graph.

    With `replaying`, by replay; if that is refused, a graph per sample, and False is returned.
    """
    where = f"fit: epoch {epoch}, validation"
    replayed = replaying is not None
    try:
        with _evaluating(model):
            if replaying is not None:
                try:
                    loss_value, scores = replaying[0].forward(replaying[1])
                except ag.TraceError as exc:
                    history.replay_note = f"{where}: {exc}"
                    replayed = False
            if not replayed:
                outputs = _outputs(model, X)
                value = loss_fn(outputs, list(y))
                if not isinstance(value, Value):
                    raise TypeError(f"{where}: the loss function returned a "
                                    f"{type(value).__name__}; it must return a Value")
                loss_value = value.data
                scores = [[v.data for v in _as_list(output)] for output in outputs]
    except (TypeError, ValueError) as exc:
        raise _rethrow(exc, where) from exc
    history["val_loss"].append(loss_value)
    if rule is not None:
        right = sum(rule.is_right(row, target) for row, target in zip(scores, y))
        history["val_accuracy"].append(right / len(y))
    return replayed
