"""Application code that builds its own clients from the environment, tested with no change to it.

The inner project's ``app.py`` is written as production code is: ``openai.OpenAI()``, ``AsyncOpenAI()``,
``AzureOpenAI(azure_endpoint=...)``, plain ``httpx`` and ``httpx2`` clients reading ``OPENAI_BASE_URL`` and
``OPENAI_API_KEY``, sync and async, streams included. Its tests only carry ``@pytest.mark.imagegen``. They
are recorded from the bundled emulator with no key set, then replayed with no key, no base URL and the
network blocked.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_imagegen.emulator import Emulator

APP = """
import os

import httpx
import httpx2
import openai

MODEL = {"model": "gpt-image-2", "size": "64x64"}


def base_url():
    return os.environ.get("OPENAI_BASE_URL", "https://api.openai.com/v1")


def auth():
    return {"authorization": "Bearer " + os.environ["OPENAI_API_KEY"]}


def sdk_generate(prompt):
    return openai.OpenAI().images.generate(prompt=prompt, **MODEL)


def sdk_stream(prompt):
    events = openai.OpenAI().images.generate(prompt=prompt, stream=True, partial_images=1, **MODEL)
    return [event.type for event in events]


async def async_sdk_generate(prompt):
    async with openai.AsyncOpenAI() as client:
        return await client.images.generate(prompt=prompt, **MODEL)


async def async_sdk_stream(prompt):
    async with openai.AsyncOpenAI() as client:
        events = await client.images.generate(prompt=prompt, stream=True, partial_images=1, **MODEL)
        return [event.type async for event in events]


def azure_generate(prompt):
    client = openai.AzureOpenAI(azure_endpoint="https://contoso.openai.azure.com", api_version="2025-04-01-preview")
    return client.images.generate(prompt=prompt, **MODEL)


def httpx_generate(prompt):
    with httpx.Client(base_url=base_url(), headers=auth()) as client:
        return client.post("/images/generations", json={"prompt": prompt, **MODEL}).json()


async def httpx2_stream(prompt):
    body = {"prompt": prompt, "stream": True, "partial_images": 1, **MODEL}
    async with httpx2.AsyncClient(base_url=base_url(), headers=auth()) as client:
        async with client.stream("POST", "/images/generations", json=body) as reply:
            return [line async for line in reply.aiter_lines() if line.startswith("event:")]
"""

TESTS = """
import pytest

import app

pytestmark = pytest.mark.imagegen


def test_sdk():
    assert app.sdk_generate("a fox").data[0].b64_json


def test_sdk_stream():
    assert app.sdk_stream("a stream")[-1] == "image_generation.completed"


@pytest.mark.anyio
async def test_async_sdk():
    assert (await app.async_sdk_generate("an owl")).data[0].b64_json


@pytest.mark.anyio
async def test_async_sdk_stream():
    assert (await app.async_sdk_stream("an owl stream"))[-1] == "image_generation.completed"


def test_azure():
    assert app.azure_generate("a heron").data[0].b64_json


def test_httpx():
    assert app.httpx_generate("a crow")["data"][0]["b64_json"]


@pytest.mark.anyio
async def test_httpx2_stream():
    assert (await app.httpx2_stream("a crow stream"))[-1] == "event: image_generation.completed"
"""

CONFTEST = """
import pytest


@pytest.fixture
def anyio_backend():
    return "asyncio"
