"""Pydantic models of what the Images API answers (the OpenAI API reference's image response, stream events and error object).

Stricter than the openai SDK's own models (which accept anything): field types are strict (a string
``created`` fails) and enum values are checked. Unknown fields pass (``extra="allow"``: the API adds
fields faster than any schema); ``check_reply(strict=True)`` reports them.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Final, Literal, TypeAlias

from pydantic import Field, StringConstraints

from pytest_imagegen.contract.base_model import ContractModel

# Response `size`: SPEC lists three values, gpt-image-2 answers any WxH: accept any WxH.
ReplySize: TypeAlias = Annotated[str, StringConstraints(pattern=r"^\d+x\d+$")]
# Stream events may also say `auto`.
EventSize: TypeAlias = Annotated[str, StringConstraints(pattern=r"^(\d+x\d+|auto)$")]
OutputFormat: TypeAlias = Literal["png", "webp", "jpeg", "gif", "svg"]  # gif/svg: PY-NEW
ReplyQuality: TypeAlias = Literal["low", "medium", "high", "xhigh", "max"]  # xhigh/max: PY-NEW


class InputTokensDetails(ContractModel):
    text_tokens: int
    image_tokens: int


class OutputTokensDetails(ContractModel):
    image_tokens: int
    text_tokens: int


class ImagesUsage(ContractModel):
    """Token usage in stream ``*.completed`` events (SPEC ``ImagesUsage``)."""

    total_tokens: int
    input_tokens: int
    output_tokens: int
    input_tokens_details: InputTokensDetails


class ImageGenUsage(ImagesUsage):
    """Token usage of a JSON reply (SPEC ``ImageGenUsage``); ``output_tokens_details`` is optional."""

    output_tokens_details: OutputTokensDetails | None = None


class SvgUsage(ContractModel):
    """PY-NEW: usage of the SVG author model."""

    input_tokens: int
    output_tokens: int
    reasoning_tokens: int
    total_tokens: int
    model: str


class Image(ContractModel):
    """One generated image: base64 bytes (GPT; dall-e with ``b64_json``) or a URL (dall-e)."""

    b64_json: str | None = None
    url: str | None = None
    revised_prompt: str | None = None


class ImagesResponse(ContractModel):
    """A non-streaming reply. Only ``created`` is required (SPEC); optional fields may be ``null``
    (SPEC does not mark them nullable, but the SDK loads null and gateways send it: lenient)."""

    created: int
    data: list[Image] | None = None
    background: Literal["transparent", "opaque"] | None = None
    output_format: OutputFormat | None = None
    size: ReplySize | None = None
    quality: ReplyQuality | None = None
    usage: ImageGenUsage | None = None
    safety_identifier: str | None = None
    svg_usage: SvgUsage | None = None


class _StreamEvent(ContractModel):
    # SPEC marks created_at, size, quality, background and output_format required, but SPEC's own
    # stream examples omit all five: lenient, optional here; check_reply(strict=True) asks them.
    b64_json: str
    created_at: int | None = None
    size: EventSize | None = None
    quality: Literal["low", "medium", "high", "auto", "xhigh", "max"] | None = None
    background: Literal["transparent", "opaque", "auto"] | None = None
    output_format: OutputFormat | None = None


class _PartialEvent(_StreamEvent):
    # Required: unlike the five fields above, SPEC's examples do carry it.
    partial_image_index: int


class _CompletedEvent(_StreamEvent):
    usage: ImagesUsage
    safety_identifier: str | None = None


class ImageGenPartialImageEvent(_PartialEvent):
    type: Literal["image_generation.partial_image"]


class ImageGenCompletedEvent(_CompletedEvent):
    type: Literal["image_generation.completed"]


class ImageEditPartialImageEvent(_PartialEvent):
    type: Literal["image_edit.partial_image"]


class ImageEditCompletedEvent(_CompletedEvent):
    type: Literal["image_edit.completed"]


ImageGenStreamEvent: TypeAlias = Annotated[
    ImageGenPartialImageEvent | ImageGenCompletedEvent, Field(discriminator="type")
]
ImageEditStreamEvent: TypeAlias = Annotated[
    ImageEditPartialImageEvent | ImageEditCompletedEvent, Field(discriminator="type")
]
StreamEvent: TypeAlias = (
    ImageGenPartialImageEvent | ImageGenCompletedEvent | ImageEditPartialImageEvent | ImageEditCompletedEvent
)

#: Event ``type`` -> its model.
STREAM_EVENT_MODELS: Final[Mapping[str, type[_StreamEvent]]] = MappingProxyType(
    {
        "image_generation.partial_image": ImageGenPartialImageEvent,
        "image_generation.completed": ImageGenCompletedEvent,
        "image_edit.partial_image": ImageEditPartialImageEvent,
        "image_edit.completed": ImageEditCompletedEvent,
    }
)


class Error(ContractModel):
    """The ``error`` object: all four keys must be present; ``param``/``code`` may be null."""

    message: str
    type: str
    param: str | None
    code: str | None


class ErrorResponse(ContractModel):
    """The error envelope of every non-2xx reply. Extra keys (``moderation_details``) pass."""

    error: Error
