"""How to tune a network, as the course teaches it: sanity checks first, then a search over
the settings, judged by cross-validation.

- `initial_loss(model, data, loss)`: the loss before any training, and what it should be for
  a network that guesses (log of the number of classes for cross-entropy): far from it, the
  initialisation or the loss is wrong.
- `overfits(train, data, n)`: a network that cannot learn a tiny subset by heart will not
  learn the whole set; `train` is called on `n` samples and must reach 100% training accuracy.
- `k_fold(n, k)`: k splits of the sample indices, each sample in exactly one validation fold.
- `cross_validate(train, data, k)`: one training per fold, the validation numbers averaged.
- `search(run, space)`: every combination of the settings (`mode="grid"`) or `trials` drawn at
  random (`mode="random"`, seeded), each scored by `run(**settings)`; a table, best first. A
  run that explodes (an ArithmeticError: an overflow, a NaN loss) scores NaN, last, with its
  reason, and the search goes on.

>>> folds = k_fold(10, 5, seed=0)
>>> sorted(i for _, validation in folds for i in validation) == list(range(10))
True
"""

from __future__ import annotations

import itertools
import math
import random
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from autograd_core import Value, no_grad

from .checks import check_int
from .init import make_rng
from .losses import MeanLoss
from .module import Module
from .training.evaluation import evaluating, model_scores, outputs_of

__all__ = ["initial_loss", "overfits", "k_fold", "cross_validate", "CrossValidation", "search",
           "SearchResults"]

Data = tuple[Sequence[Any], Sequence[Any]]


def initial_loss(model: Module, data: Data, loss: str | MeanLoss = "cross_entropy"
                 ) -> tuple[float, float | None]:
    """(the loss on `data` before training, the loss of a network that guesses uniformly:
    log(outputs) for cross-entropy over the model's outputs, log 2 for the binary losses;
    None when the loss has no such reference).

    `loss` is a loss's name or a `MeanLoss`; a MeanLoss's penalty is included, so that the
    course's next check reads: with the penalty, the loss goes up by the penalty. The model
    runs in eval mode, recording no graph (over 16 samples or more, replayed as `accuracy`
    is).
    """
    loss_fn = loss if isinstance(loss, MeanLoss) else MeanLoss(loss)
    X, y = data
    if not len(X) or len(X) != len(y):
        raise ValueError(f"initial_loss: data must be (X, y) of the same, non-zero length, got "
                         f"{len(X)} samples and {len(y)} targets")
    with evaluating(model):
        bare = isinstance(outputs_of(model, X[:1])[0], Value)  # a Neuron's output is a Value
    numbers = model_scores(model, X)
    with no_grad():
        outputs = [Value(row[0]) if bare else [Value(v) for v in row] for row in numbers]
        value = loss_fn(outputs, list(y)).data
    classes = 1 if bare else len(numbers[0])
    expected = {"cross_entropy": math.log(classes) if classes > 1 else None,
                "binary_cross_entropy_with_logits": math.log(2),
                "binary_cross_entropy": math.log(2)}.get(loss_fn.name)
    return value, expected


def overfits(train: Callable[[Data], Any], data: Data, n: int = 20,
             seed: int | random.Random | None = 0) -> bool:
    """Whether `train((X_small, y_small))`, on `n` samples drawn from `data`, reaches 100%
    training accuracy: it returns fit's History (its last "accuracy") or that accuracy."""
    X, y = data
    check_int("overfits: n", n)
    if n > len(X):
        raise ValueError(f"overfits: n = {n} is more than the {len(X)} samples")
    chosen = make_rng(seed).sample(range(len(X)), n)
    result = train(([X[i] for i in chosen], [y[i] for i in chosen]))
    accuracy = result["accuracy"][-1] if isinstance(result, Mapping) else float(result)
    return accuracy >= 1.0


def k_fold(n: int, k: int = 5, seed: int | random.Random | None = 0
           ) -> list[tuple[list[int], list[int]]]:
    """k (training indices, validation indices) pairs: the indices shuffled (seeded) and cut
    into k folds of sizes differing by at most one, each the validation set once."""
    check_int("k_fold: n", n)
    check_int("k_fold: k", k, 2)
    if k > n:
        raise ValueError(f"k_fold: {k} folds of {n} samples would leave a fold empty")
    order = list(range(n))
    make_rng(seed).shuffle(order)
    sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
    folds, start = [], 0
    for size in sizes:
        validation = sorted(order[start:start + size])
        chosen = set(validation)
        folds.append(([i for i in range(n) if i not in chosen], validation))
        start += size
    return folds


