"""Running a model without training it: its outputs, the classes they pick, `accuracy`, `predict`.

With several outputs a model picks the class of the largest; with one output, the high label
where the output is above a threshold, else the low one (`Decision`). Both run the model in
eval mode. On 16 samples or more they replay one sample's graph over all of them, as `fit`
does (the CNN of lesson 10 on 540 digits: 0.06 s instead of 1.6 s); a model the trace cannot
follow is run one sample at a time with no graph recorded.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from numbers import Real
from typing import Any

from autograd_core import Value, no_grad, trace

from ..checks import check_pair, is_sequence
from ..layers import takes_batches
from ..module import Module

__all__ = ["accuracy", "predict"]


# --- turning outputs into classes -----------------------------------------------------------


def as_list(output: object) -> list[Any]:
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
class Decision:
    """How outputs become classes: argmax over several outputs, or one output vs a threshold."""

    n_outputs: int
    labels: tuple[int, int] = (0, 1)
    threshold: float = 0.5

    def predict(self, scores: list[float]) -> int:
        """The class of one sample's outputs."""
        if self.n_outputs > 1:
            return max(range(len(scores)), key=scores.__getitem__)
        return self.labels[1] if scores[0] > self.threshold else self.labels[0]

    def is_right(self, scores: list[float], target: object) -> bool:
        """Whether one sample's outputs pick the class its target names."""
        if self.n_outputs > 1:
            return self.predict(scores) == _class_index(target, self.n_outputs)
        return self.predict(scores) == _number(target)


def count_right(rule: Decision, scores: Iterable[list[float]], targets: Iterable[object]
                ) -> int:
    """How many samples' outputs pick the class their targets name."""
    return sum(rule.is_right(row, target) for row, target in zip(scores, targets))


def _binary_labels(targets: Iterable[object]) -> tuple[int, int] | None:
    """(0, 1) or (-1, 1) when the targets are binary class labels of that kind, else None."""
    values = {_number(target) for target in targets}
    if values <= {-1.0, 1.0} and -1.0 in values:
        return (-1, 1)
    if values <= {0.0, 1.0}:
        return (0, 1)
    return None


def decision_rule(n_outputs: int, targets: Sequence[Any], loss_name: str | None,
                  threshold: float | None, labels: tuple[int, int] | None = None
                  ) -> Decision | None:
    """The decision rule for these targets, or None when they are not class labels."""
    if n_outputs > 1:
        if all(_class_index(target, n_outputs) is not None for target in targets):
            return Decision(n_outputs)
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
    return Decision(1, labels, threshold)


# --- evaluating -----------------------------------------------------------------------------


@contextmanager
def in_mode(model: Module, training: bool) -> Iterator[None]:
    """The model in train (or eval) mode inside the block, then every module's own mode back
    (a sub-module kept in eval mode, a frozen BatchNorm say, stays so)."""
    modes = [(module, module.training) for _, module in model.named_modules()]
    model.train(training)
    try:
        yield
    finally:
        for module, mode in modes:
            module.training = mode


@contextmanager
def evaluating(model: Module) -> Iterator[None]:
    """Eval mode (dropout off, running statistics) and no graph, then the model's mode back."""
    with in_mode(model, False), no_grad():
        yield


def check_model(who: str, model: object) -> Module:
    """`model` if it is an nn Module."""
    if not isinstance(model, Module):
        raise TypeError(f"{who}: model must be an nn Module (such as nn.MLP), got "
                        f"{type(model).__name__}")
    return model


def outputs_of(model: Module, samples: Sequence[Any]) -> list[Any]:
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


def model_scores(model: Module, X: Sequence[Any]) -> list[list[float]]:
    """The model's outputs for every sample, as numbers, in eval mode."""
    replayed = _replayed_scores(model, X)
    if replayed is not None:
        return replayed
    with evaluating(model):
        return [[out.data if isinstance(out, Value) else float(out) for out in as_list(output)]
                for output in outputs_of(model, X)]


def _replayed_scores(model: Module, X: Sequence[Any]) -> list[list[float]] | None:
    """The outputs by batched replay of one sample's graph, as `fit` trains (lesson 8); None
    where that is not worth it or not possible: few samples, a model that takes batches,
    samples that are not rows of numbers, or a model that cannot be traced (the graph per
    sample then gives the numbers, or the error that names the sample)."""
    if len(X) < 16 or takes_batches(model):
        return None
    # Only models made of nn's own modules: a trace checks its graph on a few samples, and a
    # forward of one's own could read a number (`.data`) and branch on it where those samples
    # do not tell.
    if any(module._watched for _, module in model.named_modules()):
        return None
    import numpy as np  # on use, as replay does

    try:
        data = np.asarray(X)
    except (TypeError, ValueError, OverflowError):
        return None
    # Numbers only (not strings, bools or ints beyond a float): the rest is the scalar path's
    # to refuse by name.
    if data.ndim != 2 or data.dtype.kind not in "fi":
        return None
    data = data.astype(float)
    if not np.isfinite(data).all():
        return None

    def outputs(*x: Value) -> list[Any]:
        return as_list(model(list(x)))

    with in_mode(model, False):
        try:
            scores: list[list[float]] = trace(outputs, data.shape[1])(data).tolist()
        except Exception:  # whatever the trace refuses, the graph per sample decides
            return None
    return scores


def _check_labels_argument(who: str, labels: object) -> tuple[int, int]:
    """`labels` as a pair (low, high) of two different ints."""
    if (not isinstance(labels, (tuple, list)) or len(labels) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in labels)
            or labels[0] == labels[1]):
        raise ValueError(f"{who}: labels must be two different ints (low, high) such as "
                         f"(0, 1) or (-1, 1), got {labels!r:.40}")
    return (labels[0], labels[1])


def check_threshold(who: str, threshold: object) -> float | None:
    """`threshold` as a finite float, or None (then the labels decide it)."""
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
    check_model("predict", model)
    if not is_sequence(X):  # a numpy array too, as accuracy and fit take
        raise TypeError(f"predict: X must be a list of samples, got {type(X).__name__}")
    pair = _check_labels_argument("predict", labels)
    limit = check_threshold("predict", threshold)
    scores = model_scores(model, X)
    if not scores:
        return []
    rule = Decision(len(scores[0]), pair, (pair[0] + pair[1]) / 2 if limit is None else limit)
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
    check_model("accuracy", model)
    check_pair("accuracy", X, y)
    pair = None if labels is None else _check_labels_argument("accuracy", labels)
    limit = check_threshold("accuracy", threshold)
    scores = model_scores(model, X)
    n_outputs = len(scores[0])
    if n_outputs == 1 and pair is None and {_number(target) for target in y} == {1.0}:
        raise ValueError("accuracy: every label is 1, so it cannot tell 0/1 labels from -1/+1 "
                         "ones; pass labels=(0, 1) or labels=(-1, 1)")
    rule = decision_rule(n_outputs, y, None, limit, pair)
    if rule is None:
        kind = (f"class indices 0 to {n_outputs - 1} (or one-hot rows)" if n_outputs > 1
                else "labels 0/1 or -1/+1")
        raise ValueError(f"accuracy: the model has {n_outputs} output(s), so y must hold "
                         f"{kind}; got {list(y)[:5]!r:.60}")
    return count_right(rule, scores, y) / len(y)
