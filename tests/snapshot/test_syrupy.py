"""``imagegen_snapshot`` in real pytest runs (pytester): created, matched, diffed, updated; and the snapshot
of a recorded reply is the snapshot of its replay."""

from __future__ import annotations

import pytest

STATIC = """
import base64, io
from PIL import Image

def b64(size):
    out = io.BytesIO()
    Image.new("RGB", size, (20, 40, 60)).save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()

REPLY = {
    "created": 1760000000,
    "data": [{"b64_json": b64((16, 16))}],
    "output_format": "png",
    "size": "16x16",
}

def test_reply(imagegen_snapshot, snapshot):
    assert snapshot == {"plain": "syrupy"}
    assert imagegen_snapshot == REPLY
"""


def test_created_then_matched_then_a_change_fails_with_a_readable_diff(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_static=STATIC)
    created = pytester.runpytest("--snapshot-update")
    created.assert_outcomes(passed=1)
    created.stdout.fnmatch_lines(["*2 snapshots generated*"])
    ambr = pytester.path / "__snapshots__" / "test_static.ambr"
    text = ambr.read_text()
    # syrupy's own snapshot and the imagegen one live side by side under distinct names.
    assert "# name: test_reply\n" in text
    assert "# name: test_reply[imagegen]\n" in text
    assert "  images reply\n    created: <created>\n    data[0].b64_json: <image png 16x16 RGB>\n" in text

    pytester.runpytest().assert_outcomes(passed=1)

    pytester.makepyfile(
        test_static=STATIC.replace('"size": "16x16"', '"size": "32x32"').replace(
            "b64((16, 16))", "b64((32, 32))"
        )
    )
    changed = pytester.runpytest()
    changed.assert_outcomes(failed=1)
    diff = [line.removeprefix("E").strip() for line in changed.outlines if line.startswith("E ")]
    start = diff.index("imagegen reply differs from the snapshot:")
    assert diff[start : start + 9] == [
        "imagegen reply differs from the snapshot:",
        "changed: data[0].b64_json, size",
        "images reply",
        "created: <created>",
        "-   data[0].b64_json: <image png 16x16 RGB>",
        "+   data[0].b64_json: <image png 32x32 RGB>",
        'output_format: "png"',
        '-   size: "16x16"',
        '+   size: "32x32"',
    ]

    updated = pytester.runpytest("--snapshot-update")
    updated.assert_outcomes(passed=1)
    updated.stdout.fnmatch_lines(["*1 snapshot updated*"])
    assert 'size: "32x32"' in ambr.read_text()


RECORDED = """
import openai
import pytest

def test_replies(imagegen_client, imagegen_openai, imagegen_snapshot):
    reply = imagegen_client.generate("a fox", model="gpt-image-2", size="64x64", output_format="webp")
    assert imagegen_snapshot == reply

    events = imagegen_client.generate_stream("a fox", model="gpt-image-2", size="64x64", partial_images=1)
    assert imagegen_snapshot == list(events)

    sdk_reply = imagegen_openai.images.generate(model="dall-e-3", prompt="a fox", response_format="url")
    assert imagegen_snapshot == sdk_reply

    with pytest.raises(openai.BadRequestError) as caught:
        imagegen_openai.images.generate(model="gpt-image-2", prompt="a fox", size="10x10")
    assert imagegen_snapshot == caught.value
"""


def test_the_snapshot_of_a_recorded_reply_is_the_snapshot_of_its_replay(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_recorded=RECORDED)
    live = pytester.runpytest("--imagegen-base-url=emulator", "--imagegen-record=once", "--snapshot-update")
    live.assert_outcomes(passed=1)
    live.stdout.fnmatch_lines(["*0 replayed, 1 recorded*", "*4 snapshots generated*"])
    ambr = (pytester.path / "__snapshots__" / "test_recorded.ambr").read_text()
    for expected in (
        "    data[0].b64_json: <image webp 64x64 RGB>\n",
        '    [0].type: "image_generation.partial_image"\n',
        '    [1].type: "image_generation.completed"\n',
        "    [1].b64_json: <image png 64x64 RGB>\n",
        "    data[0].url: <image url on 127.0.0.1, .png>\n",
        "  error reply (HTTP 400)\n",
        "    request_id: <request id>\n",
    ):
        assert expected in ambr, expected

    replay = pytester.runpytest()  # record mode "none": replayed from the cassette, network blocked
    replay.assert_outcomes(passed=1)
    replay.stdout.fnmatch_lines(["*1 replayed, 0 recorded*", "*4 snapshots passed*"])

    # Recording afresh (new timestamps, request ids, signatures, another emulator port) matches too.
    again = pytester.runpytest("--imagegen-base-url=emulator", "--imagegen-record=all")
    again.assert_outcomes(passed=1)
    again.stdout.fnmatch_lines(["*4 snapshots passed*"])


PICTURE = """
import base64, io
from PIL import Image
from pytest_imagegen.snapshot import ImagegenPNGSnapshotExtension

def reply(colour):
    out = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(out, "WEBP", lossless=True)
    return {"created": 1, "data": [{"b64_json": base64.b64encode(out.getvalue()).decode()}]}

def test_picture(snapshot):
    assert snapshot.use_extension(ImagegenPNGSnapshotExtension) == reply((200, 10, 10))
"""


def test_the_picture_extension_stores_a_png_and_compares_pixels(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_picture=PICTURE)
    pytester.runpytest("--snapshot-update").assert_outcomes(passed=1)
    png = pytester.path / "__snapshots__" / "test_picture" / "test_picture.png"
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    pytester.runpytest().assert_outcomes(passed=1)
    pytester.makepyfile(test_picture=PICTURE.replace("(200, 10, 10)", "(10, 200, 10)"))
    pytester.runpytest().assert_outcomes(failed=1)
