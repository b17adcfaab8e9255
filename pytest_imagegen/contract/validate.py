"""``validate_request``: one request of any API shape, checked the way the service checks it.

The shape is the registry's (``contract/registry.py``): the one whose ``endpoints`` name ``endpoint``
(the Images API's ``generations``, ``edits``, ``variations``; ``responses``, ``chat``, ``gemini``; any
shape registered later). The first problem raises ``RequestValidationError`` with the API's code and
wording; the emulator answers with ``exc.to_error_body()`` and ``exc.status``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, overload

from pytest_imagegen.contract import messages, registry
from pytest_imagegen.contract.shape import Call, ShapeRequest
from pytest_imagegen.contract.uploads import FilesInput
from pytest_imagegen.errors import RequestValidationError

if TYPE_CHECKING:
    from pytest_imagegen.contract.chat.validate import ChatRequest
    from pytest_imagegen.contract.gemini.validate import GeminiRequest
    from pytest_imagegen.contract.images.validate import ValidatedRequest
    from pytest_imagegen.contract.responses.validate import ResponsesRequest

__all__ = ["validate_request"]


# The built-in shapes' request types, for type checkers only: the lookup below is the registry's, and a
# shape registered later returns its own request type (typed as any shape's request).
@overload
def validate_request(
    endpoint: Literal["generations", "edits", "variations"],
    params: Mapping[str, Any],
    files: FilesInput | None = None,
    *,
    strict: bool = False,
    path: str | None = None,
) -> ValidatedRequest: ...


@overload
def validate_request(
    endpoint: Literal["responses"],
    params: Mapping[str, Any],
    files: FilesInput | None = None,
    *,
    strict: bool = False,
    path: str | None = None,
) -> ResponsesRequest: ...


@overload
def validate_request(
    endpoint: Literal["chat"],
    params: Mapping[str, Any],
    files: FilesInput | None = None,
    *,
    strict: bool = False,
    path: str | None = None,
) -> ChatRequest: ...


@overload
def validate_request(
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
) -> ShapeRequest: ...


def validate_request(
    endpoint: str,
    params: Mapping[str, Any],
    files: FilesInput | None = None,
    *,
    strict: bool = False,
    path: str | None = None,
) -> ShapeRequest:
    """Check one request against the contract and the model's capability row.

    ``endpoint`` names the operation: ``generations``, ``edits`` or ``variations`` (the Images API),
    ``responses`` (``POST /v1/responses``, its ``image_generation`` tool), ``chat`` (``POST
    /chat/completions`` with image output), ``gemini`` (the Gemini API; ``path`` is the URL path that names
    the model and the method, ``.../models/{model}:{method}``), or an operation of a shape registered
    later. ``params`` is the JSON body or the multipart text fields (an explicit ``None`` means "not
    given", as the SDK sends JSON nulls); ``files`` maps a part name (``image``, ``image[]``, ``mask``) to
    one file or a list, for a shape that takes files. With ``strict=True`` unknown models and unknown
    fields are errors too.

    Returns the shape's own request type: ``ValidatedRequest``, ``ResponsesRequest``, ``ChatRequest``,
    ``GeminiRequest``, ... An endpoint no shape has is a 404, as the service answers an unknown URL.
    """
    shape = registry.shape_for_endpoint(endpoint)
    if shape is None:
        known = messages.quote_list(registry.endpoints(), conjunction="or")
        raise RequestValidationError(
            f"Invalid URL: no API shape has the endpoint '{endpoint}' (expected {known})",
            field=None,
            code=None,
            status=404,
        )
    if files and not shape.takes_files:
        raise messages.unknown_parameter(next(iter(files)))
    request: ShapeRequest = shape.validate(Call(endpoint, params, files, strict, path))
    return request
