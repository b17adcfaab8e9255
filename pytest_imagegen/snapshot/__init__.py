"""syrupy extensions: an Images API reply as a stable, readable regression snapshot (and as a picture).

``ImagegenSnapshotExtension`` (the ``imagegen_snapshot`` fixture) takes a reply in any of the shapes a test
holds: an ``ImagesResponse`` (this plugin's or the openai SDK's), its JSON as a mapping, a stream as a list
(or any iterable) of events, or the error of a non-2xx reply (``ImagegenAPIError``, or the openai SDK's
``APIStatusError``). It writes one line per leaf value, each naming its full JSON path, so a changed
reply's diff says exactly what changed::

    images reply
      created: <created>
      data[0].b64_json: <image png 64x64 RGBA>
      output_format: "png"
      usage.total_tokens: 120

What is kept out of the snapshot, and why:

- volatile values: ``created``, ``created_at``, ``completed_at``, ``expires_at`` and ``request_id`` show as
  ``<created>`` etc. (present or absent still shows), ``req_…`` request ids inside text as
  ``<request id>``, and Responses API ids (``resp_…``, ``ig_…``, ``msg_…``) as ``<resp_ id>`` etc.;
- image bytes: every ``b64_json`` (real base64, or a stored placeholder ``{"placeholder": facts}``) shows as
  its format, width, height and mode (and frame count when animated); so does every other base64 image or
  image data URL wherever an API shape puts it (a Responses ``result`` or ``partial_image_b64``; a data
  URL also shows the type it declares). Never its byte length or digest:
  on replay the client receives a synthesized stand-in of the same format, size and mode but other bytes,
  and a snapshot taken while recording must equal the one taken on replay. A ``b64_json`` that is not an
  image shows as what it is (``<svg 812 bytes>``, ``<not base64: 12 chars>``), since those are replayed
  verbatim;
- image URLs: shown as ``<image url on HOST, .png>`` without port, path or query: the signature and expiry
  change on every recording (and are redacted in the cassette), the port is the emulator's random one.

- secrets: everything serialized passes the same redaction as a cassette (the reply is redacted as a
  recorded reply would be, with the run's literal secrets and the configured rules), so a snapshot
  taken while recording holds exactly what the replayed one holds, and no secret. The finished text is
  leak-scanned like a cassette before it is written: a secret that survives raises ``SecretLeakError``
  and nothing is written.

Keys are sorted (so a model and its JSON mapping snapshot alike), stream events keep their order with
``type`` first. syrupy's ``exclude=``, ``include=`` and ``matcher=`` work on the reply's JSON as usual
(``props("revised_prompt")``, ``paths("data.0.url")``).

``ImagegenPNGSnapshotExtension`` stores one image of a reply as a PNG file and compares pixels, not file
bytes (zlib output differs between Pillow builds). Useful only with real pictures: recorded live, or
replayed from a cassette recorded with ``payloads="keep"`` (placeholders are flat grey)::

    def test_picture(imagegen_client, snapshot):
        reply = imagegen_client.generate("a lighthouse", model="gpt-image-2", size="64x64")
        assert snapshot.use_extension(ImagegenPNGSnapshotExtension) == reply
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import contextvars
import io
import json
import os
import re
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from PIL import Image
from pydantic import BaseModel
from syrupy.extensions.amber import AmberSnapshotExtension
from syrupy.extensions.image import PNGImageSnapshotExtension
from syrupy.location import PyTestLocation
from syrupy.types import PropertyFilter, PropertyMatcher, PropertyPath, SerializableData, SnapshotIndex

from pytest_imagegen.config import ImagegenConfig
from pytest_imagegen.contract.shapes import SHAPES
from pytest_imagegen.errors import ImagegenAPIError, SecretLeakError
from pytest_imagegen.safety.leaks import scan_for_leaks
from pytest_imagegen.safety.redact import redact_interaction
from pytest_imagegen.safety.redact_rules import DEFAULT_LEAK_PATTERNS, RedactionRules
from pytest_imagegen.safety.redact_text import redact_text
from pytest_imagegen.safety.trim import image_facts
from pytest_imagegen.wire.payloads import image_payload, is_image_ref, is_placeholder

__all__ = [
    "VOLATILE_KEYS",
    "ImagegenPNGSnapshotExtension",
    "ImagegenSnapshotExtension",
    "SnapshotRedaction",
    "image_png",
    "redaction_for",
    "snapshot_text",
]

#: Keys whose values change on every call; the snapshot shows only that they are there.
VOLATILE_KEYS = {
    "created": "<created>",
    "created_at": "<created>",
    "completed_at": "<completed>",
    "expires_at": "<expires>",
}
_REQUEST_ID_KEYS = frozenset({"request_id", "x-request-id"})
_REQUEST_ID = re.compile(r"\breq_[A-Za-z0-9]{8,}\b")
# Responses API ids (response, image call, message, reasoning item), chat completion ids (``chatcmpl-``,
# a gateway's ``gen-``) and Gemini's ``responseId``: new on every recording.
_RESPONSE_ID_KEYS = frozenset({"id", "item_id", "previous_response_id"})
_RESPONSE_ID = re.compile(r"(?:resp|ig|msg|rs)_[A-Za-z0-9]{8,}")
_CHAT_ID = re.compile(r"(chatcmpl|gen)-[A-Za-z0-9-]{8,}")
#: Keys only a Gemini API (or Imagen) reply has at its top.
_GEMINI_KEYS = frozenset({"candidates", "predictions", "promptFeedback"})
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# One entry line of the snapshot text: a path of .name / [index] / ["key"] steps, then ": value".
_ENTRY = re.compile(r'  ((?:\.?[A-Za-z_][A-Za-z0-9_]*|\[\d+\]|\["(?:[^"\\]|\\.)*"\])+): (.*)')
_SUMMARY_LIMIT = 12
#: Keys that hold base64 images in some API shape (``b64_json``, ``result``, ``partial_image_b64``): shown
#: as facts, or as what they are when they are not images (an SVG). Data URL fields (``image_url``, a chat
#: image's ``url``) and Gemini's ``inlineData.data`` are found by content: those names hold other values
#: elsewhere (an https image URL, the Images API's ``data`` list).
_IMAGE_KEYS = frozenset(field[-1] for shape in SHAPES for field in shape.image_fields) - {
    "image_url",
    "url",
    "data",
}


# ----------------------------------------------------------------------------------------- normalizing


def _to_json(value: Any) -> Any:
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
    body = _to_json(body)
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
    data = _to_json(data)
    if isinstance(data, Mapping):
        if data.get("object") == "response":
            return "responses reply", data
        if data.get("object") == "chat.completion":
            return "chat reply", data
        if "error" not in data and _GEMINI_KEYS & data.keys():
            return "gemini reply", data
        return ("error reply" if "error" in data else "images reply"), data
    if isinstance(data, str | bytes | bytearray) or not isinstance(data, Iterable):
        raise TypeError(
            "imagegen_snapshot takes a reply of an API shape: an ImagesResponse (or a Responses, chat or Gemini "
            "reply), its JSON mapping, a list of stream events or an ImagegenAPIError; got "
            f"{type(data).__name__}. "
            "Use syrupy's plain `snapshot` fixture for other values."
        )
    events = [_to_json(event) for event in data]
    kind = "image stream"
    first = events[0] if events and isinstance(events[0], Mapping) else {}
    if str(first.get("type", "")).startswith("response."):
        kind = "responses stream"
    elif first.get("object") == "chat.completion.chunk":
        kind = "chat stream"
    elif _GEMINI_KEYS & first.keys():
        kind = "gemini stream"
    return f"{kind} ({len(events)} event{'s' if len(events) != 1 else ''})", events


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

    @staticmethod
    def _special(key: Any, value: Any) -> str | None:
        # int, or float where the SDK types a timestamp as one (the Responses API's created_at).
        if key in VOLATILE_KEYS and isinstance(value, int | float) and not isinstance(value, bool):
            return VOLATILE_KEYS[key]
        if key in _RESPONSE_ID_KEYS and isinstance(value, str) and _RESPONSE_ID.fullmatch(value):
            return f"<{value.split('_', 1)[0]}_ id>"
        if key == "id" and isinstance(value, str) and (chat_id := _CHAT_ID.fullmatch(value)):
            return f"<{chat_id.group(1)}- id>"
        if key == "responseId" and isinstance(value, str):
            return "<responseId>"
        if key in _REQUEST_ID_KEYS and isinstance(value, str):
            return "<request id>"
        if key in _IMAGE_KEYS and (isinstance(value, str) or is_placeholder(value)):
            return _image_text(value)
        if isinstance(value, str) and image_payload(value) is not None:  # an image wherever a shape puts it
            return _image_text(value)
        if key == "url" and isinstance(value, str) and value.startswith(("http://", "https://")):
            return _url_text(value)
        return None


# ------------------------------------------------------------------------------------------- redaction


@dataclass(frozen=True)
class SnapshotRedaction:
    """What a snapshot is redacted with: the rules of the test's configuration, and the literal secrets of
    the run (asked for at each snapshot, so those a recording found after the fixture was set up count)."""

    rules: RedactionRules = field(default_factory=RedactionRules)
    secrets: Callable[[], Iterable[str]] = field(default=lambda: ())

    def literals(self) -> set[str]:
        key = os.environ.get("OPENAI_API_KEY", "")  # the key a recording uses, whatever its shape
        return {*self.secrets(), *self.rules.values, *([key] if key else [])}


# The redaction in force for the snapshots of the running test (set by the ``imagegen_snapshot`` fixture);
# without one, the built-in rules and OPENAI_API_KEY still apply.
_REDACTION: contextvars.ContextVar[SnapshotRedaction | None] = contextvars.ContextVar(
    "imagegen_snapshot_redaction", default=None
)
_DEFAULT_REDACTION = SnapshotRedaction()


def rules_for(config: ImagegenConfig) -> RedactionRules:
    """The redaction rules a cassette of ``config`` records with."""
    return RedactionRules(
        headers=config.redact_headers,
        query_keys=config.redact_query,
        patterns=tuple(re.compile(p) for p in config.redact_patterns),
        values=config.secret_values,
        redact_user=config.redact_user,
    )


@contextlib.contextmanager
def redaction_for(
    config: ImagegenConfig | RedactionRules, secrets: Callable[[], Iterable[str]] = lambda: ()
) -> Iterator[SnapshotRedaction]:
    """Snapshots taken inside redact with ``config``'s rules and the literal ``secrets()``."""
    rules = config if isinstance(config, RedactionRules) else rules_for(config)
    redaction = SnapshotRedaction(rules, secrets)
    token = _REDACTION.set(redaction)
    try:
        yield redaction
    finally:
        _REDACTION.reset(token)


