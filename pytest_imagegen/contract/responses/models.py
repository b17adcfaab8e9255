"""Pydantic models of the image-bearing parts of the Responses API (``POST /v1/responses``).

Sources: the openai SDK's own types (``openai.types.responses``: ``tool.ImageGeneration``,
``response_output_item.ImageGenerationCall``, ``response.Response`` and ``ToolUsageImageGen``, the
``ResponseImageGenCall*Event`` and lifecycle event classes) and the image generation tool guide.

Request side: the ``image_generation`` tool's options, with the wire types only (which values each image
model takes lives in the capability table, as for the Images API), and the ``input_image`` part. Reply
side: the response object, the ``image_generation_call`` output item, and the stream events that carry
or announce images. Everything else a response holds (reasoning items, messages, other tools' calls and
events) passes as it is: the checks here are about images. Unknown fields pass (``extra="allow"``);
strict mode reports them.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final, Literal, TypeAlias, get_args

from pytest_imagegen.contract.base_model import ContractModel
from pytest_imagegen.contract.images.request_models import GptImageOptions

# --- request -----------------------------------------------------------------------------------------


class InputImageMask(ContractModel):
    """``input_image_mask``: a mask for inpainting, as a data URL or a file id (both optional in the SDK)."""

    image_url: str | None = None
    file_id: str | None = None


class ImageGenerationTool(GptImageOptions):
    """``tools[i]`` with ``type: "image_generation"`` (SDK ``ImageGeneration``). ``n`` and ``stream`` are
    not tool options: one call makes one image, and streaming is the request's ``stream``."""

    type: Literal["image_generation"]
    model: str | None = None
    action: str | None = None
    input_fidelity: str | None = None
    input_image_mask: InputImageMask | None = None


class InputImage(ContractModel):
    """An ``input_image`` content part: a URL (a ``data:image/...;base64,`` URL carries the bytes) or a
    file id. ``detail`` is required by ``ResponseInputImageParam`` but optional in the newer
    ``ResponseInputImageContentParam``: lenient, optional."""

    type: Literal["input_image"]
    image_url: str | None = None
    file_id: str | None = None
    detail: str | None = None


class ResponsesCreateRequest(ContractModel):
    """The fields of ``POST /v1/responses`` the image checks read. ``model`` may be left out when a stored
    ``prompt`` names it (the SDK's params are ``total=False``); ``input`` is text or a list of items whose
    many kinds are not modelled here (the validator walks it for images)."""

    model: str | None = None
    input: str | list[Any] | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    stream: bool | None = None
    previous_response_id: str | None = None
    prompt: dict[str, Any] | None = None
    instructions: str | list[Any] | None = None
    store: bool | None = None
    user: str | None = None
    safety_identifier: str | None = None


#: The fields of a ``POST /v1/responses`` body: the properties of the official ``CreateResponse`` component
#: (its ``allOf`` parts merged; openai-openapi 2.3.0, as vendored in ``tests/conformance/openai_schema.json``,
#: whose test keeps the two lists equal). ``validate_request(strict=True)`` refuses any other field.
CREATE_RESPONSE_FIELDS: Final = frozenset(
    {
        "background",
        "context_management",
        "conversation",
        "include",
        "input",
        "instructions",
        "max_output_tokens",
        "max_tool_calls",
        "metadata",
        "model",
        "moderation",
        "parallel_tool_calls",
        "previous_response_id",
        "prompt",
        "prompt_cache_key",
        "prompt_cache_options",
        "prompt_cache_retention",
        "reasoning",
        "safety_identifier",
        "service_tier",
        "store",
        "stream",
        "stream_options",
        "temperature",
        "text",
        "tool_choice",
        "tools",
        "top_logprobs",
        "top_p",
        "truncation",
        "user",
    }
)

# --- reply -------------------------------------------------------------------------------------------

# Lenient: JSON numbers (the SDK types Response.created_at as float, real replies send integers).
Number: TypeAlias = int | float


class ImageGenerationCallError(ContractModel):
    """``error`` of a failed call (a moderation block)."""

    message: str
    type: str
    code: str | None = None
    param: str | None = None


