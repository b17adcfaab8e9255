"""``assert_image_facts``: what a generation must satisfy whatever the model drew.

The request decides the facts (size or aspect ratio, output format, a transparent background, how many
images, how many partial images and in which order); the pixels are the model's. So the same assertion
holds on the live reply at record time and on the replay, whose images are drawn from the cassette's
previews with the recorded format, size and mode.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pytest_imagegen.safety.credentials import mask_text
from pytest_imagegen.visual.images import GeneratedImage, imagegen_images

__all__ = ["assert_image_facts"]

_SIZE = re.compile(r"^(\d+)\s*[xX×]\s*(\d+)$")
_RATIO = re.compile(r"^(\d+(?:\.\d+)?)\s*[:/]\s*(\d+(?:\.\d+)?)$")
_RATIO_TOLERANCE = 0.02  # services round sizes to multiples of 8, 16 or 64
_FORMAT_ALIASES = {"jpg": "jpeg"}


def _size(size: str | tuple[int, int]) -> tuple[int, int] | None:
    if isinstance(size, tuple):
        return int(size[0]), int(size[1])
    found = _SIZE.match(size.strip())
    if found is None:
        if size.strip() == "auto":
            return None
        raise ValueError(f"size {size!r} is not WIDTHxHEIGHT (or 'auto')")
    return int(found.group(1)), int(found.group(2))


def _ratio(ratio: str | float) -> float:
    if isinstance(ratio, int | float):
        return float(ratio)
    found = _RATIO.match(ratio.strip())
    if found is None:
        raise ValueError(f"aspect ratio {ratio!r} is not W:H")
    return float(found.group(1)) / float(found.group(2))


def image_fact_problems(
    images: Sequence[GeneratedImage],
    *,
    size: str | tuple[int, int] | None = None,
    aspect_ratio: str | float | None = None,
    format: str | None = None,
    alpha: bool | None = None,
    n: int | None = None,
    partials: int | None = None,
) -> list[str]:
    """What ``images`` (``imagegen_images``) break of the facts asked, one line each; [] when none."""
    problems: list[str] = []
    finals: dict[str, GeneratedImage] = {}
    for image in images:
        if image.partial is None:
            finals.setdefault(image.sha256, image)  # a stream may repeat its final image
    shown = list(finals.values()) or [i for i in images if i.partial is None]
    if n is not None and len(finals) != n:
        problems.append(f"{len(finals)} final image(s), {n} asked")
    if not images and n != 0:
        problems.append("the reply holds no image (an image it only links to, url, is not fetched)")
    wanted_size = _size(size) if size is not None else None
    wanted_format = _FORMAT_ALIASES.get(format.lower(), format.lower()) if format else None
    for image in images:
        if wanted_format is not None and image.format != wanted_format:
            problems.append(f"{image.where}: a {image.format} image, {wanted_format} asked")
    for image in shown:
        if wanted_size is not None and image.size != wanted_size:
            problems.append(
                f"{image.where}: {image.width}x{image.height}, {wanted_size[0]}x{wanted_size[1]} asked"
            )
        if aspect_ratio is not None:
            want = _ratio(aspect_ratio)
            got = image.width / image.height
            if abs(got - want) > _RATIO_TOLERANCE * want:
                problems.append(
                    f"{image.where}: aspect ratio {got:.3f} ({image.width}x{image.height}), {aspect_ratio} asked"
                )
        if alpha is not None and image.alpha != alpha:
            has = (
                f"has an alpha channel ({image.mode})"
                if image.alpha
                else f"has no alpha channel ({image.mode})"
            )
            problems.append(
                f"{image.where}: {has}, {'a transparent' if alpha else 'an opaque'} background asked"
            )
    partial = [image for image in images if image.partial is not None]
    if partials is not None and len(partial) != partials:
        problems.append(f"{len(partial)} partial image(s), {partials} asked")
    indexes = [image.partial for image in partial]
    if indexes != list(range(len(partial))):
        problems.append(f"partial images numbered {indexes}, expected 0 to {len(partial) - 1} in order")
    last_partial = max((i.event or 0 for i in partial), default=-1)
    early = [i.where for i in images if i.partial is None and i.event is not None and i.event < last_partial]
    if early:
        problems.append(f"a final image comes before the last partial image: {', '.join(early)}")
    return problems


def assert_image_facts(
    reply: Any,
    *,
    size: str | tuple[int, int] | None = None,
    aspect_ratio: str | float | None = None,
    format: str | None = None,
    alpha: bool | None = None,
    n: int | None = None,
    partials: int | None = None,
) -> list[GeneratedImage]:
    """Assert what the images of ``reply`` must be, whatever the model drew; returns them.

    ``size`` (``"1024x1024"`` or ``(1024, 1024)``; ``"auto"`` checks nothing) or ``aspect_ratio``
    (``"16:9"``, within 2%) of every final image; ``format`` (``png``, ``jpeg``, ``webp``, ``gif``) of
    every image; ``alpha``: True for a transparent background (an alpha channel), False for an opaque
    one; ``n``: how many distinct final images; ``partials``: how many partial images a stream sent.
    Partial images must always be numbered 0, 1, ... in order and come before the final image. Pass a
    stream as the list of its events. All problems are listed in one ``AssertionError``.
    """
    __tracebackhide__ = True
    images = imagegen_images(reply)
    problems = image_fact_problems(
        images, size=size, aspect_ratio=aspect_ratio, format=format, alpha=alpha, n=n, partials=partials
    )
    if problems:
        raise AssertionError(
            mask_text(f"the reply's images break {len(problems)} fact(s):\n  " + "\n  ".join(problems))
        )
    return images
