"""Part (e) of ``speed.py``: the per-call cost of replay through ``requests`` and ``aiohttp``.

    python benchmarks/speed.py --only per-call-libraries [--runs 5] [--calls 500]

``--calls`` distinct interactions, recorded through each library from the emulator, each replayed once in
shuffled order in a fresh process, against a floor in the same kind of process returning the same bytes:

- requests: a ``requests.Session`` whose transport adapter (``requests.adapters.BaseAdapter``) answers
  every request with the rendered reply, no socket (as ``httpx.MockTransport`` is for httpx);
- aiohttp: an ``aiohttp.web`` server on 127.0.0.1 in the same process answering with the same bytes
  (aiohttp has no in-process transport): this floor pays a loopback socket the replay does not.

Each process first makes one untimed call (imports, connection, the first placeholder image). Nothing is
asserted; read the ratios.
"""

from __future__ import annotations

import asyncio
import io
import json
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["library_worker", "per_call_libraries", "record_library_calls"]

KEY = "sk-test-benchmark"
DEAD_BASE_URL = "http://127.0.0.1:9/v1"
PARAMS = {"model": "gpt-image-1.5", "size": "1024x1024", "quality": "low"}
IDS = {
    client: (f"bench.py::{client}_calls", f"bench.py::{client}_warmup") for client in ("requests", "aiohttp")
}


def record_library_calls(folder: Path, emulator: Any, calls: int) -> None:
    """Per library, a cassette of ``calls`` distinct interactions and a one-interaction warm-up one."""
    import aiohttp
    import requests

    from pytest_imagegen.cassette.session import open_cassette
    from pytest_imagegen.config import ImagegenConfig

    config = ImagegenConfig(cassette_dir=folder, record_mode="once")
    auth = {"authorization": f"Bearer {KEY}"}
    url = f"{emulator.base_url}/images/generations"
    with requests.Session() as session:
        for test_id, count in zip(IDS["requests"], (calls, 1), strict=True):
            with open_cassette(config, test_id):
                for i in range(count):
                    session.post(
                        url, json={"prompt": f"{test_id} {i}", **PARAMS}, headers=auth
                    ).raise_for_status()

    async def with_aiohttp() -> None:
        async with aiohttp.ClientSession(headers=auth, raise_for_status=True) as session:
            for test_id, count in zip(IDS["aiohttp"], (calls, 1), strict=True):
                with open_cassette(config, test_id):
                    for i in range(count):
                        async with session.post(url, json={"prompt": f"{test_id} {i}", **PARAMS}) as r:
                            await r.read()

    asyncio.run(with_aiohttp())


def _replies(folder: Path, client: str, calls: int) -> dict[str, tuple[list[tuple[str, str]], bytes]]:
    from pytest_imagegen.cassette.session import open_cassette
    from pytest_imagegen.config import ImagegenConfig

    replies = {}
    for test_id, count in zip(IDS[client], (calls, 1), strict=True):
        with open_cassette(ImagegenConfig(cassette_dir=folder), test_id) as cassette:
            for i in range(count):
                rendered = cassette.rendered(i)
                replies[f"{test_id} {i}"] = (rendered.headers, b"".join(rendered.chunks))
    return replies


def _requests_session(kind: str, replies: dict[str, tuple[list[tuple[str, str]], bytes]]) -> Any:
    import requests
    from requests.adapters import BaseAdapter
    from requests.structures import CaseInsensitiveDict

    class SameBytes(BaseAdapter):
        def send(self, request: Any, **kwargs: Any) -> Any:
            headers, body = replies[json.loads(request.body)["prompt"]]
            response = requests.Response()
            response.status_code, response.reason, response.url = 200, "OK", request.url
            response.headers = CaseInsensitiveDict(headers)
            response.raw, response.request = io.BytesIO(body), request
            return response

        def close(self) -> None:
            pass

    session = requests.Session()
    if kind == "floor":
        session.mount("http://", SameBytes())
    return session


