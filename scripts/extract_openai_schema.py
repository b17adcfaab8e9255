"""Extract the official schema components the emulator's replies must conform to, as JSON Schema.

Source: the official OpenAPI document of the OpenAI API, GitHub ``openai/openai-openapi`` (MIT licence,
``Copyright (c) OpenAI``), file ``openapi.json``. The extract vendored at
``tests/conformance/openai_schema.json`` was made from commit
``f85dbe223d40e1a31cba812ab2d755c7e98a92a3`` (2026-08-21, ``info.version`` 2.3.0) with::

    git --git-dir=PATH/openai-openapi/.git show f85dbe2:openapi.json > /tmp/openapi.json
    python scripts/extract_openai_schema.py /tmp/openapi.json --commit f85dbe223d40e1a31cba812ab2d755c7e98a92a3 \
        --date 2026-08-21 > tests/conformance/openai_schema.json

What it keeps: the components named in ``ROOTS`` and every component they reference, nothing else. What it
changes, all mechanical, none of it a rule: prose (``description``, ``title``, ``example``, ``x-*`` vendor
keys) is dropped, except the descriptions of the request bodies (``PROSE_KEPT``); ``$ref``s point into ``$defs``; OpenAPI's ``nullable: true`` (which the document still
uses in places, and which JSON Schema 2020-12 ignores) becomes ``anyOf [..., {"type": "null"}]``, the
reading the openai SDK generated from the same document gives it. It also lists, for the Responses API's
stream, which component describes each event ``type`` (from ``ResponseStreamEvent``'s variants) and the
property names of ``CreateResponse`` (its ``allOf`` parts merged), so the extract stays small.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

#: The components the emulator's replies, events and accepted requests are checked against.
ROOTS = (
    # The Images API: replies, stream events, errors, request bodies.
    "ImagesResponse",
    "ImageGenStreamEvent",
    "ImageEditStreamEvent",
    "ErrorResponse",
    "CreateImageRequest",
    "CreateImageEditRequest",
    "EditImageBodyJsonParam",
    "CreateImageVariationRequest",
    # The Responses API with the image generation tool: the response object, the tool, its call, and the
    # stream events the emulator sends.
    "Response",
    "ImageGenTool",
    "ImageGenToolCall",
    "ResponseCreatedEvent",
    "ResponseInProgressEvent",
    "ResponseOutputItemAddedEvent",
    "ResponseOutputItemDoneEvent",
    "ResponseImageGenCallInProgressEvent",
    "ResponseImageGenCallGeneratingEvent",
    "ResponseImageGenCallPartialImageEvent",
    "ResponseImageGenCallCompletedEvent",
    "ResponseContentPartAddedEvent",
    "ResponseContentPartDoneEvent",
    "ResponseTextDeltaEvent",
    "ResponseTextDoneEvent",
    "ResponseCompletedEvent",
    # Chat completions (what a gateway's reply extends).
    "CreateChatCompletionResponse",
    "CreateChatCompletionStreamResponse",
)
#: Components whose descriptions are kept: the request bodies, where the document states in prose the rules
#: its types cannot (``output_compression`` only with jpeg/webp, ``transparent`` needs png or webp).
PROSE_KEPT = (
    "CreateImageRequest",
    "CreateImageEditRequest",
    "EditImageBodyJsonParam",
    "CreateImageVariationRequest",
    "ImageGenTool",
    "InputFidelity",
)
_PROSE = frozenset({"description", "title", "example", "examples", "deprecated"})
_REF = "#/components/schemas/"


def _clean(node: Any, *, prose: bool = False) -> Any:
    if isinstance(node, list):
        return [_clean(item, prose=prose) for item in node]
    if not isinstance(node, dict):
        return node
    dropped = _PROSE - {"description"} if prose else _PROSE
    out = {k: _clean(v, prose=prose) for k, v in node.items() if k not in dropped and not k.startswith("x-")}
    if isinstance(out.get("$ref"), str) and out["$ref"].startswith(_REF):
        out["$ref"] = "#/$defs/" + out["$ref"][len(_REF) :]
    if out.pop("nullable", False) is True:
        return {"anyOf": [out, {"type": "null"}]}
    return out


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(_REF):
                found.add(value[len(_REF) :])
            else:
                _refs(value, found)
    elif isinstance(node, list):
        for item in node:
            _refs(item, found)


def _closure(schemas: dict[str, Any], roots: tuple[str, ...]) -> list[str]:
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        found: set[str] = set()
        _refs(schemas[name], found)
        todo += sorted(found - seen)
    return sorted(seen)


def _properties(schemas: dict[str, Any], name: str) -> set[str]:
    """The property names of a component, its ``allOf`` parts merged."""
    node = schemas[name]
    names = set(node.get("properties", {}))
    for part in node.get("allOf", ()):
        if "$ref" in part:
            names |= _properties(schemas, part["$ref"][len(_REF) :])
        names |= set(part.get("properties", {}))
    return names


def _event_components(schemas: dict[str, Any]) -> dict[str, str]:
    """``ResponseStreamEvent``'s variants: each event ``type`` and the component describing it."""
    out: dict[str, str] = {}
    for variant in schemas["ResponseStreamEvent"].get("anyOf", ()):
        name = variant["$ref"][len(_REF) :]
        kinds = schemas[name].get("properties", {}).get("type", {}).get("enum", ())
        for kind in kinds:
            out[kind] = name
    return dict(sorted(out.items()))


def extract(document: dict[str, Any], *, commit: str, date: str) -> dict[str, Any]:
    schemas = document["components"]["schemas"]
    names = _closure(schemas, ROOTS)
    return {
        "source": {
            "repository": "https://github.com/openai/openai-openapi",
            "file": "openapi.json",
            "commit": commit,
            "date": date,
            "info.version": document["info"]["version"],
            "license": "MIT, Copyright (c) OpenAI (the repository's LICENSE file)",
            "made_by": "scripts/extract_openai_schema.py",
        },
        "roots": list(ROOTS),
        "response_stream_events": {k: v for k, v in _event_components(schemas).items() if v in names},
        "create_response_properties": sorted(_properties(schemas, "CreateResponse")),
        "$defs": {name: _clean(schemas[name], prose=name in PROSE_KEPT) for name in names},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("openapi_json", help="the official openapi.json")
    parser.add_argument("--commit", required=True, help="the openai-openapi commit it was taken from")
    parser.add_argument("--date", required=True, help="that commit's date (YYYY-MM-DD)")
    args = parser.parse_args(argv)
    with open(args.openapi_json, encoding="utf-8") as handle:
        document = json.load(handle)
    result = extract(document, commit=args.commit, date=args.date)
    # One component per line: a new version of the document diffs component by component.
    lines = [f"{json.dumps(k)}: {json.dumps(v, sort_keys=True)}" for k, v in result["$defs"].items()]
    head = {k: v for k, v in result.items() if k != "$defs"}
    text = json.dumps(head, indent=1)[:-2] + ',\n "$defs": {\n  ' + ",\n  ".join(lines) + "\n }\n}\n"
    json.loads(text)  # what is written is JSON
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
