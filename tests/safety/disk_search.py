"""Looking for secrets in every byte of every file under a directory, in every form they may take.

A secret can reach disk verbatim, in another case, percent-encoded (query strings, cookies), as the
base64 of a text that holds it (an upload, a binary body, Basic auth) at any of the three byte
alignments, in URL-safe base64, or gzip-compressed inside base64. ``find_secrets`` searches the raw
bytes for all the direct forms, then decodes every base64 run it finds (and gunzips what decodes to
gzip) and searches that too.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import gzip
import re
import urllib.parse
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path

__all__ = ["b64_forms", "find_secrets", "text_forms"]

_BASE64_RUN = re.compile(rb"[A-Za-z0-9+/_-]{16,}={0,2}")
# base64 characters at the start that also depend on the bytes before the secret, by its alignment.
_LEAD = (0, 2, 3)


def b64_forms(secret: bytes) -> set[bytes]:
    """The part of base64 output that spells ``secret`` wherever it sits in the encoded bytes."""
    forms = set()
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + secret).rstrip(b"=")
        # The last character also holds bits of the byte after the secret unless the secret ends a group.
        trail = 1 if (shift + len(secret)) % 3 else 0
        core = encoded[_LEAD[shift] : len(encoded) - trail]
        forms |= {core, core.replace(b"+", b"-").replace(b"/", b"_")}
    return {form for form in forms if len(form) >= 8}


def text_forms(secret: str) -> set[bytes]:
    """``secret`` as text may be written: verbatim (any case) and percent-encoded."""
    forms = {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret)}
    return {form.lower().encode() for form in forms}


def _decoded_runs(data: bytes) -> Iterator[bytes]:
    """Every base64 run in ``data`` decoded (standard and URL-safe), gzip or zlib undone where it applies."""
    for match in _BASE64_RUN.finditer(data):
        run = match.group(0).rstrip(b"=")
        for alphabet in (None, b"-_"):
            try:
                raw = base64.b64decode(run + b"=" * (-len(run) % 4), altchars=alphabet)
            except (binascii.Error, ValueError):
                continue
            yield raw
            for unpack in (gzip.decompress, zlib.decompress):
                with contextlib.suppress(OSError, EOFError, zlib.error):
                    yield unpack(raw)


def find_secrets(directory: Path, secrets: Mapping[str, str]) -> list[str]:
    """``file: name (form)`` for every secret found in any file under ``directory``; empty when clean."""
    hits = []
    forms = {name: text_forms(value) for name, value in secrets.items()}
    b64 = {name: b64_forms(value.encode()) for name, value in secrets.items()}
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        data = path.read_bytes()
        lowered = data.lower()
        decoded = [chunk.lower() for chunk in _decoded_runs(data)]
        for name in secrets:
            if any(form in lowered for form in forms[name]):
                hits.append(f"{path}: {name}")
            if any(form in data for form in b64[name]):
                hits.append(f"{path}: {name} (as base64)")
            if any(form in chunk for chunk in decoded for form in forms[name]):
                hits.append(f"{path}: {name} (inside decoded base64)")
    return hits
