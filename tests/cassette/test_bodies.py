"""bodies.py: content decoding, BODY parsing and rendering on real wire formats."""

from __future__ import annotations

import base64
import gzip
import io
import itertools
import json
import zlib
from collections.abc import Callable
from typing import Any

import pytest
import python_multipart
from hypothesis import given, settings
from hypothesis import strategies as st
from openai._streaming import SSEDecoder

from pytest_imagegen.wire.bodies import decode_content, parse_body, render_body, stored_headers
from pytest_imagegen.wire.sse import render_sse_events, sse_event_offsets

IMAGES_RESPONSE = {
    "created": 1763700000,
    "data": [{"b64_json": "iVBORw0KGgo=", "revised_prompt": None}],
    "background": "opaque",
    "output_format": "png",
    "size": "1024x1024",
    "quality": "low",
    "usage": {
        "input_tokens": 12,
        "output_tokens": 272,
        "total_tokens": 284,
        "input_tokens_details": {"text_tokens": 12, "image_tokens": 0},
    },
}
JSON_HEADERS = {"content-type": ["application/json"]}


# -------------------------------------------------------------------------------------------- decode_content


def test_decode_gzip_json_drops_encoding_and_length() -> None:
    raw = gzip.compress(json.dumps(IMAGES_RESPONSE).encode())
    headers = {
        "Content-Type": ["application/json"],
        "Content-Encoding": ["gzip"],
        "Content-Length": [str(len(raw))],
        "x-request-id": ["req_0123"],
    }
    content, out = decode_content(headers, raw)
    assert json.loads(content) == IMAGES_RESPONSE
    assert out == {"content-type": ["application/json"], "x-request-id": ["req_0123"]}
    assert parse_body(out, content) == {"json": IMAGES_RESPONSE}


def test_decode_streamed_gzip_and_both_deflate_flavours() -> None:
    payload = json.dumps(IMAGES_RESPONSE).encode()
    streaming = zlib.compressobj(wbits=31)  # gzip framing written in pieces, as a server streams it
    gz = b"".join([streaming.compress(payload[:50]), streaming.compress(payload[50:]), streaming.flush()])
    assert decode_content({"content-encoding": ["gzip"]}, gz)[0] == payload
    assert decode_content({"content-encoding": ["deflate"]}, zlib.compress(payload))[0] == payload
    raw_deflate = zlib.compressobj(wbits=-15)
    body = raw_deflate.compress(payload) + raw_deflate.flush()
    assert decode_content({"content-encoding": ["deflate"]}, body)[0] == payload


def test_decode_stacked_encodings_in_reverse_order() -> None:
    payload = b'{"ok":true}'
    # "deflate, gzip": deflate was applied first, then gzip; undo gzip first.
    wire = gzip.compress(zlib.compress(payload))
    assert decode_content({"content-encoding": ["deflate, gzip"]}, wire)[0] == payload
    assert decode_content({"content-encoding": ["deflate", "gzip"]}, wire)[0] == payload
    assert decode_content({"content-encoding": ["identity"]}, payload) == (payload, {})


def test_decode_refuses_bodies_not_encoded_as_claimed() -> None:
    with pytest.raises(ValueError, match="gzip"):
        decode_content({"content-encoding": ["gzip"]}, b'{"already": "decoded"}')
    with pytest.raises(ValueError, match="deflate"):
        decode_content({"content-encoding": ["deflate"]}, b"plain text")
    with pytest.raises(ValueError, match="unsupported content-encoding 'zstd'"):
        decode_content({"content-encoding": ["zstd"]}, b"\x28\xb5\x2f\xfd")
    assert decode_content({"content-encoding": ["gzip"]}, b"") == (b"", {})


def test_decode_brotli_needs_the_package() -> None:
    try:
        import brotli  # type: ignore[import-not-found,unused-ignore]  # optional, untyped
    except ImportError:
        with pytest.raises(ValueError, match="brotli"):
            decode_content({"content-encoding": ["br"]}, b"\x0b\x02\x80{}\x03")
    else:
        assert decode_content({"content-encoding": ["br"]}, brotli.compress(b"{}"))[0] == b"{}"


# ---------------------------------------------------------------------------------------- JSON, text, binary


