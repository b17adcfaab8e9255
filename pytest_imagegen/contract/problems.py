"""Problems with a reply, as ``(json path, message)`` pairs: the helpers every shape's reply checks share.

Every problem is collected with the JSON path where it sits and raised together in one
``SchemaAssertionError``, so a user sees all that is wrong with a reply at once. Here: pydantic's schema
errors as paths, unknown fields (strict mode), replies given as models turned into JSON, and the facts
of a base64 image (format, size, header read only) against what was asked.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from pydantic import BaseModel, ValidationError

from pytest_imagegen.contract.uploads import decode_image_header
from pytest_imagegen.errors import SchemaAssertionError

__all__ = [
    "MISSING_STREAM",
    "UNASKED_STREAM",
    "PartialImages",
    "Problems",
    "check_envelope",
    "check_parts",
    "concrete_size",
    "image_problems",
    "json_path",
    "raise_problems",
    "reply_head",
    "schema_problems",
    "short_repr",
    "to_json",
]

Problems = list[tuple[str, str]]

#: A reply of the other kind than its request asked for (stream or one JSON body).
UNASKED_STREAM: Final = ("$", "the reply is a stream, but the request did not ask for one (stream=true)")
MISSING_STREAM: Final = ("$", "the request asked for a stream (stream=true) but the reply is one JSON body")

_IDENT: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SIZE: Final = re.compile(r"(\d+)x(\d+)")


def json_path(loc: Sequence[int | str], base: str = "$") -> str:
    """pydantic's ``loc`` as a JSON path: ``("data", 0, "b64_json")`` -> ``$.data[0].b64_json``."""
    path = base
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _IDENT.fullmatch(part):
            path += f".{part}"
        else:
            path += f"[{part!r}]"
    return path


def short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def schema_problems(model: type[BaseModel], data: Any, base: str, strict: bool) -> tuple[Any, Problems]:
    """The parsed model (or None) and every schema problem of ``data`` with its JSON path under ``base``."""
    try:
        obj = model.model_validate(data)
    except ValidationError as exc:
        problems: Problems = []
        for err in exc.errors():
            if err["type"] == "missing":
                message = "required field is missing"
            else:
                message = f"{err['msg']} (got {short_repr(err.get('input'))})"
            problems.append((json_path(err["loc"], base), message))
        return None, problems
    return obj, (_extras(obj, base) if strict else [])


def _extras(obj: Any, path: str) -> Problems:
    """Unknown fields anywhere in a parsed model (reported only in strict mode)."""
    problems: Problems = []
    if isinstance(obj, BaseModel):
        for key in obj.model_extra or {}:
            problems.append((json_path([key], path), "unknown field (strict mode)"))
        for name in type(obj).model_fields:
            problems += _extras(getattr(obj, name), json_path([name], path))
    elif isinstance(obj, list | tuple):
        for i, item in enumerate(obj):
            problems += _extras(item, f"{path}[{i}]")
    return problems


def to_json(value: Any) -> Any:
    """A reply given as a pydantic model (ours or the openai SDK's) as plain JSON."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_unset=True)
    return value


def concrete_size(size: Any) -> tuple[int, int] | None:
    match = _SIZE.fullmatch(size) if isinstance(size, str) else None
    return (int(match.group(1)), int(match.group(2))) if match else None


def image_problems(path: str, value: Any, fmt: Any, size: Any) -> Problems:
    """That a base64 string (or an image data URL) holds an image of the expected format and size
    (header read only)."""
    if not isinstance(value, str):
        return []
    if value[:5].lower() == "data:" and ";base64," in value[:200]:
        value = value.split(",", 1)[1]
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return [(path, f"not valid base64 ({short_repr(value)})")]
    header = decode_image_header(raw)
    if header is None:
        return [(path, f"does not decode to an image ({len(raw)} bytes)")]
    got_format, got_size, _ = header
    problems: Problems = []
    if isinstance(fmt, str) and fmt != "svg" and got_format != fmt:
        problems.append((path, f"image is {got_format}, expected {fmt}"))
    expected_size = concrete_size(size)
    if expected_size is not None and got_size != expected_size:
        problems.append((path, f"image is {got_size[0]}x{got_size[1]}, expected {size}"))
    return problems


class PartialImages:
    """The partial images of one image in a stream so far: at most ``limit`` of them (None: any number),
    their ``partial_image_index`` counting from 0 upwards. ``asked`` names who asked the limit in a
    message (``"the tool asked "``)."""

    def __init__(self, limit: int | None, asked: str = "") -> None:
        self.limit, self.asked = limit, asked
        self.count = 0
        self.last_index: int | None = None

    def add(self, event: Mapping[str, Any], path: str) -> Problems:
        """Count one partial image event at ``path``; its problems."""
        problems: Problems = []
        self.count += 1
        if self.limit is not None and self.count > self.limit:
            problems.append(
                (path, f"partial image number {self.count}, but {self.asked}partial_images={self.limit}")
            )
        index = event.get("partial_image_index")
        if isinstance(index, int) and not isinstance(index, bool):
            if self.last_index is None and index != 0:
                problems.append((f"{path}.partial_image_index", f"{index}, but the first partial image is 0"))
            elif self.last_index is not None and index <= self.last_index:
                problems.append(
                    (
                        f"{path}.partial_image_index",
                        f"{index}, not after the previous index {self.last_index}",
                    )
                )
            self.last_index = index
        return problems


def reply_head(reply: Any) -> tuple[Any, bool]:
    """What tells a reply's shape: its JSON document, or the first event of a stream (``True``); ``None``
    for an empty stream or anything else."""
    data = to_json(reply)
    if isinstance(data, Mapping):
        return data, False
    if isinstance(data, Sequence) and not isinstance(data, str | bytes) and data:
        return to_json(data[0]), True
    return None, False


def reply_problems(
    reply: Any,
    expected: str,
    document: Callable[[Mapping[str, Any]], Problems],
    stream: Callable[[list[Any]], Problems],
) -> Problems:
    """The problems of a reply given as one JSON document (``document`` checks it) or as a stream's events
    (``stream`` checks them, as JSON); anything else is the one problem of not being ``expected``."""
    data = to_json(reply)
    if isinstance(data, Mapping):
        return document(data)
    if isinstance(data, Sequence) and not isinstance(data, str | bytes):
        return stream([to_json(event) for event in data])
    return [("$", f"expected {expected}, got {type(reply).__name__}")]


def raise_problems(problems: Problems, *, context: str, api: str = "Images API") -> None:
    """Raise one ``SchemaAssertionError`` listing every problem, when there is any."""
    __tracebackhide__ = True
    if problems:
        raise SchemaAssertionError(problems, context=context, api=api)


def check_parts(
    reply: Any,
    expected: str,
    document: Callable[[Mapping[str, Any]], Problems],
    stream: Callable[[list[Any]], Problems],
    *,
    context: str,
    api: str = "Images API",
) -> None:
    """``reply_problems``, raised together as one ``SchemaAssertionError`` when there is any."""
    __tracebackhide__ = True
    raise_problems(reply_problems(reply, expected, document, stream), context=context, api=api)


def check_envelope(
    model: type[BaseModel], body: Any, strict: bool, *, context: str, api: str = "Images API"
) -> None:
    """Check an error reply against its shape's error envelope ``model``."""
    __tracebackhide__ = True
    raise_problems(schema_problems(model, to_json(body), "$", strict)[1], context=context, api=api)
