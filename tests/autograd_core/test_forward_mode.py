"""Forward mode (jvp, jacobian): against PyTorch's forward mode (torch.func.jvp, float64) on
random programs, against reverse mode on every Jacobian, against finite differences, and bad
input."""

from __future__ import annotations

import math
import random
import warnings

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import Value

from .programs import OURS, Instruction, build, programs, run

torch = pytest.importorskip("torch")
with warnings.catch_warnings():  # torch.func's first use warns of TorchScript's deprecation
    warnings.simplefilter("ignore", DeprecationWarning)
    torch.func.jvp(torch.sin, (torch.zeros(()),), (torch.ones(()),))

from .test_against_torch import TORCH  # noqa: E402  (needs torch)


@settings(max_examples=200)
@given(programs(), st.lists(st.floats(-2, 2, allow_nan=False), min_size=4, max_size=4))
def test_jvp_matches_pytorchs_forward_mode(case: tuple[list[float], list[Instruction]],
                                           directions: list[float]) -> None:
    inputs, program = case
    tangents = directions[:len(inputs)]
    primals = tuple(torch.tensor(x, dtype=torch.float64) for x in inputs)
    out, theirs = torch.func.jvp(lambda *xs: build(TORCH, list(xs), program), primals,
                                 tuple(torch.tensor(t, dtype=torch.float64) for t in tangents))
    assume(math.isfinite(out.item()) and abs(out.item()) < 1e8)
    leaves, ours_out = run(OURS, inputs, program)
    mine = ag.jvp(ours_out, leaves, tangents)
    assert mine == pytest.approx(theirs.item(), rel=1e-10, abs=1e-10), program


@settings(max_examples=100)
@given(programs(), programs())
def test_forward_and_reverse_jacobians_agree(first: tuple[list[float], list[Instruction]],
                                             second: tuple[list[float], list[Instruction]]
                                             ) -> None:
    inputs, program = first
    leaves, out1 = run(OURS, inputs, program)
    assume(abs(out1.data) < 1e8)
    # A second output over the same leaves (its program's operands reduced to them).
    other = [(name, tuple(k % len(leaves) for k in operands)) for name, operands in second[1]]
    out2 = build(OURS, leaves, other[:1])
    assume(abs(out2.data) < 1e8)
    forward = ag.jacobian([out1, out2], leaves, mode="forward")
    reverse = ag.jacobian([out1, out2], leaves, mode="reverse")
    for row_f, row_r in zip(forward, reverse):
        assert row_f == pytest.approx(row_r, rel=1e-10, abs=1e-10)


def test_jvp_matches_finite_differences_on_the_course_network() -> None:
    program = ag.checking.EXERCISES["two-layer-network"]
    built = program.build()
    names = list(program.at)
    rng = random.Random(0)
    tangents = [rng.uniform(-1, 1) for _ in names]
    inputs = [built.values[name] for name in names]
    mine = ag.jvp(built.output, inputs, tangents)
    h = 1e-6

    def at(shift: float) -> float:
        point = {n: program.at[n] + shift * t for n, t in zip(names, tangents)}
        return ag.parse(program.program, **point).output.data

    assert mine == pytest.approx((at(h) - at(-h)) / (2 * h), rel=1e-6)


def test_several_outputs_intermediate_inputs_and_outputs_that_do_not_move() -> None:
    x, y = Value(3.0), Value(2.0)
    h = x * y
    f = h.tanh()
    unrelated = Value(5.0) * 2
    assert ag.jvp([f, h, unrelated], [x, y], [1.0, 0.0]) == pytest.approx(
        [y.data * (1 - math.tanh(6.0) ** 2), 2.0, 0.0])
    # An intermediate value as an input: its own parents are not followed.
    assert ag.jvp(f, [h], [1.0]) == pytest.approx(1 - math.tanh(6.0) ** 2)
    assert ag.jvp(f, [x, y], [0.0, 0.0]) == 0.0


def test_bad_input_is_named() -> None:
    x, y = Value(1.0), Value(2.0)
    with pytest.raises(ValueError, match=r"give one tangent per input \(2\), got \[1.0\]"):
        ag.jvp(x * y, [x, y], [1.0])
    with pytest.raises(ValueError, match=r"tangents\[1\] must be a finite number, got nan"):
        ag.jvp(x * y, [x, y], [1.0, math.nan])
    with pytest.raises(TypeError, match=r"inputs\[1\] must be a Value, got float"):
        ag.jvp(x * y, [x, 2.0], [1.0, 1.0])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="inputs name the same Value twice"):
        ag.jvp(x * y, [x, x], [1.0, 1.0])
    with pytest.raises(ValueError, match="mode must be 'reverse' or 'forward', got 'sideways'"):
        ag.jacobian([x * y], [x], mode="sideways")
    zero = Value(0.0)
    with pytest.raises(ag.OpError, match=r"jvp: d\(sqrt\)/d\(operand\) does not exist at "
                                         r"this point \(sqrt of 0\)"):
        ag.jvp(zero.sqrt(), [zero], [1.0])


def test_inputs_computed_from_each_other_are_refused() -> None:
    x = Value(3.0)
    y = x * 2
    with pytest.raises(ValueError, match="the inputs must not depend on each other, but input "
                                         "1 is computed from input 0"):
        ag.jacobian([x * y], [x, y], mode="forward")
    with pytest.raises(ValueError, match="must not depend on each other"):
        ag.jvp(x * y, [x, y], [1.0, 0.0])
