"""What a credential looks like, and how a message shows one without printing it.

One table (``CREDENTIAL_SHAPES``) serves three readers, so they cannot drift apart:

- redaction (``redact.py``) removes every match, wherever it is;
- the leak scan (``leaks.py``) refuses a write that still holds one;
- error messages (``mask_text``) show each one masked: a short prefix, its length and a short hash keyed
  with a random key of this process (so a message tells two values apart, and a log that keeps it is no
  test against a dictionary: the key never leaves the process).

A shape is a known prefix followed by a long run of the credential's alphabet (``sk-`` keys, ``org-`` and
``proj_`` ids of real length, JWTs, cloud keys), never a word: ``sk-learn``, ``org-2024`` and "the
Bearer brothers" are ordinary text. Short or unshaped secrets are caught by what surrounds them
(headers, query keys, field names: ``redact.py``) or as the literal values a run sent.

Where a shape has a group named ``secret``, only that group is the secret (``Bearer <secret>``);
otherwise the whole match is. Every shape skips the redaction markers (``…REDACTED…``), so redacted text
matches none of them.

Pure: ``re``, ``hashlib``, ``hmac`` and ``secrets`` only (error messages import this module, and must
stay cheap).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable

__all__ = [
    "CREDENTIAL_SHAPES",
    "MIN_LITERAL_LENGTH",
    "SHAPE_PATTERNS",
    "SHAPE_PIECES",
    "digest",
    "mask",
    "mask_text",
    "secret_span",
]

MIN_LITERAL_LENGTH = 6

# A run of the key alphabet after ``sk-`` that is a key and not a hyphenated phrase: 20 or more
# characters with one unbroken alphanumeric stretch of 12 or more holding a digit and a letter, or one
# unbroken stretch of 24 or more (no word in prose is that long).
_KEY_BODY = (
    r"(?!REDACTED)"
    r"(?:(?=[A-Za-z0-9_\-]*?[A-Za-z0-9]{12})(?=[A-Za-z_\-]*[0-9])(?=[0-9_\-]*[A-Za-z])"
    r"|(?=[A-Za-z0-9_\-]*?[A-Za-z0-9]{24}))"
    r"[A-Za-z0-9_\-]{20,}"
)
# What a query value or cookie value may hold: stops at the delimiters of the text around it (HTML,
# Link headers, markdown), so redacting it never eats the text after it.
QUERY_VALUE = r"[^&\s\"'<>#\\;,()\[\]{}|`^]"

#: regex source -> what it is (shown in leak findings). Every one is removed by redaction.
CREDENTIAL_SHAPES: dict[str, str] = {
    r"(?<![A-Za-z0-9])sk-" + _KEY_BODY: "OpenAI-style API key (sk-…)",
    r"(?<![A-Za-z0-9])sk-[A-Za-z0-9_\-]{0,16}\*{3,}[A-Za-z0-9_\-]{2,}": "masked API key fragment (sk-…****…)",
    r"\bBearer\s+(?P<secret>(?!(?:sk-)?REDACTED)(?=[A-Za-z0-9._~+/\-]*[0-9]|[A-Za-z0-9._~+/\-]{20})"
    r"[A-Za-z0-9._~+/\-]{8,})": "bearer token",
    r"\b(?:__cf_bm|_cfuvid|cf_clearance)=(?P<secret>(?!REDACTED)[^;,\s\"']{6,})": "Cloudflare cookie value",
    r"(?i)(?:[?&]|&amp;)(?:sig|signature|x-amz-signature|x-goog-signature)=(?P<secret>(?!REDACTED)"
    + QUERY_VALUE
    + r"{6,})": "signed-URL signature (sig=…)",
    r"(?<![A-Za-z0-9])org-(?!REDACTED)[A-Za-z0-9]{20,}(?![A-Za-z0-9])": "OpenAI organization id (org-…)",
    r"(?<![A-Za-z0-9])proj_(?!REDACTED)[A-Za-z0-9]{20,}(?![A-Za-z0-9])": "OpenAI project id (proj_…)",
    r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*": "JSON Web Token",
    r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b": "AWS access key id",
    r"(?i)(?:api[-_ ]?key|subscription[-_ ]?key)[\"']?\s*[:=]\s*[\"']?(?P<secret>[0-9a-f]{32})(?![0-9a-f])": (
        "Azure-style API key (32 hex)"
    ),
    r"(?<![A-Za-z0-9_\-])AIza[0-9A-Za-z_\-]{35}(?![A-Za-z0-9_\-])": "Google API key (AIza…)",
    r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b": "GitHub token",
    r"\bxox[abposr]-(?=[A-Za-z0-9-]*[0-9])[A-Za-z0-9-]{10,}": "Slack token",
    r"\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,}": "Stripe key",
    r"\bhf_[A-Za-z0-9]{30,}": "Hugging Face token",
    r"-----BEGIN [A-Z ]{0,20}PRIVATE KEY-----[\s\S]{0,20000}?-----END [A-Z ]{0,20}PRIVATE KEY-----": (
        "private key block"
    ),
}

SHAPE_PATTERNS: tuple[re.Pattern[str], ...] = tuple(re.compile(p) for p in CREDENTIAL_SHAPES)

#: Lower-case pieces, one of which is in any text a shape matches: text without all of them skips
#: the shape search (most strings, prompts and sizes, hold none).
SHAPE_PIECES: tuple[str, ...] = (
    *("sk-", "bearer", "_cf", "cf_", "sig=", "signature=", "org-", "proj_", "eyj", "akia", "asia", "key"),
    "aiza",
    *("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "xox", "_live_", "_test_", "hf_", "private"),
)


def may_hold_shape(text: str) -> bool:
    lowered = text.lower()
    for piece in SHAPE_PIECES:  # noqa: SIM110 - a plain loop: faster than any() over a generator
        if piece in lowered:
            return True
    return False


def secret_span(match: re.Match[str]) -> tuple[int, int]:
    """Where the secret is in a shape's match: its ``secret`` group when it has one, else the match."""
    if "secret" in match.re.groupindex and match.group("secret") is not None:
        return match.span("secret")
    return match.span()


