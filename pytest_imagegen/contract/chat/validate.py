"""``validate_request("chat", ...)``: a ``POST /chat/completions`` body checked for what concerns images.

Checked, in this order (the first problem raises ``RequestValidationError`` naming the field): the wire
types; ``model`` and ``messages`` are there; every ``modalities`` value is ``text``, ``image`` or
``audio``; image output is asked of a model that draws (its row's ``chat_images``, the provider prefix
dropped: ``google/gemini-2.5-flash-image`` is the ``gemini-2.5-flash-image`` row; a mainline text model
such as ``gpt-4o`` does not draw; an unknown model passes, ``strict=True`` rejects it); ``image_config``
against the row's aspect ratios and image sizes; every inline input image (``image_url`` content parts,
and images of an earlier assistant turn sent back) is a base64 image. A data URL whose declared type is
not its bytes' real format is kept as a fact, not an error: the gateways are silent on it (lenient), as
the Responses shape is.

What the request does not use for images (tools, sampling, provider routing) passes untouched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from pytest_imagegen.contract import messages
from pytest_imagegen.contract.capabilities import (
    CAPABILITIES,
    ModelCapability,
    capability_for,
    responses_model_known,
)
from pytest_imagegen.contract.chat.models import ChatCompletionRequest
from pytest_imagegen.contract.inline import (
    InlineInput,
    check_aspect_ratio,
    check_image_size,
    inline_image,
    split_data_url,
)
from pytest_imagegen.errors import RequestValidationError

__all__ = ["MODALITIES", "ChatInputImage", "ChatRequest", "validate_chat_request"]

#: The output modalities chat completions name (OpenAI: text, audio; the gateways add image).
MODALITIES: Final = ("text", "image", "audio")
_INPUT_FORMATS: Final = ("png", "jpeg", "gif", "webp")


#: An image the request sends inline, as a data URL in a content part.
ChatInputImage = InlineInput


@dataclass(frozen=True)
class ChatRequest:
    """A ``POST /chat/completions`` request that passed ``validate_request("chat", ...)``."""

    model: str
    capability: ModelCapability = field(repr=False)
    params: dict[str, Any]
    modalities: tuple[str, ...] = ()
    stream: bool = False
    aspect_ratio: str | None = None
    image_size: str | None = None
    input_images: tuple[ChatInputImage, ...] = ()
    strict: bool = field(default=False, compare=False)

    endpoint: Literal["chat"] = "chat"

    @property
    def wants_image(self) -> bool:
        """Whether the request asked for image output (``"image"`` in ``modalities``)."""
        return "image" in self.modalities


def validate_chat_request(params: Mapping[str, Any], *, strict: bool = False) -> ChatRequest:
    """Check a chat completions request body; see the module docstring for what is checked."""
    given = messages.check_types(ChatCompletionRequest, params)
    model = given.get("model")
    if not model:
        raise messages.missing("model")
    chat_messages = given.get("messages")
    if chat_messages is None:
        raise messages.missing("messages")
    if not chat_messages:
        raise messages.array_too_short("messages", 1, 0)
    modalities = tuple(given.get("modalities") or ())
    for i, modality in enumerate(modalities):
        if modality not in MODALITIES:
            raise messages.invalid_value(f"modalities[{i}]", modality, MODALITIES)
    cap = capability_for(model)
    _check_model(model, cap, modalities, strict=strict)
    config = given.get("image_config") or {}
    aspect_ratio, image_size = config.get("aspect_ratio"), config.get("image_size")
    if aspect_ratio is not None:
        check_aspect_ratio(cap, "image_config.aspect_ratio", aspect_ratio)
    if image_size is not None:
        check_image_size(cap, "image_config.image_size", image_size)
    return ChatRequest(
        model=model,
        capability=cap,
        params=given,
        modalities=modalities,
        stream=bool(given.get("stream", False)),
        aspect_ratio=aspect_ratio,
        image_size=image_size,
        input_images=tuple(_input_images(chat_messages)),
        strict=strict,
    )


def _drawing_models() -> list[str]:
    return [row.id for row in CAPABILITIES.values() if row.chat_images]


def _check_model(model: str, cap: ModelCapability, modalities: tuple[str, ...], *, strict: bool) -> None:
    if strict and not cap.known and not responses_model_known(model):
        raise messages.invalid_value("model", model, _drawing_models())
    if "image" not in modalities:
        return
    if (cap.known and not cap.chat_images) or (not cap.known and responses_model_known(model)):
        # The gateways' wording for a model none of their providers can answer with images.
        wanted = ", ".join(modalities)
        raise RequestValidationError(
            f"No endpoints found that support the requested output modalities: {wanted}. '{model}' does "
            f"not draw images in chat completions; models that do: {messages.quote_list(_drawing_models())}.",
            field="modalities",
            code="invalid_value",
            status=404,
        )


def _input_images(chat_messages: list[Any]) -> list[ChatInputImage]:
    """Every inline image of ``messages``: ``image_url`` content parts, and an assistant turn's images."""
    found: list[ChatInputImage] = []
    for i, message in enumerate(chat_messages):
        if not isinstance(message, Mapping):
            raise messages.invalid_type(f"messages[{i}]", "an object", message)
        content = message.get("content")
        if isinstance(content, list):
            for j, part in enumerate(content):
                if isinstance(part, Mapping) and part.get("type") == "image_url":
                    found += _image_part(f"messages[{i}].content[{j}]", part)
        images = message.get("images")
        if isinstance(images, list):
            for j, image in enumerate(images):
                if isinstance(image, Mapping):
                    found += _image_part(f"messages[{i}].images[{j}]", image)
    return found


def _image_part(label: str, part: Mapping[str, Any]) -> list[ChatInputImage]:
    image_url = part.get("image_url")
    # The chat API takes {"url": ...}; some clients send the URL as a plain string (lenient).
    url = image_url.get("url") if isinstance(image_url, Mapping) else image_url
    where = f"{label}.image_url.url" if isinstance(image_url, Mapping) else f"{label}.image_url"
    if url is None:
        raise messages.missing(where)
    if not isinstance(url, str):
        raise messages.invalid_type(where, "a string", url)
    if url[:5].lower() != "data:":
        return []  # an https URL: fetched by the provider, nothing to read here
    split = split_data_url(url)
    if split is None or not split[0].lower().startswith("image/"):
        raise RequestValidationError(
            f"Invalid '{where}'. Expected a base64-encoded data URL with an image MIME type "
            "(e.g. 'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='), but got a value that is not one.",
            field=where,
            code="invalid_value",
        )
    facts = inline_image(split[1], split[0])
    if facts is None or facts.format not in _INPUT_FORMATS:
        raise RequestValidationError(
            "You uploaded an unsupported image. Please make sure your image has one of the following "
            f"formats: {messages.quote_list(_INPUT_FORMATS, conjunction='or')}.",
            field=where,
            code="invalid_image_format",
        )
    return [ChatInputImage(where, facts)]
