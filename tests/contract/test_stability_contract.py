"""The ``stability`` shape: requests Stability refuses (naming the field), replies that break the contract
(the wrong format, a status the service never sends, a finished result with no image), the verdict of
stored interactions (a reply that is the image itself included), and which result reads are pending or
final."""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from PIL import Image

from pytest_imagegen.cassette.checks import contract_problems, model_of
from pytest_imagegen.contract import check_reply, registry
from pytest_imagegen.contract.stability import STABILITY, check_stability_reply, validate_stability_request
from pytest_imagegen.errors import RequestValidationError, SchemaAssertionError

ULTRA = "/v2beta/stable-image/generate/ultra"
CREATIVE = "/v2beta/stable-image/upscale/creative"
RESULT = "https://api.stability.ai/v2beta/results/" + "a" * 64


def image(fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, format=fmt)
    return out.getvalue()


def b64(fmt: str = "PNG") -> str:
    return base64.b64encode(image(fmt)).decode()


def test_the_shape_is_registered_and_recognised_under_any_host() -> None:
    assert registry.shape_for(f"https://api.stability.ai{ULTRA}") is STABILITY
    assert registry.shape_for(RESULT) is STABILITY
    assert registry.operation_path(f"/proxy{CREATIVE}") == CREATIVE
    assert "STABILITY_API_KEY" in registry.key_variables()
    assert STABILITY.takes_files
    assert STABILITY.image_replies


@pytest.mark.parametrize(
    ("path", "params", "files", "field"),
    [
        (ULTRA, {}, None, "prompt"),
        (ULTRA, {"prompt": "x" * 10001}, None, "prompt"),
        (ULTRA, {"prompt": "a fox", "aspect_ratio": "7:3"}, None, "aspect_ratio"),
        (ULTRA, {"prompt": "a fox", "output_format": "gif"}, None, "output_format"),
        (
            "/v2beta/stable-image/generate/sd3",
            {"prompt": "a fox", "output_format": "webp"},
            None,
            "output_format",
        ),
        (ULTRA, {"prompt": "a fox", "seed": "4294967295"}, None, "seed"),
        (CREATIVE, {"prompt": "a fox"}, None, "image"),
        (CREATIVE, {"prompt": "a fox"}, {"image": [("a.png", b"not an image", "image/png")]}, "image"),
        ("/v2beta/stable-image/generate/core", {"prompt": "a", "mode": "image-to-image"}, None, "image"),
    ],
)
def test_a_request_the_service_refuses_names_the_field(
    path: str, params: dict[str, Any], files: Any, field: str
) -> None:
    with pytest.raises(RequestValidationError) as caught:
        validate_stability_request("stability", path, params, files)
    assert caught.value.field == field


def test_replies_of_synchronous_and_asynchronous_endpoints() -> None:
    ultra = validate_stability_request("stability", ULTRA, {"prompt": "a fox", "output_format": "jpeg"}, None)
    assert check_stability_reply(ultra, image("JPEG")) == []
    assert check_stability_reply(ultra, {"image": b64("JPEG"), "finish_reason": "SUCCESS", "seed": 1}) == []
    creative = validate_stability_request(
        "stability", CREATIVE, {"prompt": "x"}, {"image": [("a.png", image(), None)]}
    )
    assert creative.is_async
    assert check_stability_reply(creative, {"id": "a" * 64}) == []
    result = validate_stability_request("stability-result", RESULT, {}, None)
    assert check_stability_reply(result, {"id": "a", "status": "in-progress"}) == []
    assert check_stability_reply(result, image("WEBP")) == []
    assert check_stability_reply(result, {"result": b64(), "finish_reason": "SUCCESS", "seed": 2}) == []


@pytest.mark.parametrize(
    ("operation", "reply", "where"),
    [
        ("stability", image("JPEG"), "$"),  # PNG asked
        ("stability", b"not an image", "$"),
        ("stability", {"image": b64(), "finish_reason": "DONE"}, "$.finish_reason"),
        ("stability-result", {"id": "a", "status": "done"}, "$.status"),  # a status never sent
        ("stability-result", {"finish_reason": "SUCCESS", "seed": 1}, "$.image"),  # finished, no image
    ],
)
def test_a_reply_that_breaks_the_contract(operation: str, reply: Any, where: str) -> None:
    request = validate_stability_request(operation, ULTRA, {"prompt": "a fox"}, None)
    assert where in [path for path, _ in check_stability_reply(request, reply)]
    with pytest.raises(SchemaAssertionError, match="Stability AI API"):
        check_reply(request, reply)


def multipart(**fields: str) -> dict[str, Any]:
    return {"multipart": [{"name": name, "value": value} for name, value in fields.items()]}


def stored(method: str, uri: str, body: Any, status: int, reply: Any) -> dict[str, Any]:
    request: dict[str, Any] = {"method": method, "uri": uri, "headers": {}, "body": body}
    response = {"status": {"code": status}, "headers": {}, "body": reply}
    return {"request": request, "response": response}


def test_the_verdict_of_stored_interactions_a_bare_image_included() -> None:
    uri = f"https://api.stability.ai{ULTRA}"
    png = stored("POST", uri, multipart(prompt="a fox"), 200, {"image": {"base64": b64()}})
    assert contract_problems(png) == []
    assert model_of(png["request"]) == "generate/ultra"
    jpeg = stored("POST", uri, multipart(prompt="a fox"), 200, {"image": {"base64": b64("JPEG")}})
    assert contract_problems(jpeg) == [("reply $", "image is jpeg, expected png")]
    pending = stored("GET", RESULT, None, 202, {"json": {"id": "a", "status": "in-progress"}})
    assert contract_problems(pending) == []
    refused = stored(
        "POST", uri, multipart(), 400, {"json": {"id": "e", "name": "bad_request", "errors": ["x"]}}
    )
    assert contract_problems(refused) == []


@pytest.mark.parametrize(
    ("method", "uri", "status", "state"),
    [
        ("GET", RESULT, 202, "pending"),
        ("GET", RESULT, 200, "final"),
        ("GET", RESULT, 404, None),
        ("POST", f"https://api.stability.ai{CREATIVE}", 200, None),
    ],
)
def test_job_state(method: str, uri: str, status: int, state: str | None) -> None:
    assert STABILITY.job_state(method, uri, status, None) == state
