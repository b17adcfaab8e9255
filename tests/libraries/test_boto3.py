"""boto3 (Amazon Bedrock's ``invoke_model``) records and replays through urllib3, SigV4 and all.

Recorded from the emulator (Bedrock's ``InvokeModel`` for Nova Canvas, Titan Image and Stability), replayed
with no AWS configuration at all against an address where nothing listens. SigV4 puts the access key id
and a signature derived from the secret in ``Authorization``, the session token in
``X-Amz-Security-Token``, the time in ``X-Amz-Date`` and a random ``amz-sdk-invocation-id`` on every
call: none of them reaches disk, and none decides a match (a replay signs with other credentials, at
another time, and still matches).
"""

from __future__ import annotations

import base64
import io
import json
import re
from typing import Any

import boto3
import pytest
from botocore.config import Config
from PIL import Image

from pytest_imagegen.cassette.session import open_cassette
from pytest_imagegen.emulator import Emulator
from pytest_imagegen.errors import CassetteMiss, RecordingNeedsKeyError
from tests.engine.conftest import Tape
from tests.libraries.conftest import DEAD_ROOT, stored

ACCESS_KEY_ID = "AKIA" + "LIBTESTQ7Z3XR9MW2"
SECRET = "libtest/Secret+" + "q7Z3xR9mW2pL5vN8bT4kH6jD1fG0sAeYxx"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjE" + "LibTestSessionToken" + "x" * 40
NOVA = "amazon.nova-canvas-v1:0"
TEXT_IMAGE = {
    "taskType": "TEXT_IMAGE",
    "textToImageParams": {"text": "a lighthouse at dusk"},
    "imageGenerationConfig": {"numberOfImages": 2, "width": 512, "height": 320, "seed": 7},
}


def bedrock(endpoint: str, **credentials: str) -> Any:
    return boto3.session.Session().client(
        "bedrock-runtime",
        endpoint_url=endpoint,
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}),
        **credentials,
    )


def invoke(client: Any, model_id: str, body: dict[str, Any]) -> dict[str, Any]:
    reply = client.invoke_model(modelId=model_id, body=json.dumps(body), contentType="application/json")
    return dict(json.loads(reply["body"].read()))


def facts(b64: str) -> tuple[str | None, tuple[int, int]]:
    image = Image.open(io.BytesIO(base64.b64decode(b64)))
    return image.format, image.size


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION_TOKEN)
    return {}


@pytest.mark.parametrize(
    ("model_id", "body", "expected"),
    [
        (NOVA, TEXT_IMAGE, [("PNG", (512, 320))] * 2),
        ("amazon.titan-image-generator-v2:0", TEXT_IMAGE, [("PNG", (512, 320))] * 2),
        (
            "stability.sd3-5-large-v1:0",
            {"prompt": "a lighthouse", "output_format": "jpeg"},
            [("JPEG", (1024, 1024))],
        ),
    ],
)
def test_invoke_model_replays_with_no_aws_configuration_and_no_credential_on_disk(
    tape: Tape,
    emulator: Emulator,
    credentials: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    model_id: str,
    body: dict[str, Any],
    expected: list[tuple[str, tuple[int, int]]],
) -> None:
    root = emulator.base_url.removesuffix("/v1")
    with tape.open("once") as cassette:
        live = invoke(bedrock(root), model_id, body)
        assert cassette.recorded_count == 1
    [sent] = emulator.requests
    signature = re.search(r"Signature=([0-9a-f]{64})", sent.headers["authorization"])
    assert signature is not None
    assert (sent.headers["x-amz-security-token"], ACCESS_KEY_ID in sent.headers["authorization"]) == (
        SESSION_TOKEN,
        True,
    )
    assert [facts(b64) for b64 in live["images"]] == expected

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    config = tape.config.replace(record_mode="none")
    with open_cassette(config, tape.test_id, emulator_url=lambda: emulator.base_url) as cassette:
        replayed = invoke(bedrock(DEAD_ROOT), model_id, body)  # signed with the plugin's dummies
        assert cassette.all_played
    assert [facts(b64) for b64 in replayed["images"]] == expected
    assert {k: v for k, v in replayed.items() if k != "images"} == {
        k: v for k, v in live.items() if k != "images"
    }

    text = cassette.file_path.read_text()
    for secret in (ACCESS_KEY_ID, SECRET, SESSION_TOKEN, signature.group(1), sent.headers["x-amz-date"]):
        assert secret not in text
    assert sent.headers["amz-sdk-invocation-id"] not in text
    [interaction] = stored(cassette.file_path)
    images = interaction["response"]["body"]["json"]["images"]
    assert all("placeholder" in image for image in images)
    headers = interaction["request"]["headers"]
    assert headers["authorization"].startswith("AWS4-HMAC-SHA256 ")
    assert "x-amz-security-token" not in headers or headers["x-amz-security-token"] == "REDACTED"
    assert '"http": "botocore ' in text


def test_a_replay_with_other_credentials_at_another_time_still_matches(
    tape: Tape, emulator: Emulator, credentials: dict[str, str]
) -> None:
    root = emulator.base_url.removesuffix("/v1")
    with tape.open("once"):
        invoke(bedrock(root), NOVA, TEXT_IMAGE)
    other = {"aws_access_key_id": "AKIA" + "OTHERKEYID0000001", "aws_secret_access_key": "another-secret"}
    with tape.open("none") as cassette:
        invoke(bedrock(DEAD_ROOT, **other), NOVA, TEXT_IMAGE)
        assert cassette.all_played


def test_a_request_the_cassette_lacks_is_a_cassette_miss_not_a_retried_client_error(
    tape: Tape, emulator: Emulator, credentials: dict[str, str]
) -> None:
    root = emulator.base_url.removesuffix("/v1")
    with tape.open("once"):
        invoke(bedrock(root), NOVA, TEXT_IMAGE)
    emulator.reset()
    other = {**TEXT_IMAGE, "textToImageParams": {"text": "a windmill"}}
    client = boto3.session.Session().client(
        "bedrock-runtime", endpoint_url=DEAD_ROOT, region_name="us-east-1"
    )
    with tape.open("none"), pytest.raises(CassetteMiss) as caught:
        invoke(client, NOVA, other)
    assert "'a windmill'" in str(caught.value)


def test_recording_from_aws_with_the_dummy_credentials_stops_before_sending(
    tape: Tape, emulator: Emulator, no_aws: None
) -> None:
    config = tape.config.replace(record_mode="once")
    with open_cassette(config, tape.test_id, emulator_url=lambda: emulator.base_url):
        # A session of its own: boto3's default one keeps the credentials it first found.
        client = boto3.session.Session().client("bedrock-runtime")  # the dummies, the plugin's region
        with pytest.raises(RecordingNeedsKeyError):
            invoke(client, NOVA, TEXT_IMAGE)
    assert emulator.requests == []
