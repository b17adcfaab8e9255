"""The API shapes that carry images, and where each one puts them.

An API shape is one wire format that carries images: the Images API, the Responses API's
``image_generation`` tool, chat completions with image output (``chat``: a gateway's
``/chat/completions``) and the Gemini API (``gemini``: ``generateContent``, ``streamGenerateContent`` and
Imagen's ``predict``). Every layer has the same parts for each shape, named after it:

==================  =====================================================================================
layer               part, for shape ``NAME``
==================  =====================================================================================
here                a ``Shape`` row: the request path that carries it, where its base64 images sit
``contract/``       request validation (``validate_request(NAME, ...)`` or the Images endpoints) and reply
                    checks (``check_reply``); each later shape is a package named after it
                    (``contract/responses``, ``contract/chat``, ``contract/gemini``)
``safety/``         nothing per shape: trimming (``trim.py``), redaction, the leak scan and matching find
                    images by content, wherever a shape puts them; ``checks.check_interaction`` dispatches
                    a stored interaction to its shape's contract checks through ``shape_of``
``emulator/``       the shape's routes, in a module named after it (``emulator/responses.py``,
                    ``emulator/chat.py``, ``emulator/gemini.py``)
``assertions.py``   ``assert_valid_reply`` picks the shape from the reply (or ``endpoint=``)
``snapshot/``       images shown as facts wherever they sit, a heading per shape
==================  =====================================================================================

``image_fields`` is the shape's own description of where its images are: JSON paths (``*`` for every
element of an array) in its request bodies, reply bodies and stream events. Trimming does not need it (it
finds images by content, so a new place for an image in a known shape is covered before anyone lists it);
it is what tests and tools check against ("every image of this shape was trimmed"), and the checklist a
new shape starts from.

Pure: no I/O, no heavy imports.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

__all__ = [
    "BEDROCK",
    "CHAT",
    "GEMINI",
    "IMAGES",
    "RESPONSES",
    "SHAPES",
    "Shape",
    "declared_images",
    "shape_of",
]

#: A JSON path as steps: a key, or ``"*"`` for every element of an array.
FieldPath = tuple[str, ...]


@dataclass(frozen=True)
class Shape:
    """One API shape: how a request in it is recognised and where its base64 images sit."""

    #: The shape's name, also the name of its modules in ``contract/`` and ``emulator/``.
    name: str
    #: The path (of a POST) that carries it; matched with ``search``, so Azure and gateway prefixes pass.
    path: re.Pattern[str]
    #: Where base64 images (bare or as ``data:`` URLs) sit in its requests, replies and stream events.
    image_fields: tuple[FieldPath, ...]

    def matches(self, uri: str) -> bool:
        return self.path.search(urlsplit(uri).path) is not None


IMAGES: Final = Shape(
    name="images",
    path=re.compile(r"/images/(generations|edits|variations)/?$"),
    image_fields=(
        ("data", "*", "b64_json"),  # JSON reply
        ("b64_json",),  # stream events
        ("images", "*", "image_url"),  # JSON edit: input images as data URLs
        ("mask", "image_url"),
    ),
)

RESPONSES: Final = Shape(
    name="responses",
    path=re.compile(r"/responses/?$"),
    image_fields=(
        # Request: input images as data URLs, an earlier image_generation_call passed back whole, a mask.
        ("input", "*", "content", "*", "image_url"),
        ("input", "*", "result"),
        ("tools", "*", "input_image_mask", "image_url"),
        # JSON reply, and the response object in response.created / in_progress / completed events.
        ("output", "*", "result"),
        ("response", "output", "*", "result"),
        # response.output_item.added / done events, and partial images.
        ("item", "result"),
        ("partial_image_b64",),
    ),
)

CHAT: Final = Shape(
    name="chat",
    # A gateway's OpenAI-compatible chat completions (``/v1/chat/completions``, ``/api/v1/...``).
    path=re.compile(r"/chat/completions/?$"),
    image_fields=(
        # Request: input images as data URLs in content parts; an earlier assistant turn passed back with
        # the images it drew.
        ("messages", "*", "content", "*", "image_url", "url"),
        ("messages", "*", "images", "*", "image_url", "url"),
        # JSON reply, and stream chunks.
        ("choices", "*", "message", "images", "*", "image_url", "url"),
        ("choices", "*", "delta", "images", "*", "image_url", "url"),
    ),
)

GEMINI: Final = Shape(
    name="gemini",
    # ``/v1beta/models/{model}:generateContent`` and ``:streamGenerateContent`` (Gemini), ``:predict``
    # (Imagen); Vertex AI's ``.../publishers/google/models/{model}:{method}`` ends the same way.
    path=re.compile(r"/models/[^/:]+:(?:generateContent|streamGenerateContent|predict)/?$"),
    image_fields=(
        # Reply (JSON, each stream chunk, each element of a JSON-array stream), and request parts: the REST
        # API takes proto field names in camelCase and in snake_case.
        ("candidates", "*", "content", "parts", "*", "inlineData", "data"),
        ("candidates", "*", "content", "parts", "*", "inline_data", "data"),
        ("contents", "*", "parts", "*", "inlineData", "data"),
        ("contents", "*", "parts", "*", "inline_data", "data"),
        # Imagen predict.
        ("predictions", "*", "bytesBase64Encoded"),
    ),
)

BEDROCK: Final = Shape(
    name="bedrock",
    # Amazon Bedrock's ``InvokeModel``: ``/model/{modelId}/invoke`` (the id URL-encoded, ``%3A`` for ``:``).
    path=re.compile(r"/model/[^/]+/invoke/?$"),
    image_fields=(
        # Reply: Nova Canvas, Titan Image and Stability on Bedrock all answer ``images``.
        ("images", "*"),
        # Request: input images of Amazon's edit tasks.
        ("inPaintingParams", "image"),
        ("inPaintingParams", "maskImage"),
        ("outPaintingParams", "image"),
        ("outPaintingParams", "maskImage"),
        ("imageVariationParams", "images", "*"),
        ("colorGuidedGenerationParams", "referenceImage"),
        ("backgroundRemovalParams", "image"),
        # Stability's image-to-image.
        ("image",),
    ),
)

#: Every shape, in the order requests are matched against them.
SHAPES: Final[tuple[Shape, ...]] = (IMAGES, RESPONSES, CHAT, GEMINI, BEDROCK)


def shape_of(uri: str) -> Shape | None:
    """The shape a request to ``uri`` is in, or None (a download of an image URL, another API)."""
    return next((shape for shape in SHAPES if shape.matches(uri)), None)


def declared_images(shape: Shape, document: Any, base: str = "$") -> Iterator[tuple[str, Any]]:
    """``(json path, value)`` for every place in ``document`` where ``shape`` puts an image, that exists."""
    for field in shape.image_fields:
        yield from _follow(document, field, base)


def _follow(node: Any, steps: FieldPath, path: str) -> Iterator[tuple[str, Any]]:
    if not steps:
        yield path, node
        return
    step, rest = steps[0], steps[1:]
    if step == "*":
        if isinstance(node, list):
            for i, item in enumerate(node):
                yield from _follow(item, rest, f"{path}[{i}]")
    elif isinstance(node, dict) and step in node:
        yield from _follow(node[step], rest, f"{path}.{step}")
