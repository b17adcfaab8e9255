"""A reply as snapshot text: one line per JSON path, volatile values and image bytes shown as what they
are, secrets redacted (``redaction.py``); and which paths a changed snapshot changed.

The rules of what is kept out, and why, are the package docstring's.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Protocol, cast

from pydantic import BaseModel
from syrupy.types import PropertyFilter, PropertyMatcher, PropertyPath

from pytest_imagegen.contract import registry
from pytest_imagegen.contract.shape import ApiShape
from pytest_imagegen.errors import ImagegenAPIError
from pytest_imagegen.safety.redact_text import redact_text
from pytest_imagegen.safety.trim import image_facts
from pytest_imagegen.snapshot.redaction import current, leak_check, redacted
from pytest_imagegen.wire.payloads import image_payload, is_image_ref, is_placeholder

__all__ = ["VOLATILE_KEYS", "change_summary", "snapshot_text", "to_json"]

#: Keys whose values change on every call; the snapshot shows only that they are there.
VOLATILE_KEYS = {
    "created": "<created>",
    "created_at": "<created>",
    "completed_at": "<completed>",
    "expires_at": "<expires>",
}
_REQUEST_ID_KEYS = frozenset({"request_id", "x-request-id"})
_REQUEST_ID = re.compile(r"\breq_[A-Za-z0-9]{8,}\b")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# One entry line of the snapshot text: a path of .name / [index] / ["key"] steps, then ": value".
_ENTRY = re.compile(r'  ((?:\.?[A-Za-z_][A-Za-z0-9_]*|\[\d+\]|\["(?:[^"\\]|\\.)*"\])+): (.*)')
_SUMMARY_LIMIT = 12
#: Names of image fields found by content instead (``_image_keys``): they hold other values elsewhere (an
#: https image URL, the Images API's ``data`` list).
_CONTENT_FOUND = frozenset({"image_url", "url", "data"})


def _image_keys() -> frozenset[str]:
    """Keys that hold base64 images in some API shape (``b64_json``, ``result``, ``partial_image_b64``):
    shown as facts, or as what they are when they are not images (an SVG). Data URL fields (``image_url``,
    a chat image's ``url``) and Gemini's ``inlineData.data`` are found by content."""
    return frozenset(f[-1] for shape in registry.shapes() for f in shape.image_fields) - _CONTENT_FOUND


def to_json(value: Any) -> Any:
    """A pydantic model (this plugin's or the openai SDK's) as the JSON it was read from."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_unset=True)
    return value


class _StatusError(Protocol):
    status_code: int


def _error_document(exc: BaseException) -> tuple[int, dict[str, Any]]:
    """The status and a JSON view of a non-2xx reply's error."""
    if isinstance(exc, ImagegenAPIError):
        status, body, request_id = exc.status, exc.body, exc.request_id
        fallback = {"message": exc.message, "type": exc.type, "param": exc.param, "code": exc.code}
    else:  # the openai SDK's APIStatusError (duck-typed: the SDK is an optional extra)
        sdk_error = cast(_StatusError, exc)
        status, body = int(sdk_error.status_code), getattr(sdk_error, "body", None)
        request_id = getattr(sdk_error, "request_id", None)
        fallback = {"message": str(exc)}
    body = to_json(body)
    if isinstance(body, Mapping) and "error" in body:
        document: dict[str, Any] = dict(body)
    elif isinstance(body, Mapping):
        document = {"error": dict(body)}  # the openai SDK keeps only the inner error object in some versions
    else:
        document = {"error": fallback}
    if request_id is not None:
        document["request_id"] = request_id
    return status, document


def _describe(data: Any) -> tuple[str, Any]:
    """The snapshot's heading and the JSON to flatten, for each kind of reply a test may hold."""
    if isinstance(data, ImagegenAPIError) or (
        isinstance(data, BaseException) and isinstance(getattr(data, "status_code", None), int)
    ):
        status, document = _error_document(data)
        return f"error reply (HTTP {status})", document
    data = to_json(data)
    if isinstance(data, Mapping):
        shape = _claiming(data)
        if shape is None and "error" in data:
            return "error reply", data
        return (shape or registry.default_shape()).reply_heading, data
    if isinstance(data, str | bytes | bytearray) or not isinstance(data, Iterable):
        raise TypeError(
            "imagegen_snapshot takes a reply of an API shape: an ImagesResponse (or a Responses, chat or Gemini "
            "reply), its JSON mapping, a list of stream events or an ImagegenAPIError; got "
            f"{type(data).__name__}. "
            "Use syrupy's plain `snapshot` fixture for other values."
        )
    events = [to_json(event) for event in data]
    kind = (_claiming(events) or registry.default_shape()).stream_heading
    return f"{kind} ({len(events)} event{'s' if len(events) != 1 else ''})", events


def _claiming(reply: Any) -> ApiShape[Any] | None:
    """The API shape that claims a reply (or a list of events) as its own (``ApiShape.is_reply``)."""
    return next((shape for shape in registry.shapes() if shape.is_reply(reply)), None)


# ------------------------------------------------------------------------------------------- rendering


def _image_text(value: Any) -> str:
    """What an image payload is, in words that stay the same between recording and replay."""
    if is_image_ref(value):
        return "<image, the same as an earlier one>"
    if is_placeholder(value):
        return _facts_text(value["placeholder"])
    if not isinstance(value, str):
        return _scalar_text(value)
    split = image_payload(value)
    if split is not None and split[0]:  # a data URL: what it declares, and what its bytes are
        facts = _data_url_facts(split[1])
        return _facts_text({**facts, "prefix": split[0]}) if facts else f"<not an image: {split[0]}...>"
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return f"<not base64: {len(value)} chars>"
    try:
        return _facts_text(image_facts(raw))
    except ValueError:
        pass
    head = raw[:256].lstrip()
    if head.startswith((b"<svg", b"<?xml")):
        return f"<svg {len(raw)} bytes>"
    return f"<{len(raw)} bytes, not an image>"


def _data_url_facts(b64: str) -> dict[str, Any] | None:
    try:
        return image_facts(base64.b64decode(b64, validate=True))
    except (binascii.Error, ValueError):
        return None


def _facts_text(facts: Mapping[str, Any]) -> str:
    frames = int(facts.get("frames", 1))
    animated = f", {frames} frames" if frames > 1 else ""
    # A data URL's declared type is shown too: it may disagree with the real format.
    declared = str(facts.get("prefix", "")).split(";", 1)[0]
    url = f", {declared}" if declared else ""
    return f"<image {facts['format']} {facts['width']}x{facts['height']} {facts['mode']}{animated}{url}>"


def _url_text(value: str) -> str:
    parts = urllib.parse.urlsplit(value)
    suffix = parts.path.rsplit("/", 1)[-1]
    ext = suffix.rsplit(".", 1)[-1].lower() if "." in suffix else ""
    return f"<image url on {parts.hostname or '?'}" + (f", .{ext}>" if ext else ">")


def _scalar_text(value: Any) -> str:
    if isinstance(value, str):
        value = _REQUEST_ID.sub("<request id>", value)
    if value is None or isinstance(value, str | int | float | bool):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)  # what a user's matcher returned (syrupy's Repr, a type name, ...)


