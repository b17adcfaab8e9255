"""Stand-ins for values a service makes up afresh on every call: job ids, object names, signed-URL times.

A service that makes you wait hands out a job id (a UUID, a long hex or random token), a status URL that
carries it and, when the job is done, a signed download URL whose object name, date and signature are new
on every call. Stored as they came, they would change the cassette on every recording. ``StandIns``
replaces each such value, wherever a reply holds it, by a stand-in derived from the request the reply
answers (its stored form, and the order the values appear in), never from the value itself: so the
same calls recorded again give the same bytes, and a stand-in tells nothing about the value it replaced.
The same original always gets the same stand-in in one recording (``mapping``: original -> stand-in), in
every later reply and in every later request that sends it back (a status URL, a download URL), so a
replayed client, which reads the stand-in in a reply, sends what the cassette holds.

What counts as made up:

- an id-shaped value (``TOKEN``: a UUID; a run of 16 or more letters and digits with both in it, such
  as a hex digest or a random name; not base64 of text, which may hide a key the leak scan must see)
  that is a part of a URL's path or in a ``*request-id`` reply header; or, when a UUID or of one case,
  a whole value of a URL's query (BFL's ``get_result?id=``);
  or that is a whole ``id`` / ``*_id`` / ``*Id`` value, when a UUID or of one case (fal's and BFL's
  UUIDs, Replicate's lower-case ids, Stability's hex);
- a signed URL's signing time (``X-Amz-Date``, ``X-Goog-Date``) and epoch expiry (``Expires``): one fixed
  time, in the format they had. (Signatures and credentials are redacted before this; Azure SAS times are
  ``normalize.py``'s.)

A stand-in keeps the value's shape (a UUID stays a UUID, hex stays hex of the same length and case, other
tokens the same length in the same alphabet), so a client that parses it still can.

Pure: strings in, strings out.
"""

from __future__ import annotations

import base64
import hashlib
import re
import string
from collections.abc import MutableMapping

__all__ = ["FIXED_AMZ_DATE", "TOKEN", "StandIns", "fixed_field", "fixed_time_text", "is_token"]

#: Every ``X-Amz-Date`` / ``X-Goog-Date`` becomes 2025-01-01T00:00:00Z, as ``normalize.FIXED_TIME``.
FIXED_AMZ_DATE = "20250101T000000Z"
_FIXED_EPOCH = "1735689600"

_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
#: An id-shaped value, not inside a longer run of letters and digits.
TOKEN = re.compile(rf"(?<![A-Za-z0-9])(?:{_UUID}|[A-Za-z0-9]{{16,}})(?![A-Za-z0-9])")
_UUID_ONLY = re.compile(rf"^{_UUID}$")
_URL = re.compile(r"https?://[^\s\"'<>]+")
_SIGNED_TIME = re.compile(r"([?&](?:X-Amz-Date|X-Goog-Date)=)[0-9]{8}T[0-9]{6}Z", re.IGNORECASE)
_EXPIRES = re.compile(r"([?&]Expires=)[0-9]{9,11}(?![0-9])")
_HEX = frozenset(string.hexdigits)
# Signing times, fixed below (or by ``normalize.py``) rather than given stand-ins: a client may parse them.
_TIME_QUERY_KEYS = frozenset({"x-amz-date", "x-goog-date", "expires", "st", "se", "skt", "ske"})
_ISO_TIME = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:?[0-9]{2})?$"
)


def fixed_time_text(value: str) -> str | None:
    """An ISO 8601 time (a job's ``created_at``, ``started_at``, ``completed_at``) as the fixed time,
    2025-01-01T00:00:00, in the same format (fraction digits and zone kept); None: not such a time."""
    found = _ISO_TIME.match(value)
    if found is None:
        return None
    fraction, zone = found.group(1) or "", found.group(2) or ""
    return f"2025-01-01{value[10]}00:00:00{'.' + '0' * (len(fraction) - 1) if fraction else ''}{zone}"