def library_worker(kind: str, client: str, folder: Path, calls: int, seed: int) -> float:
    """Seconds per call for ``calls`` distinct interactions, each played once, in shuffled order."""
    from pytest_imagegen.cassette.session import open_cassette
    from pytest_imagegen.config import ImagegenConfig

    order = list(range(calls))
    random.Random(seed).shuffle(order)
    replies = _replies(folder, client, calls)
    calls_id, warmup_id = IDS[client]
    config = ImagegenConfig(cassette_dir=folder)

    def timed(call: Callable[[str], Any]) -> float:
        if kind == "floor":
            call(f"{warmup_id} 0")
            start = time.perf_counter()
            for i in order:
                call(f"{calls_id} {i}")
            return (time.perf_counter() - start) / calls
        with open_cassette(config, warmup_id):
            call(f"{warmup_id} 0")
        with open_cassette(config, calls_id):
            start = time.perf_counter()
            for i in order:
                call(f"{calls_id} {i}")
            return (time.perf_counter() - start) / calls

    if client == "requests":
        session = _requests_session(kind, replies)
        url = f"{DEAD_BASE_URL}/images/generations"
        return timed(lambda p: session.post(url, json={"prompt": p, **PARAMS}).json())
    return asyncio.run(_aiohttp_worker(kind, replies, timed))


async def _aiohttp_worker(
    kind: str,
    replies: dict[str, tuple[list[tuple[str, str]], bytes]],
    timed: Callable[[Callable[[str], Any]], float],
) -> float:
    import aiohttp
    from aiohttp import web

    base = DEAD_BASE_URL
    runner = None
    if kind == "floor":

        async def handler(request: web.Request) -> web.Response:
            headers, body = replies[(await request.json())["prompt"]]
            return web.Response(
                body=body, headers=[(k, v) for k, v in headers if k.lower() != "content-length"]
            )

        app = web.Application()
        app.router.add_post("/v1/images/generations", handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        base = f"http://127.0.0.1:{port}/v1"
    loop = asyncio.get_running_loop()
    async with aiohttp.ClientSession() as session:

        async def call(prompt: str) -> Any:
            async with session.post(f"{base}/images/generations", json={"prompt": prompt, **PARAMS}) as r:
                return await r.json()

        # The timed loop runs the calls one after another on this loop, from a worker thread.
        def blocking(prompt: str) -> Any:
            return asyncio.run_coroutine_threadsafe(call(prompt), loop).result()

        result = await asyncio.to_thread(timed, blocking)
    if runner is not None:
        await runner.cleanup()
    return result


def per_call_libraries(tmp: Path, emulator: Any, runs: int, calls: int, helpers: Any) -> None:
    """Print part (e); ``helpers`` is ``speed.py`` (its ``run``, ``clean_env``, ``spread``, ``ratio``)."""
    print(
        f"\n(e) per call through requests and aiohttp: {calls} distinct interactions, each replayed once, shuffled"
    )
    folder = tmp / "library-calls"
    record_library_calls(folder, emulator, calls)
    for client, floor_name in (("requests", "adapter"), ("aiohttp", "loopback server")):
        results: dict[str, list[float]] = {"floor": [], "plugin": []}
        for n in range(runs):
            for kind in results:
                out = helpers.run(
                    [
                        helpers.PYTHON,
                        helpers.__file__,
                        "--library-worker",
                        kind,
                        client,
                        str(folder),
                        str(calls),
                        str(n),
                    ],
                    env=helpers.clean_env(tmp),
                    cwd=helpers.ROOT,
                )
                results[kind].append(float(out.strip().splitlines()[-1]))
        floor, ours = results["floor"], results["plugin"]
        print(
            f"  {client:<8} floor ({floor_name}) {helpers.spread(floor, 1e6, 'us', 0)}, "
            f"plugin {helpers.spread(ours, 1e6, 'us', 0)}: {helpers.ratio(ours, floor)}"
        )
