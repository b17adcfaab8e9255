"""Small real images for the contract tests, made with Pillow (no fixtures on disk)."""

from __future__ import annotations

import base64
import io
import struct
import zlib
from functools import cache

from PIL import Image

_PIL_NAMES = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP", "gif": "GIF"}


def make_image(fmt: str = "png", size: tuple[int, int] = (64, 64), mode: str | None = None) -> bytes:
    """Encoded image bytes of the given format, size and mode (default: RGBA, RGB for JPEG)."""
    mode = mode or ("RGB" if fmt == "jpeg" else "RGBA")
    img = Image.new(mode, size, (10, 20, 30, 0) if mode == "RGBA" else (10, 20, 30))
    out = io.BytesIO()
    img.save(out, _PIL_NAMES[fmt])
    return out.getvalue()


def b64_image(fmt: str = "png", size: tuple[int, int] = (64, 64)) -> str:
    return base64.b64encode(make_image(fmt, size)).decode()


@cache
def padded_png(total_bytes: int, size: tuple[int, int] = (64, 64)) -> bytes:
    """A valid PNG of exactly ``total_bytes`` bytes: a private ancillary chunk before IEND pads it.

    Decoders skip the chunk, so this is a real, readable PNG that is simply large. Cached: the 50 MB
    ones are asked by every GPT row, and bytes are immutable.
    """
    png = make_image("png", size)
    iend = png.rindex(b"IEND") - 4
    overhead = 12  # length + type + CRC
    fill = total_bytes - len(png) - overhead
    assert fill >= 0, "target smaller than the plain PNG"
    kind, body = b"paDd", bytes(fill)
    chunk = struct.pack(">I", fill) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    out = png[:iend] + chunk + png[iend:]
    assert len(out) == total_bytes
    return out
