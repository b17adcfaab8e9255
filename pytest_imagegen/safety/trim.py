"""Base64 images in BODY dicts <-> small placeholders, and the synthetic images that stand in for them.

On record, every image payload becomes ``{"placeholder": FACTS}``: format, width, height, mode, the sha256
and byte length of the original, and a ``preview`` of its pixels in about 25 characters (``preview.py``).
On replay ``expand_body`` puts back the base64 of a synthesized image with the same format, size and mode,
drawn from the preview (a blurred version of the original), or solid grey for a placeholder without one
(recorded before previews, or an animation); deterministic, made once per facts and cached. So a cassette
stores a few hundred bytes per image, and a client still decodes a real image of the recorded shape.

Where images are found: in JSON and SSE event data (requests and replies), every string whose content is a
base64 image or an image data URL, whatever key holds it, so every API shape is covered by one walk (the
Images API's ``b64_json``; the Responses API's ``result``, ``partial_image_b64`` and ``input_image``
data URLs; the shapes ``pytest_imagegen.contract.shapes`` lists). The content test is a head check first
(``wire/payloads.image_payload``): a string is decoded only when its first characters are an image's magic
number in base64. Also image file parts of multipart uploads and binary image bodies.

FACTS may also hold ``frames`` (only when an animated image has more than one), so an animated GIF's
placeholder keeps its frame count, and ``prefix``: a data URL's exact ``data:<mime>;base64,`` (what the
URL declared, kept even where it disagrees with the real format). An image met again in the same body (a
Responses stream sends its final image in ``response.output_item.done`` and again in
``response.completed``) is stored once: later copies become ``{"placeholder": {"same_as": SHA256}}``
(with their own ``prefix``, if any), resolved within the body on replay.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import json
from collections.abc import Iterator, Mapping
from typing import Any

from pytest_imagegen.wire.bodies import Body
from pytest_imagegen.wire.payloads import (
    SPLICE_MARK,
    b64decode_strict,
    decoded_image_payload,
    is_image_ref,
    is_placeholder,
    sniff_image_format,
)

__all__ = [
    "expand_body",
    "file_digest",
    "image_facts",
    "iter_image_facts",
    "may_hold_images",
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
        from PIL import Image  # Pillow is loaded when an image is read or drawn, not with the engine

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
    from PIL import Image

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
def _synthesize(fmt: str, width: int, height: int, mode: str, frames: int, preview: str = "") -> bytes:
    if fmt not in _PIL_FORMAT:
        raise ValueError(f"cannot synthesize a {fmt!r} image (known: {', '.join(_PIL_FORMAT)})")
    if width < 1 or height < 1 or frames < 1 or width * height * frames > _MAX_PIXELS:
        raise ValueError(f"cannot synthesize a {width}x{height} image of {frames} frame(s)")
    from PIL import Image

    from pytest_imagegen.safety.preview import preview_file

    drawn = preview_file(preview, fmt, width, height, mode) if preview and frames == 1 else None
    if drawn is not None:
        return drawn
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
    """A valid image with the format, width, height, mode (and frame count) of ``facts``, drawn from its
    preview when it has one; cached."""
    return _synthesize(*_image_key(facts))


def _image_key(facts: Mapping[str, Any]) -> tuple[str, int, int, str, int, str]:
    """What a placeholder image is made from: format, width, height, mode, frames, preview."""
    format_, width, height, mode = (
        str(facts["format"]),
        int(facts["width"]),
        int(facts["height"]),
        str(facts["mode"]),
    )
    preview = facts.get("preview")
    preview = preview if isinstance(preview, str) else ""
    return format_, width, height, mode, int(facts.get("frames", 1)), preview


@functools.lru_cache(maxsize=64)
def _synthesize_b64(fmt: str, width: int, height: int, mode: str, frames: int, preview: str) -> str:
    return base64.b64encode(_synthesize(fmt, width, height, mode, frames, preview)).decode("ascii")


def _placeholder_b64(facts: Mapping[str, Any]) -> str:
    return _synthesize_b64(*_image_key(facts))


# -------------------------------------------------------------------------------------------------- trimming


def _with_preview(facts: dict[str, Any], raw: bytes, previews: bool) -> dict[str, Any]:
    from pytest_imagegen.safety.preview import preview_of

    preview = preview_of(raw) if previews else None
    if preview is not None:
        facts["preview"] = preview
    return facts


def _facts_from_b64(text: str, previews: bool) -> dict[str, Any] | None:
    """Facts of a base64 image string, or None when it is not one (cheap magic check first)."""
    head = b64decode_strict(text[:24]) if len(text) >= 24 else b64decode_strict(text)
    if head is None or sniff_image_format(head) is None:
        return None
    raw = b64decode_strict(text)
    if raw is None:
        return None
    try:
        return _with_preview(image_facts(raw), raw, previews)
    except ValueError:
        return None


def _payload_facts(text: str, previews: bool) -> dict[str, Any] | None:
    """Facts of a base64 image or image data URL (a data URL's exact prefix kept), else None."""
    found = decoded_image_payload(text)  # a head check first: most strings stop there
    if found is None:
        return None
    prefix, raw = found
    try:
        facts = image_facts(raw)
    except ValueError:
        return None
    if prefix:
        # Kept verbatim, so what the data URL declared stays visible next to what the bytes are.
        facts["prefix"] = prefix
    return _with_preview(facts, raw, previews)


class _Trimmer:
    """Trims one body: every string that is a base64 image or an image data URL, wherever the API shape
    puts it, becomes a placeholder; an image met again in the same body (a stream repeats its final image
    in ``response.output_item.done`` and ``response.completed``) becomes a reference to the first."""

    def __init__(self, previews: bool) -> None:
        self.seen: set[str] = set()
        self.previews = previews

    def placeholder(self, facts: dict[str, Any]) -> dict[str, Any]:
        sha = str(facts["sha256"])
        if sha in self.seen:
            ref: dict[str, Any] = {"same_as": sha}
            if "prefix" in facts:
                ref["prefix"] = facts["prefix"]
            return {"placeholder": ref}
        self.seen.add(sha)
        return {"placeholder": facts}

    def json(self, value: Any) -> Any:
        if isinstance(value, str):
            facts = _payload_facts(value, self.previews)
            return value if facts is None else self.placeholder(facts)
        if isinstance(value, dict):
            if is_placeholder(value):  # already trimmed (scrub runs this again): keep, and remember it
                facts = value["placeholder"]
                if not is_image_ref(value):
                    if str(facts["sha256"]) in self.seen:
                        return self.placeholder(dict(facts))
                    self.seen.add(str(facts["sha256"]))
                return _copy_dict(value)
            return {key: self.json(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.json(item) for item in value]
        return value


def _trim_file(file: Mapping[str, Any], previews: bool) -> dict[str, Any]:
    if "base64" in file and isinstance(file["base64"], str):
        facts = _facts_from_b64(file["base64"], previews)
        if facts is not None:
            return {"placeholder": facts}
    return dict(file)


# Each magic head of ``payloads.image_payload`` as raw JSON bytes may spell it ("/" may be sent as "\/").
_RAW_HEADS = (b"iVBO", b"/9j/", b"\\/9j\\/", b"R0lG", b"UklG")


def may_hold_images(raw: bytes) -> bool:
    """Whether a request or reply body's raw bytes may hold a base64 image anywhere (a superset test: a
    few substring searches in C). Lets the replay hot path skip the walk of a body that cannot hold one."""
    return any(head in raw for head in _RAW_HEADS)


def trim_body(body: Body, *, keep: bool = False, previews: bool = False) -> Body:
    """A copy of ``body`` with every base64 image replaced by a placeholder (``keep=True``: unchanged copy).

    ``previews=True`` adds each image's preview to its placeholder (decoding its pixels: what a recording
    stores); without it only the header is read (enough to match a request: matching ignores previews).

    In JSON documents and SSE event data, request and reply alike, any string that is a base64 image
    (``b64_json``, ``result``, ``partial_image_b64``, ...) or an image data URL (``input_image.image_url``;
    its ``data:<mime>;base64,`` prefix is kept in the placeholder) is found by its content, whatever key
    holds it; an image met again in the same body is stored once (``{"placeholder": {"same_as": sha256}}``).
    Also multipart file parts whose bytes are an image, and ``{"image": {"base64": ...}}`` bodies.
    Strings that are not decodable images stay.
    """
    if keep:
        return _copy_dict(body)
    if "json" in body:
        return {"json": _Trimmer(previews).json(body["json"])}
    if "sse" in body:
        trimmer = _Trimmer(previews)
        return {"sse": [{**ev, "data": trimmer.json(ev.get("data"))} for ev in body["sse"]]}
    if "multipart" in body:
        parts = []
        for part in body["multipart"]:
            new = dict(part)
            if "file" in part:
                new["file"] = _trim_file(part["file"], previews)
            parts.append(new)
        return {"multipart": parts}
    if "image" in body:
        return {"image": _trim_file(body["image"], previews)}
    return _copy_dict(body)


def trim_interaction(interaction: Mapping[str, Any], *, keep: bool = False) -> dict[str, Any]:
    """A copy of the interaction with its request and response bodies trimmed, previews included."""
    out = _copy_dict(interaction)
    for side in ("request", "response"):
        if isinstance(out.get(side), dict) and "body" in out[side]:
            out[side]["body"] = trim_body(out[side]["body"], keep=keep, previews=True)
    return out


def _placeholder_text(facts: Mapping[str, Any]) -> str:
    return str(facts.get("prefix", "")) + _placeholder_b64(facts)


def _collect_facts(value: Any, found: dict[str, Mapping[str, Any]]) -> None:
    """sha256 -> facts of every full placeholder in a document (what its references point at)."""
    if isinstance(value, dict):
        if is_placeholder(value):
            if not is_image_ref(value):
                found.setdefault(str(value["placeholder"]["sha256"]), value["placeholder"])
            return
        for item in value.values():
            _collect_facts(item, found)
    elif isinstance(value, list):
        for item in value:
            _collect_facts(item, found)


def _resolve(ref: Mapping[str, Any], known: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The facts a reference stands for, with the reference's own data URL prefix (or none)."""
    sha = str(ref["same_as"])
    if sha not in known:
        raise ValueError(f"image reference to sha256 {sha[:12]}..., which no placeholder of this body holds")
    facts = {k: v for k, v in known[sha].items() if k != "prefix"}
    if "prefix" in ref:
        facts["prefix"] = ref["prefix"]
    return facts


class _Facts:
    """The facts of a body's full placeholders, gathered as expansion meets them (one walk, not two); a
    reference to one not met yet (it would stand later in the body) gathers all of them first."""

    def __init__(self, documents: list[Any]) -> None:
        self.documents = documents
        self.known: dict[str, Mapping[str, Any]] = {}
        self.complete = False  # every placeholder of the body gathered

    def of(self, value: Mapping[str, Any]) -> Mapping[str, Any]:
        facts: Mapping[str, Any] = value["placeholder"]
        if not is_image_ref(value):
            self.known.setdefault(str(facts["sha256"]), facts)
            return facts
        if str(facts["same_as"]) not in self.known and not self.complete:
            for document in self.documents:
                _collect_facts(document, self.known)
            self.complete = True
        return _resolve(facts, self.known)


def _expand_json(value: Any, known: _Facts, spliced: list[str] | None) -> Any:
    if is_placeholder(value):
        text = _placeholder_text(known.of(value))
        if spliced is None:
            return text
        spliced.append(text)
        return f"{SPLICE_MARK}{len(spliced) - 1}{SPLICE_MARK}"
    if isinstance(value, dict):
        return {key: _expand_json(item, known, spliced) for key, item in value.items()}
    if isinstance(value, list):
        return [_expand_json(item, known, spliced) for item in value]
    return value


def _expand_file(file: Mapping[str, Any]) -> dict[str, Any]:
    if is_placeholder(file):
        return {"base64": _placeholder_b64(file["placeholder"])}
    return dict(file)


def expand_body(body: Body, *, spliced: list[str] | None = None) -> Body:
    """A copy of ``body`` with every placeholder replaced by the base64 of its synthesized image (a data
    URL's placeholder by the data URL, its recorded prefix kept), references resolved within the body.

    With ``spliced``, a JSON document's images are appended to it instead and stand in the document as
    marks (``SPLICE_MARK``), for ``bodies.render_body`` to put back after serializing: base64 needs no
    JSON escaping, and passing kilobytes of it through the encoder was most of what rendering cost.
    """
    if "json" in body:
        return {"json": _expand_json(body["json"], _Facts([body["json"]]), spliced)}
    if "sse" in body:
        known = _Facts([ev.get("data") for ev in body["sse"]])
        return {"sse": [{**ev, "data": _expand_json(ev.get("data"), known, spliced)} for ev in body["sse"]]}
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


def _iter_json_placeholders(
    value: Any, path: str, known: Mapping[str, Mapping[str, Any]]
) -> Iterator[tuple[str, dict[str, Any], Any]]:
    if is_placeholder(value):
        facts = value["placeholder"]
        yield path, (_resolve(facts, known) if is_image_ref(value) else facts), value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _iter_json_placeholders(item, f"{path}.{key}", known)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _iter_json_placeholders(item, f"{path}[{i}]", known)


def _iter_stored(body: Body) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """``(path, facts, stored value)`` of every placeholder in a body, references resolved."""
    known: dict[str, Mapping[str, Any]] = {}
    if "json" in body:
        _collect_facts(body["json"], known)
        yield from _iter_json_placeholders(body["json"], "json", known)
    elif "sse" in body:
        for ev in body["sse"]:
            _collect_facts(ev.get("data"), known)
        for i, ev in enumerate(body["sse"]):
            yield from _iter_json_placeholders(ev.get("data"), f"sse[{i}].data", known)
    elif "multipart" in body:
        for i, part in enumerate(body["multipart"]):
            if "file" in part and is_placeholder(part["file"]):
                yield f"multipart[{i}].file", part["file"]["placeholder"], part["file"]
    elif "image" in body and is_placeholder(body["image"]):
        yield "image", body["image"]["placeholder"], body["image"]


def iter_image_facts(body: Body) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every placeholder in a body as ``(path, facts)`` (a reference yields the facts it stands for);
    paths follow the stored form, e.g. ``json.data[0].b64_json``, ``sse[2].data.b64_json``,
    ``json.input[0].content[1].image_url``, ``multipart[1].file``, ``image``."""
    for path, facts, _ in _iter_stored(body):
        yield path, facts


def trimmed_bytes(interaction: Mapping[str, Any]) -> int:
    """Bytes the placeholders save in the stored form: the original's base64 length (and data URL prefix)
    minus the placeholder's compact JSON length, summed over request and response (negative for tiny
    images). A reference saves the whole repeated image, less its own length."""
    saved = 0
    for side in ("request", "response"):
        body = (interaction.get(side) or {}).get("body") or {}
        for _, facts, stored in _iter_stored(body):
            original = 4 * ((int(facts["bytes"]) + 2) // 3) + len(str(facts.get("prefix", "")))
            saved += original - len(json.dumps(stored, separators=(",", ":")))
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
