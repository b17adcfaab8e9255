"""Transport stubs for httpx and httpx2, in place whenever a cassette is active, serving it.

vcrpy's own httpx stub joins the whole response stream before the caller sees a byte and replays the
body as one chunk, and vcrpy patches and unpatches every library around each test. These stubs instead
tee the real stream while recording (each chunk reaches the caller as it arrives, with its arrival
offset kept) and replay SSE replies one event per chunk, instantly or paced like the recording; they are
put on the transports while a cassette is active, and what they replaced is put back when the last
active cassette is deactivated (as ``monkeypatch`` does: last in, first out). httpx and httpx2 share one
implementation: only the module differs (the two packages have the same transport API).

Other tools patch the same methods: pytest-httpx's ``httpx_mock`` and any test's
``monkeypatch.setattr(httpx.HTTPTransport, "handle_request", ...)`` replace them for a test and put back
what they found when it ends. So the stubs never assume they are still in place, nor that what they
replaced is the real transport:

- ``activate`` puts them on the transports whenever they are not there (four attribute reads when they
  are), whatever ran before: a cassette is always served by them first;
- each time they are put in place, they are made anew around what they replace, and pass requests on
  to it (recording, or a request while no cassette is active): the real transport, or a mock the same
  test set up before its cassette (it answers the test's recordings, as the test asked). A layer that
  some tool's undo puts back later still passes on to what it replaced then, so no function an earlier
  test left is ever called;
- ``deactivate`` of the last cassette puts back what the stubs replaced, unless something has replaced
  them since: a tool that patches *while* a cassette is active wins for that test (a mock set up after
  the cassette answers what it mocks and hands the rest to the stubs it found) and its own undo puts the
  stubs back. One that sends around them meets the network block of record mode ``none``
  (``network.py``), so nothing leaves the machine either way.

The active cassette is a process-wide stack, not a ``ContextVar``: application code under test may send
from threads it starts itself (a thread pool, a worker), and those threads must see the test's cassette
too. pytest runs one test at a time per process (xdist workers are processes), so one stack is exact.
"""

from __future__ import annotations

import contextlib
import functools
import sys
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Any

from pytest_imagegen.cassette import libraries
from pytest_imagegen.cassette.requests import LiveReply
from pytest_imagegen.errors import (
    DUMMY_API_KEY,
    EMULATOR_NO_ROUTE_HEADER,
    EmulatorCannotAnswer,
    RecordingNeedsKeyError,
)

if TYPE_CHECKING:
    from pytest_imagegen.cassette.core import ImagegenCassette
    from pytest_imagegen.cassette.rendering import Rendered
    from pytest_imagegen.cassette.requests import LiveRequest

__all__ = ["activate", "active", "deactivate", "in_place", "install", "uninstall"]

DUMMY_KEY_BYTES = DUMMY_API_KEY.encode("ascii")


_NAMES = ("httpx", "httpx2")


def _modules() -> list[ModuleType]:
    """httpx and httpx2 as far as the application has imported them: never imported to be patched (one
    imported while a cassette is active is patched right after its import: ``libraries.STUBS``)."""
    return [sys.modules[name] for name in _NAMES if name in sys.modules]


# Each stub ever put in place -> the method it replaced (and passes requests on to).
_BELOW: weakref.WeakKeyDictionary[Callable[..., Any], Callable[..., Any]] = weakref.WeakKeyDictionary()


class _ReplayStream:
    def __init__(self, chunks: list[bytes], delays: list[float]) -> None:
        self._chunks, self._delays = chunks, delays

    def __iter__(self) -> Iterator[bytes]:
        for chunk, delay in zip(self._chunks, self._delays, strict=True):
            if delay > 0:  # only with replay_timing="recorded"
                time.sleep(delay)
            yield chunk

    def close(self) -> None:
        pass


class _AsyncReplayStream(_ReplayStream):
    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk, delay in zip(self._chunks, self._delays, strict=True):
            if delay > 0:
                import anyio  # only paced replay waits (replay_timing="recorded")

                await anyio.sleep(delay)
            yield chunk

    async def aclose(self) -> None:
        pass


