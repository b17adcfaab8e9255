"""Snapshots and ``assert_valid_reply`` for the Responses API: what a test holds while recording equals
what it holds on replay, images shown as facts, per-recording ids and times masked."""

from __future__ import annotations

import base64
import io
from typing import Any

import openai
import pytest
from PIL import Image

from pytest_imagegen.assertions import assert_valid_reply
from pytest_imagegen.emulator import Emulator
from pytest_imagegen.errors import SchemaAssertionError
from pytest_imagegen.snapshot import image_png, snapshot_text
from tests.engine.conftest import DEAD_BASE_URL, KEY, Tape

TOOL: dict[str, Any] = {"type": "image_generation", "size": "64x48", "quality": "low"}
PARAMS: dict[str, Any] = {"model": "gpt-5", "input": "a lantern", "tools": [TOOL]}
STREAM: dict[str, Any] = {**PARAMS, "tools": [{**TOOL, "partial_images": 1}]}


def calls(base_url: str) -> tuple[Any, list[Any]]:
    with openai.OpenAI(base_url=base_url, api_key=KEY, max_retries=0) as client:
        reply = client.responses.create(**PARAMS)
        events = list(client.responses.create(**STREAM, stream=True))
    return reply, events


@pytest.fixture(scope="module")
def recorded_and_replayed(
    imagegen_emulator: Emulator, tmp_path_factory: pytest.TempPathFactory
) -> tuple[tuple[Any, list[Any]], tuple[Any, list[Any]]]:
    tape = Tape(tmp_path_factory.mktemp("cassettes"), "snapshots::responses")
    with tape.open("once"):
        recorded = calls(imagegen_emulator.base_url)
    with tape.open("none"):
        replayed = calls(DEAD_BASE_URL)
    return recorded, replayed


def test_snapshot_of_a_reply_is_the_same_recorded_and_replayed(recorded_and_replayed: Any) -> None:
    (reply, events), (again, again_events) = recorded_and_replayed
    assert snapshot_text(again) == snapshot_text(reply)
    assert snapshot_text(again_events) == snapshot_text(events)
    text = snapshot_text(reply)
    assert text.startswith("responses reply\n")
    assert "  output[0].result: <image png 64x48 RGB>" in text
    assert "  id: <resp_ id>" in text
    assert "  output[0].id: <ig_ id>" in text
    assert "  created_at: <created>" in text
    stream_text = snapshot_text(events)
    assert stream_text.startswith("responses stream (9 events)\n")
    assert "  [5].partial_image_b64: <image png 64x48 RGB>" in stream_text
    assert "  [7].item.result: <image png 64x48 RGB>" in stream_text


def test_stored_references_and_data_urls_show_as_facts() -> None:
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "PNG")
    url = "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode()
    text = snapshot_text(
        {"object": "response", "input": url, "output": [{"result": {"placeholder": {"same_as": "ab"}}}]}
    )
    assert "  input: <image png 8x8 RGB, data:image/jpeg>" in text
    assert "  output[0].result: <image, the same as an earlier one>" in text


def test_png_snapshot_takes_the_finished_image(recorded_and_replayed: Any) -> None:
    (_, events), (reply, _) = recorded_and_replayed
    for holder in (reply, events):
        with Image.open(io.BytesIO(image_png(holder))) as image:
            assert image.size == (64, 48)


def test_assert_valid_reply_takes_sdk_replies_and_the_create_kwargs(recorded_and_replayed: Any) -> None:
    (reply, events), _ = recorded_and_replayed
    assert_valid_reply(reply, PARAMS)
    assert_valid_reply(events, STREAM)
    assert_valid_reply(reply)
    with pytest.raises(SchemaAssertionError) as info:  # the request offered no image tool
        assert_valid_reply(reply, {"model": "gpt-5"}, endpoint="responses")
    assert info.value.problems == [
        ("$.output[0]", "an image_generation_call, but the request offered no image_generation tool")
    ]
    with pytest.raises(SchemaAssertionError) as info:
        assert_valid_reply(events, {**STREAM, "tools": [{**TOOL, "size": "1024x1024", "partial_images": 1}]})
    assert "$[7].item.size" in [path for path, _ in info.value.problems]
    with pytest.raises(SchemaAssertionError) as info:
        assert_valid_reply(reply, {**PARAMS, "stream": True})
    assert info.value.problems[0][0] == "$"
