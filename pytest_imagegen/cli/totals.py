"""What a session replayed, in numbers: interactions, images, bytes on disk against bytes the service sent,
and the usage the service reported (image tokens, cost fields).

``usage_of(response)`` reads a stored reply's usage wherever its API shape puts it: the Images and
Responses APIs' ``usage`` (``output_tokens_details.image_tokens``, ``input_tokens_details.image_tokens``),
chat completions' ``usage`` (and OpenRouter's ``usage.cost``), Gemini's ``usageMetadata`` (the
``IMAGE`` entries of ``candidatesTokensDetails``), and the cost fields other services report at the top
of a reply (BFL's ``cost``, xAI's ``cost_usd``). In a stream, every event's usage counts once.

``replay_line(outcomes)`` is the terminal summary's one line about it, for the interactions the session
played from cassettes (not the ones it recorded), read from the cassette files the outcomes name.

Pure but for reading those files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_imagegen.cli.listing import human_bytes
from pytest_imagegen.safety import trim

__all__ = ["Totals", "replay_line", "sent_bytes", "usage_of", "usage_text"]

#: Where a cost sits, and the name it is shown under.
_COSTS = (("usage.cost", ("usage", "cost")), ("cost", ("cost",)), ("cost_usd", ("cost_usd",)))


def reply_documents(response: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The JSON documents of a stored reply: its JSON body, or the data of each of its stream events."""
    body = response.get("body") or {}
    if isinstance(body.get("json"), Mapping):
        yield body["json"]
    for event in body.get("sse") or ():
        data = event.get("data") if isinstance(event, Mapping) else None
        if isinstance(data, Mapping):
            yield data
            inner = data.get("response")  # a Responses stream's lifecycle events carry the response
            if isinstance(inner, Mapping) and isinstance(inner.get("usage"), Mapping):
                yield {"usage": inner["usage"]}


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _at(document: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = document
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def usage_of(response: Mapping[str, Any]) -> dict[str, float]:
    """``{"image tokens": ..., "input image tokens": ..., "usage.cost": ..., ...}``: what a stored reply
    reports, only the keys it has."""
    found: dict[str, float] = {}

    def add(name: str, value: Any) -> None:
        number = _number(value)
        if number:
            found[name] = found.get(name, 0.0) + number

    for document in reply_documents(response):
        usage = document.get("usage")
        if isinstance(usage, Mapping):
            add("image tokens", _at(usage, ("output_tokens_details", "image_tokens")))
            add("input image tokens", _at(usage, ("input_tokens_details", "image_tokens")))
        metadata = document.get("usageMetadata")
        if isinstance(metadata, Mapping):
            for detail in metadata.get("candidatesTokensDetails") or ():
                if isinstance(detail, Mapping) and detail.get("modality") == "IMAGE":
                    add("image tokens", detail.get("tokenCount"))
        for name, path in _COSTS:
            add(name, _at(document, path))
    return found


def sent_bytes(response: Mapping[str, Any]) -> int:
    """About how many bytes the service sent for a stored reply's body: its stored JSON with each image at
    the size of its original base64 (placeholders in the stored form; headers not counted)."""
    body = response.get("body") or {}
    stored = len(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode())
    return stored + trim.trimmed_bytes({"response": {"body": body}})


@dataclass
class Totals:
    """What the played interactions of a session add up to."""

    cassettes: int = 0
    interactions: int = 0
    images: int = 0
    disk_bytes: int = 0  # the played cassettes' files
    sent_bytes: int = 0  # what the service sent for the played interactions
    usage: dict[str, float] = field(default_factory=dict)

    def add_usage(self, usage: Mapping[str, float]) -> None:
        for name, value in usage.items():
            self.usage[name] = self.usage.get(name, 0.0) + value


def _played(outcomes: Iterable[Mapping[str, Any]]) -> dict[str, set[int]]:
    """Per cassette file, the interactions some test replayed (recorded cassettes left out)."""
    played: dict[str, set[int]] = {}
    recorded: set[str] = set()
    for outcome in outcomes:
        path = str(outcome["path"])
        if outcome.get("recorded") or outcome.get("drift"):
            recorded.add(path)
        played.setdefault(path, set()).update(int(i) for i in outcome.get("played", ()))
    return {p: s for p, s in played.items() if s and p not in recorded}


def replay_totals(outcomes: Iterable[Mapping[str, Any]]) -> Totals:
    """The played interactions of the cassettes named by ``outcomes``, summed (unreadable files skipped)."""
    from pytest_imagegen.cassette import storage
    from pytest_imagegen.errors import CassetteError

    totals = Totals()
    for path, indexes in sorted(_played(outcomes).items()):
        try:
            document = storage.read_document(Path(path), trust_index=True)
            size = Path(path).stat().st_size
        except (OSError, CassetteError):
            continue
        if document is None:
            continue
        totals.cassettes += 1
        totals.disk_bytes += size
        for index in sorted(indexes):
            if index >= len(document.interactions):
                continue
            response = document.interactions[index]["response"]
            totals.interactions += 1
            body = response.get("body") or {}
            totals.images += len({f["sha256"] for _, f in trim.iter_image_facts(body)})
            totals.sent_bytes += sent_bytes(response)
            totals.add_usage(usage_of(response))
    return totals


def _amount(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.4f}".rstrip("0")


def usage_text(usage: Mapping[str, float]) -> str:
    """``8,704 image tokens, usage.cost 0.042``: the usage in words (empty when none was reported)."""
    return ", ".join(f"{_amount(value)} {name}" for name, value in usage.items() if value)


def replay_line(outcomes: Iterable[Mapping[str, Any]]) -> str | None:
    """``replayed 12 interaction(s), 15 image(s): 31.2 KB on disk for 48.3 MB the service sent; usage:
    ...``; None when the session replayed nothing."""
    totals = replay_totals(outcomes)
    if not totals.interactions:
        return None
    line = (
        f"replayed {totals.interactions} interaction(s), {totals.images} image(s): "
        f"{human_bytes(totals.disk_bytes)} on disk for {human_bytes(totals.sent_bytes)} the service sent"
    )
    usage = usage_text(totals.usage)
    return line + (f"; recorded usage: {usage}" if usage else "; no usage recorded")
