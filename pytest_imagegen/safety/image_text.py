"""Text that rides inside image files: PNG ``tEXt``/``zTXt``/``iTXt``/``eXIf``, JPEG ``APPn`` (EXIF, XMP,
ICC) and comments, WebP ``EXIF``/``XMP``, GIF comment, text and application extensions.

An image kept whole (``payloads="keep"``) reaches disk with these, and a service or a camera may put
anything in them (a prompt, a signed URL, a key). ``metadata_texts`` lists them for the leak scan;
``drop_segments`` removes the ones a caller says hold a secret, and leaves every other byte as it was:
pixels, format and every harmless chunk stay identical, and an image without a secret in its metadata
comes back as the very same bytes.

Only the container is walked (chunk and segment headers); pixel data is never decoded. A structure this
module cannot follow (truncated, unknown) ends the walk: what was found so far is reported, nothing is
rewritten past it. Pure: bytes in, bytes out.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["MAX_INFLATED", "drop_segments", "metadata_texts", "segments"]

# A compressed text chunk is inflated at most this far; one that inflates further cannot be read in
# full, so it counts as holding a secret (a zip bomb in a zTXt chunk must not stall a recording).
MAX_INFLATED = 1 << 20

_PNG = b"\x89PNG\r\n\x1a\n"
_PNG_TEXT = frozenset({b"tEXt", b"zTXt", b"iTXt", b"eXIf"})
_WEBP_TEXT = frozenset({b"EXIF", b"XMP "})
_WEBP_FLAGS = {b"EXIF": 0x08, b"XMP ": 0x04}  # VP8X feature bits that announce the chunk
_GIF_GRAPHIC_CONTROL = 0xF9


@dataclass(frozen=True)
class Segment:
    """One metadata block: its byte range in the file, what it is, and its text (``None``: unreadable)."""

    start: int
    end: int
    kind: str
    text: str | None


def _inflate(data: bytes) -> str | None:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, MAX_INFLATED)
    except zlib.error:
        return None
    if inflater.unconsumed_tail:
        return None  # larger than MAX_INFLATED
    return out.decode("latin-1")


def _png_text(kind: bytes, data: bytes) -> str | None:
    if kind == b"eXIf":
        return data.decode("latin-1")
    keyword, _, rest = data.partition(b"\0")
    name = keyword.decode("latin-1")
    if kind == b"tEXt":
        return f"{name}\n{rest.decode('latin-1')}"
    if kind == b"zTXt":
        inflated = _inflate(rest[1:])
        return None if inflated is None else f"{name}\n{inflated}"
    # iTXt: compression flag, method, language tag\0, translated keyword\0, text (UTF-8).
    if len(rest) < 2:
        return None
    compressed, rest = rest[0], rest[2:]
    language, _, rest = rest.partition(b"\0")
    translated, _, text = rest.partition(b"\0")
    body = _inflate(text) if compressed else text.decode("latin-1")
    if body is None:
        return None
    return "\n".join((name, language.decode("latin-1"), translated.decode("latin-1"), body))


def _png(raw: bytes) -> list[Segment]:
    found: list[Segment] = []
    pos = len(_PNG)
    while pos + 12 <= len(raw):
        (length,) = struct.unpack(">I", raw[pos : pos + 4])
        kind = raw[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > len(raw):
            break
        if kind in _PNG_TEXT:
            found.append(Segment(pos, end, kind.decode("latin-1"), _png_text(kind, raw[pos + 8 : end - 4])))
        if kind == b"IEND":
            break
        pos = end
    return found


def _jpeg(raw: bytes) -> list[Segment]:
    found: list[Segment] = []
    pos = 2
    while pos + 4 <= len(raw) and raw[pos] == 0xFF:
        marker = raw[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # standalone markers
            pos += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no metadata is looked for past here
            break
        (length,) = struct.unpack(">H", raw[pos + 2 : pos + 4])
        end = pos + 2 + length
        if length < 2 or end > len(raw):
            break
        if 0xE1 <= marker <= 0xEF or marker == 0xFE:
            kind = "COM" if marker == 0xFE else f"APP{marker - 0xE0}"
            found.append(Segment(pos, end, kind, raw[pos + 4 : end].decode("latin-1")))
        pos = end
    return found


def _webp(raw: bytes) -> list[Segment]:
    found: list[Segment] = []
    pos = 12
    while pos + 8 <= len(raw):
        kind = raw[pos : pos + 4]
        (size,) = struct.unpack("<I", raw[pos + 4 : pos + 8])
        end = pos + 8 + size + (size & 1)
        if pos + 8 + size > len(raw):
            break
        if kind in _WEBP_TEXT:
            text = raw[pos + 8 : pos + 8 + size].decode("latin-1")
            found.append(Segment(pos, min(end, len(raw)), kind.decode("latin-1").strip(), text))
        pos = end
    return found


def _gif_sub_blocks(raw: bytes, pos: int) -> tuple[bytes, int] | None:
    """The joined data of the sub-blocks starting at ``pos`` and the position after their terminator."""
    data = bytearray()
    while pos < len(raw):
        size = raw[pos]
        if size == 0:
            return bytes(data), pos + 1
        data += raw[pos + 1 : pos + 1 + size]
        pos += 1 + size
    return None


def _gif(raw: bytes) -> list[Segment]:
    found: list[Segment] = []
    if len(raw) < 13:
        return found
    packed = raw[10]
    pos = 13 + (3 * (2 ** ((packed & 7) + 1)) if packed & 0x80 else 0)
    while pos < len(raw):
        introducer = raw[pos]
        if introducer == 0x3B:  # trailer
            break
        if introducer == 0x21 and pos + 1 < len(raw):
            label = raw[pos + 1]
            blocks = _gif_sub_blocks(raw, pos + 2)
            if blocks is None:
                break
            data, end = blocks
            if label != _GIF_GRAPHIC_CONTROL:
                kind = {0xFE: "comment", 0x01: "plain text", 0xFF: "application"}.get(
                    label, f"ext {label:#x}"
                )
                found.append(Segment(pos, end, kind, data.decode("latin-1")))
            pos = end
        elif introducer == 0x2C and pos + 10 <= len(raw):
            packed = raw[pos + 9]
            pos += 10 + (3 * (2 ** ((packed & 7) + 1)) if packed & 0x80 else 0) + 1  # + LZW minimum code size
            blocks = _gif_sub_blocks(raw, pos)
            if blocks is None:
                break
            pos = blocks[1]
        else:
            break
    return found


def segments(raw: bytes) -> list[Segment]:
    """Every metadata block of a PNG, JPEG, WebP or GIF image, in file order (``[]`` for anything else)."""
    if raw.startswith(_PNG):
        return _png(raw)
    if raw.startswith(b"\xff\xd8\xff"):
        return _jpeg(raw)
    if len(raw) >= 12 and raw[:4] == b"RIFF" and raw[8:12] == b"WEBP":
        return _webp(raw)
    if raw.startswith((b"GIF87a", b"GIF89a")):
        return _gif(raw)
    return []


def metadata_texts(raw: bytes) -> list[tuple[str, str]]:
    """``(kind, text)`` of every readable metadata block (for the leak scan)."""
    return [(s.kind, s.text) for s in segments(raw) if s.text is not None]


def drop_segments(raw: bytes, holds_secret: Callable[[str], bool]) -> bytes:
    """``raw`` without the metadata blocks whose text ``holds_secret`` (or cannot be read); ``raw`` itself
    when none does."""
    doomed = [s for s in segments(raw) if s.text is None or holds_secret(s.text)]
    if not doomed:
        return raw
    out = bytearray()
    pos = 0
    for segment in doomed:
        out += raw[pos : segment.start]
        pos = segment.end
    out += raw[pos:]
    if out[:4] == b"RIFF":
        _fix_webp(out, {s.kind for s in doomed})
    return bytes(out)


def _fix_webp(out: bytearray, dropped: set[str]) -> None:
    """The RIFF size, and the VP8X bits that announced the dropped chunks (decoders check both)."""
    out[4:8] = struct.pack("<I", len(out) - 8)
    if out[12:16] == b"VP8X" and len(out) > 20:
        for name, bit in _WEBP_FLAGS.items():
            if name.decode("latin-1").strip() in dropped:
                out[20] &= ~bit & 0xFF
