"""Replay speed of pytest-imagegen, measured against floors taken in the same run.

    python benchmarks/replay.py [--calls 300] [--repeats 5]

Prints, side by side in one process:
- per-call replay time through the plugin and through ``httpx.MockTransport`` (``httpx2.MockTransport``
  for the openai SDK) returning the same bytes, with 1 and with 500 interactions in the cassette, as
  ratios to that floor; vcrpy's own httpx stub on the same bytes, for comparison;
- the cost of opening and closing a cassette, as a test does;
- time to first event of a streamed generation from the emulator, plain and while recording.

Numbers are wall-clock on a shared machine: read the ratios, not the absolute times. Nothing here is
asserted; the test suite has no timed assertions.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import httpx2
import openai
import vcr
import vcr.cassette
from vcr.request import Request as VcrRequest

from pytest_imagegen.cassette import storage
from pytest_imagegen.cassette.core import ImagegenCassette
from pytest_imagegen.cassette.paths import cassette_path
from pytest_imagegen.cassette.session import open_cassette
from pytest_imagegen.config import ImagegenConfig
from pytest_imagegen.emulator import Emulator

BASE = "http://127.0.0.1:9/v1"  # nothing listens: replay must not need the network
KEY = "sk-test-benchmark"
TEST_ID = "benchmarks/replay.py::bench"
PARAMS = {"model": "gpt-image-1.5", "size": "1024x1024", "quality": "low"}


def best_per_call(fn: Callable[[], Any], calls: int, repeats: int) -> float:
    """Best mean seconds per call over ``repeats`` runs of ``calls`` calls (after a warm-up)."""
    return side_by_side({"fn": fn}, calls, repeats)["fn"]


def side_by_side(fns: dict[str, Callable[[], Any]], calls: int, repeats: int) -> dict[str, float]:
    """Like ``best_per_call`` for several functions, their runs interleaved so drift hits all alike."""
    for fn in fns.values():
        for _ in range(min(calls, 20)):
            fn()
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            for _ in range(calls):
                fn()
            best[name] = min(best[name], (time.perf_counter() - start) / calls)
    return best


def record_one(emulator: Emulator, cassette_dir: Path) -> dict[str, Any]:
    """One real interaction recorded from the emulator: a 1024x1024 generation, trimmed as usual."""
    config = ImagegenConfig(cassette_dir=cassette_dir, record_mode="once")
    with (
        open_cassette(config, TEST_ID) as cassette,
        openai.OpenAI(base_url=emulator.base_url, api_key=KEY) as client,
    ):
        client.images.generate(prompt="bench 0", **PARAMS)  # type: ignore[call-overload]
        interaction: dict[str, Any] = cassette.interactions[0]
    return interaction


def write_cassettes(
    template: dict[str, Any], root: Path, sizes: tuple[int, ...]
) -> dict[int, ImagegenConfig]:
    """Cassettes holding ``n`` interactions each (prompts ``bench 0..n-1``), one folder per size."""
    configs = {}
    for n in sizes:
        interactions = []
        for i in range(n):
            body = {"json": {**template["request"]["body"]["json"], "prompt": f"bench {i}"}}
            interactions.append(
                {"request": {**template["request"], "body": body}, "response": template["response"]}
            )
        config = ImagegenConfig(cassette_dir=root / f"n{n}", record_mode="none")
        target = cassette_path(config.cassette_dir, TEST_ID)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(storage.dump_cassette(interactions))
        configs[n] = config
    return configs


def write_vcr_cassette(path: Path, n: int, body: bytes, headers: list[tuple[str, str]]) -> None:
    """The same interactions in vcrpy's own format, for its httpx stub."""
    cassette = vcr.cassette.Cassette(str(path), record_mode="all")
    response_headers: dict[str, list[str]] = {}
    for name, value in headers:
        response_headers.setdefault(name, []).append(value)
    url = f"{BASE}/images/generations"
    for i in range(n):
        content = httpx.Request("POST", url, json={"prompt": f"bench {i}", **PARAMS}).content
        request = VcrRequest("POST", url, content, {"content-type": "application/json"})
        status = {"code": 200, "message": "OK"}
        cassette.append(request, {"status": status, "headers": response_headers, "body": {"string": body}})
    cassette._save(force=True)


def generate_with(client: httpx.Client, prompt: str) -> Callable[[], Any]:
    return lambda: client.post(f"{BASE}/images/generations", json={"prompt": prompt, **PARAMS}).json()


def sdk_generate_with(client: openai.OpenAI, prompt: str) -> Callable[[], Any]:
    return lambda: client.images.generate(prompt=prompt, **PARAMS)  # type: ignore[call-overload]


def rewinding(cassette: ImagegenCassette, call: Callable[[], Any]) -> Callable[[], Any]:
    """Each recorded reply plays once per test; the loop rewinds the cassette to play it again."""

    def run() -> Any:
        cassette.rewind()
        return call()

    return run


