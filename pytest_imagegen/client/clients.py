"""``ImagegenClient`` and ``AsyncImagegenClient``: a small Images API client over httpx.

Every call is validated against the API contract before anything is sent (``RequestValidationError``),
every reply and every stream event is checked against the contract and against its request
(``SchemaAssertionError``), and a non-2xx reply raises ``ImagegenAPIError``. Requests are shaped by
``client/requests.py`` and replies checked by ``client/replies.py``, the same code for both clients; the
classes here only move bytes.

Streams are iterators of typed events (``async for`` for the async client), read and checked one event
at a time as the bytes arrive, and context managers that close the response.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Iterator, Mapping
from types import TracebackType
from typing import Any, Generic, Self, TypeVar, Unpack

import anyio.to_thread
import httpx

from pytest_imagegen.client.replies import StreamChecker, StreamEventT, read_json_reply
from pytest_imagegen.client.requests import (
    DEFAULT_TIMEOUT,
    ClientOptions,
    ClientSettings,
    Endpoint,
    PreparedCall,
    prepare_call,
)
from pytest_imagegen.client.uploads import ImageFile, ImageInput
from pytest_imagegen.contract import ImageEditStreamEvent, ImageGenStreamEvent, ImagesResponse


class _Default(enum.Enum):
    TIMEOUT = "the http client's own timeout, or 600 s for a client made here"


_DEFAULT_TIMEOUT = _Default.TIMEOUT
Timeout = float | httpx.Timeout | None
_HttpT = TypeVar("_HttpT", httpx.Client, httpx.AsyncClient)


class _ClientBase(Generic[_HttpT]):
    """Configuration and request preparation common to both clients.

    Keyword arguments: ``api_key``, ``base_url``, ``organization``, ``project``, ``default_headers``,
    ``strict``, ``azure_endpoint``, ``azure_deployment``, ``api_version`` (see ``ClientOptions``: each
    one left out comes from the environment, as in the openai SDK), and:

    ``http_client``: used as given, and then not closed by ``close()``; without one the client makes
    its own. ``timeout`` (seconds or an ``httpx.Timeout``): applies to every request; left out, a
    passed-in client keeps its own and a client made here waits up to 600 s.
    """

    def __init__(
        self,
        *,
        http_client: _HttpT | None = None,
        timeout: Timeout | _Default = _DEFAULT_TIMEOUT,
        **options: Unpack[ClientOptions],
    ) -> None:
        #: The resolved service options (base URL, key, Azure target, strict mode).
        self.settings = ClientSettings.resolve(**options)
        # Only an explicit timeout overrides the one of an http client the caller passed in.
        self._timeout = None if timeout is _DEFAULT_TIMEOUT else httpx.Timeout(timeout)
        self._owns_http = http_client is None
        #: The httpx client requests go through.
        self.http_client: _HttpT = (
            http_client
            if http_client is not None
            else self._new_http_client(self._timeout or DEFAULT_TIMEOUT)
        )

    def _new_http_client(self, timeout: httpx.Timeout) -> _HttpT:
        raise NotImplementedError

    def _generate_call(self, prompt: str, params: Mapping[str, Any], *, stream: bool = False) -> PreparedCall:
        return prepare_call(self.settings, "generations", {"prompt": prompt, **params}, stream=stream)

    def _upload_call(
        self,
        endpoint: Endpoint,
        images: Mapping[str, object],
        params: Mapping[str, Any],
        *,
        stream: bool = False,
    ) -> PreparedCall:
        return prepare_call(self.settings, endpoint, params, images, stream=stream)


class ImagegenClient(_ClientBase[httpx.Client]):
    """Synchronous client over an ``httpx.Client``; the arguments are described on the base class."""

    def _new_http_client(self, timeout: httpx.Timeout) -> httpx.Client:
        return httpx.Client(timeout=timeout)

    def generate(self, prompt: str, **params: Any) -> ImagesResponse:
        """``POST /images/generations``."""
        return self._send(self._generate_call(prompt, params))

    def generate_stream(self, prompt: str, **params: Any) -> ImageStream[ImageGenStreamEvent]:
        """``POST /images/generations`` with ``stream=true``: the typed events, as they arrive."""
        return self._stream(self._generate_call(prompt, params, stream=True))

    def edit(
        self, image: ImageInput, prompt: str, *, mask: ImageFile | None = None, **params: Any
    ) -> ImagesResponse:
        """``POST /images/edits`` (multipart); ``image`` may be a list of images."""
        return self._send(
            self._upload_call("edits", {"image": image, "mask": mask}, {"prompt": prompt, **params})
        )

    def edit_stream(
        self, image: ImageInput, prompt: str, *, mask: ImageFile | None = None, **params: Any
    ) -> ImageStream[ImageEditStreamEvent]:
        """``POST /images/edits`` with ``stream=true``."""
        images = {"image": image, "mask": mask}
        return self._stream(self._upload_call("edits", images, {"prompt": prompt, **params}, stream=True))

    def create_variation(self, image: ImageFile, **params: Any) -> ImagesResponse:
        """``POST /images/variations`` (dall-e-2 only)."""
        return self._send(self._upload_call("variations", {"image": image}, params))

    def _send(self, call: PreparedCall) -> ImagesResponse:
        response = self.http_client.send(call.build(self.http_client, self._timeout))
        return read_json_reply(call, response)

    def _stream(self, call: PreparedCall) -> ImageStream[Any]:
        response = self.http_client.send(call.build(self.http_client, self._timeout), stream=True)
        try:
            if not response.is_success:
                response.read()
            return ImageStream(response, StreamChecker.open(call, response))
        except BaseException:
            response.close()
            raise

    def close(self) -> None:
        """Close the http client, unless the caller passed it in."""
        if self._owns_http:
            self.http_client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncImagegenClient(_ClientBase[httpx.AsyncClient]):
    """Asynchronous client over an ``httpx.AsyncClient``; the same arguments as :class:`ImagegenClient`.

    Image files are read in a worker thread. The streaming methods return at once; the request goes
    out on ``await``, ``async with`` or the first ``async for`` step, whichever comes first.
    """

    def _new_http_client(self, timeout: httpx.Timeout) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=timeout)

    async def generate(self, prompt: str, **params: Any) -> ImagesResponse:
        """``POST /images/generations``."""
        return await self._send(self._generate_call(prompt, params))

    def generate_stream(self, prompt: str, **params: Any) -> AsyncImageStream[ImageGenStreamEvent]:
        """``POST /images/generations`` with ``stream=true``: the typed events, as they arrive."""
        return AsyncImageStream(
            self._stream, functools.partial(self._generate_call, prompt, params, stream=True)
        )

    async def edit(
        self, image: ImageInput, prompt: str, *, mask: ImageFile | None = None, **params: Any
    ) -> ImagesResponse:
        """``POST /images/edits`` (multipart); ``image`` may be a list of images."""
        images = {"image": image, "mask": mask}
        return await self._send(await self._read_upload_call("edits", images, {"prompt": prompt, **params}))

    def edit_stream(
        self, image: ImageInput, prompt: str, *, mask: ImageFile | None = None, **params: Any
    ) -> AsyncImageStream[ImageEditStreamEvent]:
        """``POST /images/edits`` with ``stream=true``."""
        images = {"image": image, "mask": mask}
        prepare = functools.partial(
            self._upload_call, "edits", images, {"prompt": prompt, **params}, stream=True
        )
        return AsyncImageStream(self._stream, prepare, in_thread=True)

    async def create_variation(self, image: ImageFile, **params: Any) -> ImagesResponse:
        """``POST /images/variations`` (dall-e-2 only)."""
        return await self._send(await self._read_upload_call("variations", {"image": image}, params))

    async def _read_upload_call(
        self, endpoint: Endpoint, images: Mapping[str, object], params: Mapping[str, Any]
    ) -> PreparedCall:
        # Reading paths and file objects blocks; keep it off the event loop.
        return await anyio.to_thread.run_sync(functools.partial(self._upload_call, endpoint, images, params))

    async def _send(self, call: PreparedCall) -> ImagesResponse:
        response = await self.http_client.send(call.build(self.http_client, self._timeout))
        return read_json_reply(call, response)

    async def _stream(self, call: PreparedCall) -> tuple[httpx.Response, StreamChecker[Any]]:
        response = await self.http_client.send(call.build(self.http_client, self._timeout), stream=True)
        try:
            if not response.is_success:
                await response.aread()
            return response, StreamChecker.open(call, response)
        except BaseException:
            await response.aclose()
            raise

    async def close(self) -> None:
        """Close the http client, unless the caller passed it in."""
        if self._owns_http:
            await self.http_client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


class ImageStream(Generic[StreamEventT]):
    """The events of one streamed reply, checked as they arrive; closes its response when exhausted,
    on :meth:`close`, or on leaving a ``with`` block."""

    def __init__(self, response: httpx.Response, checker: StreamChecker[StreamEventT]) -> None:
        #: The open ``httpx.Response`` (headers available at once, body read as you iterate).
        self.response = response
        self._events = self._iterate(checker)

    def _iterate(self, checker: StreamChecker[StreamEventT]) -> Generator[StreamEventT, None, None]:
        try:
            for chunk in self.response.iter_bytes():
                yield from checker.feed(chunk)
                if checker.done:
                    break
            checker.finish()
        finally:
            self.response.close()

    def __iter__(self) -> Iterator[StreamEventT]:
        return self

    def __next__(self) -> StreamEventT:
        return next(self._events)

    def close(self) -> None:
        """Stop reading and release the connection."""
        self._events.close()
        self.response.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncImageStream(Generic[StreamEventT]):
    """The async counterpart of :class:`ImageStream`: ``async for``, ``async with``, or ``await`` it to
    send the request and get the stream with its ``response``."""

    def __init__(
        self,
        open_stream: Callable[[PreparedCall], Awaitable[tuple[httpx.Response, StreamChecker[StreamEventT]]]],
        prepare: Callable[[], PreparedCall],
        *,
        in_thread: bool = False,
    ) -> None:
        self._open_stream = open_stream
        self._prepare = prepare
        self._in_thread = in_thread
        self._events: AsyncGenerator[StreamEventT, None] | None = None
        #: The open ``httpx.Response`` once the request went out.
        self.response: httpx.Response | None = None

    async def _start(self) -> AsyncGenerator[StreamEventT, None]:
        if self._events is None:
            call = await anyio.to_thread.run_sync(self._prepare) if self._in_thread else self._prepare()
            self.response, checker = await self._open_stream(call)
            self._events = self._iterate(self.response, checker)
        return self._events

    @staticmethod
    async def _iterate(
        response: httpx.Response, checker: StreamChecker[StreamEventT]
    ) -> AsyncGenerator[StreamEventT, None]:
        try:
            async for chunk in response.aiter_bytes():
                for event in checker.feed(chunk):
                    yield event
                if checker.done:
                    break
            checker.finish()
        finally:
            await response.aclose()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> StreamEventT:
        events = await self._start()
        return await events.__anext__()

    def __await__(self) -> Generator[Any, None, Self]:
        return self._started().__await__()

    async def _started(self) -> Self:
        await self._start()
        return self

    async def aclose(self) -> None:
        """Stop reading and release the connection."""
        if self._events is not None:
            await self._events.aclose()
        if self.response is not None:
            await self.response.aclose()

    async def __aenter__(self) -> Self:
        await self._start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