def _redacted(document: Any, redaction: SnapshotRedaction, literals: set[str]) -> Any:
    """The reply as a cassette stores it: the same function, as a reply (fixed markers)."""
    stored, _ = redact_interaction(
        {"response": {"body": {"json": document}}}, redaction.rules, literals=literals
    )
    return stored["response"]["body"]["json"]


def _leak_check(heading: str, lines: list[str], redaction: SnapshotRedaction, literals: set[str]) -> None:
    patterns = DEFAULT_LEAK_PATTERNS + redaction.rules.patterns
    findings: list[tuple[int | None, str, str]] = []
    for number, line in enumerate(lines, start=1):
        for _, _, what in scan_for_leaks([{"": line}], secrets=literals, patterns=patterns):
            findings.append((None, f"line {number}", what))
    if findings:
        raise SecretLeakError(f"of the {heading}", findings, kind="snapshot")


# ------------------------------------------------------------------------------------------- the text


def snapshot_text(
    data: Any,
    *,
    exclude: PropertyFilter | None = None,
    include: PropertyFilter | None = None,
    matcher: PropertyMatcher | None = None,
) -> str:
    """The snapshot text of a reply (what ``ImagegenSnapshotExtension`` stores), for use outside syrupy.

    Redacted like a cassette (see the module docstring); raises ``SecretLeakError`` if a secret would
    still be written.
    """
    redaction = _REDACTION.get() or _DEFAULT_REDACTION
    literals = redaction.literals()
    heading, document = _describe(data)
    document = _redacted(document, redaction, literals)
    flattener = _Flattener(exclude, include, matcher)
    lines = [heading]
    lines += [f"  {path.lstrip('.') or '$'}: {text}" for path, text in flattener.walk(document, (), "")]
    # Once more over the finished lines: what a matcher returned, or a key, is text the reply's walk
    # did not see as a value.
    lines = [redact_text(line, redaction.rules, literals=literals) for line in lines]
    _leak_check(heading, lines, redaction, literals)
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


