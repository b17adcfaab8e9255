"""The sizes multimodal models draw: each model's aspect ratios with their pixel sizes, and the size drawn
for a ratio and an image size.

The tables are columns of the capability rows (``ModelCapability.aspect_sizes``); chat completions with
image output and the Gemini API read them through ``aspect_size`` (what the emulator draws) and
``drawn_size`` (what a reply's image must measure).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from pytest_imagegen.contract.capabilities import ModelCapability

__all__ = ["GEMINI_3_ASPECTS", "GEMINI_25_ASPECTS", "IMAGEN_ASPECTS", "aspect_size", "drawn_size"]

#: gemini-2.5-flash-image's aspect ratios and their sizes (Google's image generation guide; a gateway's
#: image_config page lists the same ten).
GEMINI_25_ASPECTS: Final = (
    ("1:1", 1024, 1024),
    ("2:3", 832, 1248),
    ("3:2", 1248, 832),
    ("3:4", 864, 1184),
    ("4:3", 1184, 864),
    ("4:5", 896, 1152),
    ("5:4", 1152, 896),
    ("9:16", 768, 1344),
    ("16:9", 1344, 768),
    ("21:9", 1536, 672),
)
#: gemini-3-pro-image-preview's ten ratios at 1K (2K and 4K are twice and four times each edge).
GEMINI_3_ASPECTS: Final = (
    ("1:1", 1024, 1024),
    ("2:3", 848, 1264),
    ("3:2", 1264, 848),
    ("3:4", 896, 1200),
    ("4:3", 1200, 896),
    ("4:5", 928, 1152),
    ("5:4", 1152, 928),
    ("9:16", 768, 1376),
    ("16:9", 1376, 768),
    ("21:9", 1584, 672),
)
#: Imagen's five ratios (``parameters.aspectRatio``) at 1K.
IMAGEN_ASPECTS: Final = (
    ("1:1", 1024, 1024),
    ("3:4", 896, 1280),
    ("4:3", 1280, 896),
    ("9:16", 768, 1408),
    ("16:9", 1408, 768),
)

_RATIO: Final = re.compile(r"([1-9][0-9]?):([1-9][0-9]?)")
_SIZE_FACTORS: Final = {"1K": 1, "2K": 2, "4K": 4}


def aspect_size(
    row: ModelCapability, aspect_ratio: str | None, image_size: str | None = None
) -> tuple[int, int]:
    """The pixel size a multimodal model draws for ``aspect_ratio`` (default ``1:1``) at ``image_size``
    (default ``1K``): from the row's table, else (a model without one) about one megapixel in that ratio,
    each edge a multiple of 16. Raises ValueError for a ratio that is not ``W:H``."""
    ratio = aspect_ratio or "1:1"
    factor = _SIZE_FACTORS.get((image_size or "1K").upper(), 1)
    for name, width, height in row.aspect_sizes or ():
        if name == ratio:
            return width * factor, height * factor
    match = _RATIO.fullmatch(ratio)
    if match is None:
        raise ValueError(f"aspect ratio {ratio!r} is not W:H")
    w, h = int(match.group(1)), int(match.group(2))
    scale = (1024 * 1024 / (w * h)) ** 0.5
    return round(w * scale / 16) * 16 * factor, round(h * scale / 16) * 16 * factor


def drawn_size(row: ModelCapability, aspect_ratio: str | None) -> tuple[int, int] | None:
    """The 1K size the row's table gives for ``aspect_ratio``, or None (no table, or not in it)."""
    for name, width, height in row.aspect_sizes or ():
        if name == aspect_ratio:
            return width, height
    return None
