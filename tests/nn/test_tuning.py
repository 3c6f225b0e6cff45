"""Tuning as the course teaches it: sanity checks, k-fold cross-validation, grid and random
search; and bad settings named."""

from __future__ import annotations

import math
import statistics
from typing import Any

import pytest

import nn
from nn import data, optim
from nn.training.evaluation import evaluating
from nn.tuning import cross_validate, initial_loss, k_fold, overfits, search


def test_the_initial_loss_of_a_network_that_guesses_is_log_of_the_classes() -> None:
    X, y = nn.data.iris()
    scaled, _ = nn.data.standardize(X)
    model = nn.MLP(4, [8, 3], seed=0, init="xavier")
    value, expected = initial_loss(model, (scaled, y))
    assert expected == pytest.approx(math.log(3))
    assert abs(value - expected) < 0.5  # near it: inputs and initialisation are sane
    raw, _ = initial_loss(model, (X, y))
    assert abs(raw - expected) > 1.0  # unscaled inputs (up to 7.9): the check says so


def test_a_network_overfits_a_tiny_subset_and_a_dead_one_does_not() -> None:
    X, y = nn.data.moons(100, noise=0.1, seed=0)

    def train(data: Any, activation: str = "relu") -> Any:
        model = nn.MLP(2, [16, 16, 1], activation=activation, seed=1)
        return nn.fit(model, data, "binary_cross_entropy_with_logits",
                      optim.Adam(model.parameters(), lr=0.05), epochs=150, progress=False)

    assert overfits(train, (X, y), n=20)
    assert not overfits(lambda data: train(data, activation="step"), (X, y), n=20)


def test_k_folds_cover_every_sample_once_in_folds_of_even_size() -> None:
    folds = k_fold(23, 5, seed=1)
    validation = [i for _, fold in folds for i in fold]
    assert sorted(validation) == list(range(23))
    assert sorted(len(fold) for _, fold in folds) == [4, 4, 5, 5, 5]
    for training, fold in folds:
        assert set(training) | set(fold) == set(range(23)) and not set(training) & set(fold)
    assert k_fold(23, 5, seed=1) == folds  # seeded


def test_cross_validation_averages_the_folds_validation_numbers() -> None:
    X, y = nn.data.xor(labels=(-1, 1))
    X, y = X * 5, y * 5  # 20 samples: the four corners five times

    def train(training: Any, validation: Any) -> Any:
        model = nn.MLP(2, [4, 1], activation="tanh", output_activation="tanh", seed=0)
        return nn.fit(model, training, "mse", optim.SGD(model.parameters(), lr=0.1,
                                                        momentum=0.9),
                      epochs=100, validation=validation, progress=False)

    result = cross_validate(train, (X, y), k=4)
    accuracies = [fold["val_accuracy"] for fold in result.folds]
    assert len(accuracies) == 4 and result.mean("val_accuracy") == statistics.fmean(accuracies)
    assert result.std("val_accuracy") == pytest.approx(statistics.stdev(accuracies))
    assert result.mean("val_accuracy") >= 0.75 and "4 folds" in repr(result)


def test_grid_and_random_search_score_every_setting_best_first() -> None:
    seen: list[dict[str, Any]] = []

    def run(lr: float, width: int) -> float:
        seen.append({"lr": lr, "width": width})
        return -abs(lr - 0.1) - abs(width - 8) / 100

    grid = search(run, {"lr": [0.01, 0.1, 1.0], "width": [4, 8]})
    assert len(grid.rows) == 6 == len(seen) and grid.best == {"lr": 0.1, "width": 8}
    assert grid.table().splitlines()[:3] == ["| lr | width | score |", "|---|---|---|",
                                             "| 0.1 | 8 | 0 |"]
    drawn = search(run, {"lr": [0.01, 0.1, 1.0], "width": [4, 8]}, mode="random", trials=5,
                   seed=3)
    assert len(drawn.rows) == 5
    assert [row[0] for row in drawn.rows] == [row[0] for row in search(
        run, {"lr": [0.01, 0.1, 1.0], "width": [4, 8]}, mode="random", trials=5,
        seed=3).rows]
    lowest = search(lambda x: x, {"x": [3, 1, 2]}, higher_is_better=False)
    assert [row[1] for row in lowest.rows] == [1.0, 2.0, 3.0]


