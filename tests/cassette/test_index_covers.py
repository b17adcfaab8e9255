"""The index vouches for exactly the bytes that were parsed, never for more (issue 20, break 5).

Before: JSON keeps the last of two equal keys, so ``,"interactions": [...]`` appended after a cassette's
index replaced the interactions while the index's digest, over the text before it, still matched: the
edited reply replayed with the index's match keys and verdicts (no schema or contract check), and
``verify`` said "all clean". Now a key twice in any object (JSON or YAML) is a ``CassetteError``, and the
index covers the text only when it is the document's last member.

The cassette is one of the committed example cassettes, damaged as text, as an attacker or a bad merge
would.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from pytest_imagegen.cassette import fileformat, index, storage
from pytest_imagegen.cassette.paths import cassette_path
from pytest_imagegen.cassette.session import open_cassette
from pytest_imagegen.cli import main
from pytest_imagegen.config import ImagegenConfig
from pytest_imagegen.errors import CassetteError

EXAMPLE = (
    Path(__file__).resolve().parents[2]
    / "cassettes/examples/test_thumbnailer/test_thumbnail_through_the_plugin_client.json"
)
REQUEST = {"prompt": "a lighthouse at dusk", "model": "gpt-image-2", "size": "64x64"}


def packed_interactions() -> list[dict[str, Any]]:
    interactions: list[dict[str, Any]] = json.loads(EXAMPLE.read_text(encoding="utf-8"))["interactions"]
    return interactions


def appended(text: str, interactions: list[dict[str, Any]]) -> str:
    """``text`` with a second ``interactions`` member after its index (the last key wins in JSON)."""
    body = text.rstrip()
    assert body.endswith("}")
    return body[:-1] + ',"interactions": ' + json.dumps(interactions) + "}\n"


def test_the_example_is_trusted_as_it_is() -> None:
    document = storage.read_document(EXAMPLE)
    assert document is not None
    assert index.digest_matches(document.index, document.indexed_text)


def test_interactions_appended_after_the_index_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edited = packed_interactions()
    edited[0]["response"]["body"]["json"]["quality"] = "low"  # a reply as sound as the recorded one
    path = tmp_path / "appended.json"
    path.write_text(appended(EXAMPLE.read_text(encoding="utf-8"), edited), encoding="utf-8")

    for trust in (True, False):
        with pytest.raises(CassetteError, match="holds the key 'interactions' twice in one object"):
            storage.read_document(path, trust_index=trust)
    assert main(["verify", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}: file: holds the key 'interactions' twice" in out
    assert "all clean" not in out


def test_an_appended_reply_never_replays(tmp_path: Path) -> None:
    edited = packed_interactions()
    edited[0]["response"]["body"]["json"]["data"] = []  # one image asked for, none returned
    config = ImagegenConfig(cassette_dir=tmp_path, record_mode="none")
    path = cassette_path(config.cassette_dir, "t::replayed", None)
    path.parent.mkdir(parents=True)
    path.write_text(appended(EXAMPLE.read_text(encoding="utf-8"), edited), encoding="utf-8")

    with (
        pytest.raises(CassetteError, match="twice in one object"),
        open_cassette(config, "t::replayed"),
        httpx.Client() as client,
    ):
        client.post("https://api.openai.com/v1/images/generations", json=REQUEST)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda body: body[:-1] + ', "extra": 1}', id="a member after the index"),
        pytest.param(
            lambda body: body[:-1] + '\n, "meta2": {}}', id="a member after the index, on its own line"
        ),
        pytest.param(lambda body: body + " ", id="only a space (still covered)"),
    ],
)
def test_the_index_covers_the_text_only_when_it_ends_the_document(tmp_path: Path, damage: Any) -> None:
    text = EXAMPLE.read_text(encoding="utf-8").rstrip()
    changed = damage(text)
    document = fileformat.parse_document(changed, "x.json")
    assert document is not None
    covered = index.digest_matches(document.index, document.indexed_text)
    assert covered == (changed.strip() == text)


def test_a_key_twice_in_any_object_is_refused() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    twice = text.replace('"size": "64x64"}}', '"size": "64x64", "size": "1024x1024"}}', 1)
    assert twice != text
    with pytest.raises(CassetteError, match="holds the key 'size' twice in one object"):
        fileformat.parse_document(twice, "x.json")


def test_a_yaml_cassette_with_a_key_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "legacy.yaml"
    path.write_text(
        "version: 1\n"
        "interactions:\n"
        "- request: {method: POST, uri: 'https://api.openai.com/v1/images/generations', body: {json: {prompt: a}}}\n"
        "  response: {status: {code: 200, message: OK}, body: {json: {}}}\n"
        "  response: {status: {code: 500, message: Oops}, body: {json: {}}}\n",
        encoding="utf-8",
    )
    with pytest.raises(
        CassetteError, match=r"legacy.yaml:5: .*holds the key 'response' twice in one mapping"
    ):
        storage.load_cassette(path)
    path.write_text("version: 1\ninteractions: []\n<<: {version: 2}\n", encoding="utf-8")
    with pytest.raises(CassetteError, match="merge key"):
        storage.load_cassette(path)


def test_a_copy_of_the_example_replays(tmp_path: Path) -> None:
    # The control: the same cassette, undamaged, replays its reply.
    config = ImagegenConfig(cassette_dir=tmp_path, record_mode="none")
    path = cassette_path(config.cassette_dir, "t::replayed", None)
    path.parent.mkdir(parents=True)
    shutil.copy(EXAMPLE, path)
    with open_cassette(config, "t::replayed"), httpx.Client() as client:
        reply = client.post("https://api.openai.com/v1/images/generations", json=REQUEST)
    assert len(reply.json()["data"]) == 1
