"""Streams from the emulator over a real socket: typed events in order, each handed over as it arrives."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable

import httpx
import pytest
from PIL import Image

from pytest_imagegen.client import AsyncImagegenClient, ImagegenClient
from pytest_imagegen.contract import (
    ImageEditCompletedEvent,
    ImageEditPartialImageEvent,
    ImageGenCompletedEvent,
    ImageGenPartialImageEvent,
)
from pytest_imagegen.emulator import Emulator

from .conftest import KEY, Api, ChunkLog, png

pytestmark = pytest.mark.anyio

SMALL = {"model": "gpt-image-2", "size": "64x64"}


async def test_generate_stream_events_in_order_and_typed(api: Api, emulator: Emulator) -> None:
    events = await api.events("generate_stream", "a red square", partial_images=2, **SMALL)

    assert [type(e) for e in events] == [
        ImageGenPartialImageEvent,
        ImageGenPartialImageEvent,
        ImageGenCompletedEvent,
    ]
    assert [e.partial_image_index for e in events[:2]] == [0, 1]
    final = events[-1]
    assert isinstance(final, ImageGenCompletedEvent)
    with Image.open(io.BytesIO(base64.b64decode(final.b64_json))) as image:
        assert image.size == (64, 64)
    assert final.usage.total_tokens > 0
    # The client set stream=true itself.
    assert emulator.requests[0].params["stream"] is True


async def test_edit_stream_events(api: Api, emulator: Emulator) -> None:
    events = await api.events(
        "edit_stream", [png(), png(mode="RGB")], "merge", mask=png(), partial_images=1, **SMALL
    )

    assert [type(e) for e in events] == [ImageEditPartialImageEvent, ImageEditCompletedEvent]
    assert emulator.requests[0].params["stream"] == "true"  # a multipart text part
    assert [f.part for f in emulator.requests[0].files] == ["image[]", "image[]", "mask"]


async def test_no_partials_is_one_completed_event(api: Api) -> None:
    events = await api.events("generate_stream", "a cat", partial_images=0, **SMALL)
    assert [type(e) for e in events] == [ImageGenCompletedEvent]


async def test_n_images_stream_their_partials_from_zero_each(api: Api) -> None:
    events = await api.events("generate_stream", "two cats", n=2, partial_images=1, **SMALL)
    assert [(type(e).__name__, getattr(e, "partial_image_index", None)) for e in events] == [
        ("ImageGenPartialImageEvent", 0),
        ("ImageGenCompletedEvent", None),
        ("ImageGenPartialImageEvent", 0),
        ("ImageGenCompletedEvent", None),
    ]


async def test_the_first_event_arrives_before_the_stream_ends(
    make_api: Callable[..., Api], kind: str
) -> None:
    log = ChunkLog()
    api = make_api(http_client=log.http_client(kind))
    try:
        async with api.stream("generate_stream", "a cat", partial_images=2, **SMALL) as events:
            first = await anext(aiter(events))
            # Handed over while the body is still open and the completed event not yet read.
            assert isinstance(first, ImageGenPartialImageEvent)
            assert not log.ended
            assert (
                b"image_generation.partial_image" in log.data
            )  # plain bytes, so the next check means something
            assert b"image_generation.completed" not in log.data
            rest = [event async for event in events]
        assert [type(e) for e in rest] == [ImageGenPartialImageEvent, ImageGenCompletedEvent]
        assert log.ended
    finally:
        await _close(api.client.http_client)


async def test_a_dropped_connection_mid_stream_after_the_first_event(api: Api, emulator: Emulator) -> None:
    emulator.inject_fault("disconnect")
    async with api.stream("generate_stream", "a cat", partial_images=2, **SMALL) as events:
        iterator = aiter(events)
        # The first event is the caller's before the connection breaks mid-way through the second.
        assert isinstance(await anext(iterator), ImageGenPartialImageEvent)
        with pytest.raises(httpx.RemoteProtocolError):
            await anext(iterator)


def test_leaving_the_with_block_early_closes_the_response(emulator: Emulator) -> None:
    with ImagegenClient(base_url=emulator.base_url, api_key=KEY) as client:
        with client.generate_stream("a cat", partial_images=2, **SMALL) as stream:
            next(stream)
            assert not stream.response.is_closed
        assert stream.response.is_closed
        # The connection went back to the pool in a usable state.
        assert client.generate("a cat", model="dall-e-2", size="256x256").created > 0


async def test_async_stream_sends_on_first_use_and_can_be_awaited(emulator: Emulator) -> None:
    async with AsyncImagegenClient(base_url=emulator.base_url, api_key=KEY) as client:
        stream = client.generate_stream("a cat", partial_images=1, **SMALL)
        assert emulator.requests == []
        opened = await stream
        assert opened is stream
        assert stream.response is not None
        assert stream.response.headers["content-type"].startswith("text/event-stream")
        assert len(emulator.requests) == 1
        assert [type(e) async for e in stream] == [ImageGenPartialImageEvent, ImageGenCompletedEvent]
        assert stream.response.is_closed


async def test_stream_is_not_a_parameter(api: Api) -> None:
    with pytest.raises(TypeError, match="generate_stream"):
        await api.call("generate", "a cat", stream=True, **SMALL)


async def _close(http_client: httpx.Client | httpx.AsyncClient) -> None:
    if isinstance(http_client, httpx.AsyncClient):
        await http_client.aclose()
    else:
        http_client.close()
