"""The emulator's ASGI app (starlette): routes, auth, faults, validation, JSON and SSE replies.

Routes per API shape: the Images API (``/v1/images/...``, its Azure form, and the signed dall-e blob
URLs) here, the Responses API (``/v1/responses``) in ``responses.py``, chat completions with image output
(``/v1/chat/completions``, and a gateway's ``/api/v1/...``) in ``chat.py``, the Gemini API
(``/v1beta/models/{model}:{method}``) in ``gemini.py``. The OpenAI-style ones share authentication, faults,
the service's headers and cookies, the request log and the error envelope; the Gemini routes share the log
and the faults, with Google's key placements, headers and error envelope.

``create_app(state)`` builds the app for one ``EmulatorState``; ``server.Emulator`` serves it with
uvicorn. Request parsing (JSON, multipart) is starlette's and python-multipart's; request rules are
the contract package's (through ``jobs.make_job``); this module only wires them to the wire format of
the real service.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import anyio.to_thread
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from pytest_imagegen.emulator import chat, error_replies, gemini, responses
from pytest_imagegen.emulator.drawing import (
    ImageSpec,
    encode,
    partial_versions,
    render,
    render_encoded,
    seed_of,
)
from pytest_imagegen.emulator.error_replies import ErrorReply
from pytest_imagegen.emulator.headers import service_headers
from pytest_imagegen.emulator.identity import random_token, request_id
from pytest_imagegen.emulator.jobs import Endpoint, Job, Upload, make_job
from pytest_imagegen.emulator.replies import completed_event, images_response, partial_event, sse_frame
from pytest_imagegen.emulator.state import (
    EmulatorState,
    Fault,
    FileDigest,
    LoggedRequest,
    ReplyPart,
    ReplyTransform,
)
from pytest_imagegen.errors import RequestValidationError

__all__ = ["ConnectionAbort", "create_app", "is_abort"]

_ENDPOINTS: tuple[Endpoint, ...] = ("generations", "edits", "variations")
_AZURE_ENDPOINTS: tuple[Endpoint, ...] = ("generations", "edits")
# Uploads may be up to 50 MB; text fields stay small (starlette's default part limit is 1 MB).
_MAX_TEXT_PART = 1024 * 1024


class ConnectionAbort(Exception):
    """Raised after a partial reply so uvicorn drops the connection (the ``disconnect`` fault).

    ASGI has no "abort" message; an exception after the response has started is the one way to make
    the server close the socket without finishing the body. ``server`` filters its log line.
    """


class _Reply:
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


class _RawResponse(Response):
    """A Response whose headers are sent as given, repeated names (``set-cookie``) included."""

    def __init__(
        self, status: int, content: bytes, headers: Sequence[tuple[str, str]], media_type: str
    ) -> None:
        super().__init__(content=content, status_code=status, media_type=media_type)
        self.raw_headers += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]


class _TruncatedResponse(_RawResponse):
    """Announces the whole body, sends half of it, then drops the connection."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        await send(
            {"type": "http.response.body", "body": self.body[: len(self.body) // 2], "more_body": True}
        )
        raise ConnectionAbort("disconnect fault: connection dropped mid-body")


class _RawStreamingResponse(StreamingResponse):
    def __init__(self, content: AsyncIterator[bytes], headers: Sequence[tuple[str, str]]) -> None:
        super().__init__(content, media_type="text/event-stream")
        self.raw_headers += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]


