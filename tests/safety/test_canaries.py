"""No canary reaches disk: recorded through the plugin, searched for in every byte, then replayed offline.

A pytest run (pytester) records, through the plugin's fixtures and options, calls to an emulator whose
account values are canaries, with ``OPENAI_API_KEY``, ``OPENAI_ORG_ID`` and ``OPENAI_PROJECT_ID`` set
to canaries too, from the openai SDK (which sends through httpx2), plain httpx and plain httpx2. The
secrets travel everywhere the API's replies carry them (headers, bodies, signed URLs):

- request headers, in any case: ``Authorization``, ``OpenAI-Organization``, ``OPENAI-PROJECT``, a
  ``Cookie`` header carrying the service's cookies back, Azure's ``api-key``;
- query strings: ``?api-key=`` on an Azure call, a dall-e ``sig=`` URL fetched with httpx2 (and sent
  back as ``image_url`` in a JSON edit);
- reply headers: ``openai-organization``, ``openai-project``, ``set-cookie``;
- bodies: JSON (a generation), SSE (a stream), multipart (an edit), error bodies (a 401 echoing the
  masked key, a 429 naming the organization), dall-e ``url`` replies (organization and user ids in
  the path, the signature and signer ids in the query), gzip-compressed replies;
- ``user`` and ``safety_identifier`` in JSON and multipart bodies, with ``redact_user=True``.

The emulator's request log proves each one really went out. Then every file the run left (cassettes,
pytest's cache with the replies the replay rendered, everything under the run's directory) is searched for each canary, verbatim, in any
case, percent-encoded, as base64 at any alignment, inside decoded base64 and gzip, and for the masked
forms of the keys and the real signatures: zero hits. A second run, in record mode ``none`` with the
canaries gone from the environment, replays every call with the network blocked.
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
    PATH_USER,
    PROJECT,
    SAFETY_ID,
    WRONG_KEY,
)
from tests.safety.disk_search import find_secrets
from tests.safety.inner_run import run

# The inner run's conftest: user ids are redacted (the option under test), and in replay every
# recorded interaction must have been played.
INNER_CONFTEST = """
import pytest


@pytest.fixture
def imagegen_config(imagegen_config):
    return imagegen_config.replace(redact_user=True)


@pytest.fixture(autouse=True)
def _replays_everything(imagegen_cassette):
    yield
    if imagegen_cassette.mode == "none":
        assert imagegen_cassette.play_count > 0 and imagegen_cassette.all_played
"""

# The calls. Canaries the tests send themselves come from the environment, so no file of the run holds
# one; replay runs without them (user ids are redacted before matching, headers are not matched).
INNER_TESTS = """
import base64
import io
import os

import httpx
import httpx2
import openai
import pytest
from PIL import Image

END_USER = os.environ.get("CANARY_END_USER", "someone")
SAFETY_ID = os.environ.get("CANARY_SAFETY_ID", "someone")
WRONG_KEY = os.environ.get("CANARY_WRONG_KEY", "sk-another-key-0000")
AZURE_API_VERSION = "2025-04-01-preview"


def recording(cassette):
    return cassette.mode != "none"


def size_of(b64):
    with Image.open(io.BytesIO(base64.b64decode(b64))) as image:
        image.load()
        return image.size


def png(colour):
    out = io.BytesIO()
    Image.new("RGB", (64, 64), colour).save(out, "PNG")
    return out.getvalue()


def plain_headers(client):
    # Header names in odd cases, as hand-written clients send them.
    return {
        "Authorization": f"Bearer {client.api_key}",
        "OpenAI-Organization": client.organization or "org-none",
        "OPENAI-PROJECT": client.project or "proj_none",
    }


def test_a_429_names_the_organization(imagegen_openai):
    # The outer test queued one rate-limit fault: this first call meets it.
    with pytest.raises(openai.RateLimitError) as info:
        imagegen_openai.images.generate(model="gpt-image-2", prompt="rate limited", size="64x64")
    assert "Rate limit exceeded for images per minute in organization" in info.value.message


def test_a_401_echoes_the_masked_key(imagegen_openai):
    wrong = imagegen_openai.with_options(api_key=WRONG_KEY)
    with pytest.raises(openai.AuthenticationError) as info:
        wrong.images.generate(model="gpt-image-2", prompt="wrong key", size="64x64")
    assert "Incorrect API key provided" in info.value.message


