"""The snapshot text of a reply: the same for every shape a test holds, blind to what changes per call."""

from __future__ import annotations

import base64
import io
from typing import Any

import httpx2
import openai
import pytest
from PIL import Image
from syrupy.filters import props
from syrupy.matchers import path_type

from pytest_imagegen.contract import parse_reply, parse_stream_event
from pytest_imagegen.errors import ImagegenAPIError
from pytest_imagegen.safety import trim
from pytest_imagegen.snapshot import change_summary, image_png, snapshot_text


def b64_image(
    fmt: str = "PNG", size: tuple[int, int] = (64, 64), mode: str = "RGB", colour: Any = 90, **options: Any
) -> str:
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, fmt, **options)
    return base64.b64encode(out.getvalue()).decode()


def reply(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "created": 1_760_000_000,
        "background": "opaque",
        "data": [{"b64_json": b64_image()}],
        "output_format": "png",
        "quality": "low",
        "size": "64x64",
        "usage": {
            "total_tokens": 30,
            "input_tokens": 4,
            "output_tokens": 26,
            "input_tokens_details": {"text_tokens": 4, "image_tokens": 0},
        },
    }
    body.update(changes)
    return body


EXPECTED = """images reply
  background: "opaque"
  created: <created>
  data[0].b64_json: <image png 64x64 RGB>
  output_format: "png"
  quality: "low"
  size: "64x64"
  usage.input_tokens: 4
  usage.input_tokens_details.image_tokens: 0
  usage.input_tokens_details.text_tokens: 4
  usage.output_tokens: 26
  usage.total_tokens: 30"""


def test_a_reply_reads_one_path_per_line() -> None:
    assert snapshot_text(reply()) == EXPECTED


def test_a_mapping_our_model_and_the_sdk_model_snapshot_alike() -> None:
    data = reply()
    assert snapshot_text(parse_reply(data)) == EXPECTED
    assert snapshot_text(openai.types.ImagesResponse.model_validate(data)) == EXPECTED


def test_what_changes_between_recording_and_replay_does_not_show() -> None:
    recorded = reply(created=1_760_000_000)
    facts = trim.image_facts(base64.b64decode(recorded["data"][0]["b64_json"]))
    stand_in = base64.b64encode(trim.placeholder_image(facts)).decode()
    assert stand_in != recorded["data"][0]["b64_json"]
    replayed = reply(created=1_760_000_999, data=[{"b64_json": stand_in}])
    stored = reply(data=[{"b64_json": {"placeholder": facts}}])
    assert snapshot_text(recorded) == snapshot_text(replayed) == snapshot_text(stored)


def test_a_different_image_shape_does_show() -> None:
    wider = reply(data=[{"b64_json": b64_image(size=(128, 64))}])
    assert "data[0].b64_json: <image png 128x64 RGB>" in snapshot_text(wider)
    jpeg = reply(data=[{"b64_json": b64_image("JPEG")}])
    assert "data[0].b64_json: <image jpeg 64x64 RGB>" in snapshot_text(jpeg)


def test_payloads_that_are_not_images_show_as_what_they_are() -> None:
    svg = base64.b64encode(b'<svg xmlns="http://www.w3.org/2000/svg"/>').decode()
    text = snapshot_text(
        {"created": 1, "data": [{"b64_json": svg}, {"b64_json": "%%%"}, {"b64_json": "aGk="}]}
    )
    assert "data[0].b64_json: <svg 41 bytes>" in text
    assert "data[1].b64_json: <not base64: 3 chars>" in text
    assert "data[2].b64_json: <2 bytes, not an image>" in text


def test_signed_urls_and_request_ids_are_masked() -> None:
    def url_reply(port: int, sig: str) -> dict[str, Any]:
        url = f"http://127.0.0.1:{port}/v1/files/org-abc/img-{sig}.png?se=2026&sig={sig}"
        return {
            "created": 1,
            "data": [{"url": url, "revised_prompt": f"a fox (request req_{sig}0000000000)"}],
        }

    first, second = snapshot_text(url_reply(4001, "aaaa")), snapshot_text(url_reply(5002, "bbbb"))
    assert first == second
    assert "data[0].url: <image url on 127.0.0.1, .png>" in first
    assert 'data[0].revised_prompt: "a fox (request <request id>)"' in first


