"""Today's redaction and trimming applied to cassettes already on disk (``imagegen-cassettes scrub``).

A file of either kind is read (a plain vcrpy / pytest-recording cassette is converted first, see
``migrate.py``), every interaction is redacted (``redact.redact_interaction``) and its base64 images
replaced by placeholders (``trim.trim_interaction``), the result is leak-scanned, and only then written,
atomically and under the cassette lock (``storage.save_cassette``). A file whose content would not change
is not rewritten, so scrubbing is idempotent and a clean repository stays byte-for-byte the same.

What changed is reported as paths into the interaction (``request.headers.authorization[0]``), never as
values: the report of a scrub must itself be safe to print in CI logs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_imagegen.cassette import fileformat
from pytest_imagegen.cassette.index import digest_matches, disagreements
from pytest_imagegen.cassette.migrate import load_any
from pytest_imagegen.cassette.storage import Interaction, dump_cassette, read_text, save_cassette
from pytest_imagegen.errors import CassetteError
from pytest_imagegen.safety import redact, trim
from pytest_imagegen.safety.leaks import DEFAULT_PATTERNS, Finding, scan_for_leaks
from pytest_imagegen.safety.redact_rules import RedactionRules

__all__ = ["ScrubResult", "scrub_file"]


@dataclass
class ScrubResult:
    """What scrubbing one file did (or, in a dry run, would do)."""

    path: Path
    source: str  # "imagegen", "vcrpy" (converted) or "empty"
    interactions: list[Interaction] = field(default_factory=list)
    redacted: list[tuple[int, str]] = field(default_factory=list)  # (interaction, path) of each change
    trimmed: list[tuple[int, str]] = field(default_factory=list)
    leaks: list[Finding] = field(default_factory=list)  # secrets the rules did not remove: not written
    bytes_before: int = 0
    bytes_after: int = 0
    changed: bool = False
    written: bool = False
    # The file's index was written by another plugin version (or edited): replay would recompute it.
    restamped: bool = False


def changed_paths(before: Any, after: Any, path: str = "") -> Iterator[str]:
    """Paths where two stored interactions (or parts of them) differ, leaf by leaf."""
    if isinstance(before, dict) and isinstance(after, dict):
        for key in list(before) + [k for k in after if k not in before]:
            sub = f"{path}.{key}" if path else str(key)
            if key not in before or key not in after:
                yield sub
            else:
                yield from changed_paths(before[key], after[key], sub)
    elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for i, (a, b) in enumerate(zip(before, after, strict=True)):
            yield from changed_paths(a, b, f"{path}[{i}]")
    elif before != after:
        yield path


def scrub_interactions(
    interactions: Sequence[Interaction], *, rules: RedactionRules, keep_payloads: bool = False
) -> tuple[list[Interaction], list[tuple[int, str]], list[tuple[int, str]], set[str]]:
    """Redacted and trimmed copies, the paths each step changed, and the literal secrets taken out."""
    out: list[Interaction] = []
    redacted: list[tuple[int, str]] = []
    trimmed: list[tuple[int, str]] = []
    secrets: set[str] = set()
    for index, interaction in enumerate(interactions):
        clean, found = redact.redact_interaction(interaction, rules)
        secrets |= found
        small = trim.trim_interaction(clean, keep=keep_payloads)
        redacted += [(index, p) for p in changed_paths(interaction, clean)]
        trimmed += [(index, p) for p in changed_paths(clean, small)]
        out.append(small)
    return out, redacted, trimmed, secrets


def _unchanged_since(path: Path, text: str) -> None:
    """Refuse to write when another process (a recording test run) changed the file since it was read."""
    try:
        now = read_text(path)
    except CassetteError:
        now = None
    if now != text:
        raise CassetteError(
            str(path),
            "changed on disk while it was being scrubbed; nothing was written",
            hint="Run the scrub again once no test run is recording into it.",
        )


def _document_of(text: str, path: Path) -> fileformat.Document | None:
    """The file as this plugin's format reads it (its metadata and index); None for a plain vcrpy file."""
    try:
        return fileformat.parse_document(text, str(path))
    except CassetteError:
        return None


def _stale_index(document: fileformat.Document | None, interactions: list[Interaction]) -> bool:
    """Whether the file has an index this plugin version cannot trust (written by another version's
    rules, or edited): replay then parses, checks and matches it from scratch every time; or one it
    trusts that disagrees with the interactions recomputed (``verify`` reports those)."""
    return (
        document is not None
        and document.index is not None
        and (
            not digest_matches(document.index, document.indexed_text)
            or bool(disagreements(document.index, document.indexed_text, interactions))
        )
    )


def scrub_file(
    path: Path, *, rules: RedactionRules, keep_payloads: bool = False, write: bool = True
) -> ScrubResult:
    """Scrub one cassette file in place (``write=False``: only report). Raises ``CassetteError`` for a file
    that cannot be read or converted; leaves it untouched when a secret would survive (``result.leaks``)."""
    text = read_text(path)
    if text is None:
        raise CassetteError(str(path), "does not exist")
    original, source = load_any(path)
    result = ScrubResult(path=path, source=source, bytes_before=len(text.encode("utf-8")))
    new, result.redacted, result.trimmed, secrets = scrub_interactions(
        original, rules=rules, keep_payloads=keep_payloads
    )
    result.interactions = new
    document = _document_of(text, path)
    result.restamped = source == "imagegen" and new == original and _stale_index(document, original)
    result.changed = source == "vcrpy" or new != original or result.restamped
    rewritten = source == "vcrpy" or new != original
    result.bytes_after = len(dump_cassette(new).encode("utf-8")) if rewritten else result.bytes_before
    result.leaks = scan_for_leaks(new, secrets=secrets, patterns=(*DEFAULT_PATTERNS, *rules.patterns))
    if write and result.changed and not result.leaks:
        save_cassette(
            path,
            new,
            meta=(document.meta or None) if document is not None else None,
            check=lambda _final: _unchanged_since(path, text),
        )
        result.written = True
    return result
