"""Each cassette says when, by what and from where its interactions were recorded, and says it the same
way every time the same calls are recorded again."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx2
import openai
import pytest

from pytest_imagegen.cassette.metadata import entries_of, plugin_version, recorded_at
from tests.safety.canaries import API_KEY, ORGANIZATION

TEST = """
import os

import openai
import pytest

PROMPTS = os.environ.get("PROMPTS", "a red fox").split(",")


@pytest.mark.imagegen
def test_generate():
    client = openai.OpenAI(default_headers=eval(os.environ.get("HEADERS", "{}")))
    for prompt in PROMPTS:
        assert client.images.generate(model="gpt-image-2", prompt=prompt, size="16x16").data[0].b64_json
"""

CASSETTE = "cassettes/test_app/test_generate.json"
OLD = "2020-01-02"
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
RECORDED = re.compile(r'"recorded": "[0-9]{4}-[0-9]{2}-[0-9]{2}"')


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "PROMPTS", "HEADERS"):
        monkeypatch.delenv(name, raising=False)
    pytester.makepyfile(test_app=TEST)
    return pytester


def record(pytester: pytest.Pytester, mode: str, *args: str) -> None:
    pytester.runpytest("--imagegen-base-url=emulator", f"--imagegen-record={mode}", *args).assert_outcomes(
        passed=1
    )


def document(pytester: pytest.Pytester) -> dict[str, Any]:
    return dict(json.loads((pytester.path / CASSETTE).read_text()))


def test_a_recording_says_when_by_what_and_from_where(project: pytest.Pytester) -> None:
    record(project, "once")
    meta = document(project)["meta"]  # one interaction: everything said once
    assert DATE.fullmatch(meta["recorded"])
    assert meta == {
        "recorded": meta["recorded"],
        "plugin": plugin_version(),
        "client": f"OpenAI/Python {openai.__version__}",
        "http": f"httpx2 {httpx2.__version__}",
        "model": "gpt-image-2",
        "service": "emulator",
    }


def test_recording_unchanged_calls_again_keeps_the_metadata_byte_for_byte(project: pytest.Pytester) -> None:
    record(project, "once")
    first = (project.path / CASSETTE).read_bytes()
    assert b'"meta"' in first
    for mode in ("all", "rewrite"):
        record(project, mode)
        assert (project.path / CASSETTE).read_bytes() == first, mode


def test_new_episodes_adds_an_entry_and_keeps_the_first(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    record(project, "once")
    backdate(project)
    first = document(project)["meta"]
    monkeypatch.setenv("PROMPTS", "a red fox,a blue fox")
    record(project, "new_episodes")
    meta = document(project)["meta"]
    assert meta["plugin"] == first["plugin"]  # shared: said once
    assert meta["interactions"][0] == {"recorded": OLD}  # only the date differs: the rest is shared
    assert meta["interactions"][1]["recorded"] > OLD
    assert recorded_at(meta) == recorded_at(first)  # the cassette is as old as its oldest reply


def backdate(pytester: pytest.Pytester, when: str = OLD) -> None:
    path = pytester.path / CASSETTE
    path.write_text(RECORDED.sub(f'"recorded": "{when}"', path.read_text()))


def test_recording_an_expired_interaction_again_gives_it_a_new_date(project: pytest.Pytester) -> None:
    record(project, "once")
    backdate(project)
    record(project, "all")
    assert document(project)["meta"]["recorded"] == OLD  # no limit: unchanged, kept
    project.makeini("[pytest]\nimagegen_max_age = 30d\n")
    record(project, "all")
    assert document(project)["meta"]["recorded"] != OLD  # re-verified: dated now


def test_a_user_agent_shaped_like_a_secret_never_reaches_the_metadata(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEADERS", repr({"User-Agent": f"Bearer/{API_KEY}"}))
    record(project, "once")
    text = (project.path / CASSETTE).read_text()
    assert API_KEY not in text
    assert "client" not in document(project)["meta"]


def test_prune_and_scrub_keep_each_entry_with_its_interaction(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pytest_imagegen.cassette import storage
    from pytest_imagegen.cli import main

    record(project, "once")
    monkeypatch.setenv("PROMPTS", "a blue fox")
    record(project, "new_episodes")
    path = project.path / CASSETTE
    # Tell the two entries apart by date, and give scrub something to redact (an org id in a header).
    loaded = document(project)
    entries = entries_of(loaded["meta"], 2)
    assert entries[0] is not None
    assert entries[1] is not None
    entries[0]["recorded"], entries[1]["recorded"] = OLD, "2021-01-01"
    interactions = storage.load_cassette(path) or []  # the stored form, as the file's text unpacks
    interactions[0]["request"]["headers"]["openai-organization"] = [ORGANIZATION]
    storage.save_cassette(
        path, [storage.Stored(i, meta=e) for i, e in zip(interactions, entries, strict=True)]
    )
    meta = document(project)["meta"]
    assert recorded_at(meta) == recorded_at({"recorded": OLD})

    assert main(["scrub", str(path)]) == 0
    assert "1 value(s) redacted" in capsys.readouterr().out
    assert ORGANIZATION not in path.read_text()
    assert document(project)["meta"] == meta

    project.runpytest().assert_outcomes(passed=1)  # plays only the blue fox
    assert main(["prune", "--cache-dir", str(project.path / ".pytest_cache"), str(path)]) == 0
    capsys.readouterr()
    pruned = document(project)
    assert [i["request"]["body"]["json"]["prompt"] for i in pruned["interactions"]] == ["a blue fox"]
    assert pruned["meta"] == entries[1]  # one interaction left: everything said once
