"""The index at the end of a cassette file: what replay would otherwise compute on every first play.

Replaying an interaction needs its match key (to find it), and its contract verdict (every reply is
checked against the API contract). Both are functions of the cassette's content, yet computing them costs
more than the HTTP call they stand in for (a canonical JSON fingerprint ~13 µs, a contract check ~45 µs
and a pydantic import of ~0.3 s per session), and a real suite plays each interaction once, from a fresh
checkout. So the recorder writes them into the file, once, as a compact index on one line:

    "index": {"digest": "<hash>", "interactions": [["<raw key>", "<match key>"], ...]}

with a third element, the contract problems ``[[where, message], ...]``, for an interaction whose reply
breaks the contract (and ``"match_on"`` when the match keys were made for other matchers than the
default ones). ``digest`` hashes ``RULES_VERSION`` together with the file's text before the index and
the index's own entries. The index is trusted only when that digest is current: a hand-edited cassette or
index, a reformatted file or a plugin whose rules mean something else simply recomputes them.

``RULES_VERSION`` is bumped by hand when what a raw key, a match key or a verdict means changes (as
syrupy's serializer ``VERSION`` and vcrpy's cassette format version are), never by a change of comments,
layout or line endings: an upgrade that does not change the rules leaves every committed index trusted.
``tests/cassette/test_rules_version.py`` recomputes the example cassettes' keys and verdicts and fails,
saying to bump it, when their meaning changed. The digest guards against accidents, not forgery: whoever can edit a cassette can change its
replies anyway, and ``imagegen-cassettes verify`` recomputes every match key and verdict and reports an
index that disagrees with its interactions.

- raw key: a digest of the request as the client sent it (method, operation path, query, framing
  headers, body bytes), so a request byte-identical to the recorded one is found without parsing,
  redacting or canonicalizing it. Only the digest is stored, never the bytes; null when unknown.
- match key: a digest of ``match.fingerprint`` of the stored request under ``match_on``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from pytest_imagegen.config import DEFAULT_MATCH_ON

__all__ = ["RULES_VERSION", "TrustedIndex", "build_index", "match_key", "raw_key", "read_index"]

#: What raw keys, match keys and contract verdicts mean. Bump it (and re-stamp the example cassettes) when
#: a change to matching, the contract or trimming makes an index computed before it wrong.
RULES_VERSION: Final = 2
_KEY_LENGTH = 16  # hex digits: 64 bits, no accidental collision among any cassette's requests

Problems = list[list[str]]


def _digest(text: str, entries: Any, match_on: Any) -> str:
    """The index's ``digest``: the rules, the file's text before the index and the index's own entries,
    together (so an index edited by hand, or mangled by a merge, is not trusted either)."""
    listed = json.dumps([entries, match_on], separators=(",", ":"))
    return hashlib.sha256(f"rules-{RULES_VERSION}\0{listed}\0{text}".encode()).hexdigest()[:24]  # 96 bits


def raw_key(method: str, path: str, query: str, framing: str, body: bytes) -> str:
    """The digest of a request as sent: ``path`` is the operation path (``match.operation_path``),
    ``query`` the canonical query, ``framing`` the content-type and content-encoding it was sent with."""
    digest = hashlib.sha256(f"{method.upper()}\0{path}\0{query}\0{framing}\0".encode())
    digest.update(body)
    return digest.hexdigest()[:_KEY_LENGTH]


def match_key(fingerprint: tuple[Hashable, ...]) -> str:
    """A short, stable digest of a request fingerprint (``match.fingerprint``), the same in every process."""
    return hashlib.sha256(repr(fingerprint).encode()).hexdigest()[:_KEY_LENGTH]


@dataclass(frozen=True)
class TrustedIndex:
    """An index whose hash and rules are current: per interaction, its raw key (or None), its match key
    (None when the index was built for another ``match_on``) and its verdict."""

    raw_keys: list[str | None]
    match_keys: list[str] | None
    problems: list[list[tuple[str, str]]]


def _is_key(value: Any) -> bool:
    return isinstance(value, str) and len(value) == _KEY_LENGTH


def _problems(value: Any) -> list[tuple[str, str]] | None:
    if not isinstance(value, list):
        return None
    out = []
    for item in value:
        if not (isinstance(item, list) and len(item) == 2 and all(isinstance(s, str) for s in item)):
            return None
        out.append((item[0], item[1]))
    return out


def digest_matches(index: Any, covered_text: str | None) -> bool:
    """Whether ``index`` was written by this plugin (these rules) for exactly ``covered_text``."""
    if not isinstance(index, dict) or covered_text is None or not isinstance(index.get("interactions"), list):
        return False
    try:
        return bool(
            index.get("digest") == _digest(covered_text, index["interactions"], index.get("match_on"))
        )
    except (TypeError, ValueError):  # entries that are not JSON data
        return False


def read_index(
    index: Any, covered_text: str | None, count: int, match_on: Sequence[str]
) -> TrustedIndex | None:
    """The index of a parsed cassette when it can be trusted for ``count`` interactions, else None."""
    if not isinstance(index, dict) or covered_text is None:
        return None
    entries = index.get("interactions")
    if not isinstance(entries, list) or len(entries) != count:
        return None
    if index.get("digest") != _digest(covered_text, entries, index.get("match_on")):
        return None
    raw_keys: list[str | None] = []
    match_keys: list[str] = []
    problems: list[list[tuple[str, str]]] = []
    for entry in entries:
        if not isinstance(entry, list) or len(entry) not in (2, 3):
            return None
        raw, key = entry[0], entry[1]
        verdict = _problems(entry[2]) if len(entry) == 3 else []
        if (raw is not None and not _is_key(raw)) or not _is_key(key) or verdict is None:
            return None
        raw_keys.append(raw)
        match_keys.append(key)
        problems.append(verdict)
    same_matchers = index.get("match_on", list(DEFAULT_MATCH_ON)) == list(match_on)
    return TrustedIndex(raw_keys, match_keys if same_matchers else None, problems)


def build_index(
    covered_text: str,
    entries: Iterable[tuple[str | None, str, Sequence[tuple[str, str]]]],
    match_on: Sequence[str],
) -> dict[str, Any]:
    """The index for a file whose text before the index is ``covered_text``; ``entries`` give each
    interaction's raw key, match key and contract problems."""
    listed = [
        [raw, key, [list(p) for p in problems]] if problems else [raw, key] for raw, key, problems in entries
    ]
    matchers = list(match_on) if tuple(match_on) != DEFAULT_MATCH_ON else None
    built: dict[str, Any] = {"digest": _digest(covered_text, listed, matchers)}
    if matchers is not None:
        built["match_on"] = matchers
    built["interactions"] = listed
    return built
