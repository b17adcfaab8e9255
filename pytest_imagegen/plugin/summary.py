"""The terminal summary: which cassettes were replayed, recorded, or left with unplayed interactions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["summary_lines"]


def summary_lines(outcomes: Sequence[Mapping[str, Any]]) -> list[str]:
    """The terminal summary: cassettes replayed, recorded, and left with unplayed interactions.

    ``outcomes`` come one per test (``ImagegenCassette.outcome()``), possibly from several xdist workers;
    tests that share a cassette are merged, so an interaction counts as played if any test played it.
    """
    if not outcomes:
        return []
    loaded: dict[str, int] = {}
    played: dict[str, set[int]] = {}
    recorded: dict[str, int] = {}
    for outcome in outcomes:
        path = str(outcome["path"])
        loaded[path] = max(loaded.get(path, 0), int(outcome.get("loaded", 0)))
        played.setdefault(path, set()).update(int(i) for i in outcome.get("played", ()))
        recorded[path] = recorded.get(path, 0) + int(outcome.get("recorded", 0))
    recorded_paths = sorted(p for p, n in recorded.items() if n)
    replayed_paths = sorted(p for p in loaded if played[p] and not recorded[p])
    # Only where nothing was recorded: a recording run rewrites the file, and its indexes move.
    unplayed = sorted(
        (p, loaded[p] - len(played[p])) for p in loaded if not recorded[p] and loaded[p] > len(played[p])
    )
    lines = [
        f"{len(loaded)} cassette(s): {len(replayed_paths)} replayed, {len(recorded_paths)} recorded, "
        f"{len(unplayed)} with unplayed interactions"
    ]
    lines += [f"  recorded: {p}" for p in recorded_paths]
    refused = sorted({str(o["path"]) for o in outcomes if o.get("refused")})
    lines += [f"  not written (see the error at its test's teardown): {p}" for p in refused]
    discarded = sorted({str(o["path"]) for o in outcomes if o.get("discarded")})
    lines += [f"  not written (its test failed; record_on_error is off): {p}" for p in discarded]
    lines += [f"  unplayed: {p} ({n} interaction(s) never played)" for p, n in unplayed]
    from pytest_imagegen.cassette.polling import summary_line  # the session is over: the engine is loaded

    return [*lines, *filter(None, [summary_line(outcomes)])]
