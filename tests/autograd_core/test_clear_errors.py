"""Every misuse the probes of issue 15 found gets an error that names what was wrong."""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import Iterator

import pytest

import autograd_core as ag
from autograd_core import Value, no_grad


def test_the_functional_api_names_a_wrong_argument() -> None:
    x = Value(2.0, label="x")
    f = x * x
    with pytest.raises(TypeError, match=r"grad: inputs must be a Value or a sequence of Values, "
                                        r"got float"):
        ag.grad(f, 3.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"hessian: inputs must be a sequence of Values \(for one "
                                        r"input x, \[x\]\), got Value"):
        ag.hessian(f, x)  # type: ignore[arg-type]
    assert ag.hessian(f, [x]) == [[2.0]]
    with pytest.raises(TypeError, match=r"dot: weights must be a sequence of Values or numbers, "
                                        r"got Value"):
        ag.dot(x, x)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"backward needs a Value, got float: 3.0"):
        ag.backward(3.0)
    with pytest.raises(ValueError, match=r"numerical_grad: eps must be a finite number > 0, "
                                         r"got 0"):
        ag.numerical_grad(lambda v: v * v, [1.0], eps=0)
    with pytest.raises(TypeError, match=r"Value\(\): label must be a str, got int: 3"):
        Value(1.0, label=3)  # type: ignore[arg-type]


def test_no_grad_is_reusable_nested_and_refuses_what_it_cannot_wrap() -> None:
    x = Value(2.0)
    off = no_grad()
    for _ in range(2):
        with off:
            with off:
                assert (x * x).parents == ()
            assert (x * x).parents == ()
        assert len((x * x).parents) == 2

    @no_grad()
    def square(v: Value) -> Value:
        return v * v

    assert square(x).parents == ()
    assert len((x * x).parents) == 2

    def generator() -> Iterator[Value]:
        yield x * x

    async def coroutine() -> Value:
        return x * x

    for fn in (generator, coroutine):
        with pytest.raises(TypeError, match=rf"no_grad\(\) cannot decorate .*{fn.__name__}, a "
                                            "generator or async function"):
            no_grad()(fn)
    asyncio.run(coroutine())  # (the coroutine itself is fine; only the decoration is refused)


def test_no_grad_in_threads_keeps_apart() -> None:
    x = Value(2.0)
    recorded: list[bool] = []

    @no_grad()
    def off() -> None:
        for _ in range(2000):
            assert (x * x).parents == ()

    def on() -> None:
        for _ in range(2000):
            recorded.append(len((x * x).parents) == 2)

    threads = [threading.Thread(target=off), threading.Thread(target=on)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(recorded) and len(recorded) == 2000


def test_optimizers_refuse_an_eps_that_would_divide_by_zero_and_centered_rmsprop_steps() -> None:
    from nn import optim

    w = Value(1.0)
    for make in (optim.Adam, optim.AdamW, optim.RMSProp, optim.Adagrad):
        with pytest.raises(ValueError, match=r"eps must be a finite number > 0, got 0"):
            make([w], lr=0.1, eps=0)
    # Centered RMSProp: the variance estimate can round a hair below zero; it steps anyway.
    opt = optim.RMSProp([w], lr=0.01, centered=True)
    for g in [1.0, 1.0, 1.0, 1.0 + 1e-16]:
        w.grad = g
        opt.step()
    assert math.isfinite(w.data)


def test_pow_refuses_a_value_exponent_it_would_send_no_gradient() -> None:
    x, w = Value(2.0), Value(3.0)
    with pytest.raises(TypeError, match=r"pow takes a number exponent; for a Value exponent use "
                                        r"x \*\* w"):
        ag.apply("pow", x, w)
    assert ag.apply("pow", x, 3.0).data == 8.0 and ag.grad(x ** w, w) == pytest.approx(
        8.0 * math.log(2.0))


def test_numbers_too_large_for_a_float_are_named_in_nn() -> None:
    import nn
    from nn import optim

    with pytest.raises(ValueError, match=r"SGD: lr must be a finite number >= 0, got 1000"):
        optim.SGD([Value(1.0)], lr=10**400)
    model = nn.MLP(2, [1], seed=0)
    with pytest.raises(ValueError, match=r"fit: data: sample 0 holds 1000.*features must be "
                                         r"finite"):
        nn.fit(model, ([[10**400, 1.0]] * 4, [0, 1, 0, 1]), "mse",
               optim.SGD(model.parameters(), lr=0.1), epochs=1, progress=False)
