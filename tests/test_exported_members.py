"""``pytest_imagegen.__all__`` is exactly the public surface README.md documents (its "Public names"
table), every name in it resolves, and nothing else is offered (as httpx's ``test_exported_members``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest_imagegen

README = Path(__file__).resolve().parent.parent / "README.md"


def documented_names() -> set[str]:
    """The names in the first column of README's "Public names" table."""
    section = README.read_text(encoding="utf-8").split("### Public names", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Za-z_]+)`", row.split("|")[1])}


def test_all_is_exactly_the_documented_surface() -> None:
    exported = set(pytest_imagegen.__all__)
    documented = documented_names()
    assert len(pytest_imagegen.__all__) == len(exported), "a name is listed twice in __all__"
    assert exported == documented, (
        f"exported but not documented: {sorted(exported - documented)}; "
        f"documented but not exported: {sorted(documented - exported)}"
    )


def test_every_exported_name_resolves_and_is_in_dir() -> None:
    for name in pytest_imagegen.__all__:
        assert getattr(pytest_imagegen, name) is not None, name
    assert set(pytest_imagegen.__all__) <= set(dir(pytest_imagegen))


def test_no_other_public_name_is_offered() -> None:
    modules = {"annotations", "importlib", "TYPE_CHECKING", "Any"}  # the root's own imports
    public = {name for name in vars(pytest_imagegen) if not name.startswith("_")}
    submodules = {
        name for name in public if isinstance(getattr(pytest_imagegen, name), type(pytest_imagegen))
    }
    extra = public - set(pytest_imagegen.__all__) - modules - submodules
    assert not extra, f"public names not in __all__: {sorted(extra)}"
