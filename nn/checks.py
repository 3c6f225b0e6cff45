"""The argument checks every part of nn shares, so that one kind of mistake reads the same
everywhere.

Each check takes `what`, the argument as its message names it (`"n_inputs"`, `"Dropout: p"`,
`"SGD: lr"`), and returns the value it checked, so a constructor reads
`self.p = check_real("Dropout: p", p, 0, 1)`. A wrong type raises a TypeError and a value out of
range a ValueError; both say what was given.

>>> check_real("Dropout: p", 0.5, 0, 1)
0.5
>>> check_real("Dropout: p", 1.5, 0, 1)
Traceback (most recent call last):
ValueError: Dropout: p must be in [0, 1], got 1.5
>>> check_real("SGD: lr", -0.1)
Traceback (most recent call last):
ValueError: SGD: lr must be a finite number >= 0, got -0.1
>>> check_int("n_inputs", 2.0)
Traceback (most recent call last):
TypeError: n_inputs must be an int, got float: 2.0
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from numbers import Real
from typing import Any

__all__ = ["is_sequence", "finite", "check_int", "check_flag", "check_real", "check_choice",
           "check_pair", "check_features"]


def is_sequence(x: object) -> bool:
    """True for a list, a tuple or a numpy array; never for a string.

    A sample, a list of samples and a list of labels are all sequences in this sense: a 1-d
    numpy array is a fine sample too (its numbers become Constants as floats do).
    """
    return not isinstance(x, (str, bytes)) and (isinstance(x, Sequence) or hasattr(x, "__array__"))


def check_int(what: str, n: object, minimum: int = 1) -> int:
    """`n` if it is an int of at least `minimum` (a bool is not an int here)."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{what} must be an int, got {type(n).__name__}: {n!r:.40}")
    if n < minimum:
        raise ValueError(f"{what} must be at least {minimum}, got {n}")
    return n


def check_flag(what: str, flag: object) -> bool:
    """`flag` if it is True or False (not 0, 1 or None)."""
    if not isinstance(flag, bool):
        raise TypeError(f"{what} must be True or False, got {type(flag).__name__}: {flag!r:.40}")
    return flag


def finite(x: object) -> bool:
    """Whether a real number is a finite float (an int beyond a float, 10**400, is not)."""
    try:
        return math.isfinite(x)  # type: ignore[arg-type]
    except OverflowError:
        return False


def check_real(what: str, x: object, low: float = 0.0, high: float = math.inf, *,
               low_open: bool = False, high_open: bool = False) -> float:
    """`x` as a finite float from `low` to `high`, each end included unless it is open.

    NaN and the infinities are refused whatever the range.
    """
    if isinstance(x, bool) or not isinstance(x, Real):
        raise TypeError(f"{what} must be a number, got {type(x).__name__}: {x!r:.40}")
    try:
        value = float(x)
    except OverflowError:  # an int beyond a float, such as 10**400
        value = math.inf
    above = low < value if low_open else low <= value
    below = value < high if high_open else value <= high
    if not (math.isfinite(value) and above and below):
        raise ValueError(f"{what} must be {_allowed(low, high, low_open, high_open)}, "
                         f"got {x!r:.40}")
    return value


def _allowed(low: float, high: float, low_open: bool, high_open: bool) -> str:
    """A range in the words of an error: `a finite number >= 0`, `in [0, 1)`."""
    if low == -math.inf and high == math.inf:
        return "a finite number"
    if high == math.inf:
        return f"a finite number {'>' if low_open else '>='} {low:g}"
    opening = "(" if low_open or low == -math.inf else "["
    closing = ")" if high_open else "]"
    return f"in {opening}{low:g}, {high:g}{closing}"


def check_choice(what: str, name: object, choices: Mapping[str, object]) -> str:
    """`name` if it is one of the keys of `choices` (an error lists them all)."""
    if not isinstance(name, str) or name not in choices:
        raise ValueError(f"unknown {what} {name!r}; choose one of: {', '.join(choices)}")
    return name


def check_pair(who: str, X: object, y: object) -> int:
    """Check that X and y are sequences of the same, non-zero length; return that length."""
    for name, data in (("X", X), ("y", y)):
        if not is_sequence(data):
            raise TypeError(f"{who}: {name} must be a list, got {type(data).__name__}")
    n_samples, n_labels = len(X), len(y)  # type: ignore[arg-type]
    if n_samples != n_labels:
        raise ValueError(f"{who}: X has {n_samples} samples but y has {n_labels} labels")
    if n_samples == 0:
        raise ValueError(f"{who}: the data set is empty")
    return n_samples


def check_features(who: str, X: Sequence[Any]) -> int:
    """Check that every sample is a list of finite numbers, all of one length; return it."""
    n_features = -1
    for index, sample in enumerate(X):
        if not is_sequence(sample):
            raise TypeError(f"{who}: sample {index} must be a list of numbers, got "
                            f"{type(sample).__name__}: {sample!r:.40}")
        if n_features < 0:
            n_features = len(sample)
            if n_features == 0:
                raise ValueError(f"{who}: sample 0 has no features")
        elif len(sample) != n_features:
            raise ValueError(f"{who}: sample {index} has {len(sample)} features, but sample 0 "
                             f"has {n_features}")
        for feature in sample:
            if isinstance(feature, bool) or not isinstance(feature, Real):
                raise TypeError(f"{who}: sample {index} holds a {type(feature).__name__} "
                                f"({feature!r:.40}); features must be numbers")
            if not finite(feature):
                raise ValueError(f"{who}: sample {index} holds {feature!r:.40}; features must be "
                                 "finite")
    return n_features
