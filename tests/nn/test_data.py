"""nn.data: generated and shipped data sets, splitting, batches, one-hot codes, standardising."""

from __future__ import annotations

import math
import random
import statistics
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from nn import data

GENERATORS: dict[str, Callable[..., tuple[list[list[float]], list[int]]]] = {
    "xor": lambda **kw: data.xor(8, noise=0.1, **kw),
    "moons": lambda **kw: data.moons(50, **kw),
    "circles": lambda **kw: data.circles(50, **kw),
    "spirals": lambda **kw: data.spirals(60, classes=3, **kw),
    "blobs": lambda **kw: data.blobs(60, centers=3, **kw),
}


@pytest.mark.parametrize("name", list(GENERATORS))
def test_generators_return_plain_lists_seeded_without_the_global_random_state(name: str) -> None:
    make = GENERATORS[name]
    state = random.getstate()
    X, y = make(seed=3)
    assert random.getstate() == state  # nothing drawn from (or reseeding) the global generator
    assert type(X) is list and all(type(x) is list for x in X)
    assert all(type(v) is float for x in X for v in x)
    assert type(y) is list and all(type(label) is int for label in y)
    assert len(X) == len(y) and len({len(x) for x in X}) == 1
    assert make(seed=3) == (X, y)
    assert make(seed=random.Random(3)) == (X, y)
    assert make(seed=4) != (X, y)


@pytest.mark.parametrize(("name", "classes"), [("xor", 2), ("moons", 2), ("circles", 2),
                                               ("spirals", 3), ("blobs", 3)])
def test_classes_are_balanced_and_labels_can_be_renamed(name: str, classes: int) -> None:
    X, y = GENERATORS[name](seed=0)
    counts = Counter(y)
    assert sorted(counts) == list(range(classes))
    assert max(counts.values()) - min(counts.values()) <= 1
    renamed = list(range(-classes, 0))
    X2, y2 = GENERATORS[name](seed=0, labels=renamed)
    assert X2 == X and y2 == [renamed[k] for k in y]


def test_xor_is_the_truth_table_cycled_and_labels_for_hinge() -> None:
    X, y = data.xor(6)
    assert X == [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0], [0.0, 1.0]]
    assert y == [0, 1, 1, 0, 0, 1]
    assert data.xor(labels=(-1, 1))[1] == [-1, 1, 1, -1]
    X, y = data.xor(400, noise=0.1, seed=0)
    assert statistics.pstdev(x[0] - round(x[0]) for x in X) == pytest.approx(0.1, rel=0.15)


def test_moons_lie_on_their_half_circles_without_noise() -> None:
    X, y = data.moons(100, noise=0.0, seed=0)
    for (a, b), label in zip(X, y):
        if label == 0:   # the upper moon: radius 1 around (0, 0), above the axis
            assert math.hypot(a, b) == pytest.approx(1.0) and b >= -1e-12
        else:            # the lower moon: radius 1 around (1, 0.5), below its centre
            assert math.hypot(a - 1, b - 0.5) == pytest.approx(1.0) and b <= 0.5 + 1e-12
    assert y != sorted(y)  # shuffled: the classes are mixed, not one block each


def test_micrographs_labels_for_the_moons() -> None:
    _, y = data.moons(100, seed=1, labels=(-1, 1))
    assert Counter(y) == {-1: 50, 1: 50}


def test_circles_and_spirals_have_the_stated_radii() -> None:
    X, y = data.circles(40, noise=0.0, factor=0.3, seed=0)
    assert {(round(math.hypot(*x), 9), label) for x, label in zip(X, y)} == {(1.0, 0), (0.3, 1)}
    X, y = data.spirals(40, classes=2, noise=0.0, seed=0)
    radii = sorted(round(math.hypot(*x), 9) for x, label in zip(X, y) if label == 0)
    assert radii == [round((i + 1) / 20, 9) for i in range(20)]


