"""The Responses API's image tool through the official SDK: recorded from the emulator, replayed offline.

Each test records once (``once``) against the emulator over a real socket, then replays in record mode
``none`` against a base URL where nothing listens, with sockets blocked. What must hold on replay: the
same replies and the same events in the same order, one event per chunk, each image decoding to the
recorded format, size and mode; and on disk: no base64 image anywhere, every image a placeholder (a data
URL with its exact prefix), a stream's repeated final image stored once, and a clean contract verdict.
"""

from __future__ import annotations

import base64
import io
import json
import random
from collections.abc import Callable
from typing import Any

import httpx
import openai
import pytest
from PIL import Image

from pytest_imagegen import CassetteMiss
from pytest_imagegen.cassette import storage
from pytest_imagegen.cassette.checks import contract_problems
from pytest_imagegen.contract.shapes import RESPONSES, declared_images
from pytest_imagegen.emulator import Emulator
from pytest_imagegen.safety import trim
from pytest_imagegen.wire.payloads import image_payload, is_image_ref, is_placeholder
from tests.engine.conftest import DEAD_BASE_URL, KEY, Tape

TOOL: dict[str, Any] = {"type": "image_generation", "size": "64x64", "quality": "low"}


def noisy_png(size: tuple[int, int] = (96, 64), seed: int = 7) -> bytes:
    out = io.BytesIO()
    Image.frombytes("RGB", size, random.Random(seed).randbytes(size[0] * size[1] * 3)).save(out, "PNG")
    return out.getvalue()


def shape(b64: str) -> tuple[str | None, tuple[int, int], str]:
    image = Image.open(io.BytesIO(base64.b64decode(b64)))
    image.load()
    return image.format, image.size, image.mode


def sdk(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key=KEY, max_retries=0)


@pytest.fixture
def emulator(imagegen_emulator: Emulator) -> Emulator:
    imagegen_emulator.reset()
    return imagegen_emulator


def record_then_replay(tape: Tape, base_url: str, call: Callable[[str], Any]) -> tuple[Any, Any]:
    with tape.open("once") as cassette:
        recorded = call(base_url)
        assert cassette.recorded_count >= 1
    with tape.open("none") as cassette:
        replayed = call(DEAD_BASE_URL)
        assert cassette.all_played, "every recorded interaction should have been played"
    return recorded, replayed


def stored(tape: Tape) -> list[dict[str, Any]]:
    """The interactions as the file holds them (read through storage, whatever its format)."""
    with tape.open("none") as cassette:
        path = cassette.file_path
    return storage.load_cassette(path) or []


def stored_ids(tape: Tape) -> list[str]:
    """The response ids the cassette holds: stable replacements of the live ones (normalize.py)."""
    return [str(i["response"]["body"]["json"]["id"]) for i in stored(tape) if "json" in i["response"]["body"]]


def assert_every_image_trimmed(interactions: list[dict[str, Any]]) -> None:
    """No base64 image anywhere on disk, and every place the shape puts one holds a placeholder."""
    text = json.dumps(interactions)
    assert "iVBORw0KGgo" not in text, "a PNG's base64 reached the cassette"
    for interaction in interactions:
        for side in ("request", "response"):
            body = interaction[side].get("body") or {}
            documents = [body["json"]] if "json" in body else [e["data"] for e in body.get("sse", [])]
            for document in documents:
                for path, value in declared_images(RESPONSES, document):
                    if value is None:
                        continue
                    assert is_placeholder(value), f"{side} {path} is not a placeholder: {str(value)[:60]}"


def assert_contract_clean(interactions: list[dict[str, Any]]) -> None:
    for index, interaction in enumerate(interactions):
        assert contract_problems(interaction, strict=False) == [], f"interaction {index}"


def test_json_reply_recorded_trimmed_and_replayed(tape: Tape, emulator: Emulator) -> None:
    def call(base_url: str) -> Any:
        with sdk(base_url) as client:
            return client.responses.create(
                model="gpt-5", input="a lighthouse", tools=[{**TOOL, "output_format": "webp"}]
            )

    recorded, replayed = record_then_replay(tape, emulator.base_url, call)
    assert replayed.id == stored_ids(tape)[0] != recorded.id  # ids are volatile: stored stable
    assert replayed.id.startswith("resp_")
    assert replayed.output[0].type == "image_generation_call"
    assert shape(replayed.output[0].result) == shape(recorded.output[0].result) == ("WEBP", (64, 64), "RGB")
    assert replayed.tool_usage == recorded.tool_usage
    interactions = stored(tape)
    assert_every_image_trimmed(interactions)
    assert_contract_clean(interactions)
    facts = interactions[0]["response"]["body"]["json"]["output"][0]["result"]["placeholder"]
    assert (facts["format"], facts["width"], facts["height"]) == ("webp", 64, 64)


