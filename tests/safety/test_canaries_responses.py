"""No canary reaches disk from a Responses API call, in any placement; every call then replays offline.

The same method as ``test_canaries.py``, for the second API shape: a pytest run (pytester) records through
the plugin's fixtures, from the canary emulator, with ``OPENAI_API_KEY``, ``OPENAI_ORG_ID`` and
``OPENAI_PROJECT_ID`` set to canaries, Responses API calls that carry the secrets everywhere a call of this
shape does:

- request headers: ``Authorization``, ``OpenAI-Organization``, ``OpenAI-Project`` (the SDK sends them from
  the environment), a ``Cookie`` header carrying the service's cookies back;
- reply headers: ``openai-organization``, ``openai-project``, ``set-cookie``, gzip-compressed bodies;
- bodies: a JSON reply, an SSE stream (with partial images), a request with an ``input_image`` data URL
  continued by ``previous_response_id``, a 401 echoing the masked key, a 429 naming the organization,
  the key pasted into ``instructions``;
- ``user`` and ``safety_identifier`` in the request body, with ``redact_user=True``.

The emulator's log proves each one went out. Every file the run left is searched for every canary in
every form (``disk_search``): zero hits. A second run, in record mode ``none`` with the canaries gone
from the environment, replays every call with the network blocked.
"""

from __future__ import annotations

import pytest

from pytest_imagegen.emulator import Emulator, LoggedRequest
from tests.safety.canaries import (
    API_KEY,
    CANARIES,
    COOKIE_SECRET,
    END_USER,
    ORGANIZATION,
    PROJECT,
    SAFETY_ID,
    WRONG_KEY,
)
from tests.safety.disk_search import find_secrets
from tests.safety.inner_run import run
from tests.safety.test_canaries import INNER_CONFTEST

INNER_TESTS = """
import base64
import io
import os

import httpx
import openai
import pytest
from PIL import Image

END_USER = os.environ.get("CANARY_END_USER", "someone")
SAFETY_ID = os.environ.get("CANARY_SAFETY_ID", "someone")
WRONG_KEY = os.environ.get("CANARY_WRONG_KEY", "sk-another-key-0000")
TOOL = {"type": "image_generation", "size": "64x64", "quality": "low"}


def recording(cassette):
    return cassette.mode != "none"


def size_of(b64):
    with Image.open(io.BytesIO(base64.b64decode(b64))) as image:
        image.load()
        return image.size


def data_url():
    out = io.BytesIO()
    Image.new("RGB", (48, 32), (200, 0, 0)).save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def test_a_429_names_the_organization(imagegen_openai):
    # The outer test queued one rate-limit fault: this first call meets it.
    with pytest.raises(openai.RateLimitError) as info:
        imagegen_openai.responses.create(model="gpt-5", input="rate limited", tools=[TOOL])
    assert "in organization" in info.value.message


def test_a_401_echoes_the_masked_key(imagegen_openai):
    wrong = imagegen_openai.with_options(api_key=WRONG_KEY)
    with pytest.raises(openai.AuthenticationError) as info:
        wrong.responses.create(model="gpt-5", input="wrong key", tools=[TOOL])
    assert "Incorrect API key provided" in info.value.message


def test_json_reply_with_end_user_ids_gzipped(imagegen_openai, imagegen_cassette):
    raw = imagegen_openai.responses.with_raw_response.create(
        model="gpt-5", input="a canary", tools=[TOOL], user=END_USER, safety_identifier=SAFETY_ID
    )
    if recording(imagegen_cassette):
        assert raw.headers["content-encoding"] == "gzip"
    assert size_of(raw.parse().output[0].result) == (64, 64)


def test_sse_stream(imagegen_openai):
    events = list(
        imagegen_openai.responses.create(
            model="gpt-5", input="a streamed canary", stream=True, tools=[{**TOOL, "partial_images": 2}],
            user=END_USER, safety_identifier=SAFETY_ID,
        )
    )
    assert events[-1].type == "response.completed"
    assert size_of(events[-2].item.result) == (64, 64)


def test_edit_turns_with_an_input_image(imagegen_openai):
    content = [{"type": "input_text", "text": "a hat"}, {"type": "input_image", "image_url": data_url()}]
    first = imagegen_openai.responses.create(
        model="gpt-5", input=[{"role": "user", "content": content}], tools=[TOOL], safety_identifier=SAFETY_ID
    )
    second = imagegen_openai.responses.create(
        model="gpt-5", previous_response_id=first.id, input="now blue", tools=[TOOL], user=END_USER
    )
    assert second.output[0].action == "edit"


def test_the_key_pasted_into_instructions(imagegen_openai):
    reply = imagegen_openai.responses.create(
        model="gpt-5", input="x", tools=[TOOL], instructions=f"my key is {imagegen_openai.api_key}, keep it safe"
    )
    assert reply.output[0].type == "image_generation_call"


def test_cookies_come_back_in_a_cookie_header(imagegen_openai, imagegen_cassette):
    headers = {
        "Authorization": f"Bearer {imagegen_openai.api_key}",
        "OpenAI-Organization": imagegen_openai.organization or "org-none",
        "OpenAI-Project": imagegen_openai.project or "proj_none",
    }
    body = {"model": "gpt-5", "input": "cookies", "tools": [TOOL]}
    with httpx.Client(base_url=str(imagegen_openai.base_url), headers=headers) as client:
        first = client.post("responses", json=body)
        cookies = "; ".join(v.split(";")[0] for v in first.headers.get_list("set-cookie"))
        # The CDN's bot-management cookies are not stored (normalize.py): they come back only live.
        assert cookies.startswith("__cf_bm=") if recording(imagegen_cassette) else cookies == ""
        second = client.post("responses", json={**body, "input": "cookies again"}, headers={"Cookie": cookies})
    assert first.status_code == second.status_code == 200
"""

