"""aiohttp's stub: ``ClientSession._request``, which ``session.get/post/request`` (and the SDKs that send
through aiohttp: google-genai's async client, ``openai``'s aiohttp client) all call.

Loaded only when ``aiohttp.client`` already is (see the package docstring); it imports aiohttp's
submodules, never the package root, because it may run while ``aiohttp/__init__`` is still importing.
While no cassette is active every call goes to the real ``_request``. With one active:

- the body is made as aiohttp would make it (``json=`` with the session's serializer, ``data=`` bytes,
  text, a dict or ``FormData`` as a form or multipart, a file), so the cassette sees the bytes that go
  out, and a recording sends exactly those bytes;
- replay: a ``ClientResponse`` whose ``content`` is aiohttp's own ``StreamReader`` holding the recorded
  chunks, each marked as one HTTP chunk: ``iter_chunks()`` gives them one by one, ``async for line``
  gives lines, ``read()``/``json()``/``text()`` the whole body; with ``replay_timing="recorded"`` they
  are fed at their recorded offsets;
- record: the real ``_request`` sends it (to the bundled emulator when recording from it); a task reads
  the live body chunk by chunk as it arrives, passes each chunk to the caller's stream at once and to the
  cassette, which records the interaction when the body ends. ``raise_for_status`` is applied after the
  reply is read, so an error reply is recorded too, as on the httpx path.
  A caller that leaves the body unread and releases the response early cuts the read: nothing is
  recorded for it (a cut reply is no recording).

Redirects are followed by aiohttp while recording; the cassette holds the final reply, and replay gives
it with an empty ``history``.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
from collections.abc import Awaitable, Callable, Coroutine
from http.cookies import CookieError
from types import ModuleType, SimpleNamespace
from typing import Any

from aiohttp.client_reqrep import ClientResponse, RequestInfo
from aiohttp.formdata import FormData
from aiohttp.payload import Payload, get_payload
from aiohttp.streams import StreamReader
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from pytest_imagegen.cassette import stubs
from pytest_imagegen.cassette.libraries.common import (
    Recorder,
    WireHeaders,
    delays,
    destination,
    lookup,
    str_pairs,
)

__all__ = ["install"]

_LIMIT = 2**24  # one SSE line may hold a whole base64 image
# aiohttp 3.14 made ``stream_writer`` a required argument (a replayed request was "sent": size 0).
_TAKES_WRITER = "stream_writer" in inspect.signature(ClientResponse.__init__).parameters
_TASKS: set[asyncio.Task[None]] = set()


class _NoConnection:
    """What a ``StreamReader`` needs of a protocol, for a body that is not read from a socket."""

    _reading_paused = False
    connected = True  # a reader waits for data only while its protocol is connected

    def pause_reading(self) -> None:
        pass

    def resume_reading(self, resume_parser: bool = True) -> None:
        pass


def _reader() -> StreamReader:
    return StreamReader(_NoConnection(), _LIMIT, loop=asyncio.get_running_loop())  # type: ignore[arg-type]


def _feed(reader: StreamReader, chunk: bytes) -> None:
    reader.begin_http_chunk_receiving()
    reader.feed_data(chunk)
    reader.end_http_chunk_receiving()


def _spawn(work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
    task = asyncio.get_running_loop().create_task(work)
    _TASKS.add(task)
    task.add_done_callback(_TASKS.discard)
    return task


async def _paced(reader: StreamReader, chunks: list[bytes], waits: list[float]) -> None:
    for chunk, wait in zip(chunks, waits, strict=True):
        await asyncio.sleep(wait)
        _feed(reader, chunk)
    reader.feed_eof()


async def _body(session: Any, kw: dict[str, Any]) -> tuple[bytes, str | None]:
    """The bytes aiohttp would send for ``data=``/``json=``, and their content type when aiohttp sets it."""
    data, payload_json = kw.get("data"), kw.get("json")
    if payload_json is not None:
        dumps = getattr(session, "json_serialize", json.dumps)
        return dumps(payload_json).encode("utf-8"), "application/json"
    if data is None:
        return b"", None
    payload: Payload
    if isinstance(data, FormData):
        payload = data()
    elif isinstance(data, dict | list | tuple):
        payload = FormData(data)()
    else:
        payload = get_payload(data)
    if hasattr(payload, "as_bytes"):  # aiohttp 3.12 and later
        return await payload.as_bytes(), payload.content_type
    parts: list[bytes] = []

    class Collect:
        async def write(self, data: bytes) -> None:
            parts.append(bytes(data))

    await payload.write(Collect())  # type: ignore[arg-type]
    return b"".join(parts), payload.content_type


def _url(session: Any, str_or_url: Any, params: Any) -> URL:
    build = getattr(session, "_build_url", None)  # applies the session's base_url
    url = build(str_or_url) if build is not None else URL(str(str_or_url))
    return url.extend_query(params) if params else url


async def _apply_raise_for_status(session: Any, wanted: Any, response: ClientResponse) -> None:
    if wanted is None:
        wanted = getattr(session, "raise_for_status", False)
    if callable(wanted):
        await wanted(response)
    elif wanted:
        response.raise_for_status()


async def _never(response: ClientResponse) -> None:
    pass


def _replayed(
    session: Any, method: str, url: URL, headers: list[tuple[str, str]], rendered: Any, timing: str
) -> Any:
    loop = asyncio.get_running_loop()
    info = RequestInfo(url, method, CIMultiDictProxy(CIMultiDict(headers)), url)
    extra: dict[str, Any] = {"stream_writer": SimpleNamespace(output_size=0)} if _TAKES_WRITER else {}
    response = ClientResponse(
        method,
        url,
        writer=None,
        continue100=None,
        timer=None,  # type: ignore[arg-type]
        request_info=info,
        traces=[],
        loop=loop,
        session=session,
        **extra,
    )
    reply_headers = CIMultiDict(rendered.headers)
    response.status = rendered.status
    response.reason = rendered.reason.decode("ascii", "replace")
    response._headers = CIMultiDictProxy(reply_headers)  # aiohttp's own fields, as its parser sets them
    response._raw_headers = tuple((k.encode("latin-1"), v.encode("latin-1")) for k, v in rendered.headers)
    for value in reply_headers.getall("set-cookie", ()):
        with contextlib.suppress(CookieError):  # as aiohttp, which skips a cookie it cannot parse
            response.cookies.load(value)
    reader = _reader()
    waits = delays(rendered, timing)
    if any(waits):
        _spawn(_paced(reader, rendered.chunks, waits))
    else:
        for chunk in rendered.chunks:
            _feed(reader, chunk)
        reader.feed_eof()
    response.content = reader
    return response


async def _pump(
    live: ClientResponse,
    source: StreamReader,
    reader: StreamReader,
    recorder: Recorder,
    items: list[tuple[str, str]],
) -> None:
    try:
        while True:
            chunk, _ = await source.readchunk()
            if not chunk:
                if source.at_eof():
                    break
                continue
            recorder.add(chunk)
            _feed(reader, chunk)
    except BaseException as exc:
        recorder.failed = True  # a cut reply is no recording
        reader.set_exception(exc if isinstance(exc, Exception) else ConnectionError("cancelled"))
        if not isinstance(exc, Exception):
            raise
        return
    try:
        recorder.finish(live.status, live.reason or "", items)
    except Exception as exc:  # refused (a leak, the contract): the reader raises it, or it would wait forever
        reader.set_exception(exc)
        return
    reader.feed_eof()


def _stub(real: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    async def _request(session: Any, method: str, str_or_url: Any, **kw: Any) -> Any:
        __tracebackhide__ = True
        cassette = stubs.active()
        if cassette is None:
            return await real(session, method, str_or_url, **kw)
        url = _url(session, str_or_url, kw.get("params"))
        body, content_type = await _body(session, kw)
        sent = CIMultiDict(session.headers)
        sent.update(CIMultiDict(kw.get("headers") or {}))
        if content_type and "content-type" not in sent:
            sent["content-type"] = content_type
        items = str_pairs(sent.items())
        auth = kw.get("auth") or getattr(session, "auth", None)
        if auth is not None and "authorization" not in sent:  # as aiohttp will send it: redacted, kept
            items.append(("authorization", auth.encode()))
        wire = WireHeaders(items, _library())
        request, index = lookup(cassette, method, str(url), wire, body)
        wanted = kw.pop("raise_for_status", None)
        if index is not None:
            cassette.check_contract(index)
            rendered = cassette.rendered(index)
            response = _replayed(session, method, url, items, rendered, cassette.config.replay_timing)
            await _apply_raise_for_status(session, wanted, response)
            return response
        assert request is not None
        target = destination(cassette, method, str(url), wire)
        send_url = URL(target) if target is not None else url
        if target is not None:
            sent.popall("host", None)
        for name in ("params", "json", "data", "headers"):
            kw.pop(name, None)
        recorder = Recorder(cassette, request)
        live = await real(session, method, send_url, data=body, headers=sent, raise_for_status=_never, **kw)
        header_items = str_pairs(live.headers.items())
        decompress = kw.get("auto_decompress")
        if decompress if decompress is not None else getattr(session, "auto_decompress", True):
            # aiohttp hands over the decoded body: store it as such.
            header_items = [
                (k, v) for k, v in header_items if k.lower() not in ("content-encoding", "content-length")
            ]
        reader = _reader()
        pump = _spawn(_pump(live, live.content, reader, recorder, header_items))
        live.content = reader
        if live.status >= 400 and (
            wanted if wanted is not None else getattr(session, "raise_for_status", False)
        ):
            await asyncio.shield(pump)  # raising releases the connection: the error reply is read first
        await _apply_raise_for_status(session, wanted, live)
        return live

    _request.imagegen_stub = True  # type: ignore[attr-defined]
    return _request


def _library() -> str:
    import sys

    version = getattr(sys.modules.get("aiohttp"), "__version__", None)
    return f"aiohttp {version}" if isinstance(version, str) else "aiohttp"


def install(module: ModuleType) -> None:
    """Put the stub on ``ClientSession._request`` unless it is there (see ``urllib3_stub.install``)."""
    session_class = module.ClientSession
    current = session_class._request
    if getattr(current, "imagegen_stub", False):
        return
    session_class._request = _stub(current)
