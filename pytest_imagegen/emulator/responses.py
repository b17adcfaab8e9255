"""``POST /v1/responses`` with the ``image_generation`` tool: JSON replies and SSE streams.

The request is checked with the contract (``validate_request("responses", ...)``), so the emulator rejects
exactly what the contract rejects, in the API's error envelope. A valid request that offers the image tool
(and does not set ``tool_choice`` to ``none``) gets one ``image_generation_call``: a Pillow-made image of
the tool's size and format, seeded from the request, so the same request always gets the same picture
whether streamed or not. Without the tool the reply is a short assistant message.

Multi-turn editing: each response is remembered with the image it made; ``previous_response_id`` must
name one (else 400 ``previous_response_not_found``), and a turn that continues a response with an image,
or sends input images, is an ``edit``. The stream sends the events of the real service, in its order,
each with its ``sequence_number``: ``response.created``, ``response.in_progress``,
``response.output_item.added``, ``response.image_generation_call.in_progress`` / ``.generating`` /
``.partial_image`` (``partial_images`` of them) / ``.completed``, ``response.output_item.done`` (the
item with its ``result``) and ``response.completed`` (the whole response, the final image again).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal, cast

import anyio.to_thread
from starlette.routing import BaseRoute, Route

from pytest_imagegen.contract import validate_request
from pytest_imagegen.contract.responses import ImageTool, ResponsesRequest
from pytest_imagegen.emulator.drawing import (
    ImageSpec,
    OutputFormat,
    encode,
    partial_versions,
    render,
    seed_of,
)
from pytest_imagegen.emulator.state import EmulatorState
from pytest_imagegen.emulator.transport import sse_frame
from pytest_imagegen.errors import RequestValidationError

if TYPE_CHECKING:
    from pytest_imagegen.emulator.app import _Handler

__all__ = ["json_reply", "make_responses_job", "routes", "stream_frames"]

_DEFAULT_SIZE: Final = "1024x1024"
_SIZE: Final = re.compile(r"(\d+)x(\d+)")
_MAX_EDGE: Final = 3840
_MAX_PIXELS: Final = 3840 * 2160
#: What the reply says for quality "auto" (it never says "auto"), as the Images routes do.
_AUTO_QUALITY: Final = "high"
_OUTPUT_TOKENS_1024: Final = {"low": 272, "medium": 1056, "high": 4160}
_INPUT_IMAGE_TOKENS: Final = 323
_PARTIAL_IMAGE_TOKENS: Final = 100
#: Request fields that change how the reply is delivered, not what it holds: out of the image seed.
_DELIVERY_FIELDS: Final = frozenset({"stream", "stream_options", "store", "user", "safety_identifier"})
_ANSWER_TEXT: Final = "Here is a short answer from the emulator."


@dataclass(frozen=True)
class ImageCall:
    """The one ``image_generation_call`` of a reply."""

    item_id: str
    spec: ImageSpec
    action: Literal["generate", "edit"]
    size: str
    quality: str
    background: Literal["transparent", "opaque"]
    output_format: str
    partial_images: int
    revised_prompt: str
    input_images: int


@dataclass(frozen=True)
class ResponsesJob:
    """Everything the emulator needs to answer one valid Responses API request."""

    request: ResponsesRequest
    response_id: str
    created_at: int
    prompt: str
    #: None: the reply is a text message (no image tool offered, or ``tool_choice="none"``).
    call: ImageCall | None

    @property
    def message_id(self) -> str:
        return "msg_" + hashlib.sha256(self.response_id.encode()).hexdigest()[:48]


def make_responses_job(params: Mapping[str, Any], state: EmulatorState) -> ResponsesJob:
    """Validate a request and resolve what to produce; ``RequestValidationError`` for an invalid one."""
    # As strict as the service: unknown models and fields are refused (``validate_request``'s ``strict``).
    request = validate_request("responses", dict(params), strict=True)
    previous_image: ImageSpec | None = None
    if request.previous_response_id is not None:
        known, previous_image = state.previous_response(request.previous_response_id)
        if not known:
            raise RequestValidationError(
                f"Previous response with id '{request.previous_response_id}' not found.",
                field="previous_response_id",
                code="previous_response_not_found",
            )
    seed = seed_of("responses", _identity(params))
    # Ids derive from the request, like the images: recording the same calls again gives the same
    # cassette (the same request asked twice gets the same id, which continues the same conversation).
    response_id = "resp_" + hashlib.sha256(b"response" + seed).hexdigest()[:48]
    prompt = _prompt_text(request.params.get("input"))
    tool = request.tool
    call = None
    if tool is not None and request.tool_choice != "none":
        edit_context = bool(request.input_images or previous_image)
        call = _image_call(request, tool, prompt, seed, edit_context=edit_context)
    return ResponsesJob(request, response_id, int(state.clock()), prompt, call)


def _identity(params: Mapping[str, Any]) -> str:
    """What identifies a request's reply: its fields, less how the reply is delivered (the stream, and
    ``partial_images``, which changes only what is streamed on the way)."""
    tools = [
        {k: v for k, v in t.items() if k != "partial_images"} if isinstance(t, Mapping) else t
        for t in params.get("tools") or ()
    ]
    kept = {k: v for k, v in params.items() if k not in _DELIVERY_FIELDS}
    return json.dumps({**kept, "tools": tools}, sort_keys=True, default=str)


def _prompt_text(value: Any) -> str:
    """The user's words: the input text, or the text parts of the last message that has any."""
    if isinstance(value, str):
        return value
    texts: list[str] = []
    for item in value if isinstance(value, list) else ():
        content = item.get("content") if isinstance(item, Mapping) else None
        if isinstance(content, str):
            texts = [content]
        elif isinstance(content, list):
            found = [
                str(p.get("text"))
                for p in content
                if isinstance(p, Mapping) and p.get("type") == "input_text"
            ]
            texts = found or texts
    return " ".join(texts)


