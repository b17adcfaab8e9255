"""urllib3's stub: ``HTTPConnectionPool.urlopen``, which requests, botocore (boto3) and urllib3 itself call.

Loaded only when ``urllib3.connectionpool`` already is (see the package docstring). While no cassette
is active every call goes to the real ``urlopen``. With one active:

- replay: the reply is a ``urllib3.HTTPResponse`` built from the rendered chunks, no connection taken
  from the pool; ``stream()`` (what ``requests``' ``iter_content``/``iter_lines`` and botocore read
  through) yields the recorded chunks one by one, paced like the recording with
  ``replay_timing="recorded"``;
- record: the real ``urlopen`` sends it (to the bundled emulator's pool when recording from it), and the
  caller gets a response that reads the live one: each chunk reaches the caller as it arrives (HTTP
  chunked transfer: one chunk per ``stream()`` step, as urllib3 does) and is handed to the cassette,
  which records the interaction once the reply has been read in full (or the caller closed it: the rest
  is read first, so the cassette holds the whole reply).

Written against urllib3 2.x (what requests and botocore install today).
"""

from __future__ import annotations

import sys
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

from urllib3._collections import HTTPHeaderDict
from urllib3.connectionpool import HTTPConnectionPool, connection_from_url
from urllib3.response import HTTPResponse

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

# urlopen's parameters after ``headers``, for the rare caller that passes them by position.
_POSITIONAL = (
    "retries",
    "redirect",
    "assert_same_host",
    "timeout",
    "pool_timeout",
    "release_conn",
    "chunked",
    "body_pos",
    "preload_content",
    "decode_content",
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


class _Replayed:
    """A recorded reply's body as a file urllib3 reads, served chunk by chunk."""

    def __init__(self, chunks: list[bytes], waits: list[float]) -> None:
        self._pending = deque(zip(chunks, waits, strict=True))
        self._buffer = b""
        self.closed = False

    def next_size(self) -> int:
        """Bytes left of the current chunk, moving to the next one when it is used up (0: the end)."""
        if not self._buffer and self._pending:
            chunk, wait = self._pending.popleft()
            if wait > 0:  # only with replay_timing="recorded"
                time.sleep(wait)
            self._buffer = chunk
        return len(self._buffer)

    def read(self, amt: int | None = None) -> bytes:
        if amt is None or amt < 0:
            parts = []
            while self.next_size():
                parts.append(self._buffer)
                self._buffer = b""
            self.closed = True
            return b"".join(parts)
        self.next_size()
        data, self._buffer = self._buffer[:amt], self._buffer[amt:]
        if not data:
            self.closed = True
        return data

    read1 = read

    def close(self) -> None:
        self.closed = True


class _Teed(_Replayed):
    """A live reply's body: each raw chunk is read when the caller asks for it, and handed to the
    recorder; the interaction is recorded when the body ends."""

    def __init__(self, live: HTTPResponse, recorder: Recorder, header_items: list[tuple[str, str]]) -> None:
        super().__init__([], [])
        self._live, self._recorder, self._items = live, recorder, header_items
        if live.chunked and live.supports_chunked_reads():
            self._chunks: Iterator[bytes] = live.read_chunked(None, decode_content=False)
        else:
            self._chunks = iter(lambda: live.read1(2**16, decode_content=False), b"")

    def next_size(self) -> int:
        if self._buffer or self._recorder.done or self._recorder.failed:
            return len(self._buffer)
        try:
            chunk = next(self._chunks, b"")
        except BaseException:
            self._recorder.failed = True  # a cut reply is no recording
            self._live.release_conn()
            raise
        if chunk:
            self._recorder.add(chunk)
            self._buffer = chunk
            return len(chunk)
        live = self._live
        self._recorder.finish(live.status, live.reason or "", self._items)
        live.release_conn()
        return 0

    def close(self) -> None:
        try:
            if not (self._recorder.done or self._recorder.failed):
                # The caller stopped early: read the rest so the cassette holds the whole reply.
                while self.next_size():
                    self._buffer = b""
        finally:
            self.closed = True
            self._live.release_conn()


class _Response(HTTPResponse):
    """urllib3's own response class, whose ``stream()`` yields the body one source chunk at a time."""

    def __init__(self, source: _Replayed, *, encoded: bool, **kwargs: Any) -> None:
        self._imagegen_source = source
        self._imagegen_encoded = encoded
        super().__init__(body=source, **kwargs)  # type: ignore[arg-type]  # a file, as urllib3 reads one

    def stream(
        self, amt: int | None = 2**16, decode_content: bool | None = None
    ) -> Generator[bytes, None, None]:
        if self._imagegen_encoded:  # urllib3 decodes: its own reads, which may join chunks
            yield from super().stream(amt, decode_content)
            return
        source = self._imagegen_source
        while size := source.next_size():
            while size > 0:
                data = self.read(min(size, amt) if amt else size, decode_content=decode_content)
                if not data:
                    return
                size -= len(data)
                yield data


def _absolute(pool: HTTPConnectionPool, url: str) -> str:
    if not url.startswith("/"):
        return url  # a proxy request names the whole URL
    host = pool.host or ""
    host = f"[{host}]" if ":" in host else host
    port = "" if pool.port in (None, _DEFAULT_PORTS.get(pool.scheme)) else f":{pool.port}"
    return f"{pool.scheme}://{host}{port}{url}"


def _body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body)
    if hasattr(body, "read"):
        data = body.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return b"".join(part.encode("utf-8") if isinstance(part, str) else bytes(part) for part in body)


