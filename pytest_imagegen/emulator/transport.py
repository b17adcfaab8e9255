"""What every route of the emulator shares below the API: the reply a route builds, responses that send
headers as given (repeated ``set-cookie``) or drop the connection mid-body, the ``disconnect`` fault,
request bodies parsed (JSON or multipart), SSE frames, and reply transforms.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from pytest_imagegen.emulator import error_replies
from pytest_imagegen.emulator.error_replies import ErrorReply
from pytest_imagegen.emulator.state import FileDigest, ReplyPart, ReplyTransform

__all__ = [
    "ConnectionAbort",
    "RawResponse",
    "RawStreamingResponse",
    "Reply",
    "TruncatedResponse",
    "Upload",
    "cut",
    "file_digests",
    "is_abort",
    "parse_body",
    "sse_frame",
    "transformed",
]

#: One uploaded file as the contract package takes it: (filename, bytes, content type).
Upload = tuple[str | None, bytes, str | None]

# Uploads may be up to 50 MB; text fields stay small (starlette's default part limit is 1 MB).
MAX_TEXT_PART = 1024 * 1024


class ConnectionAbort(Exception):
    """Raised after a partial reply so uvicorn drops the connection (the ``disconnect`` fault).

    ASGI has no "abort" message; an exception after the response has started is the one way to make
    the server close the socket without finishing the body. ``server`` filters its log line.
    """


class Reply:
    """Status, body (bytes, or SSE frames still to be drawn) and headers of one API reply."""

    def __init__(
        self,
        status: int,
        content: bytes | AsyncIterator[bytes],
        headers: list[tuple[str, str]] | None = None,
        media_type: str = "application/json",
    ) -> None:
        self.status = status
        self.content = content
        self.headers = headers or []
        self.media_type = media_type


class RawResponse(Response):
    """A Response whose headers are sent as given, repeated names (``set-cookie``) included."""

    def __init__(
        self, status: int, content: bytes, headers: Sequence[tuple[str, str]], media_type: str
    ) -> None:
        super().__init__(content=content, status_code=status, media_type=media_type)
        self.raw_headers += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]


class TruncatedResponse(RawResponse):
    """Announces the whole body, sends half of it, then drops the connection."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        await send(
            {"type": "http.response.body", "body": self.body[: len(self.body) // 2], "more_body": True}
        )
        raise ConnectionAbort("disconnect fault: connection dropped mid-body")


class RawStreamingResponse(StreamingResponse):
    def __init__(self, content: AsyncIterator[bytes], headers: Sequence[tuple[str, str]]) -> None:
        super().__init__(content, media_type="text/event-stream")
        self.raw_headers += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]


def is_abort(exc: BaseException) -> bool:
    """Whether ``exc`` is (or wraps) the deliberate ``ConnectionAbort`` of a ``disconnect`` fault."""
    if isinstance(exc, BaseExceptionGroup):
        return exc.subgroup(ConnectionAbort) is not None
    return isinstance(exc, ConnectionAbort)


async def cut(frames: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """The ``disconnect`` fault on a stream: the first event whole, half the next, then a dropped socket."""
    first = await anext(frames)
    second = await anext(frames, None)
    if second is None:
        yield first[: len(first) // 2]
    else:
        yield first
        yield second[: len(second) // 2]
    raise ConnectionAbort("disconnect fault: stream cut mid-event")


async def parse_body(request: Request) -> tuple[dict[str, Any], dict[str, list[Upload]] | None] | ErrorReply:
    """The request's parameters and, for multipart bodies, its files (``None`` for JSON)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        try:
            form = await request.form(max_part_size=MAX_TEXT_PART)
        except HTTPException as exc:
            return ErrorReply.of(400, f"Could not parse the multipart body: {exc.detail}")
        params: dict[str, Any] = {}
        files: dict[str, list[Upload]] = {}
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                files.setdefault(name, []).append((value.filename, await value.read(), value.content_type))
            else:
                params[name] = value
        await form.close()
        return params, files
    raw = await request.body()
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        return error_replies.bad_json()
    if not isinstance(body, dict):
        return error_replies.bad_json()
    return body, None


def file_digests(files: Mapping[str, Sequence[Upload]]) -> list[FileDigest]:
    return [
        FileDigest(part, filename, content_type, len(data), hashlib.sha256(data).hexdigest())
        for part, uploads in files.items()
        for filename, data, content_type in uploads
    ]


def sse_frame(event: dict[str, Any]) -> bytes:
    """One SSE event: an ``event:`` line with the type, a ``data:`` line with compact JSON, a blank line."""
    data = json.dumps(event, separators=(",", ":"))
    return f"event: {event['type']}\ndata: {data}\n\n".encode()


def transformed(reply: Reply, path: str, params: Mapping[str, Any], transform: ReplyTransform) -> Reply:
    """``reply`` rewritten by a reply transform (``EmulatorState.reply_transform``): a JSON body as a
    whole, a stream event by event. Other replies pass as they are."""
    if isinstance(reply.content, bytes):
        if reply.media_type != "application/json":
            return reply
        document = json.loads(reply.content)
        part = (
            ReplyPart(path, reply.status, document, params=dict(params))
            if isinstance(document, dict)
            else None
        )
        changed = transform(part) if part is not None else None
        if changed is None:
            return reply
        if not isinstance(changed, dict):
            raise TypeError(
                f"a reply transform must return a dict for a JSON reply, got {type(changed).__name__}"
            )
        content = json.dumps(changed, indent=2).encode()
        return Reply(reply.status, content, reply.headers, reply.media_type)
    return Reply(
        reply.status,
        transformed_events(reply.content, path, reply.status, dict(params), transform),
        reply.headers,
        reply.media_type,
    )


async def transformed_events(
    frames: AsyncIterator[bytes], path: str, status: int, params: Mapping[str, Any], transform: ReplyTransform
) -> AsyncIterator[bytes]:
    number = 0
    async for frame in frames:
        data = next((line[6:] for line in frame.split(b"\n") if line.startswith(b"data: ")), None)
        try:
            document = json.loads(data) if data is not None else None
        except ValueError:  # not JSON: chat's closing ``data: [DONE]``
            document = None
        if not isinstance(document, dict):
            yield frame
            continue
        changed = transform(ReplyPart(path, status, document, number, params))
        number += 1
        if changed is None:
            yield frame
            continue
        named = frame.startswith(
            b"event: "
        )  # the Images and Responses APIs name events; chat and Gemini do not
        for event in [changed] if isinstance(changed, dict) else changed:
            if named and isinstance(event.get("type"), str):
                yield sse_frame(event)
            else:
                yield f"data: {json.dumps(event, separators=(',', ':'))}\n\n".encode()
