"""fal.ai queue requests: ``POST /{owner}/{app}[/{path}]`` with the app's JSON input; the status read
(``GET .../requests/{id}/status``), the result (``GET .../requests/{id}``) and the cancel (``PUT
.../requests/{id}/cancel``).

What an app takes is its own schema; the inputs fal's image apps share are checked where present
(``prompt``, ``num_images``, ``image_size``, ``output_format``, ``seed``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from pytest_imagegen.contract.polling import int_param, invalid

__all__ = [
    "CANCEL",
    "IMAGE_SIZES",
    "RESULT",
    "STATUS",
    "SUBMIT",
    "FalRequest",
    "app_of_path",
    "validate_fal_request",
]

SUBMIT = "fal"
STATUS = "fal-status"
RESULT = "fal-result"
CANCEL = "fal-cancel"
#: fal's named sizes (its documentation), and the pixels each stands for.
IMAGE_SIZES: Final = {
    "square_hd": (1024, 1024),
    "square": (512, 512),
    "portrait_4_3": (768, 1024),
    "portrait_16_9": (576, 1024),
    "landscape_4_3": (1024, 768),
    "landscape_16_9": (1024, 576),
}
_APP = re.compile(r"/(fal-ai/[\w.-]+(?:/(?!requests/)[\w.-]+)*)/?$")
_FORMATS = ("jpeg", "png", "webp")


@dataclass(frozen=True)
class FalRequest:
    """A validated request: the operation, the app, and what its images must be (None: unsaid)."""

    endpoint: str
    app: str = "-"
    count: int | None = None
    width: int | None = None
    height: int | None = None
    strict: bool = False


def app_of_path(path: str) -> str | None:
    """``fal-ai/flux/dev`` from its submit path; None for a path under ``requests/``."""
    match = _APP.search(path)
    return match.group(1) if match and "/requests/" not in path else None


def _size(value: Any) -> tuple[int | None, int | None]:
    if value is None:
        return None, None
    if isinstance(value, str):
        if value not in IMAGE_SIZES:
            raise invalid(
                f"image_size must be one of {', '.join(IMAGE_SIZES)} or a width and height", "image_size"
            )
        return IMAGE_SIZES[value]
    if isinstance(value, Mapping):
        width, height = int_param(value, "width", 1, 14142), int_param(value, "height", 1, 14142)
        if width is None or height is None:
            raise invalid("image_size must have both width and height", "image_size")
        return width, height
    raise invalid("image_size must be a named size or an object with width and height", "image_size")


def validate_fal_request(operation: str, path: str, body: Any, *, strict: bool = False) -> FalRequest:
    """The request checked as the service checks it (``RequestValidationError`` naming the field)."""
    if operation != SUBMIT:
        return FalRequest(operation, strict=strict)
    if not isinstance(body, Mapping):
        raise invalid("the body must be a JSON object", "body")
    if "prompt" in body and not isinstance(body["prompt"], str):
        raise invalid("prompt must be a string", "prompt")
    # fal's image apps take 1-4 images a call, a few up to 8 (lenient: 8, the largest documented).
    count = int_param(body, "num_images", 1, 8)
    width, height = _size(body.get("image_size"))
    if body.get("output_format", "jpeg") not in _FORMATS:
        raise invalid(f"output_format must be one of {', '.join(_FORMATS)}", "output_format")
    int_param(body, "seed", 0, (1 << 63) - 1)
    if "sync_mode" in body and not isinstance(body["sync_mode"], bool):
        raise invalid("sync_mode must be a boolean", "sync_mode")
    return FalRequest(SUBMIT, app_of_path(path) or "-", count, width, height, strict)
