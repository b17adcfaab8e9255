"""Reply checks for the Gemini API and Imagen: the schema, and agreement with the request.

A reply is a ``GenerateContentResponse`` (``generateContent``), the chunks of ``streamGenerateContent``
(SSE events with ``?alt=sse``, or the elements of the JSON array the method answers without it), or a
``predict`` reply (``predictions[]``). Every problem is collected as ``(json_path, message)``
(``$.candidates[0].content.parts[1].inlineData.data``, ``$[2].candidates[0].finishReason`` for the third
chunk) and raised together in one ``SchemaAssertionError``.

Each ``inlineData`` part with an ``image/*`` type (and each Imagen prediction) holds base64 that decodes to
an image of the declared type, in the aspect ratio the request asked. Against the request (a
``GeminiRequest``):

- a candidate that finished with ``STOP`` holds an image when the request asked for ``IMAGE`` output (a
  ``finishReason`` such as ``NO_IMAGE``, ``IMAGE_SAFETY`` or ``SAFETY`` says why there is none; Google's
  guide warns that a model asked for text and image "may output text only", which is exactly what a test
  of image generation wants to hear about);
- ``streamGenerateContent`` answers chunks and ``generateContent`` one object;
- streams end properly: some chunk carries a candidate's ``finishReason`` (the last chunk of a Gemini
  stream does), and no candidate gets parts after its ``finishReason`` (a trailing chunk with only
  ``usageMetadata`` is fine); a stream whose prompt was blocked ends with ``promptFeedback.blockReason``;
- ``predict``: at most ``sampleCount`` predictions, at least one unless every image was filtered (a
  prediction with ``raiFilteredReason``), each of the ``outputOptions.mimeType`` asked (PNG when left out).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Final

from pytest_imagegen.contract.aspect_ratios import drawn_size
from pytest_imagegen.contract.gemini.models import (
    FINISH_REASONS,
    GenerateContentResponse,
    GoogleErrorResponse,
    PredictResponse,
)
from pytest_imagegen.contract.gemini.shape import GEMINI
from pytest_imagegen.contract.gemini.validate import GeminiRequest, field_of
from pytest_imagegen.contract.inline import inline_image_problems, normal_mime
from pytest_imagegen.contract.problems import (
    Problems,
    check_parts,
    reply_head,
    schema_problems,
)

__all__ = ["check_gemini_error_reply", "check_gemini_reply", "is_gemini_reply"]


_API: Final = "Gemini API"
_REPLY_KEYS: Final = frozenset(
    {"candidates", "promptFeedback", "predictions", "usageMetadata", "modelVersion"}
)


def is_gemini_reply(reply: Any) -> bool:
    """Whether a reply (JSON, a model, or a list of chunks) is in the Gemini API's shape."""
    head, _ = reply_head(reply)
    return isinstance(head, Mapping) and bool(_REPLY_KEYS & head.keys()) and "object" not in head


def check_gemini_reply(request: GeminiRequest | None, reply: Any, *, strict: bool = False) -> None:
    """Check a Gemini API reply's schema and, when ``request`` is given, that it answers that request.

    ``reply`` is the JSON of a ``generateContent`` or ``predict`` reply, or the list of a stream's chunks.
    Raises one ``SchemaAssertionError`` listing every problem.
    """
    __tracebackhide__ = True

    def document(data: Mapping[str, Any]) -> Problems:
        predict = (request.method == "predict") if request is not None else "predictions" in data
        return (
            _predict_problems(request, data, strict) if predict else _response_problems(request, data, strict)
        )

    stream = functools.partial(_stream_problems, request, strict=strict)
    what = "a Gemini API reply or a list of stream chunks"
    check_parts(reply, what, document, stream, context=_context(request), api=_API)


def check_gemini_error_reply(body: Any, *, strict: bool = False) -> None:
    """Check Google's error envelope: ``{"error": {"code", "message", "status", "details"}}``."""
    __tracebackhide__ = True
    GEMINI.check_error_reply(body, strict=strict)


