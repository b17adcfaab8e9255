"""A preview of an image in about 25 characters: what a placeholder keeps of the pixels it stands for.

At record time every placeholder gets ``"preview": "<text>"`` (``preview_of``), and on replay the image
synthesized for it is drawn from that preview (``draw_preview``): same format, size and mode as before,
now looking like a strongly blurred version of the original (a red-left/blue-right image replays red on
the left and blue on the right; a sunset replays as its colours). The HTML report and the image
assertions show the same drawing.

The format (version 1), every character one of the 64 of the base64 alphabet and worth 6 bits:

- character 0, the layout: ``(cols - 1) | (rows - 1) << 2 | alpha << 4``. The grid fits the image's
  aspect ratio with its longer side 4 cells (a square is 4x4, 3:2 is 4x3, a 1:8 strip 1x4);
- ``cols * rows`` luma values (row by row), then the chroma at half resolution as JPEG subsamples it
  (``ceil(cols/2) * ceil(rows/2)`` Cb values, then as many Cr values), then, for an image with an alpha
  channel, ``cols * rows`` alpha values. Each value is the cell's mean (Pillow's ``BOX`` resampling,
  alpha-weighted) in 6 bits: luma and alpha scaled from 0..255 to 0..63, chroma in steps of 4 (so
  that 128, no colour, is exact and greys stay grey).

A square opaque image takes 1 + 16 + 8 = 25 characters (40 bytes in the file with its key), one with
alpha 41. Only the base64 alphabet is used: no ``-``, ``_``, ``.`` or space, which nearly every
credential shape of the leak scan needs (a placeholder is not leak-scanned anyway: it is no text a
service sent, and a preview is a function of pixels only, never of an image's text blocks).

Why no library: the image-placeholder libraries on PyPI were checked. ``thumbhash`` / ``thumbhash-py``
have had one release (0.1.2, 2023) and no maintenance since; ``thash`` and the Rust bindings
(``fast-thumbhash``, ``thumbhash-rs``) bring a compiled dependency into every user's test environment for
a few lines of arithmetic; ``blurhash-python`` only encodes (C extension), and BlurHash itself has no
alpha channel (transparent backgrounds are a request parameter this plugin checks) and the pure-Python
``blurhash`` package computes a cosine transform per pixel in Python (seconds for a 1024x1024 image). A
few-pixel thumbnail made with Pillow's own resampling, which the plugin already depends on, is exact
integer arithmetic (deterministic: recording twice gives the same bytes), keeps alpha, costs a few
milliseconds, and is decoded by Pillow too.

Pure: Pillow on in-memory bytes only.
"""

from __future__ import annotations

import io
import string
from typing import Any

from PIL import Image

__all__ = ["PREVIEW_ALPHABET", "draw_preview", "grid_size", "preview_file", "preview_grid", "preview_of"]

PREVIEW_ALPHABET = string.ascii_uppercase + string.ascii_lowercase + string.digits + "+/"
_VALUE = {char: value for value, char in enumerate(PREVIEW_ALPHABET)}
_CELLS = 4  # the longer side of the grid
# No preview for images larger than this (Pillow would call it a decompression bomb anyway).
_MAX_PIXELS = 2 * 89_478_485
_ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})


def grid_size(width: int, height: int) -> tuple[int, int]:
    """The preview grid of a ``width`` x ``height`` image: the longer side ``_CELLS`` cells."""
    if width >= height:
        return _CELLS, max(1, min(_CELLS, round(_CELLS * height / width)))
    return max(1, min(_CELLS, round(_CELLS * width / height))), _CELLS


def _to6(value: int) -> int:
    return (value * 63 + 127) // 255


def _to8(value: int) -> int:
    return (value * 255 + 31) // 63


