"""Black Forest Labs requests: ``POST /v1/{model}`` with the model's parameters, ``GET /v1/get_result``.

Sizes and formats are the model's row in ``contract/capabilities.py`` (``POLLED_MODELS``); an unknown
model passes with the rules every model shares: a prompt (or an input image), a seed, a safety tolerance.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pytest_imagegen.contract.capabilities import polled_model
from pytest_imagegen.contract.polling import int_param, invalid, size_problem

__all__ = ["RESULT", "SUBMIT", "BflRequest", "model_of_path", "validate_bfl_request"]

SUBMIT = "bfl"
RESULT = "bfl-result"
_MODEL = re.compile(r"/v1/([\w.-]+)/?$")
_IMAGE_INPUTS = ("image_prompt", "input_image", "image")


@dataclass(frozen=True)
class BflRequest:
    """A validated request: the operation, the model, and what its image must be."""

    endpoint: str
    model: str = "-"
    width: int | None = None
    height: int | None = None
    output_format: str | None = None
    strict: bool = False


def model_of_path(path: str) -> str | None:
    """``flux-2-pro`` from ``/v1/flux-2-pro``; None for ``get_result`` or another path."""
    match = _MODEL.search(path)
    return match.group(1) if match and match.group(1) != "get_result" else None


def validate_bfl_request(operation: str, path: str, body: Any, *, strict: bool = False) -> BflRequest:
    """The request checked as the service checks it (``RequestValidationError`` naming the field)."""
    if operation == RESULT:
        return BflRequest(RESULT, strict=strict)
    model = model_of_path(path) or "-"
    if not isinstance(body, Mapping):
        raise invalid("the body must be a JSON object", "body")
    prompt = body.get("prompt")
    if prompt is not None and not isinstance(prompt, str):
        raise invalid("prompt must be a string", "prompt")
    if not prompt and not any(body.get(name) for name in _IMAGE_INPUTS):
        raise invalid("prompt is required (or an input image)", "prompt")
    row = polled_model("bfl", model)
    width = int_param(body, "width", 1, 1 << 16)
    height = int_param(body, "height", 1, 1 << 16)
    for name, value in (("width", width), ("height", height)):
        problem = size_problem(row, name, value)
        if problem is not None:
            raise problem
    output_format = body.get("output_format")
    formats = row.output_formats if row is not None else ("jpeg", "png", "webp")
    if output_format is not None and output_format not in formats:
        raise invalid(f"output_format must be one of {', '.join(formats)}", "output_format")
    int_param(body, "seed", 0, (1 << 63) - 1)
    int_param(body, "safety_tolerance", 0, 6)
    if "prompt_upsampling" in body and not isinstance(body["prompt_upsampling"], bool):
        raise invalid("prompt_upsampling must be a boolean", "prompt_upsampling")
    return BflRequest(SUBMIT, model, width, height, output_format, strict)
