"""The Images API's own error wording (the messages its error replies carry), as ``RequestValidationError`` factories.

One place for the templates, so the emulator answers with exactly the text, code and param the real
service uses, and tests can compare against recorded error replies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from pydantic import BaseModel, ValidationError

from pytest_imagegen.errors import RequestValidationError
from pytest_imagegen.wire.kinds import kind_of

__all__ = [
    "above_max",
    "array_too_long",
    "below_min",
    "check_types",
    "invalid_type",
    "invalid_value",
    "missing",
    "quote_list",
    "string_too_long",
    "string_too_short",
    "unknown_parameter",
    "unsupported_mimetype",
]


def quote_list(values: Sequence[str], conjunction: str = "and") -> str:
    """``'a', 'b', and 'c'`` as the API lists supported values."""
    quoted = [f"'{v}'" for v in values]
    if len(quoted) <= 1:
        return "".join(quoted)
    if len(quoted) == 2:
        return f"{quoted[0]} {conjunction} {quoted[1]}"
    return ", ".join(quoted[:-1]) + f", {conjunction} {quoted[-1]}"


_JSON_TYPES: Final = (
    "null",
    "a boolean",
    "an integer",
    "a decimal number",
    "a string",
    "an array",
    "an object",
    "a file",
)


def json_type_name(value: Any) -> str:
    """The JSON type of a value, as the API names it in ``invalid_type`` messages."""
    return kind_of(value, _JSON_TYPES, other="an object")


def missing(field: str) -> RequestValidationError:
    return RequestValidationError(
        f"Missing required parameter: '{field}'.", field=field, code="missing_required_parameter"
    )


def unknown_parameter(field: str) -> RequestValidationError:
    return RequestValidationError(f"Unknown parameter: '{field}'.", field=field, code="unknown_parameter")


def invalid_type(field: str, expected: str, value: Any) -> RequestValidationError:
    return RequestValidationError(
        f"Invalid type for '{field}': expected {expected}, but got {json_type_name(value)} instead.",
        field=field,
        code="invalid_type",
    )


def invalid_value(field: str, value: Any, supported: Sequence[str]) -> RequestValidationError:
    return RequestValidationError(
        f"Invalid value: '{value}'. Supported values are: {quote_list(supported)}.",
        field=field,
        code="invalid_value",
    )


def _out_of_bounds(field: str, code: str, problem: str, expected: str, got: str) -> RequestValidationError:
    """The API's one template for a value past a bound: what is wrong, what was expected, what came."""
    return RequestValidationError(
        f"Invalid '{field}': {problem}. Expected {expected}, but got {got} instead.", field=field, code=code
    )


def above_max(field: str, maximum: int, value: int) -> RequestValidationError:
    return _out_of_bounds(
        field, "integer_above_max_value", "integer above maximum value", f"a value <= {maximum}", str(value)
    )


def below_min(field: str, minimum: int, value: int) -> RequestValidationError:
    return _out_of_bounds(
        field, "integer_below_min_value", "integer below minimum value", f"a value >= {minimum}", str(value)
    )


def string_too_long(field: str, maximum: int, length: int) -> RequestValidationError:
    expected = f"a string with maximum length {maximum}"
    return _out_of_bounds(
        field, "string_above_max_length", "string too long", expected, f"a string with length {length}"
    )


def string_too_short(field: str, minimum: int, length: int) -> RequestValidationError:
    got = "an empty string" if length == 0 else f"a string with length {length}"
    expected = f"a string with minimum length {minimum}"
    return _out_of_bounds(field, "string_below_min_length", "string too short", expected, got)


def array_too_long(field: str, maximum: int, length: int) -> RequestValidationError:
    expected = f"an array with maximum length {maximum}"
    return _out_of_bounds(
        field, "array_above_max_length", "array too long", expected, f"an array with length {length}"
    )


def array_too_short(field: str, minimum: int, length: int) -> RequestValidationError:
    expected = f"an array with minimum length {minimum}"
    return _out_of_bounds(
        field, "array_below_min_length", "array too short", expected, f"an array with length {length}"
    )


def unsupported_mimetype(label: str, mime: str, supported: list[str]) -> RequestValidationError:
    return RequestValidationError(
        f"Invalid file '{label}': unsupported mimetype ('{mime}'). "
        f"Supported file formats are {quote_list(supported)}.",
        field=label,
        code="unsupported_file_mimetype",
    )


# --- pydantic's errors in the API's words ---------------------------------------------------------


_EXPECTED: Final[Mapping[str, str]] = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "bool_type": "a boolean",
    "bool_parsing": "a boolean",
    "string_type": "a string",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "dict_type": "an object",
    "list_type": "an array",
    "tuple_type": "an array",
    "is_instance_of": "a file",
}


def _api_field_name(loc: tuple[int | str, ...]) -> str:
    """pydantic's loc as the API names nested fields: ``images[0].image_url``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def translate_validation_error(exc: ValidationError, prefix: str = "") -> RequestValidationError:
    """pydantic's first error as the API words it; ``prefix`` names where the model sits (``tools[0]``)."""
    err = exc.errors()[0]
    loc = err["loc"]
    name = _api_field_name(loc)
    if prefix:
        name = f"{prefix}.{name}" if name else prefix
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return missing(name)
    if kind == "extra_forbidden":
        return unknown_parameter(name)
    if kind == "string_too_short":
        return string_too_short(name, int(ctx.get("min_length", 1)), len(value or ""))
    if kind == "string_too_long":
        return string_too_long(name, int(ctx.get("max_length", 0)), len(value or ""))
    if kind == "image_ref":
        return RequestValidationError(
            f"Invalid '{name}': expected exactly one of 'image_url' or 'file_id'.",
            field=name,
            code="invalid_value",
        )
    return invalid_type(name, _EXPECTED.get(kind, "a valid value"), value)


def check_types(model: type[BaseModel], body: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``body`` without its explicit nulls (the SDKs send them for "not given"), after checking its wire
    types against ``model``: the first problem is raised in the API's words (``prefix`` names where the
    model sits, ``tools[0]``)."""
    given = {k: v for k, v in body.items() if v is not None}
    try:
        model.model_validate(given)
    except ValidationError as exc:
        raise translate_validation_error(exc, prefix) from None
    return given
