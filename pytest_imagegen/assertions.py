"""``assert_valid_reply``: check any reply a test holds against the contract, in any API shape.

The fixtures' clients check every reply on their own; this is for replies that came some other way: the
openai SDK (``client.images.generate(...)``, a list of its stream events), a raw ``httpx`` call, a JSON
document from a file. It is a thin front over :func:`pytest_imagegen.contract.check_reply`: what it adds is
taking the request the way a test has it (the keyword arguments it passed to the SDK) and turning them
into the ``ValidatedRequest`` the reply is checked against.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from typing import Any, Final

from PIL import Image
from pydantic import BaseModel

from pytest_imagegen.client.uploads import to_upload_files
from pytest_imagegen.contract import FileInput, check_reply, registry
from pytest_imagegen.contract.shape import ApiShape, Call, ShapeRequest

__all__ = ["assert_valid_reply"]

#: Request options of the openai SDK's methods: not part of the request body, dropped before validating.
_SDK_OPTIONS: Final = ("extra_headers", "extra_query", "timeout")


def assert_valid_reply(
    reply: Any,
    request: ShapeRequest | Mapping[str, Any] | None = None,
    *,
    endpoint: str | None = None,
    strict: bool | None = None,
) -> None:
    """Assert that ``reply`` keeps the Images API contract and, given ``request``, answers that request.

    ``reply`` is one JSON reply or one whole stream:

    - an ``ImagesResponse``: the openai SDK's (``openai.types.ImagesResponse``) or the contract's
      (``pytest_imagegen.contract.ImagesResponse``), or its JSON as a mapping;
    - a list (or tuple) of stream events: the openai SDK's event objects (``list(stream)``) or their
      JSON mappings. Collect a stream into a list first; an unconsumed SDK ``Stream`` is refused.

    ``request`` is what was asked, to check the reply against it (as many images as ``n``, the requested
    ``size`` and ``output_format``, base64 or URL as the model answers, stream events in order):

    - a ``ValidatedRequest`` (from :func:`~pytest_imagegen.contract.validate_request`), used as is;
    - or the keyword arguments the test passed to the SDK method, as a dict. The endpoint is the
      ``endpoint=`` keyword (``"generations"``, ``"edits"`` or ``"variations"``; it is not a key of the
      dict). Left out, it follows from the params: ``images`` (a JSON edit), or ``image`` or ``mask``
      with a ``prompt``, is an edit; ``image`` without a prompt a variation; anything else a generation.
      ``image`` and ``mask`` take what the SDK takes (paths, bytes, binary file objects, which are read
      from their start and left where they were, ``(filename, content[, content_type])`` tuples, lists);
      when an edit's or a variation's ``image`` is left out, a stand-in image is used, so only the
      parameters are checked. When ``reply`` is a list of events, ``stream=True`` is implied. The SDK's
      ``extra_body`` is merged into the params; ``extra_headers``, ``extra_query`` and ``timeout`` are
      ignored. A dict that breaks the contract raises ``RequestValidationError``.

    The Responses API's image tool works the same way: ``reply`` is a ``Response`` (the SDK's
    ``client.responses.create(...)``) or its list of stream events, ``request`` the keyword arguments of
    ``responses.create`` (``model``, ``input``, ``tools``, ...), or a ``ResponsesRequest``; a dict with
    ``input``, ``tools``, ``previous_response_id`` or ``instructions``, or ``endpoint="responses"``,
    makes it a Responses API request. Each image call's ``result`` and partial images are checked
    against the tool's options, and a stream's event order (see ``contract.responses``).

    Chat completions with image output and the Gemini API work the same way: a ``ChatCompletion`` (the
    SDK's ``client.chat.completions.create(...)``, ``modalities`` in ``extra_body``) or its list of chunks
    with the keyword arguments of ``chat.completions.create`` (a dict with ``messages``, or
    ``endpoint="chat"``), or a ``ChatRequest``; a Gemini reply's JSON (or its list of stream chunks) with the
    request body (a dict with ``contents`` or Imagen's ``instances``, or ``endpoint="gemini"``; the model is
    in the URL, so pass ``validate_request("gemini", body, path=url_path)`` to check against its row).

    ``strict=True`` also fails unknown fields, and SPEC-required stream fields that the service leaves
    out; left out, it is the ``ValidatedRequest``'s own ``strict``, else ``False``.

    Raises ``SchemaAssertionError`` (an ``AssertionError``) listing every problem with its JSON path
    (``$.created``, ``$.data[0].b64_json``, ``$[2].type`` for the third stream event); ``TypeError`` for
    a ``reply`` or ``request`` of another kind.
    """
    __tracebackhide__ = True
    data = _reply_data(reply)
    validated = _validated_request(request, endpoint=endpoint, reply=data, strict=strict)
    if strict is None:
        strict = validated.strict if validated is not None else False
    check_reply(validated, data, strict=strict)


def _reply_data(reply: Any) -> Mapping[str, Any] | BaseModel | list[Any]:
    """The reply in a shape ``check_reply`` reads; the kind of reply decides stream or not."""
    if isinstance(reply, Mapping | BaseModel):
        return reply
    if isinstance(reply, list | tuple):
        return list(reply)
    hint = ""
    if hasattr(reply, "__iter__") and not isinstance(reply, str | bytes | bytearray):
        # An SDK Stream or a generator: consuming it here would take the events from the test.
        hint = "; collect a stream's events into a list first: events = list(stream)"
    raise TypeError(
        "assert_valid_reply() takes an ImagesResponse (the openai SDK's or the contract's), its JSON as a "
        f"mapping, or a list of stream events; got {type(reply).__name__}{hint}"
    )


def _validated_request(
    request: ShapeRequest | Mapping[str, Any] | None,
    *,
    endpoint: str | None,
    reply: Any,
    strict: bool | None,
) -> ShapeRequest | None:
    if endpoint is not None and registry.shape_for_endpoint(endpoint) is None:
        raise TypeError(f"endpoint={endpoint!r}: expected one of {', '.join(registry.endpoints())}")
    if request is None:
        if endpoint is not None:
            raise TypeError("endpoint= describes request=, which is missing")
        return None
    if not isinstance(request, Mapping):
        if registry.shape_for_endpoint(getattr(request, "endpoint", None) or "") is None:
            raise TypeError(
                "request= takes a ValidatedRequest or a dict of the request's params, "
                f"got {type(request).__name__}"
            )
        if endpoint is not None and endpoint != request.endpoint:
            raise TypeError(
                f"endpoint={endpoint!r} disagrees with the ValidatedRequest's endpoint {request.endpoint!r}"
            )
        return request
    if "endpoint" in request:
        raise TypeError(
            "the endpoint is not a request param: pass it as assert_valid_reply(..., endpoint='edits')"
        )
    params = _body_params(request)
    shape: ApiShape[Any] | None = registry.shape_for_endpoint(endpoint) if endpoint is not None else None
    if shape is None:
        shape = registry.shape_for_params(params, reply)
    operation = endpoint or shape.operation_for(params)
    parts = shape.file_params(operation, params)
    files = _files(parts, params) if parts else None
    call = Call(operation, params, files, bool(strict))
    validated: ShapeRequest = shape.validate_call(call, stream=isinstance(reply, list))
    return validated


def _body_params(request: Mapping[str, Any]) -> dict[str, Any]:
    """The request body the SDK would send for these keyword arguments."""
    params = {key: value for key, value in request.items() if key not in _SDK_OPTIONS}
    extra = params.pop("extra_body", None)
    if isinstance(extra, Mapping):
        params.update(extra)
    return params


def _files(parts: tuple[str, ...], params: dict[str, Any]) -> dict[str, list[FileInput]]:
    """Take the file parameters out of ``params`` as upload files, read the way the SDK reads them; the
    first one, when left out, is a stand-in image."""
    files: dict[str, list[FileInput]] = {}
    for name in parts:
        value = params.pop(name, None)
        if value is not None:
            part, uploads = to_upload_files(_rewound(value), name=name)
            files[part] = [*uploads]
    if not any(part.startswith(parts[0]) for part in files):
        files[parts[0]] = [("image.png", _stand_in(next(iter(files.values()), None)), "image/png")]
    return files


def _rewound(value: Any) -> Any:
    """File objects read from their start: the SDK has usually read them to the end already."""
    if isinstance(value, list):
        return [_rewound(item) for item in value]
    if isinstance(value, tuple) and len(value) >= 2 and _is_seekable_file(value[1]):
        return (value[0], _read_from_start(value[1]), *value[2:])
    if _is_seekable_file(value):
        name = getattr(value, "name", None)
        return (os.path.basename(name) if isinstance(name, str) else None, _read_from_start(value))
    return value


def _is_seekable_file(value: Any) -> bool:
    seekable = getattr(value, "seekable", None)
    return callable(getattr(value, "read", None)) and callable(seekable) and bool(seekable())


def _read_from_start(file: Any) -> Any:
    position = file.tell()
    try:
        file.seek(0)
        return file.read()
    finally:
        file.seek(position)  # leave the test's file object as it was


def _stand_in(other: list[FileInput] | None) -> bytes:
    """An RGBA PNG, 1x1 or the size of the other file given (a mask, which the input must match): an image
    every model accepts."""
    size = (1, 1)
    if other:
        first = other[0]
        data = first[1] if isinstance(first, tuple) else first
        if isinstance(data, bytes):
            try:
                with Image.open(io.BytesIO(data)) as img:
                    size = img.size
            except (OSError, ValueError):
                pass  # not an image: validation reports the mask itself
    buffer = io.BytesIO()
    Image.new("RGBA", size).save(buffer, format="PNG")
    return buffer.getvalue()