def _pixels(label: str, size: str) -> tuple[int, int]:
    match = _SIZE.fullmatch(size)
    width, height = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
    if not (0 < width <= _MAX_EDGE and 0 < height <= _MAX_EDGE and width * height <= _MAX_PIXELS):
        raise RequestValidationError(
            f"Invalid value: '{size}'. The emulator draws at most {_MAX_PIXELS} pixels and {_MAX_EDGE} "
            "pixels per edge.",
            field=label,
        )
    return width, height


def _image_call(
    request: ResponsesRequest, tool: ImageTool, prompt: str, seed: bytes, *, edit_context: bool
) -> ImageCall:
    label = f"tools[{tool.index}]"
    asked = tool.action or "auto"
    if asked == "edit" and not edit_context:
        raise RequestValidationError(
            "Invalid value: 'edit'. There is no image in the context to edit: send an input image or "
            "continue a response that made one.",
            field=f"{label}.action",
        )
    action: Literal["generate", "edit"] = (
        "edit" if asked == "edit" or (asked == "auto" and edit_context) else "generate"
    )
    size = tool.size if tool.size and tool.size != "auto" else _DEFAULT_SIZE
    width, height = _pixels(f"{label}.size", size)
    output_format = tool.output_format or "png"
    if output_format not in ("png", "jpeg", "webp", "gif", "svg"):
        raise RequestValidationError(
            f"Invalid value: '{output_format}'. The emulator draws png, jpeg, webp, gif and svg.",
            field=f"{label}.output_format",
        )
    background: Literal["transparent", "opaque"] = (
        "transparent" if tool.background == "transparent" else "opaque"
    )
    quality = tool.quality if tool.quality and tool.quality != "auto" else _AUTO_QUALITY
    compression = tool.params.get("output_compression")
    spec = ImageSpec(
        seed=seed,
        width=width,
        height=height,
        output_format=cast(OutputFormat, output_format),
        transparent=background == "transparent",
        compression=compression if isinstance(compression, int) else None,
        frames=int(tool.params.get("frame_count", 9)),
        frame_duration_ms=int(tool.params.get("frame_duration_ms", 200)),
    )
    return ImageCall(
        item_id="ig_" + hashlib.sha256(b"image_generation_call" + seed).hexdigest()[:48],
        spec=spec,
        action=action,
        size=f"{width}x{height}",
        quality=quality,
        background=background,
        output_format=output_format,
        partial_images=tool.partial_images if request.stream else 0,
        revised_prompt=prompt,
        input_images=len(request.input_images),
    )


