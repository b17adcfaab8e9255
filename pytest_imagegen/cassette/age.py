"""How old a cassette is, and whether it has outlived ``imagegen_max_age``.

A cassette's age counts from its oldest interaction's recording time (``meta.recorded``, see
``metadata.py``): a cassette extended with ``new_episodes`` is as old as the oldest reply it serves.
A cassette with no recording time (written before metadata existed, or hand-made) has an unknown age:
it is listed as undated, never failed for it.

Pure: metadata and durations in, an expiry out; the caller passes the clock. Durations are parsed and
written by ``config.py``, where ``imagegen_max_age`` is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from pytest_imagegen.cassette.metadata import recorded_at
from pytest_imagegen.config import format_duration

__all__ = ["Expiry", "check_age"]


class Expiry(NamedTuple):
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
    if max_age is None:
        return None
    recorded = recorded_at(meta)
    if recorded is None or now - recorded <= max_age:
        return None
    return Expiry(recorded, now - recorded, max_age)
