"""The Images API's options, each checked against the model's capability row, and the rules between them.

``check_options`` runs them for ``validate_images_request``; ``check_option`` checks one, and
``check_format_rules`` the rules between them and ``output_format``, for another shape that takes the same
options (the Responses API's image tool). Every rule is read from the row
(``contract/capabilities.py``), never from the model's name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from pytest_imagegen.contract import messages
from pytest_imagegen.contract.capabilities import (
    OUTPUT_FORMAT_RULES,
    Endpoint,
    FreeFormSizeRule,
    ModelCapability,
    supports,
)
from pytest_imagegen.contract.uploads import UploadedFile
from pytest_imagegen.errors import RequestValidationError

__all__ = ["check_format_rules", "check_option", "check_options"]

#: Model-independent API limits (the OpenAI API reference for images.generate and images.edit, and the openai Python SDK).
OUTPUT_COMPRESSION_RANGE: Final = (0, 100)
FRAME_COUNT_RANGE: Final = (2, 16)
# frame_duration_ms minimum: only a mirror of DOCS-NEW says 20; lenient, anything >= 0.
FRAME_DURATION_MIN: Final = 0
COMPLEXITIES: Final = ("low", "medium", "high")
_SIZE_RE: Final = re.compile(r"(\d+)x(\d+)")


@dataclass(frozen=True)
class _Context:
    endpoint: Endpoint
    cap: ModelCapability
    given: dict[str, Any]


def _key(label: str) -> str:
    """The parameter a message label names: ``tools[0].partial_images`` -> ``partial_images``."""
    return label.rsplit(".", 1)[-1]


def check_option(cap: ModelCapability, label: str, value: Any) -> None:
    """Check one option against a capability row the way ``validate_request`` checks that parameter, for
    other API shapes that take the same options (the Responses API's image tool); ``label`` names it in
    the error (``tools[0].quality``). Options without a per-model rule pass."""
    check = _PARAM_CHECKS.get(_key(label))
    if check is not None:
        check(_Context("generations", cap, {}), label, value)


def _range(name: str, value: int, low: int, high: int | None) -> None:
    if value < low:
        raise messages.below_min(name, low, value)
    if high is not None and value > high:
        raise messages.above_max(name, high, value)


def _enum(column: str) -> Callable[[_Context, str, Any], None]:
    """A check reading one value column: empty means unsupported, ``None`` means any value."""

    def check(ctx: _Context, name: str, value: Any) -> None:
        values: tuple[str, ...] | None = getattr(ctx.cap, column)
        if values is None:
            return
        if not values:
            raise messages.unknown_parameter(name)
        if value not in values:
            raise messages.invalid_value(name, value, values)

    return check


def _check_prompt(ctx: _Context, name: str, value: str) -> None:
    if len(value) > ctx.cap.prompt_max_length:
        raise messages.string_too_long(name, ctx.cap.prompt_max_length, len(value))


def _check_n(ctx: _Context, name: str, value: int) -> None:
    cap = ctx.cap
    if value > cap.n_max and cap.n_min == cap.n_max:
        # A model with one allowed n (dall-e-3) answers with this text, and names no param.
        raise RequestValidationError(
            f"You must provide n={cap.n_max} for this model.", field=name, code=None, param=None
        )
    _range(name, value, cap.n_min, cap.n_max)


def _check_size(ctx: _Context, name: str, value: str) -> None:
    cap = ctx.cap
    if cap.sizes is None or value in cap.sizes:
        return
    match = _SIZE_RE.fullmatch(value)
    if cap.free_form_sizes is not None and match:
        _check_free_form(name, value, int(match.group(1)), int(match.group(2)), cap.free_form_sizes)
        return
    if cap.size_error_code == "invalid_size":
        raise RequestValidationError(
            "The size is not supported by this model.", field=name, code="invalid_size", param=None
        )
    raise messages.invalid_value(name, value, cap.sizes)


def _check_free_form(name: str, value: str, width: int, height: int, rule: FreeFormSizeRule) -> None:
    problem = None
    if width % rule.multiple_of or height % rule.multiple_of:
        problem = f"width and height must both be multiples of {rule.multiple_of}"
    elif min(width, height) < rule.min_edge:
        problem = f"width and height must be at least {rule.min_edge}"
    elif max(width, height) > rule.max_aspect_ratio * min(width, height):
        problem = (
            f"the aspect ratio must be between 1:{rule.max_aspect_ratio:g} and {rule.max_aspect_ratio:g}:1"
        )
    elif max(width, height) > rule.max_edge or width * height > rule.max_pixels:
        problem = f"the largest supported size is {rule.max_edge}x{rule.max_pixels // rule.max_edge}"
    if problem:
        raise RequestValidationError(f"Invalid size '{value}': {problem}.", field=name, code="invalid_value")


def _check_supported_int(low: int, high: int | None) -> Callable[[_Context, str, Any], None]:
    def check(ctx: _Context, name: str, value: int) -> None:
        if not supports(ctx.cap, _key(name)):
            raise messages.unknown_parameter(name)
        _range(name, value, low, high)

    return check


def _check_stream(ctx: _Context, name: str, value: bool) -> None:
    # stream=false asks nothing a non-streaming model lacks: lenient, accepted everywhere.
    if value and not supports(ctx.cap, _key(name)):
        raise messages.unknown_parameter(name)


def _check_partial_images(ctx: _Context, name: str, value: int) -> None:
    if not supports(ctx.cap, _key(name)):
        raise messages.unknown_parameter(name)
    # partial_images without stream=true: unspecified, lenient (accepted, no effect).
    _range(name, value, 0, ctx.cap.partial_images_max)


def _check_complexity(ctx: _Context, name: str, value: str) -> None:
    if not supports(ctx.cap, _key(name)):
        raise messages.unknown_parameter(name)
    if value not in COMPLEXITIES:
        raise messages.invalid_value(name, value, COMPLEXITIES)


def _check_supported(ctx: _Context, name: str, value: Any) -> None:
    if not supports(ctx.cap, _key(name)):
        raise messages.unknown_parameter(name)


_PARAM_CHECKS: Final[Mapping[str, Callable[[_Context, str, Any], None]]] = {
    "prompt": _check_prompt,
    "n": _check_n,
    "size": _check_size,
    "quality": _enum("qualities"),
    "action": _enum("tool_actions"),
    "style": _enum("styles"),
    "response_format": _enum("response_formats"),
    "background": _enum("backgrounds"),
    "moderation": _enum("moderations"),
    "output_format": _enum("output_formats"),
    "input_fidelity": _enum("input_fidelities"),
    "output_compression": _check_supported_int(*OUTPUT_COMPRESSION_RANGE),
    "stream": _check_stream,
    "partial_images": _check_partial_images,
    "complexity": _check_complexity,
    "frame_count": _check_supported_int(*FRAME_COUNT_RANGE),
    "frame_duration_ms": _check_supported_int(FRAME_DURATION_MIN, None),
    "svg": _check_supported,
}


def check_options(
    endpoint: Endpoint,
    cap: ModelCapability,
    known: dict[str, Any],
    uploads: tuple[UploadedFile, ...],
    *,
    json_edit: bool,
) -> None:
    """Each parameter of an Images API request against the model's row, in the order the caller gave
    them (so the first offending field is the one reported), then the rules between parameters."""
    ctx = _Context(endpoint, cap, known)
    for name, value in known.items():
        check = _PARAM_CHECKS.get(name)
        if check is not None:
            check(ctx, name, value)
    _check_cross_field(ctx, uploads, json_edit=json_edit)


def _check_cross_field(ctx: _Context, uploads: tuple[UploadedFile, ...], *, json_edit: bool) -> None:
    given = ctx.given
    has_mask = any(f.part == "mask" for f in uploads) or (json_edit and "mask" in given)
    present = {
        "stream": bool(given.get("stream")),
        "partial_images": bool(given.get("partial_images")),
        "mask": has_mask,
        "output_compression": "output_compression" in given,
    }
    check_format_rules(ctx.cap, given, present, n=int(given.get("n", 1)))
    if has_mask and any(f.part == "markup" for f in uploads):
        raise RequestValidationError(
            "Invalid 'markup': cannot be combined with 'mask'.", field="markup", code="invalid_value"
        )


def check_format_rules(
    cap: ModelCapability,
    given: Mapping[str, Any],
    present: Mapping[str, bool],
    *,
    prefix: str = "",
    labels: Mapping[str, str] | None = None,
    n: int | None = None,
) -> None:
    """The rules between ``output_format`` (given, else the model's default) and the other options, for
    every shape that takes the GPT image options (the Images API, the Responses API's image tool): a
    transparent background needs a format that has one, a format forbids some options and owns others
    (``OUTPUT_FORMAT_RULES``), and may cap ``n``. ``present`` says whether an option the format forbids is
    in use (``stream``: true, a mask: sent), else its name in ``given`` does; an error names the option
    ``prefix`` + its name (``labels`` renames one: the tool's mask is ``input_image_mask``)."""
    fmt = given.get("output_format", cap.default_output_format if supports(cap, "output_format") else None)

    def label(name: str) -> str:
        return prefix + (labels or {}).get(name, name)

    if given.get("background") == "transparent" and fmt is not None and fmt not in cap.transparent_formats:
        raise RequestValidationError(
            f"Invalid value: 'transparent'. A transparent background needs output_format "
            f"{messages.quote_list(cap.transparent_formats, conjunction='or')}, "
            f"but output_format is '{fmt}'.",
            field=label("background"),
            code="invalid_value",
        )
    rule = OUTPUT_FORMAT_RULES.get(fmt or "")
    if rule is not None:
        for name in rule.forbids:
            if present.get(name, name in given):
                raise RequestValidationError(
                    f"Invalid '{label(name)}': not supported with output_format '{fmt}'.",
                    field=label(name),
                    code="invalid_value",
                )
        if rule.n_max is not None and n is not None and n > rule.n_max:
            raise messages.above_max("n", rule.n_max, n)
    for other, other_rule in OUTPUT_FORMAT_RULES.items():
        for name in other_rule.owns:
            if other != fmt and name in given and cap.output_formats != ():
                raise RequestValidationError(
                    f"Invalid '{label(name)}': only supported with output_format '{other}'.",
                    field=label(name),
                    code="invalid_value",
                )
