"""``POST /v1/chat/completions`` with image output on the emulator, through the official SDK over a socket.

The emulator plays a gateway in front of image models: real PNGs of the size the model draws for the
asked aspect ratio, as data URLs in ``message.images`` (and in a stream chunk's ``delta.images``, the
stream closed by ``data: [DONE]``), errors in the OpenAI envelope, the gateway's report of a provider key
the provider refused. Every reply keeps the contract the plugin checks recordings against, and the same
request gets the same reply.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import openai
import pytest

from pytest_imagegen.contract import check_reply, validate_request
from pytest_imagegen.contract.inline import split_data_url
from pytest_imagegen.emulator import Emulator

from .conftest import API_KEY, decode, png_bytes

MODEL = "google/gemini-2.5-flash-image"
ASK = {"model": MODEL, "messages": [{"role": "user", "content": "a lighthouse"}]}


def image_of(url: str) -> tuple[str, Any]:
    """The declared type of a data URL and its image."""
    split = split_data_url(url)
    assert split is not None, url[:40]
    return split[0], decode(split[1])


def test_json_reply_holds_a_png_of_the_asked_aspect_ratio(client: openai.OpenAI) -> None:
    extra = {"modalities": ["image", "text"], "image_config": {"aspect_ratio": "16:9"}}
    completion = client.chat.completions.create(**ASK, extra_body=extra)

    message = completion.choices[0].message
    assert message.content
    (image,) = message.images  # a gateway's field: the SDK keeps it as an extra attribute
    mime, picture = image_of(image["image_url"]["url"])
    assert (mime, picture.format, picture.size) == ("image/png", "PNG", (1344, 768))
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None
    assert (
        completion.usage.total_tokens == completion.usage.prompt_tokens + completion.usage.completion_tokens
    )
    check_reply(validate_request("chat", {**ASK, **extra}), completion)


def test_image_only_has_no_text_and_image_size_scales(client: openai.OpenAI) -> None:
    extra = {"modalities": ["image"], "image_config": {"aspect_ratio": "1:1", "image_size": "2K"}}
    completion = client.chat.completions.create(
        **{**ASK, "model": "google/gemini-3-pro-image-preview"}, extra_body=extra
    )
    message = completion.choices[0].message
    assert message.content is None
    assert image_of(message.images[0]["image_url"]["url"])[1].size == (2048, 2048)


def test_stream_sends_text_then_the_image_then_the_finish_and_done(emulator: Emulator) -> None:
    body = {**ASK, "modalities": ["image", "text"], "stream": True}
    headers = {"authorization": f"Bearer {API_KEY}"}
    reply = httpx.post(f"{emulator.base_url}/chat/completions", json=body, headers=headers, timeout=30)
    assert reply.headers["content-type"].startswith("text/event-stream")
    frames = [f for f in reply.text.split("\n\n") if f]
    assert all(f.startswith("data: ") for f in frames)
    assert frames[-1] == "data: [DONE]"
    chunks = [json.loads(f.removeprefix("data: ")) for f in frames[:-1]]
    deltas = [c["choices"][0]["delta"] for c in chunks]
    assert [bool(d.get("images")) for d in deltas] == [False, True, False]
    assert [c["choices"][0]["finish_reason"] for c in chunks] == [None, None, "stop"]
    assert chunks[-1]["usage"]["completion_tokens"] > 1000
    assert len({c["id"] for c in chunks}) == 1
    check_reply(validate_request("chat", body), chunks)


def test_the_sdk_reads_the_stream_s_images(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(**ASK, stream=True, extra_body={"modalities": ["image", "text"]})
    chunks = list(stream)
    images = [image for c in chunks for image in (getattr(c.choices[0].delta, "images", None) or [])]
    assert [image_of(i["image_url"]["url"])[1].size for i in images] == [(1024, 1024)]


def test_the_same_request_gets_the_same_reply_streamed_or_not(client: openai.OpenAI) -> None:
    extra = {"modalities": ["image", "text"]}
    first = client.chat.completions.create(**ASK, extra_body=extra)
    again = client.chat.completions.create(**ASK, extra_body=extra)
    streamed = list(client.chat.completions.create(**ASK, stream=True, extra_body=extra))
    assert first.id == again.id
    url = first.choices[0].message.images[0]["image_url"]["url"]
    assert url == again.choices[0].message.images[0]["image_url"]["url"]
    assert url == streamed[1].choices[0].delta.images[0]["image_url"]["url"]


def test_input_images_are_read(client: openai.OpenAI) -> None:
    photo = "data:image/png;base64," + base64.b64encode(png_bytes(40, 30)).decode()
    content = [
        {"type": "text", "text": "put a hat on it"},
        {"type": "image_url", "image_url": {"url": photo}},
    ]
    completion = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": content}],
        extra_body={"modalities": ["image", "text"]},
    )
    assert completion.usage is not None
    assert completion.usage.prompt_tokens > 258


@pytest.mark.parametrize(
    ("change", "status", "param"),
    [
        ({"model": "gpt-4o"}, 404, "modalities"),
        ({"modalities": ["image", "video"]}, 400, "modalities[1]"),
        ({"image_config": {"aspect_ratio": "7:5"}}, 400, "image_config.aspect_ratio"),
        ({"messages": []}, 400, "messages"),
        (
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
                        ],
                    }
                ]
            },
            400,
            "messages[0].content[0].image_url.url",
        ),
    ],
)
def test_invalid_requests_get_the_openai_envelope(
    emulator: Emulator, change: dict[str, Any], status: int, param: str
) -> None:
    body = {**ASK, "modalities": ["image", "text"], **change}
    reply = httpx.post(
        f"{emulator.base_url}/chat/completions", json=body, headers={"authorization": f"Bearer {API_KEY}"}
    )
    assert reply.status_code == status
    error = reply.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["param"] == param


def test_a_gateway_path_and_a_wrong_key(emulator: Emulator) -> None:
    url = f"{emulator.root_url}/api/v1/chat/completions"
    body = {**ASK, "modalities": ["image"]}
    assert (
        httpx.post(url, json=body, headers={"authorization": f"Bearer {API_KEY}"}, timeout=30).status_code
        == 200
    )
    wrong = httpx.post(url, json=body, headers={"authorization": "Bearer fake-wrong-key-123456"})
    assert wrong.status_code == 401
    assert "Incorrect API key provided" in wrong.json()["error"]["message"]


def test_a_refused_provider_key_comes_back_in_the_gateway_s_error(imagegen_emulator: Emulator) -> None:
    with Emulator(google_api_key="AIza" + "x" * 35) as emulator:
        reply = httpx.post(
            f"{emulator.base_url}/chat/completions",
            json={**ASK, "modalities": ["image"]},
            headers={"authorization": f"Bearer {API_KEY}", "x-goog-api-key": "AIza-not-the-key"},
        )
    assert reply.status_code == 400
    error = reply.json()["error"]
    assert (error["message"], error["code"]) == ("Provider returned error", 400)
    assert "?key=AIza-not-the-key" in error["metadata"]["raw"]
