"""Responses API replies checked against the contract and the request: every problem with its JSON path.

A valid JSON reply and a valid stream are built here (tiny real PNGs, the event order of the service),
then doctored one way at a time; each doctored reply must fail at the path that names the problem, and
the valid ones must pass.
"""

from __future__ import annotations

import base64
import copy
import io
from collections.abc import Callable
from typing import Any

import pytest
from PIL import Image

from pytest_imagegen.contract import check_reply, validate_request
from pytest_imagegen.contract.responses import ResponsesRequest, check_responses_reply, is_responses_reply
from pytest_imagegen.errors import SchemaAssertionError

ITEM_ID = "ig_0123456789abcdef"


def b64_png(size: tuple[int, int] = (16, 16), fmt: str = "PNG") -> str:
    out = io.BytesIO()
    Image.new("RGB", size, (90, 40, 200)).save(out, fmt)
    return base64.b64encode(out.getvalue()).decode()


def request(stream: bool = False, partial_images: int = 2, **tool: Any) -> ResponsesRequest:
    options = {
        "type": "image_generation",
        "size": "16x16",
        "quality": "low",
        "partial_images": partial_images,
    }
    params = {"model": "gpt-5", "input": "a kite", "tools": [{**options, **tool}], "stream": stream}
    return validate_request("responses", params)


def call_item(result: str | None = None, status: str = "completed") -> dict[str, Any]:
    item: dict[str, Any] = {"id": ITEM_ID, "type": "image_generation_call", "status": status}
    if status == "completed":
        item.update(
            background="opaque", output_format="png", quality="low", size="16x16", result=result or b64_png()
        )
    return item


def response(output: list[Any], status: str = "completed") -> dict[str, Any]:
    return {
        "id": "resp_0123456789abcdef",
        "object": "response",
        "created_at": 1_700_000_000,
        "status": status,
        "model": "gpt-5",
        "output": output,
        "usage": {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15}
        if status == "completed"
        else None,
        "tool_usage": {
            "image_gen": {
                "input_tokens": 3,
                "input_tokens_details": {"image_tokens": 0, "text_tokens": 3},
                "output_tokens": 16,
                "total_tokens": 19,
            }
        },
    }


def stream(partials: int = 2) -> list[dict[str, Any]]:
    at = {"output_index": 0, "item_id": ITEM_ID}
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": response([], "in_progress")},
        {"type": "response.in_progress", "response": response([], "in_progress")},
        {"type": "response.output_item.added", "output_index": 0, "item": call_item(status="in_progress")},
        {"type": "response.image_generation_call.in_progress", **at},
        {"type": "response.image_generation_call.generating", **at},
    ]
    for index in range(partials):
        events.append(
            {
                "type": "response.image_generation_call.partial_image",
                **at,
                "partial_image_b64": b64_png(),
                "partial_image_index": index,
                "size": "16x16",
                "output_format": "png",
            }
        )
    final = call_item()
    events += [
        {"type": "response.image_generation_call.completed", **at},
        {"type": "response.output_item.done", "output_index": 0, "item": final},
        {"type": "response.completed", "response": response([copy.deepcopy(final)])},
    ]
    return [{**event, "sequence_number": n} for n, event in enumerate(events)]


def problems_of(req: ResponsesRequest | None, reply: Any, *, strict: bool = False) -> list[tuple[str, str]]:
    try:
        check_reply(req, reply, strict=strict)
    except SchemaAssertionError as exc:
        problems, text = exc.problems, str(exc)
    else:
        return []
    assert "breaks the Responses API contract" in text
    return problems


def paths(problems: list[tuple[str, str]]) -> list[str]:
    return [path for path, _ in problems]


def test_valid_json_reply_and_stream_pass() -> None:
    assert problems_of(request(), response([call_item()])) == []
    assert problems_of(request(stream=True), stream()) == []
    assert problems_of(None, stream(), strict=True) == []


def test_shape_is_told_from_the_reply() -> None:
    assert is_responses_reply(response([]))
    assert is_responses_reply(stream())
    assert not is_responses_reply({"created": 1, "data": []})
    assert not is_responses_reply([{"type": "image_generation.completed"}])


# --- JSON reply ----------------------------------------------------------------------------------------

Doctor = Callable[[dict[str, Any]], None]


def _set(path: list[Any], value: Any) -> Doctor:
    def doctor(body: dict[str, Any]) -> None:
        node: Any = body
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value

    return doctor


def _drop(path: list[Any]) -> Doctor:
    def doctor(body: dict[str, Any]) -> None:
        node: Any = body
        for step in path[:-1]:
            node = node[step]
        del node[path[-1]]

    return doctor


