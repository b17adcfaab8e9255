"""HTTP bodies as bytes <-> the cassette's BODY dicts, and headers in the cassette's shape.

A BODY is exactly one of:

- ``{}``: empty;
- ``{"json": value}``: a JSON document (``application/json``, ``*/*+json``, or text that is a JSON
  object or array);
- ``{"sse": [EVENT, ...]}``: ``text/event-stream``; EVENT is ``{"event": str | None, "data": parsed JSON or
  the raw text, "offset_ms": float | None}`` plus ``"id"`` / ``"retry"`` only when the event had them;
- ``{"multipart": [PART, ...]}``: ``multipart/form-data``; PART is ``{"name", "value"}`` for a text field or
  ``{"name", "filename", "content_type", "file": {"base64": ...} | PLACEHOLDER}`` for a file;
- ``{"string": text}`` (other UTF-8), ``{"base64": ...}`` (other binary), ``{"image": {"base64": ...} |
  PLACEHOLDER}`` (a png/jpeg/webp/gif body).

PLACEHOLDER (``{"placeholder": facts}``, or ``{"placeholder": {"same_as": sha256}}`` for an image repeated in
the same body; see ``safety/trim.py``) stands where an image's base64 (or image data URL) was. Parsing never
fails on content: a body that claims to be JSON or multipart but is not falls back to ``string``/``base64``,
which round-trip byte for byte, so recording never loses what was sent.

Why hand-written pieces:

- SSE: the openai SDK's decoder (``openai._streaming.SSEDecoder``) is private and optional here, so the same
  WHATWG rules are restated: lines end at CR, LF or CRLF, a blank line ends an event, ``:`` lines are
  comments, ``data:`` lines join with ``\\n``, one space after the colon is dropped, a blank line
  dispatches when an event name, data, retry or an id (the last one seen, as in the SDK) is set, and an
  unterminated event at the end of the stream is dropped. Where the SDK and WHATWG differ, the SDK wins:
  replay must give the client the events it saw live.
- multipart: parsed with the stdlib ``email`` parser because python-multipart ships only in the emulator
  extra and ``email`` already handles quoted and RFC 2231 parameters; bodies are in memory anyway, so its
  non-streaming design costs nothing. Rendering is a few lines of framing with a fresh boundary derived
  from the content (deterministic, and checked not to occur in any part).
- content-encoding: the stdlib covers gzip and deflate; br needs the optional ``brotli`` package.
"""

from __future__ import annotations

import base64
import binascii
import email.parser
import email.policy
import email.utils
import gzip
import hashlib
import json
import re
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from email.message import Message
from typing import Any, Literal

__all__ = [
    "Body",
    "Headers",
    "decode_content",
    "get_header",
    "image_payload",
    "is_image_ref",
    "is_placeholder",
    "normalize_headers",
    "parse_body",
    "render_body",
    "render_sse_events",
    "sniff_image_format",
    "sse_event_offsets",
    "stored_headers",
]

Body = dict[str, Any]
Headers = dict[str, list[str]]

PLACEHOLDER_KEYS = frozenset({"format", "width", "height", "mode", "sha256", "bytes"})

_IMAGE_MIME = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp", "gif": "image/gif"}


# --------------------------------------------------------------------------------------------------- headers


def normalize_headers(headers: Mapping[str, str | Sequence[str]] | None) -> Headers:
    """Lower-case names, list values; several spellings of one name are merged in order."""
    out: Headers = {}
    for name, value in (headers or {}).items():
        values = [value] if isinstance(value, str) else [str(v) for v in value]
        out.setdefault(name.lower(), []).extend(values)
    return out


def get_header(headers: Mapping[str, str | Sequence[str]] | None, name: str) -> str | None:
    """The first value of a header (any case), or None."""
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            if isinstance(value, str):
                return value
            return value[0] if value else None
    return None


def _media_type(headers: Mapping[str, str | Sequence[str]] | None) -> tuple[str, dict[str, str]]:
    """The content-type's media type (lower case) and its parameters."""
    value = get_header(headers, "content-type")
    if not value:
        return "", {}
    if ";" not in value:  # no parameters (application/json): skip the email parser, replay calls this a lot
        return value.strip().lower(), {}
    msg = Message()
    msg["content-type"] = value
    params = {k.lower(): v for k, v in msg.get_params(failobj=[])[1:]}
    mtype = value.split(";", 1)[0].strip().lower()
    return mtype, {k: str(v) for k, v in params.items()}


