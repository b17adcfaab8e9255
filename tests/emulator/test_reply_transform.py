"""Emulator.transform_replies: the documented hook that plays a service whose API moved."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pytest_imagegen.emulator import Emulator, ReplyPart

KEY = "sk-test-transform"
GOOGLE_KEY = "AIza" + "TransformHookTestKey" + "0" * 15


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator() as running:
        yield running


def events(lines: Iterator[str]) -> list[tuple[str | None, dict[str, Any]]]:
    found, name = [], None
    for line in lines:
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: ") and line != "data: [DONE]":
            found.append((name, json.loads(line.removeprefix("data: "))))
            name = None
    return found


def test_json_replies_and_named_stream_events_are_rewritten(emulator: Emulator) -> None:
    seen: list[ReplyPart] = []

    def transform(part: ReplyPart) -> Any:
        seen.append(part)
        if part.event is None:
            return {**part.document, "moderation": "auto"}
        return (
            [part.document, {**part.document, "type": "image_generation.extra"}] if part.event == 0 else None
        )

    emulator.transform_replies(transform)
    headers = {"authorization": f"Bearer {KEY}"}
    body = {"model": "gpt-image-2", "prompt": "a fox", "size": "16x16"}
    with httpx.Client(base_url=emulator.base_url, headers=headers) as client:
        assert client.post("/images/generations", json=body).json()["moderation"] == "auto"
        with client.stream(
            "POST", "/images/generations", json={**body, "stream": True, "partial_images": 1}
        ) as reply:
            streamed = events(reply.iter_lines())
    assert [name for name, _ in streamed] == [
        "image_generation.partial_image",
        "image_generation.extra",
        "image_generation.completed",
    ]
    assert all(data["type"] == name for name, data in streamed)
    assert seen[0].params == body
    assert (seen[0].path, seen[0].status, seen[0].event) == ("/v1/images/generations", 200, None)

    emulator.transform_replies(None)
    with httpx.Client(base_url=emulator.base_url, headers=headers) as client:
        assert "moderation" not in client.post("/images/generations", json=body).json()


def test_unnamed_stream_events_stay_unnamed(emulator: Emulator) -> None:
    emulator.transform_replies(
        lambda part: {**part.document, "drift": True} if part.event is not None else None
    )
    body = {
        "contents": [{"parts": [{"text": "a fox"}]}],
        "generationConfig": {"responseModalities": ["IMAGE"]},
    }
    root = emulator.root_url
    with (
        httpx.Client(base_url=root, headers={"x-goog-api-key": GOOGLE_KEY}) as client,
        client.stream(
            "POST",
            "/v1beta/models/gemini-2.5-flash-image:streamGenerateContent",
            params={"alt": "sse"},
            json=body,
        ) as reply,
    ):
        assert reply.status_code == 200, reply.read()
        streamed = events(reply.iter_lines())
    assert streamed
    assert all(name is None and data["drift"] is True for name, data in streamed)
