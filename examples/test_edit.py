"""An edit: two input images and a mask, all made with Pillow in the test.

The cassette matches uploads by their bytes. The PNGs are written uncompressed (``compress_level=0``)
so their bytes depend on Pillow alone, not on the zlib build, and replay on any machine.
"""

from __future__ import annotations

from pathlib import Path

import openai
import pytest
from PIL import Image, ImageDraw
from thumbnailer import merge_thumbnail

from pytest_imagegen.client import ImagegenClient

PROMPT = "put the red square on the blue background"


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[list[Path], Path]:
    """Two 64x64 PNGs and a mask of their size, transparent where the edit may paint."""
    sources = []
    for name, color in (("square.png", "red"), ("background.png", "blue")):
        path = tmp_path / name
        Image.new("RGB", (64, 64), color).save(path, compress_level=0)
        sources.append(path)
    mask = Image.new("RGBA", (64, 64), (0, 0, 0, 255))
    ImageDraw.Draw(mask).rectangle((16, 16, 47, 47), fill=(0, 0, 0, 0))
    mask_path = tmp_path / "mask.png"
    mask.save(mask_path, compress_level=0)
    return sources, mask_path


def test_merge_through_the_openai_sdk(
    imagegen_openai: openai.OpenAI, inputs: tuple[list[Path], Path], tmp_path: Path
) -> None:
    sources, mask = inputs
    path = merge_thumbnail(imagegen_openai.images, sources, mask, PROMPT, tmp_path / "merged.png")
    with Image.open(path) as image:
        assert image.size == (32, 32)


def test_merge_through_the_plugin_client(
    imagegen_client: ImagegenClient, inputs: tuple[list[Path], Path], tmp_path: Path
) -> None:
    sources, mask = inputs
    path = merge_thumbnail(imagegen_client, sources, mask, PROMPT, tmp_path / "merged.png")
    with Image.open(path) as image:
        assert image.size == (32, 32)