class _Handler:
    """Answers the API routes of one emulator."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    # -- routes -----------------------------------------------------------------------------------
    async def openai_route(self, request: Request) -> Response:
        endpoint = request.path_params["endpoint"]
        if endpoint not in _ENDPOINTS:
            return await self.not_found(request, HTTPException(404))
        return await self._serve(request, endpoint, deployment=None)

    async def azure_route(self, request: Request) -> Response:
        endpoint = request.path_params["endpoint"]
        if endpoint not in _AZURE_ENDPOINTS:
            return await self.not_found(request, HTTPException(404))
        return await self._serve(request, endpoint, deployment=request.path_params["deployment"])

    async def responses_route(self, request: Request) -> Response:
        """``POST /v1/responses``: the Responses API with the image tool (``emulator/responses.py``)."""
        started = time.perf_counter()
        rid = request_id()
        parsed = await _parse_body(request)
        params: dict[str, Any] = parsed[0] if not isinstance(parsed, ErrorReply) else {}

        def finish(reply: _Reply, fault: Fault | None = None) -> Response:
            return self._finish(request, started, rid, params, (), reply, azure=False, fault=fault)

        auth_error = self._authenticate(request, azure=False)
        if auth_error is not None:
            return finish(self._error(auth_error))
        fault = self.state.take_fault()
        if fault is not None and fault.kind != "disconnect":
            return finish(self._fault_reply(fault), fault)
        if isinstance(parsed, ErrorReply) or parsed[1] is not None:  # the Responses API takes JSON only
            return finish(
                self._error(parsed if isinstance(parsed, ErrorReply) else error_replies.bad_json()), fault
            )
        try:
            job = responses.make_responses_job(params, self.state)
        except RequestValidationError as exc:
            return finish(self._error(ErrorReply(exc.status, exc.to_error_body())), fault)
        if job.request.stream:
            frames = responses.stream_frames(job, self.state)
            return finish(
                _Reply(200, _cut(frames) if fault else frames, media_type="text/event-stream"), fault
            )
        return finish(_Reply(200, await responses.json_reply(job, self.state)), fault)

    async def chat_route(self, request: Request) -> Response:
        """``POST /v1/chat/completions``: image output through a gateway (``emulator/chat.py``)."""
        started = time.perf_counter()
        rid = request_id()
        parsed = await _parse_body(request)
        params: dict[str, Any] = parsed[0] if not isinstance(parsed, ErrorReply) else {}

        def finish(reply: _Reply, fault: Fault | None = None) -> Response:
            return self._finish(request, started, rid, params, (), reply, azure=False, fault=fault)

        auth_error = self._authenticate(request, azure=False)
        if auth_error is not None:
            return finish(self._error(auth_error))
        fault = self.state.take_fault()
        if fault is not None and fault.kind != "disconnect":
            return finish(self._fault_reply(fault), fault)
        if isinstance(parsed, ErrorReply) or parsed[1] is not None:  # chat completions take JSON only
            return finish(
                self._error(parsed if isinstance(parsed, ErrorReply) else error_replies.bad_json()), fault
            )
        provider_error = chat.provider_key_error(request.headers, params, self.state)
        if provider_error is not None:
            return finish(self._error(provider_error), fault)
        try:
            job = chat.make_chat_job(params, self.state)
        except RequestValidationError as exc:
            return finish(self._error(ErrorReply(exc.status, exc.to_error_body())), fault)
        if job.request.stream:
            frames = chat.stream_frames(job)
            return finish(
                _Reply(200, _cut(frames) if fault else frames, media_type="text/event-stream"), fault
            )
        return finish(_Reply(200, await chat.json_reply(job)), fault)

    async def gemini_route(self, request: Request) -> Response:
        """``POST /v1beta/models/{model}:{method}``: the Gemini API and Imagen (``emulator/gemini.py``)."""
        if request.path_params["version"] not in gemini.VERSIONS:
            return await self.not_found(request, HTTPException(404))
        started = time.perf_counter()
        rid = request_id()
        parsed = await _parse_body(request)
        params: dict[str, Any] = parsed[0] if not isinstance(parsed, ErrorReply) else {}

        def finish(reply: _Reply, fault: Fault | None = None) -> Response:
            return self._finish(
                request, started, rid, params, (), reply, azure=False, fault=fault, google=True
            )

        auth_error = gemini.authenticate(request.headers, request.query_params, self.state)
        if auth_error is not None:
            return finish(self._error(auth_error))
        fault = self.state.take_fault()
        if fault is not None and fault.kind != "disconnect":
            return finish(self._error(gemini.fault_error(fault.kind)), fault)
        if isinstance(parsed, ErrorReply) or parsed[1] is not None:
            return finish(self._error(gemini.bad_json()), fault)
        try:
            job = gemini.make_gemini_job(request.url.path, params)
        except RequestValidationError as exc:
            return finish(self._error(gemini.validation_error(exc)), fault)
        json_type = gemini.JSON_MEDIA_TYPE
        if job.request.method == "predict":
            return finish(_Reply(200, await gemini.predict_reply(job), media_type=json_type), fault)
        if job.request.stream and request.query_params.get("alt") == "sse":
            frames = gemini.sse_frames(job)
            return finish(
                _Reply(200, _cut(frames) if fault else frames, media_type="text/event-stream"), fault
            )
        if job.request.stream:
            return finish(_Reply(200, await gemini.json_array_reply(job), media_type=json_type), fault)
        return finish(_Reply(200, await gemini.json_reply(job), media_type=json_type), fault)

    async def not_found(self, request: Request, exc: Exception) -> Response:
        started = time.perf_counter()
        reply = error_replies.invalid_url(request.method, request.url.path)
        return self._finish(request, started, request_id(), {}, (), self._error(reply), azure=False)

    async def internal_error(self, request: Request, exc: Exception) -> Response:
        """A bug in the emulator still answers with the API's 500 envelope (starlette logs the traceback)."""
        if is_abort(exc):
            # Starlette asks for an error page even when the reply has started; it is never sent.
            return Response(status_code=500)
        started = time.perf_counter()
        reply = self._error(error_replies.server_error())
        return self._finish(request, started, request_id(), {}, (), reply, azure=False)

    # -- the API pipeline ---------------------------------------------------------------------------
    async def _serve(self, request: Request, endpoint: Endpoint, deployment: str | None) -> Response:
        started = time.perf_counter()
        rid = request_id()
        azure = deployment is not None
        parsed = await _parse_body(request)
        if isinstance(parsed, ErrorReply):
            params: dict[str, Any] = {}
            files: dict[str, list[Upload]] | None = None
        else:
            params, files = parsed
        if deployment is not None and params.get("model") is None:
            # Azure routes by deployment; the deployment stands for the model when the body names none.
            params["model"] = deployment
        digests = _digests(files or {})

        def finish(reply: _Reply, fault: Fault | None = None) -> Response:
            return self._finish(request, started, rid, params, digests, reply, azure=azure, fault=fault)

        auth_error = self._authenticate(request, azure=azure)
        if auth_error is not None:
            return finish(self._error(auth_error))
        if azure and not request.query_params.get("api-version"):
            return finish(
                self._error(
                    ErrorReply.of(
                        400,
                        "Missing required query parameter: 'api-version'.",
                        param="api-version",
                        code="missing_required_parameter",
                    )
                )
            )
        fault = self.state.take_fault()
        if fault is not None and fault.kind != "disconnect":
            return finish(self._fault_reply(fault), fault)
        if isinstance(parsed, ErrorReply):
            return finish(self._error(parsed), fault)
        try:
            job = make_job(endpoint, params, files)
        except RequestValidationError as exc:
            return finish(self._error(ErrorReply(exc.status, exc.to_error_body())), fault)

        if job.stream:
            frames = _stream_frames(job, int(self.state.clock()))
            return finish(
                _Reply(200, _cut(frames) if fault else frames, media_type="text/event-stream"), fault
            )
        body = await self._images_body(request, job)
        # The real service pretty-prints image replies with two spaces.
        return finish(_Reply(200, json.dumps(body, indent=2).encode()), fault)

    def _authenticate(self, request: Request, *, azure: bool) -> ErrorReply | None:
        key: str | None = None
        authorization = request.headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            key = token.strip()
        elif azure and request.headers.get("api-key"):
            key = request.headers["api-key"]
        if not key:
            return error_replies.missing_key()
        expected = self.state.api_key
        valid = key.startswith("sk-") if expected is None else secrets.compare_digest(key, expected)
        return None if valid else error_replies.wrong_key(key)

    def _fault_reply(self, fault: Fault) -> _Reply:
        if fault.kind == "rate_limit":
            return self._error(error_replies.rate_limited(self.state.organization, fault.retry_after_ms))
        return self._error(error_replies.server_error())

    @staticmethod
    def _error(reply: ErrorReply) -> _Reply:
        return _Reply(reply.status, reply.content(), reply.headers)

    async def _images_body(self, request: Request, job: Job) -> dict[str, Any]:
        created = int(self.state.clock())
        entries: list[dict[str, Any]] = []
        for index in range(job.n):
            spec = _spec(job, index)
            if job.response_format == "url":
                name = f"img-{random_token(24)}.png"
                self.state.remember_url(name, spec)
                root = str(request.base_url).rstrip("/")
                entries.append({"url": self.state.signer.sign(root, name, self.state.clock())})
            else:
                data = await anyio.to_thread.run_sync(render_encoded, spec)
                entries.append({"b64_json": base64.b64encode(data).decode()})
        return images_response(job, created, entries)

    def _finish(
        self,
        request: Request,
        started: float,
        rid: str,
        params: Mapping[str, Any],
        digests: Sequence[FileDigest],
        reply: _Reply,
        *,
        azure: bool,
        fault: Fault | None = None,
        google: bool = False,
    ) -> Response:
        """Log the request and turn ``reply`` into a Response carrying the service's headers (Google's,
        with ``google``)."""
        processing_ms = max(1, round((time.perf_counter() - started) * 1000))
        if google:
            headers = gemini.google_headers(processing_ms)
        else:
            headers = service_headers(
                request_id=rid,
                organization=self.state.organization,
                project=self.state.project,
                cookie_secret=self.state.cookie_secret,
                processing_ms=processing_ms,
                served_before=self.state.next_request_number(),
                now=self.state.clock(),
                azure=azure,
            )
        headers += reply.headers
        if self.state.reply_transform is not None:
            reply = _transformed(reply, request.url.path, params, self.state.reply_transform)
        self.state.log(
            LoggedRequest(
                method=request.method,
                path=request.url.path,
                query=dict(request.query_params),
                headers=dict(request.headers),
                params=dict(params),
                files=tuple(digests),
                status=reply.status,
                fault=fault.kind if fault is not None else None,
                request_id=rid,
            )
        )
        if not isinstance(reply.content, bytes):
            return _RawStreamingResponse(reply.content, headers)
        if fault is not None and fault.kind == "disconnect":
            return _TruncatedResponse(reply.status, reply.content, headers, reply.media_type)
        return _RawResponse(reply.status, reply.content, headers, reply.media_type)

    # -- signed image URLs (the blob store of dall-e replies) ---------------------------------------
    async def blob_route(self, request: Request) -> Response:
        """GET of a signed dall-e URL: the image while the signature holds and ``se`` has not passed."""
        blob_request_id = str(uuid.uuid4())
        blob_headers = [
            ("x-ms-request-id", blob_request_id),
            ("x-ms-version", "2021-08-06"),
            ("server", "Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0"),
        ]
        problem = self.state.signer.check(request.url.path, request.query_params, self.state.clock())
        spec = self.state.url_image(request.path_params["name"])
        if problem is not None:
            status, code = 403, "AuthenticationFailed"
            message = f"Server failed to authenticate the request. {problem}."
        elif spec is None:
            status, code, message = 404, "BlobNotFound", "The specified blob does not exist."
        else:
            status, code, message = 200, "", ""
        self.state.log(
            LoggedRequest(
                method=request.method,
                path=request.url.path,
                query=dict(request.query_params),
                headers=dict(request.headers),
                params={},
                files=(),
                status=status,
                request_id=blob_request_id,
            )
        )
        if spec is None or status != 200:
            xml = (
                '<?xml version="1.0" encoding="utf-8"?>'
                f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
            )
            return _RawResponse(status, xml.encode(), blob_headers, "application/xml")
        data = await anyio.to_thread.run_sync(render_encoded, spec)
        return _RawResponse(200, data, blob_headers, "image/png")


