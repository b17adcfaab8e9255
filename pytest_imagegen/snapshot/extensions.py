"""The syrupy extensions: ``ImagegenSnapshotExtension`` (a reply as text in the module's ``.ambr`` file)
and ``ImagegenPNGSnapshotExtension`` (one image of a reply as a PNG, matched by pixels).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator, Mapping
from typing import Any

from PIL import Image
from syrupy.extensions.amber import AmberSnapshotExtension
from syrupy.extensions.image import PNGImageSnapshotExtension
from syrupy.location import PyTestLocation
from syrupy.types import PropertyFilter, PropertyMatcher, SerializableData, SnapshotIndex

from pytest_imagegen.snapshot.text import change_summary, snapshot_text, to_json

__all__ = ["ImagegenPNGSnapshotExtension", "ImagegenSnapshotExtension", "image_png"]


class ImagegenSnapshotExtension(AmberSnapshotExtension):
    """A reply as readable text in the test module's ``.ambr`` file, one line per JSON path.

    Snapshots are named ``<test>[imagegen]`` (``.1``, ``.2`` for later assertions), so a test can use
    syrupy's plain ``snapshot`` and ``imagegen_snapshot`` side by side without their indexes colliding.
    """

    @classmethod
    def get_snapshot_name(cls, *, test_location: PyTestLocation, index: SnapshotIndex = 0) -> str:
        suffix = f"[{index}]" if isinstance(index, str) else (f".{index}" if index else "")
        return f"{test_location.snapshot_name}[imagegen]{suffix}"

    def serialize(
        self,
        data: SerializableData,
        *,
        exclude: PropertyFilter | None = None,
        include: PropertyFilter | None = None,
        matcher: PropertyMatcher | None = None,
        **kwargs: Any,
    ) -> str:
        return snapshot_text(data, exclude=exclude, include=include, matcher=matcher)

    def diff_lines(self, serialized_data: Any, snapshot_data: Any) -> Iterator[str]:
        """A one-line-per-kind summary of the JSON paths that changed, then syrupy's line diff."""
        summary = change_summary(str(serialized_data), str(snapshot_data)) if snapshot_data else []
        if summary:
            yield "imagegen reply differs from the snapshot:"
            yield from (f"  {line}" for line in summary)
        yield from super().diff_lines(serialized_data, snapshot_data)


def _response_images(document: Any) -> list[str]:
    """Every image of a Responses API reply: the image calls' results (a stream: the finished items'
    results, then partial images)."""
    if isinstance(document, Mapping):
        return [
            item["result"]
            for item in document.get("output") or []
            if isinstance(item, Mapping) and isinstance(item.get("result"), str)
        ]
    events = [e for e in document if isinstance(e, Mapping)]
    items = [e.get("item") for e in events if e.get("type") == "response.output_item.done"]
    done = [i["result"] for i in items if isinstance(i, Mapping) and isinstance(i.get("result"), str)]
    return done + [e["partial_image_b64"] for e in events if isinstance(e.get("partial_image_b64"), str)]


def _images(document: Any) -> list[str]:
    """Every ``b64_json`` of a reply's JSON (a stream: the completed events' images, then partials)."""
    if (isinstance(document, Mapping) and document.get("object") == "response") or (
        not isinstance(document, Mapping)
        and any(isinstance(e, Mapping) and str(e.get("type", "")).startswith("response.") for e in document)
    ):
        return _response_images(document)
    if isinstance(document, Mapping):
        data = document.get("data") or []
        return [d["b64_json"] for d in data if isinstance(d, Mapping) and isinstance(d.get("b64_json"), str)]
    events = [e for e in document if isinstance(e, Mapping) and isinstance(e.get("b64_json"), str)]
    completed = [e["b64_json"] for e in events if str(e.get("type", "")).endswith(".completed")]
    return completed + [e["b64_json"] for e in events if e["b64_json"] not in completed]


def image_png(reply: Any, index: int = 0) -> bytes:
    """Image ``index`` of a reply (for a stream: of its completed events) re-encoded as PNG, same pixels."""
    document = to_json(reply)
    if not isinstance(document, Mapping):
        document = [to_json(event) for event in document]
    images = _images(document)
    if index >= len(images):
        raise IndexError(f"the reply holds {len(images)} base64 image(s); there is no image {index}")
    with Image.open(io.BytesIO(base64.b64decode(images[index]))) as img:
        img.load()
        picture = img.convert("RGBA") if img.mode not in ("1", "L", "LA", "RGB", "RGBA", "I;16") else img
        out = io.BytesIO()
        picture.save(out, "PNG")
    return out.getvalue()


class ImagegenPNGSnapshotExtension(PNGImageSnapshotExtension):
    """One image of a reply stored as ``__snapshots__/<module>/<test>.png``; matched by pixels."""

    def serialize(self, data: SerializableData, **kwargs: Any) -> bytes:
        """The image's PNG (an image has no properties to exclude, include or match)."""
        if isinstance(data, bytes | bytearray | memoryview):
            return bytes(data)
        return image_png(data)

    def matches(self, *, serialized_data: SerializableData, snapshot_data: SerializableData) -> bool:
        if serialized_data == snapshot_data:
            return True
        try:
            with Image.open(io.BytesIO(serialized_data)) as new, Image.open(io.BytesIO(snapshot_data)) as old:
                return (new.mode, new.size) == (old.mode, old.size) and new.tobytes() == old.tobytes()
        except (OSError, ValueError, TypeError):
            return False
