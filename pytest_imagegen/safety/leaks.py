"""The last check before a cassette is written: does any secret survive redaction?

``scan_for_leaks`` walks every string of every interaction as it would be stored (header names and values,
URIs, JSON keys and values, SSE fields, multipart fields and file names) and looks for

- the literal secret values seen in this run (the key, org and project ids, cookie values, signatures that
  ``redact_interaction`` took out, plus ``OPENAI_API_KEY`` and the user's own values), also
  percent-encoded; values shorter than ``MIN_SECRET_LENGTH`` and the redaction markers are ignored;
- credential-shaped text (``DEFAULT_PATTERNS``, defined next to the redaction rules in ``redact.py`` as
  ``DEFAULT_LEAK_PATTERNS`` so the two stay in step): OpenAI keys and masked key echoes, bearer tokens,
  Cloudflare cookie values, URL signatures, org/project ids of realistic length, JWTs, AWS access key ids,
  Google API keys (``AIza…``), Azure keys (32 hex) next to a key-like name, in text or as the value of a
  field named like a key.

A secret is looked for in every form it may take on disk: in any encoding of its characters
(percent-encoded in part or in full, HTML character references, ``\\u002d`` escapes, zero-width
characters inside, hex: ``literals.py``), and hidden (``hidden.py``): every image slot that holds no
image and every other run of base64 (standard or URL-safe) is decoded, gzip inflated, UTF-16 read, and
what comes out searched again. Of an image (``b64_json``, and any base64 image or image data URL wherever
an API shape puts one) only the text blocks inside it are searched (PNG text chunks, EXIF, XMP, comments:
``image_text.py``), never the pixels. Each finding names the interaction, the field, and the kind of
secret, never the secret itself, so the error that reports it can be printed safely: a field path that
holds a secret (a key used as a JSON key or header name) is shown masked (``credentials.mask``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from pytest_imagegen.safety import hidden
from pytest_imagegen.safety.credentials import mask
from pytest_imagegen.safety.literals import Literals, decoded, literals_for
from pytest_imagegen.safety.redact_rules import (
    DEFAULT_LEAK_PATTERNS,
    LEAK_DESCRIPTIONS,
    MARKERS,
    REDACTED,
    is_secret_field_name,
)
from pytest_imagegen.wire.payloads import b64decode_strict, image_payload, is_placeholder

__all__ = ["DEFAULT_PATTERNS", "Finding", "scan_for_leaks"]

MIN_SECRET_LENGTH = 6

Finding = tuple[int, str, str]

DEFAULT_PATTERNS = DEFAULT_LEAK_PATTERNS

_HEX32 = re.compile(r"[0-9a-fA-F]{32}")


def _describe(patterns: Sequence[re.Pattern[str]]) -> list[str]:
    """What a match of each pattern is. A user pattern is named by its position, not its text: a pattern
    may spell out the very value it guards, and a finding must never print a secret."""
    out, n = [], 0
    for pattern in patterns:
        known = LEAK_DESCRIPTIONS.get(pattern)
        if known is None:
            n += 1
            known = f"text matching user redaction pattern #{n}"
        out.append(known)
    return out


KeyText = Callable[[str], str]


def _leaves(
    value: Any, path: str, key_text: KeyText, key: str | None = None
) -> Iterator[tuple[str, str, str | None]]:
    """(path, text, name of the field holding it) for every string in a stored interaction and every text
    hidden in one (``hidden.py``); each key enters the path through ``key_text`` (which masks a key that
    is itself a secret)."""
    if isinstance(value, str):
        yield path, value, key
        if hidden.may_hide(value):
            for what, text in hidden.in_text(value):
                yield f"{path} ({what})", text, None
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _leaves(item, f"{path}[{i}]", key_text, key)
    elif isinstance(value, dict):
        if is_placeholder(value):
            return
        for k, item in value.items():
            sub = f"{path}.{key_text(str(k))}" if path else key_text(str(k))
            yield sub + " (key)", str(k), None
            if k in ("base64", "b64_json") and isinstance(item, str):
                yield from _binary_leaf(item, sub, key_text)
            elif isinstance(item, str) and (found := image_payload(item)) is not None:
                # A base64 image or image data URL in another shape's place: its text blocks, not pixels.
                yield from _binary_leaf(found[1], sub, key_text)
            else:
                yield from _leaves(item, sub, key_text, str(k))


def _binary_leaf(text: str, path: str, key_text: KeyText) -> Iterator[tuple[str, str, str | None]]:
    raw = b64decode_strict(text)
    if raw is None:
        yield from _leaves(text, path, key_text)  # not base64 at all: searched as text
        return
    for what, found in hidden.in_bytes(raw):
        # "(image tEXt)" for an image's text block; "(decoded)", and how when not plain, for the rest.
        label = what if what.startswith("image ") else f"decoded, {what}" if what else "decoded"
        yield f"{path} ({label})", found, None


def _literals(secrets: Iterable[str]) -> Literals:
    usable = {
        s
        for s in secrets
        if len(s) >= MIN_SECRET_LENGTH and s not in MARKERS and not any(s in m for m in MARKERS)
    }
    return literals_for(usable)


def scan_for_leaks(
    interactions: Sequence[Mapping[str, Any]],
    *,
    secrets: Iterable[str],
    patterns: Iterable[re.Pattern[str]] = DEFAULT_PATTERNS,
) -> list[Finding]:
    """Every place a secret would reach disk, as ``(interaction index, field path, what it is)``."""
    literal = _literals(secrets)
    compiled = tuple(patterns)
    descriptions = _describe(compiled)

    def holds_secret(text: str) -> bool:
        if literal and literal.search(text):
            return True
        return any(REDACTED not in _hit(m) for p in compiled for m in p.finditer(text))

    def key_text(key: str) -> str:
        return mask(key) if holds_secret(key) else key

    findings: dict[Finding, None] = {}  # ordered and deduplicated
    for index, interaction in enumerate(interactions):
        for path, text, field_name in _leaves(interaction, "", key_text):
            if literal and literal.search(text):
                findings[(index, path, "a secret value used in this run")] = None
            plain = decoded(text)  # a shape written in character references, escapes, ...
            for pattern, description in zip(compiled, descriptions, strict=True):
                for m in (*pattern.finditer(text), *(pattern.finditer(plain) if plain != text else ())):
                    # A user pattern that matches a marker is matching redacted text, not a secret.
                    if REDACTED in _hit(m):
                        continue
                    findings[(index, path, description)] = None
                    break
            if field_name and is_secret_field_name(field_name) and _HEX32.fullmatch(text.strip()):
                what = f"Azure-style API key (32 hex) in a field named {key_text(field_name)!r}"
                findings[(index, path, what)] = None
    return list(findings)


def _hit(m: re.Match[str]) -> str:
    """The part of a pattern's match that is the secret: group 1 when the pattern has groups."""
    return m.group(1) if m.re.groups and m.group(1) is not None else m.group(0)
