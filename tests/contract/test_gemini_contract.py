"""The Gemini shape's contract: ``validate_request("gemini", ..., path=...)`` and the reply checks.

Requests are accepted or rejected with the field named as it was sent (camelCase or snake_case) and the
HTTP status Google answers with; replies fail with the JSON path of what is wrong: a part with invalid
base64, an ``inlineData`` whose ``mimeType`` is not its bytes' format, a stream cut before its
``finishReason``, an Imagen reply with more images than asked.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from PIL import Image

from pytest_imagegen.contract import CAPABILITIES, check_reply, validate_request
from pytest_imagegen.contract.gemini import check_gemini_error_reply, check_gemini_reply
from pytest_imagegen.errors import RequestValidationError, SchemaAssertionError

FLASH = "/v1beta/models/gemini-2.5-flash-image"
IMAGEN = "/v1beta/models/imagen-4.0-generate-001:predict"
ASK: dict[str, Any] = {
    "contents": [{"parts": [{"text": "a lighthouse"}]}],
    "generationConfig": {"responseModalities": ["TEXT", "IMAGE"]},
}


def b64(fmt: str = "png", size: tuple[int, int] = (64, 64)) -> str:
    out = io.BytesIO()
    Image.new("RGB", size, "teal").save(out, fmt.upper())
    return base64.b64encode(out.getvalue()).decode()


def inline(data: str, mime: str = "image/png") -> dict[str, Any]:
    return {"inlineData": {"mimeType": mime, "data": data}}


def reply(*parts: dict[str, Any], finish: str | None = "STOP") -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"parts": list(parts), "role": "model"}, "index": 0}
    if finish is not None:
        candidate["finishReason"] = finish
    return {"candidates": [candidate], "modelVersion": "gemini-2.5-flash-image", "responseId": "r1"}


def request(method: str = "generateContent", body: dict[str, Any] | None = None) -> Any:
    return validate_request("gemini", body if body is not None else ASK, path=f"{FLASH}:{method}")


def problems(req: Any, answer: Any) -> list[tuple[str, str]]:
    with pytest.raises(SchemaAssertionError) as info:
        check_gemini_reply(req, answer)
    return info.value.problems


# --- requests --------------------------------------------------------------------------------------------


def test_the_model_and_the_method_come_from_the_path() -> None:
    parsed = request("streamGenerateContent")
    assert (parsed.model, parsed.method, parsed.stream, parsed.wants_image) == (
        "gemini-2.5-flash-image",
        "streamGenerateContent",
        True,
        True,
    )
    assert parsed.capability is CAPABILITIES["gemini-2.5-flash-image"]
    vertex = (
        "/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.5-flash-image:generateContent"
    )
    assert validate_request("gemini", ASK, path=vertex).capability is CAPABILITIES["gemini-2.5-flash-image"]
    assert validate_request("gemini", {"instances": [{"prompt": "x"}]}).method == "predict"


def test_snake_case_fields_are_read_and_named_as_sent() -> None:
    body = {
        "contents": [{"parts": [{"inline_data": {"mime_type": "image/jpeg", "data": b64("jpeg")}}]}],
        "generation_config": {"response_modalities": ["image"], "image_config": {"aspect_ratio": "4:3"}},
    }
    parsed = request(body=body)
    assert (parsed.modalities, parsed.aspect_ratio) == (("IMAGE",), "4:3")
    assert parsed.input_images[0].path == "contents[0].parts[0].inline_data.data"
    with pytest.raises(RequestValidationError) as info:
        request(body={**body, "generation_config": {"image_config": {"aspect_ratio": "2:1"}}})
    assert info.value.field == "generation_config.image_config.aspect_ratio"


INVALID = [
    ("method-of-another-model", f"{FLASH}:predict", {"instances": [{"prompt": "x"}]}, "model", 404),
    ("unknown-method", f"{FLASH}:countTokens", ASK, None, 404),
    ("predict-on-imagen-only", "/v1beta/models/imagen-4.0-generate-001:generateContent", ASK, "model", 404),
    ("no-contents", f"{FLASH}:generateContent", {}, "contents", 400),
    (
        "bad-base64",
        f"{FLASH}:generateContent",
        {"contents": [{"parts": [inline("%%%")]}]},
        "contents[0].parts[0].inlineData.data",
        400,
    ),
    (
        "not-an-image",
        f"{FLASH}:generateContent",
        {"contents": [{"parts": [inline(base64.b64encode(b"hello").decode())]}]},
        "contents[0].parts[0].inlineData.data",
        400,
    ),
    (
        "no-mime",
        f"{FLASH}:generateContent",
        {"contents": [{"parts": [{"inlineData": {"data": b64()}}]}]},
        "contents[0].parts[0].inlineData.mimeType",
        400,
    ),
    (
        "modality",
        f"{FLASH}:generateContent",
        {**ASK, "generationConfig": {"responseModalities": ["SMELL"]}},
        "generationConfig.responseModalities[0]",
        400,
    ),
    (
        "image-size",
        "/v1beta/models/gemini-3-pro-image-preview:generateContent",
        {**ASK, "generationConfig": {"imageConfig": {"imageSize": "8K"}}},
        "generationConfig.imageConfig.imageSize",
        400,
    ),
    ("imagen-no-prompt", IMAGEN, {"instances": [{}]}, "instances[0].prompt", 400),
    (
        "imagen-sample-count",
        IMAGEN,
        {"instances": [{"prompt": "x"}], "parameters": {"sampleCount": 5}},
        "parameters.sampleCount",
        400,
    ),
    (
        "imagen-aspect",
        IMAGEN,
        {"instances": [{"prompt": "x"}], "parameters": {"aspectRatio": "21:9"}},
        "parameters.aspectRatio",
        400,
    ),
    (
        "imagen-mime",
        IMAGEN,
        {"instances": [{"prompt": "x"}], "parameters": {"outputOptions": {"mimeType": "image/webp"}}},
        "parameters.outputOptions.mimeType",
        400,
    ),
]


@pytest.mark.parametrize(
    ("path", "body", "field", "status"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID]
)
def test_invalid_requests_name_the_field_and_google_s_status(
    path: str, body: dict[str, Any], field: str | None, status: int
) -> None:
    with pytest.raises(RequestValidationError) as info:
        validate_request("gemini", body, path=path)
    assert (info.value.field, info.value.status) == (field, status), info.value.message


def test_imagen_takes_its_sample_count_and_output_type() -> None:
    body = {
        "instances": [{"prompt": "x"}],
        "parameters": {
            "sampleCount": 4,
            "aspectRatio": "9:16",
            "sampleImageSize": "2K",
            "outputOptions": {"mimeType": "image/jpeg"},
        },
    }
    parsed = validate_request("gemini", body, path=IMAGEN)
    assert (parsed.sample_count, parsed.aspect_ratio, parsed.image_size, parsed.output_mime) == (
        4,
        "9:16",
        "2K",
        "image/jpeg",
    )
    assert validate_request("gemini", {"instances": [{"prompt": "x"}]}, path=IMAGEN).sample_count == 4


def test_an_unknown_model_passes_and_strict_mode_rejects_it() -> None:
    path = "/v1beta/models/gemini-9-ultra-image:generateContent"
    assert validate_request("gemini", ASK, path=path).capability.known is False
    with pytest.raises(RequestValidationError):
        validate_request("gemini", ASK, path=path, strict=True)


# --- replies ---------------------------------------------------------------------------------------------


def test_a_sound_reply_passes_and_is_told_by_its_shape() -> None:
    answer = reply({"text": "here"}, inline(b64()))
    check_gemini_reply(request(), answer)
    check_reply(request(), answer)
    check_reply(None, answer)


def test_a_part_with_invalid_base64_fails_with_its_path() -> None:
    assert problems(request(), reply(inline("not*base64"))) == [
        ("$.candidates[0].content.parts[0].inlineData.data", "not valid base64 ('not*base64')")
    ]


def test_a_mime_type_that_is_not_the_bytes_format_fails_with_its_path() -> None:
    assert problems(request(), reply({"text": "here"}, inline(b64("jpeg")))) == [
        (
            "$.candidates[0].content.parts[1].inlineData.data",
            "declares image/png, but the bytes are a jpeg image (image/jpeg)",
        )
    ]


def test_url_safe_base64_is_read_as_proto3_json_allows() -> None:
    raw = base64.b64decode(b64())
    check_gemini_reply(request(), reply(inline(base64.urlsafe_b64encode(raw).decode().rstrip("="))))


def test_image_output_asked_means_an_image_unless_the_finish_reason_says_why() -> None:
    assert problems(request(), reply({"text": "here"})) == [
        (
            "$.candidates[0].content.parts",
            "no image, but the request asked for IMAGE output (responseModalities ['TEXT', 'IMAGE']) and the "
            "candidate finished with STOP",
        )
    ]
    check_gemini_reply(request(), reply({"text": "I cannot draw that"}, finish="NO_IMAGE"))
    check_gemini_reply(request(body={"contents": ASK["contents"]}), reply({"text": "only text"}))


def test_the_image_has_the_ratio_asked() -> None:
    body = {
        **ASK,
        "generationConfig": {"responseModalities": ["IMAGE"], "imageConfig": {"aspectRatio": "21:9"}},
    }
    check_gemini_reply(request(body=body), reply(inline(b64(size=(1536, 672)))))
    (problem,) = problems(request(body=body), reply(inline(b64(size=(64, 64)))))
    assert problem[0] == "$.candidates[0].content.parts[0].inlineData.data"


# --- streams ---------------------------------------------------------------------------------------------


def stream() -> list[dict[str, Any]]:
    return [reply({"text": "here"}, finish=None), reply(inline(b64()), finish=None), reply({"text": ""})]


def test_a_sound_stream_passes() -> None:
    check_gemini_reply(request("streamGenerateContent"), stream())


def test_a_stream_cut_before_its_end_fails_at_the_stream_s_path() -> None:
    assert problems(request("streamGenerateContent"), stream()[:2]) == [
        (
            "$",
            "no candidate with a finishReason: the stream was cut before its end (the last chunk of a Gemini "
            "stream carries the candidate's finishReason)",
        )
    ]


def test_parts_after_the_finish_reason_and_the_wrong_kind_of_reply() -> None:
    late = [*stream(), reply(inline(b64()), finish=None)]
    assert problems(request("streamGenerateContent"), late) == [
        (
            "$[3].candidates[0].content",
            "parts after the candidate's finishReason ($[2].candidates[0].finishReason)",
        )
    ]
    assert ("$", "the reply is a stream, but the request called generateContent") in problems(
        request(), stream()
    )
    assert (
        "$",
        "the request asked for a stream (streamGenerateContent) but the reply is one JSON object",
    ) in problems(request("streamGenerateContent"), reply(inline(b64())))


def test_a_blocked_prompt_ends_a_stream() -> None:
    check_gemini_reply(request("streamGenerateContent"), [{"promptFeedback": {"blockReason": "SAFETY"}}])


def test_strict_mode_reports_an_unknown_finish_reason() -> None:
    with pytest.raises(SchemaAssertionError) as info:
        check_gemini_reply(request(), reply(inline(b64()), finish="FELT_LIKE_IT"), strict=True)
    assert (
        "$.candidates[0].finishReason",
        "unknown finishReason 'FELT_LIKE_IT' (strict mode)",
    ) in info.value.problems


# --- Imagen predict --------------------------------------------------------------------------------------


def test_predict_replies_are_checked_against_sample_count_and_type() -> None:
    body = {"instances": [{"prompt": "x"}], "parameters": {"sampleCount": 1}}
    parsed = validate_request("gemini", body, path=IMAGEN)
    prediction = {"bytesBase64Encoded": b64(), "mimeType": "image/png"}
    check_gemini_reply(parsed, {"predictions": [prediction]})
    check_gemini_reply(parsed, {"predictions": [{"raiFilteredReason": "filtered"}]})
    assert problems(parsed, {"predictions": [prediction, prediction]}) == [
        ("$.predictions", "2 prediction(s), but the request asked sampleCount=1")
    ]
    assert problems(
        parsed, {"predictions": [{"bytesBase64Encoded": b64("jpeg"), "mimeType": "image/jpeg"}]}
    ) == [("$.predictions[0].mimeType", "'image/jpeg', but the request asked 'image/png'")]
    assert problems(parsed, {}) == [("$.predictions", "no image, but the request asked for 1 (sampleCount)")]


def test_google_s_error_envelope() -> None:
    check_gemini_error_reply(
        {"error": {"code": 400, "message": "API key not valid.", "status": "INVALID_ARGUMENT"}}
    )
    with pytest.raises(SchemaAssertionError) as info:
        check_gemini_error_reply({"error": {"message": "x"}})
    assert info.value.problems == [("$.error.code", "required field is missing")]
