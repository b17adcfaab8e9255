"""dall-e image URLs: the real SAS shape, served while valid, 403 when tampered with or expired."""

from __future__ import annotations

import base64
import re
from urllib.parse import parse_qsl, urlsplit

import httpx

from pytest_imagegen.emulator import Emulator

from .conftest import API_KEY, decode

AUTH = {"authorization": f"Bearer {API_KEY}"}
ISO = r"\d{4}-\d{2}-\d{2}T\d{2}%3A\d{2}%3A\d{2}Z"
GUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


class FakeClock:
    """A clock the test moves by hand (no sleeping)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _url(emulator: Emulator, **params: object) -> str:
    response = httpx.post(
        f"{emulator.base_url}/images/generations",
        json={"model": "dall-e-2", "prompt": "a", "size": "256x256", **params},
        headers=AUTH,
    )
    assert response.status_code == 200, response.text
    url: str = response.json()["data"][0]["url"]
    return url


def test_url_has_the_real_sas_shape(emulator: Emulator) -> None:
    url = _url(emulator)

    pattern = (
        re.escape(emulator.root_url)
        + rf"/private/{re.escape(emulator.organization)}/user-[A-Za-z0-9]{{24}}/img-[A-Za-z0-9]{{24}}\.png"
        + rf"\?st={ISO}&se={ISO}&sp=r&sv=2021-08-06&sr=b&rscd=inline&rsct=image/png"
        + rf"&skoid={GUID}&sktid={GUID}&skt={ISO}&ske={ISO}&sks=b&skv=2021-08-06&sig=[A-Za-z0-9%]+"
    )
    assert re.fullmatch(pattern, url), url
    assert "%3D" in url.rsplit("sig=", 1)[1]  # the base64 signature is percent-encoded


def test_url_serves_the_same_image_as_b64_json(emulator: Emulator) -> None:
    url = _url(emulator)
    b64 = httpx.post(
        f"{emulator.base_url}/images/generations",
        json={"model": "dall-e-2", "prompt": "a", "size": "256x256", "response_format": "b64_json"},
        headers=AUTH,
    ).json()["data"][0]["b64_json"]

    fetched = httpx.get(url)

    assert fetched.status_code == 200
    assert fetched.headers["content-type"] == "image/png"
    assert decode(b64).tobytes() == decode(base64.b64encode(fetched.content).decode()).tobytes()


def test_tampered_url_is_refused(emulator: Emulator) -> None:
    url = _url(emulator)
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))

    other_path = httpx.get(url.replace("/img-", "/img-x"))
    longer = httpx.get(url.replace(f"se={query['se'][:4]}", "se=2099"))

    assert other_path.status_code == 403
    assert longer.status_code == 403
    assert "<Code>AuthenticationFailed</Code>" in longer.text
    assert [(r.method, r.status) for r in emulator.requests[-2:]] == [("GET", 403), ("GET", 403)]


def test_url_expires_after_an_hour() -> None:
    clock = FakeClock(1_800_000_000.0)
    with Emulator(clock=clock) as emulator:
        url = _url(emulator)
        clock.now += 3599
        still_valid = httpx.get(url)
        clock.now += 2
        expired = httpx.get(url)

    assert still_valid.status_code == 200
    assert expired.status_code == 403
    assert "Signed expiry time has passed" in expired.text
    assert "se=2027-01-15T09%3A00%3A00Z" in url  # created 08:00:00Z, valid 60 minutes


def test_unknown_image_of_a_valid_signer_is_404(emulator: Emulator) -> None:
    signed = emulator.state.signer.sign(emulator.root_url, "img-doesnotexist.png", emulator.state.clock())

    response = httpx.get(signed)

    assert response.status_code == 404
    assert "<Code>BlobNotFound</Code>" in response.text
