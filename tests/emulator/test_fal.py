"""fal.ai's queue on the emulator, through raw httpx over a socket: queued, IN_QUEUE and IN_PROGRESS
(202, ``Retry-After: 1``), COMPLETED, the result with its images on the other loopback host, the cancel,
and the service's refusals; every reply keeps the contract."""

from __future__ import annotations

import io
from typing import Any

import httpx
from PIL import Image

from pytest_imagegen.contract import check_reply
from pytest_imagegen.contract.fal import validate_fal_request
from pytest_imagegen.emulator import Emulator

AUTH = {"Authorization": "Key fal-emulator-id:secret"}
ASK: dict[str, Any] = {"prompt": "a fox", "image_size": "square", "num_images": 1, "output_format": "png"}


def submit(emulator: Emulator, body: dict[str, Any], **headers: str) -> httpx.Response:
    return httpx.post(
        f"{emulator.root_url}/fal-ai/flux/dev", json=body, headers={**AUTH, **headers}, timeout=60
    )


def test_queued_then_completed_then_the_result_and_its_images(emulator: Emulator) -> None:
    queued = submit(emulator, ASK, **{"x-emulator-pending": "3"}).json()
    check_reply(validate_fal_request("fal", "/fal-ai/flux/dev", ASK), queued)
    assert queued["status_url"].startswith(emulator.root_url)  # the queue's own host
    reads = [httpx.get(queued["status_url"], headers=AUTH, timeout=60) for _ in range(4)]
    status = validate_fal_request("fal-status", queued["status_url"], {})
    for read in reads:
        check_reply(status, read.json())
    assert [(r.status_code, r.json()["status"]) for r in reads] == [
        (202, "IN_QUEUE"),
        (202, "IN_QUEUE"),
        (202, "IN_PROGRESS"),
        (200, "COMPLETED"),
    ]
    assert [r.headers.get("retry-after") for r in reads] == ["1", "1", "1", None]
    result = httpx.get(queued["response_url"], headers=AUTH, timeout=60).json()
    check_reply(validate_fal_request("fal-result", queued["response_url"], {}), result)
    url = result["images"][0]["url"]
    assert url.startswith("http://localhost:")  # the CDN's host
    image = Image.open(io.BytesIO(httpx.get(url, timeout=60).content))
    assert (image.format, image.size) == ("PNG", (512, 512))


def test_the_result_before_completion_and_the_cancel(emulator: Emulator) -> None:
    queued = submit(emulator, ASK).json()
    assert httpx.get(queued["response_url"], headers=AUTH, timeout=60).status_code == 400
    assert httpx.put(queued["cancel_url"], headers=AUTH, timeout=60).status_code == 202


def test_refusals(emulator: Emulator) -> None:
    assert httpx.post(f"{emulator.root_url}/fal-ai/flux/dev", json=ASK, timeout=60).status_code == 401
    bad = submit(emulator, {**ASK, "image_size": "huge"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "image_size"]
