"""Checks of the arguments that the modules share (data sizes, seeds, masks)."""

from __future__ import annotations

import numbers

import numpy as np
import numpy.typing as npt


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


def binary_mask(
    name: str, value: object, shape: tuple[int, ...], who: str
) -> npt.NDArray[np.float64]:
    """``value`` as a float array of 0s and 1s of ``shape`` (all ones if ``None``).

    Booleans count as 0 and 1; anything else (0.5, 2, -1, NaN, another shape, a
    non-numeric array) is a ValueError naming ``name``, the values allowed and what
    came.
    """
    if value is None:
        return np.ones(shape)
    m = np.asarray(value)
    if m.shape != shape:
        raise ValueError(f"{who} expected {name} of shape {shape}, got {m.shape}")
    if not any(np.issubdtype(m.dtype, t) for t in (np.bool_, np.integer, np.floating)):
        raise ValueError(
            f"{who} expected {name} of 0s and 1s (or booleans), got dtype {m.dtype}"
        )
    bad = np.flatnonzero((m != 0) & (m != 1))  # NaN is neither
    if bad.size:
        first = m.flat[bad[0]].item()
        where = tuple(int(i) for i in np.unravel_index(bad[0], shape))
        raise ValueError(
            f"{who} expected {name} with entries in {{0, 1}} (or booleans), got "
            f"{first!r} at index {where} ({bad.size} entries not 0 or 1)"
        )
    return m.astype(float)
