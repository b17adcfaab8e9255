"""The Gemini API's image methods: ``POST /v1beta/models/{model}:generateContent``, ``:streamGenerateContent``
(SSE with ``?alt=sse``, else one JSON array) and Imagen's ``:predict``.

The request is checked with the contract (``validate_request("gemini", body, path=...)``), so the emulator
rejects exactly what the contract rejects, in Google's error envelope (``{"error": {"code", "message",
"status", "details"}}``). The key travels in the ``x-goog-api-key`` header or the ``key`` query parameter;
a missing key is 403 ``PERMISSION_DENIED``, a wrong one 400 ``API_KEY_INVALID``, as Google answers.

A valid ``generateContent`` request gets a text part (when ``TEXT`` is asked, or nothing is) and an
``inlineData`` PNG (when ``IMAGE`` is asked, or nothing is and the model is an image model) of the size the
model draws for the asked ``aspectRatio`` and ``imageSize``; the stream sends the text, then the image, then
a last chunk with ``finishReason`` and the usage. ``predict`` answers ``sampleCount`` images (4 when left
out) in the ``outputOptions.mimeType`` asked. Images are seeded from the request, as are ``responseId``
values: the same request always gets the same reply, streamed or not.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import anyio.to_thread
from starlette.routing import BaseRoute, Route

from pytest_imagegen.contract import validate_request
from pytest_imagegen.contract.aspect_ratios import aspect_size
from pytest_imagegen.contract.gemini import GeminiRequest
from pytest_imagegen.emulator.drawing import ImageSpec, OutputFormat, render_encoded, seed_of
from pytest_imagegen.emulator.error_replies import ErrorReply
from pytest_imagegen.emulator.state import EmulatorState
from pytest_imagegen.errors import DUMMY_API_KEY, RequestValidationError

if TYPE_CHECKING:
    from pytest_imagegen.emulator.app import _Handler

__all__ = [
    "JSON_MEDIA_TYPE",
    "VERSIONS",
    "authenticate",
    "bad_json",
    "fault_error",
    "google_headers",
    "json_array_reply",
    "json_reply",
    "key_is_valid",
    "make_gemini_job",
    "predict_reply",
    "routes",
    "sse_frames",
    "validation_error",
]

#: What Google sends as the content type of a JSON reply.
JSON_MEDIA_TYPE: Final = "application/json; charset=UTF-8"
#: The API versions the routes answer under.
# v1beta1: Vertex AI (express mode: an API key, ``/v1beta1/publishers/google/models/...``), where
# google-genai sends Imagen's ``generate_images``.
VERSIONS: Final = ("v1beta", "v1", "v1alpha", "v1beta1")
_STATUS_NAMES: Final = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
_SERVICE: Final = "generativelanguage.googleapis.com"
_TROUBLESHOOTING: Final = "https://developers.generativeai.google/guide/troubleshooting"
#: Gemini counts a 1024x1024 image as 1290 output tokens (and 258 per input image).
_IMAGE_TOKENS: Final = 1290
_INPUT_IMAGE_TOKENS: Final = 258
_ANSWER_TEXT: Final = "Here is the picture you asked for, drawn by the emulator."
#: Request fields that change how the reply is delivered, not what it holds: out of the image seed.
_DELIVERY_FIELDS: Final = frozenset({"safetySettings", "safety_settings"})


class GoogleErrorReply(ErrorReply):
    """An error in Google's envelope, pretty-printed with two spaces as Google does."""

    def content(self) -> bytes:
        return (json.dumps(self.body, indent=2) + "\n").encode()


def _error(status: int, message: str, *, reason: str | None = None) -> GoogleErrorReply:
    error: dict[str, Any] = {
        "code": status,
        "message": message,
        "status": _STATUS_NAMES.get(status, "UNKNOWN"),
    }
    if reason is not None:
        error["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": reason,
                "domain": "googleapis.com",
                "metadata": {"service": _SERVICE},
            },
            {
                "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
                "locale": "en-US",
                "message": message,
            },
        ]
    return GoogleErrorReply(status, {"error": error})


