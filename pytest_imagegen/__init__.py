"""pytest-imagegen: record and replay OpenAI-style Images API calls in pytest.

Cassettes hold no secrets and no multi-megabyte base64 (each image becomes a tiny placeholder that
still decodes to the same format, size and mode); replies are checked against the API contract.

The public names below are imported on first use (PEP 562): pytest imports this package at every start
through the plugin's entry point, and most runs of most test suites never touch a cassette, so none of
pydantic, vcrpy, Pillow or the HTTP libraries is loaded until a name or a cassette is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_imagegen.assertions import assert_valid_reply
    from pytest_imagegen.cassette.core import ImagegenCassette
    from pytest_imagegen.client import AsyncImagegenClient, ImagegenClient
    from pytest_imagegen.config import ImagegenConfig
    from pytest_imagegen.contract import check_reply, validate_request
    from pytest_imagegen.errors import (
        CassetteError,
        CassetteExpired,
        CassetteMiss,
        ImagegenAPIError,
        ImageMismatchError,
        RequestValidationError,
        SchemaAssertionError,
        SecretLeakError,
    )
    from pytest_imagegen.visual import (
        GeneratedImage,
        assert_image_facts,
        assert_image_matches,
        image_difference,
        imagegen_images,
    )

__all__ = [
    "AsyncImagegenClient",
    "CassetteError",
    "CassetteExpired",
    "CassetteMiss",
    "GeneratedImage",
    "ImageMismatchError",
    "ImagegenAPIError",
    "ImagegenCassette",
    "ImagegenClient",
    "ImagegenConfig",
    "RequestValidationError",
    "SchemaAssertionError",
    "SecretLeakError",
    "assert_image_facts",
    "assert_image_matches",
    "assert_valid_reply",
    "check_reply",
    "image_difference",
    "imagegen_images",
    "validate_request",
]

_WHERE = {
    "AsyncImagegenClient": "pytest_imagegen.client",
    "ImagegenClient": "pytest_imagegen.client",
    "ImagegenCassette": "pytest_imagegen.cassette.core",
    "ImagegenConfig": "pytest_imagegen.config",
    "assert_valid_reply": "pytest_imagegen.assertions",
    "check_reply": "pytest_imagegen.contract",
    "validate_request": "pytest_imagegen.contract",
    **dict.fromkeys(
        (
            "GeneratedImage",
            "assert_image_facts",
            "assert_image_matches",
            "image_difference",
            "imagegen_images",
        ),
        "pytest_imagegen.visual",
    ),
    **dict.fromkeys(
        (
            "CassetteError",
            "CassetteExpired",
            "CassetteMiss",
            "ImagegenAPIError",
            "ImageMismatchError",
            "RequestValidationError",
            "SchemaAssertionError",
            "SecretLeakError",
        ),
        "pytest_imagegen.errors",
    ),
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_imagegen' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
