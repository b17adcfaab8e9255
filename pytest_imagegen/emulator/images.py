"""The Images API (``/v1/images/generations``, ``/edits``, ``/variations``): a validated request becomes a
``Job``, and the job its JSON reply or SSE frames.

``pytest_imagegen.contract.validate_request`` decides whether a request is valid and resolves its
defaults (model, size, formats); a ``Job`` holds the plain facts the emulator needs to draw and reply
(pixel size, resolved background and quality, reply shape). Usage numbers are made up but consistent
(they grow with prompt length, pixel count, quality, input images and partial images; totals add up), so
assertions on them behave like against the real service. ``routes`` names its routes; their handlers are
``app.py``'s.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal, cast, get_args

import anyio.to_thread
from starlette.routing import BaseRoute, Route

from pytest_imagegen.contract import FileInput, validate_request
from pytest_imagegen.emulator.drawing import (
    ImageSpec,
    OutputFormat,
    encode,
    partial_versions,
    render,
    render_encoded,
    seed_of,
)
from pytest_imagegen.emulator.identity import random_token
from pytest_imagegen.emulator.state import EmulatorState
from pytest_imagegen.emulator.transport import Upload, sse_frame
from pytest_imagegen.errors import RequestValidationError

if TYPE_CHECKING:
    from pytest_imagegen.emulator.app import _Handler

__all__ = [
    "Endpoint",
    "images_response",
    "json_body",
    "make_job",
    "revised_prompt",
    "routes",
    "stream_frames",
    "usage",
]

Endpoint = Literal["generations", "edits", "variations"]

_DEFAULT_SIZE = "1024x1024"
_DEFAULT_FRAMES = 9
_SIZE: Final = re.compile(r"(\d+)x(\d+)")
_MAX_EDGE = 3840
_MAX_PIXELS = 3840 * 2160
_DEFAULT_FRAME_MS = 200
#: What the real service reports for quality "auto" (the reply never says "auto").
_AUTO_QUALITY = "high"
#: Models whose replies carry ``revised_prompt`` (dall-e-3 only, per the API reference).
_REVISES_PROMPT = frozenset({"dall-e-3"})
#: Request fields that change how images are delivered, not which images: left out of the seed so a
#: streamed request and a plain one (or url and b64_json) give the same final picture.
_DELIVERY_FIELDS = frozenset({"stream", "partial_images", "response_format"})


@dataclass(frozen=True)
class Job:
    """Everything the emulator needs to answer one valid request."""

    endpoint: Endpoint
    model: str
    prompt: str
    n: int
    stream: bool
    partial_images: int
    #: ``url`` / ``b64_json`` for dall-e style replies; ``None``: GPT style (base64 + usage + echoes).
    response_format: Literal["url", "b64_json"] | None
    output_format: OutputFormat
    size: str
    width: int
    height: int
    #: Resolved ``transparent`` / ``opaque`` for GPT models; ``None`` where the model has no background.
    background: Literal["transparent", "opaque"] | None
    quality: str | None
    compression: int | None
    #: gif only: frame_count and frame_duration_ms (the API's defaults when not given).
    frames: int
    frame_duration_ms: int
    revises_prompt: bool
    input_images: int
    #: Digest of the request (endpoint, params, uploaded files): the seed of every image in the reply.
    digest: bytes

    @property
    def gpt_style(self) -> bool:
        return self.response_format is None


def request_digest(endpoint: str, params: Mapping[str, Any], files: Mapping[str, Sequence[Upload]]) -> bytes:
    """A digest of what identifies a request's images: endpoint, parameters and file contents."""
    identity = {
        "endpoint": endpoint,
        "params": {k: v for k, v in params.items() if k not in _DELIVERY_FIELDS},
        "files": {
            part: [hashlib.sha256(data).hexdigest() for _, data, _ in uploads]
            for part, uploads in files.items()
        },
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).digest()


def _pixels(size: str) -> tuple[int, int]:
    """``WIDTHxHEIGHT`` as integers, within what the emulator can draw (the contract lets unknown
    models ask any size, so the emulator sets its own bound: the largest size any model documents)."""
    match = _SIZE.fullmatch(size)
    if match is None:
        raise RequestValidationError(
            f"Invalid value: '{size}'. The size must be 'auto' or WIDTHxHEIGHT.", field="size"
        )
    width, height = int(match.group(1)), int(match.group(2))
    if not (0 < width <= _MAX_EDGE and 0 < height <= _MAX_EDGE and width * height <= _MAX_PIXELS):
        raise RequestValidationError(
            f"Invalid value: '{size}'. The emulator draws at most {_MAX_PIXELS} pixels and "
            f"{_MAX_EDGE} pixels per edge.",
            field="size",
        )
    return width, height


