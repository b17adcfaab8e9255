"""Every reply the emulator sends passes the contract: reply models, ``check_reply`` against the request
that asked, and the error envelope for every error it can produce. Raw httpx, so gzip is visible."""

from __future__ import annotations

import base64
import gzip
import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from pytest_imagegen.contract import (
    check_error_reply,
    check_reply,
    parse_reply,
    parse_stream_event,
    validate_request,
)
from pytest_imagegen.emulator import Emulator

from .conftest import API_KEY, png_bytes, sse_events

AUTH = {"authorization": f"Bearer {API_KEY}", "accept-encoding": "gzip"}
MASK = png_bytes(64, 64, color=(0, 0, 0, 0), mode="RGBA")
DATA_URL = "data:image/png;base64," + base64.b64encode(png_bytes(64, 64)).decode()


@dataclass(frozen=True)
class Shape:
    """One request: endpoint, JSON body or multipart text fields, and files (multipart when given)."""

    endpoint: str
    params: dict[str, Any]
    files: dict[str, list[tuple[str, bytes, str]]] | None = None
    azure: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def multipart(self) -> bool:
        return self.files is not None

    def send(self, emulator: Emulator) -> httpx.Response:
        if self.azure:
            deployment = f"/openai/deployments/{self.params['model']}"
            url = f"{emulator.root_url}{deployment}/images/{self.endpoint}?api-version=2025-04-01"
            headers = {"api-key": API_KEY, "accept-encoding": "gzip"}
        else:
            url, headers = f"{emulator.base_url}/images/{self.endpoint}", AUTH
        if self.files is None:
            return httpx.post(url, json=self.params, headers=headers)
        parts = [(name, upload) for name, uploads in self.files.items() for upload in uploads]
        return httpx.post(url, data=self.params, files=parts, headers=headers)


SHAPES = {
    "gen-gpt-image-2-png": Shape("generations", {"model": "gpt-image-2", "prompt": "a", "size": "64x64"}),
    "gen-gpt-image-2-jpeg-n2-low": Shape(
        "generations",
        {
            "model": "gpt-image-2",
            "prompt": "a",
            "size": "96x64",
            "output_format": "jpeg",
            "output_compression": 50,
            "n": 2,
            "quality": "low",
        },
    ),
    "gen-gpt-image-2-webp-transparent": Shape(
        "generations",
        {
            "model": "gpt-image-2",
            "prompt": "a",
            "size": "64x64",
            "output_format": "webp",
            "background": "transparent",
        },
    ),
    "gen-gpt-image-2-stream": Shape(
        "generations",
        {"model": "gpt-image-2", "prompt": "a", "size": "64x64", "stream": True, "partial_images": 3},
    ),
    "gen-gpt-image-2-stream-n2": Shape(
        "generations",
        {"model": "gpt-image-2", "prompt": "a", "size": "64x64", "stream": True, "partial_images": 1, "n": 2},
    ),
    "gen-dall-e-2-url": Shape("generations", {"model": "dall-e-2", "prompt": "a", "size": "256x256"}),
    "gen-dall-e-2-b64-n2": Shape(
        "generations",
        {"model": "dall-e-2", "prompt": "a", "size": "256x256", "response_format": "b64_json", "n": 2},
    ),
    "gen-dall-e-3-url": Shape(
        "generations", {"model": "dall-e-3", "prompt": "a", "quality": "hd", "style": "natural"}
    ),
    "gen-default-model": Shape("generations", {"prompt": "a", "size": "256x256"}),
    "edit-two-images-mask": Shape(
        "edits",
        {"model": "gpt-image-2", "prompt": "a", "size": "64x64"},
        {
            "image[]": [("a.png", png_bytes(64, 64), "image/png"), ("b.png", png_bytes(64, 64), "image/png")],
            "mask": [("mask.png", MASK, "image/png")],
        },
    ),
    "edit-stream": Shape(
        "edits",
        {"model": "gpt-image-2", "prompt": "a", "size": "64x64", "stream": "true", "partial_images": "2"},
        {"image": [("a.png", png_bytes(64, 64), "image/png")]},
    ),
    "edit-json-refs": Shape(
        # The JSON edit body lists four sizes, no free-form ones (the emulator follows the official schema).
        "edits",
        {"model": "gpt-image-2", "prompt": "a", "size": "1024x1024", "images": [{"image_url": DATA_URL}]},
    ),
    "edit-dall-e-2-b64": Shape(
        "edits",
        {"model": "dall-e-2", "prompt": "a", "size": "256x256", "response_format": "b64_json"},
        {"image": [("a.png", png_bytes(256, 256), "image/png")]},
    ),
    "variation-dall-e-2": Shape(
        "variations",
        {"model": "dall-e-2", "size": "256x256", "response_format": "b64_json"},
        {"image": [("a.png", png_bytes(256, 256), "image/png")]},
    ),
    "azure-gen": Shape("generations", {"model": "gpt-image-2", "prompt": "a", "size": "64x64"}, azure=True),
}


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_reply_passes_contract(emulator: Emulator, shape: Shape) -> None:
    response = shape.send(emulator)

    assert response.status_code == 200, response.text
    validated = validate_request(shape.endpoint, shape.params, shape.files)
    if validated.stream:
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert "content-encoding" not in response.headers  # never buffered by gzip
        events = [data for _name, data in sse_events(response.content)]
        for event in events:
            parse_stream_event(event, strict=True)
        check_reply(validated, events, strict=True)
    else:
        assert response.headers["content-type"] == "application/json"
        assert response.headers["content-encoding"] == "gzip"
        body = response.json()
        parse_reply(body, strict=True)
        check_reply(validated, body, strict=True)


