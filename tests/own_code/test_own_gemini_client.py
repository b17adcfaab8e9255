"""Application code that calls the Gemini API with its own httpx client, tested with no change to it.

The inner project's ``app.py`` reads ``GEMINI_API_KEY`` (or ``GOOGLE_API_KEY``, which google-genai prefers)
and posts to ``https://generativelanguage.googleapis.com``, the key in the ``?key=`` query or the
``x-goog-api-key`` header. Recorded from the bundled emulator with no key set (requests to Google's host go
to the emulator, carrying the dummy key), then replayed with nothing set and the network blocked. Recording
with no key against anything but the emulator sends nothing, whichever placement carries the key.
"""

from __future__ import annotations

import json

import pytest

from pytest_imagegen.emulator import Emulator
from pytest_imagegen.errors import DUMMY_API_KEY

APP = """
import os

import httpx

ROOT = os.environ.get("GEMINI_ROOT", "https://generativelanguage.googleapis.com")
BODY = {
    "contents": [{"parts": [{"text": "a lighthouse"}]}],
    "generationConfig": {"responseModalities": ["IMAGE"]},
}


def key():
    return os.environ.get("GOOGLE_API_KEY") or os.environ["GEMINI_API_KEY"]


def generate_with_key_in_query():
    url = f"{ROOT}/v1beta/models/gemini-2.5-flash-image:generateContent"
    return httpx.post(url, params={"key": key()}, json=BODY, timeout=60).json()


def stream_with_key_in_header():
    url = f"{ROOT}/v1beta/models/gemini-2.5-flash-image:streamGenerateContent?alt=sse"
    with httpx.stream("POST", url, headers={"x-goog-api-key": key()}, json=BODY, timeout=60) as reply:
        return [line for line in reply.iter_lines() if line.startswith("data: ")]
"""

TESTS = """
import pytest

import app

pytestmark = pytest.mark.imagegen


def test_query():
    reply = app.generate_with_key_in_query()
    assert reply["candidates"][0]["content"]["parts"][0]["inlineData"]["mimeType"] == "image/png"


def test_header():
    assert '"finishReason":"STOP"' in app.stream_with_key_in_header()[-1]
"""

KEY_NAMES = ("GEMINI_API_KEY", "GOOGLE_API_KEY", "GEMINI_ROOT", "OPENAI_API_KEY", "OPENAI_BASE_URL")


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for name in KEY_NAMES:
        monkeypatch.delenv(name, raising=False)
    pytester.makepyfile(app=APP, test_app=TESTS)
    pytester.syspathinsert()
    return pytester


def test_recorded_from_the_emulator_then_replayed_with_nothing_set(project: pytest.Pytester) -> None:
    project.runpytest("--imagegen-base-url=emulator", "--imagegen-record=once").assert_outcomes(passed=2)
    query = json.loads((project.path / "cassettes/test_app/test_query.json").read_text())
    request = query["interactions"][0]["request"]
    # The client's own URL is kept, its key redacted; the dummy it sent never reaches the file.
    assert request["uri"] == (
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash-image:generateContent"
        "?key=REDACTED"
    )
    texts = [p.read_text() for p in sorted((project.path / "cassettes").rglob("*.json"))]
    assert len(texts) == 2
    assert not any(DUMMY_API_KEY in text for text in texts)

    replayed = project.runpytest()  # record mode none: no key, no root, network blocked
    replayed.assert_outcomes(passed=2)
    replayed.stdout.fnmatch_lines(["*2 cassette(s): 2 replayed, 0 recorded*"])


@pytest.mark.parametrize("test", ["test_query", "test_header"])
def test_recording_without_a_key_sends_nothing_in_either_placement(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, test: str
) -> None:
    # A service that is not the emulator (127.0.0.2 is loopback to the kernel, not to the plugin).
    with Emulator(host="127.0.0.2") as service:
        monkeypatch.setenv("GEMINI_ROOT", service.root_url)
        result = project.runpytest("--imagegen-record=once", f"test_app.py::{test}")
        assert service.requests == []
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*RecordingNeedsKeyError: recording POST http://127.0.0.2:*needs a real key*"]
    )
    assert list((project.path / "cassettes").rglob("*.json")) == []


def test_with_no_key_both_google_names_hold_the_dummy_inside_a_cassette(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_env="""
        import os
        import pytest

        DUMMY = "sk-imagegen-fake-key-none-is-set"

        @pytest.mark.imagegen
        def test_neither_set():
            assert os.environ["GEMINI_API_KEY"] == os.environ["GOOGLE_API_KEY"] == DUMMY

        def test_outside():  # the session's own dummies (a replay-only session cannot record)
            assert os.environ["GEMINI_API_KEY"] == os.environ["GOOGLE_API_KEY"] == DUMMY
        """
    )
    project.runpytest("test_env.py", "-p", "no:randomly").assert_outcomes(passed=2)


def test_a_real_gemini_key_is_not_hidden_behind_a_dummy_google_key(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "AIza" + "RealLookingKeyForThisTest" + "0" * 10)
    project.makepyfile(
        test_env="""
        import os
        import pytest

        @pytest.mark.imagegen
        def test_inside():
            assert os.environ["GEMINI_API_KEY"].startswith("AIza")
            assert "GOOGLE_API_KEY" not in os.environ
        """
    )
    project.runpytest("test_env.py").assert_outcomes(passed=1)
