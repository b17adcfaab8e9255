"""Which interactions the last replay of each cassette played, and pruning the ones it did not.

At the end of a session the plugin writes, into its folder of the project's pytest cache, one record per
cassette that was replayed (and not recorded into): the cassette's digest when it was loaded, how many
interactions it held, which of them some test played (tests sharing a cassette, on any xdist worker,
are merged), and which of its tests did not pass. ``imagegen-cassettes prune`` reads those records and
removes, from each cassette whose bytes are still the ones that were replayed, the interactions no test
asked for: what a re-recording with a changed prompt leaves behind.

Only a passing run proves an interaction unused. A test that failed, errored, was skipped or xfailed may
have stopped before it sent the requests it needs, so a cassette any such test used is left alone (its
record says which test, and prune says so), and prune never removes every interaction of a cassette
unless told to (``force``): a test that passes without sending anything is more likely broken than done.

The record file holds paths, digests, numbers and test ids, nothing from the cassettes themselves; it is
written owner-only and atomically, and a record that does not parse, or whose cassette changed since, is
ignored. ``prune`` finds it in the pytest cache of the project each cassette belongs to
(``record_dirs``), whatever the working directory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_imagegen.cassette.cachefiles import read_entries, write_entries

__all__ = [
    "RECORD_FILE",
    "file_digest",
    "prune_file",
    "read_records",
    "record_dirs",
    "save_session",
    "write_records",
]

RECORD_FILE = "replays.json"
# 2: records say which tests did not pass (version 1 records, which did not, are not trusted).
_VERSION = 2
_NAMED = 3  # tests that did not pass, named in a record


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def merge_outcomes(
    outcomes: Iterable[Mapping[str, Any]], not_passed: Iterable[str] = ()
) -> dict[str, dict[str, Any]]:
    """Per cassette path, what this session's tests did with it (``ImagegenCassette.outcome()``, with the
    test's id under ``test``): records only for cassettes that were loaded from a file and not recorded
    into. ``not_passed``: the ids of the tests that failed, errored, were skipped or xfailed; a record
    names those that used its cassette (then nothing in it may be pruned)."""
    failing = set(not_passed)
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
            path,
            {
                "digest": digest,
                "interactions": int(outcome.get("loaded", 0)),
                "played": set(),
                "not_passed": set(),
            },
        )
        if entry["digest"] != digest:  # the file changed between two tests of this session
            spoiled.add(path)
            merged.pop(path)
            continue
        entry["played"].update(int(i) for i in outcome.get("played", ()))
        if outcome.get("test") in failing:
            entry["not_passed"].add(str(outcome["test"]))
    return {
        p: {**e, "played": sorted(e["played"]), "not_passed": sorted(e["not_passed"])[:_NAMED]}
        for p, e in merged.items()
    }


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
            and isinstance(entry.get("not_passed", []), list)
            and all(isinstance(t, str) for t in entry.get("not_passed", []))
        ):
            good[str(path)] = {**entry, "not_passed": entry.get("not_passed", [])}
    return good


def write_records(cache_dir: Path, session: Mapping[str, Mapping[str, Any]]) -> None:
    """Merge this session's records into the file (a cassette's newest replay wins), dropping records of
    cassettes that no longer exist. Owner-only, written atomically."""
    records = {p: dict(e) for p, e in read_records(cache_dir).items() if Path(p).exists()}
    records.update({p: dict(e) for p, e in session.items()})
    write_entries(cache_dir, RECORD_FILE, "cassettes", _VERSION, records)


def save_session(
    cache_dir: Path,
    outcomes: Iterable[Mapping[str, Any]],
    not_passed: Iterable[str],
    orphans: Sequence[Path] | None,
    scopes: Sequence[Path],
) -> str | None:
    """Write what ``prune`` needs of a session that ended: its replay records and, when it judged orphans
    (``orphans`` not None), the orphans it found in ``scopes`` (and prune the render cache to the
    cassettes it opened: ``rendercache.prune``). Returns why that could not be written (a
    read-only cache folder), or None."""
    from pytest_imagegen.cassette.orphans import ORPHAN_FILE, write_orphans

    try:
        if orphans is not None and (
            orphans or (cache_dir / ORPHAN_FILE).exists()
        ):  # or earlier ones to forget
            write_orphans(cache_dir, orphans, scopes)
        records = merge_outcomes(outcomes, not_passed)
        if records:
            write_records(cache_dir, records)
        if orphans is not None:  # the whole suite ran: the rendered replies of no other cassette are kept
            from pytest_imagegen.cassette.rendercache import prune

            prune(cache_dir, [str(outcome["path"]) for outcome in outcomes])
    except OSError as exc:
        return (
            f"replay records not written to {cache_dir} ({exc.strerror or exc}): "
            "`imagegen-cassettes prune` cannot use this run"
        )
    return None


@dataclass(frozen=True)
class PruneResult:
    """What pruning one cassette did (or, in a dry run, would do)."""

    path: Path
    removed: list[int]
    kept: int
    reason: str | None = None  # why nothing could be pruned


def record_dirs(path: Path, explicit: Path | None = None) -> list[Path]:
    """Where the replay records of the cassette ``path`` may be: ``explicit`` when given, else this
    plugin's folder in the pytest cache of the project the cassette lives in, then of the project around
    the working directory (a cassette folder kept outside its project)."""
    from pytest_imagegen.cassette.cachefiles import plugin_folder

    if explicit is not None:
        return [explicit]
    found: dict[Path, None] = {}
    for start in (path.resolve().parent, Path.cwd()):
        found.setdefault(plugin_folder(project=start), None)
    return list(found)


def prune_file(
    path: Path,
    records: Mapping[str, Mapping[str, Any]],
    *,
    write: bool,
    cache_dir: Path | None = None,
    force: bool = False,
) -> PruneResult:
    """Remove the interactions of ``path`` that its last recorded replay did not play: only when every
    test that used it passed, and (unless ``force``) never all of them."""
    from pytest_imagegen.cassette import storage
    from pytest_imagegen.config import DEFAULT_MATCH_ON

    record = records.get(str(path.resolve()))
    if record is None:
        return PruneResult(path, [], 0, "no replay of it is recorded: run its tests first")
    data = storage.read_file(path)
    if data is None or file_digest(data) != record["digest"]:
        return PruneResult(path, [], 0, "it changed since its tests last replayed it: run them again first")
    if record["not_passed"]:
        tests = ", ".join(record["not_passed"])
        return PruneResult(
            path,
            [],
            0,
            f"its last run did not pass ({tests} failed, errored, was skipped or xfailed): only a passing "
            "run proves an interaction unused; run its tests until they pass, then prune",
        )
    document = storage.parse_document(data.decode("utf-8"), str(path))
    if document is None or len(document.interactions) != record["interactions"]:
        return PruneResult(path, [], 0, "it does not hold what its last replay loaded")
    played = set(record["played"])
    removed = [i for i in range(len(document.interactions)) if i not in played]
    if removed and not played and not force:
        return PruneResult(
            path,
            [],
            len(removed),
            f"its tests passed without playing any of its {len(removed)} interaction(s): prune never "
            "empties a cassette on its own (a test that sends nothing may have lost its calls); delete "
            "the file, or prune with --force",
        )
    if not removed or not write:
        return PruneResult(path, removed, len(document.interactions) - len(removed))
    match_on = document.index.get("match_on", DEFAULT_MATCH_ON) if document.index else DEFAULT_MATCH_ON
    entries = storage.stored_from_document(document, match_on)
    kept = [entry for i, entry in enumerate(entries) if i in played]
    storage.save_cassette(path, kept, match_on=match_on, meta=document.meta or None, cache_dir=cache_dir)
    return PruneResult(path, removed, len(kept))
