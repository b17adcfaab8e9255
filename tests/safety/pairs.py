"""Two (or more) requests recorded into one cassette, then replayed in the opposite order.

A replay that hands one request the reply recorded for another is the worst thing this tool can do.
``record_then_replay`` records the calls from a ``Loopback`` service that numbers its replies, stops it,
and replays the calls last first with the network blocked: each must get its own number back. Recording
may instead refuse the pair (``IndistinguishableRequestsError``): then nothing may have been written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from pytest_imagegen.errors import IndistinguishableRequestsError
from tests.engine.conftest import DEAD_BASE_URL, Tape
from tests.safety.loopback import Loopback

__all__ = ["Call", "record_then_replay", "send"]


@dataclass(frozen=True)
class Call:
    """One request: ``target`` is the path and query, ``body`` the exact bytes sent."""

    target: str
    body: bytes
    content_type: str = "application/json"
    method: str = "POST"


def send(base_url: str, call: Call) -> httpx.Response:
    headers = {"content-type": call.content_type, "authorization": "Bearer sk-test-engine-key"}
    with httpx.Client(base_url=base_url, timeout=10) as client:
        return client.request(call.method, call.target, content=call.body, headers=headers)


def record_then_replay(
    tape: Tape, calls: Sequence[Call], **config: object
) -> IndistinguishableRequestsError | None:
    """Record ``calls`` into one cassette, then replay them in reverse: each gets its own reply.

    Returns the refusal when recording refused them (after checking nothing was written), else None.
    """
    settings = {"check_contract": False, **config}
    with Loopback() as service:
        try:
            with tape.open("once", **settings) as cassette:
                numbers = [send(service.base_url, call).json()["n"] for call in calls]
        except IndistinguishableRequestsError as refused:
            assert not cassette.file_path.exists(), "a refused recording wrote its cassette"
            return refused
    assert numbers == list(range(1, len(calls) + 1))
    with tape.open("none", **settings) as replay:
        for call, number in reversed(list(zip(calls, numbers, strict=True))):
            assert send(DEAD_BASE_URL, call).json()["n"] == number, f"{call} got another's reply"
        assert replay.all_played
    return None
