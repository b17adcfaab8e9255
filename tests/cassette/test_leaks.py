"""leaks.py: the scan before any write; the canary test of the whole pure pipeline; property tests."""

from __future__ import annotations

import base64
import gzip
import json
import re
import string
import urllib.parse
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pytest_imagegen.errors import SecretLeakError
from pytest_imagegen.safety.credentials import mask
from pytest_imagegen.safety.leaks import DEFAULT_PATTERNS, scan_for_leaks
from pytest_imagegen.safety.redact import redact_interaction
from pytest_imagegen.safety.redact_rules import RedactionRules, is_secret_header
from pytest_imagegen.safety.trim import trim_interaction
from pytest_imagegen.wire.bodies import decode_content, parse_body


def _interaction(
    *,
    headers: dict[str, list[str]] | None = None,
    body: dict[str, Any] | None = None,
    uri: str = "https://x/v1",
) -> dict[str, Any]:
    return {
        "request": {"method": "POST", "uri": uri, "headers": headers or {}, "body": {}},
        "response": {"status": {"code": 200, "message": "OK"}, "headers": {}, "body": body or {}},
    }


# One realistic example of each credential shape, and the description the scan gives it.
SHAPES = [
    ("sk-proj-Zx81mQpL0aT4nRc7YvK2dE9sUw3HbJ6g", "OpenAI-style API key"),  # fake value, made up for the test
    ("Incorrect API key provided: sk-te****1234.", "masked API key fragment"),
    ("Authorization was Bearer abcDEF123456.ghi", "bearer token"),  # fake value, made up for the test
    (
        "__cf_bm=k3Lq9.Zt-1763700000-1.0.1.1-abcDEF",  # fake
        "Cloudflare cookie value",
    ),
    ("https://blob.example/x.png?sv=1&sig=Rk9vYmFy%2BYmF6", "signed-URL signature"),
    ("in organization org-4kQ2vT9xLm3Rb7Ws8YcNf1Pa now", "organization id"),
    ("project proj_H7cK2mQ9vX4tL8pR3wN6yB1z", "project id"),
    ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXZhbHVl", "JSON Web Token"),
    ("AKIAIOSFODNN7EXAMPLE", "AWS access key id"),
    ("config api-key: 0123456789abcdef0123456789abcdef", "Azure-style API key"),
]


@pytest.mark.parametrize(("text", "kind"), SHAPES)
def test_each_default_pattern_finds_its_kind(text: str, kind: str) -> None:
    findings = scan_for_leaks([_interaction(body={"json": {"error": {"message": text}}})], secrets=())
    assert len(findings) == 1
    index, path, description = findings[0]
    assert (index, path) == (0, "response.body.json.error.message")
    assert kind in description
    # The description never quotes the secret (any token of the text that carries a digit).
    assert not any(re.search(r"\d", piece) and piece in description for piece in re.split(r"[\s:=?&]", text))


@pytest.mark.parametrize(("text", "kind"), SHAPES)
def test_redaction_removes_every_shape_the_scan_knows(text: str, kind: str) -> None:
    redacted, found = redact_interaction(_interaction(body={"json": {"error": {"message": text}}}))
    assert scan_for_leaks([redacted], secrets=found) == [], kind


def test_markers_and_harmless_values_are_not_findings() -> None:
    clean = _interaction(
        headers={
            "authorization": ["Bearer sk-REDACTED"],
            "cookie": ["__cf_bm=REDACTED; _cfuvid=REDACTED"],
            "openai-organization": ["org-REDACTED"],
            "x-request-id": ["0123456789abcdef0123456789abcdef"],  # older bare-hex request ids
        },
        body={
            "json": {
                "data": [{"url": "https://b/private/org-REDACTED/user-REDACTED/i.png?se=1&sig=REDACTED-SIG"}],
                "b64_json": {"placeholder": {"format": "png", "sha256": "ab" * 32}},
                "message": "Incorrect API key provided: sk-REDACTED.",
                "prompt": "an org-chart, sk-8 skates",
            }
        },
    )
    assert scan_for_leaks([clean], secrets=["REDACTED", "sk-REDACTED", "short"]) == []


