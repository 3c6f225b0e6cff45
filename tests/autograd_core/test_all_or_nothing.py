"""Backward is all or nothing, whatever interrupts it, and passes in threads do not meet.

A Ctrl-C is a KeyboardInterrupt raised by a signal handler between any two bytecodes of the
main thread. Here a timer's signal raises it at hundreds of moments spread over a pass (and
sometimes again a moment later, as a second Ctrl-C does); after each trial every `.grad` must
be all as before the call or all as after it, never a mix, and the next pass must be exact.
"""

from __future__ import annotations

import math
import random
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import autograd_core as ag
from autograd_core import Value

pytestmark = pytest.mark.skipif(not hasattr(signal, "setitimer"),
                                reason="needs POSIX interval timers")


class Interrupts:
    """Raise KeyboardInterrupt from SIGALRM: `times` times, the first after `delay` seconds and
    each next one a millisecond later, as Ctrl-C pressed twice does."""

    def __init__(self) -> None:
        self.fired = 0
        self.left = 0

    def handler(self, signum: int, frame: Any) -> None:
        if self.left <= 0:
            return  # a signal that was already on its way when the timer was stopped
        self.left -= 1
        if self.left == 0:
            signal.setitimer(signal.ITIMER_REAL, 0, 0)
        if frame is not None and frame.f_code in _OUTSIDE_THE_WORK:
            return  # it landed after the work, or in this handler: nothing to stop
        self.fired += 1
        raise KeyboardInterrupt

    def during(self, work: Callable[[], object], delay: float, times: int = 1) -> None:
        """Run `work` while the interrupts land (those that miss it land after it, here)."""
        self.left = times
        try:
            signal.setitimer(signal.ITIMER_REAL, delay, 0.001 if times > 1 else 0.0)
            work()
        except KeyboardInterrupt:
            pass
        while self.left > 0:
            time.sleep(0.001)

    def disarm(self) -> None:
        self.left = 0
        signal.setitimer(signal.ITIMER_REAL, 0, 0)


_OUTSIDE_THE_WORK = {Interrupts.during.__code__, Interrupts.handler.__code__}


@pytest.fixture
def interrupts() -> Iterator[Interrupts]:
    state = Interrupts()
    previous = signal.signal(signal.SIGALRM, state.handler)
    try:
        yield state
    finally:
        state.disarm()
        signal.signal(signal.SIGALRM, previous)


def _timed_backward(n: int) -> float:
    w = [Value(1.0) for _ in range(n)]
    loss = ag.sum([p * 2.0 for p in w])
    start = time.perf_counter()
    loss.backward()
    return time.perf_counter() - start


def test_an_interrupted_backward_leaves_all_or_nothing_and_no_trace(
        interrupts: Interrupts) -> None:
    n = 4_000
    duration = _timed_backward(n)
    rng = random.Random(0)
    w = [Value(1.0) for _ in range(n)]
    outcomes = {"before": 0, "after": 0}
    for trial in range(250):
        for p in w:
            p.grad = 0.5
        loss = ag.sum([p * 2.0 for p in w])
        delay = rng.uniform(0.0, 1.3 * duration) + 1e-6
        interrupts.during(loss.backward, delay, times=2 if trial % 3 == 0 else 1)
        grads = {p.grad for p in w}
        assert grads in ({0.5}, {2.5}), f"trial {trial}: a mix of {sorted(grads)[:5]}"
        outcomes["before" if grads == {0.5} else "after"] += 1
        # Nothing of an interrupted pass changes the next one.
        for p in w:
            p.grad = 0.0
        ag.sum([p * 3.0 for p in w]).backward()
        assert all(p.grad == 3.0 for p in w), f"trial {trial}: a later pass is wrong"
    assert interrupts.fired >= 100  # most landed in the pass itself
    # The moments were spread over the pass: both outcomes happened, many times.
    assert min(outcomes.values()) > 25, outcomes


def test_an_exception_in_the_middle_of_writing_undoes_what_was_written() -> None:
    class Brittle(Value):
        """A leaf whose gradient cannot be added to (as a user's odd .grad might be)."""

        __slots__ = ()

    a, b, c = Value(1.0), Brittle(2.0), Value(3.0)
    loss = a * 1.0 + b * 1.0 + c * 1.0
    a.grad, c.grad = 5.0, 7.0
    b.grad = "not a number"  # type: ignore[assignment]
    with pytest.raises(TypeError):
        loss.backward()
    assert (a.grad, b.grad, c.grad) == (5.0, "not a number", 7.0)
    assert loss.grad == 0.0 and loss.parents[0].grad == 0.0


def _in_threads(work: Callable[[int], None], n: int) -> None:
    """Run work(0), ..., work(n - 1) in n threads that switch as often as Python lets them."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)


def test_grad_in_threads_over_a_shared_parameter_is_exact() -> None:
    shared = Value(1.5, label="w")
    errors: list[str] = []

    def work(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(1500):
            x = rng.uniform(-2, 2)
            out = (shared * x).tanh() * x + shared
            got = ag.grad(out, shared)
            want = (1 - math.tanh(shared.data * x) ** 2) * x * x + 1
            if abs(got - want) > 1e-12:
                errors.append(f"{got} != {want}")

    _in_threads(work, 4)
    assert errors == []


def test_backward_in_threads_adds_every_pass_into_shared_leaves() -> None:
    w = [Value(0.0) for _ in range(50)]

    def work(seed: int) -> None:
        for _ in range(200):
            ag.sum([p * 1.0 for p in w]).backward()

    _in_threads(work, 4)
    assert {p.grad for p in w} == {800.0}  # 4 threads x 200 passes, none lost
