"""JSON text read as what a service reads, or not read as JSON at all.

``json.loads`` quietly keeps the last of two equal keys and turns ``1e400`` and ``1e999`` alike into
``inf``: ``{"prompt":"cat","prompt":"dog"}`` and ``{"prompt":"dog"}`` would be stored, matched and
replayed as one request, and ``1e400`` would be written back as ``Infinity``, which is no JSON. Which of
two equal keys a service reads is its own choice, so a body that a plain JSON value cannot hold exactly
is not turned into one: ``loads`` raises ``NotPlainJSON`` (a ``ValueError``), and the caller keeps the
text as it was sent (``bodies.py``: a ``{"string": ...}`` body, matched by its text).

``Pairs`` reads such text with every member kept, in order, for redaction to walk; ``dumps_pairs``
writes it back.

Pure: ``json`` and ``math``.
"""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["Number", "Pairs", "dumps_pairs", "loads", "loads_pairs"]


class NotPlainJSON(ValueError):
    """JSON text a plain value cannot hold exactly: a repeated key, a number out of a float's range,
    ``NaN`` or ``Infinity``."""


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        raise NotPlainJSON("an object repeats a key")
    return value


def _float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise NotPlainJSON(f"the number {text[:40]} is out of range")
    return value


def _constant(name: str) -> Any:
    raise NotPlainJSON(f"{name} is not JSON")


def loads(text: str | bytes) -> Any:
    """``json.loads``, raising ``NotPlainJSON`` for what a plain value cannot hold exactly."""
    return json.loads(text, object_pairs_hook=_object, parse_float=_float, parse_constant=_constant)


class Pairs(list[tuple[str, Any]]):
    """A JSON object with every member kept, in order (a key may repeat)."""

    def items(self) -> list[tuple[str, Any]]:
        return list(self)


def loads_pairs(text: str) -> Any:
    """JSON text with each object as ``Pairs`` and each number as written (see ``dumps_pairs``)."""
    return json.loads(
        text, object_pairs_hook=Pairs, parse_float=Number, parse_int=Number, parse_constant=Number
    )


class Number(str):
    """A number kept as its text, written back as it was."""


def dumps_pairs(value: Any) -> str:
    """Compact JSON text of a value ``loads_pairs`` read (repeated keys and numbers as they were)."""
    if isinstance(value, Pairs):
        return "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{dumps_pairs(v)}" for k, v in value) + "}"
    if isinstance(value, list):
        return "[" + ",".join(dumps_pairs(item) for item in value) + "]"
    if isinstance(value, Number):
        return str(value)
    return json.dumps(value, ensure_ascii=False)