# Request headers that are connection plumbing or SDK fingerprints: never matched, noise in a diff.
_UNSTORED_REQUEST = frozenset({"host", "connection", "accept-encoding"})
# Reply headers of the transport and the CDN that change on every call and mean nothing to a test:
# leaving them out keeps re-recordings diffable and cassettes small. What the SDK or a test reads
# (x-request-id, openai-*, x-ratelimit-*, retry-after, set-cookie names) is kept.
_UNSTORED_RESPONSE = frozenset(
    {
        "date",
        "server",
        "cf-ray",
        "cf-cache-status",
        "alt-svc",
        "strict-transport-security",
        "x-content-type-options",
        "x-envoy-upstream-service-time",
        "access-control-expose-headers",
        "connection",
        "keep-alive",
        "vary",
    }
)
_FRAMING = frozenset({"content-encoding", "content-length", "transfer-encoding"})


def _stored(name: str, side: Literal["request", "response"] | None) -> bool:
    if name in _FRAMING:
        return False
    if side == "request":
        if name.startswith("x-stainless-"):
            return name == "x-stainless-retry-count"  # says which request was a retry
        return name not in _UNSTORED_REQUEST
    return side is None or name not in _UNSTORED_RESPONSE


def stored_headers(
    headers: Mapping[str, str | Sequence[str]] | None, side: Literal["request", "response"] | None = None
) -> Headers:
    """Headers as a cassette stores them: normalized, without framing that rendering sets afresh.

    Drops ``content-encoding``, ``content-length`` and ``transfer-encoding`` (the stored body is decoded and
    ``render_body`` sets the length) and the multipart ``boundary`` parameter (random on every request,
    so it would make every recording differ; ``render_body`` makes a fresh one). With ``side``, also
    the request's connection plumbing and SDK fingerprints, or the reply's transport and CDN headers.
    """
    out = {k: list(v) for k, v in normalize_headers(headers).items() if _stored(k, side)}
    ctype = out.get("content-type")
    if ctype and ctype[0].split(";", 1)[0].strip().lower() == "multipart/form-data":
        out["content-type"] = ["multipart/form-data"]
    return out


# ------------------------------------------------------------------------------------------ content-encoding


def _decode_one(coding: str, data: bytes) -> bytes:
    if coding in ("identity", ""):
        return data
    if coding in ("gzip", "x-gzip"):
        try:
            return gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError(f"body claims content-encoding gzip but is not valid gzip data: {exc}") from exc
    if coding == "deflate":
        # RFC 9110 deflate is zlib-wrapped; some servers send raw deflate, which clients accept too.
        for wbits in (zlib.MAX_WBITS, -zlib.MAX_WBITS):
            try:
                obj = zlib.decompressobj(wbits)
                out = obj.decompress(data) + obj.flush()
            except zlib.error:
                continue
            if obj.eof:
                return out
        raise ValueError("body claims content-encoding deflate but is not valid deflate data")
    if coding == "br":
        try:
            import brotli  # type: ignore[import-not-found,unused-ignore]  # optional, untyped
        except ImportError:
            raise ValueError(
                "body has content-encoding br but the 'brotli' package is not installed; "
                "install it (pip install brotli) to record this service"
            ) from None
        try:
            return bytes(brotli.decompress(data))
        except Exception as exc:  # brotli raises its own brotli.error
            raise ValueError(f"body claims content-encoding br but is not valid brotli data: {exc}") from exc
    raise ValueError(f"unsupported content-encoding {coding!r} (known: gzip, deflate, br, identity)")


def decode_content(headers: Mapping[str, str | Sequence[str]] | None, raw: bytes) -> tuple[bytes, Headers]:
    """Undo ``content-encoding`` (stacked codings are undone last-applied first).

    Returns the decoded bytes and the normalized headers without ``content-encoding`` and
    ``content-length``. Raises ValueError if the bytes are not encoded as the header claims.
    """
    out = normalize_headers(headers)
    codings = [c.strip().lower() for v in out.pop("content-encoding", []) for c in v.split(",")]
    out.pop("content-length", None)
    data = bytes(raw)
    if data:
        for coding in reversed(codings):
            data = _decode_one(coding, data)
    return data, out


# -------------------------------------------------------------------------------------------------- sniffing


