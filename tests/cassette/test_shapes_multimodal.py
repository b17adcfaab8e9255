"""The chat and Gemini shapes through the shared cassette machinery: trim, expand, redact, the leak scan.

Pure: bodies in the stored form, built from real Pillow images. What must hold for every place these
shapes put an image (a chat data URL in ``message.images`` / ``delta.images`` / an input ``image_url``
part, Gemini's ``inlineData.data`` in camelCase and snake_case, Imagen's ``bytesBase64Encoded``): each
becomes a placeholder that expands to an image of the same format, size and mode, a data URL keeping its
exact prefix. And for their secrets: the ``x-goog-api-key`` header, the ``?key=`` query, any
``*-key``/``*-token`` header, a Google key echoed in a gateway's error body are redacted and, left in by
hand, found by the leak scan; ``HTTP-Referer`` and ``X-Title`` (the gateways' app attribution) are not
secrets and stay.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from PIL import Image

from pytest_imagegen.contract.shapes import CHAT, GEMINI, declared_images
from pytest_imagegen.safety import redact, redact_text
from pytest_imagegen.safety.leaks import scan_for_leaks
from pytest_imagegen.safety.trim import expand_body, trim_body, trim_interaction
from pytest_imagegen.wire.bodies import parse_body
from pytest_imagegen.wire.payloads import is_placeholder

MakeImage = Callable[..., bytes]

# Fake keys in the real shapes, built from pieces so no scanner takes this file for a leak.
GOOGLE_KEY = "AIza" + "Sy" + "FAKEtestKEYforTHEredactionTEST9xy"
GATEWAY_TOKEN = "gw-" + "FAKEgatewayTOKEN0123456789"


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def opened(text: str) -> tuple[str | None, tuple[int, int], str]:
    if text.startswith("data:"):
        text = text.split(",", 1)[1]
    with Image.open(io.BytesIO(base64.b64decode(text))) as img:
        img.load()
        return img.format, img.size, img.mode


def documents(body: dict[str, Any]) -> list[Any]:
    if "json" in body:
        return body["json"] if isinstance(body["json"], list) else [body["json"]]
    return [e["data"] for e in body["sse"] if isinstance(e["data"], dict)]


# --- trimming -------------------------------------------------------------------------------------------


def test_every_chat_image_place_becomes_a_placeholder_and_expands_back(make_image: MakeImage) -> None:
    drawn = "data:image/png;base64," + b64(make_image("png", (64, 48)))
    photo = "data:image/jpeg;base64," + b64(make_image("jpeg", (40, 30)))
    image = {"type": "image_url", "image_url": {"url": drawn}}
    request = {
        "model": "google/gemini-2.5-flash-image",
        "modalities": ["image", "text"],
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "a hat"},
                    {"type": "image_url", "image_url": {"url": photo}},
                ],
            },
            {"role": "assistant", "content": "here", "images": [image]},
        ],
    }
    reply = {
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "images": [image]}}],
    }
    chunk = {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"images": [image]}}]}
    stream = {
        "sse": [
            {"event": None, "data": chunk, "offset_ms": None},
            {"event": None, "data": "[DONE]", "offset_ms": None},
        ]
    }
    trimmed = trim_interaction(
        {"request": {"body": {"json": request}}, "response": {"body": {"json": reply}}}
    )
    trimmed_stream = trim_body(stream)

    places = [
        value
        for body in (trimmed["request"]["body"], trimmed["response"]["body"], trimmed_stream)
        for document in documents(body)
        for _, value in declared_images(CHAT, document)
    ]
    assert len(places) == 4
    assert all(is_placeholder(value) for value in places)
    assert trimmed_stream["sse"][1]["data"] == "[DONE]"
    url = trimmed["request"]["body"]["json"]["messages"][0]["content"][1]["image_url"]["url"]
    assert url["placeholder"]["prefix"] == "data:image/jpeg;base64,"
    back = expand_body(trimmed["request"]["body"])["json"]["messages"]
    assert back[0]["content"][1]["image_url"]["url"].startswith("data:image/jpeg;base64,")
    assert opened(back[0]["content"][1]["image_url"]["url"]) == ("JPEG", (40, 30), "RGB")
    assert opened(back[1]["images"][0]["image_url"]["url"]) == ("PNG", (64, 48), "RGB")


@pytest.mark.parametrize("inline", ["inlineData", "inline_data"])
def test_every_gemini_image_place_becomes_a_placeholder(make_image: MakeImage, inline: str) -> None:
    png, jpeg = b64(make_image("png", (32, 32), "RGBA")), b64(make_image("jpeg", (48, 32)))
    request = {
        "contents": [{"parts": [{"text": "a hat"}, {inline: {"mimeType": "image/jpeg", "data": jpeg}}]}]
    }
    chunk = {"candidates": [{"content": {"parts": [{"inlineData": {"mimeType": "image/png", "data": png}}]}}]}
    predict = {"predictions": [{"bytesBase64Encoded": jpeg, "mimeType": "image/jpeg"}]}
    raw = f"data: {json.dumps(chunk)}\r\n\r\n".encode()
    sse = parse_body({"content-type": "text/event-stream"}, raw)
    bodies = [trim_body(b) for b in ({"json": request}, sse, {"json": [chunk, chunk]}, {"json": predict})]

    places = [
        value
        for body in bodies
        for document in documents(body)
        for _, value in declared_images(GEMINI, document)
    ]
    assert len(places) == 5
    assert all(is_placeholder(value) for value in places)
    assert opened(
        expand_body(bodies[1])["sse"][0]["data"]["candidates"][0]["content"]["parts"][0]["inlineData"]["data"]
    ) == (
        "PNG",
        (32, 32),
        "RGBA",
    )
    assert opened(expand_body(bodies[3])["json"]["predictions"][0]["bytesBase64Encoded"]) == (
        "JPEG",
        (48, 32),
        "RGB",
    )


# --- redaction and the leak scan -------------------------------------------------------------------------


def gemini_interaction(image: str) -> dict[str, Any]:
    uri = f"https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash-image:streamGenerateContent?alt=sse&key={GOOGLE_KEY}"
    return {
        "request": {
            "method": "POST",
            "uri": uri,
            "headers": {"x-goog-api-key": [GOOGLE_KEY], "content-type": ["application/json"]},
            "body": {"json": {"contents": [{"parts": [{"text": "a hat"}]}]}},
        },
        "response": {
            "status": {"code": 200, "message": "OK"},
            "headers": {"content-type": ["text/event-stream"]},
            "body": {
                "sse": [
                    {
                        "event": None,
                        "data": {
                            "candidates": [
                                {
                                    "content": {
                                        "parts": [{"inlineData": {"mimeType": "image/png", "data": image}}]
                                    }
                                }
                            ]
                        },
                        "offset_ms": None,
                    }
                ]
            },
        },
    }


def test_google_keys_in_the_header_and_the_query_are_redacted(make_image: MakeImage) -> None:
    image = b64(make_image("png", (16, 16)))
    out, found = redact.redact_interaction(gemini_interaction(image))
    assert out["request"]["headers"]["x-goog-api-key"] == ["REDACTED"]
    assert out["request"]["uri"].endswith("?alt=sse&key=REDACTED")
    assert GOOGLE_KEY in found
    assert GOOGLE_KEY not in json.dumps(out)
    assert (
        out["response"]["body"]["sse"][0]["data"]["candidates"][0]["content"]["parts"][0]["inlineData"][
            "data"
        ]
        == image
    )
    assert scan_for_leaks([out], secrets=found) == []


def test_gateway_headers_key_and_token_are_secrets_attribution_is_not() -> None:
    headers = {
        "authorization": ["Bearer sk-or-v1-" + "0" * 64],
        "http-referer": ["https://myapp.example.com"],
        "x-title": ["My Drawing App"],
        "x-portkey-api-key": ["FAKEportkeyKEY123456"],
        "cf-aig-token": [GATEWAY_TOKEN],
        "x-goog-api-key": [GOOGLE_KEY],
    }
    request = {"method": "POST", "uri": "https://openrouter.ai/api/v1/chat/completions", "headers": headers}
    out, found = redact.redact_request(request)
    assert out["headers"]["http-referer"] == ["https://myapp.example.com"]
    assert out["headers"]["x-title"] == ["My Drawing App"]
    assert out["headers"]["authorization"] == ["Bearer sk-REDACTED"]
    for name in ("x-portkey-api-key", "cf-aig-token", "x-goog-api-key"):
        assert out["headers"][name] == ["REDACTED"], name
    assert {GATEWAY_TOKEN, GOOGLE_KEY} <= found


def test_a_provider_key_echoed_in_a_gateway_error_is_redacted_even_unseen() -> None:
    """The gateway quotes the upstream call, its key in the query: redacted by the URL rule, and by the
    Google key shape when the key was never sent in this interaction (a key configured at the gateway)."""
    raw = (
        "POST https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash-image:generateContent"
        f"?key={GOOGLE_KEY} failed: 400 Bad Request: API key not valid (key {GOOGLE_KEY})"
    )
    body = {"json": {"error": {"message": "Provider returned error", "code": 400, "metadata": {"raw": raw}}}}
    out, _ = redact.redact_interaction({"response": {"status": {"code": 400}, "body": body}})
    text = out["response"]["body"]["json"]["error"]["metadata"]["raw"]
    assert GOOGLE_KEY not in text
    assert "?key=REDACTED failed" in text
    assert "(key REDACTED)" in text


def test_the_leak_scan_finds_a_google_key_left_anywhere_but_not_in_an_image(make_image: MakeImage) -> None:
    interaction = gemini_interaction(b64(make_image("png", (16, 16))))
    interaction["request"]["headers"] = {"x-note": [f"uses {GOOGLE_KEY}"]}
    interaction["request"]["uri"] = interaction["request"]["uri"].split("?")[0]
    findings = scan_for_leaks([interaction], secrets=())
    assert findings == [(0, "request.headers.x-note[0]", "Google API key (AIza…)")]


def test_redaction_is_idempotent_on_google_keys() -> None:
    text = f"key {GOOGLE_KEY} and https://x.example/v1?key={GOOGLE_KEY}"
    once = redact_text.redact_text(text)
    assert redact_text.redact_text(once) == once
    assert GOOGLE_KEY not in once
