"""The emulator's ASGI app (starlette): routes, auth, faults, validation, JSON and SSE replies.

The routes are the registered API shapes': each shape names its emulator module (``ApiShape.emulator``),
whose ``routes(handler)`` declares them: the Images API (``/v1/images/...``, its Azure form, and the signed
dall-e blob URLs) in ``images.py``, the Responses API (``/v1/responses``) in ``responses.py``, chat
completions with image output (``/v1/chat/completions``, and a gateway's ``/api/v1/...``) in ``chat.py``,
the Gemini API (``/v1beta/models/{model}:{method}``) in ``gemini.py``; the replies are those modules'.
The handlers are here: the OpenAI-style ones share authentication, faults, the service's headers and
cookies, the request log and the error envelope; the Gemini routes share the log and the faults, with
Google's key placements, headers and error envelope.

``create_app(state)`` builds the app for one ``EmulatorState``; ``server.Emulator`` serves it with
uvicorn. Request parsing (JSON, multipart) is starlette's and python-multipart's (``transport.py``);
request rules are the contract package's (through each shape's job); this module only wires them to the
wire format of the real service.
"""

from __future__ import annotations

import importlib
import json
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import anyio.to_thread
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from pytest_imagegen.contract import registry
from pytest_imagegen.emulator import chat, error_replies, gemini, images, responses
from pytest_imagegen.emulator.drawing import render_encoded
from pytest_imagegen.emulator.error_replies import ErrorReply
from pytest_imagegen.emulator.headers import service_headers
from pytest_imagegen.emulator.identity import request_id
from pytest_imagegen.emulator.images import Endpoint, make_job
from pytest_imagegen.emulator.prefix import ASKED_PATH, PathPrefix
from pytest_imagegen.emulator.state import EmulatorState, Fault, FileDigest, LoggedRequest
from pytest_imagegen.emulator.transport import (
    ConnectionAbort,
    RawResponse,
    RawStreamingResponse,
    Reply,
    TruncatedResponse,
    Upload,
    cut,
    file_digests,
    is_abort,
    parse_body,
    transformed,
)
from pytest_imagegen.errors import RequestValidationError

__all__ = ["ConnectionAbort", "create_app", "is_abort"]