def sniff_image_format(raw: bytes) -> str | None:
    """``png``, ``jpeg``, ``webp`` or ``gif`` from the magic number, else None."""
    if raw.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if raw.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if raw.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if len(raw) >= 12 and raw[:4] == b"RIFF" and raw[8:12] == b"WEBP":
        return "webp"
    return None


# The first four base64 characters of each magic number ``sniff_image_format`` knows (png, jpeg, gif,
# RIFF): a string that starts otherwise is not a base64 image, and most strings fail this first test.
_B64_MAGIC_HEADS = frozenset({"iVBO", "/9j/", "R0lG", "UklG"})
# ``data:image/png;base64,``: the media type may carry parameters; the base64 marker ends the prefix.
_DATA_URL_PREFIX = re.compile(r"data:image/[A-Za-z0-9.+-]+(?:;[^,;]*=[^,;]*)*;base64,", re.IGNORECASE)


def image_payload(text: str) -> tuple[str, str] | None:
    """``(prefix, base64)`` when ``text`` looks like a base64 image, else None.

    ``prefix`` is ``""`` for bare base64 (``b64_json``, ``result``, ``partial_image_b64``) or the exact
    ``data:<mime>;base64,`` of a data URL (``input_image.image_url``). A head check only: the first
    characters must be a known magic number in base64, and the first 24 characters must decode to one;
    the rest is not decoded here. So it costs the same for a 3 MB image as for a short string, and
    redaction and the leak scan can call it on every string they see.
    """
    prefix = ""
    if text[:5].lower() == "data:":
        match = _DATA_URL_PREFIX.match(text, 0, 200)
        if match is None:
            return None
        prefix = match.group(0)
    if text[len(prefix) : len(prefix) + 4] not in _B64_MAGIC_HEADS:
        return None
    head = b64decode_strict(text[len(prefix) : len(prefix) + 24])
    if head is None or sniff_image_format(head) is None:
        return None
    return prefix, text[len(prefix) :]


def is_placeholder(value: Any) -> bool:
    """True for ``{"placeholder": {format, width, height, mode, sha256, bytes, ...}}``, and for an image
    reference ``{"placeholder": {"same_as": sha256}}`` (see ``is_image_ref``): both stand where an
    image's base64 was."""
    if not isinstance(value, dict) or len(value) != 1 or "placeholder" not in value:
        return False
    facts = value["placeholder"]
    return isinstance(facts, dict) and (facts.keys() >= PLACEHOLDER_KEYS or _is_ref_facts(facts))


def is_image_ref(value: Any) -> bool:
    """True for ``{"placeholder": {"same_as": sha256[, "prefix": ...]}}``: the same image as the
    placeholder with that sha256 earlier in the same body (a stream repeats its final image), stored once."""
    if not isinstance(value, dict) or len(value) != 1 or "placeholder" not in value:
        return False
    facts = value["placeholder"]
    return isinstance(facts, dict) and _is_ref_facts(facts)


def _is_ref_facts(facts: Mapping[str, Any]) -> bool:
    return isinstance(facts.get("same_as"), str) and facts.keys() <= {"same_as", "prefix"}


# ------------------------------------------------------------------------------------------------------- SSE


def _lines(raw: bytes) -> Iterator[tuple[bytes, int]]:
    """Each terminated line (without its CR, LF or CRLF) and the position just past its first end byte.

    ``bytes.splitlines`` splits on exactly those three (unlike ``str.splitlines``) and runs in C: a
    stream of full-size images is megabytes, and a regex scan of it cost tens of milliseconds.
    """
    pos = 0
    for piece in raw.splitlines(keepends=True):
        pos += len(piece)
        if piece.endswith(b"\r\n"):
            yield piece[:-2], pos - 1
        elif piece.endswith((b"\r", b"\n")):
            yield piece[:-1], pos
        # else: bytes after the last line end, an unterminated line (dropped by the caller's rules)


