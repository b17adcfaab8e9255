"""The official openai SDK against the emulator over a real socket: every endpoint, errors and faults."""

from __future__ import annotations

import base64

import httpx
import openai
import pytest
from PIL import ImageChops, ImageStat

from pytest_imagegen.emulator import Emulator

from .conftest import API_KEY, decode, png_bytes


def test_generate_returns_image_of_requested_format_and_size(client: openai.OpenAI) -> None:
    reply = client.images.generate(
        model="gpt-image-2", prompt="a lighthouse", size="96x64", output_format="jpeg"
    )

    assert reply.data is not None
    assert len(reply.data) == 1
    image = decode(reply.data[0].b64_json)
    assert (image.format, image.size, image.mode) == ("JPEG", (96, 64), "RGB")
    assert (reply.output_format, reply.size, reply.background, reply.quality) == (
        "jpeg",
        "96x64",
        "opaque",
        "high",
    )
    assert reply.usage is not None
    assert reply.usage.total_tokens == reply.usage.input_tokens + reply.usage.output_tokens
    assert reply.data[0].url is None


def test_transparent_background_gives_real_alpha(client: openai.OpenAI) -> None:
    reply = client.images.generate(
        model="gpt-image-2",
        prompt="a sticker",
        size="64x64",
        background="transparent",
        output_format="webp",
        n=2,
    )

    assert reply.data is not None
    images = [decode(item.b64_json) for item in reply.data]
    assert [(im.format, im.mode, im.size) for im in images] == [("WEBP", "RGBA", (64, 64))] * 2
    assert images[0].getchannel("A").getextrema() == (0, 255)
    assert images[0].tobytes() != images[1].tobytes(), "the n images of one reply must differ"
    assert reply.background == "transparent"


def test_gpt_1024_png_is_megabytes_of_base64(client: openai.OpenAI) -> None:
    reply = client.images.generate(model="gpt-image-1.5", prompt="a forest", size="auto")

    assert reply.data is not None
    b64 = reply.data[0].b64_json
    assert b64 is not None
    assert len(b64) > 1_000_000
    assert decode(b64).size == (1024, 1024)
    assert reply.size == "1024x1024"


def test_same_request_gives_same_bytes(client: openai.OpenAI) -> None:
    def once(prompt: str) -> str | None:
        reply = client.images.generate(model="gpt-image-2", prompt=prompt, size="64x64")
        assert reply.data is not None
        return reply.data[0].b64_json

    assert once("a boat") == once("a boat")
    assert once("a boat") != once("a car")


def test_stream_with_partial_images(client: openai.OpenAI) -> None:
    stream = client.images.generate(
        model="gpt-image-2", prompt="a kite", size="64x64", stream=True, partial_images=2
    )
    events = list(stream)

    assert [event.type for event in events] == [
        "image_generation.partial_image",
        "image_generation.partial_image",
        "image_generation.completed",
    ]
    partials = [e for e in events if e.type == "image_generation.partial_image"]
    assert [e.partial_image_index for e in partials] == [0, 1]
    completed = events[-1]
    assert completed.type == "image_generation.completed"
    assert completed.usage is not None
    final = decode(completed.b64_json)
    previews = [decode(e.b64_json) for e in partials]
    assert {(im.format, im.size) for im in [*previews, final]} == {("PNG", (64, 64))}
    # Progressively sharper: each preview is closer to the final picture than the one before.
    distances = [
        ImageStat.Stat(ImageChops.difference(p.convert("RGB"), final.convert("RGB"))).mean for p in previews
    ]
    assert sum(distances[0]) > sum(distances[1]) > 0


def test_streamed_final_image_equals_plain_reply(client: openai.OpenAI) -> None:
    plain = client.images.generate(model="gpt-image-2", prompt="a cup", size="64x64")
    streamed = list(
        client.images.generate(
            model="gpt-image-2", prompt="a cup", size="64x64", stream=True, partial_images=1
        )
    )

    assert plain.data is not None
    assert plain.data[0].b64_json == streamed[-1].b64_json


