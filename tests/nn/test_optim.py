"""Optimizers and schedules against torch.optim, step for step, in float64."""

from __future__ import annotations

import math
from typing import Any

import pytest

from autograd_core import Constant, Value
from nn import optim

torch = pytest.importorskip("torch")

START = [1.5, -0.7, 0.2, -2.0, 0.05]
STEPS = 8


def objective(params: list[Any]) -> Any:
    """A loss whose gradient changes sign and size from step to step; runs on both engines."""
    total = 0.0
    for i, p in enumerate(params):
        total = total + (i + 1) * p * p + (p * (i - 1.5)).sin() + 0.3 * p * params[i - 1]
    return total


def run(make: Any, kwargs: dict[str, Any], leaf: Any, read: Any) -> list[list[float]]:
    """The same optimisation on either engine: `leaf` makes a parameter, `read` its number."""
    params = [leaf(x) for x in START]
    optimizer = make(params, **kwargs)
    trajectory = []
    for _ in range(STEPS):
        optimizer.zero_grad()
        objective(params).backward()
        optimizer.step()
        trajectory.append([read(p) for p in params])
    return trajectory


def run_ours(make: Any, kwargs: dict[str, Any]) -> list[list[float]]:
    return run(make, kwargs, Value, lambda p: p.data)


def run_torch(make: Any, kwargs: dict[str, Any]) -> list[list[float]]:
    return run(make, kwargs, lambda x: torch.tensor(x, dtype=torch.float64, requires_grad=True),
               lambda p: p.item())


CASES = [
    ("SGD", {"lr": 0.01}),
    ("SGD", {}),  # the defaults must be torch's too
    ("SGD", {"lr": 0.02, "momentum": 0.9}),
    ("SGD", {"lr": 0.02, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.02, "momentum": 0.9, "nesterov": True, "weight_decay": 0.05}),
    ("SGD", {"lr": 0.01, "maximize": True}),
    ("Adam", {}),
    ("Adam", {"lr": 0.1, "betas": (0.8, 0.95), "eps": 1e-6}),
    ("Adam", {"lr": 0.1, "weight_decay": 0.1, "amsgrad": True}),
    ("Adam", {"lr": 0.05, "maximize": True}),
    ("AdamW", {}),
    ("AdamW", {"lr": 0.1, "weight_decay": 0.3}),
    ("AdamW", {"lr": 0.1, "weight_decay": 0.3, "amsgrad": True}),
    ("RMSProp", {}),
    ("RMSProp", {"lr": 0.01, "alpha": 0.9, "eps": 1e-6, "weight_decay": 0.1}),
    ("RMSProp", {"lr": 0.01, "momentum": 0.9, "centered": True}),
    ("RMSProp", {"lr": 0.01, "momentum": 0.5, "maximize": True}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.1,
                 "initial_accumulator_value": 0.5, "eps": 1e-8}),
    ("Adagrad", {"lr": 0.1, "maximize": True}),
]


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_optimizer_matches_torch_step_for_step(name: str, kwargs: dict[str, Any]) -> None:
    torch_name = "RMSprop" if name == "RMSProp" else name
    ours = run_ours(getattr(optim, name), kwargs)
    theirs = run_torch(getattr(torch.optim, torch_name), {**kwargs, "foreach": False})
    for step, (row_ours, row_theirs) in enumerate(zip(ours, theirs)):
        assert row_ours == pytest.approx(row_theirs, rel=1e-12, abs=1e-12), f"step {step + 1}"
    assert ours[-1] != [pytest.approx(x) for x in START]  # the parameters did move


