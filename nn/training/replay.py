"""How `fit` trains with batched replay: one sample's graph of model + loss, run over each batch.

`fit` builds, per batch, one graph per sample and backpropagates through all of them. When the
model and the loss allow it, `Replayer` records the graph of one sample instead (the model's
outputs and its loss, the targets being inputs too) with `autograd_core.trace`, and replays it
over every batch with numpy: the same numbers, many times faster.

What allows it: a `MeanLoss` whose per-sample loss is one of the traceable built-ins
(`TRACEABLE`; any function when `replay=True`), a model made of nn's own modules (any model
when `replay=True`) called once per sample that draws no random numbers (no Dropout with
p > 0), and targets that are numbers, rows of numbers or class indices. `replay_problem` says
why not, in words.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import autograd_core as ag
from autograd_core import Value

from .. import losses
from ..data import one_hot as one_hot_rows
from ..layers import Dropout, takes_batches
from ..losses import MeanLoss
from ..module import Module

__all__ = ["Replayer", "replay_problem", "TRACEABLE"]

# The per-sample losses that neither read a varying Value's number nor branch on one.
TRACEABLE = (losses.mse, losses.mae, losses.binary_cross_entropy_with_logits,
             losses.cross_entropy, losses.hinge)


def replay_problem(model: Module, loss_fn: object, forced: bool) -> str | None:
    """Why fit cannot replay this model and loss (None if it can)."""
    if not isinstance(loss_fn, MeanLoss):
        return "the loss is a function of a whole batch, not a per-sample loss (MeanLoss)"
    if not forced and not any(loss_fn.per_sample is f for f in TRACEABLE):
        return (f"the {loss_fn.name} loss is not known to trace (pass replay=True to try "
                "it; fit then checks it against the data before the first step)")
    if takes_batches(model):
        return "the model takes whole batches (BatchNorm)"
    own = [name or type(module).__name__ for name, module in model.named_modules()
           if module._watched]
    if own and not forced:
        return (f"{own[0]} is a module of your own, and a trace checks its graph on a few "
                "samples only: a forward that reads a number (`.data`) and branches on it "
                "could go unseen (pass replay=True to replay it)")
    for name, module in model.named_modules():
        if isinstance(module, Dropout) and module.p > 0:
            return f"{name or 'the model'} is a Dropout, which draws new random numbers " \
                   "for every sample"
    return None


def _target_rows(loss_fn: MeanLoss, n_outputs: int, targets: Sequence[Any]
                 ) -> tuple[list[list[float]], bool]:
    """Each target as a row of numbers (a class index as a one-hot row), and whether the loss
    takes rows (else it takes the row's one number)."""
    one_hot = loss_fn.per_sample is losses.cross_entropy
    rows: list[list[float]] = []
    for target in targets:
        if one_hot and isinstance(target, int) and not isinstance(target, bool):
            rows.append(one_hot_rows([target], n_outputs)[0])
        elif isinstance(target, (list, tuple)) or hasattr(target, "__len__"):
            rows.append([float(t) for t in target])
        else:
            rows.append([float(target)])
    if any(len(row) != len(rows[0]) for row in rows):
        raise ValueError("the targets are rows of different lengths")
    takes_rows = one_hot or any(isinstance(t, (list, tuple)) or hasattr(t, "__len__")
                                for t in targets[:1])
    return rows, takes_rows


class Replayer:
    """A model and its per-sample loss, recorded once and replayed over batches of (X, y).

    Two traces: one recorded in train mode for the steps, one in eval mode for validation
    (a model's own modules may behave differently in the two).
    """

    def __init__(self, model: Module, loss_fn: MeanLoss, n_outputs: int) -> None:
        import numpy as np  # on use, so that `import nn` does not load numpy

        self.np = np
        self.model, self.loss_fn, self.n_outputs = model, loss_fn, n_outputs
        self.traces: dict[bool, Any] = {}
        self.n_features = self.n_targets = 0
        self.takes_rows = False
        self._last: Any = None

    def data(self, X: Sequence[Any], y: Sequence[Any]) -> Any:
        """X and the targets as one array, a row per sample: features, then the target row."""
        rows, self.takes_rows = _target_rows(self.loss_fn, self.n_outputs, y)
        features = self.np.asarray(X, dtype=float)
        if features.ndim != 2:
            raise ValueError(f"the samples are not rows of numbers (shape {features.shape})")
        self.n_features, self.n_targets = features.shape[1], len(rows[0])
        return self.np.hstack([features, self.np.asarray(rows, dtype=float)])

    def model_and_loss(self, *columns: Value) -> list[Value]:
        """One sample's loss (penalties included) and the model's outputs: what is traced."""
        x, target = list(columns[:self.n_features]), columns[self.n_features:]
        output = self.model(x)
        loss = self.loss_fn.per_sample(output, list(target) if self.takes_rows else target[0])
        if self.loss_fn.l1:
            loss = loss + losses.l1_penalty(self.loss_fn.parameters, self.loss_fn.l1)
        if self.loss_fn.l2:
            loss = loss + losses.l2_penalty(self.loss_fn.parameters, self.loss_fn.l2)
        outputs = [output] if isinstance(output, Value) else list(output)
        return [loss, *outputs]

    def _trace(self) -> Any:
        """The trace for the model's current mode (train or eval)."""
        mode = self.model.training
        if mode not in self.traces:
            self.traces[mode] = ag.trace(self.model_and_loss, self.n_features + self.n_targets)
        return self.traces[mode]

    def check(self, data: Any) -> None:
        """Record (in the model's current mode) and check the graph against all of `data`.

        Any failure while recording becomes a TraceError: the model or loss could not be
        traced (an Embedding given a Value for its id, say), which a graph per sample may
        still handle.
        """
        trace = self._trace()
        try:
            trace.check(data)
        except (ag.TraceError, ag.OpError):  # refused, or a sample outside an op's domain
            raise
        except Exception as exc:
            raise ag.TraceError(f"recording the model and loss on one sample failed: "
                                f"{type(exc).__name__}: {exc}") from exc

    def forward(self, data: Any, rows: Sequence[int] | None = None
                ) -> tuple[float, list[list[float]]]:
        """The mean loss (penalties included) over `data[rows]` (all of it if rows is None),
        and each sample's outputs. An error names the sample by its row in `data`."""
        self._last = self._trace()
        try:
            results = self._last(data if rows is None else data[rows])
        except ag.OpError as exc:
            if not hasattr(exc, "sample"):
                raise
            sample = exc.sample if rows is None else rows[exc.sample]
            raise ag.OpError(f"sample {sample}: {getattr(exc, 'detail', exc)}") from None
        return float(results[:, 0].mean()), results[:, 1:].tolist()

    def backward(self) -> None:
        """Add the mean loss's gradient (over the last forward's batch) to every `.grad`."""
        size = self._last.batch_size
        seed = self.np.zeros((size, 1 + self.n_outputs))
        seed[:, 0] = 1.0 / size  # the mean loss; the outputs themselves get no gradient
        self._last.backward(seed)
