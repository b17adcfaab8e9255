"""Secrets out of interactions: headers, URLs (request and inside bodies), bodies, user-supplied values.

Every secret is replaced by a marker (``REDACTED``, ``sk-REDACTED``, ``org-REDACTED``, ``proj_REDACTED``,
``user-REDACTED``, ``REDACTED-SIG``), and redaction is idempotent: redacting a redacted interaction
changes nothing.

Markers are fixed (so a re-recorded cassette diffs only where the service really changed), except in
what a request is matched on. There a secret that belongs to the request (a credential-shaped value the
test pasted into a prompt, a credential-named field) becomes its marker plus a short digest of the value
(``sk-REDACTED-1a2b3c4d``): two requests that differed only there must not match each other's replies,
and the same request still redacts to the same text on every run. Secrets that belong to the run keep
fixed markers everywhere: its key, organization, project and cookies (a replay has a dummy key, or
none), the user's configured values, and what comes back from the service (URLs of images, their
signatures, the ``org-``/``user-`` ids in their paths: a replayed client sends back the redacted URL it
was given, and must find it).

What counts as a secret, and why:

- Request headers ``authorization``, ``proxy-authorization``, ``api-key``, ``x-api-key``, ``cookie``,
  ``openai-organization``, ``openai-project`` and any header whose name says key, token, secret, auth,
  password, credential, session, cookie, signature or hmac; response headers ``openai-organization``,
  ``openai-project``, ``set-cookie`` and the same name rule, except names known to hold no secret
  (``www-authenticate``, ``x-ratelimit-*-tokens``, ``access-control-*``, ``signature-input``).
  ``Authorization`` keeps its scheme word (``Bearer sk-REDACTED``).
- ``set-cookie`` keeps the cookie name and attributes and loses only the value: a replayed client still
  receives the cookie it got live (cookie-jar behaviour stays the same), a reader sees which cookies the
  service set, and the value is the only part that identifies a client. Several cookies folded into
  one value (``a=1; Path=/, session=...``) are each treated so. ``cookie`` does the same.
- Query parameters, in URLs with or without a scheme, with a broken port, or HTML-escaped (``&amp;``):
  credentials (``api-key``, ``api_key``, ``key``, ``code`` (Azure Functions), ``token``,
  ``access_token``, ``sig``, ``signature``, AWS/GCS signature and credential parameters, and any key that
  says token, secret, password, signature or credential) and the SAS identity parameters
  ``skoid``/``sktid``/``skdutid``/``sduoid`` (the object and tenant GUIDs of the signing account). The
  remaining SAS parameters (``st``, ``se``, ``sp``, ``sv``, ``sr``, ...) are the policy the signature
  covers (times, permissions, versions): they grant nothing without ``sig`` and tell a reader what kind
  of URL it was and when it expired, so they stay.
- URL paths: ``org-…`` and ``user-…`` segments that look like ids (dall-e blob paths); userinfo.
- Fields named like credentials (``api_key``, ``apiKey``, ``token``, ``secret``, ``password``,
  ``signature``, ``hmac``, ...) anywhere in JSON, SSE data and multipart fields: every string under
  them. Counts named like ``max_tokens`` are not credentials and stay.
- Body text: credential shapes (``credentials.py``: ``sk-…`` keys, masked key echoes, ``org-…``/``proj_…`` ids
  of real length, bearer tokens, JWTs, cloud keys such as ``AIza…``, ``sig=`` values), and what the
  service's own messages name (``Incorrect API key provided: …``, ``organization org-…``). Ordinary words
  that share a prefix (``sk-learn``, ``org-2024``) are not secrets and stay.
- Literal values: every value taken out of a header or query parameter above, and the user's own
  ``RedactionRules.values``, are also replaced wherever else they appear (a key echoed in a body, an
  organization name in a message), when at least ``MIN_LITERAL_LENGTH`` long (shorter ones would hit
  ordinary text).
- Image metadata: text blocks inside images (PNG text chunks, EXIF, XMP, comments) that hold anything
  the rules above would remove are dropped from the image (see ``_redact_image``).

Image payloads (``b64_json`` values, any other base64 image or image data URL such as a Responses
``result`` or ``input_image.image_url``, base64 file parts and bodies) are not searched as text: they
are binary (only the text blocks inside them are, see above), and the leak scan (``leaks.py``) checks
non-image base64 for literal secrets before anything is written.
"""