"""

OUTCOMES = 7


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for name in ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "OPENAI_BASE_URL", "AZURE_OPENAI_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    pytester.makepyfile(app=APP, test_app=TESTS, conftest=CONFTEST)
    pytester.syspathinsert()
    return pytester


def cassettes(pytester: pytest.Pytester) -> list[Path]:
    return sorted((pytester.path / "cassettes").rglob("*.json"))


def test_own_clients_record_from_the_emulator_then_replay_with_nothing_set(project: pytest.Pytester) -> None:
    recorded = project.runpytest("--imagegen-base-url=emulator", "--imagegen-record=once")
    recorded.assert_outcomes(passed=OUTCOMES)
    files = cassettes(project)
    assert len(files) == OUTCOMES
    # The Azure client asked for its own endpoint; the recording keeps what it asked for.
    azure = json.loads((project.path / "cassettes/test_app/test_azure.json").read_text())
    assert azure["interactions"][0]["request"]["uri"].startswith(
        "https://contoso.openai.azure.com/openai/deployments/gpt-image-2/images/generations"
    )

    replayed = project.runpytest()  # record mode none: no key, no base URL, network blocked
    replayed.assert_outcomes(passed=OUTCOMES)
    replayed.stdout.fnmatch_lines([f"*{OUTCOMES} cassette(s): {OUTCOMES} replayed, 0 recorded*"])


def test_the_environment_is_restored_after_each_test(project: pytest.Pytester) -> None:
    # A replay-only session cannot record: the dummy is there from its start (issue 20, break 12), and a
    # test that deletes it to check the application's missing-key path gets it back afterwards.
    project.makepyfile(
        test_env="""
        import os
        import pytest

        DUMMY = "sk-imagegen-fake-key-none-is-set"

        @pytest.mark.imagegen
        def test_inside():
            assert os.environ["OPENAI_API_KEY"] == DUMMY

        def test_outside():
            assert os.environ["OPENAI_API_KEY"] == DUMMY

        def test_missing_key_path(monkeypatch):
            monkeypatch.delenv("OPENAI_API_KEY")
            assert "OPENAI_API_KEY" not in os.environ

        def test_after():
            assert os.environ["OPENAI_API_KEY"] == DUMMY
        """
    )
    project.runpytest("test_env.py", "-p", "no:randomly").assert_outcomes(passed=4)


def test_recording_without_a_key_sends_nothing_and_says_so_in_one_line(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A service that is not the emulator (127.0.0.2 is loopback to the kernel, not to the plugin).
    with Emulator(host="127.0.0.2") as service:
        monkeypatch.setenv("OPENAI_BASE_URL", service.base_url)
        result = project.runpytest("--imagegen-record=once", "-k", "test_sdk and not stream")
        assert service.requests == []
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E   *RecordingNeedsKeyError: recording POST http://127.0.0.2:*/v1/images/generations in "
            "test_app.py::test_sdk needs a real key*nothing was sent*--imagegen-base-url=emulator."
        ]
    )
    assert cassettes(project) == []


def test_the_miss_hint_names_what_recording_needs_and_following_it_sends_no_dummy(
    project: pytest.Pytester,
) -> None:
    result = project.runpytest("-k", "test_sdk and not stream and not async")
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "OPENAI_API_KEY=<your key> pytest 'test_app.py::test_sdk' --imagegen-record=once" in text
    assert "--imagegen-record=once --imagegen-base-url=emulator" in text
    # Following the first hint without a key: refused before anything is sent.
    followed = project.runpytest("test_app.py::test_sdk", "--imagegen-record=once")
    followed.stdout.fnmatch_lines(["*RecordingNeedsKeyError*nothing was sent*"])
    # Following the second: recorded from the emulator, then replayed.
    project.runpytest(
        "test_app.py::test_sdk", "--imagegen-record=once", "--imagegen-base-url=emulator"
    ).assert_outcomes(passed=1)
    project.runpytest("test_app.py::test_sdk").assert_outcomes(passed=1)


def test_a_miss_is_reported_in_a_few_lines_with_the_message_first(project: pytest.Pytester) -> None:
    project.runpytest(
        "--imagegen-base-url=emulator",
        "--imagegen-record=once",
        "-k",
        "test_sdk and not stream and not async",
    )
    project.makepyfile(
        app=APP.replace(
            "return openai.OpenAI().images.generate(prompt=prompt, **MODEL)",
            'return openai.OpenAI().images.generate(prompt=prompt + "!", **MODEL)',
        )
    )
    result = project.runpytest("-k", "test_sdk and not stream and not async")
    result.assert_outcomes(failed=1)
    lines = result.stdout.lines
    start = next(i for i, line in enumerate(lines) if "_ test_sdk _" in line)
    end = next(i for i, line in enumerate(lines) if "imagegen cassettes" in line)
    report = lines[start + 1 : end]
    assert len(report) < 25, "\n".join(report)
    assert report[0].startswith("test_app.py:"), report
    assert any("body.prompt: sent 'a fox!', recorded 'a fox'" in line for line in report)
    assert not any("site-packages" in line for line in report)
    result.stdout.fnmatch_lines(["FAILED test_app.py::test_sdk - CassetteMiss: no recorded reply for POST*"])
