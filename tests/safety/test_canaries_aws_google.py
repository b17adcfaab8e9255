"""No canary reaches disk from Amazon Bedrock (boto3, SigV4) or the google-genai SDK; all replay offline.

The method of ``test_canaries.py``: a pytest run (pytester) records through the plugin from the canary
emulator, with the AWS credentials (access key id, secret, session token) and the Google key set to
canaries, calls that carry them where these SDKs put them:

- boto3 ``invoke_model`` (Nova Canvas, Stability on Bedrock): SigV4's ``Authorization`` names the access
  key id and carries a signature derived from the secret, ``X-Amz-Security-Token`` the session token;
- google-genai ``generate_content``, sync (httpx2) and async (aiohttp): the key in ``x-goog-api-key``;
- ``requests`` to the Images API with the OpenAI key in ``Authorization``.

The emulator's log proves each one went out, and gives the signatures the run made. Every file the run
left is searched for every canary and every signature, in every form (``disk_search``): zero hits. A
second run, in record mode ``none`` with no credential of any kind in the environment, replays every call
with the network blocked: the plugin's dummies let boto3 sign and the SDKs build their clients.
"""

from __future__ import annotations

import importlib
import re

import pytest

from pytest_imagegen.emulator import Emulator
from tests.safety.canaries import API_KEY, CANARIES, GOOGLE_API_KEY
from tests.safety.disk_search import find_secrets
from tests.safety.inner_run import run
from tests.safety.test_canaries import INNER_CONFTEST

# Imported here once: an inner run drops the modules it imported, and these must stay the patched ones.
for _module in ("boto3", "botocore.httpsession", "google.genai", "aiohttp", "requests"):
    importlib.import_module(_module)

AWS_ACCESS_KEY_ID = "AKIA" + "CANARYQ7Z3XR9MW2"
AWS_SECRET = "CANARYSECRET" + "q7Z3xR9mW2pL5vN8bT4kH6jD1fG0sAeY"
AWS_SESSION_TOKEN = "IQoJb3JpZ2luX2Vj" + "CANARYSESSIONTOKEN" + "b7Q2wE5rT8yU1iO4pA3sD6fG9hJ2kL5z"
AWS_CANARIES = {
    "aws access key id": AWS_ACCESS_KEY_ID,
    "aws secret": AWS_SECRET,
    "aws session token": AWS_SESSION_TOKEN,
}

INNER_TESTS = """
import asyncio
import json
import os

import boto3
import requests
from google import genai
from google.genai import types

NOVA = {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a canary"},
        "imageGenerationConfig": {"numberOfImages": 1, "width": 320, "height": 320}}


def root(default):
    base = os.environ.get("OPENAI_BASE_URL")  # the canary emulator while recording
    return base.removesuffix("/v1") if base else default


def bedrock():
    endpoint = root("https://bedrock-runtime.us-east-1.amazonaws.com")
    return boto3.session.Session().client("bedrock-runtime", endpoint_url=endpoint, region_name="us-east-1")


def gemini():
    options = types.HttpOptions(base_url=root("https://generativelanguage.googleapis.com"))
    return genai.Client(api_key=os.environ["GEMINI_API_KEY"], http_options=options)


def test_bedrock_nova_canvas(imagegen_cassette):
    reply = bedrock().invoke_model(modelId="amazon.nova-canvas-v1:0", body=json.dumps(NOVA))
    assert len(json.loads(reply["body"].read())["images"]) == 1


def test_bedrock_stability(imagegen_cassette):
    body = {"prompt": "a canary", "output_format": "png"}
    reply = bedrock().invoke_model(modelId="stability.stable-image-core-v1:1", body=json.dumps(body))
    assert json.loads(reply["body"].read())["finish_reasons"] == [None]


def test_genai_generate_content(imagegen_cassette):
    client = gemini()  # kept: a Client closes its connections when it is collected
    reply = client.models.generate_content(model="gemini-2.5-flash-image", contents="a canary")
    assert reply.candidates[0].content.parts[-1].inline_data.mime_type == "image/png"


def test_genai_generate_content_async_through_aiohttp(imagegen_cassette):
    client = gemini()

    async def call():
        return await client.aio.models.generate_content(model="gemini-2.5-flash-image", contents="a canary")

    assert asyncio.run(call()).candidates[0].content.parts[-1].inline_data.mime_type == "image/png"


def test_requests_images(imagegen_cassette):
    url = root("https://api.openai.com") + "/v1/images/generations"
    body = {"model": "gpt-image-2", "prompt": "a canary", "size": "64x64"}
    reply = requests.post(url, json=body, headers={"Authorization": "Bearer " + os.environ["OPENAI_API_KEY"]})
    assert len(reply.json()["data"]) == 1
"""

N_TESTS = INNER_TESTS.count("\ndef test_")


@pytest.mark.filterwarnings("ignore:Inheritance class AiohttpClientSession")
def test_no_aws_or_google_canary_reaches_disk_and_every_call_replays(
    pytester: pytest.Pytester, canary_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeconftest(INNER_CONFTEST)
    pytester.makepyfile(test_sdk_canaries=INNER_TESTS)
    environment = {
        "OPENAI_API_KEY": API_KEY,
        "GEMINI_API_KEY": GOOGLE_API_KEY,
        "AWS_ACCESS_KEY_ID": AWS_ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": AWS_SECRET,
        "AWS_SESSION_TOKEN": AWS_SESSION_TOKEN,
    }
    for name in ("GOOGLE_API_KEY", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(pytester.path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(pytester.path / "no-aws-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    recorded = run(pytester, "--imagegen-record=once", f"--imagegen-base-url={canary_emulator.base_url}")

    recorded.assert_outcomes(passed=N_TESTS)
    log = list(canary_emulator.requests)
    signed = [r for r in log if r.path.startswith("/model/")]
    signatures = [re.search(r"Signature=([0-9a-f]{64})", r.headers["authorization"]) for r in signed]
    went_out = {
        "access key id": all(AWS_ACCESS_KEY_ID in r.headers["authorization"] for r in signed),
        "session token": all(r.headers.get("x-amz-security-token") == AWS_SESSION_TOKEN for r in signed),
        "signatures": len(signed) == 2 and all(signatures),
        "google key": sum(r.headers.get("x-goog-api-key") == GOOGLE_API_KEY for r in log) == 2,
        "openai key": any(r.headers.get("authorization") == f"Bearer {API_KEY}" for r in log),
    }
    assert all(went_out.values()), f"secrets that never went out: {[k for k, v in went_out.items() if not v]}"
    searched = {
        **CANARIES,
        **AWS_CANARIES,
        **{f"signature {i}": m.group(1) for i, m in enumerate(signatures) if m is not None},
    }
    cassettes = sorted((pytester.path / "cassettes").rglob("*.json"))
    assert len(cassettes) == N_TESTS
    texts = {path: path.read_bytes() for path in cassettes}
    assert find_secrets(pytester.path, searched) == []

    for name in environment:
        monkeypatch.delenv(name)
    canary_emulator.reset()
    replayed = run(pytester)

    replayed.assert_outcomes(passed=N_TESTS)
    assert canary_emulator.requests == [], "replay reached the service"
    assert {path: path.read_bytes() for path in cassettes} == texts, "replay rewrote a cassette"
    assert find_secrets(pytester.path, searched) == []
