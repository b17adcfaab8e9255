"""A request as the cassette holds it: recorded (stored form, match key, raw key, verdict, metadata) or
live (being sent), and the raw key of a request as a client sent it.

The match key is a digest of the stored request's fingerprint (``match.py``); the raw key a digest of
the request's bytes as sent (``index.raw_key``), so a request byte-identical to a recorded one is found
without parsing, redacting or canonicalizing it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol
from urllib.parse import urlsplit

from pytest_imagegen.cassette import index, match

__all__ = [
    "UNUSABLE",
    "Headers",
    "HeadersLike",
    "LiveReply",
    "LiveRequest",
    "RecordedRequest",
    "framing_headers",
    "lower_headers",
    "raw_key_of",
    "request_line",
]

Headers = dict[str, list[str]]

# What a malformed stored value raises where replay uses it.
UNUSABLE = (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError, RecursionError)


def request_line(record: Mapping[str, Any]) -> str:
    """``POST /v1/images/generations`` for a stored request."""
    return f"{record['method']} {urlsplit(record['uri']).path}"


class HeadersLike(Protocol):
    """What the stubs hand over: an httpx/httpx2 ``Headers``."""

    @property
    def raw(self) -> list[tuple[bytes, bytes]]: ...

    def multi_items(self) -> list[tuple[str, str]]: ...


class RecordedRequest:
    """A request in stored form with its match key (what the cassette looks it up by), its raw
    key and the contract verdict of its interaction when known (see ``index.py``)."""

    __slots__ = ("fingerprint", "meta", "problems", "raw_key", "record")

    def __init__(
        self,
        record: dict[str, Any],
        fingerprint: str,
        raw_key: str | None = None,
        problems: list[tuple[str, str]] | None = None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.record = record
        self.fingerprint = fingerprint
        self.raw_key = raw_key
        self.problems = problems
        # When and by what its interaction was recorded (``metadata.py``), when known.
        self.meta = meta

    def __repr__(self) -> str:
        return f"<RecordedRequest {match.summarize(self.record, 120)}>"


class LiveRequest(RecordedRequest):
    """A request being sent: its cleaned method/URI/body (``record``) plus what recording needs: its
    headers, its URL and parsed body as sent (unredacted: kept in memory only, never shown by ``repr``),
    and its body redacted but not yet trimmed (``redacted_body``: a recording trims it with previews)."""

    __slots__ = ("headers", "raw_body", "redacted_body", "url")

    def __init__(
        self,
        record: dict[str, Any],
        fingerprint: str,
        headers: HeadersLike,
        raw_body: dict[str, Any],
        raw_key: str | None,
        url: str | None = None,
        redacted_body: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(record, fingerprint, raw_key)
        self.headers = headers
        self.raw_body = raw_body
        self.url = record["uri"] if url is None else url
        self.redacted_body = (record.get("body") or {}) if redacted_body is None else redacted_body


@dataclasses.dataclass(frozen=True)
class LiveReply:
    """A reply as it came off the wire, read in full: what recording stores (``chunk_offsets_ms``: when
    each chunk arrived, for paced replay of a stream)."""

    status: int
    reason: str
    # Not in its repr: a traceback that prints it must not print the live headers and body.
    header_items: Iterable[tuple[str, str]] = dataclasses.field(repr=False)
    chunks: Sequence[bytes] = dataclasses.field(repr=False)
    chunk_offsets_ms: Sequence[float] = dataclasses.field(default=(), repr=False)


def lower_headers(items: Iterable[tuple[str, str]]) -> Headers:
    """Header pairs as the cassette's headers: lower-case names, every value kept in order."""
    headers: Headers = {}
    for name, value in items:
        headers.setdefault(name.lower(), []).append(value)
    return headers


# Headers that say how to read a request body; the only ones the replay lookup needs.
_FRAMING_HEADERS = frozenset({b"content-type", b"content-encoding"})


def framing_headers(headers: HeadersLike) -> Headers:
    """The headers that say how to read a body, from one pass over the raw pairs (``Headers.get`` scans
    them once per call)."""
    framing: Headers = {}
    for name, value in headers.raw:
        if name.lower() in _FRAMING_HEADERS:
            framing[name.decode("latin-1").lower()] = [value.decode("latin-1")]
    return framing


def _split_boundary(content_type: str) -> tuple[str, str]:
    """``multipart/form-data; boundary=X`` -> (``multipart/form-data``, ``X``)."""
    head, _, rest = content_type.partition("boundary=")
    boundary = rest.split(";", 1)[0].strip().strip('"')
    return head.rstrip("; "), boundary


def raw_key_of(method: str, url: str, headers: HeadersLike, raw: bytes) -> tuple[str, Headers]:
    """The request's raw key (``index.raw_key``) and its framing headers."""
    framing = framing_headers(headers)
    parts = urlsplit(url)
    content_type = framing.get("content-type", [""])[0]
    if "boundary=" in content_type:
        # A multipart boundary is random on every request: the key sees the parts, not the boundary.
        content_type, boundary = _split_boundary(content_type)
        raw = raw.replace(boundary.encode("latin-1"), b"\0boundary\0")
    sent_as = f"{content_type}\0{framing.get('content-encoding', [''])[0]}"
    key = index.raw_key(
        method, match.operation_path(parts.path), match.canonical_query(parts.query), sent_as, raw
    )
    return key, framing
