"""Generated requests per model (hypothesis), sent to the emulator over loopback: no reply is a 5xx, and every
reply body and stream event it sends, images or errors, conforms to the official schema component for it.

The requests are drawn from the official request components (``CreateImageRequest``,
``CreateImageEditRequest``, ``CreateImageVariationRequest``, ``ImageGenTool``): each field left out or
given a value its schema allows (``null`` where it is nullable), or, now and then, a value it does not, so
the emulator's refusals are checked too. Sizes add two free-form ones (64x64, 96x64), which gpt-image-2
takes and the others refuse; ``n`` stays at most 2 and prompts short, to keep the images small.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from pytest_imagegen.contract.capabilities import CAPABILITIES
from pytest_imagegen.emulator import Emulator

from .conftest import API_KEY, Sent
from .schema import DEFS

AUTH = {"Authorization": f"Bearer {API_KEY}"}
GENERATED = settings(
    max_examples=4,
    deadline=None,
    database=None,
    derandomize=True,  # the same generated set on every run: CI is not a lottery
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FREE_FORM = ("64x64", "96x64")
IMAGES_MODELS = sorted(m for m, row in CAPABILITIES.items() if row.endpoints)
EDIT_MODELS = sorted(m for m, row in CAPABILITIES.items() if "edits" in row.endpoints)
TOOL_MODELS = sorted(m for m, row in CAPABILITIES.items() if row.image_tool)


def _png(width: int = 64, height: int = 64) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (120, 30, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def _alternatives(schema: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for key in ("anyOf", "oneOf"):
        for option in schema.get(key, ()):
            yield from _alternatives(option)
    if "$ref" in schema:
        yield from _alternatives(DEFS[schema["$ref"].split("/")[-1]])
    if not any(k in schema for k in ("anyOf", "oneOf", "$ref")):
        yield schema


def _values(name: str, schema: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    """Values the official schema allows for one field (``n`` and sizes kept small, see the docstring)."""
    options: list[st.SearchStrategy[Any]] = []
    for alternative in _alternatives(schema):
        kind = alternative.get("type")
        if "enum" in alternative:
            options.append(st.sampled_from(alternative["enum"]))
        elif kind == "null":
            options.append(st.none())
        elif kind == "boolean":
            options.append(st.booleans())
        elif kind == "integer":
            low = alternative.get("minimum", 0)
            high = min(alternative.get("maximum", 100), 2 if name == "n" else 100)
            options.append(st.integers(low, high))
        elif kind == "string" and name == "size":
            options.append(st.sampled_from(FREE_FORM))
        elif kind == "string" and alternative.get("format") != "binary":
            options.append(st.text(st.characters(codec="ascii", categories=["L", "N", "Zs"]), max_size=12))
    return st.one_of(options) if options else st.nothing()


def _body(component: str, *, skip: tuple[str, ...]) -> st.SearchStrategy[dict[str, Any]]:
    """A body of ``component``: each field left out, or a value its schema allows."""
    properties = DEFS[component]["properties"]
    fields = {name: _values(name, schema) for name, schema in properties.items() if name not in skip}
    optional = {name: st.one_of(st.just(...), values) for name, values in fields.items()}
    return st.fixed_dictionaries(optional).map(lambda d: {k: v for k, v in d.items() if v is not ...})


@pytest.fixture
def http(imagegen_emulator: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=imagegen_emulator.base_url, headers=AUTH, timeout=120) as client:
        yield client


def _check(emulator: Emulator, send: Any) -> None:
    sent = Sent()
    emulator.transform_replies(sent)
    try:
        response = send()
    finally:
        emulator.transform_replies(None)
    assert response.status_code < 500, response.text[:500]
    assert sent.parts, "the emulator sent no JSON"
    assert sent.problems() == []


def _form(body: Mapping[str, Any]) -> dict[str, str]:
    """A multipart form as the openai SDK writes it: ``None`` left out, booleans as ``true``/``false``."""
    return {
        k: ("true" if v else "false") if isinstance(v, bool) else str(v)
        for k, v in body.items()
        if v is not None
    }


@pytest.mark.parametrize("model", IMAGES_MODELS)
@GENERATED
@given(data=st.data())
def test_generations(
    imagegen_emulator: Emulator, http: httpx.Client, model: str, data: st.DataObject
) -> None:
    body = data.draw(_body("CreateImageRequest", skip=("model",)))
    body = {"model": model, "prompt": body.pop("prompt", "a fox"), **body}
    _check(imagegen_emulator, lambda: http.post("/images/generations", json=body))


@pytest.mark.parametrize("model", EDIT_MODELS)
@GENERATED
@given(data=st.data())
def test_multipart_edits(
    imagegen_emulator: Emulator, http: httpx.Client, model: str, data: st.DataObject
) -> None:
    body = data.draw(_body("CreateImageEditRequest", skip=("model", "image", "mask")))
    body = {"model": model, "prompt": body.pop("prompt", "a fox"), **body}
    count = data.draw(st.integers(1, 2))
    files = [("image[]" if count > 1 else "image", (f"{i}.png", _png(), "image/png")) for i in range(count)]
    _check(imagegen_emulator, lambda: http.post("/images/edits", data=_form(body), files=files))


@pytest.mark.parametrize("model", ["dall-e-2", "gpt-image-1.5"])
@GENERATED
@given(data=st.data())
def test_variations(imagegen_emulator: Emulator, http: httpx.Client, model: str, data: st.DataObject) -> None:
    body = {"model": model, **data.draw(_body("CreateImageVariationRequest", skip=("model", "image")))}
    files = {"image": ("a.png", _png(), "image/png")}
    _check(imagegen_emulator, lambda: http.post("/images/variations", data=_form(body), files=files))


@pytest.mark.parametrize("model", TOOL_MODELS)
@GENERATED
@given(data=st.data())
def test_responses_image_tool(
    imagegen_emulator: Emulator, http: httpx.Client, model: str, data: st.DataObject
) -> None:
    tool = data.draw(_body("ImageGenTool", skip=("type", "model", "input_image_mask", "size")))
    tool = {
        "type": "image_generation",
        "model": model,
        "size": data.draw(st.sampled_from(["1024x1024", *FREE_FORM])),
        **tool,
    }
    body = {"model": "gpt-5", "input": "a fox", "tools": [tool], "stream": data.draw(st.booleans())}
    _check(imagegen_emulator, lambda: http.post("/responses", json=body))
