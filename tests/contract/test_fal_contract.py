"""The ``fal`` shape: requests fal refuses (naming the field), replies that break the contract (a status
the service never sends, a COMPLETED job with nothing to fetch), the verdict of stored interactions, and
which status reads are a job's pending or final state."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_imagegen.cassette.checks import contract_problems, model_of
from pytest_imagegen.contract import check_reply, registry
from pytest_imagegen.contract.fal import FAL, check_fal_reply, validate_fal_request
from pytest_imagegen.errors import RequestValidationError, SchemaAssertionError

SUBMIT = "https://queue.fal.run/fal-ai/flux/dev"
BASE = "https://queue.fal.run/fal-ai/flux/requests/r1"
STATUS = f"{BASE}/status"
ASK: dict[str, Any] = {"prompt": "a fox", "num_images": 2, "image_size": "square", "output_format": "png"}
QUEUED = {"request_id": "r1", "status_url": STATUS, "response_url": BASE, "cancel_url": f"{BASE}/cancel"}
IMAGE = {
    "url": "https://v3.fal.media/files/x/a.png",
    "width": 512,
    "height": 512,
    "content_type": "image/png",
}


def test_the_shape_is_registered_and_recognised_under_any_host() -> None:
    assert registry.shape_for(SUBMIT) is FAL
    assert registry.shape_for(STATUS) is FAL
    assert registry.shape_for("https://v3.fal.media/files/x/a.png") is None
    assert registry.operation_path("/fal-ai/flux/requests/r1/status") == "/fal-ai/flux/requests/r1/status"
    assert "FAL_KEY" in registry.key_variables()
    assert [FAL.operation_of(p) for p in ("/fal-ai/flux/dev", STATUS, BASE, f"{BASE}/cancel")] == [
        "fal",
        "fal-status",
        "fal-result",
        "fal-cancel",
    ]


def test_a_valid_request() -> None:
    request = validate_fal_request("fal", "/fal-ai/flux/dev", ASK)
    assert (request.app, request.count, request.width, request.height) == ("fal-ai/flux/dev", 2, 512, 512)
    sized = validate_fal_request("fal", "/fal-ai/flux/dev", {"image_size": {"width": 64, "height": 48}})
    assert (sized.width, sized.height) == (64, 48)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"prompt": 3}, "prompt"),
        ({"num_images": 0}, "num_images"),
        ({"image_size": "huge"}, "image_size"),
        ({"image_size": {"width": 64}}, "image_size"),
        ({"image_size": {"width": 0, "height": 64}}, "width"),
        ({"output_format": "gif"}, "output_format"),
        ({"seed": -1}, "seed"),
        ({"sync_mode": "yes"}, "sync_mode"),
    ],
)
def test_a_request_the_service_refuses_names_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(RequestValidationError) as caught:
        validate_fal_request("fal", "/fal-ai/flux/dev", {**ASK, **change})
    assert caught.value.field == field


def test_replies_at_each_step() -> None:
    submit = validate_fal_request("fal", "/fal-ai/flux/dev", ASK)
    status = validate_fal_request("fal-status", STATUS, {})
    result = validate_fal_request("fal-result", BASE, {})
    assert check_fal_reply(submit, {**QUEUED, "queue_position": 0}) == []
    assert check_fal_reply(status, {"status": "IN_QUEUE", "queue_position": 2}) == []
    assert check_fal_reply(status, {"status": "IN_PROGRESS", "logs": [{"message": "x"}]}) == []
    assert check_fal_reply(status, {"status": "COMPLETED", "response_url": BASE}) == []
    assert check_fal_reply(result, {"images": [IMAGE], "seed": 1, "has_nsfw_concepts": [False]}) == []


@pytest.mark.parametrize(
    ("operation", "reply", "where"),
    [
        ("fal-status", {"status": "DONE"}, "$.status"),  # a status the service never sends
        ("fal-status", {"status": "COMPLETED"}, "$.response_url"),
        ("fal-result", {"images": []}, "$.images"),  # completed, nothing to fetch
        ("fal-result", {"seed": 1}, "$.images"),
        ("fal-result", {"images": [{**IMAGE, "url": "nope"}]}, "$.images[0].url"),
        ("fal", {"request_id": "r1"}, "$.status_url"),
    ],
)
def test_a_reply_that_breaks_the_contract(operation: str, reply: dict[str, Any], where: str) -> None:
    request = validate_fal_request(operation, SUBMIT if operation == "fal" else STATUS, ASK)
    assert where in [path for path, _ in check_fal_reply(request, reply)]
    with pytest.raises(SchemaAssertionError, match=r"fal\.ai"):
        check_reply(request, reply)


def stored(method: str, uri: str, body: Any, status: int, reply: Any) -> dict[str, Any]:
    request: dict[str, Any] = {"method": method, "uri": uri, "headers": {}}
    if body is not None:
        request["body"] = {"json": body}
    return {
        "request": request,
        "response": {"status": {"code": status}, "headers": {}, "body": {"json": reply}},
    }


def test_the_verdict_of_stored_interactions() -> None:
    submit = stored("POST", SUBMIT, ASK, 200, QUEUED)
    assert contract_problems(submit) == []
    assert model_of(submit["request"]) == "fal-ai/flux/dev"
    assert contract_problems(stored("GET", f"{STATUS}?logs=false", None, 202, {"status": "IN_QUEUE"})) == []
    assert contract_problems(stored("GET", BASE, None, 200, {"images": [IMAGE]})) == []
    bad = stored("GET", BASE, None, 200, {"images": []})
    assert [where for where, _ in contract_problems(bad)] == ["reply $.images"]
    assert (
        contract_problems(stored("PUT", f"{BASE}/cancel", None, 202, {"status": "CANCELLATION_REQUESTED"}))
        == []
    )
    refused = stored(
        "POST", SUBMIT, {**ASK, "num_images": 0}, 422, {"detail": [{"loc": ["body"], "msg": "x"}]}
    )
    assert contract_problems(refused) == []


@pytest.mark.parametrize(
    ("method", "uri", "body", "state"),
    [
        ("GET", STATUS, {"status": "IN_QUEUE", "queue_position": 0}, "pending"),
        ("GET", f"{STATUS}?logs=true", {"status": "IN_PROGRESS"}, "pending"),
        ("GET", STATUS, {"status": "COMPLETED", "response_url": BASE}, "final"),
        ("GET", STATUS, {"status": "DONE"}, None),
        ("GET", BASE, {"images": [IMAGE]}, None),  # the result is no status read
        ("POST", SUBMIT, QUEUED, None),
    ],
)
def test_job_state(method: str, uri: str, body: Any, state: str | None) -> None:
    assert FAL.job_state(method, uri, 200, body) == state
