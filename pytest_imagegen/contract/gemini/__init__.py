"""The Gemini API's image methods (``generateContent``, ``streamGenerateContent``, Imagen's ``predict``):
the ``gemini`` shape.

Built like the other shapes of the contract (``pytest_imagegen.contract.shapes.GEMINI``) and reading the same
capability table (which methods a model answers, its aspect ratios and image sizes, Imagen's
``sampleCount`` maximum):

- ``validate_request("gemini", body, path=...)`` (or ``validate_gemini_request``) -> ``GeminiRequest``;
- ``check_reply(request, reply)`` (or ``check_gemini_reply``): the reply, its stream chunks, or a
  ``predict`` reply.

Pure: no pytest, no I/O beyond reading the bytes it is handed.
"""

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
    parse_path,
    validate_gemini_request,
)

__all__ = [
    "FINISH_REASONS",
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
