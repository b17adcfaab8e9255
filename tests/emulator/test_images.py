"""The emulator's image maker: formats, sizes, alpha, determinism, partial previews."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageChops, ImageStat

from pytest_imagegen.emulator.drawing import (
    ImageSpec,
    OutputFormat,
    encode,
    partial_versions,
    render,
    render_encoded,
    seed_of,
)


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize(
    ("output_format", "transparent", "pillow_format", "mode"),
    [
        ("png", False, "PNG", "RGB"),
        ("png", True, "PNG", "RGBA"),
        ("webp", True, "WEBP", "RGBA"),
        ("webp", False, "WEBP", "RGB"),
        ("jpeg", False, "JPEG", "RGB"),
    ],
)
def test_format_size_and_mode(
    output_format: OutputFormat, transparent: bool, pillow_format: str, mode: str
) -> None:
    spec = ImageSpec(seed_of("x"), 80, 48, output_format, transparent)

    image = _open(render_encoded(spec))

    assert (image.format, image.size, image.mode) == (pillow_format, (80, 48), mode)
    if transparent:
        alpha = image.getchannel("A")
        assert alpha.getextrema() == (0, 255)
        assert alpha.getpixel((0, 0)) == 0  # corners are outside the opaque disc
        assert alpha.getpixel((40, 24)) == 255


def test_gif_is_animated_with_frame_count() -> None:
    spec = ImageSpec(seed_of("x"), 64, 64, "gif", frames=4, frame_duration_ms=50)

    image = Image.open(io.BytesIO(render_encoded(spec)))

    assert (image.format, image.size, getattr(image, "n_frames", 1)) == ("GIF", (64, 64), 4)
    assert image.info["duration"] == 50


def test_svg_is_a_document_of_the_requested_size() -> None:
    svg = render_encoded(ImageSpec(seed_of("x"), 64, 32, "svg")).decode()

    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="32"')
    assert svg.count("<rect ") == 64


def test_same_seed_same_bytes_other_seed_other_bytes() -> None:
    def make(seed: str) -> bytes:
        return render_encoded(ImageSpec(seed_of(seed), 64, 64))

    assert make("a") == make("a")
    assert make("a") != make("b")


def test_seed_parts_are_length_delimited() -> None:
    assert seed_of("ab", "c") != seed_of("a", "bc")


def test_noise_makes_large_pngs() -> None:
    # A 256x256 RGB image is 196,608 raw bytes; noise keeps the PNG near that, like a real photo-like image.
    data = render_encoded(ImageSpec(seed_of("x"), 256, 256))

    assert len(data) > 150_000


def test_partials_are_progressively_sharper_and_same_size() -> None:
    spec = ImageSpec(seed_of("x"), 64, 64, "webp")
    final = render(spec)

    previews = partial_versions(final, 3)

    assert [p.size for p in previews] == [(64, 64)] * 3
    distances = [sum(ImageStat.Stat(ImageChops.difference(p, final)).mean) for p in previews]
    assert distances[0] > distances[1] > distances[2] > 0
    assert _open(encode(previews[0], spec)).format == "WEBP"


def test_no_partials_when_none_asked() -> None:
    assert partial_versions(render(ImageSpec(seed_of("x"), 16, 16)), 0) == []
