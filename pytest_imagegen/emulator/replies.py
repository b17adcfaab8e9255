"""Reply bodies in the contract's shapes: ``ImagesResponse`` JSON, SSE frames, token usage.

Usage numbers are made up but consistent (they grow with prompt length, pixel count, quality, input
images and partial images; totals add up), so assertions on them behave like against the real service.
"""

from __future__ import annotations

import json
from typing import Any

from pytest_imagegen.emulator.jobs import Job

__all__ = ["completed_event", "images_response", "partial_event", "revised_prompt", "sse_frame", "usage"]

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


def sse_frame(event: dict[str, Any]) -> bytes:
    """One SSE event: an ``event:`` line with the type, a ``data:`` line with compact JSON, a blank line."""
    data = json.dumps(event, separators=(",", ":"))
    return f"event: {event['type']}\ndata: {data}\n\n".encode()
