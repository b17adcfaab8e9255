"""Stability AI v2beta through httpx and requests: a synchronous generation answered with the image's
bytes (``accept: image/*``) or as JSON, and an asynchronous creative upscale whose result is read (202,
202, 202, 200), recorded from the emulator over real sockets and replayed with nothing listening and no
key.

On replay the same replies come back in order (the image's ``finish-reason`` and ``seed`` headers too),
the application asks for as many sleeps (nobody sleeps), and every image decodes to the recorded format
and size. On disk: no key, every image (the bare reply, the JSON ``image``, the uploaded input) a
placeholder, a clean verdict (the bare image checked as one), the result reads marked pending then final.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import httpx
import pytest
import requests
from PIL import Image

from pytest_imagegen.emulator import Emulator
from tests.engine.conftest import Tape
from tests.engine.polling import Sleeps, assert_stored_cleanly, record_then_replay, states, stored

KEY = "sk-" + "StabilityEngineKey" + "2" * 30
AUTH = {"authorization": f"Bearer {KEY}"}
FORM: dict[str, Any] = {"none": ("", b"")}  # multipart even when text only, as the service asks


@pytest.fixture
def emulator(imagegen_emulator: Emulator) -> Emulator:
    imagegen_emulator.reset()
    return imagegen_emulator


def decoded(data: bytes) -> tuple[str | None, tuple[int, int]]:
    image = Image.open(io.BytesIO(data))
    return image.format, image.size


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "teal").save(out, format="PNG")
    return out.getvalue()


def generate_flow(root: str, sleep: Sleeps) -> list[Any]:
    with httpx.Client(timeout=60, headers=AUTH) as client:
        raw = client.post(
            f"{root}/v2beta/stable-image/generate/core",
            files=FORM,
            data={"prompt": "a fox", "aspect_ratio": "16:9", "output_format": "webp"},
            headers={"accept": "image/*"},
        ).raise_for_status()
        as_json = client.post(
            f"{root}/v2beta/stable-image/generate/sd3",
            files=FORM,
            data={"prompt": "a fox", "output_format": "jpeg", "model": "sd3.5-medium"},
            headers={"accept": "application/json"},
        ).raise_for_status()
        document = as_json.json()
        return [
            (raw.headers["finish-reason"], raw.headers["content-type"], decoded(raw.content)),
            (document["finish_reason"], decoded(base64.b64decode(document["image"]))),
        ]


def upscale_flow(root: str, sleep: Sleeps) -> tuple[list[int], Any]:
    with requests.Session() as session:
        session.headers.update(AUTH)
        job = session.post(
            f"{root}/v2beta/stable-image/upscale/creative",
            files={"image": ("in.png", png(48, 32), "image/png")},
            data={"prompt": "a fox", "output_format": "png"},
            timeout=60,
        ).json()
        codes = []
        while True:
            read = session.get(
                f"{root}/v2beta/results/{job['id']}", headers={"accept": "image/*"}, timeout=60
            )
            codes.append(read.status_code)
            if read.status_code != 202:
                break
            sleep(float(read.headers["retry-after"]))
        return codes, decoded(read.content)


def test_a_synchronous_generation_replays_offline(tape: Tape, emulator: Emulator) -> None:
    recorded, replayed, _, _ = record_then_replay(tape, emulator.root_url, generate_flow)
    assert (
        recorded
        == replayed
        == [
            ("SUCCESS", "image/webp", ("WEBP", (1376, 768))),
            ("SUCCESS", ("JPEG", (1024, 1024))),
        ]
    )
    interactions, size = stored(tape)
    assert assert_stored_cleanly(interactions, [KEY]) == 2
    assert states(interactions) == [None, None]
    assert size < 6_000


def test_an_asynchronous_upscale_replays_offline(tape: Tape, emulator: Emulator) -> None:
    recorded, replayed, recorded_sleeps, replayed_sleeps = record_then_replay(
        tape, emulator.root_url, upscale_flow
    )
    assert recorded == replayed == ([202, 202, 202, 200], ("PNG", (96, 64)))
    assert recorded_sleeps.asked == [1.0] * 3
    assert len(replayed_sleeps.asked) == 3
    interactions, _ = stored(tape)
    assert assert_stored_cleanly(interactions, [KEY]) == 1
    upload = interactions[0]["request"]["body"]["multipart"]
    assert all("base64" not in part.get("file", {}) for part in upload), "the uploaded image is a placeholder"
    assert states(interactions) == [None, "pending", "pending", "pending", "final"]
