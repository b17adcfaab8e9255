"""Error messages never print a secret (issue 11, break 5).

Before: a key used as a JSON key was refused by the leak scan with the key itself in the message
(``response.body.json.sk-proj-jzZyBb9SMN...(key)``), on the terminal and in junit XML. Now every
message shows a secret masked: a short prefix, its length and a short hash, enough to tell two values
apart and nothing to reuse.
"""

from __future__ import annotations

import re

import pytest

from pytest_imagegen.emulator import Emulator
from pytest_imagegen.errors import (
    CassetteError,
    CassetteMiss,
    ImagegenAPIError,
    SchemaAssertionError,
    SecretLeakError,
)
from pytest_imagegen.safety.credentials import mask, mask_text
from pytest_imagegen.safety.leaks import scan_for_leaks
from tests.safety.canaries import API_KEY, ORGANIZATION
from tests.safety.disk_search import find_secrets
from tests.safety.fakes import fake_google, fake_jwt, fake_key
from tests.safety.inner_run import run

MASKED = re.compile(r"…\(\d+ chars, #[0-9a-f]{8}\)")


def test_the_masked_form_tells_values_apart_and_shows_almost_nothing() -> None:
    key = fake_key("m")
    shown = mask(key)
    assert shown.startswith("sk-p…(")
    assert f"({len(key)} chars, #" in shown
    assert mask(key) == shown
    assert mask(fake_key("n")) != shown
    assert mask("hunter22")[:2] == "hu"
    assert "hunter" not in mask("hunter22")
    # Shapes are masked inside any text; ordinary words are left alone.
    text = f"key {key}, token {fake_jwt('m')}, google {fake_google('m')}, Bearer {fake_key('b')}"
    masked = mask_text(text + ", the sk-learn logo")
    assert "FAKE" not in masked
    assert masked.endswith(", the sk-learn logo")
    assert len(MASKED.findall(masked)) == 4
    assert (
        mask_text("tenant tenant-blue-42 failed", ["tenant-blue-42"])
        == f"tenant {mask('tenant-blue-42')} failed"
    )


def test_a_secret_used_as_a_json_key_is_masked_in_the_leak_report() -> None:
    key = fake_key("k")
    interaction = {"request": {"body": {"json": {key: 1, "prompt": "p"}}}, "response": {"body": {}}}
    findings = scan_for_leaks([interaction], secrets=[key])
    error = SecretLeakError("cassettes/t.yaml", findings)
    assert key not in str(error)
    assert f"request.body.json.{mask(key)} (key)" in str(error)
    # A literal secret the scan knows (any shape) is masked the same way.
    literal = "tenant-blue-42"
    findings = scan_for_leaks([{"response": {"headers": {literal: ["x"]}}}], secrets=[literal])
    assert literal not in str(SecretLeakError("c.yaml", findings))


@pytest.mark.parametrize(
    "make",
    [
        lambda k: CassetteMiss(f"no reply for {{'{k}': 1}}", path="c.yaml", request=k, differences=[k]),
        lambda k: CassetteError("c.yaml", f"interaction 0: request.body.json.{k}: expected a string"),
        lambda k: SchemaAssertionError([(f"$.{k}", "unknown field (strict mode)")]),
        lambda k: ImagegenAPIError(401, message=f"Incorrect API key provided: {k}", code="invalid_api_key"),
        lambda k: SecretLeakError(
            "c.yaml", [(0, f"response.headers.{k}", "a secret value used in this run")]
        ),
    ],
    ids=["CassetteMiss", "CassetteError", "SchemaAssertionError", "ImagegenAPIError", "SecretLeakError"],
)
def test_no_error_prints_a_key(make: object) -> None:
    key = fake_key("e")
    error = make(key)  # type: ignore[operator]
    assert key not in str(error)
    assert key not in repr(error)
    assert mask(key) in str(error)


def test_a_miss_masks_the_literal_secrets_it_is_given() -> None:
    miss = CassetteMiss(
        "no recorded reply: body.tenant-blue-42: sent 1",
        path="c.yaml",
        request="r",
        secrets=["tenant-blue-42"],
    )
    assert "tenant-blue-42" not in str(miss)


# ------------------------------------------------------------------ through pytest: terminal and junit

INNER_TESTS = """
import os

import httpx


def test_key_as_a_json_key(imagegen_cassette, imagegen_openai):
    key = os.environ.get("OPENAI_API_KEY") or "sk-replay-no-key-needed"
    with httpx.Client(base_url=str(imagegen_openai.base_url)) as client:
        reply = client.post(
            "images/generations",
            headers={"Authorization": f"Bearer {key}"},
            json={"model": "gpt-image-2", "prompt": "a fox", "size": "64x64", os.environ["PLANTED"]: 1},
        )
    assert reply.status_code == 400  # the service refuses the unknown field, naming it: the key again
"""


def record_then_replay(
    pytester: pytest.Pytester, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> tuple[pytest.RunResult, pytest.RunResult]:
    pytester.makepyfile(test_masked=INNER_TESTS)
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    monkeypatch.setenv("OPENAI_ORG_ID", ORGANIZATION)
    monkeypatch.setenv("PLANTED", API_KEY)  # the key, used as a JSON key of the request body
    recorded = run(
        pytester, "--imagegen-record=once", f"--imagegen-base-url={emulator.base_url}", "--junitxml=rec.xml"
    )
    monkeypatch.delenv("OPENAI_API_KEY")
    replayed = run(pytester, "--junitxml=replay.xml")  # nothing was recorded: a miss that names the request
    return recorded, replayed


def error_lines(result: pytest.RunResult) -> str:
    """What pytest shows of the exceptions: its ``E`` lines."""
    return "\n".join(line for line in result.outlines if line.startswith("E "))


def test_terminal_and_junit_never_show_the_secret(
    pytester: pytest.Pytester, canary_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded, replayed = record_then_replay(pytester, canary_emulator, monkeypatch)

    # The leak scan refuses the write (the request body still names the key) and says where, masked.
    recorded.assert_outcomes(passed=1, errors=1)
    recorded.stdout.fnmatch_lines(
        ["*SecretLeakError: refused to write cassette*", f"*request.body.json.{mask(API_KEY)} (key)*"]
    )
    assert not any((pytester.path / "cassettes").rglob("*.yaml"))
    recording_output = recorded.stdout.str() + recorded.stderr.str() + (pytester.path / "rec.xml").read_text()
    assert API_KEY not in recording_output
    assert ORGANIZATION not in recording_output

    replayed.assert_outcomes(failed=1)
    replayed.stdout.fnmatch_lines(["*CassetteMiss: no recorded reply*", f"*request: POST*{mask(API_KEY)}*"])
    assert API_KEY not in error_lines(replayed)


def test_no_frame_of_a_miss_shows_the_raw_request(
    pytester: pytest.Pytester, canary_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pytest prints the arguments of the frame a failure came from; the plugin's short failure report
    # (failures.py) keeps its own frames, which hold the raw request, out of it.
    _, replayed = record_then_replay(pytester, canary_emulator, monkeypatch)
    assert API_KEY not in replayed.stdout.str() + (pytester.path / "replay.xml").read_text()
    assert find_secrets(pytester.path, {"api key": API_KEY, "organization": ORGANIZATION}) == []