# ------------------------------------------------------------------------------------------ extensions


class ImagegenSnapshotExtension(AmberSnapshotExtension):
    """A reply as readable text in the test module's ``.ambr`` file, one line per JSON path.

    Snapshots are named ``<test>[imagegen]`` (``.1``, ``.2`` for later assertions), so a test can use
    syrupy's plain ``snapshot`` and ``imagegen_snapshot`` side by side without their indexes colliding.
    """

    @classmethod
    def get_snapshot_name(cls, *, test_location: PyTestLocation, index: SnapshotIndex = 0) -> str:
        suffix = f"[{index}]" if isinstance(index, str) else (f".{index}" if index else "")
        return f"{test_location.snapshot_name}[imagegen]{suffix}"

    def serialize(
        self,
        data: SerializableData,
        *,
        exclude: PropertyFilter | None = None,
        include: PropertyFilter | None = None,
        matcher: PropertyMatcher | None = None,
        **kwargs: Any,
    ) -> str:
        return snapshot_text(data, exclude=exclude, include=include, matcher=matcher)

    def diff_lines(self, serialized_data: Any, snapshot_data: Any) -> Iterator[str]:
        """A one-line-per-kind summary of the JSON paths that changed, then syrupy's line diff."""
        summary = change_summary(str(serialized_data), str(snapshot_data)) if snapshot_data else []
        if summary:
            yield "imagegen reply differs from the snapshot:"
            yield from (f"  {line}" for line in summary)
        yield from super().diff_lines(serialized_data, snapshot_data)


