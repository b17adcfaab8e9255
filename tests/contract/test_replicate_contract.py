"""The ``replicate`` shape: requests Replicate refuses (naming the field), predictions that break the
contract (a status the service never sends, a succeeded prediction with no output), the verdict of stored
interactions, and which reads are a prediction's pending or final state."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_imagegen.cassette.checks import contract_problems, model_of
from pytest_imagegen.contract import check_reply, registry
from pytest_imagegen.contract.replicate import REPLICATE, check_replicate_reply, validate_replicate_request
from pytest_imagegen.errors import RequestValidationError, SchemaAssertionError

CREATE = "https://api.replicate.com/v1/models/black-forest-labs/flux-schnell/predictions"
READ = "https://api.replicate.com/v1/predictions/abc123"
ASK: dict[str, Any] = {"input": {"prompt": "a fox", "num_outputs": 2, "output_format": "png"}}


def prediction(status: str, output: Any = None) -> dict[str, Any]:
    return {
        "id": "abc123",
        "model": "black-forest-labs/flux-schnell",
        "version": "dp-1",
        "input": ASK["input"],
        "status": status,
        "urls": {"get": READ, "cancel": f"{READ}/cancel"},
        "output": output,
        "error": None,
        "logs": "",
    }


OUTPUT = ["https://replicate.delivery/xezq/a/out-0.png", "https://replicate.delivery/xezq/a/out-1.png"]


def test_the_shape_is_registered_and_recognised_under_any_host() -> None:
    assert registry.shape_for(CREATE) is REPLICATE
    assert registry.shape_for(READ) is REPLICATE
    assert registry.shape_for(f"{READ}/cancel") is REPLICATE
    assert registry.shape_for("https://replicate.delivery/xezq/a/out-0.webp") is None
    assert registry.operation_path("/proxy/v1/predictions/abc123") == "/v1/predictions/abc123"
    assert "REPLICATE_API_TOKEN" in registry.key_variables()


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/models/a/b/predictions", {}, "input"),
        ("/v1/models/a/b/predictions", {"input": "a fox"}, "input"),
        ("/v1/models/a/b/predictions", {"input": {"num_outputs": 0}}, "num_outputs"),
        ("/v1/models/a/b/predictions", {"input": {"output_format": "gif"}}, "output_format"),
        ("/v1/models/a/b/predictions", {"input": {"seed": "x"}}, "seed"),
        ("/v1/models/a/b/predictions", {"input": {}, "webhook": 3}, "webhook"),
        ("/v1/predictions", {"input": {}}, "version"),
    ],
)
def test_a_request_the_service_refuses_names_the_field(path: str, body: dict[str, Any], field: str) -> None:
    with pytest.raises(RequestValidationError) as caught:
        validate_replicate_request("replicate", path, body)
    assert caught.value.field == field


def test_replies_at_each_step() -> None:
    create = validate_replicate_request("replicate", "/v1/models/a/b/predictions", ASK)
    read = validate_replicate_request("replicate-prediction", "/v1/predictions/abc123", {})
    assert create.count == 2
    assert check_replicate_reply(create, prediction("starting")) == []
    assert check_replicate_reply(read, prediction("processing")) == []
    assert check_replicate_reply(read, prediction("succeeded", OUTPUT)) == []
    assert check_replicate_reply(read, prediction("succeeded", OUTPUT[0])) == []  # one-image models
    assert check_replicate_reply(read, prediction("failed")) == []
    assert check_replicate_reply(read, prediction("canceled")) == []


@pytest.mark.parametrize(
    ("reply", "where"),
    [
        (prediction("done"), "$.status"),  # a status the service never sends
        (prediction("succeeded"), "$.output"),  # succeeded, nothing to fetch
        (prediction("succeeded", []), "$.output"),
        (prediction("succeeded", ["not a url"]), "$.output[0]"),
        ({**prediction("starting"), "urls": {"get": "/relative"}}, "$.urls.get"),
    ],
)
def test_a_prediction_that_breaks_the_contract(reply: dict[str, Any], where: str) -> None:
    read = validate_replicate_request("replicate-prediction", "/v1/predictions/abc123", {})
    assert where in [path for path, _ in check_replicate_reply(read, reply)]
    with pytest.raises(SchemaAssertionError, match="Replicate API"):
        check_reply(read, reply)


def test_as_many_outputs_as_asked() -> None:
    create = validate_replicate_request("replicate", "/v1/models/a/b/predictions", ASK)
    problems = check_replicate_reply(create, prediction("succeeded", OUTPUT[:1]))
    assert problems == [("$.output", "1 output(s), 2 asked (num_outputs)")]


def stored(method: str, uri: str, body: Any, status: int, reply: Any) -> dict[str, Any]:
    request: dict[str, Any] = {"method": method, "uri": uri, "headers": {}}
    if body is not None:
        request["body"] = {"json": body}
    return {
        "request": request,
        "response": {"status": {"code": status}, "headers": {}, "body": {"json": reply}},
    }


def test_the_verdict_of_stored_interactions() -> None:
    create = stored("POST", CREATE, ASK, 201, prediction("starting"))
    assert contract_problems(create) == []
    assert model_of(create["request"]) == "black-forest-labs/flux-schnell"
    assert contract_problems(stored("GET", READ, None, 200, prediction("succeeded", OUTPUT))) == []
    bad = stored("GET", READ, None, 200, prediction("succeeded"))
    assert [where for where, _ in contract_problems(bad)] == ["reply $.output"]
    refused = stored(
        "POST", CREATE, {"input": 1}, 422, {"title": "Invalid", "detail": "input", "status": 422}
    )
    assert contract_problems(refused) == []


@pytest.mark.parametrize(
    ("method", "uri", "status", "state"),
    [
        ("GET", READ, "starting", "pending"),
        ("GET", READ, "processing", "pending"),
        ("GET", READ, "succeeded", "final"),
        ("GET", READ, "failed", "final"),
        ("GET", READ, "canceled", "final"),
        ("GET", READ, "done", None),
        ("POST", CREATE, "starting", None),  # the create is no status read
        ("POST", f"{READ}/cancel", "canceled", None),
    ],
)
def test_job_state(method: str, uri: str, status: str, state: str | None) -> None:
    assert REPLICATE.job_state(method, uri, 200, prediction(status)) == state