def test_json_variants_and_fallbacks(make_image: Callable[..., bytes]) -> None:
    assert parse_body({"content-type": ["application/json; charset=utf-8"]}, b'{"a": [1, 2.5, null]}') == {
        "json": {"a": [1, 2.5, None]}
    }
    assert parse_body({"content-type": ["application/problem+json"]}, b"[1]") == {"json": [1]}
    # Text that is a JSON document is JSON even without a JSON content-type.
    assert parse_body({"content-type": ["text/plain"]}, b' {"error": "x"}') == {"json": {"error": "x"}}
    assert parse_body({}, b'{"a": 1}') == {"json": {"a": 1}}
    # A proxy's HTML error page under a JSON content-type stays text, byte for byte.
    html = b"<html><body>502 Bad Gateway</body></html>"
    assert parse_body(JSON_HEADERS, html) == {"string": html.decode()}
    assert parse_body({"content-type": ["text/plain"]}, b"plain words") == {"string": "plain words"}
    blob = bytes(range(256))
    assert parse_body({"content-type": ["application/octet-stream"]}, blob) == {
        "base64": base64.b64encode(blob).decode()
    }
    assert parse_body({"content-type": ["application/json"]}, b"") == {}
    png = make_image("png")
    expected = {"image": {"base64": base64.b64encode(png).decode()}}
    assert parse_body({"content-type": ["image/png"]}, png) == expected
    # A dall-e blob download is sometimes served as octet-stream: the magic number decides.
    assert parse_body({"content-type": ["application/octet-stream"]}, png) == expected


def test_render_json_is_compact_with_length_and_type() -> None:
    data, headers = render_body(
        {"json": IMAGES_RESPONSE}, {"x-request-id": ["req_1"], "content-length": ["9"]}
    )
    assert data == json.dumps(IMAGES_RESPONSE, separators=(",", ":")).encode()
    assert headers == {
        "x-request-id": ["req_1"],
        "content-type": ["application/json"],
        "content-length": [str(len(data))],
    }
    # A recorded content-type (with charset) is kept.
    _, headers = render_body({"json": {"é": "ü"}}, {"content-type": ["application/json; charset=utf-8"]})
    assert headers["content-type"] == ["application/json; charset=utf-8"]


@pytest.mark.parametrize(
    ("body", "headers", "expected"),
    [
        ({}, {}, b""),
        ({"string": "héllo"}, {"content-type": ["text/html"]}, "héllo".encode()),
        ({"base64": base64.b64encode(b"\x00\xff").decode()}, {}, b"\x00\xff"),
    ],
)
def test_render_other_kinds(body: dict[str, Any], headers: dict[str, list[str]], expected: bytes) -> None:
    data, out = render_body(body, {**headers, "transfer-encoding": ["chunked"], "content-encoding": ["gzip"]})
    assert data == expected
    assert out["content-length"] == [str(len(expected))]
    assert "transfer-encoding" not in out
    assert "content-encoding" not in out


def test_render_refuses_placeholders() -> None:
    facts = {"format": "png", "width": 8, "height": 8, "mode": "RGB", "sha256": "0" * 64, "bytes": 99}
    bodies: list[dict[str, Any]] = [
        {"json": {"data": [{"b64_json": {"placeholder": facts}}]}},
        {"sse": [{"event": None, "data": {"b64_json": {"placeholder": facts}}, "offset_ms": None}]},
        {
            "multipart": [
                {"name": "image", "filename": "a.png", "content_type": None, "file": {"placeholder": facts}}
            ]
        },
        {"image": {"placeholder": facts}},
    ]
    for body in bodies:
        with pytest.raises(ValueError, match="expand_body"):
            render_body(body, {})


# ------------------------------------------------------------------------------------------------------- SSE

SSE_WITH_EVENTS = (
    b"event: image_generation.partial_image\n"
    b'data: {"type":"image_generation.partial_image","b64_json":"AAAA","partial_image_index":0}\n\n'
    b": keep-alive comment\n\n"
    b"event: image_generation.completed\n"
    b'data: {"type":"image_generation.completed","b64_json":"BBBB",'
    b'"usage":{"total_tokens":3,"input_tokens":1,"output_tokens":2,'
    b'"input_tokens_details":{"text_tokens":1,"image_tokens":0}}}\n\n'
)
SSE_HEADERS = {"content-type": ["text/event-stream; charset=utf-8"]}


def test_sse_with_event_lines() -> None:
    body = parse_body(SSE_HEADERS, SSE_WITH_EVENTS)
    events = body["sse"]
    assert [e["event"] for e in events] == ["image_generation.partial_image", "image_generation.completed"]
    assert events[0] == {
        "event": "image_generation.partial_image",
        "data": {"type": "image_generation.partial_image", "b64_json": "AAAA", "partial_image_index": 0},
        "offset_ms": None,
    }
    assert events[1]["data"]["usage"]["total_tokens"] == 3
    # Rendering gives back the wire form, comment aside.
    assert render_body(body, SSE_HEADERS)[0] == SSE_WITH_EVENTS.replace(b": keep-alive comment\n\n", b"")


