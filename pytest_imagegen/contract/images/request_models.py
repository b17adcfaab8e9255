"""Pydantic models of the Images API request bodies (the OpenAI API reference for images.generate, images.edit and images.create_variation): their wire shape only.

The models fix field names and types (strictly: a JSON string is not an integer). Value sets and ranges
that differ by model (sizes, qualities, ``n``, prompt length) are deliberately plain ``str``/``int``
here: they live in the capability table, which knows which model asked, and the API adds values faster
than a schema could follow. Unknown fields are kept (``extra="allow"``); ``validate_request(strict=True)``
turns them into errors. ``ImageRefParam`` is the exception: SPEC forbids extra keys there explicitly.
"""

from __future__ import annotations

from typing import Final

from pydantic import BaseModel, ConfigDict, Field, InstanceOf, model_validator
from pydantic_core import PydanticCustomError

from pytest_imagegen.contract.base_model import ContractModel
from pytest_imagegen.contract.uploads import UploadedFile

__all__ = [
    "BOOL_FIELDS",
    "INT_FIELDS",
    "CreateImageEditRequest",
    "CreateImageRequest",
    "CreateImageVariationRequest",
    "EditImageBodyJsonParam",
    "GptImageOptions",
    "ImageRefParam",
    "SvgOptions",
    "SvgReasoning",
]


class SvgReasoning(ContractModel):
    """``svg.reasoning`` (PY-NEW): effort of the SVG author."""

    effort: str | None = None


class SvgOptions(ContractModel):
    """``svg`` (PY-NEW): which model authors ``output_format=svg`` output."""

    model: str | None = None
    reasoning: SvgReasoning | None = None


class GptImageOptions(ContractModel):
    """The GPT image models' options, wherever they are asked for: a generation, both forms of an edit,
    and the Responses API's ``image_generation`` tool (complexity, frames and svg: PY-NEW / DOCS-NEW)."""

    quality: str | None = None
    size: str | None = None
    background: str | None = None
    output_format: str | None = None
    output_compression: int | None = None
    moderation: str | None = None
    partial_images: int | None = None
    complexity: str | None = None
    frame_count: int | None = None
    frame_duration_ms: int | None = None
    svg: SvgOptions | None = None


class _ImageOptions(GptImageOptions):
    """What generations and both forms of edits all take besides (each request adds its own)."""

    model: str | None = None
    n: int | None = None
    stream: bool | None = None
    user: str | None = None
    safety_identifier: str | None = None  # PY-NEW / DOCS-NEW, not in SPEC


class CreateImageRequest(_ImageOptions):
    """``POST /images/generations`` JSON body (SPEC ``CreateImageRequest``)."""

    prompt: str
    response_format: str | None = None
    style: str | None = None


class CreateImageEditRequest(_ImageOptions):
    """``POST /images/edits`` multipart body (SPEC ``CreateImageEditRequest``). ``moderation`` is not in the
    multipart schema but in the JSON edit body; whether multipart accepts it is unspecified: lenient, a
    known field here too.

    ``image`` holds every image part (``image`` or repeated ``image[]``), in order.
    """

    image: tuple[InstanceOf[UploadedFile], ...]
    prompt: str
    mask: InstanceOf[UploadedFile] | None = None
    #: PY-NEW: a PNG overlay steering the edit (GPT Image 2.5).
    markup: InstanceOf[UploadedFile] | None = None
    response_format: str | None = None
    input_fidelity: str | None = None


class ImageRefParam(BaseModel):
    """An input image by reference: exactly one of ``image_url`` (URL or ``data:`` URL) or ``file_id``."""

    # additionalProperties: false in SPEC, so extra keys fail even in lenient mode.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    image_url: str | None = Field(default=None, max_length=20_971_520)
    file_id: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> ImageRefParam:
        if (self.image_url is None) == (self.file_id is None):
            raise PydanticCustomError("image_ref", "expected exactly one of 'image_url' or 'file_id'")
        return self


class EditImageBodyJsonParam(_ImageOptions):
    """``POST /images/edits`` JSON body (SPEC ``EditImageBodyJsonParam``; GPT image models only)."""

    images: list[ImageRefParam]
    prompt: str = Field(min_length=1)
    mask: ImageRefParam | None = None
    input_fidelity: str | None = None


class CreateImageVariationRequest(ContractModel):
    """``POST /images/variations`` multipart body (SPEC ``CreateImageVariationRequest``; dall-e-2)."""

    image: tuple[InstanceOf[UploadedFile], ...]
    model: str | None = None
    n: int | None = None
    response_format: str | None = None
    size: str | None = None
    user: str | None = None


def _fields_of_type(kind: type) -> frozenset[str]:
    names: set[str] = set()
    for cls in (
        CreateImageRequest,
        CreateImageEditRequest,
        EditImageBodyJsonParam,
        CreateImageVariationRequest,
    ):
        for name, info in cls.model_fields.items():
            if info.annotation == (kind | None):
                names.add(name)
    return frozenset(names)


#: Fields a multipart form sends as text but the API reads as integers / booleans.
INT_FIELDS: Final = _fields_of_type(int)
BOOL_FIELDS: Final = _fields_of_type(bool)