# Chroma is quantized in steps of 4 from 0, so that neutral (128: no colour) is exact and greys stay grey.
def _chroma6(value: int) -> int:
    return min(63, (value + 2) // 4)


def _chroma8(value: int) -> int:
    return value * 4


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in _ALPHA_MODES or "transparency" in image.info


def preview_of(raw: bytes) -> str | None:
    """The preview text of an image file's first frame, or None when Pillow cannot read its pixels."""
    try:
        with Image.open(io.BytesIO(raw)) as image:
            width, height = image.size
            if width < 1 or height < 1 or width * height > _MAX_PIXELS:
                return None
            cols, rows = grid_size(width, height)
            if image.format == "JPEG":
                # Decode at 1/8 scale (the DCT does it): the grid needs no more, and it is much faster.
                image.draft("RGB", (cols * 8, rows * 8))
            alpha = _has_alpha(image)
            rgb = image.convert("RGBA" if alpha else "RGB")
    except Exception:  # Pillow raises many types for files it cannot decode; no preview then
        return None
    # resize() weights colour by alpha for RGBA (it resamples premultiplied), so a transparent
    # background's hidden colour does not bleed into the cells.
    small = rgb.resize((cols, rows), Image.Resampling.BOX)
    ycc = small.convert("RGB").convert("YCbCr")
    luma, cb, cr = ycc.split()
    chroma = ((cols + 1) // 2, (rows + 1) // 2)
    values = [(cols - 1) | (rows - 1) << 2 | int(alpha) << 4]
    values += [_to6(v) for v in luma.tobytes()]
    for channel in (cb, cr):
        values += [_chroma6(v) for v in channel.resize(chroma, Image.Resampling.BOX).tobytes()]
    if alpha:
        values += [_to6(v) for v in small.getchannel("A").tobytes()]
    return "".join(PREVIEW_ALPHABET[v] for v in values)


def preview_grid(preview: Any) -> Image.Image | None:
    """The preview as a tiny RGB or RGBA image (one pixel per cell), or None when it is not a preview
    this version can read (so an edited or future cassette still replays, as a flat image)."""
    if not isinstance(preview, str) or not preview or any(c not in _VALUE for c in preview):
        return None
    values = [_VALUE[c] for c in preview]
    layout = values[0]
    if layout >> 5:
        return None
    cols, rows, alpha = (layout & 3) + 1, (layout >> 2 & 3) + 1, bool(layout >> 4 & 1)
    cells = cols * rows
    chroma = ((cols + 1) // 2, (rows + 1) // 2)
    small = chroma[0] * chroma[1]
    if len(values) != 1 + cells + 2 * small + (cells if alpha else 0):
        return None
    luma = Image.frombytes("L", (cols, rows), bytes(_to8(v) for v in values[1 : 1 + cells]))
    cb, cr = (
        Image.frombytes("L", chroma, bytes(_chroma8(v) for v in values[start : start + small])).resize(
            (cols, rows), Image.Resampling.NEAREST
        )
        for start in (1 + cells, 1 + cells + small)
    )
    grid = Image.merge("YCbCr", (luma, cb, cr)).convert("RGB")
    if alpha:
        grid.putalpha(
            Image.frombytes("L", (cols, rows), bytes(_to8(v) for v in values[1 + cells + 2 * small :]))
        )
    return grid


def draw_preview(preview: Any, size: tuple[int, int]) -> Image.Image | None:
    """The preview blown up to ``size``: a smooth RGB or RGBA image, or None (see ``preview_grid``)."""
    grid = preview_grid(preview)
    if grid is None:
        return None
    width, height = size
    if width < 1 or height < 1 or width * height > _MAX_PIXELS:
        return None
    # Bicubic from cell centres: soft edges, the colour of each region where it was.
    return grid.resize((width, height), Image.Resampling.BICUBIC)


_PIL_FORMAT = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP", "gif": "GIF"}
# A smooth picture compresses well at middling settings; the highest ones cost much more time for little.
_SAVE_OPTIONS: dict[str, dict[str, Any]] = {
    "png": {"compress_level": 6},
    "jpeg": {"quality": 50},
    "webp": {"quality": 50, "method": 0},
    "gif": {"optimize": True},
}


def preview_file(preview: Any, fmt: str, width: int, height: int, mode: str) -> bytes | None:
    """An image file in ``fmt`` (png, jpeg, webp, gif) of ``width`` x ``height`` in ``mode``, drawn from
    ``preview``; None when the preview cannot be read or the result would not read back as that format,
    size and mode (the caller then makes a flat image, as for a placeholder without a preview)."""
    if fmt not in _PIL_FORMAT:
        return None
    drawn = draw_preview(preview, (width, height))
    if drawn is None:
        return None
    try:
        if mode == drawn.mode:
            image = drawn
        elif mode == "P":
            image = drawn.convert("RGB").quantize(colors=256)
        else:
            image = drawn.convert(mode)
        if fmt == "webp" and "A" in image.getbands() and image.getchannel("A").getextrema()[0] == 255:
            # WebP drops an alpha channel that is opaque everywhere: keep one pixel barely translucent.
            alpha = image.getchannel("A")
            alpha.putpixel((0, 0), 254)
            image.putalpha(alpha)
        out = io.BytesIO()
        image.save(out, _PIL_FORMAT[fmt], **_SAVE_OPTIONS[fmt])
        data = out.getvalue()
        with Image.open(io.BytesIO(data)) as check:
            if (check.format, check.size, check.mode) != (_PIL_FORMAT[fmt], (width, height), mode):
                return None
    except (OSError, ValueError, KeyError):  # a mode this format cannot be written in by Pillow
        return None
    return data