def key_is_valid(key: str, state: EmulatorState) -> bool:
    """Whether the Gemini API accepts ``key``: the configured key, else any ``AIza...`` key or the dummy."""
    if state.google_api_key is not None:
        return secrets.compare_digest(key, state.google_api_key)
    return key.startswith("AIza") or key == DUMMY_API_KEY


def authenticate(
    headers: Mapping[str, str], query: Mapping[str, str], state: EmulatorState
) -> ErrorReply | None:
    """Google's answer to a missing or wrong key (header ``x-goog-api-key`` or query ``key``), or None."""
    key = headers.get("x-goog-api-key") or query.get("key")
    if not key:
        return _error(
            403,
            "Method doesn't allow unregistered callers (callers without established identity). Please use "
            "API Key or other form of API consumer identity to call this API.",
        )
    if not key_is_valid(key, state):
        return _error(400, "API key not valid. Please pass a valid API key.", reason="API_KEY_INVALID")
    return None


def bad_json() -> ErrorReply:
    return _error(400, "Invalid JSON payload received. Expected an object: the request body must be JSON.")


def fault_error(kind: str) -> ErrorReply:
    """An injected fault, as Google words it."""
    if kind == "rate_limit":
        return _error(
            429,
            "You exceeded your current quota, please check your plan and billing details. For more "
            "information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.",
        )
    return _error(500, f"An internal error has occurred. Please retry or report in {_TROUBLESHOOTING}")


def validation_error(exc: RequestValidationError) -> ErrorReply:
    """A request the contract rejects, in Google's envelope."""
    return _error(exc.status, exc.message)


def google_headers(processing_ms: int) -> list[tuple[str, str]]:
    """The headers of a Google API reply (``date`` and the content headers come from the server)."""
    return [
        ("vary", "Origin"),
        ("vary", "X-Origin"),
        ("vary", "Referer"),
        ("x-xss-protection", "0"),
        ("x-frame-options", "SAMEORIGIN"),
        ("x-content-type-options", "nosniff"),
        ("server-timing", f"gfet4t7; dur={processing_ms}"),
        ("server", "scaffolding on HTTPServer2"),
        ("alt-svc", 'h3=":443"; ma=2592000,h3-29=":443"; ma=2592000'),
    ]


# --- jobs --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GeminiJob:
    """Everything the emulator needs to answer one valid request."""

    request: GeminiRequest
    model: str
    response_id: str
    text: str | None
    images: tuple[ImageSpec, ...]
    mime_type: str
    prompt_tokens: int


def make_gemini_job(path: str, params: Mapping[str, Any]) -> GeminiJob:
    """Validate a request and resolve what to produce; ``RequestValidationError`` for an invalid one."""
    # As strict as the service: a model the table does not know is refused.
    request = validate_request("gemini", dict(params), path=path, strict=True)
    model = request.model or "gemini"
    identity = json.dumps(
        {k: v for k, v in params.items() if k not in _DELIVERY_FIELDS}, sort_keys=True, default=str
    )
    # The stream and the JSON reply of the same request draw the same picture.
    kind = "predict" if request.method == "predict" else "generateContent"
    seed = seed_of("gemini", model, kind, identity)
    response_id = base64.urlsafe_b64encode(hashlib.sha256(b"response" + seed).digest()).decode()[:23]
    width, height = aspect_size(request.capability, request.aspect_ratio, request.image_size)
    if request.method == "predict":
        mime = request.output_mime or "image/png"
        count = request.sample_count
        text = None
    else:
        mime = "image/png"
        modalities = request.modalities
        draws = "IMAGE" in modalities or (not modalities and request.capability.known)
        count = 1 if draws else 0
        text = _ANSWER_TEXT if ("TEXT" in modalities or not modalities) else None
    output_format: OutputFormat = "jpeg" if mime == "image/jpeg" else "png"
    images = tuple(
        ImageSpec(seed=seed_of(seed, str(i)), width=width, height=height, output_format=output_format)
        for i in range(count)
    )
    prompt_tokens = 4 + len(identity) // 16 + _INPUT_IMAGE_TOKENS * len(request.input_images)
    return GeminiJob(request, model, response_id, text, images, mime, prompt_tokens)


