"""``assert_image_matches``: a processed image against a stored reference, perceptually, with a tolerance.

For code that does something deterministic to a recorded image (resize, crop, watermark, composite):
the result is compared with a reference PNG kept beside the tests, the way pytest-mpl and
jest-image-snapshot compare figures and screenshots. Two measures (``image_difference``):

- ``"ssim"`` (default): 1 - the mean structural similarity (8x8 windows, of the luma and the alpha
  channel, as the measure is usually taken, on the images scaled to at most 128 pixels a side), or the
  mean difference of the windows' mean colours if that is larger (so red turned blue counts): 0 for the
  same picture, a few hundredths for a re-encoded JPEG, 0.3 and more for a different picture;
  tolerance 0.1 by default.
- ``"phash"``: the share of the 64 bits of a DCT perceptual hash that differ (0 to 1): blind to small
  changes of colour, compression and scale, sees changes of layout.

Images of different sizes never match. On failure three PNGs are written into ``diff_dir``:
``NAME-expected.png``, ``NAME-actual.png`` and ``NAME-diff.png`` (the expected picture faded, changed
pixels in red), and the ``ImageMismatchError`` names them. ``diff_dir`` defaults to
``$IMAGEGEN_DIFF_DIR``, else ``imagegen-diffs/`` in the current directory; pass ``tmp_path`` to keep them
with pytest's other files of the test. ``NAME`` defaults to the test's name and the reference's stem.

Everything written is a cassette: the PNGs hold pixels only (Pillow writes no text block unless told,
and none is copied from the inputs), file names are cut to ``[A-Za-z0-9._-]``, and the message is masked.
A missing reference fails the same way, with the actual image written; ``update=True`` (or
``IMAGEGEN_UPDATE_REFERENCES=1``) writes the reference instead.
"""

from __future__ import annotations

import io
import math
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

from PIL import Image, ImageChops

from pytest_imagegen.errors import ImageMismatchError
from pytest_imagegen.safety.credentials import mask_text
from pytest_imagegen.visual.images import GeneratedImage

__all__ = ["assert_image_matches", "image_difference"]

DEFAULT_TOLERANCE = {"ssim": 0.1, "phash": 0.1}
_SIDE = 128  # SSIM is computed on the images scaled to at most this many pixels a side
_WINDOW = 8
_C1, _C2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

ImageLike = bytes | Image.Image | GeneratedImage | str | os.PathLike[str]


def _image(value: Any) -> Image.Image:
    if isinstance(value, Image.Image):
        return value
    if isinstance(value, GeneratedImage):
        return value.open()
    if isinstance(value, bytes | bytearray):
        image = Image.open(io.BytesIO(bytes(value)))
    else:
        image = Image.open(Path(value))
    image.load()
    return image


def _normalized(image: Image.Image) -> Image.Image:
    """RGBA when it has alpha, else RGB: what is compared and written."""
    alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    return image.convert("RGBA" if alpha else "RGB")


