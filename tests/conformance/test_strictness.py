"""The emulator is as strict as the service (issue 24, items 2 to 4), seen through the official SDK over
loopback: unknown models and fields are refused in the service's envelope, an empty multipart prompt too;
and where the contract is lenient, ``validate_request(strict=True)`` and the emulator follow the official
schema, each point checked both ways.
"""

from __future__ import annotations

import io
from typing import Any

import httpx
import openai
import pytest
from PIL import Image

from pytest_imagegen.contract import validate_request
from pytest_imagegen.emulator import Emulator
from pytest_imagegen.errors import RequestValidationError

from .conftest import API_KEY, Sent
from .schema import EXTRACT

AUTH = {"Authorization": f"Bearer {API_KEY}"}


def _png(width: int = 64, height: int = 64) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (1, 2, 3)).save(buffer, "PNG")
    return buffer.getvalue()


def _gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("P", (64, 64)).save(buffer, "GIF")
    return buffer.getvalue()


@pytest.fixture
def client(imagegen_emulator: Emulator, sent: Sent) -> openai.OpenAI:
    return openai.OpenAI(base_url=imagegen_emulator.base_url, api_key=API_KEY, max_retries=0)


def _refusal(error: openai.APIStatusError) -> tuple[int, str | None, str | None, str]:
    body = error.body
    assert isinstance(body, dict)
    return error.status_code, body.get("code"), body.get("param"), str(body.get("message"))


# --- 2. unknown models --------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["string", "false", "dall-e-9"])
def test_an_unknown_model_is_refused_naming_it(client: openai.OpenAI, sent: Sent, model: str) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(model=model, prompt="a fox", size="1024x1024")

    status, code, param, message = _refusal(caught.value)
    assert (status, code, param) == (400, "invalid_value", "model")
    assert message.startswith(f"Invalid value: '{model}'. Supported values are: ")
    assert sent.problems() == []  # the error envelope is the official ErrorResponse


@pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")
def test_a_variation_of_a_gif_with_an_unknown_model_is_refused_naming_the_model(
    client: openai.OpenAI,
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.create_variation(model="string", image=("a.gif", _gif(), "image/gif"))

    assert _refusal(caught.value)[:3] == (400, "invalid_value", "model")
    assert "'string'" in _refusal(caught.value)[3]


def test_an_unknown_responses_model_is_refused_naming_it(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model="string", input="a fox", tools=[{"type": "image_generation"}])

    assert _refusal(caught.value)[:3] == (400, "invalid_value", "model")
    assert _refusal(caught.value)[3].startswith("Invalid value: 'string'.")


def test_a_model_in_the_capability_table_is_served(client: openai.OpenAI) -> None:
    reply = client.images.generate(model="gpt-image-1-mini", prompt="a fox", size="1024x1024", quality="low")

    assert reply.data
    assert reply.data[0].b64_json


# --- 3. unknown fields, empty multipart prompt --------------------------------------------------------


def test_an_unknown_json_field_is_refused(client: openai.OpenAI, sent: Sent) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(model="gpt-image-1.5", prompt="a fox", extra_body={"foo": 1})

    assert _refusal(caught.value) == (400, "unknown_parameter", "foo", "Unknown parameter: 'foo'.")
    assert sent.problems() == []


def test_an_unknown_multipart_field_is_refused(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.edit(
            model="gpt-image-1.5",
            prompt="a fox",
            image=("a.png", _png(), "image/png"),
            extra_body={"foo": "1"},
        )

    assert _refusal(caught.value) == (400, "unknown_parameter", "foo", "Unknown parameter: 'foo'.")


def test_an_unknown_responses_field_is_refused(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model="gpt-5", input="a fox", extra_body={"foo": 1})

    assert _refusal(caught.value) == (400, "unknown_parameter", "foo", "Unknown parameter: 'foo'.")


def test_an_unknown_image_tool_option_is_refused(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(
            model="gpt-5",
            input="a fox",
            tools=[{"type": "image_generation", "foo": 1}],  # type: ignore[typeddict-unknown-key]
        )

    assert _refusal(caught.value)[:3] == (400, "unknown_parameter", "tools[0].foo")


def test_an_empty_multipart_prompt_is_refused(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.edit(model="gpt-image-1.5", prompt="", image=("a.png", _png(), "image/png"))

    status, code, param, message = _refusal(caught.value)
    assert (status, code, param) == (400, "string_below_min_length", "prompt")
    assert message == (
        "Invalid 'prompt': string too short. Expected a string with minimum length 1, "
        "but got an empty string instead."
    )


# --- 4. where the contract is lenient, strict and the emulator follow the official schema --------------

EDIT_FILES = {"image": ("a.png", _png(), "image/png")}
REF = {"image_url": "data:image/png;base64,iVBORw0KGgo="}
#: (name, endpoint, body, multipart files or None, the param the official schema refuses)
LENIENT: list[tuple[str, str, dict[str, Any], dict[str, Any] | None, str]] = [
    (
        "gif output",
        "generations",
        {"model": "gpt-image-1.5", "prompt": "a", "output_format": "gif"},
        None,
        "output_format",
    ),
    (
        "svg output",
        "generations",
        {"model": "gpt-image-2", "prompt": "a", "output_format": "svg"},
        None,
        "output_format",
    ),
    (
        "compression with png",
        "generations",
        {"model": "gpt-image-1.5", "prompt": "a", "output_format": "png", "output_compression": 50},
        None,
        "output_compression",
    ),
    (
        "compression with the default format",
        "generations",
        {"model": "gpt-image-1.5", "prompt": "a", "output_compression": 50},
        None,
        "output_compression",
    ),
    (
        "transparent gif",
        "generations",
        {"model": "gpt-image-1.5", "prompt": "a", "output_format": "gif", "background": "transparent"},
        None,
        "output_format",
    ),
    (
        "mini input_fidelity low",
        "edits",
        {"model": "gpt-image-1-mini", "prompt": "a", "input_fidelity": "low"},
        EDIT_FILES,
        "input_fidelity",
    ),
    (
        "free-form size in a JSON edit",
        "edits",
        {"model": "gpt-image-2", "prompt": "a", "size": "64x64", "images": [REF]},
        None,
        "size",
    ),
    ("null user", "generations", {"model": "gpt-image-1.5", "prompt": "a", "user": None}, None, "user"),
    (
        "null mask in a JSON edit",
        "edits",
        {"model": "gpt-image-1.5", "prompt": "a", "images": [REF], "mask": None},
        None,
        "mask",
    ),
    (
        "multipart stream=TRUE",
        "edits",
        {"model": "gpt-image-1.5", "prompt": "a", "stream": "TRUE"},
        EDIT_FILES,
        "stream",
    ),
]


@pytest.mark.parametrize(("name", "endpoint", "body", "files", "param"), LENIENT, ids=[c[0] for c in LENIENT])
def test_lenient_by_default_strict_follows_the_official_schema(
    name: str, endpoint: str, body: dict[str, Any], files: dict[str, Any] | None, param: str
) -> None:
    as_files = None if files is None else {part: [upload] for part, upload in files.items()}
    validate_request(endpoint, body, as_files)

    with pytest.raises(RequestValidationError) as caught:
        validate_request(endpoint, body, as_files, strict=True)
    assert caught.value.param == param


@pytest.mark.parametrize(("name", "endpoint", "body", "files", "param"), LENIENT, ids=[c[0] for c in LENIENT])
def test_the_emulator_follows_the_official_schema(
    imagegen_emulator: Emulator,
    sent: Sent,
    name: str,
    endpoint: str,
    body: dict[str, Any],
    files: dict[str, Any] | None,
    param: str,
) -> None:
    url = f"{imagegen_emulator.base_url}/images/{endpoint}"
    if files is None:
        response = httpx.post(url, json=body, headers=AUTH)
    else:
        data = {k: str(v) for k, v in body.items()}
        response = httpx.post(url, data=data, files=files, headers=AUTH)

    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == param
    assert sent.problems() == []


@pytest.mark.parametrize(
    ("option", "param"),
    [
        ({"output_format": "gif"}, "tools[0].output_format"),
        ({"output_format": "png", "output_compression": 50}, "tools[0].output_compression"),
    ],
)
def test_the_image_tool_follows_the_official_schema_when_strict(option: dict[str, Any], param: str) -> None:
    body = {"model": "gpt-5", "input": "a", "tools": [{"type": "image_generation", **option}]}
    validate_request("responses", body)

    with pytest.raises(RequestValidationError) as caught:
        validate_request("responses", body, strict=True)
    assert caught.value.param == param


def test_the_responses_field_list_is_the_official_one() -> None:
    from pytest_imagegen.contract.responses.models import CREATE_RESPONSE_FIELDS

    assert sorted(CREATE_RESPONSE_FIELDS) == EXTRACT["create_response_properties"]


def test_the_official_output_formats_are_the_schemas() -> None:
    from pytest_imagegen.contract.images.official import JSON_EDIT_SIZES, OFFICIAL_OUTPUT_FORMATS

    defs = EXTRACT["$defs"]
    assert set(OFFICIAL_OUTPUT_FORMATS) == set(defs["ImageGenTool"]["properties"]["output_format"]["enum"])
    json_edit_size = defs["EditImageBodyJsonParam"]["properties"]["size"]["anyOf"][0]["enum"]
    assert set(JSON_EDIT_SIZES) == set(json_edit_size)
