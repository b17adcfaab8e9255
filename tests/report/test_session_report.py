"""``pytest --imagegen-report``: the page a session writes, opened in headless Chromium.

An inner suite records, from an emulator that draws chosen colours (its reply-transform hook), a
generation (red), a stream with one partial image (orange, then green) and an edit (a cyan upload, a
magenta result). The report of the recording session and of the replaying one (also under xdist, whose
outcomes travel from the workers) is opened in Chromium with the network off: the screenshot shows each
of the five images once, at a thumbnail's size; the prompts are in the page's text; the page loads
nothing from elsewhere. On a phone-sized window the thumbnails shrink, and a dark colour scheme darkens
the page. Each cassette's outcome is on the page: replayed, recorded, missed, unused.
"""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops

from pytest_imagegen.emulator import Emulator, ReplyPart
from tests.report.chromium import dom, needs_chromium, page_text, screenshot

KEY = "sk-test-session-report-0123456789"
COLOURS = {
    "red": (220, 20, 20),
    "orange": (250, 140, 0),
    "green": (20, 160, 40),
    "cyan": (0, 190, 210),
    "magenta": (200, 0, 190),
}
PROMPTS = ["a red square", "a green square", "turn it magenta"]

INNER = """
import io

from PIL import Image, ImageChops

from pytest_imagegen import assert_image_facts


def png(colour):
    out = io.BytesIO()
    Image.new("RGB", (64, 64), colour).save(out, "PNG")
    return out.getvalue()


def test_red(imagegen_openai):
    reply = imagegen_openai.images.generate(model="gpt-image-2", prompt="a red square", size="64x64")
    assert_image_facts(reply, size="64x64", format="png", alpha=False, n=1)


def test_green_stream(imagegen_openai):
    events = list(imagegen_openai.images.generate(
        model="gpt-image-2", prompt="a green square", size="64x64", stream=True, partial_images=1
    ))
    assert_image_facts(events, size="64x64", format="png", n=1, partials=1)


def test_magenta_edit(imagegen_openai):
    reply = imagegen_openai.images.edit(
        model="gpt-image-2", image=[("in.png", png((0, 190, 210)), "image/png")], prompt="turn it magenta",
        size="64x64",
    )
    assert_image_facts(reply, size="64x64", n=1)
"""


def _png(colour: tuple[int, int, int]) -> str:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), colour).save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


def _transform(part: ReplyPart) -> dict[str, Any] | None:
    prompt = str(part.params.get("prompt", ""))
    colour = "red" if "red" in prompt else "magenta" if "magenta" in prompt else "green"
    if part.event is not None and "b64_json" in part.document:  # a stream event
        partial = str(part.document.get("type", "")).endswith("partial_image")
        return {**part.document, "b64_json": _png(COLOURS["orange" if partial else colour])}
    if isinstance(part.document.get("data"), list):  # a JSON reply
        return {
            **part.document,
            "data": [{**d, "b64_json": _png(COLOURS[colour])} for d in part.document["data"]],
        }
    return None


