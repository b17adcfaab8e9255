"""What a string or a byte string may hide, decoded for the leak scan.

A service can hand a secret back in a form no text search sees: a key base64-encoded where an image
should be (a Responses ``result``, a chat ``data:text/plain;base64,`` URL, Gemini ``inlineData`` of type
``text/plain``, Imagen's ``bytesBase64Encoded``, any other field), URL-safe base64 JSON in a query
(``?state=eyJ...``), gzip inside an ``application/octet-stream`` body, UTF-16 text. ``in_text`` and
``in_bytes`` yield each such hidden text, with what it was, so the leak scan searches it like any other:

- every run of 20 or more base64 characters (standard or URL-safe alphabet, padding optional) that
  decodes, at any of the four alignments its first characters allow;
- bytes: an image's text blocks (never its pixels: ``image_text.py``); gzip or zlib data inflated (at
  most ``MAX_INFLATED`` bytes); text as UTF-8, as UTF-16 (with a byte-order mark, or NUL every other
  byte) and as Latin-1; and the base64 runs inside that text, to ``MAX_DEPTH`` levels.

Pure: bytes and text in, text out.
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from collections.abc import Iterator

from pytest_imagegen.safety.image_text import metadata_texts
from pytest_imagegen.wire.payloads import sniff_image_format

__all__ = ["MAX_DEPTH", "MAX_INFLATED", "holds_encoded_text", "in_bytes", "in_text", "may_hide"]

MAX_DEPTH = 3
MAX_INFLATED = 8 << 20
_RUN = re.compile(r"[A-Za-z0-9+/_-]{20,}={0,2}")


def may_hide(text: str) -> bool:
    """Whether ``text`` holds a run of base64 long enough to hide a secret (a cheap first test)."""
    return _RUN.search(text) is not None


def _decodings(run: str) -> Iterator[bytes]:
    """``run`` decoded as standard or URL-safe base64, at each alignment (a run may start mid-group)."""
    seen: set[bytes] = set()
    core = run.rstrip("=")
    alphabet = b"-_" if ("-" in core or "_" in core) else None
    for skip in range(4):
        piece = core[skip:]
        if len(piece) < 16:
            break
        piece = piece[: len(piece) - 1] if len(piece) % 4 == 1 else piece
        try:
            raw = base64.b64decode(piece + "=" * (-len(piece) % 4), altchars=alphabet, validate=True)
        except (binascii.Error, ValueError):
            continue
        if raw not in seen:
            seen.add(raw)
            yield raw
            if skip == 0 and sniff_image_format(raw) is not None:
                return  # an image from its first character: no other alignment is worth decoding


def _inflated(raw: bytes) -> bytes | None:
    """gzip or zlib data inflated (at most ``MAX_INFLATED`` bytes), else None."""
    if raw[:2] == b"\x1f\x8b":
        wbits = 16 + zlib.MAX_WBITS
    elif len(raw) > 1 and raw[0] & 0x0F == 8 and (raw[0] << 8 | raw[1]) % 31 == 0:
        wbits = zlib.MAX_WBITS
    else:
        return None
    try:
        inflater = zlib.decompressobj(wbits)
        return inflater.decompress(raw, MAX_INFLATED)
    except zlib.error:
        return None


def _as_text(raw: bytes) -> Iterator[tuple[str, str]]:
    quarter = len(raw) // 4
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        yield "as UTF-16", raw.decode("utf-16", "replace")
    elif len(raw) >= 4 and raw[1::2].count(0) > quarter:
        yield "as UTF-16-LE", raw.decode("utf-16-le", "replace")
    elif len(raw) >= 4 and raw[0::2].count(0) > quarter:
        yield "as UTF-16-BE", raw.decode("utf-16-be", "replace")
    try:
        yield "", raw.decode("utf-8")
    except UnicodeDecodeError:
        yield "", raw.decode("latin-1")


def in_bytes(raw: bytes, depth: int = 0) -> Iterator[tuple[str, str]]:
    """``(what, text)`` for everything ``raw`` may hold as text (see the module docstring); ``what`` is
    empty for the bytes read as plain text."""
    if sniff_image_format(raw) is not None:
        for kind, block in metadata_texts(raw):
            yield f"image {kind}", block
        return
    inflated = _inflated(raw)
    if inflated is not None:
        for what, text in in_bytes(inflated, depth + 1):
            yield _joined("inflated", what), text
        return
    for what, text in _as_text(raw):
        yield what, text
        if depth < MAX_DEPTH:
            for inner, hidden in in_text(text, depth + 1):
                yield _joined(what, inner), hidden


def _joined(*whats: str) -> str:
    return ", ".join(what for what in whats if what)


def in_text(text: str, depth: int = 0) -> Iterator[tuple[str, str]]:
    """``(what, text)`` for each base64 run in ``text`` that decodes, and what the decoded bytes hold."""
    if depth > MAX_DEPTH:
        return
    for match in _RUN.finditer(text):
        for raw in _decodings(match.group(0)):
            for what, hidden in in_bytes(raw, depth):
                yield _joined("decoded base64", what), hidden


def holds_encoded_text(text: str) -> bool:
    """Whether a base64 run in ``text`` decodes to readable text (12 characters or more): what a display
    (a diff, the drift report) hides rather than print a piece of, since a secret may be in it."""
    for match in _RUN.finditer(text):
        for raw in _decodings(match.group(0)):
            if sniff_image_format(raw) is not None:
                continue
            if _inflated(raw) is not None:
                return True
            try:
                decoded = raw.decode("utf-8")
            except UnicodeDecodeError:
                continue
            readable = sum(1 for c in decoded if c.isprintable() or c.isspace())
            if len(decoded) >= 12 and readable >= 0.9 * len(decoded):
                return True
    return False
