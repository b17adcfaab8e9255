"""Services that make you wait: a polled job's recorded states, replayed without the waiting.

Black Forest Labs, fal.ai's queue, Replicate and Stability's async API answer a submission with a job id;
the client reads a status URL again and again (sleeping between reads) until the job is done, then
downloads the image. A recording keeps every state the service returned, in order. On replay:

- ``polling="collapse"`` (the default): the first read of a job that is still pending in the cassette is
  answered with the job's final recorded state, and the pending replies before it count as played. An
  application that polls until done finishes at once, without one pending reply and without sleeping;
- ``polling="faithful"``: every recorded state is replayed in order, as any identical requests are.

A **poll** is a repeated read whose earlier replies are successful, not-yet-final states. Each API shape
says which of its replies are a job's states (``ApiShape.job_state``); for a service no shape knows, the
generic rule below does: a GET whose reply is a 202, or whose JSON ``status``/``state`` is a pending word
(``queued``, ``processing``, ...), is pending; any other successful reply to a GET is final. An error reply
(a 429, a 5xx) is no state: a retry after it keeps its recorded order, whatever the mode.

What replay saved is computed from the cassette alone (never from clocks, which would change the file on
every recording): the number of pending replies a job went through and the interval the service asked
for in each (``retry-after``, ``retry-after-ms``, ``openai-poll-after-ms``). Replay itself never waits for
them (``rendering.NO_WAIT_HEADERS``). ``summary_line`` is the line of the session's summary.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pytest_imagegen.contract import registry

__all__ = [
    "FINAL_WORDS",
    "PENDING_WORDS",
    "JobState",
    "Polls",
    "generic_state",
    "job_state",
    "summary_line",
]

JobState = Literal["pending", "final"]

#: Values of a JSON ``status`` / ``state`` (compared in lower case) that mean "ask again later".
PENDING_WORDS = frozenset(
    {
        "pending",
        "processing",
        "in_progress",
        "in-progress",
        "in progress",
        "in_queue",
        "queued",
        "starting",
        "running",
        "submitted",
        "waiting",
    }
)
#: ... and those that mean the job is over, well or not (a failed job is final too: polling stops).
FINAL_WORDS = frozenset(
    {
        "succeeded",
        "success",
        "completed",
        "complete",
        "ready",
        "done",
        "finished",
        "failed",
        "failure",
        "error",
        "canceled",
        "cancelled",
    }
)
_STATUS_KEYS = ("status", "state")
_READS = frozenset({"GET"})


def generic_state(method: str, status: int, body: Any) -> JobState | None:
    """A reply's job state by the generic rule (see the module docstring); ``body`` is the reply's JSON
    document, or None when it is not JSON (an image)."""
    if method.upper() not in _READS or not 200 <= status < 300:
        return None
    if status == 202:
        return "pending"
    if isinstance(body, Mapping):
        for key in _STATUS_KEYS:
            value = body.get(key)
            if isinstance(value, str) and value.strip().lower() in PENDING_WORDS:
                return "pending"
    return "final"


def job_state(method: str, uri: str, status: int, body: Any) -> JobState | None:
    """A reply's job state: the first API shape that knows the request says (``ApiShape.job_state``),
    else the generic rule."""
    for shape in registry.shapes():
        state = shape.job_state(method, uri, status, body)
        if state is not None:
            return state
    return generic_state(method, status, body)


def _stored_state(request: Mapping[str, Any], response: Mapping[str, Any]) -> JobState | None:
    body = response.get("body")
    document = body.get("json") if isinstance(body, Mapping) else None
    try:
        status = int(response["status"]["code"])
    except (KeyError, TypeError, ValueError):
        return None
    return job_state(str(request.get("method", "")), str(request.get("uri", "")), status, document)


def _first(headers: Mapping[str, Any], name: str) -> float | None:
    values = headers.get(name)
    if not isinstance(values, list) or not values:
        return None
    try:
        number = float(str(values[0]).strip())
    except ValueError:  # an HTTP date: no interval the cassette can tell without a clock
        return None
    return number if 0 <= number < 86400 * 1000 else None


def interval_s(response: Mapping[str, Any]) -> float:
    """The seconds a reply asked its client to wait before asking again (0: it did not say)."""
    headers = response.get("headers")
    if not isinstance(headers, Mapping):
        return 0.0
    for name, scale in (("openai-poll-after-ms", 1000.0), ("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = _first(headers, name)
        if value is not None:
            return value / scale
    return 0.0


class Polls:
    """The polled jobs of one cassette: which interaction answers a read, and what replay saved.

    ``data`` is the cassette's list of ``(request, response)``, requests with a ``record`` (stored form);
    states are computed when first needed and kept (a cassette's interactions do not change once loaded).
    """

    def __init__(self, data: Sequence[tuple[Any, Mapping[str, Any]]], *, polling: str, timing: str) -> None:
        self._data = data
        self._collapse = polling == "collapse"
        self._waits = polling == "faithful" and timing == "recorded"  # the client is told to sleep
        self._states: dict[int, JobState | None] = {}
        self.jobs = 0  # jobs played to their final state after at least one pending reply
        self.polls = 0  # pending replies played or skipped on the way
        self.recorded_s = 0.0  # what the service asked the recording to wait, over those
        self.replayed_s = 0.0  # what replay asked the client to wait

    def state(self, position: int) -> JobState | None:
        if position not in self._states:
            request, response = self._data[position]
            self._states[position] = _stored_state(request.record, response)
        return self._states[position]

    def choose(self, positions: Sequence[int], start: int) -> tuple[int, list[int]]:
        """Which of ``positions`` (one request's interactions, in recorded order) answers the read whose
        next unplayed interaction is ``positions[start]``, and the pending ones it skips (collapse)."""
        chosen = positions[start]
        skipped: list[int] = []
        if len(positions) == 1:  # a request made once (most are): no job to poll, nothing to compute
            return chosen, skipped
        if self._collapse and self.state(chosen) == "pending":
            run = start
            while run < len(positions) and self.state(positions[run]) == "pending":
                run += 1
            if run < len(positions) and self.state(positions[run]) == "final":
                chosen, skipped = positions[run], list(positions[start:run])
            # else: the recording ended while the job was pending; replay what it holds, in order
        self._count(positions, start, chosen, skipped)
        return chosen, skipped

    def _count(self, positions: Sequence[int], start: int, chosen: int, skipped: list[int]) -> None:
        pending = skipped or ([chosen] if self.state(chosen) == "pending" else [])
        for position in pending:
            wait = interval_s(self._data[position][1])
            self.polls += 1
            self.recorded_s += wait
            if self._waits and not skipped:
                self.replayed_s += wait
        before = positions[start - 1] if start > 0 and not skipped else None
        after_pending = bool(skipped) or (before is not None and self.state(before) == "pending")
        if after_pending and self.state(chosen) == "final":
            self.jobs += 1

    def outcome(self) -> dict[str, float | int] | None:
        """What the session summary needs (``ImagegenCassette.outcome()``), or None: no polled job."""
        if not self.polls:
            return None
        return {
            "jobs": self.jobs,
            "polls": self.polls,
            "recorded_s": round(self.recorded_s, 3),
            "replayed_s": round(self.replayed_s, 3),
        }


def summary_line(outcomes: Sequence[Mapping[str, Any]]) -> str | None:
    """``12 polling jobs replayed: 0.0 s instead of about 48 s recorded (36 pending replies)``, over every
    test's outcome; None when no test replayed a polled job."""
    jobs = polls = 0
    recorded = replayed = 0.0
    for outcome in outcomes:
        polling = outcome.get("polling")
        if not isinstance(polling, Mapping):
            continue
        jobs += int(polling.get("jobs", 0))
        polls += int(polling.get("polls", 0))
        recorded += float(polling.get("recorded_s", 0.0))
        replayed += float(polling.get("replayed_s", 0.0))
    if not polls:
        return None
    return (
        f"{jobs} polling job(s) replayed: {replayed:.1f} s instead of about {recorded:.0f} s recorded "
        f"({polls} pending repl{'y' if polls == 1 else 'ies'})"
    )
