"""Secrets out of text: header values, URLs (userinfo, ``org-``/``user-`` path ids, credential query
parameters), and free text (credential shapes, what the service's own messages name, literal values).

``Redactor`` holds one interaction's literal secrets and rules; ``redact.py`` walks an interaction and
hands it every string. What counts as a secret is ``redact_rules.py``.

Free text is redacted only where it holds a credential-shaped value (``credentials.py``), a value this
run sent as a secret (in whatever encoding: ``literals.py``), a credential query parameter of a URL
(with or without a scheme, after ``?``, ``&``, ``&amp;``, ``&#38;``, ``\u0026`` or ``;``, and inside a
percent-encoded URL in a query value), or a configured pattern. ``key=``, ``token=``, ``code=`` written
in a prompt are words: a request's text is matched on, and a rule that rewrote words would make two
prompts one. A reply is never matched, so its text also loses what the service's own messages name
(the 401 echo of a key whatever its shape, the organization of a 429, ``password: ...``).
"""

from __future__ import annotations

import functools
import re
import urllib.parse
from collections.abc import Callable, Iterable

from pytest_imagegen.safety.credentials import (
    CREDENTIAL_SHAPES,
    MIN_LITERAL_LENGTH,
    QUERY_VALUE,
    SHAPE_PATTERNS,
    secret_span,
)
from pytest_imagegen.safety.literals import Literals, literals_for
from pytest_imagegen.safety.redact_rules import (
    DEFAULT_RULES,
    KEY_MARKER,
    ORG_MARKER,
    PROJECT_MARKER,
    REDACTED,
    SIG_MARKER,
    TEXT_PIECES,
    USER_MARKER,
    RedactionRules,
    is_credential_name,
    is_marker_text,
    is_secret_query_key,
    keep_literal,
    may_change,
    query_marker,
)
from pytest_imagegen.wire.payloads import b64decode_strict

__all__ = ["URL_IN_TEXT", "Redactor", "redact_header_value", "redact_text", "redact_url"]

_ID = r"(?:[A-Za-z0-9]{20,}|(?=[A-Za-z]*[0-9])[A-Za-z0-9]{4,})(?![A-Za-z0-9])"
URL_IN_TEXT = re.compile(r"https?://[^\s\"'<>\\`]+", re.IGNORECASE)
_PATH_ID = re.compile(r"(org|user)-" + _ID + r"$")

# A marker, with or without a digest, followed by nothing that could continue a secret.
_MARKER_AHEAD = r"(?!(?:sk-|org-|proj_|user-)?REDACTED(?:-SIG)?(?:-[0-9a-f]{8})?(?![\w*-]))"

# Rules for text: each is (pattern, marker for the secret); the pattern's ``secret`` group goes.
_MarkerOf = Callable[[str], str | None]


def _constant(marker: str) -> _MarkerOf:
    return lambda _secret: marker


def _key_or_plain(secret: str) -> str:
    return KEY_MARKER if secret.startswith("sk-") else REDACTED


def _named_credential(name: str) -> str | None:
    """The marker for the value after ``name:`` in text, when ``name`` is a credential name."""
    return REDACTED if is_credential_name(name) else None


