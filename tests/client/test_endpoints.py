"""Every endpoint, both clients, over a real socket to the emulator: what is sent and what comes back."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from pytest_imagegen.contract import ImagesResponse
from pytest_imagegen.emulator import Emulator, FileDigest

from .conftest import KEY, Api, png

pytestmark = pytest.mark.anyio


def decoded_size(b64: str | None) -> tuple[int, int]:
    assert b64 is not None
    with Image.open(io.BytesIO(base64.b64decode(b64))) as image:
        return image.size


def digest(part: str, filename: str, data: bytes, content_type: str = "image/png") -> FileDigest:
    return FileDigest(part, filename, content_type, len(data), hashlib.sha256(data).hexdigest())


async def test_generate_gpt_image_2_free_form_size(api: Api, emulator: Emulator) -> None:
    reply = await api.call("generate", "a red square", model="gpt-image-2", size="64x64", output_format="png")

    assert isinstance(reply, ImagesResponse)
    assert reply.data is not None
    assert len(reply.data) == 1
    assert decoded_size(reply.data[0].b64_json) == (64, 64)
    assert reply.usage is not None
    [logged] = emulator.requests
    assert (logged.method, logged.path, logged.status) == ("POST", "/v1/images/generations", 200)
    assert logged.params == {
        "prompt": "a red square",
        "model": "gpt-image-2",
        "size": "64x64",
        "output_format": "png",
    }
    assert logged.headers["authorization"] == f"Bearer {KEY}"
    assert logged.headers["content-type"] == "application/json"


async def test_generate_dall_e_2_url_and_b64(api: Api, emulator: Emulator) -> None:
    by_url = await api.call("generate", "a cat", model="dall-e-2", size="256x256", n=2)
    by_b64 = await api.call("generate", "a cat", model="dall-e-2", size="256x256", response_format="b64_json")

    assert [image.url is not None for image in by_url.data] == [True, True]
    assert decoded_size(by_b64.data[0].b64_json) == (256, 256)
    assert [r.params.get("n") for r in emulator.requests] == [2, None]


async def test_none_goes_as_json_null_like_the_sdk(api: Api, emulator: Emulator) -> None:
    # ``n`` is nullable in the official schema (``user`` is not, and the emulator refuses a null there).
    await api.call("generate", "a cat", model="dall-e-2", size="256x256", n=None)
    assert emulator.requests[0].params == {
        "prompt": "a cat",
        "model": "dall-e-2",
        "size": "256x256",
        "n": None,
    }


IMAGE = png()
MASK = png()


def _path_str(tmp_path: Path) -> tuple[Any, list[FileDigest]]:
    (tmp_path / "in.png").write_bytes(IMAGE)
    return str(tmp_path / "in.png"), [digest("image", "in.png", IMAGE)]


def _pathlike(tmp_path: Path) -> tuple[Any, list[FileDigest]]:
    (tmp_path / "in.png").write_bytes(IMAGE)
    return tmp_path / "in.png", [digest("image", "in.png", IMAGE)]


def _bytes(tmp_path: Path) -> tuple[Any, list[FileDigest]]:
    return IMAGE, [digest("image", "image.png", IMAGE)]


def _file_object(tmp_path: Path) -> tuple[Any, list[FileDigest]]:
    (tmp_path / "photo.png").write_bytes(IMAGE)
    return (tmp_path / "photo.png").open("rb"), [digest("image", "photo.png", IMAGE)]


def _tuple(tmp_path: Path) -> tuple[Any, list[FileDigest]]:
    return ("t.png", IMAGE, "image/png"), [digest("image", "t.png", IMAGE)]


def _list_of_two(tmp_path: Path) -> tuple[Any, list[FileDigest]]:
    second = png(mode="RGB")
    (tmp_path / "two.png").write_bytes(second)
    return [IMAGE, tmp_path / "two.png"], [
        digest("image[]", "image.png", IMAGE),
        digest("image[]", "two.png", second),
    ]


@pytest.mark.parametrize("make_input", [_path_str, _pathlike, _bytes, _file_object, _tuple, _list_of_two])
async def test_edit_from_each_input_kind(
    api: Api, emulator: Emulator, tmp_path: Path, make_input: Callable[[Path], tuple[Any, list[FileDigest]]]
) -> None:
    image, expected = make_input(tmp_path)
    try:
        reply = await api.call("edit", image, "make it blue", model="gpt-image-2", size="64x64", n=1)
    finally:
        if hasattr(image, "close"):
            image.close()

    assert decoded_size(reply.data[0].b64_json) == (64, 64)
    [logged] = emulator.requests
    assert logged.path == "/v1/images/edits"
    assert logged.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert list(logged.files) == expected
    # Scalars as text parts, as the SDK sends them.
    assert logged.params == {"prompt": "make it blue", "model": "gpt-image-2", "size": "64x64", "n": "1"}


async def test_edit_list_of_two_with_mask(api: Api, emulator: Emulator) -> None:
    second = png(mode="RGB")
    reply = await api.call(
        "edit", [IMAGE, ("b.png", second)], "merge", mask=("m.png", MASK), model="gpt-image-2", size="64x64"
    )

    assert decoded_size(reply.data[0].b64_json) == (64, 64)
    assert list(emulator.requests[0].files) == [
        digest("image[]", "image.png", IMAGE),
        digest("image[]", "b.png", second),
        digest("mask", "m.png", MASK),
    ]


async def test_create_variation_on_dall_e_2(api: Api, emulator: Emulator) -> None:
    reply = await api.call(
        "create_variation", IMAGE, model="dall-e-2", size="256x256", response_format="b64_json", n=1
    )

    assert decoded_size(reply.data[0].b64_json) == (256, 256)
    [logged] = emulator.requests
    assert logged.path == "/v1/images/variations"
    assert list(logged.files) == [digest("image", "image.png", IMAGE)]
    assert logged.params == {"model": "dall-e-2", "size": "256x256", "response_format": "b64_json", "n": "1"}


async def test_prefixed_model_goes_on_the_wire_as_given(api: Api, emulator: Emulator) -> None:
    # 64x64 is only valid for gpt-image-2: validation followed the base model of "openai/gpt-image-2".
    reply = await api.call("generate", "a gateway", model="openai/gpt-image-2", size="64x64")

    assert decoded_size(reply.data[0].b64_json) == (64, 64)
    assert emulator.requests[0].params["model"] == "openai/gpt-image-2"


async def test_organization_project_and_default_headers_are_sent(
    make_api: Callable[..., Api], emulator: Emulator
) -> None:
    api = make_api(organization="org-canary", project="proj_canary", default_headers={"X-Team": "imaging"})
    await api.call("generate", "a cat", model="dall-e-2", size="256x256")

    headers = emulator.requests[0].headers
    assert (headers["openai-organization"], headers["openai-project"], headers["x-team"]) == (
        "org-canary",
        "proj_canary",
        "imaging",
    )


async def test_base_url_and_key_come_from_the_environment(
    make_api: Callable[..., Api], emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", emulator.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    api = make_api(base_url=None, api_key=None)
    await api.call("generate", "a cat", model="dall-e-2", size="256x256")

    assert emulator.requests[0].headers["authorization"] == "Bearer sk-from-env"


async def test_azure_deployment_shape(make_api: Callable[..., Api], emulator: Emulator) -> None:
    api = make_api(
        azure_endpoint=emulator.root_url, azure_deployment="gpt-image-2", api_version="2025-04-01-preview"
    )
    # No model in the call: Azure's deployment decides it, and validation follows it (64x64 is gpt-image-2's).
    reply = await api.call("generate", "an azure cat", size="64x64")

    assert decoded_size(reply.data[0].b64_json) == (64, 64)
    [logged] = emulator.requests
    assert logged.path == "/openai/deployments/gpt-image-2/images/generations"
    assert logged.query == {"api-version": "2025-04-01-preview"}
    assert logged.headers["api-key"] == KEY
    assert "authorization" not in logged.headers


async def test_azure_without_deployment_routes_by_model(
    make_api: Callable[..., Api], emulator: Emulator
) -> None:
    api = make_api(azure_endpoint=emulator.root_url + "/", api_version="2025-04-01-preview")
    await api.call("edit", IMAGE, "an azure edit", model="gpt-image-2", size="64x64")

    assert emulator.requests[0].path == "/openai/deployments/gpt-image-2/images/edits"
    assert emulator.requests[0].params["model"] == "gpt-image-2"


def test_reply_is_typed_and_json_serialisable(emulator: Emulator) -> None:
    from pytest_imagegen.client import ImagegenClient

    with ImagegenClient(base_url=emulator.base_url, api_key=KEY) as client:
        reply = client.generate("a cat", model="dall-e-2", size="256x256")
    assert json.loads(reply.model_dump_json())["created"] == reply.created


@pytest.mark.parametrize("stream", [False, True])
async def test_multipart_is_what_the_openai_sdk_sends(
    api: Api, emulator: Emulator, tmp_path: Path, stream: bool
) -> None:
    import openai

    path = tmp_path / "first.png"
    path.write_bytes(IMAGE)
    second = ("second.png", png(mode="RGB"), "image/png")
    params: dict[str, Any] = {
        "model": "gpt-image-2",
        "size": "64x64",
        "n": 1,
        "quality": "low",
        "user": "u-1",
    }
    if stream:
        params["partial_images"] = 0
        await api.events("edit_stream", [path, second], "merge", mask=path, **params)
    else:
        await api.call("edit", [path, second], "merge", mask=path, **params)
    with openai.OpenAI(base_url=emulator.base_url, api_key=KEY, max_retries=0) as sdk:
        if stream:
            list(sdk.images.edit(image=[path, second], prompt="merge", mask=path, stream=True, **params))
        else:
            sdk.images.edit(image=[path, second], prompt="merge", mask=path, **params)

    ours, theirs = emulator.requests
    assert (ours.path, ours.params, ours.files) == (theirs.path, theirs.params, theirs.files)
