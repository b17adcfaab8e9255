"""Reply checks for the Responses API's image tool: the schema, and agreement with the request.

A reply is the response object (``POST /v1/responses`` without ``stream``) or its stream, as a list of
event data objects. Every problem is collected as ``(json_path, message)`` (``$.output[1].result``,
``$[7].partial_image_index`` for the eighth event) and raised together in one ``SchemaAssertionError``.

Against the request (a ``ResponsesRequest``):

- one ``image_generation_call`` per generated image, only when the request offered the tool, at least one
  when ``tool_choice`` forces it; a completed call carries its image in ``result``;
- each image (``result``, ``partial_image_b64``) decodes to the format and size the tool asked (or the
  call echoes), and the echoed ``size`` / ``output_format`` / ``background`` / ``quality`` are what the
  tool asked;
- streams: ``sequence_number`` strictly increasing, ``response.created`` first, one terminal event
  (``response.completed`` / ``failed`` / ``incomplete``, or ``error``) last, every image event names an
  item a ``response.output_item.added`` announced, partial image indexes count from 0 upwards, at most
  ``partial_images`` of them, none after the call completed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from pytest_imagegen.contract.problems import (
    MISSING_STREAM,
    UNASKED_STREAM,
    PartialImages,
    Problems,
    check_parts,
    concrete_size,
    image_problems,
    json_path,
    reply_head,
    schema_problems,
)
from pytest_imagegen.contract.responses.models import (
    EVENT_MODELS,
    KNOWN_EVENT_TYPES,
    ImageGenerationCall,
    Response,
)
from pytest_imagegen.contract.responses.validate import ImageTool, ResponsesRequest

__all__ = ["check_responses_reply", "is_responses_reply"]


_CALL: Final = "image_generation_call"
_PARTIAL: Final = "response.image_generation_call.partial_image"
_CALL_EVENTS: Final = (
    "response.image_generation_call.in_progress",
    "response.image_generation_call.generating",
    _PARTIAL,
    "response.image_generation_call.completed",
)
_TERMINAL: Final = frozenset({"response.completed", "response.failed", "response.incomplete", "error"})


def is_responses_reply(reply: Any) -> bool:
    """Whether a reply (JSON, a model, or a list of events) is in the Responses API's shape."""
    head, stream = reply_head(reply)
    if not isinstance(head, Mapping):
        return False
    if not stream:
        return head.get("object") == "response"
    kind = head.get("type")
    return isinstance(kind, str) and (kind.startswith("response.") or kind == "error")


def check_responses_reply(request: ResponsesRequest | None, reply: Any, *, strict: bool = False) -> None:
    """Check a Responses API reply's schema and, when ``request`` is given, that it answers that request.

    ``reply`` is the response object (mapping or model: the openai SDK's ``Response`` works) or the
    stream's events (mappings or models). Raises one ``SchemaAssertionError`` listing every problem.
    """
    __tracebackhide__ = True
    check_parts(
        reply,
        "a response object or a list of stream events",
        lambda data: _response_problems(request, data, strict),
        lambda events: _stream_problems(request, events, strict),
        context=_context(request),
        api="Responses API",
    )


def _context(request: ResponsesRequest | None) -> str:
    if request is None:
        return "reply to POST /v1/responses"
    tool = request.tool
    image_model = f", image model {tool.model}" if tool is not None else ""
    return f"reply to POST /v1/responses (model {request.model or '(from the prompt)'}{image_model})"


def _tool(request: ResponsesRequest | None) -> ImageTool | None:
    return request.tool if request is not None else None


# --- one image_generation_call -----------------------------------------------------------------------


def _echo_problems(tool: ImageTool, body: Mapping[str, Any], path: str) -> Problems:
    """Echoed ``size`` / ``output_format`` / ``background`` / ``quality`` must be what the tool asked."""
    problems: Problems = []
    got = body.get("size")
    if tool.concrete_size is not None and concrete_size(got) is not None and got != tool.size:
        problems.append((f"{path}.size", f"{got!r}, but the image_generation tool asked {tool.size!r}"))
    got = body.get("output_format")
    if tool.output_format is not None and isinstance(got, str) and got != tool.output_format:
        problems.append(
            (f"{path}.output_format", f"{got!r}, but the image_generation tool asked {tool.output_format!r}")
        )
    got = body.get("background")
    if (
        tool.background in ("transparent", "opaque")
        and got in ("transparent", "opaque")
        and got != tool.background
    ):
        problems.append(
            (f"{path}.background", f"{got!r}, but the image_generation tool asked {tool.background!r}")
        )
    got = body.get("quality")
    # "auto" lets the service choose; an echo of "auto" says nothing either.
    if tool.quality not in (None, "auto") and isinstance(got, str) and got != "auto" and got != tool.quality:
        problems.append((f"{path}.quality", f"{got!r}, but the image_generation tool asked {tool.quality!r}"))
    return problems


