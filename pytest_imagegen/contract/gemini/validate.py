"""``validate_request("gemini", body, path=...)``: a Gemini API (or Imagen) request checked for images.

The model and the method are in the URL (``/v1beta/models/{model}:{method}``), so ``path`` is taken as well
as the body; without it the method follows from the body (``instances``: Imagen's ``predict``, else
``generateContent``) and the model is unknown.

The REST API is proto3 JSON: a request may spell a field in camelCase (``inlineData``, ``mimeType``,
``generationConfig``, ``responseModalities``, ``imageConfig``, ``aspectRatio``) or in the proto's
snake_case (``inline_data``, ``mime_type``, ...; the issue's wire facts name both): both are read, and an
error names the field as it was sent.

Checked, in this order (the first problem raises ``RequestValidationError``, its ``status`` the HTTP status
Google answers with): the method is one of ``generateContent``, ``streamGenerateContent``, ``predict``,
and one the model answers (its row's ``gemini_methods``, a provider prefix dropped; an unknown model
passes, ``strict=True`` rejects it); for ``generateContent``: ``contents`` is there, every ``inlineData``
holds base64 (an ``image/*`` one, an image: its declared type against its real format is not checked,
Gemini reads the bytes: lenient), ``responseModalities`` values are ``TEXT``, ``IMAGE`` or ``AUDIO`` (any
case: the SDK's enums are case-insensitive), ``imageConfig`` against the row; for ``predict``:
``instances[0].prompt`` is there, ``sampleCount`` within 1 and the row's maximum, ``aspectRatio`` and
``imageSize`` (also ``sampleImageSize``, the Vertex AI name) against the row, ``outputOptions.mimeType``
``image/png`` or ``image/jpeg``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal

from pytest_imagegen.contract import messages
from pytest_imagegen.contract.capabilities import CAPABILITIES, GENERIC, ModelCapability, capability_for
from pytest_imagegen.contract.gemini.shape import parse_path
from pytest_imagegen.contract.inline import (
    InlineInput,
    check_aspect_ratio,
    check_image_size,
    inline_image,
)
from pytest_imagegen.errors import RequestValidationError

__all__ = [
    "METHODS",
    "MODALITIES",
    "GeminiInputImage",
    "GeminiRequest",
    "field_of",
    "validate_gemini_request",
]

#: The Gemini API methods that make images.
METHODS: Final = ("generateContent", "streamGenerateContent", "predict")
#: ``responseModalities`` values (the SDK's ``Modality``, less the unspecified one).
MODALITIES: Final = ("TEXT", "IMAGE", "AUDIO")
#: Imagen's ``sampleCount`` when the request leaves it out ("The default is 4").
DEFAULT_SAMPLE_COUNT: Final = 4
_OUTPUT_MIMES: Final = ("image/png", "image/jpeg")
_SNAKE: Final = re.compile(r"(?<!^)(?=[A-Z])")


#: An image the request sends in ``inlineData``.
GeminiInputImage = InlineInput


@dataclass(frozen=True)
class GeminiRequest:
    """A Gemini API request that passed ``validate_request("gemini", ...)``."""

    #: The model named in the URL (None: not known, the request was validated without its path).
    model: str | None
    method: str
    capability: ModelCapability = field(repr=False)
    params: dict[str, Any]
    #: ``responseModalities`` in upper case (``generateContent``); empty when left out.
    modalities: tuple[str, ...] = ()
    aspect_ratio: str | None = None
    image_size: str | None = None
    #: ``predict``: how many images were asked (``sampleCount``, default 4).
    sample_count: int = 0
    #: ``predict``: ``outputOptions.mimeType`` (None: left to the service, which answers PNG).
    output_mime: str | None = None
    input_images: tuple[GeminiInputImage, ...] = ()
    strict: bool = field(default=False, compare=False)

    endpoint: Literal["gemini"] = "gemini"

    @property
    def stream(self) -> bool:
        return self.method == "streamGenerateContent"

    @property
    def wants_image(self) -> bool:
        """Whether the request asked for images: Imagen always; Gemini with ``IMAGE`` in
        ``responseModalities`` (left out, the model decides: nothing is asked)."""
        return self.method == "predict" or "IMAGE" in self.modalities


def field_of(mapping: Mapping[str, Any], name: str) -> tuple[str, Any]:
    """``(key as sent, value)`` of a proto field sent in camelCase or snake_case (``(name, None)``: absent)."""
    if name in mapping:
        return name, mapping[name]
    snake = _SNAKE.sub("_", name).lower()
    if snake in mapping:
        return snake, mapping[snake]
    return name, None


def validate_gemini_request(
    params: Mapping[str, Any], *, path: str | None = None, strict: bool = False, method: str | None = None
) -> GeminiRequest:
    """Check a Gemini API request; see the module docstring for what is checked. Without ``path``,
    ``method`` (else the body) says which method was called, and the model is unknown."""
    model: str | None = None
    if path is not None:
        parsed = parse_path(path)
        if parsed is None:
            raise RequestValidationError(
                f"Invalid URL path {path!r}: the Gemini API's image methods are POST "
                ".../models/{model}:generateContent, :streamGenerateContent and :predict.",
                field=None,
                code=None,
                status=404,
            )
        model, method = parsed
    given = {k: v for k, v in params.items() if v is not None}
    if method is None:
        method = "predict" if "instances" in given else "generateContent"
    if method not in METHODS:
        raise RequestValidationError(
            f"Method '{method}' is not one of the Gemini API's image methods "
            f"({messages.quote_list(METHODS, conjunction='or')}).",
            field=None,
            code=None,
            status=404,
        )
    cap = capability_for(model) if model else replace(GENERIC, id="(unknown model)")
    _check_model(model, method, cap, strict=strict)
    if method == "predict":
        return _predict(model, cap, given, strict)
    return _generate(model, method, cap, given, strict)


def _check_model(model: str | None, method: str, cap: ModelCapability, *, strict: bool) -> None:
    if strict and not cap.known:
        takers = [
            row.id for row in CAPABILITIES.values() if row.gemini_methods and method in row.gemini_methods
        ]
        raise messages.invalid_value("model", model or "", takers)
    if cap.gemini_methods is not None and method not in cap.gemini_methods:
        answers = messages.quote_list(cap.gemini_methods, conjunction="or") if cap.gemini_methods else "none"
        raise RequestValidationError(
            f"models/{model} is not found for API version v1beta, or is not supported for {method}. "
            f"Call ListModels to see the list of available models and their supported methods "
            f"(the capability table's row for {cap.id} answers: {answers}).",
            field="model",
            code=None,
            status=404,
        )


def _object(label: str, value: Any) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise messages.invalid_type(label, "an object", value)
    return value


def _list(label: str, value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise messages.invalid_type(label, "an array", value)
    return value


def _string(label: str, value: Any) -> str:
    if not isinstance(value, str):
        raise messages.invalid_type(label, "a string", value)
    return value


# --- generateContent ---------------------------------------------------------------------------------


def _generate(
    model: str | None, method: str, cap: ModelCapability, given: Mapping[str, Any], strict: bool
) -> GeminiRequest:
    contents = given.get("contents")
    if contents is None:
        raise RequestValidationError(
            "* GenerateContentRequest.contents: contents is not specified", field="contents", code=None
        )
    images = _input_images(_list("contents", contents))
    key, config_value = field_of(given, "generationConfig")
    config = _object(key, config_value)
    modalities: list[str] = []
    modalities_key, raw_modalities = field_of(config, "responseModalities")
    if raw_modalities is not None:
        label = f"{key}.{modalities_key}"
        for i, value in enumerate(_list(label, raw_modalities)):
            upper = _string(f"{label}[{i}]", value).upper()
            if upper not in MODALITIES:
                raise RequestValidationError(
                    f"Invalid value at '{label}[{i}]' (type.googleapis.com/google.ai.generativelanguage."
                    f'v1beta.GenerationConfig.Modality), "{value}". Supported values are '
                    f"{messages.quote_list(MODALITIES)}.",
                    field=f"{label}[{i}]",
                    code=None,
                )
            modalities.append(upper)
    image_key, image_value = field_of(config, "imageConfig")
    image_config = _object(f"{key}.{image_key}", image_value)
    aspect_ratio, image_size = _image_config(cap, f"{key}.{image_key}", image_config)
    return GeminiRequest(
        model=model,
        method=method,
        capability=cap,
        params=dict(given),
        modalities=tuple(modalities),
        aspect_ratio=aspect_ratio,
        image_size=image_size,
        input_images=tuple(images),
        strict=strict,
    )


def _image_config(
    cap: ModelCapability, label: str, config: Mapping[str, Any]
) -> tuple[str | None, str | None]:
    aspect_key, aspect_ratio = field_of(config, "aspectRatio")
    if aspect_ratio is not None:
        check_aspect_ratio(cap, f"{label}.{aspect_key}", _string(f"{label}.{aspect_key}", aspect_ratio))
    size_key, image_size = field_of(config, "imageSize")
    if image_size is None:  # Vertex AI's Imagen name for it
        size_key, image_size = field_of(config, "sampleImageSize")
    if image_size is not None:
        check_image_size(cap, f"{label}.{size_key}", _string(f"{label}.{size_key}", image_size))
    return aspect_ratio, image_size


def _input_images(contents: list[Any]) -> list[GeminiInputImage]:
    found: list[GeminiInputImage] = []
    for i, content in enumerate(contents):
        content = _object(f"contents[{i}]", content)
        parts = content.get("parts")
        if parts is None:
            continue
        for j, part in enumerate(_list(f"contents[{i}].parts", parts)):
            part = _object(f"contents[{i}].parts[{j}]", part)
            key, inline = field_of(part, "inlineData")
            if inline is None:
                continue
            label = f"contents[{i}].parts[{j}].{key}"
            inline = _object(label, inline)
            mime_key, mime = field_of(inline, "mimeType")
            if mime is None:
                raise messages.missing(f"{label}.{mime_key}")
            mime = _string(f"{label}.{mime_key}", mime)
            data = inline.get("data")
            if data is None:
                raise messages.missing(f"{label}.data")
            data = _string(f"{label}.data", data)
            facts = inline_image(data, mime)
            if facts is None:
                shown = data if len(data) <= 20 else data[:17] + "..."
                raise RequestValidationError(
                    f"Invalid value at '{label}.data' (TYPE_BYTES), Base64 decoding failed for \"{shown}\"",
                    field=f"{label}.data",
                    code=None,
                )
            if mime.lower().startswith("image/"):
                if facts.format is None:
                    raise RequestValidationError(
                        "Unable to process input image. Please retry or report in "
                        "https://developers.generativeai.google/guide/troubleshooting",
                        field=f"{label}.data",
                        code=None,
                    )
                found.append(GeminiInputImage(f"{label}.data", facts))
    return found


# --- Imagen predict ----------------------------------------------------------------------------------


def _predict(
    model: str | None, cap: ModelCapability, given: Mapping[str, Any], strict: bool
) -> GeminiRequest:
    instances = given.get("instances")
    if instances is None:
        raise messages.missing("instances")
    if not _list("instances", instances):
        raise messages.array_too_short("instances", 1, 0)
    first = _object("instances[0]", instances[0])
    if first.get("prompt") is None:
        raise messages.missing("instances[0].prompt")
    _string("instances[0].prompt", first["prompt"])
    parameters = _object("parameters", given.get("parameters"))
    count_key, count = field_of(parameters, "sampleCount")
    if count is not None:
        label = f"parameters.{count_key}"
        if not isinstance(count, int) or isinstance(count, bool):
            raise messages.invalid_type(label, "an integer", count)
        if count < 1:
            raise messages.below_min(label, 1, count)
        if count > cap.n_max:
            raise messages.above_max(label, cap.n_max, count)
    aspect_ratio, image_size = _image_config(cap, "parameters", parameters)
    options_key, options_value = field_of(parameters, "outputOptions")
    options = _object(f"parameters.{options_key}", options_value)
    mime_key, output_mime = field_of(options, "mimeType")
    if output_mime is not None:
        label = f"parameters.{options_key}.{mime_key}"
        if output_mime not in _OUTPUT_MIMES:
            raise messages.invalid_value(label, output_mime, _OUTPUT_MIMES)
    return GeminiRequest(
        model=model,
        method="predict",
        capability=cap,
        params=dict(given),
        aspect_ratio=aspect_ratio,
        image_size=image_size,
        sample_count=int(count) if count is not None else DEFAULT_SAMPLE_COUNT,
        output_mime=output_mime,
        strict=strict,
    )