_REPLY_RULES: tuple[tuple[re.Pattern[str], Callable[[str], str | None]], ...] = (
    # The 401 echo of a key, whatever its shape: "Incorrect API key provided: sk-te****1234."
    (re.compile(r"(?i)API key provided: " + _MARKER_AHEAD + r"(?P<secret>[^\s,;]*[^\s,;.])"), _key_or_plain),
    # The 429 names the organization; short test ids too ("in organization org-abc123").
    (re.compile(r"(?i)\borganization\s+(?P<secret>org-(?!REDACTED)" + _ID + ")"), _constant(ORG_MARKER)),
    (re.compile(r"(?i)\bproject\s+(?P<secret>proj_(?!REDACTED)" + _ID + ")"), _constant(PROJECT_MARKER)),
)
# A credential named in a reply's text: "password: hunter22", '"token": "abc123"' (JSON quoted in a
# string); the name is looked up in the one list of credential names (redact_rules.CREDENTIAL_NAMES).
_NAMED_IN_TEXT = re.compile(
    r"(?P<name>\b[A-Za-z][A-Za-z0-9_.-]{0,40}(?: [A-Za-z][A-Za-z0-9_.-]{0,20})?)[\"']?\s*[:=]\s*[\"']?"
    + _MARKER_AHEAD
    + r"(?P<secret>[^\s\"',;&<>]{6,})"
)
_SHAPE_MARKERS: dict[str, str] = {
    "OpenAI-style API key (sk-…)": KEY_MARKER,
    "masked API key fragment (sk-…****…)": KEY_MARKER,
    "OpenAI organization id (org-…)": ORG_MARKER,
    "OpenAI project id (proj_…)": PROJECT_MARKER,
    "signed-URL signature (sig=…)": SIG_MARKER,
}
_SHAPE_RULES: tuple[tuple[re.Pattern[str], Callable[[str], str | None]], ...] = tuple(
    (pattern, _constant(_SHAPE_MARKERS.get(description, REDACTED)))
    for pattern, description in zip(SHAPE_PATTERNS, CREDENTIAL_SHAPES.values(), strict=True)
)
# A query parameter in text outside a URL with a scheme (``cdn.example.com/i.png?sig=...``, an HTML
# attribute, a JSON-escaped URL): only after what separates query parameters, never at the start of
# the text, where ``key=Cmaj7`` is a word. Its name decides, as in a URL.
_QUERY_PARAM = re.compile(
    r"(?:(?<=[?&;])|(?<=&amp;)|(?<=\\u0026))(?P<key>[A-Za-z0-9_.\-]{1,64})=(?P<value>" + QUERY_VALUE + "+)"
)

# A marker with the digest earlier versions put in it (``sk-REDACTED-1a2b3c4d``): a digest of the secret,
# a test against a dictionary. Redaction (``imagegen-cassettes scrub``) drops it; the marker stays.
_OLD_DIGEST = re.compile(r"(REDACTED(?:-SIG)?)-[0-9a-f]{8}(?![0-9A-Za-z])")

# What _redact_url can change: userinfo, org-/user- path ids, the query, the fragment.
_URL_MAY_HOLD = re.compile(r"[@?#]|org-|user-")


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
            keep_literal(first.strip(), found)
            cookies.append(REDACTED + semi + attributes)
        else:
            keep_literal(val.strip(), found)
            cookies.append(f"{key}={REDACTED}{semi}{attributes}")
    return ", ".join(cookies)


def _keep_basic_credentials(token: str, found: set[str]) -> None:
    """The user name and password inside a Basic credential are secrets too: a 401 page may echo them."""
    raw = b64decode_strict(token)
    if raw is None:
        return
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    user, sep, password = text.partition(":")
    keep_literal(text, found)
    if sep:
        keep_literal(user, found)
        keep_literal(password, found)


def redact_header_value(name: str, value: str, found: set[str]) -> str:
    if name in ("authorization", "proxy-authorization"):
        scheme, sep, token = value.strip().partition(" ")
        if not sep:
            keep_literal(value, found)
            return KEY_MARKER if value.startswith("sk-") else REDACTED
        token = token.strip()
        keep_literal(token, found)
        if scheme.lower() == "basic":
            _keep_basic_credentials(token, found)
        return f"{scheme} {KEY_MARKER if token.startswith('sk-') else REDACTED}"
    if name == "openai-organization":
        keep_literal(value, found)
        return ORG_MARKER
    if name == "openai-project":
        keep_literal(value, found)
        return PROJECT_MARKER
    if name == "cookie":
        pairs = []
        for pair in value.split(";"):
            key, sep, val = pair.strip().partition("=")
            if sep:
                keep_literal(val, found)
                pairs.append(f"{key}={REDACTED}")
            elif key:
                keep_literal(key, found)
                pairs.append(REDACTED)
        return "; ".join(pairs)
    if name == "set-cookie":
        return _redact_set_cookie(value, found)
    keep_literal(value, found)
    return REDACTED


# ------------------------------------------------------------------------------------------------------ URLs


