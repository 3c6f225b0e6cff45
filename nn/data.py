"""Data sets and the chores around them: splitting, mini-batches, one-hot codes, standardising.

A data set is a pair `(X, y)` of plain Python lists: `X` holds one list of floats per sample,
`y` one label (an int) per sample. Only the standard library is used, so nothing here needs
numpy. Every random choice comes from the `seed` argument (an int, a `random.Random`, or None
for a fresh one); the global random state is never touched.

>>> X, y = moons(100, noise=0.1, seed=0)
>>> len(X), len(X[0]), sorted(set(y))
(100, 2, [0, 1])
>>> X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, seed=0)
>>> len(X_train), len(X_test)
(70, 30)
>>> X_train, (mean, std) = standardize(X_train)
>>> X_test, _ = standardize(X_test, mean, std)   # the test set scaled like the training set
"""

from __future__ import annotations

import gzip
import math
import random
from collections.abc import Iterator, Sequence
from functools import cache
from importlib import resources
from numbers import Real
from typing import Any

from .checks import (
    check_features,
    check_flag,
    check_int,
    check_pair,
    check_real,
    is_sequence,
)
from .init import make_rng

__all__ = ["xor", "moons", "circles", "spirals", "blobs", "iris", "digits",
           "train_test_split", "batches", "one_hot", "standardize",
           "IRIS_FEATURES", "IRIS_CLASSES"]

Seed = int | random.Random | None
Features = list[list[float]]

IRIS_FEATURES = ("sepal length (cm)", "sepal width (cm)", "petal length (cm)",
                 "petal width (cm)")
IRIS_CLASSES = ("setosa", "versicolor", "virginica")


# --- labels, sizes and noise, shared by the generators --------------------------------------


def _relabel(who: str, y: list[int], labels: Sequence[int] | None, n_classes: int) -> list[int]:
    """y with class k renamed labels[k] (labels=None keeps 0, 1, ...)."""
    if labels is None:
        return y
    if not is_sequence(labels) or len(labels) != n_classes:
        raise ValueError(f"{who}: labels must be a list of {n_classes} ints, one per class, such "
                         f"as {tuple(range(n_classes))}, got {labels!r:.60}")
    for label in labels:
        if isinstance(label, bool) or not isinstance(label, int):
            raise TypeError(f"{who}: labels must be ints, got {type(label).__name__}: "
                            f"{label!r:.40}")
    if len(set(labels)) != n_classes:
        raise ValueError(f"{who}: labels must be different from each other, got {labels!r}")
    return [labels[k] for k in y]


