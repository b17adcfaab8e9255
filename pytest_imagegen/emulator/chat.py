"""``POST /v1/chat/completions`` (and a gateway's ``/api/v1/chat/completions``) with image output.

The emulator plays an OpenAI-compatible gateway (OpenRouter-, LiteLLM- or Vercel-style) in front of image
models. The request is checked with the contract (``validate_request("chat", ...)``), so the emulator
rejects exactly what the contract rejects, in the OpenAI envelope the gateways use. A valid request that
asks for image output (``modalities`` holding ``image``) of a model that draws gets a Pillow-made PNG in
``message.images`` as a data URL, of the size the model draws for ``image_config.aspect_ratio`` (and
``image_size``); text, when asked (or when nothing is), in ``message.content``. The stream sends the
assistant's role and text, then a chunk whose ``delta.images`` holds the image, then a chunk with the
``finish_reason`` and the usage, then ``data: [DONE]``. Images and ids are seeded from the request, so the
same request always gets the same reply, streamed or not.

Bring-your-own-key: a request may carry the provider's key for the gateway to pass on (``x-goog-api-key``,
as Cloudflare's AI Gateway forwards it). A key the provider refuses comes back the way gateways report a
provider failure: ``{"error": {"message": "Provider returned error", "code": 400, "metadata": {"raw":
...}}}`` whose ``raw`` quotes the upstream call, the key in its ``?key=`` query included (a real leak shape
of LiteLLM's error messages), so a recorder has something to redact.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import anyio.to_thread
from starlette.routing import BaseRoute, Route

from pytest_imagegen.contract import validate_request
from pytest_imagegen.contract.aspect_ratios import aspect_size
from pytest_imagegen.contract.capabilities import base_model_id
from pytest_imagegen.contract.chat import ChatRequest
from pytest_imagegen.emulator.drawing import ImageSpec, render_encoded, seed_of
from pytest_imagegen.emulator.error_replies import ErrorReply
from pytest_imagegen.emulator.gemini import key_is_valid
from pytest_imagegen.emulator.state import EmulatorState

if TYPE_CHECKING:
    from pytest_imagegen.emulator.app import _Handler

__all__ = ["json_reply", "make_chat_job", "provider_key_error", "routes", "stream_frames"]

#: Request fields that change how the reply is delivered, not what it holds: out of the image seed.
_DELIVERY_FIELDS: Final = frozenset({"stream", "stream_options", "user", "metadata"})
_ANSWER_TEXT: Final = "Here is the picture you asked for, drawn by the emulator."
_IMAGE_TOKENS: Final = 1290
_PROVIDER_KEY_HEADER: Final = "x-goog-api-key"


@dataclass(frozen=True)
class ChatJob:
    """Everything the emulator needs to answer one valid chat completions request."""

    request: ChatRequest
    completion_id: str
    created: int
    text: str | None
    image: ImageSpec | None
    prompt_tokens: int


def provider_key_error(
    headers: Mapping[str, str], params: Mapping[str, Any], state: EmulatorState
) -> ErrorReply | None:
    """A gateway's report of the provider refusing the key the request brought along, or None."""
    key = headers.get(_PROVIDER_KEY_HEADER)
    if not key or key_is_valid(key, state):
        return None
    model = base_model_id(str(params.get("model") or "gemini-2.5-flash-image"))
    upstream = f"https://generativelanguage.googleapis.com/v1beta/models/{model}:generateContent?key={key}"
    raw = f"POST {upstream} failed: 400 Bad Request: API key not valid. Please pass a valid API key."
    body = {
        "error": {
            "message": "Provider returned error",
            "code": 400,
            "metadata": {"raw": raw, "provider_name": "Google AI Studio"},
        }
    }
    return ErrorReply(400, body)


def _prompt_text(chat_messages: Any) -> str:
    """The user's words: the text of the last user message."""
    text = ""
    for message in chat_messages if isinstance(chat_messages, list) else ():
        if not isinstance(message, Mapping) or message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            text = content
        elif isinstance(content, list):
            text = " ".join(
                str(p.get("text")) for p in content if isinstance(p, Mapping) and p.get("type") == "text"
            )
    return text


def make_chat_job(params: Mapping[str, Any], state: EmulatorState) -> ChatJob:
    """Validate a request and resolve what to produce; ``RequestValidationError`` for an invalid one."""
    # As strict as the service: a model the table does not know is refused.
    request = validate_request("chat", dict(params), strict=True)
    identity = json.dumps(
        {k: v for k, v in params.items() if k not in _DELIVERY_FIELDS}, sort_keys=True, default=str
    )
    seed = seed_of("chat", identity)
    completion_id = "chatcmpl-" + hashlib.sha256(b"completion" + seed).hexdigest()[:29]
    image = None
    if request.wants_image:
        width, height = aspect_size(request.capability, request.aspect_ratio, request.image_size)
        image = ImageSpec(seed=seed, width=width, height=height, output_format="png")
    text = _ANSWER_TEXT if ("text" in request.modalities or not request.modalities) else None
    prompt = _prompt_text(request.params.get("messages"))
    prompt_tokens = 8 + len(prompt) // 4 + 258 * len(request.input_images)
    return ChatJob(request, completion_id, int(state.clock()), text, image, prompt_tokens)


async def _image_entry(spec: ImageSpec) -> dict[str, Any]:
    data = await anyio.to_thread.run_sync(render_encoded, spec)
    url = "data:image/png;base64," + base64.b64encode(data).decode()
    return {"type": "image_url", "image_url": {"url": url}, "index": 0}


def _usage(job: ChatJob) -> dict[str, Any]:
    completion = (14 if job.text else 0) + (_IMAGE_TOKENS if job.image is not None else 0)
    return {
        "prompt_tokens": job.prompt_tokens,
        "completion_tokens": completion,
        "total_tokens": job.prompt_tokens + completion,
    }


def _head(job: ChatJob, kind: str) -> dict[str, Any]:
    return {"id": job.completion_id, "object": kind, "created": job.created, "model": job.request.model}


async def json_reply(job: ChatJob) -> bytes:
    """The chat completion as one JSON body."""
    # ``refusal`` and the choice's ``logprobs`` are required (official ``CreateChatCompletionResponse``).
    message: dict[str, Any] = {"role": "assistant", "content": job.text, "refusal": None}
    if job.image is not None:
        message["images"] = [await _image_entry(job.image)]
    body = {
        **_head(job, "chat.completion"),
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}],
        "usage": _usage(job),
    }
    return json.dumps(body, indent=2).encode()


def _frame(data: Mapping[str, Any] | str) -> bytes:
    text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    return f"data: {text}\n\n".encode()


async def stream_frames(job: ChatJob) -> AsyncIterator[bytes]:
    """The SSE chunks of a streamed reply, each drawn when it is due; ``data: [DONE]`` last."""
    head = _head(job, "chat.completion.chunk")

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
        return _frame({**head, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra})

    yield chunk({"role": "assistant", "content": job.text or ""})
    if job.image is not None:
        yield chunk({"role": "assistant", "content": "", "images": [await _image_entry(job.image)]})
    yield chunk({"role": "assistant", "content": ""}, "stop", usage=_usage(job))
    yield _frame("[DONE]")


def routes(handler: _Handler) -> list[BaseRoute]:
    """Chat completions, as OpenAI serves them and under a gateway's ``/api/v1`` (the module
    ``contract/chat/shape.py`` names)."""
    return [
        Route("/v1/chat/completions", handler.chat_route, methods=["POST"]),
        Route("/api/v1/chat/completions", handler.chat_route, methods=["POST"]),
    ]
