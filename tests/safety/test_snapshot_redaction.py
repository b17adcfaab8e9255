"""Snapshots are redacted like cassettes (issue 11, break 1).

Before: ``assert excinfo.value == imagegen_snapshot`` on a live 429 wrote the service's message verbatim
into ``__snapshots__/*.ambr``, organization id included (and with a custom server, keys, project ids,
signatures, a JWT...); the replayed reply, redacted in the cassette, then differed from the snapshot, so
the test also failed offline.

Here a pytest run records, through ``imagegen_snapshot``, replies and SDK errors from an emulator whose
account values are canaries (the 429 names the organization, the 401 echoes the masked key, dall-e-3
echoes a prompt planted with credential shapes), plus a stream. Then: zero canary bytes anywhere under
the run's folder (snapshots, cassettes, caches), and a second run, replaying with the emulator stopped
and the credentials gone, matches every snapshot the first run wrote.
"""

from __future__ import annotations

import pytest

from pytest_imagegen.emulator import Emulator
from pytest_imagegen.errors import SecretLeakError
from pytest_imagegen.safety.redact_rules import RedactionRules
from pytest_imagegen.snapshot import redaction_for, snapshot_text
from tests.safety.canaries import API_KEY, CANARIES, ORGANIZATION, PROJECT, WRONG_KEY
from tests.safety.disk_search import find_secrets
from tests.safety.inner_run import run

# Credential shapes a prompt carries into dall-e-3's revised_prompt, built from pieces (see fakes.py).
PLANTED = {
    "planted key": "sk-proj-" + "CANARYPLANTEDq7Z3xR9mW2pL5vN8bT4k",
    "planted anthropic key": "sk-ant-api03-" + "CANARYANTq7Z3xR9mW2pL5vN8bT4kH6j",
    "planted google key": ("AI" + "za" + "CANARYGOOGLEq7Z3xR9mW2pL5vN8bT4kH6jD1f")[:39],
    "planted project": "proj_" + "CANARYPLANTPROJq7Z3xR9mW",
    "planted jwt": "ey" + "JhbGciOiJIUzI1NiJ9.eyJDQU5BUlkiOjF9.Q0FOQVJZc2lnbmF0dXJl",
    "planted signature": "CANARYSIGq7Z3xR9mW2pL5",
}
PLANTED_PROMPT = (
    f"a lighthouse, key {PLANTED['planted key']} and {PLANTED['planted anthropic key']}, "
    f"google {PLANTED['planted google key']}, project {PLANTED['planted project']}, "
    f"token {PLANTED['planted jwt']}, https://cdn.example.com/i.png?sv=1&sig={PLANTED['planted signature']}"
)

INNER_TESTS = """
import os

import openai
import pytest

from pytest_imagegen import ImagegenAPIError

WRONG_KEY = os.environ.get("CANARY_WRONG_KEY", "sk-another-key-0000")


def test_an_sdk_429_names_the_organization(imagegen_openai, imagegen_snapshot):
    with pytest.raises(openai.RateLimitError) as caught:
        imagegen_openai.images.generate(model="gpt-image-2", prompt="rate limited", size="64x64")
    assert imagegen_snapshot == caught.value


def test_the_plugin_client_429(imagegen_client, imagegen_snapshot):
    with pytest.raises(ImagegenAPIError) as caught:
        imagegen_client.generate("rate limited again", model="gpt-image-2", size="64x64")
    assert imagegen_snapshot == caught.value


def test_a_401_echoes_the_masked_key(imagegen_openai, imagegen_snapshot):
    wrong = imagegen_openai.with_options(api_key=WRONG_KEY)
    with pytest.raises(openai.AuthenticationError) as caught:
        wrong.images.generate(model="gpt-image-2", prompt="wrong key", size="64x64")
    assert imagegen_snapshot == caught.value


def test_a_reply_that_echoes_a_planted_prompt(imagegen_openai, imagegen_snapshot):
    reply = imagegen_openai.images.generate(
        model="dall-e-3", prompt=os.environ["PLANTED_PROMPT"], response_format="url"
    )
    assert imagegen_snapshot == reply
    assert imagegen_snapshot == reply.model_dump(mode="json")


def test_a_stream(imagegen_openai, imagegen_snapshot):
    stream = imagegen_openai.images.generate(
        model="gpt-image-2", prompt="a streamed lighthouse", size="64x64", stream=True, partial_images=1
    )
    assert imagegen_snapshot == list(stream)
"""
N_TESTS = INNER_TESTS.count("\ndef test_")
N_SNAPSHOTS = INNER_TESTS.count("== ")


