"""A storyboard panel straight from the Gemini API, through plain httpx, JSON and streamed.

The code under test builds its own client from ``GEMINI_API_KEY`` and Google's URL; while the cassette is
open the plugin gives it a dummy key when none is set, and while recording from the emulator
(``pytest examples --imagegen-base-url=emulator --imagegen-record=rewrite``) its requests go to the emulator.
The cassette keeps Google's URL, the key redacted wherever it was placed, and each ``inlineData`` image
as a placeholder; replay needs no key and no network.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from storyboard import gemini_panel, gemini_panel_streamed

from pytest_imagegen.assertions import assert_valid_reply


def test_a_panel_from_gemini(imagegen_cassette: object, tmp_path: Path) -> None:
    panel = gemini_panel("a lighthouse keeper at dusk", tmp_path / "one.png")
    with Image.open(panel) as image:
        assert image.size == (48, 35)  # a 4:3 picture, thumbnailed


def test_a_panel_from_gemini_streamed(imagegen_cassette: object, tmp_path: Path) -> None:
    chunks = gemini_panel_streamed("the keeper climbs the stairs", tmp_path / "two.png", aspect_ratio="9:16")

    assert chunks[-1]["candidates"][0]["finishReason"] == "STOP"
    assert (tmp_path / "two.png").exists()
    body = {
        "contents": [{"parts": [{"text": "Draw a storyboard panel: the keeper climbs the stairs"}]}],
        "generationConfig": {"responseModalities": ["IMAGE"], "imageConfig": {"aspectRatio": "9:16"}},
    }
    assert_valid_reply(chunks, body)
