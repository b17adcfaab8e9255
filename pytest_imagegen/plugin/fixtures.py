"""The plugin's fixtures: the configuration of a scope, the test's cassette, clients bound to it (the
plugin's own and the openai SDK's), the emulator, and the snapshot extension.

Heavy modules (the cassette engine, the clients, the emulator, syrupy's extension) are imported inside
the fixtures that need them: pytest imports this module at every start.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_imagegen.config import ConfigError, ImagegenConfig, config_from_ini, resolve_config
from pytest_imagegen.plugin.settings import (
    cache_dir,
    cli_layer,
    env_layer,
    ini_layer,
    location,
    marker_layer,
    project_dir,
)

if TYPE_CHECKING:
    import openai
    from syrupy.assertion import SnapshotAssertion

    from pytest_imagegen.cassette.core import ImagegenCassette
    from pytest_imagegen.client import AsyncImagegenClient, ImagegenClient
    from pytest_imagegen.emulator import Emulator


_INI_CONFIGS = pytest.StashKey[dict[Path, ImagegenConfig]]()
_RESOLVED = pytest.StashKey[dict[tuple[ImagegenConfig, str, Path], ImagegenConfig]]()
FAILED = pytest.StashKey[bool]()


@pytest.fixture
def imagegen_config(request: pytest.FixtureRequest) -> ImagegenConfig:
    """Defaults for this scope (ini + built-in). Override in a conftest to change them."""
    # The ini does not change during a session: made once per project folder (the config is frozen).
    made = request.config.stash.setdefault(_INI_CONFIGS, {})
    root = project_dir(request)
    config = made.get(root)
    if config is None:
        try:
            config = made[root] = config_from_ini(ini_layer(request.config), rootdir=root)
        except ConfigError as exc:
            raise pytest.UsageError(f"pytest-imagegen: {exc}") from None
    return config


@pytest.fixture
def imagegen_cassette(
    request: pytest.FixtureRequest, imagegen_config: ImagegenConfig, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ImagegenCassette]:
    """The active cassette: all httpx and httpx2 traffic of the test is recorded or replayed through it.
    Its environment changes go through the test's ``monkeypatch`` (undone with the test's own, LIFO)."""
    from pytest_imagegen.cassette.session import open_cassette

    layers = (marker_layer(request.node), env_layer(), cli_layer(request.config))
    resolved = request.config.stash.setdefault(_RESOLVED, {})
    key = (imagegen_config, repr(layers), project_dir(request))  # the merge is pure: made once per input
    config = resolved.get(key)
    if config is None:
        try:
            config = resolved[key] = resolve_config(
                imagegen_config, marker=layers[0], env=layers[1], cli=layers[2], rootdir=key[2]
            )
        except ConfigError as exc:
            raise pytest.UsageError(f"{request.node.nodeid}: {exc}") from None

    def emulator_url() -> str:
        emulator: Emulator = request.getfixturevalue("imagegen_emulator")
        return emulator.base_url

    from pytest_imagegen.errors import CassetteExpired

    opened: list[ImagegenCassette] = []
    try:
        with open_cassette(
            config,
            request.node.nodeid,
            cache_dir=cache_dir(request.config),
            emulator_url=emulator_url,
            location=location(request),
            drift=request.config.getoption("imagegen_drift"),
            environment=monkeypatch,
        ) as cassette:
            opened.append(cassette)
            yield cassette
            if not cassette.config.record_on_error and request.node.stash.get(FAILED, False):
                cassette.abandon()
    except CassetteExpired as exc:  # on_expiry="fail": the summary lists it too
        request.node.user_properties.append(("imagegen", exc.outcome))
        raise
    finally:  # after the save, which may have been refused: the summary says what reached disk
        if opened:
            request.node.user_properties.append(("imagegen", opened[0].outcome()))


def _service(request: pytest.FixtureRequest, cassette: ImagegenCassette) -> tuple[str, str]:
    from pytest_imagegen.cassette.session import service_for

    def emulator_url() -> str:
        emulator: Emulator = request.getfixturevalue("imagegen_emulator")
        return emulator.base_url

    return service_for(cassette, emulator_url=emulator_url)


@pytest.fixture
def imagegen_client(
    request: pytest.FixtureRequest, imagegen_cassette: ImagegenCassette
) -> Iterator[ImagegenClient]:
    """An ``ImagegenClient`` whose calls go through this test's cassette."""
    from pytest_imagegen.client import ImagegenClient

    base_url, api_key = _service(request, imagegen_cassette)
    with ImagegenClient(base_url=base_url, api_key=api_key, strict=imagegen_cassette.config.strict) as client:
        yield client


@pytest.fixture
async def async_imagegen_client(
    request: pytest.FixtureRequest, imagegen_cassette: ImagegenCassette
) -> AsyncIterator[AsyncImagegenClient]:
    """An ``AsyncImagegenClient`` whose calls go through this test's cassette."""
    from pytest_imagegen.client import AsyncImagegenClient

    base_url, api_key = _service(request, imagegen_cassette)
    async with AsyncImagegenClient(
        base_url=base_url, api_key=api_key, strict=imagegen_cassette.config.strict
    ) as client:
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
    openai_module = _openai_module()
    base_url, api_key = _service(request, imagegen_cassette)
    with openai_module.OpenAI(base_url=base_url, api_key=api_key, max_retries=0) as client:
        yield client


@pytest.fixture
async def async_imagegen_openai(
    request: pytest.FixtureRequest, imagegen_cassette: ImagegenCassette
) -> AsyncIterator[openai.AsyncOpenAI]:
    """An official ``openai.AsyncOpenAI`` client bound to this test's cassette (``max_retries=0``)."""
    openai_module = _openai_module()
    base_url, api_key = _service(request, imagegen_cassette)
    async with openai_module.AsyncOpenAI(base_url=base_url, api_key=api_key, max_retries=0) as client:
        yield client


@pytest.fixture(scope="session")
def imagegen_emulator() -> Iterator[Emulator]:
    """A running emulator of the Images API on 127.0.0.1 (started once per session)."""
    try:
        from pytest_imagegen.emulator import Emulator
    except ImportError as exc:
        pytest.fail(
            f"the bundled emulator needs the 'emulator' extra ({exc.name} is not installed): "
            "pip install 'pytest-imagegen[emulator]'",
            pytrace=False,
        )

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
