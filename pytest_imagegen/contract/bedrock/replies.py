"""Bedrock image replies checked: the schema of the family's reply, then against the request (as many
images as asked, each a real image, of the size asked for Amazon's models and the format asked for
Stability's). A refused image (Amazon's ``error``, Stability's ``finish_reasons``) is no problem."""

from __future__ import annotations

from typing import Any

from pytest_imagegen.contract.bedrock.models import AmazonImageReply, StabilityImageReply
from pytest_imagegen.contract.bedrock.validate import BedrockRequest
from pytest_imagegen.contract.inline import inline_image
from pytest_imagegen.contract.problems import Problems, schema_problems

__all__ = ["check_bedrock_reply"]


def _image_problems(path: str, b64: str, request: BedrockRequest) -> Problems:
    image = inline_image(b64, None)
    if image is None or image.format is None:
        return [(path, "is not a base64 image")]
    if request.width and request.height and (image.width, image.height) != (request.width, request.height):
        return [(path, f"image is {image.width}x{image.height}, expected {request.width}x{request.height}")]
    wanted = {"jpeg": "jpeg", "png": "png"}.get(request.output_format or "")
    if wanted and image.format != wanted:
        return [(path, f"image is {image.format}, expected {wanted}")]
    return []


def check_bedrock_reply(request: BedrockRequest, document: Any, *, strict: bool = False) -> Problems:
    """Every problem of a 2xx reply to ``request`` as ``(json path, message)``."""
    if request.family == "other":
        return []
    if request.family == "amazon":
        amazon, problems = schema_problems(AmazonImageReply, document, "$", strict)
        if amazon is None or amazon.error:
            return problems
        images = amazon.images
    else:
        stability, problems = schema_problems(StabilityImageReply, document, "$", strict)
        if stability is None:
            return problems
        images = stability.images
        if not len(stability.seeds) == len(stability.finish_reasons) == len(images):
            problems.append(("$", "seeds, finish_reasons and images must be as long as each other"))
        if any(stability.finish_reasons):
            return problems
    if len(images) != request.count:
        problems.append(("$.images", f"{len(images)} image(s), {request.count} asked"))
    for i, b64 in enumerate(images):
        problems += _image_problems(f"$.images[{i}]", b64, request)
    return problems
