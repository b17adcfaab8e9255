"""What every library's stub shares: the lookup, the check before a request goes out, the recorder.

The httpx/httpx2 stubs (``cassette/stubs.py``) do the same three steps on httpx's own objects; these take
plain values (method, URL, header pairs, body bytes) so that urllib3's and aiohttp's stubs reach the very
same cassette calls: ``play_raw`` then ``make_request``/``play_index`` to find a reply, ``miss`` for a
request the cassette cannot answer, ``record`` once a live reply has been read in full.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from pytest_imagegen.cassette.requests import LiveReply
from pytest_imagegen.errors import DUMMY_API_KEY, RecordingNeedsKeyError

if TYPE_CHECKING:
    from pytest_imagegen.cassette.core import ImagegenCassette
    from pytest_imagegen.cassette.rendering import Rendered
    from pytest_imagegen.cassette.requests import LiveRequest

__all__ = ["LOOPBACK", "Recorder", "WireHeaders", "delays", "destination", "lookup", "str_pairs"]

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_DUMMY = DUMMY_API_KEY.encode("ascii")


def str_pairs(items: Iterable[tuple[object, object]]) -> list[tuple[str, str]]:
    """Header pairs as text (botocore and urllib3 accept bytes values too)."""
    return [
        (
            name.decode("latin-1") if isinstance(name, bytes) else str(name),
            value.decode("latin-1") if isinstance(value, bytes) else str(value),
        )
        for name, value in items
    ]


class WireHeaders:
    """A request's headers as the cassette reads them (``requests.HeadersLike``), from any library.

    ``library`` (``requests 2.32.3``) is what the cassette's metadata names as the HTTP library.
    """

    __slots__ = ("_items", "library", "raw")

    def __init__(self, items: list[tuple[str, str]], library: str) -> None:
        self._items = items
        self.library = library
        self.raw = [(k.encode("latin-1"), v.encode("latin-1", "replace")) for k, v in items]

    def multi_items(self) -> list[tuple[str, str]]:
        return list(self._items)


def lookup(
    cassette: ImagegenCassette, method: str, url: str, headers: WireHeaders, body: bytes
) -> tuple[LiveRequest | None, int | None]:
    """``(None, index)`` of the reply to play, or ``(request, None)`` for a request that goes out to be
    recorded; a ``CassetteMiss`` when the cassette cannot answer it and its mode does not record."""
    __tracebackhide__ = True  # its frame holds the live request, whose headers carry the key
    raw_key, _ = cassette.raw_key(method, url, headers, body)
    index = cassette.play_raw(raw_key)
    if index is not None:  # byte-identical to a recorded request: no parsing, redaction or fingerprint
        return None, index
    request = cassette.make_request(method, url, headers, body, raw_key=raw_key)
    index = cassette.play_index(request)
    if index is None and cassette.write_protected:
        raise cassette.miss(request)
    return request, index


def destination(cassette: ImagegenCassette, method: str, url: str, headers: WireHeaders) -> str | None:
    """Where a request about to be recorded goes: None for where it was sent, or the URL of the bundled
    emulator when recording from it (the cassette keeps the URL the client asked for).

    A request that carries the dummy key (set when no key is: OpenAI, Google, AWS, whose SigV4
    ``Credential=`` names the dummy access key id) never goes anywhere but a loopback service.
    """
    __tracebackhide__ = True
    parts = urlsplit(url)
    host = parts.hostname or ""
    if cassette.redirect_to is not None and host not in LOOPBACK:
        target = urlsplit(cassette.redirect_to)
        return urlunsplit((target.scheme, target.netloc, parts.path, parts.query, ""))
    if host in LOOPBACK:
        return None
    if _DUMMY in parts.query.encode("latin-1", "replace") or any(_DUMMY in v for _, v in headers.raw):
        raise RecordingNeedsKeyError(method, url, cassette.test_id)
    return None


def delays(rendered: Rendered, timing: str) -> list[float]:
    """Seconds to wait before each chunk: none, unless the test asked for ``replay_timing="recorded"``."""
    if timing != "recorded":
        return [0.0] * len(rendered.chunks)
    previous, waits = 0.0, []
    for offset in rendered.offsets_ms:
        waits.append(max(0.0, (offset - previous) / 1000.0))
        previous = offset
    return waits


class Recorder:
    """Collects a live reply's chunks as the caller reads them, with their arrival offsets, and stores
    the interaction once the reply has been read in full. A read that fails records nothing."""

    def __init__(self, cassette: ImagegenCassette, request: LiveRequest) -> None:
        self.cassette, self.request = cassette, request
        self.started = time.perf_counter()
        self.chunks: list[bytes] = []
        self.offsets: list[float] = []
        self.done = False
        self.failed = False

    def add(self, chunk: bytes) -> None:
        if chunk:
            self.chunks.append(chunk)
            self.offsets.append((time.perf_counter() - self.started) * 1000.0)

    def finish(self, status: int, reason: str, header_items: Iterable[tuple[str, str]]) -> None:
        if self.done or self.failed:
            return
        self.done = True
        reply = LiveReply(
            status=status,
            reason=reason,
            header_items=list(header_items),
            chunks=self.chunks,
            chunk_offsets_ms=self.offsets,
        )
        self.cassette.record(self.request, reply)