class _TeeStream:
    """Passes each real chunk on as it arrives and hands all of them to the recorder at the end."""

    def __init__(self, inner: Any, recorder: _Recorder) -> None:
        self._inner, self._recorder = inner, recorder
        self._iterator: Iterator[bytes] | None = None

    def __iter__(self) -> Iterator[bytes]:
        self._iterator = iter(self._inner)
        with self._recorder.guard():
            for chunk in self._iterator:
                self._recorder.add(chunk)
                yield chunk
        self._recorder.finish()

    def close(self) -> None:
        try:
            if not (self._recorder.done or self._recorder.failed):
                # The caller stopped early: read the rest so the cassette holds the whole reply.
                for chunk in self._iterator or iter(self._inner):
                    self._recorder.add(chunk)
                self._recorder.finish()
        finally:
            self._inner.close()


class _AsyncTeeStream:
    def __init__(self, inner: Any, recorder: _Recorder) -> None:
        self._inner, self._recorder = inner, recorder
        self._iterator: AsyncIterator[bytes] | None = None

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self._iterator = self._inner.__aiter__()
        with self._recorder.guard():
            async for chunk in self._iterator:
                self._recorder.add(chunk)
                yield chunk
        self._recorder.finish()

    async def aclose(self) -> None:
        try:
            if not (self._recorder.done or self._recorder.failed):
                async for chunk in self._iterator or self._inner.__aiter__():
                    self._recorder.add(chunk)
                self._recorder.finish()
        finally:
            await self._inner.aclose()


@functools.cache
def _stream_classes(module: ModuleType) -> tuple[type, type, type, type]:
    """The streams above, also deriving from the module's own base classes (httpx checks isinstance)."""
    sync_base, async_base = module.SyncByteStream, module.AsyncByteStream
    return (
        type("ReplayStream", (_ReplayStream, sync_base), {}),
        type("AsyncReplayStream", (_AsyncReplayStream, async_base), {}),
        type("TeeStream", (_TeeStream, sync_base), {}),
        type("AsyncTeeStream", (_AsyncTeeStream, async_base), {}),
    )


class _Recorder:
    """Collects a real response's chunks with their arrival offsets, then stores the interaction."""

    def __init__(
        self, cassette: ImagegenCassette, request: LiveRequest, response: Any, started: float
    ) -> None:
        self.cassette, self.request, self.response, self.started = cassette, request, response, started
        self.chunks: list[bytes] = []
        self.offsets: list[float] = []
        self.done = False
        self.failed = False

    @contextlib.contextmanager
    def guard(self) -> Iterator[None]:
        """A read that fails (a dropped connection) records nothing: a cut reply is no recording."""
        try:
            yield
        except GeneratorExit:
            raise
        except BaseException:
            self.failed = True
            raise

    def add(self, chunk: bytes) -> None:
        self.chunks.append(chunk)
        self.offsets.append((time.perf_counter() - self.started) * 1000.0)

    def finish(self) -> None:
        __tracebackhide__ = True  # its locals hold the live reply's headers (cookies, organization)
        if self.done:
            return
        self.done = True
        reason = self.response.extensions.get("reason_phrase", b"")
        reply = LiveReply(
            status=self.response.status_code,
            reason=reason.decode("ascii", "replace") if isinstance(reason, bytes) else str(reason),
            header_items=self.response.headers.multi_items(),
            chunks=self.chunks,
            chunk_offsets_ms=self.offsets,
        )
        self.cassette.record(self.request, reply)


def _delays(rendered: Rendered, timing: str) -> list[float]:
    """Seconds to wait before each chunk: with ``recorded`` timing, until its recorded offset (offsets that
    go back in time wait nothing, so the waits add up to the latest offset at most)."""
    if timing != "recorded":
        return [0.0] * len(rendered.chunks)
    previous, delays = 0.0, []
    for offset in rendered.offsets_ms:
        delays.append(max(0.0, (offset - previous) / 1000.0))
        previous = max(previous, offset)
    return delays


