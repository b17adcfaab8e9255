"""Replayed images look like the recorded ones: a placeholder's preview (``safety/preview.py``) is what the
image synthesized on replay is drawn from.

The emulator serves chosen pictures (through its reply-transform hook) instead of its noise: a two-colour
image (red left, blue right) and a diagonal colour gradient, as PNG, JPEG and WEBP, in a JSON reply, in a
stream (two partial images, each a different picture, then the final one) and as an edit's result, whose
upload is a chosen picture too. Each call is recorded through the openai SDK, then replayed with the
network blocked; every replayed image must have the recorded format, size and mode and, region by region
(the mean colour of each quadrant), the colours of the picture the client received while recording. The
upload's placeholder draws its picture back the same way.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from PIL import Image

from pytest_imagegen.emulator import Emulator, ReplyPart
from pytest_imagegen.safety import trim
from tests.engine.conftest import DEAD_BASE_URL, KEY, Tape

SIZE = (256, 256)
FORMATS = ["png", "jpeg", "webp"]
_PIL = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}
# Largest difference, per channel, between a quadrant's mean colour in the original and in the replay.
TOLERANCE = 24


def two_colour() -> Image.Image:
    image = Image.new("RGB", SIZE, (220, 30, 30))
    image.paste((30, 40, 210), (SIZE[0] // 2, 0, SIZE[0], SIZE[1]))
    return image


def gradient() -> Image.Image:
    """A diagonal gradient: blue at the top right, yellow at the bottom left."""
    ramp = Image.linear_gradient("L").resize(SIZE)
    diagonal = Image.blend(
        ramp, ramp.transpose(Image.Transpose.ROTATE_90).transpose(Image.Transpose.FLIP_LEFT_RIGHT), 0.5
    )
    return Image.merge("RGB", (diagonal, diagonal, diagonal.point(lambda v: 255 - v)))


PICTURES: dict[str, Callable[[], Image.Image]] = {"two_colour": two_colour, "gradient": gradient}


def encoded(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    image.save(out, _PIL[fmt], **({"quality": 90} if fmt != "png" else {}))
    return out.getvalue()


def b64(image: Image.Image, fmt: str) -> str:
    return base64.b64encode(encoded(image, fmt)).decode()


def variants(name: str) -> list[Image.Image]:
    """What a stream sends, in order: two partial images (each a different picture), then the final one."""
    picture = PICTURES[name]()
    return [
        picture.transpose(Image.Transpose.ROTATE_180),
        picture.transpose(Image.Transpose.ROTATE_90),
        picture,
    ]


def quadrant_means(raw: bytes) -> list[tuple[int, ...]]:
    """The mean colour of each quadrant (top left, top right, bottom left, bottom right)."""
    with Image.open(io.BytesIO(raw)) as image:
        small = image.convert("RGB").resize((2, 2), Image.Resampling.BOX)
        return [small.getpixel((x, y)) for y in range(2) for x in range(2)]


def facts_of(raw: bytes) -> tuple[str | None, tuple[int, int], str]:
    with Image.open(io.BytesIO(raw)) as image:
        image.load()
        return image.format, image.size, image.mode


def assert_resembles(replayed: bytes, original: bytes) -> None:
    assert facts_of(replayed) == facts_of(original)
    want, got = quadrant_means(original), quadrant_means(replayed)
    worst = max(abs(a - b) for w, g in zip(want, got, strict=True) for a, b in zip(w, g, strict=True))
    assert worst <= TOLERANCE, f"quadrant means: recorded {want}, replayed {got}"


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator() as running:
        yield running


def serve(emulator: Emulator, name: str) -> None:
    """Every image the emulator sends becomes the chosen picture (a stream's events: ``variants``), in
    the format the request asked for."""

    def transform(part: ReplyPart) -> dict[str, Any] | None:
        fmt = str(part.params.get("output_format", "png"))
        if part.event is not None and "b64_json" in part.document:  # a stream event
            return {**part.document, "b64_json": b64(variants(name)[part.event], fmt)}
        if isinstance(part.document.get("data"), list):  # a JSON reply
            data = [{**item, "b64_json": b64(PICTURES[name](), fmt)} for item in part.document["data"]]
            return {**part.document, "data": data}
        return None

    emulator.transform_replies(transform)


def _generate(client: openai.OpenAI, fmt: str, name: str) -> list[str]:
    reply = client.images.generate(
        model="gpt-image-2", prompt=f"a {name} picture", size="256x256", output_format=fmt
    )
    return [item.b64_json or "" for item in reply.data or []]


def _stream(client: openai.OpenAI, fmt: str, name: str) -> list[str]:
    events = client.images.generate(
        model="gpt-image-2",
        prompt=f"a streamed {name} picture",
        size="256x256",
        output_format=fmt,
        stream=True,
        partial_images=2,
    )
    return [event.b64_json for event in events]


def _edit(client: openai.OpenAI, fmt: str, name: str) -> list[str]:
    upload = (f"input.{fmt}", encoded(PICTURES[name](), fmt), f"image/{fmt}")
    reply = client.images.edit(
        model="gpt-image-2",
        image=[upload],
        prompt=f"the {name} picture, edited",
        size="256x256",
        output_format=fmt,
    )
    return [item.b64_json or "" for item in reply.data or []]


CALLS = {"json": _generate, "stream": _stream, "edit": _edit}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", list(PICTURES))
@pytest.mark.parametrize("call", list(CALLS))
def test_replayed_images_have_the_recorded_colours_by_region(
    emulator: Emulator, tmp_path: Path, request: pytest.FixtureRequest, call: str, name: str, fmt: str
) -> None:
    tape = Tape(tmp_path / "cassettes", request.node.nodeid)
    serve(emulator, name)
    try:
        with tape.open("once"), openai.OpenAI(base_url=emulator.base_url, api_key=KEY, max_retries=0) as live:
            recorded = [base64.b64decode(b64) for b64 in CALLS[call](live, fmt, name)]
    finally:
        emulator.transform_replies(None)
    assert len(recorded) == (3 if call == "stream" else 1)
    assert recorded[-1] == encoded(PICTURES[name](), fmt), "the emulator did not send the chosen picture"

    with (
        tape.open("none") as cassette,
        openai.OpenAI(base_url=DEAD_BASE_URL, api_key=KEY, max_retries=0) as offline,
    ):
        replayed = [base64.b64decode(b64) for b64 in CALLS[call](offline, fmt, name)]
        assert cassette.all_played

    assert len(replayed) == len(recorded)
    for original, again in zip(recorded, replayed, strict=True):
        assert again != original  # a synthesized image, not the recorded bytes
        assert_resembles(again, original)
    stored = cassette.interactions[0]
    previews = [facts.get("preview") for _, facts in trim.iter_image_facts(stored["response"]["body"])]
    assert previews
    assert all(isinstance(p, str) and len(p) <= 41 for p in previews)
    if call == "edit":
        [(_, upload)] = list(trim.iter_image_facts(stored["request"]["body"]))
        assert_resembles(trim.placeholder_image(upload), encoded(PICTURES[name](), fmt))


def test_a_stream_replays_its_partial_images_in_order(emulator: Emulator, tape: Tape) -> None:
    """Each partial image replays as its own picture, in the order the service sent them."""
    serve(emulator, "two_colour")
    try:
        with tape.open("once"), openai.OpenAI(base_url=emulator.base_url, api_key=KEY, max_retries=0) as live:
            recorded = [base64.b64decode(b64) for b64 in _stream(live, "png", "two_colour")]
    finally:
        emulator.transform_replies(None)
    with tape.open("none"), openai.OpenAI(base_url=DEAD_BASE_URL, api_key=KEY, max_retries=0) as offline:
        replayed = [base64.b64decode(b64) for b64 in _stream(offline, "png", "two_colour")]
    colours = [["red" if r > b else "blue" for r, _, b in quadrant_means(raw)] for raw in replayed]
    assert colours == [
        ["blue", "red", "blue", "red"],  # the first partial: the picture turned 180 degrees
        ["blue", "blue", "red", "red"],  # the second: turned 90 degrees, red at the bottom
        ["red", "blue", "red", "blue"],  # the final picture
    ]
    for original, again in zip(recorded, replayed, strict=True):
        assert_resembles(again, original)
