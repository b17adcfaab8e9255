"""The ``bedrock`` shape: requests Bedrock refuses, replies that break the contract, and the verdict of a
stored interaction through the registry."""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from PIL import Image

from pytest_imagegen.cassette.checks import contract_problems, model_of
from pytest_imagegen.contract import check_reply, registry, validate_request
from pytest_imagegen.contract.bedrock import BEDROCK, check_bedrock_reply, validate_bedrock_request
from pytest_imagegen.errors import RequestValidationError, SchemaAssertionError

NOVA = "amazon.nova-canvas-v1:0"
PATH = "/model/amazon.nova-canvas-v1%3A0/invoke"
ASK: dict[str, Any] = {
    "taskType": "TEXT_IMAGE",
    "textToImageParams": {"text": "a lighthouse"},
    "imageGenerationConfig": {"numberOfImages": 2, "width": 320, "height": 512},
}


def b64(width: int, height: int, fmt: str = "PNG") -> str:
    out = io.BytesIO()
    Image.new("RGB", (width, height)).save(out, format=fmt)
    return base64.b64encode(out.getvalue()).decode()


def test_the_shape_is_registered_and_found_by_path() -> None:
    assert registry.shape_for(f"https://bedrock-runtime.us-east-1.amazonaws.com{PATH}") is BEDROCK
    assert registry.operation_path(f"/proxy{PATH}") == PATH
    assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} <= set(registry.key_variables())


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"taskType": "DRAW"}, "taskType"),
        ({"textToImageParams": {"text": ""}}, "text"),
        ({"imageGenerationConfig": {"numberOfImages": 6}}, "numberOfImages"),
        ({"imageGenerationConfig": {"width": 330, "height": 512}}, "width"),
        ({"imageGenerationConfig": {"cfgScale": 11}}, "cfgScale"),
    ],
)
def test_amazon_requests_bedrock_refuses(change: dict[str, Any], field: str) -> None:
    with pytest.raises(RequestValidationError) as caught:
        validate_bedrock_request(NOVA, {**ASK, **change})
    assert caught.value.field == field


def test_validate_request_takes_the_model_from_the_path() -> None:
    request = validate_request("bedrock", ASK, path=PATH)
    assert (request.model_id, request.count, request.width, request.height) == (NOVA, 2, 320, 512)


def test_replies_are_checked_against_the_request() -> None:
    request = validate_bedrock_request(NOVA, ASK)
    assert check_bedrock_reply(request, {"images": [b64(320, 512)] * 2, "error": None}) == []
    assert check_bedrock_reply(request, {"images": [b64(320, 512)], "error": None}) == [
        ("$.images", "1 image(s), 2 asked")
    ]
    assert check_bedrock_reply(request, {"images": [b64(512, 512)] * 2, "error": None})[0] == (
        "$.images[0]",
        "image is 512x512, expected 320x512",
    )
    # A content filter's refusal is the service's answer, not a broken contract.
    assert check_bedrock_reply(request, {"images": [], "error": "blocked by the content filter"}) == []
    stability = validate_bedrock_request(
        "stability.sd3-5-large-v1:0", {"prompt": "x", "output_format": "jpeg"}
    )
    assert check_bedrock_reply(
        stability, {"seeds": [1], "finish_reasons": [None], "images": [b64(64, 64)]}
    ) == [("$.images[0]", "image is png, expected jpeg")]
    with pytest.raises(SchemaAssertionError, match="Amazon Bedrock API"):
        check_reply(request, {"images": "not a list", "error": None})


def test_the_verdict_of_a_stored_interaction() -> None:
    interaction = {
        "request": {
            "method": "POST",
            "uri": f"https://bedrock-runtime.us-east-1.amazonaws.com{PATH}",
            "body": {"json": ASK},
        },
        "response": {
            "status": {"code": 200},
            "headers": {},
            "body": {"json": {"images": [b64(320, 512)], "error": None}},
        },
    }
    assert contract_problems(interaction) == [("reply $.images", "1 image(s), 2 asked")]
    assert model_of(interaction["request"]) == NOVA
    refused = {
        **interaction,
        "response": {"status": {"code": 400}, "headers": {}, "body": {"json": {"message": "x"}}},
    }
    assert contract_problems(refused) == []
