"""No canary reaches disk from chat completions or Gemini API calls, in any key placement; all replay offline.

The same method as ``test_canaries.py``, for the multimodal shapes: a pytest run (pytester) records, through
the plugin, from the canary emulator (whose Gemini key is a canary too), with ``OPENAI_API_KEY``,
``GEMINI_API_KEY`` and the gateway's token set to canaries, calls that carry the secrets everywhere these
shapes do:

- chat completions through the openai SDK (``extra_body`` modalities), JSON and streamed: the gateway key
  in ``Authorization``, a gateway token in a ``*-token`` header, ``HTTP-Referer`` / ``X-Title``
  attribution (not secrets: they must stay), the account's ``openai-organization``/``set-cookie`` replies,
  ``user`` in the body;
- a provider key brought along in ``x-goog-api-key`` that the provider refuses, echoed back by the gateway
  in its error body (inside the upstream URL's ``?key=``);
- the Gemini API through raw httpx: the key in the ``x-goog-api-key`` header (JSON, Imagen ``predict``),
  in the ``?key=`` query (an SSE stream), and a wrong key in the query (Google's 400).

The emulator's log proves each one went out. Every file the run left is searched for every canary in
every form (``disk_search``): zero hits. A second run, in record mode ``none`` with the canaries gone from
the environment, replays every call with the network blocked.
"""

from __future__ import annotations

import json

import pytest

from pytest_imagegen.emulator import Emulator, LoggedRequest
from tests.safety.canaries import (
    API_KEY,
    CANARIES,
    END_USER,
    GATEWAY_TOKEN,
    GOOGLE_API_KEY,
    GOOGLE_WRONG_KEY,
    ORGANIZATION,
)
from tests.safety.disk_search import find_secrets
from tests.safety.inner_run import run
from tests.safety.test_canaries import INNER_CONFTEST

INNER_TESTS = """
import os

import httpx
import openai
import pytest

END_USER = os.environ.get("CANARY_END_USER", "someone")
WRONG_GOOGLE_KEY = os.environ.get("CANARY_GOOGLE_WRONG_KEY", "AIza-another-key")
GATEWAY = {
    "HTTP-Referer": "https://canary-app.example.com",
    "X-Title": "Canary Drawing App",
    "cf-aig-token": os.environ.get("CANARY_GATEWAY_TOKEN", "no-token"),
}
MODEL = "google/gemini-2.5-flash-image"
MESSAGES = [{"role": "user", "content": "a canary"}]
IMAGE = {"modalities": ["image", "text"]}
ASK = {"contents": [{"parts": [{"text": "a canary"}]}], "generationConfig": {"responseModalities": ["TEXT", "IMAGE"]}}


def google_key():
    return os.environ["GEMINI_API_KEY"]  # the canary while recording, the plugin's dummy on replay


def gemini():
    root = os.environ.get("OPENAI_BASE_URL", "https://generativelanguage.googleapis.com/v1").removesuffix("/v1")
    return httpx.Client(base_url=root, timeout=60)


def test_chat_json_through_a_gateway(imagegen_openai):
    reply = imagegen_openai.chat.completions.create(
        model=MODEL, messages=MESSAGES, user=END_USER, extra_body=IMAGE, extra_headers=GATEWAY
    )
    assert reply.choices[0].message.images[0]["image_url"]["url"].startswith("data:image/png;base64,")


def test_chat_stream_through_a_gateway(imagegen_openai):
    chunks = list(
        imagegen_openai.chat.completions.create(
            model=MODEL, messages=MESSAGES, stream=True, user=END_USER, extra_body=IMAGE, extra_headers=GATEWAY
        )
    )
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_a_refused_provider_key_echoed_by_the_gateway(imagegen_openai):
    with pytest.raises(openai.BadRequestError) as info:
        imagegen_openai.chat.completions.create(
            model=MODEL, messages=MESSAGES, extra_body=IMAGE, extra_headers={"x-goog-api-key": WRONG_GOOGLE_KEY}
        )
    assert "Provider returned error" in str(info.value)


def test_gemini_key_in_the_header(imagegen_cassette):
    with gemini() as client:
        reply = client.post("/v1beta/models/gemini-2.5-flash-image:generateContent", json=ASK, headers={"x-goog-api-key": google_key()})
    assert reply.json()["candidates"][0]["finishReason"] == "STOP"


def test_gemini_key_in_the_query_streamed(imagegen_cassette):
    with gemini() as client:
        reply = client.post("/v1beta/models/gemini-2.5-flash-image:streamGenerateContent", params={"alt": "sse", "key": google_key()}, json=ASK)
    assert '"finishReason":"STOP"' in reply.text


def test_gemini_wrong_key_in_the_query(imagegen_cassette):
    with gemini() as client:
        reply = client.post("/v1beta/models/gemini-2.5-flash-image:generateContent", params={"key": WRONG_GOOGLE_KEY}, json=ASK)
    assert reply.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_imagen_predict_key_in_the_header(imagegen_cassette):
    body = {"instances": [{"prompt": "a canary"}], "parameters": {"sampleCount": 1}}
    with gemini() as client:
        reply = client.post("/v1beta/models/imagen-4.0-generate-001:predict", json=body, headers={"x-goog-api-key": google_key()})
    assert len(reply.json()["predictions"]) == 1
"""

