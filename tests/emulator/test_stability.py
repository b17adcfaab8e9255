"""Stability AI v2beta on the emulator, through raw httpx over a socket: generation answered with the
image's bytes or JSON as accepted, multipart required, an asynchronous upscale read 202 then 200, and
the service's refusals; every reply keeps the contract."""

from __future__ import annotations

import base64
import io

import httpx
import pytest
from PIL import Image

from pytest_imagegen.contract import check_reply
from pytest_imagegen.contract.stability import validate_stability_request
from pytest_imagegen.emulator import Emulator

AUTH = {"authorization": "Bearer sk-stability-emulator"}
ULTRA = "/v2beta/stable-image/generate/ultra"


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height)).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize("accept", ["image/*", "application/json"])
def test_generation_answers_as_accepted(emulator: Emulator, accept: str) -> None:
    fields = {"prompt": "a fox", "aspect_ratio": "1:1", "output_format": "jpeg"}
    reply = httpx.post(
        f"{emulator.root_url}{ULTRA}",
        files={"none": ("", b"")},
        data=fields,
        headers={**AUTH, "accept": accept},
        timeout=60,
    )
    assert reply.status_code == 200
    request = validate_stability_request("stability", ULTRA, fields, None)
    if accept == "image/*":
        assert reply.headers["finish-reason"] == "SUCCESS"
        assert reply.headers["seed"].isdigit()
        check_reply(request, reply.content)
        data = reply.content
    else:
        check_reply(request, reply.json())
        data = base64.b64decode(reply.json()["image"])
    image = Image.open(io.BytesIO(data))
    assert (image.format, image.size) == ("JPEG", (1024, 1024))


def test_an_upscale_is_read_until_done(emulator: Emulator) -> None:
    job = httpx.post(
        f"{emulator.root_url}/v2beta/stable-image/upscale/creative",
        files={"image": ("in.png", png(40, 30), "image/png")},
        data={"prompt": "a fox"},
        headers={**AUTH, "x-emulator-pending": "2"},
        timeout=60,
    ).json()
    reads = [
        httpx.get(
            f"{emulator.root_url}/v2beta/results/{job['id']}", headers={**AUTH, "accept": "application/json"}
        )
        for _ in range(3)
    ]
    assert [r.status_code for r in reads] == [202, 202, 200]
    result = validate_stability_request("stability-result", "/v2beta/results/x", {}, None)
    for read in reads:
        check_reply(result, read.json())
    image = Image.open(io.BytesIO(base64.b64decode(reads[-1].json()["result"])))
    assert image.size == (80, 60)


def test_refusals(emulator: Emulator) -> None:
    url = f"{emulator.root_url}{ULTRA}"
    assert httpx.post(url, files={"none": ("", b"")}, data={"prompt": "x"}, timeout=60).status_code == 401
    as_json = httpx.post(url, json={"prompt": "x"}, headers=AUTH, timeout=60)
    assert as_json.status_code == 400
    assert "multipart" in as_json.json()["errors"][0]
    no_prompt = httpx.post(
        url, files={"none": ("", b"")}, data={"aspect_ratio": "1:1"}, headers=AUTH, timeout=60
    )
    assert no_prompt.status_code == 400
    assert no_prompt.json()["name"] == "bad_request"
    assert httpx.get(f"{emulator.root_url}/v2beta/results/nope", headers=AUTH, timeout=60).status_code == 404
