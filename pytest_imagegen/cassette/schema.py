"""The shape of a parsed cassette document, checked field by field before anything uses it.

A cassette is read from a file anyone can edit, truncate or plant, so every value in it is checked for
the type and range the rest of the plugin relies on, and a wrong one is a ``CassetteError`` that names
the file, the interaction and the field (``interaction 3: response.status.code: expected an integer
from 100 to 599, got 'abc'``), never a ``TypeError`` from deep inside replay, and never a file that
quietly replays as something it is not.

What is checked (``check_document``), whatever format the document was read from (YAML version 1,
JSON version 2):

- the document: a mapping with an integer ``version``, an ``interactions`` list and, optionally,
  ``meta`` / ``index`` mappings (their contents belong to the format's owner and are only required to
  be plain data); every key a string, every value plain data (mapping, list, string, integer, float,
  boolean, null) no deeper than ``MAX_DEPTH``, no string with half a surrogate pair, no text longer than
  ``MAX_TEXT`` unless it is base64 data;
- each interaction: a ``request`` with a ``method`` (an HTTP token), a ``uri`` (a URL a client could
  have sent: no spaces or control characters, a valid port), optional ``headers`` and a ``body``; a
  ``response`` with a ``status`` (``code`` an integer in 100..599, ``message`` text), optional
  ``headers`` and a ``body``. ``body`` is required on both sides: every recorder writes it (``{}`` when
  empty), and a file cut short before it must not replay as "HTTP 200 with an empty body";
- headers: a mapping of name to text or a list of texts, without line breaks; reply headers, which a
  client receives again on replay, also plain ASCII with token names (HTTP libraries refuse others);
- a body: empty, or exactly one of ``json`` (any plain data), ``sse`` (events with ``data``, an
  ``event`` and ``id`` without line breaks, a ``retry`` and an ``offset_ms`` that are sane numbers: at
  most ``MAX_OFFSET_MS``, the longest replay_timing="recorded" will wait),
  ``multipart`` (parts with a ``name`` and either a text ``value`` or a ``file``), ``string``,
  ``base64`` (valid base64) or ``image``;
- placeholders, wherever one stands (``{"placeholder": FACTS}``): a known format, a mode that format
  can be written in, width and height from 1 to ``MAX_SIDE``, at most ``MAX_PIXELS`` pixels over all
  frames (replay synthesizes the image), a sha256, a byte count.

Unknown keys beside the known ones are allowed (a newer writer may add fields), as plain data.

Pure: documents in, interactions or ``CassetteError`` out.
"""

from __future__ import annotations

import json
import math
import re
import urllib.parse
from collections.abc import Iterator, Mapping
from typing import Any, Final

from pytest_imagegen.errors import CassetteError
from pytest_imagegen.wire.kinds import kind_of
from pytest_imagegen.wire.payloads import b64decode_strict

__all__ = ["MAX_DEPTH", "MAX_OFFSET_MS", "check_document", "check_interaction"]

MAX_DEPTH = 64  # a stored reply is about 15 deep; recursion anywhere downstream stays far from its limit
MAX_SIDE = 16384
MAX_PIXELS = 50_000_000  # width x height x frames of one placeholder: a synthesized image must stay cheap
MAX_FRAMES = 1000
#: The latest a stream event may arrive, in ms from the request: replay_timing="recorded" waits that long,
#: and no image stream takes ten minutes.
MAX_OFFSET_MS = 600_000
#: The longest text one value may hold, unless it is base64 data (an image kept whole, a data URL): a
#: prompt is at most tens of thousands of characters, and every reader (the leak scan above all) does
#: work in proportion to the text.
MAX_TEXT = 2 * 1024 * 1024

