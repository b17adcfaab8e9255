"""The code under test of the example suite: what a project using an Images API might ship.

It makes thumbnails of generated images. The image service is injected, so the same code runs with
the openai SDK in production (``openai.OpenAI().images``) and with whatever the tests hand it. Every
function calls its service with keyword arguments only, which both the SDK's ``client.images`` and
pytest-imagegen's ``ImagegenClient`` accept.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

from PIL import Image

__all__ = [
    "AsyncImageService",
    "ImageService",
    "amake_thumbnail",
    "make_thumbnail",
    "merge_thumbnail",
    "stream_thumbnails",
]

THUMBNAIL_SIZE = (32, 32)


class ImageService(Protocol):
    """``openai.OpenAI().images`` or ``pytest_imagegen.client.ImagegenClient``."""

    def generate(self, *, prompt: str, model: str, size: str) -> Any: ...

    def edit(self, *, image: list[Any], mask: Any, prompt: str, model: str, size: str) -> Any: ...


class AsyncImageService(Protocol):
    """``openai.AsyncOpenAI().images`` or ``pytest_imagegen.client.AsyncImagegenClient``."""

    async def generate(self, *, prompt: str, model: str, size: str) -> Any: ...


def _save_thumbnail(b64_json: str, path: Path, size: tuple[int, int]) -> Path:
    with Image.open(io.BytesIO(base64.b64decode(b64_json))) as image:
        image.thumbnail(size)
        image.save(path, format="PNG")
    return path


def make_thumbnail(
    images: ImageService,
    prompt: str,
    path: Path,
    *,
    size: tuple[int, int] = THUMBNAIL_SIZE,
    model: str = "gpt-image-2",
    image_size: str = "64x64",
) -> Path:
    """Generate one image for ``prompt`` and save it at ``path`` as a PNG thumbnail of at most ``size``."""
    reply = images.generate(prompt=prompt, model=model, size=image_size)
    return _save_thumbnail(reply.data[0].b64_json, path, size)


async def amake_thumbnail(
    images: AsyncImageService,
    prompt: str,
    path: Path,
    *,
    size: tuple[int, int] = THUMBNAIL_SIZE,
    model: str = "gpt-image-2",
    image_size: str = "64x64",
) -> Path:
    """The async twin of :func:`make_thumbnail`."""
    reply = await images.generate(prompt=prompt, model=model, size=image_size)
    return _save_thumbnail(reply.data[0].b64_json, path, size)


def stream_thumbnails(
    events: Iterable[Any], directory: Path, *, size: tuple[int, int] = THUMBNAIL_SIZE
) -> list[Path]:
    """Save a thumbnail of every image of a streamed reply as it arrives: ``partial-0.png``, ... while
    the image is drawn, then ``final.png``. Returns the files in the order they were written."""
    written: list[Path] = []
    for event in events:
        if event.type.endswith(".partial_image"):
            name = f"partial-{event.partial_image_index}.png"
        elif event.type.endswith(".completed"):
            name = "final.png"
        else:
            continue  # event types added later: not ours to draw
        written.append(_save_thumbnail(event.b64_json, directory / name, size))
    return written


def merge_thumbnail(
    images: ImageService,
    sources: Sequence[Path],
    mask: Path,
    prompt: str,
    path: Path,
    *,
    size: tuple[int, int] = THUMBNAIL_SIZE,
    model: str = "gpt-image-2",
    image_size: str = "64x64",
) -> Path:
    """Edit ``sources`` into one image (``mask``: where the first one may change) and save its thumbnail."""
    reply = images.edit(image=list(sources), mask=mask, prompt=prompt, model=model, size=image_size)
    return _save_thumbnail(reply.data[0].b64_json, path, size)
