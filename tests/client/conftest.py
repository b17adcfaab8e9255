"""Fixtures for the client tests: the session emulator (log cleared per test) and both clients behind one
facade, so each behaviour is written once and run against ``ImagegenClient`` and ``AsyncImagegenClient``."""

from __future__ import annotations

import contextlib
import io
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from pytest_imagegen.client import AsyncImagegenClient, ImagegenClient
from pytest_imagegen.emulator import Emulator

KEY = "sk-test-client-0000"


def png(size: int = 64, mode: str = "RGBA") -> bytes:
    """A small square PNG (the emulator and the contract read real bytes)."""
    out = io.BytesIO()
    Image.new(mode, (size, size), (200, 40, 40, 255) if mode == "RGBA" else (200, 40, 40)).save(out, "PNG")
    return out.getvalue()


def jpeg(size: int = 64) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), (40, 40, 200)).save(out, "JPEG")
    return out.getvalue()


class Api:
    """One client behind an async facade: the sync client is called directly, the async one awaited."""

    def __init__(self, client: ImagegenClient | AsyncImagegenClient) -> None:
        self.client = client
        self.is_async = isinstance(client, AsyncImagegenClient)

    async def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        result = getattr(self.client, method)(*args, **kwargs)
        return await result if self.is_async else result

    @contextlib.asynccontextmanager
    async def stream(self, method: str, *args: Any, **kwargs: Any) -> AsyncIterator[AsyncIterator[Any]]:
        """The stream's events one by one, inside the stream's own (async) context manager."""
        stream = getattr(self.client, method)(*args, **kwargs)
        if self.is_async:
            async with stream:
                yield stream
        else:
            with stream:
                yield _aiter(stream)

    async def events(self, method: str, *args: Any, **kwargs: Any) -> list[Any]:
        async with self.stream(method, *args, **kwargs) as events:
            return [event async for event in events]

    async def close(self) -> None:
        if isinstance(self.client, AsyncImagegenClient):
            await self.client.close()
        else:
            self.client.close()


async def _aiter(events: Iterator[Any]) -> AsyncIterator[Any]:
    for event in events:
        yield event


@pytest.fixture
def emulator(imagegen_emulator: Emulator) -> Emulator:
    """The session's emulator with an empty request log and no pending faults."""
    imagegen_emulator.reset()
    return imagegen_emulator


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def make_api(kind: str, emulator: Emulator) -> AsyncIterator[Callable[..., Api]]:
    """Build a client of this test's kind; the emulator and a valid key unless told otherwise."""
    made: list[Api] = []

    def make(**config: Any) -> Api:
        if "azure_endpoint" not in config:
            config.setdefault("base_url", emulator.base_url)
        config.setdefault("api_key", KEY)
        api = Api(ImagegenClient(**config) if kind == "sync" else AsyncImagegenClient(**config))
        made.append(api)
        return api

    yield make
    for api in made:
        await api.close()


@pytest.fixture
def api(make_api: Callable[..., Api]) -> Api:
    return make_api()


class ChunkLog:
    """Raw body chunks as the transport hands them to the client, to see how far the client has read."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.ended = False

    @property
    def data(self) -> bytes:
        return b"".join(self.chunks)

    def http_client(self, kind: str) -> httpx.Client | httpx.AsyncClient:
        """A real-socket httpx client of ``kind`` whose response bodies pass through this log."""
        if kind == "sync":
            return httpx.Client(transport=_LoggedTransport(self))
        return httpx.AsyncClient(transport=_AsyncLoggedTransport(self))


class _LoggedStream(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, log: ChunkLog) -> None:
        self.inner, self.log = inner, log

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.inner:
            self.log.chunks.append(chunk)
            yield chunk
        self.log.ended = True

    def close(self) -> None:
        self.inner.close()


class _AsyncLoggedStream(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, log: ChunkLog) -> None:
        self.inner, self.log = inner, log

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self.inner:
            self.log.chunks.append(chunk)
            yield chunk
        self.log.ended = True

    async def aclose(self) -> None:
        await self.inner.aclose()


class _LoggedTransport(httpx.HTTPTransport):
    def __init__(self, log: ChunkLog) -> None:
        super().__init__()
        self.log = log

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        assert isinstance(response.stream, httpx.SyncByteStream)
        response.stream = _LoggedStream(response.stream, self.log)
        return response


class _AsyncLoggedTransport(httpx.AsyncHTTPTransport):
    def __init__(self, log: ChunkLog) -> None:
        super().__init__()
        self.log = log

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _AsyncLoggedStream(response.stream, self.log)
        return response