def test_sync_stream_replays_event_by_event(tape: Tape, emulator: Emulator) -> None:
    def call(base_url: str) -> list[Any]:
        with sdk(base_url) as client:
            stream = client.responses.create(
                model="gpt-5", input="a stream", stream=True, tools=[{**TOOL, "partial_images": 2}]
            )
            return list(stream)

    recorded, replayed = record_then_replay(tape, emulator.base_url, call)
    kinds = [e.type for e in replayed]
    assert kinds == [e.type for e in recorded]
    assert kinds == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.image_generation_call.in_progress",
        "response.image_generation_call.generating",
        "response.image_generation_call.partial_image",
        "response.image_generation_call.partial_image",
        "response.image_generation_call.completed",
        "response.output_item.done",
        "response.completed",
    ]
    assert [e.sequence_number for e in replayed] == list(range(10))
    partials = [e.partial_image_b64 for e in replayed if e.type.endswith("partial_image")]
    final = replayed[8].item.result
    assert [shape(b) for b in [*partials, final]] == [("PNG", (64, 64), "RGB")] * 3
    # The final image, sent twice by the service, is stored once and replayed twice.
    assert replayed[9].response.output[0].result == final
    interactions = stored(tape)
    assert_every_image_trimmed(interactions)
    assert_contract_clean(interactions)
    events = interactions[0]["response"]["body"]["sse"]
    assert is_image_ref(events[9]["data"]["response"]["output"][0]["result"])
    assert not is_image_ref(events[8]["data"]["item"]["result"])


def test_replayed_stream_arrives_as_one_chunk_per_event(tape: Tape, emulator: Emulator) -> None:
    body = {"model": "gpt-5", "input": "chunks", "stream": True, "tools": [{**TOOL, "partial_images": 1}]}
    headers = {"authorization": f"Bearer {KEY}"}
    with tape.open("once"), httpx.Client(base_url=emulator.base_url) as client:
        client.post("/responses", json=body, headers=headers).read()
    with (
        tape.open("none"),
        httpx.Client(base_url=DEAD_BASE_URL) as client,
        client.stream("POST", "/responses", json=body, headers=headers) as response,
    ):
        chunks = list(response.iter_raw())
    assert len(chunks) == 9
    assert all(chunk.endswith(b"\n\n") and chunk.count(b"\n\n") == 1 for chunk in chunks)
    assert chunks[0].startswith(b"event: response.created\n")


def test_stream_helper_gets_the_final_response(tape: Tape, emulator: Emulator) -> None:
    def call(base_url: str) -> tuple[list[str], Any]:
        with (
            sdk(base_url) as client,
            client.responses.stream(
                model="gpt-5", input="helper", tools=[{**TOOL, "partial_images": 1}]
            ) as stream,
        ):
            kinds = [event.type for event in stream]
            return kinds, stream.get_final_response()

    (recorded_kinds, recorded), (kinds, final) = record_then_replay(tape, emulator.base_url, call)
    assert kinds == recorded_kinds
    assert final.id.startswith("resp_")
    assert recorded.id.startswith("resp_")
    assert shape(final.output[0].result) == ("PNG", (64, 64), "RGB")


@pytest.mark.anyio
async def test_async_json_and_stream(tape: Tape, emulator: Emulator) -> None:
    async def call(base_url: str) -> tuple[Any, list[Any]]:
        async with openai.AsyncOpenAI(base_url=base_url, api_key=KEY, max_retries=0) as client:
            reply = await client.responses.create(model="gpt-5", input="async", tools=[TOOL])
            stream = await client.responses.create(
                model="gpt-5", input="async stream", stream=True, tools=[{**TOOL, "partial_images": 1}]
            )
            events = [event async for event in stream]
            async with client.responses.stream(model="gpt-5", input="async helper", tools=[TOOL]) as helper:
                await helper.until_done()
                final = await helper.get_final_response()
        return reply, [*events, final]

    with tape.open("once"):
        recorded = await call(emulator.base_url)
    with tape.open("none") as cassette:
        replayed = await call(DEAD_BASE_URL)
        assert cassette.all_played
    assert replayed[0].id == stored_ids(tape)[0]
    assert [getattr(e, "type", None) for e in replayed[1]] == [getattr(e, "type", None) for e in recorded[1]]
    assert shape(replayed[1][-1].output[0].result) == ("PNG", (64, 64), "RGB")
    assert_contract_clean(stored(tape))


