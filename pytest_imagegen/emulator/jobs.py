"""The one bridge between the contract package and the emulator: a validated request becomes a ``Job``.

``pytest_imagegen.contract.validate_request`` decides whether a request is valid and resolves its
defaults (model, size, formats); this module turns its answer into the plain facts the emulator needs
to draw and reply (pixel size, resolved background and quality, reply shape), so nothing else in the
emulator depends on the contract package's types.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, cast, get_args

from pytest_imagegen.contract import FileInput, validate_request
from pytest_imagegen.emulator.drawing import OutputFormat
from pytest_imagegen.errors import RequestValidationError

__all__ = ["Endpoint", "Job", "Upload", "make_job", "request_digest"]

Endpoint = Literal["generations", "edits", "variations"]
#: One uploaded file as the contract package takes it: (filename, bytes, content type).
Upload = tuple[str | None, bytes, str | None]

_DEFAULT_SIZE = "1024x1024"
_DEFAULT_FRAMES = 9
_SIZE: Final = re.compile(r"(\d+)x(\d+)")
_MAX_EDGE = 3840
_MAX_PIXELS = 3840 * 2160
_DEFAULT_FRAME_MS = 200
#: What the real service reports for quality "auto" (the reply never says "auto").
_AUTO_QUALITY = "high"
#: Models whose replies carry ``revised_prompt`` (reference §2: dall-e-3 only).
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
    validated = validate_request(endpoint, dict(params), files_input if files is not None else None)
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