BODY_KINDS = ("json", "sse", "multipart", "string", "base64", "image")
_FORMATS = frozenset({"png", "jpeg", "webp", "gif"})
# Modes Pillow reads from these formats, and that trim.placeholder_image can write back (checked for each
# format); JPEG has no alpha and no frames.
_MODES = frozenset(
    {"1", "L", "LA", "La", "P", "PA", "RGB", "RGBA", "RGBa", "RGBX", "CMYK", "YCbCr", "LAB", "HSV", "I", "F"}
    | {"I;16", "I;16B", "I;16L", "I;16N"}
)
_JPEG_MODES = _MODES - {"LA", "La", "PA", "RGBA", "RGBa"}
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_LINE_BREAK = re.compile(r"[\r\n\0]")
_ASCII_VALUE = re.compile(r"[\t\x20-\x7e]*")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_BASE64_DATA = re.compile(r"(?:data:[^,\s]{1,200},)?[A-Za-z0-9+/_-]*={0,2}")
_DATA_URL_PREFIX = re.compile(r"data:image/[A-Za-z0-9.+-]+(?:;[^,;]*=[^,;]*)*;base64,", re.IGNORECASE)


class _Bad(Exception):
    """A wrong value at ``where``; turned into a CassetteError with the file and interaction."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where, self.problem = where, problem


_KINDS: Final = ("null", "a boolean", "an integer", "a number", "text", "a list", "a mapping", "a bytes")


def _kind(value: Any) -> str:
    return kind_of(value, _KINDS, other="a {}")  # other: what YAML makes of dates, !!binary, !!set ...


def _shown(value: Any) -> str:
    """A short view of a wrong value (masked by CassetteError if it looks like a secret)."""
    if isinstance(value, str | int | float | bool) or value is None:
        text = json.dumps(value, ensure_ascii=False)
        return text if len(text) <= 40 else text[:37] + "..."
    return _kind(value)


def _step(where: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{where}[{key}]"
    text = str(key)
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]{0,40}", text):
        return f"{where}[{text!r}]"
    return f"{where}.{text}" if where else text


# ------------------------------------------------------------------------------------------ plain data


Trail = tuple[Any, ...] | None  # (key, parent trail): a path built only when it is reported


def _path(trail: Trail, where: str) -> str:
    keys: list[Any] = []
    while trail is not None:
        key, trail = trail
        keys.append(key)
    for key in reversed(keys):
        where = _step(where, key)
    return where


def _check_plain(value: Any, where: str, found: list[tuple[Trail, dict[str, Any]]] | None = None) -> None:
    """JSON-like data only, no deeper than MAX_DEPTH, and every placeholder in it well-formed.

    An explicit stack, not recursion: a hostile document may be deep enough to exhaust Python's
    recursion before this check could refuse it. Paths are built only for the one value reported, and
    ASCII text (nearly all of it) skips the surrogate search: this runs on every cassette load.
    Placeholders met on the way are appended to ``found`` with their trail.
    """
    stack: list[tuple[Any, int, Trail]] = [(value, 0, None)]
    pop, push = stack.pop, stack.append
    while stack:
        item, depth, trail = pop()
        kind = type(item)
        if kind is str:
            if len(item) > MAX_TEXT and not _BASE64_DATA.fullmatch(item):
                raise _Bad(
                    _path(trail, where),
                    f"is text of {len(item):,} characters; a value may hold at most {MAX_TEXT:,} unless it "
                    "is base64 data (an image kept whole)",
                )
            if not item.isascii() and _SURROGATE.search(item):
                raise _Bad(_path(trail, where), "holds half of a UTF-16 surrogate pair, which is not text")
        elif kind is dict:
            if depth >= MAX_DEPTH:
                raise _Bad(_path(trail, where), f"nested more than {MAX_DEPTH} levels deep")
            if len(item) == 1 and type(item.get("placeholder")) is dict:
                facts = item["placeholder"]
                _check_placeholder(facts, _path(("placeholder", trail), where), allow_ref=True)
                if found is not None:
                    found.append((trail, facts))
            for key, sub in item.items():
                if type(key) is not str:
                    raise _Bad(
                        _path(trail, where), f"has a key that is {_kind(key)} ({_shown(key)}), not text"
                    )
                if not key.isascii() and _SURROGATE.search(key):
                    raise _Bad(_path(trail, where), "has a key with half of a UTF-16 surrogate pair")
                push((sub, depth + 1, (key, trail)))
        elif kind is list:
            if depth >= MAX_DEPTH:
                raise _Bad(_path(trail, where), f"nested more than {MAX_DEPTH} levels deep")
            for i, sub in enumerate(item):
                push((sub, depth + 1, (i, trail)))
        elif item is None or kind is bool or kind is int or kind is float:
            continue
        else:
            raise _Bad(
                _path(trail, where), f"is {_kind(item)}, which a cassette cannot hold (only JSON-like data)"
            )


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _Bad(where, f"expected a mapping, got {_shown(value)}")
    return value


def _text(value: Any, where: str, *, line: bool = False, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str):
        raise _Bad(where, f"expected text, got {_shown(value)}")
    if line and _LINE_BREAK.search(value):
        raise _Bad(where, "holds a line break or NUL character")


def _integer(value: Any, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _Bad(where, f"expected an integer from {low} to {high}, got {_shown(value)}")
    return value


# ----------------------------------------------------------------------------------------- placeholders


def _check_placeholder(facts: Any, where: str, *, allow_ref: bool = False) -> None:
    facts = _mapping(facts, where)
    if "prefix" in facts:
        prefix = facts["prefix"]
        if not isinstance(prefix, str) or not _DATA_URL_PREFIX.fullmatch(prefix):
            raise _Bad(
                f"{where}.prefix",
                f"expected a data URL prefix such as data:image/png;base64, got {_shown(prefix)}",
            )
    if "same_as" in facts:
        # A reference to the same image stored earlier in the body (see safety/trim.py): only where JSON
        # can hold one.
        if not allow_ref:
            raise _Bad(where, "an image reference (same_as) cannot stand for an uploaded file")
        if set(facts) - {"same_as", "prefix"}:
            raise _Bad(
                where, f"an image reference holds only same_as and prefix, got {', '.join(map(str, facts))}"
            )
        if not isinstance(facts["same_as"], str) or not _SHA256.fullmatch(facts["same_as"]):
            raise _Bad(
                f"{where}.same_as", f"expected 64 lower-case hex digits, got {_shown(facts['same_as'])}"
            )
        return
    fmt = facts.get("format")
    if not isinstance(fmt, str) or fmt not in _FORMATS:
        raise _Bad(f"{where}.format", f"expected one of {', '.join(sorted(_FORMATS))}, got {_shown(fmt)}")
    width = _integer(facts.get("width"), f"{where}.width", 1, MAX_SIDE)
    height = _integer(facts.get("height"), f"{where}.height", 1, MAX_SIDE)
    frames = _integer(facts.get("frames", 1), f"{where}.frames", 1, 1 if fmt == "jpeg" else MAX_FRAMES)
    modes = _JPEG_MODES if fmt == "jpeg" else _MODES
    mode = facts.get("mode")
    if not isinstance(mode, str) or mode not in modes:
        raise _Bad(f"{where}.mode", f"{_shown(mode)} is not an image mode a {fmt} image can have")
    if width * height * frames > MAX_PIXELS:
        raise _Bad(where, f"{width}x{height} x {frames} frame(s) is more than {MAX_PIXELS:,} pixels")
    sha = facts.get("sha256")
    if not isinstance(sha, str) or not _SHA256.fullmatch(sha):
        raise _Bad(f"{where}.sha256", f"expected 64 lower-case hex digits, got {_shown(sha)}")
    _integer(facts.get("bytes"), f"{where}.bytes", 0, 2**40)


def _check_file(file: Any, where: str) -> None:
    file = _mapping(file, where)
    if "placeholder" in file:
        _check_placeholder(file["placeholder"], f"{where}.placeholder")
    elif isinstance(file.get("base64"), str):
        if b64decode_strict(file["base64"]) is None:
            raise _Bad(f"{where}.base64", "is not valid base64")
    else:
        raise _Bad(where, "expected {base64: ...} or {placeholder: ...}")


# ------------------------------------------------------------------------------------------- the parts


def _check_headers(headers: Any, where: str, *, replayed: bool) -> None:
    for name, values in _mapping(headers, where).items():
        at = _step(where, name)
        if replayed and not _TOKEN.fullmatch(name):
            raise _Bad(at, "is not a valid HTTP header name")
        items = [values] if isinstance(values, str) else values
        if not isinstance(items, list):
            raise _Bad(at, f"expected text or a list of texts, got {_shown(values)}")
        for i, value in enumerate(items):
            spot = at if isinstance(values, str) else f"{at}[{i}]"
            _text(value, spot, line=True)
            if replayed and not _ASCII_VALUE.fullmatch(value):
                raise _Bad(spot, "holds characters an HTTP client cannot receive (only printable ASCII)")


def _mappings(values: Any, where: str, what: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Each element of the list ``values`` (of ``what``) with its place; each must be a mapping."""
    if not isinstance(values, list):
        raise _Bad(where, f"expected a list of {what}, got {_shown(values)}")
    for i, value in enumerate(values):
        at = f"{where}[{i}]"
        yield at, _mapping(value, at)


