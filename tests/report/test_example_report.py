"""The report of the example suite's cassettes, opened in headless Chromium with the network off.

``imagegen-cassettes report cassettes/examples`` writes the page; the DOM has one ``<img>`` per image the
cassettes hold (each distinct image of a request or a reply: results, stream partials, edit inputs and
masks) and every prompt in its text; the screenshot shows each opaque image's colours (its preview's
mean colour, over about a thumbnail's area). With ``IMAGEGEN_REPORT_SCREENSHOT`` set, the screenshot is
also saved there, scaled down (how ``docs/report.png`` in the README is made).
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from pytest_imagegen.cli import main
from pytest_imagegen.safety import trim
from pytest_imagegen.safety.preview import draw_preview
from tests.report.chromium import dom, needs_chromium, page_text, screenshot

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "cassettes" / "examples"


def recorded_images() -> tuple[list[dict[str, object]], list[str]]:
    """Each distinct image per body of every example cassette (as the page shows them), and the prompts."""
    images, prompts = [], []
    for path in sorted(EXAMPLES.rglob("*.json")):
        for interaction in json.loads(path.read_text(encoding="utf-8"))["interactions"]:
            for side in ("request", "response"):
                body = interaction[side].get("body") or {}
                seen: set[str] = set()
                for _, facts in trim.iter_image_facts(body):
                    if facts["sha256"] not in seen:
                        seen.add(str(facts["sha256"]))
                        images.append(facts)
            request = interaction["request"]["body"].get("json") or {}
            parts = interaction["request"]["body"].get("multipart") or []
            prompt = request.get("prompt") or next(
                (p.get("value") for p in parts if p.get("name") == "prompt"), None
            )
            if isinstance(prompt, str):
                prompts.append(prompt)
    return images, prompts


def _mean_colour(facts: dict[str, object]) -> tuple[int, int, int]:
    drawn = draw_preview(facts.get("preview"), (32, 32))
    assert drawn is not None, f"no preview in {facts}"
    r, g, b = drawn.convert("RGB").resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))  # type: ignore[misc]
    return r, g, b


def _near(shot: Image.Image, colour: tuple[int, int, int], tolerance: int) -> int:
    """Pixels of ``shot`` within ``tolerance`` of ``colour`` on every channel."""
    bands = [
        band.point([255 if abs(v - c) <= tolerance else 0 for v in range(256)])
        for band, c in zip(shot.split(), colour, strict=True)
    ]
    return ImageChops.darker(ImageChops.darker(bands[0], bands[1]), bands[2]).histogram()[255]


@needs_chromium
def test_the_example_suite_report_shows_every_recorded_image(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    page = tmp_path / "examples.html"
    assert (
        main(["report", "cassettes/examples", "-o", str(page), "--cache-dir", str(tmp_path / "no-cache")])
        == 0
    )
    images, prompts = recorded_images()
    markup = dom(page, tmp_path / "profile")
    assert len(re.findall(r"<img ", markup)) == len(images)
    text = page_text(markup)
    for prompt in prompts:
        assert " ".join(prompt.split()) in text
    shot = screenshot(page, tmp_path / "examples.png", (1280, 12000))  # the whole page, every example
    opaque = [f for f in images if "A" not in str(f["mode"])]
    counts = Counter(_mean_colour(f) for f in opaque)
    for colour, count in counts.items():
        area = _near(shot, colour, tolerance=12)
        assert area >= 0.5 * count * 128 * 64, f"{colour}: {area} pixels for {count} image(s)"
    target = os.environ.get("IMAGEGEN_REPORT_SCREENSHOT")
    if target:
        top = shot.crop((0, 0, 1280, 1700))
        small = top.resize((top.width // 2, top.height // 2), Image.Resampling.LANCZOS)
        small.quantize(colors=64, dither=Image.Dither.NONE).save(target, optimize=True)  # under 100 KB
