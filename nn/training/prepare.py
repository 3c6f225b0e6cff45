"""What `fit` does before its first step: check every argument, then choose whether to replay.

`prepare` checks the arguments in the order their mistakes are reported, runs the model and the
loss once on the data (so a sample of the wrong length or an unknown label is found before any
weight changes, and named), and gathers everything in a `Run`. `choose_replay` then records the
graph of one sample and checks it against all the data, or says in `history.replay_note` why
fit builds a graph per sample instead.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any

import autograd_core as ag
from autograd_core import OpError, Value, no_grad

from ..checks import check_features, check_pair
from ..data import train_test_split
from ..init import make_rng
from ..losses import LOSSES, BatchLoss, MeanLoss
from ..module import Module
from .callbacks import BestEpoch, Callback, EarlyStopping, History, check_callbacks
from .evaluation import (
    Decision,
    as_list,
    check_model,
    check_threshold,
    decision_rule,
    evaluating,
    in_mode,
    outputs_of,
)
from .replay import Replayer, replay_problem

__all__ = ["Run", "prepare", "choose_replay", "rethrow"]

Data = tuple[Sequence[Any], Sequence[Any]]


@dataclass
class Run:
    """What fit checked, and what changes while it trains."""

    model: Module
    X: Sequence[Any]
    y: Sequence[Any]
    X_val: Sequence[Any]  # empty without validation data
    y_val: Sequence[Any]
    loss_fn: BatchLoss
    optimizer: Any
    parameters: list[Value]  # the ones the optimizer updates
    epochs: int
    batch_size: int
    rng: random.Random
    progress: bool
    replay: bool | None
    n_outputs: int
    rule: Decision | None  # how outputs become classes; None when the targets are not labels
    hooks: list[Callback]
    best: BestEpoch
    history: History
    replayer: Replayer | None = None  # None: a graph per sample
    train_data: Any = None  # X and the target rows in one numpy array, for the replayer
    val_data: Any = None
    bar: Any = None  # the progress bar, while there is one

    @property
    def has_validation(self) -> bool:
        """Whether there is validation data."""
        return len(self.X_val) > 0

    @property
    def n_batches(self) -> int:
        """The number of batches in an epoch (the last one may be smaller)."""
        return math.ceil(len(self.X) / self.batch_size)

    def finish(self) -> History:
        """The history, once the model has its best epoch's weights back (if they were kept)."""
        self.best.restore(self.history, self.model)
        return self.history


def rethrow(exc: Exception, where: str) -> Exception:
    """The same kind of error with `where` (epoch, batch, sample) in front of its message."""
    if type(exc) in (TypeError, ValueError, OpError, ag.TraceError):
        return type(exc)(f"{where}: {exc}")
    return exc


# --- checking the arguments -----------------------------------------------------------------


def prepare(model: Module, data: Data, loss: str | MeanLoss | BatchLoss, optimizer: Any,
            epochs: int, batch_size: int | None, validation: Data | float | None,
            callbacks: Iterable[Callback], early_stopping: int | EarlyStopping | None,
            progress: bool, seed: int | random.Random | None, threshold: float | None,
            replay: bool | None) -> Run:
    """Every check of fit's arguments, in the order their mistakes are reported: a `Run`.

    The model and the loss run once on the data here, but nothing is trained.
    """
    check_model("fit", model)
    X, y, n_features = _check_data("data", data)
    loss_fn = _as_loss(loss)
    parameters = _check_optimizer(model, optimizer)
    _check_epochs(epochs)
    _check_batch_size(batch_size)
    if not isinstance(progress, bool):
        raise TypeError(f"fit: progress must be True or False, got {progress!r:.40}")
    limit = check_threshold("fit", threshold)
    rng = make_rng(seed)
    X, y, X_val, y_val = _split(validation, X, y, n_features, rng)
    stopper = _check_early_stopping(early_stopping, has_validation=len(X_val) > 0)
    hooks = check_callbacks(callbacks)
    n_outputs = _check_loss_fits(loss_fn, model, X, y, "the training data")
    if len(X_val) > 0:
        _check_loss_fits(loss_fn, model, X_val, y_val, "the validation data")
    loss_name = loss_fn.name if isinstance(loss_fn, MeanLoss) else None
    rule = decision_rule(n_outputs, [*y, *y_val], loss_name, limit)
    _check_replay(replay)
    return Run(model=model, X=X, y=y, X_val=X_val, y_val=y_val, loss_fn=loss_fn,
               optimizer=optimizer, parameters=parameters, epochs=epochs,
               batch_size=len(X) if batch_size is None else min(batch_size, len(X)),
               rng=rng, progress=progress, replay=replay, n_outputs=n_outputs, rule=rule,
               hooks=hooks, best=BestEpoch(stopper),
               history=_history(rule, has_validation=len(X_val) > 0))


