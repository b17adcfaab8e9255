"""Images from services one polls: a FLUX poster from Black Forest Labs (httpx) and a sticker from
Replicate (requests).

The code under test submits a job, reads its status until it is final and fetches the image from the
URL the service gave; between two reads it waits as long as the service advised. The tests hand it a
``sleep`` that counts instead of sleeping. While the cassette is open the plugin sets a dummy
``BFL_API_KEY`` and ``REPLICATE_API_TOKEN`` when none is set; while recording from the emulator
(``pytest examples/test_polled.py --imagegen-base-url=emulator --imagegen-record=once``) the submits go
to its routes for these services, which keep the job pending for three reads. The cassette keeps every
step (the submit, four status reads, the download), no key, the sample URL's signature redacted, the
image as a placeholder; replay needs no account, no network and no time.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from polled import flux_poster, replicate_sticker

from pytest_imagegen import ImagegenCassette


class Sleeps:
    """Stands in for ``time.sleep``: counts the waits asked for."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)


def test_a_flux_poster(imagegen_cassette: ImagegenCassette, tmp_path: Path) -> None:
    sleeps = Sleeps()
    poster = flux_poster("a lighthouse on a cliff, risograph", tmp_path / "flux.png", sleep=sleeps)
    with Image.open(poster) as image:
        assert image.size == (64, 40)  # 512x320, thumbnailed
    # Live, the job was pending for three reads, with a wait after each; replayed, the first read is
    # already the finished job (polling="collapse", the default), so nobody waits.
    assert len(sleeps.asked) == (0 if imagegen_cassette.mode == "none" else 3)


def test_a_replicate_sticker(imagegen_cassette: ImagegenCassette, tmp_path: Path) -> None:
    sleeps = Sleeps()
    sticker = replicate_sticker("a happy lighthouse, sticker", tmp_path / "sticker.png", sleep=sleeps)
    with Image.open(sticker) as image:
        assert image.size == (64, 64)  # 512x512, thumbnailed
    assert len(sleeps.asked) == (0 if imagegen_cassette.mode == "none" else 3)
