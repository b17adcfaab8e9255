"""Bounded work on hostile files (issue 20, break 13): each is a ``CassetteError`` that names the file, in
a child process whose CPU time and memory are capped (``bounded.py``), never a hang, a wait of days, a
machine's memory or a raw ``ValueError``.

Before: a JSON cassette had no node limit (30 MB of integers took 86 s and 2.7 GB in ``verify``); a
cassette path that is a FIFO hung forever, and ``/dev/zero`` or ``/dev/urandom`` (whose size says 0)
was read until memory ran out; a huge prompt was scanned for seconds per command; a 5,000-digit integer
raised Python's own ``ValueError``; ``offset_ms: 1e9`` with ``replay_timing="recorded"`` slept 11 days.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from pytest_imagegen.cassette import storage
from pytest_imagegen.cassette.paths import cassette_path
from pytest_imagegen.cassette.session import open_cassette
from pytest_imagegen.config import ImagegenConfig
from pytest_imagegen.emulator import Emulator
from pytest_imagegen.errors import CassetteError
from tests.engine.conftest import KEY
from tests.safety.bounded import COMMANDS, Child, run_bounded

HEAD = (
    '{"format": "pytest-imagegen cassette", "version": 2, "interactions": [{"request": {"method": "POST", '
    '"uri": "https://api.openai.com/v1/images/generations", "body": {"json": {"model": "gpt-image-1", '
    '"prompt": '
)
TAIL = '}}}, "response": {"status": {"code": 400, "message": "Bad"}, "body": {"json": {}}}}]}\n'


def write_prompt_cassette(path: Path, prompt_bytes: int, unit: str = "a fox, ") -> Path:
    """A cassette whose one request has a prompt of ``prompt_bytes`` bytes, written in pieces."""
    with path.open("w", encoding="utf-8") as handle:
        handle.write(HEAD + '"')
        piece = unit * (1 << 20 // len(unit))
        for _ in range(prompt_bytes // len(piece)):
            handle.write(piece)
        handle.write('"' + TAIL)
    return path


def assert_refused(child: Child, path: Path, reason: str) -> None:
    """Every step refused the file with a CassetteError naming it, within the caps."""
    assert child.returncode == 0, child.stderr[-3000:]
    assert "Traceback" not in child.stdout + child.stderr
    steps = child.lines()
    for step in ("load", "replay"):
        assert steps[step].startswith(f"CassetteError cassette {path}: "), steps
        assert reason in steps[step], steps[step]
    for command in COMMANDS:
        assert steps[command].startswith("1 "), (command, steps[command])


def test_a_json_cassette_of_millions_of_values_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "values.json"
    path.write_text(
        HEAD + '"a", "n": [' + "0," * 15_000_000 + "0]" + TAIL, encoding="utf-8"
    )  # 30 MB: 15 million integers
    assert_refused(run_bounded(path), path, "holds more than 500,000 JSON values")


def test_commas_inside_strings_are_no_values(tmp_path: Path) -> None:
    # The quick count of commas is over the limit; counted again without the strings, it is not.
    path = write_prompt_cassette(tmp_path / "commas.json", 1_500_000, unit=",,,,,,,,")
    document = storage.read_document(path)
    assert document is not None


def test_a_prompt_of_hundreds_of_megabytes_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = write_prompt_cassette(tmp_path / "huge.json", 200 << 20)
    assert_refused(run_bounded(path), path, f"over the {storage.MAX_CASSETTE_BYTES:,} a cassette may have")


def test_a_prompt_of_tens_of_megabytes_is_refused_once_parsed(tmp_path: Path) -> None:
    path = write_prompt_cassette(tmp_path / "long.json", 60 << 20)
    assert_refused(run_bounded(path), path, "request.body.json.prompt: is text of 6")


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    path = tmp_path / "fifo.json"
    os.mkfifo(path)
    assert_refused(run_bounded(path, feed=path), path, "is a FIFO, not a regular file")


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_is_refused_though_its_size_says_zero(tmp_path: Path, device: str) -> None:
    path = tmp_path / "device.json"
    path.symlink_to(device)
    assert_refused(run_bounded(path), path, "is a device, not a regular file")


@pytest.mark.parametrize(
    ("suffix", "text"),
    [
        (".json", HEAD + '"a", "n": ' + "7" * 5000 + TAIL),
        (
            ".yaml",
            "version: 1\ninteractions:\n- request: {method: POST, uri: 'http://x/v1', body: {json: {n: "
            + "7" * 5000
            + "}}}\n  response: {status: {code: 200}, body: {}}\n",
        ),
    ],
)
def test_an_integer_of_thousands_of_digits_is_a_cassette_error(
    tmp_path: Path, suffix: str, text: str
) -> None:
    path = tmp_path / f"digits{suffix}"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CassetteError, match="holds a number Python will not read"):
        storage.load_cassette(path)


# ------------------------------------------------------------------------------ paced replay


@pytest.fixture(scope="module")
def paced_stream(
    tmp_path_factory: pytest.TempPathFactory, imagegen_emulator: Emulator
) -> list[dict[str, Any]]:
    """A stream recorded from the emulator with its events' arrival offsets kept."""
    config = ImagegenConfig(
        cassette_dir=tmp_path_factory.mktemp("paced"), record_mode="once", replay_timing="recorded"
    )
    with (
        open_cassette(config, "paced::source") as cassette,
        openai.OpenAI(base_url=imagegen_emulator.base_url, api_key=KEY, max_retries=0) as client,
    ):
        list(
            client.images.generate(
                model="gpt-image-2", prompt="a fox", size="64x64", stream=True, partial_images=2
            )
        )
    interactions = cassette.interactions
    assert all("offset_ms" in event for event in interactions[0]["response"]["body"]["sse"])
    return interactions


