"""The Responses API's image tool: a drawing, a stream, and an edit of the user's photo in two turns.

Recorded from the bundled emulator (``pytest examples --imagegen-base-url=emulator --imagegen-record=rewrite``)
and replayed offline. On disk every image is a placeholder, the user's photo included: the cassette keeps
its data URL prefix and its digest, so the same photo replays and another one is a cassette miss.
"""

from __future__ import annotations

from pathlib import Path

import openai
import pytest
from illustrator import MODEL, TOOL, draw, draw_streaming, refine
from PIL import Image

from pytest_imagegen.assertions import assert_valid_reply


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    """The user's photo: a 96x64 PNG, uncompressed so its bytes depend on Pillow alone."""
    path = tmp_path / "photo.png"
    Image.new("RGB", (96, 64), "teal").save(path, compress_level=0)
    return path


def test_a_drawing(imagegen_openai: openai.OpenAI, tmp_path: Path) -> None:
    drawing = draw(imagegen_openai.responses, "a paper boat", tmp_path / "boat.png")
    with Image.open(drawing.path) as image:
        assert image.size == (32, 32)
    assert drawing.response_id.startswith("resp_")


def test_a_drawing_streamed(imagegen_openai: openai.OpenAI, tmp_path: Path) -> None:
    params = {"model": MODEL, "input": "a paper boat at sea", "tools": [{**TOOL, "partial_images": 2}]}
    events = list(imagegen_openai.responses.create(**params, stream=True))

    written = draw_streaming(events, tmp_path)
    assert [p.name for p in written] == ["partial-0.png", "partial-1.png", "final.png"]
    # Event order, sequence numbers, partial images numbered and sized as asked, the final image.
    assert_valid_reply(events, params)


def test_the_user_s_photo_edited_in_two_turns(
    imagegen_openai: openai.OpenAI, photo: Path, tmp_path: Path
) -> None:
    first = draw(imagegen_openai.responses, "turn this into a watercolour", tmp_path / "one.png", photo=photo)
    second = refine(imagegen_openai.responses, first, "now add a sunset", tmp_path / "two.png")

    assert second.response_id != first.response_id
    with Image.open(second.path) as image:
        assert image.size == (32, 32)