def _one_of(name: str, value: str, allowed: tuple[str, ...]) -> str:
    """``value`` when the emulator can produce it (the contract passes any value for unknown models)."""
    if value not in allowed:
        listed = ", ".join(f"'{v}'" for v in allowed[:-1]) + f", and '{allowed[-1]}'"
        raise RequestValidationError(f"Invalid value: '{value}'. Supported values are: {listed}.", field=name)
    return value


def make_job(
    endpoint: Endpoint, params: Mapping[str, Any], files: Mapping[str, Sequence[Upload]] | None
) -> Job:
    """Validate a request with the contract package and resolve what to produce.

    Raises ``RequestValidationError`` (with the API's status and error envelope) for an invalid request.
    ``files`` is ``None`` for a JSON body and a mapping (possibly empty) for a multipart one.
    """
    upload_lists = {part: list(uploads) for part, uploads in (files or {}).items()}
    files_input: dict[str, FileInput | list[FileInput]] = {
        part: [*uploads] for part, uploads in upload_lists.items()
    }
    # As strict as the service: unknown models and fields, and the official schema's rules where the
    # contract is lenient (``contract/images/official.py``), are refused.
    validated = validate_request(
        endpoint, dict(params), files_input if files is not None else None, strict=True
    )
    resolved: Mapping[str, Any] = validated.params

    size = validated.size if validated.size and validated.size != "auto" else _DEFAULT_SIZE
    width, height = _pixels(size)
    response_format = validated.response_format
    if response_format is not None:
        _one_of("response_format", response_format, ("url", "b64_json"))
    gpt_style = response_format is None
    output_format = _one_of("output_format", validated.output_format or "png", get_args(OutputFormat))
    background: Literal["transparent", "opaque"] | None = None
    quality: str | None = None
    if gpt_style:
        background = "transparent" if validated.background == "transparent" else "opaque"
        asked_quality = resolved.get("quality")
        quality = (
            asked_quality if isinstance(asked_quality, str) and asked_quality != "auto" else _AUTO_QUALITY
        )
    compression = resolved.get("output_compression")
    prompt = resolved.get("prompt")
    frames = resolved.get("frame_count", _DEFAULT_FRAMES)
    frame_duration = resolved.get("frame_duration_ms", _DEFAULT_FRAME_MS)
    return Job(
        endpoint=endpoint,
        model=validated.model,
        prompt=prompt if isinstance(prompt, str) else "",
        n=validated.n,
        stream=validated.stream,
        partial_images=validated.partial_images if validated.stream else 0,
        response_format=cast("Literal['url', 'b64_json'] | None", response_format),
        output_format=cast(OutputFormat, output_format),
        size=f"{width}x{height}",
        width=width,
        height=height,
        background=background,
        quality=quality,
        compression=compression if isinstance(compression, int) else None,
        frames=frames if isinstance(frames, int) else _DEFAULT_FRAMES,
        frame_duration_ms=frame_duration if isinstance(frame_duration, int) else _DEFAULT_FRAME_MS,
        revises_prompt=validated.base_model in _REVISES_PROMPT,
        input_images=len(validated.images) + len(validated.image_refs),
        digest=request_digest(endpoint, params, upload_lists),
    )


#: Output tokens of one 1024x1024 image per quality (the published gpt-image-1 figures).
_OUTPUT_TOKENS_1024 = {"low": 272, "medium": 1056, "high": 4160}
_INPUT_IMAGE_TOKENS = 323
#: Each partial image costs extra output tokens, as the real service bills them.
_PARTIAL_IMAGE_TOKENS = 100


def _image_tokens(job: Job) -> int:
    per_megapixel = _OUTPUT_TOKENS_1024.get(job.quality or "high", _OUTPUT_TOKENS_1024["high"])
    return max(16, round(per_megapixel * job.width * job.height / (1024 * 1024)))


