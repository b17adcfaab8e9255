"""How old a cassette is, and whether it has outlived ``imagegen_max_age``.

A cassette's age counts from its oldest interaction's recording time (``meta.recorded``, see
``metadata.py``): a cassette extended with ``new_episodes`` is as old as the oldest reply it serves.
A cassette with no recording time (written before metadata existed, or hand-made) has an unknown age:
it is listed as undated, never failed for it.

Pure: durations in, durations out; the caller passes the clock.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

__all__ = ["DURATION_HELP", "Expiry", "check_age", "format_duration", "parse_duration"]

DURATION_HELP = "a number of days, hours or weeks such as 180d, 36h or 26w ('off' for no limit)"
_DURATION = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(d|days?|h|hours?|w|weeks?)?\s*", re.IGNORECASE)
_UNITS = {"d": timedelta(days=1), "h": timedelta(hours=1), "w": timedelta(weeks=1)}
_OFF = frozenset({"off", "none", "never", ""})


def parse_duration(value: object) -> timedelta | None:
    """``180d`` / ``36h`` / ``26w`` / a number of days / a ``timedelta`` -> a positive ``timedelta``;
    ``off`` -> None. ``ValueError`` saying what is accepted otherwise."""
    if isinstance(value, timedelta):
        result = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        result = timedelta(days=value)
    elif isinstance(value, str):
        if value.strip().lower() in _OFF:
            return None
        found = _DURATION.fullmatch(value)
        if found is None:
            raise ValueError(f"{value!r} is not {DURATION_HELP}")
        unit = (found.group(2) or "d")[0].lower()
        result = float(found.group(1)) * _UNITS[unit]
    else:
        raise ValueError(f"{value!r} is not {DURATION_HELP}")
    if result <= timedelta(0):
        raise ValueError(f"{value!r} is not a positive duration; use {DURATION_HELP}")
    return result


def format_duration(value: timedelta) -> str:
    """``180d``, ``36h``: the shortest exact form of a duration written by ``parse_duration``."""
    hours = value.total_seconds() / 3600
    if hours >= 24 and hours % 24 == 0:
        return f"{int(hours // 24)}d"
    return f"{hours:g}h"


@dataclass(frozen=True)
class Expiry:
    """A cassette older than its ``max_age``."""

    recorded: datetime
    age: timedelta
    max_age: timedelta

    def describe(self) -> str:
        """``recorded 2024-01-02, 400 days ago; imagegen_max_age is 180d``."""
        return (
            f"recorded {self.recorded.date().isoformat()}, {self.age.days} days ago; "
            f"imagegen_max_age is {format_duration(self.max_age)}"
        )

    def as_data(self) -> dict[str, Any]:
        """Plain data (it travels from xdist workers in a report)."""
        return {
            "recorded": self.recorded.date().isoformat(),
            "days": self.age.days,
            "max_age": format_duration(self.max_age),
        }


def check_age(meta: Mapping[str, Any] | None, max_age: timedelta | None, now: datetime) -> Expiry | None:
    """The cassette's ``Expiry`` when its oldest interaction is older than ``max_age``; None when it is
    younger, when there is no limit, or when its age is unknown."""
    from pytest_imagegen.cassette.metadata import recorded_at

    if max_age is None:
        return None
    recorded = recorded_at(meta)
    if recorded is None or now - recorded <= max_age:
        return None
    return Expiry(recorded, now - recorded, max_age)
