"""Thumbnails of generated images, tested the ways a project would test its own code.

Each test runs offline against its cassette in ``cassettes/examples/test_thumbnailer/``. To record them
again from the bundled emulator (or from the real service, with OPENAI_API_KEY set and no base URL)::

    pytest examples --imagegen-base-url=emulator --imagegen-record=rewrite
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openai
import pytest
from PIL import Image
from syrupy.assertion import SnapshotAssertion
from thumbnailer import amake_thumbnail, make_thumbnail

from pytest_imagegen.assertions import assert_valid_reply
from pytest_imagegen.client import ImagegenClient


def assert_thumbnail(path: Path, size: tuple[int, int] = (32, 32)) -> None:
    with Image.open(path) as image:
        assert (image.format, image.size) == ("PNG", size)


def test_thumbnail_through_the_plugin_client(imagegen_client: ImagegenClient, tmp_path: Path) -> None:
    # ImagegenClient checks the request before sending it and the reply against the API contract.
    path = make_thumbnail(imagegen_client, "a lighthouse at dusk", tmp_path / "lighthouse.png")
    assert_thumbnail(path)


def test_thumbnail_through_the_openai_sdk(imagegen_openai: openai.OpenAI, tmp_path: Path) -> None:
    path = make_thumbnail(imagegen_openai.images, "a lighthouse at dusk", tmp_path / "lighthouse.png")
    assert_thumbnail(path)


def test_thumbnail_keeps_the_aspect_ratio(imagegen_openai: openai.OpenAI, tmp_path: Path) -> None:
    path = make_thumbnail(imagegen_openai.images, "a wide beach", tmp_path / "beach.png", image_size="128x64")
    assert_thumbnail(path, (32, 16))


@pytest.mark.anyio
async def test_thumbnail_through_the_async_sdk(
    async_imagegen_openai: openai.AsyncOpenAI, tmp_path: Path
) -> None:
    path = await amake_thumbnail(async_imagegen_openai.images, "a red kite", tmp_path / "kite.png")
    assert_thumbnail(path)


def test_the_sdk_reply_keeps_the_contract(imagegen_openai: openai.OpenAI) -> None:
    # The SDK's models accept anything; assert_valid_reply checks the reply against the API contract and
    # against what was asked (one image of 64x64 in PNG, as base64).
    params: dict[str, Any] = {
        "model": "gpt-image-2",
        "prompt": "a lighthouse at dusk",
        "size": "64x64",
        "output_format": "png",
    }
    reply = imagegen_openai.images.generate(**params)
    assert_valid_reply(reply, params)


def test_the_reply_matches_its_snapshot(
    imagegen_openai: openai.OpenAI, imagegen_snapshot: SnapshotAssertion
) -> None:
    # The snapshot shows every field of the reply except what changes from call to call (created) and
    # the image bytes (format, size and mode instead), so it is the same when recorded and on replay.
    reply = imagegen_openai.images.generate(model="gpt-image-2", prompt="a lighthouse at dusk", size="64x64")
    assert imagegen_snapshot == reply
