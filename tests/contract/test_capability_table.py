"""Every rule of every row of the capability table, accepted once and rejected once.

The cases are generated from ``CAPABILITIES`` itself, so a new row is tested without touching this
file; ``test_every_rule_of_every_row_is_covered`` fails if a rule of some row has no accepted or no
rejected case.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from pytest_imagegen.contract import CAPABILITIES, ModelCapability, validate_request
from pytest_imagegen.contract.capabilities import ENDPOINTS
from pytest_imagegen.errors import RequestValidationError

from .images import make_image, padded_png

Files = dict[str, Any] | None

#: The rows of Images API models (the multimodal rows of chat completions and the Gemini API have no
#: Images API endpoint; ``tests/contract/test_multimodal_table.py`` covers them).
IMAGES_ROWS = [row for row in CAPABILITIES.values() if row.endpoints]


@dataclass(frozen=True)
class Case:
    row: str
    rule: str
    endpoint: str
    params: dict[str, Any]
    #: Built inside the test, not at collection (some are 50 MB).
    files: Callable[[], Files] | None = None
    field: str | None = None
    code: str | None = None
    label: str = ""
    param_is_none: bool = False

    @property
    def id(self) -> str:
        return f"{self.row}-{self.rule}-{self.label}"


def _png_image() -> Files:
    return {"image": ("otter.png", make_image("png"), "image/png")}


def _base(row: ModelCapability, endpoint: str) -> tuple[dict[str, Any], Callable[[], Files] | None]:
    params: dict[str, Any] = {"model": row.id}
    if endpoint != "variations":
        params["prompt"] = "A cute baby sea otter"
    return params, (_png_image if endpoint in ("edits", "variations") else None)


def _main_endpoint(row: ModelCapability) -> str:
    return "generations" if "generations" in row.endpoints else row.endpoints[0]


def _ok(row: ModelCapability, rule: str, label: str, endpoint: str | None = None, **extra: Any) -> Case:
    endpoint = endpoint or _main_endpoint(row)
    params, files = _base(row, endpoint)
    files = extra.pop("_files", files)
    return Case(row.id, rule, endpoint, {**params, **extra}, files, label=f"ok-{label}")


def _bad(
    row: ModelCapability,
    rule: str,
    label: str,
    field: str | None,
    code: str | None,
    endpoint: str | None = None,
    param_is_none: bool = False,
    **extra: Any,
) -> Case:
    endpoint = endpoint or _main_endpoint(row)
    params, files = _base(row, endpoint)
    files = extra.pop("_files", files)
    return Case(
        row.id, rule, endpoint, {**params, **extra}, files, field, code, f"bad-{label}", param_is_none
    )


def _all_values(column: str) -> list[str]:
    seen: dict[str, None] = {}
    for row in IMAGES_ROWS:
        for value in getattr(row, column) or ():
            seen[value] = None
    return list(seen)


# Parameter -> the row column holding its values (the enum-like rules).
ENUM_COLUMNS = {
    "quality": "qualities",
    "style": "styles",
    "response_format": "response_formats",
    "background": "backgrounds",
    "output_format": "output_formats",
    "moderation": "moderations",
    "input_fidelity": "input_fidelities",
}


def _enum_cases(row: ModelCapability, param: str, column: str) -> Iterator[Case]:
    endpoint = "edits" if param == "input_fidelity" else _main_endpoint(row)
    if endpoint not in row.endpoints:
        return  # e.g. input_fidelity on a model without edits: the field does not exist there
    values = getattr(row, column)
    if values:
        for value in values:
            yield _ok(row, column, f"{param}={value}", endpoint, **{param: value})
        yield _bad(row, column, f"{param}=bogus", param, "invalid_value", endpoint, **{param: "bogus"})
        for other in _all_values(column):
            if other not in values:
                yield _bad(
                    row, column, f"{param}={other}", param, "invalid_value", endpoint, **{param: other}
                )
    else:
        # Not supported: leaving it out (or sending null, as the SDK does) passes; any value fails.
        yield _ok(row, column, f"{param}=None", endpoint, **{param: None})
        yield _bad(
            row, column, f"{param}={_all_values(column)[0]}", param, "unknown_parameter", endpoint,
            **{param: _all_values(column)[0]},
        )  # fmt: skip


def _row_cases(row: ModelCapability) -> Iterator[Case]:
    # endpoints (variations included)
    for endpoint in ENDPOINTS:
        if endpoint in row.endpoints:
            yield _ok(row, "endpoints", endpoint, endpoint)
        else:
            yield _bad(row, "endpoints", endpoint, "model", "invalid_value", endpoint)

    # prompt_max_length
    yield _ok(row, "prompt_max_length", "at-max", prompt="p" * row.prompt_max_length)
    yield _bad(
        row, "prompt_max_length", "above-max", "prompt", "string_above_max_length",
        prompt="p" * (row.prompt_max_length + 1),
    )  # fmt: skip

    # n range
    yield _ok(row, "n", "min", n=row.n_min)
    yield _ok(row, "n", "max", n=row.n_max)
    yield _bad(row, "n", "below", "n", "integer_below_min_value", n=row.n_min - 1)
    if row.n_min == row.n_max:
        yield _bad(row, "n", "above", "n", None, n=row.n_max + 1, param_is_none=True)
    else:
        yield _bad(row, "n", "above", "n", "integer_above_max_value", n=row.n_max + 1)

    # sizes
    for size in row.sizes or ():
        yield _ok(row, "sizes", size, size=size)
    invalid_size = row.size_error_code == "invalid_size"
    yield _bad(
        row, "sizes", "100x100", "size", row.size_error_code, size="100x100", param_is_none=invalid_size
    )

    # free-form sizes
    if row.free_form_sizes is not None:
        for size in ("64x64", "1536x864", "2160x3840"):
            yield _ok(row, "free_form_sizes", size, size=size)
        for size in ("1000x1000", "1600x512", "4096x2048", "3840x3840"):
            yield _bad(row, "free_form_sizes", size, "size", "invalid_value", size=size)
    else:
        # Without free-form sizes only the listed ones pass.
        yield _ok(row, "free_form_sizes", "listed", size=(row.sizes or ("auto",))[0])
        yield _bad(row, "free_form_sizes", "1536x864", "size", row.size_error_code, size="1536x864",
                   param_is_none=invalid_size)  # fmt: skip

    for param, column in ENUM_COLUMNS.items():
        yield from _enum_cases(row, param, column)

    # output_compression
    if row.output_compression:
        yield _ok(row, "output_compression", "0", output_format="jpeg", output_compression=0)
        yield _ok(row, "output_compression", "100", output_format="webp", output_compression=100)
        yield _bad(row, "output_compression", "101", "output_compression", "integer_above_max_value",
                   output_format="jpeg", output_compression=101)  # fmt: skip
        yield _bad(row, "output_compression", "-1", "output_compression", "integer_below_min_value",
                   output_format="jpeg", output_compression=-1)  # fmt: skip
    else:
        yield _ok(row, "output_compression", "None", output_compression=None)
        yield _bad(
            row, "output_compression", "50", "output_compression", "unknown_parameter", output_compression=50
        )

    # stream / partial_images
    if row.stream:
        yield _ok(row, "stream", "partials-max", stream=True, partial_images=row.partial_images_max)
        yield _bad(row, "stream", "partials-above", "partial_images", "integer_above_max_value",
                   stream=True, partial_images=row.partial_images_max + 1)  # fmt: skip
        yield _bad(row, "stream", "partials-below", "partial_images", "integer_below_min_value",
                   stream=True, partial_images=-1)  # fmt: skip
    else:
        yield _ok(row, "stream", "false", stream=False)
        yield _bad(row, "stream", "true", "stream", "unknown_parameter", stream=True)
        yield _bad(row, "stream", "partials", "partial_images", "unknown_parameter", partial_images=1)

    yield from _edit_cases(row)


def _images(fmt: str = "png", count: int = 1, size: tuple[int, int] = (64, 64)) -> Callable[[], Files]:
    def build() -> Files:
        data = make_image(fmt, size)
        if count == 1:
            return {"image": (f"otter.{fmt}", data, f"image/{fmt}")}
        return {"image[]": [(f"otter{i}.{fmt}", data, f"image/{fmt}") for i in range(count)]}

    return build


def _with(
    part: str, data: Callable[[], bytes], base: Callable[[], Files] = _png_image
) -> Callable[[], Files]:
    def build() -> Files:
        files = dict(base() or {})
        files[part] = (f"{part}.png", data(), "image/png")
        return files

    return build


def _edit_cases(row: ModelCapability) -> Iterator[Case]:
    rule = row.edit
    if rule is None or "edits" not in row.endpoints:
        return
    e = "edits"
    # edit.max_images
    yield _ok(row, "edit.max_images", str(rule.max_images), e, _files=_images(count=rule.max_images))
    yield _bad(row, "edit.max_images", str(rule.max_images + 1), "image", "array_above_max_length", e,
               _files=_images(count=rule.max_images + 1))  # fmt: skip
    # edit.formats: what the bytes really are decides
    for fmt in rule.formats:
        yield _ok(row, "edit.formats", fmt, e, _files=_images(fmt))
    for fmt in ("png", "jpeg", "webp", "gif"):
        if fmt not in rule.formats:
            yield _bad(row, "edit.formats", fmt, "image", "unsupported_file_mimetype", e, _files=_images(fmt))
    # edit.max_bytes (inclusive limit)
    size = (64, 64)

    def padded(n: int) -> Callable[[], Files]:
        return lambda: {"image": ("otter.png", padded_png(n, size), "image/png")}

    yield _ok(row, "edit.max_bytes", "at-max", e, _files=padded(rule.max_bytes))
    yield _bad(
        row,
        "edit.max_bytes",
        "above-max",
        "image",
        "invalid_image_file",
        e,
        _files=padded(rule.max_bytes + 1),
    )
    # edit.square
    wide = _images(size=(96, 64))
    if rule.square:
        yield _ok(row, "edit.square", "square", e, _files=_images(size=(64, 64)))
        yield _bad(row, "edit.square", "96x64", "image", "invalid_image_file", e, _files=wide)
    else:
        # Non-square allowed: this rule has no rejected counterpart (see the coverage test).
        yield _ok(row, "edit.square", "96x64", e, _files=wide)
    not_an_image = b"\x89PNG\r\n\x1a\nnot really"
    yield _bad(row, "edit.decodable", "not-an-image", "image", "invalid_image_file", e,
               _files=lambda: {"image": ("otter.png", not_an_image, "image/png")})  # fmt: skip
    # mask: format, same size as the first image
    yield _ok(row, "edit.mask", "same-size", e, _files=_with("mask", lambda: make_image("png", (64, 64))))
    yield _bad(row, "edit.mask", "32x32", "mask", "invalid_image_file", e,
               _files=_with("mask", lambda: make_image("png", (32, 32))))  # fmt: skip
    yield _bad(row, "edit.mask", "jpeg", "mask", "unsupported_file_mimetype", e,
               _files=_with("mask", lambda: make_image("jpeg", (64, 64))))  # fmt: skip
    yield _bad(row, "edit.mask", "too-big", "mask", "invalid_image_file", e,
               _files=_with("mask", lambda: padded_png(rule.mask_max_bytes + 1)))  # fmt: skip
    # JSON edit body (image references)
    refs = {"images": [{"image_url": "https://example.com/otter.png"}], "prompt": "A cute baby sea otter"}
    if rule.json_form:
        yield Case(row.id, "edit.json_form", e, {"model": row.id, **refs}, label="ok-json")
        yield Case(row.id, "edit.json_form", e, {"model": row.id, **refs, "images": []}, None,
                   "images", "array_below_min_length", label="bad-json-empty")  # fmt: skip
    else:
        yield _ok(row, "edit.json_form", "multipart", e)
        yield Case(row.id, "edit.json_form", e, {"model": row.id, **refs}, None, "model", "invalid_value",
                   label="bad-json")  # fmt: skip
    # markup (GPT Image 2.5)
    markup = _with("markup", lambda: make_image("png", (64, 64)))
    if row.markup:
        yield _ok(row, "markup", "png", e, _files=markup)
        yield _bad(row, "markup", "with-mask", "markup", "invalid_value", e,
                   _files=_with("mask", lambda: make_image("png", (64, 64)), markup))  # fmt: skip
    else:
        yield _ok(row, "markup", "absent", e)
        yield _bad(row, "markup", "png", "markup", "unknown_parameter", e, _files=markup)


ALL_CASES = [case for row in IMAGES_ROWS for case in _row_cases(row)]
ACCEPTED = [c for c in ALL_CASES if c.label.startswith("ok-")]
REJECTED = [c for c in ALL_CASES if c.label.startswith("bad-")]


def _run(case: Case) -> Any:
    return validate_request(case.endpoint, case.params, case.files() if case.files else None)


@pytest.mark.parametrize("case", ACCEPTED, ids=lambda c: c.id)
def test_accepted(case: Case) -> None:
    request = _run(case)
    assert request.base_model == case.row
    assert request.capability is CAPABILITIES[case.row]


@pytest.mark.parametrize("case", REJECTED, ids=lambda c: c.id)
def test_rejected(case: Case) -> None:
    with pytest.raises(RequestValidationError) as info:
        _run(case)
    exc = info.value
    assert (exc.field, exc.code) == (case.field, case.code), exc.message
    assert exc.param == (None if case.param_is_none else case.field)
    assert exc.to_error_body()["error"]["message"] == exc.message


RULES = (
    "endpoints",
    "prompt_max_length",
    "n",
    "sizes",
    "free_form_sizes",
    *ENUM_COLUMNS.values(),
    "output_compression",
    "stream",
)
EDIT_RULES = (
    "edit.max_images",
    "edit.formats",
    "edit.max_bytes",
    "edit.square",
    "edit.mask",
    "edit.json_form",
    "markup",
    "input_fidelities",
)


@pytest.mark.parametrize("row", IMAGES_ROWS, ids=lambda r: r.id)
def test_every_rule_of_every_row_is_covered(row: ModelCapability) -> None:
    rules = RULES if "edits" in row.endpoints else tuple(r for r in RULES if r != "input_fidelities")
    rules += EDIT_RULES if "edits" in row.endpoints and row.edit is not None else ()
    accepted = {c.rule for c in ACCEPTED if c.row == row.id}
    rejected = {c.rule for c in REJECTED if c.row == row.id}
    # "Non-square inputs allowed" and "every endpoint allowed" have nothing to reject.
    must_reject = set(rules) - ({"edit.square"} if row.edit is not None and not row.edit.square else set())
    must_reject -= {"endpoints"} if set(row.endpoints) == set(ENDPOINTS) else set()
    assert not set(rules) - accepted, f"rules without an accepted case: {set(rules) - accepted}"
    assert not must_reject - rejected, f"rules without a rejected case: {must_reject - rejected}"


def test_the_table_has_the_models_of_the_reference() -> None:
    expected = {
        "dall-e-2", "dall-e-3", "gpt-image-1", "gpt-image-1-mini", "gpt-image-1.5", "gpt-image-2",
        "gpt-image-2-2026-04-21", "chatgpt-image-latest", "gpt-image-2.5-sunburst",
        "gpt-image-2.5-sunburst-2026-09-08", "gpt-image-2.5-flare", "gpt-image-2.5-flare-2026-09-08",
        "gpt-image-2.6-sunburst", "gpt-image-2.6-flare",
    }  # fmt: skip
    assert {row.id for row in IMAGES_ROWS} == expected
    assert all(row.id == key for key, row in CAPABILITIES.items())
