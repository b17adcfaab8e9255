"""validate_request beyond the per-row rules: wire types, defaults, uploads, strict mode, messages."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_imagegen.contract import (
    CAPABILITIES,
    GENERIC,
    UploadedFile,
    capability_for,
    resolve_model,
    validate_request,
)
from pytest_imagegen.errors import RequestValidationError

from .images import make_image

PROMPT = "A cute baby sea otter"


def _error(endpoint: str, params: dict[str, Any], files: Any = None, **kw: Any) -> RequestValidationError:
    with pytest.raises(RequestValidationError) as info:
        validate_request(endpoint, params, files, **kw)
    return info.value


def _png(size: tuple[int, int] = (64, 64)) -> tuple[str, bytes, str]:
    return ("otter.png", make_image("png", size), "image/png")


# --- models and defaults -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "params", "model"),
    [
        ("generations", {"prompt": PROMPT}, "dall-e-2"),
        ("generations", {"prompt": PROMPT, "quality": "standard"}, "dall-e-2"),
        ("generations", {"prompt": PROMPT, "output_format": "webp"}, "gpt-image-1.5"),
        ("generations", {"prompt": PROMPT, "stream": True}, "gpt-image-1.5"),
        ("generations", {"prompt": PROMPT, "stream": False}, "dall-e-2"),
        ("generations", {"prompt": PROMPT, "background": None}, "dall-e-2"),  # null = not given
        ("generations", {"prompt": PROMPT, "model": None, "moderation": "low"}, "gpt-image-1.5"),
        ("edits", {"prompt": PROMPT}, "gpt-image-1.5"),
        ("variations", {}, "dall-e-2"),
        ("generations", {"prompt": PROMPT, "model": "azure/gpt-image-2"}, "azure/gpt-image-2"),
    ],
)
def test_resolve_model(endpoint: str, params: dict[str, Any], model: str) -> None:
    assert resolve_model(endpoint, params) == model


@pytest.mark.parametrize("prefix", ["openai/", "azure/", "my-gateway/openai/"])
def test_provider_prefixed_ids_follow_their_base_model(prefix: str) -> None:
    assert capability_for(f"{prefix}dall-e-3") is CAPABILITIES["dall-e-3"]
    error = _error("generations", {"prompt": PROMPT, "model": f"{prefix}dall-e-3", "n": 2})
    assert (error.field, error.message) == ("n", "You must provide n=1 for this model.")
    request = validate_request(
        "generations", {"prompt": PROMPT, "model": f"{prefix}gpt-image-1.5", "stream": True}
    )
    assert (request.model, request.base_model) == (f"{prefix}gpt-image-1.5", "gpt-image-1.5")


def test_unknown_model_gets_permissive_rules_and_strict_rejects_it() -> None:
    params = {
        "prompt": PROMPT,
        "model": "gpt-image-9",
        "quality": "ultra",
        "size": "7x9",
        "response_format": "url",
    }
    request = validate_request("generations", params)
    assert (request.base_model, request.capability.known) == ("gpt-image-9", False)
    assert request.capability == GENERIC.__class__(**{**GENERIC.__dict__, "id": "gpt-image-9"})
    error = _error("generations", params, strict=True)
    assert (error.field, error.code) == ("model", "invalid_value")
    assert error.message.startswith(
        "Invalid value: 'gpt-image-9'. Supported values are: 'dall-e-2', 'dall-e-3',"
    )


def test_unknown_fields_pass_unless_strict() -> None:
    params = {"prompt": PROMPT, "model": "gpt-image-1.5", "prompt_rewriter": "off"}
    assert validate_request("generations", params).params["prompt_rewriter"] == "off"
    error = _error("generations", params, strict=True)
    assert (error.field, error.code, error.message) == (
        "prompt_rewriter",
        "unknown_parameter",
        "Unknown parameter: 'prompt_rewriter'.",
    )


def test_newer_sdk_fields_are_known_in_strict_mode() -> None:
    params = {
        "prompt": PROMPT,
        "model": "gpt-image-2.5-flare",
        "safety_identifier": "hash-123",
        "complexity": "high",
        "quality": "xhigh",
        "size": "1536x864",
    }
    assert validate_request("generations", params, strict=True).size == "1536x864"


def test_variations_reject_every_model_but_dall_e_2() -> None:
    error = _error("variations", {"model": "gpt-image-1.5"}, {"image": _png()})
    assert (error.field, error.code, error.message) == (
        "model",
        "invalid_value",
        "Invalid value: 'gpt-image-1.5'. Supported values are: 'dall-e-2'.",
    )


# --- wire types ----------------------------------------------------------------------------------


def test_json_string_n_is_invalid_type() -> None:
    error = _error("generations", {"prompt": PROMPT, "n": "2"})
    assert (error.field, error.code) == ("n", "invalid_type")
    assert error.message == "Invalid type for 'n': expected an integer, but got a string instead."


@pytest.mark.parametrize(
    ("params", "field", "expected", "got"),
    [
        ({"prompt": 5}, "prompt", "a string", "an integer"),
        ({"prompt": PROMPT, "stream": "true"}, "stream", "a boolean", "a string"),
        ({"prompt": PROMPT, "n": True}, "n", "an integer", "a boolean"),
        ({"prompt": PROMPT, "n": 1.5}, "n", "an integer", "a decimal number"),
        ({"prompt": PROMPT, "svg": {"model": 3}}, "svg.model", "a string", "an integer"),
        ({"prompt": PROMPT, "svg": "yes"}, "svg", "an object", "a string"),
    ],
)
def test_json_wire_types(params: dict[str, Any], field: str, expected: str, got: str) -> None:
    error = _error("generations", params)
    assert (error.field, error.code) == (field, "invalid_type")
    assert error.message == f"Invalid type for '{field}': expected {expected}, but got {got} instead."


def test_missing_prompt() -> None:
    error = _error("generations", {"model": "gpt-image-1.5"})
    assert (error.field, error.code, error.message) == (
        "prompt",
        "missing_required_parameter",
        "Missing required parameter: 'prompt'.",
    )


def test_json_integral_float_is_an_integer() -> None:
    assert validate_request("generations", {"prompt": PROMPT, "n": 2.0}).n == 2


def test_multipart_text_is_coerced_like_the_server_does() -> None:
    request = validate_request(
        "edits",
        {"prompt": PROMPT, "n": "2", "stream": "true", "partial_images": "3", "output_compression": "80"},
        {"image": _png()},
    )
    assert request.params == {
        "prompt": PROMPT,
        "n": 2,
        "stream": True,
        "partial_images": 3,
        "output_compression": 80,
    }
    assert (request.n, request.stream, request.partial_images) == (2, True, 3)
    assert validate_request("edits", {"prompt": PROMPT, "stream": "false"}, {"image": _png()}).stream is False
    error = _error("edits", {"prompt": PROMPT, "n": "two"}, {"image": _png()})
    assert (error.field, error.code) == ("n", "invalid_type")


def test_multipart_bracketed_fields_become_objects() -> None:
    request = validate_request(
        "edits",
        {"prompt": PROMPT, "model": "gpt-image-2.5-sunburst", "output_format": "svg", "svg[model]": "svg-1",
         "svg[reasoning][effort]": "low"},
        {"image": _png()},
    )  # fmt: skip
    assert request.params["svg"] == {"model": "svg-1", "reasoning": {"effort": "low"}}


def test_explicit_none_means_not_given() -> None:
    request = validate_request(
        "generations",
        {"prompt": PROMPT, "model": "gpt-image-1", "n": None, "response_format": None, "style": None},
    )
    assert request.params == {"prompt": PROMPT, "model": "gpt-image-1"}
    assert request.n == 1


def test_files_on_the_json_endpoint_are_rejected() -> None:
    error = _error("generations", {"prompt": PROMPT}, {"image": _png()})
    assert (error.field, error.code) == ("image", "unknown_parameter")


def test_unknown_endpoint_is_a_404() -> None:
    error = _error("upscales", {"prompt": PROMPT})
    assert (error.status, error.field) == (404, None)


# --- effective values ----------------------------------------------------------------------------


def test_effective_values_for_dall_e_and_gpt() -> None:
    dalle = validate_request("generations", {"prompt": PROMPT, "model": "dall-e-3"})
    assert (dalle.response_format, dalle.output_format, dalle.n, dalle.size) == ("url", None, 1, None)
    dalle_b64 = validate_request("generations", {"prompt": PROMPT, "response_format": "b64_json"})
    assert dalle_b64.response_format == "b64_json"
    gpt = validate_request(
        "generations",
        {"prompt": PROMPT, "model": "gpt-image-1-mini", "output_format": "webp", "background": "opaque"},
    )
    assert (gpt.response_format, gpt.output_format, gpt.background) == (None, "webp", "opaque")


# --- rules between parameters --------------------------------------------------------------------


def test_transparent_background_needs_png_or_webp() -> None:
    error = _error("generations", {"prompt": PROMPT, "background": "transparent", "output_format": "jpeg"})
    assert (error.field, error.code) == ("background", "invalid_value")
    assert "'png', 'webp', or 'gif'" in error.message
    assert (
        validate_request("generations", {"prompt": PROMPT, "background": "transparent"}).output_format
        == "png"
    )


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"output_format": "gif", "stream": True}, "stream", "invalid_value"),
        ({"output_format": "gif", "output_compression": 50}, "output_compression", "invalid_value"),
        ({"output_format": "svg", "n": 2}, "n", "integer_above_max_value"),
        ({"output_format": "png", "frame_count": 4}, "frame_count", "invalid_value"),
        ({"output_format": "gif", "frame_count": 17}, "frame_count", "integer_above_max_value"),
        ({"output_format": "gif", "frame_count": 1}, "frame_count", "integer_below_min_value"),
        ({"complexity": "extreme"}, "complexity", "invalid_value"),
    ],
)
def test_output_format_rules(params: dict[str, Any], field: str, code: str) -> None:
    error = _error("generations", {"prompt": PROMPT, "model": "gpt-image-2.5-flare", **params})
    assert (error.field, error.code) == (field, code)


def test_gif_output_takes_frame_options() -> None:
    request = validate_request(
        "generations",
        {"prompt": PROMPT, "model": "gpt-image-2.5-flare", "output_format": "gif", "frame_count": 4,
         "frame_duration_ms": 100},
    )  # fmt: skip
    assert request.output_format == "gif"


def test_gif_output_forbids_a_mask() -> None:
    error = _error(
        "edits",
        {"prompt": PROMPT, "output_format": "gif"},
        {"image": _png(), "mask": ("mask.png", _png()[1])},
    )
    assert (error.field, error.code) == ("mask", "invalid_value")


# --- uploads -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        make_image("png"),
        ("otter.png", make_image("png")),
        ("otter.png", make_image("png"), "image/png"),
        UploadedFile("image", "otter.png", "image/png", make_image("png"), "png", 64, 64, "RGBA"),
    ],
    ids=["bytes", "name-bytes", "name-bytes-type", "uploaded-file"],
)
def test_every_file_shape_is_read(value: Any) -> None:
    request = validate_request("edits", {"prompt": PROMPT}, {"image": value})
    (image,) = request.images
    assert (image.part, image.format, image.width, image.height, image.mode) == (
        "image",
        "png",
        64,
        64,
        "RGBA",
    )


@pytest.mark.parametrize(("fmt", "mode"), [("png", "RGBA"), ("jpeg", "RGB"), ("webp", "RGBA"), ("gif", "P")])
def test_format_size_and_mode_come_from_the_bytes(fmt: str, mode: str) -> None:
    data = make_image(fmt, (48, 32))
    request = validate_request("edits", {"prompt": PROMPT, "model": "gpt-image-9"}, {"image": data})
    (image,) = request.images
    assert (image.format, image.width, image.height, image.mode) == (fmt, 48, 32, mode)


def test_a_jpeg_named_png_is_a_jpeg() -> None:
    jpeg = make_image("jpeg", (64, 64))
    request = validate_request("edits", {"prompt": PROMPT}, {"image": ("photo.png", jpeg)})
    assert (request.images[0].content_type, request.images[0].format) == ("image/png", "jpeg")
    # dall-e-2 takes PNG only: the bytes decide, not the name.
    error = _error("edits", {"prompt": PROMPT, "model": "dall-e-2"}, {"image": ("photo.png", jpeg)})
    assert (error.field, error.code) == ("image", "unsupported_file_mimetype")
    assert "('image/jpeg')" in error.message


def test_dall_e_2_rejects_a_non_square_image() -> None:
    error = _error("edits", {"prompt": PROMPT, "model": "dall-e-2"}, {"image": _png((128, 64))})
    assert (error.field, error.code) == ("image", "invalid_image_file")
    assert "must be square, but got 128x64" in error.message
    assert (
        validate_request("edits", {"prompt": PROMPT, "model": "dall-e-2"}, {"image": _png((64, 64))}).n == 1
    )


def test_dall_e_2_variation_needs_a_square_png() -> None:
    error = _error("variations", {}, {"image": _png((128, 64))})
    assert (error.field, error.code) == ("image", "invalid_image_file")


def test_mask_must_match_the_first_image() -> None:
    files = {"image[]": [_png((64, 64)), _png((32, 32))], "mask": ("mask.png", make_image("png", (32, 32)))}
    error = _error("edits", {"prompt": PROMPT}, files)
    assert (error.field, error.code) == ("mask", "invalid_image_file")
    assert "same dimensions as the image (64x64), but got 32x32" in error.message
    files["mask"] = ("mask.png", make_image("png", (64, 64)))
    assert validate_request("edits", {"prompt": PROMPT}, files).mask is not None


def test_seventeen_images_are_rejected() -> None:
    error = _error("edits", {"prompt": PROMPT}, {"image[]": [_png()] * 17})
    assert (error.field, error.code) == ("image", "array_above_max_length")
    assert error.message == (
        "Invalid 'image': array too long. Expected an array with maximum length 16, "
        "but got an array with length 17 instead."
    )
    assert len(validate_request("edits", {"prompt": PROMPT}, {"image[]": [_png()] * 16}).images) == 16


def test_octet_stream_upload_is_an_unsupported_mimetype() -> None:
    error = _error(
        "edits", {"prompt": PROMPT}, {"image": ("otter", make_image("png"), "application/octet-stream")}
    )
    assert (error.field, error.code) == ("image", "unsupported_file_mimetype")
    assert error.message == (
        "Invalid file 'image': unsupported mimetype ('application/octet-stream'). "
        "Supported file formats are 'image/jpeg', 'image/png', and 'image/webp'."
    )


def test_bad_upload_among_several_is_named_by_index() -> None:
    files = {"image[]": [_png(), ("broken.png", b"not an image at all", "image/png")]}
    error = _error("edits", {"prompt": PROMPT}, files)
    assert (error.field, error.code) == ("image[1]", "invalid_image_file")
    assert error.message == "Invalid image file or mode for image 2, please check your image file."


def test_missing_image_is_a_missing_parameter() -> None:
    error = _error("edits", {"prompt": PROMPT})
    assert (error.field, error.code, error.message) == (
        "image",
        "missing_required_parameter",
        "Missing required parameter: 'image'.",
    )


def test_unknown_file_part_is_rejected_in_strict_mode_only() -> None:
    files = {"image": _png(), "thumbnail": _png()}
    assert len(validate_request("edits", {"prompt": PROMPT}, files).files) == 2
    assert _error("edits", {"prompt": PROMPT}, files, strict=True).field == "thumbnail"


# --- the JSON edit body --------------------------------------------------------------------------


def test_json_edit_body_with_references() -> None:
    request = validate_request(
        "edits",
        {
            "prompt": PROMPT,
            "images": [{"image_url": "data:image/png;base64,iVBORw0KGgo="}, {"file_id": "file-123"}],
            "mask": {"file_id": "file-456"},
            "n": 2,
        },
    )
    assert (request.form, request.files, len(request.image_refs), request.n) == ("json", (), 2, 2)


@pytest.mark.parametrize(
    ("ref", "field", "code"),
    [
        ({"image_url": "https://example.com/a.png", "file_id": "file-1"}, "images[0]", "invalid_value"),
        ({}, "images[0]", "invalid_value"),
        (
            {"image_url": "https://example.com/a.png", "detail": "high"},
            "images[0].detail",
            "unknown_parameter",
        ),
        ({"file_id": 7}, "images[0].file_id", "invalid_type"),
    ],
)
def test_image_ref_is_exactly_one_of_url_or_file_id(ref: dict[str, Any], field: str, code: str) -> None:
    error = _error("edits", {"prompt": PROMPT, "images": [ref]})
    assert (error.field, error.code) == (field, code)


def test_json_edit_body_limits() -> None:
    ref = {"file_id": "file-1"}
    error = _error("edits", {"prompt": PROMPT, "images": [ref] * 17})
    assert (error.field, error.code) == ("images", "array_above_max_length")
    error = _error("edits", {"prompt": "", "images": [ref]})
    assert (error.field, error.code) == ("prompt", "string_below_min_length")
    # JSON strings are not integers here either (unlike multipart text).
    error = _error("edits", {"prompt": PROMPT, "images": [ref], "n": "2"})
    assert (error.field, error.code) == ("n", "invalid_type")


# --- the API's own wording ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field", "code", "param", "message"),
    [
        (
            {"n": 11},
            "n",
            "integer_above_max_value",
            "n",
            "Invalid 'n': integer above maximum value. Expected a value <= 10, but got 11 instead.",
        ),
        (
            {"model": "gpt-image-1-mini", "quality": "standard"},
            "quality",
            "invalid_value",
            "quality",
            "Invalid value: 'standard'. Supported values are: 'low', 'medium', 'high', and 'auto'.",
        ),
        ({"model": "dall-e-3", "n": 2}, "n", None, None, "You must provide n=1 for this model."),
        (
            {"model": "dall-e-3", "size": "512x512"},
            "size",
            "invalid_size",
            None,
            "The size is not supported by this model.",
        ),
        (
            {"model": "gpt-image-1", "response_format": "b64_json"},
            "response_format",
            "unknown_parameter",
            "response_format",
            "Unknown parameter: 'response_format'.",
        ),
        (
            {"model": "gpt-image-1.5", "prompt": "p" * 32001},
            "prompt",
            "string_above_max_length",
            "prompt",
            "Invalid 'prompt': string too long. Expected a string with maximum length 32000, "
            "but got a string with length 32001 instead.",
        ),
    ],
)
def test_api_wording(
    params: dict[str, Any], field: str, code: str | None, param: str | None, message: str
) -> None:
    error = _error("generations", {"prompt": PROMPT, **params})
    assert (error.field, error.code, error.param, error.message) == (field, code, param, message)
    assert error.status == 400
    assert error.to_error_body() == {
        "error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}
    }
