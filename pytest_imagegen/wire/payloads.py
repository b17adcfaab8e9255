"""Base64 images inside bodies: recognizing them (bare base64 or ``data:`` URLs) and their format, the
placeholders that stand for them on disk, and the splice marks that put them back into rendered JSON.

Recognition is a head check (the first characters must be a known magic number in base64), so it costs
the same for a 3 MB image as for a short string: redaction, trimming and the leak scan call it on every
string they see. Placeholders are made and expanded by ``safety/trim.py``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "IMAGE_MIME",
    "SPLICE_MARK",
    "b64decode_strict",
    "contains_placeholder",
    "decoded_image_payload",
    "dumps_spliced",
    "image_payload",
    "is_image_ref",
    "is_placeholder",
    "sniff_image_format",
]

PLACEHOLDER_KEYS = frozenset({"format", "width", "height", "mode", "sha256", "bytes"})

IMAGE_MIME = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp", "gif": "image/gif"}


def sniff_image_format(raw: bytes) -> str | None:
    """``png``, ``jpeg``, ``webp`` or ``gif`` from the magic number, else None."""
    if raw.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if raw.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if raw.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if len(raw) >= 12 and raw[:4] == b"RIFF" and raw[8:12] == b"WEBP":
        return "webp"
    return None


# The first four base64 characters of each magic number ``sniff_image_format`` knows (png, jpeg, gif,
# RIFF): a string that starts otherwise is not a base64 image, and most strings fail this first test.
_B64_MAGIC_HEADS = frozenset({"iVBO", "/9j/", "R0lG", "UklG"})
# ``data:image/png;base64,``: the media type may carry parameters; the base64 marker ends the prefix.
_DATA_URL_PREFIX = re.compile(r"data:image/[A-Za-z0-9.+-]+(?:;[^,;]*=[^,;]*)*;base64,", re.IGNORECASE)


def image_payload(text: str) -> tuple[str, str] | None:
    """``(prefix, base64)`` when ``text`` looks like a base64 image, else None.

    ``prefix`` is ``""`` for bare base64 (``b64_json``, ``result``, ``partial_image_b64``) or the exact
    ``data:<mime>;base64,`` of a data URL (``input_image.image_url``). A head check only: the first
    characters must be a known magic number in base64, and the first 24 characters must decode to one;
    the rest is not decoded here. So it costs the same for a 3 MB image as for a short string, and
    redaction and the leak scan can call it on every string they see.
    """
    prefix = ""
    if text[:5].lower() == "data:":
        match = _DATA_URL_PREFIX.match(text, 0, 200)
        if match is None:
            return None
        prefix = match.group(0)
    if text[len(prefix) : len(prefix) + 4] not in _B64_MAGIC_HEADS:
        return None
    head = b64decode_strict(text[len(prefix) : len(prefix) + 24])
    if head is None or sniff_image_format(head) is None:
        return None
    return prefix, text[len(prefix) :]


def decoded_image_payload(text: str) -> tuple[str, bytes] | None:
    """``(prefix, image bytes)`` when ``text`` is a base64 image (see ``image_payload``) that decodes in
    full, else None."""
    found = image_payload(text)
    if found is None:
        return None
    raw = b64decode_strict(found[1])
    return None if raw is None else (found[0], raw)


def is_placeholder(value: Any) -> bool:
    """True for ``{"placeholder": {format, width, height, mode, sha256, bytes, ...}}``, and for an image
    reference ``{"placeholder": {"same_as": sha256}}`` (see ``is_image_ref``): both stand where an
    image's base64 was."""
    if not isinstance(value, dict) or len(value) != 1 or "placeholder" not in value:
        return False
    facts = value["placeholder"]
    return isinstance(facts, dict) and (facts.keys() >= PLACEHOLDER_KEYS or _is_ref_facts(facts))


def is_image_ref(value: Any) -> bool:
    """True for ``{"placeholder": {"same_as": sha256[, "prefix": ...]}}``: the same image as the
    placeholder with that sha256 earlier in the same body (a stream repeats its final image), stored once."""
    if not isinstance(value, dict) or len(value) != 1 or "placeholder" not in value:
        return False
    facts = value["placeholder"]
    return isinstance(facts, dict) and _is_ref_facts(facts)


def _is_ref_facts(facts: Mapping[str, Any]) -> bool:
    return isinstance(facts.get("same_as"), str) and facts.keys() <= {"same_as", "prefix"}


def contains_placeholder(value: Any) -> bool:
    """Whether any placeholder is left anywhere in ``value`` (JSON data)."""
    if is_placeholder(value):
        return True
    if isinstance(value, Mapping):
        return any(contains_placeholder(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_placeholder(v) for v in value)
    return False


def b64decode_strict(text: str) -> bytes | None:
    """Standard base64 (padding required, no whitespace), or None."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


#: Marks where an image goes back into rendered JSON (see ``trim.expand_body(spliced=...)``).
SPLICE_MARK = "\ue000"


def dumps_spliced(value: Any, spliced: Sequence[str] | None) -> str:
    """Compact JSON text of ``value``, its splice marks replaced by ``spliced`` texts (which need no
    escaping: base64 and data URLs). ValueError when the marks do not line up (a mark in the data)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if not spliced:
        return text
    pieces = text.split(SPLICE_MARK)
    if len(pieces) % 2 == 0:
        raise ValueError("unpaired splice mark")
    for n in range(1, len(pieces), 2):
        if not pieces[n].isdigit() or int(pieces[n]) >= len(spliced):
            raise ValueError("a splice mark that names no image")
        pieces[n] = spliced[int(pieces[n])]
    return "".join(pieces)
