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
from pytest_imagegen.contract.chat.shape import CHAT as CHAT

if TYPE_CHECKING:
    from pytest_imagegen.contract.chat.models import ChatCompletion as ChatCompletion
    from pytest_imagegen.contract.chat.models import ChatCompletionChunk as ChatCompletionChunk
    from pytest_imagegen.contract.chat.models import ChatCompletionRequest as ChatCompletionRequest
    from pytest_imagegen.contract.chat.models import ChatErrorResponse as ChatErrorResponse
    from pytest_imagegen.contract.chat.models import ChatImage as ChatImage
    from pytest_imagegen.contract.chat.models import ChatImageURL as ChatImageURL
    from pytest_imagegen.contract.chat.models import ChatMessage as ChatMessage
    from pytest_imagegen.contract.chat.models import Choice as Choice
    from pytest_imagegen.contract.chat.models import ChunkChoice as ChunkChoice
    from pytest_imagegen.contract.chat.models import ChunkDelta as ChunkDelta
    from pytest_imagegen.contract.chat.models import ImageConfig as ImageConfig
    from pytest_imagegen.contract.chat.models import Usage as Usage
    from pytest_imagegen.contract.chat.replies import DONE as DONE
    from pytest_imagegen.contract.chat.replies import check_chat_error_reply as check_chat_error_reply
    from pytest_imagegen.contract.chat.replies import check_chat_reply as check_chat_reply
    from pytest_imagegen.contract.chat.replies import is_chat_reply as is_chat_reply
    from pytest_imagegen.contract.chat.validate import MODALITIES as MODALITIES
    from pytest_imagegen.contract.chat.validate import ChatInputImage as ChatInputImage
    from pytest_imagegen.contract.chat.validate import ChatRequest as ChatRequest
    from pytest_imagegen.contract.chat.validate import validate_chat_request as validate_chat_request

__getattr__, _LAZY = lazy.exports(
    __name__,
    {
        "pytest_imagegen.contract.chat.models": "ChatCompletion ChatCompletionChunk ChatCompletionRequest ChatErrorResponse ChatImage ChatImageURL ChatMessage Choice ChunkChoice ChunkDelta ImageConfig Usage",
        "pytest_imagegen.contract.chat.replies": "DONE check_chat_error_reply check_chat_reply is_chat_reply",
        "pytest_imagegen.contract.chat.validate": "MODALITIES ChatInputImage ChatRequest validate_chat_request",
    },
)
__all__ = ["CHAT", *_LAZY]