def test_blobs_cluster_around_their_centres() -> None:
    centres = [[0.0, 0.0, 0.0], [10.0, -5.0, 2.0]]
    X, y = data.blobs(400, centers=centres, std=0.5, seed=0)
    for k, centre in enumerate(centres):
        members = [x for x, label in zip(X, y) if label == k]
        assert len(members) == 200
        for j in range(3):
            column = [x[j] for x in members]
            assert statistics.fmean(column) == pytest.approx(centre[j], abs=0.1)
            assert statistics.pstdev(column) == pytest.approx(0.5, rel=0.15)
    X, _ = data.blobs(30, centers=4, n_features=5, box=(-1.0, 1.0), seed=0)
    assert len(X[0]) == 5


BAD_GENERATOR_CALLS: list[tuple[Callable[[], Any], type[Exception], str]] = [
    (lambda: data.xor(3), ValueError, "n must be at least 4, got 3"),
    (lambda: data.moons(100.0), TypeError, "n must be an int, got float"),
    (lambda: data.moons(noise=-0.1), ValueError, "noise must be a finite number"),
    (lambda: data.moons(seed="0"), TypeError, "seed must be an int, a random.Random or None"),
    (lambda: data.moons(labels=(0, 1, 2)), ValueError, "labels must be a list of 2 ints"),
    (lambda: data.moons(labels=(1, 1)), ValueError, "different from each other"),
    (lambda: data.moons(labels=(0.0, 1.0)), TypeError, "labels must be ints, got float"),
    (lambda: data.circles(factor=1.0), ValueError, r"factor must be in \(0, 1\), got 1.0"),
    (lambda: data.spirals(2, classes=3), ValueError, "n must be at least 3"),
    (lambda: data.spirals(classes=1), ValueError, "classes must be at least 2"),
    (lambda: data.blobs(centers=[[0.0, 0.0], [1.0]]), ValueError, "sample 1 has 1 features"),
    (lambda: data.blobs(centers=[[0.0, 0.0]], n_features=3), ValueError, "n_features=3"),
    (lambda: data.blobs(centers="abc"), TypeError, "centers must be a number of centres"),
    (lambda: data.blobs(box=(1.0, -1.0)), ValueError, "low < high"),
]


@pytest.mark.parametrize(("call", "error", "message"), BAD_GENERATOR_CALLS)
def test_generators_refuse_bad_arguments(call: Callable[[], Any], error: type[Exception],
                                         message: str) -> None:
    with pytest.raises(error, match=message):
        call()


# --- shipped data sets ----------------------------------------------------------------------


def test_iris_is_fishers_150_flowers() -> None:
    X, y = data.iris()
    assert len(X) == 150 and all(len(x) == 4 for x in X)
    assert Counter(y) == {0: 50, 1: 50, 2: 50}
    assert (X[0], y[0]) == ([5.1, 3.5, 1.4, 0.2], 0)
    assert (X[149], y[149]) == ([5.9, 3.0, 5.1, 1.8], 2)
    # Rows 35 and 38 as in Fisher's paper (the UCI file has two mistakes here).
    assert X[34] == [4.9, 3.1, 1.5, 0.2] and X[37] == [4.9, 3.6, 1.4, 0.1]
    means = [statistics.fmean(x[j] for x in X) for j in range(4)]
    assert means == pytest.approx([5.8433, 3.0573, 3.758, 1.1993], abs=1e-4)
    assert len(data.IRIS_FEATURES) == 4 and data.IRIS_CLASSES[2] == "virginica"


def test_digits_are_1797_images_of_8x8_counts() -> None:
    X, y = data.digits()
    assert len(X) == 1797 and all(len(x) == 64 for x in X)
    assert {v for x in X for v in x} <= {float(v) for v in range(17)}
    assert max(v for x in X for v in x) == 16.0
    counts = Counter(y)
    assert sorted(counts) == list(range(10))
    assert all(170 <= count <= 190 for count in counts.values())
    assert y[:10] == list(range(10))
    assert X[0][:16] == [0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0]


