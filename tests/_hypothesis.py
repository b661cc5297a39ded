"""Hypothesis settings profiles for the property-based tests (tests/test_properties.py).

Three profiles, chosen by the environment variable ``HYPOTHESIS_PROFILE``:

``ci`` (the default, so ``make test`` is deterministic)
    ``derandomize=True``: the examples are a fixed function of each test, the same on
    every run and every machine; ``database=None``: nothing is saved between runs;
    ``print_blob=True``: a failure prints the ``@reproduce_failure`` line that replays
    it; ``deadline=None``: JAX compiles each new shape on its first use, so the first
    example of a shape is slow for reasons that are not the test's.
``dev``
    Random exploration, twice the examples, failing examples saved and replayed first
    on the next run.
``thorough``
    Random exploration, ten times the examples (minutes, not seconds).

Each property asks for its own number of examples with :func:`examples`, given for the
``ci`` profile; the other profiles scale it.

Hypothesis keeps a storage directory (its example database and a cache of the constants
of the source files it reads) in ``.hypothesis/`` under the current directory by
default, which would be the clone. It is moved to ``adjnets-hypothesis`` in the
temporary directory, unless ``HYPOTHESIS_STORAGE_DIRECTORY`` names one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir

if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
    set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "adjnets-hypothesis")

SCALE = {"ci": 1, "dev": 2, "thorough": 10}
"""How many times the ``ci`` number of examples each profile runs."""

settings.register_profile(
    "ci", derandomize=True, database=None, deadline=None, print_blob=True
)
settings.register_profile("dev", deadline=None, print_blob=True)
settings.register_profile("thorough", deadline=None, print_blob=True)

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
if PROFILE not in SCALE:
    raise ValueError(
        f"HYPOTHESIS_PROFILE must be one of {sorted(SCALE)}, got {PROFILE!r}"
    )
settings.load_profile(PROFILE)


def examples(n: int) -> settings:
    """Settings that run ``n`` examples under the ``ci`` profile, more under the
    others."""
    return settings(max_examples=n * SCALE[PROFILE])
