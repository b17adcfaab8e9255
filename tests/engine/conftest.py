"""Helpers for the engine tests: open a cassette directly, the way the fixture does."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_imagegen.cassette.core import ImagegenCassette
from pytest_imagegen.cassette.session import open_cassette
from pytest_imagegen.config import ImagegenConfig

# Nothing listens here: a replay that reached the network would fail loudly.
DEAD_BASE_URL = "http://127.0.0.1:9/v1"
KEY = "sk-test-engine-key"


class Tape:
    """Open the same cassette in one mode after another, as separate test runs would."""

    def __init__(self, cassette_dir: Path, test_id: str) -> None:
        self.config = ImagegenConfig(cassette_dir=cassette_dir)
        self.test_id = test_id

    @contextlib.contextmanager
    def open(self, record_mode: str = "none", **changes: object) -> Iterator[ImagegenCassette]:
        with open_cassette(self.config.replace(record_mode=record_mode, **changes), self.test_id) as cassette:
            yield cassette


@pytest.fixture
def tape(tmp_path: Path, request: pytest.FixtureRequest) -> Tape:
    return Tape(tmp_path / "cassettes", request.node.nodeid)