def _ssim_channel(a: bytes, b: bytes, width: int, height: int) -> float:
    """Mean SSIM of one channel over non-overlapping ``_WINDOW`` x ``_WINDOW`` windows (one pass)."""
    cols, rows = -(-width // _WINDOW), -(-height // _WINDOW)
    n = [0] * (cols * rows)
    sx, sy, sxx, syy, sxy = ([0] * (cols * rows) for _ in range(5))
    for y in range(height):
        base, row = y * width, (y // _WINDOW) * cols
        for x in range(width):
            p, q, w = a[base + x], b[base + x], row + x // _WINDOW
            n[w] += 1
            sx[w] += p
            sy[w] += q
            sxx[w] += p * p
            syy[w] += q * q
            sxy[w] += p * q
    total = 0.0
    for w, count in enumerate(n):
        mx, my = sx[w] / count, sy[w] / count
        vx, vy = sxx[w] / count - mx * mx, syy[w] / count - my * my
        cov = sxy[w] / count - mx * my
        total += ((2 * mx * my + _C1) * (2 * cov + _C2)) / ((mx * mx + my * my + _C1) * (vx + vy + _C2))
    return total / len(n)


def _ssim(a: Image.Image, b: Image.Image) -> float:
    scale = min(1.0, _SIDE / max(a.size))
    size = (max(1, round(a.width * scale)), max(1, round(a.height * scale)))
    a, b = a.resize(size, Image.Resampling.BOX), b.resize(size, Image.Resampling.BOX)
    pairs = [(a.convert("L"), b.convert("L"))]
    if "A" in a.getbands():
        pairs.append((a.getchannel("A"), b.getchannel("A")))
    channels = [_ssim_channel(ca.tobytes(), cb.tobytes(), *size) for ca, cb in pairs]
    return sum(channels) / len(channels)


def _colour_distance(a: Image.Image, b: Image.Image) -> float:
    """The mean difference of the windows' mean colours, from 0 to 1 (SSIM of the luma is blind to a
    change of hue that keeps the brightness: red for blue)."""
    grid = (
        max(1, a.width * _SIDE // max(a.size) // _WINDOW),
        max(1, a.height * _SIDE // max(a.size) // _WINDOW),
    )
    cells = ImageChops.difference(
        a.convert("RGB").resize(grid, Image.Resampling.BOX),
        b.convert("RGB").resize(grid, Image.Resampling.BOX),
    ).tobytes()
    return sum(cells) / (len(cells) * 255)


@cache
def _cosines(n: int) -> tuple[tuple[float, ...], ...]:
    return tuple(tuple(math.cos(math.pi * (2 * x + 1) * u / (2 * n)) for x in range(n)) for u in range(n))


def phash(image: Image.Image) -> int:
    """A 64-bit perceptual hash: the signs of the lowest 8x8 DCT frequencies of the 32x32 grey image
    against their median (the DC term left out)."""
    grey = list(image.convert("L").resize((32, 32), Image.Resampling.BOX).tobytes())
    cos = _cosines(32)
    rows = [[sum(grey[y * 32 + x] * cos[u][x] for x in range(32)) for u in range(8)] for y in range(32)]
    low = [sum(rows[y][u] * cos[v][y] for y in range(32)) for v in range(8) for u in range(8)]
    terms = low[1:]
    median = sorted(terms)[len(terms) // 2]
    return sum(1 << i for i, value in enumerate(low) if i and value > median)


def image_difference(actual: ImageLike, expected: ImageLike, *, method: str = "ssim") -> float:
    """How different two images look, from 0 (the same) to 1 (see the module docstring); 1.0 when their
    sizes differ."""
    a, b = _normalized(_image(actual)), _normalized(_image(expected))
    if a.size != b.size:
        return 1.0
    if a.mode != b.mode:
        a, b = a.convert("RGBA"), b.convert("RGBA")
    if method == "ssim":
        return max(0.0, 1.0 - _ssim(a, b), _colour_distance(a, b))
    if method == "phash":
        return bin(phash(a) ^ phash(b)).count("1") / 64
    raise ValueError(f"unknown method {method!r}: ssim or phash")


def _diff_picture(actual: Image.Image, expected: Image.Image) -> Image.Image:
    """The expected picture faded to grey, every pixel that changed in red (by how much it changed)."""
    base = expected.convert("L").point(lambda v: 160 + v * 3 // 8).convert("RGB")
    other = (
        actual.convert("RGB").resize(expected.size) if actual.size != expected.size else actual.convert("RGB")
    )
    change = (
        ImageChops.difference(other, expected.convert("RGB")).convert("L").point(lambda v: min(255, v * 4))
    )
    red = Image.new("RGB", expected.size, (230, 0, 40))
    return Image.composite(red, base, change)


def _default_name(reference: Path | None) -> str:
    test = os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0].split("::")[-1]
    stem = reference.stem if reference is not None else "image"
    return f"{test}-{stem}" if test else stem


def _save(image: Image.Image, path: Path) -> None:
    """Pixels only: a fresh image with no text blocks, whatever the source carried."""
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    clean.save(path, "PNG")


def assert_image_matches(
    actual: ImageLike,
    reference: str | os.PathLike[str],
    *,
    tolerance: float | None = None,
    method: str = "ssim",
    diff_dir: str | os.PathLike[str] | None = None,
    name: str | None = None,
    update: bool | None = None,
) -> float:
    """Assert that ``actual`` looks like the reference PNG at ``reference`` within ``tolerance`` (see
    the module docstring); returns the difference. Raises ``ImageMismatchError`` (an AssertionError)
    naming the expected, actual and diff PNGs it wrote."""
    __tracebackhide__ = True
    limit = DEFAULT_TOLERANCE[method] if tolerance is None else tolerance
    if method not in DEFAULT_TOLERANCE:
        raise ValueError(f"unknown method {method!r}: ssim or phash")
    reference_path = Path(reference)
    got = _normalized(_image(actual))
    if update is None:
        update = os.environ.get("IMAGEGEN_UPDATE_REFERENCES", "") not in ("", "0")
    if update:
        reference_path.parent.mkdir(parents=True, exist_ok=True)
        _save(got, reference_path)
        return 0.0
    folder = Path(diff_dir or os.environ.get("IMAGEGEN_DIFF_DIR") or "imagegen-diffs")
    stem = _UNSAFE.sub("_", mask_text(name or _default_name(reference_path))).strip("._") or "image"
    paths = {kind: folder.resolve() / f"{stem}-{kind}.png" for kind in ("expected", "actual", "diff")}
    if not reference_path.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        _save(got, paths["actual"])
        raise ImageMismatchError(
            f"no reference image at {reference_path}: the actual image is {paths['actual']}; check it and copy "
            "it there (or run with IMAGEGEN_UPDATE_REFERENCES=1) to make it the reference",
            actual=paths["actual"],
        )
    want = _normalized(_image(reference_path))
    difference = image_difference(got, want, method=method)
    if difference <= limit:
        return difference
    folder.mkdir(parents=True, exist_ok=True)
    _save(want, paths["expected"])
    _save(got, paths["actual"])
    _save(_diff_picture(got, want), paths["diff"])
    sizes = (
        f" (sizes differ: {got.width}x{got.height}, expected {want.width}x{want.height})"
        if got.size != want.size
        else ""
    )
    raise ImageMismatchError(
        f"the image differs from {reference_path} by {difference:.3f} ({method}), more than the tolerance "
        f"{limit}{sizes}:\n  expected: {paths['expected']}\n  actual:   {paths['actual']}\n  diff:     {paths['diff']}",
        expected=paths["expected"],
        actual=paths["actual"],
        diff=paths["diff"],
        difference=difference,
    )
