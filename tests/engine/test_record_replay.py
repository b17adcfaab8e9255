"""Record against the emulator over a real socket, then replay with no network, through every client.

Every test records once (``once``), then replays in record mode ``none`` against a base URL where
nothing listens, with sockets blocked: a replay that tried the network would fail.
"""

from __future__ import annotations

import base64
import io
import itertools
from collections.abc import Callable
from typing import Any

import httpx
import httpx2
import openai
import pytest
from PIL import Image

from pytest_imagegen import CassetteMiss
from pytest_imagegen.emulator import Emulator
from pytest_imagegen.safety.normalize import FIXED_TIME
from tests.engine.conftest import DEAD_BASE_URL, KEY, Tape


def png(size: tuple[int, int] = (64, 64), mode: str = "RGBA", colour: Any = (10, 20, 30, 255)) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, format="PNG")
    return out.getvalue()


def decode(b64: str) -> Image.Image:
    image = Image.open(io.BytesIO(base64.b64decode(b64)))
    image.load()
    return image


def sdk(base_url: str, max_retries: int = 0) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key=KEY, max_retries=max_retries)


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


def test_sdk_generate_recorded_and_replayed(tape: Tape, emulator: Emulator) -> None:
    def call(base_url: str) -> Any:
        with sdk(base_url) as client:
            return client.images.generate(
                model="gpt-image-2", prompt="a red fox", size="64x64", output_format="webp"
            )

    recorded, replayed = record_then_replay(tape, emulator.base_url, call)
    assert replayed.created == FIXED_TIME  # volatile: one fixed time, so re-recordings diff cleanly
    assert replayed.usage == recorded.usage
    original, placeholder = decode(recorded.data[0].b64_json), decode(replayed.data[0].b64_json)
    assert (placeholder.format, placeholder.size, placeholder.mode) == (
        original.format,
        original.size,
        original.mode,
    )
    assert placeholder.format == "WEBP"
    assert placeholder.size == (64, 64)


def test_sdk_stream_replays_event_by_event(tape: Tape, emulator: Emulator) -> None:
    def call(base_url: str) -> list[Any]:
        with sdk(base_url) as client:
            stream = client.images.generate(
                model="gpt-image-2", prompt="a stream", size="64x64", stream=True, partial_images=2
            )
            return list(stream)

    recorded, replayed = record_then_replay(tape, emulator.base_url, call)
    types = [e.type for e in replayed]
    assert types == [e.type for e in recorded]
    assert types == ["image_generation.partial_image"] * 2 + ["image_generation.completed"]
    assert [getattr(e, "partial_image_index", None) for e in replayed] == [0, 1, None]


def test_stream_reaches_the_caller_while_it_is_being_recorded(tape: Tape, emulator: Emulator) -> None:
    """The tee passes each event on as it arrives; the interaction is stored only when the stream ends
    (with each event's arrival offset, kept when the recording asks for paced replay)."""
    with tape.open("once", replay_timing="recorded") as cassette, sdk(emulator.base_url) as client:
        stream = client.images.generate(
            model="gpt-image-2", prompt="tee", size="64x64", stream=True, partial_images=2
        )
        first = next(iter(stream))
        assert first.type == "image_generation.partial_image"
        assert cassette.recorded_count == 0, "the first event must not wait for the end of the stream"
        rest = list(stream)
        assert rest[-1].type == "image_generation.completed"
        assert cassette.recorded_count == 1
        events = cassette.interactions[0]["response"]["body"]["sse"]
        offsets = [e["offset_ms"] for e in events]
        assert len(events) == 3
        assert all(isinstance(o, float) for o in offsets)
        assert offsets == sorted(offsets)


def test_replayed_stream_arrives_as_one_chunk_per_event(tape: Tape, emulator: Emulator) -> None:
    body = {"model": "gpt-image-2", "prompt": "chunks", "size": "64x64", "stream": True, "partial_images": 1}
    headers = {"authorization": f"Bearer {KEY}"}
    with tape.open("once"), httpx.Client(base_url=emulator.base_url) as client:
        client.post("/images/generations", json=body, headers=headers).read()
    with (
        tape.open("none"),
        httpx.Client(base_url=DEAD_BASE_URL) as client,
        client.stream("POST", "/images/generations", json=body, headers=headers) as response,
    ):
        chunks = list(response.iter_raw())
    assert response.headers["content-type"].startswith("text/event-stream")
    assert len(chunks) == 2
    assert chunks[0].startswith(b"event: image_generation.partial_image\ndata: {")
    assert chunks[1].startswith(b"event: image_generation.completed\ndata: {")


