"""Reply checks for chat completions with image output: the schema, and agreement with the request.

A reply is the chat completion (``POST /chat/completions`` without ``stream``) or its stream, as a list of
chunks. Every problem is collected as ``(json_path, message)`` (``$.choices[0].message.images[0].image_url.url``,
``$[3].choices[0].delta.images[0].image_url.url`` for the fourth chunk) and raised together in one
``SchemaAssertionError``.

Each image (``message.images[]`` / ``delta.images[]``) is a data URL whose base64 decodes to an image of the
type the URL declares, in the aspect ratio ``image_config`` asked; an https URL passes unread. Against the
request (a ``ChatRequest``):

- a choice that finished with ``stop`` holds at least one image when the request asked for image output
  (``modalities`` holds ``image``); a choice stopped for another reason (``content_filter``, ``length``)
  may hold none;
- a stream was asked for a stream and a JSON body for a JSON body;
- streams: every choice that appears ends with a ``finish_reason``; nothing is added to a choice after its
  ``finish_reason``; and, read from the wire (``wire=True``: the events as sent, ``[DONE]`` included), the
  stream ends with ``data: [DONE]``. The openai SDK consumes ``[DONE]`` itself, so a list of SDK chunks
  cannot show it: there, a cut stream is found by its missing ``finish_reason``. A gateway's mid-stream
  error chunk (``{"error": {...}}``) ends a stream too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from pytest_imagegen.contract.aspect_ratios import drawn_size
from pytest_imagegen.contract.chat.models import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatErrorResponse,
)
from pytest_imagegen.contract.chat.shape import CHAT
from pytest_imagegen.contract.chat.validate import ChatRequest
from pytest_imagegen.contract.inline import inline_image_problems, split_data_url
from pytest_imagegen.contract.problems import (
    MISSING_STREAM,
    UNASKED_STREAM,
    Problems,
    check_parts,
    reply_head,
    schema_problems,
)
from pytest_imagegen.contract.shape import SSE_DONE

__all__ = ["DONE", "check_chat_error_reply", "check_chat_reply", "is_chat_reply"]


#: The data of the SSE event that ends a chat completions stream.
DONE: Final = SSE_DONE
_API: Final = "chat completions API"


def is_chat_reply(reply: Any) -> bool:
    """Whether a reply (JSON, a model, or a list of chunks) is a chat completion or its stream."""
    head, stream = reply_head(reply)
    return isinstance(head, Mapping) and head.get("object") == (
        "chat.completion.chunk" if stream else "chat.completion"
    )


def check_chat_reply(
    request: ChatRequest | None, reply: Any, *, strict: bool = False, wire: bool = False
) -> None:
    """Check a chat completions reply's schema and, when ``request`` is given, that it answers it.

    ``reply`` is the chat completion (mapping, or the openai SDK's ``ChatCompletion``) or the stream's
    chunks (mappings or SDK ``ChatCompletionChunk`` objects). ``wire=True``: the chunks are the stream as
    sent, the final ``"[DONE]"`` included (as ``imagegen-cassettes verify`` reads a cassette), so a stream
    without it is a cut stream. Raises one ``SchemaAssertionError`` listing every problem.
    """
    __tracebackhide__ = True
    check_parts(
        reply,
        "a chat completion or a list of stream chunks",
        lambda data: _completion_problems(request, data, strict),
        lambda chunks: _stream_problems(request, chunks, strict, wire),
        context=_context(request),
        api=_API,
    )


def check_chat_error_reply(body: Any, *, strict: bool = False) -> None:
    """Check an error reply: ``{"error": {"message": ...}}`` (OpenAI's four keys or a gateway's
    ``message`` / ``code`` / ``metadata``)."""
    __tracebackhide__ = True
    CHAT.check_error_reply(body, strict=strict)


def _context(request: ChatRequest | None) -> str:
    if request is None:
        return "reply to POST /chat/completions"
    modalities = f", modalities {list(request.modalities)}" if request.modalities else ""
    return f"reply to POST /chat/completions (model {request.model}{modalities})"


def _images_problems(request: ChatRequest | None, images: Any, path: str) -> tuple[int, Problems]:
    """The images of one message or delta: how many there are, and their problems."""
    if not isinstance(images, list):
        return 0, []
    problems: Problems = []
    aspect = request.aspect_ratio if request is not None else None
    drawn = drawn_size(request.capability, aspect) if request is not None else None
    for j, image in enumerate(images):
        if not isinstance(image, Mapping):
            continue  # the schema reports it
        image_url = image.get("image_url")
        url = image_url.get("url") if isinstance(image_url, Mapping) else None
        if not isinstance(url, str):
            continue
        where = f"{path}[{j}].image_url.url"
        if url[:5].lower() == "data:":
            split = split_data_url(url)
            if split is None:
                problems.append((where, "a data URL without ';base64,': the image is not base64-encoded"))
            elif not split[0].lower().startswith("image/"):
                problems.append((where, f"a data URL of type {split[0]!r}, not an image type"))
            else:
                problems += inline_image_problems(where, split[1], split[0], aspect_ratio=aspect, drawn=drawn)
        elif not url.startswith(("https://", "http://")):
            problems.append((where, f"neither a data URL nor an http(s) URL ({url[:40]!r})"))
    return len(images), problems


def _missing_image(request: ChatRequest | None, finish_reason: Any, path: str) -> Problems:
    if request is None or not request.wants_image or finish_reason != "stop":
        return []
    return [
        (
            path,
            f"no image, but the request asked for image output (modalities {list(request.modalities)}) and "
            "the choice finished with 'stop'",
        )
    ]


# --- JSON reply --------------------------------------------------------------------------------------


def _completion_problems(request: ChatRequest | None, body: Mapping[str, Any], strict: bool) -> Problems:
    _, problems = schema_problems(ChatCompletion, body, "$", strict)
    choices = body.get("choices")
    for i, choice in enumerate(choices if isinstance(choices, list) else ()):
        if not isinstance(choice, Mapping):
            continue
        message = choice.get("message")
        if not isinstance(message, Mapping):
            continue
        base = f"$.choices[{i}].message.images"
        count, found = _images_problems(request, message.get("images"), base)
        problems += found
        if count == 0:
            problems += _missing_image(request, choice.get("finish_reason"), base)
    if request is not None and request.stream:
        problems.append(MISSING_STREAM)
    return problems


# --- stream ------------------------------------------------------------------------------------------


class _Choice:
    """What the stream said so far about one choice."""

    def __init__(self) -> None:
        self.images = 0
        self.finished_at: int | None = None
        self.finish_reason: Any = None


def _stream_problems(request: ChatRequest | None, events: list[Any], strict: bool, wire: bool) -> Problems:
    problems: Problems = []
    choices: dict[int, _Choice] = {}
    done_at: int | None = None
    error_at: int | None = None
    for i, event in enumerate(events):
        path = f"$[{i}]"
        if event == DONE:
            if done_at is not None:
                problems.append((path, f"a second [DONE] (the first was $[{done_at}])"))
            done_at = i
            continue
        if done_at is not None:
            problems.append((path, f"chunk after the stream's data: [DONE] ($[{done_at}])"))
        if not isinstance(event, Mapping):
            problems.append((path, f"a stream chunk must be a JSON object, got {type(event).__name__}"))
            continue
        if "error" in event and "choices" not in event:
            # A gateway's mid-stream error: the provider failed after the stream began.
            problems += schema_problems(ChatErrorResponse, event, path, strict)[1]
            error_at = i if error_at is None else error_at
            continue
        problems += schema_problems(ChatCompletionChunk, event, path, strict)[1]
        raw_choices = event.get("choices")
        for k, choice in enumerate(raw_choices if isinstance(raw_choices, list) else ()):
            if isinstance(choice, Mapping):
                problems += _chunk_choice(request, choice, choices, f"{path}.choices[{k}]", i)
    if not choices and error_at is None and done_at is None:
        problems.append(("$", "no chunk with choices: the stream is empty"))
    for index, choice in sorted(choices.items()):
        if choice.finished_at is None and error_at is None:
            problems.append(
                ("$", f"choice {index} never got a finish_reason: the stream was cut before its end")
            )
        elif choice.images == 0:
            problems += _missing_image(request, choice.finish_reason, f"$[{choice.finished_at}]")
    if wire and done_at is None and error_at is None:
        problems.append(("$", "no data: [DONE] at the end: the stream was cut before its end"))
    if request is not None and not request.stream:
        problems.append(UNASKED_STREAM)
    return problems


def _chunk_choice(
    request: ChatRequest | None,
    choice: Mapping[str, Any],
    choices: dict[int, _Choice],
    path: str,
    number: int,
) -> Problems:
    index = choice.get("index")
    if not isinstance(index, int) or isinstance(index, bool):
        return []  # the schema reports it
    known = choices.setdefault(index, _Choice())
    delta = choice.get("delta")
    delta = delta if isinstance(delta, Mapping) else {}
    count, problems = _images_problems(request, delta.get("images"), f"{path}.delta.images")
    known.images += count
    adds = count > 0 or bool(delta.get("content")) or bool(delta.get("tool_calls"))
    if known.finished_at is not None and adds:
        problems.append(
            (f"{path}.delta", f"content after the choice's finish_reason ($[{known.finished_at}])")
        )
    reason = choice.get("finish_reason")
    if reason is not None and known.finished_at is None:
        known.finished_at, known.finish_reason = number, reason
    return problems
