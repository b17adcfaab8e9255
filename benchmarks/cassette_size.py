"""Cassette size on disk: ``payloads="placeholder"`` (the default) against ``payloads="keep"``.

    python benchmarks/cassette_size.py

Records three calls from the bundled emulator through the openai SDK, once per payload mode, each into
a cassette of its own, and prints a table of the bytes on disk:

- a 1024x1024 generation (target: at most 1.8 KB, issue 25, over 1000x smaller than the kept cassette);
- a streamed 1024x1024 generation with two partial images (target: at most 4 KB);
- an edit with two uploads, both 1024x1024 noisy PNGs as a camera or a renderer makes them (target: at
  most 3 KB);
- the Responses API's image tool (issue 13): a 1024x1024 image in one JSON reply (target: at most 2.625 KB),
  a stream with two partial images and the service's lifecycle events (at most 6.25 KB), and an edit turn
  that sends a 1024x1024 noisy PNG as an ``input_image`` data URL (at most 3.5 KB);
- chat completions with image output through a gateway (issue 14, the openai SDK with ``modalities`` in
  ``extra_body``): a reply with one 1024x1024 image as a data URL (at most 2.5 KB) and the same streamed
  (at most 5 KB); and a Gemini ``generateContent`` reply with one 1024x1024 ``inlineData`` image, through
  raw httpx (at most 2.5 KB);
- the services one polls (issue 23), each flow a submit, three pending status reads, the final one and
  the 1024x1024 PNG: Black Forest Labs (at most 4 KB), fal.ai (6 KB, with the result read), Replicate
  (7 KB), and Stability's synchronous generation (the image's bytes, 1.5 KB) and creative upscale of a
  512x512 upload (4 KB).

Then it replays every placeholder cassette with the network blocked and checks that each image the
client receives decodes with Pillow to the format, size and mode of the image received while recording.
It also prints how much of each placeholder cassette is headers, bodies and the rest, so a size over its
target says where the bytes went. Nothing is timed. ``tests/safety/test_cassette_size.py`` asserts the
same targets on the same recordings.

The targets are for the whole file on disk, its metadata (when, by what and from where it was recorded,
issue 15: ~170 bytes), index and image previews (issue 25: ~40 bytes per image) included. The metadata is also held to an allowance of its own,
``METADATA_ALLOWANCE``, so that it cannot grow unnoticed.
"""

from __future__ import annotations

import argparse
import base64
import functools
import io
import random
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import openai
from PIL import Image

from pytest_imagegen.cassette import storage
from pytest_imagegen.cassette.session import open_cassette
from pytest_imagegen.config import ImagegenConfig
from pytest_imagegen.emulator import Emulator

__all__ = [
    "CALLS",
    "KEY",
    "METADATA_ALLOWANCE",
    "METADATA_PER_INTERACTION",
    "TARGETS",
    "ImageShape",
    "Recording",
    "breakdown",
    "noisy_png",
    "record",
    "replay",
]

KEY = "sk-test-cassette-size"
# Nothing listens here: replay must not need the network (record mode "none" also blocks sockets).
DEAD_BASE_URL = "http://127.0.0.1:9/v1"
# Bytes on disk a placeholder cassette may take, per call (issue 5; the responses_* ones: issue 13; chat,
# chat_stream and gemini: issue 14). Issue 24 raised responses (2,560) and responses_stream (6,144) by what the
# fields the official Response component requires cost (incomplete_details, instructions, metadata,
# temperature, top_p, cache_write_tokens: ~155 B per response object, stored twice in a stream). Issue 25
# added a ~40-byte preview to every image and held the generation to 1.8 KB.
TARGETS = {
    "generation": 1843,
    "stream": 4096,
    "edit": 3072,
    "responses": 2816,
    "responses_stream": 6656,
    "responses_edit": 3584,
    "chat": 2560,
    "chat_stream": 5120,
    "gemini": 2560,
    # Issue 23: every step of a polled job is an interaction of its own (6 or 7 per flow).
    "bfl": 4096,
    "fal": 6144,
    "replicate": 7168,
    "stability": 1536,
    "stability_upscale": 4096,
}
# The Gemini API's key shape (AIza + 35), made of pieces; the emulator takes any such key.
GOOGLE_KEY = "AIza" + "CassetteSizeBenchmarkKey" + "0" * 11
# Bytes a cassette's metadata may take (issue 15), whatever the call: when, which plugin, SDK, HTTP library,
# model and service.
METADATA_ALLOWANCE = 256
# A cassette of several calls lists each one's model in its metadata (``{}`` when it has none, as a status
# read): this many bytes more per further interaction.
METADATA_PER_INTERACTION = 16
# The kept generation must be over this many times larger than its placeholder cassette.
GENERATION_RATIO = 1000

