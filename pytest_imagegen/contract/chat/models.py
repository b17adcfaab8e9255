"""Pydantic models of the image-bearing parts of chat completions with image output.

Sources: the gateway references (OpenRouter's and Vercel AI Gateway's image generation pages, LiteLLM's
"image generation in chat completions"), and the openai SDK's ``ChatCompletion`` / ``ChatCompletionChunk``
for the fields every chat completion has. A gateway adds ``images`` to the assistant message (and to a
stream chunk's ``delta``): each ``{"type": "image_url", "image_url": {"url": "data:image/png;base64,..."}}``;
LiteLLM adds ``index`` and ``image_url.detail``. Everything else a reply holds (tool calls, reasoning,
logprobs, a gateway's own fields such as ``provider``) passes as it is. Unknown fields pass
(``extra="allow"``); strict mode reports them.
"""

from __future__ import annotations

from typing import Any, Literal, TypeAlias

from pytest_imagegen.contract.base_model import ContractModel

# Lenient: JSON numbers (the SDK types ``created`` as int; a gateway may send a float).
Number: TypeAlias = int | float


# --- request -----------------------------------------------------------------------------------------


class ImageConfig(ContractModel):
    """A gateway's ``image_config`` (Gemini image models): ``aspect_ratio`` and ``image_size``."""

    aspect_ratio: str | None = None
    image_size: str | None = None


class ChatCompletionRequest(ContractModel):
    """The fields of ``POST /chat/completions`` the image checks read; ``messages`` items are walked for
    input images, their many kinds are not modelled here. ``modalities`` is a gateway extension the
    openai SDK sends through ``extra_body``."""

    model: str | None = None
    messages: list[Any] | None = None
    modalities: list[str] | None = None
    stream: bool | None = None
    stream_options: dict[str, Any] | None = None
    image_config: ImageConfig | None = None
    n: int | None = None
    user: str | None = None


# --- reply -------------------------------------------------------------------------------------------


class ChatImageURL(ContractModel):
    url: str
    detail: str | None = None


class ChatImage(ContractModel):
    """One image of ``message.images`` / ``delta.images``."""

    type: Literal["image_url"]
    image_url: ChatImageURL
    index: int | None = None


class _Turn(ContractModel):
    """What the assistant's message and a stream chunk's delta both carry besides role and content."""

    refusal: Any = None
    reasoning: Any = None
    tool_calls: Any = None
    function_call: Any = None
    images: list[ChatImage] | None = None


class ChatMessage(_Turn):
    """The assistant message. ``content`` is text (or null when the reply is only images)."""

    role: str
    content: str | list[Any] | None = None
    annotations: Any = None
    audio: Any = None


class ChunkDelta(_Turn):
    role: str | None = None
    content: str | None = None


class _Choice(ContractModel):
    """A choice of a completion or of a chunk, less its ``message`` or ``delta``."""

    index: int
    finish_reason: str | None = None
    native_finish_reason: Any = None
    logprobs: Any = None


class Choice(_Choice):
    message: ChatMessage


class ChunkChoice(_Choice):
    delta: ChunkDelta


class Usage(ContractModel):
    """``usage``; its detail objects grow often: any JSON."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    prompt_tokens_details: Any = None
    completion_tokens_details: Any = None
    cost: Any = None


class _Completion(ContractModel):
    """A completion or one chunk of its stream, less its ``object`` and ``choices``."""

    id: str
    created: Number
    model: str
    usage: Usage | None = None
    system_fingerprint: Any = None
    service_tier: Any = None
    provider: Any = None


class ChatCompletion(_Completion):
    object: Literal["chat.completion"]
    choices: list[Choice]


class ChatCompletionChunk(_Completion):
    object: Literal["chat.completion.chunk"]
    choices: list[ChunkChoice]


class _ChatError(ContractModel):
    """OpenAI's envelope has ``message``, ``type``, ``param`` and ``code``; a gateway's has ``message``, a
    numeric ``code`` and ``metadata`` (the provider's own error). Lenient: ``message`` required only."""

    message: str
    type: str | None = None
    param: str | None = None
    code: str | int | None = None
    metadata: Any = None


class ChatErrorResponse(ContractModel):
    error: _ChatError
    user_id: Any = None