def measure(calls: int, repeats: int, emulator: Emulator, root: Path) -> None:
    template = record_one(emulator, root / "recorded")
    configs = write_cassettes(template, root, (1, 500))
    with open_cassette(configs[1], TEST_ID) as cassette:
        rendered = cassette.rendered(0)
    body = b"".join(rendered.chunks)
    headers = rendered.headers
    print(f"reply body replayed: {len(body):,} bytes (a 1024x1024 placeholder PNG as base64 JSON)")

    mock = httpx.MockTransport(lambda r: httpx.Response(200, headers=headers, content=body))
    mock2 = httpx2.MockTransport(lambda r: httpx2.Response(200, headers=headers, content=body))
    floor_httpx = generate_with(httpx.Client(transport=mock), "bench 0")
    floor_sdk = sdk_generate_with(
        openai.OpenAI(base_url=BASE, api_key=KEY, max_retries=0, http_client=httpx2.Client(transport=mock2)),
        "bench 0",
    )

    print("\nper-call replay (best mean of repeats; floor and plugin runs interleaved)")
    columns = ("client", "interactions", "floor", "plugin", "ratio", "vcrpy", "ratio")
    print("  {:<11} {:>12} {:>10} {:>10} {:>6} {:>10} {:>6}".format(*columns))
    for n, config in configs.items():
        prompt = f"bench {n // 2}"  # the middle of the cassette: a linear scan would pay for half of it
        with open_cassette(config, TEST_ID) as cassette:
            via_httpx = rewinding(cassette, generate_with(httpx.Client(), prompt))
            via_sdk = rewinding(
                cassette, sdk_generate_with(openai.OpenAI(base_url=BASE, api_key=KEY, max_retries=0), prompt)
            )
            times = {
                "httpx": side_by_side({"floor": floor_httpx, "plugin": via_httpx}, calls, repeats),
                "openai SDK": side_by_side({"floor": floor_sdk, "plugin": via_sdk}, calls, repeats),
            }
        vcr_path = root / f"vcr-{n}.yaml"
        write_vcr_cassette(vcr_path, n, body, headers)
        match_on = ["method", "uri", "body"]
        with vcr.use_cassette(
            str(vcr_path), record_mode="none", match_on=match_on, allow_playback_repeats=True
        ):
            vcr_time = best_per_call(generate_with(httpx.Client(), prompt), calls, repeats)
        for name, t in times.items():
            floor, ours = t["floor"], t["plugin"]
            vcr_cell = f"{vcr_time * 1e6:>8.0f}us {vcr_time / floor:>5.2f}x" if name == "httpx" else ""
            print(
                f"  {name:<11} {n:>12} {floor * 1e6:>8.0f}us {ours * 1e6:>8.0f}us {ours / floor:>5.2f}x {vcr_cell}"
            )

    def open_close() -> None:
        with open_cassette(configs[1], TEST_ID):
            pass

    per_open = best_per_call(open_close, max(calls // 3, 50), repeats)
    print(f"\nopening and closing a 1-interaction cassette (as each test does): {per_open * 1e3:.3f} ms")

    print("\ntime to first event, streamed 1024x1024 generation with 3 partial images (median of 5)")
    stream_params = {"model": "gpt-image-1.5", "size": "1024x1024", "stream": True, "partial_images": 3}

    def first_event(record: bool, i: int) -> tuple[float, float]:
        config = ImagegenConfig(cassette_dir=root / "ttfe", record_mode="all")
        context = open_cassette(config, f"{TEST_ID}-{i}") if record else contextlib.nullcontext()
        with context, openai.OpenAI(base_url=emulator.base_url, api_key=KEY, max_retries=0) as client:
            start = time.perf_counter()
            stream = client.images.generate(prompt=f"ttfe {i}", **stream_params)  # type: ignore[call-overload]
            iterator = iter(stream)
            next(iterator)
            first = time.perf_counter() - start
            for _ in iterator:
                pass
            return first, time.perf_counter() - start

    plain, recording = [], []
    for i in range(5):  # interleaved, same prompts: the emulator draws the same images for both
        plain.append(first_event(False, i))
        recording.append(first_event(True, i))
    p_first, p_total = statistics.median(f for f, _ in plain), statistics.median(t for _, t in plain)
    r_first, r_total = statistics.median(f for f, _ in recording), statistics.median(t for _, t in recording)
    print(f"  plain:     first event {p_first * 1e3:7.1f} ms, whole stream {p_total * 1e3:7.1f} ms")
    print(f"  recording: first event {r_first * 1e3:7.1f} ms, whole stream {r_total * 1e3:7.1f} ms")
    print(f"  ratio (recording / plain, first event): {r_first / p_first:.2f}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp, Emulator() as emulator:
        measure(args.calls, args.repeats, emulator, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
