"""Requests that redaction made look alike, and what may be stored about a request's bytes.

Two promises meet here. *Never a wrong reply*: two requests that were sent differently must not answer
for each other. *Nothing recoverable*: nothing on disk may be a function of a secret that lets whoever
reads the cassette test guesses against it offline.

Where redaction removes something from what a request is matched on (its URI and body), the stored
form says nothing of what was removed. The choices considered:

- a short digest in the marker (``REDACTED-1a2b3c4d``, what earlier versions stored): it kept the two
  requests apart, but ``sha256(password)[:8]`` is a test against a dictionary, and a 10,000-word
  dictionary finds a low-entropy password, ``user`` id or configured value in milliseconds. A salt
  stored beside it does not help (the attacker reads it too), and a slow hash only slows the same test;
- a keyed digest whose key never reaches disk: a replay on another machine (CI, the point of a
  cassette) cannot compute it, so a request whose bytes carried a secret could never replay there;
- **fixed markers, chosen**: the stored form holds nothing of the secret. What the digest did, telling
  two such requests apart, is done instead by the recorder, which sees both: if two requests recorded
  into (or played from) one cassette in one run are stored alike although they were sent differently,
  it stops with ``IndistinguishableRequestsError`` naming both, and the test's cassette is not written.
  A replay that sends two requests differently, which the cassette stores alike, stops the same way.

The same reasoning goes for the index's raw key (``index.raw_key``: 64 bits of SHA-256 over the bytes
as sent, so a byte-identical request is found without parsing it). Over bytes that carried a secret it
is a test against a dictionary too, so a request is given a raw key only when redaction removed nothing
the raw key covers (``raw_key_allowed``); any other request takes the full match path on replay, where
it is redacted before it is compared.

A request's *sent identity* is the match key of its unredacted form (parsed, trimmed and normalized like
the stored one). It is computed only in memory, only when two requests meet on one stored key, and never
written or shown: the error names the two requests by their stored (redacted) form and the JSON paths
where they differed, never by a value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from pytest_imagegen.cassette import index, match
from pytest_imagegen.errors import IndistinguishableRequestsError
from pytest_imagegen.safety import normalize, trim

if TYPE_CHECKING:
    from pathlib import Path

    from pytest_imagegen.cassette.requests import LiveRequest, RecordedRequest
    from pytest_imagegen.config import ImagegenConfig


class Recording(Protocol):
    """What ``Claims`` needs of its cassette (``core.ImagegenCassette``)."""

    file_path: Path
    config: ImagegenConfig
    test_id: str | None
    ids: dict[str, str]
    urls: dict[str, str]

    def abandon(self) -> None: ...


__all__ = ["Claims", "raw_key_allowed", "sent_form"]

#: What a raw key is computed over, as matchers: the method, operation path, query and body.
RAW_KEY_COVERS = ("method", "path", "query", "body")


def sent_form(
    request: LiveRequest,
    *,
    keep: bool,
    ids: Mapping[str, str] | None = None,
    urls: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """``request`` as it was sent, unredacted, trimmed and normalized as its stored form is (``ids``,
    ``urls``: the replacements a recording made in replies). Kept in memory only."""
    body = trim.trim_body(request.raw_body, keep=keep)
    sent = {"method": request.record["method"], "uri": request.url, "body": body}
    return normalize.normalize_request(sent, ids, urls)


def raw_key_allowed(stored: Mapping[str, Any], sent: Mapping[str, Any]) -> bool:
    """Whether a request may keep its raw key: redaction changed nothing the raw key covers (``stored``
    is its redacted form, ``sent`` the same request unredacted, both trimmed and normalized alike)."""
    try:
        return match.fingerprint(stored, RAW_KEY_COVERS) == match.fingerprint(sent, RAW_KEY_COVERS)
    except (KeyError, TypeError, ValueError):
        return False


@dataclass
class _Claim:
    """The first request of this run that used a stored key: how to name it, and its sent form."""

    described: str
    sent: Callable[[], Mapping[str, Any]]
    _key: str | None = None

    def sent_key(self, match_on: Sequence[str]) -> str:
        if self._key is None:
            self._key = index.match_key(match.fingerprint(self.sent(), match_on))
        return self._key


class Claims:
    """Per cassette and run: which request used each stored match key first (see the module).

    A live request's unredacted form is computed only when two requests meet on one stored key. After a
    refusal the cassette is abandoned: nothing of the test is written.
    """

    def __init__(self, cassette: Recording) -> None:
        self.cassette = cassette
        self.match_on = tuple(cassette.config.match_on)
        self._claims: dict[str, _Claim] = {}
        self._met = 0

    def _sent_form(self, live: LiveRequest) -> Mapping[str, Any]:
        cassette = self.cassette
        return sent_form(live, keep=cassette.config.payloads == "keep", ids=cassette.ids, urls=cassette.urls)

    def claim(
        self, position: int, stored: RecordedRequest, live: LiveRequest | None, *, recorded: bool
    ) -> None:
        __tracebackhide__ = True
        """Note that interaction ``position`` (its request stored as ``stored``) was recorded or played by
        ``live`` (None: a request byte-identical to ``stored``, which redaction left as it was); raise
        ``IndistinguishableRequestsError`` if an earlier request of this run met the same stored key
        although it was sent differently."""
        self._met += 1
        verb = "recorded as" if recorded else "played"
        described = f"request {self._met} of the test ({verb} interaction {position})"
        record = stored.record
        sent: Callable[[], Mapping[str, Any]] = (
            (lambda: record) if live is None else (lambda: self._sent_form(live))
        )
        new = _Claim(described, sent)
        first = self._claims.setdefault(stored.fingerprint, new)
        if first is new or first.sent_key(self.match_on) == new.sent_key(self.match_on):
            return
        self.cassette.abandon()
        raise IndistinguishableRequestsError(
            str(self.cassette.file_path),
            first=first.described,
            second=described,
            stored=match.summarize(record, 200),
            differences=_paths(first.sent(), new.sent(), self.match_on),
            test_id=self.cassette.test_id,
        )


def _paths(a: Mapping[str, Any], b: Mapping[str, Any], match_on: Sequence[str]) -> list[str]:
    """Where two requests differ, as paths only (``body.password``): their values are secrets."""
    paths = []
    for line in match.describe_differences(a, b, match_on):
        where = line.split(": ", 1)[0]
        if where not in paths:
            paths.append(where)
    return paths
