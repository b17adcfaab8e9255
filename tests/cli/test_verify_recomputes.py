"""``verify`` recomputes every match key and verdict an index vouches for (issue 20, break 5).

Replay trusts an index whose digest is current; the digest guards against accidents, not forgery (anyone
can compute it). Before, ``verify`` only checked the interactions, so an index whose digest had been
recomputed over an edited request (its match key still the old request's) or an edited reply (its
verdict still "no problem") passed as "all clean", while replay answered another request with that
reply, or skipped its contract check. Now each disagreement is a problem naming the interaction, and
``scrub`` re-stamps the index.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pytest_imagegen.cassette import fileformat, index
from tests.cli.conftest import Run

Cli = Callable[..., Run]
EXAMPLE = (
    Path(__file__).resolve().parents[2]
    / "cassettes/examples/test_thumbnailer/test_thumbnail_through_the_plugin_client.json"
)


def forged(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Change the example's first interaction, keep its index entries, and give the index a digest that
    is current for the new text: what someone who edits the file and recomputes the digest writes."""
    document = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    change(document["interactions"][0])
    covered = fileformat.dump_covered(document["interactions"], meta=document["meta"])
    entries = [(raw, key, []) for raw, key, *_ in document["index"]["interactions"]]
    path.write_text(
        fileformat.finish(covered, index.build_index(covered, entries, ("method", "path", "query", "body")))
    )


def test_the_example_verifies_clean(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "example.json"
    shutil.copy(EXAMPLE, path)
    result = cli("verify", path)
    assert result.code == 0, result.out


def test_a_match_key_the_request_does_not_have_is_reported(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "forged.json"
    forged(path, lambda i: i["request"]["body"]["json"].update(prompt="a lighthouse at dawn"))
    document = fileformat.parse_document(path.read_text(), str(path))
    assert document is not None
    assert index.digest_matches(document.index, document.indexed_text)  # replay would trust it

    result = cli("verify", path)
    assert result.code == 1, result.out
    assert f"{path}: interaction 0 (POST /v1/images/generations): index: gives match key " in result.out
    assert "replay would answer another request with this reply" in result.out

    assert cli("scrub", path).code == 0
    again = cli("verify", path)
    assert again.code == 0, again.out


def test_a_verdict_the_reply_does_not_earn_is_reported(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "forged.json"
    forged(path, lambda i: i["response"]["body"]["json"].update(data=[]))  # one image asked, none sent

    result = cli("verify", path)
    assert result.code == 1
    assert (
        "index: says the reply has no problem, but it has 1: replay would skip its contract check"
        in result.out
    )