def test_sdk_edit_with_two_images_and_a_mask(tape: Tape, emulator: Emulator) -> None:
    first, second = png(colour=(200, 0, 0, 255)), png(colour=(0, 200, 0, 255))
    mask = png(colour=(0, 0, 0, 0))

    def call(base_url: str) -> Any:
        with sdk(base_url) as client:
            return client.images.edit(
                model="gpt-image-1.5",
                image=[("a.png", first, "image/png"), ("b.png", second, "image/png")],
                mask=("mask.png", mask, "image/png"),
                prompt="put them together",
                size="1024x1024",
                quality="low",
            )

    recorded, replayed = record_then_replay(tape, emulator.base_url, call)
    assert replayed.usage == recorded.usage
    assert decode(replayed.data[0].b64_json).size == (1024, 1024)
    with tape.open("none") as cassette:
        parts = cassette.interactions[0]["request"]["body"]["multipart"]
    files = [p for p in parts if "file" in p]
    assert [p["name"] for p in files] == ["image[]", "image[]", "mask"]
    # Uploads are stored as facts (digest kept for matching), not as bytes.
    assert all("placeholder" in p["file"] for p in files)


def test_a_different_upload_is_a_miss_naming_the_file(tape: Tape, emulator: Emulator) -> None:
    def call(base_url: str, colour: tuple[int, int, int, int]) -> Any:
        with sdk(base_url) as client:
            return client.images.edit(
                model="gpt-image-1.5",
                image=("a.png", png(colour=colour), "image/png"),
                prompt="p",
                quality="low",
            )

    with tape.open("once"):
        call(emulator.base_url, (1, 2, 3, 255))
    with tape.open("none"), pytest.raises(CassetteMiss) as info:
        call(DEAD_BASE_URL, (9, 9, 9, 255))
    message = str(info.value)
    assert "file #0" in message
    assert "sha256" in message


def test_sdk_variation_on_dall_e_2(tape: Tape, emulator: Emulator) -> None:
    def call(base_url: str) -> Any:
        with sdk(base_url) as client, pytest.warns(DeprecationWarning, match="deprecated"):
            return client.images.create_variation(
                image=("otter.png", png((256, 256), "RGB", (1, 2, 3)), "image/png"),
                n=2,
                size="256x256",
                response_format="b64_json",
            )

    recorded, replayed = record_then_replay(tape, emulator.base_url, call)
    assert len(replayed.data) == len(recorded.data) == 2
    assert decode(replayed.data[1].b64_json).size == (256, 256)


def test_a_400_replays_as_the_same_sdk_error(tape: Tape, emulator: Emulator) -> None:
    def call(base_url: str) -> openai.BadRequestError:
        with sdk(base_url) as client, pytest.raises(openai.BadRequestError) as info:
            client.images.generate(model="dall-e-3", prompt="x", n=2)
        return info.value

    recorded, replayed = record_then_replay(tape, emulator.base_url, call)
    assert replayed.status_code == recorded.status_code == 400
    assert replayed.body == recorded.body
    with tape.open("none") as cassette:
        stored_id = cassette.interactions[0]["response"]["headers"]["x-request-id"][0]
    assert replayed.request_id == stored_id
    assert str(replayed.request_id).startswith("req_")


