"""``aiohttp`` records into the same cassette as httpx and replays offline, streams chunk by chunk.

Recorded from a loopback server over a real socket, replayed in record mode ``none`` against an address
where nothing listens, sockets blocked. Also the openai SDK's aiohttp client (``DefaultAioHttpClient``),
which sends through aiohttp rather than httpx2's transport: recorded once, not twice.
"""

from __future__ import annotations

import asyncio
import json

import aiohttp
import openai
import pytest

from pytest_imagegen.emulator import Emulator
from pytest_imagegen.errors import CassetteMiss, SchemaAssertionError
from tests.engine.conftest import Tape
from tests.libraries.conftest import DEAD_ROOT, KEY, STREAM_EVENTS, Server, stored

# Seconds: only so that a hang fails instead of hanging the suite; no test asserts a duration.
GUARD = 120

pytestmark = pytest.mark.anyio
ASK = {"model": "gpt-image-2", "prompt": "a red fox", "size": "64x64"}
AUTH = {"Authorization": f"Bearer {KEY}"}
STREAM = {**ASK, "stream": True, "partial_images": 1}


async def test_json_and_a_stream_replay_offline(tape: Tape, emulator: Emulator) -> None:
    async def calls(root: str) -> tuple[dict[str, object], list[str], list[bytes]]:
        async with aiohttp.ClientSession(headers=AUTH) as session:
            async with session.post(f"{root}/images/generations", json=ASK) as r:
                document = await r.json()
            async with session.post(f"{root}/images/generations", json=STREAM) as r:
                lines = [line.decode().strip() async for line in r.content if line.startswith(b"event:")]
            async with session.post(f"{root}/images/generations", json=STREAM) as r:
                chunks = [chunk async for chunk, _ in r.content.iter_chunks()]
        return document, lines, chunks

    with tape.open("once") as cassette:
        live, live_lines, _ = await calls(emulator.base_url)
        assert cassette.recorded_count == 3
    with tape.open("none") as cassette:
        document, lines, chunks = await calls(f"{DEAD_ROOT}/v1")
        assert cassette.all_played
    assert len(document["data"]) == len(live["data"]) == 1  # type: ignore[arg-type]
    assert (
        lines == live_lines == ["event: image_generation.partial_image", "event: image_generation.completed"]
    )
    assert [chunk.count(b"\n\n") for chunk in chunks] == [1, 1]  # one chunk per recorded event
    text = cassette.file_path.read_text()
    assert KEY not in text
    assert "iVBORw0KGgo" not in text
    assert '"http": "aiohttp ' in text


async def test_while_recording_the_first_event_reaches_the_caller_before_the_server_sends_the_rest(
    tape: Tape, server: Server
) -> None:
    with tape.open("once") as cassette:
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{server.root}/v1/progress", json={"job": 1}) as r,
        ):
            first = await r.content.readline()
            assert not server.sent_rest, "the first event waited for the rest of the stream"
            server.gate.set()
            rest = [line async for line in r.content]
        assert cassette.recorded_count == 1
    lines = [line for line in [first, *rest] if line.strip()]
    assert [json.loads(line.removeprefix(b"data: ")) for line in lines] == STREAM_EVENTS
    with tape.open("none"):
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{DEAD_ROOT}/v1/progress", json={"job": 1}) as r,
        ):
            chunks = [chunk async for chunk, _ in r.content.iter_chunks()]
    assert [json.loads(chunk.removeprefix(b"data: ")) for chunk in chunks] == STREAM_EVENTS


async def test_a_request_the_cassette_lacks_is_a_cassette_miss(tape: Tape, emulator: Emulator) -> None:
    with tape.open("once"):
        async with aiohttp.ClientSession(headers=AUTH) as session:
            await (await session.post(f"{emulator.base_url}/images/generations", json=ASK)).read()
    with tape.open("none"), pytest.raises(CassetteMiss) as caught:
        async with aiohttp.ClientSession() as session:
            await session.post(f"{DEAD_ROOT}/v1/images/generations", json={**ASK, "prompt": "a grey wolf"})
    assert "body.prompt: sent 'a grey wolf', recorded 'a red fox'" in str(caught.value)


