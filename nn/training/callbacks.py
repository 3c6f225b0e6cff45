"""What fit records and what can stop it: `History`, `EarlyStopping`, callbacks, `StopTraining`.

After each epoch fit appends to the `History`, lets early stopping compare the validation loss
with the best so far, then calls each callback as `callback(epoch, history)`.

A callback object may also follow every step, Keras-style, through any of three methods, each
given fit's `Run` (the model, optimizer, data, loss and `history`, read-only):
`on_fit_start(run)` before the first step, `on_step(run, epoch, batch, loss)` after each
optimizer step (batch counting from 1, loss that batch's mean), and `on_fit_end(run, error)`
when training ends, `error` being the exception that ended it, a KeyboardInterrupt say, or
None. `viz.TrainingView` is such a callback. An optimizer step is never cut in half: a Ctrl-C
waits until every parameter has taken it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..checks import check_flag, check_int, check_real
from ..module import Module
from ..optim import LRScheduler

__all__ = ["History", "EarlyStopping", "StopTraining", "Callback"]

Callback = Callable[[int, "History"], bool | None] | LRScheduler


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
        check_int("EarlyStopping: patience", self.patience)
        check_real("EarlyStopping: min_delta", self.min_delta)
        check_flag("EarlyStopping: restore_best", self.restore_best)


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


class BestEpoch:
    """Keeps `history.best_epoch` up to date, and with early stopping says when to stop.

    Without early stopping the best epoch is simply the one with the lowest validation loss.
    With it, an epoch counts as better only when it beats the best by more than `min_delta`,
    and the best epoch's weights are kept to restore at the end (`restore_best`).
    """

    def __init__(self, stopper: EarlyStopping | None) -> None:
        self.stopper = stopper
        self.best_loss = math.inf
        self.best_state: dict[str, Any] | None = None
        self.waited = 0

    def update(self, epoch: int, history: History, model: Module) -> str | None:
        """Take this epoch's validation loss into account; the reason to stop, if it is time."""
        val_losses = history["val_loss"]
        if self.stopper is None:
            history.best_epoch = 1 + val_losses.index(min(val_losses))
            return None
        if val_losses[-1] < self.best_loss - self.stopper.min_delta:
            self.best_loss, self.waited = val_losses[-1], 0
            history.best_epoch = epoch
            self.best_state = model.state_dict() if self.stopper.restore_best else None
            return None
        self.waited += 1
        if self.waited < self.stopper.patience:
            return None
        return (f"early stopping: no better val_loss for {self.waited} epochs "
                f"(best {self.best_loss:.4g} at epoch {history.best_epoch})")

    def restore(self, history: History, model: Module) -> None:
        """Give the model its best epoch's weights back, if they were kept and are not its own."""
        if self.best_state is not None and history.best_epoch != history.epochs:
            model.load_state_dict(self.best_state)


HOOKS = ("on_fit_start", "on_step", "on_fit_end")


def _is_callback(item: object) -> bool:
    """A function (epoch, history), a learning-rate schedule, or an object with a hook."""
    return (callable(item) or isinstance(item, LRScheduler)
            or any(callable(getattr(item, hook, None)) for hook in HOOKS))


def check_callbacks(callbacks: object) -> list[Callback]:
    """fit's callbacks as a list: one callback alone, or a list of them."""
    if _is_callback(callbacks):
        return [callbacks]  # type: ignore[list-item]
    if not isinstance(callbacks, Iterable):
        raise TypeError(f"fit: callbacks must be a list, got {type(callbacks).__name__}")
    checked = list(callbacks)
    for index, callback in enumerate(checked):
        if not _is_callback(callback):
            raise TypeError(f"fit: callback {index} must be a function (epoch, history), a "
                            f"learning-rate schedule or an object with {' or '.join(HOOKS)}, "
                            f"got {type(callback).__name__}")
    return checked


def run_callback(callback: Callback, index: int, epoch: int, history: History) -> str | None:
    """Call one callback; the reason to stop, if it asks to."""
    if isinstance(callback, LRScheduler):
        callback.step()
        return None
    if not callable(callback):  # it follows the steps only (on_step, ...)
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
