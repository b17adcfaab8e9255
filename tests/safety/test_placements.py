"""Placements the redaction rules missed (issue 11, break 4): each was stored verbatim and the leak scan
stayed silent.

Every case builds the interaction as the recorder sees it, redacts it the way the recorder does, and
checks three things: the secret is gone from the stored form, the leak scan is quiet on what is stored,
and the same scan does see the secret in the unredacted form (so a rule that stopped working would be
caught before a write).
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai
import pytest
from PIL import Image, PngImagePlugin

from pytest_imagegen.emulator import Emulator
from pytest_imagegen.safety.image_text import metadata_texts
from pytest_imagegen.safety.leaks import scan_for_leaks
from pytest_imagegen.safety.redact import redact_interaction
from pytest_imagegen.wire.bodies import parse_body
from tests.engine.conftest import DEAD_BASE_URL, KEY, Tape
from tests.safety.fakes import fake_google, fake_key, fake_sig

SIG = fake_sig("p")
FN_KEY = "FAKEfunctionKEY" + "-q7Z3xR9mW2pL5vN8bT4k=="  # an Azure Functions key, as ?code= carries it
SESSION = "FAKEsession" + "Qx6Rz1Ww9Kp3Ld7Ms"


def interaction(
    *,
    uri: str = "https://api.example.com/v1/images/generations",
    request_headers: dict[str, list[str]] | None = None,
    request_body: dict[str, Any] | None = None,
    response_headers: dict[str, list[str]] | None = None,
    response_body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "request": {
            "method": "POST",
            "uri": uri,
            "headers": request_headers or {},
            "body": request_body or {},
        },
        "response": {
            "status": {"code": 200, "message": "OK"},
            "headers": response_headers or {},
            "body": response_body or {},
        },
    }


def assert_removed(raw: dict[str, Any], *secrets: str) -> dict[str, Any]:
    """Redact ``raw``; the secrets are gone, the scan is quiet on the result and not on ``raw``."""
    stored, found = redact_interaction(raw)
    text = json.dumps(stored)
    for secret in secrets:
        assert secret not in text, secret
    assert scan_for_leaks([stored], secrets=found) == []
    assert scan_for_leaks([raw], secrets=found | set(secrets)) != []
    return stored


def test_azure_functions_code_in_the_uri_and_its_echo() -> None:
    uri = f"https://imagefn.azurewebsites.net/api/generate?code={FN_KEY}&n=1"
    stored = assert_removed(
        interaction(uri=uri, response_body={"json": {"error": {"message": f"bad call to {uri}"}}}), FN_KEY
    )
    assert stored["request"]["uri"] == "https://imagefn.azurewebsites.net/api/generate?code=REDACTED&n=1"


@pytest.mark.parametrize("name", ["x-signature", "Signature", "x-hub-signature-256", "x-request-hmac"])
def test_signature_headers(name: str) -> None:
    value = f"sig1=:{SIG}:" if name == "Signature" else SIG
    stored = assert_removed(
        interaction(request_headers={name: [value]}, response_headers={name: [value]}), SIG
    )
    assert stored["request"]["headers"][name] == ["REDACTED"]
    assert stored["response"]["headers"][name] == ["REDACTED"]
    # What the signature covers is not a secret, and stays readable.
    kept = redact_interaction(
        interaction(request_headers={"signature-input": ['sig1=("@method");keyid="k1"']})
    )
    assert kept[0]["request"]["headers"]["signature-input"] == ['sig1=("@method");keyid="k1"']


def test_the_second_cookie_of_a_folded_set_cookie() -> None:
    folded = f"a=1; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT, session={SESSION}; Path=/; HttpOnly"
    stored = assert_removed(interaction(response_headers={"set-cookie": [folded]}), SESSION)
    assert stored["response"]["headers"]["set-cookie"] == [
        "a=REDACTED; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT, session=REDACTED; Path=/; HttpOnly"
    ]


def test_an_html_escaped_signature() -> None:
    html = f'<a href="https://blob.example/i.png?sv=2021&amp;sig={SIG}&amp;se=2026">image</a>'
    stored = assert_removed(interaction(response_body={"string": html}), SIG)
    assert "sig=REDACTED-SIG&amp;se=2026" in stored["response"]["body"]["string"]


@pytest.mark.parametrize(
    "url",
    [
        "cdn.example.com:99999/i.png?X-Amz-Signature={sig}&token={token}",  # no scheme, invalid port
        "https://cdn.example.com:99999/i.png?X-Amz-Signature={sig}&token={token}",  # invalid port
        "//cdn.example.com/i.png?X-Amz-Signature={sig}&token={token}",  # scheme-relative
    ],
)
def test_signed_urls_without_a_scheme_or_with_a_broken_port(url: str) -> None:
    token = "FAKEtoken" + "Vn2Qx6Rz1Ww9"
    text = url.format(sig=SIG, token=token)
    stored = assert_removed(
        interaction(response_body={"json": {"data": [{"note": f"see {text} now"}]}}), SIG, token
    )
    note = stored["response"]["body"]["json"]["data"][0]["note"]
    assert "X-Amz-Signature=REDACTED-SIG&token=REDACTED now" in note


@pytest.mark.parametrize("name", ["signature", "hmac", "token", "secret", "password", "api_key", "apiKey"])
def test_credential_named_fields_anywhere(name: str) -> None:
    # Short values, values with spaces and nested structures under the name: all of it goes, in the
    # request and the reply, nested in lists, in SSE data and in multipart fields.
    short, spaced = "hunter2x", "correct horse battery staple"
    body = {"json": {"prompt": "a cat", "meta": [{"auth": {name: short}}, {name: {"inner": spaced}}]}}
    sse = {
        "sse": [{"event": "x", "data": {"type": "x", "deep": {"list": [{name: short}]}}, "offset_ms": None}]
    }
    multipart = {"multipart": [{"name": "prompt", "value": "a cat"}, {"name": name, "value": spaced}]}
    for request_body, response_body in ((body, sse), (multipart, body)):
        assert_removed(interaction(request_body=request_body, response_body=response_body), short, spaced)
    # Counts named like tokens are not credentials.
    usage = {
        "json": {"usage": {"total_tokens": 120, "input_tokens_details": {"text_tokens": 3}}, "max_tokens": 9}
    }
    assert redact_interaction(interaction(response_body=usage))[0]["response"]["body"] == usage


def test_a_google_key_in_a_reply_the_request_never_sent() -> None:
    google = fake_google("r")
    stored = assert_removed(
        interaction(response_body={"json": {"error": {"message": f"API key {google} is not valid"}}}), google
    )
    assert stored["response"]["body"]["json"]["error"]["message"] == "API key REDACTED is not valid"


def test_a_link_header_signature_keeps_the_text_after_it() -> None:
    link = f"<https://blob.example/i.png?sv=1&sig={SIG}>; rel=alternate, <https://x.example/>; rel=next"
    stored = assert_removed(interaction(response_headers={"link": [link]}), SIG)
    assert stored["response"]["headers"]["link"] == [
        "<https://blob.example/i.png?sv=1&sig=REDACTED-SIG>; rel=alternate, <https://x.example/>; rel=next"
    ]


# ------------------------------------------------------------------ text inside kept images


def png_with(**chunks: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in chunks.items():
        if key.startswith("z_"):
            info.add_text(key[2:], value, zip=True)
        elif key.startswith("i_"):
            info.add_itxt(key[2:], value, lang="en", tkey=key[2:])
        else:
            info.add_text(key, value)
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 30, 30)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def exif_with(text: str) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010E] = text  # ImageDescription
    return exif


def jpeg_with(text: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (30, 200, 30)).save(out, "JPEG", exif=exif_with(text), comment=f"note {text}")
    return out.getvalue()


def webp_with(text: str) -> bytes:
    out = io.BytesIO()
    xmp = f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:li>{text}</rdf:li></x:xmpmeta>'.encode()
    Image.new("RGB", (16, 16), (30, 30, 200)).save(out, "WEBP", lossless=True, exif=exif_with(text), xmp=xmp)
    return out.getvalue()


def gif_with(text: str) -> bytes:
    out = io.BytesIO()
    Image.new("P", (16, 16), 3).save(out, "GIF", comment=f"made with {text}")
    return out.getvalue()


def png_xmp(text: str) -> bytes:
    return png_with(**{"i_XML:com.adobe.xmp": f"<x:xmpmeta><rdf:li>{text}</rdf:li></x:xmpmeta>"})


IMAGES: dict[str, Callable[[str], bytes]] = {
    "png tEXt": lambda s: png_with(Comment=f"prompt signed with {s}"),
    "png zTXt": lambda s: png_with(z_Comment=f"key {s}"),
    "png iTXt (XMP)": png_xmp,
    "png eXIf": lambda s: _png_exif(s),
    "jpeg EXIF and comment": jpeg_with,
    "webp EXIF and XMP": webp_with,
    "gif comment": gif_with,
}


def _png_exif(text: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (9, 9, 9)).save(out, "PNG", exif=exif_with(text))
    return out.getvalue()


def pixels(raw: bytes) -> tuple[str, str, tuple[int, int], bytes]:
    with Image.open(io.BytesIO(raw)) as image:
        image.load()
        return image.format or "", image.mode, image.size, image.tobytes()


@pytest.mark.parametrize("kind", IMAGES)
def test_text_inside_a_kept_image_is_dropped_and_the_pixels_stay(kind: str) -> None:
    key = fake_key("img")
    raw = IMAGES[kind](key)
    assert any(key in text for _, text in metadata_texts(raw)), "the test image carries no text"
    b64 = base64.b64encode(raw).decode()
    upload = parse_body({"content-type": ["image/png"]}, raw)
    stored = assert_removed(
        interaction(response_body={"json": {"data": [{"b64_json": b64}]}}, request_body=upload), key
    )
    kept = base64.b64decode(stored["response"]["body"]["json"]["data"][0]["b64_json"])
    assert key not in kept.decode("latin-1")
    assert all(key not in text for _, text in metadata_texts(kept))
    assert pixels(kept) == pixels(raw)
    assert base64.b64decode(stored["request"]["body"]["image"]["base64"]) == kept


@pytest.mark.parametrize("kind", IMAGES)
def test_an_image_whose_text_holds_no_secret_is_kept_byte_for_byte(kind: str) -> None:
    raw = IMAGES[kind]("a harmless caption")
    b64 = base64.b64encode(raw).decode()
    stored, _ = redact_interaction(interaction(response_body={"json": {"data": [{"b64_json": b64}]}}))
    assert stored["response"]["body"]["json"]["data"][0]["b64_json"] == b64


def test_the_leak_scan_reads_text_inside_kept_images() -> None:
    key = fake_key("scan")
    b64 = base64.b64encode(png_with(Comment=f"key {key}")).decode()
    findings = scan_for_leaks(
        [interaction(response_body={"json": {"data": [{"b64_json": b64}]}})], secrets=()
    )
    assert [(i, where) for i, where, _ in findings] == [
        (0, "response.body.json.data[0].b64_json (image tEXt)")
    ]


@pytest.fixture
def tape(tmp_path: Path, request: pytest.FixtureRequest) -> Tape:
    return Tape(tmp_path / "cassettes", request.node.nodeid)


def test_a_kept_upload_loses_its_secret_text_and_still_replays(
    tape: Tape, imagegen_emulator: Emulator
) -> None:
    key = fake_key("upload")
    upload = png_with(Comment=f"exported with {key}", Software="a paint program")

    def edit(base_url: str) -> None:
        with openai.OpenAI(base_url=base_url, api_key=KEY, max_retries=0) as client:
            client.images.edit(
                model="gpt-image-2", image=("in.png", upload, "image/png"), prompt="a hat", size="64x64"
            )

    with tape.open("once", payloads="keep") as cassette:
        edit(imagegen_emulator.base_url)
    text = cassette.file_path.read_text()
    (part,) = [p for p in cassette.interactions[0]["request"]["body"]["multipart"] if "file" in p]
    stored = base64.b64decode(part["file"]["base64"])
    assert key not in text
    assert pixels(stored) == pixels(upload)
    assert ("tEXt", "Software\na paint program") in metadata_texts(stored)  # harmless text stays
    with tape.open("none", payloads="keep") as replay:
        edit(DEAD_BASE_URL)  # the same upload, redacted the same way, finds its recording
        assert replay.all_played