ImageShape = tuple[str, tuple[int, int], str]  # Pillow's (format, size, mode)


@functools.cache
def noisy_png(seed: int, size: tuple[int, int] = (1024, 1024)) -> bytes:
    """An RGB PNG of seeded noise: as incompressible as a photo (about 3 MB at 1024x1024)."""
    pixels = random.Random(seed).randbytes(size[0] * size[1] * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", size, pixels).save(out, "PNG", compress_level=1)
    return out.getvalue()


def _generation(client: openai.OpenAI) -> list[str]:
    reply = client.images.generate(
        model="gpt-image-1.5", prompt="a lighthouse", size="1024x1024", quality="low"
    )
    return [item.b64_json or "" for item in reply.data or []]


def _stream(client: openai.OpenAI) -> list[str]:
    stream = client.images.generate(
        model="gpt-image-1.5",
        prompt="a lighthouse at dusk",
        size="1024x1024",
        quality="low",
        stream=True,
        partial_images=2,
    )
    return [event.b64_json for event in stream]


def _edit(client: openai.OpenAI) -> list[str]:
    reply = client.images.edit(
        model="gpt-image-1.5",
        image=[("left.png", noisy_png(1), "image/png"), ("right.png", noisy_png(2), "image/png")],
        prompt="put the two together",
        size="1024x1024",
        quality="low",
    )
    return [item.b64_json or "" for item in reply.data or []]


_TOOL = {"type": "image_generation", "size": "1024x1024", "quality": "low"}


def _responses(client: openai.OpenAI) -> list[str]:
    reply = client.responses.create(model="gpt-5", input="a lighthouse", tools=[_TOOL])
    return [item.result or "" for item in reply.output if item.type == "image_generation_call"]


def _responses_stream(client: openai.OpenAI) -> list[str]:
    events = client.responses.create(
        model="gpt-5", input="a lighthouse at dusk", stream=True, tools=[{**_TOOL, "partial_images": 2}]
    )
    images = []
    for event in events:
        if event.type == "response.image_generation_call.partial_image":
            images.append(event.partial_image_b64)
        elif event.type == "response.output_item.done" and event.item.type == "image_generation_call":
            images.append(event.item.result or "")
        elif event.type == "response.completed":  # the final image, sent again
            images += [
                item.result or "" for item in event.response.output if item.type == "image_generation_call"
            ]
    return images


def _responses_edit(client: openai.OpenAI) -> list[str]:
    photo = "data:image/png;base64," + base64.b64encode(noisy_png(1)).decode()
    content = [
        {"type": "input_text", "text": "the same lighthouse at night"},
        {"type": "input_image", "image_url": photo},
    ]
    reply = client.responses.create(
        model="gpt-5", input=[{"role": "user", "content": content}], tools=[_TOOL]
    )
    return [item.result or "" for item in reply.output if item.type == "image_generation_call"]


_CHAT = {
    "model": "google/gemini-2.5-flash-image",
    "messages": [{"role": "user", "content": "a lighthouse"}],
    "extra_body": {"modalities": ["image", "text"]},
}


def _b64_of(url: str) -> str:
    """The base64 of a ``data:image/...;base64,`` URL."""
    return url.split(",", 1)[1]


def _chat(client: openai.OpenAI) -> list[str]:
    reply = client.chat.completions.create(**_CHAT)
    message = reply.choices[0].message
    return [_b64_of(image["image_url"]["url"]) for image in getattr(message, "images", None) or []]


def _chat_stream(client: openai.OpenAI) -> list[str]:
    images = []
    for chunk in client.chat.completions.create(**_CHAT, stream=True):
        for choice in chunk.choices:
            images += [
                _b64_of(image["image_url"]["url"]) for image in getattr(choice.delta, "images", None) or []
            ]
    return images


def _gemini(client: openai.OpenAI) -> list[str]:
    # Raw httpx, as code calling the Gemini API does; the emulator's root is the SDK's base URL less /v1.
    root = str(client.base_url).rstrip("/").removesuffix("/v1")
    body = {
        "contents": [{"parts": [{"text": "a lighthouse"}]}],
        "generationConfig": {"responseModalities": ["TEXT", "IMAGE"]},
    }
    url = f"{root}/v1beta/models/gemini-2.5-flash-image:generateContent"
    reply = httpx.post(url, json=body, headers={"x-goog-api-key": GOOGLE_KEY}, timeout=60).json()
    parts = reply["candidates"][0]["content"]["parts"]
    return [part["inlineData"]["data"] for part in parts if "inlineData" in part]


def _root(client: openai.OpenAI) -> str:
    return str(client.base_url).rstrip("/").removesuffix("/v1")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# The services one polls (issue 23), through raw httpx: the submit, the emulator's 3 pending status reads,
# the final one, then the image, a 1024x1024 PNG, fetched from the URL the service gave.
def _bfl(client: openai.OpenAI) -> list[str]:
    with httpx.Client(headers={"x-key": KEY}, timeout=60) as http:
        body = {"prompt": "a lighthouse", "width": 1024, "height": 1024, "output_format": "png"}
        job = http.post(f"{_root(client)}/v1/flux-2-pro", json=body).json()
        while (read := http.get(job["polling_url"]).json())["status"] == "Pending":
            pass
        return [_b64(http.get(read["result"]["sample"]).content)]


def _fal(client: openai.OpenAI) -> list[str]:
    with httpx.Client(headers={"Authorization": f"Key {KEY}"}, timeout=60) as http:
        body = {"prompt": "a lighthouse", "image_size": "square_hd", "output_format": "png"}
        queued = http.post(f"{_root(client)}/fal-ai/flux/dev", json=body).json()
        while http.get(queued["status_url"]).json()["status"] != "COMPLETED":
            pass
        result = http.get(queued["response_url"]).json()
        return [_b64(http.get(image["url"]).content) for image in result["images"]]


def _replicate(client: openai.OpenAI) -> list[str]:
    with httpx.Client(headers={"Authorization": f"Bearer {KEY}"}, timeout=60) as http:
        url = f"{_root(client)}/v1/models/black-forest-labs/flux-schnell/predictions"
        prediction = http.post(url, json={"input": {"prompt": "a lighthouse", "output_format": "png"}}).json()
        while prediction["status"] not in ("succeeded", "failed", "canceled"):
            prediction = http.get(prediction["urls"]["get"]).json()
        return [_b64(http.get(output).content) for output in prediction["output"]]


def _stability(client: openai.OpenAI) -> list[str]:
    with httpx.Client(headers={"authorization": f"Bearer {KEY}", "accept": "image/*"}, timeout=60) as http:
        url = f"{_root(client)}/v2beta/stable-image/generate/core"
        return [_b64(http.post(url, files={"none": ("", b"")}, data={"prompt": "a lighthouse"}).content)]


def _stability_upscale(client: openai.OpenAI) -> list[str]:
    with httpx.Client(headers={"authorization": f"Bearer {KEY}"}, timeout=60) as http:
        upload = {"image": ("in.png", noisy_png(3, (512, 512)), "image/png")}
        url = f"{_root(client)}/v2beta/stable-image/upscale/creative"
        job = http.post(url, files=upload, data={"prompt": "a lighthouse"}).json()
        while (read := http.get(f"{_root(client)}/v2beta/results/{job['id']}")).status_code == 202:
            pass
        return [_b64(read.content)]


# Each call returns the base64 of every image the client received, in order (stream: partials, then final).
CALLS: dict[str, Callable[[openai.OpenAI], list[str]]] = {
    "generation": _generation,
    "stream": _stream,
    "edit": _edit,
    "responses": _responses,
    "responses_stream": _responses_stream,
    "responses_edit": _responses_edit,
    "chat": _chat,
    "chat_stream": _chat_stream,
    "gemini": _gemini,
    "bfl": _bfl,
    "fal": _fal,
    "replicate": _replicate,
    "stability": _stability,
    "stability_upscale": _stability_upscale,
}


def shape(b64: str) -> ImageShape:
    """What Pillow says an image is, after decoding every pixel (a truncated file fails here)."""
    with Image.open(io.BytesIO(base64.b64decode(b64))) as image:
        image.load()
        return str(image.format), image.size, image.mode


@dataclass
class Recording:
    """One call recorded into its own cassette."""

    name: str
    payloads: str
    cassette_dir: Path
    path: Path
    live: list[ImageShape]  # the images the client received while recording

    @property
    def size(self) -> int:
        """Bytes on disk."""
        return self.path.stat().st_size

    @property
    def metadata_allowance(self) -> int:
        """``METADATA_ALLOWANCE``, plus ``METADATA_PER_INTERACTION`` for each interaction after the first."""
        return METADATA_ALLOWANCE + METADATA_PER_INTERACTION * (len(_load(self.path)) - 1)

    @property
    def metadata_size(self) -> int:
        """Bytes of the file's ``meta`` block (the text from its key to the interactions' key)."""
        return metadata_bytes(self.path.read_text(encoding="utf-8"))


def metadata_bytes(text: str) -> int:
    start, end = text.find(',\n "meta": '), text.find(',\n "interactions": ')
    return end - start if 0 <= start < end else 0


def _config(directory: Path, payloads: str, record_mode: str) -> ImagegenConfig:
    # replace() checks the values against the valid ones, as the plugin does for a marker's.
    return ImagegenConfig(cassette_dir=directory).replace(payloads=payloads, record_mode=record_mode)


def record(
    emulator: Emulator, directory: Path, payloads: str, names: Iterable[str] = tuple(CALLS)
) -> dict[str, Recording]:
    """Record each named call from ``emulator`` into ``directory/<payloads>/``."""
    recordings = {}
    for name in names:
        config = _config(directory / payloads, payloads, "once")
        with (
            open_cassette(config, f"cassette_size::{name}") as cassette,
            openai.OpenAI(base_url=emulator.base_url, api_key=KEY, max_retries=0) as client,
        ):
            live = [shape(b64) for b64 in CALLS[name](client)]
        recordings[name] = Recording(name, payloads, config.cassette_dir, cassette.file_path, live)
    return recordings


def replay(recording: Recording) -> list[ImageShape]:
    """Replay a recording with the network blocked; the shapes of the images the client receives."""
    config = _config(recording.cassette_dir, recording.payloads, "none")
    with (
        open_cassette(config, f"cassette_size::{recording.name}") as cassette,
        openai.OpenAI(base_url=DEAD_BASE_URL, api_key=KEY, max_retries=0) as client,
    ):
        replayed = [shape(b64) for b64 in CALLS[recording.name](client)]
        if not cassette.all_played:
            raise AssertionError(f"{recording.path}: not every recorded interaction was replayed")
    return replayed


def _load(path: Path) -> list[dict[str, Any]]:
    return storage.load_cassette(path) or []


def _size(interactions: list[dict[str, Any]]) -> int:
    return len(storage.dump_cassette(interactions).encode())


def _with_headers(
    interactions: list[dict[str, Any]], change: Callable[[str, dict[str, Any]], dict[str, Any]]
) -> list[dict[str, Any]]:
    """A copy of ``interactions`` with ``change(side, headers)`` applied to each side's headers."""
    return [
        {
            **i,
            **{
                side: {**i[side], "headers": change(side, i[side].get("headers") or {})}
                for side in ("request", "response")
            },
        }
        for i in interactions
    ]


def breakdown(path: Path) -> dict[str, int]:
    """Bytes of a cassette file taken by request headers, response headers, and everything else.

    Measured by writing the cassette again without each part, so the numbers add up to the file size.
    """
    interactions = _load(path)
    total = _size(interactions)
    text = path.read_text(encoding="utf-8")
    metadata = metadata_bytes(text)
    request_headers = total - _size(
        _with_headers(interactions, lambda side, h: h if side != "request" else {})
    )
    response_headers = total - _size(
        _with_headers(interactions, lambda side, h: h if side != "response" else {})
    )
    return {
        "request headers": request_headers,
        "response headers": response_headers,
        "bodies and the rest": total - request_headers - response_headers,
        "metadata": metadata,
        "index": len(text.encode()) - total - metadata,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.parse_args(argv)
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp, Emulator() as emulator:
        root = Path(tmp)
        small = record(emulator, root, "placeholder")
        kept = record(emulator, root, "keep")
        print(f"{'call':<17} {'placeholder':>12} {'target':>8} {'kept':>14} {'kept/placeholder':>17}  replay")
        for name in CALLS:
            ours, theirs = small[name], kept[name]
            replayed = replay(ours)
            ok = replayed == ours.live
            if not ok:
                problems.append(f"{name}: replayed images {replayed} differ from recorded {ours.live}")
            if ours.size > TARGETS[name]:
                problems.append(
                    f"{name}: {ours.size:,} bytes on disk, over the {TARGETS[name]:,}-byte target"
                )
            if ours.metadata_size > ours.metadata_allowance:
                problems.append(
                    f"{name}: {ours.metadata_size:,} bytes of metadata, over {ours.metadata_allowance}"
                )
            ratio = theirs.size / ours.size
            if name == "generation" and ratio <= GENERATION_RATIO:
                problems.append(f"generation: kept/placeholder is {ratio:.0f}x, not over {GENERATION_RATIO}x")
            check = f"{len(replayed)} image(s) decode as recorded" if ok else "MISMATCH"
            print(
                f"{name:<17} {ours.size:>10,} B {TARGETS[name]:>6,} B {theirs.size:>12,} B {ratio:>16,.0f}x  {check}"
            )
        print("\nwhere the placeholder bytes go:")
        for name, recording in small.items():
            parts = ", ".join(f"{part} {size:,} B" for part, size in breakdown(recording.path).items())
            print(f"  {name:<17} {parts}")
        shapes = {name: sorted(set(recording.live)) for name, recording in small.items()}
        print("\nimages (format, size, mode):", "; ".join(f"{n}: {s}" for n, s in shapes.items()))
    print()
    for problem in problems:
        print(f"MISSED: {problem}")
    print("all targets met" if not problems else f"{len(problems)} target(s) missed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
