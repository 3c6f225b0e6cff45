"""`fit_in_background`: fit in a thread that can be paused, stepped and stopped between steps.

A Jupyter kernel reads the front end's messages (a widget's buttons) only between cells, so a
cell that trains cannot hear "pause". Training in a thread leaves the cell finished and the
kernel listening: `viz.TrainingView`'s buttons call `pause()`, `play()` and `step()` here, and
the loop is still fit's own, with the same checks and numbers.

The thread waits only between two optimizer steps, so the model is always at a completed
step when it is paused or stopped. Interrupting an IPython kernel (the stop button) stops it
too, after its step.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from .loop import fit

__all__ = ["fit_in_background", "Background"]


class _Stopped(Exception):
    """Raised between two steps to end training when asked to."""


class Background:
    """fit running in a thread: `status` ("running", "paused", "done", "stopped", "error"),
    `steps` taken, and what the buttons do: `pause()`, `play()`, `step()`, `stop()`.

    `wait()` waits for the end and returns fit's History (or raises what ended training).
    A callback with a method `controlled_by(background)` is handed this object before
    training starts; one with `on_control(background)` is told of every change of status.
    """

    def __init__(self, fit_call: Callable[[list[Any]], Any], callbacks: list[Any],
                 paused: bool) -> None:
        self.status, self.steps = "starting", 0
        self.history: Any = None
        self.error: BaseException | None = None
        self._callbacks = callbacks
        self._wake = threading.Condition()
        self._paused, self._one_step, self._stop = paused, False, False
        self._began = threading.Event()
        for callback in callbacks:
            attach = getattr(callback, "controlled_by", None)
            if attach is not None:
                attach(self)
        self._thread = threading.Thread(target=self._run, args=(fit_call,), daemon=True,
                                        name="fit_in_background")
        self._thread.start()
        _stop_on_interrupt(self)
        try:
            self._began.wait()
        except KeyboardInterrupt:  # while fit checks its arguments: no handle, so no training
            self.stop()
            raise
        if self.status == "error" and self.steps == 0 and self._refused:
            raise self.error  # type: ignore[misc]  # fit refused its arguments: say it here

    _refused = False

    def _run(self, fit_call: Callable[[list[Any]], Any]) -> None:
        try:
            self.history = fit_call([*self._callbacks, _Gate(self)])
            self._set("done")
        except _Stopped:  # fit returned no History: the one it was filling is kept
            self._set("stopped")
        except BaseException as exc:
            self.error = exc
            self._refused = not self._began.is_set()
            self._set("error")
        finally:
            self._began.set()

    @property
    def running(self) -> bool:
        """Whether the thread is still training (paused counts)."""
        return self._thread.is_alive()

    def _set(self, status: str) -> None:
        """Change the status and tell the callbacks that listen."""
        self.status = status
        for callback in self._callbacks:
            listener = getattr(callback, "on_control", None)
            if listener is not None:
                listener(self)

    def pause(self) -> None:
        """Pause after the step being taken."""
        with self._wake:
            if self.running:
                self._paused = True

    def play(self) -> None:
        """Go on training."""
        with self._wake:
            self._paused = self._one_step = False
            self._wake.notify_all()

    def step(self) -> None:
        """Take exactly one more optimizer step, pause, and return once it is taken."""
        with self._wake:
            if not self.running:
                return
            self._paused, self._one_step = False, True
            self._wake.notify_all()
            if self._thread is not threading.current_thread():
                while self.running and (self._one_step or not self._paused):
                    self._wake.wait(0.05)

    def stop(self) -> None:
        """End training after the step being taken, and wait until it has ended."""
        with self._wake:
            self._stop = True
            self._wake.notify_all()
        if self._thread is not threading.current_thread():
            self._thread.join()

    def wait(self, timeout: float | None = None) -> Any:
        """Wait for the end: fit's History (as far as it got, if training was stopped), or
        the error that ended training. A Ctrl-C while waiting stops training after its
        step."""
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while self.running:
                if deadline is not None and time.monotonic() >= deadline:
                    raise TimeoutError(f"fit_in_background: still training after {timeout} s "
                                       f"(step {self.steps})")
                self._thread.join(0.05)
        except KeyboardInterrupt:
            self.stop()
            raise
        if self.error is not None:
            raise self.error
        return self.history

    def _gate(self) -> None:
        """Between two steps: pause again after a single step, wait while paused, stop if
        asked to. Listeners hear of a change of status outside the lock, so a button pressed
        meanwhile never waits for a frame to be drawn."""
        with self._wake:
            if self._one_step:
                self._one_step, self._paused = False, True
                self._wake.notify_all()  # step() returns
            pausing = self._paused and not self._stop and self.status != "paused"
        if pausing:
            self._set("paused")
        with self._wake:
            while self._paused and not self._stop:
                self._wake.wait()
            stop = self._stop
        if stop:
            raise _Stopped(f"stopped after {self.steps} steps")
        if self.status != "running":
            self._set("running")

    def __repr__(self) -> str:
        return f"Background(status={self.status!r}, steps={self.steps})"


class _Gate:
    """The callback through which the thread pauses: the last one, after every other has
    heard of the step."""

    def __init__(self, background: Background) -> None:
        self.background = background

    def on_fit_start(self, run: Any) -> None:
        background = self.background
        background.history = run.history  # what wait() returns if training is stopped
        background._set("paused" if background._paused else "running")
        background._began.set()  # fit_in_background returns
        background._gate()

    def on_step(self, run: Any, epoch: int, batch: int, loss: float) -> None:
        self.background.steps += 1
        self.background._gate()


def fit_in_background(model: Any, data: tuple[Sequence[Any], Sequence[Any]], loss: Any,
                      optimizer: Any, epochs: int, *, paused: bool = False,
                      **options: Any) -> Background:
    """Start `nn.fit(model, data, loss, optimizer, epochs, **options)` in a thread and return
    its `Background` once fit has checked its arguments (an error is raised here) and is about
    to take its first step. `paused=True` waits for `play()` or `step()` before that step.
    The progress bar is off unless `progress=True` is passed.

    >>> import nn
    >>> from nn import optim
    >>> X, y = nn.data.xor(labels=(-1, 1))
    >>> model = nn.MLP(2, [4, 1], activation="tanh", output_activation="tanh", seed=0)
    >>> run = nn.fit_in_background(model, (X, y), "mse", optim.SGD(model.parameters(), lr=0.1,
    ...                            momentum=0.9), epochs=200, paused=True)
    >>> run.status, run.steps
    ('paused', 0)
    >>> run.step(); run.steps
    1
    >>> run.play(); run.wait()["accuracy"][-1]
    1.0
    """
    callbacks = options.pop("callbacks", [])
    callbacks = list(callbacks) if isinstance(callbacks, (list, tuple)) else [callbacks]
    options.setdefault("progress", False)
    return Background(lambda hooks: fit(model, data, loss, optimizer, epochs, callbacks=hooks,
                                        **options), callbacks, paused)


_watching: list[Background] = []


def _stop_on_interrupt(background: Background) -> None:
    """Make an IPython kernel's interrupt stop training that runs in a thread.

    An idle IPython kernel ignores SIGINT, and at the end of each cell it puts back the handler
    it saved when the cell began. Saving ours there instead makes an interrupt of the idle
    kernel stop every background fit (after its step), and otherwise do what it did before.
    Outside a kernel this does nothing."""
    _watching[:] = [b for b in _watching if b.running] + [background]
    if threading.current_thread() is not threading.main_thread():
        return
    try:
        from IPython import get_ipython  # type: ignore[attr-defined, unused-ignore]
    except ImportError:
        return
    kernel = getattr(get_ipython(), "kernel", None)
    previous = getattr(kernel, "saved_sigint_handler", None)
    if kernel is None or previous is None or getattr(previous, "stops_training", False):
        return

    def handler(signum: int, frame: Any) -> None:
        running = [b for b in _watching if b.running]
        for b in running:
            with b._wake:
                b._stop = True
                b._wake.notify_all()
        if not running and callable(previous):
            previous(signum, frame)

    handler.stops_training = True  # type: ignore[attr-defined]
    kernel.saved_sigint_handler = handler
