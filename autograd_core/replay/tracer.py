"""`Trace`, what `trace(fn, n_inputs)` returns: a recorded graph, replayed over batches.

A replay checks the batch, fits the recorded graph to it (the groups the comparisons need run
first, and the graph is recorded again if the whole batch goes another way), runs the other
groups, and checks the result against fn run directly on a few samples.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..ops import OpError
from ..value import Value
from .checks import (
    branch_problem,
    branches_agree,
    check_batch,
    check_seed,
    compare_with_fn,
    samples_to_compare,
)
from .errors import TraceError, sample_error, scalar_failure
from .groups import Group
from .plan import Plan
from .recorder import record
from .storage import Array, Storage

__all__ = ["trace", "Trace"]

# How a trace reacts to floating-point trouble: as the scalar path does, with an error.
_RAISE = {"over": "raise", "divide": "raise", "invalid": "raise", "under": "ignore"}


class Trace:
    """A function's graph, recorded once and replayed over batches (see the package's doc).

    Call it on a batch `X` of shape (B, n_inputs) to get the outputs, shape (B,) when `fn`
    returns one Value and (B, m) when it returns m; then `backward()` adds the batch's
    parameter gradients to `.grad` and leaves the gradients of the inputs in `input_grad`.
    `outputs` is the scalar graph of the sample it was recorded on, for drawing and stepping
    through.
    """

    def __init__(self, fn: Callable[..., Any], n_inputs: int,
                 example: Sequence[float] | None = None) -> None:
        if not callable(fn):
            raise TypeError(f"trace: fn must be a function, got {type(fn).__name__}")
        if isinstance(n_inputs, bool) or not isinstance(n_inputs, int) or n_inputs < 1:
            raise ValueError(f"trace: n_inputs must be an int of at least 1, got "
                             f"{n_inputs!r:.40}")
        self.fn, self.n_inputs = fn, n_inputs
        self.name = getattr(fn, "__name__", type(fn).__name__)
        self._plan: Plan | None = None
        self._single = True
        self._covered = np.zeros(n_inputs, dtype=bool)  # inputs checked against fn
        self._last: Storage | None = None  # the values of the last forward pass that succeeded
        self.input_grad: Array | None = None
        self.batch_size = 0  # of the last forward pass
        self.retraces = 0  # how often a batch that went another way made it record again
        if example is not None:
            self._record(check_batch(self.name, n_inputs, [example])[0])

    # --- what was recorded ---------------------------------------------------------------------

    @property
    def outputs(self) -> list[Value]:
        """The recorded scalar graph's outputs (one sample's graph: draw it, step through it)."""
        return list(self._recorded().outputs)

    @property
    def inputs(self) -> list[Value]:
        """The placeholders, holding the sample the graph was recorded on."""
        return list(self._recorded().placeholders)

    @property
    def parameters(self) -> list[Value]:
        """The leaves that are neither inputs nor Constants: `backward` adds to their `.grad`."""
        return list(self._recorded().parameters)

    def _recorded(self) -> Plan:
        if self._plan is None:
            raise RuntimeError(f"trace of {self.name}: nothing is recorded yet; call it on a "
                               "batch first (or pass example=)")
        return self._plan

    def __repr__(self) -> str:
        if self._plan is None:
            return f"Trace({self.name}, {self.n_inputs} inputs, not recorded yet)"
        plan = self._plan
        ops = sum(len(g.nodes) for g in plan.groups)  # the graph's nodes that are not leaves
        return (f"Trace({self.name}, {self.n_inputs} inputs, {len(plan.outputs)} output(s), "
                f"{ops} ops in {len(plan.groups)} groups, {len(plan.parameters)} "
                "parameters)")

    def _record(self, sample: Array) -> None:
        recorded = record(self.fn, sample)
        self._single = recorded.single
        self._plan = Plan(recorded.placeholders, recorded.outputs, recorded.branches)
        self._covered = np.zeros(self.n_inputs, dtype=bool)

    # --- replay --------------------------------------------------------------------------------

    def __call__(self, X: object) -> Array:
        """The outputs for every sample of X: shape (B,) for one output, (B, m) for m."""
        return self.forward(X)

    def forward(self, X: object) -> Array:
        """Same as calling the trace: run the recorded graph over the batch X."""
        batch = check_batch(self.name, self.n_inputs, X)
        self._last, self.batch_size = None, 0  # until this pass has succeeded
        plan, values = self._fitting(batch)
        self._run(plan, plan.other_groups, values)
        self._check_against_fn(batch)
        self._last, self.batch_size = values, len(batch)
        return self._outputs(plan, values)

    def check(self, X: object) -> None:
        """Check, before training on them, that the recorded graph fits the samples of X.

        Records first if nothing is recorded yet. Raises TraceError if the samples branch in
        different ways, or if fn, run directly on samples that differ from the recorded one
        in every input that varies, gives other numbers than the recorded graph.
        """
        batch = check_batch(self.name, self.n_inputs, X)
        self._fitting(batch)
        self._check_against_fn(batch)

    def _fitting(self, batch: Array) -> tuple[Plan, Storage]:
        """The plan and values for this batch, with the branches checked (and the graph
        recorded again if the whole batch goes another way): only the groups the
        comparisons need have run."""
        if self._plan is None:
            self._record(batch[0])
        plan, values, agree = self._run_branches(batch)
        if not all(same[0] for same in agree):
            self._record(batch[0])  # sample 0 goes another way: record the graph it takes
            self.retraces += 1
            plan, values, agree = self._run_branches(batch)
        problem = branch_problem(self.name, plan.branches, agree)
        if problem is not None:
            raise TraceError(problem)
        return plan, values

    def _run_branches(self, batch: Array) -> tuple[Plan, Storage, list[Any]]:
        """Run the groups the comparisons need; per branch, whether each sample agrees."""
        plan = self._recorded()
        values = plan.new_values(batch)
        self._run(plan, plan.branch_groups, values)
        return plan, values, branches_agree(plan, values)

    def _run(self, plan: Plan, groups: list[Group], values: Storage) -> None:
        with np.errstate(**_RAISE):  # type: ignore[arg-type]
            for group in groups:
                try:
                    group.forward(values)
                except FloatingPointError:
                    raise scalar_failure(self.name, group, plan.slots, values, None) from None

    def _outputs(self, plan: Plan, values: Storage) -> Array:
        B = values.batch_size
        columns = [np.broadcast_to(plan.value(o, values), (B,)) for o in plan.outputs]
        return columns[0].copy() if self._single else np.stack(columns, axis=1)

    def _check_against_fn(self, batch: Array) -> None:
        """Run fn directly on other samples: the recorded graph must give the same numbers
        (see checks.samples_to_compare for which samples)."""
        plan = self._recorded()
        recorded = np.array([p.data for p in plan.placeholders])
        chosen, covered = samples_to_compare(batch, recorded, self._covered)
        if not chosen:
            return
        try:
            _, values = self._fitting(batch[chosen])
            self._run(plan, plan.other_groups, values)
        except OpError as exc:  # name the sample by its place in the batch, not in `chosen`
            if not hasattr(exc, "sample"):
                raise
            raise sample_error(self.name, chosen[exc.sample], getattr(exc, "detail", "")
                               ) from None
        replayed = self._outputs(plan, values).reshape(len(chosen), -1)
        compare_with_fn(self.name, self.fn, batch, chosen, replayed)
        self._covered = covered

    def backward(self, grad: object = None) -> None:
        """Add each parameter's gradient, summed over the last batch, to its `.grad`.

        `grad` weighs the samples' outputs: by default 1 for each (the gradient of the sum of
        the outputs over the batch); shape (B,) for one output, (B, m) for m. Pass
        `np.full(B, 1 / B)` for the gradient of the mean. The gradients of the inputs are
        left in `input_grad`, shape (B, n_inputs). Nothing is written if the pass fails.
        """
        if self._last is None:
            raise RuntimeError(f"trace of {self.name}: backward() needs a forward pass first")
        plan, values = self._recorded(), self._last
        seed = check_seed(self.name, grad, values.batch_size, len(plan.outputs), self._single)
        grads = _seeded_grads(plan, values, seed)
        with np.errstate(**_RAISE):  # type: ignore[arg-type]
            for group in reversed(plan.groups):
                if group.reached:
                    try:
                        group.backward(values, grads)
                    except FloatingPointError:
                        raise scalar_failure(self.name, group, plan.slots, values, grads
                                             ) from None
        self.input_grad = grads.varying[:self.n_inputs].T.copy()
        # tolist(): Python floats, so that `.grad` stays a float
        for parameter, g in zip(plan.parameters, grads.shared[:len(plan.parameters)].tolist()):
            parameter.grad += g


def _seeded_grads(plan: Plan, values: Storage, seed: Array) -> Storage:
    """Zero gradients but the outputs': output j gets column j of the seed (B, m), summed over
    the batch if the output is shared."""
    grads = values.zeros_like()
    for j, output in enumerate(plan.outputs):
        slot = plan.slots[output]
        if slot.varies:
            grads.varying[slot.row] += seed[:, j]
        else:
            grads.shared[slot.row] += seed[:, j].sum()
    return grads


def trace(fn: Callable[..., Any], n_inputs: int, example: Sequence[float] | None = None
          ) -> Trace:
    """Record fn's graph (fn takes `n_inputs` Values) for replay over whole batches.

    The graph is recorded on `example` if given, else on the first sample of the first batch.
    See `Trace` and the package's doc.
    """
    return Trace(fn, n_inputs, example)
