"""Every loss against PyTorch in float64: the value and the gradient of every output, to 1e-9."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import Value
from nn import losses

torch = pytest.importorskip("torch")
F = torch.nn.functional


def t64(numbers: list[float]) -> Any:
    return torch.tensor(numbers, dtype=torch.float64, requires_grad=True)


def compare(ours: Callable[[list[Value]], Value], theirs: Callable[[Any], Any],
            numbers: list[float]) -> None:
    """Run a loss on Values and its PyTorch counterpart on a tensor; values and grads agree."""
    values = [Value(x) for x in numbers]
    loss = ours(values)
    loss.backward()
    tensor = t64(numbers)
    reference = theirs(tensor)
    reference.backward()
    assert loss.data == pytest.approx(reference.item(), rel=1e-9, abs=1e-9)
    assert [v.grad for v in values] == pytest.approx(tensor.grad.tolist(), rel=1e-9, abs=1e-9)


def tensor(numbers: Any) -> Any:
    return torch.tensor(numbers, dtype=torch.float64)


@pytest.mark.parametrize(("outputs", "targets"), [
    ([0.7], [0.2]),
    ([0.7, -1.5, 3.0], [0.2, -1.5, -4.0]),  # one exact hit: mae's gradient there is 0, as torch's
])
def test_mse_and_mae(outputs: list[float], targets: list[float]) -> None:
    compare(lambda v: losses.mse(v, targets), lambda t: F.mse_loss(t, tensor(targets)), outputs)
    compare(lambda v: losses.mae(v, targets), lambda t: F.l1_loss(t, tensor(targets)), outputs)


def test_regression_losses_take_a_single_value_and_number() -> None:
    assert losses.mse(Value(3.0), 1).data == 4.0
    assert losses.mae(Value(3.0), Value(1.0)).data == 2.0
    assert ag.topological_order(losses.mse(Value(3.0), 1.0))[-1].op == "pow"  # no sum of one


@pytest.mark.parametrize("p", [0.01, 0.3, 0.5, 0.999])
@pytest.mark.parametrize("y", [0.0, 1.0, 0.25])
def test_binary_cross_entropy(p: float, y: float) -> None:
    compare(lambda v: losses.binary_cross_entropy(v[0], y),
            lambda t: F.binary_cross_entropy(t[0], tensor(y)), [p])


def test_binary_cross_entropy_of_a_sure_and_right_prediction_is_zero() -> None:
    assert losses.binary_cross_entropy(Value(1.0), 1).data == 0.0  # -0.0 is 0
    assert losses.binary_cross_entropy([Value(0.0)], 0).data == 0.0


@pytest.mark.parametrize("z", [-1000.0, -40.0, -2.5, -1e-3, 0.0, 1e-3, 2.5, 40.0, 1000.0])
@pytest.mark.parametrize("y", [0.0, 1.0, 0.7])
def test_binary_cross_entropy_with_logits_is_stable(z: float, y: float) -> None:
    compare(lambda v: losses.binary_cross_entropy_with_logits(v[0], y),
            lambda t: F.binary_cross_entropy_with_logits(t[0], tensor(y)), [z])


LOGITS = [[0.0], [1.0, 2.0, 3.0], [-0.5, 4.0, 0.25, -3.0], [1000.0, 0.0, -1000.0],
          [1000.0, 1000.0], [-1000.0, -999.0, -1001.0]]


@pytest.mark.parametrize("logits", LOGITS)
def test_cross_entropy_for_every_class(logits: list[float]) -> None:
    for target in range(len(logits)):
        compare(lambda v, c=target: losses.cross_entropy(v, c),
                lambda t, c=target: F.cross_entropy(t[None, :], torch.tensor([c])), logits)


@pytest.mark.parametrize("logits", LOGITS)
def test_softmax_log_softmax_and_log_sum_exp(logits: list[float]) -> None:
    # Weight each output differently, so every entry of the Jacobian reaches the gradient.
    weights = [1.0 + 0.5 * i for i in range(len(logits))]
    compare(lambda v: ag.dot(weights, losses.softmax(v)),
            lambda t: (tensor(weights) * F.softmax(t, dim=0)).sum(), logits)
    compare(lambda v: ag.dot(weights, losses.log_softmax(v)),
            lambda t: (tensor(weights) * F.log_softmax(t, dim=0)).sum(), logits)
    compare(losses.log_sum_exp, lambda t: torch.logsumexp(t, dim=0), logits)


@settings(max_examples=40)
@given(st.lists(st.floats(-50, 50), min_size=1, max_size=6), st.data())
def test_cross_entropy_on_random_logits(logits: list[float], data: st.DataObject) -> None:
    target = data.draw(st.integers(0, len(logits) - 1))
    compare(lambda v: losses.cross_entropy(v, target),
            lambda t: F.cross_entropy(t[None, :], torch.tensor([target])), logits)


@settings(max_examples=30)
@given(st.lists(st.floats(-50, 50), min_size=2, max_size=6), st.data())
def test_cross_entropy_with_a_row_of_probabilities(logits: list[float],
                                                    data: st.DataObject) -> None:
    n = len(logits)
    target = data.draw(st.integers(0, n - 1))
    one_hot = [float(i == target) for i in range(n)]
    weights = data.draw(st.lists(st.floats(0.1, 1), min_size=n, max_size=n))
    soft = [w / sum(weights) for w in weights]
    for row in (one_hot, soft, [Value(t) for t in soft]):
        compare(lambda v, row=row: losses.cross_entropy(v, row),
                lambda t, row=row: F.cross_entropy(t[None, :], tensor([[float(x) for x in row]])),
                logits)
    # A one-hot row gives exactly the class index's numbers.
    by_index, by_row = losses.cross_entropy([Value(z) for z in logits], target), \
        losses.cross_entropy([Value(z) for z in logits], one_hot)
    assert by_index.data == by_row.data


def test_targets_may_be_values_and_stay_in_the_graph() -> None:
    # A Value target is computed with, not read: the loss depends on it (as a trace needs).
    y, score = Value(-1.0, label="y"), Value(0.5)
    loss = losses.hinge(score, y)
    assert y in ag.topological_order(loss) and loss.data == 1.5
    z, t = Value(0.3), Value(1.0, label="t")
    assert t in ag.topological_order(losses.binary_cross_entropy_with_logits(z, t))


@pytest.mark.parametrize("score", [-2.0, 0.3, 1.0, 2.5])
@pytest.mark.parametrize("y", [-1, 1])
def test_hinge_is_micrograds_max_margin(score: float, y: int) -> None:
    compare(lambda v: losses.hinge(v, y), lambda t: torch.relu(1 - y * t[0]), [score])


def test_penalties_on_parameters() -> None:
    numbers = [0.5, -2.0, 0.0, 3.0]
    compare(losses.l1_penalty, lambda t: t.abs().sum(), numbers)
    compare(losses.l2_penalty, lambda t: (t ** 2).sum(), numbers)
    compare(lambda v: losses.l2_penalty(v, strength=1e-3), lambda t: 1e-3 * (t ** 2).sum(),
            numbers)
    compare(lambda v: losses.l1_penalty(iter(v), 0.5), lambda t: 0.5 * t.abs().sum(), numbers)
    assert losses.l2_penalty([]).data == 0.0


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: losses.mse([Value(1.0), Value(2.0)], [1.0]), ValueError,
     r"mse: 2 output\(s\) but 1 target\(s\)"),
    (lambda: losses.mae(Value(1.0), "1"), TypeError, "mae: a target must be a number, got str"),
    (lambda: losses.mse(Value(1.0), float("nan")), ValueError, "mse: a target must be finite"),
    (lambda: losses.mse([], []), ValueError, "mse: the output is an empty list"),
    (lambda: losses.mse("ab", 1.0), TypeError, "the output must be a Value or a list"),
    (lambda: losses.cross_entropy([Value(1.0), Value(2.0)], 2), ValueError,
     r"class index 2 is out of range for 2 classes \(0 to 1\)"),
    (lambda: losses.cross_entropy([Value(1.0)], -1), ValueError, "class index -1 is out of range"),
    (lambda: losses.cross_entropy([Value(1.0)], 0.0), TypeError,
     r"class index \(int\) or a row of class probabilities, got float"),
    (lambda: losses.cross_entropy([Value(1.0), Value(2.0)], [1.0]), ValueError,
     "2 logits but a target row of 1"),
    (lambda: losses.cross_entropy([Value(1.0), Value(2.0)], [0.5, 0.6]), ValueError,
     r"class probabilities \(>= 0, summing to 1\), got \[0.5, 0.6\]"),
    (lambda: losses.cross_entropy([Value(1.0), Value(2.0)], [1.5, -0.5]), ValueError,
     "summing to 1"),
    (lambda: losses.hinge(Value(0.5), Value(0.0)), ValueError, "the target must be -1 or"),
    (lambda: losses.cross_entropy([Value(1.0)], True), TypeError, "got bool"),
    (lambda: losses.binary_cross_entropy(Value(1.5), 1), ValueError,
     "must be a probability in .0, 1., got 1.5; for raw scores use"),
    (lambda: losses.binary_cross_entropy(Value(1.0), 0), ValueError,
     "the loss is infinite for probability 1.0 and target 0.0"),
    (lambda: losses.binary_cross_entropy(Value(0.5), 2), ValueError, r"target must be in \[0, 1\]"),
    (lambda: losses.binary_cross_entropy_with_logits([Value(0.5), Value(1.0)], 1), ValueError,
     "expected one output, got 2"),
    (lambda: losses.hinge(Value(0.5), 0), ValueError, "hinge: the target must be -1 or \\+1"),
    (lambda: losses.l2_penalty([Value(1.0), 2.0]), TypeError,
     "parameter 1 is a float, not a Value; pass model.parameters()"),
])
def test_bad_input_is_named(call, error, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=message):
        call()