@pytest.mark.parametrize("higher_is_better, order", [(True, [3, 1, 2]), (False, [1, 3, 2])])
def test_a_setting_that_diverged_comes_last_whichever_way_is_better(
        higher_is_better: bool, order: list[int]) -> None:
    results = search(lambda x: math.nan if x == 2 else float(x), {"x": [2, 1, 3]},
                     higher_is_better=higher_is_better)
    assert [row[0]["x"] for row in results.rows] == order
    assert results.best == {"x": order[0]} and results.table().endswith("| 2 | nan |")


@pytest.mark.parametrize("call, message", [
    (lambda: k_fold(10, 0), "k_fold: k must be at least 2, got 0"),
    (lambda: k_fold(3, 5), "5 folds of 3 samples would leave a fold empty"),
    (lambda: search(lambda: 0.0, {}), "the space must be a non-empty table"),
    (lambda: search(lambda lr: 0.0, {"lr": []}), "the values of 'lr' must be a non-empty list"),
    (lambda: search(lambda lr: 0.0, {"lr": [1]}, mode="bayes"),
     "mode must be 'grid' or 'random', got 'bayes'"),
    (lambda: overfits(lambda d: 1.0, ([[0.0]], [0]), n=5), "n = 5 is more than the 1 samples"),
])
def test_bad_settings_are_named(call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_the_initial_loss_with_a_penalty_is_higher_by_the_penalty_and_changes_nothing() -> None:
    X, y = data.digits()
    X, y = [[v / 16 for v in row] for row in X[:40]], y[:40]
    model = nn.Sequential(nn.Layer(64, 8, seed=0), nn.Dropout(0.5), nn.Layer(8, 10, seed=1))
    plain, expected = initial_loss(model, (X, y))
    penalised, _ = initial_loss(model, (X, y), nn.MeanLoss("cross_entropy", l2=1e-3,
                                                           parameters=model))
    squares = sum(p.data ** 2 for p in model.parameters())
    assert penalised - plain == pytest.approx(1e-3 * squares, rel=1e-9)
    # Eval mode (dropout off), the same numbers one sample at a time, and no gradients left.
    with evaluating(model):
        one_by_one = nn.MeanLoss("cross_entropy")([model(x) for x in X], y).data
    assert plain == pytest.approx(one_by_one, rel=1e-12) and expected == pytest.approx(
        math.log(10))
    assert model.training and all(p.grad == 0 for p in model.parameters())
    with pytest.raises(ValueError, match="initial_loss: data must be"):
        initial_loss(model, (X, y[:3]))


def test_search_results_show_as_a_table_in_jupyter() -> None:
    results = search(lambda lr: lr, {"lr": [0.1, 1.0]})
    assert results._repr_markdown_() == results.table()


def test_a_run_that_explodes_scores_nan_with_its_reason_and_the_search_goes_on() -> None:
    X, y = data.moons(40, seed=0)

    def run(lr: float) -> float:
        model = nn.MLP(2, [8, 1], seed=0)
        history = nn.fit(model, (X, y), "mse", optim.SGD(model.parameters(), lr=lr),
                         epochs=20, progress=False)
        return float(history["loss"][-1])

    results = search(run, {"lr": [1e6, 0.1, 0.01]}, higher_is_better=False)
    assert [row[0]["lr"] for row in results.rows][-1] == 1e6
    assert math.isnan(results.rows[-1][1]) and all(math.isfinite(r[1]) for r in results.rows[:2])
    (settings, reason), = results.diverged
    assert settings == {"lr": 1e6} and "overflows a float" in reason
    assert "Diverged (scored NaN):\n- lr=1000000.0: OpError: fit: epoch" in results.table()

    def buggy(lr: float) -> float:
        raise KeyError("a bug in run is not a divergence")

    with pytest.raises(KeyError):
        search(buggy, {"lr": [0.1]})
