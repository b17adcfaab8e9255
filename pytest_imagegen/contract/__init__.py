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
    from pytest_imagegen.contract.capabilities import CAPABILITIES as CAPABILITIES
    from pytest_imagegen.contract.capabilities import DEFAULT_MODELS as DEFAULT_MODELS
    from pytest_imagegen.contract.capabilities import GENERIC as GENERIC
    from pytest_imagegen.contract.capabilities import GPT_FALLBACK_MODEL as GPT_FALLBACK_MODEL
    from pytest_imagegen.contract.capabilities import EditInputRule as EditInputRule
    from pytest_imagegen.contract.capabilities import FreeFormSizeRule as FreeFormSizeRule
    from pytest_imagegen.contract.capabilities import ModelCapability as ModelCapability
    from pytest_imagegen.contract.capabilities import OutputFormatRule as OutputFormatRule
    from pytest_imagegen.contract.capabilities import base_model_id as base_model_id
    from pytest_imagegen.contract.capabilities import capability_for as capability_for
    from pytest_imagegen.contract.capabilities import resolve_model as resolve_model
    from pytest_imagegen.contract.chat import ChatRequest as ChatRequest
    from pytest_imagegen.contract.chat import check_chat_reply as check_chat_reply
    from pytest_imagegen.contract.chat import validate_chat_request as validate_chat_request
    from pytest_imagegen.contract.gemini import GeminiRequest as GeminiRequest
    from pytest_imagegen.contract.gemini import check_gemini_reply as check_gemini_reply
    from pytest_imagegen.contract.gemini import validate_gemini_request as validate_gemini_request
    from pytest_imagegen.contract.images.replies import check_error_reply as check_error_reply
    from pytest_imagegen.contract.images.replies import parse_reply as parse_reply
    from pytest_imagegen.contract.images.replies import parse_stream_event as parse_stream_event
    from pytest_imagegen.contract.images.reply_models import Error as Error
    from pytest_imagegen.contract.images.reply_models import ErrorResponse as ErrorResponse
    from pytest_imagegen.contract.images.reply_models import Image as Image
    from pytest_imagegen.contract.images.reply_models import (
        ImageEditCompletedEvent as ImageEditCompletedEvent,
    )
    from pytest_imagegen.contract.images.reply_models import (
        ImageEditPartialImageEvent as ImageEditPartialImageEvent,
    )
    from pytest_imagegen.contract.images.reply_models import ImageEditStreamEvent as ImageEditStreamEvent
    from pytest_imagegen.contract.images.reply_models import ImageGenCompletedEvent as ImageGenCompletedEvent
    from pytest_imagegen.contract.images.reply_models import (
        ImageGenPartialImageEvent as ImageGenPartialImageEvent,
    )
    from pytest_imagegen.contract.images.reply_models import ImageGenStreamEvent as ImageGenStreamEvent
    from pytest_imagegen.contract.images.reply_models import ImageGenUsage as ImageGenUsage
    from pytest_imagegen.contract.images.reply_models import ImagesResponse as ImagesResponse
    from pytest_imagegen.contract.images.reply_models import ImagesUsage as ImagesUsage
    from pytest_imagegen.contract.images.reply_models import InputTokensDetails as InputTokensDetails
    from pytest_imagegen.contract.images.reply_models import OutputTokensDetails as OutputTokensDetails
    from pytest_imagegen.contract.images.reply_models import StreamEvent as StreamEvent
    from pytest_imagegen.contract.images.reply_models import SvgUsage as SvgUsage
    from pytest_imagegen.contract.images.request_models import (
        CreateImageEditRequest as CreateImageEditRequest,
    )
    from pytest_imagegen.contract.images.request_models import CreateImageRequest as CreateImageRequest
    from pytest_imagegen.contract.images.request_models import (
        CreateImageVariationRequest as CreateImageVariationRequest,
    )
    from pytest_imagegen.contract.images.request_models import (
        EditImageBodyJsonParam as EditImageBodyJsonParam,
    )
    from pytest_imagegen.contract.images.request_models import ImageRefParam as ImageRefParam
    from pytest_imagegen.contract.images.request_models import SvgOptions as SvgOptions
    from pytest_imagegen.contract.images.request_models import SvgReasoning as SvgReasoning
    from pytest_imagegen.contract.images.validate import ValidatedRequest as ValidatedRequest
    from pytest_imagegen.contract.problems import json_path as json_path
    from pytest_imagegen.contract.replies import check_reply as check_reply
    from pytest_imagegen.contract.responses import ResponsesRequest as ResponsesRequest
    from pytest_imagegen.contract.responses import check_responses_reply as check_responses_reply
    from pytest_imagegen.contract.responses import validate_responses_request as validate_responses_request
    from pytest_imagegen.contract.uploads import FileInput as FileInput
    from pytest_imagegen.contract.uploads import FilesInput as FilesInput
    from pytest_imagegen.contract.uploads import UploadedFile as UploadedFile
    from pytest_imagegen.contract.uploads import sniff_format as sniff_format
    from pytest_imagegen.contract.validate import validate_request as validate_request

__getattr__, _LAZY = lazy.exports(
    __name__,
    {
        "pytest_imagegen.contract.capabilities": "CAPABILITIES DEFAULT_MODELS GENERIC GPT_FALLBACK_MODEL EditInputRule FreeFormSizeRule ModelCapability OutputFormatRule base_model_id capability_for resolve_model",
        "pytest_imagegen.contract.chat": "ChatRequest check_chat_reply validate_chat_request",
        "pytest_imagegen.contract.gemini": "GeminiRequest check_gemini_reply validate_gemini_request",
        "pytest_imagegen.contract.images.replies": "check_error_reply parse_reply parse_stream_event",
        "pytest_imagegen.contract.images.reply_models": "Error ErrorResponse Image ImageEditCompletedEvent ImageEditPartialImageEvent ImageEditStreamEvent ImageGenCompletedEvent ImageGenPartialImageEvent ImageGenStreamEvent ImageGenUsage ImagesResponse ImagesUsage InputTokensDetails OutputTokensDetails StreamEvent SvgUsage",
        "pytest_imagegen.contract.images.request_models": "CreateImageEditRequest CreateImageRequest CreateImageVariationRequest EditImageBodyJsonParam ImageRefParam SvgOptions SvgReasoning",
        "pytest_imagegen.contract.images.validate": "ValidatedRequest",
        "pytest_imagegen.contract.problems": "json_path",
        "pytest_imagegen.contract.replies": "check_reply",
        "pytest_imagegen.contract.responses": "ResponsesRequest check_responses_reply validate_responses_request",
        "pytest_imagegen.contract.uploads": "FileInput FilesInput UploadedFile sniff_format",
        "pytest_imagegen.contract.validate": "validate_request",
    },
)
__all__ = _LAZY