def test_two_turn_edit_with_an_input_image(tape: Tape, emulator: Emulator) -> None:
    """Turn one edits an uploaded photo (a data URL), turn two continues it by previous_response_id."""
    photo = noisy_png()
    url = "data:image/png;base64," + base64.b64encode(photo).decode()

    def call(base_url: str) -> tuple[Any, Any]:
        with sdk(base_url) as client:
            first = client.responses.create(
                model="gpt-5",
                input=[
                    {
                        "role": "user",
                        "content": [
                            {"type": "input_text", "text": "put a hat on it"},
                            {"type": "input_image", "image_url": url},
                        ],
                    }
                ],
                tools=[TOOL],
            )
            second = client.responses.create(
                model="gpt-5", previous_response_id=first.id, input="now make it blue", tools=[TOOL]
            )
            return first, second

    (first, second), (again_first, again_second) = record_then_replay(tape, emulator.base_url, call)
    assert second.previous_response_id == first.id  # live: the service's own ids
    assert again_second.previous_response_id == again_first.id  # replayed: the stored ids, still linked
    assert [again_first.id, again_second.id] == stored_ids(tape)
    assert [first.output[0].action, second.output[0].action] == ["edit", "edit"]
    assert shape(again_second.output[0].result) == shape(second.output[0].result)
    interactions = stored(tape)
    assert len(interactions) == 2
    assert_every_image_trimmed(interactions)
    assert_contract_clean(interactions)
    image_url = interactions[0]["request"]["body"]["json"]["input"][0]["content"][1]["image_url"]
    facts = image_url["placeholder"]
    assert facts["prefix"] == "data:image/png;base64,"
    assert (facts["format"], facts["width"], facts["height"], facts["bytes"]) == ("png", 96, 64, len(photo))


def test_another_input_image_is_a_miss(tape: Tape, emulator: Emulator) -> None:
    """Inline images match by the original's digest, as uploads do: a different photo is not replayed."""

    def call(base_url: str, seed: int) -> Any:
        url = "data:image/png;base64," + base64.b64encode(noisy_png(seed=seed)).decode()
        content = [{"type": "input_text", "text": "describe"}, {"type": "input_image", "image_url": url}]
        with sdk(base_url) as client:
            return client.responses.create(
                model="gpt-5", input=[{"role": "user", "content": content}], tools=[TOOL]
            )

    with tape.open("once"):
        call(emulator.base_url, seed=1)
    with tape.open("none"), pytest.raises(CassetteMiss, match="no recorded reply") as info:
        call(DEAD_BASE_URL, seed=2)
    assert "sha256" in str(info.value)


def test_placeholders_keep_a_mismatched_data_url_prefix(tape: Tape, emulator: Emulator) -> None:
    """A data URL that says JPEG but holds PNG bytes is stored and replayed saying exactly that."""
    url = "data:image/jpeg;base64," + base64.b64encode(noisy_png()).decode()
    body = {
        "model": "gpt-5",
        "input": [{"role": "user", "content": [{"type": "input_image", "image_url": url}]}],
        "tools": [TOOL],
    }
    with tape.open("once"), sdk(emulator.base_url) as client:
        client.responses.create(**body)
    request = stored(tape)[0]["request"]
    value = request["body"]["json"]["input"][0]["content"][0]["image_url"]
    assert value["placeholder"]["prefix"] == "data:image/jpeg;base64,"
    assert value["placeholder"]["format"] == "png"
    expanded = trim.expand_body(request["body"])["json"]["input"][0]["content"][0]["image_url"]
    prefix, b64 = image_payload(expanded) or ("", "")
    assert prefix == "data:image/jpeg;base64,"
    assert shape(b64) == ("PNG", (96, 64), "RGB")


def test_payloads_keep_stores_every_image_whole(tape: Tape, emulator: Emulator) -> None:
    with tape.open("once", payloads="keep"), sdk(emulator.base_url) as client:
        reply = client.responses.create(model="gpt-5", input="keep", tools=[TOOL])
    stored_result = stored(tape)[0]["response"]["body"]["json"]["output"][0]["result"]
    assert stored_result == reply.output[0].result


def test_the_engine_s_verdict_names_what_a_doctored_cassette_breaks(tape: Tape, emulator: Emulator) -> None:
    """``contract_problems`` (the engine's contract hook) on stored Responses interactions."""
    with tape.open("once"), sdk(emulator.base_url) as client:
        client.responses.create(model="gpt-5", input="verdict", tools=[TOOL])
    (interaction,) = stored(tape)
    assert contract_problems(interaction) == []

    doctored = json.loads(json.dumps(interaction))
    doctored["response"]["body"]["json"]["output"][0]["result"]["placeholder"]["width"] = 32
    doctored["request"]["body"]["json"]["tools"][0]["quality"] = "ultra"
    problems = contract_problems(doctored)
    assert [where for where, _ in problems] == ["request tools[0].quality", "reply $.output[0].result"]
    assert problems[1][1] == "image is 32x64, expected 64x64"
    assert contract_problems(doctored) == problems, "pure and deterministic: its verdict may be cached"
