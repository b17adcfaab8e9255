"""Readable facts about stored interactions, for ``imagegen-cassettes show`` and ``stats``.

Pure: stored interactions in, text and counts out. Image facts come from the placeholders (``trim``), so
a trimmed cassette still tells the format, size, mode and original byte length of every image; images kept
as base64 (``payloads="keep"``, or a cassette not yet scrubbed) are described the same way by trimming a
copy first.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pytest_imagegen.cassette.checks import model_of, stored_params
from pytest_imagegen.contract import registry
from pytest_imagegen.safety import trim

__all__ = ["Stats", "describe_interaction", "human_bytes", "path_of"]

_PROMPT_LIMIT = 70
_VALUE_LIMIT = 40


def human_bytes(count: int) -> str:
    """``812 B``, ``3.1 KB``, ``2.8 MB`` (powers of 1024)."""
    value = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if abs(value) < 1024 or unit == "GB":
            return f"{count} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def path_of(request: Mapping[str, Any]) -> str:
    return urlsplit(str(request.get("uri", ""))).path or "/"


def _facts(body: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(path, facts) of every image in a body, trimmed or kept."""
    return list(trim.iter_image_facts(trim.trim_body(dict(body))))


def _facts_text(facts: Mapping[str, Any], *, size: bool = True) -> str:
    frames = int(facts.get("frames", 1))
    text = f"{facts['format']} {facts['width']}x{facts['height']} {facts['mode']}"
    text += f" {frames} frames" if frames > 1 else ""
    return text + (f" ({human_bytes(int(facts['bytes']))})" if size else "")


def _value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return _short(text, _VALUE_LIMIT)


def _events_text(events: list[Any]) -> str:
    """``image_generation.partial_image ×2, image_generation.completed``: runs of the same type joined.
    Each event is named by the first API shape that knows it (``ApiShape.event_label``), else by its SSE
    event name or its data."""
    runs: list[tuple[str, int]] = []
    shapes = registry.shapes()
    for event in events:
        data = event.get("data")
        labels = (shape.event_label(data) for shape in shapes) if isinstance(data, Mapping) else ()
        kind = next(filter(None, labels), None) or str(
            event.get("event") or (data if isinstance(data, str) else "?")
        )
        if runs and runs[-1][0] == kind:
            runs[-1] = (kind, runs[-1][1] + 1)
        else:
            runs.append((kind, 1))
    return ", ".join(kind + (f" ×{count}" if count > 1 else "") for kind, count in runs)


def describe_interaction(index: int, interaction: Mapping[str, Any]) -> Iterator[str]:
    """The lines ``show`` prints for one interaction: a heading, then indented details."""
    request, response = interaction["request"], interaction["response"]
    status = response.get("status") or {}
    code, message = status.get("code"), status.get("message") or ""
    body = response.get("body") or {}
    stream = "sse" in body
    heading = (
        f"#{index}  {request.get('method', '?')} {path_of(request)}  {model_of(request)}  {code} {message}"
    )
    yield heading.rstrip() + ("  stream" if stream else "")
    params = stored_params(request)
    prompt = params.pop("prompt", None)
    if isinstance(prompt, str):
        yield f"    prompt: {json.dumps(_short(prompt, _PROMPT_LIMIT), ensure_ascii=False)}"
    shown = {k: v for k, v in params.items() if k not in ("model", "stream") and v is not None}
    if shown:
        yield "    params: " + ", ".join(f"{k}={_value(v)}" for k, v in sorted(shown.items()))
    uploads = [(p, f) for p, f in _facts(request.get("body") or {})]
    if uploads:
        parts = request["body"].get("multipart", [])
        names = []
        for path, facts in uploads:
            index_text = path.removeprefix("multipart[").split("]", 1)[0]
            name = parts[int(index_text)]["name"] if index_text.isdigit() else path.removeprefix("json.")
            names.append(f"{name} {_facts_text(facts)}")
        yield "    uploads: " + ", ".join(names)
    if stream:
        yield f"    events: {_events_text(body['sse'])}"
    document = body.get("json")
    error = document.get("error") if isinstance(document, Mapping) else None
    if isinstance(error, Mapping):
        what = " ".join(str(error[k]) for k in ("type", "code") if error.get(k))
        param = f" (param {error['param']})" if error.get("param") else ""
        yield f"    error: {what}{param}: {_short(str(error.get('message', '')), _PROMPT_LIMIT)}"
    images = _facts(body)
    if images:
        counts = Counter(_facts_text(f, size=False) for _, f in images)
        originals = sum(int(f["bytes"]) for _, f in images)
        listed = ", ".join(t + (f" ×{n}" if n > 1 else "") for t, n in counts.items())
        yield f"    images: {listed} (originally {human_bytes(originals)} in all)"
    elif isinstance(document, Mapping) and isinstance(document.get("data"), list):
        urls = sum(1 for d in document["data"] if isinstance(d, Mapping) and d.get("url"))
        if urls:
            yield f"    images: {urls} url(s)"


