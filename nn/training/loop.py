"""`fit`, written as the recipe it follows: prepare, choose replay, then per epoch train,
validate and ask whether to stop.

Each step is a function of the `Run` that `prepare` checked (prepare.py). A batch's gradients
come from replaying one recorded graph (replay.py) or from a graph per sample, and the
optimizer's step is undone if it makes a parameter infinite or NaN.
"""

from __future__ import annotations

import math
import operator
import random
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import autograd_core as ag
from autograd_core import Constant, Value, signals_held

from ..losses import BatchLoss, MeanLoss
from ..module import Module
from .callbacks import Callback, EarlyStopping, History, run_callback
from .evaluation import as_list, count_right, evaluating, outputs_of
from .prepare import Run, choose_replay, prepare, rethrow
from .replay import Replayer

__all__ = ["fit"]

_data = operator.attrgetter("data")

# A batch's (or the validation data's) mean loss and each sample's outputs, as numbers.
Result = tuple[float, list[list[float]]]


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
      rate schedule from `nn.optim` may be passed as is: its `step()` is called. An object
      with `on_fit_start`, `on_step` or `on_fit_end` methods also hears of every step
      (`nn.training.callbacks`).
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
    run = prepare(model, data, loss, optimizer, epochs, batch_size, validation, callbacks,
                  early_stopping, progress, seed, threshold, replay)  # every check, no step
    choose_replay(run)  # run.replayer, or None with history.replay_note saying why
    with _training(run):
        for epoch in range(1, epochs + 1):
            _train_one_epoch(run, epoch)
            _validate(run, epoch)
            if _should_stop(run, epoch):
                break
        return run.finish()  # before on_fit_end: the callbacks see the weights fit returns


def _tell(run: Run, event: str, *args: Any) -> None:
    """Call `event` (on_fit_start, on_step, on_fit_end) on every callback that has it."""
    for callback in run.hooks:
        method = getattr(callback, event, None)
        if method is not None:
            method(run, *args)


def _tell_the_end(run: Run, error: BaseException | None) -> None:
    """Call every callback's on_fit_end. When training failed, a callback failing here too
    does not hide why training failed: its error is noted on the first one."""
    for callback in run.hooks:
        method = getattr(callback, "on_fit_end", None)
        if method is None:
            continue
        try:
            method(run, error)
        except Exception as exc:
            if error is None:
                raise
            if hasattr(error, "add_note"):  # Python 3.11+
                error.add_note(f"(then on_fit_end of {type(callback).__name__} failed: "
                               f"{type(exc).__name__}: {exc})")


@contextmanager
def _training(run: Run) -> Iterator[None]:
    """A progress bar while fit trains; afterwards the bar is closed and the model's mode back."""
    run.bar = _progress_bar(run.progress, run.epochs * run.n_batches,
                            "epoch" if run.n_batches == 1 else "batch")
    was_training = run.model.training
    error: BaseException | None = None
    try:
        _tell(run, "on_fit_start")
        yield
    except BaseException as exc:
        error = exc
        raise
    finally:
        if run.bar is not None:
            run.bar.close()
        run.model.train(was_training)
        _tell_the_end(run, error)


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


# --- training -------------------------------------------------------------------------------


def _train_one_epoch(run: Run, epoch: int) -> None:
    """One pass over the training data in batches; records the mean loss (and accuracy)."""
    if run.bar is not None:
        run.bar.set_description(f"epoch {epoch}/{run.epochs}", refresh=False)
    run.model.train()
    n = len(run.X)
    order = list(range(n))
    if run.n_batches > 1:
        run.rng.shuffle(order)
    loss_sum, right = 0.0, 0
    for batch in range(run.n_batches):
        chosen = order[batch * run.batch_size:(batch + 1) * run.batch_size]
        targets = [run.y[i] for i in chosen]
        loss_value, scores = _train_one_batch(run, chosen, targets,
                                              f"fit: epoch {epoch}, batch {batch + 1}")
        loss_sum += loss_value * len(chosen)
        if run.rule is not None:
            right += count_right(run.rule, scores, targets)
        if run.bar is not None:
            run.bar.update(1)
        _tell(run, "on_step", epoch, batch + 1, loss_value)
    run.history["loss"].append(loss_sum / n)
    if run.rule is not None:
        run.history["accuracy"].append(right / n)


def _train_one_batch(run: Run, chosen: list[int], targets: list[Any], where: str) -> Result:
    """The gradients of the batch's loss (by replay if fit can), then one optimizer step."""
    result = None if run.replayer is None else _replayed_gradients(run, run.replayer, chosen,
                                                                   where)
    if result is None:
        result = _scalar_gradients(run, [run.X[i] for i in chosen], targets, where)
    _step(run, result[0], where)
    return result


