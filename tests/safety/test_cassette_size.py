"""Small by default: the size targets of ``benchmarks/cassette_size.py``, asserted on the same recordings.

Calls are recorded from the emulator with the default ``payloads="placeholder"``: a 1024x1024
generation, a streamed one with two partial images, an edit with two 1024x1024 noisy uploads, and the
same three through the Responses API's image tool (a JSON reply, a stream, an edit turn with a data URL
input image), a chat completion with image output (JSON and streamed) and a Gemini ``generateContent``
reply, and a job of each service one polls (submit, status reads, the 1024x1024 PNG). The Images API cassettes must stay within 1.8, 4 and 3 KB (the Responses ones: 2.625, 6.25 and 3.5 KB;
chat 2.5 and 5 KB, Gemini 2.5 KB), the generation's over 1000x smaller than with ``payloads="keep"``; replayed with the network blocked, every image must decode with Pillow to the
format, size and mode of the image the client received while recording. Bytes on disk are asserted
(they barely move between runs); time is not.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.cassette_size import (
    CALLS,
    GENERATION_RATIO,
    METADATA_ALLOWANCE,
    TARGETS,
    Recording,
    breakdown,
    record,
    replay,
)
from pytest_imagegen.emulator import Emulator

# The stream: two partials, then the final; the Responses stream sends its final image twice.
EXPECTED_IMAGES = {
    "generation": 1,
    "stream": 3,
    "edit": 1,
    "responses": 1,
    "responses_stream": 4,
    "responses_edit": 1,
    "chat": 1,
    "chat_stream": 1,
    "gemini": 1,
    "bfl": 1,
    "fal": 1,
    "replicate": 1,
    "stability": 1,
    "stability_upscale": 1,
}


@pytest.fixture(scope="module")
def recordings(imagegen_emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Recording]:
    return record(imagegen_emulator, tmp_path_factory.mktemp("sizes"), "placeholder")


@pytest.mark.parametrize("name", CALLS)
def test_placeholder_cassette_within_its_target(recordings: dict[str, Recording], name: str) -> None:
    recording = recordings[name]
    assert recording.size <= TARGETS[name], (
        f"{name}: {recording.size:,} bytes on disk, target {TARGETS[name]:,}; {breakdown(recording.path)}"
    )
    # The metadata (when, by what and from where it was recorded) is held to an allowance of its own.
    assert 0 < recording.metadata_size <= recording.metadata_allowance, breakdown(recording.path)
    assert recording.metadata_allowance >= METADATA_ALLOWANCE


def test_placeholders_shrink_a_generation_over_1000_times(
    recordings: dict[str, Recording], imagegen_emulator: Emulator, tmp_path: Path
) -> None:
    kept = record(imagegen_emulator, tmp_path, "keep", names=["generation"])["generation"]
    small = recordings["generation"]
    assert kept.live == small.live, "both recordings hold the same kind of image"
    assert kept.size > GENERATION_RATIO * small.size, f"kept {kept.size:,} B, placeholder {small.size:,} B"


@pytest.mark.parametrize("name", CALLS)
def test_replayed_images_decode_to_the_recorded_format_size_and_mode(
    recordings: dict[str, Recording], name: str
) -> None:
    recording = recordings[name]
    assert recording.live == [("PNG", (1024, 1024), "RGB")] * EXPECTED_IMAGES[name]
    assert replay(recording) == recording.live
