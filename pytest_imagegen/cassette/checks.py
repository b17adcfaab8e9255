"""A stored interaction read through the contract: its request rebuilt, its model, and its verdict.

The verdict (``check_interaction``) is what replay checks every reply with, what the index stores, and
what ``imagegen-cassettes verify`` reports (``cli/verify.py``, which adds the leak scan).

Each request is rebuilt from its stored form (JSON body params, or multipart text fields and files, a
placeholder file turned back into an image of its recorded format, size and mode) and validated with
``contract.validate_request``; each reply is checked with ``check_reply`` (2xx, JSON or SSE events, with
placeholders expanded so image format and size are checked) or ``check_error_reply`` (any other status).
A request the contract rejects is fine when the service rejected it too (a recorded error case), and a
problem when the service answered 2xx.

Each interaction is dispatched by its API shape (``contract.shapes.shape_of`` on the request URI): Images
API calls to the checks above, Responses API calls (``POST .../responses``) to
``validate_request("responses", ...)`` and the Responses reply checks, chat completions
(``POST .../chat/completions``) to ``validate_request("chat", ...)`` and the chat reply checks on the
stream as sent (its final ``data: [DONE]`` included, so a cut stream shows), Gemini API calls
(``.../models/{model}:{method}``) to ``validate_request("gemini", ..., path=...)`` and the Gemini reply
checks; each shape's error replies are checked against its own error envelope. A call in no known shape
passes. ``model_of`` names the model a stored request asked for, for metadata and ``show``.

Pure: interactions in, problems out.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

from pytest_imagegen.contract import (
    FileInput,
    FilesInput,
    ValidatedRequest,
    check_error_reply,
    check_reply,
    resolve_model,
    validate_request,
)
from pytest_imagegen.contract.bedrock import check_bedrock_reply, model_id_of, validate_bedrock_request
from pytest_imagegen.contract.capabilities import DEFAULT_TOOL_MODEL
from pytest_imagegen.contract.chat import DONE, ChatRequest, check_chat_error_reply, check_chat_reply
from pytest_imagegen.contract.gemini import GeminiRequest, check_gemini_error_reply, parse_path
from pytest_imagegen.contract.responses import ResponsesRequest
from pytest_imagegen.contract.shapes import BEDROCK, CHAT, GEMINI, IMAGES, RESPONSES, shape_of
from pytest_imagegen.errors import RequestValidationError, SchemaAssertionError
from pytest_imagegen.safety import trim
from pytest_imagegen.wire.payloads import is_placeholder

__all__ = ["check_interaction", "endpoint_of", "model_of", "request_inputs", "stored_params"]

_ENDPOINT = re.compile(r"/images/(generations|edits|variations)/?$")
# Azure names the deployment in the path; a body without ``model`` means that deployment's model.
_AZURE_DEPLOYMENT = re.compile(r"/openai/deployments/([^/]+)/images/")


def endpoint_of(request: Mapping[str, Any]) -> str | None:
    """``generations``, ``edits`` or ``variations`` for an Images API call (also under Azure's
    ``/openai/deployments/NAME/images/...``), else None (say, a download of a returned image URL)."""
    match = _ENDPOINT.search(urlsplit(str(request.get("uri", ""))).path)
    return match.group(1) if match else None


def _file_bytes(file: Mapping[str, Any]) -> bytes:
    if is_placeholder(file):
        return trim.placeholder_image(file["placeholder"])
    return base64.b64decode(file["base64"])


def request_inputs(body: Mapping[str, Any]) -> tuple[dict[str, Any], FilesInput | None]:
    """``validate_request``'s ``params`` and ``files`` rebuilt from a stored request body.

    Raises ValueError for a body that is neither JSON nor multipart (the API takes nothing else).
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
                entry = (part.get("filename"), _file_bytes(part["file"]), part.get("content_type"))
                files.setdefault(str(part["name"]), []).append(entry)
            else:
                params[str(part["name"])] = part.get("value")
        return params, files
    kind = next(iter(body), "?")
    raise ValueError(f"the request body is stored as {kind!r}, but the Images API takes JSON or multipart")


