"""Image payloads of every API shape through the shared cassette machinery: trim, expand, redact, leaks.

Pure: bodies in the stored form, built from real Pillow images. What must hold for the Responses API's
places (``result``, ``partial_image_b64``, ``input_image`` data URLs, the final image repeated in
``response.completed``) as for the Images API's ``b64_json``: each image becomes a placeholder that
expands to an image of the same format, size and mode; a data URL keeps its exact prefix; a repeated image
is stored once; redaction neither searches nor changes an image payload; the leak scan skips them but
still finds a secret next to them.
"""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from PIL import Image

from pytest_imagegen.contract.bedrock import BEDROCK
from pytest_imagegen.contract.shapes import CHAT, GEMINI, IMAGES, RESPONSES, SHAPES, declared_images, shape_of
from pytest_imagegen.safety import redact, redact_rules
from pytest_imagegen.safety.leaks import scan_for_leaks
from pytest_imagegen.safety.trim import (
    expand_body,
    iter_image_facts,
    may_hold_images,
    trim_body,
    trim_interaction,
    trimmed_bytes,
)
from pytest_imagegen.wire.bodies import parse_body
from pytest_imagegen.wire.payloads import image_payload, is_image_ref, is_placeholder

MakeImage = Callable[..., bytes]


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def opened(text: str) -> tuple[str | None, tuple[int, int], str]:
    raw = base64.b64decode(text)
    with Image.open(io.BytesIO(raw)) as img:
        img.load()
        return img.format, img.size, img.mode


def responses_stream(final: str, partials: list[str]) -> dict[str, Any]:
    """A stored Responses stream body whose final image is sent twice, as the service does."""
    item = {"id": "ig_1", "type": "image_generation_call", "status": "completed", "result": final}
    events: list[dict[str, Any]] = [{"type": "response.created", "response": {"id": "resp_1", "output": []}}]
    events += [
        {
            "type": "response.image_generation_call.partial_image",
            "partial_image_b64": p,
            "partial_image_index": i,
        }
        for i, p in enumerate(partials)
    ]
    events += [
        {"type": "response.output_item.done", "output_index": 0, "item": item},
        {"type": "response.completed", "response": {"id": "resp_1", "output": [dict(item)]}},
    ]
    return {"sse": [{"event": e["type"], "data": e, "offset_ms": None} for e in events]}


# --- the head check ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp", "gif"])
def test_image_payload_knows_bare_base64_and_data_urls(make_image: MakeImage, fmt: str) -> None:
    text = b64(make_image(fmt))
    assert image_payload(text) == ("", text)
    url = f"data:image/{fmt};base64,{text}"
    assert image_payload(url) == (f"data:image/{fmt};base64,", text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "a prompt about iVBORw0KGgo",
        "data:text/plain;base64,aGVsbG8=",
        "data:image/png,not-base64",
        "iVBORw0KGgoAAAAN***",
        b64(b"RIFF\x00\x00\x00\x00WAVEfmt "),  # RIFF, but not WebP
        "https://example.com/cat.png",
    ],
)
def test_image_payload_refuses_what_is_not_one(text: str) -> None:
    assert image_payload(text) is None


def test_may_hold_images_is_a_superset_test(make_image: MakeImage) -> None:
    assert may_hold_images(
        json.dumps({"image_url": "data:image/jpeg;base64," + b64(make_image("jpeg"))}).encode()
    )
    assert may_hold_images(b'{"a": "\\/9j\\/4AAQ"}')  # "/" escaped by a JSON encoder
    assert not may_hold_images(
        b'{"model": "gpt-5", "input": "a cat", "tools": [{"type": "image_generation"}]}'
    )


# --- trimming every place of the Responses shape ---------------------------------------------------------


def test_json_reply_result_becomes_a_placeholder_and_expands_back(make_image: MakeImage) -> None:
    raw = make_image("webp", (80, 40), "RGBA")
    body = {"json": {"object": "response", "output": [{"type": "image_generation_call", "result": b64(raw)}]}}
    trimmed = trim_body(body)
    facts = trimmed["json"]["output"][0]["result"]["placeholder"]
    assert (facts["format"], facts["width"], facts["height"], facts["mode"], facts["bytes"]) == (
        "webp",
        80,
        40,
        "RGBA",
        len(raw),
    )
    assert opened(expand_body(trimmed)["json"]["output"][0]["result"]) == ("WEBP", (80, 40), "RGBA")


