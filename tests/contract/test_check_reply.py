"""check_reply, parse_reply, parse_stream_event, check_error_reply: schema and agreement with the request."""

from __future__ import annotations

from typing import Any

import openai.types
import pytest

from pytest_imagegen.contract import (
    ImageEditCompletedEvent,
    ImagesResponse,
    ValidatedRequest,
    check_error_reply,
    check_reply,
    json_path,
    parse_reply,
    parse_stream_event,
    validate_request,
)
from pytest_imagegen.errors import SchemaAssertionError

from .images import b64_image, make_image

USAGE = {
    "total_tokens": 100,
    "input_tokens": 50,
    "output_tokens": 50,
    "input_tokens_details": {"text_tokens": 10, "image_tokens": 40},
}
SMALL = "64x64"
PNG_64 = b64_image("png", (64, 64))


def _gpt2(**params: Any) -> ValidatedRequest:
    """A gpt-image-2 request for small free-form images (fast to make and decode)."""
    return validate_request(
        "generations", {"model": "gpt-image-2", "prompt": "otter", "size": SMALL, **params}
    )


def _reply(n: int = 1, b64: str = PNG_64, **fields: Any) -> dict[str, Any]:
    return {"created": 1713833628, "data": [{"b64_json": b64} for _ in range(n)], "usage": USAGE, **fields}


def _problems(request: ValidatedRequest | None, reply: Any, **kw: Any) -> list[tuple[str, str]]:
    with pytest.raises(SchemaAssertionError) as info:
        check_reply(request, reply, **kw)
    assert str(info.value).count("\n  at ") == len(info.value.problems)
    return info.value.problems


def _paths(request: ValidatedRequest | None, reply: Any, **kw: Any) -> list[str]:
    return [path for path, _ in _problems(request, reply, **kw)]


# --- JSON replies --------------------------------------------------------------------------------


def test_a_matching_reply_passes() -> None:
    check_reply(_gpt2(n=3), _reply(3, size=SMALL, output_format="png", quality="low"))


def test_missing_created_names_its_path() -> None:
    reply = _reply()
    del reply["created"]
    assert _problems(None, reply) == [("$.created", "required field is missing")]


def test_wrong_type_names_its_path() -> None:
    (problem,) = _problems(None, {"created": "yesterday", "data": []})
    assert problem[0] == "$.created"
    assert "valid integer" in problem[1]
    assert "'yesterday'" in problem[1]


def test_nested_paths_follow_json_path_syntax() -> None:
    reply = _reply()
    reply["usage"] = {**USAGE, "input_tokens_details": {"text_tokens": "10"}}
    assert _paths(None, reply) == [
        "$.usage.input_tokens_details.text_tokens",
        "$.usage.input_tokens_details.image_tokens",
    ]
    assert json_path(["data", 0, "b64_json"]) == "$.data[0].b64_json"
    assert json_path(["x-request-id"], "$[2]") == "$[2]['x-request-id']"


def test_every_problem_is_listed_not_just_the_first() -> None:
    request = _gpt2(n=2, output_format="png")
    reply = {
        "created": "now",
        "data": [{"b64_json": b64_image("jpeg", (64, 64)), "url": "https://example.com/x.png"}],
        "output_format": "webp",
        "quality": "ultra",
    }
    paths = _paths(request, reply)
    assert set(paths) == {
        "$.created",  # wrong type
        "$.quality",  # not an allowed value
        "$.data",  # 1 image for n=2
        "$.output_format",  # webp echoed, png asked
        "$.data[0].url",  # GPT models never answer URLs
        "$.data[0].b64_json",  # a JPEG where the echoed format says webp
    }


def test_image_count_must_be_n() -> None:
    assert _problems(_gpt2(n=2), _reply(3)) == [("$.data", "3 image(s), but the request asked n=2")]
    assert _paths(_gpt2(), {"created": 1}) == ["$.data"]


