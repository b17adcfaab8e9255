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

Recording adds secrets as it goes (each reply's new cookie is one more value), so the set grows by one or
a few values per interaction. One alternation of every value, compiled afresh each time, made recording
quadratic (Python's regex parser is slow: 200 calls took minutes). So the values sit in *blocks*, each one
compiled alternation, merged like the digits of a binary counter: a set grown one value at a time from
one it extends (``literals_for`` keeps the latest sets) compiles each value O(log n) times in all, and a
text is searched by O(log n) patterns, merged so that what is found is what one alternation of every value
would find (``_scan``).

Pure: ``re``, ``html`` and ``urllib.parse``.
"""

from __future__ import annotations

import html
import re
import threading
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
    return forms


def _hex_form(value: str) -> str:
    """The value's bytes in hex, lower case (searched in either case)."""
    return value.encode("utf-8", "surrogatepass").hex()


class _Block:
    """Some of the values, and their forms as one alternation, longest first (so it finds the longest
    form that starts where it matches)."""

    def __init__(self, values: frozenset[str]) -> None:
        self.values = values
        forms: dict[str, str] = {}
        hexes: dict[str, str] = {}
        for value in sorted(values):
            for form in _plain_forms(value):
                forms.setdefault(form, value)
            hexes.setdefault(_hex_form(value), value)
        # Hex in either case as one case-blind alternative: the pattern's text is what compiling costs.
        entries = [(form, re.escape(form)) for form in forms]
        entries += [(form, f"(?i:{form})") for form in hexes if form not in forms]
        entries.sort(key=lambda entry: (-len(entry[0]), entry[0]))
        self.value_of = {**hexes, **forms}
        self.pattern = re.compile("|".join(source for _, source in entries))

    def value(self, found: str) -> str:
        """The value a matched form stands for."""
        return self.value_of.get(found) or self.value_of[found.lower()]


def _scan(blocks: tuple[_Block, ...], text: str) -> Iterator[tuple[int, int, str]]:
    """What one alternation of every block's forms finds in ``text``: from left to right, at the earliest
    position any block matches, the longest form there; then on from its end. Each block's next match is
    searched again only once the scan has passed its start."""
    ahead: list[re.Match[str] | None] = [block.pattern.search(text) for block in blocks]
    position = 0
    while True:
        best = -1
        for i, match in enumerate(ahead):
            if match is not None and match.start() < position:
                match = ahead[i] = blocks[i].pattern.search(text, position)
            if match is None:
                continue
            chosen = ahead[best] if best >= 0 else None
            if chosen is None or (match.start(), -match.end()) < (chosen.start(), -chosen.end()):
                best = i
        if best < 0:
            return
        found = ahead[best]
        assert found is not None
        yield found.start(), found.end(), blocks[best].value(found.group(0))
        position = found.end()


class Literals:
    """A fixed set of literal secrets and every form of them this module knows (see the module)."""

    def __init__(self, values: Iterable[str], *, _blocks: tuple[_Block, ...] = ()) -> None:
        self.values = frozenset(values)
        blocks = list(_blocks)
        new = self.values.difference(*(block.values for block in blocks))
        if new:
            blocks.append(_Block(frozenset(new)))
        # Merge as a binary counter carries: no block is smaller than the one after it.
        while len(blocks) > 1 and len(blocks[-2].values) <= len(blocks[-1].values):
            last = blocks.pop()
            blocks[-1] = _Block(blocks[-1].values | last.values)
        self._blocks = tuple(blocks)

    def extended(self, values: Iterable[str]) -> Literals:
        """The ``Literals`` of ``values``, a superset of this one's, compiling only what is new."""
        return Literals(values, _blocks=self._blocks)

    def __bool__(self) -> bool:
        return bool(self._blocks)

    def spans(self, text: str) -> Iterator[tuple[int, int, str]]:
        """``(start, end, value)`` of each secret in ``text``, in order and not overlapping: found in the
        text as it is, and in its decoded view (a value may itself hold ``%2B``: it is found as written)."""
        if not self._blocks:
            return
        found = list(_scan(self._blocks, text))
        view = _view(text) if _MAY_ENCODE.search(text) else None
        if view is not None:
            decoded, starts, ends = view
            for start, end, value in _scan(self._blocks, decoded):
                found.append((starts[start], ends[end - 1], value))
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


_RECENT: list[Literals] = []  # the sets made last, newest first: a growing set extends one of them
_KEEP = 8
_LOCK = threading.Lock()  # an application may record from threads of its own


def literals_for(values: Iterable[str]) -> Literals:
    """The ``Literals`` of a set of values: the same object for a set asked for lately, and for a set that
    grew from one of those, that one extended (see the module docstring)."""
    wanted = values if isinstance(values, frozenset) else frozenset(values)
    with _LOCK:
        base: Literals | None = None
        for position, known in enumerate(_RECENT):
            if known.values == wanted:
                _RECENT.insert(0, _RECENT.pop(position))
                return known
            if known.values <= wanted and (base is None or len(known.values) > len(base.values)):
                base = known
        made = base.extended(wanted) if base is not None else Literals(wanted)
        _RECENT.insert(0, made)
        del _RECENT[_KEEP:]
        return made
