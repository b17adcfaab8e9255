"""A stored interaction read through the contract: its request rebuilt, its model, and its verdict.

The verdict (``contract_problems``) is what replay checks every reply with, what the index stores, and
what ``imagegen-cassettes verify`` reports (``cli/verify.py``, which adds the leak scan). It is not the
structure check of a cassette file (``schema.check_interaction``): that one asks whether replay can read
an interaction at all, this one whether what it holds keeps the API contract.

Each interaction is dispatched by its API shape (``contract.registry.shape_for`` on the request URI); a
call in no registered shape passes. Its request is rebuilt from its stored form (JSON body params, or
multipart text fields and files, a placeholder file turned back into an image of its recorded format,
size and mode) and validated by the shape (``ApiShape.recorded_call``); its reply is checked by the
shape with placeholders expanded, so image format and size are checked: a 2xx reply (JSON, or the data of
each SSE event) with ``check_recorded_reply``, any other status against the shape's error envelope. A
request the contract rejects is fine when the service rejected it too (a recorded error case), and a
problem when the service answered 2xx. ``model_of`` names the model a stored request asked for, for
metadata and ``show``.

Pure: interactions in, problems out.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from pytest_imagegen.contract import registry
from pytest_imagegen.contract.shape import SSE_DONE, ApiShape
from pytest_imagegen.contract.uploads import FileInput, FilesInput
from pytest_imagegen.errors import RequestValidationError, SchemaAssertionError
from pytest_imagegen.safety import trim
from pytest_imagegen.wire.payloads import is_placeholder

__all__ = ["contract_problems", "model_of", "stored_params"]


def _file_bytes(file: Mapping[str, Any]) -> bytes:
    if is_placeholder(file):
        return trim.placeholder_image(file["placeholder"])
    return base64.b64decode(file["base64"])


def request_inputs(body: Mapping[str, Any]) -> tuple[dict[str, Any], FilesInput | None]:
    """``validate_request``'s ``params`` and ``files`` rebuilt from a stored request body.

    Raises ValueError for a body that is neither JSON nor multipart (the APIs take nothing else).
    """
    if not body:
        return {}, None
    if "json" in body:
        # Images the request sent inline (data URLs) are placeholders on disk: put real ones back.
        document = trim.expand_body({"json": body["json"]})["json"]
        if not isinstance(document, dict):
            raise ValueError(f"the request body is JSON but not an object ({type(document).__name__})")
        return document, None
    if "multipart" in body:
        params: dict[str, Any] = {}
        files: dict[str, list[FileInput]] = {}
        for part in body["multipart"]:
            if "file" in part:
                data = _file_bytes(part["file"])
                if part.get("filename") is None and (text := _text_of(data)) is not None:
                    # A part with no filename is a form field to the server whatever its content type
                    # (aiohttp sends "text/plain; charset=utf-8" with each); stored as sent, read as text.
                    params[str(part["name"])] = text
                    continue
                entry = (part.get("filename"), data, part.get("content_type"))
                files.setdefault(str(part["name"]), []).append(entry)
            else:
                params[str(part["name"])] = part.get("value")
        return params, files
    kind = next(iter(body), "?")
    raise ValueError(f"the request body is stored as {kind!r}, where JSON or multipart was expected")


def _text_of(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _reply_document(body: Mapping[str, Any], *, keep_done: bool) -> Any:
    """The JSON a client would check: a JSON document, or the data of each SSE event (the closing
    ``[DONE]`` only with ``keep_done``: a shape whose checks read the stream as sent)."""
    expanded = trim.expand_body(dict(body))
    if "json" in expanded:
        return expanded["json"]
    if "sse" in expanded:
        return [event.get("data") for event in expanded["sse"] if keep_done or event.get("data") != SSE_DONE]
    return None


def contract_problems(interaction: Mapping[str, Any], *, strict: bool = False) -> list[tuple[str, str]]:
    """Contract problems of one stored interaction as ``(where, message)``; ``[]`` when it is sound or is
    not a call in an API shape of the registry (``pytest_imagegen.contract.registry``).

    Pure and deterministic: the verdict depends only on the interaction (and ``strict``, and the shapes
    registered), so it may be cached by the interaction's content.
    """
    request, response = interaction["request"], interaction["response"]
    uri = str(request.get("uri", ""))
    shape = registry.shape_for(uri)
    if shape is None:
        return []
    problems = _method_problems(request, shape)
    validated = None
    try:
        params, files = request_inputs(request.get("body") or {})
        validated = shape.validate(shape.recorded_call(uri, params, files, strict=strict))
    except RequestValidationError as exc:
        problems += _rejected(exc, int(response["status"]["code"]))
    except ValueError as exc:
        problems.append(("request body", str(exc)))
    return problems + _reply_problems(shape, validated, response, strict)


def _method_problems(request: Mapping[str, Any], shape: ApiShape[Any]) -> list[tuple[str, str]]:
    if str(request.get("method", "")).upper() not in shape.methods:
        return [
            (
                "request method",
                f"{request.get('method')!r}, but the {shape.api} takes {'/'.join(shape.methods)}",
            )
        ]
    return []


def _rejected(exc: RequestValidationError, status: int) -> list[tuple[str, str]]:
    """A request the contract rejects is fine when the service rejected it too (a recorded error case)."""
    if not 200 <= status < 300:
        return []
    field = exc.param or exc.field
    where = f"request {field}" if field else "request"
    return [(where, f"{exc.message} (the contract rejects it, but the reply was HTTP {status})")]


def _reply_problems(
    shape: ApiShape[Any], validated: Any, response: Mapping[str, Any], strict: bool
) -> list[tuple[str, str]]:
    """The reply's problems: the shape's reply checks for a 2xx reply (against ``validated``, None when
    the contract rejected the request), its error envelope for any other status."""
    status = int(response["status"]["code"])
    body = response.get("body") or {}
    try:
        document = _reply_document(body, keep_done=shape.keeps_done)
    except (KeyError, TypeError, ValueError) as exc:
        return [("reply body", f"cannot be expanded: {exc}")]
    if document is None and shape.image_replies and isinstance(body.get("image"), Mapping):
        # A reply that is the image itself (``accept: image/*``): the shape checks its bytes.
        document = base64.b64decode(trim.expand_body(dict(body))["image"]["base64"])
    if document is None:
        kind = next(iter(body), "empty")
        return [("reply body", f"HTTP {status} with a {kind} body, not the API's JSON")]
    try:
        if 200 <= status < 300:
            shape.check_recorded_reply(validated, document, strict=strict)
        else:
            shape.check_error_reply(document, strict=strict)
    except SchemaAssertionError as exc:
        return [(f"reply {path}", message) for path, message in exc.problems]
    return []


def stored_params(request: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters of a stored request: its JSON body, or the text fields of its multipart form."""
    body = request.get("body") or {}
    if isinstance(body.get("json"), dict):
        return dict(body["json"])
    if "multipart" in body:
        return {str(p["name"]): p.get("value") for p in body["multipart"] if "value" in p}
    return {}


def model_of(request: Mapping[str, Any]) -> str:
    """The model a stored request asked for (``ApiShape.model_of``), ``-`` for a call in no shape: an
    Images API call names its model, ``<default> (default)`` when it named none; a Responses API call its
    mainline model and the image tool's (``gpt-5 + gpt-image-1.5``); a Gemini API call the model of its URL."""
    uri = str(request.get("uri", ""))
    shape = registry.shape_for(uri)
    return shape.model_of(uri, stored_params(request)) if shape is not None else "-"
