"""Chat completions with image output through the official SDK: recorded from the emulator, replayed offline.

Each test records once (``once``) against the emulator over a real socket, then replays in record mode
``none`` against a base URL where nothing listens, with sockets blocked. The openai SDK has no typed field
for ``modalities``: it goes in ``extra_body``, and the images come back as the message's (or the chunk
delta's) extra ``images`` attribute. What must hold on replay: the same replies and chunks, one chunk per
SSE event, each image decoding to the recorded format, size and mode, behind the data URL prefix it had;
and on disk: no base64 image anywhere, every image a placeholder keeping its ``data:`` prefix, the closing
``data: [DONE]`` kept, and a clean contract verdict.
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

from pytest_imagegen.cassette import storage
from pytest_imagegen.cassette.checks import contract_problems
from pytest_imagegen.contract.inline import split_data_url
from pytest_imagegen.contract.shapes import CHAT, declared_images
from pytest_imagegen.emulator import Emulator
from pytest_imagegen.wire.payloads import is_placeholder
from tests.engine.conftest import DEAD_BASE_URL, KEY, Tape

MODEL = "google/gemini-2.5-flash-image"
MESSAGES = [{"role": "user", "content": "a lighthouse"}]
IMAGE_OUTPUT = {"modalities": ["image", "text"], "image_config": {"aspect_ratio": "4:3"}}


def shape(url: str) -> tuple[str, str | None, tuple[int, int], str]:
    """A data URL's declared type and its image's format, size and mode."""
    split = split_data_url(url)
    assert split is not None, url[:40]
    image = Image.open(io.BytesIO(base64.b64decode(split[1])))
    image.load()
    return split[0], image.format, image.size, image.mode


def summary(chunks: list[Any]) -> list[tuple[Any, ...]]:
    """What a replayed stream must repeat: roles, text, finish reasons, usage, each image's shape (the
    bytes are a synthesized stand-in; ``id`` and ``created`` are volatile, stored stable: normalize.py)."""
    return [
        (
            c.choices[0].delta.role,
            c.choices[0].delta.content,
            c.choices[0].finish_reason,
            c.usage.model_dump() if c.usage else None,
            [shape(url) for url in images_of(c.choices[0].delta)],
        )
        for c in chunks
    ]


def stored_ids(tape: Tape) -> list[str]:
    """The completion id of each stored reply (of a stream: of its first chunk)."""
    ids = []
    for interaction in stored(tape):
        body = interaction["response"]["body"]
        ids.append(str(body["json"]["id"] if "json" in body else body["sse"][0]["data"]["id"]))
    return ids


def images_of(message: Any) -> list[str]:
    return [image["image_url"]["url"] for image in getattr(message, "images", None) or []]


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
    with tape.open("none") as cassette:
        path = cassette.file_path
    return storage.load_cassette(path) or []


def assert_every_image_trimmed(interactions: list[dict[str, Any]]) -> int:
    """No base64 image on disk; every place the shape puts one holds a placeholder. Returns how many."""
    text = json.dumps(interactions)
    assert "iVBORw0KGgo" not in text, "a PNG's base64 reached the cassette"
    found = 0
    for interaction in interactions:
        for side in ("request", "response"):
            body = interaction[side].get("body") or {}
            documents = [body["json"]] if "json" in body else [e["data"] for e in body.get("sse", [])]
            for document in documents:
                for path, value in declared_images(CHAT, document):
                    assert is_placeholder(value), f"{side} {path} is not a placeholder: {str(value)[:60]}"
                    found += 1
    return found


def assert_contract_clean(interactions: list[dict[str, Any]]) -> None:
    for index, interaction in enumerate(interactions):
        assert contract_problems(interaction, strict=False) == [], f"interaction {index}"


def test_json_reply_recorded_trimmed_and_replayed(tape: Tape, emulator: Emulator) -> None:
    def call(base_url: str) -> Any:
        with openai.OpenAI(base_url=base_url, api_key=KEY, max_retries=0) as client:
            return client.chat.completions.create(model=MODEL, messages=MESSAGES, extra_body=IMAGE_OUTPUT)

    recorded, replayed = record_then_replay(tape, emulator.base_url, call)
    assert replayed.id == stored_ids(tape)[0] != recorded.id  # ids are volatile: stored stable
    assert replayed.id.startswith("chatcmpl-")
    assert replayed.choices[0].message.content == recorded.choices[0].message.content
    (url,) = images_of(replayed.choices[0].message)
    assert (
        shape(url)
        == shape(images_of(recorded.choices[0].message)[0])
        == ("image/png", "PNG", (1184, 864), "RGB")
    )
    interactions = stored(tape)
    assert assert_every_image_trimmed(interactions) == 1
    assert_contract_clean(interactions)
    facts = interactions[0]["response"]["body"]["json"]["choices"][0]["message"]["images"][0]["image_url"][
        "url"
    ]
    assert facts["placeholder"]["prefix"] == "data:image/png;base64,"
    assert (facts["placeholder"]["width"], facts["placeholder"]["height"]) == (1184, 864)


def test_sync_stream_replays_chunk_by_chunk_and_keeps_done(tape: Tape, emulator: Emulator) -> None:
    def call(base_url: str) -> list[Any]:
        with openai.OpenAI(base_url=base_url, api_key=KEY, max_retries=0) as client:
            return list(
                client.chat.completions.create(
                    model=MODEL, messages=MESSAGES, stream=True, extra_body=IMAGE_OUTPUT
                )
            )

    recorded, replayed = record_then_replay(tape, emulator.base_url, call)
    assert summary(replayed) == summary(recorded)
    assert {c.id for c in replayed} == set(stored_ids(tape))  # one id, the same in every chunk
    assert [c.choices[0].finish_reason for c in replayed] == [None, None, "stop"]
    (url,) = [u for c in replayed for u in images_of(c.choices[0].delta)]
    assert shape(url)[1:3] == ("PNG", (1184, 864))
    interactions = stored(tape)
    events = interactions[0]["response"]["body"]["sse"]
    assert events[-1]["data"] == "[DONE]"
    assert assert_every_image_trimmed(interactions) == 1
    assert_contract_clean(interactions)


def test_replayed_stream_arrives_as_one_chunk_per_event(tape: Tape, emulator: Emulator) -> None:
    body = {"model": MODEL, "messages": MESSAGES, "stream": True, **IMAGE_OUTPUT}
    headers = {"authorization": f"Bearer {KEY}"}
    with tape.open("once"), httpx.Client(base_url=emulator.base_url) as client:
        client.post("/chat/completions", json=body, headers=headers).read()
    with (
        tape.open("none"),
        httpx.Client(base_url=DEAD_BASE_URL) as client,
        client.stream("POST", "/chat/completions", json=body, headers=headers) as response,
    ):
        chunks = list(response.iter_raw())
    assert len(chunks) == 4
    assert all(chunk.startswith(b"data: ") and chunk.count(b"\n\n") == 1 for chunk in chunks)
    assert chunks[-1] == b"data: [DONE]\n\n"


@pytest.mark.anyio
async def test_async_json_and_stream(tape: Tape, emulator: Emulator) -> None:
    async def call(base_url: str) -> tuple[Any, list[Any]]:
        async with openai.AsyncOpenAI(base_url=base_url, api_key=KEY, max_retries=0) as client:
            reply = await client.chat.completions.create(
                model=MODEL, messages=MESSAGES, extra_body={"modalities": ["image"]}
            )
            stream = await client.chat.completions.create(
                model=MODEL, messages=MESSAGES, stream=True, extra_body={"modalities": ["image"]}
            )
            return reply, [chunk async for chunk in stream]

    with tape.open("once"):
        recorded = await call(emulator.base_url)
    with tape.open("none") as cassette:
        replayed = await call(DEAD_BASE_URL)
        assert cassette.all_played
    assert replayed[0].id == stored_ids(tape)[0]
    assert replayed[0].choices[0].message.content is None
    assert shape(images_of(replayed[0].choices[0].message)[0])[1:3] == ("PNG", (1024, 1024))
    assert summary(replayed[1]) == summary(recorded[1])
    assert_contract_clean(stored(tape))


def test_an_input_image_is_a_placeholder_and_another_photo_a_miss(tape: Tape, emulator: Emulator) -> None:
    def photo(seed: int) -> str:
        out = io.BytesIO()
        Image.frombytes("RGB", (48, 32), random.Random(seed).randbytes(48 * 32 * 3)).save(out, "PNG")
        return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()

    def call(base_url: str, seed: int) -> Any:
        content = [
            {"type": "text", "text": "a hat"},
            {"type": "image_url", "image_url": {"url": photo(seed)}},
        ]
        with openai.OpenAI(base_url=base_url, api_key=KEY, max_retries=0) as client:
            return client.chat.completions.create(
                model=MODEL,
                messages=[{"role": "user", "content": content}],
                extra_body={"modalities": ["image"]},
            )

    with tape.open("once"):
        call(emulator.base_url, seed=1)
    with tape.open("none"):
        call(DEAD_BASE_URL, seed=1)
    (interaction,) = stored(tape)
    part = interaction["request"]["body"]["json"]["messages"][0]["content"][1]["image_url"]["url"]
    assert part["placeholder"]["prefix"] == "data:image/png;base64,"
    assert assert_every_image_trimmed([interaction]) == 2
    with tape.open("none"), pytest.raises(Exception, match="no recorded reply"):
        call(DEAD_BASE_URL, seed=2)


def test_the_verdict_names_the_path_of_a_lying_data_url_and_a_cut_stream(
    tape: Tape, emulator: Emulator
) -> None:
    """``contract_problems`` on doctored chat cassettes: a data URL that says PNG over JPEG bytes, and a
    stream cut before its ``[DONE]`` and its ``finish_reason``."""
    with tape.open("once"), openai.OpenAI(base_url=emulator.base_url, api_key=KEY, max_retries=0) as client:
        client.chat.completions.create(model=MODEL, messages=MESSAGES, extra_body=IMAGE_OUTPUT)
        list(
            client.chat.completions.create(
                model=MODEL, messages=MESSAGES, stream=True, extra_body=IMAGE_OUTPUT
            )
        )
    reply, stream = stored(tape)

    lying = json.loads(json.dumps(reply))
    lying["response"]["body"]["json"]["choices"][0]["message"]["images"][0]["image_url"]["url"][
        "placeholder"
    ]["format"] = "jpeg"
    assert contract_problems(lying) == [
        (
            "reply $.choices[0].message.images[0].image_url.url",
            "declares image/png, but the bytes are a jpeg image (image/jpeg)",
        )
    ]

    cut = json.loads(json.dumps(stream))
    cut["response"]["body"]["sse"] = cut["response"]["body"]["sse"][:2]
    assert contract_problems(cut) == [
        ("reply $", "choice 0 never got a finish_reason: the stream was cut before its end"),
        ("reply $", "no data: [DONE] at the end: the stream was cut before its end"),
    ]
    no_done = json.loads(json.dumps(stream))
    no_done["response"]["body"]["sse"] = no_done["response"]["body"]["sse"][:-1]
    assert contract_problems(no_done) == [
        ("reply $", "no data: [DONE] at the end: the stream was cut before its end")
    ]
