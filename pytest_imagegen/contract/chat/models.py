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

from pydantic import BaseModel, ConfigDict

__all__ = [
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
]

# Lenient: JSON numbers (the SDK types ``created`` as int; a gateway may send a float).
Number: TypeAlias = int | float


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True, frozen=True)


# --- request -----------------------------------------------------------------------------------------


class ImageConfig(_Model):
    """A gateway's ``image_config`` (Gemini image models): ``aspect_ratio`` and ``image_size``."""

    aspect_ratio: str | None = None
    image_size: str | None = None


class ChatCompletionRequest(_Model):
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


class ChatImageURL(_Model):
    url: str
    detail: str | None = None


class ChatImage(_Model):
    """One image of ``message.images`` / ``delta.images``."""

    type: Literal["image_url"]
    image_url: ChatImageURL
    index: int | None = None


class ChatMessage(_Model):
    """The assistant message. ``content`` is text (or null when the reply is only images)."""

    role: str
    content: str | list[Any] | None = None
    images: list[ChatImage] | None = None
    refusal: Any = None
    reasoning: Any = None
    tool_calls: Any = None
    annotations: Any = None
    audio: Any = None
    function_call: Any = None


class Choice(_Model):
    index: int
    message: ChatMessage
    finish_reason: str | None = None
    native_finish_reason: Any = None
    logprobs: Any = None


class Usage(_Model):
    """``usage``; its detail objects grow often: any JSON."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    prompt_tokens_details: Any = None
    completion_tokens_details: Any = None
    cost: Any = None


class ChatCompletion(_Model):
    id: str
    object: Literal["chat.completion"]
    created: Number
    model: str
    choices: list[Choice]
    usage: Usage | None = None
    system_fingerprint: Any = None
    service_tier: Any = None
    provider: Any = None


class ChunkDelta(_Model):
    role: str | None = None
    content: str | None = None
    images: list[ChatImage] | None = None
    refusal: Any = None
    reasoning: Any = None
    tool_calls: Any = None
    function_call: Any = None


class ChunkChoice(_Model):
    index: int
    delta: ChunkDelta
    finish_reason: str | None = None
    native_finish_reason: Any = None
    logprobs: Any = None


class ChatCompletionChunk(_Model):
    id: str
    object: Literal["chat.completion.chunk"]
    created: Number
    model: str
    choices: list[ChunkChoice]
    usage: Usage | None = None
    system_fingerprint: Any = None
    service_tier: Any = None
    provider: Any = None


class _ChatError(_Model):
    """OpenAI's envelope has ``message``, ``type``, ``param`` and ``code``; a gateway's has ``message``, a
    numeric ``code`` and ``metadata`` (the provider's own error). Lenient: ``message`` required only."""

    message: str
    type: str | None = None
    param: str | None = None
    code: str | int | None = None
    metadata: Any = None


class ChatErrorResponse(_Model):
    error: _ChatError
    user_id: Any = None
