"""Fixtures for the safety tests: an emulator whose every account value is a canary."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pytest_imagegen.emulator import Emulator
from tests.safety.canaries import API_KEY, COOKIE_SECRET, GOOGLE_API_KEY, ORGANIZATION, PATH_USER, PROJECT


@pytest.fixture(scope="session")
def canary_service() -> Iterator[Emulator]:
    """The emulator as the real service would be for an account made of canaries: it accepts only
    ``API_KEY`` (``GOOGLE_API_KEY`` on the Gemini routes) and puts the organization, project, cookie secret
    and user id in its replies."""
    with Emulator(
        api_key=API_KEY,
        google_api_key=GOOGLE_API_KEY,
        organization=ORGANIZATION,
        project=PROJECT,
        cookie_secret=COOKIE_SECRET,
        user=PATH_USER,
    ) as emulator:
        yield emulator


@pytest.fixture
def canary_emulator(canary_service: Emulator) -> Emulator:
    """The canary emulator with an empty request log and no pending fault."""
    canary_service.reset()
    return canary_service
