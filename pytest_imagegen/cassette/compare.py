"""What differs between two stored interactions, field by field, graded by what it means for a client.

The drift check (a recorded reply against the live one) and the review diff (a cassette against its
re-recording) both ask this. Replies are compared by JSON path and image facts, and each change is graded:

- **breaking**: a field removed or renamed, a value's type changed, an image's format, size, mode or
  frame count changed, the number of images changed, fewer list items, the HTTP status or the content
  type changed, the body kind changed (JSON to a stream), a stream's event sequence changed (an event
  type gone, events reordered, one more or fewer of a type), a value of an enum-like field changed
  (``BREAKING_VALUES``: ``size``, ``output_format``, ``quality``, ``status``, ``type``, ...);
- **additive**: a new field, a new stream event type, more items in a list that holds no images;
- **volatile**: every other value that changed (ids, times, counts, token usage, text the model wrote,
  an image's bytes and digest with the same facts).

Requests (the diff compares them too) are not graded: every difference is shown, as a ``request`` change.

Values in descriptions are shortened, and any value shaped like a credential is replaced by
``<secret-shaped value hidden>``: an old committed cassette may hold what today's redaction removes.
Images are never shown, only their facts (``png 1024x1024 RGB``).

Pure: stored interactions in, ``Change`` lists out.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal
from urllib.parse import parse_qsl, urlsplit

from pytest_imagegen.wire.kinds import kind_of
from pytest_imagegen.wire.payloads import contains_placeholder, is_image_ref, is_placeholder

__all__ = ["Change", "compare_replies", "compare_requests", "image_text", "shown"]

Grade = Literal["breaking", "additive", "volatile", "request"]

#: Fields whose value names a kind, a shape or a state rather than content: a change is breaking.
BREAKING_VALUES = frozenset(
    {"type", "object", "status", "size", "output_format", "quality", "background", "role", "format"}
)
_VALUE_LIMIT = 60
_FACT_KEYS = ("format", "width", "height", "mode", "frames")


@dataclass(frozen=True)
class Change:
    """One difference: its grade, where (a JSON path into the reply or request), and what changed."""

    grade: Grade
    path: str
    what: str

    def line(self) -> str:
        return f"{self.path}: {self.what}"


# ------------------------------------------------------------------------------------------------ display


def _secret_shaped(text: str) -> bool:
    from pytest_imagegen.safety.hidden import holds_encoded_text, may_hide
    from pytest_imagegen.safety.redact_rules import DEFAULT_LEAK_PATTERNS, MARKERS

    if any(marker in text for marker in MARKERS):
        text = "".join(text.split("REDACTED"))  # a redacted value is safe to show as it is
    if may_hide(text) and holds_encoded_text(text):
        return True  # base64 of a text (where a key hides, issue 20): not a piece of it either
    return any(pattern.search(text) for pattern in DEFAULT_LEAK_PATTERNS)


def shown(value: Any, limit: int = _VALUE_LIMIT) -> str:
    """A short, safe rendering of a stored value: images as facts, secret-shaped text hidden."""
    if is_placeholder(value):
        return image_text(value["placeholder"])
    text = json.dumps(value, ensure_ascii=False, sort_keys=True) if not isinstance(value, str) else value
    if _secret_shaped(text):
        return "<secret-shaped value hidden>"
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return repr(text) if isinstance(value, str) else text


def _field_shown(value: Any, key: str | None) -> str:
    """``shown``, also hiding text held by a field named like a credential (``api_key``, ``token``)."""
    if key is not None and isinstance(value, str) and len(value.strip()) >= 8:
        from pytest_imagegen.safety.redact_rules import is_secret_field_name

        if is_secret_field_name(key):
            return "<value of a secret-named field hidden>"
    return shown(value)


def image_text(facts: Mapping[str, Any]) -> str:
    """``png 1024x1024 RGB`` (and `` 12 frames`` for an animation)."""
    frames = facts.get("frames", 1)
    text = f"{facts.get('format', '?')} {facts.get('width', '?')}x{facts.get('height', '?')} {facts.get('mode', '?')}"
    return text + (f" {frames} frames" if isinstance(frames, int) and frames > 1 else "")


_KINDS: Final = ("null", "boolean", "number", "number", "text", "list", "object", "bytes")


def _kind(value: Any) -> str:
    if is_placeholder(value):
        return "image"
    return kind_of(value, _KINDS)


# ------------------------------------------------------------------------------------------ JSON walking


class _Images:
    """The facts of every image in one body, with ``same_as`` references resolved."""

    def __init__(self, body: Any) -> None:
        self.known: dict[str, Mapping[str, Any]] = {}
        self._collect(body)

    def _collect(self, value: Any) -> None:
        if is_placeholder(value):
            facts = value["placeholder"]
            if isinstance(facts, Mapping) and isinstance(facts.get("sha256"), str):
                self.known.setdefault(facts["sha256"], facts)
        elif isinstance(value, Mapping):
            for item in value.values():
                self._collect(item)
        elif isinstance(value, list):
            for item in value:
                self._collect(item)

    def facts(self, placeholder: Mapping[str, Any]) -> Mapping[str, Any]:
        facts: Mapping[str, Any] = placeholder["placeholder"]
        if is_image_ref(placeholder):
            return self.known.get(str(facts.get("same_as")), facts)
        return facts


def _same(a: Any, b: Any, old: _Images, new: _Images) -> bool:
    if is_placeholder(a) and is_placeholder(b):
        return all(old.facts(a).get(k) == new.facts(b).get(k) for k in _FACT_KEYS)
    return bool(a == b)


class _Walker:
    def __init__(self, old_body: Any, new_body: Any, *, graded: bool) -> None:
        self.old, self.new = _Images(old_body), _Images(new_body)
        self.graded = graded
        self.out: list[Change] = []

    def add(self, grade: Grade, path: str, what: str) -> None:
        self.out.append(Change(grade if self.graded else "request", path, what))

    def walk(self, a: Any, b: Any, path: str, key: str | None = None) -> None:
        if is_placeholder(a) and is_placeholder(b):
            self._image(a, b, path)
            return
        kind_a, kind_b = _kind(a), _kind(b)
        if kind_a != kind_b:
            detail = f"{_field_shown(a, key)} → {_field_shown(b, key)}"
            self.add("breaking", path, detail if not self.graded else f"type {kind_a} → {kind_b}")
        elif isinstance(a, dict):
            self._object(a, b, path)
        elif isinstance(a, list):
            self._list(a, b, path)
        elif a != b:
            grade: Grade = "breaking" if key in BREAKING_VALUES else "volatile"
            self.add(grade, path, f"{_field_shown(a, key)} → {_field_shown(b, key)}")

    def _image(self, a: Mapping[str, Any], b: Mapping[str, Any], path: str) -> None:
        fa, fb = self.old.facts(a), self.new.facts(b)
        if any(
            fa.get(k, 1 if k == "frames" else None) != fb.get(k, 1 if k == "frames" else None)
            for k in _FACT_KEYS
        ):
            self.add("breaking", path, f"image {image_text(fa)} → {image_text(fb)}")
        elif fa.get("sha256") != fb.get("sha256") or fa.get("bytes") != fb.get("bytes"):
            self.add(
                "volatile",
                path,
                f"image {image_text(fb)}: other pixels ({fa.get('bytes')} → {fb.get('bytes')} bytes)",
            )

    def _object(self, a: Mapping[str, Any], b: Mapping[str, Any], path: str) -> None:
        removed = [k for k in a if k not in b]
        added = [k for k in b if k not in a]
        renamed: dict[str, str] = {}
        for old_key in removed:
            for new_key in added:
                if new_key not in renamed.values() and _same(a[old_key], b[new_key], self.old, self.new):
                    renamed[old_key] = new_key
                    break
        for key in a:
            sub = _join(path, key)
            if key in renamed:
                self.add("breaking", sub, f"renamed to {renamed[key]!r}")
            elif key not in b:
                self.add("breaking", sub, f"removed (was {_field_shown(a[key], key)})")
            else:
                self.walk(a[key], b[key], sub, key)
        for key in added:
            if key not in renamed.values():
                self.add("additive", _join(path, key), f"new field ({_field_shown(b[key], key)})")

    def _list(self, a: Sequence[Any], b: Sequence[Any], path: str) -> None:
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            self.walk(x, y, f"{path}[{i}]")
        if len(a) == len(b):
            return
        images = contains_placeholder(a) or contains_placeholder(b)
        what = f"{len(a)} → {len(b)} {'images' if images else 'items'}"
        if len(b) < len(a) or images:
            self.add("breaking", path, what)
        else:
            self.add("additive", path, what + f" (new: {shown(b[len(a)])})")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else str(key)


# --------------------------------------------------------------------------------------------- replies


def _media_type(headers: Mapping[str, Any] | None) -> str | None:
    for name, value in (headers or {}).items():
        if str(name).lower() == "content-type":
            first = value[0] if isinstance(value, list) and value else value
            return str(first).split(";", 1)[0].strip().lower() if isinstance(first, str) else None
    return None


def _body_kind(body: Mapping[str, Any]) -> str:
    for kind, label in (("json", "JSON"), ("sse", "stream"), ("multipart", "multipart"), ("image", "image")):
        if kind in body:
            return label
    return "text" if "string" in body else "binary" if "base64" in body else "empty"


def _event_type(event: Mapping[str, Any]) -> str:
    data = event.get("data")
    if isinstance(data, Mapping) and isinstance(data.get("type"), str):
        return str(data["type"])
    return str(event.get("event") or "message")


def _runs(types: Sequence[str]) -> str:
    runs: list[list[Any]] = []
    for kind in types:
        if runs and runs[-1][0] == kind:
            runs[-1][1] += 1
        else:
            runs.append([kind, 1])
    return ", ".join(kind + (f" ×{n}" if n > 1 else "") for kind, n in runs) or "(none)"


def _events(old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]], walker: _Walker) -> None:
    old_types = [_event_type(e) for e in old]
    new_types = [_event_type(e) for e in new]
    known = set(old_types)
    for kind in dict.fromkeys(t for t in new_types if t not in known):
        first = new_types.index(kind)
        walker.add("additive", f"events[{first}]", f"new event type {kind!r} ({new_types.count(kind)}×)")
    kept = [t for t in new_types if t in known]
    if kept != old_types:
        walker.add("breaking", "events", f"event sequence {_runs(old_types)} → {_runs(kept)}")
    # The n-th event of each type against the n-th of the same type in the new stream.
    seen: Counter[str] = Counter()
    positions: dict[tuple[str, int], int] = {}
    for index, kind in enumerate(new_types):
        positions[(kind, seen[kind])] = index
        seen[kind] += 1
    seen.clear()
    for index, (kind, event) in enumerate(zip(old_types, old, strict=True)):
        match = positions.get((kind, seen[kind]))
        seen[kind] += 1
        if match is not None:
            walker.walk(event.get("data"), new[match].get("data"), f"events[{index}].data")


def _body_changes(old: Mapping[str, Any], new: Mapping[str, Any], walker: _Walker) -> None:
    old_kind, new_kind = _body_kind(old), _body_kind(new)
    if old_kind != new_kind:
        walker.add("breaking", "body", f"{old_kind} → {new_kind}")
    elif "json" in old:
        walker.walk(old["json"], new["json"], "body")
    elif "sse" in old:
        _events(old["sse"], new["sse"], walker)
    elif "image" in old:
        walker.walk(old["image"], new["image"], "body")
    elif old != new:
        walker.add("volatile", "body", f"{old_kind} content changed")


def compare_replies(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """The graded changes from reply ``old`` to reply ``new`` (both in stored form)."""
    old_body, new_body = dict(old.get("body") or {}), dict(new.get("body") or {})
    walker = _Walker(old_body, new_body, graded=True)
    code_a = (old.get("status") or {}).get("code")
    code_b = (new.get("status") or {}).get("code")
    if code_a != code_b:
        walker.add("breaking", "status", f"{code_a} → {code_b}")
    type_a, type_b = _media_type(old.get("headers")), _media_type(new.get("headers"))
    if type_a != type_b:
        walker.add("breaking", "headers.content-type", f"{shown(type_a)} → {shown(type_b)}")
    _body_changes(old_body, new_body, walker)
    return walker.out


# -------------------------------------------------------------------------------------------- requests


def _request_view(request: Mapping[str, Any]) -> dict[str, Any]:
    """What a reviewer compares in a request: method, API path, query and body fields."""
    from pytest_imagegen.safety.redact_rules import is_secret_query_key

    url = urlsplit(str(request.get("uri", "")))
    body = request.get("body") or {}
    view: dict[str, Any] = {"method": request.get("method"), "path": url.path}
    if url.query:
        view["query"] = {
            k: "<hidden>" if is_secret_query_key(k) else v
            for k, v in parse_qsl(url.query, keep_blank_values=True)
        }
    if "json" in body:
        view["body"] = body["json"]
    elif "multipart" in body:
        fields: dict[str, Any] = {}
        for part in body["multipart"]:
            name = str(part.get("name"))
            value = part.get("file") if "file" in part else part.get("value")
            if name in fields:  # repeated parts (image[]) become a list
                previous = fields[name]
                fields[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
            else:
                fields[name] = value
        view["body"] = fields
    elif body:
        view["body"] = dict(body)
    return view


def compare_requests(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Every difference from request ``old`` to request ``new`` (method, path, query, body fields)."""
    a, b = _request_view(old), _request_view(new)
    walker = _Walker(old.get("body"), new.get("body"), graded=False)
    for key in ("method", "path"):
        if a.get(key) != b.get(key):
            walker.add("request", key, f"{shown(a.get(key))} → {shown(b.get(key))}")
    # Header values are never shown: one may be a credential no pattern knows.
    headers_a = {str(k).lower(): v for k, v in (old.get("headers") or {}).items()}
    headers_b = {str(k).lower(): v for k, v in (new.get("headers") or {}).items()}
    for name in sorted(set(headers_a) | set(headers_b)):
        if name not in headers_b:
            walker.add("request", f"headers.{name}", "removed")
        elif name not in headers_a:
            walker.add("request", f"headers.{name}", "added")
        elif headers_a[name] != headers_b[name]:
            walker.add("request", f"headers.{name}", "value changed")
    walker.walk(a.get("query", {}), b.get("query", {}), "query")
    walker.walk(a.get("body", {}), b.get("body", {}), "body")
    return walker.out


def iter_lines(changes: Sequence[Change], *, volatile: bool = False) -> Iterator[str]:
    """``breaking  body.size: '64x64' → '32x32'`` for each change (volatile ones only when asked)."""
    for change in changes:
        if change.grade == "volatile" and not volatile:
            continue
        yield f"{change.grade:<9} {change.line()}"
