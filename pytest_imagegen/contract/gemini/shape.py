"""``GEMINI``: the Gemini API's image methods (and Imagen's ``predict``) as an API shape.

``.../models/{model}:generateContent``, ``:streamGenerateContent`` (SSE with ``?alt=sse``, else a JSON
array) and ``:predict``; Vertex AI's ``.../publishers/google/models/{model}:{method}`` ends the same way.
The model and the method are in the URL, so validation takes the path as well as the body. The key
travels in ``x-goog-api-key`` or ``?key=``. Validation is ``validate.py``, reply checks ``replies.py``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from pytest_imagegen.contract.shape import ApiShape, Call

if TYPE_CHECKING:
    from pydantic import BaseModel

    from pytest_imagegen.contract.gemini.validate import GeminiRequest

__all__ = ["GEMINI", "parse_path"]

_PATH: Final = re.compile(r"/models/([^/:]+):([A-Za-z]+)/?$")


def parse_path(path: str) -> tuple[str, str] | None:
    """``(model, method)`` of a ``.../models/{model}:{method}`` path, else None."""
    match = _PATH.search(path)
    return (match.group(1), match.group(2)) if match else None


class GeminiShape(ApiShape["GeminiRequest"]):
    name = "gemini"
    api = "Gemini API"
    path = re.compile(r"/models/[^/:]+:(?:generateContent|streamGenerateContent|predict)/?$")
    # Any method (``:countTokens`` too): matched under any base URL, not checked.
    operations = re.compile(r"(/models/[^/:]+:[A-Za-z]+)/?$")
    request_markers = ("contents", "instances")
    credential_headers = frozenset({"x-goog-api-key"})
    credential_query_keys = frozenset({"key"})
    # google-genai reads GOOGLE_API_KEY, else GEMINI_API_KEY: a dummy in one would hide a real other.
    key_variables = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
    key_alternatives = (frozenset({"GEMINI_API_KEY", "GOOGLE_API_KEY"}),)
    image_fields = (
        # Reply (JSON, each stream chunk, each element of a JSON-array stream), and request parts: the REST
        # API takes proto field names in camelCase and in snake_case.
        ("candidates", "*", "content", "parts", "*", "inlineData", "data"),
        ("candidates", "*", "content", "parts", "*", "inline_data", "data"),
        ("contents", "*", "parts", "*", "inlineData", "data"),
        ("contents", "*", "parts", "*", "inline_data", "data"),
        # Imagen predict.
        ("predictions", "*", "bytesBase64Encoded"),
    )
    error_context = "error reply of the Gemini API"
    emulator = "pytest_imagegen.emulator.gemini"

    @property
    def error_model(self) -> type[BaseModel]:
        from pytest_imagegen.contract.gemini.models import GoogleErrorResponse

        return GoogleErrorResponse

    def validate(self, call: Call) -> GeminiRequest:
        from pytest_imagegen.contract.gemini.validate import validate_gemini_request

        return validate_gemini_request(call.params, path=call.path, strict=call.strict)

    def validate_call(self, call: Call, *, stream: bool) -> GeminiRequest:
        """The model is in the URL, which SDK keyword arguments do not hold; the method follows from the
        body (``instances``: Imagen's ``predict``) and from whether the reply is a stream."""
        from pytest_imagegen.contract.gemini.validate import validate_gemini_request

        method = "predict" if "instances" in call.params else "generateContent"
        if stream and method != "predict":
            method = "streamGenerateContent"
        return validate_gemini_request(call.params, strict=call.strict, method=method)

    def check_reply(self, request: GeminiRequest | None, reply: Any, *, strict: bool = False) -> None:
        __tracebackhide__ = True
        from pytest_imagegen.contract.gemini.replies import check_gemini_reply

        check_gemini_reply(request, reply, strict=strict)

    def is_reply(self, reply: Any) -> bool:
        from pytest_imagegen.contract.gemini.replies import is_gemini_reply

        return is_gemini_reply(reply)

    def model_of(self, uri: str, params: Mapping[str, Any]) -> str:
        """The model of the URL (``gemini-2.5-flash-image``)."""
        parsed = parse_path(urlsplit(uri).path)
        return parsed[0] if parsed else "-"

    def event_label(self, data: Mapping[str, Any]) -> str | None:
        if "candidates" not in data:
            return None
        finished = any(isinstance(c, Mapping) and c.get("finishReason") for c in data["candidates"] or ())
        return "candidates (finished)" if finished else "candidates"

    def volatile_value(self, key: str, value: Any) -> str | None:
        return "<responseId>" if key == "responseId" and isinstance(value, str) else None


GEMINI: Final = GeminiShape()