JSON_CASES = [
    pytest.param(_drop(["output", 0, "result"]), "$.output[0].result", "missing", id="missing-result"),
    pytest.param(
        _set(["output", 0, "size"], "32x32"), "$.output[0].size", "asked '16x16'", id="wrong-echoed-size"
    ),
    pytest.param(
        _set(["output", 0, "output_format"], "jpeg"),
        "$.output[0].output_format",
        "asked 'png'",
        id="wrong-format-echo",
    ),
    pytest.param(
        _set(["output", 0, "quality"], "high"), "$.output[0].quality", "asked 'low'", id="wrong-quality-echo"
    ),
    pytest.param(
        _set(["output", 0, "result"], b64_png((32, 32))),
        "$.output[0].result",
        "32x32, expected 16x16",
        id="wrong-size",
    ),
    pytest.param(
        _set(["output", 0, "result"], b64_png(fmt="JPEG")),
        "$.output[0].result",
        "jpeg, expected png",
        id="wrong-bytes",
    ),
    pytest.param(
        _set(["output", 0, "result"], "bm90IGFuIGltYWdl"), "$.output[0].result", "does not decode", id="junk"
    ),
    pytest.param(_set(["output", 0, "status"], "done"), "$.output[0].status", "", id="bad-status"),
    pytest.param(_drop(["output", 0, "id"]), "$.output[0].id", "required", id="no-item-id"),
    pytest.param(_drop(["id"]), "$.id", "required", id="no-response-id"),
    pytest.param(_set(["object"], "chat.completion"), "$.object", "", id="not-a-response"),
    pytest.param(
        _set(["tool_usage", "image_gen", "output_tokens"], "16"),
        "$.tool_usage.image_gen.output_tokens",
        "",
        id="usage",
    ),
    pytest.param(
        _set(["previous_response_id"], "resp_other"), "$.previous_response_id", "continued", id="previous-id"
    ),
]


@pytest.mark.parametrize(("doctor", "path", "words"), JSON_CASES)
def test_json_reply_problem_named_by_path(doctor: Doctor, path: str, words: str) -> None:
    body = response([call_item()])
    doctor(body)
    req = validate_request(
        "responses",
        {
            "model": "gpt-5",
            "input": "x",
            "previous_response_id": "resp_before",
            "tools": [{"type": "image_generation", "size": "16x16", "quality": "low"}],
        },
    )
    found = problems_of(req, body)
    assert any(where == path and words in message for where, message in found), found


def test_json_reply_to_a_stream_request_and_the_reverse() -> None:
    assert (
        "$",
        "the request asked for a stream (stream=true) but the reply is one JSON body",
    ) in problems_of(request(stream=True), response([call_item()]))
    assert "$" in paths(problems_of(request(stream=False), stream()))


def test_an_image_call_the_request_did_not_offer() -> None:
    req = validate_request("responses", {"model": "gpt-5", "input": "hello"})
    assert "$.output[0]" in paths(problems_of(req, response([call_item()])))


def test_a_forced_image_call_that_never_came() -> None:
    req = validate_request(
        "responses",
        {
            "model": "gpt-5",
            "input": "x",
            "tools": [{"type": "image_generation"}],
            "tool_choice": {"type": "image_generation"},
        },
    )
    message = {"id": "msg_1", "type": "message", "role": "assistant", "content": []}
    assert "$.output" in paths(problems_of(req, response([message])))
    assert problems_of(req, response([call_item()])) == []


def test_a_failed_call_needs_no_result() -> None:
    item = {
        **call_item(status="failed"),
        "error": {"message": "blocked", "type": "image_generation_user_error"},
    }
    assert problems_of(request(), response([item])) == []


def sdk_response(output: list[Any]) -> Any:
    """The openai SDK's own ``Response`` for a body (with the fields the SDK requires)."""
    from openai.types.responses import Response

    body = copy.deepcopy(response(output))
    body["usage"] = {
        **body["usage"],
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens_details": {"reasoning_tokens": 0},
    }
    body["tool_usage"]["web_search"] = {"num_requests": 0}
    return Response.model_validate({**body, "parallel_tool_calls": True, "tool_choice": "auto", "tools": []})


def test_the_sdk_response_object_is_checked_too() -> None:
    assert problems_of(request(), sdk_response([call_item()])) == []
    broken = sdk_response([{**call_item(), "size": "99x99"}])
    assert "$.output[0].size" in paths(problems_of(request(), broken))


# --- streams -------------------------------------------------------------------------------------------

EventsDoctor = Callable[[list[dict[str, Any]]], None]


def partial_after_completion(events: list[dict[str, Any]]) -> None:
    late = copy.deepcopy(events[5])
    events.insert(8, {**late, "partial_image_index": 2})


def sequence_repeats(events: list[dict[str, Any]]) -> None:
    events[3]["sequence_number"] = 2


def starts_late(events: list[dict[str, Any]]) -> None:
    del events[0]


def cut_short(events: list[dict[str, Any]]) -> None:
    del events[-3:]


def index_from_one(events: list[dict[str, Any]]) -> None:
    events[5]["partial_image_index"] = 1
    events[6]["partial_image_index"] = 2


def index_goes_back(events: list[dict[str, Any]]) -> None:
    events[6]["partial_image_index"] = 0


