"""Server-sent events as stored: a recorded ``text/event-stream`` body parsed into events (with the
arrival offset of each), and events rendered back into frames, one chunk per event, for replay.

The openai SDK's decoder (``openai._streaming.SSEDecoder``) is private and optional here, so the same
WHATWG rules are restated: lines end at CR, LF or CRLF, a blank line ends an event, ``:`` lines are
comments, ``data:`` lines join with ``\\n``, one space after the colon is dropped, a blank line
dispatches when an event name, data, retry or an id (the last one seen, as in the SDK) is set, and an
unterminated event at the end of the stream is dropped. Where the SDK and WHATWG differ, the SDK wins:
replay must give the client the events it saw live.

The client's own decoder (``client/sse.py``) follows WHATWG as it reads a live stream chunk by chunk;
this one reads a whole recorded body and keeps the byte position of each event's end.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from pytest_imagegen.wire import json_text
from pytest_imagegen.wire.payloads import contains_placeholder, dumps_spliced

__all__ = ["parse_sse", "render_sse_events", "sse_event_offsets"]


def _lines(raw: bytes) -> Iterator[tuple[bytes, int]]:
    """Each terminated line (without its CR, LF or CRLF) and the position just past its first end byte.

    ``bytes.splitlines`` splits on exactly those three (unlike ``str.splitlines``) and runs in C: a
    stream of full-size images is megabytes, and a regex scan of it cost tens of milliseconds.
    """
    pos = 0
    for piece in raw.splitlines(keepends=True):
        pos += len(piece)
        if piece.endswith(b"\r\n"):
            yield piece[:-2], pos - 1
        elif piece.endswith((b"\r", b"\n")):
            yield piece[:-1], pos
        # else: bytes after the last line end, an unterminated line (dropped by the caller's rules)


def _iter_sse(raw: bytes) -> Iterator[tuple[dict[str, Any], int]]:
    """Each dispatched event (without offset) and the byte position just past the line that ended it."""
    if raw.startswith(b"\xef\xbb\xbf"):  # WHATWG: one leading BOM is ignored
        raw = raw[3:]
    event: str | None = None
    data: list[str] = []
    ident: str | None = None
    last_id: str | None = None
    retry: int | None = None
    for raw_line, end in _lines(raw):
        # A CR that ends a line dispatches at once (the SDK's incremental decoder does not wait for an LF).
        line = raw_line.decode("utf-8", errors="replace")
        if not line:
            # The SDK's dispatch test: the last event id persists across events, so after any id line
            # every blank line dispatches (an empty event), and replay must produce the same events.
            if event is None and not data and last_id is None and retry is None:
                continue
            ev: dict[str, Any] = {"event": event, "data": _parse_sse_data("\n".join(data))}
            if ident is not None:
                ev["id"] = ident
            if retry is not None:
                ev["retry"] = retry
            yield ev, end
            event, data, ident, retry = None, [], None, None
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            event = value
        elif field == "data":
            data.append(value)
        elif field == "id":
            if "\0" not in value:
                ident = last_id = value
        elif field == "retry" and value.isascii() and value.isdigit():
            retry = int(value)
    # Bytes after the last line end form an unterminated event: dropped, as the SDK and WHATWG do.


def _parse_sse_data(text: str) -> Any:
    try:
        value = json_text.loads(text)
    except ValueError:  # not JSON, or JSON a plain value cannot hold exactly (json_text.py): kept as text
        return text
    # A JSON string literal stays raw text: rendering writes strings verbatim, so parsing would lose quotes.
    return text if isinstance(value, str) else value


def parse_sse(raw: bytes, arrival_offsets_ms: Sequence[float | None] | None) -> dict[str, Any]:
    """An ``{"sse": [EVENT, ...]}`` body, each event with its arrival offset (None when not given)."""
    events = [ev for ev, _ in _iter_sse(raw)]
    offsets = list(arrival_offsets_ms or [])
    if len(offsets) > len(events):
        raise ValueError(f"{len(offsets)} arrival offsets given for {len(events)} SSE events")
    for i, ev in enumerate(events):
        offset = offsets[i] if i < len(offsets) else None
        # Insert offset_ms right after data so stored events read event, data, offset_ms, id, retry.
        rest: dict[str, Any] = {k: ev.pop(k) for k in ("id", "retry") if k in ev}
        ev["offset_ms"] = None if offset is None else float(offset)
        ev.update(rest)
    return {"sse": events}


def sse_event_offsets(chunks: Iterable[tuple[float, bytes]]) -> list[float]:
    """Arrival offset of each SSE event, from ``(offset_ms, chunk)`` pairs as they came off the wire.

    An event's offset is the offset of the chunk holding the line end that completed it. The result has
    one entry per event ``parse_body`` finds in the joined chunks, ready for ``arrival_offsets_ms``.
    """
    ends: list[tuple[int, float]] = []
    buf = bytearray()
    for offset, chunk in chunks:
        buf += chunk
        ends.append((len(buf), float(offset)))
    result: list[float] = []
    i = 0
    raw = bytes(buf)
    shift = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    for _, end in _iter_sse(raw):
        while i < len(ends) - 1 and ends[i][0] < end + shift:
            i += 1
        result.append(ends[i][1])
    return result


def _render_sse_event(ev: Mapping[str, Any], spliced: Sequence[str] | None = None) -> bytes:
    lines: list[str] = []
    if ev.get("event") is not None:
        lines.append(f"event: {ev['event']}")
    if "id" in ev:
        lines.append(f"id: {ev['id']}")
    if "retry" in ev:
        lines.append(f"retry: {int(ev['retry'])}")
    data = ev.get("data", "")
    if spliced is None and contains_placeholder(data):
        raise ValueError("SSE event data still holds an image placeholder: call trim.expand_body first")
    text = data if isinstance(data, str) else dumps_spliced(data, spliced)
    lines.extend(f"data: {part}" for part in re.split(r"\r\n|\r|\n", text))
    return ("\n".join(lines) + "\n\n").encode("utf-8")


def render_sse_events(body: Mapping[str, Any], spliced: Sequence[str] | None = None) -> list[bytes]:
    """One framed chunk per event of an ``{"sse": [...]}`` body, for replay event by event (``spliced``:
    the images of a body expanded with splice marks, see ``trim.expand_body``)."""
    if "sse" not in body:
        raise ValueError(f"not an SSE body: {sorted(body)}")
    return [_render_sse_event(ev, spliced) for ev in body["sse"]]
