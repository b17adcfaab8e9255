"""Black Forest Labs on the emulator, through raw httpx over a socket: the submit (the key in ``x-key``,
the body validated as the service does), as many pending status reads as asked with ``Retry-After: 1``
on the other loopback host, the Ready read with a signed sample URL, the sample itself (the size and
format asked), and the service's refusals."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from PIL import Image

from pytest_imagegen.contract import check_reply
from pytest_imagegen.contract.bfl import validate_bfl_request
from pytest_imagegen.emulator import Emulator

KEY = {"x-key": "bfl-emulator-test-key"}
ASK: dict[str, Any] = {"prompt": "a fox", "width": 512, "height": 256, "output_format": "webp"}


def submit(emulator: Emulator, body: dict[str, Any], **headers: str) -> httpx.Response:
    return httpx.post(f"{emulator.root_url}/v1/flux-2-pro", json=body, headers={**KEY, **headers}, timeout=60)


@pytest.mark.parametrize("pending", [0, 3])
def test_pending_reads_then_ready_then_the_sample(emulator: Emulator, pending: int) -> None:
    job = submit(emulator, ASK, **{"x-emulator-pending": str(pending)})
    assert job.status_code == 200
    check_reply(validate_bfl_request("bfl", "/v1/flux-2-pro", ASK), job.json())
    poll_url = job.json()["polling_url"]
    assert poll_url.startswith("http://localhost:")  # the submit went to 127.0.0.1
    reads = [httpx.get(poll_url, headers=KEY, timeout=60) for _ in range(pending + 1)]
    poll = validate_bfl_request("bfl-result", "/v1/get_result", {})
    for read in reads:
        check_reply(poll, read.json())
    assert [r.json()["status"] for r in reads] == ["Pending"] * pending + ["Ready"]
    assert [r.headers.get("retry-after") for r in reads[:-1]] == ["1"] * pending
    sample = httpx.get(reads[-1].json()["result"]["sample"], timeout=60)
    assert sample.headers["content-type"] == "image/webp"
    image = Image.open(io.BytesIO(sample.content))
    assert (image.format, image.size) == ("WEBP", (512, 256))


def test_the_default_is_three_pending_reads(emulator: Emulator) -> None:
    poll_url = submit(emulator, ASK).json()["polling_url"]
    statuses = [httpx.get(poll_url, headers=KEY, timeout=60).json()["status"] for _ in range(5)]
    assert statuses == ["Pending", "Pending", "Pending", "Ready", "Ready"]


def test_a_sample_url_with_a_wrong_signature_or_past_its_expiry_is_refused(emulator: Emulator) -> None:
    poll_url = submit(emulator, ASK, **{"x-emulator-pending": "0"}).json()["polling_url"]
    sample = httpx.get(poll_url, headers=KEY, timeout=60).json()["result"]["sample"]
    assert httpx.get(sample.replace("sig=", "sig=x"), timeout=60).status_code == 403
    expired = sample.split("se=")[0] + "se=1&" + sample.split("&", 1)[1]
    assert httpx.get(expired, timeout=60).status_code == 403


def test_refusals(emulator: Emulator) -> None:
    assert httpx.post(f"{emulator.root_url}/v1/flux-dev", json=ASK, timeout=60).status_code == 403
    bad = submit(emulator, {**ASK, "width": 70})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "width"]
    unknown = httpx.get(f"{emulator.root_url}/v1/get_result?id=nope", headers=KEY, timeout=60)
    assert unknown.json()["status"] == "Task not found"
