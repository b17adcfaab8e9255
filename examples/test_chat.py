"""A storyboard panel drawn through a gateway's chat completions (``modalities`` in ``extra_body``).

Recorded from the bundled emulator (``pytest examples --imagegen-base-url=emulator --imagegen-record=rewrite``)
and replayed offline. On disk the image is a placeholder behind its ``data:image/png;base64,`` prefix: the
cassette keeps what the URL declared and what the bytes were (format, size, mode, digest), and the
contract checks both agree.
"""

from __future__ import annotations

from pathlib import Path

import openai
from PIL import Image
from storyboard import GATEWAY_MODEL, draw_panel

from pytest_imagegen.assertions import assert_valid_reply


def test_a_panel_through_a_gateway(imagegen_openai: openai.OpenAI, tmp_path: Path) -> None:
    panel = draw_panel(imagegen_openai.chat.completions, "a lighthouse keeper at dawn", tmp_path / "one.png")
    with Image.open(panel) as image:
        assert image.size == (48, 27)  # a 16:9 picture, thumbnailed


def test_the_panel_streamed_keeps_the_contract(imagegen_openai: openai.OpenAI) -> None:
    params = {
        "model": GATEWAY_MODEL,
        "messages": [{"role": "user", "content": "a storm over the bay"}],
        "extra_body": {"modalities": ["image", "text"], "image_config": {"aspect_ratio": "1:1"}},
    }
    chunks = list(imagegen_openai.chat.completions.create(**params, stream=True))

    assert chunks[-1].choices[0].finish_reason == "stop"
    # The image in the right chunk, declared as what it is, in the ratio asked; the stream finished.
    assert_valid_reply(chunks, params)