@pytest.fixture
def recorded(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """The inner suite, recorded from an emulator that draws the chosen colours."""
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    pytester.makepyfile(test_colours=INNER)
    with Emulator() as emulator:
        emulator.transform_replies(_transform)
        result = pytester.runpytest(
            f"--imagegen-base-url={emulator.base_url}",
            "--imagegen-record=once",
            "--imagegen-report=recorded.html",
        )
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*imagegen report: *recorded.html (3 cassette(s), 3 interaction(s)*"])
    monkeypatch.delenv("OPENAI_API_KEY")
    return pytester


def _area(shot: Image.Image, colour: tuple[int, int, int], tolerance: int = 16) -> int:
    """Pixels of ``shot`` within ``tolerance`` of ``colour`` on every channel."""
    near = [
        band.point([255 if abs(v - c) <= tolerance else 0 for v in range(256)])
        for band, c in zip(shot.split(), colour, strict=True)
    ]
    return ImageChops.darker(ImageChops.darker(near[0], near[1]), near[2]).histogram()[255]


def _assert_one_thumbnail_each(shot: Image.Image, side: int) -> None:
    for name, colour in COLOURS.items():
        area = _area(shot, colour)
        assert 0.6 * side * side <= area <= 1.4 * side * side, (
            f"{name}: {area} pixels, one {side}px thumbnail expected"
        )


def _self_contained(page: str) -> None:
    assert "<script" not in page.lower()
    refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)""", page)
    assert refs
    assert all(ref.startswith(("data:image/png;base64,", "#")) for ref in refs), refs
    assert "url(" not in page
    assert "default-src 'none'" in page


@needs_chromium
def test_the_recording_and_the_replay_write_a_page_that_shows_every_image(
    recorded: pytest.Pytester, tmp_path: Path
) -> None:
    page = recorded.path / "recorded.html"
    _self_contained(page.read_text(encoding="utf-8"))
    text = page_text(dom(page, tmp_path / "profile-dom"))
    for prompt in PROMPTS:
        assert prompt in text
    assert text.count("recorded") >= 3

    shot = screenshot(page, tmp_path / "desktop.png", (1280, 2200))
    _assert_one_thumbnail_each(shot, 128)

    replay = recorded.runpytest("--imagegen-report=replayed.html")
    replay.assert_outcomes(passed=3)
    replay.stdout.fnmatch_lines(
        [
            "*3 cassette(s): 3 replayed, 0 recorded*",
            "*replayed 3 interaction(s), 4 image(s): * on disk for * the service sent; recorded usage: *image tokens*",
            "*imagegen report: *replayed.html*",
        ]
    )
    again = recorded.path / "replayed.html"
    replayed_text = page_text(dom(again, tmp_path / "profile-dom2"))
    assert replayed_text.count("replayed") >= 3
    shot = screenshot(again, tmp_path / "replayed.png", (1280, 2200))
    _assert_one_thumbnail_each(shot, 128)  # drawn from the previews: the same colours


@needs_chromium
def test_on_a_phone_the_thumbnails_shrink_and_dark_mode_darkens_the_page(
    recorded: pytest.Pytester, tmp_path: Path
) -> None:
    page = recorded.path / "recorded.html"
    phone = screenshot(page, tmp_path / "phone.png", (390, 3000))
    _assert_one_thumbnail_each(phone, 96)
    assert sum(phone.getpixel((2, 2))) > 600  # light
    dark = screenshot(page, tmp_path / "dark.png", (390, 3000), dark=True)
    assert sum(dark.getpixel((2, 2))) < 150
    _assert_one_thumbnail_each(dark, 96)


def test_the_session_outcome_of_each_cassette_is_on_the_page(recorded: pytest.Pytester) -> None:
    """replayed, missed (a request not in the cassette), unused (a cassette no test used)."""
    tests = recorded.path / "test_colours.py"
    tests.write_text(
        tests.read_text().replace('prompt="a red square"', 'prompt="a red circle"'), encoding="utf-8"
    )
    orphan = recorded.path / "cassettes" / "test_colours" / "test_gone.json"
    orphan.write_bytes((recorded.path / "cassettes" / "test_colours" / "test_red.json").read_bytes())
    result = recorded.runpytest("--imagegen-report=outcomes.html")
    result.assert_outcomes(passed=2, failed=1)
    page = page_text((recorded.path / "outcomes.html").read_text(encoding="utf-8"))
    for name, outcome in (("test_red", "missed"), ("test_green_stream", "replayed"), ("test_gone", "unused")):
        found = re.search(rf"test_colours/{name}\.json (\w+)", page)
        assert found is not None, page[:2000]
        assert found.group(1) == outcome


def test_xdist_workers_outcomes_reach_the_page(recorded: pytest.Pytester) -> None:
    result = recorded.runpytest_subprocess("-n", "2", "--imagegen-report=xdist.html")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*imagegen report: *xdist.html (3 cassette(s)*"])
    page = page_text((recorded.path / "xdist.html").read_text(encoding="utf-8"))
    assert page.count(" replayed ") >= 3
    assert "3 replayed" in page


def test_a_drift_run_leaves_its_findings_for_the_report(recorded: pytest.Pytester) -> None:
    """``--imagegen-drift`` against a service that now adds a field: the page says so per cassette, and
    so does the command line's report afterwards (from the records in pytest's cache)."""

    def added(part: ReplyPart) -> dict[str, Any] | None:
        changed = _transform(part)
        return {**(changed or part.document), "moderation_notes": "new"} if part.event is None else changed

    with Emulator() as emulator:
        emulator.transform_replies(added)
        result = recorded.runpytest(
            "--imagegen-drift", f"--imagegen-base-url={emulator.base_url}", "--imagegen-report=drift.html"
        )
    result.assert_outcomes(passed=3)
    page = page_text((recorded.path / "drift.html").read_text(encoding="utf-8"))
    assert re.search(
        r"test_red\.json .*drift: 0 breaking, 1 additive change\(s\) \(checked \d{4}-\d\d-\d\d", page
    )
    assert "additive body.moderation_notes" in page

    from pytest_imagegen.cli import main

    cache = recorded.path / ".pytest_cache"
    assert (
        main(
            [
                "report",
                str(recorded.path / "cassettes"),
                "-o",
                str(recorded.path / "cli.html"),
                "--cache-dir",
                str(cache),
            ]
        )
        == 0
    )
    assert "additive body.moderation_notes" in page_text(
        (recorded.path / "cli.html").read_text(encoding="utf-8")
    )
