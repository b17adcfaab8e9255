"""Shared helpers for the pure cassette-layer tests: real Pillow images and real httpx multipart bodies."""

from __future__ import annotations

import io
import random
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import pytest
from PIL import Image

MakeImage = Callable[..., bytes]


def _make_image(
    fmt: str = "png", size: tuple[int, int] = (64, 48), mode: str = "RGB", *, noise: bool = True
) -> bytes:
    """A real image: random pixels (seeded, so tests are repeatable) saved by Pillow."""
    width, height = size
    rng = random.Random(f"{fmt}{size}{mode}")
    if mode == "P":
        img = Image.frombytes("L", size, rng.randbytes(width * height) if noise else bytes(width * height))
        img = img.convert("RGB").quantize(colors=16)
    else:
        bands = len(Image.new(mode, (1, 1)).getbands())
        raw = rng.randbytes(width * height * bands) if noise else bytes(width * height * bands)
        img = Image.frombytes(mode, size, raw)
    buf = io.BytesIO()
    img.save(buf, {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "gif": "GIF"}[fmt])
    return buf.getvalue()


@pytest.fixture
def make_image() -> MakeImage:
    return _make_image


def httpx_multipart(
    data: dict[str, Any], files: Sequence[tuple[str, tuple[str, bytes, str]]]
) -> tuple[bytes, dict[str, list[str]]]:
    """The exact bytes and headers httpx sends for a multipart upload."""
    request = httpx.Request("POST", "https://api.openai.com/v1/images/edits", data=data, files=list(files))
    body = request.read()
    headers = {k.lower(): [v] for k, v in request.headers.items()}
    return body, headers


@pytest.fixture
def multipart_upload() -> Callable[..., tuple[bytes, dict[str, list[str]]]]:
    return httpx_multipart