@pytest.fixture(autouse=True)
def _not_an_xdist_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    # The inner runs are plain pytest runs: syrupy leaves its report to an xdist controller when it sees
    # these, and an in-process pytester run has none.
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)


def test_no_canary_reaches_a_snapshot_and_the_replay_matches_the_recording(
    pytester: pytest.Pytester, canary_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_snapshots=INNER_TESTS)
    credentials = {
        "OPENAI_API_KEY": API_KEY,
        "OPENAI_ORG_ID": ORGANIZATION,
        "OPENAI_PROJECT_ID": PROJECT,
        "CANARY_WRONG_KEY": WRONG_KEY,
    }
    for name, value in credentials.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PLANTED_PROMPT", PLANTED_PROMPT)  # the test's own prompt: replay sends it too
    canary_emulator.inject_fault("rate_limit", count=2)

    recorded = run(
        pytester,
        "--imagegen-record=once",
        f"--imagegen-base-url={canary_emulator.base_url}",
        "--snapshot-update",
    )
    recorded.assert_outcomes(passed=N_TESTS)
    recorded.stdout.fnmatch_lines([f"*{N_SNAPSHOTS} snapshots generated*"])
    # The canaries really went out and came back.
    log = canary_emulator.requests
    assert sum(r.status == 429 for r in log) == 2
    assert any(r.status == 401 for r in log)
    assert any(r.params.get("prompt") == PLANTED_PROMPT for r in log)

    ambr = (pytester.path / "__snapshots__" / "test_snapshots.ambr").read_text()
    assert "in organization org-REDACTED" in ambr
    assert "Incorrect API key provided: sk-REDACTED" in ambr
    assert "key sk-REDACTED and sk-REDACTED, google REDACTED, project proj_REDACTED" in ambr
    secrets = {**CANARIES, **PLANTED}
    assert find_secrets(pytester.path, secrets) == []

    for name in credentials:
        monkeypatch.delenv(name)
    canary_emulator.reset()
    replayed = run(pytester)  # record mode "none": from the cassettes, the network blocked
    replayed.assert_outcomes(passed=N_TESTS)
    replayed.stdout.fnmatch_lines([f"*{N_SNAPSHOTS} snapshots passed*"])
    assert canary_emulator.requests == []
    assert (pytester.path / "__snapshots__" / "test_snapshots.ambr").read_text() == ambr
    assert find_secrets(pytester.path, secrets) == []


def test_snapshot_text_outside_syrupy_is_redacted_with_the_rules_in_force() -> None:
    reply = {"data": [{"revised_prompt": "made for tenant-blue-42 with " + PLANTED["planted key"]}]}
    assert "tenant-blue-42" in snapshot_text(reply)
    with redaction_for(RedactionRules(values=("tenant-blue-42",))):
        text = snapshot_text(reply)
    assert text == 'images reply\n  data[0].revised_prompt: "made for REDACTED with sk-REDACTED"'


def test_a_secret_redaction_cannot_remove_stops_the_write() -> None:
    # A configured secret that itself contains the marker word: redaction takes it for a marker and
    # leaves it, the leak scan does not, and the snapshot is refused with a message that does not print it.
    secret = "tok-REDACTED-" + "CANARYq7Z3xR9"
    with redaction_for(RedactionRules(values=(secret,))), pytest.raises(SecretLeakError) as caught:
        snapshot_text({"data": [{"note": f"minted {secret}"}]})
    message = str(caught.value)
    assert message.startswith("refused to write snapshot of the images reply: 1 secret(s) would reach disk:")
    assert "snapshot, line 2: a secret value used in this run" in message
    assert secret not in message