def test_json_generation_with_end_user_ids_gzipped(imagegen_openai, imagegen_cassette):
    raw = imagegen_openai.images.with_raw_response.generate(
        model="gpt-image-2", prompt="a canary", size="64x64", user=END_USER, safety_identifier=SAFETY_ID
    )
    if recording(imagegen_cassette):
        assert raw.headers["content-encoding"] == "gzip"
    assert size_of(raw.parse().data[0].b64_json) == (64, 64)


def test_sse_stream(imagegen_openai):
    stream = imagegen_openai.images.generate(
        model="gpt-image-2", prompt="a streamed canary", size="64x64", stream=True, partial_images=2,
        user=END_USER, safety_identifier=SAFETY_ID,
    )
    events = list(stream)
    assert [e.type for e in events] == ["image_generation.partial_image"] * 2 + ["image_generation.completed"]
    assert all(size_of(e.b64_json) == (64, 64) for e in events)


def test_multipart_edit(imagegen_openai):
    reply = imagegen_openai.images.edit(
        model="gpt-image-2",
        image=[("a.png", png((200, 0, 0)), "image/png"), ("b.png", png((0, 200, 0)), "image/png")],
        prompt="two canaries",
        size="64x64",
        user=END_USER,
        safety_identifier=SAFETY_ID,
    )
    assert size_of(reply.data[0].b64_json) == (64, 64)


def test_dall_e_urls_gzipped_and_a_signed_download(imagegen_openai, imagegen_cassette):
    raw = imagegen_openai.images.with_raw_response.generate(
        model="dall-e-2", prompt="a canary", n=2, size="256x256", response_format="url", user=END_USER
    )
    if recording(imagegen_cassette):
        assert raw.headers["content-encoding"] == "gzip"
    urls = [item.url for item in raw.parse().data]
    assert all("sig=" in url for url in urls)
    with httpx2.Client() as client:
        blob = client.get(urls[0])
    assert blob.status_code == 200
    assert Image.open(io.BytesIO(blob.content)).size == (256, 256)
    # A JSON edit that points at a signed URL: the URL travels in a request body.
    with httpx2.Client(base_url=str(imagegen_openai.base_url), headers=plain_headers(imagegen_openai)) as client:
        edit = client.post(
            "images/edits",
            # A JSON edit takes the four sizes the official schema lists, no free-form one.
            json={"model": "gpt-image-2", "prompt": "from a signed url", "size": "1024x1024", "images": [{"image_url": urls[1]}]},
        )
    assert edit.status_code == 200


def test_cookies_come_back_in_a_cookie_header(imagegen_openai, imagegen_cassette):
    body = {"model": "gpt-image-2", "prompt": "cookies", "size": "64x64"}
    with httpx.Client(base_url=str(imagegen_openai.base_url), headers=plain_headers(imagegen_openai)) as client:
        first = client.post("images/generations", json=body)
        cookies = "; ".join(v.split(";")[0] for v in first.headers.get_list("set-cookie"))
        # The CDN's bot-management cookies are not stored (normalize.py): they come back only live.
        assert cookies.startswith("__cf_bm=") if recording(imagegen_cassette) else cookies == ""
        second = client.post("images/generations", json={**body, "prompt": "cookies again"}, headers={"Cookie": cookies})
    assert first.status_code == second.status_code == 200
    if recording(imagegen_cassette):
        assert first.headers["content-encoding"] == "gzip"


def test_azure_api_key_in_header_and_query(imagegen_openai):
    root = str(imagegen_openai.base_url).rstrip("/").removesuffix("/v1")
    key = imagegen_openai.api_key
    with openai.AzureOpenAI(
        azure_endpoint=root, api_key=key, api_version=AZURE_API_VERSION, default_query={"api-key": key}, max_retries=0
    ) as azure:
        reply = azure.images.generate(model="gpt-image-2", prompt="azure canary", size="64x64")
    assert size_of(reply.data[0].b64_json) == (64, 64)
    with httpx2.Client() as client:
        plain = client.post(
            f"{root}/openai/deployments/gpt-image-2/images/generations",
            params={"api-version": AZURE_API_VERSION, "api-key": key},
            headers={"api-key": key},
            json={"prompt": "plain azure canary", "size": "64x64"},
        )
    assert plain.status_code == 200
