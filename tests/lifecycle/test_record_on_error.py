"""record_on_error: off, a test that fails while recording leaves its cassette as it was."""

from __future__ import annotations

import pytest

TEST = """
import os

import openai
import pytest


@pytest.mark.imagegen{marker}
def test_generate():
    reply = openai.OpenAI().images.generate(model="gpt-image-2", prompt=os.environ["PROMPT"], size="16x16")
    assert reply.data[0].b64_json
    assert not os.environ.get("FAIL"), "the test fails after its call was recorded"
"""

CASSETTE = "cassettes/test_app/test_generate.json"


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "FAIL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PROMPT", "a red fox")
    return pytester


def record(pytester: pytest.Pytester, mode: str) -> pytest.RunResult:
    return pytester.runpytest("--imagegen-base-url=emulator", f"--imagegen-record={mode}")


def test_off_a_failing_test_writes_no_new_cassette(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.makepyfile(test_app=TEST.format(marker="(record_on_error=False)"))
    monkeypatch.setenv("FAIL", "1")
    result = record(project, "once")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*not written (its test failed; record_on_error is off): *test_generate.json"]
    )
    assert not (project.path / CASSETTE).exists()


def test_off_a_failing_rerecording_leaves_the_cassette_as_it_was(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.makepyfile(test_app=TEST.format(marker=""))
    project.makeini("[pytest]\nimagegen_record_on_error = false\n")
    record(project, "once").assert_outcomes(passed=1)
    before = (project.path / CASSETTE).read_bytes()
    monkeypatch.setenv("PROMPT", "a blue fox")
    monkeypatch.setenv("FAIL", "1")
    for mode in ("new_episodes", "rewrite"):
        record(project, mode).assert_outcomes(failed=1)
        assert (project.path / CASSETTE).read_bytes() == before, mode


def test_on_by_default_a_failing_test_keeps_what_it_recorded(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.makepyfile(test_app=TEST.format(marker=""))
    monkeypatch.setenv("FAIL", "1")
    record(project, "once").assert_outcomes(failed=1)
    assert (project.path / CASSETTE).exists()


def test_a_passing_test_records_with_the_option_off(project: pytest.Pytester) -> None:
    project.makepyfile(test_app=TEST.format(marker="(record_on_error=False)"))
    record(project, "once").assert_outcomes(passed=1)
    assert (project.path / CASSETTE).exists()
