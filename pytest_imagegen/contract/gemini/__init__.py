"""The Gemini API's image methods (``generateContent``, ``streamGenerateContent``, Imagen's ``predict``):
the ``gemini`` shape.

Its API shape is ``GEMINI`` (``shape.py``); it reads the same capability table as the others (which
methods a model answers, its aspect ratios and image sizes, Imagen's ``sampleCount`` maximum):

- ``validate_request("gemini", body, path=...)`` (or ``validate_gemini_request``) -> ``GeminiRequest``;
- ``check_reply(request, reply)`` (or ``check_gemini_reply``): the reply, its stream chunks, or a
  ``predict`` reply.

Pure: no pytest, no I/O beyond reading the bytes it is handed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_imagegen.contract import lazy
from pytest_imagegen.contract.gemini.shape import GEMINI, parse_path

if TYPE_CHECKING:
    from pytest_imagegen.contract.gemini.models import (
        FINISH_REASONS,
        Blob,
        Candidate,
        Content,
        GenerateContentResponse,
        GoogleError,
        GoogleErrorResponse,
        Part,
        Prediction,
        PredictResponse,
        UsageMetadata,
    )
    from pytest_imagegen.contract.gemini.replies import (
        check_gemini_error_reply,
        check_gemini_reply,
        is_gemini_reply,
    )
    from pytest_imagegen.contract.gemini.validate import (
        METHODS,
        MODALITIES,
        GeminiInputImage,
        GeminiRequest,
        field_of,
        validate_gemini_request,
    )

__all__ = [
    "FINISH_REASONS",
    "GEMINI",
    "METHODS",
    "MODALITIES",
    "Blob",
    "Candidate",
    "Content",
    "GeminiInputImage",
    "GeminiRequest",
    "GenerateContentResponse",
    "GoogleError",
    "GoogleErrorResponse",
    "Part",
    "PredictResponse",
    "Prediction",
    "UsageMetadata",
    "check_gemini_error_reply",
    "check_gemini_reply",
    "field_of",
    "is_gemini_reply",
    "parse_path",
    "validate_gemini_request",
]

__getattr__ = lazy.exports(
    __name__,
    [name for name in __all__ if name not in ("GEMINI", "parse_path")],
    {
        "pytest_imagegen.contract.gemini.models": (
            "FINISH_REASONS",
            "Blob",
            "Candidate",
            "Content",
            "GenerateContentResponse",
            "GoogleError",
            "GoogleErrorResponse",
            "Part",
            "Prediction",
            "PredictResponse",
            "UsageMetadata",
        ),
        "pytest_imagegen.contract.gemini.replies": (
            "check_gemini_error_reply",
            "check_gemini_reply",
            "is_gemini_reply",
        ),
        "pytest_imagegen.contract.gemini.validate": (
            "METHODS",
            "MODALITIES",
            "GeminiInputImage",
            "GeminiRequest",
            "field_of",
            "validate_gemini_request",
        ),
    },
)