def test_gpt_models_answer_base64_never_urls() -> None:
    reply = {"created": 1, "data": [{"url": "https://example.com/otter.png"}]}
    assert _paths(_gpt2(), reply) == ["$.data[0].b64_json", "$.data[0].url"]


def test_dall_e_answers_urls_by_default_and_base64_on_request() -> None:
    url_request = validate_request("generations", {"prompt": "otter", "size": "256x256"})
    url_reply = {"created": 1, "data": [{"url": "https://oaidalleapiprodscus.blob.core.windows.net/x.png"}]}
    check_reply(url_request, url_reply)
    b64_reply = {"created": 1, "data": [{"b64_json": b64_image("png", (256, 256))}]}
    assert _paths(url_request, b64_reply) == ["$.data[0].url", "$.data[0].b64_json"]

    b64_request = validate_request(
        "generations", {"prompt": "otter", "size": "256x256", "response_format": "b64_json"}
    )
    check_reply(b64_request, b64_reply)
    assert _paths(b64_request, url_reply) == ["$.data[0].b64_json", "$.data[0].url"]


def test_dall_e_base64_must_be_a_png_of_the_asked_size() -> None:
    request = validate_request(
        "generations", {"prompt": "otter", "size": "256x256", "response_format": "b64_json"}
    )
    reply = {"created": 1, "data": [{"b64_json": b64_image("jpeg", (512, 512))}]}
    assert _problems(request, reply) == [
        ("$.data[0].b64_json", "image is jpeg, expected png"),
        ("$.data[0].b64_json", "image is 512x512, expected 256x256"),
    ]


def test_echoed_size_and_background_must_match_the_request() -> None:
    request = _gpt2(background="transparent")
    reply = _reply(size="128x128", background="opaque")
    assert _paths(request, reply) == ["$.size", "$.background", "$.data[0].b64_json"]
    # Only a concrete size is compared: auto may come back as anything.
    auto = validate_request("generations", {"model": "gpt-image-2", "prompt": "otter", "size": "auto"})
    check_reply(auto, _reply(size=SMALL))


def test_base64_that_is_not_an_image_is_reported() -> None:
    assert _problems(_gpt2(), _reply(b64="not base64!")) == [
        ("$.data[0].b64_json", "not valid base64 ('not base64!')")
    ]
    assert _problems(_gpt2(), _reply(b64="aGVsbG8=")) == [
        ("$.data[0].b64_json", "does not decode to an image (5 bytes)")
    ]


def test_stream_request_answered_with_json_is_reported() -> None:
    assert _paths(_gpt2(stream=True), _reply()) == ["$"]


def test_unknown_model_reply_needs_url_or_base64_only() -> None:
    request = validate_request("generations", {"model": "acme/paint-1", "prompt": "otter"})
    check_reply(request, {"created": 1, "data": [{"url": "https://example.com/a.png"}]})
    check_reply(request, {"created": 1, "data": [{"b64_json": b64_image("webp")}]})
    assert _paths(request, {"created": 1, "data": [{}]}) == ["$.data[0]"]


def test_reply_models_are_accepted_ours_and_the_sdks() -> None:
    request = _gpt2()
    check_reply(request, parse_reply(_reply(size=SMALL)))
    check_reply(request, openai.types.ImagesResponse.model_validate(_reply(size=SMALL)))
    bad = openai.types.ImagesResponse.model_validate(_reply(2, size=SMALL))  # the SDK loads it; we do not
    assert _paths(request, bad) == ["$.data"]


def test_strict_mode_reports_unknown_fields() -> None:
    reply = _reply(size=SMALL, prompt_filter_results=[])
    reply["data"][0]["content_filter_results"] = {}
    check_reply(_gpt2(), reply)
    assert _paths(_gpt2(), reply, strict=True) == [
        "$.prompt_filter_results",
        "$.data[0].content_filter_results",
    ]