def test_literal_secrets_everywhere_they_can_hide(make_image: Callable[..., bytes]) -> None:
    secret = "my/own+secret=value"
    notes = f"config dump: token is {secret}".encode()
    interactions = [
        _interaction(headers={"X-Trace": [f"id {secret}"]}),
        _interaction(uri=f"https://gw/v1/images?q={urllib.parse.quote(secret, safe='')}"),
        _interaction(body={"sse": [{"event": None, "data": {"note": secret}, "offset_ms": None}]}),
        _interaction(
            body={
                "multipart": [
                    {"name": "prompt", "value": f"say {secret}"},
                    {
                        "name": "f",
                        "filename": "n.txt",
                        "content_type": "text/plain",
                        "file": {"base64": base64.b64encode(notes).decode()},
                    },
                    # An image that happens to be kept is binary: not searched.
                    {
                        "name": "i",
                        "filename": "i.png",
                        "content_type": "image/png",
                        "file": {"base64": base64.b64encode(make_image()).decode()},
                    },
                ]
            }
        ),
        _interaction(body={"json": {secret: 1}}),
    ]
    findings = scan_for_leaks(interactions, secrets=[secret, "tiny"])
    assert [(i, path) for i, path, _ in findings] == [
        (0, "request.headers.X-Trace[0]"),
        (1, "request.uri"),
        (2, "response.body.sse[0].data.note"),
        (3, "response.body.multipart[0].value"),
        (3, "response.body.multipart[1].file.base64 (decoded)"),
        (4, f"response.body.json.{mask(secret)} (key)"),  # a secret used as a key shows masked
    ]
    assert all(description == "a secret value used in this run" for _, _, description in findings)
    error = SecretLeakError("cassettes/test_x.yaml", findings)
    assert secret not in str(error)
    assert "refused to write cassette cassettes/test_x.yaml: 6 secret(s)" in str(error)


def test_azure_key_in_a_key_named_field_and_user_patterns() -> None:
    hex_key = "0123456789abcdef0123456789abcdef"
    leaky = _interaction(
        headers={"Ocp-Apim-Subscription-Key": [hex_key]}, body={"json": {"note": "acct-991122"}}
    )
    findings = scan_for_leaks([leaky], secrets=(), patterns=(*DEFAULT_PATTERNS, re.compile(r"acct-\d+")))
    assert findings == [
        (
            0,
            "request.headers.Ocp-Apim-Subscription-Key[0]",
            "Azure-style API key (32 hex) in a field named 'Ocp-Apim-Subscription-Key'",
        ),
        (0, "response.body.json.note", "text matching user redaction pattern #1"),
    ]
    redacted, found = redact_interaction(leaky, RedactionRules(patterns=(r"acct-\d+",)))
    assert (
        scan_for_leaks([redacted], secrets=found, patterns=(*DEFAULT_PATTERNS, re.compile(r"acct-\d+"))) == []
    )


# ---------------------------------------------------------------------------------------------- canary


