"""The preview a placeholder keeps (``safety/preview.py``) and the image replay draws from it."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from pytest_imagegen.safety.preview import (
    PREVIEW_ALPHABET,
    draw_preview,
    grid_size,
    preview_file,
    preview_grid,
    preview_of,
)
from pytest_imagegen.safety.trim import image_facts, placeholder_image, trim_body


def encoded(image: Image.Image, fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def halves(size: tuple[int, int] = (64, 64), mode: str = "RGB") -> Image.Image:
    """Red on the left, blue on the right."""
    image = Image.new("RGB", size, (230, 20, 20))
    image.paste((20, 20, 230), (size[0] // 2, 0, size[0], size[1]))
    return image.convert(mode)


def opened(raw: bytes) -> tuple[str | None, tuple[int, int], str]:
    with Image.open(io.BytesIO(raw)) as image:
        image.load()
        return image.format, image.size, image.mode


@pytest.mark.parametrize(
    ("size", "grid"),
    [
        ((1024, 1024), (4, 4)),
        ((1536, 1024), (4, 3)),
        ((1024, 1536), (3, 4)),
        ((1, 800), (1, 4)),
        ((3, 1), (4, 1)),
    ],
)
def test_the_grid_fits_the_aspect_ratio(size: tuple[int, int], grid: tuple[int, int]) -> None:
    assert grid_size(*size) == grid
    preview = preview_of(encoded(halves(size)))
    assert preview is not None
    cols, rows = grid
    assert len(preview) == 1 + cols * rows + 2 * ((cols + 1) // 2) * ((rows + 1) // 2)
    small = preview_grid(preview)
    assert small is not None
    assert small.size == grid


def test_a_square_preview_is_25_characters_of_the_base64_alphabet_and_deterministic() -> None:
    raw = encoded(halves((1024, 1024)))
    preview = preview_of(raw)
    assert preview is not None
    assert len(preview) == 25
    assert set(preview) <= set(PREVIEW_ALPHABET)
    assert preview_of(raw) == preview


def test_alpha_is_kept_and_weighs_the_colours() -> None:
    image = halves((64, 64), "RGBA")
    # The right half fully transparent, its (blue) colour hidden: the preview keeps alpha per cell.
    alpha = Image.new("L", (64, 64), 255)
    alpha.paste(0, (32, 0, 64, 64))
    image.putalpha(alpha)
    preview = preview_of(encoded(image))
    assert preview is not None
    assert len(preview) == 41
    drawn = draw_preview(preview, (64, 64))
    assert drawn is not None
    assert drawn.mode == "RGBA"
    assert drawn.getpixel((2, 32))[3] == 255
    assert drawn.getpixel((61, 32))[3] == 0


def test_greys_stay_grey() -> None:
    preview = preview_of(encoded(Image.linear_gradient("L").convert("RGB")))
    drawn = draw_preview(preview, (32, 32))
    assert drawn is not None
    for y in range(0, 32, 4):
        r, g, b = drawn.getpixel((16, y))
        assert max(r, g, b) - min(r, g, b) <= 2


@pytest.mark.parametrize(
    ("fmt", "mode"),
    [
        ("png", "RGB"),
        ("png", "RGBA"),
        ("png", "L"),
        ("png", "LA"),
        ("png", "P"),
        ("png", "1"),
        ("jpeg", "RGB"),
        ("jpeg", "L"),
        ("jpeg", "CMYK"),
        ("webp", "RGB"),
        ("webp", "RGBA"),
        ("gif", "P"),
        ("gif", "L"),
    ],
)
def test_replay_draws_the_recorded_format_size_and_mode(fmt: str, mode: str) -> None:
    original = encoded(halves((48, 32), mode), fmt.upper())
    facts = {**image_facts(original), "preview": preview_of(original)}
    assert facts["preview"] is not None
    drawn = placeholder_image(facts)
    assert opened(drawn) == opened(original)
    if mode in ("RGB", "RGBA", "P"):
        with Image.open(io.BytesIO(drawn)) as image:
            left, right = image.convert("RGB").getpixel((2, 16)), image.convert("RGB").getpixel((45, 16))
        assert left[0] > 150 > left[2]
        assert right[2] > 150 > right[0]


@pytest.mark.parametrize("bad", ["", "P", "PAAA", "P" + "A" * 24 + "!", "/" * 25, 42, None])
def test_a_preview_it_cannot_read_replays_as_a_flat_image(bad: object) -> None:
    original = encoded(halves((32, 32)))
    facts = {**image_facts(original), "preview": bad}
    assert preview_grid(bad) is None
    assert preview_file(bad, "png", 32, 32, "RGB") is None
    drawn = placeholder_image(facts)
    assert opened(drawn) == ("PNG", (32, 32), "RGB")
    with Image.open(io.BytesIO(drawn)) as image:
        assert image.convert("RGB").getcolors() == [(32 * 32, (128, 128, 128))]


def test_a_placeholder_without_a_preview_replays_as_before() -> None:
    original = encoded(halves((32, 32)))
    facts = image_facts(original)
    assert "preview" not in facts
    with Image.open(io.BytesIO(placeholder_image(facts))) as image:
        assert image.convert("RGB").getcolors() == [(32 * 32, (128, 128, 128))]


def test_an_animation_keeps_its_frames_and_replays_flat() -> None:
    frames = [halves((16, 16)), halves((16, 16)).transpose(Image.Transpose.ROTATE_180)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100)
    facts = {**image_facts(out.getvalue()), "preview": preview_of(out.getvalue())}
    assert facts["frames"] == 2
    with Image.open(io.BytesIO(placeholder_image(facts))) as image:
        assert image.n_frames == 2


def test_only_a_recording_pays_for_previews() -> None:
    """Matching trims a live request without previews (header only); a recording stores them."""
    import base64

    b64 = base64.b64encode(encoded(halves())).decode()
    body = {"json": {"data": [{"b64_json": b64}]}}
    assert "preview" not in trim_body(body)["json"]["data"][0]["b64_json"]["placeholder"]
    assert "preview" in trim_body(body, previews=True)["json"]["data"][0]["b64_json"]["placeholder"]


def test_unreadable_pixels_give_no_preview() -> None:
    raw = encoded(halves((64, 64)))
    assert preview_of(raw[: len(raw) // 2]) is None
    assert preview_of(b"not an image") is None
