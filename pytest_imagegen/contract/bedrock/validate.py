"""Bedrock image requests: which family the model is, and its parameters checked as Bedrock checks them.

Amazon's models (``amazon.nova-canvas-v1:0``, ``amazon.titan-image-generator-v1`` / ``-v2:0``) take a
``taskType`` with that task's parameters and ``imageGenerationConfig`` (``numberOfImages`` 1-5, ``width``
and ``height`` 320-4096 in steps of 16, ``cfgScale`` 1.1-10, ``seed``, ``quality``). Stability's
(``stability.*``) take ``prompt``, ``aspect_ratio``, ``output_format`` (``png`` / ``jpeg``) and ``seed``.
An unknown model id passes (the catalogue grows faster than any table).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal
from urllib.parse import unquote

from pytest_imagegen.errors import RequestValidationError

__all__ = ["BedrockRequest", "model_id_of", "validate_bedrock_request"]

Family = Literal["amazon", "stability", "other"]
_PATH = re.compile(r"/model/([^/]+)/invoke/?$")
TASK_TYPES = frozenset(
    {
        "TEXT_IMAGE",
        "INPAINTING",
        "OUTPAINTING",
        "IMAGE_VARIATION",
        "COLOR_GUIDED_GENERATION",
        "BACKGROUND_REMOVAL",
        "VIRTUAL_TRY_ON",
    }
)
_TASK_PARAMS = {
    "TEXT_IMAGE": "textToImageParams",
    "INPAINTING": "inPaintingParams",
    "OUTPAINTING": "outPaintingParams",
    "IMAGE_VARIATION": "imageVariationParams",
    "COLOR_GUIDED_GENERATION": "colorGuidedGenerationParams",
    "BACKGROUND_REMOVAL": "backgroundRemovalParams",
    "VIRTUAL_TRY_ON": "virtualTryOnParams",
}


@dataclass(frozen=True)
class BedrockRequest:
    """A validated request: the model, its family, and what the reply must hold (``endpoint``: the
    operation, as every shape's request names it)."""

    model_id: str
    family: Family
    count: int
    width: int | None = None
    height: int | None = None
    output_format: str | None = None
    strict: bool = False
    endpoint: str = "bedrock"


def model_id_of(path: str) -> str | None:
    """``amazon.nova-canvas-v1:0`` from ``/model/amazon.nova-canvas-v1%3A0/invoke``; None for another path."""
    match = _PATH.search(path)
    return unquote(match.group(1)) if match else None


def _family(model_id: str) -> Family:
    vendor = model_id.split(".")[-2] if model_id.count(".") > 1 else model_id.split(".", 1)[0]
    if vendor == "amazon" and ("nova-canvas" in model_id or "titan-image" in model_id):
        return "amazon"
    return "stability" if vendor == "stability" else "other"


def _invalid(message: str, param: str) -> RequestValidationError:
    return RequestValidationError(message, field=param)


def _int_in(config: Mapping[str, Any], name: str, low: int, high: int, default: int | None) -> int | None:
    value = config.get(name, default)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise _invalid(f"imageGenerationConfig.{name} must be an integer from {low} to {high}", name)
    return value


def _amazon(model_id: str, body: Mapping[str, Any]) -> BedrockRequest:
    task = body.get("taskType")
    if task not in TASK_TYPES:
        raise _invalid(f"taskType must be one of {', '.join(sorted(TASK_TYPES))}", "taskType")
    params = body.get(_TASK_PARAMS[task])
    if task != "BACKGROUND_REMOVAL" and not isinstance(params, Mapping):
        raise _invalid(f"{_TASK_PARAMS[task]} is required for taskType {task}", _TASK_PARAMS[task])
    if task == "TEXT_IMAGE":
        text = params.get("text") if isinstance(params, Mapping) else None
        if not isinstance(text, str) or not 1 <= len(text) <= 1024:
            raise _invalid("textToImageParams.text must be a string of 1 to 1024 characters", "text")
    config = body.get("imageGenerationConfig") or {}
    if not isinstance(config, Mapping):
        raise _invalid("imageGenerationConfig must be an object", "imageGenerationConfig")
    count = _int_in(config, "numberOfImages", 1, 5, 1) or 1
    width = _int_in(config, "width", 320, 4096, None)
    height = _int_in(config, "height", 320, 4096, None)
    for name, value in (("width", width), ("height", height)):
        if value is not None and value % 16:
            raise _invalid(f"imageGenerationConfig.{name} must be a multiple of 16", name)
    if config.get("quality", "standard") not in ("standard", "premium"):
        raise _invalid("imageGenerationConfig.quality must be standard or premium", "quality")
    scale = config.get("cfgScale", 6.5)
    if not isinstance(scale, int | float) or isinstance(scale, bool) or not 1.1 <= scale <= 10:
        raise _invalid("imageGenerationConfig.cfgScale must be a number from 1.1 to 10", "cfgScale")
    _int_in(config, "seed", 0, 2_147_483_646, None)
    if task == "BACKGROUND_REMOVAL":
        count = 1
    return BedrockRequest(model_id, "amazon", count, width, height)


def _stability(model_id: str, body: Mapping[str, Any]) -> BedrockRequest:
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt:
        raise _invalid("prompt is required", "prompt")
    output_format = body.get("output_format", "png")
    if output_format not in ("png", "jpeg"):
        raise _invalid("output_format must be png or jpeg", "output_format")
    return BedrockRequest(model_id, "stability", 1, output_format=output_format)


def validate_bedrock_request(model_id: str, body: Any, *, strict: bool = False) -> BedrockRequest:
    """The request to ``model_id`` checked (``RequestValidationError`` when Bedrock would refuse it)."""
    if not isinstance(body, Mapping):
        raise _invalid("the body must be a JSON object", "body")
    family = _family(model_id)
    if family == "amazon":
        request = _amazon(model_id, body)
    elif family == "stability":
        request = _stability(model_id, body)
    else:
        request = BedrockRequest(model_id, "other", 0)
    return replace(request, strict=strict)
