"""``requests`` (through urllib3) records into the same cassette as httpx and replays offline.

Each test records from a loopback server over a real socket (the emulator, or the small server in
``conftest.py``), then replays in record mode ``none`` against an address where nothing listens, with
sockets blocked: the same replies, streams chunk by chunk, images of the recorded format and size, and on
disk no key and no base64 image.
"""

from __future__ import annotations

import base64
import io
import json

import httpx
import pytest
import requests
from PIL import Image

from pytest_imagegen.emulator import Emulator
from pytest_imagegen.errors import CassetteMiss
from tests.engine.conftest import Tape
from tests.libraries.conftest import DEAD_ROOT, KEY, STREAM_EVENTS, Server, stored

ASK = {"model": "gpt-image-2", "prompt": "a red fox", "size": "64x64"}
AUTH = {"Authorization": f"Bearer {KEY}"}


def shape_of(b64: str) -> tuple[str | None, tuple[int, int]]:
    image = Image.open(io.BytesIO(base64.b64decode(b64)))
    return image.format, image.size


def test_a_json_generation_replays_offline_with_the_key_and_the_image_gone_from_disk(
    tape: Tape, emulator: Emulator
) -> None:
    root = emulator.base_url
    with tape.open("once") as cassette:
        live = requests.post(f"{root}/images/generations", json=ASK, headers=AUTH, timeout=60)
        assert cassette.recorded_count == 1
    with tape.open("none") as cassette:
        replayed = requests.post(f"{DEAD_ROOT}/v1/images/generations", json=ASK, headers=AUTH)
        assert cassette.all_played
    assert (replayed.status_code, replayed.headers["content-type"]) == (200, live.headers["content-type"])
    assert shape_of(replayed.json()["data"][0]["b64_json"]) == shape_of(live.json()["data"][0]["b64_json"])
    text = cassette.file_path.read_text()
    assert KEY not in text
    assert "iVBORw0KGgo" not in text
    assert '"http": "requests ' in text


def test_an_sse_stream_read_with_iter_lines_replays_event_by_event(tape: Tape, emulator: Emulator) -> None:
    ask = {**ASK, "size": "64x64", "stream": True, "partial_images": 1}

    def events(root: str) -> tuple[list[str], list[bytes]]:
        with requests.post(
            f"{root}/images/generations", json=ask, headers=AUTH, stream=True, timeout=60
        ) as r:
            lines = [line.decode() for line in r.iter_lines() if line.startswith(b"event:")]
        with requests.post(
            f"{root}/images/generations", json=ask, headers=AUTH, stream=True, timeout=60
        ) as r:
            chunks = list(r.iter_content(chunk_size=None))
        return lines, chunks

    with tape.open("once"):
        live_lines, _ = events(emulator.base_url)
    with tape.open("none") as cassette:
        lines, chunks = events(f"{DEAD_ROOT}/v1")
        assert cassette.all_played
    assert (
        lines == live_lines == ["event: image_generation.partial_image", "event: image_generation.completed"]
    )
    # One chunk per recorded event, as the httpx stubs replay it.
    assert [chunk.count(b"\n\n") for chunk in chunks] == [1, 1]
    assert [json.loads(c.split(b"data: ", 1)[1])["type"] for c in chunks] == [
        "image_generation.partial_image",
        "image_generation.completed",
    ]


def test_while_recording_the_first_event_reaches_the_caller_before_the_server_sends_the_rest(
    tape: Tape, server: Server
) -> None:
    with tape.open("once") as cassette:
        with requests.post(f"{server.root}/v1/progress", json={"job": 1}, stream=True, timeout=60) as r:
            lines = (line for line in r.iter_lines() if line)
            first = next(lines)
            assert not server.sent_rest, "the first event waited for the rest of the stream"
            server.gate.set()
            rest = list(lines)
        assert cassette.recorded_count == 1
    assert [json.loads(line.removeprefix(b"data: ")) for line in [first, *rest]] == STREAM_EVENTS
    with tape.open("none"), requests.post(f"{DEAD_ROOT}/v1/progress", json={"job": 1}, stream=True) as r:
        assert [json.loads(c.removeprefix(b"data: ")) for c in r.iter_content(None)] == STREAM_EVENTS