def test_gzip_is_really_used_when_asked(emulator: Emulator) -> None:
    url = f"{emulator.base_url}/images/generations"
    body = {"model": "gpt-image-2", "prompt": "a", "size": "64x64"}

    with httpx.stream("POST", url, json=body, headers=AUTH) as response:
        raw = b"".join(response.iter_raw())
    plain = httpx.post(
        url, json=body, headers={"authorization": f"Bearer {API_KEY}", "accept-encoding": "identity"}
    )

    assert response.headers["content-encoding"] == "gzip"
    assert raw[:2] == b"\x1f\x8b"
    assert json.loads(gzip.decompress(raw))["data"] == plain.json()["data"]
    assert "content-encoding" not in plain.headers
    assert int(plain.headers["content-length"]) == len(plain.content)


ERRORS = {
    "invalid-param": (
        lambda e: httpx.post(
            f"{e.base_url}/images/generations",
            json={"model": "dall-e-3", "prompt": "a", "n": 2},
            headers=AUTH,
        ),
        400,
    ),
    "bad-json": (
        lambda e: httpx.post(f"{e.base_url}/images/generations", content=b"{nope", headers=AUTH),
        400,
    ),
    "missing-key": (
        lambda e: httpx.post(f"{e.base_url}/images/generations", json={"prompt": "a"}),
        401,
    ),
    "unknown-url": (lambda e: httpx.post(f"{e.base_url}/images/nothing", json={}, headers=AUTH), 404),
    "wrong-method": (lambda e: httpx.get(f"{e.base_url}/images/generations", headers=AUTH), 404),
}


@pytest.mark.parametrize(("send", "status"), ERRORS.values(), ids=ERRORS.keys())
def test_error_replies_pass_contract(emulator: Emulator, send: Any, status: int) -> None:
    response = send(emulator)

    assert response.status_code == status
    check_error_reply(response.json(), strict=True)
    assert response.headers["x-request-id"].startswith("req_")


@pytest.mark.parametrize(("fault", "status"), [("rate_limit", 429), ("server_error", 500)])
def test_fault_replies_pass_contract(emulator: Emulator, fault: Any, status: int) -> None:
    emulator.inject_fault(fault)

    response = httpx.post(f"{emulator.base_url}/images/generations", json={"prompt": "a"}, headers=AUTH)

    assert response.status_code == status
    check_error_reply(response.json(), strict=True)
    assert response.headers["x-should-retry"] == "true"
