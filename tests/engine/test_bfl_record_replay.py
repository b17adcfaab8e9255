"""Black Forest Labs through httpx and requests: submit, three pending status reads on another host, the
Ready one, the signed sample download on a third step, recorded from the emulator over real sockets and
replayed with nothing listening and no key.

On replay the same states come back in order, the application asks for as many sleeps (the
``Retry-After`` the service advertised, 0 on replay; nobody sleeps), and the sample decodes to the recorded format
and size. On disk: no key, no signature, the image a placeholder, a clean verdict, and the status reads
marked pending, pending, pending, final by the shape.
"""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
import requests
from PIL import Image

from pytest_imagegen.emulator import Emulator
from tests.engine.conftest import Tape
from tests.engine.polling import Sleeps, assert_stored_cleanly, record_then_replay, states, stored

KEY = "bfl-engine-test-key-5f0c1a9d"
ASK: dict[str, Any] = {"prompt": "a fox", "width": 320, "height": 256, "output_format": "png"}


@pytest.fixture
def emulator(imagegen_emulator: Emulator) -> Emulator:
    imagegen_emulator.reset()
    return imagegen_emulator


def httpx_flow(root: str, sleep: Sleeps) -> tuple[list[str], tuple[str | None, tuple[int, int]]]:
    with httpx.Client(timeout=60, headers={"x-key": KEY}) as client:
        job = client.post(f"{root}/v1/flux-2-pro", json=ASK).raise_for_status().json()
        seen = []
        while True:
            read = client.get(job["polling_url"]).raise_for_status()
            seen.append(read.json()["status"])
            if seen[-1] != "Pending":
                break
            sleep(float(read.headers["retry-after"]))
        image = Image.open(io.BytesIO(client.get(read.json()["result"]["sample"]).raise_for_status().content))
        return seen, (image.format, image.size)


def requests_flow(root: str, sleep: Sleeps) -> tuple[list[str], tuple[str | None, tuple[int, int]]]:
    with requests.Session() as session:
        session.headers["x-key"] = KEY
        submitted = session.post(f"{root}/v1/flux-dev", json={**ASK, "output_format": "jpeg"}, timeout=60)
        submitted.raise_for_status()
        seen = []
        while True:
            read = session.get(submitted.json()["polling_url"], timeout=60)
            read.raise_for_status()
            seen.append(read.json()["status"])
            if seen[-1] != "Pending":
                break
            sleep(float(read.headers["retry-after"]))
        sample = session.get(read.json()["result"]["sample"], timeout=60)
        sample.raise_for_status()
        image = Image.open(io.BytesIO(sample.content))
        return seen, (image.format, image.size)


@pytest.mark.parametrize(("flow", "fmt"), [(httpx_flow, "PNG"), (requests_flow, "JPEG")])
def test_a_polled_job_replays_offline_with_the_same_states_and_sleeps(
    tape: Tape, emulator: Emulator, flow: Any, fmt: str
) -> None:
    recorded, replayed, recorded_sleeps, replayed_sleeps = record_then_replay(tape, emulator.root_url, flow)
    assert recorded == replayed == (["Pending", "Pending", "Pending", "Ready"], (fmt, (320, 256)))
    # The service's advertised interval when recorded; replay says Retry-After: 0 (never wait for it).
    assert recorded_sleeps.asked == [1.0, 1.0, 1.0]
    assert replayed_sleeps.asked == [0.0, 0.0, 0.0]
    hosts = {r.headers.get("host", "").split(":")[0] for r in emulator.requests}
    assert hosts == {"127.0.0.1", "localhost"}, "the status reads go to another host than the submit"
    interactions, size = stored(tape)
    assert assert_stored_cleanly(interactions, [KEY]) == 1
    assert "sig=" not in str([i["request"]["uri"] for i in interactions]).replace("sig=REDACTED", "")
    assert states(interactions) == [None, "pending", "pending", "pending", "final", None]
    assert size < 8_000


def test_a_moderated_job_ends_without_a_sample(tape: Tape, emulator: Emulator) -> None:
    def flow(root: str, sleep: Sleeps) -> list[str]:
        with httpx.Client(timeout=60, headers={"x-key": KEY, "x-emulator-pending": "1"}) as client:
            job = client.post(f"{root}/v1/flux-dev", json={**ASK, "prompt": "[moderated] x"}).json()
            seen = [client.get(job["polling_url"]).json()["status"]]
            while seen[-1] == "Pending" and len(seen) < 5:
                sleep(1)
                seen.append(client.get(job["polling_url"]).json()["status"])
            return seen

    recorded, replayed, _, _ = record_then_replay(tape, emulator.root_url, flow)
    assert recorded == replayed == ["Pending", "Content Moderated"]
    interactions, _ = stored(tape)
    assert states(interactions) == [None, "pending", "final"]
    assert_stored_cleanly(interactions, [KEY])
