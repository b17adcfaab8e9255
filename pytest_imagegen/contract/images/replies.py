"""Images API reply checks: the schema, and agreement with the request that asked (the OpenAI API reference's image response and stream events).

Every problem is collected as ``(json_path, message)`` (``contract/problems.py``) and raised together in
one ``SchemaAssertionError``, so a user sees all that is wrong with a reply at once. The checks against
the request work on the raw JSON, not on the parsed model, so they still run when the schema fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from pytest_imagegen.contract.images.reply_models import (
    STREAM_EVENT_MODELS,
    ImagesResponse,
    StreamEvent,
)
from pytest_imagegen.contract.images.shape import IMAGES
from pytest_imagegen.contract.images.validate import ValidatedRequest
from pytest_imagegen.contract.problems import (
    MISSING_STREAM,
    UNASKED_STREAM,
    PartialImages,
    Problems,
    check_parts,
    concrete_size,
    image_problems,
    json_path,
    schema_problems,
    short_repr,
    to_json,
)
from pytest_imagegen.errors import SchemaAssertionError

__all__ = ["check_error_reply", "check_images_reply", "parse_reply", "parse_stream_event"]

#: Event type prefix per endpoint; variations do not stream.
_EVENT_PREFIX: Final[Mapping[str, str]] = {"generations": "image_generation", "edits": "image_edit"}
#: SPEC-required event fields that SPEC's own examples omit: only ``strict=True`` asks them.
_SPEC_EVENT_FIELDS: Final = ("created_at", "size", "quality", "background", "output_format")


def parse_reply(mapping: Any, *, strict: bool = False) -> ImagesResponse:
    """An ``ImagesResponse`` from JSON; every schema problem raised with its JSON path."""
    obj, problems = schema_problems(ImagesResponse, to_json(mapping), "$", strict)
    if problems:
        raise SchemaAssertionError(problems, context="images reply")
    assert isinstance(obj, ImagesResponse)
    return obj


def _event_problems(data: Any, base: str, strict: bool) -> tuple[StreamEvent | None, Problems]:
    if not isinstance(data, Mapping):
        return None, [(base, f"a stream event must be a JSON object, got {short_repr(data)}")]
    kind = data.get("type")
    if kind is None:
        return None, [(json_path(["type"], base), "required field is missing")]
    model = STREAM_EVENT_MODELS.get(kind) if isinstance(kind, str) else None
    if model is None:
        known = ", ".join(STREAM_EVENT_MODELS)
        return None, [
            (json_path(["type"], base), f"unknown event type {short_repr(kind)}; expected one of {known}")
        ]
    obj, problems = schema_problems(model, data, base, strict)
    if strict and obj is not None:
        problems += [
            (json_path([name], base), "required by SPEC but absent (strict mode)")
            for name in _SPEC_EVENT_FIELDS
            if name not in data
        ]
    return obj, problems


def parse_stream_event(mapping: Any, *, strict: bool = False) -> StreamEvent:
    """One stream event (any of the four types) from JSON; problems raised with their JSON paths."""
    obj, problems = _event_problems(to_json(mapping), "$", strict)
    if problems or obj is None:
        raise SchemaAssertionError(problems, context="stream event")
    return obj


def check_error_reply(body: Any, *, strict: bool = False) -> None:
    """Check an error envelope ``{"error": {message, type, param, code}}`` (all four keys present)."""
    __tracebackhide__ = True
    IMAGES.check_error_reply(body, strict=strict)


# --- check_images_reply --------------------------------------------------------------------------


def check_images_reply(request: ValidatedRequest | None, reply: Any, *, strict: bool = False) -> None:
    """``check_reply`` for the Images API: an ``ImagesResponse`` (mapping or model) or a sequence of its
    stream events, against ``request`` when given."""
    __tracebackhide__ = True

    def document(data: Mapping[str, Any]) -> Problems:
        problems = schema_problems(ImagesResponse, data, "$", strict)[1]
        return problems + (_response_vs_request(request, data) if request is not None else [])

    def stream(events: list[Any]) -> Problems:
        problems = [p for i, event in enumerate(events) for p in _event_problems(event, f"$[{i}]", strict)[1]]
        return problems + (_stream_vs_request(request, events) if request is not None else [])

    check_parts(
        reply, "a JSON object or a list of stream events", document, stream, context=_context(request)
    )


def _context(request: ValidatedRequest | None) -> str:
    if request is None:
        return "reply"
    return f"reply to POST /v1/images/{request.endpoint} (model {request.model})"


def _echo_problems(request: ValidatedRequest, body: Mapping[str, Any], base: str) -> Problems:
    """Echoed ``output_format`` / ``size`` / ``background`` must be what the request asked."""
    problems: Problems = []
    got_format = body.get("output_format")
    if request.output_format is not None and got_format is not None and got_format != request.output_format:
        problems.append(
            (f"{base}.output_format", f"{got_format!r}, but the request asked {request.output_format!r}")
        )
    got_size = body.get("size")
    if request.concrete_size is not None and concrete_size(got_size) is not None and got_size != request.size:
        problems.append((f"{base}.size", f"{got_size!r}, but the request asked {request.size!r}"))
    got_bg = body.get("background")
    if (
        request.background in ("transparent", "opaque")
        and got_bg in ("transparent", "opaque")
        and got_bg != (request.background)
    ):
        problems.append((f"{base}.background", f"{got_bg!r}, but the request asked {request.background!r}"))
    return problems


def _expected_format(request: ValidatedRequest, body: Mapping[str, Any]) -> Any:
    echoed = body.get("output_format")
    return echoed if isinstance(echoed, str) else request.image_format


def _expected_size(request: ValidatedRequest, body: Mapping[str, Any]) -> Any:
    echoed = body.get("size")
    return echoed if concrete_size(echoed) is not None else request.size


def _response_vs_request(request: ValidatedRequest, body: Mapping[str, Any]) -> Problems:
    problems: Problems = []
    if request.stream:
        problems.append(MISSING_STREAM)
    data = body.get("data")
    if data is None:
        problems.append(("$.data", f"missing: the request asked for {request.n} image(s)"))
        return problems
    if not isinstance(data, list):
        return problems  # the schema check reports the type
    if len(data) != request.n:
        problems.append(("$.data", f"{len(data)} image(s), but the request asked n={request.n}"))
    problems += _echo_problems(request, body, "$")
    fmt, size = _expected_format(request, body), _expected_size(request, body)
    for i, image in enumerate(data):
        if not isinstance(image, Mapping):
            continue
        path = f"$.data[{i}]"
        problems += _image_kind_problems(request, image, path)
        problems += image_problems(f"{path}.b64_json", image.get("b64_json"), fmt, size)
    return problems


def _image_kind_problems(request: ValidatedRequest, image: Mapping[str, Any], path: str) -> Problems:
    """``url`` vs ``b64_json`` by model and ``response_format``."""
    has_url, has_b64 = image.get("url") is not None, image.get("b64_json") is not None
    cap = request.capability
    if request.response_format is not None:
        wanted = request.response_format
    elif cap.response_formats == ():
        wanted = "b64_json"  # models that reject response_format always answer base64
    else:
        wanted = None  # an unknown model without response_format: either is fine
    if wanted is None:
        return [] if has_url or has_b64 else [(path, "image has neither 'url' nor 'b64_json'")]
    other = "url" if wanted == "b64_json" else "b64_json"
    problems: Problems = []
    if not (has_b64 if wanted == "b64_json" else has_url):
        problems.append(
            (f"{path}.{wanted}", f"missing: model {request.model} answers {wanted} for this request")
        )
    if has_url if other == "url" else has_b64:
        problems.append(
            (f"{path}.{other}", f"unexpected: model {request.model} answers {wanted} for this request")
        )
    return problems


def _stream_vs_request(request: ValidatedRequest, events: list[Any]) -> Problems:
    problems: Problems = []
    if not request.stream:
        problems.append(UNASKED_STREAM)
    prefix = _EVENT_PREFIX.get(request.endpoint)
    partial_type, completed_type = f"{prefix}.partial_image", f"{prefix}.completed"
    # n>1 while streaming is unspecified: lenient, one completed event per image (1..n of them),
    # each image's partial images numbered from 0 again.
    max_completed = max(request.n, 1)
    # DISPUTED: SPEC says partial_images defaults to 0 (completed event only), yet SPEC's own streaming
    # example leaves it unset and sends a partial image. Lenient reading: when the request does not set
    # it, up to the model's maximum of partials is fine; an explicit value is a hard limit.
    partial_limit = (
        request.partial_images
        if request.params.get("partial_images") is not None
        else request.capability.partial_images_max
    )
    completed = 0
    partials = PartialImages(partial_limit)
    for i, event in enumerate(events):
        if not isinstance(event, Mapping):
            continue
        kind = event.get("type")
        if not isinstance(kind, str):
            continue  # the schema check reports it
        path = f"$[{i}]"
        if kind in STREAM_EVENT_MODELS and kind not in (partial_type, completed_type):
            problems.append(
                (f"{path}.type", f"{kind!r} does not belong to POST /v1/images/{request.endpoint}")
            )
            continue
        if kind == partial_type:
            if completed >= max_completed:
                problems.append(
                    (path, "partial image event after the completed event (completed must be last)")
                )
            problems += partials.add(event, path)
        elif kind == completed_type:
            completed += 1
            if completed > max_completed:
                problems.append(
                    (path, f"completed event number {completed}, but the request asked n={request.n}")
                )
            partials = PartialImages(partial_limit)
        else:
            continue
        problems += _echo_problems(request, event, path)
        problems += image_problems(
            f"{path}.b64_json",
            event.get("b64_json"),
            _expected_format(request, event),
            _expected_size(request, event),
        )
    if completed == 0:
        problems.append(("$", f"no {completed_type} event: the stream must end with one"))
    elif events and not (isinstance(events[-1], Mapping) and events[-1].get("type") == completed_type):
        problems.append((f"$[{len(events) - 1}]", f"the stream must end with the {completed_type} event"))
    return problems