def _check_sse(events: Any, where: str) -> None:
    for at, event in _mappings(events, where, "events"):
        if "data" not in event:
            raise _Bad(at, "has no data (every stored event has one: the file may be cut short)")
        _text(event.get("event"), f"{at}.event", line=True, optional=True)
        if "id" in event:
            _text(event["id"], f"{at}.id", line=True)
        if "retry" in event:
            _integer(event["retry"], f"{at}.retry", 0, 2**31)
        offset = event.get("offset_ms")
        if offset is not None and (
            isinstance(offset, bool)
            or not isinstance(offset, int | float)
            or not math.isfinite(offset)
            or not 0 <= offset <= MAX_OFFSET_MS
        ):
            raise _Bad(
                f"{at}.offset_ms",
                f"expected milliseconds from 0 to {MAX_OFFSET_MS} (ten minutes) or null, got {_shown(offset)}",
            )


def _check_multipart(parts: Any, where: str) -> None:
    for at, part in _mappings(parts, where, "parts"):
        _text(part.get("name"), f"{at}.name")
        if ("value" in part) == ("file" in part):
            raise _Bad(at, "expected exactly one of value (a text field) or file (an upload)")
        if "value" in part:
            _text(part["value"], f"{at}.value")
        else:
            _check_file(part["file"], f"{at}.file")
            _text(part.get("filename"), f"{at}.filename", optional=True)
            _text(part.get("content_type"), f"{at}.content_type", line=True, optional=True)