def _iter_sse(raw: bytes) -> Iterator[tuple[dict[str, Any], int]]:
    """Each dispatched event (without offset) and the byte position just past the line that ended it."""
    if raw.startswith(b"\xef\xbb\xbf"):  # WHATWG: one leading BOM is ignored
        raw = raw[3:]
    event: str | None = None
    data: list[str] = []
    ident: str | None = None
    last_id: str | None = None
    retry: int | None = None
    for raw_line, end in _lines(raw):
        # A CR that ends a line dispatches at once (the SDK's incremental decoder does not wait for an LF).
        line = raw_line.decode("utf-8", errors="replace")
        if not line:
            # The SDK's dispatch test: the last event id persists across events, so after any id line
            # every blank line dispatches (an empty event), and replay must produce the same events.
            if event is None and not data and last_id is None and retry is None:
                continue
            ev: dict[str, Any] = {"event": event, "data": _parse_sse_data("\n".join(data))}
            if ident is not None:
                ev["id"] = ident
            if retry is not None:
                ev["retry"] = retry
            yield ev, end
            event, data, ident, retry = None, [], None, None
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            event = value
        elif field == "data":
            data.append(value)
        elif field == "id":
            if "\0" not in value:
                ident = last_id = value
        elif field == "retry" and value.isascii() and value.isdigit():
            retry = int(value)
    # Bytes after the last line end form an unterminated event: dropped, as the SDK and WHATWG do.


def _parse_sse_data(text: str) -> Any:
    try:
        value = json.loads(text)
    except ValueError:
        return text
    # A JSON string literal stays raw text: rendering writes strings verbatim, so parsing would lose quotes.
    return text if isinstance(value, str) else value


def _parse_sse(raw: bytes, arrival_offsets_ms: Sequence[float | None] | None) -> Body:
    events = [ev for ev, _ in _iter_sse(raw)]
    offsets = list(arrival_offsets_ms or [])
    if len(offsets) > len(events):
        raise ValueError(f"{len(offsets)} arrival offsets given for {len(events)} SSE events")
    for i, ev in enumerate(events):
        offset = offsets[i] if i < len(offsets) else None
        # Insert offset_ms right after data so stored events read event, data, offset_ms, id, retry.
        rest: dict[str, Any] = {k: ev.pop(k) for k in ("id", "retry") if k in ev}
        ev["offset_ms"] = None if offset is None else float(offset)
        ev.update(rest)
    return {"sse": events}


def sse_event_offsets(chunks: Iterable[tuple[float, bytes]]) -> list[float]:
    """Arrival offset of each SSE event, from ``(offset_ms, chunk)`` pairs as they came off the wire.

    An event's offset is the offset of the chunk holding the line end that completed it. The result has
    one entry per event ``parse_body`` finds in the joined chunks, ready for ``arrival_offsets_ms``.
    """
    ends: list[tuple[int, float]] = []
    buf = bytearray()
    for offset, chunk in chunks:
        buf += chunk
        ends.append((len(buf), float(offset)))
    result: list[float] = []
    i = 0
    raw = bytes(buf)
    shift = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    for _, end in _iter_sse(raw):
        while i < len(ends) - 1 and ends[i][0] < end + shift:
            i += 1
        result.append(ends[i][1])
    return result


#: Marks where an image goes back into rendered JSON (see ``trim.expand_body(spliced=...)``).
SPLICE_MARK = "\ue000"