def test_sse_without_event_lines_done_and_crlf() -> None:
    raw = (
        b'data: {"type":"image_edit.partial_image","b64_json":"AAAA","partial_image_index":0}\r\n\r\n'
        b'data: {"type":"image_edit.completed","b64_json":"BBBB"}\r\n\r\n'
        b"data: [DONE]\r\n\r\n"
    )
    events = parse_body(SSE_HEADERS, raw)["sse"]
    assert [e["event"] for e in events] == [None, None, None]
    assert events[2] == {"event": None, "data": "[DONE]", "offset_ms": None}
    chunks = render_sse_events({"sse": events})
    assert chunks[1] == b'data: {"type":"image_edit.completed","b64_json":"BBBB"}\n\n'
    assert chunks[2] == b"data: [DONE]\n\n"  # reproduced as recorded, never added
    assert b"".join(chunks) == raw.replace(b"\r\n", b"\n")


def test_sse_field_rules() -> None:
    raw = (
        b"\xef\xbb\xbfid: 7\rretry: 1500\revent:multi\rdata: line one\rdata:line two\r\r"  # BOM, CR only
        b'data: "a JSON string"\n\n'
        b"retry: soon\nunknown: field\ndata\n\n"  # bad retry ignored, field without colon = empty value
        b"event: dangling\ndata: never terminated"
    )
    events = parse_body(SSE_HEADERS, raw)["sse"]
    assert events == [
        {"event": "multi", "data": "line one\nline two", "offset_ms": None, "id": "7", "retry": 1500},
        {"event": None, "data": '"a JSON string"', "offset_ms": None},
        {"event": None, "data": "", "offset_ms": None},
    ]
    again = parse_body(SSE_HEADERS, render_body({"sse": events}, SSE_HEADERS)[0])["sse"]
    assert again == events


def test_sse_render_is_what_the_openai_sdk_reads() -> None:
    body = parse_body(SSE_HEADERS, SSE_WITH_EVENTS)
    decoded = list(SSEDecoder().iter_bytes(iter(render_sse_events(body))))
    assert [s.event for s in decoded] == [e["event"] for e in body["sse"]]
    assert [s.json() for s in decoded] == [e["data"] for e in body["sse"]]


def test_sse_arrival_offsets() -> None:
    # Chunks cut mid-line and mid-CRLF, as a socket delivers them.
    raw = b'event: a\r\ndata: {"n":1}\r\n\r\ndata: {"n":2}\r\n\r\ndata: {"n":3}\r\n\r\n'
    cut = [0, 14, 26, 30, 55, len(raw)]
    chunks = [(float(i * 10), raw[a:b]) for i, (a, b) in enumerate(itertools.pairwise(cut))]
    offsets = sse_event_offsets(chunks)
    # Event 1 completes at the CR that ends chunk 1 (its LF arrives in chunk 2), as the SDK dispatches it.
    assert offsets == [10.0, 30.0, 40.0]
    body = parse_body(SSE_HEADERS, raw, arrival_offsets_ms=offsets)
    assert [e["offset_ms"] for e in body["sse"]] == offsets
    with pytest.raises(ValueError, match="4 arrival offsets"):
        parse_body(SSE_HEADERS, raw, arrival_offsets_ms=[1, 2, 3, 4])


_sse_lines = st.lists(
    st.one_of(
        st.sampled_from(
            ["", "", ": comment", "event: image_generation.completed", "id: 3", "retry: 10", "data"]
        ),
        st.builds(
            lambda s: f"data: {s}", st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)
        ),
        st.builds(lambda n: f'data: {{"n":{n}}}', st.integers()),
    ),
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(lines=_sse_lines, ending=st.sampled_from(["\n", "\r", "\r\n"]))
def test_sse_parser_agrees_with_the_openai_sdk(lines: list[str], ending: str) -> None:
    raw = (ending.join(lines) + ending).encode()
    ours = parse_body(SSE_HEADERS, raw)
    theirs = list(SSEDecoder().iter_bytes(iter([raw])))
    events = ours.get("sse", [])
    assert [e["event"] for e in events] == [s.event for s in theirs]
    for mine, sdk in zip(events, theirs, strict=True):
        expected = sdk.data if isinstance(mine["data"], str) else json.loads(sdk.data)
        assert mine["data"] == expected
    # What we render, the SDK reads back the same.
    if events:
        rendered = list(SSEDecoder().iter_bytes(iter(render_sse_events(ours))))
        assert [(s.event, _data(s.data)) for s in rendered] == [(s.event, _data(s.data)) for s in theirs]


