"""Replies that break the contract, which the emulator never sends, so they come from ``httpx.MockTransport``.

Each one must fail with ``SchemaAssertionError`` naming the JSON path, and for streams, the good events
before the bad one must still have been handed over.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pytest_imagegen.client import AsyncImagegenClient, ImagegenClient
from pytest_imagegen.contract import ImageGenCompletedEvent, ImageGenPartialImageEvent
from pytest_imagegen.errors import ImagegenAPIError, SchemaAssertionError

from .conftest import png

BASE_URL = "http://127.0.0.1:9/v1"  # never dialled: the mock transport answers
SMALL = {"model": "gpt-image-2", "size": "64x64"}
B64 = base64.b64encode(png(64)).decode()
USAGE = {
    "total_tokens": 3,
    "input_tokens": 1,
    "output_tokens": 2,
    "input_tokens_details": {"text_tokens": 1, "image_tokens": 0},
}


def partial(index: int, prefix: str = "image_generation") -> dict[str, Any]:
    return {"type": f"{prefix}.partial_image", "b64_json": B64, "partial_image_index": index, "size": "64x64"}


def completed(prefix: str = "image_generation") -> dict[str, Any]:
    return {"type": f"{prefix}.completed", "b64_json": B64, "usage": USAGE, "size": "64x64"}


def sse(*events: dict[str, Any] | str) -> bytes:
    frames = []
    for event in events:
        data = event if isinstance(event, str) else json.dumps(event)
        name = "" if isinstance(event, str) else f"event: {event['type']}\n"
        frames.append(f"{name}data: {data}\n\n")
    return "".join(frames).encode()


def answering(
    body: bytes, *, status: int = 200, content_type: str = "text/event-stream"
) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": content_type, "x-request-id": "req_doctored"}
        return httpx.Response(status, content=body, headers=headers)

    return handler


def client_for(handler: Callable[[httpx.Request], httpx.Response]) -> ImagegenClient:
    return ImagegenClient(
        base_url=BASE_URL, api_key="sk-x", http_client=httpx.Client(transport=httpx.MockTransport(handler))
    )


def paths(exc: SchemaAssertionError) -> list[str]:
    return [path for path, _ in exc.problems]


def test_an_event_after_completed() -> None:
    client = client_for(answering(sse(partial(0), completed(), partial(1))))
    received: list[Any] = []
    with (
        pytest.raises(SchemaAssertionError) as caught,
        client.generate_stream("a cat", partial_images=2, **SMALL) as stream,
    ):
        received.extend(stream)

    assert paths(caught.value) == ["$[2]"]
    assert [type(e) for e in received] == [ImageGenPartialImageEvent, ImageGenCompletedEvent]
    message = str(caught.value)
    assert (
        f"reply to POST {BASE_URL}/images/generations (model gpt-image-2) [request id req_doctored]"
        in message
    )
    assert "event after the completed event" in message


def test_a_missing_created() -> None:
    body = json.dumps(
        {
            "data": [{"b64_json": B64}],
            "usage": USAGE | {"output_tokens_details": {"image_tokens": 2, "text_tokens": 0}},
        }
    )
    client = client_for(answering(body.encode(), content_type="application/json"))
    with pytest.raises(SchemaAssertionError) as caught:
        client.generate("a cat", **SMALL)

    assert "$.created" in paths(caught.value)


def test_partial_image_indexes_out_of_order() -> None:
    client = client_for(answering(sse(partial(1), partial(0), completed())))
    with client.generate_stream("a cat", partial_images=2, **SMALL) as stream:
        first = next(stream)
        with pytest.raises(SchemaAssertionError) as caught:
            next(stream)

    assert isinstance(first, ImageGenPartialImageEvent)
    assert paths(caught.value) == ["$[1].partial_image_index"]


def test_an_event_of_the_other_endpoint() -> None:
    client = client_for(answering(sse(completed("image_generation"))))
    with pytest.raises(SchemaAssertionError) as caught, client.edit_stream(png(), "edit", **SMALL) as stream:
        list(stream)

    assert paths(caught.value) == ["$[0].type"]


def test_a_bad_field_inside_an_event_is_reported_under_its_event() -> None:
    client = client_for(answering(sse(partial(0) | {"partial_image_index": "0"}, completed())))
    with (
        pytest.raises(SchemaAssertionError) as caught,
        client.generate_stream("a cat", partial_images=1, **SMALL) as stream,
    ):
        list(stream)

    assert paths(caught.value) == ["$[0].partial_image_index"]


def test_a_stream_that_ends_without_completed() -> None:
    client = client_for(answering(sse(partial(0))))
    with (
        pytest.raises(SchemaAssertionError) as caught,
        client.generate_stream("a cat", partial_images=1, **SMALL) as stream,
    ):
        list(stream)

    assert "no image_generation.completed event" in str(caught.value)


def test_a_reply_image_of_the_wrong_size() -> None:
    small = base64.b64encode(png(32)).decode()
    client = client_for(answering(sse(completed() | {"b64_json": small})))
    with pytest.raises(SchemaAssertionError) as caught, client.generate_stream("a cat", **SMALL) as stream:
        list(stream)

    assert paths(caught.value) == ["$[0].b64_json"]
    assert "32x32, expected 64x64" in str(caught.value)


def test_done_ends_the_stream_and_nothing_after_it_is_read() -> None:
    client = client_for(answering(sse(partial(0), completed(), "[DONE]", "not json")))
    with client.generate_stream("a cat", partial_images=1, **SMALL) as stream:
        assert [type(e) for e in stream] == [ImageGenPartialImageEvent, ImageGenCompletedEvent]


def test_event_data_that_is_not_json() -> None:
    client = client_for(answering(sse("{truncated")))
    with pytest.raises(SchemaAssertionError) as caught, client.generate_stream("a cat", **SMALL) as stream:
        list(stream)

    assert paths(caught.value) == ["$[0]"]


def test_a_json_body_where_a_stream_was_asked() -> None:
    client = client_for(answering(b"{}", content_type="application/json"))
    with pytest.raises(SchemaAssertionError, match="a stream was asked for"):
        client.generate_stream("a cat", **SMALL)


def test_an_error_object_inside_a_stream_is_an_api_error() -> None:
    error = {
        "error": {
            "message": "moderation blocked",
            "type": "image_generation_user_error",
            "param": None,
            "code": "moderation_blocked",
        }
    }
    client = client_for(answering(sse(partial(0), json.dumps(error))))
    with (
        pytest.raises(ImagegenAPIError) as caught,
        client.generate_stream("a cat", partial_images=1, **SMALL) as stream,
    ):
        list(stream)

    assert (caught.value.code, caught.value.request_id) == ("moderation_blocked", "req_doctored")


def test_an_error_reply_that_is_not_the_api_envelope() -> None:
    client = client_for(answering(b"<html>Bad Gateway</html>", status=502, content_type="text/html"))
    with pytest.raises(SchemaAssertionError) as caught:
        client.generate("a cat", **SMALL)

    assert paths(caught.value) == ["$"]
    # The HTTP error is still in the traceback, as the cause.
    cause = caught.value.__cause__
    assert isinstance(cause, ImagegenAPIError)
    assert (cause.status, cause.message) == (502, "<html>Bad Gateway</html>")


def test_an_error_envelope_missing_a_key() -> None:
    body = json.dumps({"error": {"message": "bad", "type": "invalid_request_error", "code": None}}).encode()
    client = client_for(answering(body, status=400, content_type="application/json"))
    with pytest.raises(SchemaAssertionError) as caught:
        client.generate("a cat", **SMALL)

    assert paths(caught.value) == ["$.error.param"]


@pytest.mark.anyio
async def test_async_stream_checks_the_same_way() -> None:
    transport = httpx.MockTransport(answering(sse(partial(0), completed(), partial(1))))
    async with AsyncImagegenClient(
        base_url=BASE_URL, api_key="sk-x", http_client=httpx.AsyncClient(transport=transport)
    ) as client:
        received: list[Any] = []

        async def drain() -> None:
            async for event in client.generate_stream("a cat", partial_images=2, **SMALL):
                received.append(event)

        with pytest.raises(SchemaAssertionError) as caught:
            await drain()

    assert paths(caught.value) == ["$[2]"]
    assert len(received) == 2


@pytest.mark.anyio
async def test_async_json_reply_checks_the_same_way() -> None:
    transport = httpx.MockTransport(answering(b'{"data": []}', content_type="application/json"))
    async with AsyncImagegenClient(
        base_url=BASE_URL, api_key="sk-x", http_client=httpx.AsyncClient(transport=transport)
    ) as client:
        with pytest.raises(SchemaAssertionError) as caught:
            await client.generate("a cat", **SMALL)

    assert set(paths(caught.value)) >= {"$.created", "$.data"}