def test_a_429_then_success_replays_the_retry_without_waiting(
    tape: Tape, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    import openai._base_client as base_client

    waits: list[float] = []
    real_sleep = base_client.time.sleep
    monkeypatch.setattr(base_client.time, "sleep", lambda s: (waits.append(s), real_sleep(min(s, 0.05)))[1])

    def call(base_url: str) -> Any:
        with sdk(base_url, max_retries=2) as client:
            return client.images.generate(model="gpt-image-2", prompt="busy", size="64x64")

    emulator.inject_fault("rate_limit", count=1)
    with tape.open("once") as cassette:
        recorded = call(emulator.base_url)
        statuses = [i["response"]["status"]["code"] for i in cassette.interactions]
    assert statuses == [429, 200]
    waits.clear()
    with tape.open("none") as cassette:
        replayed = call(DEAD_BASE_URL)
        assert cassette.all_played
    assert recorded.created > FIXED_TIME
    assert replayed.created == FIXED_TIME
    assert len(waits) == 1, f"replay waited {waits}"
    assert waits[0] <= 0.01, f"replay waited {waits}"


def test_two_prompts_replayed_in_swapped_order_get_their_own_replies(tape: Tape, emulator: Emulator) -> None:
    def ask(client: openai.OpenAI, prompt: str) -> str:
        raw = client.images.with_raw_response.generate(model="gpt-image-2", prompt=prompt, size="64x64")
        return str(raw.headers["x-request-id"])

    with tape.open("once") as cassette, sdk(emulator.base_url) as client:
        ask(client, "a fox"), ask(client, "an owl")
        fox, owl = (i["response"]["headers"]["x-request-id"][0] for i in cassette.interactions)
    assert fox != owl
    with tape.open("none"), sdk(DEAD_BASE_URL) as client:
        assert ask(client, "an owl") == owl
        assert ask(client, "a fox") == fox


def test_identical_requests_play_back_in_recorded_order(tape: Tape, emulator: Emulator) -> None:
    body = {"model": "gpt-image-2", "prompt": "same", "size": "64x64"}
    headers = {"authorization": f"Bearer {KEY}"}
    with tape.open("once") as cassette, httpx.Client(base_url=emulator.base_url) as client:
        for _ in "ab":
            client.post("/images/generations", json=body, headers=headers)
        recorded = [i["response"]["headers"]["x-request-id"][0] for i in cassette.interactions]
    assert recorded[0] != recorded[1]
    with tape.open("none"), httpx.Client(base_url=DEAD_BASE_URL) as client:
        replayed = [
            client.post("/images/generations", json=body, headers=headers).headers["x-request-id"]
            for _ in "ab"
        ]
        with pytest.raises(CassetteMiss, match="already played"):
            client.post("/images/generations", json=body, headers=headers)
    assert replayed == recorded


def test_json_key_order_and_whitespace_do_not_matter(tape: Tape, emulator: Emulator) -> None:
    headers = {"authorization": f"Bearer {KEY}", "content-type": "application/json"}
    with tape.open("once"), httpx.Client(base_url=emulator.base_url) as client:
        client.post(
            "/images/generations",
            content=b'{"model":"gpt-image-2","prompt":"k","size":"64x64"}',
            headers=headers,
        )
    with tape.open("none"), httpx.Client(base_url=DEAD_BASE_URL) as client:
        reply = client.post(
            "/images/generations",
            content=b'{ "size": "64x64",\n "prompt": "k", "model": "gpt-image-2" }',
            headers=headers,
        )
    assert reply.status_code == 200


def test_miss_under_the_sdk_raises_at_once_with_a_diff(tape: Tape, emulator: Emulator) -> None:
    with tape.open("once"), sdk(emulator.base_url) as client:
        client.images.generate(model="gpt-image-2", prompt="a cat on a mat", size="64x64")
    with tape.open("none") as cassette, sdk(DEAD_BASE_URL, max_retries=2) as client:
        with pytest.raises(CassetteMiss) as info:
            client.images.generate(model="gpt-image-2", prompt="a dog on a log", size="64x64", quality="low")
        assert cassette.play_count == 0
    message = str(info.value)
    assert "body.prompt: sent 'a dog on a log', recorded 'a cat on a mat'" in message
    assert "body.quality: sent 'low', not in the recording" in message
    assert str(cassette.file_path) in message
    # The test's cassette recorded again with rewrite: new_episodes would keep the stale interaction.
    assert "--imagegen-record=rewrite" in message
    assert "new_episodes" not in message
    assert not isinstance(info.value, (httpx.RequestError, httpx2.RequestError))


@pytest.mark.anyio
async def test_async_sdk_and_async_httpx(tape: Tape, emulator: Emulator) -> None:
    body = {"model": "gpt-image-2", "prompt": "async", "size": "64x64"}
    headers = {"authorization": f"Bearer {KEY}"}

    async def call(base_url: str) -> tuple[Any, Any, list[str]]:
        async with openai.AsyncOpenAI(base_url=base_url, api_key=KEY, max_retries=0) as client:
            reply = await client.images.generate(**body)
            stream = await client.images.generate(**body, stream=True, partial_images=1)
            events = [event.type async for event in stream]
        async with httpx.AsyncClient(base_url=base_url) as raw:
            plain = (
                await raw.post("/images/generations", json={**body, "prompt": "plain"}, headers=headers)
            ).json()
        return reply, plain, events

    with tape.open("once"):
        recorded = await call(emulator.base_url)
    with tape.open("none") as cassette:
        replayed = await call(DEAD_BASE_URL)
        assert cassette.all_played
    assert replayed[0].created == replayed[1]["created"] == FIXED_TIME
    assert replayed[2] == recorded[2] == ["image_generation.partial_image", "image_generation.completed"]


def test_sdk_and_plain_httpx_share_one_cassette(tape: Tape, emulator: Emulator) -> None:
    headers = {"authorization": f"Bearer {KEY}"}

    def call(base_url: str) -> tuple[int, int, int]:
        with (
            sdk(base_url) as client,
            httpx.Client(base_url=base_url) as plain,
            httpx2.Client(base_url=base_url) as two,
        ):
            a = client.images.generate(model="gpt-image-2", prompt="sdk", size="64x64").created
            b = plain.post(
                "/images/generations",
                json={"prompt": "httpx", "model": "gpt-image-2", "size": "64x64"},
                headers=headers,
            ).json()["created"]
            c = two.post(
                "/images/generations",
                json={"prompt": "httpx2", "model": "gpt-image-2", "size": "64x64"},
                headers=headers,
            ).json()["created"]
            return a, b, c

    recorded, replayed = record_then_replay(tape, emulator.base_url, call)
    assert all(created > FIXED_TIME for created in recorded)
    assert replayed == (FIXED_TIME, FIXED_TIME, FIXED_TIME)


def test_recorded_timing_paces_events_like_the_recording(
    tape: Tape, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """replay_timing="recorded" waits between events as long as the recording did; "instant" never waits."""
    from pytest_imagegen.cassette import stubs

    def call(base_url: str) -> list[str]:
        with sdk(base_url) as client:
            stream = client.images.generate(
                model="gpt-image-2", prompt="paced", size="64x64", stream=True, partial_images=2
            )
            return [event.type for event in stream]

    with tape.open("once", replay_timing="recorded") as cassette:
        call(emulator.base_url)
        offsets = [e["offset_ms"] for e in cassette.interactions[0]["response"]["body"]["sse"]]
    waits: list[float] = []
    monkeypatch.setattr(stubs.time, "sleep", waits.append)
    with tape.open("none"):
        call(DEAD_BASE_URL)
    assert waits == []
    with tape.open("none", replay_timing="recorded"):
        call(DEAD_BASE_URL)
    expected = [offsets[0] / 1000] + [(b - a) / 1000 for a, b in itertools.pairwise(offsets)]
    assert waits == pytest.approx([w for w in expected if w > 0])


def test_every_replayed_reply_is_checked_against_the_contract_whatever_the_client(
    tape: Tape, emulator: Emulator
) -> None:
    """A cassette edited to break the contract fails under the SDK and plain httpx alike, naming the path."""
    from pytest_imagegen import SchemaAssertionError
    from pytest_imagegen.cassette import storage

    def call(base_url: str) -> Any:
        with sdk(base_url) as client:
            return client.images.generate(model="gpt-image-2", prompt="contract", size="64x64")

    with tape.open("once") as cassette:
        call(emulator.base_url)
        path = cassette.file_path
    interactions = storage.load_cassette(path)
    assert interactions is not None
    del interactions[0]["response"]["body"]["json"]["created"]
    path.write_text(storage.dump_cassette(interactions))

    with tape.open("none"), pytest.raises(SchemaAssertionError) as info:
        call(DEAD_BASE_URL)
    assert "at reply $.created: required field is missing" in str(info.value)
    assert f"interaction 0 of {path}" in str(info.value)
    with (
        tape.open("none"),
        httpx.Client(base_url=DEAD_BASE_URL) as plain,
        pytest.raises(SchemaAssertionError),
    ):
        plain.post(
            "/images/generations",
            json={"model": "gpt-image-2", "prompt": "contract", "size": "64x64"},
            headers={"authorization": f"Bearer {KEY}"},
        )
    with tape.open("none", check_contract=False):
        assert call(DEAD_BASE_URL).created is None  # the SDK itself is lenient; the check was switched off
