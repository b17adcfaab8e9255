"""Stability AI replies checked. A synchronous endpoint answers the image itself (``accept: image/*``,
given here as bytes) or ``{"image", "finish_reason", "seed"}``, in the format asked; an asynchronous one
``{"id"}``; a read of its result ``{"id", "status": "in-progress"}`` (202) until the image comes (200),
and a finished result with no image is a problem."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from pytest_imagegen.contract.problems import Problems, schema_problems
from pytest_imagegen.contract.stability.models import StabilityImage, StabilityInProgress, StabilityJob
from pytest_imagegen.contract.stability.validate import RESULT, StabilityRequest
from pytest_imagegen.contract.uploads import sniff_format

__all__ = ["check_stability_reply"]


def _image_problems(path: str, data: bytes | None, wanted: str | None) -> Problems:
    found = sniff_format(data) if data else None
    if found is None:
        return [(path, "is not an image")]
    if wanted is not None and found != wanted:
        return [(path, f"image is {found}, expected {wanted}")]
    return []


def _json_image(document: Any, wanted: str | None, strict: bool) -> Problems:
    reply, problems = schema_problems(StabilityImage, document, "$", strict)
    if reply is None:
        return problems
    b64 = reply.image if reply.image is not None else reply.result
    if b64 is None:
        return [*problems, ("$.image", "a finished job has no image")]
    try:
        data = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        data = None
    return problems + _image_problems("$.image" if reply.image is not None else "$.result", data, wanted)


def check_stability_reply(
    request: StabilityRequest | None, document: Any, *, strict: bool = False
) -> Problems:
    """Every problem of a 2xx reply (JSON, or the image's bytes) as ``(json path, message)``."""
    wanted = request.output_format if request is not None and request.endpoint != RESULT else None
    if isinstance(document, bytes | bytearray):
        return _image_problems("$", bytes(document), wanted)
    if request is not None and request.is_async:
        return schema_problems(StabilityJob, document, "$", strict)[1]
    if (
        request is not None
        and request.endpoint == RESULT
        and isinstance(document, dict)
        and "status" in document
    ):
        return schema_problems(StabilityInProgress, document, "$", strict)[1]
    return _json_image(document, wanted, strict)
