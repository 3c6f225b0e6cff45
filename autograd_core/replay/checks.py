"""The checks a replay makes: on what it is given (a batch, a gradient seed), and that the
recorded graph fits the batch (its branches, and fn run directly on a few samples).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from ..value import Value, no_grad
from .errors import TraceError
from .plan import Plan
from .recorder import Branch, outputs_of
from .storage import Array, Storage

__all__ = ["check_batch", "check_seed", "branches_agree", "branch_problem",
           "samples_to_compare", "compare_with_fn", "MAX_SAMPLES_COMPARED"]

# How many samples of a batch fn is run on directly, at most (see samples_to_compare).
MAX_SAMPLES_COMPARED = 16

_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def check_batch(name: str, n_inputs: int, X: object) -> Array:
    """X as a float array (B, n_inputs) of finite numbers, B >= 1; (B,) is read as (B, 1)."""
    try:
        batch = np.asarray(X, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"trace of {name}: the batch must be numbers, shape (batch, "
                        f"{n_inputs}): {exc}") from None
    if batch.ndim == 1 and n_inputs == 1:
        batch = batch[:, None]
    if batch.ndim != 2 or batch.shape[1] != n_inputs or batch.shape[0] == 0:
        raise ValueError(f"trace of {name}: the batch must have shape (batch, "
                         f"{n_inputs}) with at least one sample, got shape "
                         f"{batch.shape}")
    finite = np.isfinite(batch)
    if not finite.all():
        row, column = map(int, np.argwhere(~finite)[0])
        raise ValueError(f"trace of {name}: sample {row}, input {column} is "
                         f"{batch[row, column]}; a batch must be finite numbers")
    return batch


def check_seed(name: str, grad: object, batch_size: int, n_outputs: int, single: bool
               ) -> Array:
    """backward's `grad` as weights of shape (B, m); all ones if it is None."""
    B, m = batch_size, n_outputs
    if grad is None:
        return np.ones((B, m))
    try:
        seed = np.asarray(grad, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"trace of {name}: grad must be numbers: {exc}") from None
    shape = (B,) if single else (B, m)
    if seed.shape != shape:
        raise ValueError(f"trace of {name}: grad must have shape {shape} (one weight "
                         f"per sample{'' if single else ' and output'}), got "
                         f"{seed.shape}")
    if not np.isfinite(seed).all():
        raise ValueError(f"trace of {name}: grad must be finite")
    return seed.reshape(B, m)


def branches_agree(plan: Plan, values: Storage) -> list[Any]:
    """Per branch, a (B,) array of bools: whether each sample compares as recorded."""
    B = values.batch_size
    return [np.broadcast_to(_COMPARE[b.symbol](plan.value(b.left, values),
                                               plan.value(b.right, values)) == b.result, (B,))
            for b in plan.branches]


def branch_problem(name: str, branches: list[Branch], agree: list[Any]) -> str | None:
    """Why no one graph fits the batch (None if every sample takes the recorded branches)."""
    for branch, same in zip(branches, agree):
        if not same.all():
            ways = (f"samples {int(np.argmax(same))} and {int(np.argmax(~same))} of this "
                    "batch go different ways" if same.any() else
                    "the batch goes another way than the sample it was recorded on")
            return (f"trace of {name}: fn branches on `{branch}` (a comparison of "
                    f"Values), and {ways}, so no one graph fits the batch. Write the "
                    "branch with an op (relu, step, abs, leaky_relu, logsumexp) or run "
                    "fn one sample at a time")
    return None


def samples_to_compare(batch: Array, recorded: Array, covered: Any) -> tuple[list[int], Any]:
    """Samples to run fn on directly, and the inputs covered once they have been.

    `covered` marks the inputs already seen differing from the recorded sample's (in this
    batch or an earlier one). This picks up to MAX_SAMPLES_COMPARED samples that differ in the
    inputs not covered yet: a number read from any input and frozen into the graph then shows.
    No samples once every input that differs is covered.
    """
    differs = batch != recorded
    covered = covered.copy()
    chosen: list[int] = []
    for candidate in np.flatnonzero((differs & ~covered).any(axis=1)).tolist():
        if len(chosen) == MAX_SAMPLES_COMPARED:
            break
        if (differs[candidate] & ~covered).any():
            chosen.append(candidate)
            covered |= differs[candidate]
    return chosen, covered


def compare_with_fn(name: str, fn: Callable[..., Any], batch: Array, chosen: list[int],
                    replayed: Array) -> None:
    """Raise TraceError if fn, run directly on the chosen samples, gives other numbers than
    the recorded graph did (`replayed`, one row per chosen sample)."""
    for row, sample in enumerate(chosen):
        with no_grad():
            direct, _ = outputs_of(fn(*[Value(float(x)) for x in batch[sample]]))
        for j, theirs in enumerate(direct):
            mine = float(replayed[row, j])
            # Beyond rounding: numpy may sum in another order than Python.
            if not math.isclose(mine, theirs.data, rel_tol=1e-7, abs_tol=1e-9):
                raise TraceError(
                    f"trace of {name}: run directly on sample {sample}, fn gives output "
                    f"{j} = {theirs.data:.10g}, but the recorded graph gives "
                    f"{mine:.10g}. fn must compute its result from its inputs with "
                    "Value operations only: it may read .data, use randomness or keep "
                    "state, which one recorded graph cannot repeat. Run it one sample at "
                    "a time instead")
