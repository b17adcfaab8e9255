"""A new API shape is one definition: a made-up JSON API, registered inside this test, is recorded, trimmed,
redacted, matched and replayed with nothing changed outside this file.

The Paint API: ``POST /v1/paint`` with ``{"model", "prompt"}`` answers ``{"title", "picture"}``, the
picture a base64 PNG whose width follows from the prompt. Its key travels in ``x-paint-ident``, a header
none of the built-in redaction rules knows: only the shape's ``credential_headers`` keeps it off disk. The
shape names this module as its emulator module, so the bundled emulator serves ``routes()`` below on a
real loopback socket; replay runs after the emulator has stopped, against an address where nothing
listens.
"""

from __future__ import annotations

import base64
import io
import json
import random
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pytest_imagegen.assertions import assert_valid_reply
from pytest_imagegen.cassette import storage
from pytest_imagegen.cassette.checks import contract_problems, model_of
from pytest_imagegen.contract import registry
from pytest_imagegen.contract.problems import image_problems, raise_problems
from pytest_imagegen.contract.shape import ApiShape, Call, declared_images
from pytest_imagegen.emulator import Emulator
from pytest_imagegen.errors import RequestValidationError, SchemaAssertionError
from pytest_imagegen.safety.redact_rules import is_secret_header
from pytest_imagegen.wire.payloads import is_placeholder
from tests.engine.conftest import Tape

PAINT_KEY = "paint-ident-" + "Zq7" * 10
DEAD_ROOT = "http://127.0.0.1:9"
PROMPTS = ("a red fox", "a lighthouse keeper at dusk")

# --- the whole definition of the shape ----------------------------------------------------------------


@dataclass(frozen=True)
class Painting:
    """A Paint API request that passed validation."""

    model: str
    prompt: str
    strict: bool = False
    endpoint: str = "paint"

    @property
    def width(self) -> int:
        return 32 + 8 * len(self.prompt)


class PaintShape(ApiShape[Painting]):
    name = "paint"
    api = "Paint API"
    path = re.compile(r"/v1/paint/?$")
    operations = re.compile(r"(/paint)/?$")
    credential_headers = frozenset({"x-paint-ident"})
    image_fields = (("picture",),)
    emulator = __name__  # routes() below

    def validate(self, call: Call) -> Painting:
        prompt, model = call.params.get("prompt"), call.params.get("model", "paint-1")
        if not isinstance(prompt, str) or not prompt:
            raise RequestValidationError("'prompt' is a required property", field="prompt")
        return Painting(str(model), prompt, call.strict)

    def check_reply(self, request: Painting | None, reply: Any, *, strict: bool = False) -> None:
        __tracebackhide__ = True
        if not isinstance(reply, Mapping):
            raise_problems([("$", "a painting is a JSON object")], context="paint reply", api=self.api)
        size = f"{request.width}x32" if request is not None else None
        problems = image_problems("$.picture", reply.get("picture"), "png", size)
        if request is not None and reply.get("title") != request.prompt:
            problems.append(("$.title", f"{reply.get('title')!r}, but the request asked {request.prompt!r}"))
        raise_problems(problems, context="paint reply", api=self.api)

    def is_reply(self, reply: Any) -> bool:
        return isinstance(reply, Mapping) and "picture" in reply


PAINT = PaintShape()


async def _paint(request: Request) -> Response:
    if request.headers.get("x-paint-ident") != PAINT_KEY:
        return JSONResponse({"error": {"message": "who is painting?"}}, status_code=401)
    painting = PAINT.validate(Call("paint", await request.json()))
    noise = random.Random(painting.prompt).randbytes(painting.width * 32 * 3)  # not a solid colour
    buffer = io.BytesIO()
    Image.frombytes("RGB", (painting.width, 32), noise).save(buffer, format="PNG")
    return JSONResponse({"title": painting.prompt, "picture": base64.b64encode(buffer.getvalue()).decode()})


def routes(handler: object) -> list[Route]:
    """The Paint API's route in the bundled emulator (this module is ``PAINT.emulator``)."""
    return [Route("/v1/paint", _paint, methods=["POST"])]


# --- the test -------------------------------------------------------------------------------------------


