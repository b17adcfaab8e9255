"""The official schema components (``openai_schema.json``, made by ``scripts/extract_openai_schema.py`` from
``openai/openai-openapi``) as validators, and which component a reply or stream event of the emulator must
conform to.

``problems(path, status, document, event=...)`` lists what breaks the component for one JSON reply body or
one stream event's data (``event`` is its position in the stream, None for a whole body). Gemini replies
have no OpenAI component (Google's API): ``component_for`` answers None for them.

One deviation is accepted, and only in its exact form: the document enumerates three sizes for a reply's
``size`` (``ImagesResponse`` and the image stream events), while its own ``CreateImageRequest`` takes any
size string for gpt-image-2, and the openai SDK types the reply's ``size`` as any string
(``openai/types/images_response.py``: ``size: Union[str, Literal[...]]``). A ``WIDTHxHEIGHT`` value there
is not reported; any other value is.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

HERE = Path(__file__).parent
EXTRACT: dict[str, Any] = json.loads((HERE / "openai_schema.json").read_text(encoding="utf-8"))
DEFS: dict[str, Any] = EXTRACT["$defs"]
RESPONSE_EVENTS: dict[str, str] = EXTRACT["response_stream_events"]

_IMAGES = re.compile(r"/images/(generations|edits|variations)$")
_SIZE = re.compile(r"\d+x\d+")
#: Components whose ``size`` the SDK widens to any string (see the module docstring).
_SIZE_WIDENED = frozenset(
    {
        "ImagesResponse",
        "ImageGenStreamEvent",
        "ImageEditStreamEvent",
        "ImageGenCompletedEvent",
        "ImageGenPartialImageEvent",
        "ImageEditCompletedEvent",
        "ImageEditPartialImageEvent",
    }
)


@functools.cache
def validator(component: str) -> Draft202012Validator:
    if component not in DEFS:
        raise KeyError(
            f"{component} is not in the extract: add it to ROOTS in scripts/extract_openai_schema.py"
        )
    return Draft202012Validator({"$ref": f"#/$defs/{component}", "$defs": DEFS})


def component_for(path: str, status: int, document: Mapping[str, Any], event: int | None) -> str | None:
    """The official component ``document`` must conform to, or None where there is none (Gemini)."""
    if "/models/" in path and ":" in path.rsplit("/", 1)[-1]:
        return None  # the Gemini API: Google's schema, not OpenAI's
    if status >= 400:
        return "ErrorResponse"
    images = _IMAGES.search(path)
    if images is not None:
        if event is None:
            return "ImagesResponse"
        return "ImageEditStreamEvent" if images.group(1) == "edits" else "ImageGenStreamEvent"
    if path.endswith("/responses"):
        if event is None:
            return "Response"
        kind = str(document.get("type"))
        if kind not in RESPONSE_EVENTS:
            raise AssertionError(f"the emulator sent a Responses event the extract does not know: {kind}")
        return RESPONSE_EVENTS[kind]
    if path.endswith("/chat/completions"):
        return "CreateChatCompletionStreamResponse" if event is not None else "CreateChatCompletionResponse"
    raise AssertionError(f"no component for a reply to {path}")


def _widened(component: str, error: Any) -> bool:
    return (
        component in _SIZE_WIDENED
        and error.validator == "enum"
        and list(error.absolute_path)[-1:] == ["size"]
        and isinstance(error.instance, str)
        and _SIZE.fullmatch(error.instance) is not None
    )


def _acceptable(component: str, error: Any) -> bool:
    """Whether ``error`` is only the widened ``size``: itself, or, for an ``anyOf``/``oneOf``, in every
    error of one of its branches."""
    if _widened(component, error):
        return True
    if not error.context:
        return False
    branches: dict[Any, list[Any]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    return any(all(_acceptable(component, sub) for sub in subs) for subs in branches.values())


def check(component: str, document: Any) -> list[str]:
    """What in ``document`` breaks ``component`` (empty: it conforms)."""
    found: list[str] = []
    for error in validator(component).iter_errors(document):
        if _acceptable(component, error):
            continue
        where = "$" + "".join(f"[{p!r}]" for p in error.absolute_path)
        found.append(f"{component} {where}: {error.message[:300]}")
    return found


def problems(path: str, status: int, document: Mapping[str, Any], *, event: int | None = None) -> list[str]:
    component = component_for(path, status, document, event)
    return [] if component is None else check(component, document)
