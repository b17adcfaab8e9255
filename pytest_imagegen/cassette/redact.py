"""Secrets out of interactions: headers, URLs (request and inside bodies), bodies, user-supplied values.

Every secret is replaced by a fixed marker (``REDACTED``, ``sk-REDACTED``, ``org-REDACTED``,
``proj_REDACTED``, ``user-REDACTED``, ``REDACTED-SIG``), so a re-recorded cassette diffs only where the
service really changed, and redaction is idempotent: redacting a redacted interaction changes nothing.

What counts as a secret, and why:

- Request headers ``authorization``, ``proxy-authorization``, ``api-key``, ``x-api-key``, ``cookie``,
  ``openai-organization``, ``openai-project`` and any header whose name says key, token, secret, auth,
  password, credential, session or cookie; response headers ``openai-organization``, ``openai-project``,
  ``set-cookie`` and the same name rule, except names known to hold no secret (``www-authenticate``,
  ``x-ratelimit-*-tokens``, ``access-control-*``). ``Authorization`` keeps its scheme word
  (``Bearer sk-REDACTED``).
- ``set-cookie`` keeps the cookie name and attributes and loses only the value: a replayed client still
  receives the cookie it got live (cookie-jar behaviour stays the same), a reader sees which cookies the
  service set, and the value is the only part that identifies a client. ``cookie`` does the same.
- Query parameters: credentials (``api-key``, ``api_key``, ``key``, ``token``, ``access_token``, ``sig``,
  ``signature``, AWS/GCS signature and credential parameters, and any key that says token, secret,
  password, signature or credential) and the SAS identity parameters ``skoid``/``sktid``/``skdutid``/
  ``sduoid`` (the object and tenant GUIDs of the signing account). The remaining SAS parameters
  (``st``, ``se``, ``sp``, ``sv``, ``sr``, ``skt``, ``ske``, ``sks``, ``skv``, ``rscd``, ``rsct``, ...)
  are the policy the signature covers (times, permissions, versions): they grant nothing without ``sig``
  and tell a reader what kind of URL it was and when it expired, so they stay.
- URL paths: ``org-…`` and ``user-…`` segments that look like ids (dall-e blob paths); userinfo.
- Body fields named like credentials (``api_key``, ``token``, ``client_secret``, ...) holding one token.
- Body text: ``sk-…`` keys and masked key echoes (401 ``Incorrect API key provided: sk-te****1234.``),
  ``org-…``/``proj_…`` ids (429 messages), ``Bearer`` tokens, JWTs, Cloudflare cookies, ``sig=`` values,
  AWS access key ids, Azure keys (32 hex) after ``api-key:``/``api-key=``, Google API keys (``AIza…``: a
  gateway's error that quotes the Gemini call it made);
  optionally ``user``/``safety_identifier`` values (``RedactionRules.redact_user``).
- Literal values: every value taken out of a header or query parameter above, and the user's own
  ``RedactionRules.values``, are also replaced wherever else they appear (a key echoed in a body, an
  organization name in a message), when at least ``MIN_LITERAL_LENGTH`` long (shorter ones would hit
  ordinary text).

Image payloads (``b64_json`` values, any other base64 image or image data URL such as a Responses
``result`` or ``input_image.image_url``, base64 file parts and bodies) are not searched: they are binary,
and the leak scan (``leaks.py``) checks non-image base64 for literal secrets before anything is written.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_imagegen.cassette.bodies import Body, image_payload, is_placeholder

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

MIN_LITERAL_LENGTH = 6

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
_SECRET_HEADER_WORDS = re.compile(r"key|token|secret|auth|passw|credential|session|cookie", re.IGNORECASE)
# Names the word rule would catch that hold no secret: redacting them would hide useful facts.
_HARMLESS_HEADERS = re.compile(
    r"www-authenticate|proxy-authenticate|x-ratelimit-.*|access-control-.*|authentication-info",
    re.IGNORECASE,
)

_CREDENTIAL_QUERY_KEYS = frozenset(
    {
        "api-key",
        "api_key",
        "apikey",
        "key",
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

# A Google API key (the Gemini API's, sent as x-goog-api-key or ?key=): "AIza" and 35 more characters.
_GOOGLE_KEY_SHAPE = r"(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])"
_GOOGLE_KEY = re.compile(_GOOGLE_KEY_SHAPE)

# (pattern, replacement) for credential-shaped text; every pattern skips its own marker (idempotence).
_TEXT_RULES: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    (
        re.compile(r"(API key provided: )(?!(?:sk-)?REDACTED(?![\w*]))([^\s,;]*[^\s,;.])", re.IGNORECASE),
        lambda m: m.group(1) + (KEY_MARKER if m.group(2).startswith("sk-") else REDACTED),
    ),
    (re.compile(r"(?<![A-Za-z0-9])sk-(?!REDACTED(?![\w*-]))[A-Za-z0-9_*\-]{4,}"), KEY_MARKER),
    (re.compile(r"(?<![A-Za-z0-9])org-(?!REDACTED(?![A-Za-z0-9]))" + _ID), ORG_MARKER),
    (re.compile(r"(?<![A-Za-z0-9])proj_(?!REDACTED(?![A-Za-z0-9]))" + _ID), PROJECT_MARKER),
    (
        re.compile(r"\b(Bearer\s+)(?!(?:sk-)?REDACTED(?![\w.~+/-]))[A-Za-z0-9._~+/\-]{8,}=*", re.IGNORECASE),
        lambda m: m.group(1) + REDACTED,
    ),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"), REDACTED),
    (
        re.compile(r"\b(__cf_bm|_cfuvid|cf_clearance)=(?!REDACTED(?![^;,\s\"']))[^;,\s\"']+"),
        lambda m: f"{m.group(1)}={REDACTED}",
    ),
    (re.compile(r"([?&]sig=)(?!REDACTED-SIG(?![^&\s\"'#]))[^&\s\"'#]+"), lambda m: m.group(1) + SIG_MARKER),
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), REDACTED),
    (_GOOGLE_KEY, REDACTED),
    (
        re.compile(
            r"(?i)((?:api[-_ ]?key|subscription[-_ ]?key)[\"']?\s*[:=]\s*[\"']?)[0-9a-f]{32}(?![0-9a-f])"
        ),
        lambda m: m.group(1) + REDACTED,
    ),
)

# Literal pieces (lower case) of every text a _TEXT_RULES pattern matches, so a superset: text without
# any of them skips the rules. Replay redacts every live request before matching it, and most strings
# (prompts, sizes, model ids) hold none.
_SHAPE_PIECES = ("key", "sk-", "org-", "proj_", "bearer", "eyj", "_cf", "cf_", "sig=", "akia", "asia", "aiza")
# What _redact_url can change: userinfo, org-/user- path ids, the query, the fragment.
_URL_MAY_HOLD = re.compile(r"[@?#]|org-|user-")

# JSON fields (and multipart text fields) whose name says they hold a credential; their value is
# redacted when it looks like one (a single token of 8 or more characters).
SECRET_FIELD_NAME = re.compile(
    r"api[-_]?key|^key$|[-_]key$|secret|token|passw|credential|^auth|[-_]auth", re.IGNORECASE
)
_CREDENTIAL_VALUE = re.compile(r"\S{8,}")

# Credential shapes the leak scan (leaks.py) looks for after redaction: each is something the rules
# above remove, at a length or form that leaves no doubt it is a real secret.
_LEAK_SHAPES: dict[str, str] = {
    r"(?<![A-Za-z0-9])sk-(?:proj-|svcacct-|admin-)?(?!REDACTED(?![A-Za-z0-9]))[A-Za-z0-9_\-]{20,}": (
        "OpenAI-style API key (sk-…)"
    ),
    r"(?<![A-Za-z0-9])sk-[A-Za-z0-9_\-]{0,16}\*{3,}[A-Za-z0-9_\-]{2,}": "masked API key fragment (sk-…****…)",
    r"\bBearer\s+(?!(?:sk-)?REDACTED(?![\w.~+/-]))[A-Za-z0-9._~+/\-]{8,}": "bearer token",
    r"\b(?:__cf_bm|_cfuvid|cf_clearance)=(?!REDACTED(?![^;,\s\"']))[^;,\s\"']{6,}": "Cloudflare cookie value",
    r"(?i)[?&]sig=(?!REDACTED-SIG(?![^&\s\"'#]))[^&\s\"'#]{6,}": "signed-URL signature (sig=…)",
    r"(?<![A-Za-z0-9])org-[A-Za-z0-9]{20,}(?![A-Za-z0-9])": "OpenAI organization id (org-…)",
    r"(?<![A-Za-z0-9])proj_[A-Za-z0-9]{20,}(?![A-Za-z0-9])": "OpenAI project id (proj_…)",
    r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*": "JSON Web Token",
    r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b": "AWS access key id",
    _GOOGLE_KEY_SHAPE: "Google API key (AIza…)",
    r"(?i)(?:api[-_ ]?key|subscription[-_ ]?key)[\"']?\s*[:=]\s*[\"']?[0-9a-f]{32}(?![0-9a-f])": (
        "Azure-style API key (32 hex)"
    ),
}

DEFAULT_LEAK_PATTERNS: tuple[re.Pattern[str], ...] = tuple(re.compile(p) for p in _LEAK_SHAPES)
LEAK_DESCRIPTIONS: dict[re.Pattern[str], str] = dict(
    zip(DEFAULT_LEAK_PATTERNS, _LEAK_SHAPES.values(), strict=True)
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
# text-rule shapes, what _redact_url rewrites, credential-named fields. A superset, so a miss is safe.
# Substring tests on lower-cased text: an IGNORECASE alternation costs several times more in ``re``.
_REQUEST_GATE = (
    *("key", "sk-", "org-", "proj_", "bearer", "eyj", "_cf", "cf_", "sig=", "akia", "asia", "aiza"),
    *("@", "?", "#", "user-", "secret", "token", "passw", "credential", "auth"),
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
        first, semi, attributes = value.partition(";")
        key, sep, val = first.partition("=")
        if not sep:
            _keep_literal(first.strip(), found)
            return REDACTED + semi + attributes
        _keep_literal(val.strip(), found)
        return f"{key}={REDACTED}{semi}{attributes}"
    _keep_literal(value, found)
    return REDACTED


# ------------------------------------------------------------------------------------------------------ URLs


def _redact_query(query: str, rules: RedactionRules, found: set[str]) -> str:
    if not query:
        return query
    out = []
    for item in query.split("&"):
        raw_key, sep, raw_value = item.partition("=")
        key = urllib.parse.unquote_plus(raw_key)
        if sep and raw_value and is_secret_query_key(key, rules=rules):
            marker = SIG_MARKER if key.lower() in _SIGNATURE_QUERY_KEYS else REDACTED
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
        _ = parts.port  # raises ValueError on a malformed port; such text is handled as plain text
    except ValueError:
        return url
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


class _Redactor:
    """Text redaction with a fixed set of literal secrets and rules."""

    def __init__(self, rules: RedactionRules, literals: Iterable[str]) -> None:
        self.rules = rules
        usable = sorted(
            {v for v in literals if len(v) >= MIN_LITERAL_LENGTH and not _is_marker_text(v)},
            key=lambda v: (-len(v), v),
        )
        variants: set[str] = set()
        for value in usable:
            variants.update({value, urllib.parse.quote(value, safe=""), urllib.parse.quote_plus(value)})
        ordered = sorted(variants, key=lambda v: (-len(v), v))
        self.literals = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def text(self, text: str) -> str:
        if "://" in text:
            text = _URL.sub(lambda m: _redact_url(m.group(0), self.rules, set()), text)
        if _may_change(text, _SHAPE_PIECES):
            # Shapes before literals, so a key echoed in a message reads sk-REDACTED rather than REDACTED.
            for pattern, replacement in _TEXT_RULES:
                text = pattern.sub(replacement, text)
        if self.literals is not None:
            # Repeat: a marker next to leftover text can form the secret again; each round removes at least
            # one original character, and the bound stops pathological values made of marker letters.
            for _ in range(16):
                new = self.literals.sub(REDACTED, text)
                if new == text:
                    break
                text = new
        for pattern in self.rules.patterns:
            text = pattern.sub(_user_pattern_replacement, text)
        return text


def _user_pattern_replacement(m: re.Match[str]) -> str:
    whole = m.group(0)
    if m.re.groups and m.group(1) is not None:
        start, end = m.span(1)
        if _is_marker_text(m.group(1)):
            return whole
        offset = m.start(0)
        return whole[: start - offset] + REDACTED + whole[end - offset :]
    return whole if _is_marker_text(whole) else REDACTED


def redact_text(text: str, rules: RedactionRules = DEFAULT_RULES, *, literals: Iterable[str] = ()) -> str:
    """Free text with URLs, credential-shaped tokens, user patterns and ``literals`` redacted."""
    return _Redactor(rules, [*literals, *rules.values]).text(text)


# --------------------------------------------------------------------------------------------------- walking


def _is_secret_field(name: str, value: str) -> bool:
    return (
        bool(SECRET_FIELD_NAME.search(name))
        and bool(_CREDENTIAL_VALUE.fullmatch(value))
        and (not _is_marker_text(value))
    )


def _is_image(text: str) -> bool:
    """A base64 image or image data URL, in any API shape's place for one (``result``,
    ``partial_image_b64``, ``input_image.image_url``, ...): a head check, so a 3 MB image costs nothing."""
    return image_payload(text) is not None


def _walk_json(value: Any, fn: Callable[[str], str], user_fn: Callable[[str], str] | None) -> Any:
    if isinstance(value, str):
        return value if _is_image(value) else fn(value)
    if isinstance(value, list):
        return [_walk_json(item, fn, user_fn) for item in value]
    if isinstance(value, dict):
        if is_placeholder(value):
            return value
        out: dict[str, Any] = {}
        for key, item in value.items():
            if isinstance(item, str) and (key == "b64_json" or _is_image(item)):
                out[key] = item  # an image payload: binary, not text
            elif user_fn is not None and key in _USER_FIELDS and isinstance(item, str):
                out[key] = user_fn(item)
            elif isinstance(item, str) and _is_secret_field(key, item):
                out[key] = REDACTED
            else:
                out[key] = _walk_json(item, fn, user_fn)
        return out
    return value


def _walk_body(body: Body, fn: Callable[[str], str], user_fn: Callable[[str], str] | None) -> Body:
    if "json" in body:
        return {"json": _walk_json(body["json"], fn, user_fn)}
    if "sse" in body:
        events = []
        for ev in body["sse"]:
            new = dict(ev)
            new["data"] = _walk_json(ev.get("data"), fn, user_fn)
            for key in ("event", "id"):
                if isinstance(new.get(key), str):
                    new[key] = fn(new[key])
            events.append(new)
        return {"sse": events}
    if "multipart" in body:
        parts = []
        for part in body["multipart"]:
            new = dict(part)
            if "value" in part:
                name, value = str(part.get("name")), str(part["value"])
                if user_fn is not None and name in _USER_FIELDS:
                    new["value"] = user_fn(value)
                elif _is_secret_field(name, value):
                    new["value"] = REDACTED
                else:
                    new["value"] = fn(value)
            if isinstance(part.get("filename"), str):
                new["filename"] = fn(part["filename"])
            if "file" in part:
                new["file"] = dict(part["file"])
            parts.append(new)
        return {"multipart": parts}
    if "string" in body:
        return {"string": fn(str(body["string"]))}
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
            if isinstance(item, str) and ((users and key in _USER_FIELDS) or _is_secret_field(key, item)):
                yield item
            elif key != "b64_json":
                yield from _field_values(item, users=users)


def _collect(sides: Iterable[tuple[Mapping[str, Any], bool]], rules: RedactionRules) -> set[str]:
    """Every literal the structured rules remove anywhere in the interaction (first pass), so a value
    taken from one place is also removed from all others, whatever their order."""
    found: set[str] = set()
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
            found.update(v for v in _field_values(document, users=users) if not _is_marker_text(v))
        for part in body.get("multipart", []):
            if "value" in part and not _is_marker_text(str(part["value"])):
                name, value = str(part.get("name")), str(part["value"])
                if (users and name in _USER_FIELDS) or _is_secret_field(name, value):
                    found.add(value)
    return found


def _redact_side(
    side: Mapping[str, Any], *, response: bool, rules: RedactionRules, redactor: _Redactor
) -> dict[str, Any]:
    out = dict(side)
    unused: set[str] = set()
    if "headers" in side:
        out["headers"] = _headers(
            side["headers"], response=response, rules=rules, found=unused, fn=redactor.text
        )
    if isinstance(side.get("uri"), str):
        out["uri"] = redactor.text(side["uri"])
    if isinstance(side.get("status"), dict):
        out["status"] = dict(side["status"])
    if isinstance(side.get("body"), dict):
        user_fn: Callable[[str], str] | None = (lambda _v: REDACTED) if rules.redact_user else None
        out["body"] = _walk_body(side["body"], redactor.text, user_fn)
    return out


def redact_interaction(
    interaction: Mapping[str, Any], rules: RedactionRules = DEFAULT_RULES, *, literals: Iterable[str] = ()
) -> tuple[dict[str, Any], set[str]]:
    """A redacted copy of ``{"request": ..., "response": ...}`` (either may be missing) and the literal
    secret values it took out (plus ``rules.values``), for the leak scan. The input is not changed.

    ``literals`` are more values to remove wherever they appear: pass the ones an earlier call found
    (say, when the request was redacted alone) so their echoes in the response go too.
    """
    sides = [
        (interaction[k], k == "response")
        for k in ("request", "response")
        if isinstance(interaction.get(k), dict)
    ]
    found = _collect(sides, rules)
    redactor = _Redactor(rules, [*found, *rules.values, *literals])
    out = dict(interaction)
    for key in ("request", "response"):
        if isinstance(interaction.get(key), dict):
            out[key] = _redact_side(
                interaction[key], response=key == "response", rules=rules, redactor=redactor
            )
    return out, found | set(rules.values)


def redact_request(
    request: Mapping[str, Any], rules: RedactionRules = DEFAULT_RULES
) -> tuple[dict[str, Any], set[str]]:
    """``redact_interaction`` for a request alone: redact a live request the same way before matching it
    against recorded (redacted) ones."""
    if rules.gate is not None and "headers" not in request:
        # Replay's hot path: one search over the URI and body; most requests have nothing to redact.
        text = json.dumps([request.get("uri"), request.get("body")], ensure_ascii=False)
        if not _may_change(text, rules.gate):
            return dict(request), set(rules.values)
    out, found = redact_interaction({"request": request}, rules)
    return out["request"], found