# Between two query parameters: "&", ";" (some signers use it), and "&" as HTML writes it.
_QUERY_SEPARATOR = re.compile(r"(&(?:amp;|#0*38;|#x0*26;)?|;)", re.IGNORECASE)
# A query value that percent-encodes a query or a URL of its own (``?url=https%3A%2F%2F...%26sig%3D...``).
_NESTED = re.compile(r"%(?:3[dDfF]|26|25)", re.IGNORECASE)
_MAX_NESTING = 3


def _query_key(raw_key: str) -> str:
    return urllib.parse.unquote_plus(raw_key)


def _nested_value(raw_value: str, rules: RedactionRules, found: set[str], depth: int) -> str:
    """A query value that holds a percent-encoded URL or query, with the secrets in that redacted; the
    value as it was when it holds none."""
    if depth >= _MAX_NESTING or not _NESTED.search(raw_value):
        return raw_value
    decoded = urllib.parse.unquote(raw_value)
    if "://" in decoded or "?" in decoded:
        redacted = URL_IN_TEXT.sub(lambda m: _redact_url(m.group(0), rules, found, depth + 1), decoded)
        base, sep, query = redacted.partition("?")
        if sep and "://" not in decoded:
            redacted = base + sep + _redact_query(query, rules, found, depth + 1)
    else:
        redacted = _redact_query(decoded, rules, found, depth + 1)
    if redacted == decoded:
        return raw_value
    return urllib.parse.quote(redacted, safe="")


def _redact_query(query: str, rules: RedactionRules, found: set[str], depth: int = 0) -> str:
    if not query:
        return query
    out = []
    for n, item in enumerate(_QUERY_SEPARATOR.split(query)):
        if n % 2:  # a separator
            out.append(item)
            continue
        raw_key, sep, raw_value = item.partition("=")
        key = _query_key(raw_key)
        if sep and raw_value and is_secret_query_key(key, rules=rules):
            marker = query_marker(key)
            if raw_value != marker:
                keep_literal(raw_value, found)
                keep_literal(urllib.parse.unquote_plus(raw_value), found)
            out.append(f"{raw_key}={marker}")
        elif sep and raw_value:
            out.append(f"{raw_key}={_nested_value(raw_value, rules, found, depth)}")
        else:
            out.append(item)
    return "".join(out)


def _redact_url(url: str, rules: RedactionRules, found: set[str], depth: int = 0) -> str:
    if not _URL_MAY_HOLD.search(url):
        return url
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        # Not a URL urllib can split (a broken IPv6 host): its query is still a query.
        base, sep, query = url.partition("?")
        return base + sep + _redact_query(query, rules, found, depth)
    # A port that is not a number or out of range (``:99999``) does not matter here: the netloc is
    # put back as it was, and the query is redacted all the same.
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        for piece in userinfo.split(":"):
            keep_literal(piece, found)
            keep_literal(urllib.parse.unquote(piece), found)
        netloc = f"{REDACTED}@{host}"
    segments = []
    for segment in parts.path.split("/"):
        m = _PATH_ID.match(segment)
        segments.append((ORG_MARKER if m.group(1) == "org" else USER_MARKER) if m else segment)
        if m:
            keep_literal(segment, found)
    path = "/".join(segments)
    query = _redact_query(parts.query, rules, found, depth)
    fragment = _redact_query(parts.fragment, rules, found, depth) if "=" in parts.fragment else parts.fragment
    return urllib.parse.urlunsplit((parts.scheme, netloc, path, query, fragment))


def redact_url(url: str, rules: RedactionRules = DEFAULT_RULES) -> tuple[str, set[str]]:
    """The URL with credentials in userinfo, id-shaped ``org-``/``user-`` path segments and credential
    query parameters replaced, and the literal values it removed."""
    found: set[str] = set()
    return _redact_url(url, rules, found), found


# ------------------------------------------------------------------------------------------------------ text


def _literals(values: Iterable[str]) -> Literals:
    return literals_for(v for v in values if len(v) >= MIN_LITERAL_LENGTH and not is_marker_text(v))


_RUN_MARKERS = (("sk-", KEY_MARKER), ("org-", ORG_MARKER), ("proj_", PROJECT_MARKER), ("user-", USER_MARKER))


def _run_marker(value: str) -> str:
    """The fixed marker of one of the run's own secrets: a key still reads as a key, an organization
    as an organization, whatever their values."""
    for prefix, marker in _RUN_MARKERS:
        if value.startswith(prefix):
            return marker
    return REDACTED