def _transformed(reply: _Reply, path: str, params: Mapping[str, Any], transform: ReplyTransform) -> _Reply:
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
        return _Reply(reply.status, content, reply.headers, reply.media_type)
    return _Reply(
        reply.status,
        _transformed_events(reply.content, path, reply.status, dict(params), transform),
        reply.headers,
        reply.media_type,
    )


async def _transformed_events(
    frames: AsyncIterator[bytes], path: str, status: int, params: Mapping[str, Any], transform: ReplyTransform
) -> AsyncIterator[bytes]:
    number = 0
    async for frame in frames:
        data = next((line[6:] for line in frame.split(b"\n") if line.startswith(b"data: ")), None)
        document = json.loads(data) if data is not None else None
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


def is_abort(exc: BaseException) -> bool:
    """Whether ``exc`` is (or wraps) the deliberate ``ConnectionAbort`` of a ``disconnect`` fault."""
    if isinstance(exc, BaseExceptionGroup):
        return exc.subgroup(ConnectionAbort) is not None
    return isinstance(exc, ConnectionAbort)


def _spec(job: Job, index: int) -> ImageSpec:
    return ImageSpec(
        seed=seed_of(job.digest, str(index)),
        width=job.width,
        height=job.height,
        # dall-e URLs always point at PNGs.
        output_format=job.output_format if job.gpt_style or job.response_format != "url" else "png",
        transparent=job.background == "transparent",
        compression=job.compression,
        frames=job.frames,
        frame_duration_ms=job.frame_duration_ms,
    )