def _reply_document(body: Mapping[str, Any], *, keep_done: bool = False) -> Any:
    """The JSON a client would check: a JSON document, or the data of each SSE event (the closing
    ``[DONE]`` only with ``keep_done``: the chat shape checks that its stream ends with it)."""
    expanded = trim.expand_body(dict(body))
    if "json" in expanded:
        return expanded["json"]
    if "sse" in expanded:
        return [event.get("data") for event in expanded["sse"] if keep_done or event.get("data") != DONE]
    return None


def _schema_problems(exc: SchemaAssertionError, side: str) -> list[tuple[str, str]]:
    return [(f"{side} {path}", message) for path, message in exc.problems]


def check_interaction(interaction: Mapping[str, Any], *, strict: bool = False) -> list[tuple[str, str]]:
    """Contract problems of one stored interaction as ``(where, message)``; ``[]`` when it is sound or is
    not a call in an API shape this plugin knows (``pytest_imagegen.contract.shapes``).

    Pure and deterministic: the verdict depends only on the interaction (and ``strict``), so it may be
    cached by the interaction's content.
    """
    request = interaction["request"]
    shape = shape_of(str(request.get("uri", "")))
    if shape is None:
        return []
    return _CHECKS[shape.name](interaction, strict)


_Validated = TypeVar("_Validated")


def _request_problems(
    interaction: Mapping[str, Any],
    api: str,
    validate: Callable[[dict[str, Any], FilesInput | None], _Validated],
) -> tuple[list[tuple[str, str]], _Validated | None]:
    """The stored request's problems, and what ``validate`` made of its parameters and files (None when it
    rejected them: fine for a recorded error reply, a problem for a 2xx one)."""
    request, response = interaction["request"], interaction["response"]
    problems = _method_problems(request, api)
    try:
        params, files = request_inputs(request.get("body") or {})
        return problems, validate(params, files)
    except RequestValidationError as exc:
        problems += _rejected(exc, int(response["status"]["code"]))
    except ValueError as exc:
        problems.append(("request body", str(exc)))
    return problems, None


def _check_images(interaction: Mapping[str, Any], strict: bool) -> list[tuple[str, str]]:
    request = interaction["request"]
    endpoint = endpoint_of(request)
    if endpoint is None:
        return []

    def validate(params: dict[str, Any], files: FilesInput | None) -> ValidatedRequest:
        deployment = _AZURE_DEPLOYMENT.search(urlsplit(str(request.get("uri", ""))).path)
        if deployment and params.get("model") is None:
            params = {**params, "model": deployment.group(1)}
        return validate_request(endpoint, params, files, strict=strict)

    problems, validated = _request_problems(interaction, "the Images API", validate)
    return problems + _reply_problems(validated, interaction["response"], strict)


def _check_responses(interaction: Mapping[str, Any], strict: bool) -> list[tuple[str, str]]:
    problems, validated = _request_problems(
        interaction,
        "the Responses API",
        lambda params, _: validate_request("responses", params, strict=strict),
    )
    return problems + _reply_problems(validated, interaction["response"], strict)


def _check_chat(interaction: Mapping[str, Any], strict: bool) -> list[tuple[str, str]]:
    problems, validated = _request_problems(
        interaction, "chat completions", lambda params, _: validate_request("chat", params, strict=strict)
    )

    def check(document: Any) -> None:
        check_chat_reply(validated, document, strict=strict, wire=True)

    return problems + _reply_problems(
        validated,
        interaction["response"],
        strict,
        check=check,
        check_error=check_chat_error_reply,
        keep_done=True,
    )


def _check_gemini(interaction: Mapping[str, Any], strict: bool) -> list[tuple[str, str]]:
    def validate(params: dict[str, Any], _: FilesInput | None) -> GeminiRequest:
        path = urlsplit(str(interaction["request"].get("uri", ""))).path  # ValueError: a bad request
        return validate_request("gemini", params, strict=strict, path=path)

    problems, validated = _request_problems(interaction, "the Gemini API", validate)
    return problems + _reply_problems(
        validated, interaction["response"], strict, check_error=check_gemini_error_reply
    )


