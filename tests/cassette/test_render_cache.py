"""The render cache (``cassette/rendercache.py``): a reply is drawn once per cassette content, and an entry
is used only for the very bytes it was rendered from.

- a replay that drew an image keeps it, owner-only, in the plugin's folder of the pytest cache; the next
  replay of the same bytes reads it and draws nothing, and gives the same reply;
- an entry whose cassette changed since, that was edited (one byte), cut short, or made under other
  rules is never used: the reply is rendered from the cassette as it is now, and the entry replaced;
- an entry is never read through a link, and a folder that cannot be written is no error;
- a session that ran the whole suite removes the entries of the cassettes it did not open.
"""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest

from pytest_imagegen.cassette import rendercache
from pytest_imagegen.cassette.rendering import Rendered
from pytest_imagegen.cassette.session import open_cassette
from pytest_imagegen.config import ImagegenConfig

EXAMPLE = Path(__file__).resolve().parents[2] / "cassettes" / "examples" / "test_thumbnailer"
NAME = "test_thumbnail_through_the_plugin_client"
TEST_ID = f"tests/test_app.py::{NAME}"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "cassettes" / "tests" / "test_app"
    folder.mkdir(parents=True)
    shutil.copy(EXAMPLE / f"{NAME}.json", folder / f"{NAME}.json")
    return tmp_path


def cassette_file(project: Path) -> Path:
    return project / "cassettes" / "tests" / "test_app" / f"{NAME}.json"


def replay(project: Path) -> list[Rendered]:
    config = ImagegenConfig(cassette_dir=project / "cassettes")
    with open_cassette(config, TEST_ID, cache_dir=project / "cache") as cassette:
        return [cassette.rendered(i) for i in range(len(cassette.data))]


def entry(project: Path) -> Path:
    return project / "cache" / rendercache.FOLDER / rendercache.entry_name(cassette_file(project))


def wire(replies: list[Rendered]) -> list[tuple[int, bytes, list[tuple[str, str]], list[bytes]]]:
    return [(r.status, r.reason, r.headers, r.chunks) for r in replies]


class Draws:
    """Counts the replies rendered (not read from the cache)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = rendercache.render_reply

        def counting(*args: object, **kwargs: object) -> Rendered:
            self.count += 1
            return real(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(rendercache, "render_reply", counting)


@pytest.fixture
def draws(monkeypatch: pytest.MonkeyPatch) -> Draws:
    return Draws(monkeypatch)


def test_a_reply_is_drawn_once_and_read_back_the_same(project: Path, draws: Draws) -> None:
    first = replay(project)
    assert draws.count == len(first) > 0
    assert any(r.drawn for r in first)
    assert stat.S_IMODE(entry(project).stat().st_mode) == 0o600
    assert stat.S_IMODE(entry(project).parent.stat().st_mode) == 0o700

    again = replay(project)
    assert draws.count == len(first), "the second replay drew again"
    assert wire(again) == wire(first)


@pytest.mark.parametrize("damage", ["flip a byte", "cut short", "append"])
def test_an_edited_entry_is_never_used(project: Path, draws: Draws, damage: str) -> None:
    first = replay(project)
    data = bytearray(entry(project).read_bytes())
    if damage == "flip a byte":
        data[-10] ^= 0x01  # inside the last reply's body
    elif damage == "cut short":
        del data[-10:]
    else:
        data += b"x"
    entry(project).write_bytes(bytes(data))

    again = replay(project)
    assert draws.count == 2 * len(first), "an edited entry was used"
    assert wire(again) == wire(first)
    replay(project)  # the entry was replaced by a good one
    assert draws.count == 2 * len(first)


def test_an_entry_of_a_changed_cassette_is_never_used(project: Path, draws: Draws) -> None:
    first = replay(project)
    path = cassette_file(project)
    text = path.read_text()
    assert '"openai-version": "2020-10-01"' in text
    path.write_text(text.replace('"openai-version": "2020-10-01"', '"openai-version": "2099-01-01"'))

    again = replay(project)
    assert draws.count == 2 * len(first), "an entry of other cassette bytes was used"
    assert ("openai-version", "2099-01-01") in again[0].headers
    assert ("openai-version", "2020-10-01") not in again[0].headers
    assert again[0].chunks == first[0].chunks


def test_an_entry_made_under_other_rules_is_never_used(
    project: Path, draws: Draws, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = replay(project)
    monkeypatch.setattr(rendercache, "RULES_VERSION", rendercache.RULES_VERSION + 1)
    replay(project)
    assert draws.count == 2 * len(first)


def test_an_entry_is_never_read_through_a_link(project: Path, draws: Draws, tmp_path: Path) -> None:
    first = replay(project)
    elsewhere = tmp_path / "planted"
    entry(project).rename(elsewhere)
    entry(project).symlink_to(elsewhere)
    replay(project)
    assert draws.count == 2 * len(first)


def test_a_cache_that_cannot_be_written_is_no_error(project: Path, draws: Draws) -> None:
    (project / "cache").write_text("a file where the cache folder should be")
    first = replay(project)
    assert wire(replay(project)) == wire(first)
    assert draws.count == 2 * len(first)


def test_prune_keeps_only_the_entries_of_opened_cassettes(project: Path) -> None:
    replay(project)
    stale = entry(project).with_name(rendercache.entry_name(project / "gone.json"))
    stale.write_bytes(b"")
    rendercache.prune(project / "cache", [cassette_file(project)])
    assert entry(project).exists()
    assert not stale.exists()
    rendercache.prune(project / "cache", [])
    assert not entry(project).exists()
