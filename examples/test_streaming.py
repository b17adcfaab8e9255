"""A streamed generation: partial images as the service draws, then the finished image.

The cassette keeps the stream event by event, so replay hands the code the same sequence.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openai
from PIL import Image
from thumbnailer import stream_thumbnails

from pytest_imagegen.assertions import assert_valid_reply
from pytest_imagegen.client import ImagegenClient

PARAMS: dict[str, Any] = {
    "model": "gpt-image-2",
    "prompt": "a paper boat",
    "size": "64x64",
    "partial_images": 2,
}


def test_partial_images_then_the_final_one(imagegen_openai: openai.OpenAI, tmp_path: Path) -> None:
    with imagegen_openai.images.generate(**PARAMS, stream=True) as stream:
        written = stream_thumbnails(stream, tmp_path)

    assert [p.name for p in written] == ["partial-0.png", "partial-1.png", "final.png"]
    for path in written:
        with Image.open(path) as image:
            assert image.size == (32, 32)


def test_the_events_keep_the_contract(imagegen_openai: openai.OpenAI) -> None:
    events = list(imagegen_openai.images.generate(**PARAMS, stream=True))
    # Event order, partial image numbering, the completed event last, and each image's size and format.
    assert_valid_reply(events, PARAMS)
    assert [event.type for event in events][-1] == "image_generation.completed"


def test_the_same_code_reads_the_plugin_client_stream(
    imagegen_client: ImagegenClient, tmp_path: Path
) -> None:
    prompt, params = PARAMS["prompt"], {k: v for k, v in PARAMS.items() if k != "prompt"}
    with imagegen_client.generate_stream(prompt, **params) as stream:
        written = stream_thumbnails(stream, tmp_path)

    assert [p.name for p in written] == ["partial-0.png", "partial-1.png", "final.png"]