@dataclass
class Group:
    """Counts for one endpoint path or one model."""

    interactions: int = 0
    images: int = 0
    image_bytes: int = 0  # original bytes of every image, trimmed or kept
    saved: int = 0  # bytes the stored placeholders save
    could_save: int = 0  # bytes scrubbing would save (images still kept as base64)


@dataclass
class Stats:
    """Totals over many cassettes, with breakdowns by endpoint path and by model."""

    cassettes: int = 0
    vcrpy_cassettes: int = 0
    interactions: int = 0
    disk_bytes: int = 0
    by_path: dict[str, Group] = field(default_factory=dict)
    by_model: dict[str, Group] = field(default_factory=dict)

    def add_file(self, size: int, interactions: list[dict[str, Any]], *, vcrpy: bool = False) -> None:
        self.cassettes += 1
        self.vcrpy_cassettes += int(vcrpy)
        self.disk_bytes += size
        for interaction in interactions:
            self.add(interaction)

    def add(self, interaction: Mapping[str, Any]) -> None:
        self.interactions += 1
        request = interaction["request"]
        saved = trim.trimmed_bytes(interaction)
        as_trimmed = trim.trim_interaction(interaction)
        could = trim.trimmed_bytes(as_trimmed) - saved
        facts = [
            f
            for side in ("request", "response")
            for _, f in _facts((as_trimmed.get(side) or {}).get("body") or {})
        ]
        for key, groups in ((path_of(request), self.by_path), (model_of(request), self.by_model)):
            group = groups.setdefault(key, Group())
            group.interactions += 1
            group.images += len(facts)
            group.image_bytes += sum(int(f["bytes"]) for f in facts)
            group.saved += saved
            group.could_save += could

    @property
    def saved(self) -> int:
        return sum(g.saved for g in self.by_path.values())

    @property
    def could_save(self) -> int:
        return sum(g.could_save for g in self.by_path.values())

    def lines(self) -> Iterator[str]:
        yield (
            f"{self.cassettes} cassette(s), {self.interactions} interaction(s), "
            f"{human_bytes(self.disk_bytes)} on disk; placeholders save {human_bytes(self.saved)}"
        )
        if self.could_save > 0:
            yield f"scrubbing would save {human_bytes(self.could_save)} more (images still stored as base64)"
        if self.vcrpy_cassettes:
            yield f"{self.vcrpy_cassettes} plain vcrpy cassette(s): convert with `imagegen-cassettes scrub`"
        for title, groups in (("endpoint", self.by_path), ("model", self.by_model)):
            if not groups:
                continue
            width = max(len(title), *(len(k) for k in groups))
            yield ""
            yield f"{title:<{width}}  interactions  images  image bytes  saved"
            for key, g in sorted(groups.items(), key=lambda kv: (-kv[1].interactions, kv[0])):
                yield (
                    f"{key:<{width}}  {g.interactions:>12}  {g.images:>6}  {human_bytes(g.image_bytes):>11}"
                    f"  {human_bytes(g.saved)}"
                )
        if self.by_path:
            yield ""
            yield (
                "image bytes: the images' own size; saved: the base64 text the placeholders replace (4/3 of "
                "an image's bytes, and every repeat of an image a stream sends again) less the placeholders' "
                "size, so it can exceed image bytes"
            )
