"""Loss functions and penalties, each written once on Values.

A loss takes a model's output for one sample (a Value, or a list of Values) and its target (a
number, a list of numbers, or a class index for `cross_entropy`) and returns a Value. Average
the losses of a batch with `autograd_core.sum(batch_losses) / len(batch_losses)`.

>>> from autograd_core import Value
>>> round(cross_entropy([Value(1000.0), Value(0.0)], 1).data, 6)   # stable for large logits
1000.0
>>> [round(p.data, 4) for p in softmax([Value(0.0), Value(0.0)])]
[0.5, 0.5]
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import autograd_core as ag
from autograd_core import Value, as_value

__all__ = ["mse", "mae", "binary_cross_entropy", "binary_cross_entropy_with_logits",
           "log_sum_exp", "softmax", "log_softmax", "cross_entropy", "hinge",
           "l1_penalty", "l2_penalty"]

Output = Value | Sequence[Value]
Target = float | Value


def _outputs(loss: str, output: object) -> list[Value]:
    """A loss's output argument as a non-empty list of Values."""
    if isinstance(output, Value):
        return [output]
    if isinstance(output, (str, bytes)) or not isinstance(output, Sequence):
        raise TypeError(f"{loss}: the output must be a Value or a list of Values, got "
                        f"{type(output).__name__}")
    if not output:
        raise ValueError(f"{loss}: the output is an empty list")
    return [as_value(element, loss) for element in output]


def _number(loss: str, target: object) -> float:
    """A target as a finite float (a Value target gives its data)."""
    if isinstance(target, Value):
        target = target.data
    if isinstance(target, bool) or not isinstance(target, (int, float)):
        raise TypeError(f"{loss}: a target must be a number, got {type(target).__name__}: "
                        f"{target!r:.40}")
    if not math.isfinite(target):
        raise ValueError(f"{loss}: a target must be finite, got {target}")
    return float(target)


def _one_output(loss: str, output: object) -> Value:
    outputs = _outputs(loss, output)
    if len(outputs) != 1:
        raise ValueError(f"{loss}: expected one output, got {len(outputs)}")
    return outputs[0]


def _pairs(loss: str, output: object, target: object) -> list[tuple[Value, Target]]:
    """(output, target) pairs of a regression loss: as many targets as outputs."""
    outputs = _outputs(loss, output)
    targets = list(target) if isinstance(target, (list, tuple)) else [target]
    if len(targets) != len(outputs):
        raise ValueError(f"{loss}: {len(outputs)} output(s) but {len(targets)} target(s)")
    checked = [t if isinstance(t, Value) else _number(loss, t) for t in targets]
    return list(zip(outputs, checked))


def _mean(terms: list[Value]) -> Value:
    # One output (the usual case) gives the term itself, so a drawing shows no sum of one.
    return terms[0] if len(terms) == 1 else ag.sum(terms) / len(terms)


def mse(output: Output, target: Target | Sequence[Target]) -> Value:
    """Mean squared error: mean over outputs of (output - target) ** 2."""
    return _mean([(o - t) ** 2 for o, t in _pairs("mse", output, target)])


def mae(output: Output, target: Target | Sequence[Target]) -> Value:
    """Mean absolute error: mean over outputs of |output - target|."""
    return _mean([abs(o - t) for o, t in _pairs("mae", output, target)])


def _probability_target(loss: str, target: object) -> float:
    y = _number(loss, target)
    if not 0 <= y <= 1:
        raise ValueError(f"{loss}: the target must be in [0, 1] (a class 0 or 1, or a "
                         f"probability), got {y}")
    return y


def binary_cross_entropy(probability: Output, target: Target) -> Value:
    """-(y log p + (1 - y) log(1 - p)) for a probability p (say, a sigmoid output).

    For raw scores use `binary_cross_entropy_with_logits`, which stays finite where a sigmoid
    rounds to exactly 0 or 1.
    """
    loss = "binary_cross_entropy"
    p = _one_output(loss, probability)
    y = _probability_target(loss, target)
    if not 0 <= p.data <= 1:
        raise ValueError(f"{loss}: the output must be a probability in [0, 1], got {p.data}; "
                         "for raw scores use binary_cross_entropy_with_logits")
    if (p.data == 0 and y > 0) or (p.data == 1 and y < 1):
        raise ValueError(f"{loss}: the loss is infinite for probability {p.data} and target "
                         f"{y}; binary_cross_entropy_with_logits stays finite")
    # A term whose weight is 0 is left out: log(0) would fail where the term counts for nothing.
    terms = []
    if y > 0:
        terms.append(p.log() if y == 1 else y * p.log())
    if y < 1:
        terms.append((1 - p).log() if y == 0 else (1 - y) * (1 - p).log())
    return -(terms[0] + terms[1]) if len(terms) == 2 else -terms[0]