def _check_body(body: Any, where: str) -> None:
    body = _mapping(body, where)
    kinds = [k for k in body if k in BODY_KINDS]
    if len(body) != len(kinds) or len(kinds) > 1:
        raise _Bad(
            where,
            f"expected exactly one of {', '.join(BODY_KINDS)} (or nothing), got {', '.join(map(str, body))}",
        )
    if not kinds:
        return
    kind = kinds[0]
    value, at = body[kind], f"{where}.{kind}"
    if kind == "json":
        return  # plain data, placeholders included, was checked with the whole interaction
    if kind == "sse":
        _check_sse(value, at)
    elif kind == "multipart":
        _check_multipart(value, at)
    elif kind == "string":
        _text(value, at)
    elif kind == "base64":
        _text(value, at)
        if b64decode_strict(value) is None:
            raise _Bad(at, "is not valid base64")
    else:
        _check_file(value, at)


def _check_uri(uri: Any, where: str) -> None:
    _text(uri, where)
    if not uri or re.search(r"[\x00-\x20\x7f]", uri):
        raise _Bad(where, "is empty or holds spaces or control characters, which no client sends")
    try:
        parts = urllib.parse.urlsplit(uri)
        if parts.netloc:
            _ = parts.port
    except ValueError as exc:
        raise _Bad(where, f"is not a valid URL ({exc})") from None


