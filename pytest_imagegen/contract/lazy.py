"""Package exports loaded on first use (PEP 562), for the contract's packages.

The engine reads every API shape's declaration (``contract/registry.py``) on its first request, and must
not pay for the pydantic models of every shape until it checks a reply. Importing a shape's declaration
runs ``contract/__init__.py`` and its package's ``__init__.py``, so those import nothing heavy: their public
names are loaded when first used, as the package root's are.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Collection, Mapping
from typing import Any

__all__ = ["exports"]


def exports(
    package: str, names: Collection[str], where: Mapping[str, Collection[str]]
) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: each of ``names`` (its ``__all__``) is imported from the
    module ``where`` lists it under, on first use, then kept as a plain attribute."""
    modules = {name: module for module, listed in where.items() for name in listed}
    if set(modules) != set(names):
        raise ImportError(f"{package}: __all__ and its lazy exports disagree: {set(modules) ^ set(names)}")

    def __getattr__(name: str) -> Any:
        module = modules.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