def fixed_field(value: object, stand: StandIns) -> object:
    """A value an API shape declares volatile (``ApiShape.volatile_fields``: timings, progress, logs):
    numbers 0 (of their type), times the fixed time, ids their stand-ins, other text emptied; what else
    it is (a list, an object, a boolean, null) stays as it is."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return 0
    if isinstance(value, float):
        return 0.0
    if isinstance(value, str):
        fixed = fixed_time_text(value)
        if fixed is not None:
            return fixed
        return stand.token(value) if is_token(value) else ""
    return value


def is_token(value: str, *, mixed_case: bool = True) -> bool:
    """Whether ``value`` as a whole is id-shaped (see the module docstring); without ``mixed_case``, a
    token of upper and lower case letters is not (a Gemini ``responseId``: the emulator makes it stable,
    and the replayed value stays the one its example tests compare)."""
    found = TOKEN.fullmatch(value)
    if found is None:
        return False
    if _UUID_ONLY.match(value):
        return True
    if value.lower() != value and value.upper() != value and (not mixed_case or _encoded_text(value)):
        return False
    return any(c.isdigit() for c in value) and any(c.isalpha() for c in value)


def _encoded_text(value: str) -> bool:
    """Whether a mixed-case token is base64 of text (``eyJ...``: data, maybe a key the leak scan must
    see and refuse), not a made-up name, whose bytes are random."""
    try:
        data = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except ValueError:
        return False
    return sum(32 <= b < 127 for b in data) >= 0.8 * len(data)


def _alphabet(value: str) -> str:
    if all(c in _HEX for c in value):
        return "0123456789abcdef" if value == value.lower() else "0123456789ABCDEF"
    letters = ""
    if any(c.islower() for c in value):
        letters += string.ascii_lowercase
    if any(c.isupper() for c in value):
        letters += string.ascii_uppercase
    return string.digits + letters


def _shaped(value: str, digest: bytes) -> str:
    """A value of ``value``'s shape whose characters come from ``digest``."""
    if _UUID_ONLY.match(value):
        hexed = digest.hex()
        text = f"{hexed[:8]}-{hexed[8:12]}-4{hexed[13:16]}-8{hexed[17:20]}-{hexed[20:32]}"
        return text.upper() if value.isupper() else text
    alphabet = _alphabet(value)
    stream = hashlib.shake_256(digest).digest(len(value))
    return "".join(alphabet[b % len(alphabet)] for b in stream)


class StandIns:
    """The stand-ins of one reply: new ones derive from ``seed`` (the request it answers, as stored) and
    their order in it; ``mapping`` (original -> stand-in) is the cassette's, shared by its replies."""

    def __init__(self, mapping: MutableMapping[str, str], seed: str) -> None:
        self.mapping = mapping
        self._seed = seed
        self._made = 0

    def token(self, original: str) -> str:
        """The stand-in of an id-shaped ``original`` (made now if it has none yet)."""
        known = self.mapping.get(original)
        if known is None:
            if original in self.mapping.values():  # already a stand-in (a value replayed back to us)
                return original
            digest = hashlib.sha256(f"{self._seed}:token:{self._made}".encode()).digest()
            self._made += 1
            known = self.mapping[original] = _shaped(original, digest)
        return known

    def tokens_in(self, text: str) -> str:
        """``text`` with each id-shaped run replaced by its stand-in."""
        return TOKEN.sub(lambda m: self.token(m.group(0)) if is_token(m.group(0)) else m.group(0), text)

    def note(self, original: str, replacement: str) -> str:
        if original != replacement:
            self.mapping[original] = replacement
        return replacement

    def url(self, url: str) -> str:
        """``url`` with made-up parts of its path replaced, and its signing times fixed."""
        head, sep, query = url.partition("?")
        scheme, _, rest = head.partition("://")
        host, slash, path = rest.partition("/")
        if path:
            path = self.tokens_in(path)
        if query:  # a job id as a query value (BFL's ``get_result?id=``); signatures are redacted by now
            query = "&".join(self._query_part(part) for part in query.split("&"))
        out = f"{scheme}://{host}{slash}{path}{sep}{query}"
        if "Date=" in out or "date=" in out:
            out = _SIGNED_TIME.sub(lambda m: self.note(m.group(0), m.group(1) + FIXED_AMZ_DATE), out)
        if "Expires=" in out:
            out = _EXPIRES.sub(lambda m: self.note(m.group(0), m.group(1) + _FIXED_EPOCH), out)
        return out

    def _query_part(self, part: str) -> str:
        name, eq, value = part.partition("=")
        if not eq or name.lower() in _TIME_QUERY_KEYS or not is_token(value, mixed_case=False):
            return part
        return f"{name}={self.token(value)}"

    def text(self, value: str) -> str:
        """``value`` (reply text) with every URL in it made stable, and every original already replaced
        elsewhere in the cassette replaced alike."""
        if "://" in value:
            value = _URL.sub(lambda m: self.url(m.group(0)), value)
        return replace_known(value, self.mapping)


def replace_known(value: str, mapping: MutableMapping[str, str] | dict[str, str]) -> str:
    """``value`` with every original in ``mapping`` replaced by its stand-in (longest first, so a URL
    is replaced whole before a token inside it)."""
    hits = [original for original in mapping if original in value]
    for original in sorted(hits, key=len, reverse=True):
        value = value.replace(original, mapping[original])
    return value