class ImageGenerationCall(ContractModel):
    """An ``image_generation_call`` output item (SDK ``ImageGenerationCall``): ``result`` is the base64
    image; the echoes (``size``, ``quality``, ``background``, ``output_format``, ``action``) say what was
    used. The SDK types every field but ``id``/``status``/``type`` as optional."""

    id: str
    type: Literal["image_generation_call"]
    status: Literal["in_progress", "completed", "generating", "failed"]
    result: str | None = None
    revised_prompt: str | None = None
    action: Literal["generate", "edit", "auto"] | None = None
    background: Literal["transparent", "opaque", "auto"] | None = None
    output_format: Literal["png", "webp", "jpeg", "gif", "svg"] | None = None
    quality: Literal["low", "medium", "high", "xhigh", "max", "auto"] | None = None
    size: str | None = None
    error: ImageGenerationCallError | None = None
    svg_usage: dict[str, Any] | None = None


class ImageGenInputTokensDetails(ContractModel):
    image_tokens: int
    text_tokens: int


class ImageGenOutputTokensDetails(ContractModel):
    image_tokens: int
    text_tokens: int


class ImageGenUsage(ContractModel):
    """``tool_usage.image_gen``: the image tool's own token usage (SDK ``ToolUsageImageGen``)."""

    input_tokens: int
    input_tokens_details: ImageGenInputTokensDetails
    output_tokens: int
    total_tokens: int
    cached_tokens: int | None = None
    output_tokens_details: ImageGenOutputTokensDetails | None = None


class ToolUsage(ContractModel):
    """``tool_usage`` (SDK ``ToolUsage``): ``web_search`` is required there, but only ``image_gen`` is
    about images: lenient, optional."""

    image_gen: ImageGenUsage
    web_search: dict[str, Any] | None = None


class Usage(ContractModel):
    """``usage`` of the mainline model (SDK ``ResponseUsage``). The SDK requires the two detail objects;
    their own fields grow often (``cache_write_tokens`` is recent): lenient, any object."""

    input_tokens: int
    output_tokens: int
    total_tokens: int
    input_tokens_details: dict[str, Any] | None = None
    output_tokens_details: dict[str, Any] | None = None


class Response(ContractModel):
    """The response object (SDK ``Response``): a JSON reply, and the ``response`` of lifecycle events.
    ``output`` items other than ``image_generation_call`` are any object with a ``type``."""

    id: str
    object: Literal["response"]
    created_at: Number
    model: str
    output: list[dict[str, Any]]
    status: Literal["completed", "failed", "in_progress", "cancelled", "queued", "incomplete"] | None = None
    previous_response_id: str | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    usage: Usage | None = None
    tool_usage: ToolUsage | None = None
    error: dict[str, Any] | None = None
    # The rest of the SDK's Response fields (openai 3.57): not about images, any JSON value, known to
    # strict mode.
    access_programs: Any = None
    background: Any = None
    completed_at: Any = None
    conversation: Any = None
    image: Any = None
    incomplete_details: Any = None
    input_transformations: Any = None
    instructions: Any = None
    max_output_tokens: Any = None
    max_tool_calls: Any = None
    metadata: Any = None
    moderation: Any = None
    parallel_tool_calls: Any = None
    prompt: Any = None
    prompt_cache_diagnostics: Any = None
    prompt_cache_key: Any = None
    prompt_cache_options: Any = None
    prompt_cache_retention: Any = None
    reasoning: Any = None
    safety_identifier: Any = None
    service_tier: Any = None
    store: Any = None
    temperature: Any = None
    text: Any = None
    top_logprobs: Any = None
    top_p: Any = None
    truncation: Any = None
    user: Any = None


class _Event(ContractModel):
    sequence_number: int


_Lifecycle: TypeAlias = Literal[
    "response.created",
    "response.in_progress",
    "response.completed",
    "response.failed",
    "response.incomplete",
    "response.queued",
]


class ResponseLifecycleEvent(_Event):
    """``response.created`` / ``in_progress`` / ``completed`` / ``failed`` / ``incomplete`` / ``queued``."""

    type: _Lifecycle
    response: Response


