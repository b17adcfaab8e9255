"""Record modes as one small table: what a cassette does with each request, and what it writes.

The README's "Record modes" table is the specification; this module is that table, and nothing else
decides it. A cassette looks its policy up once, from its mode and whether its file existed when it
was opened, and asks it three questions:

- ``plays``: a request the cassette holds is answered from it (identical requests in recorded order);
- ``records``: a request it cannot answer goes out and is recorded (else it is a ``CassetteMiss``);
- ``saves``: what is written when the test ends, if anything was recorded (nothing recorded, nothing
  written: the file keeps its bytes):
    ``all``       every interaction, loaded ones first, then those recorded now;
    ``replace``   recorded ones replace the loaded ones they match (same match key), other loaded ones
                  are kept (``all``);
    ``recorded``  exactly what this run recorded (``rewrite``);
    ``nothing``   never written.

``blocks_network`` says that every other connection is refused while the cassette is open (``none``).

The drift check has a policy of its own (``DRIFT``): it plays nothing back to the caller, but every
request must match a recorded one before it goes out live; it writes only what ``cassette/drift.py``
replaces.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

__all__ = ["DRIFT", "POLICIES", "Policy", "policy_for", "to_save"]

SaveRule = Literal["all", "replace", "recorded", "nothing"]
T = TypeVar("T")


@dataclass(frozen=True)
class Policy:
    """What one record mode does with a cassette that exists, or does not yet (see the module)."""

    plays: bool
    records: bool
    saves: SaveRule
    blocks_network: bool = False


_REPLAY_ONLY = Policy(plays=True, records=False, saves="nothing")
_RECORD_ALL = Policy(plays=False, records=True, saves="all")

#: (mode, the cassette file exists) -> policy. The README's "Record modes" table, row by row.
POLICIES: dict[tuple[str, bool], Policy] = {
    ("none", False): Policy(plays=False, records=False, saves="nothing", blocks_network=True),
    ("none", True): Policy(plays=True, records=False, saves="nothing", blocks_network=True),
    ("once", False): _RECORD_ALL,
    ("once", True): _REPLAY_ONLY,
    ("new_episodes", False): _RECORD_ALL,
    ("new_episodes", True): Policy(plays=True, records=True, saves="all"),
    ("all", False): Policy(plays=False, records=True, saves="replace"),
    ("all", True): Policy(plays=False, records=True, saves="replace"),
    ("rewrite", False): Policy(plays=False, records=True, saves="recorded"),
    ("rewrite", True): Policy(plays=False, records=True, saves="recorded"),
}

#: ``--imagegen-drift``: match as a replay would, then send live; written only by the drift update.
DRIFT = Policy(plays=True, records=True, saves="nothing")


def policy_for(mode: str, *, exists: bool) -> Policy:
    """The policy of record mode ``mode`` for a cassette whose file does (not) exist."""
    return POLICIES[(mode, exists)]


def to_save(
    policy: Policy, loaded: Sequence[T], recorded: Sequence[T], key: Callable[[T], str]
) -> list[T] | None:
    """The interactions to write when the test ends, or None to leave the file as it is.

    ``loaded`` came from the file, ``recorded`` were recorded now (in order); ``key`` is an
    interaction's match key, by which ``replace`` pairs a recording with what it re-records.
    """
    if not recorded or policy.saves == "nothing":
        return None
    if policy.saves == "recorded":
        return list(recorded)
    if policy.saves == "replace":
        again = {key(item) for item in recorded}
        return [item for item in loaded if key(item) not in again] + list(recorded)
    return [*loaded, *recorded]