def _response_images(document: Any) -> list[str]:
    """Every image of a Responses API reply: the image calls' results (a stream: the finished items'
    results, then partial images)."""
    if isinstance(document, Mapping):
        return [
            item["result"]
            for item in document.get("output") or []
            if isinstance(item, Mapping) and isinstance(item.get("result"), str)
        ]
    events = [e for e in document if isinstance(e, Mapping)]
    items = [e.get("item") for e in events if e.get("type") == "response.output_item.done"]
    done = [i["result"] for i in items if isinstance(i, Mapping) and isinstance(i.get("result"), str)]
    return done + [e["partial_image_b64"] for e in events if isinstance(e.get("partial_image_b64"), str)]


def _images(document: Any) -> list[str]:
    """Every ``b64_json`` of a reply's JSON (a stream: the completed events' images, then partials)."""
    if (isinstance(document, Mapping) and document.get("object") == "response") or (
        not isinstance(document, Mapping)
        and any(isinstance(e, Mapping) and str(e.get("type", "")).startswith("response.") for e in document)
    ):
        return _response_images(document)
    if isinstance(document, Mapping):
        data = document.get("data") or []
        return [d["b64_json"] for d in data if isinstance(d, Mapping) and isinstance(d.get("b64_json"), str)]
    events = [e for e in document if isinstance(e, Mapping) and isinstance(e.get("b64_json"), str)]
    completed = [e["b64_json"] for e in events if str(e.get("type", "")).endswith(".completed")]
    return completed + [e["b64_json"] for e in events if e["b64_json"] not in completed]


def image_png(reply: Any, index: int = 0) -> bytes:
    """Image ``index`` of a reply (for a stream: of its completed events) re-encoded as PNG, same pixels."""
    document = _to_json(reply)
    if not isinstance(document, Mapping):
        document = [_to_json(event) for event in document]
    images = _images(document)
    if index >= len(images):
        raise IndexError(f"the reply holds {len(images)} base64 image(s); there is no image {index}")
    with Image.open(io.BytesIO(base64.b64decode(images[index]))) as img:
        img.load()
        picture = img.convert("RGBA") if img.mode not in ("1", "L", "LA", "RGB", "RGBA", "I;16") else img
        out = io.BytesIO()
        picture.save(out, "PNG")
    return out.getvalue()


class ImagegenPNGSnapshotExtension(PNGImageSnapshotExtension):
    """One image of a reply stored as ``__snapshots__/<module>/<test>.png``; matched by pixels."""

    def serialize(
        self,
        data: SerializableData,
        *,
        exclude: PropertyFilter | None = None,
        include: PropertyFilter | None = None,
        matcher: PropertyMatcher | None = None,
        **kwargs: Any,
    ) -> bytes:
        if isinstance(data, bytes | bytearray | memoryview):
            return bytes(data)
        return image_png(data)

    def matches(self, *, serialized_data: SerializableData, snapshot_data: SerializableData) -> bool:
        if serialized_data == snapshot_data:
            return True
        try:
            with Image.open(io.BytesIO(serialized_data)) as new, Image.open(io.BytesIO(snapshot_data)) as old:
                return (new.mode, new.size) == (old.mode, old.size) and new.tobytes() == old.tobytes()
        except (OSError, ValueError, TypeError):
            return False