def test_stream_partials_and_the_final_image_stored_once(make_image: MakeImage) -> None:
    final = b64(make_image("png", (64, 64), "RGB"))
    partials = [b64(make_image("png", (64, 64), mode)) for mode in ("L", "RGBA")]
    trimmed = trim_body(responses_stream(final, partials))
    events = [e["data"] for e in trimmed["sse"]]
    assert all(is_placeholder(e["partial_image_b64"]) for e in events[1:3])
    done, completed = events[3]["item"]["result"], events[4]["response"]["output"][0]["result"]
    assert is_placeholder(done)
    assert not is_image_ref(done)
    assert completed == {"placeholder": {"same_as": done["placeholder"]["sha256"]}}
    expanded = [e["data"] for e in expand_body(trimmed)["sse"]]
    assert expanded[4]["response"]["output"][0]["result"] == expanded[3]["item"]["result"]
    assert [opened(e["partial_image_b64"]) for e in expanded[1:3]] == [
        ("PNG", (64, 64), "L"),
        ("PNG", (64, 64), "RGBA"),
    ]
    # Facts and savings see the reference as the image it stands for.
    paths = [path for path, _ in iter_image_facts(trimmed)]
    assert paths[-1] == "sse[4].data.response.output[0].result"
    assert len(paths) == 4


def test_request_data_urls_keep_their_exact_prefix_even_when_it_lies(make_image: MakeImage) -> None:
    png = make_image("png", (48, 32), "RGB")
    url = "data:image/JPEG;base64," + b64(png)  # says JPEG, holds PNG
    body = {
        "json": {
            "model": "gpt-5",
            "input": [{"role": "user", "content": [{"type": "input_image", "image_url": url}]}],
            "tools": [
                {
                    "type": "image_generation",
                    "input_image_mask": {"image_url": "data:image/png;base64," + b64(png)},
                }
            ],
        }
    }
    trimmed = trim_body(body)
    image = trimmed["json"]["input"][0]["content"][0]["image_url"]["placeholder"]
    assert (image["prefix"], image["format"]) == ("data:image/JPEG;base64,", "png")
    # The mask is the same picture behind another prefix: a reference that keeps its own prefix.
    mask = trimmed["json"]["tools"][0]["input_image_mask"]["image_url"]
    assert mask == {"placeholder": {"same_as": image["sha256"], "prefix": "data:image/png;base64,"}}
    expanded = expand_body(trimmed)["json"]
    back = expanded["input"][0]["content"][0]["image_url"]
    assert back.startswith("data:image/JPEG;base64,")
    assert opened(back.split(",", 1)[1]) == ("PNG", (48, 32), "RGB")
    assert expanded["tools"][0]["input_image_mask"]["image_url"].startswith("data:image/png;base64,")


def test_trimming_is_idempotent_and_keep_keeps(make_image: MakeImage) -> None:
    body = responses_stream(b64(make_image("jpeg", (40, 40))), [b64(make_image("jpeg", (40, 40), "L"))])
    once = trim_body(body)
    assert trim_body(once) == once
    assert trim_body(body, keep=True) == body


def test_strings_that_are_not_images_stay(make_image: MakeImage) -> None:
    document = {
        "input": "draw iVBORw0KGgo in big letters",
        "result": b64(b"<svg xmlns='http://www.w3.org/2000/svg'/>"),  # an SVG result: not a raster image
        "image_url": "https://example.com/a.png",
        "broken": "iVBORw0KGgo" + "A" * 40,
    }
    assert trim_body({"json": document}) == {"json": document}


def test_trimmed_bytes_counts_prefixes_and_references(make_image: MakeImage) -> None:
    final = b64(make_image("png", (64, 64)))
    interaction = {"request": {}, "response": {"body": trim_body(responses_stream(final, []))}}
    saved = trimmed_bytes(interaction)
    assert saved > 2 * len(final) - 600  # both copies of the final image saved, less two small placeholders


def test_every_declared_place_holds_a_placeholder_after_trimming(make_image: MakeImage) -> None:
    image = b64(make_image("png", (16, 16)))
    request = {
        "input": [
            {
                "role": "user",
                "content": [{"type": "input_image", "image_url": "data:image/png;base64," + image}],
            },
            {"type": "image_generation_call", "id": "ig_0", "result": image},
        ],
        "tools": [
            {"type": "image_generation", "input_image_mask": {"image_url": "data:image/png;base64," + image}}
        ],
    }
    trimmed = trim_interaction(
        {
            "request": {"body": {"json": request}},
            "response": {"body": responses_stream(image, [image])},
        }
    )
    documents = [trimmed["request"]["body"]["json"], *(e["data"] for e in trimmed["response"]["body"]["sse"])]
    found = [(path, value) for document in documents for path, value in declared_images(RESPONSES, document)]
    assert len(found) == 6  # three in the request; a partial, the done item and the final response
    assert all(is_placeholder(value) for _, value in found), found


