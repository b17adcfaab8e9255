"""What a poll is (``cassette/polling.py``): the generic rule, a shape's own ``job_state``, which stored
interaction answers a read in each mode, and the waiting counted from the cassette alone."""

from __future__ import annotations

import re
from typing import Any, Literal

import pytest

from pytest_imagegen.cassette.polling import Polls, generic_state, job_state, summary_line
from pytest_imagegen.contract import registry
from pytest_imagegen.contract.shape import ApiShape, Call


@pytest.mark.parametrize(
    ("method", "status", "body", "state"),
    [
        ("GET", 200, {"status": "processing"}, "pending"),
        ("GET", 200, {"status": "IN_QUEUE"}, "pending"),  # fal
        ("GET", 200, {"status": "Pending"}, "pending"),  # Black Forest Labs
        ("GET", 200, {"status": "starting"}, "pending"),  # Replicate
        ("GET", 200, {"state": "in-progress"}, "pending"),
        ("GET", 202, {"id": "x"}, "pending"),  # Stability: 202 while it works
        ("GET", 202, None, "pending"),
        ("GET", 200, {"status": "succeeded"}, "final"),
        ("GET", 200, {"status": "Ready"}, "final"),
        ("GET", 200, {"status": "failed"}, "final"),  # a failed job is over: polling stops
        ("GET", 200, None, "final"),  # the image itself
        ("GET", 200, {"data": [1]}, "final"),
        ("GET", 429, {"status": "processing"}, None),  # an error is no state: a retry keeps its order
        ("GET", 503, None, None),
        ("POST", 200, {"status": "processing"}, None),  # a submission is no read
    ],
)
def test_the_generic_rule(method: str, status: int, body: Any, state: str | None) -> None:
    assert generic_state(method, status, body) == state
    assert job_state(method, "https://api.example.com/v1/jobs/1", status, body) == state


class KitchenShape(ApiShape[Any]):
    """A service whose status read is a POST and whose states are its own words."""

    name = "kitchen"
    api = "Kitchen API"
    path = re.compile(r"/v1/kitchen/")
    operations = re.compile(r"(/kitchen/\w+)/?$")

    def validate(self, call: Call) -> Any:
        raise NotImplementedError

    def check_reply(self, request: Any, reply: Any, *, strict: bool = False) -> None:
        return None

    def job_state(self, method: str, uri: str, status: int, body: Any) -> Literal["pending", "final"] | None:
        if not uri.endswith("/v1/kitchen/order-status") or not isinstance(body, dict):
            return None
        return "final" if body.get("phase") == "served" else "pending"


def test_a_shape_says_what_its_status_read_is() -> None:
    uri = "https://kitchen.example/v1/kitchen/order-status"
    assert job_state("POST", uri, 200, {"phase": "cooking"}) is None  # unknown shape: a POST is no read
    with registry.registered(KitchenShape()):
        assert job_state("POST", uri, 200, {"phase": "cooking"}) == "pending"
        assert job_state("POST", uri, 200, {"phase": "served"}) == "final"
        # Not its status read: the generic rule decides.
        assert job_state("GET", "https://kitchen.example/v1/jobs/1", 202, None) == "pending"
    assert ApiShape.job_state(KitchenShape(), "GET", uri, 200, {}) is None  # the default


class Stored:
    def __init__(self, method: str) -> None:
        self.record = {"method": method, "uri": "http://127.0.0.1/v1/jobs/1"}


def reply(status: int, body: Any = None, **headers: str) -> dict[str, Any]:
    stored = {"json": body} if body is not None else {"image": {}}
    return {
        "status": {"code": status},
        "headers": {k.replace("_", "-"): [v] for k, v in headers.items()},
        "body": stored,
    }


PENDING = reply(200, {"status": "processing"}, retry_after="2")
FINAL = reply(200, {"status": "succeeded"})
BUSY = reply(503, {"error": "busy"}, retry_after="1")


def polls(replies: list[dict[str, Any]], polling: str, timing: str = "instant") -> Polls:
    return Polls([(Stored("GET"), r) for r in replies], polling=polling, timing=timing)


def play(tracker: Polls, n: int) -> list[int]:
    """The interactions ``n`` identical reads get, as the cassette plays them."""
    positions = list(range(len(tracker._data)))
    played: set[int] = set()
    answers = []
    for _ in range(n):
        start = next(i for i, p in enumerate(positions) if p not in played)
        chosen, skipped = tracker.choose(positions, start)
        played.update([*skipped, chosen])
        answers.append(chosen)
    return answers


def test_collapse_skips_to_the_final_state_after_a_retry_in_order() -> None:
    tracker = polls([BUSY, PENDING, PENDING, PENDING, FINAL], "collapse")
    assert play(tracker, 2) == [0, 4]
    assert tracker.outcome() == {"jobs": 1, "polls": 3, "recorded_s": 6.0, "replayed_s": 0.0}


def test_faithful_plays_every_state_and_counts_the_same_waiting() -> None:
    tracker = polls([BUSY, PENDING, PENDING, PENDING, FINAL], "faithful")
    assert play(tracker, 5) == [0, 1, 2, 3, 4]
    assert tracker.outcome() == {"jobs": 1, "polls": 3, "recorded_s": 6.0, "replayed_s": 0.0}
    recorded = polls([PENDING, FINAL], "faithful", timing="recorded")
    play(recorded, 2)
    assert recorded.outcome() == {"jobs": 1, "polls": 1, "recorded_s": 2.0, "replayed_s": 2.0}


def test_a_recording_that_ended_while_pending_replays_in_order() -> None:
    tracker = polls([PENDING, PENDING], "collapse")
    assert play(tracker, 2) == [0, 1]
    assert tracker.outcome() == {"jobs": 0, "polls": 2, "recorded_s": 4.0, "replayed_s": 0.0}


def test_no_poll_no_summary() -> None:
    tracker = polls([FINAL, BUSY, FINAL], "collapse")
    assert play(tracker, 3) == [0, 1, 2]
    assert tracker.outcome() is None
    assert summary_line([{"path": "c.json"}]) is None


def test_the_interval_headers() -> None:
    tracker = polls(
        [reply(202, {}, openai_poll_after_ms="1500"), reply(202, {}, retry_after_ms="250"), FINAL], "collapse"
    )
    play(tracker, 1)
    assert tracker.outcome() == {"jobs": 1, "polls": 2, "recorded_s": 1.75, "replayed_s": 0.0}
    dated = polls([reply(202, {}, retry_after="Wed, 21 Oct 2015 07:28:00 GMT"), FINAL], "collapse")
    play(dated, 1)
    assert dated.outcome() == {"jobs": 1, "polls": 1, "recorded_s": 0.0, "replayed_s": 0.0}


def test_the_summary_adds_every_test() -> None:
    one = {"jobs": 6, "polls": 18, "recorded_s": 24.0, "replayed_s": 0.0}
    line = summary_line([{"polling": one}, {"polling": one}, {}])
    assert line == "12 polling job(s) replayed: 0.0 s instead of about 48 s recorded (36 pending replies)"


def test_a_shape_declares_its_volatile_fields() -> None:
    class Timed(KitchenShape):
        volatile_fields = (("metrics", "predict_time"),)

    uri = "https://kitchen.example/v1/kitchen/order-status"
    assert registry.volatile_fields(uri) == ()
    with registry.registered(Timed()):
        assert registry.volatile_fields(uri) == (("metrics", "predict_time"),)
    assert ApiShape.volatile_fields == ()
