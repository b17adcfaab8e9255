"""Grading what differs between two stored replies: breaking, additive, volatile, by JSON path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_imagegen.cassette.compare import Change, compare_replies, compare_requests, shown
from pytest_imagegen.cassette.orphans import orphan_scopes
from pytest_imagegen.config import format_duration, parse_duration


def image(
    fmt: str = "png", width: int = 64, height: int = 64, mode: str = "RGB", sha: str = "a"
) -> dict[str, Any]:
    return {
        "placeholder": {
            "format": fmt,
            "width": width,
            "height": height,
            "mode": mode,
            "sha256": sha * 64,
            "bytes": 100,
        }
    }


def reply(body: dict[str, Any], *, code: int = 200, content_type: str = "application/json") -> dict[str, Any]:
    return {
        "status": {"code": code, "message": "OK"},
        "headers": {"content-type": [content_type]},
        "body": body,
    }


BASE = {
    "created": 1,
    "data": [{"b64_json": image()}],
    "output_format": "png",
    "size": "64x64",
    "usage": {"total_tokens": 9},
}


def changes(new: dict[str, Any], old: dict[str, Any] = BASE) -> list[tuple[str, str, str]]:
    return [(c.grade, c.path, c.what) for c in compare_replies(reply({"json": old}), reply({"json": new}))]


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        (BASE, []),
        ({**BASE, "moderation": "auto"}, [("additive", "body.moderation", "new field ('auto')")]),
        (
            {k: v for k, v in BASE.items() if k != "size"},
            [("breaking", "body.size", "removed (was '64x64')")],
        ),
        (
            {**{k: v for k, v in BASE.items() if k != "output_format"}, "format": "png"},
            [("breaking", "body.output_format", "renamed to 'format'")],
        ),
        ({**BASE, "created": "1"}, [("breaking", "body.created", "type number → text")]),
        ({**BASE, "size": "32x32"}, [("breaking", "body.size", "'64x64' → '32x32'")]),
        ({**BASE, "usage": {"total_tokens": 10}}, [("volatile", "body.usage.total_tokens", "9 → 10")]),
        (
            {**BASE, "data": [{"b64_json": image("webp", mode="RGBA")}]},
            [("breaking", "body.data[0].b64_json", "image png 64x64 RGB → webp 64x64 RGBA")],
        ),
        (
            {**BASE, "data": [{"b64_json": image(sha="b")}]},
            [("volatile", "body.data[0].b64_json", "image png 64x64 RGB: other pixels (100 → 100 bytes)")],
        ),
        (
            {**BASE, "data": [{"b64_json": image()}, {"b64_json": image(sha="c")}]},
            [("breaking", "body.data", "1 → 2 images")],
        ),
        ({**BASE, "data": []}, [("breaking", "body.data", "1 → 0 images")]),
    ],
)
def test_json_replies_are_graded_by_path(new: dict[str, Any], expected: list[tuple[str, str, str]]) -> None:
    assert changes(new) == expected


def test_a_longer_list_without_images_is_additive_a_shorter_one_breaking() -> None:
    old = {"output": [{"type": "message"}]}
    assert changes({"output": [{"type": "message"}, {"type": "reasoning"}]}, old) == [
        ("additive", "body.output", '1 → 2 items (new: {"type": "reasoning"})')
    ]
    assert changes({"output": []}, old) == [("breaking", "body.output", "1 → 0 items")]


def test_status_content_type_and_body_kind_are_breaking() -> None:
    old = reply({"json": BASE})
    assert [c.path for c in compare_replies(old, reply({"json": BASE}, code=500))] == ["status"]
    streamed = reply({"sse": [{"event": "x", "data": {"type": "x"}}]}, content_type="text/event-stream")
    assert [(c.grade, c.path, c.what) for c in compare_replies(old, streamed)] == [
        ("breaking", "headers.content-type", "'application/json' → 'text/event-stream'"),
        ("breaking", "body", "JSON → stream"),
    ]


def events(*types: str, size: str = "64x64") -> dict[str, Any]:
    return reply(
        {"sse": [{"event": t, "data": {"type": t, "size": size}} for t in types]},
        content_type="text/event-stream",
    )


def test_stream_events_are_compared_by_type_and_index() -> None:
    old = events("partial", "partial", "completed")
    assert compare_replies(old, events("partial", "partial", "completed")) == []
    assert compare_replies(old, events("partial", "partial", "completed", size="32x32"))[0] == Change(
        "breaking", "events[0].data.size", "'64x64' → '32x32'"
    )
    assert compare_replies(old, events("partial", "completed")) == [
        Change("breaking", "events", "event sequence partial ×2, completed → partial, completed")
    ]
    assert compare_replies(old, events("queued", "partial", "partial", "completed")) == [
        Change("additive", "events[0]", "new event type 'queued' (1×)")
    ]


def test_requests_list_every_field_and_never_a_header_value() -> None:
    old = {
        "method": "POST",
        "uri": "https://x/v1/images/generations",
        "headers": {"authorization": ["Bearer a"]},
        "body": {"json": {"prompt": "a"}},
    }
    new = {**old, "headers": {"authorization": ["Bearer b"]}, "body": {"json": {"prompt": "b", "n": 2}}}
    assert [(c.grade, c.line()) for c in compare_requests(old, new)] == [
        ("request", "headers.authorization: value changed"),
        ("request", "body.prompt: 'a' → 'b'"),
        ("request", "body.n: new field (2)"),
    ]


def test_shown_hides_secret_shaped_text_and_shortens_the_rest() -> None:
    assert shown("sk-proj-" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4") == "<secret-shaped value hidden>"
    assert shown("x" * 100).endswith("…'")
    assert shown(image()) == "png 64x64 RGB"


@pytest.mark.parametrize(
    ("text", "days"), [("180d", 180), ("26w", 182), ("36h", 1.5), ("90", 90), (30, 30), ("2 weeks", 14)]
)
def test_durations(text: object, days: float) -> None:
    parsed = parse_duration(text)
    assert parsed is not None
    assert parsed.total_seconds() == days * 86400


@pytest.mark.parametrize("text", ["soon", "-3d", "0d", "3y", True])
def test_bad_durations_say_what_is_accepted(text: object) -> None:
    with pytest.raises(ValueError, match=r"180d|positive"):
        parse_duration(text)


def test_off_means_no_limit_and_durations_print_back() -> None:
    assert parse_duration("off") is None
    assert format_duration(parse_duration("180d")) == "180d"  # type: ignore[arg-type]
    assert format_duration(parse_duration("36h")) == "36h"  # type: ignore[arg-type]


def test_orphan_scopes_map_test_paths_to_cassette_folders(tmp_path: Path) -> None:
    cassettes = tmp_path / "cassettes"
    scopes = orphan_scopes(
        [tmp_path / "tests", tmp_path / "examples/test_x.py", tmp_path, Path("/elsewhere")],
        tmp_path,
        [cassettes],
    )
    assert scopes == [cassettes / "tests", cassettes / "examples/test_x", cassettes]
