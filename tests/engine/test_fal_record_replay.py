"""fal.ai's queue through httpx, requests and the official ``fal-client``: a request queued, its status
read as it goes IN_QUEUE, IN_PROGRESS, COMPLETED, its result read and its images fetched from the CDN
host, recorded from the emulator over real sockets and replayed with nothing listening and no key.

On replay the same statuses come back in order, the application asks for as many sleeps (nobody sleeps:
fal-client's ``time.sleep`` is counted), and every image decodes to the recorded format and size. On
disk: no key, every image a placeholder, a clean verdict, the status reads marked pending then final.
"""

from __future__ import annotations

import io
import types
from typing import Any

import fal_client
import fal_client.client
import httpx
import pytest
import requests
from PIL import Image

from pytest_imagegen.emulator import Emulator
from tests.engine.conftest import Tape
from tests.engine.polling import Sleeps, assert_stored_cleanly, record_then_replay, states, stored

KEY = "fal-engine-key-id:" + "9" * 32
APP = "fal-ai/flux/dev"
ASK: dict[str, Any] = {"prompt": "a fox", "num_images": 2, "image_size": {"width": 80, "height": 48}}


@pytest.fixture
def emulator(imagegen_emulator: Emulator) -> Emulator:
    imagegen_emulator.reset()
    return imagegen_emulator


def decoded(data: bytes) -> tuple[str | None, tuple[int, int]]:
    image = Image.open(io.BytesIO(data))
    return image.format, image.size


def httpx_flow(root: str, sleep: Sleeps) -> tuple[list[str], list[Any]]:
    with httpx.Client(timeout=60, headers={"Authorization": f"Key {KEY}"}) as client:
        queued = client.post(f"{root}/{APP}", json=ASK).raise_for_status().json()
        seen = []
        while True:
            read = client.get(queued["status_url"]).raise_for_status()
            seen.append(read.json()["status"])
            if seen[-1] == "COMPLETED":
                break
            sleep(float(read.headers["retry-after"]))
        result = client.get(queued["response_url"]).raise_for_status().json()
        return seen, [decoded(client.get(image["url"]).content) for image in result["images"]]


def requests_flow(root: str, sleep: Sleeps) -> tuple[list[str], list[Any]]:
    with requests.Session() as session:
        session.headers["Authorization"] = f"Key {KEY}"
        queued = session.post(f"{root}/{APP}", json=ASK, timeout=60).json()
        seen = []
        while True:
            read = session.get(queued["status_url"], params={"logs": "1"}, timeout=60)
            seen.append(read.json()["status"])
            if seen[-1] == "COMPLETED":
                break
            sleep(float(read.headers["retry-after"]))
        result = session.get(queued["response_url"], timeout=60).json()
        return seen, [decoded(session.get(image["url"], timeout=60).content) for image in result["images"]]


EXPECTED = (["IN_QUEUE", "IN_QUEUE", "IN_PROGRESS", "COMPLETED"], [("JPEG", (80, 48))] * 2)


@pytest.mark.parametrize("flow", [httpx_flow, requests_flow])
def test_a_queued_request_replays_offline_through_http_libraries(
    tape: Tape, emulator: Emulator, flow: Any
) -> None:
    recorded, replayed, recorded_sleeps, replayed_sleeps = record_then_replay(tape, emulator.root_url, flow)
    assert recorded == replayed == EXPECTED
    assert recorded_sleeps.asked == [1.0] * 3
    assert len(replayed_sleeps.asked) == 3
    interactions, size = stored(tape)
    assert assert_stored_cleanly(interactions, [KEY]) == 2
    assert states(interactions) == [None, "pending", "pending", "pending", "final", None, None, None]
    assert size < 10_000


def test_fal_client_subscribes_and_replays_offline(
    tape: Tape, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    def flow(root: str, sleep: Sleeps) -> tuple[list[str], list[Any]]:
        # fal-client builds its queue URLs from this constant (https://queue.fal.run/).
        monkeypatch.setattr(fal_client.client, "QUEUE_URL_FORMAT", f"{root}/")
        monkeypatch.setattr(fal_client.client, "time", types.SimpleNamespace(sleep=sleep))
        client = fal_client.SyncClient(key=KEY if root == emulator.root_url else None)
        updates: list[str] = []
        result = client.subscribe(APP, ASK, on_queue_update=lambda s: updates.append(type(s).__name__))
        images = [decoded(client._client.get(image["url"]).content) for image in result["images"]]
        return updates, images

    # Replay with no key at all: the session's dummy FAL_KEY stands in.
    monkeypatch.delenv("FAL_KEY", raising=False)
    recorded, replayed, recorded_sleeps, replayed_sleeps = record_then_replay(tape, emulator.root_url, flow)
    assert recorded == replayed == (["Queued", "Queued", "InProgress", "Completed"], [("JPEG", (80, 48))] * 2)
    assert (
        recorded_sleeps.asked == replayed_sleeps.asked == [fal_client.client.DEFAULT_QUEUE_POLL_INTERVAL] * 3
    )
    interactions, _ = stored(tape)
    assert assert_stored_cleanly(interactions, [KEY]) == 2
    assert states(interactions).count("pending") == 3
