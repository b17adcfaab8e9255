"""Posters from Amazon Bedrock through boto3: Nova Canvas and Stability on Bedrock.

The code under test builds its boto3 client from the environment. While the cassette is open the plugin
gives botocore dummy credentials and a region when none are set, so it can sign (SigV4) with nothing
configured; while recording from the emulator (``pytest examples --imagegen-base-url=emulator
--imagegen-record=rewrite``) its requests go to the emulator's Bedrock ``InvokeModel``. The cassette keeps
AWS's URL, SigV4's ``Authorization`` redacted (no access key id, no signature), and each image as a
placeholder; replay needs no AWS account and no network.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from posters import bedrock_poster, stability_poster


def test_a_nova_canvas_poster(imagegen_cassette: object, tmp_path: Path) -> None:
    poster = bedrock_poster("a lighthouse on a cliff, travel poster", tmp_path / "nova.png")
    with Image.open(poster) as image:
        assert image.size == (64, 36)  # 1024x576, thumbnailed


def test_a_stability_poster_on_bedrock(imagegen_cassette: object, tmp_path: Path) -> None:
    poster, seed = stability_poster("a lighthouse on a cliff, linocut", tmp_path / "stability.png")
    assert seed >= 0
    with Image.open(poster) as image:
        assert image.size == (64, 64)