def test_loaded_data_sets_are_fresh_lists_each_call() -> None:
    X, y = data.iris()
    X[0][0], y[0] = -1.0, 7
    assert data.iris()[0][0][0] == 5.1 and data.iris()[1][0] == 0


# --- train_test_split -----------------------------------------------------------------------


def test_train_test_split_keeps_pairs_together_and_uses_every_sample_once() -> None:
    X = [[float(i)] for i in range(20)]
    y = list(range(20))
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, test_size=0.25, seed=0)
    assert (len(X_train), len(X_test)) == (15, 5)
    assert all(x == [float(label)] for x, label in zip(X_train + X_test, y_train + y_test))
    assert sorted(y_train + y_test) == y
    assert data.train_test_split(X, y, 0.25, seed=0) == (X_train, X_test, y_train, y_test)
    assert data.train_test_split(X, y, 0.25, seed=1) != (X_train, X_test, y_train, y_test)
    assert len(data.train_test_split(X, y, test_size=0.01)[1]) == 1  # ceil: never an empty test


def test_stratified_split_keeps_each_class_share() -> None:
    X, y = data.iris()
    _, _, y_train, y_test = data.train_test_split(X, y, test_size=0.3, seed=5, stratify=True)
    assert Counter(y_test) == {0: 15, 1: 15, 2: 15}
    assert Counter(y_train) == {0: 35, 1: 35, 2: 35}
    assert y_test != sorted(y_test)  # not grouped by class
    y = [0] * 10 + [1] * 5 + [2] * 3  # shares 2.0 + 1.0 + 0.6 of 4 test samples -> 2, 1, 1
    _, _, _, y_test = data.train_test_split([[0.0]] * 18, y, 0.2, seed=0, stratify=True)
    assert Counter(y_test) == {0: 2, 1: 1, 2: 1}


BAD_SPLITS: list[tuple[dict[str, Any], type[Exception], str]] = [
    ({"X": [[0.0]] * 3, "y": [0, 1]}, ValueError, "X has 3 samples but y has 2 labels"),
    ({"X": [], "y": []}, ValueError, "the data set is empty"),
    ({"X": "abc", "y": [0, 1, 2]}, TypeError, "X must be a list, got str"),
    ({"test_size": 0.0}, ValueError, "test_size must be between 0 and 1"),
    ({"test_size": 1.5}, ValueError, "test_size must be between 0 and 1"),
    ({"test_size": 30}, ValueError, "test_size must be between 0 and 1"),
    ({"test_size": "0.3"}, TypeError, "test_size must be a fraction"),
    ({"X": [[0.0]] * 2, "y": [0, 1], "test_size": 0.6}, ValueError, "leaves none to train on"),
    ({"y": [0, 0, 0, 1], "stratify": True}, ValueError, "class 1 has 1"),
    ({"y": [[0], [1], [0], [1]], "stratify": True}, TypeError, "label 0 is a list"),
]


@pytest.mark.parametrize(("arguments", "error", "message"), BAD_SPLITS)
def test_train_test_split_refuses_bad_input(arguments: dict[str, Any], error: type[Exception],
                                            message: str) -> None:
    call = {"X": [[0.0]] * 4, "y": [0, 1, 0, 1], "test_size": 0.5, **arguments}
    with pytest.raises(error, match=message):
        data.train_test_split(call.pop("X"), call.pop("y"), **call)


# --- batches --------------------------------------------------------------------------------


def test_batches_cover_the_data_once_in_a_seeded_order() -> None:
    X = [[float(i)] for i in range(10)]
    y = list(range(10))
    got = list(data.batches(X, y, 4, seed=0))
    assert [len(y_batch) for _, y_batch in got] == [4, 4, 2]
    assert sorted(label for _, y_batch in got for label in y_batch) == y
    assert all(x == [float(label)] for X_batch, y_batch in got
               for x, label in zip(X_batch, y_batch))
    assert list(data.batches(X, y, 4, seed=0)) == got
    rng = random.Random(0)  # one generator for all epochs: a new order each epoch
    first, second = list(data.batches(X, y, 10, seed=rng)), list(data.batches(X, y, 10, seed=rng))
    assert first != second
    assert list(data.batches(X, y, 20, shuffle=False)) == [(X, y)]