def _library(headers: list[tuple[str, str]]) -> str:
    """The library that sent it, for the cassette's metadata: told by the user-agent it sets."""
    agent = next((v for k, v in headers if k.lower() == "user-agent"), "")
    name = "urllib3"
    if agent.startswith("python-requests"):
        name = "requests"
    elif agent.startswith(("Boto3", "Botocore", "aws-sdk")):
        name = "botocore"
    version = getattr(sys.modules.get(name), "__version__", None)
    return f"{name} {version}" if isinstance(version, str) else name


_EMULATOR_POOLS: dict[str, HTTPConnectionPool] = {}


def _stub(real: Callable[..., Any]) -> Callable[..., Any]:
    def urlopen(
        pool: HTTPConnectionPool,
        method: str,
        url: str,
        body: Any = None,
        headers: Any = None,
        *args: Any,
        **kw: Any,
    ) -> Any:
        __tracebackhide__ = True
        cassette = stubs.active()
        if cassette is None:
            return real(pool, method, url, body, headers, *args, **kw)
        kw.update(zip(_POSITIONAL, args, strict=False))
        full = _absolute(pool, url)
        data = _body_bytes(body)
        items = str_pairs((pool.headers if headers is None else headers).items())
        wire = WireHeaders(items, _library(items))
        request, index = lookup(cassette, method, full, wire, data)
        preload, decode = kw.pop("preload_content", True), kw.pop("decode_content", True)
        if index is not None:
            cassette.check_contract(index)
            rendered = cassette.rendered(index)
            source = _Replayed(rendered.chunks, delays(rendered, cassette.config.replay_timing))
            reply_headers = rendered.library_headers.get("urllib3")
            if reply_headers is None:  # built once per interaction, as the httpx stubs do
                reply_headers = rendered.library_headers["urllib3"] = HTTPHeaderDict(rendered.headers)
            return _Response(
                source,
                encoded=False,
                headers=reply_headers,
                status=rendered.status,
                reason=rendered.reason.decode("ascii", "replace"),
                preload_content=preload,
                decode_content=decode,
                request_method=method,
                request_url=full,
                enforce_content_length=False,
            )
        assert request is not None
        target = destination(cassette, method, full, wire)
        send = dict(items)
        if target is not None:
            parts = urlsplit(target)
            base = f"{parts.scheme}://{parts.netloc}"
            pool = _EMULATOR_POOLS.get(base) or _EMULATOR_POOLS.setdefault(base, connection_from_url(base))
            url = parts.path + (f"?{parts.query}" if parts.query else "")
            send = {k: v for k, v in send.items() if k.lower() != "host"}
            kw["assert_same_host"] = False
        recorder = Recorder(cassette, request)
        live = real(pool, method, url, data, send, preload_content=False, decode_content=decode, **kw)
        header_items = str_pairs(live.headers.items())
        encoded = any(k.lower() == "content-encoding" for k, _ in header_items)
        return _Response(
            _Teed(live, recorder, header_items),
            encoded=encoded,
            headers=live.headers,
            status=live.status,
            version=live.version,
            reason=live.reason,
            preload_content=preload,
            decode_content=decode,
            original_response=getattr(live, "_original_response", None),  # cookies, for requests
            request_method=method,
            request_url=full,
            enforce_content_length=False,
        )

    urlopen.imagegen_stub = True  # type: ignore[attr-defined]
    return urlopen


def install(module: ModuleType) -> None:
    """Put the stub on ``HTTPConnectionPool.urlopen`` unless it is there (wrapping whatever another tool
    installed meanwhile, which then serves requests while no cassette is active)."""
    pool_class = module.HTTPConnectionPool
    current = pool_class.urlopen
    if getattr(current, "imagegen_stub", False):
        return
    pool_class.urlopen = _stub(current)