"""

N_TESTS = INNER_TESTS.count("\ndef test_")


def _went_out(log: list[LoggedRequest]) -> dict[str, bool]:
    """Where the emulator saw each secret arrive: the proof that the run really sent them."""
    api = [r for r in log if not r.path.startswith("/private/")]
    blobs = [r for r in log if r.path.startswith("/private/")]
    return {
        "Authorization header": any(r.headers.get("authorization") == f"Bearer {API_KEY}" for r in api),
        "wrong key": any(
            r.headers.get("authorization") == f"Bearer {WRONG_KEY}" and r.status == 401 for r in api
        ),
        "OpenAI-Organization header": any(r.headers.get("openai-organization") == ORGANIZATION for r in api),
        "OpenAI-Project header": any(r.headers.get("openai-project") == PROJECT for r in api),
        "Cookie header": any(COOKIE_SECRET in r.headers.get("cookie", "") for r in api),
        "Azure api-key header": any(r.headers.get("api-key") == API_KEY for r in api),
        "Azure api-key query": any(r.query.get("api-key") == API_KEY for r in api),
        "gzip accepted": all("gzip" in r.headers.get("accept-encoding", "") for r in log),
        "user in JSON and multipart": {r.path for r in api if r.params.get("user") == END_USER}
        >= {"/v1/images/generations", "/v1/images/edits"},
        "safety_identifier in JSON and multipart": {
            r.path for r in api if r.params.get("safety_identifier") == SAFETY_ID
        }
        >= {"/v1/images/generations", "/v1/images/edits"},
        "429": any(r.status == 429 and r.params.get("prompt") == "rate limited" for r in api),
        "signed download": any(r.status == 200 and "sig" in r.query and PATH_USER in r.path for r in blobs),
        "signed URL in a JSON edit": any("sig=" in str(r.params.get("images")) for r in api),
    }


def _signed_url_secrets(log: list[LoggedRequest]) -> dict[str, str]:
    """The signatures and signer ids of the dall-e URLs the run fetched (the emulator minted them)."""
    secrets = {}
    for request in log:
        if request.path.startswith("/private/"):
            for name in ("sig", "skoid", "sktid"):
                secrets[f"{name} of {request.path.rsplit('/', 1)[-1]}"] = request.query[name]
    return secrets


def test_no_canary_reaches_disk_and_every_call_replays(
    pytester: pytest.Pytester, canary_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeconftest(INNER_CONFTEST)
    pytester.makepyfile(test_canary_calls=INNER_TESTS)
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

    # Both runs also write the HTML report (issue 25): it is searched with everything else.
    recorded = run(
        pytester,
        "--imagegen-record=once",
        f"--imagegen-base-url={canary_emulator.base_url}",
        "--imagegen-report=recorded-report.html",
    )

    recorded.assert_outcomes(passed=N_TESTS)
    log = list(canary_emulator.requests)
    went_out = _went_out(log)
    assert all(went_out.values()), f"secrets that never went out: {[k for k, v in went_out.items() if not v]}"
    cassettes = sorted((pytester.path / "cassettes").rglob("*.json"))
    assert len(cassettes) == N_TESTS
    texts = {path: path.read_bytes() for path in cassettes}

    secrets = {**CANARIES, **_signed_url_secrets(log)}
    assert len(secrets) > len(CANARIES), "the run fetched no signed URL"
    assert (pytester.path / "recorded-report.html").stat().st_size > 0
    assert find_secrets(pytester.path, secrets) == []
    assert API_KEY not in recorded.stdout.str()

    for name in environment:
        monkeypatch.delenv(name)
    canary_emulator.reset()
    replayed = run(pytester, "--imagegen-report=replayed-report.html")

    replayed.assert_outcomes(passed=N_TESTS)
    replayed.stdout.fnmatch_lines([f"*{N_TESTS} cassette(s): {N_TESTS} replayed, 0 recorded*"])
    assert (pytester.path / "replayed-report.html").stat().st_size > 0
    assert canary_emulator.requests == [], "replay reached the service"
    assert {path: path.read_bytes() for path in cassettes} == texts, "replay rewrote a cassette"
    # The replies the replay drew are kept in the render cache (cassette/rendercache.py): searched too.
    assert list((pytester.path / ".pytest_cache" / "d" / "imagegen" / "replies").glob("*.replies"))
    assert find_secrets(pytester.path, secrets) == []
