"""Batched replay gives the scalar path's numbers over a whole batch, and refuses what it cannot.

"Same numbers" means to 1e-12, relative to the largest value compared (summation order differs:
a batch's parameter gradient is summed by numpy, the scalar path's one sample at a time).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import OPS, OpError, Trace, TraceError, Value, trace

from ..programs import OURS, Instruction, build, programs
from ..test_ops import SPECS


def assert_same(mine: Any, reference: Any, what: str = "") -> None:
    mine, reference = np.asarray(mine, dtype=float), np.asarray(reference, dtype=float)
    scale = max(1.0, float(np.abs(reference).max(initial=0.0)))
    np.testing.assert_allclose(mine, reference, rtol=1e-12, atol=1e-12 * scale, err_msg=what)


def scalar_path(fn: Callable[..., Any], parameters: Sequence[Value], X: np.ndarray,
                weights: np.ndarray | None = None) -> tuple[list[list[float]], list[float],
                                                          list[list[float]]]:
    """Outputs, parameter gradients (summed over samples) and input gradients, one sample at a
    time with ordinary Values: the reference replay must match."""
    for p in parameters:
        p.grad = 0.0
    outputs, input_grads = [], []
    for b, row in enumerate(X):
        inputs = [Value(float(x)) for x in row]
        result = fn(*inputs)
        results = [result] if isinstance(result, Value) else list(result)
        outputs.append([r.data for r in results])
        w = np.ones(len(results)) if weights is None else np.atleast_1d(weights[b])
        total = ag.sum([float(wj) * r for wj, r in zip(w, results)])
        total.backward()
        input_grads.append([x.grad for x in inputs])
    return outputs, [p.grad for p in parameters], input_grads


def check_against_scalar(fn: Callable[..., Any], parameters: Sequence[Value], X: np.ndarray,
                         weights: np.ndarray | None = None) -> Trace:
    outputs, parameter_grads, input_grads = scalar_path(fn, parameters, X, weights)
    for p in parameters:
        p.grad = 0.0
    replay = trace(fn, X.shape[1])
    got = replay(X)
    replay.backward(weights)
    assert_same(got.reshape(len(X), -1), outputs, "outputs")
    assert_same([p.grad for p in parameters], parameter_grads, "parameter gradients")
    assert_same(replay.input_grad, input_grads, "input gradients")
    return replay


# --- every op, with every kind of operand ---------------------------------------------------

KINDS = ("input", "parameter", "constant")


@pytest.mark.parametrize("name", sorted(OPS))
@settings(max_examples=15)
@given(data=st.data())
def test_every_op_replays_like_the_scalar_path(name: str, data: st.DataObject) -> None:
    spec = SPECS[name]
    rows = [list(data.draw(spec.inputs, label="sample")) for _ in range(4)]
    arity = len(rows[0])
    kinds = [data.draw(st.sampled_from(KINDS), label=f"operand {i}") for i in range(arity)]
    if name == "pow":
        kinds[1] = "constant"  # a number exponent: the op of a Value exponent is pow_value
        for row in rows[1:]:  # one exponent for all (it is a constant), bases in its domain
            row[1] = rows[0][1]
            if row[1] != round(row[1]):
                row[0] = abs(row[0]) + 0.05
    assume("input" in kinds)
    parameters = {i: Value(rows[0][i], label=f"p{i}") for i in range(arity)
                  if kinds[i] == "parameter"}
    columns = [i for i in range(arity) if kinds[i] == "input"]

    def fn(*xs: Value) -> Value:
        given_inputs = dict(zip(columns, xs))
        operands = [given_inputs.get(i, parameters.get(i, rows[0][i])) for i in range(arity)]
        return ag.apply(name, *operands)

    X = np.array([[row[i] for i in columns] for row in rows])
    check_against_scalar(fn, list(parameters.values()), X)


# --- random programs --------------------------------------------------------------------------

@settings(max_examples=150)
@given(programs(), st.data())
def test_random_programs_replay_like_the_scalar_path(
        case: tuple[list[float], list[Instruction]], data: st.DataObject) -> None:
    values, program = case
    n_inputs = data.draw(st.integers(1, len(values)), label="inputs")
    parameters = [Value(v) for v in values[n_inputs:]]
    offsets = data.draw(st.lists(st.floats(-1, 1), min_size=3 * n_inputs,
                                 max_size=3 * n_inputs), label="other samples")
    X = np.array([values[:n_inputs]] + [
        [values[i] + offsets[k * n_inputs + i] for i in range(n_inputs)] for k in range(3)])

    def fn(*xs: Value) -> Value:
        return build(OURS, [*xs, *parameters], program)

    try:
        with np.errstate(all="ignore"):
            outputs, _, _ = scalar_path(fn, parameters, X)
    except OpError:
        assume(False)  # some sample leaves an op's domain: the scalar path refuses it too
    assume(all(abs(o[0]) < 1e8 for o in outputs))
    check_against_scalar(fn, parameters, X)


# --- models -------------------------------------------------------------------------------------

def mlp(sizes: Sequence[int], seed: int = 0, fine: bool = False) -> tuple[Callable[..., Any],
                                                                            list[Value]]:
    import nn

    model = nn.MLP(sizes[0], list(sizes[1:]), seed=seed, fine_grained=fine)
    return (lambda *x: model(list(x))), model.parameters()


@pytest.mark.parametrize("fine", [False, True])
def test_an_mlp_with_several_outputs_and_weights_per_sample(fine: bool) -> None:
    fn, parameters = mlp([3, 5, 4, 2], fine=fine)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(9, 3))
    weights = rng.normal(size=(9, 2))
    replay = check_against_scalar(fn, parameters, X, weights)
    assert replay(X).shape == (9, 2)
    assert len(replay.parameters) == len(parameters) == (3 + 1) * 5 + (5 + 1) * 4 + (4 + 1) * 2


def test_micrograd_demo_loss_with_a_penalty_shared_by_the_batch() -> None:
    import nn

    model = nn.MLP(2, [16, 16, 1], seed=1)

    def loss(x0: Value, x1: Value, y: Value) -> Value:
        score = model([x0, x1])[0]
        return (1 - y * score).relu() + nn.losses.l2_penalty(model.parameters(), 1e-4)

    X, y = nn.data.moons(100, noise=0.1, seed=0)
    batch = np.c_[np.array(X), 2 * np.array(y) - 1]
    replay = check_against_scalar(loss, model.parameters(), batch, np.full(100, 0.01))
    # The penalty is computed once per batch, not once per sample: 337 squares, one sum.
    assert "337 parameters" in repr(replay)


def test_an_input_used_twice_and_a_dot_with_repeated_inputs() -> None:
    w = [Value(0.5), Value(-1.5), Value(2.0)]

    def fn(x: Value, y: Value) -> list[Value]:
        return [x * x + y, ag.dot(w, [x, x, y]), ag.dot([x, y], [x, y]), ag.sum([x, x, w[0]])]

    X = np.array([[1.0, 2.0], [-3.0, 0.5], [0.25, -1.0]])
    check_against_scalar(fn, w, X)


def test_outputs_that_do_not_depend_on_the_inputs() -> None:
    w = Value(3.0)
    X = np.array([[1.0], [2.0]])
    replay = check_against_scalar(lambda x: [w * w, x * w, Value(7.0) * 1], [w], X)
    assert replay(X)[:, 0].tolist() == [9.0, 9.0]


def test_parameters_change_between_batches() -> None:
    w = Value(1.0)
    replay = trace(lambda x: w * x, 1)
    assert replay(np.array([[2.0]])).tolist() == [2.0]
    w.data = 5.0
    assert replay(np.array([[2.0]])).tolist() == [10.0]


def test_backward_accumulates_like_leaf_gradients_do() -> None:
    w = Value(2.0)
    replay = trace(lambda x: w * x, 1)
    replay(np.array([1.0, 2.0, 3.0]))
    replay.backward()
    replay.backward()
    assert w.grad == 12.0


def test_the_recorded_graph_is_one_samples_scalar_graph() -> None:
    w = Value(2.0, label="w")
    replay = trace(lambda x: (w * x).tanh(), 1, example=[0.5])
    out = replay.outputs[0]
    assert out.data == math.tanh(1.0) and replay.inputs[0].label == "x0"
    assert [step.node.op or step.node.label for step in ag.backward_steps(out)] == [
        "tanh", "mul", "x0", "w"]
    assert replay.parameters == [w]
    assert w.grad == 0.0  # recording does not run backward


def test_a_layer_is_one_group_per_op() -> None:
    fn, _ = mlp([4, 8, 3])
    replay = trace(fn, 4)
    replay(np.zeros((2, 4)))
    # dot, + bias, relu for the hidden layer; dot, + bias for the (linear) output layer.
    assert "30 ops in 5 groups" in repr(replay)


# --- graphs that depend on the data -------------------------------------------------------------

def branchy(x: Value) -> Value:
    return x * 2 if x > 0 else x * 3


def test_a_branch_every_sample_takes_the_same_way_is_fine() -> None:
    replay = trace(branchy, 1)
    assert replay(np.array([1.0, 2.0])).tolist() == [2.0, 4.0]
    assert replay.retraces == 0


def test_a_batch_that_goes_the_other_way_is_recorded_again() -> None:
    replay = trace(branchy, 1)
    replay(np.array([1.0, 2.0]))
    assert replay(np.array([-1.0, -2.0])).tolist() == [-3.0, -6.0]
    assert replay.retraces == 1


def test_a_batch_that_splits_at_a_branch_is_refused_with_the_samples_named() -> None:
    replay = trace(branchy, 1)
    with pytest.raises(TraceError, match=r"branches on `x0 > 0`.*samples 0 and 2"):
        replay(np.array([1.0, 2.0, -1.0]))


def test_a_branch_on_a_parameter_is_checked_again_after_it_changes() -> None:
    w = Value(1.0, label="w")
    replay = trace(lambda x: x * w if w > 0 else x - w, 1)
    assert replay(np.array([3.0])).tolist() == [3.0]
    w.data = -1.0
    assert replay(np.array([3.0])).tolist() == [4.0]
    assert replay.retraces == 1


def test_float_of_a_varying_value_is_refused_while_recording() -> None:
    with pytest.raises(TraceError, match="float"):
        trace(lambda x: Value(float(x * 2)), 1, example=[1.0])
    # float() of a Constant-only value is fine: it is the same for every sample.
    replay = trace(lambda x: x * float(ag.Constant(2.0) * 1.5), 1)
    assert replay(np.array([1.0, 2.0])).tolist() == [3.0, 6.0]


def test_reading_data_is_caught_by_running_fn_on_other_samples() -> None:
    replay = trace(lambda x: x * x.data, 1)
    with pytest.raises(TraceError, match="sample 1, fn gives output 0 = 4, but the recorded graph"):
        replay(np.array([1.0, 2.0, 3.0]))


def test_randomness_is_caught_too() -> None:
    rng = random.Random(0)
    replay = trace(lambda x: x * rng.random(), 1)
    with pytest.raises(TraceError, match="randomness"):
        replay(np.array([1.0, 2.0, 3.0]))


# --- errors name the sample, and write nothing ----------------------------------------------

def test_a_forward_error_names_the_op_and_the_sample() -> None:
    w = Value(1.0, label="w")
    replay = trace(lambda x: (x - w).log(), 1)
    with pytest.raises(OpError, match=r"sample 2: log\(-1\): log needs x > 0"):
        replay(np.array([3.0, 2.0, 0.0]))
    with pytest.raises(OpError, match=r"sample 1: exp\(1000\): the result overflows"):
        trace(lambda x: (x * 1000).exp(), 1)(np.array([0.0, 1.0]))


def test_a_backward_error_leaves_every_gradient_as_it_was() -> None:
    w = Value(1.0, label="w")
    w.grad = 0.5
    replay = trace(lambda x: (x * w).sqrt(), 1)
    replay(np.array([4.0, 0.0]))
    with pytest.raises(OpError, match=r"sample 1: backward of sqrt\(0\).*infinite"):
        replay.backward()
    assert w.grad == 0.5


@pytest.mark.parametrize(("batch", "message"), [
    (np.zeros((2, 3)), r"shape \(batch, 2\).*got shape \(2, 3\)"),
    (np.zeros((0, 2)), "at least one sample"),
    ([[1.0, float("nan")]], "sample 0, input 1 is nan"),
    ([[1.0, "a"]], "must be numbers"),
])
def test_a_bad_batch_is_refused(batch: Any, message: str) -> None:
    replay = trace(lambda x, y: x * y, 2)
    with pytest.raises((TypeError, ValueError), match=message):
        replay(batch)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(TypeError, match="fn must be a function"):
        trace(3, 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n_inputs must be an int of at least 1"):
        trace(lambda: Value(1.0), 0)
    with pytest.raises(TypeError, match="must return a Value"):
        trace(lambda x: "x", 1, example=[1.0])
    replay = trace(lambda x: x * 2, 1)
    with pytest.raises(RuntimeError, match="nothing is recorded yet"):
        replay.outputs  # noqa: B018
    with pytest.raises(RuntimeError, match="needs a forward pass first"):
        replay.backward()
    replay(np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"grad must have shape \(2,\)"):
        replay.backward(np.ones(3))
    with pytest.raises(ValueError, match="grad must be finite"):
        replay.backward([1.0, math.inf])


def test_importing_the_engine_does_not_import_numpy() -> None:
    import subprocess
    import sys

    code = "import sys, autograd_core; print('numpy' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"


# --- found in review -------------------------------------------------------------------------

def log_of_magnitude(x: Value) -> Value:
    return x.log() if x > 0 else (-x).log()  # the branch not taken cannot even be computed


def test_branches_are_checked_before_the_rest_of_the_graph_is_computed() -> None:
    replay = trace(log_of_magnitude, 1)
    replay(np.array([1.0, 2.0]))
    assert replay(np.array([-1.0, -2.0])).tolist() == [0.0, math.log(2.0)]  # recorded again
    with pytest.raises(TraceError, match="samples 0 and 1 of this batch go different ways"):
        trace(log_of_magnitude, 1)(np.array([1.0, -2.0]))


def test_the_check_waits_for_samples_that_differ_from_the_recorded_one() -> None:
    replay = trace(lambda x: x * x.data, 1)
    assert replay(np.array([2.0])).tolist() == [4.0]  # nothing to compare with yet
    with pytest.raises(TraceError, match="sample 1, fn gives output 0 = 9"):
        replay(np.array([2.0, 3.0]))


def test_check_looks_at_a_whole_data_set_before_training() -> None:
    # The target column reads .data: a batch of one class would not show it; the data does.
    replay = trace(lambda x, y: (x - y.data) ** 2, 2)
    with pytest.raises(TraceError, match="sample 2"):  # the first one whose y differs
        replay.check(np.array([[1.0, 0.0], [2.0, 0.0], [3.0, 1.0]]))


def test_backward_after_a_failed_forward_is_refused() -> None:
    w = Value(1.0)
    replay = trace(lambda x: (x * w).log(), 1)
    replay(np.array([1.0, 2.0]))
    with pytest.raises(OpError):
        replay(np.array([1.0, -2.0]))
    with pytest.raises(RuntimeError, match="needs a forward pass first"):
        replay.backward()


def test_a_node_no_gradient_reaches_is_skipped_like_the_scalar_path_skips_it() -> None:
    # sqrt(0) has no derivative, but behind a step no gradient reaches it, in either path.
    fn = lambda x, y: x.sqrt().step() + y.sqrt()  # noqa: E731
    check_against_scalar(fn, [], np.array([[0.0, 1.0], [4.0, 1.0]]))


def test_inputs_refuse_what_a_number_would_answer_differently() -> None:
    with pytest.raises(TraceError, match="compares the input x0 with == or !="):
        trace(lambda x: x * 2 if x == 1 else x, 1)(np.array([1.0, 2.0]))
    with pytest.raises(TraceError, match=r"whether the input x0 is true \(`if x:`\)"):
        trace(lambda x: x * 2 if x else x, 1)(np.array([1.0, 2.0]))
    replay = trace(lambda x, y: x * 2 if x is y else x, 2)  # identity stays identity
    assert replay(np.array([[1.0, 1.0]])).tolist() == [1.0]


def test_no_overflow_from_the_side_of_an_op_that_is_not_taken() -> None:
    w = Value(10.0)
    check_against_scalar(lambda x: x.leaky_relu(w), [w], np.array([[1e308], [-1.0]]))