def _check_data(who: str, data: object) -> tuple[Sequence[Any], Sequence[Any], int]:
    """X, y and the number of features, from `data`, a pair (X, y)."""
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError(f"fit: {who} must be a pair (X, y), got {type(data).__name__}"
                        + (f" of {len(data)}" if isinstance(data, (tuple, list)) else ""))
    X, y = data
    check_pair(f"fit: {who}", X, y)
    return X, y, check_features(f"fit: {who}", X)


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


def _check_optimizer(model: Module, optimizer: object) -> list[Value]:
    """The parameters the optimizer updates; some of them must be the model's."""
    if not (hasattr(optimizer, "step") and hasattr(optimizer, "zero_grad")):
        raise TypeError(f"fit: optimizer must have step() and zero_grad() (an nn.optim "
                        f"optimizer), got {type(optimizer).__name__}")
    parameters = list(getattr(optimizer, "params", model.parameters()))
    mine = set(model.parameters())
    if not any(p in mine for p in parameters):
        raise ValueError("fit: the optimizer updates none of the model's parameters; make it "
                         "with optim.SGD(model.parameters(), ...) for this model")
    return parameters


def _check_epochs(epochs: object) -> None:
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"fit: epochs must be an int of at least 1, got {epochs!r:.40}")


def _check_batch_size(batch_size: object) -> None:
    if batch_size is not None and (isinstance(batch_size, bool)
                                   or not isinstance(batch_size, int) or batch_size < 1):
        raise ValueError(f"fit: batch_size must be an int of at least 1 (or None for the "
                         f"whole data set), got {batch_size!r:.40}")


def _split(validation: Data | float | None, X: Sequence[Any], y: Sequence[Any], n_features: int,
           rng: random.Random) -> tuple[Sequence[Any], Sequence[Any], Sequence[Any],
                                        Sequence[Any]]:
    """(X, y, X_val, y_val): a fraction of the data held out at random, or the pair given."""
    if isinstance(validation, Real) and not isinstance(validation, bool):
        if not 0 < validation < 1:
            raise ValueError(f"fit: a validation fraction must be between 0 and 1, got "
                             f"{validation}")
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=float(validation),
                                                            seed=rng)
        return X_train, y_train, X_test, y_test
    if validation is None:
        return X, y, (), ()
    X_val, y_val, val_features = _check_data("validation", validation)
    if val_features != n_features:
        raise ValueError(f"fit: the validation samples have {val_features} features, the "
                         f"training samples {n_features}")
    return X, y, X_val, y_val


def _check_early_stopping(early_stopping: object, has_validation: bool
                          ) -> EarlyStopping | None:
    """An EarlyStopping from a patience (an int) or as given; None for none."""
    stopper = EarlyStopping(early_stopping) if isinstance(early_stopping, int) else early_stopping
    if stopper is not None and not isinstance(stopper, EarlyStopping):
        raise TypeError(f"fit: early_stopping must be a patience (int) or an EarlyStopping, got "
                        f"{type(stopper).__name__}")
    if stopper is not None and not has_validation:
        raise ValueError("fit: early stopping watches the validation loss; pass validation="
                         "(X_val, y_val) or a fraction such as 0.2")
    return stopper