def binary_cross_entropy_with_logits(logit: Output, target: Target) -> Value:
    """Binary cross-entropy of sigmoid(z), computed from the logit z without overflow.

    Equal to z (1 - y) + log(1 + e**-z), which is rewritten for negative z as
    log(1 + e**z) - z y, so e is only ever raised to a non-positive power.
    """
    loss = "binary_cross_entropy_with_logits"
    z = _one_output(loss, logit)
    y = _probability_target(loss, target)
    # Both forms are exact everywhere (their gradient is sigmoid(z) - y, also at z = 0); the
    # branch only picks the one that cannot overflow.
    if z.data >= 0:
        return z * (1 - y) + (1 + (-z).exp()).log()
    return (1 + z.exp()).log() - z * y


def log_sum_exp(logits: Output) -> Value:
    """log(e**z1 + ... + e**zn), computed as m + log(sum of e**(zi - m)) with m = max zi."""
    zs = _outputs("log_sum_exp", logits)
    # Shifting by the largest logit keeps every exponent <= 0 (no overflow) and at least one
    # term equal to 1 (no log(0)); m is a number, so it changes no gradient.
    m = max(z.data for z in zs)
    return ag.sum([(z - m).exp() for z in zs]).log() + m


def softmax(logits: Output) -> list[Value]:
    """Probabilities e**zi / sum of e**zj, one per logit (stable for large logits)."""
    zs = _outputs("softmax", logits)
    m = max(z.data for z in zs)
    exps = [(z - m).exp() for z in zs]
    total = ag.sum(exps)
    return [e / total for e in exps]


def log_softmax(logits: Output) -> list[Value]:
    """log(softmax(z)) as zi - log_sum_exp(z), without taking the log of a tiny probability."""
    zs = _outputs("log_softmax", logits)
    lse = log_sum_exp(zs)
    return [z - lse for z in zs]


def cross_entropy(logits: Output, target: int) -> Value:
    """-log softmax(z)[target]: the loss of the logits `z` for the class index `target`."""
    zs = _outputs("cross_entropy", logits)
    if isinstance(target, bool) or not isinstance(target, int):
        raise TypeError(f"cross_entropy: the target must be a class index (int), got "
                        f"{type(target).__name__}: {target!r:.40}")
    if not 0 <= target < len(zs):
        raise ValueError(f"cross_entropy: class index {target} is out of range for "
                         f"{len(zs)} classes (0 to {len(zs) - 1})")
    return log_sum_exp(zs) - zs[target]


def hinge(score: Output, target: Target) -> Value:
    """Max-margin loss max(0, 1 - y * score) for a label y of -1 or +1 (micrograd's demo)."""
    s = _one_output("hinge", score)
    y = _number("hinge", target)
    if y not in (-1.0, 1.0):
        raise ValueError(f"hinge: the target must be -1 or +1, got {y}")
    return (1 - y * s).relu()


def _parameters(penalty: str, parameters: Iterable[Value]) -> list[Value]:
    values = list(parameters)
    for index, p in enumerate(values):
        if not isinstance(p, Value):
            raise TypeError(f"{penalty}: parameter {index} is a {type(p).__name__}, not a "
                            "Value; pass model.parameters()")
    return values


def l1_penalty(parameters: Iterable[Value], strength: float = 1.0) -> Value:
    """strength * (|p1| + ... + |pn|): pushes weights to exactly 0 (sparse models)."""
    total = ag.sum([abs(p) for p in _parameters("l1_penalty", parameters)])
    return total if strength == 1 else strength * total


def l2_penalty(parameters: Iterable[Value], strength: float = 1.0) -> Value:
    """strength * (p1**2 + ... + pn**2): weight decay, which keeps weights small."""
    total = ag.sum([p ** 2 for p in _parameters("l2_penalty", parameters)])
    return total if strength == 1 else strength * total
