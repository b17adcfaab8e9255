"""What redaction treats as a secret: the markers that replace secrets, the header, query and field
names that hold them, and the extra ``RedactionRules`` a user configures.

The rules for text (credential shapes, what the service's messages say, URLs) are ``redact_text.py``;
how an interaction is walked is ``redact.py``, whose docstring says what counts as a secret and why.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

from pytest_imagegen.safety.credentials import CREDENTIAL_SHAPES, SHAPE_PATTERNS, SHAPE_PIECES, digest

__all__ = [
    "DEFAULT_LEAK_PATTERNS",
    "DEFAULT_RULES",
    "KEY_MARKER",
    "LEAK_DESCRIPTIONS",
    "MARKERS",
    "ORG_MARKER",
    "PROJECT_MARKER",
    "REDACTED",
    "SECRET_FIELD_NAME",
    "SIG_MARKER",
    "TEXT_PIECES",
    "USER_FIELDS",
    "USER_MARKER",
    "Mark",
    "RedactionRules",
    "distinct_marker",
    "fixed_marker",
    "is_marker_text",
    "is_secret_field_name",
    "is_secret_header",
    "is_secret_query_key",
    "keep_literal",
    "may_change",
    "query_marker",
]

REDACTED = "REDACTED"
KEY_MARKER = "sk-REDACTED"
ORG_MARKER = "org-REDACTED"
PROJECT_MARKER = "proj_REDACTED"
USER_MARKER = "user-REDACTED"
SIG_MARKER = "REDACTED-SIG"
MARKERS = frozenset({REDACTED, KEY_MARKER, ORG_MARKER, PROJECT_MARKER, USER_MARKER, SIG_MARKER})

_REQUEST_SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "api-key",
        "x-api-key",
        "cookie",
        "openai-organization",
        "openai-project",
    }
)
_RESPONSE_SECRET_HEADERS = frozenset({"set-cookie", "openai-organization", "openai-project"})
_SECRET_HEADER_WORDS = re.compile(
    r"key|token|secret|auth|passw|credential|session|cookie|signature|hmac", re.IGNORECASE
)
# Names the word rule would catch that hold no secret: redacting them would hide useful facts.
# ``signature-input`` (RFC 9421) names the covered fields and the key id, not the signature.
_HARMLESS_HEADERS = re.compile(
    r"www-authenticate|proxy-authenticate|x-ratelimit-.*|access-control-.*|authentication-info"
    r"|signature-input",
    re.IGNORECASE,
)

_CREDENTIAL_QUERY_KEYS = frozenset(
    {
        "api-key",
        "api_key",
        "apikey",
        "key",
        "code",  # Azure Functions function keys (?code=...)
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "auth",
        "sig",
        "signature",
        "password",
        "secret",
        "client_secret",
        "x-amz-signature",
        "x-amz-credential",
        "x-amz-security-token",
        "x-goog-signature",
        "x-goog-credential",
        # SAS identity: object id and tenant id of the account that signed the URL.
        "skoid",
        "sktid",
        "skdutid",
        "sduoid",
    }
)
_SIGNATURE_QUERY_KEYS = frozenset({"sig", "signature", "x-amz-signature", "x-goog-signature"})
_SECRET_QUERY_WORDS = re.compile(r"token|secret|passw|signature|credential|api[-_]?key", re.IGNORECASE)

# Credential-named fields: the name split into words (camelCase too), the last word(s) a credential.
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
SECRET_FIELD_NAME = re.compile(
    r"(?:^|[-_.\s])(?:api[-_]?key|apikey|key|secret|client[-_]?secret|secret[-_]?key|token"
    r"|(?:access|refresh|id|auth|bearer|session|api)[-_]?token|password|passwd|passphrase|pwd"
    r"|signature|sig|hmac|credentials?|authorization|private[-_]?key)$",
    re.IGNORECASE,
)


def is_secret_field_name(name: str) -> bool:
    """Whether a JSON field or multipart field is named like a credential (``api_key``, ``apiKey``,
    ``client_secret``, ``signature``, ``hmac``, ``password``), not like a count (``max_tokens``)."""
    return bool(SECRET_FIELD_NAME.search(_CAMEL.sub("_", name)))


Mark = Callable[[str, str], str]


def fixed_marker(marker: str, _original: str) -> str:
    """The marker alone, whatever the secret was (the run's secrets, and everything outside a request)."""
    return marker


def distinct_marker(marker: str, original: str) -> str:
    """The marker of a secret removed from what a request is matched on: ``sk-REDACTED-1a2b3c4d``.

    The digest keeps two requests that differed only in that secret apart; see ``credentials.digest``.
    """
    return f"{marker}-{digest(original)}"


# Lower-case pieces of every text a text rule (redact_text.py) can change (a superset): text with none
# skips them.
TEXT_PIECES = (
    *SHAPE_PIECES,
    *("=", "provided", "organization", "project", "secret", "token", "passw", "signature", "hmac"),
)

# Credential shapes the leak scan (leaks.py) looks for after redaction: each is something the rules
# above remove, at a length or form that leaves no doubt it is a real secret.
DEFAULT_LEAK_PATTERNS: tuple[re.Pattern[str], ...] = SHAPE_PATTERNS
LEAK_DESCRIPTIONS: dict[re.Pattern[str], str] = dict(
    zip(DEFAULT_LEAK_PATTERNS, CREDENTIAL_SHAPES.values(), strict=True)
)

USER_FIELDS = frozenset({"user", "safety_identifier"})


@dataclass(frozen=True)
class RedactionRules:
    """What to redact beyond the built-in rules.

    ``headers``: extra header names (any case; request and response). ``query_keys``: extra query
    parameter names (any case). ``patterns``: regexes (``str`` or compiled) applied to every header
    value, URL and body string; with a capturing group only group 1 is replaced, else the whole match.
    ``values``: literal secrets (your own keys, tokens, ids) removed wherever they appear.
    ``redact_user``: also replace ``user`` / ``safety_identifier`` values (end-user ids) in bodies.
    """

    headers: Collection[str] = ()
    query_keys: Collection[str] = ()
    patterns: tuple[re.Pattern[str], ...] = ()
    values: Collection[str] = ()
    redact_user: bool = False
    # A superset test of "could any rule change this request?", or None where it cannot be built.
    gate: tuple[str, ...] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Normalize once so rules compare equal however they were spelled, and compile patterns up front
        # so a bad regex fails where it is configured, not in the middle of a recording.
        object.__setattr__(self, "headers", frozenset(h.lower() for h in self.headers))
        object.__setattr__(self, "query_keys", frozenset(k.lower() for k in self.query_keys))
        # Plain strings are accepted too (compiled here) for callers that build rules from ini values.
        compiled = tuple(p if isinstance(p, re.Pattern) else re.compile(p) for p in self.patterns)
        object.__setattr__(self, "patterns", compiled)
        object.__setattr__(self, "values", frozenset(v for v in self.values if v))
        object.__setattr__(self, "gate", _request_gate(self))


# Literal pieces (lower case) of everything the rules can change in a request's URI or body: the
# text rules, what URL redaction (redact_text.py) rewrites, credential-named fields. A superset, so a
# miss is safe.
# Substring tests on lower-cased text: an IGNORECASE alternation costs several times more in ``re``.
_REQUEST_GATE = (
    *TEXT_PIECES,
    # Field names as the gate's JSON text spells them; a query parameter needs "?" or "=", both here.
    *("@", "?", "#", "user-", "credential", "auth", '"sig"', "pwd", "passphrase", "private"),
)


def _request_gate(rules: RedactionRules) -> tuple[str, ...] | None:
    """The rules' gate: user patterns may be anchored or span JSON quoting, so they get no fast path."""
    if rules.patterns:
        return None
    pieces = list(_REQUEST_GATE)
    if rules.redact_user:
        pieces += ["user", "safety_identifier"]
    for value in rules.values:
        if any(c in value for c in '"\\') or any(ord(c) < 0x20 for c in value):
            return None  # JSON would escape it, and the gate looks at JSON text
        pieces += {
            value.lower(),
            urllib.parse.quote(value, safe="").lower(),
            urllib.parse.quote_plus(value).lower(),
        }
    return tuple(pieces)


def may_change(text: str, pieces: Iterable[str]) -> bool:
    lowered = text.lower()
    for piece in pieces:  # noqa: SIM110 - a plain loop: twice as fast as any() over a generator
        if piece in lowered:
            return True
    return False


DEFAULT_RULES = RedactionRules()


def is_secret_header(name: str, *, response: bool = False, rules: RedactionRules = DEFAULT_RULES) -> bool:
    """Whether a header's value is redacted (request headers unless ``response``)."""
    lower = name.lower()
    if lower in rules.headers:
        return True
    if lower in (_RESPONSE_SECRET_HEADERS if response else _REQUEST_SECRET_HEADERS):
        return True
    return bool(_SECRET_HEADER_WORDS.search(lower)) and not _HARMLESS_HEADERS.fullmatch(lower)


def is_secret_query_key(key: str, *, rules: RedactionRules = DEFAULT_RULES) -> bool:
    """Whether a query parameter's value is a credential or account identity."""
    lower = key.lower()
    return (
        lower in _CREDENTIAL_QUERY_KEYS
        or lower in rules.query_keys
        or bool(_SECRET_QUERY_WORDS.search(lower))
    )


def is_marker_text(value: str) -> bool:
    return value in MARKERS or REDACTED in value


def keep_literal(value: str, found: set[str]) -> None:
    if value and not is_marker_text(value):
        found.add(value)


def query_marker(key: str) -> str:
    return SIG_MARKER if key.lower() in _SIGNATURE_QUERY_KEYS else REDACTED
