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
from pytest_imagegen.contract.gemini.shape import GEMINI as GEMINI
from pytest_imagegen.contract.gemini.shape import parse_path as parse_path

if TYPE_CHECKING:
    from pytest_imagegen.contract.gemini.models import FINISH_REASONS as FINISH_REASONS
    from pytest_imagegen.contract.gemini.models import Blob as Blob
    from pytest_imagegen.contract.gemini.models import Candidate as Candidate
    from pytest_imagegen.contract.gemini.models import Content as Content
    from pytest_imagegen.contract.gemini.models import GenerateContentResponse as GenerateContentResponse
    from pytest_imagegen.contract.gemini.models import GoogleError as GoogleError
    from pytest_imagegen.contract.gemini.models import GoogleErrorResponse as GoogleErrorResponse
    from pytest_imagegen.contract.gemini.models import Part as Part
    from pytest_imagegen.contract.gemini.models import Prediction as Prediction
    from pytest_imagegen.contract.gemini.models import PredictResponse as PredictResponse
    from pytest_imagegen.contract.gemini.models import UsageMetadata as UsageMetadata
    from pytest_imagegen.contract.gemini.replies import check_gemini_error_reply as check_gemini_error_reply
    from pytest_imagegen.contract.gemini.replies import check_gemini_reply as check_gemini_reply
    from pytest_imagegen.contract.gemini.replies import is_gemini_reply as is_gemini_reply
    from pytest_imagegen.contract.gemini.validate import METHODS as METHODS
    from pytest_imagegen.contract.gemini.validate import MODALITIES as MODALITIES
    from pytest_imagegen.contract.gemini.validate import GeminiInputImage as GeminiInputImage
    from pytest_imagegen.contract.gemini.validate import GeminiRequest as GeminiRequest
    from pytest_imagegen.contract.gemini.validate import field_of as field_of
    from pytest_imagegen.contract.gemini.validate import validate_gemini_request as validate_gemini_request

__getattr__, _LAZY = lazy.exports(
    __name__,
    {
        "pytest_imagegen.contract.gemini.models": "FINISH_REASONS Blob Candidate Content GenerateContentResponse GoogleError GoogleErrorResponse Part Prediction PredictResponse UsageMetadata",
        "pytest_imagegen.contract.gemini.replies": "check_gemini_error_reply check_gemini_reply is_gemini_reply",
        "pytest_imagegen.contract.gemini.validate": "METHODS MODALITIES GeminiInputImage GeminiRequest field_of validate_gemini_request",
    },
)
__all__ = ["GEMINI", "parse_path", *_LAZY]