def test_edit_with_two_images_and_a_mask(client: openai.OpenAI, emulator: Emulator) -> None:
    first, second = png_bytes(64, 64), png_bytes(64, 64, color=(10, 200, 10))
    mask = png_bytes(64, 64, color=(0, 0, 0, 0), mode="RGBA")

    reply = client.images.edit(
        model="gpt-image-2",
        image=[("first.png", first, "image/png"), ("second.png", second, "image/png")],
        mask=("mask.png", mask, "image/png"),
        prompt="merge them",
        size="64x64",
    )

    assert reply.data is not None
    assert decode(reply.data[0].b64_json).size == (64, 64)
    assert reply.usage is not None
    assert reply.usage.input_tokens_details.image_tokens > 0
    logged = emulator.requests[-1]
    assert logged.path == "/v1/images/edits"
    assert [(f.part, f.filename, f.size) for f in logged.files] == [
        ("image[]", "first.png", len(first)),
        ("image[]", "second.png", len(second)),
        ("mask", "mask.png", len(mask)),
    ]
    assert logged.params["prompt"] == "merge them"


def test_edit_stream_uses_image_edit_events(client: openai.OpenAI) -> None:
    stream = client.images.edit(
        model="gpt-image-2",
        image=("in.png", png_bytes(64, 64), "image/png"),
        prompt="add a hat",
        size="64x64",
        stream=True,
        partial_images=1,
    )

    assert [event.type for event in stream] == ["image_edit.partial_image", "image_edit.completed"]


# The SDK marks create_variation deprecated (the endpoint is retired upstream); the emulator still serves it.
@pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")
def test_variation_dall_e_2(client: openai.OpenAI) -> None:
    reply = client.images.create_variation(
        image=("in.png", png_bytes(256, 256), "image/png"), model="dall-e-2", size="256x256", n=2
    )

    assert reply.data is not None
    assert len(reply.data) == 2
    assert all(item.b64_json is None and item.url for item in reply.data)
    assert reply.usage is None
    assert reply.data[0].url is not None
    fetched = httpx.get(reply.data[0].url)
    assert fetched.status_code == 200
    assert fetched.headers["content-type"] == "image/png"
    assert decode(base64.b64encode(fetched.content).decode()).size == (256, 256)


def test_dall_e_3_revises_the_prompt(client: openai.OpenAI) -> None:
    reply = client.images.generate(model="dall-e-3", prompt="a red fox", response_format="url")

    assert reply.data is not None
    assert reply.data[0].revised_prompt is not None
    assert reply.data[0].revised_prompt.startswith("a red fox")
    assert reply.data[0].url is not None
    assert "/img-" in reply.data[0].url


def test_azure_client(emulator: Emulator) -> None:
    azure = openai.AzureOpenAI(
        azure_endpoint=emulator.root_url, api_key=API_KEY, api_version="2025-04-01-preview", max_retries=0
    )

    reply = azure.images.generate(model="gpt-image-2", prompt="a harbour", size="64x64")

    assert reply.data is not None
    assert decode(reply.data[0].b64_json).size == (64, 64)
    logged = emulator.requests[-1]
    assert logged.path == "/openai/deployments/gpt-image-2/images/generations"
    assert logged.query == {"api-version": "2025-04-01-preview"}
    assert logged.headers["api-key"] == API_KEY
    assert "authorization" not in logged.headers


def test_azure_deployment_stands_for_the_model(emulator: Emulator) -> None:
    azure = openai.AzureOpenAI(
        azure_endpoint=emulator.root_url,
        azure_deployment="gpt-image-2",
        api_key=API_KEY,
        api_version="2025-04-01-preview",
        max_retries=0,
    )

    reply = azure.images.edit(
        image=("in.png", png_bytes(64, 64), "image/png"), prompt="tint it", size="64x64"
    )

    assert reply.size == "64x64"  # free-form sizes are gpt-image-2's: the deployment was taken as the model
    logged = emulator.requests[-1]
    assert logged.path == "/openai/deployments/gpt-image-2/images/edits"
    assert logged.params["model"] == "gpt-image-2"


