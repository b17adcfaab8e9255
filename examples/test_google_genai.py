"""Posters from Gemini and Imagen through the google-genai SDK, sync and async.

The code under test builds ``genai.Client`` from ``GEMINI_API_KEY``; the plugin gives it a dummy when none
is set. Sync calls go through httpx2, async ones through aiohttp: both reach the same cassette. Recorded
from the emulator (``pytest examples --imagegen-base-url=emulator --imagegen-record=rewrite``); the cassette
keeps Google's URL, ``x-goog-api-key`` redacted and each ``inlineData`` / ``bytesBase64Encoded`` image as
a placeholder.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PIL import Image
from posters import gemini_poster, gemini_poster_async, imagen_posters

pytestmark = [
    pytest.mark.filterwarnings("ignore:The generate_images method is deprecated"),
    pytest.mark.filterwarnings("ignore:Inheritance class AiohttpClientSession"),
]


def test_a_gemini_poster(imagegen_cassette: object, tmp_path: Path) -> None:
    with Image.open(gemini_poster("a harbour at dawn", tmp_path / "gemini.png")) as image:
        assert image.size == (64, 37)  # 16:9 (1344x768), thumbnailed


def test_a_gemini_poster_async(imagegen_cassette: object, tmp_path: Path) -> None:
    poster = asyncio.run(gemini_poster_async("a harbour at night", tmp_path / "async.png"))
    with Image.open(poster) as image:
        assert image.size == (64, 64)


def test_imagen_posters(imagegen_cassette: object, tmp_path: Path) -> None:
    posters = imagen_posters("a harbour, risograph print", tmp_path)
    assert len(posters) == 2