def _step(key: Any) -> str:
    if isinstance(key, int):
        return f"[{key}]"
    text = str(key)
    return f".{text}" if _IDENT.fullmatch(text) else f"[{json.dumps(text, ensure_ascii=False)}]"


class _Flattener:
    """Walks the reply's JSON the way syrupy's Amber serializer does (so ``exclude``/``include``/``matcher``
    see the same props and paths) and emits ``(path, text)`` for every leaf."""

    def __init__(
        self, exclude: PropertyFilter | None, include: PropertyFilter | None, matcher: PropertyMatcher | None
    ) -> None:
        self.exclude, self.include, self.matcher = exclude, include, matcher
        self.shapes = registry.shapes()
        self.image_keys = _image_keys()

    def _keep(self, prop: Any, path: PropertyPath) -> bool:
        if self.exclude is not None and self.exclude(prop=prop, path=path):
            return False
        return self.include is None or bool(self.include(prop=prop, path=path))

    def walk(self, value: Any, path: PropertyPath, text: str, key: Any = None) -> Iterator[tuple[str, str]]:
        original = value
        if self.matcher is not None:
            value = self.matcher(data=value, path=path)
        if value is original and key is not None:
            special = self._special(key, value)
            if special is not None:
                yield text, special
                return
        if isinstance(value, Mapping) and not is_placeholder(value):
            keys = sorted(value, key=lambda k: (k != "type", str(k)))  # an event's type reads first
            kept = [k for k in keys if self._keep(k, path)]
            if not kept:
                yield text, "{}"
            for k in kept:
                yield from self.walk(value[k], (*path, (k, type(value[k]))), text + _step(k), k)
        elif isinstance(value, list | tuple):
            kept_indexes = [i for i in range(len(value)) if self._keep(i, path)]
            if not kept_indexes:
                yield text, "[]"
            for i in kept_indexes:
                yield from self.walk(value[i], (*path, (i, type(value[i]))), text + _step(i), None)
        elif is_placeholder(value):
            yield text, _image_text(value)
        else:
            yield text, _scalar_text(value)

    def _special(self, key: Any, value: Any) -> str | None:
        # int, or float where the SDK types a timestamp as one (the Responses API's created_at).
        if key in VOLATILE_KEYS and isinstance(value, int | float) and not isinstance(value, bool):
            return VOLATILE_KEYS[key]
        for shape in self.shapes:  # ids each API shape's replies get anew on every call
            shown = shape.volatile_value(str(key), value)
            if shown is not None:
                return shown
        if key in _REQUEST_ID_KEYS and isinstance(value, str):
            return "<request id>"
        if key in self.image_keys and (isinstance(value, str) or is_placeholder(value)):
            return _image_text(value)
        if isinstance(value, str) and image_payload(value) is not None:  # an image wherever a shape puts it
            return _image_text(value)
        if key == "url" and isinstance(value, str) and value.startswith(("http://", "https://")):
            return _url_text(value)
        return None


