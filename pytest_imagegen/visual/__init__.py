"""Assertions on the pictures themselves: the images of any reply with their facts and previews
(``imagegen_images``), what a generation must satisfy whatever the model drew (``assert_image_facts``),
and a perceptual comparison of a processed image with a stored reference that writes expected, actual
and diff PNGs when it fails (``assert_image_matches``).

They read the reply a test holds, so they work the same at record time, on the live reply, and on
replay, where each image is drawn from its placeholder's preview with the recorded format, size and mode.
"""

from __future__ import annotations

from pytest_imagegen.visual.compare import assert_image_matches, image_difference
from pytest_imagegen.visual.facts import assert_image_facts
from pytest_imagegen.visual.images import GeneratedImage, imagegen_images

__all__ = [
    "GeneratedImage",
    "assert_image_facts",
    "assert_image_matches",
    "image_difference",
    "imagegen_images",
]
