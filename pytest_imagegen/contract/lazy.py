"""Package exports loaded on first use (PEP 562), for the contract's packages.

The engine reads every API shape's declaration (``contract/registry.py``) on its first request, and must
not pay for the pydantic models of every shape until it checks a reply. Importing a shape's declaration
runs ``contract/__init__.py`` and its package's ``__init__.py``, so those import nothing heavy: their public
names are loaded when first used, as the package root's are. Each such ``__init__`` imports its names under
``if TYPE_CHECKING:`` (``import X as X``: for type checkers, which read no ``__all__`` built at run time)
and hands the same table, module by module, to ``exports``.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["exports"]


def exports(package: str, where: Mapping[str, str]) -> tuple[Callable[[str], Any], list[str]]:
    """A module ``__getattr__`` for ``package`` and the names it serves: ``where`` maps a module to the
    names (separated by spaces) the package exports from it, each imported on first use, then kept as a
    plain attribute."""
    modules = {name: module for module, names in where.items() for name in names.split()}

    def __getattr__(name: str) -> Any:
        module = modules.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__, sorted(modules)