def unknown_item(events: list[dict[str, Any]]) -> None:
    events[5]["item_id"] = "ig_somebody_else"


def wrong_output_index(events: list[dict[str, Any]]) -> None:
    events[6]["output_index"] = 3


def done_without_result(events: list[dict[str, Any]]) -> None:
    del events[8]["item"]["result"]


def done_wrong_size(events: list[dict[str, Any]]) -> None:
    events[8]["item"]["size"] = "1024x1024"


def partial_wrong_size(events: list[dict[str, Any]]) -> None:
    events[5]["partial_image_b64"] = b64_png((8, 8))
    del events[5]["size"]


def event_after_the_end(events: list[dict[str, Any]]) -> None:
    events.append({**copy.deepcopy(events[4]), "sequence_number": 99})


def no_sequence_number(events: list[dict[str, Any]]) -> None:
    del events[4]["sequence_number"]


def completed_not_completed(events: list[dict[str, Any]]) -> None:
    events[-1]["response"]["status"] = "in_progress"


def completed_wrong_size(events: list[dict[str, Any]]) -> None:
    events[-1]["response"]["output"][0]["size"] = "64x64"


STREAM_CASES = [
    pytest.param(
        partial_after_completion, "$[8]", "after the image_generation_call completed", id="partial-after-done"
    ),
    pytest.param(sequence_repeats, "$[3].sequence_number", "not after", id="sequence"),
    pytest.param(starts_late, "$[0].type", "starts with 'response.created'", id="no-created"),
    pytest.param(cut_short, "$", "no terminal event", id="cut-short"),
    pytest.param(index_from_one, "$[5].partial_image_index", "first partial image is 0", id="index-from-1"),
    pytest.param(index_goes_back, "$[6].partial_image_index", "not after", id="index-back"),
    pytest.param(unknown_item, "$[5].item_id", "no response.output_item.added", id="unknown-item"),
    pytest.param(wrong_output_index, "$[6].output_index", "added at output_index 0", id="output-index"),
    pytest.param(done_without_result, "$[8].item.result", "missing", id="done-without-result"),
    pytest.param(done_wrong_size, "$[8].item.size", "asked '16x16'", id="done-wrong-size"),
    pytest.param(
        partial_wrong_size, "$[5].partial_image_b64", "8x8, expected 16x16", id="partial-image-size"
    ),
    pytest.param(event_after_the_end, "$[10]", "after the stream's terminal event", id="after-the-end"),
    pytest.param(no_sequence_number, "$[4].sequence_number", "required", id="no-sequence-number"),
    pytest.param(
        completed_not_completed, "$[9].response.status", "in response.completed", id="completed-status"
    ),
    pytest.param(completed_wrong_size, "$[9].response.output[0].size", "asked '16x16'", id="final-echo"),
]


@pytest.mark.parametrize(("doctor", "path", "words"), STREAM_CASES)
def test_stream_problem_named_by_path(doctor: EventsDoctor, path: str, words: str) -> None:
    events = stream()
    doctor(events)
    found = problems_of(request(stream=True), events)
    assert any(where == path and words in message for where, message in found), found


def test_more_partials_than_asked() -> None:
    found = problems_of(request(stream=True, partial_images=1), stream(partials=2))
    assert ("$[6]", "partial image number 2, but the tool asked partial_images=1") in found


def test_fewer_partials_than_asked_is_legal() -> None:
    assert problems_of(request(stream=True, partial_images=3), stream(partials=1)) == []


def test_the_final_image_may_be_left_out_of_response_completed() -> None:
    events = stream()
    del events[-1]["response"]["output"][0]["result"]
    assert problems_of(request(stream=True), events) == []


def test_an_error_event_ends_a_stream() -> None:
    events = stream()[:5]
    events.append({"type": "error", "sequence_number": 5, "message": "server error", "code": "server_error"})
    assert problems_of(request(stream=True), events) == []


def test_other_event_types_pass_and_unknown_ones_fail_only_in_strict_mode() -> None:
    events = stream()
    extra = {
        "type": "response.output_text.delta",
        "item_id": "msg_1",
        "output_index": 1,
        "content_index": 0,
        "delta": "hi",
    }
    unknown = {"type": "response.hologram.delta"}
    events[9:9] = [{**extra, "sequence_number": 9}, {**unknown, "sequence_number": 10}]
    for n, event in enumerate(events):
        event["sequence_number"] = n
    assert problems_of(request(stream=True), events) == []
    assert paths(problems_of(request(stream=True), events, strict=True)) == ["$[10].type"]


def test_strict_mode_reports_unknown_fields() -> None:
    body = response([{**call_item(), "sparkle": True}])
    assert problems_of(request(), body) == []
    assert "$.output[0].sparkle" in paths(problems_of(request(), body, strict=True))


def test_check_responses_reply_rejects_other_kinds() -> None:
    with pytest.raises(SchemaAssertionError) as info:
        check_responses_reply(None, "not a reply")
    assert info.value.problems[0][0] == "$"