def _image_checks(tool: ImageTool | None, body: Mapping[str, Any], path: str, key: str) -> Problems:
    """The image at ``body[key]`` has the format and size echoed next to it, else the ones asked."""
    echoed_format, echoed_size = body.get("output_format"), body.get("size")
    fmt = echoed_format if isinstance(echoed_format, str) else (tool.output_format if tool else None)
    size = echoed_size if concrete_size(echoed_size) else (tool.size if tool else None)
    return image_problems(f"{path}.{key}", body.get(key), fmt, size)


def _call_problems(
    tool: ImageTool | None, item: Mapping[str, Any], path: str, strict: bool, *, needs_result: bool = True
) -> Problems:
    _, problems = schema_problems(ImageGenerationCall, item, path, strict)
    if item.get("status") == "completed" and needs_result and item.get("result") is None:
        problems.append((f"{path}.result", "missing: a completed image_generation_call carries its image"))
    if tool is not None:
        problems += _echo_problems(tool, item, path)
    problems += _image_checks(tool, item, path, "result")
    return problems


# --- JSON reply --------------------------------------------------------------------------------------


def _response_problems(request: ResponsesRequest | None, body: Mapping[str, Any], strict: bool) -> Problems:
    _, problems = schema_problems(Response, body, "$", strict)
    tool = _tool(request)
    output = body.get("output")
    calls = 0
    if isinstance(output, list):
        for i, item in enumerate(output):
            if isinstance(item, Mapping) and item.get("type") == _CALL:
                calls += 1
                problems += _call_problems(tool, item, f"$.output[{i}]", strict)
                if request is not None and tool is None:
                    problems.append(
                        (
                            f"$.output[{i}]",
                            "an image_generation_call, but the request offered no image_generation tool",
                        )
                    )
    if request is None:
        return problems
    if request.stream:
        problems.append(MISSING_STREAM)
    if request.forces_image and calls == 0 and body.get("status") == "completed":
        problems.append(
            ("$.output", "no image_generation_call, but tool_choice forces the image_generation tool")
        )
    problems += _previous_id_problems(request, body, "$")
    return problems


def _previous_id_problems(request: ResponsesRequest, body: Mapping[str, Any], path: str) -> Problems:
    got = body.get("previous_response_id")
    if request.previous_response_id is not None and got is not None and got != request.previous_response_id:
        return [
            (
                f"{path}.previous_response_id",
                f"{got!r}, but the request continued {request.previous_response_id!r}",
            )
        ]
    return []


# --- stream ------------------------------------------------------------------------------------------


class _Item:
    """What the stream said so far about one image_generation_call."""

    def __init__(self, output_index: int, tool: ImageTool | None = None) -> None:
        self.output_index = output_index
        self.partials = PartialImages(tool.partial_images if tool is not None else None, "the tool asked ")
        self.completed_at: int | None = None  # event number of its image_generation_call.completed / done


def _stream_problems(request: ResponsesRequest | None, events: list[Any], strict: bool) -> Problems:
    problems: Problems = []
    tool = _tool(request)
    items: dict[str, _Item] = {}
    last_sequence: int | None = None
    terminal_at: int | None = None
    calls = 0
    for i, event in enumerate(events):
        path = f"$[{i}]"
        if not isinstance(event, Mapping):
            problems.append((path, f"a stream event must be a JSON object, got {type(event).__name__}"))
            continue
        kind = event.get("type")
        if not isinstance(kind, str):
            problems.append((json_path(["type"], path), "required field is missing"))
            continue
        model = EVENT_MODELS.get(kind)
        if model is not None:
            problems += schema_problems(model, event, path, strict)[1]
        elif strict and kind not in KNOWN_EVENT_TYPES:
            problems.append((f"{path}.type", f"unknown event type {kind!r} (strict mode)"))
        sequence = event.get("sequence_number")
        if model is None and sequence is None:
            problems.append((f"{path}.sequence_number", "required field is missing"))
        if isinstance(sequence, int) and not isinstance(sequence, bool):
            if last_sequence is not None and sequence <= last_sequence:
                problems.append(
                    (f"{path}.sequence_number", f"{sequence}, not after the previous event's {last_sequence}")
                )
            last_sequence = sequence
        if i == 0 and kind != "response.created":
            problems.append((f"{path}.type", f"{kind!r}, but a stream starts with 'response.created'"))
        if terminal_at is not None:
            problems.append((path, f"event after the stream's terminal event ($[{terminal_at}])"))
        if kind in _TERMINAL and terminal_at is None:
            terminal_at = i
        if kind in ("response.output_item.added", "response.output_item.done"):
            calls += _item_event(tool, event, path, i, items, problems, strict)
        elif kind in _CALL_EVENTS:
            problems += _call_event(tool, event, path, i, items)
        elif kind in ("response.created", "response.in_progress", "response.completed"):
            problems += _lifecycle(request, event, path, kind, strict)
    if terminal_at is None and events:
        problems.append(
            ("$", "no terminal event: the stream must end with response.completed (was it cut short?)")
        )
    if request is None:
        return problems
    if not request.stream:
        problems.append(UNASKED_STREAM)
    if calls and tool is None:
        problems.append(
            ("$", "image_generation_call items, but the request offered no image_generation tool")
        )
    completed = terminal_at is not None and events[terminal_at].get("type") == "response.completed"
    if request.forces_image and calls == 0 and completed:
        problems.append(("$", "no image_generation_call, but tool_choice forces the image_generation tool"))
    return problems