def test_parse_reply_keeps_extras_and_raises_with_paths() -> None:
    parsed = parse_reply(_reply(size="1536x864", safety_identifier="u-1", extra_key=1))
    assert isinstance(parsed, ImagesResponse)
    assert parsed.size == "1536x864"  # any WxH: gpt-image-2 sizes
    assert parsed.model_extra == {"extra_key": 1}
    with pytest.raises(SchemaAssertionError) as info:
        parse_reply({"created": 1, "size": "big", "data": {}})
    assert [p for p, _ in info.value.problems] == ["$.data", "$.size"]


# --- streams -------------------------------------------------------------------------------------


def _partial(index: int, kind: str = "image_generation", **fields: Any) -> dict[str, Any]:
    return {"type": f"{kind}.partial_image", "b64_json": PNG_64, "partial_image_index": index, **fields}


def _completed(kind: str = "image_generation", **fields: Any) -> dict[str, Any]:
    return {"type": f"{kind}.completed", "b64_json": PNG_64, "usage": USAGE, **fields}


def test_a_matching_stream_passes() -> None:
    full_fields = {
        "created_at": 1,
        "size": SMALL,
        "quality": "low",
        "background": "opaque",
        "output_format": "png",
    }
    events = [_partial(0, **full_fields), _partial(1, **full_fields), _completed(**full_fields)]
    check_reply(_gpt2(stream=True, partial_images=2), events, strict=True)


def test_fewer_partial_images_than_asked_is_legal() -> None:
    check_reply(_gpt2(stream=True, partial_images=3), [_partial(0), _completed()])
    check_reply(_gpt2(stream=True, partial_images=3), [_completed()])


def test_completed_before_a_partial_fails_with_its_path() -> None:
    problems = _problems(_gpt2(stream=True, partial_images=1), [_completed(), _partial(0)])
    assert problems == [
        ("$[1]", "partial image event after the completed event (completed must be last)"),
        ("$[1]", "the stream must end with the image_generation.completed event"),
    ]


def test_unknown_event_type_names_its_path() -> None:
    (problem,) = _problems(
        None, [_partial(0), {"type": "image_generation.progress", "b64_json": PNG_64}, _completed()]
    )
    assert problem[0] == "$[1].type"
    assert "unknown event type 'image_generation.progress'" in problem[1]


def test_events_of_the_other_endpoint_are_reported() -> None:
    problems = _problems(_gpt2(stream=True), [_completed("image_edit")])
    assert problems[0] == (
        "$[0].type",
        "'image_edit.completed' does not belong to POST /v1/images/generations",
    )


def test_partial_indexes_start_at_zero_and_increase() -> None:
    request = _gpt2(stream=True, partial_images=3)
    assert _paths(request, [_partial(1), _completed()]) == ["$[0].partial_image_index"]
    assert _paths(request, [_partial(0), _partial(0), _completed()]) == ["$[1].partial_image_index"]
    check_reply(request, [_partial(0), _partial(2), _completed()])  # gaps: fewer partials is legal


def test_more_partials_than_asked_are_reported() -> None:
    assert _paths(_gpt2(stream=True, partial_images=1), [_partial(0), _partial(1), _completed()]) == ["$[1]"]


def test_one_completed_event_for_one_image() -> None:
    request = _gpt2(stream=True)
    assert _paths(request, [_completed(), _completed()]) == ["$[1]"]
    assert _paths(request, []) == ["$"]
    # partial_images unset: a partial is fine (lenient, see replies.py), a stream without completed is not.
    assert _paths(request, [_partial(0)]) == ["$"]
    assert _paths(_gpt2(stream=True, partial_images=0), [_partial(0)]) == ["$[0]", "$"]


def test_n_above_one_while_streaming_is_lenient() -> None:
    # Unspecified by the reference: one completed event per image, partials numbered per image.
    request = _gpt2(stream=True, n=2, partial_images=1)
    check_reply(request, [_partial(0), _completed(), _partial(0), _completed()])
    check_reply(request, [_completed()])
    assert _paths(request, [_completed(), _completed(), _completed()]) == ["$[2]"]


