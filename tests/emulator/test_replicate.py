"""Replicate on the emulator, through raw httpx over a socket: a prediction created (``Prefer: wait``
answers it finished), read starting, processing (``Retry-After: 1``), succeeded with outputs on the
other loopback host, canceled, and the service's refusals; every prediction keeps the contract."""

from __future__ import annotations

import io
from typing import Any

import httpx
from PIL import Image

from pytest_imagegen.contract import check_reply
from pytest_imagegen.contract.replicate import validate_replicate_request
from pytest_imagegen.emulator import Emulator

AUTH = {"Authorization": "Bearer r8_emulator_test_token"}
INPUT: dict[str, Any] = {"prompt": "a fox", "num_outputs": 2, "aspect_ratio": "16:9", "megapixels": "0.25"}
READ = validate_replicate_request("replicate-prediction", "/v1/predictions/x", {})


def create(
    emulator: Emulator, model: str = "black-forest-labs/flux-schnell", **headers: str
) -> httpx.Response:
    url = f"{emulator.root_url}/v1/models/{model}/predictions"
    return httpx.post(url, json={"input": INPUT}, headers={**AUTH, **headers}, timeout=60)


def test_created_read_until_succeeded_then_the_outputs(emulator: Emulator) -> None:
    created = create(emulator, **{"x-emulator-pending": "2"})
    assert created.status_code == 201
    check_reply(
        validate_replicate_request("replicate", "/v1/models/a/b/predictions", {"input": INPUT}),
        created.json(),
    )
    reads = [httpx.get(created.json()["urls"]["get"], headers=AUTH, timeout=60) for _ in range(3)]
    for read in reads:
        check_reply(READ, read.json())
    assert [r.json()["status"] for r in reads] == ["starting", "processing", "succeeded"]
    assert [r.headers.get("retry-after") for r in reads] == ["1", "1", None]
    outputs = reads[-1].json()["output"]
    assert len(outputs) == 2
    assert all(url.startswith("http://localhost:") for url in outputs)
    image = Image.open(io.BytesIO(httpx.get(outputs[0], timeout=60).content))
    assert (image.format, image.size) == ("WEBP", (688, 384))


def test_prefer_wait_and_a_one_image_model(emulator: Emulator) -> None:
    done = create(emulator, "black-forest-labs/flux-1.1-pro", prefer="wait").json()
    assert done["status"] == "succeeded"
    assert isinstance(done["output"], str)
    check_reply(READ, done)


def test_cancel(emulator: Emulator) -> None:
    created = create(emulator).json()
    canceled = httpx.post(created["urls"]["cancel"], headers=AUTH, timeout=60).json()
    assert canceled["status"] == "canceled"
    assert httpx.get(created["urls"]["get"], headers=AUTH, timeout=60).json()["status"] == "canceled"


def test_refusals(emulator: Emulator) -> None:
    url = f"{emulator.root_url}/v1/models/a/b/predictions"
    assert httpx.post(url, json={"input": INPUT}, timeout=60).status_code == 401
    bad = httpx.post(url, json={"input": {"num_outputs": 0}}, headers=AUTH, timeout=60)
    assert bad.status_code == 422
    assert bad.json()["detail"].startswith("num_outputs")
    assert httpx.get(f"{emulator.root_url}/v1/predictions/nope", headers=AUTH, timeout=60).status_code == 404
