"""The Gemini API's image methods on the emulator, through raw httpx over a socket.

``generateContent`` (a text part and an ``inlineData`` PNG of the size the model draws for the asked
aspect ratio), ``streamGenerateContent`` (SSE with ``?alt=sse``, a JSON array without it, ending with the
candidate's ``finishReason``), Imagen's ``predict``; the key in the ``x-goog-api-key`` header or the
``key`` query parameter; Google's headers and error envelope. Every reply keeps the contract, and the same
request gets the same reply.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from pytest_imagegen.contract import check_reply, validate_request
from pytest_imagegen.emulator import Emulator

from .conftest import decode, png_bytes

KEY = "AIza" + "EmulatorTestKey" + "0" * 20
FLASH = "/v1beta/models/gemini-2.5-flash-image"
ASK: dict[str, Any] = {
    "contents": [{"role": "user", "parts": [{"text": "a lighthouse"}]}],
    "generationConfig": {"responseModalities": ["TEXT", "IMAGE"], "imageConfig": {"aspectRatio": "3:4"}},
}


def post(emulator: Emulator, path: str, body: dict[str, Any], **kwargs: Any) -> httpx.Response:
    headers = kwargs.pop("headers", {"x-goog-api-key": KEY})
    return httpx.post(f"{emulator.root_url}{path}", json=body, headers=headers, timeout=60, **kwargs)


def sse_chunks(text: str) -> list[dict[str, Any]]:
    frames = [f for f in text.split("\r\n\r\n") if f]
    assert all(f.startswith("data: ") for f in frames), frames[0][:60]
    return [json.loads(f.removeprefix("data: ")) for f in frames]


def test_generate_content_answers_text_and_an_image_of_the_asked_ratio(emulator: Emulator) -> None:
    path = f"{FLASH}:generateContent"
    reply = post(emulator, path, ASK)

    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/json; charset=UTF-8"
    assert reply.headers["server-timing"].startswith("gfet4t7; dur=")
    assert "set-cookie" not in reply.headers
    assert "openai-organization" not in reply.headers
    body = reply.json()
    (candidate,) = body["candidates"]
    text, image = candidate["content"]["parts"]
    assert text["text"]
    assert image["inlineData"]["mimeType"] == "image/png"
    picture = decode(image["inlineData"]["data"])
    assert (picture.format, picture.size) == ("PNG", (864, 1184))
    assert candidate["finishReason"] == "STOP"
    assert (body["modelVersion"], len(body["responseId"])) == ("gemini-2.5-flash-image", 23)
    usage = body["usageMetadata"]
    assert usage["totalTokenCount"] == usage["promptTokenCount"] + usage["candidatesTokenCount"]
    check_reply(validate_request("gemini", ASK, path=path), body)


def test_the_stream_ends_with_the_finish_reason_in_sse_and_as_a_json_array(emulator: Emulator) -> None:
    path = f"{FLASH}:streamGenerateContent"
    sse = post(emulator, path, ASK, params={"alt": "sse"})
    assert sse.headers["content-type"].startswith("text/event-stream")
    chunks = sse_chunks(sse.text)
    array = post(emulator, path, ASK).json()
    assert chunks == array
    assert [list(c["candidates"][0]["content"]["parts"][0]) for c in chunks] == [
        ["text"],
        ["inlineData"],
        ["text"],
    ]
    assert [c["candidates"][0].get("finishReason") for c in chunks] == [None, None, "STOP"]
    check_reply(validate_request("gemini", ASK, path=path), chunks)
    # The same picture as the JSON reply of the same request.
    whole = post(emulator, f"{FLASH}:generateContent", ASK).json()
    assert chunks[1]["candidates"][0]["content"]["parts"][0] == whole["candidates"][0]["content"]["parts"][1]


def test_snake_case_fields_and_an_input_image_are_read(emulator: Emulator) -> None:
    photo = base64.b64encode(png_bytes(40, 30)).decode()
    body = {
        "contents": [
            {"parts": [{"text": "a hat"}, {"inline_data": {"mime_type": "image/png", "data": photo}}]}
        ],
        "generation_config": {"response_modalities": ["image"], "image_config": {"aspect_ratio": "16:9"}},
    }
    reply = post(emulator, f"{FLASH}:generateContent", body).json()
    (part,) = reply["candidates"][0]["content"]["parts"]
    assert decode(part["inlineData"]["data"]).size == (1344, 768)
    assert reply["usageMetadata"]["promptTokenCount"] > 258


def test_imagen_predict_answers_sample_count_images_in_the_asked_type(emulator: Emulator) -> None:
    path = "/v1beta/models/imagen-4.0-generate-001:predict"
    body = {
        "instances": [{"prompt": "a lighthouse"}],
        "parameters": {"sampleCount": 2, "aspectRatio": "16:9", "outputOptions": {"mimeType": "image/jpeg"}},
    }
    reply = post(emulator, path, body, headers={}, params={"key": KEY})
    predictions = reply.json()["predictions"]
    assert [p["mimeType"] for p in predictions] == ["image/jpeg"] * 2
    assert [decode(p["bytesBase64Encoded"]).size for p in predictions] == [(1408, 768)] * 2
    assert predictions[0]["bytesBase64Encoded"] != predictions[1]["bytesBase64Encoded"]
    check_reply(validate_request("gemini", body, path=path), reply.json())


@pytest.mark.parametrize(
    ("headers", "params", "status", "reason"),
    [
        ({}, {}, 403, "PERMISSION_DENIED"),
        ({"x-goog-api-key": "not-a-google-key"}, {}, 400, "INVALID_ARGUMENT"),
        ({}, {"key": "not-a-google-key"}, 400, "INVALID_ARGUMENT"),
    ],
)
def test_keys_are_checked_in_header_and_query(
    emulator: Emulator, headers: dict[str, str], params: dict[str, str], status: int, reason: str
) -> None:
    reply = post(emulator, f"{FLASH}:generateContent", ASK, headers=headers, params=params)
    assert reply.status_code == status
    error = reply.json()["error"]
    assert (error["code"], error["status"]) == (status, reason)


@pytest.mark.parametrize(
    ("path", "body", "status", "words"),
    [
        (f"{FLASH}:predict", {"instances": [{"prompt": "x"}]}, 404, "not supported for predict"),
        (f"{FLASH}:generateContent", {}, 400, "contents is not specified"),
        (
            f"{FLASH}:generateContent",
            {"contents": [{"parts": [{"inlineData": {"mimeType": "image/png", "data": "%%%"}}]}]},
            400,
            "Base64 decoding failed",
        ),
        (
            f"{FLASH}:generateContent",
            {**ASK, "generationConfig": {"responseModalities": ["PICTURE"]}},
            400,
            "generationConfig.responseModalities[0]",
        ),
        (
            "/v1beta/models/imagen-4.0-generate-001:predict",
            {"instances": [{"prompt": "x"}], "parameters": {"sampleCount": 5}},
            400,
            "parameters.sampleCount",
        ),
    ],
)
def test_invalid_requests_get_google_s_envelope(
    emulator: Emulator, path: str, body: dict[str, Any], status: int, words: str
) -> None:
    reply = post(emulator, path, body)
    assert reply.status_code == status
    error = reply.json()["error"]
    assert error["code"] == status
    assert words in error["message"]
    assert set(error) <= {"code", "message", "status", "details"}
