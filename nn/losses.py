"""Loss functions and penalties, each written once on Values.

A loss takes a model's output for one sample (a Value, or a list of Values) and its target (a
number, a list of numbers, or a class index for `cross_entropy`) and returns a Value. Average
the losses of a batch with `autograd_core.sum(batch_losses) / len(batch_losses)`, or let a
`MeanLoss` do it (with L1/L2 penalties if asked): that is the batch loss `nn.fit` trains with.

Targets may also be Values (a one-hot row of Values for `cross_entropy`), and no loss reads the
number inside a Value it computes with, nor branches on one: so a loss can be recorded once by
`autograd_core.trace` and replayed over a whole batch, as `fit` does. (`binary_cross_entropy`
is the exception: it leaves out a term whose weight is 0, so its graph depends on the target.)

>>> from autograd_core import Value
>>> round(cross_entropy([Value(1000.0), Value(0.0)], 1).data, 6)   # stable for large logits
1000.0
>>> [round(p.data, 4) for p in softmax([Value(0.0), Value(0.0)])]
[0.5, 0.5]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import autograd_core as ag
from autograd_core import Value, as_value

from .checks import check_real
from .module import Module

__all__ = ["mse", "mae", "binary_cross_entropy", "binary_cross_entropy_with_logits",
           "log_sum_exp", "softmax", "log_softmax", "cross_entropy", "hinge",
           "l1_penalty", "l2_penalty", "LOSSES", "MeanLoss"]

Output = Value | Sequence[Value]
Target = float | Value
PerSampleLoss = Callable[[Any, Any], Value]  # (model output, target) -> Value
BatchLoss = Callable[[list[Any], list[Any]], Value]  # (outputs, targets) -> Value


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

    Equal to log(1 + e**z) - z y, with the log written as log_sum_exp(0, z), so e is only
    ever raised to a non-positive power.
    """
    loss = "binary_cross_entropy_with_logits"
    z = _one_output(loss, logit)
    y = _value_target(loss, target, _probability_target)
    # log(1 + e**z) = log_sum_exp(0, z), which shifts by the larger exponent itself: no
    # overflow for either sign of z, and no branch on z's value. Its derivative is
    # sigmoid(z), computed as e**(z - out), accurate even where it is tiny (z << 0).
    return ag.logsumexp([0.0, z]) - z * y


def log_sum_exp(logits: Output) -> Value:
    """log(e**z1 + ... + e**zn), as one `logsumexp` node (stable for any finite logits)."""
    return ag.logsumexp(_outputs("log_sum_exp", logits))


def softmax(logits: Output) -> list[Value]:
    """Probabilities e**zi / sum of e**zj, one per logit, as e**(zi - log_sum_exp(z)).

    Every exponent is <= 0, so nothing overflows however large the logits are.
    """
    zs = _outputs("softmax", logits)
    lse = ag.logsumexp(zs)
    return [(z - lse).exp() for z in zs]


def log_softmax(logits: Output) -> list[Value]:
    """log(softmax(z)) as zi - log_sum_exp(z), without taking the log of a tiny probability."""
    zs = _outputs("log_softmax", logits)
    lse = log_sum_exp(zs)
    return [z - lse for z in zs]


def cross_entropy(logits: Output, target: int | Sequence[Target]) -> Value:
    """-log softmax(z)[target]: the loss of the logits `z` for the class index `target`.

    `target` may also be a row of class probabilities (a one-hot row, or soft labels) that
    sums to 1: the loss is then -sum of t_i log softmax(z)_i = log_sum_exp(z) - t . z.
    """
    zs = _outputs("cross_entropy", logits)
    if isinstance(target, (list, tuple)):
        return ag.logsumexp(zs) - ag.dot(_distribution(zs, target), zs)
    if isinstance(target, bool) or not isinstance(target, int):
        raise TypeError(f"cross_entropy: the target must be a class index (int) or a row of "
                        f"class probabilities, got {type(target).__name__}: {target!r:.40}")
    if not 0 <= target < len(zs):
        raise ValueError(f"cross_entropy: class index {target} is out of range for "
                         f"{len(zs)} classes (0 to {len(zs) - 1})")
    return ag.logsumexp(zs) - zs[target]


def _distribution(zs: list[Value], target: Sequence[Target]) -> list[Target]:
    """A cross_entropy target row, checked: one probability per class, summing to 1."""
    if len(target) != len(zs):
        raise ValueError(f"cross_entropy: {len(zs)} logits but a target row of {len(target)}")
    row = [t if isinstance(t, Value) else _number("cross_entropy", t) for t in target]
    numbers = [float(t.data) if isinstance(t, Value) else t for t in row]
    if min(numbers) < 0 or not math.isclose(sum(numbers), 1.0, rel_tol=1e-9):
        raise ValueError(f"cross_entropy: a target row holds class probabilities (>= 0, "
                         f"summing to 1), got {numbers}")
    return row


