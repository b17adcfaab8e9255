"""Literal secrets found in text however the text writes them.

A value this run sent as a secret (its key, a cookie, a configured ``secret_values`` entry, the value of a
credential-named field) may come back written another way: percent-encoded in part or in full
(``%73%6B%2D...``), as HTML character references (``sk&#45;proj``, ``&#x73;&#x6b;``), as ``\\u002d``
escapes of a text body holding JSON, with zero-width characters inside, or as its bytes in hex.
``Literals`` finds every one of these forms and gives their spans in the original text, so redaction can
replace them and the leak scan can refuse them.

How: the plain forms (the value, its usual percent-encodings and its hex) are one alternation, searched
directly. Text holding anything that may encode a character (``%``, ``&``, a backslash, a zero-width
character) is first decoded into a *view*, each of its characters mapped back to the span of the
original it came from; the alternation is searched there and each hit mapped back. Decoding is repeated
(a percent-encoded character reference) up to ``_ROUNDS`` times. Linear in the text.

A set of values is compiled once (``literals_for`` caches by value set), not once per interaction.

Pure: ``re``, ``html`` and ``urllib.parse``.
"""

from __future__ import annotations

import functools
import html
import re
import urllib.parse
from collections.abc import Callable, Iterable, Iterator

__all__ = ["Literals", "decoded", "literals_for"]

# What may stand for one character of a value (percent escape, character reference, JSON/Python escape),
# or for nothing at all (zero-width and invisible format characters).
_ENCODED = re.compile(
    r"%(?P<pct>[0-9A-Fa-f]{2})"
    r"|&#(?P<dec>[0-9]{1,7});?"
    r"|&#[xX](?P<hex>[0-9A-Fa-f]{1,6});?"
    r"|&(?P<named>[A-Za-z][A-Za-z0-9]{1,31});"
    r"|\\u(?P<u4>[0-9A-Fa-f]{4})"
    r"|\\x(?P<x2>[0-9A-Fa-f]{2})"
    r"|(?P<invisible>[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff])"
)
_MAY_ENCODE = re.compile(r"[%&\\\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_ROUNDS = 3


def _decoded_char(match: re.Match[str]) -> str | None:
    """The character an encoded form stands for ("" for an invisible one), None when it stands for none."""
    kind = match.lastgroup
    value = match.group(kind) if kind else None
    if value is None:
        return None
    if kind == "invisible":
        return ""
    if kind == "named":
        text = html.unescape(f"&{value};")
        return text if len(text) == 1 else None
    code = int(value, 10 if kind == "dec" else 16)
    return chr(code) if code < 0x110000 and not 0xD800 <= code < 0xE000 else None


def _decode_once(text: str) -> tuple[str, list[int], list[int]] | None:
    """``text`` with each encoded character decoded, and for each character of the result the start and
    end of what it came from; None when nothing in it is encoded."""
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    position = 0
    changed = False
    for match in _ENCODED.finditer(text):
        char = _decoded_char(match)
        if char is None:
            continue
        changed = True
        pieces.append(text[position : match.start()])
        starts.extend(range(position, match.start()))
        ends.extend(range(position + 1, match.start() + 1))
        pieces.append(char)
        if char:
            starts.append(match.start())
            ends.append(match.end())
        position = match.end()
    if not changed:
        return None
    pieces.append(text[position:])
    starts.extend(range(position, len(text)))
    ends.extend(range(position + 1, len(text) + 1))
    return "".join(pieces), starts, ends


def _view(text: str) -> tuple[str, list[int], list[int]] | None:
    """The decoded view of ``text`` (see the module docstring) with its map, or None when it is ``text``."""
    current = _decode_once(text)
    if current is None:
        return None
    view, starts, ends = current
    for _ in range(_ROUNDS - 1):
        again = _decode_once(view)
        if again is None:
            break
        view, inner_starts, inner_ends = again
        starts = [starts[i] for i in inner_starts]
        ends = [ends[i - 1] for i in inner_ends]
    return view, starts, ends


def decoded(text: str) -> str:
    """``text`` with every encoded character decoded (see the module docstring): what the leak scan
    searches for credential shapes as well as ``text`` itself."""
    view = _view(text) if _MAY_ENCODE.search(text) else None
    return text if view is None else view[0]


def _plain_forms(value: str) -> set[str]:
    forms = {value, urllib.parse.quote(value, safe=""), urllib.parse.quote_plus(value)}
    if "%" in value:  # a value taken from a URL as it was written there: its decoded form too
        forms.add(urllib.parse.unquote(value))
    raw = value.encode("utf-8", "surrogatepass")
    forms |= {raw.hex(), raw.hex().upper()}
    return forms


class Literals:
    """A fixed set of literal secrets and every form of them this module knows (see the module)."""

    def __init__(self, values: Iterable[str]) -> None:
        self.values = frozenset(values)
        forms: dict[str, str] = {}
        for value in sorted(self.values):
            for form in _plain_forms(value):
                forms.setdefault(form, value)
        self._value_of = forms
        ordered = sorted(forms, key=lambda f: (-len(f), f))
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def __bool__(self) -> bool:
        return self._pattern is not None

    def spans(self, text: str) -> Iterator[tuple[int, int, str]]:
        """``(start, end, value)`` of each secret in ``text``, in order and not overlapping: found in the
        text as it is, and in its decoded view (a value may itself hold ``%2B``: it is found as written)."""
        if self._pattern is None:
            return
        found = [(m.start(), m.end(), self._value_of[m.group(0)]) for m in self._pattern.finditer(text)]
        view = _view(text) if _MAY_ENCODE.search(text) else None
        if view is not None:
            decoded, starts, ends = view
            for match in self._pattern.finditer(decoded):
                found.append((starts[match.start()], ends[match.end() - 1], self._value_of[match.group(0)]))
            found.sort(key=lambda span: (span[0], -span[1]))
        last = 0
        for start, end, value in found:
            if start >= last:
                yield start, end, value
                last = end

    def search(self, text: str) -> bool:
        return next(self.spans(text), None) is not None

    def sub(self, replacement: Callable[[str], str], text: str) -> str:
        """``text`` with each secret, in whatever form, replaced by ``replacement(value)``."""
        out: list[str] = []
        position = 0
        for start, end, value in self.spans(text):
            out.append(text[position:start])
            out.append(replacement(value))
            position = end
        if not out:
            return text
        out.append(text[position:])
        return "".join(out)


@functools.lru_cache(maxsize=32)
def _cached(values: frozenset[str]) -> Literals:
    return Literals(values)


def literals_for(values: Iterable[str]) -> Literals:
    """The ``Literals`` of a set of values, compiled once per distinct set."""
    return _cached(values if isinstance(values, frozenset) else frozenset(values))