def _check_loss_fits(loss_fn: BatchLoss, model: Module, X: Sequence[Any], y: Sequence[Any],
                     where: str) -> int:
    """Run the model on one sample and the loss on every target; return the output count.

    This finds a sample of the wrong length, an unknown label or a loss that does not suit the
    model's outputs before the first step, with the sample named, rather than mid-epoch.
    """
    try:
        with evaluating(model):
            output = outputs_of(model, [X[0]])[0]
    except (TypeError, ValueError) as exc:
        raise rethrow(exc, f"fit: the model fails on sample 0 of {where}") from exc
    n_outputs = len(as_list(output))
    if isinstance(loss_fn, MeanLoss):
        with no_grad():
            for index, target in enumerate(y):
                try:
                    loss_fn.per_sample(output, target)
                except (TypeError, ValueError) as exc:
                    raise rethrow(exc, f"fit: the {loss_fn.name} loss fails on {where}, "
                                       f"target {index} ({target!r:.40})") from exc
    return n_outputs


def _check_replay(replay: object) -> None:
    if replay is not None and not isinstance(replay, bool):
        raise TypeError(f"fit: replay must be None, True or False, got {replay!r:.40}")


def _history(rule: Decision | None, has_validation: bool) -> History:
    """An empty history with the keys fit will record: accuracies only for class labels."""
    keys = ["loss"] + (["accuracy"] if rule is not None else [])
    if has_validation:
        keys += ["val_loss"] + (["val_accuracy"] if rule is not None else [])
    return History(keys)


# --- choosing replay ------------------------------------------------------------------------


class _NoReplay(Exception):
    """Why fit builds a graph per sample instead of replaying (for history.replay_note)."""


def choose_replay(run: Run) -> None:
    """Set `run.replayer` when fit may replay; otherwise `history.replay_note` says why not.

    With `replay=True` each reason not to replay is an error instead; with `replay=False`
    nothing is tried.
    """
    if run.replay is not False:
        try:
            run.replayer = _checked_replayer(run)
        except _NoReplay as reason:
            run.history.replay_note = str(reason)
    run.history.replayed = run.replayer is not None


def _checked_replayer(run: Run) -> Replayer:
    """A Replayer of the model and loss, its graph checked against all the data."""
    replayer = _replayer(run)
    run.train_data, run.val_data = _replay_data(run, replayer)
    _check_graph(run, replayer)
    return replayer


def _replayer(run: Run) -> Replayer:
    """A Replayer, if the model and the loss allow one."""
    problem = replay_problem(run.model, run.loss_fn, run.replay is True)
    if problem is None and isinstance(run.loss_fn, MeanLoss):
        return Replayer(run.model, run.loss_fn, run.n_outputs)
    if run.replay:
        raise ValueError(f"fit: cannot replay: {problem}; pass replay=None to let fit fall "
                         "back to one graph per sample")
    raise _NoReplay(problem)


def _replay_data(run: Run, replayer: Replayer) -> tuple[Any, Any]:
    """The training and validation data as arrays of rows: features, then targets."""
    try:
        train_data = replayer.data(run.X, run.y)
        val_data = replayer.data(run.X_val, run.y_val) if run.has_validation else None
    except (TypeError, ValueError) as exc:
        if run.replay:
            raise ValueError(f"fit: cannot replay: the data do not form rows of numbers "
                             f"({exc})") from exc
        raise _NoReplay(f"the data do not form rows of numbers ({exc})") from exc
    return train_data, val_data


def _check_graph(run: Run, replayer: Replayer) -> None:
    """Record the graph in each mode and check it against all the data.

    This happens before any step, so a model or loss that cannot be replayed is found before
    it changes a weight.
    """
    where = "fit: replay on the training data"
    try:
        with in_mode(run.model, True):
            replayer.check(run.train_data)
        if run.has_validation:
            where = "fit: replay on the validation data"
            with in_mode(run.model, False):
                replayer.check(run.val_data)
    except (ag.TraceError, OpError) as exc:
        # An OpError here is a sample outside an op's domain: the graph per sample meets it
        # too (and names it) if it is real.
        if run.replay:
            raise rethrow(exc, where) from exc
        raise _NoReplay(f"{where}: {exc}") from exc
