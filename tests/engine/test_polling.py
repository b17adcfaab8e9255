"""Services that make you wait: a polled job recorded over real loopback sockets on three hosts, replayed
with every server stopped and the network blocked (``cassette/polling.py``).

The service (``polling_service.py``) submits on 127.0.0.1, answers status reads on 127.0.0.2 and serves
the image, by a signed URL, on 127.0.0.3. Its application sleeps what it is told through a fake that
counts the seconds: nothing here sleeps or reads a clock.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
from PIL import Image

from pytest_imagegen.emulator import Emulator
from pytest_imagegen.errors import CassetteMiss
from tests.engine.conftest import KEY, Tape
from tests.engine.polling_service import ACCESS_KEY_ID, Run, Service, generate, running

PENDING = [(200, "processing")] * 3
DONE = (200, "succeeded")
# Nothing listens here once the servers are stopped; replay must not need them.
DEAD_SUBMIT = "http://127.0.0.1:9"


def record(tape: Tape, service: Service, client: Any, mode: str = "rewrite", **changes: Any) -> Run:
    with running(service), tape.open(mode, **changes) as cassette:
        run = generate(client, service.roots["submit"], "a lighthouse")
        assert cassette.recorded_count == len(service.log)
    return run


def replay(tape: Tape, client: Any, **changes: Any) -> tuple[Run, Any]:
    with tape.open("none", **changes) as cassette:
        run = generate(client, DEAD_SUBMIT, "a lighthouse")
    return run, cassette


def image_facts(data: bytes) -> tuple[str | None, tuple[int, int], str]:
    image = Image.open(io.BytesIO(data))
    return image.format, image.size, image.mode


def test_default_replay_answers_the_first_poll_with_the_final_state(tape: Tape) -> None:
    with httpx.Client() as client:
        live = record(tape, Service(pending=3, interval=1), client)
        assert live.states == [*PENDING, DONE]
        assert live.slept == [1.0, 1.0, 1.0]
        replayed, cassette = replay(tape, client)
    assert replayed.states == [DONE]
    assert replayed.slept == []
    assert cassette.all_played  # the pending replies it skipped count as played
    assert image_facts(replayed.image) == image_facts(live.image) == ("PNG", (1024, 1024), "RGB")
    assert cassette.outcome()["polling"] == {"jobs": 1, "polls": 3, "recorded_s": 3.0, "replayed_s": 0.0}


def test_faithful_replay_serves_every_pending_state_in_order(tape: Tape) -> None:
    with httpx.Client() as client:
        live = record(tape, Service(pending=3, interval=1), client)
        replayed, cassette = replay(tape, client, polling="faithful")
    assert replayed.states == live.states == [*PENDING, DONE]
    assert cassette.all_played
    # The service's Retry-After reaches the client as 0: replay asks for no waiting.
    assert replayed.slept == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("polling", ["collapse", "faithful"])
def test_a_retry_after_a_503_is_no_poll_and_keeps_its_order(tape: Tape, polling: str) -> None:
    with httpx.Client() as client:
        live = record(tape, Service(pending=3, fail_first=1), client)
        assert live.states == [(503, None), *PENDING, DONE]
        replayed, cassette = replay(tape, client, polling=polling)
    expected = [(503, None), DONE] if polling == "collapse" else live.states
    assert replayed.states == expected
    assert cassette.all_played


def test_the_same_flow_recorded_again_leaves_the_cassette_byte_identical(tape: Tape) -> None:
    with httpx.Client() as client:
        first_run = record(tape, Service(pending=3), client)
        first = Path(tape_path(tape)).read_bytes()
        second_run = record(tape, Service(pending=3), client)
    second = Path(tape_path(tape)).read_bytes()
    assert first_run.job != second_run.job  # new job ids, new signed URLs...
    assert second == first  # ... and not one byte of the cassette changed


def tape_path(tape: Tape) -> str:
    with tape.open("none") as cassette:
        return cassette.path


def test_through_requests_too(tape: Tape) -> None:
    with requests.Session() as session:
        live = record(tape, Service(pending=3), session)
        replayed, cassette = replay(tape, session)
    assert (live.states, replayed.states) == ([*PENDING, DONE], [DONE])
    assert image_facts(replayed.image) == ("PNG", (1024, 1024), "RGB")
    assert cassette.all_played


@pytest.mark.parametrize("kind", ["png", "jpeg", "webp"])
def test_on_disk_no_signature_no_access_key_and_a_small_image(tape: Tape, kind: str) -> None:
    with httpx.Client() as client:
        live = record(tape, Service(pending=3, image_format=kind), client)
        replayed, _ = replay(tape, client)
    text = Path(tape_path(tape)).read_text()
    download = json.loads(text)["interactions"][-1]
    assert ACCESS_KEY_ID not in text
    assert "X-Amz-Signature=REDACTED" in download["request"]["uri"]
    assert image_facts(live.image) == (kind.upper(), (1024, 1024), "RGB")
    assert len(live.image) > 200_000  # noise: it hardly compresses
    # The replayed placeholder decodes to an image of the same format, size and mode ...
    assert image_facts(replayed.image) == image_facts(live.image)
    # ... and the download's reply costs the cassette at most 700 bytes: its facts and a preview.
    stored = json.dumps(download["response"]["body"], separators=(",", ":"))
    assert len(stored) <= 700, stored
    print(f"1024x1024 {kind} download: {len(live.image)} bytes live, {len(stored)} bytes stored, ", end="")
    print(f"cassette of the whole flow: {len(text)} bytes")


def test_dall_e_3_url_mode_recorded_twice_from_the_emulator_is_byte_identical(
    tape: Tape, imagegen_emulator: Emulator
) -> None:
    """The signed download URL (object name, SAS times, signing-key times) and the blob service's request
    id differed on every recording; the URL's stand-in is the same in the reply and in the download."""
    import openai

    recorded = []
    for _ in range(2):
        with tape.open("rewrite") as cassette:
            client = openai.OpenAI(base_url=imagegen_emulator.base_url, api_key=KEY, max_retries=0)
            reply = client.images.generate(model="dall-e-3", prompt="a cat", response_format="url")
            assert httpx.get(str(reply.data[0].url)).status_code == 200
        recorded.append(Path(cassette.path).read_bytes())
    assert recorded[0] == recorded[1]
    with tape.open("none") as cassette:
        client = openai.OpenAI(base_url=DEAD_SUBMIT + "/v1", api_key=KEY, max_retries=0)
        url = str(client.images.generate(model="dall-e-3", prompt="a cat", response_format="url").data[0].url)
        image = httpx.get(url).content
        assert cassette.all_played
    assert image_facts(image)[:2] == ("PNG", (1024, 1024))