def _replayed_gradients(run: Run, replayer: Replayer, chosen: list[int], where: str
                        ) -> Result | None:
    """The batch's loss and outputs by replay, its gradients added to every `.grad`.

    None when the recorded graph turns out not to fit this batch (and replay was not
    insisted on): fit then builds a graph per sample, from this batch on.
    """
    try:
        loss_value, scores = replayer.forward(run.train_data, chosen)
        if not math.isfinite(loss_value):
            raise FloatingPointError(f"{where}: the loss is {loss_value}; the parameters keep "
                                     "their values from before this batch")
        run.optimizer.zero_grad()
        replayer.backward()
    except ag.TraceError as exc:
        if run.replay:
            raise rethrow(exc, where) from exc
        run.replayer, run.history.replayed = None, False
        run.history.replay_note = f"{where}: {exc}"
        return None
    except (TypeError, ValueError) as exc:
        raise rethrow(exc, where) from exc
    return loss_value, scores


def _scalar_gradients(run: Run, samples: list[Any], targets: list[Any], where: str) -> Result:
    """One graph per sample: the batch's loss and its backward pass; the loss and the outputs."""
    try:
        outputs = outputs_of(run.model, samples)
        result = run.loss_fn(outputs, targets)
    except (TypeError, ValueError) as exc:
        raise rethrow(exc, where) from exc
    value = _check_loss_value(result, where)
    run.optimizer.zero_grad()
    try:
        value.backward()
    except (TypeError, ValueError) as exc:
        raise rethrow(exc, where) from exc
    return value.data, [[v.data for v in as_list(output)] for output in outputs]


def _check_loss_value(value: object, where: str) -> Value:
    """The loss, if it is a finite Value computed from the model's outputs."""
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


def _step(run: Run, loss_value: float, where: str) -> None:
    """The optimizer's step, undone (with an error) if it makes a parameter infinite or NaN."""
    parameters = run.parameters
    before = list(map(_data, parameters))
    with signals_held():  # a Ctrl-C waits until every parameter has taken this step
        run.optimizer.step()
        # The sum is finite when every parameter is (or, rarely, overflows: then the exact
        # check decides).
        finite = math.isfinite(sum(map(_data, parameters))) or all(
            map(math.isfinite, map(_data, parameters)))
        if not finite:
            for p, old in zip(parameters, before):
                p.data = old
    if not finite:
        raise FloatingPointError(f"{where}: a step made a parameter infinite or NaN (loss "
                                 f"{loss_value:.4g}); the parameters keep their values from "
                                 "before this step (try a smaller learning rate)")


# --- validating and stopping ----------------------------------------------------------------


def _validate(run: Run, epoch: int) -> None:
    """Record the validation loss (and accuracy), in eval mode with no graph."""
    if not run.has_validation:
        return
    where = f"fit: epoch {epoch}, validation"
    try:
        with evaluating(run.model):
            result = _replayed_validation(run, where) or _scalar_validation(run, where)
    except (TypeError, ValueError) as exc:
        raise rethrow(exc, where) from exc
    loss_value, scores = result
    run.history["val_loss"].append(loss_value)
    if run.rule is not None:
        right = count_right(run.rule, scores, run.y_val)
        run.history["val_accuracy"].append(right / len(run.y_val))


def _replayed_validation(run: Run, where: str) -> Result | None:
    """The validation loss and outputs by replay; None when fit does not replay them."""
    if run.replayer is None or run.val_data is None:
        return None
    try:
        return run.replayer.forward(run.val_data)
    except ag.TraceError as exc:
        run.history.replay_note = f"{where}: {exc}"
        run.val_data = None  # replay refused the validation data: not again
        return None


def _scalar_validation(run: Run, where: str) -> Result:
    """The validation loss and outputs with a graph per sample."""
    outputs = outputs_of(run.model, run.X_val)
    value = run.loss_fn(outputs, list(run.y_val))
    if not isinstance(value, Value):
        raise TypeError(f"{where}: the loss function returned a {type(value).__name__}; it must "
                        "return a Value")
    return value.data, [[v.data for v in as_list(output)] for output in outputs]


def _should_stop(run: Run, epoch: int) -> bool:
    """Ask early stopping, then every callback; True to stop (`history.stop_reason` says why)."""
    stop = run.best.update(epoch, run.history, run.model) if run.has_validation else None
    for index, callback in enumerate(run.hooks):
        stop = run_callback(callback, index, epoch, run.history) or stop
    if run.bar is not None:
        run.bar.set_postfix({key: f"{values[-1]:.4f}" for key, values in run.history.items()},
                            refresh=False)
    if stop is None:
        return False
    run.history.stop_reason = stop
    return True