@pytest.fixture
def paint_shape() -> Iterator[PaintShape]:
    with registry.registered(PAINT) as shape:
        yield shape
    assert registry.shape_named("paint") is None, "the registration is undone"


def paint(client: httpx.Client, prompt: str) -> dict[str, Any]:
    response = client.post(
        "/v1/paint", json={"model": "paint-1", "prompt": prompt}, headers={"x-paint-ident": PAINT_KEY}
    )
    assert response.status_code == 200, response.text
    reply: dict[str, Any] = response.json()
    return reply


def picture_size(reply: Mapping[str, Any]) -> tuple[str | None, tuple[int, int]]:
    with Image.open(io.BytesIO(base64.b64decode(reply["picture"]))) as image:
        return image.format, image.size


def test_a_shape_defined_in_a_test_is_recorded_trimmed_redacted_matched_and_replayed(
    tape: Tape, paint_shape: PaintShape
) -> None:
    assert not is_secret_header("x-paint-ident"), "the built-in rules do not know the header"

    with (
        Emulator() as emulator,
        tape.open("once") as cassette,
        httpx.Client(base_url=emulator.root_url, timeout=60) as client,
    ):
        recorded = {prompt: paint(client, prompt) for prompt in PROMPTS}
        assert cassette.recorded_count == 2

    # Replayed with the emulator stopped, in the other order: each prompt gets its own reply.
    with tape.open("none") as cassette, httpx.Client(base_url=DEAD_ROOT) as client:
        replayed = {prompt: paint(client, prompt) for prompt in reversed(PROMPTS)}
        assert cassette.all_played
    for prompt in PROMPTS:
        assert replayed[prompt]["title"] == prompt
        width = Painting("paint-1", prompt).width
        assert picture_size(replayed[prompt]) == picture_size(recorded[prompt]) == ("PNG", (width, 32))
        assert_valid_reply(replayed[prompt], {"model": "paint-1", "prompt": prompt})

    with tape.open("none") as cassette:
        path = Path(cassette.file_path)
    text = path.read_text()
    interactions = storage.load_cassette(path) or []
    assert len(interactions) == 2
    assert PAINT_KEY not in text, "the key never reaches disk"
    assert "iVBORw0KGgo" not in text, "no base64 PNG on disk"
    for interaction in interactions:
        assert interaction["request"]["headers"]["x-paint-ident"] == ["REDACTED"]
        reply = interaction["response"]["body"]["json"]
        (where, picture), *_ = declared_images(PAINT, reply)
        assert where == "$.picture"
        assert is_placeholder(picture), "the image is a placeholder"
        assert contract_problems(interaction) == [], "the verdict is the shape's"
        assert model_of(interaction["request"]) == "paint-1"


def test_the_verdict_and_assert_valid_reply_use_the_shapes_checks(paint_shape: PaintShape) -> None:
    picture = base64.b64encode(_png(40, 32)).decode()
    interaction = {
        "request": {
            "method": "POST",
            "uri": "https://paint.example/v1/paint",
            "headers": {},
            "body": {"json": {"prompt": "a fox"}},
        },
        "response": {
            "status": {"code": 200, "message": "OK"},
            "headers": {},
            "body": {"json": {"title": "a wolf", "picture": picture}},
        },
    }
    assert contract_problems(interaction) == [
        ("reply $.picture", "image is 40x32, expected 72x32"),
        ("reply $.title", "'a wolf', but the request asked 'a fox'"),
    ]
    with pytest.raises(SchemaAssertionError, match="paint reply breaks the Paint API contract"):
        assert_valid_reply(interaction["response"]["body"]["json"], {"prompt": "a fox"}, endpoint="paint")
    assert json.loads(json.dumps(interaction)) == interaction  # nothing above changed it


def test_a_registration_ends_with_its_block() -> None:
    with registry.registered(PAINT):
        assert registry.shape_for("http://127.0.0.1:1/v1/paint") is PAINT
    assert registry.shape_for("http://127.0.0.1:1/v1/paint") is None
    assert "paint" not in registry.endpoints()


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "orange").save(buffer, format="PNG")
    return buffer.getvalue()
