"""The ``bfl`` shape: requests Black Forest Labs refuses (naming the field), replies that break the
contract (a status the service never sends, a Ready job with no sample), the verdict of stored
interactions, and which replies are a job's pending or final state."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_imagegen.cassette.checks import contract_problems, model_of
from pytest_imagegen.contract import check_reply, registry, validate_request
from pytest_imagegen.contract.bfl import BFL, check_bfl_reply, validate_bfl_request
from pytest_imagegen.errors import RequestValidationError, SchemaAssertionError

POLL = "https://api.eu4.bfl.ai/v1/get_result?id=j1"
ASK: dict[str, Any] = {"prompt": "a fox", "width": 512, "height": 768, "output_format": "png", "seed": 7}
READY: dict[str, Any] = {
    "id": "j1",
    "status": "Ready",
    "result": {"sample": "https://delivery-eu4.bfl.ai/results/x/sample.png?se=1&sig=abc", "seed": 7},
    "progress": None,
}


def test_the_shape_is_registered_and_recognised_under_any_host() -> None:
    assert registry.shape_for("https://api.bfl.ai/v1/flux-2-pro") is BFL
    assert registry.shape_for(POLL) is BFL
    assert registry.shape_for("https://delivery-eu4.bfl.ai/results/x/sample.png") is None
    assert registry.operation_path("/gateway/v1/flux-pro-1.1") == "/v1/flux-pro-1.1"
    assert registry.operation_path("/v1/get_result") == "/v1/get_result"
    assert "BFL_API_KEY" in registry.key_variables()
    assert "x-key" in registry.credential_headers()
    assert {"POST", "GET"} <= set(BFL.methods)


def test_a_valid_request() -> None:
    request = validate_bfl_request("bfl", "/v1/flux-pro-1.1", ASK)
    assert (request.model, request.width, request.height, request.output_format) == (
        "flux-pro-1.1",
        512,
        768,
        "png",
    )
    assert validate_request("bfl", ASK, path="/v1/flux-dev").endpoint == "bfl"


@pytest.mark.parametrize(
    ("model", "change", "field"),
    [
        ("flux-pro-1.1", {"prompt": None}, "prompt"),
        ("flux-pro-1.1", {"prompt": 3}, "prompt"),
        ("flux-pro-1.1", {"width": 500}, "width"),  # not a multiple of 32
        ("flux-pro-1.1", {"height": 2048}, "height"),  # above 1440
        ("flux-2-pro", {"width": 72}, "width"),  # not a multiple of 16
        ("flux-pro-1.1", {"output_format": "webp"}, "output_format"),
        ("flux-dev", {"seed": "seven"}, "seed"),
        ("flux-dev", {"safety_tolerance": 9}, "safety_tolerance"),
        ("flux-dev", {"prompt_upsampling": "yes"}, "prompt_upsampling"),
    ],
)
def test_a_request_the_service_refuses_names_the_field(
    model: str, change: dict[str, Any], field: str
) -> None:
    body = {k: v for k, v in {**ASK, **change}.items() if v is not None}
    with pytest.raises(RequestValidationError) as caught:
        validate_bfl_request("bfl", f"/v1/{model}", body)
    assert caught.value.field == field


def test_flux_2_takes_webp_and_sizes_in_steps_of_16_and_an_unknown_model_passes() -> None:
    validate_bfl_request("bfl", "/v1/flux-2-pro", {**ASK, "width": 1040, "output_format": "webp"})
    validate_bfl_request("bfl", "/v1/flux-9-future", {**ASK, "width": 1000})
    validate_bfl_request("bfl", "/v1/flux-kontext-pro", {"prompt": "x", "input_image": "aGk="})


def test_replies_of_each_step() -> None:
    submit = validate_bfl_request("bfl", "/v1/flux-dev", ASK)
    poll = validate_bfl_request("bfl-result", "/v1/get_result", {})
    assert check_bfl_reply(submit, {"id": "j1", "polling_url": POLL, "cost": 2.5}) == []
    assert check_bfl_reply(poll, {"id": "j1", "status": "Pending", "result": None, "progress": 0.4}) == []
    assert check_bfl_reply(poll, READY) == []
    assert check_bfl_reply(poll, {"id": "j1", "status": "Content Moderated", "result": None}) == []


@pytest.mark.parametrize(
    ("reply", "where"),
    [
        ({"id": "j1", "status": "Done", "result": None}, "$.status"),  # a status the service never sends
        ({"id": "j1", "status": "Ready", "result": None}, "$.result.sample"),  # Ready, nothing to fetch
        ({"id": "j1", "status": "Ready", "result": {"seed": 1}}, "$.result.sample"),
        ({**READY, "result": {"sample": "not a url"}}, "$.result.sample"),
    ],
)
def test_a_status_read_that_breaks_the_contract(reply: dict[str, Any], where: str) -> None:
    poll = validate_bfl_request("bfl-result", "/v1/get_result", {})
    assert where in [path for path, _ in check_bfl_reply(poll, reply)]
    with pytest.raises(SchemaAssertionError, match="Black Forest Labs API"):
        check_reply(poll, reply)


def test_a_submit_reply_without_a_polling_url_breaks_the_contract() -> None:
    submit = validate_bfl_request("bfl", "/v1/flux-dev", ASK)
    assert [p for p, _ in check_bfl_reply(submit, {"id": "j1"})] == ["$.polling_url"]
    assert [p for p, _ in check_bfl_reply(submit, {"id": "j1", "polling_url": "/relative"})] == [
        "$.polling_url"
    ]


def stored(method: str, uri: str, body: Any, status: int, reply: Any) -> dict[str, Any]:
    request: dict[str, Any] = {"method": method, "uri": uri, "headers": {}}
    if body is not None:
        request["body"] = {"json": body}
    return {
        "request": request,
        "response": {"status": {"code": status}, "headers": {}, "body": {"json": reply}},
    }


def test_the_verdict_of_stored_interactions() -> None:
    submit = stored("POST", "https://api.bfl.ai/v1/flux-dev", ASK, 200, {"id": "j1", "polling_url": POLL})
    assert contract_problems(submit) == []
    assert model_of(submit["request"]) == "flux-dev"
    assert contract_problems(stored("GET", POLL, None, 200, READY)) == []
    bad = stored("GET", POLL, None, 200, {"id": "j1", "status": "Ready", "result": None})
    assert [where for where, _ in contract_problems(bad)] == ["reply $.result.sample"]
    refused = stored("POST", "https://api.bfl.ai/v1/flux-dev", {**ASK, "width": 3}, 422, {"detail": []})
    assert contract_problems(refused) == []
    wrong = stored("POST", "https://api.bfl.ai/v1/flux-dev", {**ASK, "width": 3}, 200, {"id": "j"})
    assert "request width" in [where for where, _ in contract_problems(wrong)]


@pytest.mark.parametrize(
    ("method", "uri", "status", "body", "state"),
    [
        ("GET", POLL, 200, {"id": "j1", "status": "Pending"}, "pending"),
        ("GET", POLL, 200, READY, "final"),
        ("GET", POLL, 200, {"id": "j1", "status": "Error"}, "final"),
        ("GET", POLL, 200, {"id": "j1", "status": "Content Moderated"}, "final"),
        ("GET", POLL, 200, {"id": "j1", "status": "Request Moderated"}, "final"),
        ("GET", POLL, 200, {"id": "j1", "status": "Task not found"}, "final"),
        ("GET", POLL, 200, {"id": "j1", "status": "Done"}, None),
        ("POST", "https://api.bfl.ai/v1/flux-dev", 200, {"id": "j1", "polling_url": POLL}, None),
        ("GET", "https://delivery-eu4.bfl.ai/results/x/sample.png", 200, None, None),
    ],
)
def test_job_state(method: str, uri: str, status: int, body: Any, state: str | None) -> None:
    assert BFL.job_state(method, uri, status, body) == state
