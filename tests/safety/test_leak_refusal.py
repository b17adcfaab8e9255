"""A secret redaction does not know: redacted once configured, and where redaction cannot reach, the write
is refused.

The secret is a custom trace token (``tok_…``) in a custom header (``X-Internal-Trace``, a name no built-in
rule treats as secret) and in a prompt. Without configuration it reaches disk (the control); given as a
user pattern (``redact_patterns``) or a literal (``secret_values``) in an ``imagegen_config`` override it
is redacted from both. Redaction never rewrites the bytes of an uploaded file (matching uses their
digest), so when the same token rides in an upload that is not an image (a text file sent by mistake),
the leak scan, which decodes non-image uploads, refuses the write: ``SecretLeakError`` names the
interaction and the field, not the secret; no file is written, and an existing cassette stays as it was.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pytest_imagegen.emulator import Emulator
from tests.safety.canaries import API_KEY
from tests.safety.disk_search import find_secrets
from tests.safety.inner_run import run

TOKEN = "tok_CANARYTRACEr8S9t0U1v2W3x4Y5"
PATTERN = r"tok_[A-Za-z0-9]{16,}"

CONFIGS = {
    "none": "",
    "redact_patterns": f"redact_patterns=({PATTERN!r},)",
    "secret_values": f"secret_values=({TOKEN!r},)",
}

INNER_CONFTEST = """
import pytest


@pytest.fixture
def imagegen_config(imagegen_config):
    return imagegen_config.replace({config})
"""

INNER_TESTS = f"""
import os

import httpx

TOKEN = {TOKEN!r}


def test_traced_calls(imagegen_openai):
    headers = {{"Authorization": f"Bearer {{imagegen_openai.api_key}}", "X-Internal-Trace": TOKEN}}
    with httpx.Client(base_url=str(imagegen_openai.base_url), headers=headers) as client:
        reply = client.post(
            "images/generations",
            json={{"model": "gpt-image-2", "prompt": f"a lighthouse [trace {{TOKEN}}]", "size": "64x64"}},
        )
        assert reply.status_code == 200
        if os.environ.get("UPLOAD_THE_NOTES"):
            # A text file sent where an image belongs: the service turns it down, and the recorder keeps
            # the request as it was sent, file bytes included.
            reply = client.post(
                "images/edits",
                data={{"model": "gpt-image-2", "prompt": "edit"}},
                files={{"image": ("notes.txt", f"X-Internal-Trace: {{TOKEN}}\\n".encode(), "text/plain")}},
            )
            assert reply.status_code == 400
"""

CASSETTE = Path("cassettes/test_traced/test_traced_calls.json")
# The upload is the third part of the edit (httpx writes data fields, then files), in the second interaction.
UPLOAD_FINDING = "interaction 1, request.body.multipart[2].file.base64 (decoded): "
WHAT = {
    "redact_patterns": "text matching user redaction pattern #1",
    "secret_values": "a secret value used in this run",
}


@pytest.fixture
def traced(
    pytester: pytest.Pytester, canary_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> pytest.Pytester:
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    pytester.makepyfile(test_traced=INNER_TESTS)
    return pytester


def record(pytester: pytest.Pytester, emulator: Emulator, mode: str = "once") -> pytest.RunResult:
    return run(pytester, f"--imagegen-record={mode}", f"--imagegen-base-url={emulator.base_url}")


def files_under(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file()) if directory.exists() else []


@pytest.mark.parametrize("config", CONFIGS)
def test_a_configured_token_is_redacted_from_header_and_prompt(
    traced: pytest.Pytester, canary_emulator: Emulator, config: str
) -> None:
    traced.makeconftest(INNER_CONFTEST.format(config=CONFIGS[config]))
    record(traced, canary_emulator).assert_outcomes(passed=1)

    assert [r.headers["x-internal-trace"] for r in canary_emulator.requests] == [TOKEN]
    text = (traced.path / CASSETTE).read_text()
    hits = find_secrets(traced.path / "cassettes", {"trace token": TOKEN})
    if config == "none":
        # The control: no built-in rule knows this token, so without configuration it is kept.
        assert hits
        assert f'"x-internal-trace": "{TOKEN}"' in text
    else:
        assert hits == []
        assert '"x-internal-trace": "REDACTED"' in text
        # A configured secret belongs to the run: a fixed marker, even in what the request is matched on.
        assert '"prompt": "a lighthouse [trace REDACTED]"' in text


def _leak_report(result: pytest.RunResult) -> list[str]:
    """The SecretLeakError lines of a run's output (pytest prefixes each with 'E ')."""
    lines = [re.sub(r"^E\s+", "", line) for line in result.outlines]
    start = next(i for i, line in enumerate(lines) if "SecretLeakError: refused to write cassette" in line)
    return lines[start : start + 3]


@pytest.mark.parametrize("config", ["redact_patterns", "secret_values"])
def test_the_token_in_a_text_upload_stops_the_write(
    traced: pytest.Pytester, canary_emulator: Emulator, monkeypatch: pytest.MonkeyPatch, config: str
) -> None:
    traced.makeconftest(INNER_CONFTEST.format(config=CONFIGS[config]))
    monkeypatch.setenv("UPLOAD_THE_NOTES", "1")

    result = record(traced, canary_emulator)

    result.assert_outcomes(passed=1, errors=1)  # the test passed; saving its cassette failed
    assert [r.status for r in canary_emulator.requests] == [200, 400]
    path = traced.path / CASSETTE
    assert _leak_report(result) == [
        f"pytest_imagegen.errors.SecretLeakError: refused to write cassette {path}: 1 secret(s) would reach disk:",
        f"interaction 1, request.body.multipart[2].file.base64 (decoded): {WHAT[config]}",
        "Nothing was written. Add a redaction rule (imagegen_config redact_headers / "
        "redact_patterns) or remove the value from the request.",
    ]
    assert TOKEN not in result.stdout.str()
    assert files_under(traced.path / "cassettes") == []


def test_a_refused_write_leaves_the_existing_cassette_as_it_was(
    traced: pytest.Pytester, canary_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    traced.makeconftest(INNER_CONFTEST.format(config=CONFIGS["secret_values"]))
    record(traced, canary_emulator).assert_outcomes(passed=1)
    path = traced.path / CASSETTE
    before = path.read_bytes()
    assert len(json.loads(before)["interactions"]) == 1

    monkeypatch.setenv("UPLOAD_THE_NOTES", "1")
    result = record(traced, canary_emulator, mode="new_episodes")

    result.assert_outcomes(passed=1, errors=1)
    assert UPLOAD_FINDING + WHAT["secret_values"] in _leak_report(result)
    assert path.read_bytes() == before
    assert files_under(traced.path / "cassettes") == [path], "a temporary file was left behind"
