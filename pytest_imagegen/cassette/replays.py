"""Which interactions the last replay of each cassette played, and pruning the ones it did not.

At the end of a session the plugin writes, into its folder of the project's pytest cache, one record per
cassette that was replayed (and not recorded into): the cassette's digest when it was loaded, how many
interactions it held and which of them some test played (tests sharing a cassette, on any xdist worker,
are merged). ``imagegen-cassettes prune`` reads those records and removes, from each cassette whose bytes
are still the ones that were replayed, the interactions no test asked for: what a re-recording with a
changed prompt leaves behind.

The record file holds paths, digests and numbers, nothing from the cassettes themselves; it is written
owner-only and atomically, and a record that does not parse, or whose cassette changed since, is ignored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_imagegen.cassette.cachefiles import read_entries, write_entries

__all__ = [
    "RECORD_FILE",
    "PruneResult",
    "file_digest",
    "merge_outcomes",
    "prune_file",
    "read_records",
    "write_records",
]

RECORD_FILE = "replays.json"
_VERSION = 1


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def merge_outcomes(outcomes: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per cassette path, what this session's tests did with it (``ImagegenCassette.outcome()``): records
    only for cassettes that were loaded from a file and not recorded into."""
    merged: dict[str, dict[str, Any]] = {}
    spoiled: set[str] = set()
    for outcome in outcomes:
        path = str(Path(str(outcome["path"])).resolve())
        digest = outcome.get("digest")
        if not digest or outcome.get("recorded") or path in spoiled:
            spoiled.add(path)
            merged.pop(path, None)
            continue
        entry = merged.setdefault(
            path, {"digest": digest, "interactions": int(outcome.get("loaded", 0)), "played": set()}
        )
        if entry["digest"] != digest:  # the file changed between two tests of this session
            spoiled.add(path)
            merged.pop(path)
            continue
        entry["played"].update(int(i) for i in outcome.get("played", ()))
    return {p: {**e, "played": sorted(e["played"])} for p, e in merged.items()}


def read_records(cache_dir: Path) -> dict[str, dict[str, Any]]:
    """The records in ``cache_dir`` (this plugin's folder in the pytest cache); {} when there are none
    or the file is not one this module wrote."""
    records = read_entries(cache_dir, RECORD_FILE, "cassettes", _VERSION)
    good: dict[str, dict[str, Any]] = {}
    for path, entry in records.items():
        if (
            isinstance(entry, dict)
            and isinstance(entry.get("digest"), str)
            and isinstance(entry.get("interactions"), int)
            and isinstance(entry.get("played"), list)
            and all(isinstance(i, int) for i in entry["played"])
        ):
            good[str(path)] = entry
    return good


def write_records(cache_dir: Path, session: Mapping[str, Mapping[str, Any]]) -> None:
    """Merge this session's records into the file (a cassette's newest replay wins), dropping records of
    cassettes that no longer exist. Owner-only, written atomically."""
    records = {p: dict(e) for p, e in read_records(cache_dir).items() if Path(p).exists()}
    records.update({p: dict(e) for p, e in session.items()})
    write_entries(cache_dir, RECORD_FILE, "cassettes", _VERSION, records)


@dataclass(frozen=True)
class PruneResult:
    """What pruning one cassette did (or, in a dry run, would do)."""

    path: Path
    removed: list[int]
    kept: int
    reason: str | None = None  # why nothing could be pruned


def prune_file(
    path: Path, records: Mapping[str, Mapping[str, Any]], *, write: bool, cache_dir: Path | None = None
) -> PruneResult:
    """Remove the interactions of ``path`` that its last recorded replay did not play."""
    from pytest_imagegen.cassette import storage
    from pytest_imagegen.config import DEFAULT_MATCH_ON

    record = records.get(str(path.resolve()))
    if record is None:
        return PruneResult(path, [], 0, "no replay of it is recorded: run its tests first")
    data = path.read_bytes()
    if file_digest(data) != record["digest"]:
        return PruneResult(path, [], 0, "it changed since its tests last replayed it: run them again first")
    document = storage.parse_document(data.decode("utf-8"), str(path))
    if document is None or len(document.interactions) != record["interactions"]:
        return PruneResult(path, [], 0, "it does not hold what its last replay loaded")
    played = set(record["played"])
    removed = [i for i in range(len(document.interactions)) if i not in played]
    if not removed or not write:
        return PruneResult(path, removed, len(document.interactions) - len(removed))
    match_on = document.index.get("match_on", DEFAULT_MATCH_ON) if document.index else DEFAULT_MATCH_ON
    entries = storage.stored_from_document(document, match_on)
    kept = [entry for i, entry in enumerate(entries) if i in played]
    storage.save_cassette(path, kept, match_on=match_on, meta=document.meta or None, cache_dir=cache_dir)
    return PruneResult(path, removed, len(kept))