def _replay_response(module: ModuleType, cassette: ImagegenCassette, index: int, *, is_async: bool) -> Any:
    cassette.check_contract(index)
    rendered = cassette.rendered(index)
    replay_cls, async_replay_cls, _, _ = _stream_classes(module)
    stream_cls = async_replay_cls if is_async else replay_cls
    headers = rendered.library_headers.get(module.__name__)
    if headers is None:
        headers = rendered.library_headers[module.__name__] = module.Headers(rendered.headers)
    return module.Response(
        rendered.status,
        headers=headers,
        stream=stream_cls(rendered.chunks, _delays(rendered, cassette.config.replay_timing)),
        extensions={"reason_phrase": rendered.reason},
    )


def _lookup(
    cassette: ImagegenCassette, real_request: Any, body: bytes
) -> tuple[LiveRequest | None, int | None]:
    # Hidden from tracebacks, as every frame here that holds the live request (its headers carry the
    # key): ``pytest --tb=long -l`` would print them.
    __tracebackhide__ = True
    method, url, headers = real_request.method, str(real_request.url), real_request.headers
    raw_key, _ = cassette.raw_key(method, url, headers, body)
    index = cassette.play_raw(raw_key)
    if index is not None:  # byte-identical to a recorded request: no parsing, redaction or fingerprint
        return None, index
    request = cassette.make_request(method, url, headers, body, raw_key=raw_key)
    index = cassette.play_index(request)
    if index is None and cassette.write_protected:
        raise cassette.miss(request)
    return request, index


_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def _outgoing(module: ModuleType, cassette: ImagegenCassette, real_request: Any) -> None:
    """Check, and maybe redirect, a request that is about to be recorded from a live service.

    While recording from the bundled emulator, a request to any other host goes to the emulator (the
    stored URI keeps the host the client asked for, ``https://api.openai.com/v1/...`` for an SDK left to
    its default, so a cassette shows the URL the application asked for); one the emulator has no route
    for is refused after its reply (``EmulatorCannotAnswer``), never recorded. A request carrying the
    dummy key (set when no key is) is never sent to anything but a loopback service.
    """
    __tracebackhide__ = True
    url = real_request.url
    if cassette.redirect_to is not None and url.host not in _LOOPBACK:
        target = module.URL(cassette.redirect_to)
        real_request.url = url.copy_with(scheme=target.scheme, host=target.host, port=target.port)
        real_request.headers["host"] = target.netloc.decode("ascii")
        return
    if url.host in _LOOPBACK:
        return
    # The key may travel in a header or in the query (the Gemini API's ``?key=``).
    if any(DUMMY_KEY_BYTES in value for _, value in real_request.headers.raw) or DUMMY_KEY_BYTES in url.query:
        raise RecordingNeedsKeyError(real_request.method, str(url), cassette.test_id)


_ACTIVE: list[ImagegenCassette] = []


def active() -> ImagegenCassette | None:
    """The cassette requests are served by now, if any."""
    return _ACTIVE[-1] if _ACTIVE else None


def activate(cassette: ImagegenCassette) -> None:
    """Serve httpx/httpx2 requests from ``cassette`` until ``deactivate`` (putting the stubs in place if
    something took them off since the last activation), and those of the other libraries the application
    imported (``libraries/``)."""
    install()
    libraries.activate()
    _ACTIVE.append(cassette)


def deactivate(cassette: ImagegenCassette) -> None:
    """Stop serving from ``cassette``; after the last one, put back what the stubs replaced."""
    if cassette in _ACTIVE:
        _ACTIVE.remove(cassette)
    if not _ACTIVE:
        uninstall()


def _unanswered(cassette: ImagegenCassette, response: Any) -> bool:
    """Whether the bundled emulator, recorded from, answered that it has no route for the request (its
    marked 404): such a reply is not the service's, so it is refused rather than recorded."""
    return cassette.redirect_to is not None and EMULATOR_NO_ROUTE_HEADER in response.headers


def _cannot_answer(cassette: ImagegenCassette, real_request: Any, asked: Any) -> EmulatorCannotAnswer:
    return EmulatorCannotAnswer(real_request.method, str(asked), asked.host, cassette.test_id)