def test_202_then_200_with_the_image_is_a_poll_and_the_interval_in_ms_replays_as_0(tape: Tape) -> None:
    service = Service(pending=2, interval=2, style="accepted", interval_header="openai-poll-after-ms")
    with httpx.Client() as client:
        live = record(tape, service, client)
        assert live.states == [(202, "in-progress"), (202, "in-progress"), (200, "image")]
        assert live.slept == [2.0, 2.0]
        collapsed, cassette = replay(tape, client)
        assert collapsed.states == [(200, "image")]
        assert cassette.outcome()["polling"]["recorded_s"] == 4.0
        faithful, _ = replay(tape, client, polling="faithful")
    assert faithful.states == live.states
    assert faithful.slept == [0.0, 0.0]
    assert image_facts(collapsed.image) == image_facts(faithful.image) == ("PNG", (1024, 1024), "RGB")


def test_two_jobs_of_one_cassette_keep_their_own_states(tape: Tape) -> None:
    """Two jobs' status reads differ only by their made-up ids: their stand-ins keep them apart (never a
    wrong reply), and each job collapses to its own final state."""
    service = Service(pending=2)
    with httpx.Client() as client:
        with running(service), tape.open("rewrite"):
            first = generate(client, service.roots["submit"], "a lighthouse")
            second = generate(client, service.roots["submit"], "a lighthouse")
        assert first.job != second.job
        with tape.open("none") as cassette:
            replayed = [generate(client, DEAD_SUBMIT, "a lighthouse") for _ in range(2)]
    assert [run.states for run in replayed] == [[DONE], [DONE]]
    assert replayed[0].job != replayed[1].job
    assert cassette.all_played
    text = Path(cassette.path).read_text()
    assert first.job not in text
    assert second.job not in text  # stand-ins, derived from the requests, not from the ids


def test_a_poll_beyond_the_recording_is_a_miss_never_a_repeat(tape: Tape) -> None:
    with httpx.Client() as client:
        live = record(tape, Service(pending=1), client)
        with tape.open("none", polling="faithful"):
            job = client.post(f"{DEAD_SUBMIT}/v1/jobs", json={"prompt": "a lighthouse"}).json()
            states = [client.get(job["polling_url"]).json()["status"] for _ in range(2)]
            with pytest.raises(CassetteMiss):
                client.get(job["polling_url"])
    assert states == [state for _, state in live.states] == ["processing", "succeeded"]


def test_the_session_summary_says_what_waiting_replay_saved(pytester: pytest.Pytester) -> None:
    pytester.syspathinsert(Path(__file__).resolve().parents[2])
    pytester.makepyfile(
        test_app="""
        import httpx, pytest
        from tests.engine.polling_service import Service, generate, running

        @pytest.mark.imagegen
        @pytest.mark.parametrize("n", [1, 2])
        def test_job(imagegen_cassette, n):
            with httpx.Client() as client:
                if imagegen_cassette.mode == "none":
                    run = generate(client, "http://127.0.0.1:9", "a lighthouse")
                    faithful = imagegen_cassette.config.polling == "faithful"
                    assert len(run.states) == (4 if faithful else 1)
                    assert run.slept == ([0.0, 0.0, 0.0] if faithful else [])
                else:
                    with running(Service(pending=3, interval=2)) as service:
                        run = generate(client, service.roots["submit"], "a lighthouse")
                    assert run.slept == [2.0, 2.0, 2.0]
        """
    )
    pytester.runpytest_subprocess("--imagegen-record=once").assert_outcomes(passed=2)
    line = "*2 polling job(s) replayed: 0.0 s instead of about 12 s recorded (6 pending replies)*"
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([line])
    faithful = pytester.runpytest_subprocess("-o", "imagegen_polling=faithful")
    faithful.assert_outcomes(passed=2)
    faithful.stdout.fnmatch_lines([line])
    refused = pytester.runpytest_subprocess("-o", "imagegen_polling=eager")
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    refused.stderr.fnmatch_lines(["*polling*'eager'*collapse, faithful*"])
