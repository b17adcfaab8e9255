"""Pillow-made images for the emulator: seeded noise in the requested size, format and background.

The bytes are random (seeded from a digest of the request), so a 1024x1024 PNG weighs megabytes like
the real service's, and the same request always gives the same bytes, which keeps recordings made
against the emulator deterministic. Everything is built with whole-buffer operations (``randbytes``,
``Image.frombytes``, ``Image.point``) so a large image costs milliseconds, not a Python loop per pixel.
"""

from __future__ import annotations

import hashlib
import io
import random
from dataclasses import dataclass
from typing import Literal

from PIL import Image, ImageChops

__all__ = ["ImageSpec", "OutputFormat", "encode", "partial_versions", "render", "render_encoded", "seed_of"]

OutputFormat = Literal["png", "jpeg", "webp", "gif", "svg"]

# Five significant bits per channel: still incompressible enough that a 1024x1024 PNG is ~2 MB
# (as the real service's are), a little cheaper to encode than full 8-bit noise.
_KEEP_BITS_MASK = 0xF8


@dataclass(frozen=True)
class ImageSpec:
    """What one image must look like: its seed, pixel size, file format and alpha."""

    seed: bytes
    width: int
    height: int
    output_format: OutputFormat = "png"
    transparent: bool = False
    compression: int | None = None  # output_compression (0-100) for jpeg / webp
    frames: int = 9  # frame_count, gif only
    frame_duration_ms: int = 200  # gif only


def seed_of(*parts: bytes | str) -> bytes:
    """A stable 32-byte seed from the parts that identify an image (request digest, image index)."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.digest()


def render(spec: ImageSpec) -> Image.Image:
    """The image for ``spec``: tinted RGB noise, with a circular alpha mask when transparent."""
    rng = random.Random(spec.seed)
    pixels = rng.randbytes(spec.width * spec.height * 3)
    image = Image.frombytes("RGB", (spec.width, spec.height), pixels)
    # One lookup table per channel: drop low bits, then scale and shift by a seeded tint so images
    # differ in colour, not only in noise.
    table: list[int] = []
    for _channel in range(3):
        scale = 0.35 + 0.65 * rng.random()
        offset = rng.randrange(0, 256 - int(256 * scale) + 1)
        table += [min(255, offset + int((v & _KEEP_BITS_MASK) * scale)) for v in range(256)]
    image = image.point(table)
    if spec.transparent:
        image.putalpha(_disc_alpha(spec.width, spec.height))
    return image


def _disc_alpha(width: int, height: int) -> Image.Image:
    """An alpha channel that is opaque inside an ellipse filling the image and fully transparent outside."""
    # radial_gradient is a 256x256 "L" image whose value is the distance from the centre (0..~181);
    # 128 is the inscribed circle.
    gradient = Image.radial_gradient("L").resize((width, height), Image.Resampling.BILINEAR)
    return gradient.point([255 if v < 128 else 0 for v in range(256)])


def encode(image: Image.Image, spec: ImageSpec) -> bytes:
    """``image`` as file bytes in ``spec.output_format`` (``spec.compression`` is the API's 0-100 quality)."""
    output_format, compression = spec.output_format, spec.compression
    buffer = io.BytesIO()
    if output_format == "png":
        # Noise does not compress, so the fastest zlib level gives nearly the same size.
        image.save(buffer, "PNG", compress_level=1)
    elif output_format == "jpeg":
        if image.mode != "RGB":
            image = image.convert("RGB")
        image.save(buffer, "JPEG", quality=100 if compression is None else max(1, compression))
    elif output_format == "webp":
        image.save(buffer, "WEBP", quality=100 if compression is None else compression, method=0)
    elif output_format == "gif":
        _save_gif(image, spec, buffer)
    elif output_format == "svg":
        return _svg(image)
    else:  # pragma: no cover - the Literal type and the validator keep other values out
        raise ValueError(f"unsupported output format {output_format!r}")
    return buffer.getvalue()


def render_encoded(spec: ImageSpec) -> bytes:
    """``render`` then ``encode``: the file bytes for ``spec``."""
    return encode(render(spec), spec)


_GIF_TRANSPARENT_INDEX = 255  # unused by the 216-colour web palette


def _save_gif(image: Image.Image, spec: ImageSpec, buffer: io.BytesIO) -> None:
    """An animated GIF: the picture quantized once to the web palette, then shifted a little per frame."""
    paletted = image.convert("RGB").convert("P", palette=Image.Palette.WEB, dither=Image.Dither.NONE)
    extra: dict[str, int] = {}
    if image.mode == "RGBA":
        clear = image.getchannel("A").point([255 if v == 0 else 0 for v in range(256)]).convert("1")
        paletted.paste(_GIF_TRANSPARENT_INDEX, mask=clear)
        extra["transparency"] = _GIF_TRANSPARENT_INDEX
    step = max(1, image.width // 64)
    frames = [ImageChops.offset(paletted, i * step, 0) for i in range(max(1, spec.frames))]
    frames[0].save(
        buffer,
        "GIF",
        save_all=True,
        append_images=frames[1:],
        duration=spec.frame_duration_ms,
        loop=0,
        **extra,
    )


def _svg(image: Image.Image) -> bytes:
    """A small SVG document: an 8x8 grid of the picture's average colours."""
    colours = image.convert("RGB").resize((8, 8), Image.Resampling.BOX).tobytes()
    width, height = image.size
    cell_w, cell_h = width / 8, height / 8
    rects = "".join(
        f'<rect x="{x * cell_w:g}" y="{y * cell_h:g}" width="{cell_w:g}" height="{cell_h:g}" '
        f'fill="#{colours[(y * 8 + x) * 3 : (y * 8 + x) * 3 + 3].hex()}"/>'
        for y in range(8)
        for x in range(8)
    )
    size = f'width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
    header = f'<svg xmlns="http://www.w3.org/2000/svg" {size}>'
    return f"{header}{rects}</svg>".encode()


def partial_versions(image: Image.Image, count: int) -> list[Image.Image]:
    """``count`` blurry previews of ``image``, each sharper than the one before, all the same size.

    Each is the image shrunk by a power of two and blown up again, like the coarse partial frames
    the real service streams before the final picture.
    """
    width, height = image.size
    previews = []
    for index in range(count):
        factor = 2 ** (count - index + 1)
        small = image.resize((max(1, width // factor), max(1, height // factor)), Image.Resampling.BOX)
        previews.append(small.resize((width, height), Image.Resampling.BILINEAR))
    return previews
