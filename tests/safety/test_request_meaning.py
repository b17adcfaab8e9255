"""Normalization never merges requests that differ in meaning (issue 20, break 4).

Before: request bodies differing only in ``"created": 1`` / ``2`` (or ``created_at``), in
``http://localhost:8001`` / ``:9002`` inside a prompt, in ``1e400`` / ``1e999``, a body with a repeated
key (``{"prompt":"cat","prompt":"dog"}``) and ``{"prompt":"dog"}``, and multipart uploads of the same
bytes under another content type or file name were each stored as one request, and replayed each other's
replies. Volatile values are normalized in replies and headers only; a request body keeps its meaning.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import httpx
import pytest
from PIL import Image

from pytest_imagegen.cassette.match import fingerprint
from pytest_imagegen.config import DEFAULT_MATCH_ON
from pytest_imagegen.safety.normalize import normalize_interaction, normalize_request
from pytest_imagegen.safety.redact import redact_request
from pytest_imagegen.safety.trim import trim_body
from pytest_imagegen.wire.bodies import parse_body
from tests.engine.conftest import Tape
from tests.safety.loopback import Loopback, Reply, Seen
from tests.safety.pairs import Call, record_then_replay, send

GENERATIONS = "/v1/images/generations"


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 200, 30)).save(out, "PNG")
    return out.getvalue()


def multipart(filename: str, content_type: str) -> Call:
    request = httpx.Request(
        "POST",
        "http://x/v1/images/edits",
        data={"prompt": "a hat", "model": "gpt-image-1"},
        files=[("image", (filename, png(), content_type))],
    )
    return Call("/v1/images/edits", request.read(), request.headers["content-type"])


def json_call(text: str) -> Call:
    return Call(GENERATIONS, text.encode())


PAIRS = {
    "created": (json_call('{"prompt":"p","created":1}'), json_call('{"prompt":"p","created":2}')),
    "created_at": (json_call('{"prompt":"p","created_at":1}'), json_call('{"prompt":"p","created_at":2}')),
    "loopback port in a prompt": (
        json_call('{"prompt":"fetch http://localhost:8001/cat.png"}'),
        json_call('{"prompt":"fetch http://localhost:9002/cat.png"}'),
    ),
    "huge numbers": (json_call('{"prompt":"p","n":1e400}'), json_call('{"prompt":"p","n":1e999}')),
    "a repeated key": (json_call('{"prompt":"cat","prompt":"dog"}'), json_call('{"prompt":"dog"}')),
    "a repeated key, the other way": (
        json_call('{"prompt":"dog","prompt":"cat"}'),
        json_call('{"prompt":"dog"}'),
    ),
    "upload content type": (multipart("in.png", "image/png"), multipart("in.png", "image/jpeg")),
    "upload file name": (multipart("in.png", "image/png"), multipart("mask.png", "image/png")),
}


def matched(call: Call) -> tuple[object, ...]:
    """What replay matches ``call`` on: parsed, redacted, trimmed, normalized as ``make_request`` does."""
    body = parse_body({"content-type": [call.content_type]}, call.body)
    cleaned, _ = redact_request(
        {"method": "POST", "uri": f"https://api.openai.com{call.target}", "body": body}
    )
    cleaned["body"] = trim_body(cleaned["body"])
    return fingerprint(normalize_request(cleaned), DEFAULT_MATCH_ON)


@pytest.mark.parametrize("what", PAIRS)
def test_requests_that_differ_in_meaning_match_apart(what: str) -> None:
    first, second = PAIRS[what]
    assert matched(first) != matched(second)


def test_a_body_with_a_repeated_key_is_kept_as_sent_and_matched_the_same_way_every_time() -> None:
    text = '{"prompt":"cat", "prompt":"dog"}'
    body = parse_body({"content-type": ["application/json"]}, text.encode())
    assert body == {"string": text}  # as it was sent: which key a service reads is its own choice
    assert matched(json_call(text)) == matched(json_call(text))


def test_a_huge_number_is_never_stored_as_infinity() -> None:
    body = parse_body({"content-type": ["application/json"]}, b'{"n":1e400}')
    assert body == {"string": '{"n":1e400}'}


def test_volatile_values_are_normalized_in_replies_and_headers_only() -> None:
    request = {
        "method": "POST",
        "uri": "http://127.0.0.1:5555/v1/images/generations",
        "headers": {"x-callback": ["http://127.0.0.1:5555/hook"]},
        "body": {"json": {"prompt": "http://localhost:8001/a.png", "created": 1, "created_at": 2}},
    }
    reply_url = "http://127.0.0.1:5555/files/a.png?se=2025-06-01T15%3A42%3A20Z&sig=REDACTED-SIG"
    response = {
        "status": {"code": 200, "message": "OK"},
        "headers": {},
        "body": {"json": {"created": 1700000000, "data": [{"url": reply_url}]}},
    }
    urls: dict[str, str] = {}
    out = normalize_interaction({"request": request, "response": response}, seed="s", urls=urls)
    assert out["request"]["uri"] == "http://127.0.0.1/v1/images/generations"
    assert out["request"]["headers"] == {"x-callback": ["http://127.0.0.1/hook"]}
    assert out["request"]["body"] == request["body"]  # its meaning, untouched
    assert out["response"]["body"]["json"]["created"] == 1735689600
    normalized_url = out["response"]["body"]["json"]["data"][0]["url"]
    assert normalized_url == "http://127.0.0.1/files/a.png?se=2025-01-01T00:00:00Z&sig=REDACTED-SIG"
    # A later request that sends that URL back gets it as a replayed client will send it.
    follow = {"method": "POST", "uri": request["uri"], "body": {"json": {"image_url": reply_url}}}
    assert normalize_request(follow, urls=urls)["body"] == {"json": {"image_url": normalized_url}}


# ----------------------------------------------------------------------------- through the engine


@pytest.fixture
def tape(tmp_path: Path, request: pytest.FixtureRequest) -> Tape:
    return Tape(tmp_path / "cassettes", request.node.nodeid)


@pytest.mark.parametrize("what", PAIRS)
def test_each_replays_its_own_reply(tape: Tape, what: str) -> None:
    assert record_then_replay(tape, PAIRS[what]) is None


def test_a_url_a_reply_handed_out_is_sent_back_and_replays(tape: Tape) -> None:
    # The loopback URL of a reply (random port) comes back in the next request: recorded as a replayed
    # client will send it, so the conversation replays.
    def reply(seen: Seen) -> Reply:
        document = json.loads(seen.body)
        return Reply(body=json.dumps({"url": f"{service.base_url}/files/1.png", "echo": document}).encode())

    with Loopback(reply) as service, tape.open("once", check_contract=False):
        url = send(service.base_url, json_call('{"prompt":"a"}')).json()["url"]
        send(service.base_url, json_call(json.dumps({"prompt": "b", "image_url": url})))
    with tape.open("none", check_contract=False) as replay:
        replayed_url = send("http://127.0.0.1:9", json_call('{"prompt":"a"}')).json()["url"]
        assert replayed_url == "http://127.0.0.1/files/1.png"
        send("http://127.0.0.1:9", json_call(json.dumps({"prompt": "b", "image_url": replayed_url})))
        assert replay.all_played
