"""``POST /v1/responses`` on the emulator, through the official SDK over a real socket.

Real images of the tool's size and format, the service's event order with sequence numbers, errors in
the API's envelope, the same headers and cookies as the Images routes, and multi-turn editing. Every reply
the emulator makes must keep the contract the plugin checks recordings against.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx
import openai
import pytest

from pytest_imagegen.contract import check_reply, validate_request
from pytest_imagegen.emulator import Emulator

from .conftest import API_KEY, decode, png_bytes, sse_events

TOOL: dict[str, Any] = {"type": "image_generation", "size": "64x48", "quality": "low"}


def data_url(raw: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64," + base64.b64encode(raw).decode()


def test_json_reply_holds_a_real_image_of_the_tool_s_size_and_format(client: openai.OpenAI) -> None:
    tool = {**TOOL, "output_format": "webp", "background": "transparent"}
    reply = client.responses.create(model="gpt-5", input="a sticker", tools=[tool])

    (call,) = reply.output
    assert call.type == "image_generation_call"
    image = decode(call.result)
    assert (image.format, image.size, image.mode) == ("WEBP", (64, 48), "RGBA")
    assert (call.status, call.size, call.output_format, call.background, call.quality, call.action) == (
        "completed",
        "64x48",
        "webp",
        "transparent",
        "low",
        "generate",
    )
    assert call.revised_prompt == "a sticker"
    assert reply.status == "completed"
    assert reply.tool_usage is not None
    usage = reply.tool_usage.image_gen
    assert usage.total_tokens == usage.input_tokens + usage.output_tokens
    assert reply.usage is not None
    assert reply.usage.total_tokens == reply.usage.input_tokens + reply.usage.output_tokens
    params = {"model": "gpt-5", "input": "a sticker", "tools": [tool]}
    check_reply(validate_request("responses", params, strict=True), reply)


def test_jpeg_compression_changes_the_bytes(client: openai.OpenAI) -> None:
    def size(compression: int) -> int:
        tool = {**TOOL, "output_format": "jpeg", "output_compression": compression}
        result = client.responses.create(model="gpt-5", input="a pier", tools=[tool]).output[0].result
        return len(base64.b64decode(result))

    assert size(20) < size(95)


def test_stream_sends_the_service_s_events_in_order(client: openai.OpenAI) -> None:
    tool = {**TOOL, "partial_images": 3}
    events = list(client.responses.create(model="gpt-5", input="a kite", stream=True, tools=[tool]))

    assert [e.type for e in events] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.image_generation_call.in_progress",
        "response.image_generation_call.generating",
        *["response.image_generation_call.partial_image"] * 3,
        "response.image_generation_call.completed",
        "response.output_item.done",
        "response.completed",
    ]
    assert [e.sequence_number for e in events] == list(range(len(events)))
    partials = [e for e in events if e.type == "response.image_generation_call.partial_image"]
    assert [p.partial_image_index for p in partials] == [0, 1, 2]
    assert all(decode(p.partial_image_b64).size == (64, 48) for p in partials)
    done = events[-2].item
    assert decode(done.result).size == (64, 48)
    assert events[-1].response.output[0].result == done.result, "response.completed repeats the final image"
    assert len({p.partial_image_b64 for p in partials} | {done.result}) == 4, "each partial differs"
    params = {"model": "gpt-5", "input": "a kite", "stream": True, "tools": [tool]}
    check_reply(validate_request("responses", params), events, strict=True)


def test_streamed_and_plain_replies_hold_the_same_picture(client: openai.OpenAI) -> None:
    plain = client.responses.create(model="gpt-5", input="same", tools=[TOOL]).output[0].result
    events = list(
        client.responses.create(
            model="gpt-5", input="same", stream=True, tools=[{**TOOL, "partial_images": 1}]
        )
    )
    assert events[-2].item.result == plain


def test_raw_stream_is_framed_event_by_event(emulator: Emulator) -> None:
    body = {"model": "gpt-5", "input": "raw", "stream": True, "tools": [TOOL]}
    with httpx.Client(base_url=emulator.base_url) as client:
        reply = client.post("/responses", json=body, headers={"authorization": f"Bearer {API_KEY}"})
    assert reply.headers["content-type"].startswith("text/event-stream")
    events = sse_events(reply.content)
    assert all(name == data["type"] for name, data in events)
    assert [data["type"] for _, data in events][-1] == "response.completed"


def test_same_headers_and_cookies_as_the_images_routes(emulator: Emulator) -> None:
    body = {"model": "gpt-5", "input": "headers", "tools": [TOOL]}
    with httpx.Client(base_url=emulator.base_url) as client:
        reply = client.post("/responses", json=body, headers={"authorization": f"Bearer {API_KEY}"})
    assert reply.status_code == 200
    assert reply.headers["openai-organization"] == emulator.organization
    assert reply.headers["openai-project"] == emulator.project
    assert reply.headers["x-request-id"].startswith("req_")
    assert reply.headers["content-encoding"] == "gzip"
    cookies = reply.headers.get_list("set-cookie")
    assert [c.split("=", 1)[0] for c in cookies] == ["__cf_bm", "_cfuvid"]
    assert all(emulator.cookie_secret in c for c in cookies)
    logged = emulator.requests[-1]
    assert (logged.path, logged.status, logged.params["model"]) == ("/v1/responses", 200, "gpt-5")


def test_two_turn_edit_continues_the_previous_response(client: openai.OpenAI) -> None:
    photo = png_bytes(40, 30)
    content = [
        {"type": "input_text", "text": "add a hat"},
        {"type": "input_image", "image_url": data_url(photo)},
    ]
    first = client.responses.create(model="gpt-5", input=[{"role": "user", "content": content}], tools=[TOOL])
    second = client.responses.create(
        model="gpt-5", previous_response_id=first.id, input="now in blue", tools=[TOOL]
    )
    assert first.output[0].action == second.output[0].action == "edit"
    assert second.previous_response_id == first.id
    assert second.output[0].result != first.output[0].result
    fresh = client.responses.create(model="gpt-5", input="a new one", tools=[{**TOOL, "action": "auto"}])
    assert fresh.output[0].action == "generate"


def test_without_the_tool_the_reply_is_a_message(client: openai.OpenAI) -> None:
    reply = client.responses.create(model="gpt-5", input="hello")
    assert [item.type for item in reply.output] == ["message"]
    assert reply.output_text
    refused = client.responses.create(model="gpt-5", input="no images", tools=[TOOL], tool_choice="none")
    assert [item.type for item in refused.output] == ["message"]
    events = list(client.responses.create(model="gpt-5", input="hello", stream=True))
    assert "response.output_text.delta" in [e.type for e in events]
    check_reply(validate_request("responses", {"model": "gpt-5", "input": "hello", "stream": True}), events)


@pytest.mark.parametrize(
    ("params", "param", "code"),
    [
        (
            {"tools": [{**TOOL, "quality": "xhigh", "model": "gpt-image-2"}]},
            "tools[0].quality",
            "invalid_value",
        ),
        ({"tools": [{**TOOL, "model": "dall-e-3"}]}, "tools[0].model", "invalid_value"),
        ({"tools": [{**TOOL, "partial_images": 4}]}, "tools[0].partial_images", "integer_above_max_value"),
        ({"model": "gpt-image-1"}, "model", "invalid_value"),
        ({"previous_response_id": "resp_nobody"}, "previous_response_id", "previous_response_not_found"),
        ({"tools": [{**TOOL, "action": "edit"}]}, "tools[0].action", "invalid_value"),
        (
            {
                "input": [
                    {
                        "role": "user",
                        "content": [{"type": "input_image", "image_url": "data:image/png;base64,AAAA"}],
                    }
                ]
            },
            "input[0].content[0].image_url",
            "invalid_image_format",
        ),
    ],
)
def test_errors_come_in_the_api_s_envelope(
    client: openai.OpenAI, params: dict[str, Any], param: str, code: str
) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(**{"model": "gpt-5", "input": "x", **params})
    assert info.value.status_code == 400
    assert (info.value.param, info.value.code) == (param, code)
    assert info.value.type == "invalid_request_error"


def test_auth_and_faults_as_on_the_images_routes(emulator: Emulator, client: openai.OpenAI) -> None:
    with httpx.Client(base_url=emulator.base_url) as raw:
        assert raw.post("/responses", json={"model": "gpt-5"}).status_code == 401
        multipart = raw.post(
            "/responses", files={"image": ("a.png", b"x")}, headers={"authorization": f"Bearer {API_KEY}"}
        )
        assert multipart.status_code == 400
    emulator.inject_fault("rate_limit", retry_after_ms=1500)
    with pytest.raises(openai.RateLimitError) as info:
        client.responses.create(model="gpt-5", input="x", tools=[TOOL])
    assert info.value.response.headers["retry-after-ms"] == "1500"
    assert emulator.organization in info.value.message
    emulator.inject_fault("disconnect")
    with pytest.raises(openai.APIError):
        list(client.responses.create(model="gpt-5", input="x", stream=True, tools=[TOOL]))