def test_a_multipart_request_whose_reply_is_raw_image_bytes(tape: Tape, server: Server) -> None:
    """Stability's own API: a form in, the image's bytes out, its metadata in headers."""
    path = "/v2beta/stable-image/generate/core"
    form = {"prompt": (None, "a lighthouse"), "output_format": (None, "png")}
    headers = {"authorization": f"Bearer {KEY}", "accept": "image/*"}
    with tape.open("once"):
        live = requests.post(f"{server.root}{path}", files=form, headers=headers, timeout=60)
    with tape.open("none") as cassette:
        replayed = requests.post(f"{DEAD_ROOT}{path}", files=form, headers=headers)
        assert cassette.all_played
    assert (replayed.headers["finish-reason"], replayed.headers["seed"]) == ("SUCCESS", "1234")
    replayed_image = Image.open(io.BytesIO(replayed.content))
    assert (
        (replayed_image.format, replayed_image.size)
        == ("PNG", (256, 256))
        == (
            Image.open(io.BytesIO(live.content)).format,
            Image.open(io.BytesIO(live.content)).size,
        )
    )
    [interaction] = stored(cassette.file_path)
    assert "placeholder" in interaction["response"]["body"]["image"]
    assert KEY not in json.dumps(interaction)


def test_one_cassette_holds_what_httpx_and_requests_recorded(tape: Tape, emulator: Emulator) -> None:
    small = {**ASK, "size": "64x64"}
    with tape.open("once") as cassette:
        httpx.post(f"{emulator.base_url}/images/generations", json=small, headers=AUTH, timeout=60)
        requests.post(f"{emulator.base_url}/images/generations", json={**small, "n": 2}, headers=AUTH)
        assert cassette.recorded_count == 2
    with tape.open("none") as cassette:
        # Matching does not care which library sent a request: each plays what the other recorded.
        assert len(requests.post(f"{DEAD_ROOT}/v1/images/generations", json=small).json()["data"]) == 1
        assert (
            len(httpx.post(f"{DEAD_ROOT}/v1/images/generations", json={**small, "n": 2}).json()["data"]) == 2
        )
        assert cassette.all_played


def test_a_request_the_cassette_lacks_is_a_cassette_miss_naming_the_nearest(
    tape: Tape, emulator: Emulator
) -> None:
    small = {**ASK, "size": "64x64"}
    with tape.open("once"):
        requests.post(f"{emulator.base_url}/images/generations", json=small, headers=AUTH, timeout=60)
    with tape.open("none"), pytest.raises(CassetteMiss) as caught:
        requests.post(f"{DEAD_ROOT}/v1/images/generations", json={**small, "prompt": "a grey wolf"})
    message = str(caught.value)
    assert "body.prompt: sent 'a grey wolf', recorded 'a red fox'" in message
    assert not isinstance(caught.value, requests.RequestException)


@pytest.mark.parametrize("mode", ["new_episodes", "all", "rewrite"])
def test_the_record_modes_hold_for_requests(tape: Tape, emulator: Emulator, mode: str) -> None:
    small = {**ASK, "size": "64x64"}
    fox, wolf = small, {**small, "prompt": "a grey wolf"}
    with tape.open("once"):
        requests.post(f"{emulator.base_url}/images/generations", json=fox, timeout=60)
    with tape.open(mode) as cassette:
        requests.post(f"{emulator.base_url}/images/generations", json=wolf, timeout=60)
        assert (cassette.play_count, cassette.recorded_count) == (0, 1)
    prompts = [i["request"]["body"]["json"]["prompt"] for i in stored(cassette.file_path)]
    assert prompts == {"new_episodes": ["a red fox", "a grey wolf"], "all": ["a red fox", "a grey wolf"]}.get(
        mode, ["a grey wolf"]
    )


def test_urllib3_itself_preloaded_and_read_in_parts(tape: Tape, emulator: Emulator) -> None:
    import urllib3

    body = json.dumps({**ASK, "size": "64x64"}).encode()
    headers = {"content-type": "application/json", **AUTH}
    with tape.open("once"), urllib3.PoolManager() as pool:
        live = pool.request("POST", f"{emulator.base_url}/images/generations", body=body, headers=headers)
    with tape.open("none"), urllib3.PoolManager() as pool:
        preloaded = pool.request("POST", f"{DEAD_ROOT}/v1/images/generations", body=body, headers=headers)
    with tape.open("none"), urllib3.PoolManager() as pool:
        streamed = pool.request(
            "POST", f"{DEAD_ROOT}/v1/images/generations", body=body, headers=headers, preload_content=False
        )
        head = streamed.read(10)
        rest = streamed.read()
    assert json.loads(preloaded.data) == json.loads(head + rest)
    assert shape_of(json.loads(preloaded.data)["data"][0]["b64_json"]) == shape_of(
        json.loads(live.data)["data"][0]["b64_json"]
    )
