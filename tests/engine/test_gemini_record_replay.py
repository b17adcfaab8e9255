"""The Gemini API (and Imagen) through raw httpx: recorded from the emulator, replayed offline.

Each test records once (``once``) against the emulator over a real socket, then replays in record mode
``none`` against an address where nothing listens, with sockets blocked. The key travels where Google
takes it, the ``x-goog-api-key`` header or the ``?key=`` query, and matching ignores it wherever it is
placed: a call recorded with the key in the header replays with it in the query, and with another key.
What must hold on replay: the same replies and stream chunks (one chunk per SSE event), each image
decoding to the recorded format, size and mode; on disk: no key, no base64 image, every ``inlineData``
and prediction a placeholder, and a clean contract verdict.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from PIL import Image

from pytest_imagegen.cassette import storage
from pytest_imagegen.cassette.checks import contract_problems
from pytest_imagegen.contract.shapes import GEMINI, declared_images
from pytest_imagegen.emulator import Emulator
from pytest_imagegen.wire.payloads import is_placeholder
from tests.engine.conftest import Tape

KEY = "AIza" + "EngineTestKey" + "7" * 22
OTHER_KEY = "AIza" + "AnotherTestKey" + "3" * 21
DEAD_ROOT = "http://127.0.0.1:9"
FLASH = "/v1beta/models/gemini-2.5-flash-image"
ASK: dict[str, Any] = {
    "contents": [{"role": "user", "parts": [{"text": "a lighthouse"}]}],
    "generationConfig": {"responseModalities": ["TEXT", "IMAGE"], "imageConfig": {"aspectRatio": "9:16"}},
}


def shape(b64: str) -> tuple[str | None, tuple[int, int], str]:
    image = Image.open(io.BytesIO(base64.b64decode(b64)))
    image.load()
    return image.format, image.size, image.mode


def images(document: Any) -> list[tuple[str, tuple[str | None, tuple[int, int], str]]]:
    """(mimeType, image shape) of every inlineData part or prediction of a reply or its chunks."""
    chunks = document if isinstance(document, list) else [document]
    found = []
    for chunk in chunks:
        for prediction in chunk.get("predictions", []):
            found.append((prediction["mimeType"], shape(prediction["bytesBase64Encoded"])))
        for candidate in chunk.get("candidates", []):
            for part in candidate["content"]["parts"]:
                if "inlineData" in part:
                    found.append((part["inlineData"]["mimeType"], shape(part["inlineData"]["data"])))
    return found


def sse_chunks(response: httpx.Response) -> list[dict[str, Any]]:
    return [
        json.loads(line.removeprefix("data: "))
        for line in response.text.splitlines()
        if line.startswith("data: ")
    ]


@pytest.fixture
def emulator(imagegen_emulator: Emulator) -> Emulator:
    imagegen_emulator.reset()
    return imagegen_emulator


def record_then_replay(
    tape: Tape,
    root: str,
    call: Callable[[httpx.Client], Any],
    replay: Callable[[httpx.Client], Any] | None = None,
) -> tuple[Any, Any]:
    with tape.open("once") as cassette, httpx.Client(base_url=root, timeout=60) as client:
        recorded = call(client)
        assert cassette.recorded_count >= 1
    with tape.open("none") as cassette, httpx.Client(base_url=DEAD_ROOT) as client:
        replayed = (replay or call)(client)
        assert cassette.all_played, "every recorded interaction should have been played"
    return recorded, replayed


def stored(tape: Tape) -> list[dict[str, Any]]:
    with tape.open("none") as cassette:
        path = cassette.file_path
    return storage.load_cassette(path) or []


def assert_stored_cleanly(interactions: list[dict[str, Any]]) -> int:
    """No key and no base64 image on disk, every image place a placeholder, a clean verdict."""
    text = json.dumps(interactions)
    assert KEY not in text
    assert OTHER_KEY not in text
    assert "iVBORw0KGgo" not in text
    assert "/9j/" not in text
    found = 0
    for index, interaction in enumerate(interactions):
        assert contract_problems(interaction) == [], f"interaction {index}"
        for side in ("request", "response"):
            body = interaction[side].get("body") or {}
            documents = [body["json"]] if "json" in body else [e["data"] for e in body.get("sse", [])]
            for document in documents:
                for part in document if isinstance(document, list) else [document]:
                    for path, value in declared_images(GEMINI, part):
                        assert is_placeholder(value), f"{side} {path}: {str(value)[:60]}"
                        found += 1
    return found


def test_json_reply_recorded_with_the_key_in_a_header_replays_with_it_in_the_query(
    tape: Tape, emulator: Emulator
) -> None:
    path = f"{FLASH}:generateContent"
    recorded, replayed = record_then_replay(
        tape,
        emulator.root_url,
        lambda c: c.post(path, json=ASK, headers={"x-goog-api-key": KEY}).json(),
        lambda c: c.post(path, json=ASK, params={"key": OTHER_KEY}).json(),
    )
    assert images(replayed) == images(recorded) == [("image/png", ("PNG", (768, 1344), "RGB"))]
    assert replayed["responseId"] == recorded["responseId"]
    assert (
        replayed["candidates"][0]["content"]["parts"][0] == recorded["candidates"][0]["content"]["parts"][0]
    )
    (interaction,) = stored(tape)
    assert interaction["request"]["headers"]["x-goog-api-key"] == ["REDACTED"]
    assert assert_stored_cleanly([interaction]) == 1
    assert "server-timing" not in interaction["response"]["headers"]


def test_sse_stream_recorded_with_the_key_in_the_query_replays_chunk_by_chunk(
    tape: Tape, emulator: Emulator
) -> None:
    path = f"{FLASH}:streamGenerateContent"

    def call(client: httpx.Client) -> list[dict[str, Any]]:
        return sse_chunks(client.post(path, json=ASK, params={"alt": "sse", "key": KEY}))

    def replay(client: httpx.Client) -> list[dict[str, Any]]:
        return sse_chunks(
            client.post(path, json=ASK, params={"alt": "sse"}, headers={"x-goog-api-key": OTHER_KEY})
        )

    recorded, replayed = record_then_replay(tape, emulator.root_url, call, replay)
    assert [c["candidates"][0].get("finishReason") for c in replayed] == [None, None, "STOP"]
    assert images(replayed) == images(recorded)
    (interaction,) = stored(tape)
    assert interaction["request"]["uri"].endswith(":streamGenerateContent?alt=sse&key=REDACTED")
    assert assert_stored_cleanly([interaction]) == 1
    with (
        tape.open("none"),
        httpx.Client(base_url=DEAD_ROOT) as client,
        client.stream("POST", path, json=ASK, params={"alt": "sse", "key": KEY}) as response,
    ):
        raw = list(response.iter_raw())
    assert len(raw) == 3
    assert all(chunk.startswith(b"data: ") for chunk in raw)


def test_json_array_stream_and_imagen_predict(tape: Tape, emulator: Emulator) -> None:
    predict = {
        "instances": [{"prompt": "a lighthouse"}],
        "parameters": {"sampleCount": 2, "aspectRatio": "4:3", "outputOptions": {"mimeType": "image/jpeg"}},
    }

    def call(client: httpx.Client) -> tuple[Any, Any]:
        headers = {"x-goog-api-key": KEY}
        array = client.post(f"{FLASH}:streamGenerateContent", json=ASK, headers=headers).json()
        imagen = client.post("/v1beta/models/imagen-4.0-generate-001:predict", json=predict, headers=headers)
        return array, imagen.json()

    (array, imagen), (again_array, again_imagen) = record_then_replay(tape, emulator.root_url, call)
    assert images(again_array) == images(array)
    assert images(again_imagen) == images(imagen) == [("image/jpeg", ("JPEG", (1280, 896), "RGB"))] * 2
    assert assert_stored_cleanly(stored(tape)) == 3


def test_an_input_image_in_snake_case_is_a_placeholder(tape: Tape, emulator: Emulator) -> None:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "teal").save(out, "PNG", compress_level=0)
    photo = base64.b64encode(out.getvalue()).decode()
    body = {
        "contents": [
            {"parts": [{"text": "a hat"}, {"inline_data": {"mime_type": "image/png", "data": photo}}]}
        ],
        "generation_config": {"response_modalities": ["IMAGE"]},
    }
    record_then_replay(
        tape,
        emulator.root_url,
        lambda c: c.post(f"{FLASH}:generateContent", json=body, headers={"x-goog-api-key": KEY}).json(),
    )
    (interaction,) = stored(tape)
    stored_photo = interaction["request"]["body"]["json"]["contents"][0]["parts"][1]["inline_data"]["data"]
    assert (stored_photo["placeholder"]["width"], stored_photo["placeholder"]["height"]) == (40, 30)
    assert assert_stored_cleanly([interaction]) == 2


def test_the_verdict_names_the_path_of_bad_base64_and_a_cut_stream(tape: Tape, emulator: Emulator) -> None:
    with tape.open("once"), httpx.Client(base_url=emulator.root_url, timeout=60) as client:
        headers = {"x-goog-api-key": KEY}
        client.post(f"{FLASH}:generateContent", json=ASK, headers=headers)
        client.post(f"{FLASH}:streamGenerateContent", json=ASK, params={"alt": "sse"}, headers=headers)
    reply, stream = stored(tape)

    broken = json.loads(json.dumps(reply))
    broken["response"]["body"]["json"]["candidates"][0]["content"]["parts"][1]["inlineData"]["data"] = (
        "not*base64"
    )
    assert contract_problems(broken) == [
        ("reply $.candidates[0].content.parts[1].inlineData.data", "not valid base64 ('not*base64')")
    ]

    cut = json.loads(json.dumps(stream))
    cut["response"]["body"]["sse"] = cut["response"]["body"]["sse"][:2]
    (problem,) = contract_problems(cut)
    assert problem[0] == "reply $"
    assert problem[1].startswith("no candidate with a finishReason: the stream was cut before its end")
