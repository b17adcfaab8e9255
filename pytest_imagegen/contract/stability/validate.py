"""Stability AI v2beta requests: ``POST /v2beta/stable-image/{generate|upscale|edit|control}/...`` as
multipart (text fields arrive as strings), and ``GET /v2beta/results/{id}``.

Formats per endpoint are the rows of ``contract/capabilities.py`` (``POLLED_MODELS``, ``stability/...``);
the rest is shared: a prompt of at most 10000 characters where the endpoint needs one, an aspect ratio
from the documented list, a seed from 0 to 4294967294, an input image where the endpoint edits one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from pytest_imagegen.contract.capabilities import polled_model
from pytest_imagegen.contract.polling import int_param, invalid
from pytest_imagegen.contract.uploads import FilesInput, read_uploads

__all__ = [
    "ASPECT_RATIOS",
    "ASYNC_OPERATIONS",
    "GENERATE",
    "RESULT",
    "StabilityRequest",
    "operation_of_path",
    "validate_stability_request",
]

GENERATE = "stability"
RESULT = "stability-result"
ASPECT_RATIOS: Final = ("16:9", "1:1", "21:9", "2:3", "3:2", "4:5", "5:4", "9:16", "9:21")
#: The endpoints that answer ``{"id"}`` and are read at ``/v2beta/results/{id}`` (provider documentation).
ASYNC_OPERATIONS: Final = frozenset({"upscale/creative", "edit/replace-background-and-relight"})
#: The endpoints that need no prompt.
_NO_PROMPT: Final = frozenset({"upscale/fast", "edit/remove-background", "edit/erase", "edit/outpaint"})
_PATH = re.compile(r"/v2beta/stable-image/((?:generate|upscale|edit|control)/[\w-]+)/?$")


@dataclass(frozen=True)
class StabilityRequest:
    """A validated request: the operation, the endpoint (``generate/ultra``), what its image must be."""

    endpoint: str
    operation: str = "-"
    output_format: str = "png"
    is_async: bool = False
    strict: bool = False


def operation_of_path(path: str) -> str | None:
    """``generate/ultra`` from ``/v2beta/stable-image/generate/ultra``; None for another path."""
    match = _PATH.search(path)
    return match.group(1) if match else None


def validate_stability_request(
    operation: str, path: str, params: Mapping[str, Any], files: FilesInput | None, *, strict: bool = False
) -> StabilityRequest:
    """The request checked as the service checks it (``RequestValidationError`` naming the field)."""
    if operation == RESULT:
        return StabilityRequest(RESULT, strict=strict)
    endpoint = operation_of_path(path) or "-"
    prompt = params.get("prompt")
    if endpoint not in _NO_PROMPT and (not isinstance(prompt, str) or not prompt.strip()):
        raise invalid("prompt: is required", "prompt")
    if isinstance(prompt, str) and len(prompt) > 10000:
        raise invalid("prompt: must be at most 10000 characters", "prompt")
    ratio = params.get("aspect_ratio")
    if ratio is not None and ratio not in ASPECT_RATIOS:
        raise invalid(f"aspect_ratio: must be one of {', '.join(ASPECT_RATIOS)}", "aspect_ratio")
    row = polled_model("stability", endpoint.removeprefix("generate/"))
    formats = row.output_formats if row is not None else ("png", "jpeg", "webp")
    output_format = str(params.get("output_format") or "png")
    if output_format not in formats:
        raise invalid(f"output_format: must be one of {', '.join(formats)}", "output_format")
    int_param(params, "seed", 0, 4294967294)
    images = [f for f in read_uploads(files) if f.part == "image"]
    needs_image = not endpoint.startswith("generate/") or params.get("mode") == "image-to-image"
    if needs_image and not images:
        raise invalid("image: is required", "image")
    if images and images[0].format is None:
        raise invalid("image: is not an image (png, jpeg or webp)", "image")
    return StabilityRequest(GENERATE, endpoint, output_format, endpoint in ASYNC_OPERATIONS, strict)