async def _encoded(spec: ImageSpec) -> str:
    data = await anyio.to_thread.run_sync(render_encoded, spec)
    return base64.b64encode(data).decode()


def _usage(job: GeminiJob) -> dict[str, Any]:
    text_tokens = 14 if job.text else 0
    image_tokens = _IMAGE_TOKENS * len(job.images)
    details = [{"modality": "TEXT", "tokenCount": job.prompt_tokens}]
    out = [{"modality": m, "tokenCount": n} for m, n in (("TEXT", text_tokens), ("IMAGE", image_tokens)) if n]
    return {
        "promptTokenCount": job.prompt_tokens,
        "candidatesTokenCount": text_tokens + image_tokens,
        "totalTokenCount": job.prompt_tokens + text_tokens + image_tokens,
        "promptTokensDetails": details,
        "candidatesTokensDetails": out,
    }


def _chunk(job: GeminiJob, parts: list[dict[str, Any]], *, last: bool) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}}
    if last:
        candidate["finishReason"] = "STOP"
    candidate["index"] = 0
    chunk: dict[str, Any] = {"candidates": [candidate]}
    if last:
        chunk["usageMetadata"] = _usage(job)
    chunk["modelVersion"] = job.model
    chunk["responseId"] = job.response_id
    return chunk


async def _parts(job: GeminiJob) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = [{"text": job.text}] if job.text else []
    for spec in job.images:
        parts.append({"inlineData": {"mimeType": job.mime_type, "data": await _encoded(spec)}})
    return parts


async def json_reply(job: GeminiJob) -> bytes:
    """The ``generateContent`` reply (pretty-printed with two spaces, as Google does)."""
    return json.dumps(_chunk(job, await _parts(job), last=True), indent=2).encode()


async def _chunks(job: GeminiJob) -> AsyncIterator[dict[str, Any]]:
    """The stream's chunks: the text, each image, then the finishing chunk with the usage."""
    if job.text:
        yield _chunk(job, [{"text": job.text}], last=False)
    for spec in job.images:
        yield _chunk(
            job, [{"inlineData": {"mimeType": job.mime_type, "data": await _encoded(spec)}}], last=False
        )
    yield _chunk(job, [{"text": ""}], last=True)


async def sse_frames(job: GeminiJob) -> AsyncIterator[bytes]:
    """``streamGenerateContent?alt=sse``: one ``data:`` event per chunk, CRLF-terminated as Google sends."""
    async for chunk in _chunks(job):
        yield b"data: " + json.dumps(chunk, separators=(",", ":")).encode() + b"\r\n\r\n"


async def json_array_reply(job: GeminiJob) -> bytes:
    """``streamGenerateContent`` without ``alt=sse``: the chunks as one JSON array."""
    return json.dumps([chunk async for chunk in _chunks(job)], indent=2).encode()


async def predict_reply(job: GeminiJob) -> bytes:
    """Imagen's ``predict`` reply: one prediction per image."""
    predictions = [
        {"bytesBase64Encoded": await _encoded(spec), "mimeType": job.mime_type} for spec in job.images
    ]
    return json.dumps({"predictions": predictions}, indent=2).encode()


def routes(handler: _Handler) -> list[BaseRoute]:
    """The Gemini API's model methods, ``/{version}/models/{model}:{method}`` (the module
    ``contract/gemini/shape.py`` names)."""
    return [
        Route("/{version}/models/{target}", handler.gemini_route, methods=["POST"]),
        # Vertex AI's express mode (an API key), where google-genai sends Imagen's ``generate_images``.
        Route("/{version}/publishers/google/models/{target}", handler.gemini_route, methods=["POST"]),
    ]