def usage(job: Job, *, images: int, streamed: bool) -> dict[str, Any]:
    """Token usage for ``images`` output images of ``job``.

    ``streamed``: the stream ``*.completed`` shape (``ImagesUsage``, no ``output_tokens_details``);
    otherwise the ``ImageGenUsage`` shape of a plain reply.
    """
    text_tokens = max(1, len(job.prompt) // 4)
    image_input = _INPUT_IMAGE_TOKENS * job.input_images
    output = _image_tokens(job) * images + _PARTIAL_IMAGE_TOKENS * job.partial_images * images
    body: dict[str, Any] = {
        "total_tokens": text_tokens + image_input + output,
        "input_tokens": text_tokens + image_input,
        "output_tokens": output,
        "input_tokens_details": {"text_tokens": text_tokens, "image_tokens": image_input},
    }
    if not streamed:
        body["output_tokens_details"] = {"image_tokens": output, "text_tokens": 0}
    return body


def revised_prompt(prompt: str) -> str:
    """The longer, more specific prompt dall-e-3 reports having used."""
    return (
        f"{prompt.rstrip('.')}. The scene is rendered in rich detail with balanced composition, "
        "soft natural lighting and a harmonious colour palette."
    )


def images_response(job: Job, created: int, entries: list[dict[str, Any]]) -> dict[str, Any]:
    """The non-streaming body. ``entries`` are the ``data`` items (``b64_json`` or ``url``)."""
    if job.revises_prompt:
        entries = [{"revised_prompt": revised_prompt(job.prompt), **entry} for entry in entries]
    body: dict[str, Any] = {"created": created}
    if job.gpt_style:
        body["background"] = job.background
    body["data"] = entries
    if job.gpt_style:
        body["output_format"] = job.output_format
        body["quality"] = job.quality
        body["size"] = job.size
        body["usage"] = usage(job, images=len(entries), streamed=False)
    return body


def _event_prefix(job: Job) -> str:
    return "image_edit" if job.endpoint == "edits" else "image_generation"


def _event_common(job: Job, b64: str, created_at: int) -> dict[str, Any]:
    return {
        "b64_json": b64,
        "created_at": created_at,
        "size": job.size,
        "quality": job.quality,
        "background": job.background,
        "output_format": job.output_format,
    }


def partial_event(job: Job, b64: str, created_at: int, index: int) -> dict[str, Any]:
    return {
        "type": f"{_event_prefix(job)}.partial_image",
        **_event_common(job, b64, created_at),
        "partial_image_index": index,
    }


def completed_event(job: Job, b64: str, created_at: int) -> dict[str, Any]:
    return {
        "type": f"{_event_prefix(job)}.completed",
        **_event_common(job, b64, created_at),
        "usage": usage(job, images=1, streamed=True),
    }


def image_spec(job: Job, index: int) -> ImageSpec:
    """The picture the ``index``-th image of ``job`` is drawn from."""
    return ImageSpec(
        seed=seed_of(job.digest, str(index)),
        width=job.width,
        height=job.height,
        # dall-e URLs always point at PNGs.
        output_format=job.output_format if job.gpt_style or job.response_format != "url" else "png",
        transparent=job.background == "transparent",
        compression=job.compression,
        frames=job.frames,
        frame_duration_ms=job.frame_duration_ms,
    )


async def json_body(job: Job, state: EmulatorState, base_url: str) -> dict[str, Any]:
    """The non-streaming reply of ``job``: images as base64, or as signed URLs served by ``base_url``."""
    created = int(state.clock())
    entries: list[dict[str, Any]] = []
    for index in range(job.n):
        spec = image_spec(job, index)
        if job.response_format == "url":
            name = f"img-{random_token(24)}.png"
            state.remember_url(name, spec)
            root = base_url.rstrip("/")
            entries.append({"url": state.signer.sign(root, name, state.clock())})
        else:
            data = await anyio.to_thread.run_sync(render_encoded, spec)
            entries.append({"b64_json": base64.b64encode(data).decode()})
    return images_response(job, created, entries)


async def stream_frames(job: Job, created_at: int) -> AsyncIterator[bytes]:
    """The SSE frames of a streamed job, drawn one at a time so each frame leaves as soon as it exists."""
    for index in range(job.n):
        spec = image_spec(job, index)
        image = await anyio.to_thread.run_sync(render, spec)
        for number, preview in enumerate(partial_versions(image, job.partial_images)):
            data = await anyio.to_thread.run_sync(encode, preview, spec)
            yield sse_frame(partial_event(job, base64.b64encode(data).decode(), created_at, number))
        data = await anyio.to_thread.run_sync(encode, image, spec)
        yield sse_frame(completed_event(job, base64.b64encode(data).decode(), created_at))


def routes(handler: _Handler) -> list[BaseRoute]:
    """The Images API's routes: its three operations, Azure's deployment form of two of them, and the
    signed blob URLs its dall-e replies point at (the module ``contract/images/shape.py`` names)."""
    return [
        Route("/v1/images/{endpoint}", handler.openai_route, methods=["POST"]),
        Route("/openai/deployments/{deployment}/images/{endpoint}", handler.azure_route, methods=["POST"]),
        Route("/private/{org}/{user}/{name}", handler.blob_route, methods=["GET"]),
    ]
