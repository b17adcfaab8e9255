"""What the plugin writes follows no planted link and respects the umask (issue 20, break 14).

Before: the cache writer opened its temporary file at a predictable name with ``O_CREAT|O_TRUNC`` and
neither ``O_EXCL`` nor ``O_NOFOLLOW``, so a symlink planted there had it truncate and overwrite the link's
target; it chmod-ed the target of a symlinked cache folder; and a new cassette was 0644 whatever the
umask (077 asks for files only their owner reads).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_imagegen.cassette import replays, storage


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    path = tmp_path / "victim.txt"
    path.write_text("not the plugin's to write")
    return path


def test_a_link_planted_at_the_cache_writer_s_temporary_name_is_not_followed(
    tmp_path: Path, victim: Path
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    # The name the writer used to use: a pid anyone can read from /proc.
    (cache / f".{replays.RECORD_FILE}.{os.getpid()}.tmp").symlink_to(victim)
    replays.write_records(cache, {})
    assert victim.read_text() == "not the plugin's to write"
    assert replays.read_records(cache) == {}
    assert (cache / replays.RECORD_FILE).exists()


def test_a_symlinked_cache_folder_s_target_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "shared"
    target.mkdir()
    target.chmod(0o755)
    project = tmp_path / "project"
    (project / ".pytest_cache" / "d").mkdir(parents=True)
    (project / ".pytest_cache" / "d" / "imagegen").symlink_to(target)
    storage.project_cache_dir(project)
    assert stat.S_IMODE(target.stat().st_mode) == 0o755


def test_a_cache_folder_of_its_own_is_made_owner_only(tmp_path: Path) -> None:
    (tmp_path / ".pytest_cache" / "d" / "imagegen").mkdir(parents=True, mode=0o755)
    folder = storage.project_cache_dir(tmp_path)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


@pytest.fixture
def umask() -> Iterator[None]:
    previous = os.umask(0o077)
    yield
    os.umask(previous)


def test_a_new_cassette_respects_the_umask(tmp_path: Path, umask: None) -> None:
    path = tmp_path / "cassettes" / "new.json"
    storage.save_cassette(path, [], cache_dir=tmp_path / "cache")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_rewritten_cassette_keeps_its_mode(tmp_path: Path, umask: None) -> None:
    path = tmp_path / "cassettes" / "old.json"
    storage.save_cassette(path, [], cache_dir=tmp_path / "cache")
    path.chmod(0o640)
    storage.save_cassette(path, [], cache_dir=tmp_path / "cache")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_cassette_too_big_to_read_back_is_not_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage, "MAX_CASSETTE_BYTES", 100)
    path = tmp_path / "cassettes" / "big.json"
    with pytest.raises(storage.CassetteError, match="over the 100 a cassette may have"):
        storage.save_cassette(path, [], meta={"note": "x" * 200}, cache_dir=tmp_path / "cache")
    assert not path.exists()
