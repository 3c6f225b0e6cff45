"""Replay's errors: `TraceError`, and the scalar path's own message for a step numpy failed.

When numpy raises in a group, the group's nodes are run again one sample at a time with the
op table's scalar rule, so the message is the one the scalar path gives, with the sample's
index: `sample 2: log(-1): log needs x > 0`.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from ..ops import Op, OpError, describe_call, failure_reason
from ..value import Value
from .groups import Group
from .storage import Slot, Storage

__all__ = ["TraceError", "sample_error", "scalar_failure"]


class TraceError(ValueError):
    """A function's graph cannot be replayed over this batch (it depends on the data)."""


def sample_error(name: str, sample: int, detail: str) -> OpError:
    """An OpError naming the trace and the sample; `sample` and `detail` are kept on it."""
    error = OpError(f"trace of {name}, sample {sample}: {detail}")
    # For callers that number samples their own way (fit: by their place in the data).
    error.sample, error.detail = sample, detail  # type: ignore[attr-defined]
    return error


def scalar_failure(name: str, group: Group, slots: dict[Value, Slot], values: Storage,
                   grads: Storage | None) -> Exception:
    """The error the scalar path gives, for the first node and sample where numpy failed
    (forward if `grads` is None, else backward)."""
    for sample in range(values.batch_size):
        for node in group.nodes:
            detail = _scalar_step_error(group.op, node, slots, sample, values, grads)
            if detail is not None:
                return sample_error(name, sample, detail)
    return OpError(f"trace of {name}: a {group.op.name} step "
                   f"{'backward ' if grads is not None else ''}overflows a float")


class _Operand(NamedTuple):
    """A stand-in for a node in an error message: its label and one sample's number."""

    label: str
    data: float


def _scalar_step_error(op: Op, node: Value, slots: dict[Value, Slot], sample: int,
                       values: Storage, grads: Storage | None) -> str | None:
    """Why one node's step fails on one sample with the scalar rule (None if it does not)."""
    B = values.batch_size
    operands = [_Operand(p.label, _at(values.row(slots[p]), sample, B)) for p in node.parents]
    inputs = tuple(o.data for o in operands)
    try:
        if grads is None:
            if not math.isfinite(op.forward(*inputs)):
                raise OverflowError
        else:
            out_grad = _at(grads.row(slots[node]), sample, B)
            out = _at(values.row(slots[node]), sample, B)
            if any(c is not None and not math.isfinite(c) for c in op.vjp(out_grad, inputs, out)):
                raise OverflowError
    except (ArithmeticError, ValueError) as exc:
        backward = grads is not None
        return (f"{'backward of ' if backward else ''}{describe_call(op, operands, node.label)}: "
                f"{failure_reason(op, exc, backward=backward)}")
    return None


def _at(numbers: Any, sample: int, batch_size: int) -> float:
    """One sample's number, from a node's numbers (B,) or its one shared number."""
    return float(np.broadcast_to(numbers, (batch_size,))[sample])
