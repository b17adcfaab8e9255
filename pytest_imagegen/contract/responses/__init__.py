"""The Responses API's ``image_generation`` tool: request validation, reply checks, pydantic models.

The second API shape of the contract (``RESPONSES``, ``shape.py``), built like the
Images API part and reading the same capability table (``contract/capabilities.py``: which image models
the tool takes, which options each supports, ``partial_images`` 0-3):

- ``validate_request("responses", body)`` (or ``validate_responses_request``) -> ``ResponsesRequest``;
- ``check_reply(request, reply)`` (or ``check_responses_reply``): the response object or its stream.

Pure: no pytest, no I/O beyond reading the bytes it is handed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_imagegen.contract import lazy
from pytest_imagegen.contract.responses.shape import RESPONSES

if TYPE_CHECKING:
    from pytest_imagegen.contract.responses.models import (
        EVENT_MODELS,
        KNOWN_EVENT_TYPES,
        ImageGenCallCompletedEvent,
        ImageGenCallGeneratingEvent,
        ImageGenCallInProgressEvent,
        ImageGenCallPartialImageEvent,
        ImageGenerationCall,
        ImageGenerationTool,
        ImageGenUsage,
        InputImage,
        InputImageMask,
        OutputItemEvent,
        Response,
        ResponseErrorEvent,
        ResponseLifecycleEvent,
        ResponsesCreateRequest,
    )
    from pytest_imagegen.contract.responses.replies import check_responses_reply, is_responses_reply
    from pytest_imagegen.contract.responses.validate import (
        ImageTool,
        InputImageFacts,
        ResponsesRequest,
        validate_responses_request,
    )

__all__ = [
    "EVENT_MODELS",
    "KNOWN_EVENT_TYPES",
    "RESPONSES",
    "ImageGenCallCompletedEvent",
    "ImageGenCallGeneratingEvent",
    "ImageGenCallInProgressEvent",
    "ImageGenCallPartialImageEvent",
    "ImageGenUsage",
    "ImageGenerationCall",
    "ImageGenerationTool",
    "ImageTool",
    "InputImage",
    "InputImageFacts",
    "InputImageMask",
    "OutputItemEvent",
    "Response",
    "ResponseErrorEvent",
    "ResponseLifecycleEvent",
    "ResponsesCreateRequest",
    "ResponsesRequest",
    "check_responses_reply",
    "is_responses_reply",
    "validate_responses_request",
]

__getattr__ = lazy.exports(
    __name__,
    [name for name in __all__ if name != "RESPONSES"],
    {
        "pytest_imagegen.contract.responses.models": (
            "EVENT_MODELS",
            "KNOWN_EVENT_TYPES",
            "ImageGenCallCompletedEvent",
            "ImageGenCallGeneratingEvent",
            "ImageGenCallInProgressEvent",
            "ImageGenCallPartialImageEvent",
            "ImageGenerationCall",
            "ImageGenerationTool",
            "ImageGenUsage",
            "InputImage",
            "InputImageMask",
            "OutputItemEvent",
            "Response",
            "ResponseErrorEvent",
            "ResponseLifecycleEvent",
            "ResponsesCreateRequest",
        ),
        "pytest_imagegen.contract.responses.replies": ("check_responses_reply", "is_responses_reply"),
        "pytest_imagegen.contract.responses.validate": (
            "ImageTool",
            "InputImageFacts",
            "ResponsesRequest",
            "validate_responses_request",
        ),
    },
)
