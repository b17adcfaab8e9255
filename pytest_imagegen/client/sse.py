"""An incremental Server-Sent Events decoder (WHATWG "event stream interpretation").

Hand-written rather than taken from a library because the one library that does this for httpx
(httpx-sse) is not a dependency of the project, and the client needs two things it does not
offer together: decoding straight from raw byte chunks (so a line or a CRLF split across two
network chunks is handled, and an event is handed over the moment its blank line arrives), and the
same rules the openai SDK applies (its ``SSEDecoder`` follows WHATWG too), so both clients see the
same events from the same bytes.

The rules implemented (https://html.spec.whatwg.org/multipage/server-sent-events.html):
lines end at CR, LF or CRLF; a leading BOM is dropped; a line starting with ``:`` is a comment; a
field line is ``name: value`` (one space after the colon stripped, a line without a colon is a
name with an empty value); ``data`` lines accumulate, joined with LF; ``event``, ``id`` (ignored if
it holds NUL) and ``retry`` (digits only) are kept; a blank line dispatches the event if any data
was collected; whatever is pending when the stream ends is never dispatched, as the standard says
(so a stream cut off mid-event loses that event, and the caller sees no completed event).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["SSEDecoder", "ServerSentEvent"]

_BOM = "\ufeff"
_LINE_END = re.compile(rb"[\r\n]")


@dataclass(frozen=True)
class ServerSentEvent:
    """One dispatched event. ``event`` is ``None`` when the stream named none (WHATWG: "message")."""

    data: str
    event: str | None = None
    id: str | None = None
    retry: int | None = None


class SSEDecoder:
    """Feed raw bytes in any chunking, get whole events out as soon as they are complete."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []  # pieces of a line not yet terminated (kept apart: no quadratic joins)
        self._skip_lf = False  # the last chunk ended in CR; an LF starting the next one is its CRLF
        self._first_line = True
        self._data: list[str] = []
        self._event: str | None = None
        self._retry: int | None = None
        self._last_event_id: str | None = None

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Decode one chunk; return the events it completed (possibly none)."""
        if not chunk:
            return []
        events: list[ServerSentEvent] = []
        start = 1 if self._skip_lf and chunk[:1] == b"\n" else 0
        self._skip_lf = False
        length = len(chunk)
        while start < length:
            found = _LINE_END.search(chunk, start)
            if found is None:
                self._parts.append(chunk[start:])
                break
            end = found.start()
            raw = chunk[start:end]
            if self._parts:
                raw = b"".join([*self._parts, raw])
                self._parts = []
            event = self._line(raw)
            if event is not None:
                events.append(event)
            if chunk[end] == 0x0D:  # CR, maybe the first half of CRLF
                if end + 1 == length:
                    self._skip_lf = True
                    start = length
                else:
                    start = end + (2 if chunk[end + 1] == 0x0A else 1)
            else:
                start = end + 1
        return events

    def _line(self, raw: bytes) -> ServerSentEvent | None:
        # CR and LF never occur inside a multi-byte UTF-8 sequence, so splitting before decoding is safe.
        line = raw.decode("utf-8", errors="replace")
        if self._first_line:
            self._first_line = False
            line = line.removeprefix(_BOM)
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self._last_event_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self._retry = int(value)
        return None

    def _dispatch(self) -> ServerSentEvent | None:
        data, event, retry = self._data, self._event, self._retry
        self._data, self._event, self._retry = [], None, None
        if not data:
            return None
        return ServerSentEvent(data="\n".join(data), event=event or None, id=self._last_event_id, retry=retry)