from __future__ import annotations

import base64
import functools
import json
import re
import urllib.parse
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_imagegen.safety import image_text
from pytest_imagegen.safety.credentials import (
    CREDENTIAL_SHAPES,
    MIN_LITERAL_LENGTH,
    QUERY_VALUE,
    SHAPE_PATTERNS,
    SHAPE_PIECES,
    digest,
    secret_span,
)
from pytest_imagegen.wire.bodies import Body
from pytest_imagegen.wire.payloads import b64decode_strict, image_payload, is_placeholder

__all__ = [
    "DEFAULT_LEAK_PATTERNS",
    "KEY_MARKER",
    "LEAK_DESCRIPTIONS",
    "MARKERS",
    "MIN_LITERAL_LENGTH",
    "ORG_MARKER",
    "PROJECT_MARKER",
    "REDACTED",
    "SECRET_FIELD_NAME",
    "SIG_MARKER",
    "USER_MARKER",
    "RedactionRules",
    "credential_values",
    "distinct_marker",
    "is_secret_field_name",
    "is_secret_header",
    "is_secret_query_key",
    "redact_interaction",
    "redact_request",
    "redact_text",
    "redact_url",
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

_ID = r"(?:[A-Za-z0-9]{20,}|(?=[A-Za-z]*[0-9])[A-Za-z0-9]{4,})(?![A-Za-z0-9])"
_URL = re.compile(r"https?://[^\s\"'<>\\`]+", re.IGNORECASE)
_PATH_ID = re.compile(r"(org|user)-" + _ID + r"$")

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


def _fixed(marker: str, _original: str) -> str:
    return marker


def distinct_marker(marker: str, original: str) -> str:
    """The marker of a secret removed from what a request is matched on: ``sk-REDACTED-1a2b3c4d``.

    The digest keeps two requests that differed only in that secret apart; see ``credentials.digest``.
    """
    return f"{marker}-{digest(original)}"


# A marker, with or without a digest, followed by nothing that could continue a secret.
_MARKER_AHEAD = r"(?!(?:sk-|org-|proj_|user-)?REDACTED(?:-SIG)?(?:-[0-9a-f]{8})?(?![\w*-]))"

# Rules that only redaction applies: what the service's own messages say, and credentials named by the
# text around them. Each is (pattern, marker for the secret); the pattern's ``secret`` group goes.
_MarkerOf = Callable[[str], str]


def _constant(marker: str) -> _MarkerOf:
    return lambda _secret: marker


def _key_or_plain(secret: str) -> str:
    return KEY_MARKER if secret.startswith("sk-") else REDACTED


_CONTEXT_RULES: tuple[tuple[re.Pattern[str], _MarkerOf], ...] = (
    # The 401 echo of a key, whatever its shape: "Incorrect API key provided: sk-te****1234."
    (re.compile(r"(?i)API key provided: " + _MARKER_AHEAD + r"(?P<secret>[^\s,;]*[^\s,;.])"), _key_or_plain),
    # The 429 names the organization; short test ids too ("in organization org-abc123").
    (re.compile(r"(?i)\borganization\s+(?P<secret>org-(?!REDACTED)" + _ID + ")"), _constant(ORG_MARKER)),
    (re.compile(r"(?i)\bproject\s+(?P<secret>proj_(?!REDACTED)" + _ID + ")"), _constant(PROJECT_MARKER)),
    # A credential named in text: "password: hunter22", '"token": "abc123"' (JSON quoted in a string).
    (
        re.compile(
            r"(?i)\b(?:api[-_ ]?key|secret|client[-_]secret|(?:access[-_])?token|password|passwd"
            r"|signature|hmac)[\"']?\s*[:=]\s*[\"']?" + _MARKER_AHEAD + r"(?P<secret>[^\s\"',;&<>]{6,})"
        ),
        _constant(REDACTED),
    ),
)
_SHAPE_MARKERS: dict[str, str] = {
    "OpenAI-style API key (sk-…)": KEY_MARKER,
    "masked API key fragment (sk-…****…)": KEY_MARKER,
    "OpenAI organization id (org-…)": ORG_MARKER,
    "OpenAI project id (proj_…)": PROJECT_MARKER,
    "signed-URL signature (sig=…)": SIG_MARKER,
}
_SHAPE_RULES: tuple[tuple[re.Pattern[str], _MarkerOf], ...] = tuple(
    (pattern, _constant(_SHAPE_MARKERS.get(description, REDACTED)))
    for pattern, description in zip(SHAPE_PATTERNS, CREDENTIAL_SHAPES.values(), strict=True)
)
# A query parameter in text (a URL without a scheme, a form body, an HTML attribute): its key decides.
_QUERY_PARAM = re.compile(
    r"(?:(?<=[?&])|(?<=&amp;)|\A)(?P<key>[A-Za-z0-9_.\-]{1,64})=(?P<value>" + QUERY_VALUE + "+)"
)

# Lower-case pieces of every text a rule above can change (a superset): text with none skips them.
_TEXT_PIECES = (
    *SHAPE_PIECES,
    *("=", "provided", "organization", "project", "secret", "token", "passw", "signature", "hmac"),
)
# What _redact_url can change: userinfo, org-/user- path ids, the query, the fragment.
_URL_MAY_HOLD = re.compile(r"[@?#]|org-|user-")

# Credential shapes the leak scan (leaks.py) looks for after redaction: each is something the rules
# above remove, at a length or form that leaves no doubt it is a real secret.
DEFAULT_LEAK_PATTERNS: tuple[re.Pattern[str], ...] = SHAPE_PATTERNS
LEAK_DESCRIPTIONS: dict[re.Pattern[str], str] = dict(
    zip(DEFAULT_LEAK_PATTERNS, CREDENTIAL_SHAPES.values(), strict=True)
)

_USER_FIELDS = frozenset({"user", "safety_identifier"})


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
# text rules, what _redact_url rewrites, credential-named fields. A superset, so a miss is safe.
# Substring tests on lower-cased text: an IGNORECASE alternation costs several times more in ``re``.
_REQUEST_GATE = (
    *_TEXT_PIECES,
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


def _may_change(text: str, pieces: Iterable[str]) -> bool:
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


def _is_marker_text(value: str) -> bool:
    return value in MARKERS or REDACTED in value


def _keep_literal(value: str, found: set[str]) -> None:
    if value and not _is_marker_text(value):
        found.add(value)


# --------------------------------------------------------------------------------------------------- headers

# Where a folded Set-Cookie value starts its next cookie: a comma, then ``name=``. The comma inside an
# ``Expires=Wed, 21 Oct 2026 ...`` date is followed by a day number and a space, never by ``name=``.
_NEXT_COOKIE = re.compile(r",\s*(?=[!#$%&'*+\-.^_`|~0-9A-Za-z]+=)")


def _redact_set_cookie(value: str, found: set[str]) -> str:
    cookies = []
    for cookie in _NEXT_COOKIE.split(value):
        first, semi, attributes = cookie.partition(";")
        key, sep, val = first.partition("=")
        if not sep:
            _keep_literal(first.strip(), found)
            cookies.append(REDACTED + semi + attributes)
        else:
            _keep_literal(val.strip(), found)
            cookies.append(f"{key}={REDACTED}{semi}{attributes}")
    return ", ".join(cookies)


def _redact_header_value(name: str, value: str, found: set[str]) -> str:
    if name in ("authorization", "proxy-authorization"):
        scheme, sep, token = value.strip().partition(" ")
        if not sep:
            _keep_literal(value, found)
            return KEY_MARKER if value.startswith("sk-") else REDACTED
        token = token.strip()
        _keep_literal(token, found)
        return f"{scheme} {KEY_MARKER if token.startswith('sk-') else REDACTED}"
    if name == "openai-organization":
        _keep_literal(value, found)
        return ORG_MARKER
    if name == "openai-project":
        _keep_literal(value, found)
        return PROJECT_MARKER
    if name == "cookie":
        pairs = []
        for pair in value.split(";"):
            key, sep, val = pair.strip().partition("=")
            if sep:
                _keep_literal(val, found)
                pairs.append(f"{key}={REDACTED}")
            elif key:
                _keep_literal(key, found)
                pairs.append(REDACTED)
        return "; ".join(pairs)
    if name == "set-cookie":
        return _redact_set_cookie(value, found)
    _keep_literal(value, found)
    return REDACTED


# ------------------------------------------------------------------------------------------------------ URLs


def _query_key(raw_key: str) -> str:
    # In HTML, "&" is written "&amp;": "a=1&amp;sig=..." splits into "a=1" and "amp;sig=...".
    return urllib.parse.unquote_plus(raw_key).removeprefix("amp;")


def _query_marker(key: str) -> str:
    return SIG_MARKER if key.lower() in _SIGNATURE_QUERY_KEYS else REDACTED


def _redact_query(query: str, rules: RedactionRules, found: set[str]) -> str:
    if not query:
        return query
    out = []
    for item in query.split("&"):
        raw_key, sep, raw_value = item.partition("=")
        key = _query_key(raw_key)
        if sep and raw_value and is_secret_query_key(key, rules=rules):
            marker = _query_marker(key)
            if raw_value != marker:
                _keep_literal(raw_value, found)
                _keep_literal(urllib.parse.unquote_plus(raw_value), found)
            out.append(f"{raw_key}={marker}")
        else:
            out.append(item)
    return "&".join(out)


def _redact_url(url: str, rules: RedactionRules, found: set[str]) -> str:
    if not _URL_MAY_HOLD.search(url):
        return url
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        # Not a URL urllib can split (a broken IPv6 host): its query is still a query.
        base, sep, query = url.partition("?")
        return base + sep + _redact_query(query, rules, found)
    # A port that is not a number or out of range (``:99999``) does not matter here: the netloc is
    # put back as it was, and the query is redacted all the same.
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        for piece in userinfo.split(":"):
            _keep_literal(piece, found)
            _keep_literal(urllib.parse.unquote(piece), found)
        netloc = f"{REDACTED}@{host}"
    segments = []
    for segment in parts.path.split("/"):
        m = _PATH_ID.match(segment)
        segments.append((ORG_MARKER if m.group(1) == "org" else USER_MARKER) if m else segment)
        if m:
            _keep_literal(segment, found)
    path = "/".join(segments)
    query = _redact_query(parts.query, rules, found)
    fragment = _redact_query(parts.fragment, rules, found) if "=" in parts.fragment else parts.fragment
    return urllib.parse.urlunsplit((parts.scheme, netloc, path, query, fragment))


def redact_url(url: str, rules: RedactionRules = DEFAULT_RULES) -> tuple[str, set[str]]:
    """The URL with credentials in userinfo, id-shaped ``org-``/``user-`` path segments and credential
    query parameters replaced, and the literal values it removed."""
    found: set[str] = set()
    return _redact_url(url, rules, found), found


# ------------------------------------------------------------------------------------------------------ text


def _literal_regex(values: Iterable[str]) -> re.Pattern[str] | None:
    usable = {v for v in values if len(v) >= MIN_LITERAL_LENGTH and not _is_marker_text(v)}
    variants: set[str] = set()
    for value in usable:
        variants.update({value, urllib.parse.quote(value, safe=""), urllib.parse.quote_plus(value)})
    ordered = sorted(variants, key=lambda v: (-len(v), v))
    return re.compile("|".join(map(re.escape, ordered))) if ordered else None


_RUN_MARKERS = (("sk-", KEY_MARKER), ("org-", ORG_MARKER), ("proj_", PROJECT_MARKER), ("user-", USER_MARKER))


def _run_marker(value: str) -> str:
    """The fixed marker of one of the run's own secrets: a key still reads as a key, an organization
    as an organization, whatever their values."""
    for prefix, marker in _RUN_MARKERS:
        if value.startswith(prefix):
            return marker
    return REDACTED


class _Redactor:
    """Text redaction with a fixed set of literal secrets and rules.

    ``run_secrets`` belong to the run, not to any request: its key, organization, project and cookies,
    the values of signed URLs the service handed out, the configured ``values``. A replay has other
    values for them (a dummy key, no cookies), so they always become fixed markers, wherever they are,
    before any other rule sees them. ``literals`` (values of credential-named fields) belong to the
    request that carried them, and are marked like a credential shape.
    """

    def __init__(
        self, rules: RedactionRules, literals: Iterable[str], run_secrets: Iterable[str] = ()
    ) -> None:
        self.rules = rules
        self.run_secrets = _literal_regex(run_secrets)
        self.literals = _literal_regex(literals)

    def _query_param(self, m: re.Match[str]) -> str:
        key, value = m.group("key"), m.group("value")
        if not is_secret_query_key(key, rules=self.rules):
            return m.group(0)
        marker = _query_marker(key)
        return m.group(0) if value == marker or REDACTED in value else f"{key}={marker}"

    def text(self, text: str, mark: Mark = _fixed) -> str:
        """``text`` redacted; ``mark(marker, secret)`` gives what replaces a secret the shapes, context
        rules and literals find (URL parts and the run's secrets always get fixed markers: see the module
        docstring)."""
        if "://" in text:
            text = _URL.sub(lambda m: _redact_url(m.group(0), self.rules, set()), text)
        if self.run_secrets is not None:
            text = _replace_all(self.run_secrets, text, lambda m: _run_marker(m.group(0)))
        if _may_change(text, _TEXT_PIECES):
            if "=" in text:
                text = _QUERY_PARAM.sub(self._query_param, text)
            # Shapes before literals, so a key echoed in a message reads sk-REDACTED rather than REDACTED.
            for pattern, marker_of in _CONTEXT_RULES + _SHAPE_RULES:
                text = pattern.sub(functools.partial(_replace, marker_of=marker_of, mark=mark), text)
        if self.literals is not None:
            text = _replace_all(self.literals, text, lambda m: mark(REDACTED, m.group(0)))
        for pattern in self.rules.patterns:
            # A configured pattern names a kind of secret of the run (a token that changes every run):
            # a fixed marker, as for the configured values, so a replay still matches.
            text = pattern.sub(lambda m: _user_pattern_replacement(m, _fixed), text)
        return text


def _replace_all(pattern: re.Pattern[str], text: str, replacement: Callable[[re.Match[str]], str]) -> str:
    # Repeat: a marker next to leftover text can form the secret again; each round removes at least one
    # original character, and the bound stops pathological values made of marker letters.
    for _ in range(16):
        new = pattern.sub(replacement, text)
        if new == text:
            break
        text = new
    return text


def _replace(m: re.Match[str], marker_of: _MarkerOf, mark: Mark) -> str:
    start, end = secret_span(m)
    whole, offset = m.group(0), m.start()
    secret = whole[start - offset : end - offset]
    marker = marker_of(secret)
    # A signature is never the test's own value (it comes back from the service, fresh each time): fixed.
    new = marker if marker == SIG_MARKER else mark(marker, secret)
    return whole[: start - offset] + new + whole[end - offset :]


def _user_pattern_replacement(m: re.Match[str], mark: Mark) -> str:
    whole = m.group(0)
    if m.re.groups and m.group(1) is not None:
        start, end = m.span(1)
        if _is_marker_text(m.group(1)):
            return whole
        offset = m.start(0)
        return whole[: start - offset] + mark(REDACTED, m.group(1)) + whole[end - offset :]
    return whole if _is_marker_text(whole) else mark(REDACTED, whole)


def redact_text(text: str, rules: RedactionRules = DEFAULT_RULES, *, literals: Iterable[str] = ()) -> str:
    """Free text with URLs, credential-shaped tokens, user patterns and ``literals`` redacted."""
    return _Redactor(rules, (), [*literals, *rules.values]).text(text)


# --------------------------------------------------------------------------------------------------- walking


@dataclass(frozen=True)
class _Walk:
    """How one side of an interaction is redacted: its text function and the marker it uses."""

    redactor: _Redactor
    mark: Mark
    redact_user: bool

    def text(self, value: str) -> str:
        return self.redactor.text(value, self.mark)

    def secret(self, value: Any) -> Any:
        """Everything under a credential-named field: each string replaced, structure kept."""
        if isinstance(value, str):
            return value if (not value or _is_marker_text(value)) else self.mark(REDACTED, value)
        if isinstance(value, list):
            return [self.secret(item) for item in value]
        if isinstance(value, dict) and not is_placeholder(value):
            return {key: self.secret(item) for key, item in value.items()}
        return value  # numbers, booleans, null: not text a secret could be written in

    def image(self, b64: str) -> str:
        return _redact_image(b64, lambda text: self.text(text) != text)


def _is_image(text: str) -> bool:
    """A base64 image or image data URL, in any API shape's place for one (``result``,
    ``partial_image_b64``, ``input_image.image_url``, ...): a head check, so a 3 MB image costs nothing."""
    return image_payload(text) is not None


def _redact_image(text: str, holds_secret: Callable[[str], bool]) -> str:
    """An image's base64 (or data URL) without the metadata blocks (PNG text chunks, EXIF, XMP,
    comments) that hold a secret; the same string when none does, or when it is no image at all.

    ``payloads="keep"`` promises the image as the service sent it: same format, same pixels, same
    bytes. A secret inside its metadata is the one exception, as it is everywhere else in a cassette:
    the block that holds it is dropped (not rewritten, so no offsets inside EXIF can break), and the
    image then differs from the original only by that block. Nothing is dropped from an image whose
    metadata holds no secret.
    """
    found = image_payload(text)
    if found is None:
        return text
    prefix, b64 = found
    raw = b64decode_strict(b64)
    if raw is None:
        return text
    kept = image_text.drop_segments(raw, holds_secret)
    return text if kept is raw else prefix + base64.b64encode(kept).decode("ascii")


def _walk_json(value: Any, walk: _Walk) -> Any:
    if isinstance(value, str):
        return walk.image(value) if _is_image(value) else walk.text(value)
    if isinstance(value, list):
        return [_walk_json(item, walk) for item in value]
    if isinstance(value, dict):
        if is_placeholder(value):
            return value
        out: dict[str, Any] = {}
        for key, item in value.items():
            if isinstance(item, str) and (key == "b64_json" or _is_image(item)):
                out[key] = walk.image(item)  # an image payload: binary, not text
            elif walk.redact_user and key in _USER_FIELDS and isinstance(item, str):
                out[key] = item if _is_marker_text(item) else REDACTED
            elif isinstance(key, str) and is_secret_field_name(key):
                out[key] = walk.secret(item)
            else:
                out[key] = _walk_json(item, walk)
        return out
    return value


def _walk_file(file: Any, walk: _Walk) -> Any:
    if isinstance(file, dict) and isinstance(file.get("base64"), str) and not is_placeholder(file):
        return {**file, "base64": walk.image(file["base64"])}
    return dict(file) if isinstance(file, dict) else file


def _walk_body(body: Body, walk: _Walk) -> Body:
    if "json" in body:
        return {"json": _walk_json(body["json"], walk)}
    if "sse" in body:
        events = []
        for ev in body["sse"]:
            new = dict(ev)
            new["data"] = _walk_json(ev.get("data"), walk)
            for key in ("event", "id"):
                if isinstance(new.get(key), str):
                    new[key] = walk.text(new[key])
            events.append(new)
        return {"sse": events}
    if "multipart" in body:
        parts = []
        for part in body["multipart"]:
            new = dict(part)
            if "value" in part:
                name, value = str(part.get("name")), str(part["value"])
                if walk.redact_user and name in _USER_FIELDS:
                    new["value"] = value if _is_marker_text(value) else REDACTED
                elif is_secret_field_name(name):
                    new["value"] = walk.secret(value)
                else:
                    new["value"] = walk.text(value)
            if isinstance(part.get("filename"), str):
                new["filename"] = walk.text(part["filename"])
            if "file" in part:
                new["file"] = _walk_file(part["file"], walk)
            parts.append(new)
        return {"multipart": parts}
    if "string" in body:
        return {"string": walk.text(str(body["string"]))}
    if "image" in body:
        return {"image": _walk_file(body["image"], walk)}
    return {key: (dict(value) if isinstance(value, dict) else value) for key, value in body.items()}


def _headers(
    headers: Mapping[str, list[str]],
    *,
    response: bool,
    rules: RedactionRules,
    found: set[str],
    fn: Callable[[str], str],
) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, raw_values in headers.items():
        values = [raw_values] if isinstance(raw_values, str) else list(raw_values)
        lower = name.lower()
        if is_secret_header(lower, response=response, rules=rules):
            out[name] = [_redact_header_value(lower, str(v), found) for v in values]
        else:
            out[name] = [fn(str(v)) for v in values]
    return out


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        if is_placeholder(value):
            return
        for key, item in value.items():
            if isinstance(item, str) and (key in ("b64_json", "base64") or _is_image(item)):
                continue
            yield from _strings(item)


def _field_values(value: Any, *, users: bool) -> Iterable[str]:
    """Values of credential-named fields (and of user-id fields when ``users``) in a JSON document."""
    if isinstance(value, list):
        for item in value:
            yield from _field_values(item, users=users)
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str) and users and key in _USER_FIELDS:
                yield item
            elif isinstance(key, str) and is_secret_field_name(key):
                yield from (s for s in _strings(item) if s)
            elif key != "b64_json":
                yield from _field_values(item, users=users)


def _collect(
    sides: Iterable[tuple[Mapping[str, Any], bool]], rules: RedactionRules
) -> tuple[set[str], set[str]]:
    """Every literal the structured rules remove anywhere in the interaction (first pass), so a value
    taken from one place is also removed from all others, whatever their order: the run's secrets
    (headers, URLs) and the values of credential-named and user fields."""
    found: set[str] = set()
    fields: set[str] = set()
    for side, response in sides:
        for name, values in (side.get("headers") or {}).items():
            if is_secret_header(name, response=response, rules=rules):
                for value in [values] if isinstance(values, str) else values:
                    _redact_header_value(name.lower(), str(value), found)
        for text in _strings({k: v for k, v in side.items() if k != "headers"}):
            if "://" in text:
                for m in _URL.finditer(text):
                    _redact_url(m.group(0), rules, found)
        for text in _strings(side.get("headers") or {}):
            if "://" in text:
                for m in _URL.finditer(text):
                    _redact_url(m.group(0), rules, found)
        body = side.get("body") or {}
        users = rules.redact_user
        documents = [body["json"]] if "json" in body else [ev.get("data") for ev in body.get("sse", [])]
        for document in documents:
            fields.update(v for v in _field_values(document, users=users) if not _is_marker_text(v))
        for part in body.get("multipart", []):
            if "value" in part and not _is_marker_text(str(part["value"])):
                name, value = str(part.get("name")), str(part["value"])
                if (users and name in _USER_FIELDS) or is_secret_field_name(name):
                    fields.add(value)
    return found, fields


def _redact_side(
    side: Mapping[str, Any], *, response: bool, rules: RedactionRules, redactor: _Redactor
) -> dict[str, Any]:
    out = dict(side)
    unused: set[str] = set()
    # A request's URI and body are what it is matched on: a secret there keeps a digest (see the module
    # docstring). Headers are never matched and replies never looked up, so they keep fixed markers.
    walk = _Walk(redactor, _fixed if response else distinct_marker, rules.redact_user)
    if "headers" in side:
        out["headers"] = _headers(
            side["headers"], response=response, rules=rules, found=unused, fn=redactor.text
        )
    if isinstance(side.get("uri"), str):
        out["uri"] = walk.text(side["uri"])
    if isinstance(side.get("status"), dict):
        out["status"] = dict(side["status"])
    if isinstance(side.get("body"), dict):
        out["body"] = _walk_body(side["body"], walk)
    return out


def redact_interaction(
    interaction: Mapping[str, Any], rules: RedactionRules = DEFAULT_RULES, *, literals: Iterable[str] = ()
) -> tuple[dict[str, Any], set[str]]:
    """A redacted copy of ``{"request": ..., "response": ...}`` (either may be missing) and the literal
    secret values it took out (plus ``rules.values``), for the leak scan. The input is not changed.

    ``literals`` are more values to remove wherever they appear: pass the ones an earlier call found
    (say, when the request was redacted alone) so their echoes in the response go too. They count as
    the run's secrets (fixed markers).
    """
    sides = [
        (interaction[k], k == "response")
        for k in ("request", "response")
        if isinstance(interaction.get(k), dict)
    ]
    found, fields = _collect(sides, rules)
    redactor = _Redactor(rules, fields, [*found, *rules.values, *literals])
    out = dict(interaction)
    for key in ("request", "response"):
        if isinstance(interaction.get(key), dict):
            out[key] = _redact_side(
                interaction[key], response=key == "response", rules=rules, redactor=redactor
            )
    return out, found | fields | set(rules.values)


def credential_values(headers: Iterable[tuple[str, str]], rules: RedactionRules = DEFAULT_RULES) -> set[str]:
    """The run's secrets a request carries in its headers (its key, organization, project, cookies)."""
    found: set[str] = set()
    for name, value in headers:
        lower = name.lower()
        if is_secret_header(lower, rules=rules):
            _redact_header_value(lower, value, found)
    return found


def redact_request(
    request: Mapping[str, Any],
    rules: RedactionRules = DEFAULT_RULES,
    *,
    credentials: Iterable[tuple[str, str]] = (),
) -> tuple[dict[str, Any], set[str]]:
    """``redact_interaction`` for a request alone: redact a live request the same way before matching it
    against recorded (redacted) ones.

    ``credentials``: the live request's headers (name, value). They are not redacted here (headers are
    never matched), but the run's secrets in them (its key, organization, ...) are removed from the URI
    and body with the fixed markers the recording used, so a key pasted into a prompt matches on replay,
    where the key is another (a dummy) one.
    """
    own = credential_values(credentials, rules)
    body = request.get("body")
    uploads = isinstance(body, dict) and ("multipart" in body or "image" in body)
    if rules.gate is not None and "headers" not in request and not uploads:
        # Replay's hot path: one search over the URI and body; most requests have nothing to redact.
        # (Uploads always go through: metadata inside an image is not visible in the JSON text.)
        text = json.dumps([request.get("uri"), body], ensure_ascii=False)
        if not _may_change(text, rules.gate) and not _holds_any(text, own):
            return dict(request), set(rules.values) | own
    out, found = redact_interaction({"request": request}, rules, literals=own)
    return out["request"], found | own


def _holds_any(text: str, values: Iterable[str]) -> bool:
    """Whether ``text`` (JSON of a URI and body) holds one of ``values`` in a form redaction replaces."""
    for value in values:
        if len(value) < MIN_LITERAL_LENGTH:
            continue
        for form in (value, urllib.parse.quote(value, safe=""), urllib.parse.quote_plus(value)):
            if form in text or json.dumps(form, ensure_ascii=False)[1:-1] in text:
                return True
    return False
