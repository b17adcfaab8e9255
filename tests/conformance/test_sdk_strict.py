"""Every reply shape of the emulator, parsed by the installed openai SDK with ``_strict_response_validation``
(which raises ``APIResponseValidationError`` where a reply lacks a field the SDK's types require), sync and
async, streams included; and every reply body and event sent meanwhile checked against the official schema
components (``schema.py``).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import anyio
import openai
import pytest
from PIL import Image

from pytest_imagegen.emulator import Emulator

from .conftest import API_KEY, Sent

# create_variation is deprecated in the SDK (the endpoint is dall-e-2 only); it is still a reply shape.
pytestmark = [pytest.mark.anyio, pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")]


def _png(width: int, height: int, mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (width, height), (10, 20, 30, 0)[: len(mode)]).save(buffer, "PNG")
    return buffer.getvalue()


TOOL = {"type": "image_generation", "size": "1024x1024", "quality": "low"}
SIZE = "1024x1024"

#: One call per reply shape: (name, keyword arguments by resource, and whether it streams).
CALLS: list[tuple[str, str, dict[str, Any], bool]] = [
    ("generate gpt", "images.generate", {"model": "gpt-image-1.5", "prompt": "a fox", "size": SIZE}, False),
    ("generate dall-e-3 url", "images.generate", {"model": "dall-e-3", "prompt": "a fox"}, False),
    (
        "generate dall-e-2 b64",
        "images.generate",
        {"model": "dall-e-2", "prompt": "a fox", "size": "256x256", "response_format": "b64_json"},
        False,
    ),
    (
        "generate stream",
        "images.generate",
        {"model": "gpt-image-1.5", "prompt": "a fox", "size": SIZE, "quality": "low", "partial_images": 2},
        True,
    ),
    (
        "edit",
        "images.edit",
        {"model": "gpt-image-1.5", "prompt": "a fox", "size": SIZE, "image": ("a.png", _png(64, 64))},
        False,
    ),
    (
        "edit stream",
        "images.edit",
        {
            "model": "gpt-image-1.5",
            "prompt": "a fox",
            "size": SIZE,
            "quality": "low",
            "image": [("a.png", _png(64, 64)), ("b.png", _png(64, 64))],
            "partial_images": 1,
        },
        True,
    ),
    (
        "variation",
        "images.create_variation",
        {"model": "dall-e-2", "image": ("a.png", _png(64, 64)), "size": "256x256"},
        False,
    ),
    ("responses image", "responses.create", {"model": "gpt-5", "input": "a fox", "tools": [TOOL]}, False),
    (
        "responses image stream",
        "responses.create",
        {"model": "gpt-5", "input": "a fox", "tools": [{**TOOL, "partial_images": 2}]},
        True,
    ),
    ("responses text", "responses.create", {"model": "gpt-5", "input": "hello"}, False),
    ("responses text stream", "responses.create", {"model": "gpt-5", "input": "hello"}, True),
    (
        "chat image",
        "chat.completions.create",
        {
            "model": "google/gemini-2.5-flash-image",
            "messages": [{"role": "user", "content": "a fox"}],
            "extra_body": {"modalities": ["image", "text"]},
        },
        False,
    ),
    (
        "chat image stream",
        "chat.completions.create",
        {
            "model": "google/gemini-2.5-flash-image",
            "messages": [{"role": "user", "content": "a fox"}],
            "extra_body": {"modalities": ["image", "text"]},
        },
        True,
    ),
]
IDS = [name for name, *_ in CALLS]


def _method(client: Any, dotted: str) -> Callable[..., Any]:
    target = client
    for name in dotted.split("."):
        target = getattr(target, name)
    return target  # type: ignore[no-any-return]


@contextmanager
def _no_problems(sent: Sent) -> Iterator[None]:
    yield
    assert sent.parts, "the emulator sent nothing"
    assert sent.problems() == []


@pytest.mark.parametrize(("name", "method", "kwargs", "stream"), CALLS, ids=IDS)
def test_sync_strict_parsing(
    imagegen_emulator: Emulator, sent: Sent, name: str, method: str, kwargs: dict[str, Any], stream: bool
) -> None:
    with (
        openai.OpenAI(
            base_url=imagegen_emulator.base_url,
            api_key=API_KEY,
            max_retries=0,
            _strict_response_validation=True,
        ) as client,
        _no_problems(sent),
    ):
        call = _method(client, method)
        if stream:
            with call(**kwargs, stream=True) as events:
                kinds = [event.type if hasattr(event, "type") else event.object for event in events]
            assert kinds
        else:
            reply = call(**kwargs)
            # Strict validation is lazy for some fields: dump the whole model, then read it back.
            type(reply).model_validate(reply.model_dump(), strict=False)


@pytest.mark.parametrize(("name", "method", "kwargs", "stream"), CALLS, ids=IDS)
async def test_async_strict_parsing(
    imagegen_emulator: Emulator, sent: Sent, name: str, method: str, kwargs: dict[str, Any], stream: bool
) -> None:
    async with openai.AsyncOpenAI(
        base_url=imagegen_emulator.base_url, api_key=API_KEY, max_retries=0, _strict_response_validation=True
    ) as client:
        with _no_problems(sent):
            call = _method(client, method)
            if stream:
                events = await call(**kwargs, stream=True)
                kinds = [event async for event in events]
                assert kinds
            else:
                await call(**kwargs)
    await anyio.sleep(0)


def test_the_responses_stream_helper_parses_strictly(imagegen_emulator: Emulator, sent: Sent) -> None:
    with (
        openai.OpenAI(
            base_url=imagegen_emulator.base_url,
            api_key=API_KEY,
            max_retries=0,
            _strict_response_validation=True,
        ) as client,
        _no_problems(sent),
        client.responses.stream(model="gpt-5", input="a fox", tools=[TOOL]) as stream,  # type: ignore[list-item]
    ):
        final = stream.get_final_response()
    assert [item.type for item in final.output] == ["image_generation_call"]