def test_canary_secrets_never_reach_the_stored_form(
    make_image: Callable[..., bytes], multipart_upload: Callable[..., Any]
) -> None:
    """Every place the reference names, each with a unique canary, through parse + redact + trim."""
    key = "sk-proj-CANARYkey0a1b2c3d4e5f6g7h8i9j0kLmNoPq"
    org, project = "org-CANARYorg4kQ2vT9xLm3Rb7W", "proj_CANARYproj7cK2mQ9vX4tL8"
    azure_key = "CANARYazure0123456789abcdefABCD"
    sig = "CANARYsig%2Bk9vYmFyYmF6cXV4%3D"
    dalle = (
        "https://oaidalleapiprodscus.blob.core.windows.net/private/org-CANARYdalleOrg3Ad6Vx0Lq2/"
        "user-CANARYdalleUser7Zs1Lk5/img-Ab12Cd34.png?st=2023-06-01T13%3A42%3A20Z&se=2023-06-01T15%3A42%3A20Z"
        "&sp=r&sv=2021-08-06&sr=b&skoid=CANARY-skoid-6aaadede&sktid=CANARY-sktid-a48cca56"
        f"&skt=2023-06-01T10%3A04%3A39Z&ske=2023-06-02T10%3A04%3A39Z&sks=b&skv=2021-08-06&sig={sig}"
    )
    request_headers = {
        "AUTHORIZATION": [f"Bearer {key}"],
        "Api-Key": [azure_key],
        "OpenAI-Organization": [org],
        "openai-PROJECT": [project],
        "Cookie": ["__cf_bm=CANARYcfbm.Zt-1763700000-1.0.1.1-x; _cfuvid=CANARYcfuvid.5Rt-1763700000000"],
        "X-Gateway-Token": ["CANARYgatewaytoken"],
        "user-agent": ["OpenAI/Python 3.54.0"],
    }
    set_cookie = {
        "Set-Cookie": [
            "__cf_bm=CANARYsetcfbm-1763700000-1.0.1.1; path=/; expires=Fri, 21-Nov-25 05:30:00 GMT; HttpOnly",
            "_cfuvid=CANARYsetcfuvid-1763700000000; path=/; domain=.api.openai.com; Secure",
            "oai-sc=CANARYoaisc0gAAAAABnQ2Zx; Max-Age=31536000; Path=/; Secure; SameSite=Lax",
        ],
        "OpenAI-Organization": [org],
        "openai-project": [project],
        "content-encoding": ["gzip"],
    }

    def json_reply(doc: Any, status: int = 200) -> dict[str, Any]:
        raw = gzip.compress(json.dumps(doc).encode())
        content, headers = decode_content({**set_cookie, "content-type": ["application/json"]}, raw)
        return {
            "status": {"code": status, "message": "x"},
            "headers": headers,
            "body": parse_body(headers, content),
        }

    png = make_image("png", (32, 32), "RGBA")
    upload, upload_headers = multipart_upload(
        {"prompt": "a hat", "user": "CANARYuserMultipart", "model": "gpt-image-1.5"},
        [("image[]", ("a.png", png, "image/png")), ("mask", ("m.png", png, "image/png"))],
    )
    edit_request = {
        "method": "POST",
        "uri": "https://api.openai.com/v1/images/edits?api-key=CANARYqueryKey&api-version=2025-04-01",
        "headers": {**request_headers, **upload_headers},
        "body": parse_body(upload_headers, upload),
    }
    gen_request = {
        "method": "POST",
        "uri": "https://api.openai.com/v1/images/generations",
        "headers": request_headers,
        "body": parse_body(
            {"content-type": ["application/json"]},
            json.dumps(
                {"prompt": "a dog", "user": "CANARYuserJson", "safety_identifier": "CANARYsafetyJson"}
            ).encode(),
        ),
    }
    json_edit_request = {
        **gen_request,
        "body": {
            "json": {"prompt": "p", "images": [{"image_url": dalle.replace("CANARYsig", "CANARYsig2")}]}
        },
    }
    sse_raw = (
        "event: image_generation.partial_image\r\n"
        + "data: "
        + json.dumps({"type": "image_generation.partial_image", "b64_json": base64.b64encode(png).decode()})
        + "\r\n\r\nevent: image_generation.completed\r\ndata: "
        + json.dumps(
            {"type": "image_generation.completed", "safety_identifier": "CANARYsafetySse", "note": org}
        )
        + "\r\n\r\ndata: [DONE]\r\n\r\n"
    ).encode()
    sse_reply = {
        "status": {"code": 200, "message": "OK"},
        "headers": {"content-type": ["text/event-stream"], "set-cookie": set_cookie["Set-Cookie"]},
        "body": parse_body({"content-type": ["text/event-stream"]}, sse_raw),
    }
    interactions = [
        {"request": edit_request, "response": json_reply({"created": 1, "data": [{"url": dalle}]})},
        {"request": gen_request, "response": sse_reply},
        {
            "request": gen_request,
            "response": json_reply(
                {
                    "error": {
                        "message": "Incorrect API key provided: sk-proj-********************CANARYmask. "
                        "You can find your API key at https://platform.openai.com/account/api-keys.",
                        "type": "invalid_request_error",
                        "param": None,
                        "code": "invalid_api_key",
                    }
                },
                401,
            ),
        },
        {
            "request": json_edit_request,
            "response": json_reply(
                {
                    "error": {
                        "message": f"Rate limit exceeded for images per minute in organization {org} on "
                        "requests per min. Also org-CANARY42xYz9Lm3Qr7Tt. Limit: 5/1min.",
                        "type": "requests",
                        "param": None,
                        "code": "rate_limit_exceeded",
                    }
                },
                429,
            ),
        },
        {
            "request": {"method": "GET", "uri": dalle, "headers": {}, "body": {}},
            "response": {
                "status": {"code": 200, "message": "OK"},
                "headers": {"content-type": ["image/png"]},
                "body": parse_body({"content-type": ["image/png"]}, png),
            },
        },
    ]
    rules = RedactionRules(redact_user=True)
    stored, secrets = [], {key}
    for interaction in interactions:
        redacted, found = redact_interaction(interaction, rules)
        secrets |= found
        stored.append(trim_interaction(redacted))
    text = yaml.safe_dump(stored, sort_keys=False, allow_unicode=True)

    assert re.findall(r".{0,30}CANARY.{0,30}", text) == []
    assert "****" not in text  # the masked key fragment went too
    assert scan_for_leaks(stored, secrets=secrets) == []
    # The pipeline really ran: the unredacted input is full of canaries, the output kept its shape.
    assert len(scan_for_leaks(interactions, secrets=secrets)) > 20
    assert "org-REDACTED/user-REDACTED/img-Ab12Cd34.png" in text
    assert "sig=REDACTED-SIG" in text
    assert "placeholder:" in text
    assert "a hat" in text
    assert "[DONE]" in text