async def test_an_error_reply_with_raise_for_status(tape: Tape, emulator: Emulator) -> None:
    """An error reply is recorded even when the session raises for it, and raises again on replay."""

    async def call(root: str) -> int:
        async with aiohttp.ClientSession(raise_for_status=True) as session:
            with pytest.raises(aiohttp.ClientResponseError) as caught:
                await session.post(f"{root}/images/generations", json=ASK)  # no key: a 401
        return caught.value.status

    with tape.open("once"):
        live = await call(emulator.base_url)
    with tape.open("none") as cassette:
        assert await call(f"{DEAD_ROOT}/v1") == live == 401
        assert cassette.all_played


@pytest.mark.skipif(not hasattr(openai, "DefaultAioHttpClient"), reason="no aiohttp client in this openai")
async def test_the_openai_sdk_through_its_aiohttp_client(tape: Tape, emulator: Emulator) -> None:
    async def generate(base_url: str) -> int:
        async with openai.AsyncOpenAI(
            api_key=KEY, base_url=base_url, http_client=openai.DefaultAioHttpClient(), max_retries=0
        ) as client:
            reply = await client.images.generate(model="gpt-image-2", prompt="a red fox", size="64x64")
        return len(reply.data or [])

    with tape.open("once") as cassette:
        assert await generate(emulator.base_url) == 1
        assert cassette.recorded_count == 1  # through aiohttp, not twice
    with tape.open("none") as cassette:
        assert await generate(f"{DEAD_ROOT}/v1") == 1
        assert cassette.all_played
    [interaction] = stored(cassette.file_path)
    assert interaction["request"]["headers"]["authorization"] == "Bearer sk-REDACTED"


@pytest.mark.filterwarnings("ignore:.*[Aa]uth.* deprecated:DeprecationWarning")
async def test_a_session_with_basic_auth_records_and_the_credentials_stay_off_disk(
    tape: Tape, server: Server
) -> None:
    auth = aiohttp.BasicAuth("user", "basic-auth-password-7Qz1")
    path = "/v2beta/stable-image/generate/core"
    with tape.open("once"):
        async with (
            aiohttp.ClientSession(auth=auth) as session,
            session.post(f"{server.root}{path}", data=_form()) as r,
        ):
            live = await r.read()
    assert server.requests[0][2]["Authorization"] == auth.encode()
    with tape.open("none") as cassette:
        async with (
            aiohttp.ClientSession(auth=auth) as session,
            session.post(f"{DEAD_ROOT}{path}", data=_form()) as r,
        ):
            assert (r.headers["seed"], len(await r.read()) > 0) == ("1234", True)
        assert cassette.all_played
    assert live
    text = cassette.file_path.read_text()
    assert "basic-auth-password" not in text
    assert auth.encode().split()[1] not in text


def _form() -> aiohttp.FormData:
    """Stability takes multipart even for a text-only request (as its documentation shows)."""
    return aiohttp.FormData({"prompt": "a fox"}, default_to_multipart=True)


async def test_a_recording_refused_after_the_reply_raises_in_the_caller_instead_of_hanging(
    tape: Tape, server: Server
) -> None:
    # Issue 23: a reply refused once it had been read (here the contract: Stability takes no urlencoded
    # form) left the body's reader without an end, and the caller's read() waited forever.
    path = "/v2beta/stable-image/generate/core"
    with tape.open("once"):
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{server.root}{path}", data=aiohttp.FormData({"prompt": "a fox"})) as r,
        ):
            with pytest.raises(SchemaAssertionError, match="breaks the Stability AI API contract"):
                await asyncio.wait_for(r.read(), timeout=GUARD)
