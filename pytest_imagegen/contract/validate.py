"""``validate_request``: one request of any API shape, checked the way the service checks it.

The Images API's endpoints (``generations``, ``edits``, ``variations``) are checked by
``contract/images/validate.py``; the other shapes by their own packages, named after them
(``contract/responses``, ``contract/chat``, ``contract/gemini``). The first problem raises
``RequestValidationError`` with the API's code and wording; the emulator answers with
``exc.to_error_body()`` and ``exc.status``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, overload

from pytest_imagegen.contract import messages
from pytest_imagegen.contract.chat.validate import ChatRequest, validate_chat_request
from pytest_imagegen.contract.gemini.validate import GeminiRequest, validate_gemini_request
from pytest_imagegen.contract.images.validate import ValidatedRequest, validate_images_request
from pytest_imagegen.contract.responses.validate import ResponsesRequest, validate_responses_request
from pytest_imagegen.contract.uploads import FilesInput

__all__ = ["validate_request"]


# Each later API shape answers a request of its own kind. A literal shape name picks its overload; mypy
# calls the set unsafe because a plain str could also hold one of the names, which no caller passes.
@overload
def validate_request(  # type: ignore[overload-overlap]
    endpoint: Literal["responses"],
    params: Mapping[str, Any],
    files: FilesInput | None = None,
    *,
    strict: bool = False,
    path: str | None = None,
) -> ResponsesRequest: ...


@overload
def validate_request(  # type: ignore[overload-overlap]
    endpoint: Literal["chat"],
    params: Mapping[str, Any],
    files: FilesInput | None = None,
    *,
    strict: bool = False,
    path: str | None = None,
) -> ChatRequest: ...


@overload
def validate_request(  # type: ignore[overload-overlap]
    endpoint: Literal["gemini"],
    params: Mapping[str, Any],
    files: FilesInput | None = None,
    *,
    strict: bool = False,
    path: str | None = None,
) -> GeminiRequest: ...


@overload
def validate_request(
    endpoint: str,
    params: Mapping[str, Any],
    files: FilesInput | None = None,
    *,
    strict: bool = False,
    path: str | None = None,
) -> ValidatedRequest: ...


def validate_request(
    endpoint: str,
    params: Mapping[str, Any],
    files: FilesInput | None = None,
    *,
    strict: bool = False,
    path: str | None = None,
) -> ValidatedRequest | ResponsesRequest | ChatRequest | GeminiRequest:
    """Check one request against the contract and the model's capability row.

    ``endpoint`` is ``generations``, ``edits`` or ``variations``; ``params`` the JSON body or the
    multipart text fields (an explicit ``None`` means "not given", as the SDK sends JSON nulls);
    ``files`` maps a part name (``image``, ``image[]``, ``mask``) to one file or a list. With
    ``strict=True`` unknown models and unknown fields are errors too.

    The other API shapes take their name and a JSON body, and return a request of their own kind:
    ``"responses"`` (``POST /v1/responses``, its ``image_generation`` tool: ``ResponsesRequest``),
    ``"chat"`` (``POST /chat/completions`` with image output: ``ChatRequest``), ``"gemini"`` (the Gemini
    API; ``path`` is the URL path that names the model and the method, ``.../models/{model}:{method}``:
    ``GeminiRequest``). ``path`` is ignored by the other shapes.
    """
    if endpoint in ("responses", "chat", "gemini"):
        if files:
            raise messages.unknown_parameter(next(iter(files)))
        if endpoint == "responses":
            return validate_responses_request(params, strict=strict)
        if endpoint == "chat":
            return validate_chat_request(params, strict=strict)
        return validate_gemini_request(params, path=path, strict=strict)
    return validate_images_request(endpoint, params, files, strict=strict)
