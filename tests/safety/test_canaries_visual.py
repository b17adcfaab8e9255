"""No canary reaches the report or the image assertions' files (issue 25: everything written is a cassette).

The canary service's replies are turned (reply-transform hook) into PNGs whose text blocks hold the API key,
the organization and the project, as a careless image pipeline might write them. An inner run records
them with the canaries in its environment; its tests compare each image with a reference it does not
match (so expected, actual and diff PNGs are written, under names that hold the key) and with a missing
reference (the actual image written); the run writes the HTML report, and so does
``imagegen-cassettes report`` over its cassettes. Every file under the run's folder is then searched for
every canary, in every form: none.
"""

from __future__ import annotations

import base64
import io
import subprocess
import sys
from typing import Any

import pytest
from PIL import Image, PngImagePlugin

from pytest_imagegen.emulator import Emulator, ReplyPart
from tests.safety.canaries import API_KEY, CANARIES, ORGANIZATION, PROJECT
from tests.safety.disk_search import find_secrets
from tests.safety.inner_run import run

INNER = """
import io
import os

from PIL import Image
import pytest

from pytest_imagegen import ImageMismatchError, assert_image_matches, imagegen_images

KEY = os.environ.get("OPENAI_API_KEY", "sk-replay")


def test_the_image_differs_from_its_reference(imagegen_openai, tmp_path):
    reply = imagegen_openai.images.generate(model="gpt-image-2", prompt="a canary", size="64x64")
    [image] = imagegen_images(reply)
    reference = tmp_path / "reference.png"
    Image.new("RGB", (64, 64), (0, 0, 255)).save(reference)
    with pytest.raises(ImageMismatchError) as info:
        assert_image_matches(image, reference, diff_dir="diffs", name=f"thumb-{KEY}")
    assert KEY not in str(info.value)
    with pytest.raises(ImageMismatchError):
        assert_image_matches(image, tmp_path / "missing.png", diff_dir="diffs", name=f"new-{KEY}")


def test_a_stream(imagegen_openai):
    events = list(imagegen_openai.images.generate(
        model="gpt-image-2", prompt="a streamed canary", size="64x64", stream=True, partial_images=1
    ))
    assert len(imagegen_images(events)) == 2
"""


def _png_with_secrets() -> str:
    """A red PNG whose text blocks name the account's secrets."""
    info = PngImagePlugin.PngInfo()
    info.add_text("api-key", API_KEY)
    info.add_text("Comment", f"organization {ORGANIZATION} project {PROJECT}")
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (220, 20, 20)).save(out, "PNG", pnginfo=info)
    return base64.b64encode(out.getvalue()).decode()


def _transform(part: ReplyPart) -> dict[str, Any] | None:
    if part.event is not None and "b64_json" in part.document:
        return {**part.document, "b64_json": _png_with_secrets()}
    if isinstance(part.document.get("data"), list):
        return {
            **part.document,
            "data": [{**d, "b64_json": _png_with_secrets()} for d in part.document["data"]],
        }
    return None


def test_no_canary_reaches_the_report_or_the_diff_files(
    pytester: pytest.Pytester, canary_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_canary_images=INNER)
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    monkeypatch.setenv("OPENAI_ORG_ID", ORGANIZATION)
    monkeypatch.setenv("OPENAI_PROJECT_ID", PROJECT)
    canary_emulator.transform_replies(_transform)
    try:
        result = run(
            pytester,
            "--imagegen-record=once",
            f"--imagegen-base-url={canary_emulator.base_url}",
            "--imagegen-report=report.html",
        )
    finally:
        canary_emulator.transform_replies(None)
    result.assert_outcomes(passed=2)
    written = sorted(p.name for p in (pytester.path / "diffs").iterdir())
    assert len(written) == 4, written  # expected, actual and diff; the actual image of the missing one
    assert all(name.startswith(("thumb-sk-p", "new-sk-p")) for name in written)  # the key, masked
    assert (pytester.path / "report.html").stat().st_size > 0
    command = [sys.executable, "-m", "pytest_imagegen", "report", "cassettes", "-o", "cli-report.html"]
    done = subprocess.run(
        command, cwd=pytester.path, capture_output=True, text=True, check=False, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert API_KEY not in result.stdout.str() + done.stdout + done.stderr
    assert find_secrets(pytester.path, CANARIES) == []