def test_zero_grad_and_a_changed_learning_rate() -> None:
    x = Value(2.0)
    optimizer = optim.SGD([x], lr=0.5)
    (x * x).backward()
    optimizer.zero_grad()
    assert x.grad == 0.0
    (x * x).backward()
    optimizer.lr = 0.25  # what the schedules do
    optimizer.step()
    assert x.data == 2.0 - 0.25 * 4.0


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: optim.SGD([]), ValueError, "SGD got an empty list of parameters"),
    (lambda: optim.Adam(Value(1.0)), TypeError, "Adam needs a list of parameters"),
    (lambda: optim.SGD([Value(1.0), 2.0]), TypeError, "parameter 1 must be a Value .not a "
                                                      "Constant., got float"),
    (lambda: optim.SGD([Constant(1.0)]), TypeError, "parameter 0 must be a Value"),
    (lambda: optim.SGD([x := Value(1.0), x]), ValueError, "parameter 1 appears more than once"),
    (lambda: optim.SGD([Value(1.0)], lr=-0.1), ValueError,
     "SGD: lr must be a finite number >= 0, got -0.1"),
    (lambda: optim.SGD([Value(1.0)], lr=math.nan), ValueError, "lr must be a finite number"),
    (lambda: optim.SGD([Value(1.0)], lr="0.1"), TypeError, "lr must be a number, got str"),
    (lambda: optim.SGD([Value(1.0)], nesterov=True), ValueError,
     "nesterov=True needs a momentum > 0 and dampening 0"),
    (lambda: optim.SGD([Value(1.0)], momentum=-0.9), ValueError,
     "momentum must be a finite number >= 0"),
    (lambda: optim.Adam([Value(1.0)], betas=(0.9, 1.0)), ValueError,
     r"Adam: betas\[1\] must be in \[0, 1\), got 1.0"),
    (lambda: optim.AdamW([Value(1.0)], betas=0.9), TypeError, "AdamW: betas must be a pair"),
    (lambda: optim.RMSProp([Value(1.0)], centered=1), TypeError, "centered must be True or False"),
    (lambda: optim.Adagrad([Value(1.0)], eps=-1), ValueError,
     "Adagrad: eps must be a finite number > 0"),
])
def test_bad_arguments_are_named(call, error, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=message):
        call()


# --- learning-rate schedules ----------------------------------------------------------------

SCHEDULES = [
    ("StepLR", {"step_size": 3}),
    ("StepLR", {"step_size": 2, "gamma": 0.5}),
    ("ExponentialLR", {"gamma": 0.9}),
    ("CosineAnnealingLR", {"T_max": 10}),
    ("CosineAnnealingLR", {"T_max": 7, "eta_min": 0.01}),  # run past T_max: it comes back up
    ("LinearLR", {}),
    ("LinearLR", {"start_factor": 0.1, "total_iters": 4}),  # a warm-up
    ("LinearLR", {"start_factor": 1.0, "end_factor": 0.2, "total_iters": 6}),  # a decay
]


@pytest.mark.parametrize(("name", "kwargs"), SCHEDULES, ids=[f"{n}-{k}" for n, k in SCHEDULES])
def test_schedule_matches_torch(name: str, kwargs: dict[str, Any]) -> None:
    ours = optim.SGD([Value(1.0)], lr=0.1)
    theirs = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    schedule = getattr(optim, name)(ours, **kwargs)
    reference = getattr(torch.optim.lr_scheduler, name)(theirs, **kwargs)
    lrs_ours, lrs_theirs = [ours.lr], [theirs.param_groups[0]["lr"]]
    for _ in range(20):
        theirs.step()  # torch warns if the schedule steps before the optimizer
        schedule.step()
        reference.step()
        lrs_ours.append(ours.lr)
        lrs_theirs.append(theirs.param_groups[0]["lr"])
    assert lrs_ours == pytest.approx(lrs_theirs, rel=1e-12, abs=1e-15)
    assert len(set(lrs_ours)) > 1


def test_a_schedule_is_a_formula_of_the_epoch() -> None:
    schedule = optim.CosineAnnealingLR(optim.SGD([Value(1.0)], lr=1.0), T_max=4)
    assert [schedule.lr_at(epoch) for epoch in (0, 2, 4)] == pytest.approx([1.0, 0.5, 0.0])
    warmup = optim.LinearLR(optim.SGD([Value(1.0)], lr=1.0), start_factor=0.25, total_iters=3)
    assert warmup.optimizer.lr == 0.25  # a warm-up starts low at once


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda o: optim.StepLR(o, step_size=0), ValueError, "StepLR: step_size must be at least 1"),
    (lambda o: optim.StepLR(o, step_size=2.5), TypeError, "step_size must be an int, got float"),
    (lambda o: optim.ExponentialLR(o, gamma=-0.5), ValueError,
     "gamma must be a finite number >= 0"),
    (lambda o: optim.CosineAnnealingLR(o, T_max=0), ValueError, "T_max must be at least 1"),
    (lambda o: optim.LinearLR(o, start_factor=0), ValueError, r"start_factor must be in \(0, 1\]"),
    (lambda o: optim.LinearLR(o, end_factor=1.5), ValueError, "end_factor must be in"),
    (lambda o: optim.StepLR("sgd", step_size=1), TypeError, "StepLR needs an Optimizer, got str"),
])
def test_bad_schedule_arguments_are_named(call, error, message) -> None:  # type: ignore[no-untyped-def]
    optimizer = optim.SGD([Value(1.0)], lr=0.1)
    with pytest.raises(error, match=message):
        call(optimizer)
    assert optimizer.lr == 0.1
