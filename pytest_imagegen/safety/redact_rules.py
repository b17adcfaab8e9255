"""What redaction treats as a secret: the markers that replace secrets, the header, query and field
names that hold them, and the extra ``RedactionRules`` a user configures.

The rules for text (credential shapes, what the service's messages say, URLs) are ``redact_text.py``;
how an interaction is walked is ``redact.py``, whose docstring says what counts as a secret and why.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from pytest_imagegen.safety.credentials import CREDENTIAL_SHAPES, SHAPE_PATTERNS, SHAPE_PIECES

__all__ = [
    "CREDENTIAL_NAMES",
    "DEFAULT_LEAK_PATTERNS",
    "DEFAULT_RULES",
    "KEY_MARKER",
    "LEAK_DESCRIPTIONS",
    "MARKERS",
    "ORG_MARKER",
    "PROJECT_MARKER",
    "REDACTED",
    "SIG_MARKER",
    "TEXT_PIECES",
    "USER_FIELDS",
    "USER_MARKER",
    "RedactionRules",
    "is_credential_name",
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

# The one list of credential names: query parameters, JSON and multipart field names and header names
# are all looked up in it, whole (after ``name_key``: case, camelCase and the separators ``-`` and ``.``
# do not count), so a name is a secret everywhere or nowhere. A name that is a credential only alone
# (a ``key`` or ``token`` parameter) is ``_ALONE``: ``page_token``, ``max_tokens``, ``sort_key`` and
# ``thought_signature`` are not credentials. A name that is a credential alone or as the last words of a
# longer one (``x_api_key``, ``webhook_secret``) is ``_TRAILING``.
_ALONE = "alone"
_TRAILING = "trailing"
_QUERY_ONLY = "query"
CREDENTIAL_NAMES: dict[str, str] = {
    **dict.fromkeys(("key", "token", "auth", "pwd", "sig", "signature", "hmac"), _ALONE),
    # Signed URLs: the signature and signer parts of AWS, GCS and Azure SAS URLs (the SAS ids are the
    # object and tenant ids of the account that signed it).
    **dict.fromkeys(("x_amz_signature", "x_goog_signature", "skoid", "sktid", "skdutid", "sduoid"), _ALONE),
    # Azure Functions' function key travels as ``?code=``; in a JSON body ``code`` is the error code of
    # every error envelope, not a credential.
    "code": _QUERY_ONLY,
    **dict.fromkeys(
        (
            *("api_key", "apikey", "access_key", "subscription_key", "secret", "secret_key", "client_secret"),
            *(
                "password",
                "passwd",
                "passphrase",
                "private_key",
                "credential",
                "credentials",
                "authorization",
            ),
            *("access_token", "refresh_token", "id_token", "auth_token", "bearer_token", "session_token"),
            *("api_token", "security_token"),
        ),
        _TRAILING,
    ),
}
_SIGNATURE_QUERY_KEYS = frozenset({"sig", "signature", "x_amz_signature", "x_goog_signature"})
_NAME_SEPARATORS = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NAME_PUNCTUATION = re.compile(r"[-.\s]+")


def name_key(name: str) -> str:
    """A name as the list spells it: ``X-Api-Key``, ``apiKey``, ``API_KEY`` and ``api.key`` are ``api_key``."""
    return _NAME_PUNCTUATION.sub("_", _NAME_SEPARATORS.sub("_", name)).lower()


def is_credential_name(name: str, *, query: bool = False) -> bool:
    """Whether ``name`` is in the one list of credential names (``query``: as a query parameter)."""
    key = name_key(name)
    kind = CREDENTIAL_NAMES.get(key)
    if kind is not None:
        return kind != _QUERY_ONLY or query
    words = key.split("_")
    return any(CREDENTIAL_NAMES.get("_".join(words[start:])) == _TRAILING for start in range(1, len(words)))


def is_secret_field_name(name: str) -> bool:
    """Whether a JSON field or multipart field is named like a credential (``api_key``, ``apiKey``,
    ``client_secret``, ``signature``, ``password``), not like a count (``max_tokens``) or a cursor
    (``pageToken``)."""
    return is_credential_name(name)


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
    *('"skoid"', '"sktid"', '"skdutid"', '"sduoid"'),
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
    if is_credential_name(lower):
        return True
    # Headers are never matched, so a wider rule costs nothing there: any name that says key, token, ...
    return bool(_SECRET_HEADER_WORDS.search(lower)) and not _HARMLESS_HEADERS.fullmatch(lower)


def is_secret_query_key(key: str, *, rules: RedactionRules = DEFAULT_RULES) -> bool:
    """Whether a query parameter's value is a credential or account identity: its name is in the one
    list (``CREDENTIAL_NAMES``), whole, or configured (``RedactionRules.query_keys``)."""
    return key.lower() in rules.query_keys or is_credential_name(key, query=True)


def is_marker_text(value: str) -> bool:
    return value in MARKERS or REDACTED in value


def keep_literal(value: str, found: set[str]) -> None:
    if value and not is_marker_text(value):
        found.add(value)


def query_marker(key: str) -> str:
    return SIG_MARKER if name_key(key) in _SIGNATURE_QUERY_KEYS else REDACTED
