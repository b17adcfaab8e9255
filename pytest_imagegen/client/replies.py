"""Reply side of the client: error replies, JSON replies and stream events, each checked by the contract.

Plain functions and one small state machine shared by the sync and async clients; the clients feed them
bytes and responses and never look inside a reply themselves. Every problem is raised with the JSON path
where it sits (``$.created``, ``$[2].partial_image_index`` for the third stream event) and the request
it answered, so a failing test names both.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any, Generic, TypeVar, cast

import httpx

from pytest_imagegen.client.requests import PreparedCall
from pytest_imagegen.client.sse import ServerSentEvent, SSEDecoder
from pytest_imagegen.contract import (
    ImagesResponse,
    StreamEvent,
    check_error_reply,
    check_reply,
    parse_reply,
    parse_stream_event,
)
from pytest_imagegen.errors import ImagegenAPIError, SchemaAssertionError

__all__ = ["StreamChecker", "StreamEventT", "read_json_reply"]

StreamEventT = TypeVar("StreamEventT", bound=StreamEvent)

_STREAM_PREFIX = {"generations": "image_generation.", "edits": "image_edit."}
_SNIPPET = 200


def _context(call: PreparedCall, response: httpx.Response) -> str:
    request_id = response.headers.get("x-request-id")
    return f"reply to {call.describe()}" + (f" [request id {request_id}]" if request_id else "")


def _reraise(exc: SchemaAssertionError, call: PreparedCall, response: httpx.Response) -> SchemaAssertionError:
    """The same problems, said about this request."""
    return SchemaAssertionError(exc.problems, context=_context(call, response))


def _load_json(data: bytes | str, path: str, what: str) -> Any:
    try:
        return json.loads(data)
    except ValueError as exc:
        text = data if isinstance(data, str) else data.decode("utf-8", errors="replace")
        raise SchemaAssertionError([(path, f"{what} is not JSON ({exc}): {text[:_SNIPPET]!r}")]) from None


def _api_error(status: int, body: Any, *, request_id: str | None, fallback: str) -> ImagegenAPIError:
    """``ImagegenAPIError`` from an error envelope (or whatever came instead of one)."""
    error = body.get("error") if isinstance(body, Mapping) else None
    fields: Mapping[str, Any] = error if isinstance(error, Mapping) else {}
    message = fields.get("message")
    return ImagegenAPIError(
        status,
        message=message if isinstance(message, str) else fallback,
        type=_str_or_none(fields.get("type")),
        code=_str_or_none(fields.get("code")),
        param=_str_or_none(fields.get("param")),
        request_id=request_id,
        body=body,
    )


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def raise_for_error(call: PreparedCall, response: httpx.Response) -> None:
    """For a non-2xx reply (body already read): ``ImagegenAPIError``, after checking the error envelope.

    An envelope that breaks the contract raises ``SchemaAssertionError`` instead, with the API error as
    its cause, so the status and message are still in the traceback.
    """
    if response.is_success:
        return
    try:
        body: Any = json.loads(response.content)
    except ValueError:
        body = response.text
    api_error = _api_error(
        response.status_code,
        body,
        request_id=response.headers.get("x-request-id"),
        fallback=response.text[:_SNIPPET] or response.reason_phrase,
    )
    try:
        if isinstance(body, str):
            _load_json(body, "$", f"HTTP {response.status_code} error reply")
        check_error_reply(body, strict=call.strict)
    except SchemaAssertionError as exc:
        raise _reraise(exc, call, response) from api_error
    raise api_error


def read_json_reply(call: PreparedCall, response: httpx.Response) -> ImagesResponse:
    """The typed reply of a non-streaming call (body already read), checked against its request."""
    raise_for_error(call, response)
    try:
        reply = _load_json(response.content, "$", "reply")
        if not isinstance(reply, Mapping):
            raise SchemaAssertionError([("$", f"reply is a JSON {type(reply).__name__}, not an object")])
        check_reply(call.validated, reply, strict=call.strict)
        return parse_reply(reply, strict=call.strict)
    except SchemaAssertionError as exc:
        raise _reraise(exc, call, response) from None


class StreamChecker(Generic[StreamEventT]):
    """Checks a stream event by event as it arrives, then the whole sequence at the end.

    As each event comes: it is a JSON object, its ``type`` belongs to the endpoint, partial image
    indexes increase (per image), and nothing follows the completed events (one per requested image,
    the emulator's and gateways' reading of the unspecified n > 1 stream). At the end,
    ``check_reply`` sees the whole sequence against the request (counts, sizes, formats).
    """

    def __init__(self, call: PreparedCall, response: httpx.Response) -> None:
        self._call = call
        self._response = response
        self._prefix = _STREAM_PREFIX[call.endpoint]
        self._events: list[Mapping[str, Any]] = []
        self._last_partial: int | None = None
        self._completed = 0
        self._expected_completed = max(call.validated.n, 1)
        self._decoder = SSEDecoder()
        #: True once ``[DONE]`` arrived; nothing after it is read.
        self.done = False

    @classmethod
    def open(cls, call: PreparedCall, response: httpx.Response) -> StreamChecker[StreamEventT]:
        """The checker for a stream's response, once its headers are in (an error reply's body read):
        ``ImagegenAPIError`` for a non-2xx reply, ``SchemaAssertionError`` for a 2xx that is no stream."""
        raise_for_error(call, response)
        content_type = response.headers.get("content-type", "")
        if not content_type.startswith("text/event-stream"):
            problem = f"a stream was asked for (stream=true) but the reply is {content_type or 'untyped'}"
            raise SchemaAssertionError([("$", problem)], context=_context(call, response))
        return cls(call, response)

    def feed(self, chunk: bytes) -> Iterator[StreamEventT]:
        """The checked, typed events ``chunk`` completes, one at a time (so a good event is handed over
        before a bad one after it in the same chunk raises). Stops at ``[DONE]``, setting ``done``."""
        for sse in self._decoder.feed(chunk):
            if self.done:
                return
            event = self._accept(sse)
            if event is not None:
                yield event

    def _accept(self, sse: ServerSentEvent) -> StreamEventT | None:
        if sse.data.startswith("[DONE]"):
            self.done = True
            return None
        path = f"$[{len(self._events)}]"
        try:
            mapping = _load_json(sse.data, path, "stream event data")
            if not isinstance(mapping, Mapping):
                raise SchemaAssertionError(
                    [(path, f"event is a JSON {type(mapping).__name__}, not an object")]
                )
            if mapping.get("error"):
                self._raise_stream_error(mapping)
            self._events.append(mapping)
            return self._checked_event(mapping, path)
        except SchemaAssertionError as exc:
            raise _reraise(exc, self._call, self._response) from None

    def _checked_event(self, mapping: Mapping[str, Any], path: str) -> StreamEventT:
        """Order first (the type must be the endpoint's), then the event's schema, paths under ``path``."""
        problems = self._order_problems(mapping, path)
        if any(where == f"{path}.type" for where, _ in problems):
            raise SchemaAssertionError(problems)
        try:
            event = parse_stream_event(mapping, strict=self._call.strict)
        except SchemaAssertionError as exc:
            problems += [(path + where.removeprefix("$"), message) for where, message in exc.problems]
        if problems:
            raise SchemaAssertionError(problems)
        # The type was checked to be the endpoint's, so this is that endpoint's event union.
        return cast(StreamEventT, event)

    def _order_problems(self, mapping: Mapping[str, Any], path: str) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        if self._completed >= self._expected_completed:
            problems.append((path, f"event after the completed event (n={self._expected_completed})"))
        kind = mapping.get("type")
        if kind == self._prefix + "completed":
            self._completed += 1
            # With n > 1 each image streams its own partials, counting from 0 again (one completed each).
            self._last_partial = None
        elif kind == self._prefix + "partial_image":
            index = mapping.get("partial_image_index")
            if isinstance(index, int) and not isinstance(index, bool):
                if self._last_partial is not None and index <= self._last_partial:
                    message = f"{index} after {self._last_partial}: partial image indexes must increase"
                    problems.append((f"{path}.partial_image_index", message))
                self._last_partial = index
        else:
            expected = f"{self._prefix}partial_image or {self._prefix}completed"
            message = f"{kind!r} is not an event of POST /images/{self._call.endpoint}: expected {expected}"
            problems.append((f"{path}.type", message))
        return problems

    def _raise_stream_error(self, mapping: Mapping[str, Any]) -> None:
        """An error object inside a stream (the SDK raises ``APIError`` for one too)."""
        check_error_reply(mapping, strict=self._call.strict)
        raise _api_error(
            self._response.status_code,
            mapping,
            request_id=self._response.headers.get("x-request-id"),
            fallback="error event in the stream",
        )

    def finish(self) -> None:
        """After the last event: the whole sequence against the request."""
        try:
            check_reply(self._call.validated, self._events, strict=self._call.strict)
        except SchemaAssertionError as exc:
            raise _reraise(exc, self._call, self._response) from None