def _context(request: GeminiRequest | None) -> str:
    if request is None:
        return "reply of the Gemini API"
    return f"reply to POST models/{request.model or '(unknown model)'}:{request.method}"


# --- one candidate -----------------------------------------------------------------------------------


class _Candidate:
    """What the reply (or the stream so far) said about one candidate."""

    def __init__(self) -> None:
        self.images = 0
        self.finished_at: str | None = None
        self.finish_reason: Any = None


def _parts_problems(
    request: GeminiRequest | None, candidate: Mapping[str, Any], path: str, known: _Candidate
) -> Problems:
    """The image parts of one candidate (of one chunk), counted into ``known``."""
    content = candidate.get("content")
    parts = content.get("parts") if isinstance(content, Mapping) else None
    if not isinstance(parts, list):
        return []
    problems: Problems = []
    aspect = request.aspect_ratio if request is not None else None
    drawn = drawn_size(request.capability, aspect) if request is not None else None
    for j, part in enumerate(parts):
        if not isinstance(part, Mapping):
            continue
        key, inline = field_of(part, "inlineData")
        if not isinstance(inline, Mapping):
            continue
        _, mime = field_of(inline, "mimeType")
        data = inline.get("data")
        if not isinstance(data, str):
            continue  # the schema reports it
        declared = mime if isinstance(mime, str) else None
        if declared is not None and not declared.lower().startswith("image/"):
            continue  # audio, a document: not an image place
        known.images += 1
        problems += inline_image_problems(
            f"{path}.content.parts[{j}].{key}.data", data, declared, aspect_ratio=aspect, drawn=drawn
        )
    return problems


def _finish_problems(request: GeminiRequest | None, known: _Candidate, path: str) -> Problems:
    if request is None or not request.wants_image or known.finish_reason != "STOP" or known.images:
        return []
    return [
        (
            path,
            f"no image, but the request asked for IMAGE output (responseModalities {list(request.modalities)}) "
            "and the candidate finished with STOP",
        )
    ]


def _reason_problems(candidate: Mapping[str, Any], path: str, strict: bool) -> Problems:
    reason = candidate.get("finishReason")
    if strict and isinstance(reason, str) and reason not in FINISH_REASONS:
        return [(f"{path}.finishReason", f"unknown finishReason {reason!r} (strict mode)")]
    return []


# --- generateContent ---------------------------------------------------------------------------------


def _response_problems(request: GeminiRequest | None, body: Mapping[str, Any], strict: bool) -> Problems:
    _, problems = schema_problems(GenerateContentResponse, body, "$", strict)
    candidates = body.get("candidates")
    for i, candidate in enumerate(candidates if isinstance(candidates, list) else ()):
        if not isinstance(candidate, Mapping):
            continue
        path = f"$.candidates[{i}]"
        known = _Candidate()
        problems += _parts_problems(request, candidate, path, known)
        problems += _reason_problems(candidate, path, strict)
        known.finish_reason = candidate.get("finishReason")
        problems += _finish_problems(request, known, f"{path}.content.parts")
    if request is not None and request.stream:
        problems.append(
            ("$", "the request asked for a stream (streamGenerateContent) but the reply is one JSON object")
        )
    return problems


# --- streamGenerateContent ---------------------------------------------------------------------------