def test_a_stream_is_its_event_sequence_with_the_type_first() -> None:
    partial = {
        "type": "image_generation.partial_image",
        "b64_json": b64_image(),
        "created_at": 1_760_000_001,
        "partial_image_index": 0,
    }
    completed = {
        "type": "image_generation.completed",
        "b64_json": b64_image(),
        "created_at": 1_760_000_002,
        "usage": {
            "total_tokens": 3,
            "input_tokens": 1,
            "output_tokens": 2,
            "input_tokens_details": {"text_tokens": 1, "image_tokens": 0},
        },
    }
    text = snapshot_text([partial, parse_stream_event(completed)])
    assert text.splitlines()[:6] == [
        "image stream (2 events)",
        '  [0].type: "image_generation.partial_image"',
        "  [0].b64_json: <image png 64x64 RGB>",
        "  [0].created_at: <created>",
        "  [0].partial_image_index: 0",
        '  [1].type: "image_generation.completed"',
    ]
    assert "  [1].usage.total_tokens: 3" in text
    assert snapshot_text([{"type": "x", "usage": {}}]).splitlines()[-1] == "  [0].usage: {}"
    assert snapshot_text(iter([partial])) == snapshot_text([partial])  # a stream object is read through


ERROR_BODY = {
    "error": {
        "message": "Invalid size '10x10'.",
        "type": "invalid_request_error",
        "param": "size",
        "code": "invalid_value",
    }
}


def test_an_api_error_from_our_client_and_from_the_sdk_snapshot_alike() -> None:
    ours = ImagegenAPIError(
        400, message="Invalid size '10x10'.", request_id="req_0123456789abcdef", body=ERROR_BODY
    )
    response = httpx2.Response(
        400,
        json=ERROR_BODY,
        headers={"x-request-id": "req_fedcba9876543210"},
        request=httpx2.Request("POST", "https://api.openai.com/v1/images/generations"),
    )
    sdk = openai.BadRequestError("Error code: 400", response=response, body=ERROR_BODY)
    assert snapshot_text(ours) == snapshot_text(sdk)
    assert snapshot_text(ours).splitlines() == [
        "error reply (HTTP 400)",
        '  error.type: "invalid_request_error"',
        '  error.code: "invalid_value"',
        "  error.message: \"Invalid size '10x10'.\"",
        '  error.param: "size"',
        "  request_id: <request id>",
    ]


def test_syrupy_filters_and_matchers_apply_to_the_reply_json() -> None:
    text = snapshot_text(reply(), exclude=props("usage", "quality"))
    assert "usage" not in text
    assert "quality" not in text
    assert "size" in text
    matched = snapshot_text(reply(), matcher=path_type({"usage.total_tokens": (int,)}))
    assert "  usage.total_tokens: int" in matched


def test_anything_else_is_refused_with_the_fixture_to_use_instead() -> None:
    with pytest.raises(TypeError, match=r"got str\. Use syrupy's plain `snapshot` fixture"):
        snapshot_text("a reply?")


def test_the_change_summary_names_changed_added_and_removed_paths() -> None:
    old = snapshot_text(reply())
    new = snapshot_text(reply(size="32x32", revised="x", usage=None))
    assert change_summary(new, old) == [
        "changed: size",
        "added: revised, usage",
        "removed: usage.input_tokens, usage.input_tokens_details.image_tokens, "
        "usage.input_tokens_details.text_tokens, usage.output_tokens, usage.total_tokens",
    ]
    assert (
        change_summary(snapshot_text([]), old)[0] == "reply kind: 'images reply' -> 'image stream (0 events)'"
    )


def test_image_png_reencodes_the_first_image_with_the_same_pixels() -> None:
    data = reply(data=[{"b64_json": b64_image("WEBP", (16, 8), "RGB", (10, 200, 30), lossless=True)}])
    with Image.open(io.BytesIO(image_png(data))) as png:
        assert (png.format, png.size, png.getpixel((3, 3))) == ("PNG", (16, 8), (10, 200, 30))
    with pytest.raises(IndexError, match="holds 1 base64 image"):
        image_png(data, index=1)
