"""trim.py: image facts, synthesized placeholders, trimming and expanding bodies."""

from __future__ import annotations

import base64
import copy
import hashlib
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from PIL import Image

from pytest_imagegen.safety.preview import preview_of
from pytest_imagegen.safety.trim import (
    expand_body,
    file_digest,
    image_facts,
    iter_image_facts,
    placeholder_image,
    trim_body,
    trim_interaction,
    trimmed_bytes,
)
from pytest_imagegen.wire.bodies import parse_body, render_body

MakeImage = Callable[..., bytes]

# (format, mode the image is made in): every mode the brief names, in every format that can hold it.
CASES = [
    ("png", "RGB"),
    ("png", "RGBA"),
    ("png", "L"),
    ("png", "P"),
    ("png", "LA"),
    ("jpeg", "RGB"),
    ("jpeg", "L"),
    ("webp", "RGB"),
    ("webp", "RGBA"),
    ("gif", "P"),
    ("gif", "L"),
    ("gif", "RGB"),
]


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _opened(raw: bytes) -> tuple[str | None, tuple[int, int], str]:
    with Image.open(io.BytesIO(raw)) as img:
        img.load()  # decode every pixel: the placeholder must be a valid image, not just a valid header
        return img.format, img.size, img.mode


@pytest.mark.parametrize(("fmt", "mode"), CASES)
def test_placeholder_has_the_originals_format_size_and_mode(
    make_image: MakeImage, fmt: str, mode: str
) -> None:
    original = make_image(fmt, (40, 24), mode)
    facts = image_facts(original)
    pil_format, size, pil_mode = _opened(original)
    assert facts == {
        "format": fmt,
        "width": 40,
        "height": 24,
        "mode": pil_mode,  # as Pillow reads it back (a GIF is always palette, "P")
        "sha256": hashlib.sha256(original).hexdigest(),
        "bytes": len(original),
    }
    placeholder = placeholder_image(facts)
    assert _opened(placeholder) == (pil_format, size, pil_mode)
    assert placeholder == placeholder_image(dict(facts))  # deterministic
    assert placeholder is placeholder_image(facts)  # cached


def test_alpha_is_kept_and_jpeg_has_none(make_image: MakeImage) -> None:
    for fmt in ("png", "webp"):
        facts = image_facts(make_image(fmt, (16, 16), "RGBA"))
        with Image.open(io.BytesIO(placeholder_image(facts))) as img:
            assert img.mode == "RGBA"
            assert img.getextrema()[3][0] < 255  # a real alpha channel, not a dropped one
    assert _opened(placeholder_image(image_facts(make_image("jpeg", (16, 16), "RGB"))))[2] == "RGB"


def test_large_placeholders_are_small(make_image: MakeImage) -> None:
    for fmt, mode, limit in [("png", "RGBA", 8_000), ("jpeg", "RGB", 8_000), ("webp", "RGB", 200)]:
        facts = {"format": fmt, "width": 1024, "height": 1024, "mode": mode, "sha256": "0" * 64, "bytes": 1}
        raw = placeholder_image(facts)
        assert _opened(raw)[1:] == ((1024, 1024), mode)
        assert len(raw) < limit


def test_animated_gif_keeps_its_frame_count() -> None:
    frames = [Image.new("P", (20, 10), i) for i in range(3)]
    for i, frame in enumerate(frames):
        frame.putpalette([10 * i, 0, 0] * 3)
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=50)
    facts = image_facts(buf.getvalue())
    assert facts["frames"] == 3
    with Image.open(io.BytesIO(placeholder_image(facts))) as img:
        assert (img.format, img.size, img.n_frames) == ("GIF", (20, 10), 3)