class Redactor:
    """Text redaction with a fixed set of literal secrets and rules.

    ``run_secrets`` belong to the run, not to any request: its key, organization, project and cookies,
    the values of signed URLs the service handed out, the configured ``values``. They become the marker
    of their kind (``sk-REDACTED`` for a key), wherever they are, before any other rule sees them.
    ``literals`` (values of credential-named fields) belong to the request that carried them and become
    ``REDACTED``. Every marker is fixed: nothing of a secret is kept (see ``redact.py``).
    """

    def __init__(
        self, rules: RedactionRules, literals: Iterable[str], run_secrets: Iterable[str] = ()
    ) -> None:
        self.rules = rules
        self.run_secrets = _literals(run_secrets)
        self.literals = _literals(literals)

    def _query_param(self, m: re.Match[str]) -> str:
        key, value = m.group("key"), m.group("value")
        if not is_secret_query_key(key, rules=self.rules):
            return m.group(0)
        marker = query_marker(key)
        return m.group(0) if value == marker or REDACTED in value else f"{key}={marker}"

    def text(self, text: str, *, reply: bool = False) -> str:
        """``text`` redacted; a ``reply``'s text also loses what the service's own messages name."""
        if "REDACTED-" in text:
            text = _OLD_DIGEST.sub(r"\1", text)
        if "://" in text:
            text = URL_IN_TEXT.sub(lambda m: _redact_url(m.group(0), self.rules, set()), text)
        if self.run_secrets:
            text = _replace_all(self.run_secrets, text, _run_marker)
        if may_change(text, TEXT_PIECES):
            if "=" in text:
                text = _QUERY_PARAM.sub(self._query_param, text)
            # Shapes before literals, so a key echoed in a message reads sk-REDACTED rather than REDACTED.
            rules = _REPLY_RULES + _SHAPE_RULES if reply else _SHAPE_RULES
            for pattern, marker_of in rules:
                text = pattern.sub(functools.partial(_replace, marker_of=marker_of), text)
            if reply and (":" in text or "=" in text):
                text = _NAMED_IN_TEXT.sub(self._named, text)
        if self.literals:
            text = _replace_all(self.literals, text, lambda _value: REDACTED)
        for pattern in self.rules.patterns:
            # A configured pattern names a kind of secret of the run (a token that changes every run).
            text = pattern.sub(_user_pattern_replacement, text)
        return text

    def _named(self, m: re.Match[str]) -> str:
        name = m.group("name")
        # "the API key: ..." names an api key; try the last word alone too ("note password: ...").
        if not (is_credential_name(name) or is_credential_name(name.rpartition(" ")[2])):
            return m.group(0)
        return _replace(m, marker_of=_constant(REDACTED))


def _replace_all(literals: Literals, text: str, replacement: Callable[[str], str]) -> str:
    # Repeat: a marker next to leftover text can form the secret again; each round removes at least one
    # original character, and the bound stops pathological values made of marker letters.
    for _ in range(16):
        new = literals.sub(replacement, text)
        if new == text:
            break
        text = new
    return text


def _replace(m: re.Match[str], marker_of: _MarkerOf) -> str:
    start, end = secret_span(m)
    whole, offset = m.group(0), m.start()
    marker = marker_of(whole[start - offset : end - offset])
    if marker is None:
        return whole
    return whole[: start - offset] + marker + whole[end - offset :]


def _user_pattern_replacement(m: re.Match[str]) -> str:
    whole = m.group(0)
    if m.re.groups and m.group(1) is not None:
        start, end = m.span(1)
        if is_marker_text(m.group(1)):
            return whole
        offset = m.start(0)
        return whole[: start - offset] + REDACTED + whole[end - offset :]
    return whole if is_marker_text(whole) else REDACTED


def redact_text(
    text: str, rules: RedactionRules = DEFAULT_RULES, *, literals: Iterable[str] = (), reply: bool = True
) -> str:
    """Free text with URLs, credential-shaped tokens, user patterns and ``literals`` redacted (as a
    reply's text, unless ``reply=False``: then as a request's, which is matched on)."""
    return Redactor(rules, (), [*literals, *rules.values]).text(text, reply=reply)
