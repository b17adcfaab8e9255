"""Messages that say what is true (issue 24, item 7), each checked by its text: the miss hint recommends
re-recording the test's cassette with ``rewrite`` and names the key of the request's own service; a
Gemini cassette's expiry hint names the Gemini key; ``stats`` explains why "saved" can exceed "image
bytes". (The drift miss, ``--imagegen-strict-unused``, ``diff --git`` and the stored URL are checked in
``tests/lifecycle/test_drift.py``, ``tests/lifecycle/test_unused.py``, ``tests/cli/test_diff.py`` and
``tests/conformance/test_gateways_and_hosts.py``; the README's commands in ``test_readme_commands.py``.)
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pytest_imagegen.cassette.miss import key_variable
from pytest_imagegen.cli import main
from pytest_imagegen.errors import CassetteExpired

APP = """
import os

import httpx
import openai

GOOGLE = "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash-image:generateContent"


def sdk():
    return openai.OpenAI().images.generate(model="gpt-image-2", prompt=os.environ["PROMPT"], size="64x64")


def gemini():
    body = {"contents": [{"parts": [{"text": os.environ["PROMPT"]}]}]}
    return httpx.post(GOOGLE, json=body, headers={"x-goog-api-key": os.environ["GEMINI_API_KEY"]}).json()
"""

TESTS = """
import pytest

import app

pytestmark = pytest.mark.imagegen


def test_sdk():
    assert app.sdk().data[0].b64_json


def test_gemini():
    assert app.gemini()["candidates"]
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for name in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "GEMINI_API_KEY",
        "GOOGLE_API_KEY",
        "IMAGEGEN_RECORD_MODE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PROMPT", "a cat on a mat")
    pytester.makepyfile(app=APP, test_app=TESTS)
    pytester.syspathinsert()
    pytester.runpytest("--imagegen-base-url=emulator", "--imagegen-record=once").assert_outcomes(passed=2)
    return pytester


def test_the_miss_hint_recommends_rewriting_the_tests_cassette(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROMPT", "a dog on a log")
    result = project.runpytest()
    result.assert_outcomes(failed=2)
    text = result.stdout.str()

    assert "new_episodes" not in text
    assert "To record this test's cassette again (it then holds exactly what the test sends now):" in text
    assert "OPENAI_API_KEY=<your key> pytest 'test_app.py::test_sdk' --imagegen-record=rewrite" in text
    # The Gemini request names Google's key, not OpenAI's.
    assert "GEMINI_API_KEY=<your key> pytest 'test_app.py::test_gemini' --imagegen-record=rewrite" in text
    assert "from the bundled emulator: pytest 'test_app.py::test_gemini' --imagegen-record=rewrite " in text
    # Request and nearest show the same URL, the one the application asked for.
    assert "request: POST https://api.openai.com/v1/images/generations" in text
    assert "nearest recorded request (#0 of 1): POST https://api.openai.com/v1/images/generations" in text

    # Following the hint leaves nothing stale: the next strict run has no never-played interaction.
    project.runpytest("--imagegen-base-url=emulator", "--imagegen-record=rewrite").assert_outcomes(passed=2)
    project.runpytest("--imagegen-strict-unused").assert_outcomes(passed=2)


def _age(path: Path) -> None:
    """Make a cassette look recorded long ago."""
    text = path.read_text()
    path.write_text(re.sub(r'"recorded": "\d{4}-\d{2}-\d{2}"', '"recorded": "2020-01-02"', text))


def test_a_gemini_cassettes_expiry_hint_names_the_gemini_key(project: pytest.Pytester) -> None:
    for name in ("test_sdk", "test_gemini"):
        _age(project.path / f"cassettes/test_app/{name}.json")
    result = project.runpytest("-o", "imagegen_max_age=30d", "-o", "imagegen_on_expiry=fail")
    text = result.stdout.str()

    gemini = next(line for line in text.splitlines() if "CassetteExpired" in line and "test_gemini" in line)
    assert "pytest 'test_app.py::test_gemini' --imagegen-record=rewrite, with GEMINI_API_KEY set" in gemini
    assert "OPENAI_API_KEY" not in gemini
    assert "add --imagegen-base-url=emulator to record it there" in gemini
    sdk = next(line for line in text.splitlines() if "CassetteExpired" in line and "test_sdk" in line)
    assert "with OPENAI_API_KEY set" in sdk


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://generativelanguage.googleapis.com/v1beta/models/x:generateContent", "GEMINI_API_KEY"),
        ("https://contoso.openai.azure.com/openai/deployments/d/images/generations", "AZURE_OPENAI_API_KEY"),
        ("https://api.openai.com/v1/images/generations", "OPENAI_API_KEY"),
        ("https://gateway.example/openai/v1/chat/completions", "OPENAI_API_KEY"),
    ],
)
def test_the_key_of_a_requests_service(url: str, key: str) -> None:
    assert key_variable(url) == key
    assert f"with {key} set" in str(CassetteExpired("c.json", "400 days old", "t.py::t", key=key))


def test_stats_says_why_saved_can_exceed_image_bytes(
    project: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["stats", str(project.path / "cassettes")]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("endpoint"))
    assert header.split()[-2:] == ["bytes", "saved"]
    assert (
        "image bytes: the images' own size; saved: the base64 text the placeholders replace (4/3 of an "
        "image's bytes, and every repeat of an image a stream sends again) less the placeholders' size, so "
        "it can exceed image bytes"
    ) in out
    assert json.loads((project.path / "cassettes/test_app/test_sdk.json").read_text())["interactions"]
