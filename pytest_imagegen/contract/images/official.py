"""Where the official schema is stricter than the lenient contract: the rules ``strict=True`` adds.

By default the contract accepts what some source says the service takes (the API moves faster than any
schema); with ``strict=True`` (and so in the emulator, which is as strict as the service) it follows the
official OpenAPI document on each point below. The document is the one vendored, as an extract, in
``tests/conformance/openai_schema.json`` (``openai/openai-openapi`` 2.3.0); the lenient readings' sources
are named where the lenient rule lives (``capabilities.py``, ``validate.py``, ``request_models.py``):

- ``output_format``: the document lists ``png``, ``jpeg``, ``webp`` (``CreateImageRequest``,
  ``CreateImageEditRequest``, ``EditImageBodyJsonParam``, ``ImageGenTool``); the openai SDK adds ``gif``
  and ``svg`` (``openai/types/image_generate_params.py``).
- ``output_compression``: "only supported for the GPT image models with the ``webp`` or ``jpeg`` output
  formats" (the field's description); lenient, it passes with ``png`` (and means nothing there).
- ``background: transparent``: "set the output format to ``png`` or ``webp``" (the field's description);
  lenient, ``gif`` too.
- ``input_fidelity``: "unsupported for ``gpt-image-1-mini``" (``InputFidelity``); the SDK lets it take
  ``low`` (the ``input_fidelities_official`` column of that row).
- ``size`` in a JSON edit: ``EditImageBodyJsonParam`` enumerates four sizes, no free-form ones; lenient,
  the model's row decides as for multipart.
- ``null``: ``user`` is a plain string in every body and a JSON edit's ``mask`` an ``ImageRefParam``, neither
  nullable; lenient, a ``null`` there means "not given" like every other ``null`` the SDK sends.
- multipart booleans: the SDK sends ``true`` / ``false``; lenient, any case is read.
- ``prompt``: an empty one is refused (``EditImageBodyJsonParam`` says ``minLength: 1``; the other bodies
  do not say, and the service refuses an empty prompt on them too).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from pytest_imagegen.contract import messages
from pytest_imagegen.contract.capabilities import ModelCapability, supports
from pytest_imagegen.errors import RequestValidationError

__all__ = ["JSON_EDIT_SIZES", "OFFICIAL_OUTPUT_FORMATS", "check_nulls", "check_official_options"]

OFFICIAL_OUTPUT_FORMATS: Final = ("png", "jpeg", "webp")
OFFICIAL_TRANSPARENT_FORMATS: Final = ("png", "webp")
_COMPRESSED_FORMATS: Final = ("jpeg", "webp")
JSON_EDIT_SIZES: Final = ("auto", "1024x1024", "1536x1024", "1024x1536")
_NOT_NULLABLE: Final = {"user": "a string", "mask": "an object"}


def check_nulls(params: Mapping[str, Any], *, json_edit: bool) -> None:
    """A ``null`` where the document allows none (``user``; a JSON edit's ``mask``)."""
    for name, expected in _NOT_NULLABLE.items():
        if name in params and params[name] is None and (name != "mask" or json_edit):
            raise messages.invalid_type(name, expected, None)


def check_official_options(
    cap: ModelCapability, given: Mapping[str, Any], *, prefix: str = "", json_edit: bool = False
) -> None:
    """The official schema's rules on the options ``given`` (explicit nulls already dropped), for an Images
    API body or (``prefix`` ``tools[0].``) the Responses API's image tool."""
    prompt = given.get("prompt")
    if isinstance(prompt, str) and not prompt:
        raise messages.string_too_short(f"{prefix}prompt", 1, 0)
    fmt = given.get("output_format")
    if fmt is not None and fmt not in OFFICIAL_OUTPUT_FORMATS:
        raise messages.invalid_value(f"{prefix}output_format", fmt, OFFICIAL_OUTPUT_FORMATS)
    if "input_fidelity" in given:
        allowed = (
            cap.input_fidelities if cap.input_fidelities_official is None else cap.input_fidelities_official
        )
        if allowed is not None and given["input_fidelity"] not in allowed:
            if not allowed:
                raise messages.unknown_parameter(f"{prefix}input_fidelity")
            raise messages.invalid_value(f"{prefix}input_fidelity", given["input_fidelity"], allowed)
    effective = (
        fmt if fmt is not None else (cap.default_output_format if supports(cap, "output_format") else None)
    )
    if "output_compression" in given and effective not in _COMPRESSED_FORMATS:
        raise RequestValidationError(
            f"Invalid '{prefix}output_compression': only supported with output_format 'jpeg' or 'webp', "
            f"but output_format is '{effective}'.",
            field=f"{prefix}output_compression",
            code="invalid_value",
        )
    if given.get("background") == "transparent" and effective not in OFFICIAL_TRANSPARENT_FORMATS:
        raise RequestValidationError(
            f"Invalid value: 'transparent'. A transparent background needs output_format 'png' or 'webp', "
            f"but output_format is '{effective}'.",
            field=f"{prefix}background",
            code="invalid_value",
        )
    size = given.get("size")
    if json_edit and size is not None and size not in JSON_EDIT_SIZES:
        raise messages.invalid_value(f"{prefix}size", size, JSON_EDIT_SIZES)
