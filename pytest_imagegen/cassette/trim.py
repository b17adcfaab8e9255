"""Base64 images in BODY dicts <-> small placeholders, and the synthetic images that stand in for them.

On record, every image payload (``b64_json`` in JSON replies and SSE events, image file parts of multipart
uploads, binary image bodies) becomes ``{"placeholder": FACTS}``: format, width, height, mode, the sha256
and byte length of the original. On replay ``expand_body`` puts back the base64 of a synthesized image with
the same format, size and mode: solid colour, compressed as far as the format allows, deterministic, made
once per (format, size, mode, frames) and cached. So a cassette stores a few hundred bytes per image, and a
client still decodes a real image of the recorded shape.

FACTS may also hold ``frames`` (only when an animated image has more than one), so an animated GIF's
placeholder keeps its frame count.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import json
from collections.abc import Iterator, Mapping
from typing import Any

from PIL import Image

from pytest_imagegen.cassette.bodies import Body, b64decode_strict, is_placeholder, sniff_image_format

__all__ = [
    "expand_body",
    "file_digest",
    "image_facts",
    "iter_image_facts",
    "placeholder_image",
    "trim_body",
    "trim_interaction",
    "trimmed_bytes",
]

_PIL_FORMAT = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP", "gif": "GIF"}
# Refuse to synthesize anything Pillow itself would refuse to open as a decompression bomb.
_MAX_PIXELS = 2 * 89_478_485


def image_facts(raw: bytes) -> dict[str, Any]:
    """Format (from the magic number), width, height, mode (Pillow), sha256 and byte length of an image.

    Reads only the image header (and frame headers for animations), not the pixels.
    Raises ValueError for bytes that are not a png, jpeg, webp or gif image.
    """
    fmt = sniff_image_format(raw)
    if fmt is None:
        raise ValueError("not a png, jpeg, webp or gif image (unknown magic number)")
    try:
        with Image.open(io.BytesIO(raw)) as img:
            width, height = img.size
            mode = img.mode
            frames = int(getattr(img, "n_frames", 1))
    except Exception as exc:  # Pillow raises several types (OSError, SyntaxError, ...) for broken files
        raise ValueError(f"{fmt} image header cannot be read: {exc}") from exc
    facts: dict[str, Any] = {
        "format": fmt,
        "width": width,
        "height": height,
        "mode": mode,
        "sha256": hashlib.sha256(raw).hexdigest(),
        "bytes": len(raw),
    }
    if frames > 1:
        facts["frames"] = frames
    return facts


def _fill(mode: str, frame: int) -> float | tuple[int, ...]:
    """A mid-grey in ``mode``; alpha half-transparent so encoders keep the alpha channel (WebP drops an
    all-opaque one); the first band shifted per frame so animation frames differ and are not merged."""
    if mode in ("P", "PA"):
        return frame if mode == "P" else (frame, 128)
    if mode == "1":
        return (frame + 1) % 2
    if mode == "F":
        return 128.0 + frame
    bands = Image.getmodebands(mode)
    if bands == 1:
        return 128 + frame
    return (128 + frame,) + (128,) * (bands - 1)


def _save_options(fmt: str) -> dict[str, Any]:
    if fmt == "png":
        return {"optimize": True, "compress_level": 9}
    if fmt == "jpeg":
        return {"quality": 10, "optimize": True}
    if fmt == "webp":
        return {"lossless": True, "quality": 100, "method": 4}
    return {"optimize": True}


@functools.lru_cache(maxsize=64)
def _synthesize(fmt: str, width: int, height: int, mode: str, frames: int) -> bytes:
    if fmt not in _PIL_FORMAT:
        raise ValueError(f"cannot synthesize a {fmt!r} image (known: {', '.join(_PIL_FORMAT)})")
    if width < 1 or height < 1 or width * height > _MAX_PIXELS:
        raise ValueError(f"cannot synthesize a {width}x{height} image")
    images = []
    for frame in range(frames):
        img = Image.new(mode, (width, height), _fill(mode, frame))
        if mode in ("P", "PA"):
            # A grey ramp, so frame i (palette index i) differs from frame i-1.
            img.putpalette([v for i in range(max(frames, 1)) for v in (128 + i, 128, 128)])
        images.append(img)
    buf = io.BytesIO()
    options = _save_options(fmt)
    if frames > 1:
        options.update(save_all=True, append_images=images[1:], duration=100, loop=0)
    try:
        images[0].save(buf, _PIL_FORMAT[fmt], **options)
    except (OSError, ValueError, KeyError):
        # A mode this format cannot be written in by Pillow (say PNG "I", which Pillow reads from a few
        # files but cannot write): keep format and size, pick the nearest writable mode.
        bands = Image.getmodebands(mode)
        near = {1: "L", 2: "LA", 3: "RGB"}.get(bands, "RGBA")
        near = "I;16" if mode in ("I", "F") and fmt == "png" else near
        buf = io.BytesIO()
        options["append_images"] = [im.convert(near) for im in images[1:]] if frames > 1 else []
        images[0].convert(near).save(buf, _PIL_FORMAT[fmt], **options)
    return buf.getvalue()


def placeholder_image(facts: Mapping[str, Any]) -> bytes:
    """A valid image with the format, width, height, mode (and frame count) of ``facts``; cached."""
    return _synthesize(
        str(facts["format"]),
        int(facts["width"]),
        int(facts["height"]),
        str(facts["mode"]),
        int(facts.get("frames", 1)),
    )


@functools.lru_cache(maxsize=64)
def _synthesize_b64(fmt: str, width: int, height: int, mode: str, frames: int) -> str:
    return base64.b64encode(_synthesize(fmt, width, height, mode, frames)).decode("ascii")


def _placeholder_b64(facts: Mapping[str, Any]) -> str:
    return _synthesize_b64(
        str(facts["format"]),
        int(facts["width"]),
        int(facts["height"]),
        str(facts["mode"]),
        int(facts.get("frames", 1)),
    )


# -------------------------------------------------------------------------------------------------- trimming


def _facts_from_b64(text: str) -> dict[str, Any] | None:
    """Facts of a base64 image string, or None when it is not one (cheap magic check first)."""
    head = b64decode_strict(text[:24]) if len(text) >= 24 else b64decode_strict(text)
    if head is None or sniff_image_format(head) is None:
        return None
    raw = b64decode_strict(text)
    if raw is None:
        return None
    try:
        return image_facts(raw)
    except ValueError:
        return None


def _trim_json(value: Any) -> Any:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key == "b64_json" and isinstance(item, str):
                facts = _facts_from_b64(item)
                out[key] = item if facts is None else {"placeholder": facts}
            else:
                out[key] = _trim_json(item)
        return out
    if isinstance(value, list):
        return [_trim_json(item) for item in value]
    return value


def _trim_file(file: Mapping[str, Any]) -> dict[str, Any]:
    if "base64" in file and isinstance(file["base64"], str):
        facts = _facts_from_b64(file["base64"])
        if facts is not None:
            return {"placeholder": facts}
    return dict(file)


def trim_body(body: Body, *, keep: bool = False) -> Body:
    """A copy of ``body`` with every base64 image replaced by a placeholder (``keep=True``: unchanged copy).

    Covers ``b64_json`` anywhere in JSON documents and SSE event data, multipart file parts whose bytes
    are an image, and ``{"image": {"base64": ...}}`` bodies. Strings that are not decodable images stay.
    """
    if keep:
        return _copy_dict(body)
    if "json" in body:
        return {"json": _trim_json(body["json"])}
    if "sse" in body:
        return {"sse": [{**ev, "data": _trim_json(ev.get("data"))} for ev in body["sse"]]}
    if "multipart" in body:
        parts = []
        for part in body["multipart"]:
            new = dict(part)
            if "file" in part:
                new["file"] = _trim_file(part["file"])
            parts.append(new)
        return {"multipart": parts}
    if "image" in body:
        return {"image": _trim_file(body["image"])}
    return _copy_dict(body)


def trim_interaction(interaction: Mapping[str, Any], *, keep: bool = False) -> dict[str, Any]:
    """A copy of the interaction with its request and response bodies trimmed."""
    out = _copy_dict(interaction)
    for side in ("request", "response"):
        if isinstance(out.get(side), dict) and "body" in out[side]:
            out[side]["body"] = trim_body(out[side]["body"], keep=keep)
    return out


def _expand_json(value: Any) -> Any:
    if is_placeholder(value):
        return _placeholder_b64(value["placeholder"])
    if isinstance(value, dict):
        return {key: _expand_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_expand_json(item) for item in value]
    return value


def _expand_file(file: Mapping[str, Any]) -> dict[str, Any]:
    if is_placeholder(file):
        return {"base64": _placeholder_b64(file["placeholder"])}
    return dict(file)


def expand_body(body: Body) -> Body:
    """A copy of ``body`` with every placeholder replaced by the base64 of its synthesized image."""
    if "json" in body:
        return {"json": _expand_json(body["json"])}
    if "sse" in body:
        return {"sse": [{**ev, "data": _expand_json(ev.get("data"))} for ev in body["sse"]]}
    if "multipart" in body:
        return {
            "multipart": [
                {**part, "file": _expand_file(part["file"])} if "file" in part else dict(part)
                for part in body["multipart"]
            ]
        }
    if "image" in body:
        return {"image": _expand_file(body["image"])}
    return _copy_dict(body)


# ----------------------------------------------------------------------------------------- facts and digests


def _iter_json_placeholders(value: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if is_placeholder(value):
        yield path, value["placeholder"]
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _iter_json_placeholders(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _iter_json_placeholders(item, f"{path}[{i}]")


def iter_image_facts(body: Body) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every placeholder in a body as ``(path, facts)``; paths follow the stored form, e.g.
    ``json.data[0].b64_json``, ``sse[2].data.b64_json``, ``multipart[1].file``, ``image``."""
    if "json" in body:
        yield from _iter_json_placeholders(body["json"], "json")
    elif "sse" in body:
        for i, ev in enumerate(body["sse"]):
            yield from _iter_json_placeholders(ev.get("data"), f"sse[{i}].data")
    elif "multipart" in body:
        for i, part in enumerate(body["multipart"]):
            if "file" in part and is_placeholder(part["file"]):
                yield f"multipart[{i}].file", part["file"]["placeholder"]
    elif "image" in body and is_placeholder(body["image"]):
        yield "image", body["image"]["placeholder"]


def trimmed_bytes(interaction: Mapping[str, Any]) -> int:
    """Bytes the placeholders save in the stored form: the original's base64 length minus the
    placeholder's compact JSON length, summed over request and response (negative for tiny images)."""
    saved = 0
    for side in ("request", "response"):
        body = (interaction.get(side) or {}).get("body") or {}
        for _, facts in iter_image_facts(body):
            original = 4 * ((int(facts["bytes"]) + 2) // 3)
            saved += original - len(json.dumps({"placeholder": facts}, separators=(",", ":")))
    return saved


def file_digest(part: Mapping[str, Any]) -> str:
    """sha256 (hex) of a multipart file part's original bytes, whether it is kept or trimmed."""
    if "file" not in part:
        raise ValueError(f"multipart part {part.get('name')!r} is a text field, not a file")
    file = part["file"]
    if is_placeholder(file):
        return str(file["placeholder"]["sha256"])
    return hashlib.sha256(base64.b64decode(file["base64"])).hexdigest()


def _copy_dict(value: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _copy(item) for key, item in value.items()}


def _copy(value: Any) -> Any:
    """Deep copy of dicts and lists; strings and numbers are immutable and shared."""
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value
