"""``imagegen-cassettes verify``: recorded cassettes pass; leaks, broken files and contract breaks fail."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pytest_imagegen.cassette.storage import dump_cassette, load_cassette
from tests.cli.conftest import PLANTED_KEY, Run

Cli = Callable[..., Run]
GENERATIONS = "/v1/images/generations"
EDITS = "/v1/images/edits"


def images_cassette(root: Path) -> Path:
    return root / "tests" / "test_app" / "test_images.json"


def sdk_cassette(root: Path) -> Path:
    return root / "tests" / "test_app" / "test_sdk.json"


def edit(path: Path, change: Callable[[list[dict[str, Any]]], None]) -> None:
    """Change a cassette's interactions in place, as a hand edit or a buggy tool would."""
    interactions = load_cassette(path)
    assert interactions is not None
    change(interactions)
    path.write_text(dump_cassette(interactions), encoding="utf-8")


def test_recorded_cassettes_are_clean(cli: Cli, cassettes: Path) -> None:
    result = cli("verify", cassettes)
    assert result.code == 0, result.out
    assert result.out.strip() == "checked 2 cassette(s), 5 interaction(s): all clean"
    # The recorded 400 (an invalid request the service rejected) is a sound interaction, not a problem.
    error = load_cassette(sdk_cassette(cassettes))
    assert error is not None
    assert error[1]["response"]["status"]["code"] == 400


def test_a_planted_key_is_reported_by_file_interaction_and_field_never_by_value(
    cli: Cli, cassettes: Path
) -> None:
    def plant(interactions: list[dict[str, Any]]) -> None:
        interactions[1]["request"]["body"]["json"]["prompt"] = f"draw {PLANTED_KEY} as a fox"
        interactions[2]["response"]["headers"]["x-debug"] = [PLANTED_KEY]

    path = images_cassette(cassettes)
    edit(path, plant)
    result = cli("verify", cassettes)
    assert result.code == 1
    assert PLANTED_KEY not in result.out + result.err
    lines = result.out.splitlines()
    leak = "secret on disk: OpenAI-style API key (sk-…)"
    assert f"{path}: interaction 1 (POST {GENERATIONS}): request.body.json.prompt: {leak}" in lines
    assert f"{path}: interaction 2 (POST {EDITS}): response.headers.x-debug[0]: {leak}" in lines
    assert lines[-1] == "checked 2 cassette(s), 5 interaction(s): 2 problem(s) in 1 file(s)"


def test_corrupt_and_foreign_files_are_named_with_their_line(cli: Cli, cassettes: Path) -> None:
    broken = cassettes / "broken.json"
    broken.write_text(
        "version: 1\ninteractions:\n- request: {method: POST\n  response: [\n", encoding="utf-8"
    )
    foreign = cassettes / "settings.yml"
    foreign.write_text("retries: 3\n", encoding="utf-8")
    result = cli("verify", cassettes)
    assert result.code == 1
    out = result.out
    assert f"{broken}: line 4: not valid YAML" in out
    assert f"{foreign}: file: not a cassette: expected a mapping with an 'interactions' list" in out
    assert out.splitlines()[-1] == "checked 4 cassette(s), 5 interaction(s): 2 problem(s) in 2 file(s)"


def test_replies_that_break_the_contract_are_reported_with_their_json_path(cli: Cli, cassettes: Path) -> None:
    def damage(interactions: list[dict[str, Any]]) -> None:
        # The JSON reply's image is 32 pixels wide although 64x64 was asked for.
        interactions[0]["response"]["body"]["json"]["data"][0]["b64_json"]["placeholder"]["width"] = 32
        # The stream lost its final event.
        interactions[1]["response"]["body"]["sse"].pop()

    path = images_cassette(cassettes)
    edit(path, damage)
    result = cli("verify", path)
    assert result.code == 1
    where = f"{path}: interaction 0 (POST {GENERATIONS}): reply $.data[0].b64_json"
    assert f"{where}: image is 32x64, expected 64x64" in result.out
    assert (
        f"{path}: interaction 1 (POST /v1/images/generations): reply $: no image_generation.completed event: "
        "the stream must end with one" in result.out
    )


def test_a_request_the_contract_rejects_but_the_service_answered_is_a_problem(
    cli: Cli, cassettes: Path
) -> None:
    def gif_upload(interactions: list[dict[str, Any]]) -> None:
        (part,) = [p for p in interactions[2]["request"]["body"]["multipart"] if "file" in p]
        # The upload's placeholder is rebuilt as an image of its recorded format: now a GIF.
        part["file"]["placeholder"]["format"] = "gif"
        part["file"]["placeholder"]["mode"] = "P"

    path = images_cassette(cassettes)
    edit(path, gif_upload)
    result = cli("verify", path)
    assert result.code == 1
    (line,) = [line for line in result.out.splitlines() if "interaction 2" in line]
    assert line.startswith(f"{path}: interaction 2 (POST /v1/images/edits): request image: ")
    assert "the contract rejects it, but the reply was HTTP 200" in line


def test_strict_also_reports_unknown_fields(cli: Cli, cassettes: Path) -> None:
    path = images_cassette(cassettes)
    edit(path, lambda interactions: interactions[0]["response"]["body"]["json"].update(surprise=1))
    assert cli("verify", path).code == 0
    result = cli("verify", "--strict", path)
    assert result.code == 1
    assert "reply $.surprise: unknown field (strict mode)" in result.out


def test_a_plain_vcrpy_cassette_is_reported_with_the_command_that_converts_it(
    cli: Cli, legacy_cassette: Path
) -> None:
    result = cli("verify", legacy_cassette)
    assert result.code == 1
    assert f"{legacy_cassette}: file: a plain vcrpy / pytest-recording cassette" in result.out
    assert f"`imagegen-cassettes scrub {legacy_cassette}`" in result.out
