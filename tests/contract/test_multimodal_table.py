"""The capability table's multimodal rows: chat completions with image output and the Gemini API.

Cases are generated from the rows, as ``test_capability_table.py`` does for the Images API: every listed
aspect ratio and image size is accepted and an unlisted one rejected, on every shape the row answers;
each Gemini method the row lists is accepted and the others are a 404; no multimodal row is an Images API
model (a gateway's Images page sends them to chat completions).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pytest_imagegen.contract import CAPABILITIES, ModelCapability, capability_for, validate_request
from pytest_imagegen.contract.aspect_ratios import aspect_size
from pytest_imagegen.contract.capabilities import GENERIC
from pytest_imagegen.contract.gemini import METHODS
from pytest_imagegen.errors import RequestValidationError

MULTIMODAL = [row for row in CAPABILITIES.values() if row.chat_images or row.gemini_methods]


def test_the_table_has_the_multimodal_models() -> None:
    assert {row.id for row in MULTIMODAL} == {
        "gemini-2.5-flash-image",
        "gemini-2.5-flash-image-preview",
        "gemini-3-pro-image-preview",
        "gpt-5-image",
        "gpt-5-image-mini",
        "imagen-4.0-generate-001",
        "imagen-4.0-ultra-generate-001",
        "imagen-4.0-fast-generate-001",
        "imagen-3.0-generate-002",
    }
    assert all(row.endpoints == () and not row.image_tool for row in MULTIMODAL)


@pytest.mark.parametrize("row", MULTIMODAL, ids=lambda r: r.id)
def test_no_multimodal_model_is_an_images_api_model(row: ModelCapability) -> None:
    with pytest.raises(RequestValidationError) as info:
        validate_request("generations", {"model": f"google/{row.id}", "prompt": "a cat"})
    assert info.value.field == "model"


@pytest.mark.parametrize("prefix", ["", "google/", "gemini/", "vertex_ai/"])
def test_provider_prefixes_resolve_to_the_row(prefix: str) -> None:
    assert capability_for(f"{prefix}gemini-3-pro-image-preview") is CAPABILITIES["gemini-3-pro-image-preview"]


def _body(
    row: ModelCapability, method: str, aspect: str | None = None, size: str | None = None
) -> dict[str, Any]:
    if method == "predict":
        parameters = {k: v for k, v in (("aspectRatio", aspect), ("imageSize", size)) if v is not None}
        return {"instances": [{"prompt": "a cat"}], "parameters": parameters}
    config = {k: v for k, v in (("aspectRatio", aspect), ("imageSize", size)) if v is not None}
    return {"contents": [{"parts": [{"text": "a cat"}]}], "generationConfig": {"imageConfig": config}}


def _cases() -> Iterator[Any]:
    for row in MULTIMODAL:
        for method in METHODS:
            path = f"/v1beta/models/{row.id}:{method}"
            answers = method in (row.gemini_methods or ())
            yield pytest.param("gemini", path, _body(row, method), answers, id=f"{row.id}-{method}")
            if not answers:
                continue
            for name, _, _ in row.aspect_sizes or ():
                yield pytest.param(
                    "gemini", path, _body(row, method, aspect=name), True, id=f"{row.id}-{method}-{name}"
                )
            yield pytest.param(
                "gemini",
                path,
                _body(row, method, aspect="7:2"),
                row.aspect_sizes is None,
                id=f"{row.id}-{method}-7:2",
            )
            for size in row.image_sizes or ():
                yield pytest.param(
                    "gemini", path, _body(row, method, size=size), True, id=f"{row.id}-{method}-{size}"
                )
            yield pytest.param(
                "gemini", path, _body(row, method, size="16K"), False, id=f"{row.id}-{method}-16K"
            )
        if row.chat_images:
            ask = {
                "model": f"google/{row.id}",
                "messages": [{"role": "user", "content": "a cat"}],
                "modalities": ["image"],
            }
            yield pytest.param("chat", None, ask, True, id=f"{row.id}-chat")
            for name, _, _ in row.aspect_sizes or ():
                body = {**ask, "image_config": {"aspect_ratio": name}}
                yield pytest.param("chat", None, body, True, id=f"{row.id}-chat-{name}")
            body = {**ask, "image_config": {"aspect_ratio": "7:2"}}
            yield pytest.param("chat", None, body, row.aspect_sizes is None, id=f"{row.id}-chat-7:2")
        else:
            ask = {
                "model": row.id,
                "messages": [{"role": "user", "content": "a cat"}],
                "modalities": ["image"],
            }
            yield pytest.param("chat", None, ask, False, id=f"{row.id}-chat")


@pytest.mark.parametrize(("shape", "path", "body", "accepted"), list(_cases()))
def test_every_rule_of_every_multimodal_row(
    shape: str, path: str | None, body: dict[str, Any], accepted: bool
) -> None:
    if accepted:
        validate_request(shape, body, path=path)
    else:
        with pytest.raises(RequestValidationError):
            validate_request(shape, body, path=path)


@pytest.mark.parametrize("row", [r for r in MULTIMODAL if r.aspect_sizes], ids=lambda r: r.id)
def test_each_ratio_is_drawn_close_to_itself(row: ModelCapability) -> None:
    names = [name for name, _, _ in row.aspect_sizes or ()]
    assert len(names) == len(set(names))
    for name, width, height in row.aspect_sizes or ():
        w, h = (int(part) for part in name.split(":"))
        assert abs(width / height - w / h) / (w / h) < 0.08, name
        assert width % 16 == height % 16 == 0


def test_aspect_size_scales_with_image_size_and_computes_unknown_ratios() -> None:
    row = CAPABILITIES["gemini-3-pro-image-preview"]
    assert aspect_size(row, None) == (1024, 1024)
    assert aspect_size(row, "16:9", "2K") == (2752, 1536)
    assert aspect_size(row, "4:3", "4K") == (4800, 3584)
    assert aspect_size(GENERIC, "2:1") == (1456, 720)
    with pytest.raises(ValueError, match="W:H"):
        aspect_size(GENERIC, "wide")
