"""What the last drift check (``--imagegen-drift``) found, per cassette, kept for the HTML report.

At the end of a drift session the plugin writes, into its folder of the project's pytest cache, one
record per cassette the check sent requests from: the digest of the cassette file as it is then (after
``=update`` replaced what drifted), the date, which interactions were sent live, and the graded changes
found for each (``compare.py``: breaking, additive, volatile, with the JSON path and what changed). The
report (``imagegen-cassettes report``, ``--imagegen-report``) shows them beside each interaction, and
says when the cassette changed since (the record is then stale).

The changes were computed on the stored forms (redacted, trimmed, normalized), so they hold nothing a
cassette does not; the file is written owner-only and atomically, and a record that does not parse is
ignored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pytest_imagegen.cassette.cachefiles import read_entries, write_entries

__all__ = ["read_drift_records", "write_drift_records"]

DRIFT_FILE = "drift.json"
_VERSION = 1
_MAX_CHANGES = 50  # per interaction: a record is a summary, not a second cassette


def drift_records(outcomes: Iterable[Mapping[str, Any]], now: datetime) -> dict[str, dict[str, Any]]:
    """Per cassette path (resolved), what this drift session found: ``{"digest", "checked", "sent",
    "changes": {index: [[grade, path, what], ...]}}``; tests sharing a cassette are merged."""
    found: dict[str, dict[str, Any]] = {}
    for outcome in outcomes:
        drift = outcome.get("drift")
        if not isinstance(drift, Mapping):
            continue
        entry = found.setdefault(
            str(Path(str(outcome["path"])).resolve()),
            {"checked": now.astimezone(UTC).strftime("%Y-%m-%d"), "sent": set()},
        )
        changes = entry.setdefault("changes", {})
        for item in drift.get("interactions", ()):
            index = int(item["index"])
            entry["sent"].add(index)
            listed = [[str(g), str(p), str(w)] for g, p, w in item.get("changes", ())][:_MAX_CHANGES]
            if listed:
                changes[str(index)] = listed
    for where, entry in found.items():
        entry["sent"] = sorted(entry["sent"])
        try:
            entry["digest"] = hashlib.sha256(Path(where).read_bytes()).hexdigest()
        except OSError:
            entry["digest"] = None
    return found


def write_drift_records(cache_dir: Path, outcomes: Iterable[Mapping[str, Any]], now: datetime) -> None:
    """Merge this drift session's records into the file (a cassette's newest check wins), dropping
    records of cassettes that no longer exist."""
    session = drift_records(outcomes, now)
    if not session:
        return
    records = {p: e for p, e in read_drift_records(cache_dir).items() if Path(p).exists()}
    records.update(session)
    write_entries(cache_dir, DRIFT_FILE, "cassettes", _VERSION, records)


def read_drift_records(cache_dir: Path) -> dict[str, dict[str, Any]]:
    """The records in ``cache_dir``; {} when there are none or the file is not one this module wrote."""
    good: dict[str, dict[str, Any]] = {}
    for path, entry in read_entries(cache_dir, DRIFT_FILE, "cassettes", _VERSION).items():
        if (
            isinstance(entry, dict)
            and isinstance(entry.get("checked"), str)
            and isinstance(entry.get("sent"), list)
            and isinstance(entry.get("changes"), dict)
        ):
            good[str(path)] = entry
    return good