# Made fresh in every process and never written: a digest keyed with it cannot be recomputed elsewhere.
_PROCESS_KEY = secrets.token_bytes(32)


def digest(value: str, length: int = 8) -> str:
    """A short hex digest of ``value``: tells two secrets apart without saying what either is.

    Eight hex digits of an HMAC-SHA256 keyed with a random key of this process: the same value gives the
    same digest within one run, so two values in a message can be told apart; outside the process no
    one can compute it, so a message kept in a CI log is no test against a dictionary (issue 20).
    """
    mac = hmac.new(_PROCESS_KEY, value.encode("utf-8", "surrogatepass"), hashlib.sha256)
    return mac.hexdigest()[:length]


def mask(value: str) -> str:
    """``sk-p…(51 chars, #1a2b3c4d)``: a secret as a message may show it.

    The prefix is at most a quarter of the value (at most 4 characters), so it tells the kind of
    credential, never enough to guess it; length and hash (keyed per process: ``digest``) tell two
    values apart.
    """
    shown = value[: min(4, len(value) // 4)]
    return f"{shown}…({len(value)} chars, #{digest(value)})"


def mask_text(text: str, literals: Iterable[str] = ()) -> str:
    """``text`` with every credential shape and every literal secret (of a useful length) masked."""
    values = sorted({v for v in literals if len(v) >= MIN_LITERAL_LENGTH}, key=lambda v: (-len(v), v))
    if values:
        text = re.sub("|".join(map(re.escape, values)), lambda m: mask(m.group(0)), text)
    if not may_hold_shape(text):
        return text
    for pattern in SHAPE_PATTERNS:
        text = pattern.sub(_mask_match, text)
    return text


def _mask_match(match: re.Match[str]) -> str:
    start, end = secret_span(match)
    offset = match.start()
    whole = match.group(0)
    return (
        whole[: start - offset] + mask(match.group(0)[start - offset : end - offset]) + whole[end - offset :]
    )
