"""Random expression graphs, each written once and run on this engine and on PyTorch (float64).

Hypothesis generates a small program: a list of instructions, each applying one of the
engine's operations to earlier results. `run` interprets the program with an engine adapter, so
the same expression is built from Values and from torch tensors; values and every input's
gradient must agree.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import assume, given, settings

import autograd_core as ag
from autograd_core import Value

from .programs import OURS, Engine, Instruction, programs, run

torch = pytest.importorskip("torch")


TORCH = Engine(
    lambda x: torch.tensor(x, dtype=torch.float64, requires_grad=True),
    torch.nn.functional.leaky_relu,
    lambda x: (x > 0).to(torch.float64),  # Heaviside, with no gradient
    lambda xs: torch.stack(xs).sum(),
    lambda ws, xs: (torch.stack(ws) * torch.stack(xs)).sum(),
    lambda xs: torch.logsumexp(torch.stack(xs), 0),
    # Max pooling over one window: its gradient goes to the first largest, as ours does.
    lambda xs: torch.nn.functional.max_pool1d(torch.stack(xs).view(1, 1, -1), len(xs)).sum(),
)


@settings(max_examples=300)
@given(programs())
def test_random_expressions_match_pytorch(case: tuple[list[float], list[Instruction]]) -> None:
    inputs, program = case
    theirs_leaves, theirs_out = run(TORCH, inputs, program)
    # Programs whose values explode (ten squarings in a row) are not what this test is about;
    # our engine would rightly refuse them with an overflow error.
    assume(math.isfinite(theirs_out.item()) and abs(theirs_out.item()) < 1e8)
    ours_leaves, ours_out = run(OURS, inputs, program)
    assert ours_out.data == pytest.approx(theirs_out.item(), rel=1e-12, abs=1e-12)

    ours_out.backward()
    theirs_out.backward()
    for i, (mine, reference) in enumerate(zip(ours_leaves, theirs_leaves)):
        assert mine.grad == pytest.approx(reference.grad.item(), rel=1e-10, abs=1e-10), (
            f"d out / d input {i} for program {program}")


def test_the_course_function_matches_pytorch() -> None:
    # f(x, y, z) = 2/3 x**2 + y**2 - 2y + z**4 - 4/3 z**3 at (3, 2, 1): gradient (4, 2, 0).
    def f(x: Any, y: Any, z: Any) -> Any:
        return 2 / 3 * x**2 + y**2 - 2 * y + z**4 - 4 / 3 * z**3

    ours = [Value(v) for v in (3.0, 2.0, 1.0)]
    theirs = [TORCH.leaf(v) for v in (3.0, 2.0, 1.0)]
    f(*ours).backward()
    f(*theirs).backward()
    assert [v.grad for v in ours] == pytest.approx([t.grad.item() for t in theirs], rel=1e-15)
    assert [v.grad for v in ours] == pytest.approx([4.0, 2.0, 0.0], abs=1e-12)


@pytest.mark.parametrize("base", [-2.0, -0.5, 0.0, 0.5, 3.0])
@pytest.mark.parametrize("exponent", [0.0, 1.0, 2.0, 3.0, -1.0, -2.0, 0.5, 2.5])
def test_powers_with_a_number_exponent_match_pytorch(base: float, exponent: float) -> None:
    defined = base > 0 or (base == 0 and exponent >= 0) or (base < 0 and exponent.is_integer())
    finite_derivative = base != 0 or exponent == 0 or exponent >= 1
    if not (defined and finite_derivative):
        with pytest.raises(ag.OpError):
            x = Value(base)
            (x**exponent).backward()
        return
    x, t = Value(base), TORCH.leaf(base)
    (x**exponent).backward()
    (t**exponent).backward()
    assert x.grad == pytest.approx(t.grad.item(), rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("base", [0.0, 0.5, 2.0])
@pytest.mark.parametrize("exponent", [1.0, 2.0, 3.5])
def test_powers_with_a_value_exponent_match_pytorch(base: float, exponent: float) -> None:
    ours = [Value(base), Value(exponent)]
    theirs = [TORCH.leaf(base), TORCH.leaf(exponent)]
    (ours[0] ** ours[1]).backward()
    (theirs[0] ** theirs[1]).backward()
    assert [v.grad for v in ours] == pytest.approx([t.grad.item() for t in theirs], rel=1e-12)


def test_second_derivatives_match_pytorch() -> None:
    def f(x: Any, y: Any) -> Any:
        return (x * y).tanh() * x.exp() + (y * y + 1).log() / x

    point = (0.7, -1.3)
    ours = [Value(v) for v in point]
    ours_h = ag.hessian(f(*ours), ours)
    theirs_h = torch.autograd.functional.hessian(
        f, tuple(torch.tensor(v, dtype=torch.float64) for v in point))
    for i in range(2):
        for j in range(2):
            assert ours_h[i][j] == pytest.approx(theirs_h[i][j].item(), rel=1e-10)
