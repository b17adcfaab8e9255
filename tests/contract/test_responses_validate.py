"""``validate_request("responses", ...)``: every image-tool option accepted and rejected, per model.

The tool cases are generated from ``CAPABILITIES``, as ``test_capability_table.py`` does for the Images
API, so a new row is tested without touching this file; ``test_every_tool_rule_of_every_row_is_covered``
fails if an option of some row has no accepted or no rejected case. Every rejection names the field by
its full path (``tools[0].quality``) and the API's code. Then the rest of the request: the mainline
model, input images, ``tool_choice``, strict mode.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from PIL import Image

from pytest_imagegen.contract import CAPABILITIES, ModelCapability, validate_request
from pytest_imagegen.contract.capabilities import DEFAULT_TOOL_MODEL, RESPONSES_MODELS
from pytest_imagegen.contract.responses import ResponsesRequest
from pytest_imagegen.errors import RequestValidationError


@dataclass(frozen=True)
class Case:
    row: str
    rule: str
    tool: dict[str, Any]
    field: str | None = None
    code: str | None = None
    label: str = ""

    @property
    def id(self) -> str:
        return f"{self.row}-{self.rule}-{self.label}"


def body(tool: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"model": "gpt-5", "input": "A cute baby sea otter", "tools": [tool], **extra}


def _ok(row: ModelCapability, rule: str, label: str, **options: Any) -> Case:
    return Case(row.id, rule, {"type": "image_generation", "model": row.id, **options}, label=f"ok-{label}")


def _bad(row: ModelCapability, rule: str, label: str, option: str, code: str, **options: Any) -> Case:
    tool = {"type": "image_generation", "model": row.id, **options}
    return Case(row.id, rule, tool, f"tools[0].{option}", code, f"bad-{label}")


def _all_values(column: str) -> list[str]:
    seen: dict[str, None] = {}
    for row in CAPABILITIES.values():
        for value in getattr(row, column) or ():
            seen[value] = None
    return list(seen)


#: Tool option -> the capability column holding its values.
ENUM_COLUMNS = {
    "quality": "qualities",
    "background": "backgrounds",
    "output_format": "output_formats",
    "moderation": "moderations",
    "input_fidelity": "input_fidelities",
    "action": "tool_actions",
}


def _enum_cases(row: ModelCapability, option: str, column: str) -> Iterator[Case]:
    values = getattr(row, column)
    if not values:
        yield _ok(row, column, f"{option}=None", **{option: None})
        yield _bad(row, column, f"{option}=any", option, "unknown_parameter", **{option: "auto"})
        return
    for value in values:
        # A transparent background needs a format that carries alpha; png is every row's default.
        yield _ok(row, column, f"{option}={value}", **{option: value})
    yield _bad(row, column, f"{option}=bogus", option, "invalid_value", **{option: "bogus"})
    for other in _all_values(column):
        if other not in values:
            yield _bad(row, column, f"{option}={other}", option, "invalid_value", **{option: other})


def _row_cases(row: ModelCapability) -> Iterator[Case]:
    if not row.image_tool:
        yield _bad(row, "image_tool", "model", "model", "invalid_value")
        return
    yield _ok(row, "image_tool", "model")
    for option, column in ENUM_COLUMNS.items():
        yield from _enum_cases(row, option, column)
    # size: the listed sizes, free-form WxH where the row allows it.
    for size in row.sizes or ():
        yield _ok(row, "sizes", size, size=size)
    yield _bad(row, "sizes", "bogus", "size", "invalid_value", size="huge")
    if row.free_form_sizes is not None:
        yield _ok(row, "free_form_sizes", "1536x864", size="1536x864")
        yield _bad(row, "free_form_sizes", "not-x16", "size", "invalid_value", size="1000x1000")
        yield _bad(row, "free_form_sizes", "too-wide", "size", "invalid_value", size="3200x320")
    else:
        yield _ok(row, "free_form_sizes", "listed", size="1024x1024")
        yield _bad(row, "free_form_sizes", "1536x864", "size", "invalid_value", size="1536x864")
    # partial_images: 0 to the row's maximum (3).
    yield _ok(row, "partial_images", "0", partial_images=0)
    yield _ok(row, "partial_images", "max", partial_images=row.partial_images_max)
    yield _bad(row, "partial_images", "above", "partial_images", "integer_above_max_value",
               partial_images=row.partial_images_max + 1)  # fmt: skip
    yield _bad(row, "partial_images", "below", "partial_images", "integer_below_min_value", partial_images=-1)
    # output_compression: 0-100.
    yield _ok(row, "output_compression", "0", output_compression=0, output_format="jpeg")
    yield _ok(row, "output_compression", "100", output_compression=100, output_format="webp")
    yield _bad(row, "output_compression", "101", "output_compression", "integer_above_max_value",
               output_compression=101, output_format="jpeg")  # fmt: skip
    # Rules between options, read from the same table as the Images API.
    yield _ok(row, "transparent", "png", background="transparent", output_format="png")
    yield _bad(row, "transparent", "jpeg", "background", "invalid_value", background="transparent",
               output_format="jpeg")  # fmt: skip
    yield _ok(row, "gif", "lifecycle-stream", output_format="gif", frame_count=4)
    yield _bad(
        row, "gif", "partials", "partial_images", "invalid_value", output_format="gif", partial_images=2
    )
    yield _bad(row, "gif", "mask", "input_image_mask", "invalid_value", output_format="gif",
               input_image_mask={"file_id": "file-abc123"})  # fmt: skip
    yield _bad(row, "gif", "frame_count-without-gif", "frame_count", "invalid_value", frame_count=4)
    # Wire types: the field is named inside the tool.
    yield _bad(row, "types", "size-int", "size", "invalid_type", size=1024)
    yield _bad(row, "types", "partial-str", "partial_images", "invalid_type", partial_images="2")


ALL_CASES = [case for row in CAPABILITIES.values() for case in _row_cases(row)]
ACCEPTED = [c for c in ALL_CASES if c.label.startswith("ok-")]
REJECTED = [c for c in ALL_CASES if c.label.startswith("bad-")]


@pytest.mark.parametrize("case", ACCEPTED, ids=lambda c: c.id)
def test_tool_option_accepted(case: Case) -> None:
    request = validate_request("responses", body(case.tool))
    assert isinstance(request, ResponsesRequest)
    assert request.tool is not None
    assert request.tool.capability is CAPABILITIES[case.row]


@pytest.mark.parametrize("case", REJECTED, ids=lambda c: c.id)
def test_tool_option_rejected(case: Case) -> None:
    with pytest.raises(RequestValidationError) as info:
        validate_request("responses", body(case.tool))
    exc = info.value
    assert (exc.param, exc.code) == (case.field, case.code), exc.message
    assert exc.to_error_body()["error"]["param"] == case.field


TOOL_RULES = (
    "image_tool",
    *ENUM_COLUMNS.values(),
    "sizes",
    "free_form_sizes",
    "partial_images",
    "output_compression",
    "transparent",
    "gif",
)


@pytest.mark.parametrize("row", CAPABILITIES.values(), ids=lambda r: r.id)
def test_every_tool_rule_of_every_row_is_covered(row: ModelCapability) -> None:
    accepted = {c.rule for c in ACCEPTED if c.row == row.id}
    rejected = {c.rule for c in REJECTED if c.row == row.id}
    if not row.image_tool:
        assert rejected == {"image_tool"}
        return
    assert not set(TOOL_RULES) - accepted, f"rules without an accepted case: {set(TOOL_RULES) - accepted}"
    # A model the tool takes has nothing to reject under "image_tool" (dall-e rows are the rejected ones).
    must_reject = set(TOOL_RULES) - {"image_tool"}
    assert not must_reject - rejected, f"rules without a rejected case: {must_reject - rejected}"


def test_the_tool_takes_every_gpt_image_model_and_no_dall_e() -> None:
    takes = {row.id for row in CAPABILITIES.values() if row.image_tool}
    images_api_models = {row.id for row in CAPABILITIES.values() if row.endpoints}
    assert takes == images_api_models - {"dall-e-2", "dall-e-3"}
    assert DEFAULT_TOOL_MODEL in takes


# --- effective values --------------------------------------------------------------------------------


def test_effective_values_of_a_tool() -> None:
    request = validate_request(
        "responses",
        body(
            {"type": "image_generation", "size": "1024x1536", "quality": "low", "partial_images": 2},
            stream=True,
        ),
    )
    tool = request.tool
    assert tool is not None
    assert (tool.model, tool.output_format, tool.concrete_size, tool.partial_images) == (
        DEFAULT_TOOL_MODEL,
        "png",
        (1024, 1536),
        2,
    )
    assert request.stream
    assert not request.forces_image


def test_a_request_without_the_tool_has_none() -> None:
    request = validate_request("responses", {"model": "gpt-5", "input": "hello"})
    assert request.tool is None
    assert request.tools == ()


@pytest.mark.parametrize(
    ("tool_choice", "forces"),
    [({"type": "image_generation"}, True), ("required", True), ("auto", False), ("none", False)],
)
def test_tool_choice_forcing_the_image_tool(tool_choice: Any, forces: bool) -> None:
    request = validate_request("responses", body({"type": "image_generation"}, tool_choice=tool_choice))
    assert request.forces_image is forces


def test_required_with_another_tool_does_not_force_the_image_tool() -> None:
    tools = [{"type": "image_generation"}, {"type": "web_search"}]
    request = validate_request(
        "responses", {"model": "gpt-5", "input": "x", "tools": tools, "tool_choice": "required"}
    )
    assert not request.forces_image


# --- the rest of the request -------------------------------------------------------------------------


def png_data_url(mime: str = "image/png", size: tuple[int, int] = (32, 24)) -> str:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 200, 30)).save(out, "PNG")
    return f"data:{mime};base64," + base64.b64encode(out.getvalue()).decode()


def with_image(url: str | None = None, **part: Any) -> dict[str, Any]:
    image = {"type": "input_image", **({"image_url": url} if url is not None else {}), **part}
    content = [{"type": "input_text", "text": "edit this"}, image]
    return {
        "model": "gpt-5",
        "input": [{"role": "user", "content": content}],
        "tools": [{"type": "image_generation"}],
    }


REQUEST_REJECTED = [
    pytest.param({"input": "x"}, "model", "missing_required_parameter", id="model-missing"),
    pytest.param(
        {"model": "gpt-image-1.5", "input": "x"}, "model", "invalid_value", id="image-model-as-model"
    ),
    pytest.param({"model": 5, "input": "x"}, "model", "invalid_type", id="model-int"),
    pytest.param({"model": "gpt-5", "tools": "image_generation"}, "tools", "invalid_type", id="tools-str"),
    pytest.param({"model": "gpt-5", "stream": "yes"}, "stream", "invalid_type", id="stream-str"),
    pytest.param(
        {"model": "gpt-5", "tool_choice": "always"}, "tool_choice", "invalid_value", id="tool-choice"
    ),
    pytest.param(
        {"model": "gpt-5", "tool_choice": {"type": "image_generation"}},
        "tool_choice",
        "invalid_value",
        id="tool-choice-without-the-tool",
    ),
    pytest.param(
        with_image("data:image/png;base64,bm90IGFuIGltYWdl"),
        "input[0].content[1].image_url",
        "invalid_image_format",
        id="data-url-not-an-image",
    ),
    pytest.param(
        with_image("data:image/png;base64,***"),
        "input[0].content[1].image_url",
        "invalid_image_format",
        id="data-url-not-base64",
    ),
    pytest.param(
        with_image(png_data_url("text/plain")),
        "input[0].content[1].image_url",
        "invalid_value",
        id="data-url-not-an-image-type",
    ),
    pytest.param(
        with_image("data:image/png,rawbytes"),
        "input[0].content[1].image_url",
        "invalid_value",
        id="data-url-not-base64-encoded",
    ),
    pytest.param(
        with_image(),
        "input[0].content[1].image_url",
        "missing_required_parameter",
        id="input-image-without-url-or-file",
    ),
    pytest.param(
        with_image(image_url=7), "input[0].content[1].image_url", "invalid_type", id="image-url-int"
    ),
]


@pytest.mark.parametrize(("params", "field", "code"), REQUEST_REJECTED)
def test_request_rejected(params: dict[str, Any], field: str, code: str) -> None:
    with pytest.raises(RequestValidationError) as info:
        validate_request("responses", params)
    assert (info.value.param, info.value.code) == (field, code), info.value.message


def test_input_images_are_read_and_a_declared_type_that_lies_is_kept() -> None:
    request = validate_request("responses", with_image(png_data_url("image/jpeg")))
    (found,) = request.input_images
    image = found.image
    assert (found.path, image.declared, image.format, image.width, image.height) == (
        "input[0].content[1].image_url",
        "image/jpeg",
        "png",
        32,
        24,
    )


@pytest.mark.parametrize("part", [{"image_url": "https://example.com/a.png"}, {"file_id": "file-abc123"}])
def test_input_images_by_url_or_file_id_pass(part: dict[str, Any]) -> None:
    assert validate_request("responses", with_image(**part)).input_images == ()


def test_an_earlier_image_passed_back_as_an_item_is_read() -> None:
    result = png_data_url().split(",", 1)[1]
    params = {
        "model": "gpt-5",
        "input": [{"type": "image_generation_call", "id": "ig_1", "status": "completed", "result": result}],
        "tools": [{"type": "image_generation"}],
    }
    (found,) = validate_request("responses", params).input_images
    assert (found.path, found.image.format) == ("input[0].result", "png")


def test_a_stored_prompt_may_name_the_model() -> None:
    assert validate_request("responses", {"prompt": {"id": "pmpt_123"}}).model is None


@pytest.mark.parametrize("model", ["gpt-5", "gpt-5-2025-08-07", "openai/gpt-4.1", "o3"])
def test_known_mainline_models_pass_strict(model: str) -> None:
    validate_request("responses", {"model": model, "input": "x"}, strict=True)


def test_unknown_models_and_fields_pass_unless_strict() -> None:
    params = body({"type": "image_generation", "n": 2, "model": "gpt-image-9"}, model="gpt-9")
    validate_request("responses", params)
    with pytest.raises(RequestValidationError) as info:
        validate_request("responses", params, strict=True)
    assert info.value.param == "model"
    with pytest.raises(RequestValidationError) as info:
        validate_request("responses", {**params, "model": "gpt-5"}, strict=True)
    assert info.value.param == "tools[0].model"
    known = body({"type": "image_generation", "n": 2})
    with pytest.raises(RequestValidationError) as info:
        validate_request("responses", known, strict=True)
    assert (info.value.param, info.value.code) == ("tools[0].n", "unknown_parameter")


def test_other_tools_pass_untouched() -> None:
    tools = [
        {"type": "web_search"},
        {"type": "function", "name": "f", "parameters": {}},
        {"type": "image_generation"},
    ]
    request = validate_request("responses", {"model": "gpt-5", "input": "x", "tools": tools})
    assert request.tool is not None
    assert request.tool.index == 2


def test_the_first_bad_tool_is_named_by_its_index() -> None:
    tools = [{"type": "web_search"}, {"type": "image_generation", "quality": "ultra"}]
    with pytest.raises(RequestValidationError) as info:
        validate_request("responses", {"model": "gpt-5", "input": "x", "tools": tools})
    assert info.value.param == "tools[1].quality"


def test_files_are_not_a_responses_thing() -> None:
    with pytest.raises(RequestValidationError) as info:
        validate_request("responses", {"model": "gpt-5"}, {"image": b"x"})
    assert info.value.code == "unknown_parameter"


def test_the_mainline_list_is_the_tool_guide_s() -> None:
    assert {"gpt-4o", "gpt-4.1", "o3", "gpt-5"} <= RESPONSES_MODELS
    assert not RESPONSES_MODELS & set(CAPABILITIES)
