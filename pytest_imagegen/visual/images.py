"""``imagegen_images(reply)``: the decoded images of a reply in any API shape, with their facts.

A reply is whatever a test holds: an ``ImagesResponse`` of the plugin's client, an openai SDK object
(``images.generate``, ``responses.create``, ``chat.completions.create``), a list of stream events (SDK
objects or dicts), a JSON document (a Gemini reply, a raw ``httpx`` reply's ``.json()``), or the image
itself (bytes, base64, a data URL). Images are found by content wherever the shape puts them (``b64_json``,
``result``, ``partial_image_b64``, data URLs, ``inlineData.data``), as the cassette's trimming finds
them; an image the reply only links to (``url``) is not fetched.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from pytest_imagegen.safety.preview import preview_of
from pytest_imagegen.safety.trim import image_facts
from pytest_imagegen.wire.payloads import decoded_image_payload, sniff_image_format

__all__ = ["GeneratedImage", "imagegen_images"]

_ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})


@dataclass(frozen=True)
class GeneratedImage:
    """One image of a reply: its bytes, its facts and where it was found.

    ``where`` is its path in the reply (``data[0].b64_json``, ``events[1].b64_json``); ``partial`` the
    index a stream gave a partial image (``partial_image_index``), None for a final image; ``event``
    the position of the stream event that carried it (None outside a stream).
    """

    data: bytes = field(repr=False)
    format: str
    width: int
    height: int
    mode: str
    frames: int
    where: str
    partial: int | None = None
    event: int | None = None

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height

    @property
    def alpha(self) -> bool:
        """Whether the image has an alpha channel (a transparent background asks for one)."""
        if self.mode in _ALPHA_MODES:
            return True
        with Image.open(io.BytesIO(self.data)) as image:
            return "transparency" in image.info

    @property
    def sha256(self) -> str:
        return str(image_facts(self.data)["sha256"])

    @property
    def preview(self) -> str | None:
        """The preview a cassette keeps of it (``safety/preview.py``)."""
        return preview_of(self.data)

    def open(self) -> Image.Image:
        """The image, decoded by Pillow (its first frame current)."""
        image = Image.open(io.BytesIO(self.data))
        image.load()
        return image


def plain_data(reply: Any) -> Any:
    """``reply`` as JSON-like data: pydantic models dumped, iterables of events listed."""
    if hasattr(reply, "model_dump") and callable(reply.model_dump):
        return plain_data(reply.model_dump(mode="json", exclude_none=True))
    if isinstance(reply, Mapping):
        return {str(k): plain_data(v) for k, v in reply.items()}
    if isinstance(reply, list | tuple):
        return [plain_data(v) for v in reply]
    return reply


def _found(raw: bytes, where: str, partial: int | None, event: int | None) -> GeneratedImage | None:
    if sniff_image_format(raw) is None:
        return None
    try:
        facts = image_facts(raw)
    except ValueError:
        return None
    return GeneratedImage(
        raw,
        str(facts["format"]),
        int(facts["width"]),
        int(facts["height"]),
        str(facts["mode"]),
        int(facts.get("frames", 1)),
        where,
        partial,
        event,
    )


def _walk(value: Any, where: str, partial: int | None, event: int | None) -> Iterator[GeneratedImage]:
    if isinstance(value, str):
        found = decoded_image_payload(value)
        if found is not None:
            image = _found(found[1], where, partial, event)
            if image is not None:
                yield image
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _walk(item, f"{where}.{key}" if where else str(key), partial, event)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{where}[{index}]", partial, event)


def _partial_index(event: Mapping[str, Any]) -> int | None:
    kind = str(event.get("type") or "")
    if "partial" not in kind:
        return None
    index = event.get("partial_image_index")
    return int(index) if isinstance(index, int) else -1


def imagegen_images(reply: Any) -> list[GeneratedImage]:
    """Every image in ``reply`` (see the module docstring), in the order the reply holds them: a stream's
    partial images first, as sent, then its final image(s). Raises TypeError for a stream object that was
    not read yet (pass ``list(stream)``), so its events are not consumed behind the test's back."""
    if isinstance(reply, bytes | bytearray):
        image = _found(bytes(reply), "image", None, None)
        return [image] if image is not None else []
    if hasattr(reply, "__next__"):
        raise TypeError("imagegen_images takes the stream's events: pass list(stream) (and use that list)")
    data = plain_data(reply)
    if isinstance(data, str):
        found = decoded_image_payload(data)
        image = _found(found[1], "image", None, None) if found is not None else None
        return [image] if image is not None else []
    events = isinstance(data, list) and bool(data) and all(isinstance(e, Mapping) for e in data)
    if events and any("type" in e or "choices" in e or "candidates" in e for e in data):
        images: list[GeneratedImage] = []
        for number, event in enumerate(data):
            images += _walk(event, f"events[{number}]", _partial_index(event), number)
        return images
    return list(_walk(data, "", None, None))
