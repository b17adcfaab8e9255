"""The kind of a JSON-like value, in words.

Each layer names kinds in its own vocabulary (the API's messages say "a string" and "an array", a
cassette report says "text" and "a list"), so each passes its own names; the order of the checks is
kept here once, since ``bool`` must be tested before ``int``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

__all__ = ["kind_of"]

#: What ``names`` give words for, in this order: null, boolean, integer, float, string, list, mapping, bytes.
_ORDER: Final = (type(None), bool, int, float, str, list | tuple, Mapping, bytes | bytearray)


def kind_of(value: Any, names: Sequence[str], other: str = "{}") -> str:
    """The word in ``names`` (one per entry of ``_ORDER``) for ``value``'s kind; for anything else,
    ``other`` formatted with the type's name (what YAML makes of dates, sets ...)."""
    for kind, name in zip(_ORDER, names, strict=True):
        if isinstance(value, kind):
            return name
    return other.format(type(value).__name__)