def _stream_problems(request: GeminiRequest | None, chunks: list[Any], strict: bool) -> Problems:
    problems: Problems = []
    candidates: dict[int, _Candidate] = {}
    blocked = False
    for i, chunk in enumerate(chunks):
        path = f"$[{i}]"
        if not isinstance(chunk, Mapping):
            problems.append((path, f"a stream chunk must be a JSON object, got {type(chunk).__name__}"))
            continue
        if "error" in chunk and "candidates" not in chunk:
            problems += schema_problems(GoogleErrorResponse, chunk, path, strict)[1]
            blocked = True  # an error ends the stream as well
            continue
        problems += schema_problems(GenerateContentResponse, chunk, path, strict)[1]
        feedback = chunk.get("promptFeedback")
        if isinstance(feedback, Mapping) and feedback.get("blockReason"):
            blocked = True
        raw = chunk.get("candidates")
        for k, candidate in enumerate(raw if isinstance(raw, list) else ()):
            if not isinstance(candidate, Mapping):
                continue
            where = f"{path}.candidates[{k}]"
            index = candidate.get("index", k)
            known = candidates.setdefault(index if isinstance(index, int) else k, _Candidate())
            before = known.images
            problems += _parts_problems(request, candidate, where, known)
            problems += _reason_problems(candidate, where, strict)
            content = candidate.get("content")
            has_parts = isinstance(content, Mapping) and bool(content.get("parts"))
            if known.finished_at is not None and (has_parts or known.images > before):
                problems.append(
                    (f"{where}.content", f"parts after the candidate's finishReason ({known.finished_at})")
                )
            reason = candidate.get("finishReason")
            if reason is not None and known.finished_at is None:
                known.finished_at, known.finish_reason = f"{where}.finishReason", reason
    finished = [c for c in candidates.values() if c.finished_at is not None]
    if not finished and not blocked:
        problems.append(
            (
                "$",
                "no candidate with a finishReason: the stream was cut before its end (the last chunk of a "
                "Gemini stream carries the candidate's finishReason)",
            )
        )
    for index, known in sorted(candidates.items()):
        if known.finished_at is None and finished:
            problems.append(
                ("$", f"candidate {index} never got a finishReason: the stream was cut before its end")
            )
        elif known.finished_at is not None:
            problems += _finish_problems(request, known, known.finished_at.rsplit(".", 1)[0])
    if request is not None and not request.stream:
        problems.append(("$", f"the reply is a stream, but the request called {request.method}"))
    return problems


# --- Imagen predict ----------------------------------------------------------------------------------


def _predict_problems(request: GeminiRequest | None, body: Mapping[str, Any], strict: bool) -> Problems:
    _, problems = schema_problems(PredictResponse, body, "$", strict)
    predictions = body.get("predictions")
    predictions = predictions if isinstance(predictions, list) else []
    aspect = request.aspect_ratio if request is not None else None
    drawn = drawn_size(request.capability, aspect) if request is not None else None
    wanted = normal_mime(request.output_mime or "image/png") if request is not None else None
    images = filtered = 0
    for i, prediction in enumerate(predictions):
        if not isinstance(prediction, Mapping):
            continue
        path = f"$.predictions[{i}]"
        data, mime = prediction.get("bytesBase64Encoded"), prediction.get("mimeType")
        if isinstance(data, str):
            images += 1
            declared = mime if isinstance(mime, str) else None
            problems += inline_image_problems(
                f"{path}.bytesBase64Encoded", data, declared, aspect_ratio=aspect, drawn=drawn
            )
            if wanted is not None and declared is not None and normal_mime(declared) != wanted:
                problems.append((f"{path}.mimeType", f"{declared!r}, but the request asked {wanted!r}"))
        elif prediction.get("raiFilteredReason") is not None:
            filtered += 1
        else:
            problems.append(
                (
                    f"{path}.bytesBase64Encoded",
                    "missing: a prediction holds an image or says why it was filtered",
                )
            )
    if request is None:
        return problems
    if len(predictions) > request.sample_count:
        problems.append(
            (
                "$.predictions",
                f"{len(predictions)} prediction(s), but the request asked sampleCount={request.sample_count}",
            )
        )
    if images == 0 and filtered == 0:
        problems.append(
            ("$.predictions", f"no image, but the request asked for {request.sample_count} (sampleCount)")
        )
    return problems
