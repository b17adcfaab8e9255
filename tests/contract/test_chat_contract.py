"""The chat shape's contract: ``validate_request("chat", ...)`` and the reply checks, table-driven.

Requests are accepted or rejected with the field named; replies fail with the JSON path of what is wrong:
a data URL that says ``image/png`` over JPEG bytes, a missing image when image output was asked, a stream
cut before its ``finish_reason`` or (read from the wire) its ``data: [DONE]``.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from openai.types.chat import ChatCompletion as SDKChatCompletion
from PIL import Image

from pytest_imagegen.contract import CAPABILITIES, check_reply, validate_request
from pytest_imagegen.contract.chat import check_chat_error_reply, check_chat_reply
from pytest_imagegen.errors import RequestValidationError, SchemaAssertionError

MODEL = "google/gemini-2.5-flash-image"
MESSAGES = [{"role": "user", "content": "a lighthouse"}]


def b64(fmt: str = "png", size: tuple[int, int] = (64, 64)) -> str:
    out = io.BytesIO()
    Image.new("RGB", size, "teal").save(out, fmt.upper())
    return base64.b64encode(out.getvalue()).decode()


def url(fmt: str = "png", declared: str | None = None, size: tuple[int, int] = (64, 64)) -> str:
    return f"data:{declared or 'image/' + fmt};base64,{b64(fmt, size)}"


def image(value: str) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": value}}


def completion(*images: str, finish: str = "stop") -> dict[str, Any]:
    message = {"role": "assistant", "content": "here", "images": [image(u) for u in images]}
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": MODEL,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
    }


def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": MODEL,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def ask(**changes: Any) -> dict[str, Any]:
    return {"model": MODEL, "messages": MESSAGES, "modalities": ["image", "text"], **changes}


def problems(request: Any, reply: Any, **kwargs: Any) -> list[tuple[str, str]]:
    with pytest.raises(SchemaAssertionError) as info:
        check_chat_reply(request, reply, **kwargs)
    return info.value.problems


# --- requests --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model", ["google/gemini-2.5-flash-image", "gemini/gemini-2.5-flash-image", "gemini-2.5-flash-image"]
)
def test_provider_prefixed_ids_resolve_to_their_row(model: str) -> None:
    request = validate_request("chat", ask(model=model))
    assert request.capability is CAPABILITIES["gemini-2.5-flash-image"]
    assert request.wants_image


def test_an_unknown_model_passes_and_strict_mode_rejects_it() -> None:
    assert validate_request("chat", ask(model="acme/painter-9")).capability.known is False
    with pytest.raises(RequestValidationError) as info:
        validate_request("chat", ask(model="acme/painter-9"), strict=True)
    assert info.value.field == "model"


INVALID = [
    ("missing-model", {"model": None}, "model", "missing_required_parameter"),
    ("missing-messages", {"messages": None}, "messages", "missing_required_parameter"),
    ("empty-messages", {"messages": []}, "messages", "array_below_min_length"),
    ("modality", {"modalities": ["image", "smell"]}, "modalities[1]", "invalid_value"),
    ("modalities-type", {"modalities": "image"}, "modalities", "invalid_type"),
    ("text-model-draws", {"model": "openai/gpt-4o"}, "modalities", "invalid_value"),
    ("images-api-model-chats", {"model": "openai/dall-e-3"}, "modalities", "invalid_value"),
    ("imagen-chats", {"model": "google/imagen-4.0-generate-001"}, "modalities", "invalid_value"),
    ("aspect-ratio", {"image_config": {"aspect_ratio": "5:3"}}, "image_config.aspect_ratio", "invalid_value"),
    (
        "image-size",
        {"model": "google/gemini-3-pro-image-preview", "image_config": {"image_size": "8K"}},
        "image_config.image_size",
        "invalid_value",
    ),
    (
        "input-not-an-image",
        {"messages": [{"role": "user", "content": [image("data:image/png;base64,aGVsbG8=")]}]},
        "messages[0].content[0].image_url.url",
        "invalid_image_format",
    ),
    (
        "input-not-base64",
        {"messages": [{"role": "user", "content": [image("data:image/png,rawbytes")]}]},
        "messages[0].content[0].image_url.url",
        "invalid_value",
    ),
]


@pytest.mark.parametrize(("change", "field", "code"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_requests_name_the_field(change: dict[str, Any], field: str, code: str) -> None:
    with pytest.raises(RequestValidationError) as info:
        validate_request("chat", ask(**change))
    assert (info.value.field, info.value.code) == (field, code), info.value.message


def test_text_only_requests_of_any_model_pass_and_input_images_are_facts() -> None:
    content = [{"type": "text", "text": "describe"}, image(url("jpeg", declared="image/png"))]
    request = validate_request(
        "chat", {"model": "gpt-4o", "messages": [{"role": "user", "content": content}]}
    )
    assert not request.wants_image
    (found,) = request.input_images
    # A data URL whose type is not its bytes' format is kept as a fact (the gateways are silent on it).
    assert (found.path, found.image.declared, found.image.format) == (
        "messages[0].content[1].image_url.url",
        "image/png",
        "jpeg",
    )


def test_a_gpt_image_row_draws_at_any_ratio() -> None:
    request = validate_request("chat", ask(model="openai/gpt-5-image", image_config={"aspect_ratio": "7:3"}))
    assert request.aspect_ratio == "7:3"
    with pytest.raises(RequestValidationError):
        validate_request("chat", ask(model="openai/gpt-5-image", image_config={"aspect_ratio": "wide"}))


# --- replies ---------------------------------------------------------------------------------------------


def test_a_sound_reply_passes_as_json_and_as_the_sdk_s_object() -> None:
    request = validate_request("chat", ask())
    reply = completion(url())
    check_reply(request, reply)
    check_reply(request, SDKChatCompletion.model_validate(reply))
    check_reply(None, reply)  # the shape is told from the reply


def test_a_data_url_saying_png_over_jpeg_bytes_fails_with_its_path() -> None:
    reply = completion(url("jpeg", declared="image/png"))
    assert problems(validate_request("chat", ask()), reply) == [
        (
            "$.choices[0].message.images[0].image_url.url",
            "declares image/png, but the bytes are a jpeg image (image/jpeg)",
        )
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("data:image/png;base64,not*base64", "not valid base64 ('not*base64')"),
        (
            "data:image/png;base64," + base64.b64encode(b"plain text").decode(),
            "declares image/png, but its 10 bytes are not an image",
        ),
        ("data:text/plain;base64,aGk=", "a data URL of type 'text/plain', not an image type"),
        ("ftp://example.com/a.png", "neither a data URL nor an http(s) URL ('ftp://example.com/a.png')"),
    ],
)
def test_broken_images_fail_with_their_path(value: str, message: str) -> None:
    assert problems(None, completion(value)) == [("$.choices[0].message.images[0].image_url.url", message)]


def test_an_https_image_url_passes_unread() -> None:
    check_chat_reply(validate_request("chat", ask()), completion("https://cdn.example.com/a.png"))


def test_image_output_asked_means_an_image_when_the_choice_stopped() -> None:
    request = validate_request("chat", ask())
    assert problems(request, completion()) == [
        (
            "$.choices[0].message.images",
            "no image, but the request asked for image output (modalities ['image', 'text']) and the choice "
            "finished with 'stop'",
        )
    ]
    check_chat_reply(request, completion(finish="content_filter"))
    check_chat_reply(validate_request("chat", ask(modalities=["text"])), completion())


def test_the_image_has_the_aspect_ratio_asked() -> None:
    request = validate_request("chat", ask(image_config={"aspect_ratio": "16:9"}))
    check_chat_reply(request, completion(url(size=(1344, 768))))
    assert problems(request, completion(url(size=(64, 64)))) == [
        (
            "$.choices[0].message.images[0].image_url.url",
            "image is 64x64 (1.00:1), but the request asked aspect ratio 16:9 (the model draws 1344x768 for it)",
        )
    ]


def test_a_stream_for_a_json_request_and_json_for_a_stream_request() -> None:
    assert ("$", "the request asked for a stream (stream=true) but the reply is one JSON body") in problems(
        validate_request("chat", ask(stream=True)), completion(url())
    )
    stream = [chunk({"images": [image(url())]}), chunk({}, "stop")]
    assert problems(validate_request("chat", ask()), stream) == [
        ("$", "the reply is a stream, but the request did not ask for one (stream=true)")
    ]


# --- streams ---------------------------------------------------------------------------------------------


def stream_of(*, done: bool = True) -> list[Any]:
    events: list[Any] = [
        chunk({"role": "assistant", "content": "here"}),
        chunk({"images": [image(url())]}),
        chunk({}, "stop"),
    ]
    return [*events, "[DONE]"] if done else events


def test_a_sound_stream_passes_from_the_wire_and_from_the_sdk() -> None:
    request = validate_request("chat", ask(stream=True))
    check_chat_reply(request, stream_of(), wire=True)
    check_chat_reply(request, stream_of(done=False))  # the SDK consumes [DONE] itself
    check_reply(request, stream_of(done=False))


def test_a_stream_cut_before_its_end_fails_at_the_stream_s_path() -> None:
    request = validate_request("chat", ask(stream=True))
    assert problems(request, stream_of(done=False)[:2], wire=True) == [
        ("$", "choice 0 never got a finish_reason: the stream was cut before its end"),
        ("$", "no data: [DONE] at the end: the stream was cut before its end"),
    ]
    assert problems(request, stream_of(done=False), wire=True) == [
        ("$", "no data: [DONE] at the end: the stream was cut before its end")
    ]


def test_nothing_after_done_or_after_the_finish_reason() -> None:
    request = validate_request("chat", ask(stream=True))
    late = [*stream_of(), chunk({"content": "more"})]
    assert problems(request, late, wire=True) == [
        ("$[4]", "chunk after the stream's data: [DONE] ($[3])"),
        ("$[4].choices[0].delta", "content after the choice's finish_reason ($[2])"),
    ]


def test_a_stream_image_is_checked_where_it_sits_and_missing_images_are_reported() -> None:
    request = validate_request("chat", ask(stream=True))
    lying = [chunk({"images": [image(url("jpeg", declared="image/png"))]}), chunk({}, "stop"), "[DONE]"]
    assert problems(request, lying, wire=True) == [
        (
            "$[0].choices[0].delta.images[0].image_url.url",
            "declares image/png, but the bytes are a jpeg image (image/jpeg)",
        )
    ]
    no_image = [chunk({"content": "sorry"}), chunk({}, "stop"), "[DONE]"]
    assert problems(request, no_image, wire=True) == [
        (
            "$[1]",
            "no image, but the request asked for image output (modalities ['image', 'text']) and the choice finished with 'stop'",
        )
    ]


def test_a_gateway_s_mid_stream_error_ends_a_stream() -> None:
    request = validate_request("chat", ask(stream=True))
    events = [chunk({"content": "here"}), {"error": {"message": "Provider disconnected", "code": 502}}]
    check_chat_reply(request, events, wire=True)


def test_schema_problems_carry_their_chunk_s_path() -> None:
    broken = [chunk({"images": [{"type": "image_url"}]}), chunk({}, "stop")]
    assert problems(None, broken) == [
        ("$[0].choices[0].delta.images[0].image_url", "required field is missing")
    ]


# --- error replies ---------------------------------------------------------------------------------------


def test_error_envelopes_of_openai_and_of_the_gateways_pass() -> None:
    check_chat_error_reply(
        {"error": {"message": "bad", "type": "invalid_request_error", "param": None, "code": None}}
    )
    check_chat_error_reply(
        {"error": {"message": "Provider returned error", "code": 400, "metadata": {"raw": "x"}}}
    )
    with pytest.raises(SchemaAssertionError) as info:
        check_chat_error_reply({"error": {"code": 400}})
    assert info.value.problems == [("$.error.message", "required field is missing")]