@pytest.mark.parametrize("indexed", [True, False], ids=["index vouches for it", "no index"])
def test_a_recorded_pace_of_days_is_refused_before_any_wait(
    tmp_path: Path, paced_stream: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch, indexed: bool
) -> None:
    waits: list[float] = []
    monkeypatch.setattr("time.sleep", waits.append)  # what replay would wait, counted, never waited
    interactions = json.loads(json.dumps(paced_stream))
    interactions[0]["response"]["body"]["sse"][-1]["offset_ms"] = 1e9  # 11.6 days after the request
    config = ImagegenConfig(cassette_dir=tmp_path, record_mode="none", replay_timing="recorded")
    path = cassette_path(config.cassette_dir, "paced::replay", None)
    if indexed:  # the writer's own index: loading trusts it and skips the field checks
        storage.save_cassette(path, interactions, cache_dir=tmp_path / "cache")
    else:
        path.parent.mkdir(parents=True)
        path.write_text(storage.dump_cassette(interactions), encoding="utf-8")

    with (
        pytest.raises(CassetteError, match="offset_ms"),
        open_cassette(config, "paced::replay"),
        openai.OpenAI(api_key=KEY, max_retries=0) as client,
    ):
        list(
            client.images.generate(
                model="gpt-image-2", prompt="a fox", size="64x64", stream=True, partial_images=2
            )
        )
    assert sum(waits) <= 600, waits


def test_offsets_that_go_back_wait_no_longer_than_the_latest(
    tmp_path: Path, paced_stream: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []
    monkeypatch.setattr("time.sleep", waits.append)
    interactions = json.loads(json.dumps(paced_stream))
    events = interactions[0]["response"]["body"]["sse"]
    for n, event in enumerate(events):
        event["offset_ms"] = 0 if n % 2 else 1000  # back and forth: the naive sum would wait each time
    config = ImagegenConfig(cassette_dir=tmp_path, record_mode="none", replay_timing="recorded")
    storage.save_cassette(
        cassette_path(config.cassette_dir, "paced::back", None), interactions, cache_dir=tmp_path / "cache"
    )
    with open_cassette(config, "paced::back"), httpx.Client() as client:
        request = paced_stream[0]["request"]
        with client.stream(
            "POST", "https://api.openai.com/v1/images/generations", json=request["body"]["json"]
        ) as reply:
            list(reply.iter_bytes())
    assert sum(waits) <= 1.0
