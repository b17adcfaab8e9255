"""Shared by every test folder: import the package and its heavy dependencies once, up front.

pytester's in-process runs drop the modules an inner run imported when it ends. Without this, every
inner run would import them again (and pytest would rewrite the asserts of every module of the plugin's
distribution as it did: seconds per run), and PyYAML's C extension, which cannot be loaded twice, would
meet a second copy of ``yaml`` in the next run and fail to load any cassette.
"""

from __future__ import annotations

import importlib
import pkgutil

import httpcore  # noqa: F401 - httpx maps its exceptions by class: a second copy would not be mapped
import httpcore2  # noqa: F401 - the same for httpx2 (the openai SDK's transport)
import hypothesis  # noqa: F401 - its pytest plugin's summary would import it in every inner run
import openai  # noqa: F401
import pytest
import yaml  # noqa: F401

import pytest_imagegen

for _module in pkgutil.walk_packages(pytest_imagegen.__path__, "pytest_imagegen."):
    if not _module.name.endswith("__main__"):
        importlib.import_module(_module.name)


@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """pytest's ``pytester``, whose inner runs keep their tests' file order: pytest-randomly (a dev
    dependency, for the one inner run that shuffles on purpose with ``-p randomly``) stays out of them,
    as ``addopts`` keeps it out of the project's own runs."""
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:randomly")
    return pytester


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that runs pytest inside itself (``pytester``) is end-to-end: marked ``e2e``, so that
    ``pytest -m "not e2e"`` runs the unit tests alone. Tests marked ``slow`` go first (the rest keep their
    order): under ``-n auto`` the longest start at once and the short ones fill the other workers around
    them, instead of one long test starting last and running alone at the end."""
    for item in items:
        if "pytester" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.e2e)
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
