"""The API contract: request validation, reply checks, pydantic models, per-model capabilities.

Each API shape is a sub-package named after it that exports one ``ApiShape`` (``shape.py``): the Images
API (``contract.images``), the Responses API's image tool (``contract.responses``), chat completions with
image output (``contract.chat``), the Gemini API and Imagen (``contract.gemini``). They read the same
capability table. ``contract/registry.py`` lists them; ``validate_request(NAME, body)`` and
``check_reply`` find the shape there.

Pure: no pytest, no I/O beyond reading the bytes it is handed; the registry is its one mutable global.
The emulator validates requests with ``validate_request`` and answers ``exc.to_error_body()``; the client
validates before sending and runs ``check_reply`` on every reply and stream event. The names below are
loaded on first use (``lazy.py``): the engine reads the shapes' declarations on every request without
loading every shape's models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_imagegen.contract import lazy

if TYPE_CHECKING:
    from pytest_imagegen.contract.capabilities import (
        CAPABILITIES,
        DEFAULT_MODELS,
        GENERIC,
        GPT_FALLBACK_MODEL,
        EditInputRule,
        FreeFormSizeRule,
        ModelCapability,
        OutputFormatRule,
        base_model_id,
        capability_for,
        resolve_model,
    )
    from pytest_imagegen.contract.chat import ChatRequest, check_chat_reply, validate_chat_request
    from pytest_imagegen.contract.gemini import GeminiRequest, check_gemini_reply, validate_gemini_request
    from pytest_imagegen.contract.images.replies import check_error_reply, parse_reply, parse_stream_event
    from pytest_imagegen.contract.images.reply_models import (
        Error,
        ErrorResponse,
        Image,
        ImageEditCompletedEvent,
        ImageEditPartialImageEvent,
        ImageEditStreamEvent,
        ImageGenCompletedEvent,
        ImageGenPartialImageEvent,
        ImageGenStreamEvent,
        ImageGenUsage,
        ImagesResponse,
        ImagesUsage,
        InputTokensDetails,
        OutputTokensDetails,
        StreamEvent,
        SvgUsage,
    )
    from pytest_imagegen.contract.images.request_models import (
        CreateImageEditRequest,
        CreateImageRequest,
        CreateImageVariationRequest,
        EditImageBodyJsonParam,
        ImageRefParam,
        SvgOptions,
        SvgReasoning,
    )
    from pytest_imagegen.contract.images.validate import ValidatedRequest
    from pytest_imagegen.contract.problems import json_path
    from pytest_imagegen.contract.replies import check_reply
    from pytest_imagegen.contract.responses import (
        ResponsesRequest,
        check_responses_reply,
        validate_responses_request,
    )
    from pytest_imagegen.contract.uploads import FileInput, FilesInput, UploadedFile, sniff_format
    from pytest_imagegen.contract.validate import validate_request

__all__ = [
    "CAPABILITIES",
    "DEFAULT_MODELS",
    "GENERIC",
    "GPT_FALLBACK_MODEL",
    "ChatRequest",
    "CreateImageEditRequest",
    "CreateImageRequest",
    "CreateImageVariationRequest",
    "EditImageBodyJsonParam",
    "EditInputRule",
    "Error",
    "ErrorResponse",
    "FileInput",
    "FilesInput",
    "FreeFormSizeRule",
    "GeminiRequest",
    "Image",
    "ImageEditCompletedEvent",
    "ImageEditPartialImageEvent",
    "ImageEditStreamEvent",
    "ImageGenCompletedEvent",
    "ImageGenPartialImageEvent",
    "ImageGenStreamEvent",
    "ImageGenUsage",
    "ImageRefParam",
    "ImagesResponse",
    "ImagesUsage",
    "InputTokensDetails",
    "ModelCapability",
    "OutputFormatRule",
    "OutputTokensDetails",
    "ResponsesRequest",
    "StreamEvent",
    "SvgOptions",
    "SvgReasoning",
    "SvgUsage",
    "UploadedFile",
    "ValidatedRequest",
    "base_model_id",
    "capability_for",
    "check_chat_reply",
    "check_error_reply",
    "check_gemini_reply",
    "check_reply",
    "check_responses_reply",
    "json_path",
    "parse_reply",
    "parse_stream_event",
    "resolve_model",
    "sniff_format",
    "validate_chat_request",
    "validate_gemini_request",
    "validate_request",
    "validate_responses_request",
]

__getattr__ = lazy.exports(
    __name__,
    __all__,
    {
        "pytest_imagegen.contract.capabilities": (
            "CAPABILITIES",
            "DEFAULT_MODELS",
            "GENERIC",
            "GPT_FALLBACK_MODEL",
            "EditInputRule",
            "FreeFormSizeRule",
            "ModelCapability",
            "OutputFormatRule",
            "base_model_id",
            "capability_for",
            "resolve_model",
        ),
        "pytest_imagegen.contract.chat": ("ChatRequest", "check_chat_reply", "validate_chat_request"),
        "pytest_imagegen.contract.gemini": ("GeminiRequest", "check_gemini_reply", "validate_gemini_request"),
        "pytest_imagegen.contract.images.replies": ("check_error_reply", "parse_reply", "parse_stream_event"),
        "pytest_imagegen.contract.images.reply_models": (
            "Error",
            "ErrorResponse",
            "Image",
            "ImageEditCompletedEvent",
            "ImageEditPartialImageEvent",
            "ImageEditStreamEvent",
            "ImageGenCompletedEvent",
            "ImageGenPartialImageEvent",
            "ImageGenStreamEvent",
            "ImageGenUsage",
            "ImagesResponse",
            "ImagesUsage",
            "InputTokensDetails",
            "OutputTokensDetails",
            "StreamEvent",
            "SvgUsage",
        ),
        "pytest_imagegen.contract.images.request_models": (
            "CreateImageEditRequest",
            "CreateImageRequest",
            "CreateImageVariationRequest",
            "EditImageBodyJsonParam",
            "ImageRefParam",
            "SvgOptions",
            "SvgReasoning",
        ),
        "pytest_imagegen.contract.images.validate": ("ValidatedRequest",),
        "pytest_imagegen.contract.problems": ("json_path",),
        "pytest_imagegen.contract.replies": ("check_reply",),
        "pytest_imagegen.contract.responses": (
            "ResponsesRequest",
            "check_responses_reply",
            "validate_responses_request",
        ),
        "pytest_imagegen.contract.uploads": ("FileInput", "FilesInput", "UploadedFile", "sniff_format"),
        "pytest_imagegen.contract.validate": ("validate_request",),
    },
)