async def _stream_frames(job: Job, created_at: int) -> AsyncIterator[bytes]:
    """The SSE frames of a streamed job, drawn one at a time so each frame leaves as soon as it exists."""
    for index in range(job.n):
        spec = _spec(job, index)
        image = await anyio.to_thread.run_sync(render, spec)
        for number, preview in enumerate(partial_versions(image, job.partial_images)):
            data = await anyio.to_thread.run_sync(encode, preview, spec)
            yield sse_frame(partial_event(job, base64.b64encode(data).decode(), created_at, number))
        data = await anyio.to_thread.run_sync(encode, image, spec)
        yield sse_frame(completed_event(job, base64.b64encode(data).decode(), created_at))


async def _cut(frames: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """The ``disconnect`` fault on a stream: the first event whole, half the next, then a dropped socket."""
    first = await anext(frames)
    second = await anext(frames, None)
    if second is None:
        yield first[: len(first) // 2]
    else:
        yield first
        yield second[: len(second) // 2]
    raise ConnectionAbort("disconnect fault: stream cut mid-event")


async def _parse_body(request: Request) -> tuple[dict[str, Any], dict[str, list[Upload]] | None] | ErrorReply:
    """The request's parameters and, for multipart bodies, its files (``None`` for JSON)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        try:
            form = await request.form(max_part_size=_MAX_TEXT_PART)
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


def _digests(files: Mapping[str, Sequence[Upload]]) -> list[FileDigest]:
    return [
        FileDigest(part, filename, content_type, len(data), hashlib.sha256(data).hexdigest())
        for part, uploads in files.items()
        for filename, data, content_type in uploads
    ]


def create_app(state: EmulatorState) -> Starlette:
    """The emulator's ASGI app for ``state`` (mountable under any ASGI server or ``httpx.ASGITransport``)."""
    handler = _Handler(state)
    app = Starlette(
        routes=[
            Route("/v1/images/{endpoint}", handler.openai_route, methods=["POST"]),
            Route("/v1/responses", handler.responses_route, methods=["POST"]),
            Route("/v1/chat/completions", handler.chat_route, methods=["POST"]),
            Route("/api/v1/chat/completions", handler.chat_route, methods=["POST"]),
            Route("/{version}/models/{target}", handler.gemini_route, methods=["POST"]),
            Route(
                "/openai/deployments/{deployment}/images/{endpoint}", handler.azure_route, methods=["POST"]
            ),
            Route("/private/{org}/{user}/{name}", handler.blob_route, methods=["GET"]),
        ],
        middleware=[Middleware(GZipMiddleware, minimum_size=500)],
        exception_handlers={
            404: handler.not_found,
            405: handler.not_found,
            Exception: handler.internal_error,
        },
    )
    app.state.emulator = state
    return app
