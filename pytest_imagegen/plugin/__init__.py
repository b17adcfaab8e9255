"""pytest wiring only: options, markers, hooks; the fixtures are registered from ``fixtures.py``.

Everything here reads pytest's configuration (``settings.py``) and hands an ``ImagegenConfig`` to the core
(``pytest_imagegen.cassette.session``); no record/replay logic lives here. The session's summary and exit
status are ``reporter.py``'s. Only public pytest API is used, and nothing heavy is imported: pytest
imports this module at every start.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Generator
from typing import Any, cast

import pytest

from pytest_imagegen.config import (
    DRIFT_MODES,
    DURATION_HELP,
    MATCHERS,
    ON_EXPIRY,
    PAYLOAD_MODES,
    POLLING_MODES,
    RECORD_MODES,
    REPLAY_TIMINGS,
    ConfigError,
    ImagegenConfig,
    check_base_url,
    config_from_ini,
    resolve_config,
)
from pytest_imagegen.plugin.fixtures import (
    FAILED,
    async_imagegen_client,
    async_imagegen_openai,
    imagegen_cassette,
    imagegen_client,
    imagegen_config,
    imagegen_emulator,
    imagegen_openai,
    imagegen_snapshot,
)
from pytest_imagegen.plugin.reporter import CassetteReporter
from pytest_imagegen.plugin.settings import (
    cli_layer,
    env_layer,
    ini_layer,
    marker_layer,
    predicted_cassette,
    session_layer,
    strict_unused,
    unopened,
)

# The fixtures, registered with pytest by being attributes of this module (the pytest11 entry point).
__all__ = [
    "async_imagegen_client",
    "async_imagegen_openai",
    "imagegen_cassette",
    "imagegen_client",
    "imagegen_config",
    "imagegen_emulator",
    "imagegen_openai",
    "imagegen_snapshot",
]

_MARKER_HELP = (
    "imagegen(cassette=None, record_mode=None, match_on=None, payloads=None, replay_timing=None, "
    "polling=None, max_age=None, on_expiry=None, record_on_error=None): "
    "record/replay this test's Images API calls through a cassette. "
    f"record_mode: {'|'.join(RECORD_MODES)}; payloads: {'|'.join(PAYLOAD_MODES)}; "
    f"replay_timing: {'|'.join(REPLAY_TIMINGS)}; polling: {'|'.join(POLLING_MODES)}; match_on: a list of {', '.join(MATCHERS)}; "
    f"max_age: {DURATION_HELP}; on_expiry: {'|'.join(ON_EXPIRY)}; record_on_error: True|False."
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("imagegen", "record and replay Images API calls (pytest-imagegen)")
    group.addoption(
        "--imagegen-record",
        dest="imagegen_record_mode",
        choices=RECORD_MODES,
        default=None,
        help="record mode: none (default: replay only, network blocked), once, new_episodes, all. "
        "Environment: IMAGEGEN_RECORD_MODE.",
    )
    group.addoption(
        "--imagegen-cassette-dir",
        dest="imagegen_cassette_dir",
        default=None,
        help="where cassettes live (default: cassettes/ at the rootdir).",
    )
    group.addoption(
        "--imagegen-base-url",
        dest="imagegen_base_url",
        default=None,
        help="service to record from; 'emulator' starts the bundled emulator. Environment: OPENAI_BASE_URL.",
    )
    group.addoption(
        "--imagegen-drift",
        dest="imagegen_drift",
        nargs="?",
        const="report",
        choices=DRIFT_MODES,
        default=None,
        help="replay nothing: send each recorded request to the live service (or --imagegen-base-url) "
        "and report how its replies drifted from the cassettes; exit status 1 on breaking drift. "
        "--imagegen-drift=update also re-records the interactions that drifted.",
    )
    group.addoption(
        "--imagegen-strict-unused",
        dest="imagegen_strict_unused",
        action="store_true",
        default=None,
        help="fail the run when a session that collected the whole suite leaves orphan cassettes or "
        "never-played interactions. ini: imagegen_strict_unused.",
    )
    group.addoption(
        "--imagegen-report",
        dest="imagegen_report",
        default=None,
        metavar="PATH",
        help="write one self-contained HTML page showing the cassettes this session used: per interaction "
        "the prompt, parameters, status and images (previews), and what the session did with each cassette.",
    )
    parser.addini("imagegen_record_mode", "default record mode (none, once, new_episodes, all)", default=None)
    parser.addini("imagegen_cassette_dir", "where cassettes live, relative to the rootdir", default=None)
    parser.addini(
        "imagegen_base_url", "service to record from ('emulator' for the bundled one)", default=None
    )
    parser.addini("imagegen_payloads", "placeholder (default) or keep", default=None)
    parser.addini("imagegen_polling", "polled jobs on replay: collapse (default) or faithful", default=None)
    parser.addini("imagegen_match_on", "what requests are matched on", type="args", default=None)
    parser.addini("imagegen_max_age", f"cassettes older than this are expired: {DURATION_HELP}", default=None)
    parser.addini(
        "imagegen_on_expiry", f"what an expired cassette does: {', '.join(ON_EXPIRY)}", default=None
    )
    parser.addini(
        "imagegen_record_on_error",
        "false: a test that fails while recording leaves its cassette",
        default=None,
    )
    parser.addini(
        "imagegen_strict_unused",
        "true: orphan cassettes and never-played interactions fail the run",
        default=None,
    )
    parser.addini(
        "imagegen_allowed_hosts",
        "hosts a session in record mode none may still connect to",
        type="args",
        default=None,
    )


_SESSION = pytest.StashKey[Callable[[], None]]()


def _begin_session(config: pytest.Config) -> None:
    """Dummy keys and the network block for the whole session (``cassette/environment.py``), once."""
    if _SESSION not in config.stash:
        config.stash[_SESSION] = lambda: None
        with contextlib.suppress(ConfigError, ValueError):  # pytest_configure reports it
            from pytest_imagegen.cassette.environment import begin_session

            config.stash[_SESSION] = begin_session(**session_layer(config))


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    """Before the first conftest is imported (it may import an application that builds its client)."""
    _begin_session(early_config)


def pytest_unconfigure(config: pytest.Config) -> None:
    config.stash.get(_SESSION, lambda: None)()


def pytest_configure(config: pytest.Config) -> None:
    _begin_session(config)  # a plugin loaded by a conftest's pytest_plugins starts the session here
    config.addinivalue_line("markers", _MARKER_HELP)
    config.pluginmanager.register(CassetteReporter(config), "imagegen-summary")
    try:
        for layer in (ini_layer(config), env_layer(), cli_layer(config)):
            check_base_url(layer.get("base_url"))
        strict_unused(config)
        if config.getoption("imagegen_drift") and config.getoption("imagegen_record_mode"):
            raise ConfigError(
                "--imagegen-drift sends every request live and records nothing (=update re-records what "
                "drifted): leave out --imagegen-record"
            )
    except ConfigError as exc:
        raise pytest.UsageError(f"pytest-imagegen: {exc}") from None
    # Bad ini values stop the run here (exit 4, before any test), not at every test's setup.
    try:
        from_ini = config_from_ini(ini_layer(config), rootdir=config.rootpath)
    except ConfigError as exc:
        where = f" in {config.inipath}" if config.inipath else ""
        raise pytest.UsageError(f"pytest-imagegen: invalid imagegen_* setting{where}: {exc}") from None
    try:  # an empty --imagegen-cassette-dir, or one that is a file, stops the run here too
        from pytest_imagegen.cassette.paths import check_cassette_dir

        resolved = resolve_config(from_ini, env=env_layer(), cli=cli_layer(config), rootdir=config.rootpath)
        check_cassette_dir(resolved.cassette_dir)
    except ConfigError as exc:
        raise pytest.UsageError(f"pytest-imagegen: {exc}") from None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Check marker arguments up front, so a typo fails the run before any test starts, and give marked
    tests their cassette. (Adding the fixture here, not in an autouse fixture, costs unmarked tests
    nothing at run time.)"""
    for item in items:
        if item.get_closest_marker("imagegen") is None:
            continue
        try:
            resolve_config(ImagegenConfig(), marker=marker_layer(item))
        except ConfigError as exc:
            if not hasattr(config, "workerinput"):
                raise pytest.UsageError(f"{item.nodeid}: {exc}") from None
            # An xdist worker's usage error is lost to an INTERNALERROR: the test's own setup says it.
        fixturenames = getattr(item, "fixturenames", None)
        if isinstance(fixturenames, list) and "imagegen_cassette" not in fixturenames:
            fixturenames.append("imagegen_cassette")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failure caused by one of the plugin's errors is reported short: the user's frames, then the
    plugin's message (``plugin/failures.py``), unless ``--tb`` asks for a style."""
    report = yield
    if report.failed:
        item.stash[FAILED] = True  # read by the cassette fixture's teardown (record_on_error)
    if call.when == "teardown" and unopened(item):
        # A test that never opened its cassette (skipped, or failed in an earlier fixture) still uses it:
        # the orphan report must not call it unused.
        report.user_properties.append(("imagegen-unopened", predicted_cassette(item)))
    if call.excinfo is not None and report.failed and item.config.getoption("tbstyle") == "auto":
        from pytest_imagegen.plugin.failures import short_report

        short = short_report(call.excinfo)
        if short is not None:
            # A TerminalRepr in all but name (pytest keeps that class private).
            report.longrepr = cast(Any, short)
    return report