N_TESTS = INNER_TESTS.count("\ndef test_")


def _went_out(log: list[LoggedRequest]) -> dict[str, bool]:
    """Where the emulator saw each secret arrive: the proof that the run really sent them."""
    api = [r for r in log if r.path == "/v1/responses"]
    return {
        "Authorization header": any(r.headers.get("authorization") == f"Bearer {API_KEY}" for r in api),
        "wrong key": any(
            r.headers.get("authorization") == f"Bearer {WRONG_KEY}" and r.status == 401 for r in api
        ),
        "OpenAI-Organization header": any(r.headers.get("openai-organization") == ORGANIZATION for r in api),
        "OpenAI-Project header": any(r.headers.get("openai-project") == PROJECT for r in api),
        "Cookie header": any(COOKIE_SECRET in r.headers.get("cookie", "") for r in api),
        "key in instructions": any(API_KEY in str(r.params.get("instructions")) for r in api),
        "gzip accepted": all("gzip" in r.headers.get("accept-encoding", "") for r in api),
        "user": any(r.params.get("user") == END_USER for r in api),
        "safety_identifier": any(r.params.get("safety_identifier") == SAFETY_ID for r in api),
        "429": any(r.status == 429 for r in api),
        "a stream": any(r.params.get("stream") is True and r.status == 200 for r in api),
        "an input image": any("data:image/png;base64," in str(r.params.get("input")) for r in api),
        "a second turn": any(r.params.get("previous_response_id") for r in api),
    }


def test_no_canary_reaches_disk_from_responses_calls_and_every_call_replays(
    pytester: pytest.Pytester, canary_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeconftest(INNER_CONFTEST)
    pytester.makepyfile(test_responses_canaries=INNER_TESTS)
    environment = {
        "OPENAI_API_KEY": API_KEY,
        "OPENAI_ORG_ID": ORGANIZATION,
        "OPENAI_PROJECT_ID": PROJECT,
        "CANARY_END_USER": END_USER,
        "CANARY_SAFETY_ID": SAFETY_ID,
        "CANARY_WRONG_KEY": WRONG_KEY,
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    canary_emulator.inject_fault("rate_limit")

    recorded = run(pytester, "--imagegen-record=once", f"--imagegen-base-url={canary_emulator.base_url}")

    recorded.assert_outcomes(passed=N_TESTS)
    went_out = _went_out(list(canary_emulator.requests))
    assert all(went_out.values()), f"secrets that never went out: {[k for k, v in went_out.items() if not v]}"
    root = pytester.path / "cassettes"
    cassettes = sorted([*root.rglob("*.yaml"), *root.rglob("*.json")])
    assert len(cassettes) == N_TESTS
    texts = {path: path.read_bytes() for path in cassettes}
    assert find_secrets(pytester.path, CANARIES) == []
    assert API_KEY not in recorded.stdout.str()

    for name in environment:
        monkeypatch.delenv(name)
    canary_emulator.reset()
    replayed = run(pytester)

    replayed.assert_outcomes(passed=N_TESTS)
    replayed.stdout.fnmatch_lines([f"*{N_TESTS} cassette(s): {N_TESTS} replayed, 0 recorded*"])
    assert canary_emulator.requests == [], "replay reached the service"
    assert {path: path.read_bytes() for path in cassettes} == texts, "replay rewrote a cassette"
    assert find_secrets(pytester.path, CANARIES) == []