def _split_evenly(n: int, parts: int) -> list[int]:
    """Sizes of `parts` groups of n items, as equal as possible (the first ones larger)."""
    return [n // parts + (1 if k < n % parts else 0) for k in range(parts)]


def _noisy_shuffled(points: list[tuple[float, ...]], classes: list[int], noise: float,
                    rng: random.Random) -> tuple[Features, list[int]]:
    """Shuffle the samples (so classes are mixed) and add N(0, noise**2) to every coordinate."""
    order = list(range(len(points)))
    rng.shuffle(order)
    X = [[c + rng.gauss(0.0, noise) if noise else float(c) for c in points[i]] for i in order]
    return X, [classes[i] for i in order]


# --- generated data sets --------------------------------------------------------------------


def xor(n: int = 4, noise: float = 0.0, seed: Seed = None,
        labels: Sequence[int] | None = None) -> tuple[Features, list[int]]:
    """The XOR problem: the corners of the unit square, class 1 where exactly one coordinate is 1.

    The `n` samples cycle through the corners in truth-table order ((0,0), (0,1), (1,0), (1,1)),
    each moved by N(0, noise**2) noise. No straight line separates the classes.

    >>> xor()
    ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0])
    >>> xor(labels=(-1, 1))[1]     # -1/+1 labels for a tanh output or the hinge loss
    [-1, 1, 1, -1]
    """
    check_int("xor: n", n, 4)
    noise = check_real("xor: noise", noise)
    rng = make_rng(seed)
    corners = [(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)]
    X = [[c + rng.gauss(0.0, noise) if noise else c for c in corners[i % 4]] for i in range(n)]
    y = [int(corners[i % 4][0] != corners[i % 4][1]) for i in range(n)]
    return X, _relabel("xor", y, labels, 2)


def moons(n: int = 100, noise: float = 0.1, seed: Seed = None,
          labels: Sequence[int] | None = None) -> tuple[Features, list[int]]:
    """Two interleaving half circles (scikit-learn's make_moons): class 0 above, class 1 below.

    The upper moon is the half circle of radius 1 around (0, 0), the lower one the same shape
    turned over and moved to (1, 0.5); `noise` is the standard deviation of Gaussian noise added
    to each coordinate. Labels are 0/1; `labels=(-1, 1)` gives micrograd's demo labels, which the
    hinge loss needs.

    >>> X, y = moons(6, noise=0.0, seed=0, labels=(-1, 1))
    >>> sorted(y)
    [-1, -1, -1, 1, 1, 1]
    """
    check_int("moons: n", n, 2)
    noise = check_real("moons: noise", noise)
    rng = make_rng(seed)
    n_upper = n // 2
    n_lower = n - n_upper
    points: list[tuple[float, ...]] = []
    for i in range(n_upper):
        t = math.pi * i / max(n_upper - 1, 1)
        points.append((math.cos(t), math.sin(t)))
    for i in range(n_lower):
        t = math.pi * i / max(n_lower - 1, 1)
        points.append((1.0 - math.cos(t), 0.5 - math.sin(t)))
    X, y = _noisy_shuffled(points, [0] * n_upper + [1] * n_lower, noise, rng)
    return X, _relabel("moons", y, labels, 2)


def circles(n: int = 100, noise: float = 0.05, factor: float = 0.5, seed: Seed = None,
            labels: Sequence[int] | None = None) -> tuple[Features, list[int]]:
    """A circle of radius 1 (class 0) around a smaller one of radius `factor` (class 1).

    >>> X, y = circles(8, noise=0.0, seed=0)
    >>> sorted(round(math.hypot(*x), 6) for x in X)
    [0.5, 0.5, 0.5, 0.5, 1.0, 1.0, 1.0, 1.0]
    """
    check_int("circles: n", n, 2)
    noise = check_real("circles: noise", noise)
    factor = check_real("circles: factor", factor, 0, 1, low_open=True, high_open=True)
    rng = make_rng(seed)
    n_outer = n // 2
    n_inner = n - n_outer
    points: list[tuple[float, ...]] = []
    for count, radius in ((n_outer, 1.0), (n_inner, factor)):
        for i in range(count):
            t = 2 * math.pi * i / count
            points.append((radius * math.cos(t), radius * math.sin(t)))
    X, y = _noisy_shuffled(points, [0] * n_outer + [1] * n_inner, noise, rng)
    return X, _relabel("circles", y, labels, 2)


def spirals(n: int = 100, classes: int = 2, noise: float = 0.05, turns: float = 1.0,
            seed: Seed = None, labels: Sequence[int] | None = None
            ) -> tuple[Features, list[int]]:
    """`classes` spiral arms winding out from the centre, one class per arm (as in CS231n).

    Arm k's points sit at radius r from 1/m to 1 and angle 2 pi (k / classes + turns * r), so
    the arms are evenly spaced and each winds `turns` times around; `noise` is added to each
    coordinate. Hard for a linear model, learnable by a small MLP.

    >>> X, y = spirals(90, classes=3, seed=0)
    >>> [y.count(k) for k in range(3)]
    [30, 30, 30]
    """
    check_int("spirals: classes", classes, 2)
    check_int("spirals: n", n, classes)
    noise = check_real("spirals: noise", noise)
    turns = check_real("spirals: turns", turns, 0, 100)
    rng = make_rng(seed)
    points: list[tuple[float, ...]] = []
    y: list[int] = []
    for k, count in enumerate(_split_evenly(n, classes)):
        for i in range(count):
            r = (i + 1) / count  # starting past 0: at the centre every arm would meet
            angle = 2 * math.pi * (k / classes + turns * r)
            points.append((r * math.cos(angle), r * math.sin(angle)))
            y.append(k)
    X, y = _noisy_shuffled(points, y, noise, rng)
    return X, _relabel("spirals", y, labels, classes)


def blobs(n: int = 100, centers: int | Sequence[Sequence[float]] = 3, std: float = 1.0,
          n_features: int | None = None, box: tuple[float, float] = (-10.0, 10.0),
          seed: Seed = None, labels: Sequence[int] | None = None
          ) -> tuple[Features, list[int]]:
    """Gaussian clusters (scikit-learn's make_blobs): class k is N(centers[k], std**2) per axis.

    `centers` is a list of points, or a number of centres drawn uniformly inside `box` in
    `n_features` dimensions (2 by default).

    >>> X, y = blobs(60, centers=[[0.0, 0.0], [5.0, 5.0]], std=0.5, seed=0)
    >>> [y.count(k) for k in range(2)], len(X[0])
    ([30, 30], 2)
    """
    rng = make_rng(seed)
    wrong = ("blobs: centers must be a number of centres or a non-empty list of points, got "
             f"{centers!r:.40}")
    if isinstance(centers, bool):
        raise TypeError(wrong)
    if isinstance(centers, int):
        check_int("blobs: centers", centers)
        dims = 2 if n_features is None else check_int("blobs: n_features", n_features)
        if not (is_sequence(box) and len(box) == 2):
            raise TypeError(f"blobs: box must be a pair (low, high), got {box!r:.40}")
        low = check_real("blobs: box[0]", box[0], -math.inf)
        high = check_real("blobs: box[1]", box[1], -math.inf)
        if low >= high:
            raise ValueError(f"blobs: box must be (low, high) with low < high, got {box!r}")
        points = [[rng.uniform(low, high) for _ in range(dims)] for _ in range(centers)]
    elif is_sequence(centers) and len(centers) > 0:
        dims = check_features("blobs: centers", centers)
        if n_features is not None and n_features != dims:
            raise ValueError(f"blobs: n_features={n_features}, but the centers have {dims} "
                             "coordinates")
        points = [[float(c) for c in center] for center in centers]
    else:
        raise TypeError(wrong)
    check_int("blobs: n", n, len(points))
    std = check_real("blobs: std", std)
    samples: list[tuple[float, ...]] = []
    y: list[int] = []
    for k, count in enumerate(_split_evenly(n, len(points))):
        samples += [tuple(points[k])] * count
        y += [k] * count
    X, y = _noisy_shuffled(samples, y, std, rng)
    return X, _relabel("blobs", y, labels, len(points))


# --- real data sets, shipped in nn/datasets -------------------------------------------------


def _read_dataset(name: str) -> str:
    path = resources.files(__package__ or "nn") / "datasets" / name
    raw = path.read_bytes()
    return (gzip.decompress(raw) if name.endswith(".gz") else raw).decode("ascii")


@cache
def _load_iris() -> tuple[tuple[tuple[float, ...], ...], tuple[int, ...]]:
    header, *rows = _read_dataset("iris.csv").split()
    n_rows, n_features, *class_names = header.split(",")
    # The header (scikit-learn writes the shape and class names there) checks the file.
    if (n_rows, n_features, tuple(class_names)) != ("150", "4", IRIS_CLASSES):
        raise ValueError(f"nn/datasets/iris.csv is damaged: its header reads {header!r}")
    table = [row.split(",") for row in rows]
    return (tuple(tuple(float(v) for v in row[:4]) for row in table),
            tuple(int(row[4]) for row in table))


@cache
def _load_digits() -> tuple[tuple[tuple[float, ...], ...], tuple[int, ...]]:
    table = [row.split(",") for row in _read_dataset("digits.csv.gz").split()]
    return (tuple(tuple(float(v) for v in row[:64]) for row in table),
            tuple(int(row[64]) for row in table))


def iris() -> tuple[Features, list[int]]:
    """Fisher's Iris flowers: 150 samples, 4 measurements in cm, 3 classes of 50.

    Features are `IRIS_FEATURES` (sepal length and width, petal length and width); labels
    0, 1, 2 are `IRIS_CLASSES` (setosa, versicolor, virginica). Setosa is linearly separable
    from the others; versicolor and virginica overlap a little. Shipped with nn (see
    nn/datasets/README.md for source and licence).

    >>> X, y = iris()
    >>> len(X), X[0], [y.count(k) for k in range(3)]
    (150, [5.1, 3.5, 1.4, 0.2], [50, 50, 50])
    """
    features, classes = _load_iris()
    return [list(row) for row in features], list(classes)  # fresh lists: callers may edit them


def digits() -> tuple[Features, list[int]]:
    """Handwritten digits: 1,797 images of 8x8 pixels (64 features, 0..16), 10 classes.

    Each image is a digit 0-9 as counts of ink pixels, row by row (`X[i][8 * row + column]`).
    About 180 images per digit. Shipped with nn (see nn/datasets/README.md).

    >>> X, y = digits()
    >>> len(X), len(X[0]), y[:10]
    (1797, 64, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    """
    features, classes = _load_digits()
    return [list(row) for row in features], list(classes)


# --- splitting, batching, encoding, scaling -------------------------------------------------


def train_test_split(X: Sequence[Any], y: Sequence[Any], test_size: float = 0.3,
                     seed: Seed = None, stratify: bool = False
                     ) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
    """Shuffle and split into `(X_train, X_test, y_train, y_test)`, as scikit-learn orders them.

    The test set gets ceil(test_size * n) samples. With `stratify=True` each class gets its
    share of the test set, so a 3-class set with 50 of each keeps 15 of each in a 30% test set.

    >>> X, y = iris()
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, seed=0, stratify=True)
    >>> len(X_train), len(X_test), [y_test.count(k) for k in range(3)]
    (105, 45, [15, 15, 15])
    """
    n = check_pair("train_test_split", X, y)
    if isinstance(test_size, bool) or not isinstance(test_size, Real):
        raise TypeError(f"train_test_split: test_size must be a fraction such as 0.3, got "
                        f"{type(test_size).__name__}: {test_size!r:.40}")
    if not 0 < test_size < 1:
        raise ValueError(f"train_test_split: test_size must be between 0 and 1 (a fraction "
                         f"of the samples), got {test_size}")
    n_test = math.ceil(test_size * n)
    if n_test >= n:
        raise ValueError(f"train_test_split: test_size={test_size} of {n} samples leaves none "
                         "to train on")
    check_flag("train_test_split: stratify", stratify)
    rng = make_rng(seed)
    if stratify:
        test = _stratified_test_indices(y, n_test, rng)
    else:
        order = list(range(n))
        rng.shuffle(order)
        test = order[:n_test]
    in_test = set(test)
    train = [i for i in range(n) if i not in in_test]
    # Shuffled so neither part is grouped by class (a stratified pick goes class by class).
    rng.shuffle(train)
    rng.shuffle(test)
    return ([X[i] for i in train], [X[i] for i in test],
            [y[i] for i in train], [y[i] for i in test])


def _stratified_test_indices(y: Sequence[Any], n_test: int, rng: random.Random) -> list[int]:
    """n_test indices, each class's share in proportion to its size (largest remainders)."""
    by_class: dict[Any, list[int]] = {}
    for index, label in enumerate(y):
        try:
            by_class.setdefault(label, []).append(index)
        except TypeError:
            raise TypeError(f"train_test_split: stratify=True needs class labels, but label "
                            f"{index} is a {type(label).__name__}") from None
    small = [label for label, members in by_class.items() if len(members) < 2]
    if small:
        raise ValueError(f"train_test_split: stratify=True needs at least 2 samples of each "
                         f"class, but class {small[0]!r} has 1")
    n = len(y)
    shares = {label: n_test * len(members) / n for label, members in by_class.items()}
    counts = {label: math.floor(share) for label, share in shares.items()}
    # Hand the samples left over by rounding down to the classes that lost the most by it.
    by_remainder = sorted(shares, key=lambda label: counts[label] - shares[label])
    for label in by_remainder[:n_test - sum(counts.values())]:
        counts[label] += 1
    test: list[int] = []
    for label, members in by_class.items():
        shuffled = members[:]
        rng.shuffle(shuffled)
        test += shuffled[:counts[label]]
    return test


def batches(X: Sequence[Any], y: Sequence[Any], batch_size: int, shuffle: bool = True,
            seed: Seed = None) -> Iterator[tuple[list[Any], list[Any]]]:
    """Mini-batches `(X_batch, y_batch)` covering the data once; the last one may be smaller.

    Pass the same `random.Random` every epoch to get a new order each epoch. The arguments are
    checked when `batches` is called, not when the first batch is taken.

    >>> [y_batch for _, y_batch in batches([[0], [1], [2], [3], [4]], [0, 1, 2, 3, 4], 2,
    ...                                    shuffle=False)]
    [[0, 1], [2, 3], [4]]
    """
    n = check_pair("batches", X, y)
    check_int("batches: batch_size", batch_size)
    check_flag("batches: shuffle", shuffle)
    order = list(range(n))
    if shuffle:
        make_rng(seed).shuffle(order)
    return _batches(X, y, order, batch_size)


def _batches(X: Sequence[Any], y: Sequence[Any], order: list[int], batch_size: int
             ) -> Iterator[tuple[list[Any], list[Any]]]:
    for start in range(0, len(order), batch_size):
        chosen = order[start:start + batch_size]
        yield [X[i] for i in chosen], [y[i] for i in chosen]


def one_hot(labels: Sequence[int], n_classes: int | None = None) -> list[list[float]]:
    """Class indices as one-hot rows: 2 of 4 classes becomes [0.0, 0.0, 1.0, 0.0].

    `n_classes` defaults to the largest label plus one.

    >>> one_hot([0, 2, 1])
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    """
    if not is_sequence(labels):
        raise TypeError(f"one_hot: labels must be a list of class indices, got "
                        f"{type(labels).__name__}")
    for index, label in enumerate(labels):
        if isinstance(label, bool) or not isinstance(label, int):
            raise TypeError(f"one_hot: label {index} must be a class index (an int), got "
                            f"{type(label).__name__}: {label!r:.40}")
        if label < 0:
            raise ValueError(f"one_hot: label {index} is {label}; class indices start at 0")
    if n_classes is None:
        if len(labels) == 0:
            raise ValueError("one_hot: no labels, so n_classes cannot be inferred; pass it")
        n_classes = max(labels) + 1
    check_int("one_hot: n_classes", n_classes)
    for index, label in enumerate(labels):
        if label >= n_classes:
            raise ValueError(f"one_hot: label {index} is {label}, out of range for {n_classes} "
                             f"classes (0 to {n_classes - 1})")
    rows = [[0.0] * n_classes for _ in labels]
    for row, label in zip(rows, labels):
        row[label] = 1.0
    return rows


def standardize(X: Sequence[Sequence[float]], mean: Sequence[float] | None = None,
                std: Sequence[float] | None = None
                ) -> tuple[Features, tuple[list[float], list[float]]]:
    """Scale each feature to mean 0 and standard deviation 1; returns `(X_scaled, (mean, std))`.

    Without `mean` and `std` they are computed from `X` (the population standard deviation, as
    scikit-learn's StandardScaler does; a constant feature gets std 1 so it is not divided by
    0). Pass the training set's `mean` and `std` to scale test data the same way.

    >>> X_scaled, (mean, std) = standardize([[1.0, 10.0], [3.0, 10.0]])
    >>> X_scaled, mean, std
    ([[-1.0, 0.0], [1.0, 0.0]], [2.0, 10.0], [1.0, 1.0])
    >>> standardize([[5.0, 10.0]], mean, std)[0]
    [[3.0, 0.0]]
    """
    if not is_sequence(X):
        raise TypeError(f"standardize: X must be a list of samples, got {type(X).__name__}")
    if len(X) == 0:
        raise ValueError("standardize: X is empty")
    n_features = check_features("standardize", X)
    if (mean is None) != (std is None):
        raise ValueError("standardize: pass both mean and std (those returned for the "
                         "training data), or neither to compute them from X")
    if mean is None or std is None:
        n = len(X)
        mean = [math.fsum(sample[j] for sample in X) / n for j in range(n_features)]
        std = [math.sqrt(math.fsum((sample[j] - mean[j]) ** 2 for sample in X) / n)
               for j in range(n_features)]
        std = [s if s > 0 else 1.0 for s in std]
    else:
        for name, values in (("mean", mean), ("std", std)):
            if not is_sequence(values) or len(values) != n_features:
                raise ValueError(f"standardize: {name} must be a list of {n_features} numbers "
                                 f"(one per feature), got {values!r:.60}")
        mean = [check_real(f"standardize: mean[{j}]", m, -math.inf)
                for j, m in enumerate(mean)]
        std = [check_real(f"standardize: std[{j}]", s) for j, s in enumerate(std)]
        if 0.0 in std:
            raise ValueError(f"standardize: std[{std.index(0.0)}] is 0; a standard deviation "
                             "must be positive")
        mean, std = list(mean), list(std)
    scaled = [[(float(sample[j]) - mean[j]) / std[j] for j in range(n_features)]
              for sample in X]
    return scaled, (mean, std)