@pytest.mark.parametrize(("arguments", "error", "message"), [
    ({"batch_size": 0}, ValueError, "batch_size must be at least 1, got 0"),
    ({"batch_size": 2.0}, TypeError, "batch_size must be an int"),
    ({"y": [0]}, ValueError, "X has 2 samples but y has 1 labels"),
    ({"shuffle": "yes"}, TypeError, "shuffle must be True or False"),
])
def test_batches_refuse_bad_input_when_called(arguments: dict[str, Any], error: type[Exception],
                                              message: str) -> None:
    call = {"X": [[0.0], [1.0]], "y": [0, 1], "batch_size": 1, **arguments}
    with pytest.raises(error, match=message):
        data.batches(**call)  # no next(): the check does not wait for the first batch


# --- one_hot and standardize ----------------------------------------------------------------


def test_one_hot() -> None:
    assert data.one_hot([1, 0, 2]) == [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    assert data.one_hot([1], n_classes=4) == [[0.0, 1.0, 0.0, 0.0]]
    assert data.one_hot([], n_classes=2) == []


@pytest.mark.parametrize(("labels", "n_classes", "error", "message"), [
    ([0, 3], 3, ValueError, "label 1 is 3, out of range for 3 classes"),
    ([0, -1], None, ValueError, "label 1 is -1; class indices start at 0"),
    ([0, 1.0], None, TypeError, "label 1 must be a class index"),
    ([], None, ValueError, "pass it"),
    ([0], 0, ValueError, "n_classes must be at least 1"),
])
def test_one_hot_refuses_bad_labels(labels: list[Any], n_classes: int | None,
                                    error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        data.one_hot(labels, n_classes)


def test_standardize_gives_mean_0_and_std_1_and_scales_test_data_alike() -> None:
    X, _ = data.iris()
    scaled, (mean, std) = data.standardize(X)
    for j in range(4):
        column = [x[j] for x in scaled]
        assert statistics.fmean(column) == pytest.approx(0.0, abs=1e-12)
        assert statistics.pstdev(column) == pytest.approx(1.0, abs=1e-12)
    assert mean == pytest.approx([5.8433, 3.0573, 3.758, 1.1993], abs=1e-4)
    again, used = data.standardize(X[:3], mean, std)
    assert again == scaled[:3] and used == (mean, std)
    assert X[0] == [5.1, 3.5, 1.4, 0.2]  # the input is left as it was


def test_standardize_leaves_a_constant_feature_unscaled() -> None:
    scaled, (_, std) = data.standardize([[1.0, 4.0], [3.0, 4.0]])
    assert scaled == [[-1.0, 0.0], [1.0, 0.0]] and std == [1.0, 1.0]


@pytest.mark.parametrize(("X", "mean", "std", "error", "message"), [
    ([], None, None, ValueError, "X is empty"),
    ([[1.0, 2.0], [1.0]], None, None, ValueError, "sample 1 has 1 features, but sample 0 has 2"),
    ([[1.0, "2"]], None, None, TypeError, "sample 0 holds a str"),
    ([[1.0, math.nan]], None, None, ValueError, "sample 0 holds nan"),
    ([[1.0]], [0.0], None, ValueError, "pass both mean and std"),
    ([[1.0]], [0.0, 0.0], [1.0, 1.0], ValueError, "mean must be a list of 1 numbers"),
    ([[1.0]], [0.0], [0.0], ValueError, "std\\[0\\] is 0"),
    ([[1.0]], [0.0], [-1.0], ValueError, "std\\[0\\] must be a finite number >= 0, got -1.0"),
])
def test_standardize_refuses_bad_input(X: Any, mean: Any, std: Any, error: type[Exception],
                                       message: str) -> None:
    with pytest.raises(error, match=message):
        data.standardize(X, mean, std)
