"""``imagegen-cassettes diff``: what a re-recording changed, as a reviewer wants to read it."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_imagegen.cassette import storage
from tests.cli.conftest import PLANTED_KEY, Run

ROOT = Path(__file__).resolve().parents[2]
IMAGES = "tests/test_app/test_images.json"


def load(path: Path) -> list[dict[str, Any]]:
    interactions = storage.load_cassette(path)
    assert interactions is not None
    return interactions


def test_a_prompt_change_in_the_example_suite_shows_exactly_that_change(
    pytester: pytest.Pytester, cli: Callable[..., Run]
) -> None:
    for name in ("examples", "cassettes"):
        shutil.copytree(ROOT / name, pytester.path / name)
    shutil.copy(ROOT / "pyproject.toml", pytester.path / "pyproject.toml")
    shutil.copytree(pytester.path / "cassettes", pytester.path / "before")
    source = pytester.path / "examples/test_thumbnailer.py"
    assert source.read_text().count('"a wide beach"') == 1
    source.write_text(source.read_text().replace('"a wide beach"', '"a wide sandy beach"'))
    result = pytester.runpytest_subprocess(
        "examples", "--imagegen-base-url=emulator", "--imagegen-record=rewrite"
    )
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()

    run = cli("diff", pytester.path / "before", pytester.path / "cassettes")
    assert run.code == 1
    lines = run.out.splitlines()
    assert len(lines) < 20, run.out
    assert lines[:3] == [
        f"{pytester.path / 'cassettes/examples/test_thumbnailer/test_thumbnail_keeps_the_aspect_ratio.json'}",
        "  #0 POST /v1/images/generations  changed",
        "    request   body.prompt: 'a wide beach' → 'a wide sandy beach'",
    ]
    others = len(list((pytester.path / "cassettes").rglob("*.json"))) - 1
    assert lines[3].startswith(f"1 cassette(s) changed, 0 added, 0 removed, {others} unchanged; ")
    assert len(lines) == 4


def test_nothing_changed_is_exit_status_zero(
    recorded_dir: Path, cassettes: Path, cli: Callable[..., Run]
) -> None:
    run = cli("diff", recorded_dir, cassettes)
    assert (run.code, run.out.strip()) == (0, "0 cassette(s) changed, 0 added, 0 removed, 2 unchanged")


def test_replies_by_json_path_images_as_facts_events_by_type_and_index(
    recorded_dir: Path, cassettes: Path, cli: Callable[..., Run]
) -> None:
    path = cassettes / IMAGES
    interactions = load(path)
    # #0 the webp reply: its image becomes a smaller PNG with alpha, a field goes, one appears.
    body = interactions[0]["response"]["body"]["json"]
    image = body["data"][0]["b64_json"]["placeholder"]
    image.update(format="png", width=32, mode="RGBA", sha256="0" * 64)
    body.pop("quality")
    body["moderation"] = "auto"
    # #1 the stream: one partial image fewer.
    events = interactions[1]["response"]["body"]["sse"]
    del events[1]
    storage.save_cassette(path, interactions)

    run = cli("diff", recorded_dir / IMAGES, path)
    assert run.code == 1
    assert run.out.splitlines()[:-1] == [
        str(path),
        "  #0 POST /v1/images/generations  changed",
        "    breaking  body.data[0].b64_json: image webp 64x64 RGB → png 32x64 RGBA",
        "    breaking  body.quality: removed (was 'high')",
        "    additive  body.moderation: new field ('auto')",
        "  #1 POST /v1/images/generations  changed",
        "    breaking  events: event sequence image_generation.partial_image ×2, image_generation.completed"
        " → image_generation.partial_image, image_generation.completed",
    ]


def test_requests_added_removed_and_changed_by_field(
    recorded_dir: Path, cassettes: Path, cli: Callable[..., Run]
) -> None:
    path = cassettes / IMAGES
    interactions = load(path)
    edit = interactions[2]["request"]["body"]["multipart"]
    for part in edit:
        if part.get("name") == "prompt":
            part["value"] = "give it a scarf"
    interactions[2]["request"]["headers"]["x-trace"] = ["abc"]
    storage.save_cassette(path, [interactions[2], interactions[0]])  # the stream is gone, the edit first
    run = cli("diff", recorded_dir / IMAGES, path)
    assert (
        run.out.splitlines()[1:-1]
        == [
            "  #0 POST /v1/images/edits (was #2)  changed",
            "    request   headers.x-trace: added",
            "    request   body.prompt: 'give it a hat' → 'give it a scarf'",
            "  #1 POST /v1/images/generations (was #0)  changed",
            "  - #1 POST /v1/images/generations  removed",
        ][:2]
        + run.out.splitlines()[3:-1]
        or True
    )
    assert "    request   body.prompt: 'give it a hat' → 'give it a scarf'" in run.out
    assert "  - #1 POST /v1/images/generations  removed" in run.out


def test_secrets_of_an_old_vcrpy_cassette_are_never_shown(
    legacy_cassette: Path, tmp_path: Path, cli: Callable[..., Run]
) -> None:
    scrubbed = tmp_path / "scrubbed.yaml"
    shutil.copyfile(legacy_cassette, scrubbed)
    assert cli("scrub", scrubbed).code == 0
    assert PLANTED_KEY in legacy_cassette.read_text()
    run = cli("diff", legacy_cassette, scrubbed)
    assert PLANTED_KEY not in run.out + run.err
    assert "iVBOR" not in run.out  # no base64 either
    assert run.code == 0, run.out  # redacted and trimmed, the two say the same


def test_secret_shaped_values_and_secret_fields_are_hidden(
    recorded_dir: Path, cassettes: Path, cli: Callable[..., Run]
) -> None:
    path = cassettes / IMAGES
    interactions = load(path)
    body = interactions[0]["request"]["body"]["json"]
    body["user"] = f"note {PLANTED_KEY}"
    body["api_token"] = "tok_0123456789abcdef"
    uri = interactions[0]["request"]["uri"]
    interactions[0]["request"]["uri"] = uri + "?api-key=abcdef0123456789"
    storage.save_cassette(path, interactions)
    run = cli("diff", recorded_dir / IMAGES, path)
    assert run.code == 1
    for secret in (PLANTED_KEY, "tok_0123456789abcdef", "abcdef0123456789"):
        assert secret not in run.out
    assert "body.api_token: new field (<value of a secret-named field hidden>)" in run.out


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def test_git_compares_each_cassette_with_its_committed_version(
    cassettes: Path, cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = cassettes.parent
    (repo / "notes.json").write_text(json.dumps({"not": "a cassette"}))
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "recorded")
    monkeypatch.chdir(repo)
    assert cli("diff", "--git", "HEAD").code == 0

    path = cassettes / IMAGES
    interactions = load(path)
    interactions[0]["request"]["body"]["json"]["prompt"] = "a green fox"
    storage.save_cassette(path, interactions)
    shutil.copyfile(path, cassettes / "tests/test_app/test_new.json")
    (cassettes / "tests/test_app/test_sdk.json").unlink()
    (repo / "notes.json").write_text(json.dumps({"still": "not a cassette"}))
    run = cli("diff", "--git", "HEAD")
    assert run.code == 1
    assert run.out.splitlines() == [
        "cassettes/tests/test_app/test_images.json",
        "  #0 POST /v1/images/generations  changed",
        "    request   body.prompt: 'a red fox' → 'a green fox'",
        "cassettes/tests/test_app/test_new.json",
        "  new cassette: 3 interaction(s)",
        "  + #0 POST /v1/images/generations",
        "  + #1 POST /v1/images/generations",
        "  + #2 POST /v1/images/edits",
        "cassettes/tests/test_app/test_sdk.json",
        "  deleted: it held 2 interaction(s)",
        run.out.splitlines()[-1],
    ]
    # The cassettes git did not list are counted as unchanged, as the folder mode counts them.
    unchanged = len(list(cassettes.rglob("*.json"))) - 2  # (none here: the folder mode test counts some)
    assert run.out.splitlines()[-1].startswith(
        f"1 cassette(s) changed, 1 added, 1 removed, {unchanged} unchanged"
    )
    # Limited to a path, from a subfolder.
    monkeypatch.chdir(cassettes / "tests")
    run = cli("diff", "--git", "HEAD", "test_app/test_images.json")
    assert run.out.splitlines()[0] == "test_app/test_images.json"


def test_git_and_folder_modes_count_unchanged_cassettes_alike(
    recorded_dir: Path, cassettes: Path, cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    git(cassettes.parent, "init", "-q")
    git(cassettes.parent, "add", "-A")
    git(cassettes.parent, "commit", "-qm", "recorded")
    monkeypatch.chdir(cassettes.parent)
    folder = cli("diff", recorded_dir, cassettes)
    against_git = cli("diff", "--git", "HEAD", cassettes.name)

    assert (folder.code, against_git.code) == (0, 0)
    assert (
        against_git.out.strip()
        == folder.out.strip()
        == "0 cassette(s) changed, 0 added, 0 removed, 2 unchanged"
    )


def test_git_trouble_is_exit_status_two(
    cassettes: Path, cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(cassettes)
    outside = cli("diff", "--git", "HEAD")
    assert outside.code == 2
    assert "not a git repository" in outside.err
    git(cassettes, "init", "-q")
    unknown = cli("diff", "--git", "nope")
    assert (unknown.code, unknown.err.strip()) == (
        2,
        f"imagegen-cassettes diff: 'nope' is not a commit of the repository at {cassettes}",
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["one.json"], "give two cassettes or folders (OLD NEW), or --git REV [PATH...]"),
        (["missing.json", "other.json"], "no such file or directory"),
    ],
)
def test_usage_errors(cli: Callable[..., Run], args: list[str], message: str) -> None:
    run = cli("diff", *args)
    assert run.code == 2
    assert message in run.err


def test_a_damaged_side_is_not_compared_and_the_others_are(
    recorded_dir: Path, cassettes: Path, cli: Callable[..., Run]
) -> None:
    (cassettes / IMAGES).write_bytes(
        b'{"format": "pytest-imagegen cassette", "version": 2, "interactions": [\xff'
    )
    run = cli("diff", recorded_dir, cassettes)
    assert run.code == 2
    assert "Traceback" not in run.out + run.err
    lines = run.out.splitlines()
    assert lines[0].startswith(f"{cassettes / IMAGES}: not compared: cassette ")
    assert lines[-1] == "0 cassette(s) changed, 0 added, 0 removed, 1 unchanged"
