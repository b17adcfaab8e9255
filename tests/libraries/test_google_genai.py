"""The google-genai SDK, sync (through httpx2) and async (through aiohttp, when it is installed), recorded
from the emulator and replayed through the SDK with no key.

``generate_content`` with an image model, and Imagen's ``generate_images`` (which this SDK sends only in
Vertex AI mode: express mode, an API key, ``/v1beta1/publishers/google/models/...:predict``). On disk:
``x-goog-api-key`` redacted, every ``inlineData`` and ``bytesBase64Encoded`` a placeholder.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
from collections.abc import Callable
from typing import Any

import pytest
from google import genai
from google.genai import types
from PIL import Image

from pytest_imagegen.cassette.session import open_cassette
from pytest_imagegen.emulator import Emulator
from tests.engine.conftest import Tape
from tests.libraries.conftest import DEAD_ROOT, stored

pytestmark = [
    pytest.mark.filterwarnings("ignore:The generate_images method is deprecated"),
    pytest.mark.filterwarnings("ignore:Inheritance class AiohttpClientSession"),
]
KEY = "AIza" + "Sy" + "LibTestGoogleKeyq7Z3xR9mW2pL5vN"
FLASH = "gemini-2.5-flash-image"
IMAGEN = "imagen-4.0-generate-001"
ASPECT = types.GenerateContentConfig(
    response_modalities=["TEXT", "IMAGE"], image_config=types.ImageConfig(aspect_ratio="16:9")
)


@pytest.fixture
def no_google_key(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(name, raising=False)


def clients(root: str, key: str) -> tuple[genai.Client, genai.Client]:
    options = types.HttpOptions(base_url=root)
    return genai.Client(api_key=key, http_options=options), genai.Client(
        vertexai=True, api_key=key, http_options=options
    )


def size_of(data: bytes | None) -> tuple[str | None, tuple[int, int]]:
    assert data is not None
    image = Image.open(io.BytesIO(data))
    return image.format, image.size


def sync_calls(gemini: genai.Client, vertex: genai.Client) -> list[Any]:
    reply = gemini.models.generate_content(model=FLASH, contents="a lighthouse", config=ASPECT)
    parts = reply.candidates[0].content.parts  # type: ignore[index, union-attr]
    images = vertex.models.generate_images(
        model=IMAGEN, prompt="a lighthouse", config=types.GenerateImagesConfig(number_of_images=2)
    )
    return [
        [size_of(p.inline_data.data) if p.inline_data else p.text for p in parts],  # type: ignore[union-attr]
        [size_of(g.image.image_bytes) for g in images.generated_images],  # type: ignore[union-attr]
    ]


async def async_calls(gemini: genai.Client, vertex: genai.Client) -> list[Any]:
    reply = await gemini.aio.models.generate_content(model=FLASH, contents="a windmill", config=ASPECT)
    parts = reply.candidates[0].content.parts  # type: ignore[index, union-attr]
    images = await vertex.aio.models.generate_images(
        model=IMAGEN, prompt="a windmill", config=types.GenerateImagesConfig(number_of_images=1)
    )
    return [
        [size_of(p.inline_data.data) if p.inline_data else p.text for p in parts],  # type: ignore[union-attr]
        [size_of(g.image.image_bytes) for g in images.generated_images],  # type: ignore[union-attr]
    ]


def record_then_replay(
    tape: Tape, emulator: Emulator, run: Callable[[genai.Client, genai.Client], Any]
) -> Any:
    root = emulator.base_url.removesuffix("/v1")
    with tape.open("once") as cassette:
        live = run(*clients(root, KEY))
        assert cassette.recorded_count == 2
    assert {r.headers.get("x-goog-api-key") for r in emulator.requests} == {KEY}
    config = tape.config.replace(record_mode="none")
    with open_cassette(config, tape.test_id, emulator_url=lambda: emulator.base_url) as cassette:
        replayed = run(*clients(DEAD_ROOT, os.environ["GEMINI_API_KEY"]))  # the plugin's dummy
        assert cassette.all_played
    assert replayed == live
    text = cassette.file_path.read_text()
    assert KEY not in text
    assert "iVBORw0KGgo" not in text
    for interaction in stored(cassette.file_path):
        assert interaction["request"]["headers"]["x-goog-api-key"] == "REDACTED"
        reply = json.dumps(interaction["response"]["body"]["json"])
        assert reply.count('"placeholder"') >= 1
    return replayed


def test_generate_content_and_generate_images_sync(
    tape: Tape, emulator: Emulator, no_google_key: None
) -> None:
    replayed = record_then_replay(tape, emulator, sync_calls)
    assert replayed[0][-1] == ("PNG", (1344, 768))
    assert len(replayed[1]) == 2


def test_generate_content_and_generate_images_async_through_aiohttp(
    tape: Tape, emulator: Emulator, no_google_key: None
) -> None:
    def run(gemini: genai.Client, vertex: genai.Client) -> Any:
        # The SDK's aiohttp session belongs to a loop: each run gets one of its own, as each test would.
        return asyncio.run(async_calls(gemini, vertex))

    replayed = record_then_replay(tape, emulator, run)
    assert replayed[0][-1] == ("PNG", (1344, 768))
    text = "".join(p.read_text() for p in tape.config.cassette_dir.rglob("*.json"))
    assert '"http": "aiohttp ' in text