@dataclass
class CrossValidation:
    """The validation numbers of every fold, and their mean and standard deviation."""

    folds: list[dict[str, float]] = field(default_factory=list)

    def mean(self, key: str) -> float:
        return statistics.fmean(fold[key] for fold in self.folds)

    def std(self, key: str) -> float:
        values = [fold[key] for fold in self.folds]
        return statistics.stdev(values) if len(values) > 1 else 0.0

    def __repr__(self) -> str:
        keys = list(self.folds[0]) if self.folds else []
        shown = ", ".join(f"{key}={self.mean(key):.4g}±{self.std(key):.2g}" for key in keys)
        return f"CrossValidation({len(self.folds)} folds: {shown})"


def cross_validate(train: Callable[[Data, Data], Any], data: Data, k: int = 5,
                   seed: int | random.Random | None = 0) -> CrossValidation:
    """`train(training_data, validation_data)` once per fold (it returns fit's History, given
    `validation=validation_data`); each fold's last val_loss and val_accuracy are kept."""
    X, y = data
    result = CrossValidation()
    for training, validation in k_fold(len(X), k, seed):
        history = train(([X[i] for i in training], [y[i] for i in training]),
                        ([X[i] for i in validation], [y[i] for i in validation]))
        result.folds.append({key: values[-1] for key, values in history.items()
                             if key.startswith("val_") and values})
    return result


@dataclass
class SearchResults:
    """One row per setting tried, best first: the settings and the score `run` gave."""

    rows: list[tuple[dict[str, Any], float]]
    higher_is_better: bool
    # The settings whose run raised an ArithmeticError (an overflow, a NaN loss: training that
    # exploded), scored NaN, with the reason.
    diverged: list[tuple[dict[str, Any], str]] = field(default_factory=list)

    @property
    def best(self) -> dict[str, Any]:
        return self.rows[0][0]

    def table(self) -> str:
        """The rows as a Markdown table."""
        keys = list(self.rows[0][0]) if self.rows else []
        lines = ["| " + " | ".join([*keys, "score"]) + " |",
                 "|" + "---|" * (len(keys) + 1)]
        lines += ["| " + " | ".join([*(f"{settings[key]:g}" if isinstance(settings[key], float)
                                       else str(settings[key]) for key in keys),
                                     f"{score + 0.0:.4g}"]) + " |"
                  for settings, score in self.rows]
        if self.diverged:
            lines += ["", "Diverged (scored NaN):"]
            lines += [f"- {', '.join(f'{k}={v!r}' for k, v in settings.items())}: {reason}"
                      for settings, reason in self.diverged]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.table()

    def _repr_markdown_(self) -> str:  # a table in Jupyter
        return self.table()


def search(run: Callable[..., float], space: Mapping[str, Sequence[Any]], mode: str = "grid",
           trials: int | None = None, seed: int | random.Random | None = 0,
           higher_is_better: bool = True) -> SearchResults:
    """Score every combination of `space`'s values (grid), or `trials` combinations drawn at
    random (seeded), with `run(**settings)`; the results best first."""
    if not isinstance(space, Mapping) or not space:
        raise ValueError("search: the space must be a non-empty table of setting -> values")
    for name, values in space.items():
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
            raise ValueError(f"search: the values of {name!r} must be a non-empty list, got "
                             f"{values!r:.40}")
    names = list(space)
    if mode == "grid":
        combos = [dict(zip(names, values))
                  for values in itertools.product(*(space[n] for n in names))]
    elif mode == "random":
        count = check_int("search: trials", trials if trials is not None else 10)
        rng = make_rng(seed)
        combos = [{n: rng.choice(list(space[n])) for n in names} for _ in range(count)]
    else:
        raise ValueError(f"search: mode must be 'grid' or 'random', got {mode!r:.40}")
    rows, diverged = [], []
    for settings in combos:
        try:
            score = float(run(**settings))
        except ArithmeticError as error:  # the run exploded: the search goes on (the course's
            score = math.nan               # "stop training if it explodes"), the rest is a bug
            diverged.append((settings, f"{type(error).__name__}: {error}"))
        rows.append((settings, score))
    # A run that diverged scores NaN, which compares false with everything: it goes last, never
    # first (sorting with a NaN among the keys leaves the order undefined).
    rows.sort(key=lambda row: (math.isnan(row[1]), -row[1] if higher_is_better else row[1]))
    return SearchResults(rows, higher_is_better, diverged)