N_TESTS = INNER_TESTS.count("\ndef test_")


def _went_out(log: list[LoggedRequest]) -> dict[str, bool]:
    """Where the emulator saw each secret arrive: the proof that the run really sent them."""
    chat = [r for r in log if r.path.endswith("/chat/completions")]
    google = [r for r in log if "/models/" in r.path]
    return {
        "gateway key in Authorization": any(
            r.headers.get("authorization") == f"Bearer {API_KEY}" for r in chat
        ),
        "gateway token header": any(r.headers.get("cf-aig-token") == GATEWAY_TOKEN for r in chat),
        "attribution headers": any(r.headers.get("x-title") == "Canary Drawing App" for r in chat),
        "user": any(r.params.get("user") == END_USER for r in chat),
        "a chat stream": any(r.params.get("stream") is True and r.status == 200 for r in chat),
        "refused provider key": any(
            r.headers.get("x-goog-api-key") == GOOGLE_WRONG_KEY and r.status == 400 for r in chat
        ),
        "google key in the header": any(r.headers.get("x-goog-api-key") == GOOGLE_API_KEY for r in google),
        "google key in the query": any(
            r.query.get("key") == GOOGLE_API_KEY and r.query.get("alt") == "sse" for r in google
        ),
        "wrong google key in the query": any(
            r.query.get("key") == GOOGLE_WRONG_KEY and r.status == 400 for r in google
        ),
        "imagen": any(r.path.endswith(":predict") and r.status == 200 for r in google),
    }


def test_no_canary_reaches_disk_from_chat_and_gemini_calls_and_every_call_replays(
    pytester: pytest.Pytester, canary_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeconftest(INNER_CONFTEST)
    pytester.makepyfile(test_multimodal_canaries=INNER_TESTS)
    environment = {
        "OPENAI_API_KEY": API_KEY,
        "OPENAI_ORG_ID": ORGANIZATION,
        "GEMINI_API_KEY": GOOGLE_API_KEY,
        "CANARY_END_USER": END_USER,
        "CANARY_GOOGLE_WRONG_KEY": GOOGLE_WRONG_KEY,
        "CANARY_GATEWAY_TOKEN": GATEWAY_TOKEN,
    }
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    recorded = run(pytester, "--imagegen-record=once", f"--imagegen-base-url={canary_emulator.base_url}")

    recorded.assert_outcomes(passed=N_TESTS)
    went_out = _went_out(list(canary_emulator.requests))
    assert all(went_out.values()), f"secrets that never went out: {[k for k, v in went_out.items() if not v]}"
    root = pytester.path / "cassettes"
    cassettes = sorted(root.rglob("*.json"))
    assert len(cassettes) == N_TESTS
    texts = {path: path.read_bytes() for path in cassettes}
    assert find_secrets(pytester.path, CANARIES) == []
    assert GOOGLE_API_KEY not in recorded.stdout.str()
    # The gateways' app attribution is no secret: it stays, for a reader of the cassette.
    chat = json.loads(texts[root / "test_multimodal_canaries/test_chat_json_through_a_gateway.json"])
    headers = chat["interactions"][0]["request"]["headers"]
    assert (headers["http-referer"], headers["x-title"]) == (
        "https://canary-app.example.com",
        "Canary Drawing App",
    )
    assert headers["cf-aig-token"] == "REDACTED"

    for name in environment:
        monkeypatch.delenv(name)
    canary_emulator.reset()
    replayed = run(pytester)

    replayed.assert_outcomes(passed=N_TESTS)
    replayed.stdout.fnmatch_lines([f"*{N_TESTS} cassette(s): {N_TESTS} replayed, 0 recorded*"])
    assert canary_emulator.requests == [], "replay reached the service"
    assert {path: path.read_bytes() for path in cassettes} == texts, "replay rewrote a cassette"
    assert find_secrets(pytester.path, CANARIES) == []
