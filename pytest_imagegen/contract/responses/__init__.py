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
from pytest_imagegen.contract.responses.shape import RESPONSES as RESPONSES

if TYPE_CHECKING:
    from pytest_imagegen.contract.responses.models import EVENT_MODELS as EVENT_MODELS
    from pytest_imagegen.contract.responses.models import KNOWN_EVENT_TYPES as KNOWN_EVENT_TYPES
    from pytest_imagegen.contract.responses.models import (
        ImageGenCallCompletedEvent as ImageGenCallCompletedEvent,
    )
    from pytest_imagegen.contract.responses.models import (
        ImageGenCallGeneratingEvent as ImageGenCallGeneratingEvent,
    )
    from pytest_imagegen.contract.responses.models import (
        ImageGenCallInProgressEvent as ImageGenCallInProgressEvent,
    )
    from pytest_imagegen.contract.responses.models import (
        ImageGenCallPartialImageEvent as ImageGenCallPartialImageEvent,
    )
    from pytest_imagegen.contract.responses.models import ImageGenerationCall as ImageGenerationCall
    from pytest_imagegen.contract.responses.models import ImageGenerationTool as ImageGenerationTool
    from pytest_imagegen.contract.responses.models import ImageGenUsage as ImageGenUsage
    from pytest_imagegen.contract.responses.models import InputImage as InputImage
    from pytest_imagegen.contract.responses.models import InputImageMask as InputImageMask
    from pytest_imagegen.contract.responses.models import OutputItemEvent as OutputItemEvent
    from pytest_imagegen.contract.responses.models import Response as Response
    from pytest_imagegen.contract.responses.models import ResponseErrorEvent as ResponseErrorEvent
    from pytest_imagegen.contract.responses.models import ResponseLifecycleEvent as ResponseLifecycleEvent
    from pytest_imagegen.contract.responses.models import ResponsesCreateRequest as ResponsesCreateRequest
    from pytest_imagegen.contract.responses.replies import check_responses_reply as check_responses_reply
    from pytest_imagegen.contract.responses.replies import is_responses_reply as is_responses_reply
    from pytest_imagegen.contract.responses.validate import ImageTool as ImageTool
    from pytest_imagegen.contract.responses.validate import InputImageFacts as InputImageFacts
    from pytest_imagegen.contract.responses.validate import ResponsesRequest as ResponsesRequest
    from pytest_imagegen.contract.responses.validate import (
        validate_responses_request as validate_responses_request,
    )

__getattr__, _LAZY = lazy.exports(
    __name__,
    {
        "pytest_imagegen.contract.responses.models": "EVENT_MODELS KNOWN_EVENT_TYPES ImageGenCallCompletedEvent ImageGenCallGeneratingEvent ImageGenCallInProgressEvent ImageGenCallPartialImageEvent ImageGenerationCall ImageGenerationTool ImageGenUsage InputImage InputImageMask OutputItemEvent Response ResponseErrorEvent ResponseLifecycleEvent ResponsesCreateRequest",
        "pytest_imagegen.contract.responses.replies": "check_responses_reply is_responses_reply",
        "pytest_imagegen.contract.responses.validate": "ImageTool InputImageFacts ResponsesRequest validate_responses_request",
    },
)
__all__ = ["RESPONSES", *_LAZY]
