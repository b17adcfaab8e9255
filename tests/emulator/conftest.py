"""Fixtures for the emulator's tests: the plugin's session emulator (reset around each test) and clients."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from PIL import Image

from pytest_imagegen.emulator import Emulator

API_KEY = "sk-test-emulator-1234"


@pytest.fixture
def emulator(imagegen_emulator: Emulator) -> Iterator[Emulator]:
    """The session emulator with no pending fault and an empty request log."""
    imagegen_emulator.reset()
    yield imagegen_emulator
    imagegen_emulator.reset()


@pytest.fixture
def client(emulator: Emulator) -> Iterator[openai.OpenAI]:
    """The official SDK pointed at the emulator, without retries (tests that want them make their own)."""
    with openai.OpenAI(base_url=emulator.base_url, api_key=API_KEY, max_retries=0) as client:
        yield client


def decode(b64: str | None) -> Image.Image:
    """A base64 image from a reply, opened with Pillow."""
    assert b64 is not None, "the reply carries no b64_json"
    image = Image.open(io.BytesIO(base64.b64decode(b64)))
    image.load()
    return image


def png_bytes(width: int, height: int, *, color: tuple[int, ...] = (200, 30, 30), mode: str = "RGB") -> bytes:
    """A small solid PNG to upload."""
    buffer = io.BytesIO()
    Image.new(mode, (width, height), color).save(buffer, "PNG")
    return buffer.getvalue()


def sse_events(body: bytes) -> list[tuple[str | None, dict[str, Any]]]:
    """``(event name, data JSON)`` of each event of an SSE body framed as the service frames image streams."""
    events = []
    for block in body.decode().split("\n\n"):
        if not block.strip():
            continue
        name, data = None, []
        for line in block.split("\n"):
            field, _, value = line.partition(": ")
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
            else:
                raise AssertionError(f"unexpected SSE line {line[:80]!r}")
        events.append((name, json.loads("\n".join(data))))
    return events