class OutputItemEvent(_Event):
    """``response.output_item.added`` / ``done``: ``item`` is any output item (image calls checked apart)."""

    type: Literal["response.output_item.added", "response.output_item.done"]
    output_index: int
    item: dict[str, Any]


class _ImageCallEvent(_Event):
    item_id: str
    output_index: int


class ImageGenCallInProgressEvent(_ImageCallEvent):
    type: Literal["response.image_generation_call.in_progress"]


class ImageGenCallGeneratingEvent(_ImageCallEvent):
    type: Literal["response.image_generation_call.generating"]


class ImageGenCallPartialImageEvent(_ImageCallEvent):
    """A partial image (SDK ``ResponseImageGenCallPartialImageEvent``); the echoes are optional there."""

    type: Literal["response.image_generation_call.partial_image"]
    partial_image_b64: str
    partial_image_index: int
    background: str | None = None
    output_format: str | None = None
    quality: str | None = None
    size: str | None = None


class ImageGenCallCompletedEvent(_ImageCallEvent):
    type: Literal["response.image_generation_call.completed"]


class ResponseErrorEvent(_Event):
    """``error``: a failure after the stream began (SDK ``ResponseErrorEvent``)."""

    type: Literal["error"]
    message: str
    code: str | None = None
    param: str | None = None


_LIFECYCLE: Final = get_args(_Lifecycle)

#: Event ``type`` -> its model, for the events that carry or announce images (and those the checks read).
EVENT_MODELS: Final[Mapping[str, type[_Event]]] = MappingProxyType(
    {
        **dict.fromkeys(_LIFECYCLE, ResponseLifecycleEvent),
        "response.output_item.added": OutputItemEvent,
        "response.output_item.done": OutputItemEvent,
        "response.image_generation_call.in_progress": ImageGenCallInProgressEvent,
        "response.image_generation_call.generating": ImageGenCallGeneratingEvent,
        "response.image_generation_call.partial_image": ImageGenCallPartialImageEvent,
        "response.image_generation_call.completed": ImageGenCallCompletedEvent,
        "error": ResponseErrorEvent,
    }
)

#: Every event type of the SDK's ``ResponseStreamEvent`` union (openai 3.57). Events of these types that
#: are not about images (text deltas, reasoning, other tools) pass unchecked; a type outside this list is
#: reported in strict mode only (the API adds event types faster than any list).
KNOWN_EVENT_TYPES: Final = frozenset(
    {
        *EVENT_MODELS,
        "response.audio.delta",
        "response.audio.done",
        "response.audio.transcript.delta",
        "response.audio.transcript.done",
        "response.code_interpreter_call.completed",
        "response.code_interpreter_call.in_progress",
        "response.code_interpreter_call.interpreting",
        "response.code_interpreter_call_code.delta",
        "response.code_interpreter_call_code.done",
        "response.compaction.compacting",
        "response.content_part.added",
        "response.content_part.done",
        "response.custom_tool_call_input.delta",
        "response.custom_tool_call_input.done",
        "response.file_search_call.completed",
        "response.file_search_call.in_progress",
        "response.file_search_call.searching",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.mcp_call.completed",
        "response.mcp_call.failed",
        "response.mcp_call.in_progress",
        "response.mcp_call_arguments.delta",
        "response.mcp_call_arguments.done",
        "response.mcp_list_tools.completed",
        "response.mcp_list_tools.failed",
        "response.mcp_list_tools.in_progress",
        "response.output_text.annotation.added",
        "response.output_text.delta",
        "response.output_text.done",
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_part.done",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.done",
        "response.reasoning_text.delta",
        "response.reasoning_text.done",
        "response.refusal.delta",
        "response.refusal.done",
        "response.shell_call_command.added",
        "response.shell_call_command.delta",
        "response.shell_call_command.done",
        "response.shell_call_output_content.delta",
        "response.shell_call_output_content.done",
        "response.web_search_call.completed",
        "response.web_search_call.in_progress",
        "response.web_search_call.searching",
    }
)