def test_invalid_request_is_bad_request_with_param(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(model="gpt-image-2", prompt="x", size="64x64", response_format="url")

    assert caught.value.status_code == 400
    assert caught.value.param == "response_format"
    assert caught.value.code == "unknown_parameter"
    assert caught.value.type == "invalid_request_error"
    assert caught.value.request_id is not None
    assert caught.value.request_id.startswith("req_")


def test_key_without_sk_prefix_is_authentication_error(emulator: Emulator) -> None:
    bad = openai.OpenAI(base_url=emulator.base_url, api_key="not-a-secret-key-5678", max_retries=0)

    with pytest.raises(openai.AuthenticationError) as caught:
        bad.images.generate(model="gpt-image-2", prompt="x", size="64x64")

    assert caught.value.status_code == 401
    assert caught.value.code == "invalid_api_key"
    assert caught.value.param is None
    assert caught.value.response.headers["www-authenticate"] == 'Bearer realm="OpenAI API"'
    assert caught.value.body == {
        "message": "Incorrect API key provided: not-a************5678. "
        "You can find your API key at https://platform.openai.com/account/api-keys.",
        "type": "invalid_request_error",
        "param": None,
        "code": "invalid_api_key",
    }


def test_configured_key_is_the_only_one_accepted() -> None:
    with Emulator(api_key="sk-the-only-key-0000") as strict:
        wrong = openai.OpenAI(base_url=strict.base_url, api_key="sk-test-wrong-key-9876", max_retries=0)
        with pytest.raises(openai.AuthenticationError) as caught:
            wrong.images.generate(model="gpt-image-2", prompt="x", size="64x64")
        right = openai.OpenAI(base_url=strict.base_url, api_key="sk-the-only-key-0000", max_retries=0)
        reply = right.images.generate(model="gpt-image-2", prompt="x", size="64x64")

    assert "Incorrect API key provided: sk-te*************9876." in caught.value.message
    assert "wrong-key" not in caught.value.message
    assert reply.data is not None


def test_rate_limit_then_success_with_sdk_retries(emulator: Emulator) -> None:
    emulator.inject_fault("rate_limit", count=1, retry_after_ms=10)
    retrying = openai.OpenAI(base_url=emulator.base_url, api_key=API_KEY, max_retries=2)

    reply = retrying.images.generate(model="gpt-image-2", prompt="x", size="64x64")

    assert reply.data is not None
    assert [(r.status, r.fault) for r in emulator.requests] == [(429, "rate_limit"), (200, None)]
    assert [r.headers["x-stainless-retry-count"] for r in emulator.requests] == ["0", "1"]


def test_rate_limit_error_names_the_org(client: openai.OpenAI, emulator: Emulator) -> None:
    emulator.inject_fault("rate_limit", retry_after=2)

    with pytest.raises(openai.RateLimitError) as caught:
        client.images.generate(model="gpt-image-2", prompt="x", size="64x64")

    assert f"in organization {emulator.organization}." in caught.value.message
    headers = caught.value.response.headers
    assert (headers["retry-after"], headers["retry-after-ms"], headers["x-should-retry"]) == (
        "2",
        "2000",
        "true",
    )
    # The fault is used up: the next request is served.
    assert client.images.generate(model="gpt-image-2", prompt="x", size="64x64").data


def test_server_error(client: openai.OpenAI, emulator: Emulator) -> None:
    emulator.inject_fault("server_error", count=2)

    for _ in range(2):
        with pytest.raises(openai.InternalServerError) as caught:
            client.images.generate(model="gpt-image-2", prompt="x", size="64x64")
        assert caught.value.status_code == 500
        assert caught.value.type == "server_error"
    assert client.images.generate(model="gpt-image-2", prompt="x", size="64x64").data


def test_disconnect_mid_stream_raises_in_sdk(client: openai.OpenAI, emulator: Emulator) -> None:
    emulator.inject_fault("disconnect")
    stream = client.images.generate(
        model="gpt-image-2", prompt="x", size="64x64", stream=True, partial_images=2
    )
    events = iter(stream)

    first = next(events)
    with pytest.raises(openai.APIConnectionError):
        next(events)

    assert first.type == "image_generation.partial_image"
    assert emulator.requests[-1].fault == "disconnect"


def test_disconnect_of_plain_reply_is_retried_by_sdk(emulator: Emulator) -> None:
    emulator.inject_fault("disconnect")
    no_retry = openai.OpenAI(base_url=emulator.base_url, api_key=API_KEY, max_retries=0)
    with pytest.raises(openai.APIConnectionError):
        no_retry.images.generate(model="gpt-image-2", prompt="x", size="64x64")

    emulator.inject_fault("disconnect")
    retrying = openai.OpenAI(base_url=emulator.base_url, api_key=API_KEY, max_retries=1)
    assert retrying.images.generate(model="gpt-image-2", prompt="x", size="64x64").data
    assert [r.fault for r in emulator.requests] == ["disconnect", "disconnect", None]


@pytest.mark.anyio
async def test_async_client_streams(emulator: Emulator) -> None:
    async with openai.AsyncOpenAI(base_url=emulator.base_url, api_key=API_KEY, max_retries=0) as client:
        stream = await client.images.generate(
            model="gpt-image-2", prompt="x", size="64x64", stream=True, partial_images=3
        )
        types = [event.type async for event in stream]

    assert types == ["image_generation.partial_image"] * 3 + ["image_generation.completed"]
