"""fit's step-by-step callbacks (on_fit_start, on_step, on_fit_end) and an optimizer step that a
Ctrl-C cannot cut in half."""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any

import pytest

import nn
from nn import data, optim


class Recorder:
    """A callback object that records every event fit tells it about."""

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []

    def __call__(self, epoch: int, history: nn.History) -> None:
        self.events.append(("epoch", epoch))

    def on_fit_start(self, run: nn.training.Run) -> None:
        self.events.append(("start", run.epochs, run.n_batches))

    def on_step(self, run: nn.training.Run, epoch: int, batch: int, loss: float) -> None:
        self.events.append(("step", epoch, batch, round(loss, 12)))

    def on_fit_end(self, run: nn.training.Run, error: BaseException | None) -> None:
        self.events.append(("end", type(error).__name__ if error else None))


def problem(seed: int = 0) -> tuple[nn.MLP, tuple[list[list[float]], list[int]]]:
    X, y = data.blobs(10, centers=[[-1.0, -1.0], [1.0, 1.0]], std=0.5, seed=seed)
    return nn.MLP(2, [4, 1], activation="tanh", seed=seed), (X, y)


def test_every_step_is_told_in_order_with_its_batch_loss() -> None:
    model, (X, y) = problem()
    recorder = Recorder()
    history = nn.fit(model, (X, y), "mse", optim.SGD(model.parameters(), lr=0.1), epochs=2,
                     batch_size=4, callbacks=[recorder], progress=False, seed=1)
    kinds = [event[0] for event in recorder.events]
    # 10 samples in batches of 4: 3 steps per epoch, then the epoch's callback.
    assert kinds == ["start", "step", "step", "step", "epoch", "step", "step", "step", "epoch",
                     "end"]
    assert recorder.events[0] == ("start", 2, 3)
    assert [event[1:3] for event in recorder.events if event[0] == "step"] == [
        (1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (2, 3)]
    assert recorder.events[-1] == ("end", None)
    # The epoch's loss is the mean of its batches' losses, weighted by their sizes.
    first = [event[3] for event in recorder.events[1:4]]
    assert history["loss"][0] == pytest.approx((4 * first[0] + 4 * first[1] + 2 * first[2]) / 10)


def test_the_end_is_told_with_the_error_that_ended_training() -> None:
    model, (X, y) = problem()
    recorder = Recorder()

    class Boom(Exception):
        pass

    def explode(run: Any, epoch: int, batch: int, loss: float) -> None:
        if batch == 2:
            raise Boom("no more")

    recorder.on_step = explode  # type: ignore[method-assign]
    with pytest.raises(Boom):
        nn.fit(model, (X, y), "mse", optim.SGD(model.parameters(), lr=0.1), epochs=2,
               batch_size=4, callbacks=[recorder], progress=False)
    assert recorder.events == [("start", 2, 3), ("end", "Boom")]
    assert model.training  # fit put the model's mode back


class HalfwayInterrupted(optim.SGD):
    """SGD whose step sends a Ctrl-C after updating half of the parameters: to this thread
    (`raise_signal`), or to the process (`os.kill`), which any of its threads may take."""

    to_process = False

    def step(self) -> None:
        half = len(self.params) // 2
        for p in self.params[:half]:
            p.data -= self.lr * p.grad
        if self.to_process:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # time for another thread to take it, and Python to see it
        else:
            signal.raise_signal(signal.SIGINT)
        for p in self.params[half:]:
            p.data -= self.lr * p.grad


@pytest.fixture(params=["to this thread", "to the process, with other threads running"])
def interrupting(request: pytest.FixtureRequest) -> Any:
    """HalfwayInterrupted, sending its Ctrl-C either way; in the second, 3 other threads run
    (as in a Jupyter kernel), so the signal is most often taken by one of them."""
    if request.param == "to this thread":
        yield HalfwayInterrupted
        return
    stop = threading.Event()
    threads = [threading.Thread(target=stop.wait, daemon=True) for _ in range(3)]
    for thread in threads:
        thread.start()

    class ToProcess(HalfwayInterrupted):
        to_process = True

    yield ToProcess
    stop.set()
    for thread in threads:
        thread.join()


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="signals cannot be held")
def test_a_ctrl_c_during_the_optimizer_step_lands_after_the_whole_step(interrupting: Any
                                                                        ) -> None:
    model, (X, y) = problem()
    before = [p.data for p in model.parameters()]
    grads: list[float] = []
    optimizer = interrupting(model.parameters(), lr=0.1)
    original_step = optimizer.step

    def step() -> None:
        grads.extend(p.grad for p in model.parameters())
        original_step()

    optimizer.step = step  # type: ignore[method-assign]
    recorder = Recorder()
    with pytest.raises(KeyboardInterrupt):
        nn.fit(model, (X, y), "mse", optimizer, epochs=3, callbacks=[recorder],
               progress=False)
    # Every parameter took the one step, none twice, none skipped.
    assert [p.data for p in model.parameters()] == [b - 0.1 * g for b, g in zip(before, grads)]
    assert recorder.events[-1] == ("end", "KeyboardInterrupt")
    assert signal.pthread_sigmask(signal.SIG_BLOCK, ()) == set()  # nothing left blocked


def test_an_object_with_only_a_hook_is_a_callback_and_anything_else_is_named() -> None:
    model, (X, y) = problem()
    steps: list[int] = []

    class Steps:
        def on_step(self, run: Any, epoch: int, batch: int, loss: float) -> None:
            steps.append(epoch)

    nn.fit(model, (X, y), "mse", optim.SGD(model.parameters(), lr=0.1), epochs=3,
           callbacks=Steps(), progress=False)
    assert steps == [1, 2, 3]
    with pytest.raises(TypeError, match=r"callback 0 must be a function .* or an object with "
                                        r"on_fit_start or on_step or on_fit_end, got int"):
        nn.fit(model, (X, y), "mse", optim.SGD(model.parameters(), lr=0.1), epochs=1,
               callbacks=[3], progress=False)
