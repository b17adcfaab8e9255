"""``imagegen-cassettes prune`` removes only what a passing run proved unused (issue 20, break 1).

Before: a test that failed, errored, was skipped or xfailed before it sent a request left a replay record
saying ``"played": []``, and prune removed every interaction of its cassette (the next replay missed);
run from another working directory, prune said "no replay of it is recorded" for every cassette. Now a
cassette used by a test that did not pass is left alone, prune never empties a cassette unless told
``--force``, and the records are found from the cassettes' own project.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_imagegen.cli import main

SUITE = """
import os

import openai
import pytest

HOW = os.environ.get("HOW", "pass")


@pytest.fixture
def setup_that_breaks(imagegen_cassette):
    if HOW == "error":
        raise RuntimeError("the setup broke after the cassette opened")


def generate(prompt):
    return openai.OpenAI().images.generate(model="gpt-image-2", prompt=prompt, size="16x16")


@pytest.mark.imagegen
def test_two(setup_that_breaks):
    if HOW == "fail":
        raise AssertionError("failed before sending")
    if HOW == "skip":
        pytest.skip("skipped before sending")
    if HOW == "xfail":
        pytest.xfail("xfailed before sending")
    if HOW == "silent":
        return  # passes without sending anything
    for prompt in os.environ.get("PROMPTS", "two a,two b").split(","):
        assert generate(prompt).data[0].b64_json
"""

CASSETTE = "cassettes/test_app/test_two.json"


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "HOW", "PROMPTS"):
        monkeypatch.delenv(name, raising=False)
    pytester.makepyfile(test_app=SUITE)
    pytester.runpytest("--imagegen-base-url=emulator", "--imagegen-record=once").assert_outcomes(passed=1)
    return pytester


def prompts(project: pytest.Pytester) -> list[str]:
    document = json.loads((project.path / CASSETTE).read_text())
    return [i["request"]["body"]["json"]["prompt"] for i in document["interactions"]]


@pytest.mark.parametrize(
    ("how", "outcome"),
    [("fail", {"failed": 1}), ("error", {"errors": 1}), ("skip", {"skipped": 1}), ("xfail", {"xfailed": 1})],
)
def test_a_test_that_did_not_pass_leaves_its_cassette_alone(
    project: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    how: str,
    outcome: dict[str, int],
) -> None:
    monkeypatch.setenv("HOW", how)
    project.runpytest().assert_outcomes(**outcome)
    before = (project.path / CASSETTE).read_bytes()

    assert main(["prune", str(project.path / "cassettes")]) == 0
    out = capsys.readouterr().out
    assert "its last run did not pass (test_app.py::test_two failed, errored, was skipped or xfailed)" in out
    assert "removed 0 interaction(s) from 1 cassette(s)" in out
    assert (project.path / CASSETTE).read_bytes() == before

    monkeypatch.setenv("HOW", "pass")
    project.runpytest().assert_outcomes(passed=1)  # the next replay still finds both


def test_prune_never_empties_a_cassette_unless_forced(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HOW", "silent")
    project.runpytest().assert_outcomes(passed=1)

    assert main(["prune", str(project.path / "cassettes")]) == 0
    out = capsys.readouterr().out
    assert "its tests passed without playing any of its 2 interaction(s)" in out
    assert "prune with --force" in out
    assert prompts(project) == ["two a", "two b"]

    assert main(["prune", "--force", str(project.path / "cassettes")]) == 0
    assert "removed 2 unplayed interaction(s) (#0, #1); 0 kept" in capsys.readouterr().out
    assert prompts(project) == []


def test_a_passing_run_still_proves_what_it_did_not_play(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PROMPTS", "two b")
    project.runpytest().assert_outcomes(passed=1)
    assert main(["prune", str(project.path / CASSETTE)]) == 0
    assert "removed 1 unplayed interaction(s) (#0); 1 kept" in capsys.readouterr().out
    assert prompts(project) == ["two b"]


def test_prune_finds_the_records_from_the_cassettes_own_project(
    project: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("PROMPTS", "two b")
    project.runpytest().assert_outcomes(passed=1)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    assert main(["prune", "--dry-run", str(project.path / "cassettes")]) == 0
    assert "would remove 1 unplayed interaction(s) (#0); 1 kept" in capsys.readouterr().out
    assert main(["prune", str(project.path / "cassettes")]) == 0
    assert prompts(project) == ["two b"]
