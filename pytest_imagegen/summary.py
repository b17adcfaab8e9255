"""The terminal summary: which cassettes were replayed, recorded, or left with unplayed interactions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["summary_lines"]


def summary_lines(outcomes: Sequence[Mapping[str, Any]]) -> list[str]:
    """The terminal summary: cassettes replayed, recorded, and left with unplayed interactions."""
    if not outcomes:
        return []
    by_path: dict[str, dict[str, int]] = {}
    for outcome in outcomes:
        entry = by_path.setdefault(
            str(outcome["path"]), {"played": 0, "recorded": 0, "unplayed": 0, "loaded": 0}
        )
        for key in entry:
            entry[key] = (
                max(entry[key], int(outcome.get(key, 0)))
                if key in {"loaded", "unplayed"}
                else (entry[key] + int(outcome.get(key, 0)))
            )
    recorded = sorted(p for p, e in by_path.items() if e["recorded"])
    replayed = sorted(p for p, e in by_path.items() if e["played"] and not e["recorded"])
    unplayed = sorted((p, e["unplayed"]) for p, e in by_path.items() if e["unplayed"])
    lines = [
        f"{len(by_path)} cassette(s): {len(replayed)} replayed, {len(recorded)} recorded, "
        f"{len(unplayed)} with unplayed interactions"
    ]
    lines += [f"  recorded: {p}" for p in recorded]
    lines += [f"  unplayed: {p} ({n} interaction(s) never played)" for p, n in unplayed]
    return lines
