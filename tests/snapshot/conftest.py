"""The pytester runs here are plain pytest runs, even when this suite itself runs under pytest-xdist."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _not_an_xdist_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    # syrupy reads PYTEST_XDIST_WORKER to decide it is a worker (and then leaves the report and the
    # snapshot bookkeeping to a controller that an in-process pytester run does not have).
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)