def snapshot_text(
    data: Any,
    *,
    exclude: PropertyFilter | None = None,
    include: PropertyFilter | None = None,
    matcher: PropertyMatcher | None = None,
) -> str:
    """The snapshot text of a reply (what ``ImagegenSnapshotExtension`` stores), for use outside syrupy.

    Redacted like a cassette (see the package docstring); raises ``SecretLeakError`` if a secret would
    still be written.
    """
    redaction = current()
    literals = redaction.literals()
    heading, document = _describe(data)
    document = redacted(document, redaction, literals)
    flattener = _Flattener(exclude, include, matcher)
    lines = [heading]
    lines += [f"  {path.lstrip('.') or '$'}: {text}" for path, text in flattener.walk(document, (), "")]
    # Once more over the finished lines: what a matcher returned, or a key, is text the reply's walk
    # did not see as a value.
    lines = [redact_text(line, redaction.rules, literals=literals) for line in lines]
    leak_check(heading, lines, redaction, literals)
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------- diffing


def _entries(text: str) -> tuple[str, dict[str, str]]:
    lines = str(text).split("\n")
    found: dict[str, str] = {}
    for line in lines[1:]:
        match = _ENTRY.fullmatch(line)
        if match:
            found[match.group(1)] = match.group(2)
    return (lines[0] if lines else ""), found


def change_summary(received: str, snapshot: str) -> list[str]:
    """Which paths a received snapshot text changed, added or removed against the stored one."""
    new_heading, new = _entries(received)
    old_heading, old = _entries(snapshot)
    lines: list[str] = []
    if new_heading != old_heading:
        lines.append(f"reply kind: {old_heading!r} -> {new_heading!r}")
    for label, paths in (
        ("changed", [p for p in new if p in old and new[p] != old[p]]),
        ("added", [p for p in new if p not in old]),
        ("removed", [p for p in old if p not in new]),
    ):
        if paths:
            shown = ", ".join(paths[:_SUMMARY_LIMIT])
            more = f" and {len(paths) - _SUMMARY_LIMIT} more" if len(paths) > _SUMMARY_LIMIT else ""
            lines.append(f"{label}: {shown}{more}")
    return lines
