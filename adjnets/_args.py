"""Checks of the arguments that the modules share (data sizes, seeds)."""

from __future__ import annotations

import numbers

import numpy as np


def generator(rng: np.random.Generator | int) -> np.random.Generator:
    """``rng`` if it is a :class:`numpy.random.Generator`, else one seeded with it."""
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def positive_int(name: str, value: object, minimum: int = 1, who: str = "") -> int:
    """``value`` as an ``int``, or ValueError unless it is an integer ``>= minimum``."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or value < minimum
    ):
        prefix = f"{who} expected" if who else "expected"
        raise ValueError(
            f"{prefix} {name} to be an integer >= {minimum}, got {value!r}"
        )
    return int(value)