def _answer(
    module: ModuleType, cassette: ImagegenCassette, real_request: Any, body: bytes, *, is_async: bool
) -> tuple[Any, LiveRequest | None]:
    """``(replayed response, None)``, or ``(None, request)`` when the request goes out to be recorded
    (after ``_outgoing`` has checked it may)."""
    __tracebackhide__ = True
    request, index = _lookup(cassette, real_request, body)
    if index is not None:
        return _replay_response(module, cassette, index, is_async=is_async), None
    assert request is not None
    _outgoing(module, cassette, real_request)
    return None, request


def _teed(module: ModuleType, recorder: _Recorder, *, is_async: bool) -> Any:
    """The real response, its stream read through ``recorder`` (which stores it once read in full)."""
    response = recorder.response
    tee_cls = _stream_classes(module)[3 if is_async else 2]
    response.stream = tee_cls(response.stream, recorder)
    return response


def _sync_stub(module: ModuleType, original: Callable[..., Any]) -> Callable[..., Any]:
    def handle_request(transport: Any, real_request: Any) -> Any:
        __tracebackhide__ = True
        if not _ACTIVE:
            return original(transport, real_request)
        cassette = _ACTIVE[-1]
        body = real_request.read()  # cached by httpx for most bodies; a streamed one is kept as bytes
        asked = real_request.url  # before _outgoing may redirect it to the emulator
        replayed, request = _answer(module, cassette, real_request, body, is_async=False)
        if request is None:
            return replayed
        started = time.perf_counter()
        real_response = original(transport, real_request)
        if _unanswered(cassette, real_response):
            real_response.close()
            raise _cannot_answer(cassette, real_request, asked)
        return _teed(module, _Recorder(cassette, request, real_response, started), is_async=False)

    return handle_request


def _async_stub(module: ModuleType, original: Callable[..., Any]) -> Callable[..., Any]:
    async def handle_async_request(transport: Any, real_request: Any) -> Any:
        __tracebackhide__ = True
        if not _ACTIVE:
            return await original(transport, real_request)
        cassette = _ACTIVE[-1]
        body = await real_request.aread()
        asked = real_request.url  # before _outgoing may redirect it to the emulator
        replayed, request = _answer(module, cassette, real_request, body, is_async=True)
        if request is None:
            return replayed
        started = time.perf_counter()
        real_response = await original(transport, real_request)
        if _unanswered(cassette, real_response):
            await real_response.aclose()
            raise _cannot_answer(cassette, real_request, asked)
        return _teed(module, _Recorder(cassette, request, real_response, started), is_async=True)

    return handle_async_request


def _methods(module: ModuleType) -> list[tuple[type, str, Callable[..., Callable[..., Any]]]]:
    return [
        (module.HTTPTransport, "handle_request", _sync_stub),
        (module.AsyncHTTPTransport, "handle_async_request", _async_stub),
    ]


def install(module: ModuleType | None = None) -> None:
    """Put the stubs on httpx's and httpx2's transport methods where they are not (made around what they
    replace); four attribute reads when they are. With ``module``, on that one only, if a cassette is
    active (the import hook's call for a module imported while one is)."""
    if module is not None and not _ACTIVE:
        return
    for target in _modules() if module is None else [module]:
        for owner, name, make in _methods(target):
            if owner.__dict__.get(name) in _BELOW:
                continue
            below = getattr(owner, name)
            stub = make(target, below)
            _BELOW[stub] = below
            setattr(owner, name, stub)


def in_place() -> bool:
    """Whether the stubs are the transports' methods now."""
    return all(
        owner.__dict__.get(name) in _BELOW for module in _modules() for owner, name, _ in _methods(module)
    )


def uninstall() -> None:
    """Put back what the stubs replaced (where nobody has replaced the stubs since)."""
    for module in _modules():
        for owner, name, _ in _methods(module):
            current = owner.__dict__.get(name)
            if current is not None and current in _BELOW:
                setattr(owner, name, _BELOW[current])
