"""Where a replay keeps its numbers: one row per node, in one of two arrays.

A node that depends on an input has a row of B numbers (one per sample); every other node
(parameters, Constants, and what is computed from them only) has one number for the batch.
The gradients of a backward pass are kept the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

__all__ = ["Array", "Storage", "Slot", "Rows"]

Array = np.ndarray[Any, np.dtype[np.float64]]


@dataclass
class Slot:
    """Where a node's numbers live: row `row` of `Storage.varying` if it varies, else of
    `Storage.shared`."""

    varies: bool
    row: int


class Storage(NamedTuple):
    """A pass's numbers (or their gradients), one row per node.

    `varying` has shape (rows, B): the nodes that depend on an input, one number per sample.
    `shared` has shape (shared rows,): the nodes that do not, one number for the whole batch.
    """

    varying: Array
    shared: Array

    @property
    def batch_size(self) -> int:
        """B, the number of samples."""
        return int(self.varying.shape[1])

    def array(self, varies: bool) -> Array:
        """`varying` for the nodes that vary, `shared` for the others."""
        return self.varying if varies else self.shared

    def row(self, slot: Slot) -> Any:
        """One node's numbers: (B,) if it varies, else one number."""
        return self.array(slot.varies)[slot.row]

    def zeros_like(self) -> Storage:
        """A storage of the same shapes, all zeros (where a backward pass adds gradients)."""
        return Storage(np.zeros_like(self.varying), np.zeros_like(self.shared))


class _Repeats(NamedTuple):
    """How to sum the additions to rows that occur more than once."""

    order: Any  # sorts the rows (stably)
    first: Any  # where each distinct row starts in that order
    rows: Any  # the distinct rows


class Rows:
    """Positions of K rows in one storage array: read them, or add into them.

    Rows that repeat (x * x, or one input feeding many nodes of a group) have their additions
    summed first, since `a[rows] += c` would keep only one of them.
    """

    def __init__(self, rows: Sequence[int]) -> None:
        index = np.asarray(rows, dtype=np.intp)
        self.repeats: _Repeats | None = None
        self.where: slice | Any
        # fast path; plain version: self.where = index (a consecutive run read as a view)
        if len(index) and bool((np.diff(index) == 1).all()):
            self.where = slice(int(index[0]), int(index[-1]) + 1)
            return
        self.where = index
        order = np.argsort(index, kind="stable")
        ordered = index[order]
        first = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        # fast path; plain version: always sum with np.add.reduceat, even with no repeats
        if len(first) < len(index):
            self.repeats = _Repeats(order, first, ordered[first])

    def take(self, storage: Array) -> Array:
        """The rows' numbers, shape (K, ...)."""
        return storage[self.where]

    def add(self, storage: Array, values: Array) -> None:
        """Add `values` (shape (K, ...)) into the rows, summing where a row repeats."""
        if self.repeats is None:
            storage[self.where] += values
        else:
            order, first, rows = self.repeats
            storage[rows] += np.add.reduceat(values[order], first, axis=0)
