"""Errors: API errors from the emulator mapped to ImagegenAPIError; invalid calls stopped before sending."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_imagegen.client import ImagegenClient
from pytest_imagegen.emulator import Emulator
from pytest_imagegen.errors import ImagegenAPIError, ImagegenError, RequestValidationError

from .conftest import Api, jpeg, png

pytestmark = pytest.mark.anyio

SMALL = {"model": "gpt-image-2", "size": "64x64"}


async def test_400_names_the_param(make_api: Callable[..., Api], emulator: Emulator) -> None:
    # A plain client pointed at an Azure deployment URL sends no api-version: the service's own 400.
    api = make_api(base_url=f"{emulator.root_url}/openai/deployments/gpt-image-2")
    with pytest.raises(ImagegenAPIError) as caught:
        await api.call("generate", "a cat", **SMALL)

    error = caught.value
    assert (error.status, error.type, error.code, error.param) == (
        400,
        "invalid_request_error",
        "missing_required_parameter",
        "api-version",
    )
    assert "api-version" in error.message
    assert error.request_id == emulator.requests[0].request_id
    assert error.body["error"]["param"] == "api-version"


async def test_401_for_a_wrong_key(make_api: Callable[..., Api], emulator: Emulator) -> None:
    api = make_api(api_key="not-a-valid-key")
    with pytest.raises(ImagegenAPIError) as caught:
        await api.call("generate", "a cat", **SMALL)

    assert (caught.value.status, caught.value.code) == (401, "invalid_api_key")
    assert caught.value.request_id == emulator.requests[0].request_id


async def test_429_from_an_injected_rate_limit(api: Api, emulator: Emulator) -> None:
    emulator.inject_fault("rate_limit")
    with pytest.raises(ImagegenAPIError) as caught:
        await api.call("generate", "a cat", **SMALL)

    assert (caught.value.status, caught.value.type, caught.value.code) == (
        429,
        "requests",
        "rate_limit_exceeded",
    )
    assert caught.value.request_id is not None
    assert caught.value.request_id.startswith("req_")
    # The fault is spent: the next call succeeds.
    assert (await api.call("generate", "a cat", **SMALL)).created > 0


async def test_500_from_an_injected_server_error(api: Api, emulator: Emulator) -> None:
    emulator.inject_fault("server_error")
    with pytest.raises(ImagegenAPIError) as caught:
        await api.call("edit", png(), "edit", **SMALL)

    assert (caught.value.status, caught.value.type) == (500, "server_error")
    assert str(caught.value).startswith("HTTP 500: ")


async def test_a_stream_call_raises_the_api_error_before_any_event(api: Api, emulator: Emulator) -> None:
    emulator.inject_fault("rate_limit")
    with pytest.raises(ImagegenAPIError) as caught:
        await api.events("generate_stream", "a cat", partial_images=1, **SMALL)
    assert caught.value.status == 429


@pytest.mark.parametrize(
    ("method", "args", "params", "field"),
    [
        ("generate", ("a cat",), {"model": "dall-e-2", "size": "64x64"}, "size"),
        ("generate", ("a cat",), {"model": "dall-e-3", "n": 2}, "n"),
        ("generate", ("a cat",), {"model": "gpt-image-2", "response_format": "url"}, "response_format"),
        # Validation follows the base model of a gateway-prefixed id.
        ("generate", ("a cat",), {"model": "openai/dall-e-3", "style": "oil"}, "style"),
        ("generate", ("x" * 1001,), {"model": "dall-e-2"}, "prompt"),
        ("generate_stream", ("a cat",), {"model": "gpt-image-2", "partial_images": 4}, "partial_images"),
        ("edit", ("IMAGE", "edit"), {"model": "gpt-image-2", "size": "60x60"}, "size"),
        ("edit", ("JPEG", "edit"), {"model": "dall-e-2", "size": "256x256"}, "image"),
        ("edit_stream", ("IMAGE", "edit"), {"model": "dall-e-2"}, "stream"),
        ("create_variation", ("IMAGE",), {"model": "gpt-image-2"}, "model"),
    ],
)
async def test_invalid_calls_never_reach_the_server(
    api: Api, emulator: Emulator, method: str, args: tuple[Any, ...], params: dict[str, Any], field: str
) -> None:
    images = {"IMAGE": png(), "JPEG": jpeg()}
    args = tuple(images.get(a, a) for a in args)
    run = api.events if method.endswith("_stream") else api.call
    with pytest.raises(RequestValidationError) as caught:
        await run(method, *args, **params)

    assert caught.value.field == field
    assert emulator.requests == []


def test_no_api_key_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ImagegenError, match=r"No API key: pass api_key= or set OPENAI_API_KEY"):
        ImagegenClient(base_url="http://127.0.0.1:9/v1")


def test_azure_needs_an_api_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_VERSION", raising=False)
    with pytest.raises(ImagegenError, match="api_version="):
        ImagegenClient(azure_endpoint="http://127.0.0.1:9", api_key="sk-x")


def test_azure_without_deployment_or_model_is_refused_before_sending(emulator: Emulator) -> None:
    with (
        ImagegenClient(
            azure_endpoint=emulator.root_url, api_version="2025-04-01-preview", api_key="sk-x"
        ) as client,
        pytest.raises(RequestValidationError, match="azure_deployment=") as caught,
    ):
        client.generate("a cat", size="1024x1024")
    assert caught.value.field == "model"
    assert emulator.requests == []


def test_a_missing_image_file_fails_before_sending(emulator: Emulator, tmp_path: Path) -> None:
    with (
        ImagegenClient(base_url=emulator.base_url, api_key="sk-x") as client,
        pytest.raises(FileNotFoundError),
    ):
        client.edit(tmp_path / "missing.png", "edit", **SMALL)
    assert emulator.requests == []


def test_timeout_applies_to_the_client_made_here_and_overrides_a_passed_one() -> None:
    import httpx

    with ImagegenClient(base_url="http://127.0.0.1:9/v1", api_key="sk-x", timeout=5.0) as own:
        assert own.http_client.timeout == httpx.Timeout(5.0)
    passed = httpx.Client(timeout=7.0)
    with ImagegenClient(base_url="http://127.0.0.1:9/v1", api_key="sk-x", http_client=passed) as client:
        assert client.http_client is passed
        assert passed.timeout == httpx.Timeout(7.0)
    # The caller's client is the caller's to close.
    assert not passed.is_closed
    passed.close()
