"""A miss, a contract break and a leak each fail in a few lines, the plugin's message first.

Each failure is raised deep inside the openai SDK and httpx2 (or at teardown, for a refused write); the
report shows the user's own frames, then the plugin's message, never a library's frames. ``--tb=long``
still gives pytest's full report.
"""

from __future__ import annotations

import json

import pytest

TESTS = """
import httpx
import openai
import pytest


@pytest.mark.imagegen
def test_sdk():
    openai.OpenAI().images.generate(model="gpt-image-2", prompt="a fox", size="64x64")


def test_upload(imagegen_openai):
    headers = {"Authorization": f"Bearer {imagegen_openai.api_key}"}
    with httpx.Client(base_url=str(imagegen_openai.base_url), headers=headers) as client:
        files = {"image": ("notes.txt", b"trace tok_SHORTFAILURES0123456789", "text/plain")}
        client.post("images/edits", data={"model": "gpt-image-2", "prompt": "x"}, files=files)
"""

CONFTEST = """
import pytest


@pytest.fixture
def imagegen_config(imagegen_config):
    return imagegen_config.replace(secret_values=("tok_SHORTFAILURES0123456789",))
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    pytester.makepyfile(test_app=TESTS)
    pytester.makeconftest(CONFTEST)
    return pytester


def report_of(result: pytest.RunResult, test: str) -> list[str]:
    lines = result.stdout.lines
    start = next(i for i, line in enumerate(lines) if f"_ {test} _" in line or f" of {test} _" in line)
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith(("___", "===")))
    return lines[start + 1 : end]


def assert_short(report: list[str], error: str) -> None:
    assert len(report) < 25, "\n".join(report)
    assert not any("site-packages" in line or "pytest_imagegen/" in line for line in report), report
    first = next(i for i, line in enumerate(report) if line.startswith("E "))
    assert f"pytest_imagegen.errors.{error}" in report[first], report
    assert all(not line.startswith("E ") or i >= first for i, line in enumerate(report))


def test_a_contract_break_on_replay_is_short(project: pytest.Pytester) -> None:
    project.runpytest(
        "--imagegen-base-url=emulator", "--imagegen-record=once", "-k", "test_sdk"
    ).assert_outcomes(passed=1)
    path = project.path / "cassettes/test_app/test_sdk.json"
    document = json.loads(path.read_text())
    del document["interactions"][0]["response"]["body"]["json"]["created"]  # a hand edit breaks the reply
    path.write_text(json.dumps(document, indent=1))
    result = project.runpytest("-k", "test_sdk")
    result.assert_outcomes(failed=1)
    report = report_of(result, "test_sdk")
    assert_short(report, "SchemaAssertionError")
    assert any("at reply $.created: required field is missing" in line for line in report)
    assert report[0].startswith("test_app.py:")

    full = project.runpytest("-k", "test_sdk", "--tb=long")
    assert any("site-packages" in line for line in full.stdout.lines), "--tb=long keeps pytest's report"


def test_a_refused_write_is_short(project: pytest.Pytester) -> None:
    result = project.runpytest("--imagegen-base-url=emulator", "--imagegen-record=once", "-k", "test_upload")
    result.assert_outcomes(passed=1, errors=1)
    report = report_of(result, "test_upload")
    assert_short(report, "SecretLeakError")
    assert any("request.body.multipart" in line for line in report)
    assert "tok_SHORTFAILURES" not in result.stdout.str()