def test_shapes_are_told_by_path() -> None:
    assert shape_of("https://api.openai.com/v1/responses") is RESPONSES
    assert shape_of("https://x.openai.azure.com/openai/v1/responses?api-version=preview") is RESPONSES
    assert shape_of("https://api.openai.com/v1/images/edits") is IMAGES
    assert shape_of("https://api.openai.com/v1/responses/resp_1/input_items") is None
    assert shape_of("https://blob.example.com/private/img.png") is None
    assert shape_of("https://openrouter.ai/api/v1/chat/completions") is CHAT
    gemini = "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash-image"
    assert shape_of(f"{gemini}:generateContent") is GEMINI
    assert shape_of(f"{gemini}:streamGenerateContent?alt=sse&key=REDACTED") is GEMINI
    assert shape_of(f"{gemini}:countTokens") is None
    assert shape_of(gemini.replace("gemini-2.5-flash-image", "imagen-4.0-generate-001:predict")) is GEMINI
    bedrock = "https://bedrock-runtime.us-east-1.amazonaws.com/model/amazon.nova-canvas-v1%3A0"
    assert shape_of(f"{bedrock}/invoke") is BEDROCK
    assert shape_of(f"{bedrock}/converse") is None
    assert shape_of("https://api.eu4.bfl.ai/v1/get_result?id=1") is not None
    assert shape_of("https://v3.fal.media/files/rabbit/a.png") is None  # a CDN download: no shape
    polled = ["bfl", "fal", "replicate", "stability"]
    assert [shape.name for shape in SHAPES] == ["images", "responses", "chat", "gemini", "bedrock", *polled]


# --- redaction and the leak scan -------------------------------------------------------------------------


def test_redaction_never_changes_an_image_payload(make_image: MakeImage) -> None:
    """A user pattern that matches inside base64 must not touch the image (it would corrupt it)."""
    image = b64(make_image("png", (64, 64)))
    inside = image[100:112]
    rules = redact_rules.RedactionRules(patterns=(re.escape(inside),), values=(image[200:220],))
    body = responses_stream(image, [image])
    request_body = {
        "json": {
            "input": [{"content": [{"type": "input_image", "image_url": "data:image/png;base64," + image}]}]
        }
    }
    interaction = {
        "request": {"method": "POST", "uri": "https://api.openai.com/v1/responses", "body": request_body},
        "response": {"status": {"code": 200}, "body": body},
    }
    out, _ = redact.redact_interaction(interaction, rules)
    assert out["response"]["body"] == body
    assert out["request"]["body"] == request_body


def test_a_secret_next_to_an_image_is_still_redacted(make_image: MakeImage) -> None:
    key = "sk-proj-" + "Q" * 40
    image = b64(make_image("png", (16, 16)))
    body = {"json": {"output": [{"result": image, "revised_prompt": f"use {key}"}]}}
    out, _ = redact.redact_interaction({"response": {"status": {"code": 200}, "body": body}})
    item = out["response"]["body"]["json"]["output"][0]
    assert item["result"] == image
    assert key not in item["revised_prompt"]


def test_leak_scan_skips_images_but_finds_secrets_beside_them(make_image: MakeImage) -> None:
    secret = "CANARYVALUE-0123456789"
    image = b64(make_image("png", (16, 16)))
    interaction = {
        "request": {
            "body": {"json": {"input": [{"content": [{"image_url": "data:image/png;base64," + image}]}]}}
        },
        "response": {"body": {"json": {"output": [{"result": image, "note": secret}]}}},
    }
    findings = scan_for_leaks([interaction], secrets=[secret])
    assert [path for _, path, _ in findings] == ["response.body.json.output[0].note"]


def test_parsed_sse_of_the_responses_shape_trims_by_content(make_image: MakeImage) -> None:
    image = b64(make_image("gif", (20, 20), "P"))
    event = {"type": "response.image_generation_call.partial_image", "partial_image_b64": image}
    raw = f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()
    body = parse_body({"content-type": "text/event-stream"}, raw)
    trimmed = trim_body(body)
    assert trimmed["sse"][0]["data"]["partial_image_b64"]["placeholder"]["format"] == "gif"
