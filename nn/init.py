"""Weight initialisation, and the seeded random generators every constructor uses.

Each scheme draws one weight from an explicit `random.Random`, given the weight's layer shape:
`fan_in` inputs per neuron and `fan_out` neurons in the layer. Nothing here touches Python's
global random state, so seeding a model never disturbs (or depends on) other code.

>>> rng = make_rng(0)
>>> round(INITS["uniform"](rng, 2, 1), 6)
0.688844
>>> make_rng(0).random() == make_rng(0).random()
True
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

__all__ = ["INITS", "make_rng", "uniform", "xavier", "he"]

Init = Callable[[random.Random, int, int], float]


def make_rng(seed: int | random.Random | None) -> random.Random:
    """A generator from a seed; a given generator as it is; a freshly seeded one for None."""
    if isinstance(seed, random.Random):
        return seed  # shared on purpose: an MLP hands one generator to all its layers
    if seed is None:
        return random.Random()  # seeded from the operating system, not from the global state
    if isinstance(seed, int) and not isinstance(seed, bool):
        return random.Random(seed)
    raise TypeError(f"seed must be an int, a random.Random or None, got {type(seed).__name__}: "
                    f"{seed!r:.40}")


def uniform(rng: random.Random, fan_in: int, fan_out: int) -> float:
    """U(-1, 1) whatever the shape, as micrograd does."""
    return rng.uniform(-1.0, 1.0)


def xavier(rng: random.Random, fan_in: int, fan_out: int) -> float:
    """Xavier/Glorot: U(-a, a) with a = sqrt(6 / (fan_in + fan_out)), for tanh and sigmoid."""
    # This bound gives variance 2 / (fan_in + fan_out), which keeps the scale of activations
    # and of gradients roughly the same from layer to layer.
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-bound, bound)


def he(rng: random.Random, fan_in: int, fan_out: int) -> float:
    """He/Kaiming: N(0, 2 / fan_in), for relu (which zeroes half its inputs)."""
    return rng.gauss(0.0, math.sqrt(2.0 / fan_in))


INITS: dict[str, Init] = {"uniform": uniform, "xavier": xavier, "he": he}
