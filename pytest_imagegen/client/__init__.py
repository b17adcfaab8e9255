"""The plugin's own Images API client over httpx: ``ImagegenClient`` and ``AsyncImagegenClient``.

``clients`` holds the two classes and their streams (they only move bytes); ``requests`` shapes and
validates what is sent, ``replies`` checks what comes back, ``uploads`` encodes image inputs and ``sse``
decodes event streams as they arrive.
"""

from pytest_imagegen.client.clients import (
    AsyncImagegenClient,
    AsyncImageStream,
    ImagegenClient,
    ImageStream,
)
from pytest_imagegen.client.uploads import ImageFile, ImageInput

__all__ = [
    "AsyncImageStream",
    "AsyncImagegenClient",
    "ImageFile",
    "ImageInput",
    "ImageStream",
    "ImagegenClient",
]
