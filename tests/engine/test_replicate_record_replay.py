"""Replicate through httpx, requests and the official ``replicate`` client: a prediction created,
read on as it goes starting, processing, succeeded, and its outputs fetched from the other host,
recorded from the emulator over real sockets and replayed with nothing listening and no token.

On replay the same statuses come back in order, the application asks for as many sleeps (nobody
sleeps: the client's ``time.sleep`` is counted), and every output decodes to the recorded format and
size. On disk: no token, every output image a placeholder, a clean verdict, the reads marked pending
then final by the shape.
"""

from __future__ import annotations

import io
import types
from typing import Any

import httpx
import pytest
import replicate
import replicate.prediction
import requests
from PIL import Image

from pytest_imagegen.emulator import Emulator
from tests.engine.conftest import Tape
from tests.engine.polling import Sleeps, assert_stored_cleanly, record_then_replay, states, stored

TOKEN = "r8_" + "EngineTestToken" + "4" * 22
MODEL = "black-forest-labs/flux-schnell"
INPUT: dict[str, Any] = {
    "prompt": "a fox",
    "num_outputs": 2,
    "width": 96,
    "height": 64,
    "output_format": "png",
}
DONE = ("succeeded", "failed", "canceled")


@pytest.fixture
def emulator(imagegen_emulator: Emulator) -> Emulator:
    imagegen_emulator.reset()
    return imagegen_emulator


def decoded(data: bytes) -> tuple[str | None, tuple[int, int]]:
    image = Image.open(io.BytesIO(data))
    return image.format, image.size


def httpx_flow(root: str, sleep: Sleeps) -> tuple[list[str], list[Any]]:
    with httpx.Client(timeout=60, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        prediction = client.post(f"{root}/v1/models/{MODEL}/predictions", json={"input": INPUT}).json()
        seen = [prediction["status"]]
        while prediction["status"] not in DONE:
            read = client.get(prediction["urls"]["get"]).raise_for_status()
            prediction = read.json()
            seen.append(prediction["status"])
            if prediction["status"] not in DONE:
                sleep(float(read.headers["retry-after"]))
        return seen, [decoded(client.get(url).content) for url in prediction["output"]]


def requests_flow(root: str, sleep: Sleeps) -> tuple[list[str], list[Any]]:
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {TOKEN}"
        prediction = session.post(
            f"{root}/v1/models/{MODEL}/predictions", json={"input": INPUT}, timeout=60
        ).json()
        seen = [prediction["status"]]
        while prediction["status"] not in DONE:
            read = session.get(prediction["urls"]["get"], timeout=60)
            prediction = read.json()
            seen.append(prediction["status"])
            if prediction["status"] not in DONE:
                sleep(float(read.headers["retry-after"]))
        return seen, [decoded(session.get(url, timeout=60).content) for url in prediction["output"]]


EXPECTED = (["starting", "starting", "processing", "processing", "succeeded"], [("PNG", (96, 64))] * 2)


@pytest.mark.parametrize("flow", [httpx_flow, requests_flow])
def test_a_prediction_replays_offline_through_http_libraries(
    tape: Tape, emulator: Emulator, flow: Any
) -> None:
    recorded, replayed, recorded_sleeps, replayed_sleeps = record_then_replay(tape, emulator.root_url, flow)
    assert recorded == replayed == EXPECTED
    assert len(recorded_sleeps.asked) == len(replayed_sleeps.asked) == 3
    interactions, size = stored(tape)
    assert assert_stored_cleanly(interactions, [TOKEN]) == 2
    assert states(interactions) == [None, "pending", "pending", "pending", "final", None, None]
    assert size < 10_000


def test_the_replicate_client_polls_and_replays_offline(
    tape: Tape, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    def flow(root: str, sleep: Sleeps) -> tuple[str, list[Any]]:
        monkeypatch.setattr(replicate.prediction, "time", types.SimpleNamespace(sleep=sleep))
        client = replicate.Client(api_token=TOKEN if root == emulator.root_url else None, base_url=root)
        prediction = client.predictions.create(model=MODEL, input=INPUT)
        prediction.wait()
        return prediction.status, [decoded(client._client.get(url).content) for url in prediction.output]

    # Replay with no token at all: the session's dummy REPLICATE_API_TOKEN stands in.
    monkeypatch.delenv("REPLICATE_API_TOKEN", raising=False)
    recorded, replayed, recorded_sleeps, replayed_sleeps = record_then_replay(tape, emulator.root_url, flow)
    assert recorded == replayed == ("succeeded", [("PNG", (96, 64))] * 2)
    assert recorded_sleeps.asked == replayed_sleeps.asked == [0.5] * 4  # the client's poll_interval
    interactions, _ = stored(tape)
    assert assert_stored_cleanly(interactions, [TOKEN]) == 2
    assert states(interactions).count("pending") == 3


def test_prefer_wait_answers_the_finished_prediction_at_once(tape: Tape, emulator: Emulator) -> None:
    def flow(root: str, sleep: Sleeps) -> tuple[str, Any]:
        client = replicate.Client(api_token=TOKEN, base_url=root)
        # The client wraps https URLs only in FileOutput; the emulator's are http: fetch them with its httpx.
        outputs = client.run(MODEL, input={**INPUT, "num_outputs": 1}, use_file_output=False)
        return "ran", [decoded(client._client.get(url).content) for url in outputs]

    recorded, replayed, _, _ = record_then_replay(tape, emulator.root_url, flow)
    assert recorded == replayed == ("ran", [("PNG", (96, 64))])
    interactions, _ = stored(tape)
    assert [i["request"]["method"] for i in interactions] == ["POST", "GET"]
    assert interactions[0]["request"]["headers"].get("prefer", [""])[0].startswith("wait")
    assert_stored_cleanly(interactions, [TOKEN])
