"""Chat completions with image output (``POST /chat/completions`` through a gateway): the ``chat`` shape.

Its API shape is ``CHAT`` (``shape.py``); it reads the same capability table as the others (which models
draw in chat completions, their aspect ratios and image sizes; a provider prefix such as ``google/`` is
dropped to find the row):

- ``validate_request("chat", body)`` (or ``validate_chat_request``) -> ``ChatRequest``;
- ``check_reply(request, reply)`` (or ``check_chat_reply``): the chat completion or its chunks.
- ``DONE``: the data of the event that ends a stream (``data: [DONE]``), which a cut stream lacks.

Pure: no pytest, no I/O beyond reading the bytes it is handed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_imagegen.contract import lazy
from pytest_imagegen.contract.chat.shape import CHAT

if TYPE_CHECKING:
    from pytest_imagegen.contract.chat.models import (
        ChatCompletion,
        ChatCompletionChunk,
        ChatCompletionRequest,
        ChatErrorResponse,
        ChatImage,
        ChatImageURL,
        ChatMessage,
        Choice,
        ChunkChoice,
        ChunkDelta,
        ImageConfig,
        Usage,
    )
    from pytest_imagegen.contract.chat.replies import (
        DONE,
        check_chat_error_reply,
        check_chat_reply,
        is_chat_reply,
    )
    from pytest_imagegen.contract.chat.validate import (
        MODALITIES,
        ChatInputImage,
        ChatRequest,
        validate_chat_request,
    )

__all__ = [
    "CHAT",
    "DONE",
    "MODALITIES",
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatCompletionRequest",
    "ChatErrorResponse",
    "ChatImage",
    "ChatImageURL",
    "ChatInputImage",
    "ChatMessage",
    "ChatRequest",
    "Choice",
    "ChunkChoice",
    "ChunkDelta",
    "ImageConfig",
    "Usage",
    "check_chat_error_reply",
    "check_chat_reply",
    "is_chat_reply",
    "validate_chat_request",
]

__getattr__ = lazy.exports(
    __name__,
    [name for name in __all__ if name != "CHAT"],
    {
        "pytest_imagegen.contract.chat.models": (
            "ChatCompletion",
            "ChatCompletionChunk",
            "ChatCompletionRequest",
            "ChatErrorResponse",
            "ChatImage",
            "ChatImageURL",
            "ChatMessage",
            "Choice",
            "ChunkChoice",
            "ChunkDelta",
            "ImageConfig",
            "Usage",
        ),
        "pytest_imagegen.contract.chat.replies": (
            "DONE",
            "check_chat_error_reply",
            "check_chat_reply",
            "is_chat_reply",
        ),
        "pytest_imagegen.contract.chat.validate": (
            "MODALITIES",
            "ChatInputImage",
            "ChatRequest",
            "validate_chat_request",
        ),
    },
)