_ENDPOINTS: tuple[Endpoint, ...] = ("generations", "edits", "variations")
_AZURE_ENDPOINTS: tuple[Endpoint, ...] = ("generations", "edits")
# Uploads may be up to 50 MB; text fields stay small (starlette's default part limit is 1 MB).
MAX_TEXT_PART = 1024 * 1024


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

        async def answer(params: dict[str, Any]) -> Reply:
            job = responses.make_responses_job(params, self.state)
            if job.request.stream:
                return Reply(200, responses.stream_frames(job, self.state), media_type="text/event-stream")
            return Reply(200, await responses.json_reply(job, self.state))

        return await self.json_api(request, answer)

    async def chat_route(self, request: Request) -> Response:
        """``POST /v1/chat/completions``: image output through a gateway (``emulator/chat.py``)."""

        async def answer(params: dict[str, Any]) -> Reply:
            provider_error = chat.provider_key_error(request.headers, params, self.state)
            if provider_error is not None:
                return self._error(provider_error)
            job = chat.make_chat_job(params, self.state)
            if job.request.stream:
                return Reply(200, chat.stream_frames(job), media_type="text/event-stream")
            return Reply(200, await chat.json_reply(job))

        return await self.json_api(request, answer)

    async def gemini_route(self, request: Request) -> Response:
        """``POST /v1beta/models/{model}:{method}``: the Gemini API and Imagen (``emulator/gemini.py``)."""
        if request.path_params["version"] not in gemini.VERSIONS:
            return await self.not_found(request, HTTPException(404))

        async def answer(params: dict[str, Any]) -> Reply:
            job = gemini.make_gemini_job(request.url.path, params)
            json_type = gemini.JSON_MEDIA_TYPE
            if job.request.method == "predict":
                return Reply(200, await gemini.predict_reply(job), media_type=json_type)
            if job.request.stream and request.query_params.get("alt") == "sse":
                return Reply(200, gemini.sse_frames(job), media_type="text/event-stream")
            if job.request.stream:
                return Reply(200, await gemini.json_array_reply(job), media_type=json_type)
            return Reply(200, await gemini.json_reply(job), media_type=json_type)

        return await self.json_api(request, answer, google=True)

    async def json_api(
        self, request: Request, answer: Callable[[dict[str, Any]], Awaitable[Reply]], *, google: bool = False
    ) -> Response:
        """A route of an API that takes JSON only: authentication, faults and the body checked the way the
        service does (OpenAI's, or Google's with ``google``), then ``answer`` for the parameters (it raises
        ``RequestValidationError`` for a request the contract rejects). Public: an API shape's emulator
        module answers its routes through it (``routes(handler)``)."""
        started = time.perf_counter()
        rid = request_id()
        parsed = await parse_body(request)
        params: dict[str, Any] = parsed[0] if not isinstance(parsed, ErrorReply) else {}

        def finish(reply: Reply, fault: Fault | None = None) -> Response:
            return self._finish(
                request, started, rid, params, (), reply, azure=False, fault=fault, google=google
            )

        if google:
            auth_error = gemini.authenticate(request.headers, request.query_params, self.state)
        else:
            auth_error = self._authenticate(request, azure=False)
        if auth_error is not None:
            return finish(self._error(auth_error))
        fault = self.state.take_fault()
        if fault is not None and fault.kind != "disconnect":
            if google:
                return finish(self._error(gemini.fault_error(fault.kind)), fault)
            return finish(self._fault_reply(fault), fault)
        if isinstance(parsed, ErrorReply) or parsed[1] is not None:  # JSON only
            if google:
                return finish(self._error(gemini.bad_json()), fault)
            return finish(
                self._error(parsed if isinstance(parsed, ErrorReply) else error_replies.bad_json()), fault
            )
        try:
            reply = await answer(params)
        except RequestValidationError as exc:
            error = gemini.validation_error(exc) if google else ErrorReply(exc.status, exc.to_error_body())
            return finish(self._error(error), fault)
        if fault and not isinstance(reply.content, bytes):
            reply = Reply(reply.status, cut(reply.content), reply.headers, reply.media_type)
        return finish(reply, fault)

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
        parsed = await parse_body(request)
        if isinstance(parsed, ErrorReply):
            params: dict[str, Any] = {}
            files: dict[str, list[Upload]] | None = None
        else:
            params, files = parsed
        if deployment is not None and params.get("model") is None:
            # Azure routes by deployment; the deployment stands for the model when the body names none.
            params["model"] = deployment
        digests = file_digests(files or {})

        def finish(reply: Reply, fault: Fault | None = None) -> Response:
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
            frames = images.stream_frames(job, int(self.state.clock()))
            return finish(Reply(200, cut(frames) if fault else frames, media_type="text/event-stream"), fault)
        body = await images.json_body(job, self.state, str(request.base_url))
        # The real service pretty-prints image replies with two spaces.
        return finish(Reply(200, json.dumps(body, indent=2).encode()), fault)

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

    def _fault_reply(self, fault: Fault) -> Reply:
        if fault.kind == "rate_limit":
            return self._error(error_replies.rate_limited(self.state.organization, fault.retry_after_ms))
        return self._error(error_replies.server_error())

    @staticmethod
    def _error(reply: ErrorReply) -> Reply:
        return Reply(reply.status, reply.content(), reply.headers)

    def _finish(
        self,
        request: Request,
        started: float,
        rid: str,
        params: Mapping[str, Any],
        digests: Sequence[FileDigest],
        reply: Reply,
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
            reply = transformed(reply, request.url.path, params, self.state.reply_transform)
        self._log(request, reply.status, rid, params=params, files=digests, fault=fault)
        if not isinstance(reply.content, bytes):
            return RawStreamingResponse(reply.content, headers)
        if fault is not None and fault.kind == "disconnect":
            return TruncatedResponse(reply.status, reply.content, headers, reply.media_type)
        return RawResponse(reply.status, reply.content, headers, reply.media_type)

    def _log(
        self,
        request: Request,
        status: int,
        rid: str,
        *,
        params: Mapping[str, Any] | None = None,
        files: Sequence[FileDigest] = (),
        fault: Fault | None = None,
    ) -> None:
        """Add the request to the emulator's log, with the status it was answered with."""
        self.state.log(
            LoggedRequest(
                method=request.method,
                path=request.scope.get(ASKED_PATH, request.url.path),
                query=dict(request.query_params),
                headers=dict(request.headers),
                params=dict(params or {}),
                files=tuple(files),
                status=status,
                fault=fault.kind if fault is not None else None,
                request_id=rid,
            )
        )

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
        self._log(request, status, blob_request_id)
        if spec is None or status != 200:
            xml = (
                '<?xml version="1.0" encoding="utf-8"?>'
                f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
            )
            return RawResponse(status, xml.encode(), blob_headers, "application/xml")
        data = await anyio.to_thread.run_sync(render_encoded, spec)
        return RawResponse(200, data, blob_headers, "image/png")


def create_app(state: EmulatorState) -> Starlette:
    """The emulator's ASGI app for ``state`` (mountable under any ASGI server or ``httpx.ASGITransport``)."""
    handler = _Handler(state)
    routes = _shape_routes(handler)
    app = Starlette(
        routes=routes,
        # PathPrefix: every operation under any path prefix (a gateway's /openai/v1, emulator/prefix.py).
        middleware=[Middleware(GZipMiddleware, minimum_size=500), Middleware(PathPrefix, routes=routes)],
        exception_handlers={
            404: handler.not_found,
            405: handler.not_found,
            Exception: handler.internal_error,
        },
    )
    app.state.emulator = state
    return app


def _shape_routes(handler: _Handler) -> list[BaseRoute]:
    """The routes of every registered API shape that names an emulator module (``ApiShape.emulator``):
    that module's ``routes(handler)``, which points them at this handler's methods or its own."""
    routes: list[BaseRoute] = []
    for shape in registry.shapes():
        if shape.emulator is not None:
            routes += importlib.import_module(shape.emulator).routes(handler)
    return routes