def test_stream_events_are_checked_against_the_request_like_images() -> None:
    request = _gpt2(stream=True, output_format="webp")
    events = [_completed(output_format="png", size="128x128")]
    # The image is checked against what the event itself says (a 64x64 PNG is not 128x128).
    assert _problems(request, events) == [
        ("$[0].output_format", "'png', but the request asked 'webp'"),
        ("$[0].size", "'128x128', but the request asked '64x64'"),
        ("$[0].b64_json", "image is 64x64, expected 128x128"),
    ]


def test_stream_for_a_non_stream_request_is_reported() -> None:
    assert _paths(_gpt2(), [_completed()]) == ["$"]


def test_edit_streams_use_edit_events() -> None:
    request = validate_request(
        "edits",
        {"model": "gpt-image-2", "prompt": "otter", "size": SMALL, "stream": "true", "partial_images": "1"},
        {"image": ("otter.png", make_image("png"), "image/png")},
    )
    check_reply(request, [_partial(0, "image_edit"), _completed("image_edit")])
    assert _paths(request, [_completed()]) == ["$[0].type", "$"]


def test_stream_event_schema_problems_have_event_paths() -> None:
    events = [
        _partial(0) | {"partial_image_index": "0"},
        {"type": "image_generation.completed", "b64_json": 5},
    ]
    assert _paths(None, events) == ["$[0].partial_image_index", "$[1].b64_json", "$[1].usage"]


def test_strict_stream_asks_the_fields_spec_marks_required() -> None:
    paths = _paths(None, [_completed()], strict=True)
    assert paths == ["$[0].created_at", "$[0].size", "$[0].quality", "$[0].background", "$[0].output_format"]


def test_parse_stream_event() -> None:
    event = parse_stream_event(_completed("image_edit"))
    assert isinstance(event, ImageEditCompletedEvent)
    assert event.usage.total_tokens == 100
    with pytest.raises(SchemaAssertionError) as info:
        parse_stream_event({"b64_json": PNG_64})
    assert info.value.problems == [("$.type", "required field is missing")]
    with pytest.raises(SchemaAssertionError) as info:
        parse_stream_event({"type": "image_generation.completed", "b64_json": PNG_64})
    assert info.value.problems == [("$.usage", "required field is missing")]


def test_sdk_stream_events_are_accepted() -> None:
    # The SDK builds its models without validation (construct), so absent fields stay unset.
    events = [
        openai.types.ImageGenPartialImageEvent.construct(**_partial(0)),
        openai.types.ImageGenCompletedEvent.construct(**_completed()),
    ]
    check_reply(_gpt2(stream=True, partial_images=1), events)


# --- error envelopes -----------------------------------------------------------------------------


def test_error_envelope_with_extra_keys_passes() -> None:
    body = {
        "error": {
            "message": "Your request was rejected by the safety system.",
            "type": "image_generation_user_error",
            "param": None,
            "code": "moderation_blocked",
            "moderation_details": {"moderation_stage": "input", "categories": ["violence"]},
        }
    }
    check_error_reply(body)
    with pytest.raises(SchemaAssertionError) as info:
        check_error_reply(body, strict=True)
    assert info.value.problems == [("$.error.moderation_details", "unknown field (strict mode)")]


def test_error_envelope_needs_all_four_keys() -> None:
    with pytest.raises(SchemaAssertionError) as info:
        check_error_reply({"error": {"message": "Rate limit exceeded", "type": "requests", "code": None}})
    assert info.value.problems == [("$.error.param", "required field is missing")]
    with pytest.raises(SchemaAssertionError) as info:
        check_error_reply({"detail": "Not Found"})
    assert info.value.problems == [("$.error", "required field is missing")]