def test_facts_refuse_what_is_not_an_image() -> None:
    with pytest.raises(ValueError, match="magic number"):
        image_facts(b"GIF-like but not")
    with pytest.raises(ValueError, match="png image header cannot be read"):
        image_facts(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    with pytest.raises(ValueError, match="cannot synthesize"):
        placeholder_image({"format": "bmp", "width": 1, "height": 1, "mode": "RGB", "sha256": "", "bytes": 1})


def test_placeholder_facts_are_a_few_hundred_bytes_of_yaml(make_image: MakeImage) -> None:
    facts = image_facts(make_image("png", (1536, 1024), "RGBA", noise=False))
    text = yaml.safe_dump({"b64_json": {"placeholder": facts}}, sort_keys=False)
    assert len(text.encode()) < 300


def test_noisy_1024_png_reply_trims_to_under_2kb(make_image: MakeImage) -> None:
    png = make_image("png", (1024, 1024), "RGB")
    assert len(png) > 3_000_000  # random pixels do not compress
    reply = {
        "created": 1763700000,
        "data": [{"b64_json": _b64(png)}],
        "output_format": "png",
        "size": "1024x1024",
    }
    trimmed = trim_body({"json": reply})
    assert len(json.dumps(trimmed, separators=(",", ":"))) < 2048
    assert trimmed["json"]["data"][0]["b64_json"]["placeholder"]["sha256"] == hashlib.sha256(png).hexdigest()
    assert trimmed_bytes({"response": {"body": trimmed}}) > 4_000_000


def test_trim_json_reply_leaves_what_is_not_an_image(make_image: MakeImage) -> None:
    png, jpeg = make_image("png"), make_image("jpeg")
    not_an_image = _b64(b"just some text, base64-encoded")
    body = {
        "json": {
            "created": 1,
            "data": [
                {"b64_json": _b64(png), "revised_prompt": "a cat"},
                {"b64_json": _b64(jpeg)},
                {"b64_json": not_an_image},
                {"b64_json": "not base64 at all!"},
                {"url": "https://example.invalid/img.png"},
            ],
        }
    }
    before = copy.deepcopy(body)
    trimmed = trim_body(body)
    assert body == before  # input untouched
    data = trimmed["json"]["data"]
    assert data[0]["b64_json"] == {"placeholder": image_facts(png)}
    assert data[0]["revised_prompt"] == "a cat"
    assert data[1]["b64_json"] == {"placeholder": image_facts(jpeg)}
    assert data[2:] == body["json"]["data"][2:]
    assert trim_body(body, keep=True) == body
    assert [path for path, _ in iter_image_facts(trimmed)] == [
        "json.data[0].b64_json",
        "json.data[1].b64_json",
    ]

    expanded = expand_body(trimmed)
    for i, original in enumerate((png, jpeg)):
        raw = base64.b64decode(expanded["json"]["data"][i]["b64_json"])
        assert _opened(raw) == _opened(original)
    assert expanded["json"]["data"][2:] == body["json"]["data"][2:]
    content, _ = render_body(expanded, {})  # renders once expanded
    assert json.loads(content)["data"][0]["revised_prompt"] == "a cat"


def test_trim_sse_partial_and_completed_events(make_image: MakeImage) -> None:
    partial, final = make_image("png", (32, 32), "RGBA"), make_image("png", (64, 64), "RGBA")
    first = {"type": "image_generation.partial_image", "b64_json": _b64(partial), "partial_image_index": 0}
    last = {"type": "image_generation.completed", "b64_json": _b64(final), "usage": {"total_tokens": 5}}
    raw = (
        f"event: image_generation.partial_image\ndata: {json.dumps(first)}\n\n"
        f"event: image_generation.completed\ndata: {json.dumps(last)}\n\n"
        "data: [DONE]\n\n"
    ).encode()
    body = parse_body({"content-type": ["text/event-stream"]}, raw)
    trimmed = trim_body(body)
    facts = dict(iter_image_facts(trimmed))
    assert facts == {"sse[0].data.b64_json": image_facts(partial), "sse[1].data.b64_json": image_facts(final)}
    assert trimmed["sse"][2] == body["sse"][2]
    assert trimmed["sse"][1]["event"] == "image_generation.completed"
    expanded = expand_body(trimmed)
    content, _ = render_body(expanded, {"content-type": ["text/event-stream"]})
    again = parse_body({"content-type": ["text/event-stream"]}, content)["sse"]
    assert _opened(base64.b64decode(again[1]["data"]["b64_json"]))[1:] == ((64, 64), "RGBA")
    assert again[2]["data"] == "[DONE]"


def test_trim_multipart_uploads_keeps_digests(
    make_image: MakeImage, multipart_upload: Callable[..., Any]
) -> None:
    first, second, mask = make_image("png"), make_image("webp", mode="RGBA"), make_image("png", mode="RGBA")
    notes = b"plain text notes, not an image"
    raw, headers = multipart_upload(
        {"prompt": "hat", "model": "gpt-image-1.5"},
        [
            ("image[]", ("a.png", first, "image/png")),
            ("image[]", ("b.webp", second, "image/webp")),
            ("mask", ("mask.png", mask, "image/png")),
            ("notes", ("notes.txt", notes, "text/plain")),
        ],
    )
    body = parse_body(headers, raw)
    trimmed = trim_body(body)
    parts = trimmed["multipart"]
    assert parts[0] == {"name": "prompt", "value": "hat"}
    assert [p["file"] for p in parts[2:5]] == [{"placeholder": image_facts(x)} for x in (first, second, mask)]
    assert parts[5]["file"] == {"base64": _b64(notes)}  # not an image: kept
    assert [path for path, _ in iter_image_facts(trimmed)] == [
        "multipart[2].file",
        "multipart[3].file",
        "multipart[4].file",
    ]
    # The digest of a part is that of the original upload, trimmed or kept.
    for kept, cut, original in zip(
        body["multipart"][2:], parts[2:], (first, second, mask, notes), strict=True
    ):
        assert file_digest(kept) == file_digest(cut) == hashlib.sha256(original).hexdigest()
    with pytest.raises(ValueError, match="text field"):
        file_digest(parts[0])

    content, out = render_body(expand_body(trimmed), {})
    replayed = parse_body(out, content)["multipart"]
    assert [p.get("filename") for p in replayed] == [None, None, "a.png", "b.webp", "mask.png", "notes.txt"]
    assert _opened(base64.b64decode(replayed[3]["file"]["base64"])) == _opened(second)


def test_trim_image_body_and_interaction(make_image: MakeImage) -> None:
    png = make_image("png", (48, 48), "P")
    interaction = {
        "request": {"method": "GET", "uri": "https://blob.example/img.png", "headers": {}, "body": {}},
        "response": {
            "status": {"code": 200, "message": "OK"},
            "headers": {"content-type": ["image/png"]},
            "body": parse_body({"content-type": ["image/png"]}, png),
        },
    }
    before = copy.deepcopy(interaction)
    trimmed = trim_interaction(interaction)
    assert interaction == before
    # A recording's trim keeps a preview of the pixels too (safety/preview.py).
    assert trimmed["response"]["body"] == {
        "image": {"placeholder": {**image_facts(png), "preview": preview_of(png)}}
    }
    assert trimmed["request"] == interaction["request"]
    assert trim_interaction(interaction, keep=True) == interaction
    assert trimmed_bytes(interaction) == 0  # nothing trimmed yet
    saved = trimmed_bytes(trimmed)
    assert saved == len(_b64(png)) - len(
        json.dumps(trimmed["response"]["body"]["image"], separators=(",", ":"))
    )
    content, headers = render_body(expand_body(trimmed["response"]["body"]), trimmed["response"]["headers"])
    assert _opened(content) == _opened(png)
    assert headers["content-type"] == ["image/png"]