def _data(text: str) -> Any:
    """Event data as the cassette stores it: JSON when it parses (whitespace does not matter), else text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


# ------------------------------------------------------------------------------------------------- multipart


def _read_form(data: bytes, headers: dict[str, list[str]]) -> list[tuple[str, str | None, bytes]]:
    """Parse with python-multipart, an independent parser: (name, filename, bytes) per part."""
    parts: list[tuple[str, str | None, bytes]] = []

    def on_field(field: Any) -> None:
        parts.append((field.field_name.decode(), None, field.value or b""))

    def on_file(file: Any) -> None:
        file.file_object.seek(0)
        parts.append((file.field_name.decode(), file.file_name.decode(), file.file_object.read()))

    python_multipart.parse_form(
        {"Content-Type": headers["content-type"][0].encode()}, io.BytesIO(data), on_field, on_file
    )
    return parts


def test_multipart_from_httpx_two_images_and_a_mask(
    make_image: Callable[..., bytes], multipart_upload: Callable[..., Any]
) -> None:
    first, second, mask = make_image("png"), make_image("webp"), make_image("png", mode="RGBA")
    raw, headers = multipart_upload(
        {"prompt": "add a red hat ✓", "model": "gpt-image-1.5", "n": "2", "stream": "false"},
        [
            ("image[]", ("first.png", first, "image/png")),
            ("image[]", ("second.webp", second, "image/webp")),
            ("mask", ("mask.png", mask, "image/png")),
        ],
    )
    body = parse_body(headers, raw)
    parts = body["multipart"]
    assert parts[:4] == [
        {"name": "prompt", "value": "add a red hat ✓"},
        {"name": "model", "value": "gpt-image-1.5"},
        {"name": "n", "value": "2"},
        {"name": "stream", "value": "false"},
    ]
    files = [
        (p["name"], p["filename"], p["content_type"], base64.b64decode(p["file"]["base64"]))
        for p in parts[4:]
    ]
    assert files == [
        ("image[]", "first.png", "image/png", first),
        ("image[]", "second.webp", "image/webp", second),
        ("mask", "mask.png", "image/png", mask),
    ]

    data, out = render_body(body, stored_headers(headers))
    old_boundary = headers["content-type"][0].split("boundary=")[1]
    assert old_boundary.encode() not in data  # a fresh boundary
    assert out["content-type"][0].startswith("multipart/form-data; boundary=")
    assert out["content-length"] == [str(len(data))]
    assert _read_form(data, out) == [
        ("prompt", None, "add a red hat ✓".encode()),
        ("model", None, b"gpt-image-1.5"),
        ("n", None, b"2"),
        ("stream", None, b"false"),
        ("image[]", "first.png", first),
        ("image[]", "second.webp", second),
        ("mask", "mask.png", mask),
    ]
    assert parse_body(out, data) == body  # consistent: render then parse is the identity
    again, again_headers = render_body(body, {})  # deterministic
    assert (again, again_headers["content-type"]) == (data, out["content-type"])


def test_multipart_odd_names_and_non_utf8_field(multipart_upload: Callable[..., Any]) -> None:
    raw, headers = multipart_upload(
        {'say "hi"': "x", "naïve": "ÿ"},
        [("file", ("we\\ird.bin", b"\xff\x00\r\n--", "application/octet-stream"))],
    )
    body = parse_body(headers, raw)
    assert [p["name"] for p in body["multipart"]] == ["say %22hi%22", "naïve", "file"]
    assert body["multipart"][2]["filename"] == "we\\ird.bin"
    data, out = render_body(body, {})
    assert parse_body(out, data) == body
    # A part without filename whose bytes are not UTF-8 stays a file part (filename None), byte for byte.
    boundary = "b0undary"
    odd = f'--{boundary}\r\nContent-Disposition: form-data; name="blob"\r\n\r\n'.encode() + b"\xff\xfe\r\n"
    odd += f"--{boundary}--\r\n".encode()
    parsed = parse_body({"content-type": [f"multipart/form-data; boundary={boundary}"]}, odd)
    assert parsed == {
        "multipart": [
            {
                "name": "blob",
                "filename": None,
                "content_type": None,
                "file": {"base64": base64.b64encode(b"\xff\xfe").decode()},
            }
        ]
    }
    data, out = render_body(parsed, {})
    assert parse_body(out, data) == parsed


def test_malformed_multipart_is_kept_raw() -> None:
    raw = b'--other\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--other--\r\n'
    headers = {"content-type": ["multipart/form-data; boundary=expected"]}
    body = parse_body(headers, raw)
    assert body == {"string": raw.decode()}
    assert render_body(body, stored_headers(headers))[0] == raw
    # Cut short (no closing boundary): kept raw as well, never half-parsed.
    truncated = raw.replace(b"other", b"expected")[:-12]
    assert parse_body(headers, truncated) == {"string": truncated.decode()}


def test_stored_headers_drop_framing_and_boundary() -> None:
    headers = {
        "Content-Type": ["multipart/form-data; boundary=abc123"],
        "Content-Length": ["10"],
        "Content-Encoding": ["gzip"],
        "Transfer-Encoding": ["chunked"],
        "X-Stainless-Lang": ["python"],
    }
    assert stored_headers(headers) == {
        "content-type": ["multipart/form-data"],
        "x-stainless-lang": ["python"],
    }