def hinge(score: Output, target: Target) -> Value:
    """Max-margin loss max(0, 1 - y * score) for a label y of -1 or +1 (micrograd's demo)."""
    s = _one_output("hinge", score)
    return (1 - _value_target("hinge", target, _sign_target) * s).relu()


def _sign_target(loss: str, target: object) -> float:
    y = _number(loss, target)
    if y not in (-1.0, 1.0):
        raise ValueError(f"{loss}: the target must be -1 or +1, got {y}")
    return y


def _value_target(loss: str, target: object, check: Callable[[str, object], float]
                  ) -> Value | float:
    """A target checked by `check`; a Value target is checked on its number and kept a Value
    (so a traced loss computes with it rather than with the number it held when recorded)."""
    number = check(loss, target)
    return target if isinstance(target, Value) else number


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


# --- the mean over a batch ------------------------------------------------------------------

# The losses a name can pick, each a loss of one sample: (model output, target) -> Value.
LOSSES: dict[str, PerSampleLoss] = {
    "mse": mse,
    "mae": mae,
    "binary_cross_entropy": binary_cross_entropy,
    "binary_cross_entropy_with_logits": binary_cross_entropy_with_logits,
    "cross_entropy": cross_entropy,
    "hinge": hinge,
}


def _per_sample_loss(per_sample: object) -> tuple[str, PerSampleLoss]:
    """A per-sample loss and its name, from a name in `LOSSES` or a function."""
    if isinstance(per_sample, str):
        if per_sample not in LOSSES:
            raise ValueError(f"unknown loss {per_sample!r}; choose one of: "
                             f"{', '.join(LOSSES)}, or pass a function")
        return per_sample, LOSSES[per_sample]
    if callable(per_sample):
        return getattr(per_sample, "__name__", type(per_sample).__name__), per_sample
    raise TypeError(f"MeanLoss: per_sample must be a loss name or a function, got "
                    f"{type(per_sample).__name__}")


def _parameter_list(where: str, parameters: object) -> list[Value]:
    """The parameters a penalty applies to, from a model or a list of its parameters."""
    if isinstance(parameters, Module):
        return parameters.parameters()
    if isinstance(parameters, Value) or not isinstance(parameters, Iterable):
        raise TypeError(f"{where}: parameters must be a model or a list of its parameters, got "
                        f"{type(parameters).__name__}")
    return list(parameters)


class MeanLoss:
    """A batch loss: a per-sample loss averaged over the batch, plus optional L1/L2 penalties.

    `per_sample` is a name from `LOSSES` or a function (output, target) -> Value. Penalties are
    `l1 * sum |p|` and `l2 * sum p**2` over `parameters` (a model, or a list of parameters).
    micrograd's demo loss is `MeanLoss("hinge", l2=1e-4, parameters=model)`.

    >>> from autograd_core import Value
    >>> MeanLoss("mse")([[Value(1.0)], [Value(3.0)]], [0.0, 0.0]).data   # (1 + 9) / 2
    5.0
    """

    def __init__(self, per_sample: str | PerSampleLoss, *, l1: float = 0.0, l2: float = 0.0,
                 parameters: Module | Iterable[Value] | None = None) -> None:
        self.name, self.per_sample = _per_sample_loss(per_sample)
        self.l1 = check_real("MeanLoss: l1", l1)
        self.l2 = check_real("MeanLoss: l2", l2)
        if (self.l1 or self.l2) and parameters is None:
            raise ValueError("MeanLoss: a penalty needs the parameters it applies to; pass "
                             "parameters=model")
        self.parameters = [] if parameters is None else _parameter_list("MeanLoss", parameters)

    def __call__(self, outputs: Sequence[Any], targets: Sequence[Any]) -> Value:
        """The mean of per_sample(output, target) over the batch, plus the penalties."""
        if len(outputs) != len(targets) or not outputs:
            raise ValueError(f"{self.name}: {len(outputs)} outputs but {len(targets)} targets")
        total = ag.sum([self.per_sample(o, t) for o, t in zip(outputs, targets)]) / len(outputs)
        if self.l1:
            total = total + l1_penalty(self.parameters, self.l1)
        if self.l2:
            total = total + l2_penalty(self.parameters, self.l2)
        return total

    def __repr__(self) -> str:
        penalties = "".join(f", {name}={strength:g}" for name, strength
                            in (("l1", self.l1), ("l2", self.l2)) if strength)
        return f"MeanLoss({self.name!r}{penalties})"
