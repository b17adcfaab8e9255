"""The plugin's fixtures: a scope's configuration, the test's cassette, clients bound to it (the plugin's
own and the openai SDK's), the emulator, the snapshot extension. Heavy modules are imported inside the
fixtures that need them: pytest imports this module at every start.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_imagegen.config import ConfigError, ImagegenConfig
from pytest_imagegen.plugin.settings import cache_dir, cassette_location, resolve

if TYPE_CHECKING:
    import openai
    from syrupy.assertion import SnapshotAssertion

    from pytest_imagegen.cassette.core import ImagegenCassette
    from pytest_imagegen.client import AsyncImagegenClient, ImagegenClient
    from pytest_imagegen.emulator import Emulator


FAILED = pytest.StashKey[bool]()


@pytest.fixture
def imagegen_config(request: pytest.FixtureRequest) -> ImagegenConfig:
    """Defaults for this scope (ini + built-in). Override in a conftest to change them."""
    try:
        return resolve(request.config, Path(request.node.path).parent, only_ini=True)
    except ConfigError as exc:
        raise pytest.UsageError(f"pytest-imagegen: {exc}") from None


@pytest.fixture
def imagegen_cassette(
    request: pytest.FixtureRequest, imagegen_config: ImagegenConfig, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ImagegenCassette]:
    """The active cassette: all httpx and httpx2 traffic of the test is recorded or replayed through it.
    Its environment changes go through the test's ``monkeypatch`` (undone with the test's own, LIFO)."""
    from pytest_imagegen.cassette.session import open_cassette

    node = request.node
    try:
        config = resolve(request.config, Path(node.path).parent, node, imagegen_config)
    except ConfigError as exc:
        raise pytest.UsageError(f"{node.nodeid}: {exc}") from None
    with open_cassette(
        config,
        node.nodeid,
        cache_dir=cache_dir(request.config),
        emulator_url=lambda: request.getfixturevalue("imagegen_emulator").base_url,
        location=cassette_location(request.config, node),
        drift=request.config.getoption("imagegen_drift"),
        environment=monkeypatch,
        on_outcome=lambda outcome: node.user_properties.append(("imagegen", outcome)),  # to the summary
        failed=lambda: node.stash.get(FAILED, False),
    ) as cassette:
        yield cassette


def _service(request: pytest.FixtureRequest, cassette: ImagegenCassette, own: bool = False) -> dict[str, Any]:
    """What a client bound to ``cassette`` is built with (``cassette/session.py``): the plugin's ``own``
    clients check replies as strictly as the cassette; the openai SDK's do not retry."""
    from pytest_imagegen.cassette.session import service_for

    base_url, api_key = service_for(
        cassette, emulator_url=lambda: request.getfixturevalue("imagegen_emulator").base_url
    )
    extra = {"strict": cassette.config.strict} if own else {"max_retries": 0}
    return {"base_url": base_url, "api_key": api_key, **extra}


@pytest.fixture
def imagegen_client(
    request: pytest.FixtureRequest, imagegen_cassette: ImagegenCassette
) -> Iterator[ImagegenClient]:
    """An ``ImagegenClient`` whose calls go through this test's cassette."""
    from pytest_imagegen.client import ImagegenClient

    with ImagegenClient(**_service(request, imagegen_cassette, own=True)) as client:
        yield client


@pytest.fixture
async def async_imagegen_client(
    request: pytest.FixtureRequest, imagegen_cassette: ImagegenCassette
) -> AsyncIterator[AsyncImagegenClient]:
    """An ``AsyncImagegenClient`` whose calls go through this test's cassette."""
    from pytest_imagegen.client import AsyncImagegenClient

    async with AsyncImagegenClient(**_service(request, imagegen_cassette, own=True)) as client:
        yield client


def _openai_module() -> Any:
    return pytest.importorskip(
        "openai", reason="the openai SDK is not installed: pip install 'pytest-imagegen[openai]'"
    )


@pytest.fixture
def imagegen_openai(
    request: pytest.FixtureRequest, imagegen_cassette: ImagegenCassette
) -> Iterator[openai.OpenAI]:
    """An official ``openai.OpenAI`` client bound to this test's cassette (``max_retries=0``)."""
    with _openai_module().OpenAI(**_service(request, imagegen_cassette)) as client:
        yield client


@pytest.fixture
async def async_imagegen_openai(
    request: pytest.FixtureRequest, imagegen_cassette: ImagegenCassette
) -> AsyncIterator[openai.AsyncOpenAI]:
    """An official ``openai.AsyncOpenAI`` client bound to this test's cassette (``max_retries=0``)."""
    async with _openai_module().AsyncOpenAI(**_service(request, imagegen_cassette)) as client:
        yield client


@pytest.fixture(scope="session")
def imagegen_emulator() -> Iterator[Emulator]:
    """A running emulator of the Images API on 127.0.0.1 (started once per session)."""
    try:
        from pytest_imagegen.emulator import Emulator
    except ImportError as exc:
        extra = f"the 'emulator' extra ({exc.name} is not installed): pip install 'pytest-imagegen[emulator]'"
        pytest.fail(f"the bundled emulator needs {extra}", pytrace=False)
    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def imagegen_snapshot(
    request: pytest.FixtureRequest, snapshot: SnapshotAssertion, imagegen_config: ImagegenConfig
) -> Iterator[SnapshotAssertion]:
    """syrupy's ``snapshot`` with the imagegen extension: a reply becomes a stable, readable snapshot,
    redacted like a cassette (this scope's rules, and the secrets the test's recording found)."""
    from pytest_imagegen.snapshot import ImagegenSnapshotExtension, redaction_for

    def secrets() -> Iterable[str]:
        if "imagegen_cassette" in request.fixturenames:
            cassette: ImagegenCassette = request.getfixturevalue("imagegen_cassette")
            return cassette.secrets
        return ()

    with redaction_for(imagegen_config, secrets):
        yield snapshot.use_extension(ImagegenSnapshotExtension)
