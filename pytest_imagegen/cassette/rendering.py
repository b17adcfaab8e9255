"""A stored reply rendered for replay: status, headers, and the body as the chunks a client reads (one per
stream event), computed once per interaction and replayed many times.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from pytest_imagegen.cassette.requests import Headers
from pytest_imagegen.cassette.schema import MAX_OFFSET_MS
from pytest_imagegen.safety import trim
from pytest_imagegen.wire import bodies, sse

__all__ = ["Rendered", "render_reply"]

# Replay never waits for a recorded back-off: the SDK reads retry-after-ms first, and 0 < x is required
# for it to be used at all, so 1 ms keeps the recorded retry without the recorded wait. A polled job's
# interval (openai-poll-after-ms, or retry-after on a pending state) replays as 0 too: ``polling.py``.
NO_WAIT_HEADERS = {"retry-after": "0", "retry-after-ms": "1", "openai-poll-after-ms": "0"}


@dataclasses.dataclass(frozen=True)
class Rendered:
    """A stored response turned into what a client receives: computed once, replayed many times."""

    status: int
    reason: bytes
    headers: list[tuple[str, str]]
    chunks: list[bytes]
    offsets_ms: list[float]
    # Per HTTP library, its own Headers object built once: a Response copies one of those as a plain
    # list, while a list of pairs costs it a normalization of every header on every replay.
    library_headers: dict[str, Any] = dataclasses.field(default_factory=dict, compare=False, repr=False)
    # Whether rendering drew an image (what the render cache keeps: ``rendercache.py``).
    drawn: bool = dataclasses.field(default=False, compare=False)


def _render(body: dict[str, Any], headers: Headers, spliced: list[str] | None) -> tuple[list[bytes], Headers]:
    if "sse" in body:
        headers.pop("content-length", None)
        return sse.render_sse_events(body, spliced), headers
    content, headers = bodies.render_body(body, headers, spliced=spliced)
    return [content], headers


def render_reply(response: Mapping[str, Any], *, replay_timing: str) -> Rendered:
    """A stored response as a client receives it: placeholders expanded, bodies framed, and with
    ``replay_timing="instant"`` no recorded back-off to wait for. Raises what a malformed stored value
    raises (``requests.UNUSABLE``); the cassette names the interaction."""
    headers: Headers = {k: list(v) for k, v in (response.get("headers") or {}).items()}
    stored = response.get("body") or {}
    try:
        # Images are put into the rendered text, not passed through the JSON encoder (safety/trim.py).
        spliced: list[str] | None = []
        body = trim.expand_body(stored, spliced=spliced)
        chunks, headers = _render(body, headers, spliced)
    except ValueError:  # a splice mark in the data itself: render the plain way
        spliced = None
        body = trim.expand_body(stored)
        chunks, headers = _render(body, headers, spliced)
    offsets = [float(e.get("offset_ms") or 0.0) for e in body["sse"]] if "sse" in body else [0.0]
    if not all(0.0 <= offset <= MAX_OFFSET_MS for offset in offsets):  # NaN fails too
        # Checked here as well as on load: a file whose index vouches for it skips the load's checks.
        raise ValueError(f"a stream event's offset_ms is not from 0 to {MAX_OFFSET_MS} ms")
    if replay_timing == "instant":
        for name, value in NO_WAIT_HEADERS.items():
            if name in headers:
                headers[name] = [value]
        if "retry-after" in headers and "retry-after-ms" not in headers:
            headers["retry-after-ms"] = [NO_WAIT_HEADERS["retry-after-ms"]]
    status = response["status"]
    code = int(status["code"])
    if not 100 <= code <= 599:
        raise ValueError(f"status {code} is not an HTTP status")
    return Rendered(
        status=code,
        reason=str(status.get("message") or "").encode("ascii", "replace"),
        headers=[(name, value) for name, values in headers.items() for value in values],
        chunks=chunks,
        offsets_ms=offsets,
        drawn=spliced is None or bool(spliced) or "image" in stored or "multipart" in stored,
    )
