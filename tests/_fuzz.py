"""The fuzz suite's cases (issue 14, item 3): a wrong argument and the error it must get.

Each ``tests/test_fuzz_*.py`` file lists :class:`Bad` cases in a module-level ``CASES``
and the public names it leaves out, each with the reason, in ``EXCUSED``; it runs its
cases with :func:`refuses`. ``tests/test_fuzz_coverage.py`` then checks that every
public name of the package is refused something by some case, or excused.

A case passes when the call raises the expected type and the message follows the
validation layer's form (``adjnets.validation``): it says what was *expected* and what it
*got*, and matches ``says``, a regular expression that names the argument.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class Bad:
    """One wrong call.

    Attributes
    ----------
    name : str
        The public name refusing it: a function or class (``"Dense"``), or a method
        (``"Network.forward"``); the part before the first dot is what coverage counts.
    what : str
        What is wrong, for the test's id (``"width 0"``).
    call : callable
        Makes the call (no arguments).
    error : exception type or tuple of them
        ``ValueError`` for a wrong value, ``TypeError`` for a wrong kind.
    says : str
        A regular expression the message must match (searched, case-sensitive): the
        argument's name at least.
    """

    name: str
    what: str
    call: Callable[[], object]
    error: type[Exception] | tuple[type[Exception], ...]
    says: str

    @property
    def id(self) -> str:
        return f"{self.name}: {self.what}"


def refuses(case: Bad) -> None:
    """Run ``case`` and assert that it is refused as it should be."""
    with pytest.raises(case.error) as info:
        case.call()
    message = str(info.value)
    assert re.search(case.says, message), f"message {message!r} lacks {case.says!r}"
    assert "expected" in message and "got" in message, (
        f"message {message!r} does not say what was expected and what came"
    )


def params(cases: list[Bad]) -> object:
    """``cases`` as pytest parameters with readable ids."""
    return pytest.mark.parametrize("case", cases, ids=[c.id for c in cases])