# --- reply bodies ------------------------------------------------------------------------------------


def _usage(job: ResponsesJob) -> dict[str, Any]:
    """The mainline model's token usage (made up, consistent: totals add up, grow with the input)."""
    text = max(1, len(job.prompt) // 4)
    images = len(job.request.input_images)
    input_tokens = 64 + text + 85 * images
    output_tokens = 24 if job.call is not None else 12
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": input_tokens + output_tokens,
    }


def _tool_usage(call: ImageCall, prompt: str) -> dict[str, Any]:
    """The image tool's own usage (``tool_usage.image_gen``), as the Images routes count tokens."""
    per_megapixel = _OUTPUT_TOKENS_1024.get(call.quality, _OUTPUT_TOKENS_1024["high"])
    image_tokens = max(16, round(per_megapixel * call.spec.width * call.spec.height / (1024 * 1024)))
    output = image_tokens + _PARTIAL_IMAGE_TOKENS * call.partial_images
    text = max(1, len(prompt) // 4)
    image_input = _INPUT_IMAGE_TOKENS * call.input_images
    return {
        "image_gen": {
            "input_tokens": text + image_input,
            "input_tokens_details": {"image_tokens": image_input, "text_tokens": text},
            "output_tokens": output,
            "total_tokens": text + image_input + output,
        },
        "web_search": {"num_requests": 0},
    }


#: What a finished image call echoes of how it was made (the tool's settings as the service chose them).
_CALL_ECHOES: Final = ("action", "background", "output_format", "quality", "revised_prompt", "size")


def _call_item(call: ImageCall, *, status: str, result: str | None = None) -> dict[str, Any]:
    # ``result`` is required, null until the image exists (the official ``ImageGenToolCall``).
    item: dict[str, Any] = {
        "id": call.item_id,
        "type": "image_generation_call",
        "status": status,
        "result": result,
    }
    if status == "completed":
        item.update({name: getattr(call, name) for name in _CALL_ECHOES})
    return item


def _text_part(text: str) -> dict[str, Any]:
    """An ``output_text`` content part (the official ``OutputTextContent`` requires ``logprobs``)."""
    return {"type": "output_text", "annotations": [], "logprobs": [], "text": text}


def _message_item(job: ResponsesJob, *, status: str) -> dict[str, Any]:
    content = [_text_part(_ANSWER_TEXT)] if status == "completed" else []
    return {
        "id": job.message_id,
        "type": "message",
        "status": status,
        "role": "assistant",
        "content": content,
    }


def _echoed_tools(job: ResponsesJob) -> list[Any]:
    """``tools`` as the reply echoes them: the image tool with its defaults filled in."""
    image_tools = {tool.index: tool for tool in job.request.tools}
    out: list[Any] = []
    for index, tool in enumerate(job.request.params.get("tools") or ()):
        resolved = image_tools.get(index)
        if resolved is None:
            out.append(tool)
            continue
        echoed = {"type": "image_generation", **{k: v for k, v in tool.items() if v is not None}}
        echoed.setdefault("model", resolved.model)
        if resolved.output_format is not None:
            echoed.setdefault("output_format", resolved.output_format)
        out.append(echoed)
    return out


def response_object(job: ResponsesJob, *, status: str, output: list[Any]) -> dict[str, Any]:
    """The response object (JSON reply, and the ``response`` of lifecycle events)."""
    request = job.request
    params = request.params
    # Every field the official ``Response`` component requires is there, the request's value echoed or
    # the service's default (temperature and top_p: 1).
    body: dict[str, Any] = {
        "id": job.response_id,
        "object": "response",
        "created_at": job.created_at,
        "status": status,
        "error": None,
        "incomplete_details": None,
        "instructions": params.get("instructions"),
        "metadata": params.get("metadata") or {},
        "model": request.model or "gpt-5",
        "output": output,
        "parallel_tool_calls": params.get("parallel_tool_calls", True),
        "previous_response_id": request.previous_response_id,
        "store": params.get("store", True),
        "temperature": params.get("temperature", 1.0),
        "tool_choice": request.tool_choice or "auto",
        "tools": _echoed_tools(job),
        "top_p": params.get("top_p", 1.0),
    }
    # ``usage`` is an object when present (the official ``Response``): left out until there is one.
    if status == "completed":
        body["usage"] = _usage(job)
        if job.call is not None:
            body["tool_usage"] = _tool_usage(job.call, job.prompt)
    return body


async def _encoded(spec: ImageSpec) -> str:
    image = await anyio.to_thread.run_sync(render, spec)
    data = await anyio.to_thread.run_sync(encode, image, spec)
    return base64.b64encode(data).decode()


async def json_reply(job: ResponsesJob, state: EmulatorState) -> bytes:
    """The whole response as one JSON body (pretty-printed with two spaces, as the service does)."""
    if job.call is not None:
        output = [_call_item(job.call, status="completed", result=await _encoded(job.call.spec))]
    else:
        output = [_message_item(job, status="completed")]
    state.remember_response(job.response_id, job.call.spec if job.call is not None else None)
    return json.dumps(response_object(job, status="completed", output=output), indent=2).encode()


class _Sequence:
    """Numbers the events of one stream from 0, as ``sequence_number``."""

    def __init__(self) -> None:
        self.next = 0

    def frame(self, kind: str, **fields: Any) -> bytes:
        event = {"type": kind, "sequence_number": self.next, **fields}
        self.next += 1
        return sse_frame(event)


async def stream_frames(job: ResponsesJob, state: EmulatorState) -> AsyncIterator[bytes]:
    """The SSE frames of a streamed reply, drawn one at a time so each leaves as soon as it exists."""
    seq = _Sequence()
    yield seq.frame("response.created", response=response_object(job, status="in_progress", output=[]))
    yield seq.frame("response.in_progress", response=response_object(job, status="in_progress", output=[]))
    call = job.call
    if call is None:
        for frame in _message_frames(job, seq):
            yield frame
        final = [_message_item(job, status="completed")]
    else:
        common = {"output_index": 0, "item_id": call.item_id}
        yield seq.frame(
            "response.output_item.added", output_index=0, item=_call_item(call, status="in_progress")
        )
        yield seq.frame("response.image_generation_call.in_progress", **common)
        yield seq.frame("response.image_generation_call.generating", **common)
        image = await anyio.to_thread.run_sync(render, call.spec)
        echoes = {"background": call.background, "output_format": call.output_format, "quality": call.quality}
        for number, preview in enumerate(partial_versions(image, call.partial_images)):
            data = await anyio.to_thread.run_sync(encode, preview, call.spec)
            yield seq.frame(
                "response.image_generation_call.partial_image",
                **common,
                partial_image_b64=base64.b64encode(data).decode(),
                partial_image_index=number,
                size=call.size,
                **echoes,
            )
        data = await anyio.to_thread.run_sync(encode, image, call.spec)
        item = _call_item(call, status="completed", result=base64.b64encode(data).decode())
        yield seq.frame("response.image_generation_call.completed", **common)
        yield seq.frame("response.output_item.done", output_index=0, item=item)
        final = [item]
    state.remember_response(job.response_id, call.spec if call is not None else None)
    yield seq.frame("response.completed", response=response_object(job, status="completed", output=final))


def _message_frames(job: ResponsesJob, seq: _Sequence) -> Iterator[bytes]:
    item_id = job.message_id
    part = _text_part("")
    where = {"item_id": item_id, "output_index": 0, "content_index": 0}
    yield seq.frame(
        "response.output_item.added", output_index=0, item=_message_item(job, status="in_progress")
    )
    yield seq.frame("response.content_part.added", **where, part=part)
    yield seq.frame("response.output_text.delta", **where, delta=_ANSWER_TEXT, logprobs=[])
    yield seq.frame("response.output_text.done", **where, text=_ANSWER_TEXT, logprobs=[])
    yield seq.frame("response.content_part.done", **where, part={**part, "text": _ANSWER_TEXT})
    yield seq.frame("response.output_item.done", output_index=0, item=_message_item(job, status="completed"))


def routes(handler: _Handler) -> list[BaseRoute]:
    """The Responses API's route (the module ``contract/responses/shape.py`` names)."""
    return [
        Route("/v1/responses", handler.responses_route, methods=["POST"]),
    ]
