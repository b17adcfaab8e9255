"""``validate_request("responses", ...)``: a ``POST /v1/responses`` body checked for what concerns images.

Checked, in this order (the first problem raises ``RequestValidationError`` with the API's wording and the
offending field's full name, ``tools[0].quality``): the wire types; the mainline ``model`` (an image model
there is an error: image models are the tool's ``model``); each ``image_generation`` tool: its image model
and every option against that model's row of the one capability table (the same columns the Images API
reads, so a new model is still one row), and the rules between options; every ``input_image``: a
``data:`` URL must hold an image (its declared type and real format are both kept, a mismatch is not an
error: the SDK and docs are silent, lenient); ``tool_choice`` must name a tool that is there.

What the request does not use (other tools, reasoning, text options, metadata) passes untouched. With
``strict=True``: a field the official ``CreateResponse`` does not define, an unknown mainline or image model,
an unknown tool option, and the official schema's rules on the tool's options (``images/official.py``).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from pytest_imagegen.contract import messages
from pytest_imagegen.contract.capabilities import (
    CAPABILITIES,
    DEFAULT_TOOL_MODEL,
    RESPONSES_MODELS,
    ModelCapability,
    capability_for,
    responses_model_known,
    supports,
)
from pytest_imagegen.contract.images.official import check_official_options
from pytest_imagegen.contract.images.options import check_format_rules, check_option
from pytest_imagegen.contract.inline import InlineInput, image_facts, split_data_url
from pytest_imagegen.contract.responses.models import (
    CREATE_RESPONSE_FIELDS,
    ImageGenerationTool,
    InputImage,
    ResponsesCreateRequest,
)
from pytest_imagegen.errors import RequestValidationError

__all__ = ["ImageTool", "InputImageFacts", "ResponsesRequest", "validate_responses_request"]

_SIZE: Final = re.compile(r"(\d+)x(\d+)")
#: Input image formats the models read (vision input; gif: its first frame).
_INPUT_FORMATS: Final = ("png", "jpeg", "gif", "webp")
#: Options whose rules live in the capability table (read through ``check_option``), in tool order.
_TABLE_OPTIONS: Final = frozenset(
    {
        "action",
        "background",
        "complexity",
        "frame_count",
        "frame_duration_ms",
        "input_fidelity",
        "moderation",
        "output_compression",
        "output_format",
        "partial_images",
        "quality",
        "size",
        "svg",
    }
)
_TOOL_CHOICES: Final = ("none", "auto", "required")


@dataclass(frozen=True)
class ImageTool:
    """One ``image_generation`` tool of a valid request, with its effective values."""

    #: Its position in ``tools``.
    index: int
    #: The image model as sent, or the tool's default.
    model: str
    capability: ModelCapability = field(repr=False)
    #: The options as given (explicit ``None`` dropped).
    params: dict[str, Any]
    size: str | None = None
    #: ``output_format`` given, else the model's default (``None`` for an unknown model left to default).
    output_format: str | None = None
    background: str | None = None
    quality: str | None = None
    action: str | None = None
    #: At most this many partial images per call (the SDK: "from 0 (default value) to 3").
    partial_images: int = 0

    @property
    def concrete_size(self) -> tuple[int, int] | None:
        match = _SIZE.fullmatch(self.size or "")
        return (int(match.group(1)), int(match.group(2))) if match else None


#: An image the request sends inline (a data URL, or an earlier image passed back as an item).
InputImageFacts = InlineInput


@dataclass(frozen=True)
class ResponsesRequest:
    """A ``POST /v1/responses`` request that passed ``validate_request("responses", ...)``."""

    #: The mainline model as sent (``None`` when a stored ``prompt`` names it).
    model: str | None
    params: dict[str, Any]
    stream: bool = False
    #: The ``image_generation`` tools, in ``tools`` order (usually one).
    tools: tuple[ImageTool, ...] = ()
    tool_choice: str | dict[str, Any] | None = None
    previous_response_id: str | None = None
    input_images: tuple[InputImageFacts, ...] = ()
    strict: bool = field(default=False, compare=False)

    endpoint: Literal["responses"] = "responses"

    @property
    def tool(self) -> ImageTool | None:
        """The first ``image_generation`` tool, or None when the request offers none."""
        return self.tools[0] if self.tools else None

    @property
    def forces_image(self) -> bool:
        """Whether ``tool_choice`` makes the model call the image tool (so the reply must hold a call)."""
        choice = self.tool_choice
        if isinstance(choice, Mapping):
            return choice.get("type") == "image_generation"
        # "required" forces some tool call; it is the image tool when that is the only tool offered.
        return choice == "required" and len(self.tools) == len(self.params.get("tools") or ())


def validate_responses_request(params: Mapping[str, Any], *, strict: bool = False) -> ResponsesRequest:
    """Check a Responses API request body; see the module docstring for what is checked."""
    given = messages.check_types(ResponsesCreateRequest, params)
    if strict:
        for name in params:
            if name not in CREATE_RESPONSE_FIELDS:
                raise messages.unknown_parameter(name)

    model = given.get("model")
    _check_model(model, given, strict=strict)
    tools = tuple(
        _image_tool(i, tool, strict=strict)
        for i, tool in enumerate(given.get("tools") or ())
        if isinstance(tool, Mapping) and tool.get("type") == "image_generation"
    )
    images = tuple(_input_images(given.get("input")))
    choice = given.get("tool_choice")
    _check_tool_choice(choice, given.get("tools") or (), has_image_tool=bool(tools))
    return ResponsesRequest(
        model=model,
        params=given,
        stream=bool(given.get("stream", False)),
        tools=tools,
        tool_choice=choice,
        previous_response_id=given.get("previous_response_id"),
        input_images=images,
        strict=strict,
    )


# --- the mainline model ------------------------------------------------------------------------------


def _check_model(model: str | None, given: Mapping[str, Any], *, strict: bool) -> None:
    if model is None:
        # A stored prompt (``prompt: {id: ...}``) may name the model; without one the API asks for it.
        if "prompt" not in given:
            raise messages.missing("model")
        return
    if capability_for(model).known:
        raise RequestValidationError(
            f"Invalid value: '{model}'. '{model}' is an image model: the Responses API takes a mainline "
            "model here (such as 'gpt-5') and the image model as the image_generation tool's 'model'.",
            field="model",
            code="invalid_value",
        )
    if strict and not responses_model_known(model):
        raise messages.invalid_value("model", model, sorted(RESPONSES_MODELS))


# --- the image_generation tool -----------------------------------------------------------------------


def _tool_models() -> list[str]:
    return [row.id for row in CAPABILITIES.values() if row.image_tool]


def _image_tool(index: int, raw: Mapping[str, Any], *, strict: bool) -> ImageTool:
    prefix = f"tools[{index}]"
    given = messages.check_types(ImageGenerationTool, raw, prefix)
    model = str(given.get("model") or DEFAULT_TOOL_MODEL)
    cap = capability_for(model)
    if (strict and not cap.known) or not cap.image_tool:
        raise messages.invalid_value(f"{prefix}.model", model, _tool_models())
    if strict:
        for name in given:
            if name not in ImageGenerationTool.model_fields:
                raise messages.unknown_parameter(f"{prefix}.{name}")
    for name, value in given.items():
        if name in _TABLE_OPTIONS:
            check_option(cap, f"{prefix}.{name}", value)
    if "input_image_mask" in given:
        _check_mask(f"{prefix}.input_image_mask", given["input_image_mask"])
    _check_tool_cross_field(prefix, cap, given)
    if strict:
        check_official_options(cap, given, prefix=f"{prefix}.")
    fmt = given.get("output_format", cap.default_output_format if supports(cap, "output_format") else None)
    return ImageTool(
        index=index,
        model=model,
        capability=cap,
        params=given,
        size=given.get("size"),
        output_format=fmt,
        background=given.get("background"),
        quality=given.get("quality"),
        action=given.get("action"),
        partial_images=int(given.get("partial_images", 0)),
    )


def _check_mask(label: str, mask: Mapping[str, Any]) -> None:
    if mask.get("image_url") is None and mask.get("file_id") is None:
        raise messages.missing(f"{label}.image_url")
    url = mask.get("image_url")
    if isinstance(url, str) and url[:5].lower() == "data:":
        # Which formats a tool mask may have is unspecified (the Images API wants PNG): lenient, any image.
        _data_url_image(f"{label}.image_url", url)


def _check_tool_cross_field(prefix: str, cap: ModelCapability, given: Mapping[str, Any]) -> None:
    present = {
        "partial_images": bool(given.get("partial_images")),
        "mask": "input_image_mask" in given,
        "output_compression": "output_compression" in given,
        # The SDK: "Responses lifecycle events can still be streamed for GIF output": the format rules'
        # "no streaming" is about the Images API's image stream, not the request's stream here.
        "stream": False,
    }
    check_format_rules(cap, given, present, prefix=f"{prefix}.", labels={"mask": "input_image_mask"})


# --- input images ------------------------------------------------------------------------------------


def _input_images(value: Any) -> list[InputImageFacts]:
    """Every inline image of ``input``: ``input_image`` parts and images passed back as items."""
    found: list[InputImageFacts] = []
    if not isinstance(value, list):
        return found
    for i, item in enumerate(value):
        if not isinstance(item, Mapping):
            continue
        if item.get("type") == "input_image":  # a bare part as an item (lenient: the API reads it)
            found += _input_image(f"input[{i}]", item)
        if item.get("type") == "image_generation_call" and isinstance(item.get("result"), str):
            found.append(_base64_image(f"input[{i}].result", item["result"]))
        content = item.get("content")
        if isinstance(content, list):
            for j, part in enumerate(content):
                if isinstance(part, Mapping) and part.get("type") == "input_image":
                    found += _input_image(f"input[{i}].content[{j}]", part)
    return found


def _input_image(label: str, part: Mapping[str, Any]) -> list[InputImageFacts]:
    messages.check_types(InputImage, part, label)
    url, file_id = part.get("image_url"), part.get("file_id")
    if url is None and file_id is None:
        raise messages.missing(f"{label}.image_url")
    if isinstance(url, str) and url[:5].lower() == "data:":
        return [_data_url_image(f"{label}.image_url", url)]
    return []  # an https URL or a file id: fetched by the service, nothing to read here


def _unsupported_image(label: str) -> RequestValidationError:
    return RequestValidationError(
        "You uploaded an unsupported image. Please make sure your image has one of the following formats: "
        f"{messages.quote_list(_INPUT_FORMATS, conjunction='or')}.",
        field=label,
        code="invalid_image_format",
    )


def _data_url_image(label: str, url: str) -> InputImageFacts:
    split = split_data_url(url)
    if split is None:
        raise RequestValidationError(
            f"Invalid '{label}'. Expected a base64-encoded data URL with an image MIME type "
            "(e.g. 'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='), but got a value that is not one.",
            field=label,
            code="invalid_value",
        )
    declared = split[0].lower() or None
    if declared is None or not declared.startswith("image/"):
        raise RequestValidationError(
            f"Invalid '{label}'. Expected a base64-encoded data URL with an image MIME type "
            f"(e.g. 'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='), but got unsupported MIME type "
            f"'{declared or ''}'.",
            field=label,
            code="invalid_value",
        )
    return _base64_image(label, split[1], declared)


def _base64_image(label: str, text: str, declared: str | None = None) -> InputImageFacts:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _unsupported_image(label) from None
    facts = image_facts(raw, declared)  # the header only, not the pixels
    if facts.format not in _INPUT_FORMATS:
        raise _unsupported_image(label)
    return InputImageFacts(label, facts)


# --- tool_choice -------------------------------------------------------------------------------------


def _check_tool_choice(choice: Any, tools: Sequence[Any], *, has_image_tool: bool) -> None:
    if isinstance(choice, str) and choice not in _TOOL_CHOICES:
        raise messages.invalid_value("tool_choice", choice, _TOOL_CHOICES)
    if isinstance(choice, Mapping) and choice.get("type") == "image_generation" and not has_image_tool:
        raise RequestValidationError(
            "Tool choice 'image_generation' not found in 'tools' parameter.",
            field="tool_choice",
            code="invalid_value",
        )
    if choice == "required" and not tools:
        raise RequestValidationError(
            "Tool choice 'required' needs at least one tool in 'tools'.", field="tool_choice"
        )