def _check_request(request: Any, where: str) -> None:
    request = _mapping(request, where)
    method = request.get("method")
    if not isinstance(method, str) or not _TOKEN.fullmatch(method) or len(method) > 32:
        raise _Bad(f"{where}.method", f"expected an HTTP method such as POST, got {_shown(method)}")
    if "uri" not in request:
        raise _Bad(where, "has no uri")
    _check_uri(request["uri"], f"{where}.uri")
    if "headers" in request:
        _check_headers(request["headers"], f"{where}.headers", replayed=False)
    if "body" not in request:
        raise _Bad(where, "has no body (every recorder writes one: the file may be cut short)")
    _check_body(request["body"], f"{where}.body")


def _check_response(response: Any, where: str) -> None:
    response = _mapping(response, where)
    if "status" not in response:
        raise _Bad(where, "has no status")
    status = _mapping(response["status"], f"{where}.status")
    _integer(status.get("code"), f"{where}.status.code", 100, 599)
    _text(status.get("message"), f"{where}.status.message", line=True, optional=True)
    if "headers" in response:
        _check_headers(response["headers"], f"{where}.headers", replayed=True)
    if "body" not in response:
        raise _Bad(where, "has no body (every recorder writes one: the file may be cut short)")
    _check_body(response["body"], f"{where}.body")


def _root(trail: Trail) -> tuple[Any, ...]:
    keys: list[Any] = []
    while trail is not None:
        key, trail = trail
        keys.append(key)
    return tuple(reversed(keys))


def _check_references(placeholders: list[tuple[Trail, dict[str, Any]]]) -> None:
    """Each image reference names a full placeholder of its own body (replay resolves it there)."""
    if not any("same_as" in facts for _, facts in placeholders):
        return
    held: dict[tuple[Any, ...], set[str]] = {}
    for trail, facts in placeholders:
        if "same_as" not in facts:
            held.setdefault(_root(trail)[:3], set()).add(facts["sha256"])
    for trail, facts in placeholders:
        body = _root(trail)[:3]  # (side, "body", kind)
        if "same_as" in facts and facts["same_as"] not in held.get(body, set()):
            raise _Bad(
                _path(("same_as", ("placeholder", trail)), ""),
                "refers to an image no placeholder of this body holds",
            )


# ---------------------------------------------------------------------------------------------- public


def check_interaction(interaction: Any, index: int, path: str) -> None:
    """Raise ``CassetteError`` (naming ``path``, ``index`` and the field) unless ``interaction`` is a
    well-formed stored interaction."""
    try:
        placeholders: list[tuple[Trail, dict[str, Any]]] = []
        _check_plain(interaction, "", placeholders)
        pair = _mapping(interaction, "")
        for side in ("request", "response"):
            if side not in pair:
                raise _Bad("", f"has no {side}")
        _check_request(pair["request"], "request")
        _check_response(pair["response"], "response")
        _check_references(placeholders)
    except _Bad as bad:
        where = f"{bad.where}: " if bad.where else ""
        raise CassetteError(path, f"interaction {index}: {where}{bad.problem}") from None


def check_document(document: Any, path: str, *, interactions: bool = True) -> list[dict[str, Any]]:
    """The interactions of a parsed cassette document, every field checked; ``CassetteError`` naming the
    file, the interaction and the field otherwise. The document's ``version`` value is the caller's to
    judge; here it must only be an integer. ``interactions=False`` checks the document around them only
    (for a caller that checks each interaction itself, after telling a foreign format apart)."""
    try:
        top = _mapping(document, "the document")
        version = top.get("version")
        if isinstance(version, bool) or not isinstance(version, int):
            raise _Bad("version", f"expected an integer, got {_shown(version)}")
        for name in ("meta", "index"):
            if name in top:
                _mapping(top[name], name)
        for key, value in top.items():
            if key != "interactions":
                _check_plain(value, str(key))
        listed = top.get("interactions")
        if not isinstance(listed, list):
            raise _Bad("interactions", f"expected a list, got {_shown(listed)}")
    except _Bad as bad:
        raise CassetteError(path, f"not a cassette: {bad.where}: {bad.problem}") from None
    if interactions:
        for index, interaction in enumerate(listed):
            check_interaction(interaction, index, path)
    return listed
