"""Helpers for the record/replay tests of the services one polls (``test_bfl_record_replay.py`` and its
siblings): a flow recorded from the emulator over real sockets, then replayed with nothing listening and
no key, and what reached disk.

A flow takes the root URL to submit to and a ``Sleeps``, which it calls instead of ``time.sleep`` with
the interval the service advertised: the tests count the sleeps asked for and never sleep.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from pytest_imagegen.cassette import storage
from pytest_imagegen.cassette.checks import contract_problems
from pytest_imagegen.cassette.session import client_environment
from pytest_imagegen.contract import registry
from pytest_imagegen.contract.shape import declared_images
from pytest_imagegen.wire.payloads import is_placeholder
from tests.engine.conftest import Tape

__all__ = ["DEAD_ROOT", "Sleeps", "assert_stored_cleanly", "record_then_replay", "states", "stored"]

# Nothing listens here: a replay that reached the network would fail loudly.
DEAD_ROOT = "http://127.0.0.1:9"
T = TypeVar("T")


class Sleeps:
    """Stands in for ``time.sleep``: notes the seconds asked for."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)


def record_then_replay(
    tape: Tape, root: str, flow: Callable[[str, Sleeps], T], replay_root: str = DEAD_ROOT
) -> tuple[T, T, Sleeps, Sleeps]:
    """The flow recorded against ``root`` (mode ``once``), then replayed (mode ``none``) against
    ``replay_root`` in the environment the plugin's fixture gives a test (a dummy in every missing key
    variable); every recorded interaction must be played.

    Replayed twice: with ``polling="faithful"`` (returned: every recorded state in order, each interval
    0 s), and by default (``collapse``): each job's first poll gets its final state, so a flow that
    sleeps between polls asks for fewer sleeps than it did live (a client that sleeps its own fixed
    interval before each poll still asks for that one)."""
    recorded_sleeps, replayed_sleeps, collapsed_sleeps = Sleeps(), Sleeps(), Sleeps()
    with tape.open("once") as cassette:
        recorded = flow(root, recorded_sleeps)
        assert cassette.recorded_count >= 1
    environment = {"emulator_url": lambda: replay_root}
    with tape.open("none", polling="faithful") as cassette, client_environment(cassette, **environment):
        replayed = flow(replay_root, replayed_sleeps)
        assert cassette.all_played, "every recorded interaction should have been played"
    with tape.open("none") as cassette, client_environment(cassette, **environment):
        flow(replay_root, collapsed_sleeps)
        assert cassette.all_played, "the pending states skipped count as played"
    if recorded_sleeps.asked:
        assert len(collapsed_sleeps.asked) < len(recorded_sleeps.asked), "pending replies were served"
    return recorded, replayed, recorded_sleeps, replayed_sleeps


def stored(tape: Tape) -> tuple[list[dict[str, Any]], int]:
    """The cassette's interactions and its size on disk, in bytes."""
    with tape.open("none") as cassette:
        path = cassette.file_path
    return storage.load_cassette(path) or [], path.stat().st_size


def _bodies(interaction: dict[str, Any]) -> Iterable[tuple[str, Any]]:
    for side in ("request", "response"):
        body = interaction[side].get("body") or {}
        if "json" in body:
            yield side, body["json"]


def assert_stored_cleanly(interactions: list[dict[str, Any]], secrets: Iterable[str]) -> int:
    """No secret and no base64 or binary image on disk, every image a placeholder, a clean verdict;
    returns the number of images found (each a placeholder)."""
    text = json.dumps(interactions)
    for secret in secrets:
        assert secret not in text
    for prefix in ("iVBORw0KGgo", "/9j/", "UklGR"):  # base64 PNG, JPEG, WebP
        assert prefix not in text
    found = 0
    for index, interaction in enumerate(interactions):
        assert contract_problems(interaction) == [], f"interaction {index}"
        image = (interaction["response"].get("body") or {}).get("image")
        if image is not None:
            assert is_placeholder(image), f"interaction {index}: {str(image)[:60]}"
            found += 1
        shape = registry.shape_for(interaction["request"]["uri"])
        for side, document in _bodies(interaction) if shape is not None else ():
            for path, value in declared_images(shape, document):
                assert is_placeholder(value), f"interaction {index} {side} {path}: {str(value)[:60]}"
                found += 1
    return found


def states(interactions: list[dict[str, Any]]) -> list[str | None]:
    """What the shape of each stored interaction says its reply is: ``pending``, ``final`` or None."""
    found = []
    for interaction in interactions:
        request, response = interaction["request"], interaction["response"]
        shape = registry.shape_for(request["uri"])
        body = (response.get("body") or {}).get("json")
        status = int(response["status"]["code"])
        found.append(shape.job_state(request["method"], request["uri"], status, body) if shape else None)
    return found