def _dumps(value: Any, spliced: Sequence[str] | None) -> str:
    """Compact JSON text of ``value``, its splice marks replaced by ``spliced`` texts (which need no
    escaping: base64 and data URLs). ValueError when the marks do not line up (a mark in the data)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if not spliced:
        return text
    pieces = text.split(SPLICE_MARK)
    if len(pieces) % 2 == 0:
        raise ValueError("unpaired splice mark")
    for n in range(1, len(pieces), 2):
        if not pieces[n].isdigit() or int(pieces[n]) >= len(spliced):
            raise ValueError("a splice mark that names no image")
        pieces[n] = spliced[int(pieces[n])]
    return "".join(pieces)


def _render_sse_event(ev: Mapping[str, Any], spliced: Sequence[str] | None = None) -> bytes:
    lines: list[str] = []
    if ev.get("event") is not None:
        lines.append(f"event: {ev['event']}")
    if "id" in ev:
        lines.append(f"id: {ev['id']}")
    if "retry" in ev:
        lines.append(f"retry: {int(ev['retry'])}")
    data = ev.get("data", "")
    if spliced is None and _contains_placeholder(data):
        raise ValueError("SSE event data still holds an image placeholder: call trim.expand_body first")
    text = data if isinstance(data, str) else _dumps(data, spliced)
    lines.extend(f"data: {part}" for part in re.split(r"\r\n|\r|\n", text))
    return ("\n".join(lines) + "\n\n").encode("utf-8")


def render_sse_events(body: Body, spliced: Sequence[str] | None = None) -> list[bytes]:
    """One framed chunk per event of an ``{"sse": [...]}`` body, for replay event by event (``spliced``:
    the images of a body expanded with splice marks, see ``trim.expand_body``)."""
    if "sse" not in body:
        raise ValueError(f"not an SSE body: {sorted(body)}")
    return [_render_sse_event(ev, spliced) for ev in body["sse"]]


# ------------------------------------------------------------------------------------------------- multipart


def _part_param(part: Message, name: str) -> str | None:
    value = part.get_param(name, header="content-disposition")
    if value is None:
        return None
    if isinstance(value, tuple):  # RFC 2231 (name*=utf-8''...): decoded with its declared charset
        return email.utils.collapse_rfc2231_value(value)
    # The body was read as latin-1 (one char per byte); RFC 7578 names are raw UTF-8.
    return value.encode("latin-1", errors="replace").decode("utf-8", errors="replace")


def _part_bytes(part: Message) -> bytes:
    if str(part.get("content-transfer-encoding", "")).lower() in ("base64", "quoted-printable"):
        payload = part.get_payload(decode=True)
        return payload if isinstance(payload, bytes) else b""
    text = part.get_payload()
    return text.encode("latin-1") if isinstance(text, str) else b""


def _parse_multipart(raw: bytes, boundary: str) -> Body | None:
    """The parts, or None when the bytes are not well-formed multipart (the caller keeps them raw)."""
    if not boundary or f"--{boundary}".encode("latin-1", errors="replace") not in raw:
        return None
    # Parsed as latin-1 text: every byte maps to one character and back, so binary parts survive intact.
    head = f'Content-Type: multipart/form-data; boundary="{boundary}"\r\n\r\n'
    msg = email.parser.Parser(policy=email.policy.compat32).parsestr(head + raw.decode("latin-1"))
    if msg.defects or not msg.is_multipart():
        return None
    parts: list[dict[str, Any]] = []
    for part in msg.get_payload():
        if not isinstance(part, Message) or part.defects:
            return None
        name = _part_param(part, "name")
        if name is None:
            return None
        filename = _part_param(part, "filename")
        content_type = part.get("content-type")
        data = _part_bytes(part)
        # A text field has neither filename nor content-type (as httpx and browsers send them); anything
        # else keeps its bytes and headers so rendering reproduces it.
        if filename is None and content_type is None:
            try:
                parts.append({"name": name, "value": data.decode("utf-8")})
                continue
            except UnicodeDecodeError:
                pass
        if content_type is not None:
            content_type = (
                str(content_type).encode("latin-1", errors="replace").decode("utf-8", errors="replace")
            )
        parts.append(
            {
                "name": name,
                "filename": filename,
                "content_type": content_type,
                "file": {"base64": base64.b64encode(data).decode("ascii")},
            }
        )
    return {"multipart": parts}


def _quote_param(value: str) -> str:
    # The WHATWG form-data escaping that httpx and browsers use.
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def _render_multipart(parts: Sequence[Mapping[str, Any]]) -> tuple[bytes, str]:
    chunks: list[tuple[bytes, bytes]] = []
    for part in parts:
        head = f'Content-Disposition: form-data; name="{_quote_param(part["name"])}"'
        if "value" in part:
            chunks.append((head.encode("utf-8"), str(part["value"]).encode("utf-8")))
            continue
        file = part["file"]
        if is_placeholder(file):
            raise ValueError(
                f"multipart part {part['name']!r} still holds an image placeholder: "
                "call trim.expand_body first"
            )
        if part.get("filename") is not None:
            head += f'; filename="{_quote_param(part["filename"])}"'
        if part.get("content_type") is not None:
            head += f"\r\nContent-Type: {part['content_type']}"
        chunks.append((head.encode("utf-8"), base64.b64decode(file["base64"])))
    digest = hashlib.sha256()
    for head_bytes, data in chunks:
        digest.update(head_bytes)
        digest.update(hashlib.sha256(data).digest())
    seed = digest.hexdigest()
    boundary = f"imagegen-{seed[:32]}"
    n = 0
    while any(boundary.encode() in h or boundary.encode() in d for h, d in chunks):
        n += 1  # vanishingly rare; derive another until none of the parts contains it
        boundary = f"imagegen-{hashlib.sha256(f'{seed}{n}'.encode()).hexdigest()[:32]}"
    delim = b"--" + boundary.encode("ascii")
    out = bytearray()
    for head_bytes, data in chunks:
        out += delim + b"\r\n" + head_bytes + b"\r\n\r\n" + data + b"\r\n"
    out += delim + b"--\r\n"
    return bytes(out), boundary


# -------------------------------------------------------------------------------------------- parse / render


def _is_json_media(mtype: str) -> bool:
    return mtype == "application/json" or mtype.endswith("+json")


def _text_or_binary(raw: bytes, mtype: str) -> Body:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(raw).decode("ascii")}
    if mtype in ("", "text/plain") or mtype.startswith("text/"):
        stripped = text.lstrip()
        if stripped.startswith(("{", "[")):
            try:
                return {"json": json.loads(text)}
            except ValueError:
                pass
    return {"string": text}


def parse_body(
    headers: Mapping[str, str | Sequence[str]] | None,
    raw: bytes,
    *,
    arrival_offsets_ms: Sequence[float | None] | None = None,
) -> Body:
    """The BODY dict for decoded bytes, chosen by content-type (and by magic number for images).

    ``arrival_offsets_ms`` gives each SSE event's arrival offset (see ``sse_event_offsets``).
    """
    raw = bytes(raw)
    if not raw:
        return {}
    mtype, params = _media_type(headers)
    if mtype == "text/event-stream":
        return _parse_sse(raw, arrival_offsets_ms)
    if mtype == "multipart/form-data":
        parsed = _parse_multipart(raw, params.get("boundary", ""))
        if parsed is not None:
            return parsed
        return _text_or_binary(raw, "application/octet-stream")
    if _is_json_media(mtype):
        try:
            return {"json": json.loads(raw)}
        except ValueError:
            return _text_or_binary(raw, mtype)
    if sniff_image_format(raw) is not None and (mtype.startswith("image/") or not mtype.startswith("text/")):
        return {"image": {"base64": base64.b64encode(raw).decode("ascii")}}
    if mtype.startswith(("image/", "audio/", "video/")) or mtype == "application/octet-stream":
        return {"base64": base64.b64encode(raw).decode("ascii")}
    return _text_or_binary(raw, mtype)


def _contains_placeholder(value: Any) -> bool:
    if is_placeholder(value):
        return True
    if isinstance(value, dict):
        return any(_contains_placeholder(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_placeholder(v) for v in value)
    return False


def render_body(
    body: Body, headers: Mapping[str, str | Sequence[str]] | None, *, spliced: Sequence[str] | None = None
) -> tuple[bytes, Headers]:
    """Bytes a client can consume, and headers with content-type and content-length to match.

    JSON is compact, SSE is framed ``event: X\\ndata: <json>\\n\\n``, multipart gets a fresh boundary.
    Placeholders must have been expanded (``trim.expand_body``); one left in raises ValueError.
    ``spliced``: the images of a body expanded with splice marks.
    """
    out = normalize_headers(headers)
    for name in ("content-encoding", "content-length", "transfer-encoding"):
        out.pop(name, None)
    ctype: str | None = None
    if not body:
        data = b""
    elif "json" in body:
        if spliced is None and _contains_placeholder(body["json"]):
            raise ValueError("JSON body still holds an image placeholder: call trim.expand_body first")
        data = _dumps(body["json"], spliced).encode("utf-8")
        ctype = "application/json"
    elif "sse" in body:
        data = b"".join(render_sse_events(body, spliced))
        ctype = "text/event-stream"
    elif "multipart" in body:
        data, boundary = _render_multipart(body["multipart"])
        out["content-type"] = [f"multipart/form-data; boundary={boundary}"]
    elif "string" in body:
        data = str(body["string"]).encode("utf-8")
        ctype = "text/plain; charset=utf-8"
    elif "base64" in body:
        data = base64.b64decode(body["base64"])
        ctype = "application/octet-stream"
    elif "image" in body:
        if is_placeholder(body["image"]):
            raise ValueError("image body is still a placeholder: call trim.expand_body first")
        data = base64.b64decode(body["image"]["base64"])
        ctype = _IMAGE_MIME.get(sniff_image_format(data) or "", "application/octet-stream")
    else:
        raise ValueError(f"unknown body kind {sorted(body)}")
    if ctype is not None and "content-type" not in out:
        out["content-type"] = [ctype]
    out["content-length"] = [str(len(data))]
    return data, out


def b64decode_strict(text: str) -> bytes | None:
    """Standard base64 (padding required, no whitespace), or None."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