def _item_event(
    tool: ImageTool | None,
    event: Mapping[str, Any],
    path: str,
    number: int,
    items: dict[str, _Item],
    problems: Problems,
    strict: bool,
) -> int:
    """Track ``response.output_item.added`` / ``done`` of image calls; 1 when it announces a new call."""
    item = event.get("item")
    if not isinstance(item, Mapping) or item.get("type") != _CALL or not isinstance(item.get("id"), str):
        return 0
    item_id = item["id"]
    output_index = event.get("output_index")
    if event.get("type") == "response.output_item.added":
        if item_id in items:
            problems.append((f"{path}.item.id", f"{item_id!r} was already added"))
            return 0
        items[item_id] = _Item(output_index if isinstance(output_index, int) else -1, tool)
        problems += schema_problems(ImageGenerationCall, item, f"{path}.item", strict)[1]
        return 1
    known = items.get(item_id)
    if known is None:
        problems.append(
            (f"{path}.item.id", f"{item_id!r} is done, but no response.output_item.added announced it")
        )
    elif known.completed_at is None:
        known.completed_at = number
    problems += _call_problems(tool, item, f"{path}.item", strict)
    return 0


def _call_event(
    tool: ImageTool | None, event: Mapping[str, Any], path: str, number: int, items: dict[str, _Item]
) -> Problems:
    """``response.image_generation_call.*``: names an announced item, partials in order and in number."""
    problems: Problems = []
    item_id = event.get("item_id")
    item = items.get(item_id) if isinstance(item_id, str) else None
    if item is None:
        problems.append(
            (
                f"{path}.item_id",
                f"{item_id!r}: no response.output_item.added announced this image_generation_call",
            )
        )
        item = _Item(-1, tool)
    output_index = event.get("output_index")
    if item.output_index >= 0 and isinstance(output_index, int) and output_index != item.output_index:
        problems.append(
            (
                f"{path}.output_index",
                f"{output_index}, but the item was added at output_index {item.output_index}",
            )
        )
    kind = event.get("type")
    if kind == "response.image_generation_call.completed":
        if item.completed_at is None:
            item.completed_at = number
        return problems
    if kind != _PARTIAL:
        return problems
    if item.completed_at is not None:
        problems.append(
            (path, f"partial image after the image_generation_call completed ($[{item.completed_at}])")
        )
    problems += item.partials.add(event, path)
    if tool is not None:
        problems += _echo_problems(tool, event, path)
    problems += _image_checks(tool, event, path, "partial_image_b64")
    return problems


def _lifecycle(
    request: ResponsesRequest | None, event: Mapping[str, Any], path: str, kind: str, strict: bool
) -> Problems:
    """The response object of ``response.created`` / ``in_progress`` / ``completed``."""
    response = event.get("response")
    if not isinstance(response, Mapping):
        return []
    base = f"{path}.response"
    problems: Problems = []
    if kind == "response.completed" and response.get("status") not in (None, "completed"):
        problems.append((f"{base}.status", f"{response.get('status')!r} in response.completed"))
    output = response.get("output")
    if isinstance(output, list):
        for j, item in enumerate(output):
            if isinstance(item, Mapping) and item.get("type") == _CALL:
                # The final response "may hold the final image again" (the stream already delivered it in
                # response.output_item.done): lenient, ``result`` may be left out here.
                problems += _call_problems(
                    _tool(request), item, f"{base}.output[{j}]", strict, needs_result=False
                )
    if request is not None:
        problems += _previous_id_problems(request, response, base)
    return problems
