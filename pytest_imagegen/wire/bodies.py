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

The pieces: SSE (``sse.py``), multipart (``multipart.py``), base64 images and placeholders (``payloads.py``);
here, headers in the cassette's shape, content-encoding (the stdlib covers gzip and deflate; br needs the
optional ``brotli`` package), and the choice of kind by content-type.
"""

from __future__ import annotations

import base64
import gzip
import zlib
from collections.abc import Mapping, Sequence
from email.message import Message
from typing import Any, Literal

from pytest_imagegen.wire import json_text
from pytest_imagegen.wire.multipart import parse_multipart, render_multipart
from pytest_imagegen.wire.payloads import (
    IMAGE_MIME,
    contains_placeholder,
    dumps_spliced,
    is_placeholder,
    sniff_image_format,
)
from pytest_imagegen.wire.sse import parse_sse, render_sse_events

__all__ = ["Body", "Headers", "decode_content", "get_header", "parse_body", "render_body", "stored_headers"]

Body = dict[str, Any]
Headers = dict[str, list[str]]

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
_UNSTORED_REQUEST = frozenset(
    # botocore: the signing time and a random id per call (the signature itself is redacted).
    {"host", "connection", "accept-encoding", "x-amz-date", "amz-sdk-invocation-id"}
)
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
                return {"json": json_text.loads(text)}
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
        return parse_sse(raw, arrival_offsets_ms)
    if mtype == "multipart/form-data":
        parsed = parse_multipart(raw, params.get("boundary", ""))
        if parsed is not None:
            return parsed
        return _text_or_binary(raw, "application/octet-stream")
    if _is_json_media(mtype):
        try:
            return {"json": json_text.loads(raw)}
        except ValueError:
            return _text_or_binary(raw, mtype)
    if sniff_image_format(raw) is not None and (mtype.startswith("image/") or not mtype.startswith("text/")):
        return {"image": {"base64": base64.b64encode(raw).decode("ascii")}}
    if mtype.startswith(("image/", "audio/", "video/")) or mtype == "application/octet-stream":
        return {"base64": base64.b64encode(raw).decode("ascii")}
    return _text_or_binary(raw, mtype)


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
        if spliced is None and contains_placeholder(body["json"]):
            raise ValueError("JSON body still holds an image placeholder: call trim.expand_body first")
        data = dumps_spliced(body["json"], spliced).encode("utf-8")
        ctype = "application/json"
    elif "sse" in body:
        data = b"".join(render_sse_events(body, spliced))
        ctype = "text/event-stream"
    elif "multipart" in body:
        data, boundary = render_multipart(body["multipart"])
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
        ctype = IMAGE_MIME.get(sniff_image_format(data) or "", "application/octet-stream")
    else:
        raise ValueError(f"unknown body kind {sorted(body)}")
    if ctype is not None and "content-type" not in out:
        out["content-type"] = [ctype]
    out["content-length"] = [str(len(data))]
    return data, out