def _check_bedrock(interaction: Mapping[str, Any], strict: bool) -> list[tuple[str, str]]:
    model_id = model_id_of(urlsplit(str(interaction["request"].get("uri", ""))).path) or ""
    problems, validated = _request_problems(
        interaction, "Amazon Bedrock", lambda params, _: validate_bedrock_request(model_id, params)
    )
    response = interaction["response"]
    if validated is None or not 200 <= int(response["status"]["code"]) < 300:
        return problems  # Bedrock's errors are {"message"} with the type in a header: nothing to check
    try:
        document = _reply_document(response.get("body") or {})
    except (KeyError, TypeError, ValueError) as exc:
        return [*problems, ("reply body", f"cannot be expanded: {exc}")]
    found = check_bedrock_reply(validated, document, strict=strict)
    return problems + [(f"reply {path}", message) for path, message in found]


_CHECKS: dict[str, Callable[[Mapping[str, Any], bool], list[tuple[str, str]]]] = {
    IMAGES.name: _check_images,
    RESPONSES.name: _check_responses,
    CHAT.name: _check_chat,
    GEMINI.name: _check_gemini,
    BEDROCK.name: _check_bedrock,
}


def _method_problems(request: Mapping[str, Any], api: str) -> list[tuple[str, str]]:
    if str(request.get("method", "")).upper() != "POST":
        return [("request method", f"{request.get('method')!r}, but {api} takes POST")]
    return []


def _rejected(exc: RequestValidationError, status: int) -> list[tuple[str, str]]:
    """A request the contract rejects is fine when the service rejected it too (a recorded error case)."""
    if not 200 <= status < 300:
        return []
    field = exc.param or exc.field
    where = f"request {field}" if field else "request"
    return [(where, f"{exc.message} (the contract rejects it, but the reply was HTTP {status})")]


def _reply_problems(
    validated: ValidatedRequest | ResponsesRequest | ChatRequest | GeminiRequest | None,
    response: Mapping[str, Any],
    strict: bool,
    *,
    check: Callable[[Any], None] | None = None,
    check_error: Callable[..., None] = check_error_reply,
    keep_done: bool = False,
) -> list[tuple[str, str]]:
    """The reply's problems: ``check`` (default ``check_reply`` against ``validated``) for a 2xx reply,
    ``check_error`` (the shape's error envelope) for any other status."""
    status = int(response["status"]["code"])
    body = response.get("body") or {}
    try:
        document = _reply_document(body, keep_done=keep_done)
    except (KeyError, TypeError, ValueError) as exc:
        return [("reply body", f"cannot be expanded: {exc}")]
    if document is None:
        kind = next(iter(body), "empty")
        return [("reply body", f"HTTP {status} with a {kind} body, not the API's JSON")]
    try:
        if 200 <= status < 300:
            if check is not None:
                check(document)
            else:
                check_reply(validated, document, strict=strict)
        else:
            check_error(document, strict=strict)
    except SchemaAssertionError as exc:
        return _schema_problems(exc, "reply")
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
    """The model a stored request asked for, ``<default> (default)`` when it named none, ``-`` for calls
    that are not Images API calls. A Responses API call names its mainline model and the image tool's
    model: ``gpt-5 + gpt-image-1.5``; a chat completion names its model, a Gemini API call the model of its
    URL (``gemini-2.5-flash-image``)."""
    shape = shape_of(str(request.get("uri", "")))
    if shape is RESPONSES:
        return _responses_models(stored_params(request))
    if shape is CHAT:
        return str(stored_params(request).get("model") or "-")
    if shape is GEMINI:
        parsed = parse_path(urlsplit(str(request.get("uri", ""))).path)
        return parsed[0] if parsed else "-"
    if shape is BEDROCK:
        return model_id_of(urlsplit(str(request.get("uri", ""))).path) or "-"
    endpoint = endpoint_of(request)
    if endpoint is None:
        return "-"
    params = stored_params(request)
    model = params.get("model")
    if isinstance(model, str) and model:
        return model
    return f"{resolve_model(endpoint, params)} (default)"


def _responses_models(params: Mapping[str, Any]) -> str:
    model = str(params.get("model") or "(from the prompt)")
    tools = [
        t for t in params.get("tools") or () if isinstance(t, Mapping) and t.get("type") == "image_generation"
    ]
    if not tools:
        return model
    return f"{model} + {tools[0].get('model') or f'{DEFAULT_TOOL_MODEL} (default)'}"