# ---------------------------------------------------------------------------------------------- properties

_SECRET = st.text(alphabet=string.ascii_lowercase + string.digits + "-_.~+/=", min_size=8, max_size=40)
_WORD = st.sampled_from(["key", "token", "secret", "auth", "apikey", "api-key", "password"])


@st.composite
def _header_names(draw: st.DrawFn) -> str:
    word = draw(_WORD)
    word = "".join(c.upper() if draw(st.booleans()) else c for c in word)
    prefix = draw(st.sampled_from(["", "X-", "x-my-", "Acme-"]))
    suffix = draw(st.sampled_from(["", "-Id", "-v2", "s"]))
    return prefix + word + suffix


def _planted(name: str, secret: str) -> dict[str, Any]:
    quoted = urllib.parse.quote(secret, safe="")
    return {
        "request": {
            "method": "POST",
            "uri": f"https://gw.example/v1/images/generations?token={quoted}&n=1",
            "headers": {name: [secret], "content-type": ["application/json"]},
            "body": {"json": {"prompt": f"say {secret} twice"}},
        },
        "response": {
            "status": {"code": 401, "message": "Unauthorized"},
            "headers": {"content-type": ["text/event-stream"]},
            "body": {
                "sse": [
                    {
                        "event": "error",
                        "data": {"error": {"message": f"bad credential {secret}."}},
                        "offset_ms": 1.5,
                    },
                    {"event": None, "data": f"echo:{secret}", "offset_ms": None},
                ]
            },
        },
    }


@settings(max_examples=60, deadline=None)
@given(name=_header_names(), secret=_SECRET)
def test_property_secret_never_survives_redaction(name: str, secret: str) -> None:
    assert is_secret_header(name)
    interaction = _planted(name, secret)
    assume(secret not in yaml.safe_dump(_planted(name, "@")))  # not part of the fixed scaffolding
    redacted, found = redact_interaction(interaction)
    assert secret not in yaml.safe_dump(redacted)
    assert secret in found
    assert scan_for_leaks([redacted], secrets=found) == []
    assert redact_interaction(redacted)[0] == redacted


@settings(max_examples=60, deadline=None)
@given(value=_SECRET, where=st.sampled_from(["header", "json", "sse", "multipart"]))
def test_property_scan_finds_what_redaction_missed(value: str, where: str) -> None:
    interaction = _interaction()
    # Not a word of the fixed scaffolding ("response", "body"): the scan would rightly find it there too.
    assume(value not in yaml.safe_dump(interaction))
    path = {
        "header": "request.headers.x-trace[0]",
        "json": "response.body.json.note",
        "sse": "response.body.sse[0].data",
        "multipart": "request.body.multipart[0].value",
    }[where]
    if where == "header":
        interaction["request"]["headers"] = {"x-trace": [value]}
    elif where == "json":
        interaction["response"]["body"] = {"json": {"note": value}}
    elif where == "sse":
        interaction["response"]["body"] = {"sse": [{"event": None, "data": value, "offset_ms": None}]}
    else:
        interaction["request"]["body"] = {"multipart": [{"name": "prompt", "value": value}]}
    redacted, found = redact_interaction(interaction)
    assume(value in yaml.safe_dump(redacted))  # the default rules did not cover it (they may, by shape)
    assert value not in found
    as_literal = scan_for_leaks([redacted], secrets=[value])
    assert (0, path, "a secret value used in this run") in as_literal
    as_pattern = scan_for_leaks([redacted], secrets=(), patterns=[re.compile(re.escape(value))])
    assert as_pattern == [(0, path, "text matching user redaction pattern #1")]
    assert all(value not in description for _, _, description in as_literal + as_pattern)
