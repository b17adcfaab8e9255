"""The built-in API shapes by their old names: a compatibility module.

The shapes are plug-ins now: each package exports one ``ApiShape`` (``contract/shape.py``) and
``contract/registry.py`` lists them. ``SHAPES`` is the built-in ones, ``shape_of`` is
``registry.shape_for``.
"""

from __future__ import annotations

from pytest_imagegen.contract.chat.shape import CHAT
from pytest_imagegen.contract.gemini.shape import GEMINI
from pytest_imagegen.contract.images.shape import IMAGES
from pytest_imagegen.contract.registry import BUILTIN as SHAPES
from pytest_imagegen.contract.registry import shape_for as shape_of
from pytest_imagegen.contract.responses.shape import RESPONSES
from pytest_imagegen.contract.shape import ApiShape as Shape
from pytest_imagegen.contract.shape import declared_images

__all__ = ["CHAT", "GEMINI", "IMAGES", "RESPONSES", "SHAPES", "Shape", "declared_images", "shape_of"]
