"""pytest wiring only: options, markers, fixtures, terminal summary.

Everything here reads pytest's configuration and hands it to the core; no record/replay logic lives here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pytest_imagegen.emulator import Emulator


@pytest.fixture(scope="session")
def imagegen_emulator() -> Iterator[Emulator]:
    """A running emulator of the Images API on 127.0.0.1 (started once per session)."""
    from pytest_imagegen.emulator import Emulator

    with Emulator() as emulator:
        yield emulator
