"""Running an inner pytest session (pytester, in process) the way the safety tests need it.

Importing this module imports what an inner run uses (the plugin's modules, PyYAML, the openai SDK) into
the outer process first. pytester drops the modules a run imported when it ends, so without this

- every run would import them again, and pytest would rewrite the asserts of every module of every
  ``pytest11`` plugin's distribution as it does so (seconds per run);
- PyYAML's C extension, which cannot be imported twice, would meet a second copy of ``yaml`` in the
  second run and fail to load any cassette.
"""

from __future__ import annotations

import importlib

import pytest

for _module in (
    "openai",
    "pytest_imagegen.cassette.core",
    "pytest_imagegen.cassette.stubs",
    "pytest_imagegen.client",
    "pytest_imagegen.cassette.session",
):
    importlib.import_module(_module)

__all__ = ["run"]

# Hypothesis's terminal summary re-imports hypothesis in every in-process run (seconds each); no inner
# run uses it.
_ARGS = ("-p", "no:hypothesispytest")


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """``pytester.runpytest`` in process, without the plugins an inner run does not need."""
    return pytester.runpytest(*_ARGS, *args)
